"""``stancekit ls push|pull|parse|adjudicate|config|rank``: the Label Studio round trip."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from stancekit.active import DEFAULT_STRATEGY, StrategyName
from stancekit.gold.voting import Policy
from stancekit.cli._app import cli_errors, command_group
from stancekit.cli._studio_options import Actors, Project, Token, Url

if TYPE_CHECKING:
    from stancekit.studio.parse import ParsedExport

ls_app = command_group("ls", "Annotate in Label Studio: push tasks, pull labels, adjudicate disputes.")


@ls_app.command()
@cli_errors
def push(
    inputs: Annotated[list[Path], typer.Argument(help="Coverage files (.txt, .jsonl, .csv) or folders.")],
    actors: Actors,
    project: Project,
    model: Annotated[Optional[list[Path]], typer.Option("--model", "-m", help="A trained stancekit model "
                     "(stance or sentiment) whose answers pre-fill the tasks; repeat for both.")] = None,
    prefill: Annotated[bool, typer.Option("--prefill/--spans-only", help="Pre-fill the --model answers (stance "
                       "per span, sentiment), or pre-annotate only the actor spans and keep the answers hidden (the "
                       "agreement report then shows how often annotators, unprompted, gave the model's answer).")]
        = True,
    overlap: Annotated[int, typer.Option(help="Annotations wanted per task (Label Studio maximum_annotations).")] = 1,
    batch_size: Annotated[int, typer.Option(help="Tasks per import request.")] = 500,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Report bad documents and go on.")] = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """Create or reuse a project and import one task per sentence with an actor (idempotent, resumable)."""
    from stancekit.studio.client import StudioClient
    from stancekit.studio.push import PushConfig, push as push_job

    config = PushConfig(project=project, inputs=inputs, actors=actors, models=model or [], overlap=overlap,
                        batch_size=batch_size, skip_bad=skip_bad, prefill=prefill)
    with StudioClient(url, token) as client:
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


@ls_app.command()
@cli_errors
def pull(
    project: Project,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder (default datasets/<project>).")] = None,
    actors: Annotated[Optional[Path], typer.Option("--actors", "-a", help="Actor dictionary, to map spans "
                      "annotators marked as 'other'.")] = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Export the project (full JSON snapshot, kept verbatim under raw/) and parse it into annotation records."""
    from stancekit.studio.client import StudioClient
    from stancekit.studio.pull import PullConfig, SnapshotProgress, pull as pull_job

    with StudioClient(url, token) as client, SnapshotProgress() as progress:
        print(f"exporting {project!r} from {client.url} (a snapshot of every task)...", file=sys.stderr)
        result = pull_job(PullConfig(project=project, out_dir=out, actors=actors), client, progress=progress)
    print(f"saved {result.raw_path}", file=sys.stderr)
    _report(result.parsed, result.out_dir)


@ls_app.command()
@cli_errors
def parse(
    export: Annotated[Path, typer.Argument(help="A saved full JSON export (raw/export-*.json).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for tasks/annotations JSONL.")],
    actors: Annotated[Optional[Path], typer.Option("--actors", "-a", help="Actor dictionary.")] = None,
) -> None:
    """Parse a saved export again offline (after extending the actor dictionary, say)."""
    from stancekit.studio.pull import parse_saved

    _report(parse_saved(export, out, actors=actors), out)


@ls_app.command()
@cli_errors
def adjudicate(
    project: Project,
    actors: Annotated[Optional[Path], typer.Option("--actors", "-a", help="Actor dictionary (default: the one the "
                      "pull used, if unchanged since).")] = None,
    pulled: Annotated[Optional[Path], typer.Option("--pulled", help="Folder written by ls pull "
                      "(default datasets/<project>).")] = None,
    policy: Annotated[Policy, typer.Option(help="all: every disagreement; ties: only units without a majority.")]
        = "all",
    url: Url = None,
    token: Token = None,
) -> None:
    """Push disputed tasks to '<project> adjudication' with every annotator's answer visible."""
    from stancekit.studio.adjudicate import AdjudicateConfig, adjudicate as adjudicate_job
    from stancekit.studio.client import StudioClient

    config = AdjudicateConfig(project=project, actors=actors, pulled_dir=pulled, policy=policy)
    with StudioClient(url, token) as client:
        summary = adjudicate_job(config, client)
    print(f"{summary.disputed} disputed task(s): pushed {summary.pushed}, {summary.already_there} already in "
          f"'{summary.title}'; pull that project when reviewed and pass it to dataset build --adjudication",
          file=sys.stderr)
    print(summary.project_url)


@ls_app.command()
@cli_errors
def config(
    actors: Actors,
    adjudication: Annotated[bool, typer.Option(help="The review project's config.")] = False,
) -> None:
    """Print the labeling config (XML) that push gives the project."""
    from stancekit.actors import ActorDictionary
    from stancekit.studio.config import LabelingConfig

    print(LabelingConfig(ActorDictionary.load(actors)).xml(adjudication=adjudication))


@ls_app.command()
@cli_errors
def rank(
    project: Project,
    model: Annotated[Path, typer.Option("--model", "-m", help="The trained stancekit stance model that scores "
                     "the tasks.")],
    strategy: Annotated[StrategyName, typer.Option(help="breaking-ties (smallest gap between the two likeliest "
                        "labels first), entropy or random.")] = DEFAULT_STRATEGY,
    spread_documents: Annotated[bool, typer.Option("--spread-documents", help="Round-robin over documents: "
                                "every document's best task before any document's second.")] = False,
    limit: Annotated[Optional[int], typer.Option(help="Rank (and apply) only the first N tasks.")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Make Label Studio's label stream serve the tasks in "
                     "this order (imports predictions and sets the project's sampling and model version).")]
        = False,
    actors: Annotated[Optional[Path], typer.Option("--actors", "-a", help="Actor dictionary, to find the actors "
                      "of tasks imported by hand with only a text.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random strategy.")] = 0,
    url: Url = None,
    token: Token = None,
) -> None:
    """Order the project's unannotated tasks by how much labelling them would teach the model (JSON lines)."""
    from stancekit.active.rank import RankConfig, rank as rank_job
    from stancekit.studio.client import StudioClient

    config = RankConfig(project=project, model=model, strategy=strategy, spread_documents=spread_documents,
                        limit=limit, apply=apply, actors=actors, seed=seed)
    print(f"scoring the unannotated tasks of {project!r} with {model}...", file=sys.stderr)
    with StudioClient(url, token) as client:
        result = rank_job(config, client)
    for task in result.ranked:
        print(json.dumps(task.to_dict(), ensure_ascii=False))
    print(f"project {result.project_id}: ranked {len(result.ranked)} of {result.open_tasks} unannotated task(s) "
          f"by {strategy}", file=sys.stderr)
    if result.applied:
        print(f"label stream: Uncertainty sampling over model version {result.model_version!r} "
              f"({result.predictions_written} prediction(s) written); annotators click 'Label All Tasks'",
              file=sys.stderr)
