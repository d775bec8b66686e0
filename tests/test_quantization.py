"""The torch int8 path (the fallback of the ONNX Runtime one, see test_runtime.py): the int8 linear layer is
close to fp32, a row's result does not depend on the rest of its batch, and unsure sentences are redone in fp32."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from stancekit.errors import ConfigError
from stancekit.models import DEFAULT_RECHECK_MARGIN, InferenceOptions, load_model
from stancekit.margins import top_two_margins
from stancekit.models.quantization import Int8Linear, int8_classifier, quantize, quantize_linears
from stancekit.models.recheck import RecheckedClassifier
from stancekit.records import Sentence

CPU = InferenceOptions(device="cpu", precision="fp32", backend="torch")  # the torch fp32 reference


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
    fp32 = load_model(tiny_stance_model_dir, CPU)
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


@pytest.fixture(scope="module")
def seed_mentions(seed_text: str, seed_actors_path) -> list[Sentence]:
    """The seed article's sentences that mention an actor."""
    from stancekit.actors import ActorDictionary, DictionaryMatcher
    from stancekit.pipeline import iter_sentences
    from stancekit.records import Document

    matcher = DictionaryMatcher(ActorDictionary.load(seed_actors_path))
    return [s for s in iter_sentences([Document(id="seed", text=seed_text)], matcher=matcher) if s.mentions]


def test_unsure_sentences_are_redone_in_fp32_and_sure_ones_keep_int8(tiny_stance_model_dir, seed_mentions) -> None:
    sentences = seed_mentions
    fp32 = load_model(tiny_stance_model_dir, CPU)
    exact = fp32.mention_probabilities(sentences)
    alone = int8_classifier(fp32, recheck_margin=0).mention_probabilities(sentences)
    # a margin in the middle of this (barely trained) model's int8 margins splits the sentences
    least_sure = np.array([top_two_margins(p).min() for p in alone])
    margin = float(np.median(least_sure))
    rechecked = int8_classifier(fp32, recheck_margin=margin)
    assert isinstance(rechecked, RecheckedClassifier) and "+int8" in rechecked.name
    mixed = rechecked.mention_probabilities(sentences)
    redone = least_sure < margin
    assert 0 < redone.sum() < len(sentences) and rechecked.rechecked == redone.sum()
    assert rechecked.seen == len(sentences)
    for got, a, b, redo in zip(mixed, exact, alone, redone):
        np.testing.assert_allclose(got, a if redo else b, rtol=0, atol=1e-6)
    assert any(not np.allclose(a, b, rtol=0, atol=1e-6) for a, b in zip(exact, alone))  # int8 differs from fp32
    everything = int8_classifier(fp32, recheck_margin=1.0).predict_stance(sentences)
    assert everything == fp32.predict_stance(sentences)  # a margin of 1 redoes every sentence


def test_a_recheck_margin_outside_0_to_1_is_refused() -> None:
    with pytest.raises(ConfigError, match="between 0 and 1, found 1.5"):
        InferenceOptions(precision="int8", recheck_margin=1.5)


def test_load_model_applies_int8_from_the_options(tiny_stance_model_dir, baseline_stance_model_dir) -> None:
    rechecked = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu", precision="int8", backend="torch"))
    assert isinstance(rechecked, RecheckedClassifier) and rechecked.margin == DEFAULT_RECHECK_MARGIN
    assert rechecked.runtime["backend"] == "torch" and rechecked.runtime["precision"] == "int8"
    assert rechecked.runtime["recheck_margin"] == DEFAULT_RECHECK_MARGIN
    assert rechecked.runtime["chosen_by"].startswith("--precision int8")
    alone = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu", precision="int8", recheck_margin=0,
                                                               backend="torch"))
    assert alone.name.endswith("+int8") and any(isinstance(m, Int8Linear) for m in alone.model.modules())
    with pytest.raises(ConfigError, match="baseline model; --precision int8 applies to transformer models only"):
        load_model(baseline_stance_model_dir, InferenceOptions(precision="int8"))


def test_sentiment_models_are_rechecked_per_sentence(tiny_sentiment_model_dir, seed_mentions) -> None:
    fp32 = load_model(tiny_sentiment_model_dir, CPU)
    exact = fp32.sentence_probabilities(seed_mentions)
    redone = int8_classifier(fp32, recheck_margin=1.0)
    np.testing.assert_array_equal(redone.sentence_probabilities(seed_mentions), exact)
    assert redone.rechecked == redone.seen == len(seed_mentions)
    alone = int8_classifier(fp32, recheck_margin=0).sentence_probabilities(seed_mentions)
    assert alone.shape == exact.shape and np.abs(alone - exact).max() < 0.05


def test_the_int8_speed_probe_measures_this_cpu() -> None:
    from stancekit.models.quantization import int8_speedup

    ratio = int8_speedup(rows=64, width=64, repeats=2)
    assert ratio > 0
    capability = torch.backends.cpu.get_cpu_capability()
    if capability in ("DEFAULT", "AVX2"):  # no VNNI/AMX: the slow fallback that makes int8 a slowdown
        assert int8_speedup() < 1
