"""Model folders both ways: fit, save and load each model kind, and the manifest that describes them.

- :func:`load_model` (``path``, :class:`InferenceOptions`) -> a :class:`Predictor`;
- :class:`Manifest`: ``stancekit.json``, written once by training, read by every loader;
- kinds: :class:`stancekit.models.transformer.TransformerClassifier` (target-aware encoder) and
  :class:`stancekit.models.baseline.BaselineClassifier` (scikit-learn); both serve the stance task
  (per mention) and the sentiment task (per sentence), as the manifest's ``task`` says.

Names are imported on first use, so that importing a light submodule (``stancekit.models.options``)
does not load numpy or torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "Classifier": "stancekit.models.base",
    "Predictor": "stancekit.models.base",
    "load_model": "stancekit.models.loading",
    "MANIFEST": "stancekit.models.manifest",
    "Manifest": "stancekit.models.manifest",
    "DEFAULT_RECHECK_MARGIN": "stancekit.models.options",
    "PRECISIONS": "stancekit.models.options",
    "InferenceOptions": "stancekit.models.options",
}

__all__ = list(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'stancekit.models' has no attribute {name!r}")
