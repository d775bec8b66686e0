"""How a model runs at inference: one value, applied when the model is loaded (:func:`load_model`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from stancekit.errors import ConfigError
from stancekit.options import option

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

    device: str = option("auto", help="auto (GPU when present), cpu, cuda, cuda:1...")
    batch_size: int = option(64, help="Mentions (stance) or sentences (sentiment) per model batch.")
    precision: Precision = option("auto", help="auto (int8 where a quick probe finds it faster on this CPU, else "
                                  "fp32), fp32, or int8 (transformer on CPU; unsure sentences redone in fp32).")
    backend: Backend = option("auto", help="auto (ONNX Runtime on CPU, torch on GPU), onnxruntime, or torch.")
    recheck_margin: float = option(DEFAULT_RECHECK_MARGIN, help="With int8: redo in fp32 the sentences whose top "
                                   "two labels are closer than this (0: never).")

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, found {self.batch_size}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, found {self.precision!r}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, found {self.backend!r}")
        if not 0.0 <= self.recheck_margin <= 1.0:
            raise ConfigError(f"--recheck-margin is a probability gap between 0 and 1, found {self.recheck_margin}; "
                              f"use {DEFAULT_RECHECK_MARGIN} (the default) or 0 for int8 alone")
