"""The settings of the Label Studio commands (``ls push|pull|parse|adjudicate|config``) and of ``dataset build``:
light to import, so that the command line reads them without the code that runs the jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stancekit.gold.dataset import EXPORT_FORMATS
from stancekit.gold.voting import POLICIES, Policy
from stancekit.errors import ConfigError
from stancekit.labels import LabelScheme
from stancekit.options import (ACTORS, INPUTS, MODEL, OUTPUT_DIR, PROJECT, SENTIMENT_MODEL, SKIP_BAD, Range,
                               check_fields, nested, option)
from stancekit.paths import PathRule
from stancekit.studio.connection import StudioConnection
from stancekit.studio.pulled import PULLED, pulled_actors, require_pulled, slug


@dataclass
class PushConfig:
    """Which coverage goes to which project, pre-annotated how, in batches of what size."""

    inputs: list[Path] = INPUTS()
    actors: Path = ACTORS()
    project: str = PROJECT()
    # pre-filling answers is a choice per push, never a default from the project file
    model: Path | None = MODEL(None, project_default=False)
    sentiment_model: Path | None = SENTIMENT_MODEL(None, project_default=False)
    prefill: bool = option(True, help="Pre-fill the models' answers (stance per span, sentiment), or pre-annotate "
                           "only the actor spans and keep the answers hidden (the agreement report then shows how "
                           "often annotators, unprompted, gave the model's answer).", flags=("--prefill/--spans-only",))
    overlap: int = option(1, help="Annotations wanted per task (Label Studio maximum_annotations).", range=Range(min=1))
    batch_size: int = option(500, help="Tasks per import request.", range=Range(min=1, max=10_000))
    skip_bad: bool = SKIP_BAD(False)
    studio: StudioConnection = nested(StudioConnection)

    def __post_init__(self) -> None:
        self.project = self.project.strip()
        if len(self.project) < 3 or len(self.project) > 50:
            raise ConfigError(f"project title must have 3-50 characters (a Label Studio limit), found {self.project!r}")
        if not self.inputs:
            raise ConfigError("no coverage given: expected one or more files or folders")
        check_fields(self)
        if not self.prefill and not self.models:
            raise ConfigError("--spans-only keeps a model's answers out of the tasks, but no --model was given: "
                              "without a model only the actor spans are pre-annotated anyway; drop --spans-only")

    @property
    def models(self) -> list[Path]:
        """The stance and sentiment model folders given."""
        return [p for p in (self.model, self.sentiment_model) if p is not None]


@dataclass
class PullConfig:
    """Which project to export, where to keep it, and the dictionary for annotator-added spans."""

    project: str = PROJECT()
    out_dir: Path | None = OUTPUT_DIR(None)  # default: datasets/<slug of project>
    actors: Path | None = ACTORS(None)
    studio: StudioConnection = nested(StudioConnection)

    def __post_init__(self) -> None:
        if not self.project.strip():
            raise ConfigError("no project given: expected the Label Studio project title")
        check_fields(self)
        if self.out_dir is None:
            self.out_dir = Path("datasets") / slug(self.project)


@dataclass
class ParseConfig:
    """Which saved export to parse again (offline), into which folder, with which dictionary."""

    export: Path = option(help="A saved full JSON export (raw/export-*.json of a pulled folder).", argument=True,
                          metavar="FILE", path=PathRule("file", "a full JSON export of Label Studio", stream=True))
    out_dir: Path = OUTPUT_DIR()
    actors: Path | None = ACTORS(None)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class AdjudicateConfig:
    """Which pulled project to review, with which dictionary, under which dispute policy."""

    project: str = PROJECT()
    actors: Path | None = ACTORS(None)  # default: the dictionary the pull used (its manifest), if unchanged since
    pulled_dir: Path | None = option(None, help="Folder written by `stancekit ls pull` (default: "
                                     "datasets/<project>).", flags=("--pulled",), metavar="DIR", path=PULLED)
    policy: Policy = option("all", help="all: every disagreement; ties: only units without a majority.")
    batch_size: int = 500
    studio: StudioConnection = nested(StudioConnection)

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ConfigError(f"unknown dispute policy {self.policy!r}; expected one of {POLICIES}")
        check_fields(self)
        self.pulled_dir = self.pulled_dir if self.pulled_dir is not None else Path("datasets") / slug(self.project)
        require_pulled(self.pulled_dir, self.project)
        self.actors = Path(self.actors) if self.actors is not None else pulled_actors(self.pulled_dir)


@dataclass
class LabelingConfigOptions:
    """Which labeling config ``stancekit ls config`` prints: the dictionary's, for a project or its review."""

    actors: Path = ACTORS()
    adjudication: bool = option(False, help="The review project's config (stancekit ls adjudicate).",
                                flags=("--adjudication",))

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class DatasetBuildConfig:
    """Which pulled annotations (and adjudications) become which dataset folder, split how."""

    annotations_dir: Path = option(help="Folder written by `stancekit ls pull` (tasks.jsonl, annotations.jsonl).",
                                   argument=True, metavar="DIR", path=PULLED)
    output: Path = OUTPUT_DIR()
    adjudication_dir: Path | None = option(None, help="Folder pulled from the adjudication project; its answers "
                                           "win.", flags=("--adjudication",), metavar="DIR", path=PULLED)
    validation: float = option(0.1, help="Share of sentences for validation (whole documents).",
                               range=Range(min=0, below=1))
    test: float = option(0.1, help="Share of sentences for test (whole documents).", range=Range(min=0, below=1))
    seed: int = option(13, help="Seed of the document order used for splitting.")
    formats: list[str] = option(default_factory=lambda: ["parquet"], help="Formats to write the splits in (repeat "
                                "the option): parquet, jsonl, csv; Parquet is always written.", flags=("--format",),
                                metavar="FORMAT")  # list[Literal] is beyond typer: checked below (exit 1)
    name: str = ""  # the dataset's name in its card and manifest (default: the output folder's name)
    scheme: LabelScheme = field(default_factory=LabelScheme)

    def __post_init__(self) -> None:
        check_fields(self)
        self.name = self.name or self.output.name
        if not self.name or any(c in self.name for c in "/\\") or self.name.startswith("."):
            raise ConfigError(f"dataset name must be a plain folder name, found {self.name!r}")
        for folder in filter(None, (self.annotations_dir, self.adjudication_dir)):
            require_pulled(folder)
        self.formats = list(dict.fromkeys(("parquet", *self.formats)))
        unknown = [f for f in self.formats if f not in EXPORT_FORMATS]
        if unknown:
            raise ConfigError(f"--format must be one of {', '.join(EXPORT_FORMATS)}, found {', '.join(unknown)}")
        if self.validation + self.test >= 1:
            raise ConfigError(f"validation and test shares must leave room for train, found {self.validation} and "
                              f"{self.test}")

    @property
    def out_dir(self) -> Path:
        return self.output
