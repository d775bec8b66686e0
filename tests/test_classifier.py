"""The public model API: load_model and predict_stance on the shared tiny models; clear load errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from stancekit.models import InferenceOptions, load_model
from stancekit.errors import ConfigError
from stancekit.labels import STANCE_LABELS
from stancekit.records import Mention, Sentence

CPU = InferenceOptions(device="cpu")
CPU_ONE = InferenceOptions(device="cpu", batch_size=1)
TEXT = "Armenia praised the ceasefire while Azerbaijan shelled villages near Stepanakert."


def two_actor_sentences() -> list[Sentence]:
    mentions = (Mention("armenia", 0, 7, "Armenia"), Mention("azerbaijan", 36, 46, "Azerbaijan"))
    return [Sentence("doc", 0, 0, len(TEXT), TEXT, mentions), Sentence("doc", 1, 0, 12, "No actor here", ())]


@pytest.mark.parametrize("fixture", ["tiny_stance_model_dir", "baseline_stance_model_dir"])
def test_predict_stance_gives_one_distribution_per_mention(fixture: str, request: pytest.FixtureRequest) -> None:
    classifier = load_model(request.getfixturevalue(fixture), InferenceOptions(device="cpu", batch_size=4))
    assert classifier.task == "stance"
    assert set(classifier.labels) == set(STANCE_LABELS)
    assert classifier.name.startswith(Path(request.getfixturevalue(fixture)).name + "@")
    result = classifier.predict_stance(two_actor_sentences())
    assert [len(r) for r in result] == [2, 0]
    for probs in result[0]:
        assert list(probs) == list(classifier.labels)
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ConfigError, match="stance model"):
        classifier.predict_sentiment(two_actor_sentences())


def test_batching_does_not_change_predictions(tiny_stance_model_dir: Path, newsmtsc_dir: Path) -> None:
    from stancekit.examples import read_newsmtsc

    sentences = [ex.sentence for ex in read_newsmtsc(newsmtsc_dir / "dev_mt.jsonl")[:20]]
    one = load_model(tiny_stance_model_dir, CPU_ONE).predict_stance(sentences)
    many = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu", batch_size=16)).predict_stance(sentences)
    for a_sentence, b_sentence in zip(one, many):
        for a, b in zip(a_sentence, b_sentence):
            assert a == pytest.approx(b, abs=1e-4)


def test_the_transformer_is_target_aware(tiny_stance_model_dir: Path) -> None:
    """Two mentions of one sentence get different inputs, hence (in general) different scores."""
    result = load_model(tiny_stance_model_dir, CPU).predict_stance(two_actor_sentences())
    assert result[0][0] != result[0][1]


@pytest.mark.parametrize("fixture, missing", [("tiny_stance_model_dir", "head.safetensors"),
                                              ("tiny_stance_model_dir", "model.safetensors"),
                                              ("baseline_stance_model_dir", "baseline.npz")])
def test_a_partial_directory_names_the_missing_file(fixture: str, missing: str, request: pytest.FixtureRequest,
                                                    tmp_path: Path) -> None:
    copy = tmp_path / "partial"
    shutil.copytree(request.getfixturevalue(fixture), copy)
    (copy / missing).unlink()
    with pytest.raises(ConfigError, match=f"partial model directory: {missing}"):
        load_model(copy)


def test_a_head_that_does_not_fit_is_refused(tiny_stance_model_dir: Path, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    from stancekit.models.manifest import describe_files

    copy = tmp_path / "bad-head"
    shutil.copytree(tiny_stance_model_dir, copy)
    save_file({"1.weight": torch.zeros(3, 384), "1.bias": torch.zeros(3)}, str(copy / "head.safetensors"))
    manifest = json.loads((copy / "stancekit.json").read_text())  # a manifest that agrees with the new head
    manifest["files"] = describe_files(copy)
    (copy / "stancekit.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match=r"head\.safetensors: does not fit this model's head .*size mismatch.*retrain"):
        load_model(copy, CPU)


def test_a_directory_without_manifest_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match="stancekit.json is missing"):
        load_model(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_model(tmp_path / "nowhere")


@pytest.mark.parametrize("change, message", [
    ({"format_version": 99}, "model format 99"),
    ({"labels": ["favor", "against", "unclear"]}, "label-scheme mismatch"),
    ({"task": "emotion"}, "unknown task"),
])
def test_a_mismatched_manifest_is_refused(change: dict, message: str, baseline_stance_model_dir: Path,
                                          tmp_path: Path) -> None:
    copy = tmp_path / "mismatched"
    shutil.copytree(baseline_stance_model_dir, copy)
    manifest = json.loads((copy / "stancekit.json").read_text()) | change
    (copy / "stancekit.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match=message):
        load_model(copy)


def test_markers_and_token_spans_cover_each_mention() -> None:
    from transformers import AutoTokenizer

    from stancekit.models.encoding import build_rows, mark_mentions
    from stancekit.models.transformer import default_base_model

    text = "Putin met Erdogan; Putin smiled."
    marked, spans = mark_mentions(text, [(0, 5), (10, 17), (0, 5)])
    assert marked == "[ Putin ] met [ Erdogan ]; Putin smiled."
    assert [marked[s:e] for s, e in spans] == ["[ Putin ]", "[ Erdogan ]", "[ Putin ]"]
    tokenizer = AutoTokenizer.from_pretrained(default_base_model())
    mentions = (Mention("putin", 0, 5, "Putin"), Mention("erdogan", 10, 17, "Erdogan"), Mention("putin", 19, 24, "Putin"))
    sentence = Sentence("d", 0, 0, len(text), text, mentions)
    (row,) = build_rows(tokenizer, [sentence], "span-pool", 64)
    pieces = [tokenizer.decode(row.input_ids[s:e]) for s, e in row.spans]
    assert pieces == ["[ putin ]", "[ erdogan ]", "[ putin ]"] and row.slots == [(0, 0), (0, 1), (0, 2)]
    pair_rows = build_rows(tokenizer, [sentence], "pair", 64)
    assert [tokenizer.decode(r.input_ids[s:e]) for r in pair_rows for s, e in r.spans] == pieces
    assert len(pair_rows) == 3  # one encoder row per mention


def long_sentence(clauses: int = 80) -> Sentence:
    """One sentence of ~1,000 tokens with a mention in every clause, each clause saying something else."""
    names, verbs = ["Armenia", "Azerbaijan", "Turkey", "Russia"], ["praised", "condemned", "shelled", "supported"]
    text, mentions = "", []
    for i in range(clauses):
        name = names[i % 4]
        mentions.append(Mention(name.lower(), len(text), len(text) + len(name), name))
        text += f"{name} {verbs[(i // 4) % 4]} the uncharacteristically fragile ceasefire near village {i}, "
    return Sentence("long", 0, 0, len(text), text.rstrip(", "), tuple(mentions))


@pytest.mark.parametrize("scheme", ["span-pool", "pair"])
def test_every_mention_of_a_long_sentence_is_encoded_in_its_own_window(scheme: str) -> None:
    from transformers import AutoTokenizer

    from stancekit.models.encoding import build_rows
    from stancekit.models.transformer import default_base_model, labelled_rows
    from stancekit.records import Example

    tokenizer = AutoTokenizer.from_pretrained(default_base_model())
    sentence = long_sentence()
    assert len(tokenizer(sentence.text)["input_ids"]) > 900
    for rows in (build_rows(tokenizer, [sentence], scheme, 64),
                 labelled_rows(tokenizer, [Example(sentence, ("neutral",) * 80, None)], task="stance", scheme=scheme,
                               max_length=64)):
        assert sorted(slot for row in rows for slot in row.slots) == [(0, i) for i in range(80)]
        for row in rows:
            assert len(row.input_ids) <= 64
            for (_, mi), (start, end) in zip(row.slots, row.spans):
                assert tokenizer.decode(row.input_ids[start:end]) == f"[ {sentence.mentions[mi].text.lower()} ]"
        middle = next(row for row in rows if row.slots == [(0, 40)])
        assert "village 40" in tokenizer.decode(middle.input_ids)  # the mention's own context, around it
    short = Sentence("d", 0, 0, len(TEXT), TEXT, two_actor_sentences()[0].mentions)
    assert len(build_rows(tokenizer, [short], "span-pool", 64)) == 1  # what fits stays one row


def test_mentions_past_the_token_limit_are_scored_not_given_a_constant(tiny_stance_model_dir: Path) -> None:
    classifier = load_model(tiny_stance_model_dir, CPU)
    (scores,) = classifier.predict_stance([long_sentence()])
    tail = {tuple(round(p, 6) for p in probs.values()) for probs in scores[40:]}
    assert len(tail) == 40  # each mention scored on its own words (before: one score for all past token 256)


def test_the_baseline_scores_many_mentions_of_a_sentence_exactly_as_one_by_one(baseline_stance_model_dir: Path,
                                                                                newsmtsc_dir: Path) -> None:
    from stancekit.examples import read_newsmtsc
    from stancekit.models.baseline import LINEAR_FROM

    baseline = load_model(baseline_stance_model_dir)
    sentences = [ex.sentence for ex in read_newsmtsc(newsmtsc_dir / "dev_mt.jsonl") if len(ex.sentence.mentions) > 1]
    many = [Sentence(s.doc_id, s.sent_idx, s.start, s.end, s.text, s.mentions * LINEAR_FROM) for s in sentences[:40]]
    many[0] = Sentence("x", 0, 0, 0, many[0].text, ())
    batch = sentences[:20] + many + [long_sentence(120)] + sentences[20:40]
    together = baseline.mention_probabilities(batch)
    for sentence, probs in zip(batch, together):
        one_by_one = baseline.predict_items([(sentence, i) for i in range(len(sentence.mentions))])
        assert probs.shape == (len(sentence.mentions), 3)
        assert np.abs(probs - one_by_one).max(initial=0.0) < 1e-9


def test_baseline_work_grows_linearly_with_mentions_per_sentence(baseline_stance_model_dir: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Characters fed to the TF-IDF analyzers for one sentence of N mentions: 2N costs about twice N."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    analysed = [0]
    build = TfidfVectorizer.build_analyzer

    def counting(self: TfidfVectorizer):  # noqa: ANN202
        analyzer = build(self)
        return lambda doc: (analysed.__setitem__(0, analysed[0] + len(doc)), analyzer(doc))[1]

    monkeypatch.setattr(TfidfVectorizer, "build_analyzer", counting)
    baseline = load_model(baseline_stance_model_dir)
    work = []
    for clauses in (100, 200, 400):
        analysed[0] = 0
        baseline.predict_stance([long_sentence(clauses)])
        work.append(analysed[0])
    assert work[2] / work[1] < 2.3 and work[1] / work[0] < 2.3  # quadratic: 4x


def test_a_sentence_cut_for_sentiment_is_reported_with_the_count(tiny_sentiment_model_dir: Path,
                                                                 capsys: pytest.CaptureFixture) -> None:
    classifier = load_model(tiny_sentiment_model_dir, CPU)
    short = two_actor_sentences()[0]
    assert len(classifier.predict_sentiment([long_sentence(), short, long_sentence(30)])) == 3
    assert "warning: 2 of 3 sentences are longer than 256 tokens: their sentiment is read from the first 256" \
        in capsys.readouterr().err
    classifier.predict_sentiment([long_sentence()])
    assert "longer than" not in capsys.readouterr().err  # once per model, not per batch
