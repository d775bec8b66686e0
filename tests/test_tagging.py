"""`stancekit tag`: output schema per format, resume after a real kill, bad input, int8, speed hygiene."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.cli import app
from stancekit.errors import ConfigError, InputError
from stancekit.io import read_jsonl
from stancekit.labels import STANCE_LABELS
from stancekit.models import InferenceOptions
from stancekit.records import Sentence
from stancekit.tagging import LocalEngine, Models, TagConfig, iter_tagged, load_models, tag, tag_sentences

REPO = Path(__file__).resolve().parent.parent
OUTLETS = ("Daily Planet", "Gazette")


def make_coverage(path: Path, seed_text: str, documents: int, *, bad_line: bool = False) -> Path:
    """Dated, attributed JSONL coverage built from the seed article's paragraphs (deterministic)."""
    paragraphs = [p for p in seed_text.split("\n\n") if p.strip()]
    with path.open("w", encoding="utf-8") as handle:
        for i in range(documents):
            picked = [paragraphs[(i * 3 + k) % len(paragraphs)] for k in range(3)]
            handle.write(json.dumps({"id": f"doc-{i:03d}", "text": "\n\n".join(picked), "outlet": OUTLETS[i % 2],
                                     "date": f"2020-10-{1 + i % 4:02d}"}) + "\n")
            if bad_line and i == 1:
                handle.write('{"id": "broken", "text": ""}\n')
    return path


@pytest.fixture(scope="module")
def coverage(tmp_path_factory, seed_text) -> Path:
    return make_coverage(tmp_path_factory.mktemp("coverage") / "news.jsonl", seed_text, 8)


def run_tag(inputs, model, actors, output, **options) -> list[dict]:
    tag(TagConfig(inputs=inputs, model=model, actors=actors, output=output, progress=False, **options))
    return list(iter_tagged(output))


@pytest.fixture(scope="module")
def tagged_jsonl(tmp_path_factory, coverage, tiny_stance_model_dir, seed_actors_path) -> Path:
    out = tmp_path_factory.mktemp("tagged") / "tags.jsonl"
    run_tag([coverage], tiny_stance_model_dir, seed_actors_path, out, chunk_documents=3)
    return out


def test_jsonl_schema_offsets_and_scores(tagged_jsonl, coverage):
    records = list(read_jsonl(tagged_jsonl))
    texts = {r["id"]: r["text"] for r in read_jsonl(coverage)}
    assert {r["doc_id"] for r in records} == set(texts)
    assert sum(1 for r in records if not r["mentions"]) > 0  # sentences without actors are kept, untagged
    mentions = [m for r in records for m in r["mentions"]]
    assert len(mentions) > 50
    for record in records:
        assert list(record)[:7] == ["doc_id", "sent_idx", "start", "end", "text", "mentions", "meta"]
        assert texts[record["doc_id"]][record["start"]:record["end"]] == record["text"]
        assert record["meta"]["outlet"] in OUTLETS
        for m in record["mentions"]:
            assert record["text"][m["start"]:m["end"]] == m["text"]
            assert set(m["scores"]) == set(STANCE_LABELS) and m["stance"] in STANCE_LABELS
            assert abs(sum(m["scores"].values()) - 1) < 1e-4
            assert m["scores"][m["stance"]] == max(m["scores"].values())


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_csv_and_parquet_hold_the_same_records(suffix, tmp_path, tagged_jsonl, coverage, tiny_stance_model_dir,
                                               seed_actors_path):
    out = tmp_path / f"tags{suffix}"
    records = run_tag([coverage], tiny_stance_model_dir, seed_actors_path, out, chunk_documents=3)
    expected = list(read_jsonl(tagged_jsonl))
    if suffix == ".csv":
        with out.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == sum(len(r["mentions"]) for r in expected)  # one row a mention
        assert list(rows[0])[:9] == ["doc_id", "sent_idx", "sentence_start", "sentence_end", "actor",
                                     "mention_start", "mention_end", "mention_text", "stance"]
        expected = [r for r in expected if r["mentions"]]
    else:
        import pyarrow.parquet as pq

        schema = pq.read_schema(out)
        assert schema.names == ["doc_id", "sent_idx", "start", "end", "text", "mentions", "meta"]
        assert str(schema.field("mentions").type).startswith("list<element: struct<actor: string")
    assert records == expected


def test_sentences_without_mentions_never_reach_the_model(tiny_stance_model_dir, seed_actors_path, coverage):
    from stancekit.actors import ActorDictionary, DictionaryMatcher
    from stancekit.pipeline import iter_sentences
    from stancekit.readers import iter_documents

    models = load_models(tiny_stance_model_dir, None, InferenceOptions(device="cpu"))
    seen: list[Sentence] = []

    class Recording:
        labels = models.stance.labels

        def predict_stance(self, sentences):
            seen.extend(sentences)
            return models.stance.predict_stance(sentences)

    sentences = list(iter_sentences(iter_documents([coverage]),
                                    matcher=DictionaryMatcher(ActorDictionary.load(seed_actors_path))))
    records = tag_sentences(sentences, engine=LocalEngine(Models(stance=Recording())), batch_size=16)
    assert seen and all(s.mentions for s in seen)
    assert len(seen) == sum(1 for s in sentences if s.mentions)
    assert [r["text"] for r in records] == [s.text for s in sentences]


def test_resume_after_kill_gives_identical_output(tmp_path, seed_text, tiny_stance_model_dir, seed_actors_path,
                                                  tagged_jsonl):
    corpus = make_coverage(tmp_path / "big.jsonl", seed_text, 30)
    reference, resumed = tmp_path / "ref.jsonl", tmp_path / "resumed.jsonl"
    common = [str(corpus), "-m", str(tiny_stance_model_dir), "-a", str(seed_actors_path), "--chunk-documents", "2",
              "--no-progress", "--device", "cpu"]
    code = "import sys; from stancekit.cli import main; sys.argv[0] = 'stancekit'; main()"
    args = [sys.executable, "-c", code, "tag", *common]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    subprocess.run([*args, "-o", str(reference)], check=True, env=env, cwd=REPO, capture_output=True)

    work = resumed.with_name(f".{resumed.name}.parts")
    proc = subprocess.Popen([*args, "-o", str(resumed)], env=env, cwd=REPO, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (work / "chunk-00000002.jsonl").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not resumed.exists(), "the job finished before it could be interrupted"
    finished = sorted(work.glob("chunk-*.jsonl"))
    assert 3 <= len(finished) < 15

    result = subprocess.run([*args, "-o", str(resumed)], env=env, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"({2 * len(finished)} resumed)" in result.stderr
    assert resumed.read_bytes() == reference.read_bytes()
    assert not work.exists()


def test_resume_refuses_a_changed_job(tmp_path, coverage, tiny_stance_model_dir, seed_actors_path):
    out = tmp_path / "tags.jsonl"
    config = TagConfig(inputs=[coverage], model=tiny_stance_model_dir, actors=seed_actors_path, output=out,
                       progress=False)
    work = config.work_dir
    work.mkdir()
    (work / "job.json").write_text(json.dumps({"batch_size": 1}), encoding="utf-8")
    with pytest.raises(ConfigError, match="unfinished job with different"):
        tag(config)
    assert not out.exists()


def test_bad_document_is_named_or_skipped(tmp_path, seed_text, tiny_stance_model_dir, seed_actors_path):
    corpus = make_coverage(tmp_path / "news.jsonl", seed_text, 3, bad_line=True)
    out = tmp_path / "tags.jsonl"
    with pytest.raises(InputError, match=r"news\.jsonl:3: empty text"):
        run_tag([corpus], tiny_stance_model_dir, seed_actors_path, out)
    assert not out.exists()
    skipped: list[InputError] = []
    summary = tag(TagConfig(inputs=[corpus], model=tiny_stance_model_dir, actors=seed_actors_path, output=out,
                            skip_bad=True, progress=False), on_bad=skipped.append)
    assert summary.documents == 3 and [e.line for e in skipped] == [3]
    assert {r["doc_id"] for r in read_jsonl(out)} == {"doc-000", "doc-001", "doc-002"}


def test_int8_agrees_with_fp32(tagged_jsonl, tiny_stance_model_dir):
    # The tiny model is barely trained (fp32 margins between its top two labels are ~0.02), so
    # argmax flips are easy; the probabilities themselves must stay close.
    sentences = [Sentence.from_dict(r) for r in read_jsonl(tagged_jsonl) if r["mentions"]]
    fp32 = load_models(tiny_stance_model_dir, None, InferenceOptions(device="cpu", precision="fp32")).stance
    int8 = load_models(tiny_stance_model_dir, None,
                       InferenceOptions(device="cpu", precision="int8", recheck_margin=0)).stance
    assert int8.name.endswith("+int8") and fp32.runtime["precision"] == "fp32" and int8.runtime["precision"] == "int8"
    a = [d for s in fp32.predict_stance(sentences) for d in s]
    b = [d for s in int8.predict_stance(sentences) for d in s]
    agreement = sum(max(x, key=x.get) == max(y, key=y.get) for x, y in zip(a, b)) / len(a)
    gaps = [abs(x[label] - y[label]) for x, y in zip(a, b) for label in x]
    assert agreement >= 0.75, f"int8 agrees with fp32 on only {agreement:.1%} of {len(a)} mentions"
    assert sum(gaps) / len(gaps) < 0.01 and max(gaps) < 0.06, (sum(gaps) / len(gaps), max(gaps))


def test_cli_tag_and_errors(tmp_path, coverage, tiny_stance_model_dir, seed_actors_path, tagged_jsonl):
    runner = CliRunner()
    assert runner.invoke(app, ["tag", "--help"]).exit_code == 0
    out = tmp_path / "tags.jsonl"
    result = runner.invoke(app, ["tag", str(coverage), "-m", str(tiny_stance_model_dir), "-a", str(seed_actors_path),
                                 "-o", str(out), "--no-progress", "--chunk-documents", "3"])
    assert result.exit_code == 0, result.output
    assert "8 document(s)" in result.stderr and out.read_bytes() == tagged_jsonl.read_bytes()
    assert f"model {tiny_stance_model_dir}: onnxruntime " in result.stderr  # the path taken, named once
    bad = runner.invoke(app, ["tag", str(coverage), "-m", str(tiny_stance_model_dir), "-a", str(seed_actors_path),
                              "-o", str(tmp_path / "tags.txt")])
    assert bad.exit_code == 1 and "must end in one of .jsonl, .csv, .parquet" in bad.stderr
