"""How a model runs at inference: one value, applied when the model is loaded (:func:`load_model`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from stancekit.errors import ConfigError
from stancekit.options import DEVICE, Range, check_fields, option

Precision = Literal["auto", "fp32", "int8"]
PRECISIONS: tuple[str, ...] = get_args(Precision)
Backend = Literal["auto", "onnxruntime", "torch"]
BACKENDS: tuple[str, ...] = get_args(Backend)
DEFAULT_RECHECK_MARGIN = 0.1  # twice int8's 99th-percentile probability change on the validation split (bench/int8_recheck.py)


@dataclass(frozen=True)
class InferenceOptions:
    """Where and how a loaded model predicts.

    - ``device``: ``auto`` (a GPU when present), ``cpu``, ``cuda``, ``cuda:N``;
    - ``batch_size``: items per forward pass: mentions for a stance model, sentences for a sentiment model;
    - ``precision``: ``auto`` (int8 where a millisecond probe finds int8 products faster than fp32 on this
      CPU, else fp32), ``fp32`` or ``int8`` (transformers on CPU; see :mod:`stancekit.models.runtime`);
    - ``backend``: ``auto`` (ONNX Runtime on CPU, torch on a GPU), ``onnxruntime`` or ``torch``;
    - ``recheck_margin``: with int8, sentences whose top two labels are closer than this are redone in
      fp32 (0: never).
    """

    device: str = DEVICE("auto")
    batch_size: int = option(64, help="Mentions (stance) or sentences (sentiment) per model batch.",
                             range=Range(min=1))
    precision: Precision = option("auto", help="auto (int8 where a quick probe finds it faster on this CPU, else "
                                  "fp32), fp32, or int8 (transformer on CPU; unsure sentences redone in fp32).")
    backend: Backend = option("auto", help="auto (ONNX Runtime on CPU, torch on GPU), onnxruntime, or torch.")
    recheck_margin: float = option(DEFAULT_RECHECK_MARGIN, help="With int8: redo in fp32 the sentences whose top "
                                   "two labels are closer than this (0: never).", range=Range(min=0, max=1))

    def __post_init__(self) -> None:
        check_fields(self)
        if self.precision not in PRECISIONS:
            raise ConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, found {self.precision!r}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, found {self.backend!r}")
