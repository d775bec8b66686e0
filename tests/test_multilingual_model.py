"""Training and tagging with a multilingual base model through --base-model: a tiny XLM-R made locally
(tests/model_fixtures.py: a Unigram tokenizer trained with ``tokenizers``, a 2-layer XLM-RoBERTa), fine-tuned on
Russian sentences, saved, loaded and run on Russian coverage end to end, on the default path (ONNX Runtime,
precision auto) and on torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.models import InferenceOptions, load_model
from stancekit.models.manifest import Manifest
from stancekit.records import Mention, Sentence

pytestmark = pytest.mark.slow
ACTORS = Path(__file__).parent / "data" / "languages" / "actors.yaml"
COVERAGE = [
    {"id": "ru-1", "text": "Президент России Владимир Путин провёл переговоры с Ильхамом Алиевым. "
                           "Бои в Нагорном Карабахе продолжаются, сообщили в Ереване. Армен Саркисян промолчал."},
    {"id": "ru-2", "text": "🇷🇺 Москва предложила Армении и Азербайджану помощь. Эрдоган позвонил Путину."},
]


def test_the_tiny_base_is_an_xlm_r_with_exact_offsets(tiny_multilingual_base_dir: Path) -> None:
    from transformers import AutoConfig, AutoTokenizer

    assert AutoConfig.from_pretrained(tiny_multilingual_base_dir).model_type == "xlm-roberta"
    tokenizer = AutoTokenizer.from_pretrained(tiny_multilingual_base_dir)
    assert tokenizer.is_fast and "token_type_ids" not in tokenizer.model_input_names
    for text in ("Бои в Нагорном Карабахе", "Մարտերը Լեռնային Ղարաբաղում", "Rusiyanın mövqeyi"):
        encoded = tokenizer(text, return_offsets_mapping=True, add_special_tokens=False)
        covered = {i for s, e in encoded["offset_mapping"] for i in range(s, e)}
        assert covered == {i for i, ch in enumerate(text) if not ch.isspace()}  # offsets index the characters


def test_trained_with_the_multilingual_base_and_loaded(tiny_multilingual_model_dir: Path,
                                                       tiny_multilingual_base_dir: Path) -> None:
    manifest = Manifest.read(tiny_multilingual_model_dir)
    assert manifest.kind == "transformer" and manifest.base_model == str(tiny_multilingual_base_dir)
    config = json.loads((tiny_multilingual_model_dir / "config.json").read_text(encoding="utf-8"))
    assert config["stancekit"]["encoder_model_type"] == "xlm-roberta"
    sentence = Sentence("d", 0, 0, 36, "Путину позвонил Эрдоган из Анкары.",
                        (Mention("putin", 0, 6, "Путину"), Mention("erdogan", 16, 23, "Эрдоган")))
    torch_model = load_model(tiny_multilingual_model_dir, InferenceOptions(device="cpu", backend="torch",
                                                                            precision="fp32"))
    onnx_model = load_model(tiny_multilingual_model_dir, InferenceOptions(device="cpu", backend="onnxruntime",
                                                                           precision="fp32"))
    assert onnx_model.runtime["backend"] == "onnxruntime"
    exact, fast = torch_model.mention_probabilities([sentence]), onnx_model.mention_probabilities([sentence])
    assert exact[0].shape == (2, 3) and np.allclose(exact[0].sum(axis=1), 1.0)
    assert np.abs(exact[0] - fast[0]).max() < 1e-4


@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_tag_russian_coverage_end_to_end(tiny_multilingual_model_dir: Path, tmp_path: Path, backend: str) -> None:
    coverage = tmp_path / "ru.jsonl"
    coverage.write_text("".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in COVERAGE), encoding="utf-8")
    out = tmp_path / "tags.jsonl"
    result = CliRunner().invoke(app, ["tag", str(coverage), "-m", str(tiny_multilingual_model_dir), "-a", str(ACTORS),
                                      "-o", str(out), "--backend", backend, "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "runs on torch, not ONNX Runtime" not in result.stderr  # the XLM-R export checks out
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    mentions = [(m["text"], m["actor"], m["stance"]) for r in records for m in r["mentions"]]
    assert [(text, actor) for text, actor, _ in mentions] == [
        ("России", "russia"), ("Владимир Путин", "putin"), ("Ильхамом Алиевым", "aliyev"),
        ("Нагорном Карабахе", "karabakh"), ("Ереване", "armenia"),
        ("Москва", "russia-gov"), ("Армении", "armenia"), ("Азербайджану", "azerbaijan"),
        ("Эрдоган", "erdogan"), ("Путину", "putin")]
    assert {stance for _, _, stance in mentions} <= {"against", "neutral", "favor"}
    for record in records:
        assert record["meta"]["language"] == "ru"
        for m in record["mentions"]:
            assert record["text"][m["start"]:m["end"]] == m["text"]
            assert abs(sum(m["scores"].values()) - 1.0) < 1e-3
