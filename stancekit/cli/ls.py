"""``stancekit ls push|pull|parse|adjudicate|config|rank``: the Label Studio round trip."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from stancekit.active.options import RankConfig
from stancekit.cli._app import ANNOTATE, cli_errors, command, command_group
from stancekit.cli._options import config_command
from stancekit.studio.options import AdjudicateConfig, LabelingConfigOptions, ParseConfig, PullConfig, PushConfig

if TYPE_CHECKING:
    from stancekit.studio.parse import ParsedExport

ls_app = command_group("ls", "Annotate in Label Studio: push tasks, pull labels, adjudicate, rank.", panel=ANNOTATE)


@command(ls_app)
@cli_errors
@config_command(PushConfig)
def push(config: PushConfig) -> None:
    """Create or reuse a project and import one task per sentence with an actor (idempotent, resumable).

    With --model and/or --sentiment-model their answers pre-fill the tasks (or stay hidden: --spans-only).
    """
    from stancekit.studio.client import StudioClient
    from stancekit.studio.push import push as push_job

    with StudioClient(config.studio.url, config.studio.token) as client:
        summary = push_job(config, client)
    print(f"project {summary.project_id}: pushed {summary.pushed} task(s), {summary.already_there} already there, "
          f"{summary.duplicates} duplicate sentence(s) in the input; {summary.requests} request(s)", file=sys.stderr)
    print(summary.project_url)


def _report(parsed: ParsedExport, out_dir: Path) -> None:
    kinds: dict[str, int] = {}
    for record in parsed.records:
        kinds[record["kind"]] = kinds.get(record["kind"], 0) + 1
    shown = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())) or "no annotations"
    print(f"{len(parsed.tasks)} task(s): {shown} -> {out_dir}", file=sys.stderr)
    if parsed.superseded:
        print(f"note: {parsed.superseded} older annotation(s) replaced by the same annotator's later one",
              file=sys.stderr)
    if parsed.unknown_actors:
        print(f"warning: {len(parsed.unknown_actors)} annotated span(s) name no actor of the dictionary; "
              f"see {out_dir / 'unknown-actors.jsonl'} and extend the dictionary", file=sys.stderr)


@command(ls_app)
@cli_errors
@config_command(PullConfig)
def pull(config: PullConfig) -> None:
    """Export the project (full JSON snapshot, kept verbatim under raw/) and parse it into annotation records.

    The records go to -o/--output (default: datasets/<project>); with --actors, spans annotators marked as
    'other' are mapped to the dictionary's actors.
    """
    from stancekit.studio.client import StudioClient
    from stancekit.studio.pull import SnapshotProgress, pull as pull_job

    with StudioClient(config.studio.url, config.studio.token) as client, SnapshotProgress() as progress:
        print(f"exporting {config.project!r} from {client.url} (a snapshot of every task)...", file=sys.stderr)
        result = pull_job(config, client, progress=progress)
    print(f"saved {result.raw_path}", file=sys.stderr)
    _report(result.parsed, result.out_dir)


@command(ls_app)
@cli_errors
@config_command(ParseConfig)
def parse(config: ParseConfig) -> None:
    """Parse a saved export again offline (after extending the actor dictionary, say)."""
    from stancekit.studio.pull import parse_saved

    _report(parse_saved(config.export, config.out_dir, actors=config.actors), config.out_dir)


@command(ls_app)
@cli_errors
@config_command(AdjudicateConfig)
def adjudicate(config: AdjudicateConfig) -> None:
    """Push disputed tasks to '<project> adjudication' with every annotator's answer visible.

    Without --actors (here or in the project file) it uses the dictionary the pull used, if unchanged since.
    """
    from stancekit.studio.adjudicate import adjudicate as adjudicate_job
    from stancekit.studio.client import StudioClient

    with StudioClient(config.studio.url, config.studio.token) as client:
        summary = adjudicate_job(config, client)
    print(f"{summary.disputed} disputed task(s): pushed {summary.pushed}, {summary.already_there} already in "
          f"'{summary.title}'; pull that project when reviewed and pass it to dataset build --adjudication",
          file=sys.stderr)
    print(summary.project_url)


@command(ls_app)
@cli_errors
@config_command(LabelingConfigOptions)
def config(config: LabelingConfigOptions) -> None:
    """Print the labeling config (XML) that push gives the project."""
    from stancekit.actors import ActorDictionary
    from stancekit.studio.config import LabelingConfig

    print(LabelingConfig(ActorDictionary.load(config.actors)).xml(adjudication=config.adjudication))


@command(ls_app)
@cli_errors
@config_command(RankConfig)
def rank(config: RankConfig) -> None:
    """Order the project's unannotated tasks by how much labelling them would teach the model (JSON lines).

    Each line: position, task_id, task_key, doc_id, text, certainty, score. --actors finds the actors of tasks
    imported by hand with only a text.
    """
    from stancekit.active.rank import rank as rank_job
    from stancekit.io import write_jsonl
    from stancekit.studio.client import StudioClient

    print(f"scoring the unannotated tasks of {config.project!r} with {config.model}...", file=sys.stderr)
    with StudioClient(config.studio.url, config.studio.token) as client:
        result = rank_job(config, client)
    write_jsonl((task.to_dict() for task in result.ranked), config.output)
    print(f"project {result.project_id}: ranked {len(result.ranked)} of {result.open_tasks} unannotated task(s) "
          f"by {config.strategy}", file=sys.stderr)
    if result.applied:
        print(f"label stream: Uncertainty sampling over model version {result.model_version!r} "
              f"({result.predictions_written} prediction(s) written); annotators click 'Label All Tasks'",
              file=sys.stderr)
