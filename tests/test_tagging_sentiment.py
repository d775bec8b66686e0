"""`stancekit tag --sentiment-model`: sentence sentiment beside the per-mention stance."""

from __future__ import annotations

import csv

from stancekit.labels import SENTIMENT_LABELS
from stancekit.tagging import TagConfig, iter_tagged, tag


def test_sentiment_model_scores_every_sentence(tmp_path, seed_text, seed_actors_path, tiny_stance_model_dir,
                                               tiny_sentiment_model_dir):
    source = tmp_path / "seed.txt"
    source.write_text(seed_text, encoding="utf-8")
    for suffix in (".jsonl", ".csv"):
        out = tmp_path / f"tags{suffix}"
        summary = tag(TagConfig(inputs=[source], model=tiny_stance_model_dir, actors=seed_actors_path, output=out,
                                sentiment_model=tiny_sentiment_model_dir, progress=False))
        assert summary.documents == 1
    records = list(iter_tagged(tmp_path / "tags.jsonl"))
    assert len(records) == 58
    for record in records:
        scores = record["sentiment_scores"]
        assert set(scores) == set(SENTIMENT_LABELS) and abs(sum(scores.values()) - 1) < 1e-3
        assert record["sentiment"] == max(scores, key=scores.get)
        assert all(m["stance"] for m in record["mentions"])
    with (tmp_path / "tags.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_sentence = {str(r["sent_idx"]): r["sentiment"] for r in records}
    assert len(rows) == 151  # one row a mention
    assert all(row["sentiment"] == by_sentence[row["sent_idx"]] for row in rows)
    assert {f"sentiment_{label}" for label in SENTIMENT_LABELS} <= set(rows[0])
