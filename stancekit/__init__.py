"""stancekit: measured stance toward each actor in news coverage of armed conflicts.

The public API (imported on first use, so that ``import stancekit`` stays light):

- ``load_model(path, options=None)``: a trained model folder as a predictor
  (:func:`stancekit.models.load_model`; ``options`` is an :class:`InferenceOptions`);
- ``TrainConfig`` and ``train(config)``: fit a stance or sentiment classifier and save its folder
  (:mod:`stancekit.training`);
- ``TagConfig`` and ``tag(config)``: tag coverage with a stance (and sentiment) model, resumably
  (:mod:`stancekit.tagging`);
- ``ReportConfig`` and ``build_report(config)``: stance per actor, document, outlet and day as
  tables, charts and one HTML page (:mod:`stancekit.reporting`).

Every error stancekit raises on purpose is a :class:`StanceKitError`.
"""

from __future__ import annotations

import importlib
from typing import Any

from stancekit.errors import StanceKitError

__version__ = "0.1.0"

_PUBLIC = {
    "load_model": "stancekit.models.loading",
    "InferenceOptions": "stancekit.models.options",
    "TrainConfig": "stancekit.training",
    "train": "stancekit.training",
    "TagConfig": "stancekit.tagging.job",
    "tag": "stancekit.tagging.job",
    "ReportConfig": "stancekit.reporting",
    "build_report": "stancekit.reporting",
}

__all__ = ["StanceKitError", "__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'stancekit' has no attribute {name!r}")
