"""The int8 path for CPU tagging: dynamic quantization of a loaded transformer classifier.

The encoder's ``nn.Linear`` layers get int8 weights (per output channel by default) and
int8 activations quantized on the fly; the classification head stays fp32. Per-channel
scales keep each output unit's own weight range, which loses far less accuracy than one
scale per matrix (the per-tensor variant is kept for comparison: ``per_channel=False``).
Works on the classifier's ``.model`` without changing the training code: the original
classifier is left untouched and a copy with the quantized module is returned.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

from stancekit.errors import ConfigError


def quantize(classifier: Any, *, per_channel: bool = True, keep_fp32: tuple[str, ...] = ("head",)) -> Any:
    """An int8 copy of a transformer ``Classifier`` (CPU only).

    ``keep_fp32`` names module-path prefixes left in fp32 (default: the classification head).
    """
    import torch
    from torch import nn
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    model = getattr(classifier, "model", None)
    if not isinstance(model, nn.Module):
        raise ConfigError(f"{getattr(classifier, 'path', classifier)} is not a transformer model; "
                          "--precision int8 applies to transformer models only (use fp32 for the baseline)")
    device = getattr(classifier, "device", torch.device("cpu"))
    if torch.device(device).type != "cpu":
        raise ConfigError(f"--precision int8 runs on CPU, but the model is on {device}; use --device cpu "
                          "(on a GPU, fp32 is fast enough)")
    qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
    targets = {name: qconfig for name, module in model.named_modules()
               if isinstance(module, nn.Linear) and not name.startswith(keep_fp32)}
    if not targets:
        raise ConfigError(f"{classifier.path}: no linear layers to quantize outside {keep_fp32}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao eager quantization is deprecated in favour of torchao
        quantized = quantize_dynamic(copy.deepcopy(model), targets, dtype=torch.qint8)
    result = copy.copy(classifier)
    result.model = quantized.eval()
    result.name = f"{classifier.name}+int8{'' if per_channel else '-per-tensor'}"
    return result
