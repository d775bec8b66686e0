"""What ``stancekit report`` reads and how it estimates (kept light: the CLI imports it for ``--help``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from stancekit.errors import ConfigError
from stancekit.examples import DATA_FORMATS, DataFormat
from stancekit.options import option

Method = Literal["emq", "pacc", "acc", "cc"]  # stancekit.reporting.em (emq), stancekit.reporting.estimate (the rest)
METHODS: tuple[str, ...] = get_args(Method)
DEFAULT_METHOD: Method = "emq"  # chosen on held-out NewsMTSC by bench/report_accuracy.py (docs/report-accuracy.md)


@dataclass
class ReportConfig:
    """Which tagged records to summarise, how to correct them, and where the report goes."""

    tags: list[Path] = option(help="Output(s) of `stancekit tag` (.jsonl, .csv or .parquet).", argument=True)
    output_dir: Path = option(help="Folder for the tables, charts, HTML page and provenance.",
                              flags=("--output", "-o"))
    actors: Path | None = option(None, help="Actor dictionary: names, and aggregation up the parent chain "
                                 "(default: the one the tags were made with).", flags=("--actors", "-a"))
    calibration: list[Path] | None = option(
        None, help="Labelled mentions from your own coverage (a gold dataset from `stancekit dataset build`, or "
        "any file `stancekit evaluate --data` reads) to measure the classifier's errors on (default: the model "
        "folder's held-out predictions); repeat to pool.")
    calibration_format: DataFormat = option("auto", help="Format of --calibration: auto, newsmtsc or gold.")
    model: Path | None = option(None, help="The model folder that made the tags, when it has moved since "
                                "(default: the path in the tags' provenance).", flags=("--model", "-m"))
    method: Method = option(DEFAULT_METHOD, help="emq (expectation maximisation on recalibrated probabilities), "
                            "pacc (probabilistic adjusted classify and count), acc, or cc (uncorrected counts).")
    confidence: float = option(0.95, help="Confidence level of the intervals (0-1, exclusive).")
    replicates: int = option(1000, help="Bootstrap replicates for the intervals.")
    min_mentions: int = option(10, help="Cells with fewer mentions show their count and no share.")
    top_k: int = option(5, help="Most confident favor/against sentences per actor.")
    seed: int = option(0, help="Random seed of the bootstrap (the same seed gives the same report).")
    allow_mixed: bool = option(False, help="Allow tags made with different models or dictionaries (each is named "
                               "in the report).", flags=("--allow-mixed",))
    skip_bad: bool = option(False, help="Report bad tag records on stderr and go on (counted in the provenance).",
                            flags=("--skip-bad",))
    title: str = option("Stance per actor", help="Title of the HTML page.")

    def __post_init__(self) -> None:
        if isinstance(self.tags, (str, Path)):
            self.tags = [self.tags]
        self.tags = [Path(p) for p in self.tags]
        if not self.tags:
            raise ConfigError("no tags given: expected one or more outputs of `stancekit tag`")
        self.output_dir = Path(self.output_dir)
        self.actors = Path(self.actors) if self.actors is not None else None
        self.model = Path(self.model) if self.model is not None else None
        if self.calibration is not None:
            self.calibration = [Path(p) for p in self.calibration] or None
        if self.method not in METHODS:
            raise ConfigError(f"--method must be one of {', '.join(METHODS)}, found {self.method!r}")
        if self.calibration_format not in DATA_FORMATS:
            raise ConfigError(f"--calibration-format must be one of {', '.join(DATA_FORMATS)}, "
                              f"found {self.calibration_format!r}")
        if not 0 < self.confidence < 1:
            raise ConfigError(f"--confidence is a level between 0 and 1 (e.g. 0.95), found {self.confidence}")
        if self.replicates < 100:
            raise ConfigError(f"--replicates must be at least 100 for a percentile interval, found {self.replicates}")
        if self.min_mentions < 1:
            raise ConfigError(f"--min-mentions must be at least 1, found {self.min_mentions}")
        if self.top_k < 0:
            raise ConfigError(f"--top-k must be >= 0, found {self.top_k}")
