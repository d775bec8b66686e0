"""The demo: the seed coverage through the whole stancekit loop.

1. sentences and actor mentions, summarised per actor;
2. Label Studio: the seed pushed as annotation tasks (to a reachable server, or one started);
3. a quick stance model (the baseline, on NewsMTSC plus the gold sets under ``datasets/``);
4. ``tag`` and ``report`` on the seed coverage with that model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.errors import ConfigError, StanceKitError
from stancekit.paths import REPO
from stancekit.pipeline import iter_sentences
from stancekit.readers import iter_documents
from stancekit.records import Sentence
from stancekit.studio import connection

REPO_SEEDS = REPO / "seeds"
STUDIO_MODES = ("auto", "start", "off")


def find_seeds(seeds_dir: Path | None = None) -> Path:
    """The seed folder: the one given, else ``./seeds``, else the repository's ``seeds/``."""
    for candidate in ([seeds_dir] if seeds_dir is not None else [Path("seeds"), REPO_SEEDS]):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"no seed folder found (looked for {seeds_dir or './seeds and ' + str(REPO_SEEDS)}); "
                      "pass --seeds DIR with coverage files and one *.actors.yaml")


@dataclass
class DemoConfig:
    """Where the seed coverage is, where the demo writes, and how it reaches Label Studio.

    ``studio``: ``auto`` pushes the seed to a Label Studio answering at ``studio_url`` (token in
    ``$LABEL_STUDIO_API_KEY``) and skips that step otherwise; ``start`` also starts one on
    127.0.0.1 when none answers; ``off`` skips it.
    """

    seeds_dir: Path | None = None
    actors: Path | None = None
    output_dir: Path = Path("demo-output")
    studio: str = "auto"
    studio_url: str = field(default_factory=connection.studio_url)

    def __post_init__(self) -> None:
        self.seeds_dir = find_seeds(self.seeds_dir)
        self.output_dir = Path(self.output_dir)
        if self.studio not in STUDIO_MODES:
            raise ConfigError(f"--studio must be one of {', '.join(STUDIO_MODES)}, found {self.studio!r}")
        if self.actors is None:
            found = sorted(self.seeds_dir.glob("*.actors.yaml"))
            if len(found) != 1:
                raise ConfigError(f"expected exactly one *.actors.yaml in {self.seeds_dir}, found {len(found)}; "
                                  "pass --actors FILE")
            self.actors = found[0]
        self.actors = Path(self.actors)


@dataclass
class ActorSummary:
    actor_id: str
    name: str
    type: str
    mentions: int
    example: str  # a sentence that mentions the actor
    example_span: tuple[int, int]  # the mention's offsets in ``example``


@dataclass
class DemoResult:
    documents: int = 0
    sentences: list[Sentence] = field(default_factory=list)
    actors: list[ActorSummary] = field(default_factory=list)


def summarise_mentions(config: DemoConfig) -> DemoResult:
    """Read the seed coverage, find the actors and count their mentions (most mentioned first)."""
    dictionary = ActorDictionary.load(config.actors)
    documents = list(iter_documents([config.seeds_dir]))
    sentences = list(iter_sentences(documents, matcher=DictionaryMatcher(dictionary)))
    counts: Counter[str] = Counter()
    examples: dict[str, tuple[str, tuple[int, int]]] = {}
    for sentence in sentences:
        for mention in sentence.mentions:
            counts[mention.actor] += 1
            examples.setdefault(mention.actor, (sentence.text, (mention.start, mention.end)))
    actors = [ActorSummary(a, dictionary[a].name, dictionary[a].type, n, *examples[a]) for a, n in counts.most_common()]
    return DemoResult(documents=len(documents), sentences=sentences, actors=actors)


@dataclass
class StudioOutcome:
    """What the Label Studio step did: a project URL, or why it was skipped."""

    project_url: str | None = None
    pushed: int = 0
    already_there: int = 0
    login: tuple[str, str] | None = None  # set when the demo started the server
    note: str = ""


def push_seed(config: DemoConfig) -> StudioOutcome:
    """Push the seed coverage to Label Studio as the config's ``studio`` mode says."""
    from stancekit.studio.demo import StudioDemoConfig, push_seed_to_studio
    from stancekit.studio.server import is_healthy

    if config.studio == "off":
        return StudioOutcome(note="skipped (--studio off)")
    if config.studio == "auto" and not is_healthy(config.studio_url):
        return StudioOutcome(note=f"no Label Studio at {config.studio_url}: `stancekit demo --studio start` starts "
                                  "one on 127.0.0.1 and pushes the seed")
    try:
        result = push_seed_to_studio(StudioDemoConfig(inputs=[config.seeds_dir], actors=config.actors,
                                                      url=config.studio_url, start=config.studio == "start",
                                                      data_dir=Path(".studio")))
    except StanceKitError as err:
        if config.studio == "start":
            raise
        return StudioOutcome(note=f"not pushed: {err}")
    return StudioOutcome(result.project_url, result.pushed, result.already_there, result.login)


@dataclass
class StanceOutcome:
    """The quick model, the tagged seed and the report on it."""

    model_dir: Path
    model_name: str
    tags: Path
    report_html: Path
    by_actor: list[dict[str, Any]]  # the report's stance-per-actor rows, most mentioned first


def tag_seed(config: DemoConfig) -> StanceOutcome:
    """Train (or reuse) the quick stance model, then tag the seed coverage and report on it."""
    from stancekit.quick_model import QuickModelConfig, quick_stance_model
    from stancekit.reporting import tag_and_report
    from stancekit.tagging import TagConfig

    quick = QuickModelConfig()
    classifier = quick_stance_model(quick)
    tags = config.output_dir / "tags.jsonl"
    _, report = tag_and_report(TagConfig(inputs=[config.seeds_dir], model=quick.output, actors=config.actors,
                                         output=tags, progress=False),
                               report_dir=config.output_dir / "report")
    return StanceOutcome(quick.output, classifier.name, tags, config.output_dir / "report" / "report.html",
                         report.tables["stance_by_actor"])
