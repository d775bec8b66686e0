"""The training job behind ``stancekit train``: transformer (Trainer) or scikit-learn baseline.

The output directory appears only when training succeeded (written beside it, then moved in);
transformer checkpoints live in ``.<name>.work/`` beside it so that ``--resume`` continues an
interrupted run.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit.errors import ConfigError
from stancekit.evaluation import evaluate_examples, score_labelled
from stancekit.examples import (DATA_FORMATS, DataFormat, ExampleSet, detect_format, load_examples, read_file, require_labels,
                                split_names)
from stancekit.extras import require_extra
from stancekit.labels import TASK_LABELS, Task
from stancekit.models.manifest import DEFAULT_BASE_MODEL, STANCE_SCHEMES, InputScheme
from stancekit.models.manifest import KINDS as MODEL_KINDS
from stancekit.models.manifest import ModelKind
from stancekit.options import DEVICE, OUTPUT_DIR, THREADS, Range, check_fields, check_value, option
from stancekit.paths import PathRule
from stancekit.records import Example

if TYPE_CHECKING:
    from stancekit.models.base import Classifier, Predictor
    from stancekit.models.heldout import LabelledPredictions

TRAINING_DATA = PathRule("file-or-folder", "training data: a NewsMTSC file or folder, or a gold dataset folder")

@dataclass
class TrainConfig:
    """What to train on, which model, and where it lands. Its defaults and ranges are the training defaults of
    every trainer: ``stancekit serve``'s retraining reads them (:func:`training_default`)."""

    data: list[Path] = option(help="Training data: a NewsMTSC folder/file or a gold dataset folder (its train "
                              "split); repeat to combine sources.", flags=("--data", "-d"), path=TRAINING_DATA)
    output: Path = OUTPUT_DIR()
    kind: ModelKind = option("transformer", help="transformer or baseline (scikit-learn).", flags=("--kind",))
    task: Task = option("stance", help="stance (per mention) or sentiment (per sentence).")
    validation: list[Path] | None = option(None, help="Validation data (default: the sources' validation splits, "
                                           "else 10% of train documents).", path=TRAINING_DATA)
    data_format: DataFormat = option("auto", help="auto (by extension/contents), newsmtsc or gold.", flags=("--format",))
    base_model: str = option(DEFAULT_BASE_MODEL, help="Hugging Face id, local folder, or a stancekit transformer "
                             "model to continue from (default: offline all-MiniLM-L6-v2).")
    input_scheme: InputScheme = option("span-pool", help="span-pool (all mentions, one pass) or pair.", flags=("--input",))
    # validation macro-F1 on NewsMTSC dev still rose from epoch 3 to 4 (docs/experiments.md)
    epochs: float = option(4.0, help="Training epochs (early stopping may end sooner).", range=Range(above=0))
    max_steps: int = option(-1, help="Stop after this many steps (-1: no limit).", range=Range(min=-1))
    batch_size: int = option(16, help="Training batch size.", range=Range(min=1))
    learning_rate: float = option(5e-5, help="Peak learning rate.", range=Range(above=0))
    patience: int = option(2, help="Evaluations without macro-F1 gain before stopping.", range=Range(min=1))
    eval_steps: int | None = option(None, help="Evaluate every N steps (default: each epoch).", range=Range(min=1))
    seed: int = option(42, help="Random seed.")
    device: str = DEVICE("auto")
    threads: int | None = THREADS(None)
    resume: bool = option(False, help="Continue from the last checkpoint of an interrupted run.", flags=("--resume",))
    progress: bool = option(True, help="Progress bars on stderr.", flags=("--progress/--no-progress",))
    max_length: int = 256  # encoder tokens per sentence
    max_train_sentences: int | None = None  # the first N training sentences only (tests, benchmarks)

    def __post_init__(self) -> None:
        if not self.data:
            raise ConfigError("no training data given: pass --data with a NewsMTSC folder/file or a gold dataset")
        if self.task not in TASK_LABELS:
            raise ConfigError(f"unknown task {self.task!r}: expected one of {', '.join(TASK_LABELS)}")
        if self.kind not in MODEL_KINDS:
            raise ConfigError(f"unknown model kind {self.kind!r}: expected one of {', '.join(MODEL_KINDS)}")
        if self.data_format not in DATA_FORMATS:
            raise ConfigError(f"unknown data format {self.data_format!r}: expected auto, newsmtsc or gold")
        if self.task == "sentiment":
            self.input_scheme = "sentence"
        elif self.input_scheme not in STANCE_SCHEMES:
            raise ConfigError(f"unknown stance input scheme {self.input_scheme!r}: expected "
                              f"{' or '.join(STANCE_SCHEMES)}")
        if self.max_length <= 0:
            raise ConfigError(f"max length must be positive, got {self.max_length}")
        check_fields(self)
        if self.output.resolve() in {p.resolve() for p in self.data}:
            raise ConfigError(f"output {self.output} is also a data source; choose another output folder")

    @property
    def labels(self) -> tuple[str, ...]:
        return TASK_LABELS[self.task]


def training_default(name: str) -> Any:
    """The default of a :class:`TrainConfig` setting (the one owner of training defaults)."""
    return TrainConfig.__dataclass_fields__[name].default


def check_training(**values: Any) -> None:
    """Check training settings given outside a TrainConfig (serve's) against TrainConfig's declared ranges."""
    for name, value in values.items():
        check_value(TrainConfig.__dataclass_fields__[name], value)


@dataclass
class TrainResult:
    path: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    train_seconds: float = 0.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def hold_out(examples: list[Example]) -> tuple[list[Example], list[Example], str]:
    """Split ~10% off deterministically: by document, or by sentence when there is a single document."""
    by_document = len({ex.sentence.doc_id for ex in examples}) > 1

    def key(ex: Example) -> str:
        return ex.sentence.doc_id if by_document else f"{ex.sentence.doc_id}:{ex.sentence.sent_idx}"

    held = [ex for ex in examples if zlib.crc32(key(ex).encode()) % 10 == 0]
    if not held or len(held) == len(examples):  # a tiny set: take every tenth example instead
        held = examples[::10]
    held_ids = {id(ex) for ex in held}
    kept = [ex for ex in examples if id(ex) not in held_ids]
    return kept, held, "document" if by_document else "sentence"


def load_training_data(config: TrainConfig) -> tuple[ExampleSet, ExampleSet]:
    """Train and validation examples; without a validation source, hold out ~10% of train documents."""
    train = load_examples(config.data, split="train", data_format=config.data_format)
    if config.max_train_sentences is not None:
        train.examples = train.examples[: config.max_train_sentences]
    if config.validation is not None:
        validation = load_examples(config.validation, split="validation", data_format=config.data_format)
    else:
        validation = ExampleSet()
        for path in config.data:
            fmt = detect_format(path) if config.data_format == "auto" else config.data_format
            if path.is_dir() and any((path / name).is_file() for name in split_names("validation", fmt)):
                validation.extend(load_examples([path], split="validation", data_format=fmt))
        if not validation.label_counts(config.task):
            train.examples, held, unit = hold_out(train.examples)
            validation = ExampleSet(held, [], train.formats)
            log(f"no validation split found: holding out {len(held)} training sentences (by {unit})")
    require_labels(train, config.task, what="training")
    require_labels(validation, config.task, what="validation")
    return train, validation


def library_versions() -> dict[str, str]:
    import sklearn
    import torch
    import transformers

    from stancekit import __version__

    return {"stancekit": __version__, "torch": torch.__version__, "transformers": transformers.__version__,
            "scikit-learn": sklearn.__version__, "python": sys.version.split()[0]}


def fit(config: TrainConfig, train: ExampleSet, validation: ExampleSet, work: Path) -> Classifier:
    """Fit the configured model kind on the training examples (validation picks the transformer's checkpoint)."""
    if config.kind == "baseline":
        from stancekit.models.baseline import BaselineClassifier

        return BaselineClassifier.fit(train.examples, task=config.task, seed=config.seed)  # type: ignore[arg-type]
    from stancekit.models.transformer import TransformerClassifier

    return TransformerClassifier.fit(
        train.examples, validation.examples, task=config.task, input_scheme=config.input_scheme,  # type: ignore[arg-type]
        base_model=config.base_model, work_dir=work, epochs=config.epochs, max_steps=config.max_steps,
        batch_size=config.batch_size, learning_rate=config.learning_rate, patience=config.patience,
        eval_steps=config.eval_steps, seed=config.seed, device=config.device, max_length=config.max_length,
        resume=config.resume, progress=config.progress)


def per_source_metrics(classifier: Predictor, validation: ExampleSet,
                       scored: LabelledPredictions) -> dict[str, Any]:
    """Metrics on the whole validation set (``scored``: its predictions) and, with several files, on each."""
    result = {"validation": score_labelled(scored, per_actor=False)}
    for source in validation.sources if len(validation.sources) > 1 else []:
        file = Path(source.path)
        result[f"validation:{file.name}"] = evaluate_examples(classifier, read_file(file), per_actor=False)
    return result


def train(config: TrainConfig) -> TrainResult:
    """Run the job: read data, fit, score on validation, then save weights + ``stancekit.json`` + model card."""
    if config.kind == "transformer":
        require_extra("train")  # before reading anything: the baseline trains with the core alone
    if config.threads is not None:
        import torch

        torch.set_num_threads(config.threads)
    from stancekit.models.folder import write_model_folder
    from stancekit.models.heldout import score_examples

    train_set, validation = load_training_data(config)
    counts = train_set.label_counts(config.task)
    log(f"{len(train_set.examples)} training sentences ({dict(counts)}), {len(validation.examples)} validation")
    work = config.output.with_name(f".{config.output.name}.work")
    if work.exists() and not config.resume:
        shutil.rmtree(work)
    started = time.perf_counter()
    classifier = fit(config, train_set, validation, work)
    seconds = time.perf_counter() - started
    heldout = score_examples(classifier, validation.examples)
    metrics = per_source_metrics(classifier, validation, heldout)
    training = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()
                if k not in ("progress", "output")}
    training |= {"data": [str(p) for p in config.data], "validation": [str(p) for p in config.validation or []],
                 "seconds": round(seconds, 1)}
    write_model_folder(
        config.output, classifier, heldout=heldout, task=config.task, labels=list(config.labels),
        created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        data={"train": [s.to_dict() for s in train_set.sources],
              "validation": [s.to_dict() for s in validation.sources],
              "train_label_counts": dict(counts), "formats": sorted(train_set.formats)},
        training=training, metrics=metrics, versions=library_versions())
    shutil.rmtree(work, ignore_errors=True)
    log(f"saved {config.output} (validation macro-F1 {metrics['validation']['f1_macro']:.4f})")
    return TrainResult(config.output, metrics, seconds)
