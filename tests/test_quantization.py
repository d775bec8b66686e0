"""The int8 linear layer: close to fp32, and a row's result does not depend on the rest of its batch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from stancekit.errors import ConfigError
from stancekit.quantization import Int8Linear, quantize, quantize_linears


@pytest.fixture
def linear() -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(384, 1536)


def test_int8_linear_is_close_to_fp32(linear: nn.Linear) -> None:
    x = torch.randn(4, 37, 384)
    x[0, 3, 17] = 80.0  # an outlier activation, as transformers have
    with torch.inference_mode():
        exact, approx = linear(x), Int8Linear(linear)(x)
    assert approx.shape == exact.shape and approx.dtype == torch.float32
    relative = ((approx - exact).norm(dim=-1) / exact.norm(dim=-1))
    assert relative.max() < 0.06, relative.max()
    # the outlier only coarsens its own token, not the other tokens of the batch
    assert relative[1:].max() < 0.015 and relative[0, 4:].max() < 0.015


def test_a_rows_result_does_not_depend_on_its_batch(linear: nn.Linear) -> None:
    layer = Int8Linear(linear)
    x = torch.randn(8, 384)
    loud = torch.cat([x, 1000 * torch.randn(1, 384)])  # one more row with a huge range
    with torch.inference_mode():
        assert torch.equal(layer(x), layer(loud)[:8])


def test_quantize_replaces_every_encoder_linear_and_keeps_the_head(tiny_stance_model_dir) -> None:
    from stancekit.classifier import load_model

    fp32 = load_model(tiny_stance_model_dir, device="cpu")
    int8 = quantize(fp32)
    linears = [m for m in fp32.model.encoder.modules() if isinstance(m, nn.Linear)]
    assert sum(isinstance(m, Int8Linear) for m in int8.model.encoder.modules()) == len(linears) > 0
    assert not any(isinstance(m, nn.Linear) for m in int8.model.encoder.modules())
    assert isinstance(int8.model.head[1], nn.Linear) and isinstance(fp32.model.encoder, nn.Module)
    assert any(isinstance(m, nn.Linear) for m in fp32.model.encoder.modules())  # the original is untouched


def test_quantize_refuses_what_it_cannot_do() -> None:
    with pytest.raises(ConfigError, match="transformer models only"):
        quantize(object())
    assert quantize_linears(nn.Sequential(nn.ReLU())) == 0
