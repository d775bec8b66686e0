"""The demo: the seed coverage through the whole stancekit loop.

1. sentences and actor mentions, summarised per actor;
2. Label Studio: the seed pushed as annotation tasks (to a reachable server, or one started);
   see :mod:`stancekit.demo.studio`;
3. a quick stance model (the baseline, on NewsMTSC plus the gold sets under ``datasets/``);
   see :mod:`stancekit.demo.quick_model`;
4. ``tag`` and ``report`` on the seed coverage with that model.

The demo is the only part of stancekit that reads the checkout (``REPO``): its defaults are the
repository's ``seeds/``, ``models/``, ``datasets/`` and ``../shared``.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from stancekit.errors import ConfigError
from stancekit.options import ACTORS, OUTPUT_DIR, STUDIO_URL, check_fields, option
from stancekit.paths import PathRule
from stancekit.records import Sentence
from stancekit.studio import connection

REPO = Path(__file__).resolve().parents[2]  # the checkout, when stancekit runs from one
REPO_SEEDS = REPO / "seeds"
StudioMode = Literal["auto", "start", "off"]
STUDIO_MODES: tuple[str, ...] = get_args(StudioMode)


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

    seeds_dir: Path | None = option(None, help="Seed folder (default: ./seeds or the repository's).",
                                    flags=("--seeds",), metavar="DIR",
                                    path=PathRule("folder", "a folder of coverage and one *.actors.yaml"))
    actors: Path | None = ACTORS(None, project_default=False)  # default: the seed folder's, not the project's
    output_dir: Path = OUTPUT_DIR(Path("demo-output"))
    studio: StudioMode = option("auto", help="Label Studio: auto (push if one answers), start (start one if none "
                         "answers), off.")
    studio_url: str | None = STUDIO_URL(None, show_default=False)

    def __post_init__(self) -> None:
        if self.studio not in STUDIO_MODES:
            raise ConfigError(f"--studio must be one of {', '.join(STUDIO_MODES)}, found {self.studio!r}")
        check_fields(self)
        self.seeds_dir = find_seeds(self.seeds_dir)
        self.studio_url = connection.studio_url(self.studio_url)
        if self.actors is None:
            found = sorted(self.seeds_dir.glob("*.actors.yaml"))
            if len(found) != 1:
                raise ConfigError(f"expected exactly one *.actors.yaml in {self.seeds_dir}, found {len(found)}; "
                                  "pass --actors FILE")
            self.actors = found[0]
        self.actors = Path(self.actors)

    @property
    def coverage(self) -> list[Path]:
        """The seed folder's coverage files (its README and dictionary are not coverage)."""
        from stancekit.readers import scan_inputs

        files = scan_inputs([self.seeds_dir]).files
        if not files:
            raise ConfigError(f"no coverage in {self.seeds_dir}: expected .txt, .jsonl or .csv articles")
        return files


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
    from stancekit.actors import ActorDictionary, DictionaryMatcher
    from stancekit.pipeline import iter_sentences
    from stancekit.readers import iter_documents

    dictionary = ActorDictionary.load(config.actors)
    documents = list(iter_documents(config.coverage))
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
class StanceOutcome:
    """The quick model, the tagged seed and the report on it."""

    model_dir: Path
    model_name: str
    tags: Path
    report_html: Path
    by_actor: list[dict[str, Any]]  # the report's stance-per-actor rows, most mentioned first
    method_note: str  # how the shares were made (corrected with which calibration, or why not)


def tag_seed(config: DemoConfig) -> StanceOutcome:
    """Train (or reuse) the quick stance model, then tag the seed coverage and report on it."""
    from stancekit.demo.quick_model import QuickModelConfig, quick_stance_model
    from stancekit.reporting import ReportConfig, build_report
    from stancekit.tagging.job import TagConfig, tag

    quick = QuickModelConfig(output=REPO / "models" / "demo-baseline", newsmtsc=find_newsmtsc(),
                             gold=find_gold_datasets(REPO / "datasets"))
    classifier = quick_stance_model(quick)
    tags = config.output_dir / "tags.jsonl"
    report_dir = config.output_dir / "report"
    tag(TagConfig(inputs=config.coverage, model=quick.output, actors=config.actors, output=tags, progress=False))
    report = build_report(ReportConfig(tags=tags, output_dir=report_dir, actors=config.actors))
    if report.calibration:
        note = (f"shares corrected for the classifier's errors ({report.method}) measured on "
                f"{report.calibration['description']}; rows under 10 mentions show no share")
    else:
        note = "shares NOT corrected for the classifier's errors (see the warning above)"
    return StanceOutcome(quick.output, classifier.name, tags, report_dir / "report.html",
                         report.tables["stance_by_actor"], note)


def find_newsmtsc() -> Path | None:
    """``$STANCEKIT_SHARED/datasets/newsmtsc`` or ``../shared/datasets/newsmtsc`` beside the checkout."""
    shared = Path(os.environ.get("STANCEKIT_SHARED", REPO.parent / "shared"))
    path = shared / "datasets" / "newsmtsc"
    return path if (path / "train.jsonl").is_file() else None


def find_gold_datasets(root: Path) -> list[Path]:
    """The gold dataset folders under ``root`` (e.g. ``datasets/seed-gold``)."""
    from stancekit.gold.dataset import find

    return find(root) if root.is_dir() else []
