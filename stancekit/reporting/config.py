"""What ``stancekit report`` reads and how it estimates (kept light: the CLI imports it for ``--help``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from stancekit.errors import ConfigError
from stancekit.examples import DATA_FORMATS, DataFormat
from stancekit.options import ACTORS, MODEL, OUTPUT_DIR, SKIP_BAD, Range, check_fields, option
from stancekit.paths import PathRule
from stancekit.tagging.formats import TAGGED

LABELLED = PathRule("file-or-folder", "labelled mentions: a gold dataset folder or file, or a NewsMTSC file or folder")

Method = Literal["emq", "pacc", "acc", "cc"]  # stancekit.reporting.em (emq), stancekit.reporting.estimate (the rest)
METHODS: tuple[str, ...] = get_args(Method)
DEFAULT_METHOD: Method = "emq"  # chosen on held-out NewsMTSC by bench/report_accuracy.py (docs/report-accuracy.md)


@dataclass
class ReportConfig:
    """Which tagged records to summarise, how to correct them, and where the report goes."""

    tags: list[Path] = option(help="Output(s) of `stancekit tag` (.jsonl, .csv or .parquet).", argument=True,
                              metavar="FILE...", path=TAGGED)
    output_dir: Path = OUTPUT_DIR()
    # not the project file's: by default the dictionary and model the tags' provenance names
    actors: Path | None = ACTORS(None, project_default=False)
    calibration: list[Path] | None = option(
        None, help="Labelled mentions from your own coverage (a gold dataset from `stancekit dataset build`, or "
        "any file `stancekit evaluate --data` reads) to measure the classifier's errors on (default: the model "
        "folder's held-out predictions); repeat to pool.", metavar="PATH", path=LABELLED)
    calibration_format: DataFormat = option("auto", help="Format of --calibration: auto, newsmtsc or gold.")
    model: Path | None = MODEL(None, project_default=False)
    method: Method = option(DEFAULT_METHOD, help="emq (expectation maximisation on recalibrated probabilities), "
                            "pacc (probabilistic adjusted classify and count), acc, or cc (uncorrected counts).")
    confidence: float = option(0.95, help="Confidence level of the intervals (0-1, exclusive).",
                               range=Range(above=0, below=1))
    replicates: int = option(1000, help="Bootstrap replicates for the intervals.", range=Range(min=100))
    min_mentions: int = option(10, help="Cells with fewer mentions show their count and no share.",
                               range=Range(min=1))
    top_k: int = option(5, help="Most confident favor/against sentences per actor.", range=Range(min=0))
    seed: int = option(0, help="Random seed of the bootstrap (the same seed gives the same report).")
    allow_mixed: bool = option(False, help="Allow tags made with different models or dictionaries (each is named "
                               "in the report).", flags=("--allow-mixed",))
    skip_bad: bool = SKIP_BAD(False)  # skipped records are counted in the report's provenance
    title: str = option("Stance per actor", help="Title of the HTML page.")

    def __post_init__(self) -> None:
        if isinstance(self.tags, (str, Path)):
            self.tags = [self.tags]
        self.tags = [Path(p) for p in self.tags]
        if not self.tags:
            raise ConfigError("no tags given: expected one or more outputs of `stancekit tag`")
        if self.calibration is not None:
            self.calibration = [Path(p) for p in self.calibration] or None
        check_fields(self)
        if self.method not in METHODS:
            raise ConfigError(f"--method must be one of {', '.join(METHODS)}, found {self.method!r}")
        if self.calibration_format not in DATA_FORMATS:
            raise ConfigError(f"--calibration-format must be one of {', '.join(DATA_FORMATS)}, "
                              f"found {self.calibration_format!r}")
