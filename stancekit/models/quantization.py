"""The torch int8 path (the fallback when ONNX Runtime is not used): the encoder's linear layers as int8 x int8
matrix products.

Each ``nn.Linear`` of the encoder becomes an :class:`Int8Linear`: its weights are stored in int8
with one scale per output unit, and its input is quantized on the fly with one scale per token
(W8A8, per-channel weights and per-token activations, as in LLM.int8/SmoothQuant's baselines). The
product runs in int32 (``torch._int_mm``) and is rescaled to fp32; attention, layer norms, the
pooling and the head stay fp32. :mod:`stancekit.models.onnx_graph` does the same arithmetic in ONNX.

Why per token: PyTorch's dynamic quantization (``torch.ao``) gives the whole batch one activation
scale, so a single token with a large activation (transformers have a few such outlier channels),
or a padded row, coarsens every other token's quantization; predictions then depend on which
sentences share a batch. With one scale per token each token keeps its own range and a sentence's
result does not depend on its batch.

``torch._int_mm`` is fast only where oneDNN has int8 kernels for the CPU (measured: about as fast as
fp32 on an AMX machine, 45x slower on an AVX2 one), so ``--precision auto`` probes it
(:func:`int8_speedup`) before choosing it; sentences int8 is unsure of are redone in fp32
(:class:`stancekit.models.recheck.RecheckedClassifier`).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from stancekit.errors import ConfigError
from stancekit.models.base import Predictor
from stancekit.models.options import DEFAULT_RECHECK_MARGIN
from stancekit.models.recheck import RecheckedClassifier


class Int8Linear(nn.Module):
    """``y = x W^T + b`` with int8 weights (a scale per output unit) and int8 inputs (a scale per token)."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        weight = linear.weight.detach().float()
        scale = weight.abs().amax(dim=1).clamp(min=1e-8) / 127.0
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight_t", torch.round(weight / scale[:, None]).to(torch.int8).t().contiguous())
        self.register_buffer("weight_scale", scale)
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).float()
        scale = rows.abs().amax(dim=1, keepdim=True).clamp_(min=1e-8).div_(127.0)
        quantized = torch.div(rows, scale).round_().to(torch.int8)
        out = torch._int_mm(quantized, self.weight_t).to(torch.float32)
        out.mul_(scale).mul_(self.weight_scale)
        if self.bias is not None:
            out.add_(self.bias)
        return out.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 weights and inputs"


def quantize_linears(module: nn.Module) -> int:
    """Replace every ``nn.Linear`` inside ``module`` by an :class:`Int8Linear` in place; return how many."""
    count = 0
    for name, child in module.named_children():
        if isinstance(child, nn.Linear):
            setattr(module, name, Int8Linear(child))
            count += 1
        else:
            count += quantize_linears(child)
    return count


def quantize(classifier: Any) -> Any:
    """An int8 copy of a transformer classifier (CPU only); the original is left untouched.

    Only the encoder is quantized: the head is small and stays fp32.
    """
    model = getattr(classifier, "model", None)
    if not isinstance(model, nn.Module):
        raise ConfigError(f"{getattr(classifier, 'path', classifier)} is not a transformer model; "
                          "--precision int8 applies to transformer models only (use fp32 for the baseline)")
    device = getattr(classifier, "device", torch.device("cpu"))
    if torch.device(device).type != "cpu":
        raise ConfigError(f"--precision int8 runs on CPU, but the model is on {device}; use --device cpu "
                          "(on a GPU, fp32 is fast enough)")
    try:
        torch._int_mm(torch.ones(32, 8, dtype=torch.int8), torch.ones(8, 8, dtype=torch.int8))
    except (AttributeError, RuntimeError):
        raise ConfigError(f"--precision int8 needs int8 matrix products on CPU (torch._int_mm), which torch "
                          f"{torch.__version__} lacks; upgrade torch or use fp32") from None
    quantized = copy.deepcopy(model)
    if not quantize_linears(quantized.encoder):
        raise ConfigError(f"{classifier.path}: the encoder has no linear layers to quantize; use fp32")
    result = copy.copy(classifier)
    result.model = quantized.eval()
    result.name = f"{classifier.name}+int8"
    return result


def int8_speedup(rows: int = 256, width: int = 384, repeats: int = 3) -> float:
    """How many times faster an int8 matrix product of an encoder layer's shape is than fp32, on this CPU.

    Without AVX512-VNNI or AMX, ``torch._int_mm`` falls back to a slow path (measured on an AVX2 machine:
    about 45x slower than fp32), which makes ``--precision int8`` a slowdown; the probe takes milliseconds.
    """
    a = torch.randint(-127, 127, (rows, width), dtype=torch.int8)
    b = torch.randint(-127, 127, (width, width), dtype=torch.int8)
    af, bf = a.float(), b.float()

    def best(run: Callable[[], Any]) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return min(times)

    return best(lambda: af @ bf) / max(best(lambda: torch._int_mm(a, b)), 1e-9)


def int8_classifier(classifier: Any, *, recheck_margin: float = DEFAULT_RECHECK_MARGIN) -> Predictor:
    """The torch int8 classifier: rechecked in fp32 below ``recheck_margin`` (0: never)."""
    fast = quantize(classifier)
    return RecheckedClassifier(fast, classifier, recheck_margin) if recheck_margin > 0 else fast
