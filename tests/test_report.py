"""`stancekit report`: files exist, open without a server, and their numbers match the tagged records."""

from __future__ import annotations

import csv
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancekit.actors import ActorDictionary
from stancekit.cli import app
from stancekit.errors import ConfigError
from stancekit.io import read_jsonl
from stancekit.reporting import ReportConfig, aggregate, build_report, tables
from stancekit.tagging import TagConfig, tag
from test_tagging import make_coverage

FILES = ("stance_by_actor.csv", "stance_by_actor_document.csv", "stance_by_actor_outlet.csv",
         "stance_by_actor_day.csv", "top_sentences.csv", "stance_by_actor.png", "stance_over_time.png",
         "report.html")


@pytest.fixture(scope="module")
def tagged(tmp_path_factory, seed_text, tiny_stance_model_dir, seed_actors_path) -> Path:
    folder = tmp_path_factory.mktemp("report")
    out = folder / "tags.jsonl"
    tag(TagConfig(inputs=[make_coverage(folder / "news.jsonl", seed_text, 8)], model=tiny_stance_model_dir,
                  actors=seed_actors_path, output=out, progress=False))
    return out


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory, tagged, seed_actors_path) -> Path:
    out = tmp_path_factory.mktemp("report-out")
    result = CliRunner().invoke(app, ["report", str(tagged), "-o", str(out), "-a", str(seed_actors_path)])
    assert result.exit_code == 0, result.output
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_files_exist_and_html_is_self_contained(report_dir):
    for name in FILES:
        assert (report_dir / name).stat().st_size > 0, name
    for png in ("stance_by_actor.png", "stance_over_time.png"):
        assert (report_dir / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "Russia" in page


def test_counts_match_the_tagged_records_rolled_up_the_parent_chain(report_dir, tagged, seed_actors_path):
    dictionary = ActorDictionary.load(seed_actors_path)
    expected: dict[str, Counter] = defaultdict(Counter)
    direct: Counter = Counter()
    for record in read_jsonl(tagged):
        for m in record["mentions"]:
            direct[m["actor"]] += 1
            for actor in [m["actor"], *dictionary.ancestors(m["actor"])]:
                expected[actor][m["stance"]] += 1
    rows = {r["actor"]: r for r in read_csv(report_dir / "stance_by_actor.csv")}
    assert set(rows) == set(expected)
    assert "russia-gov" in rows and int(rows["russia"]["mentions"]) > int(rows["russia"]["direct_mentions"])
    for actor, counts in expected.items():
        row = rows[actor]
        n = sum(counts.values())
        assert int(row["mentions"]) == n and int(row["direct_mentions"]) == direct[actor]
        assert [int(row[label]) for label in ("favor", "against", "neutral")] == \
            [counts["favor"], counts["against"], counts["neutral"]]
        assert float(row["net"]) == pytest.approx((counts["favor"] - counts["against"]) / n, abs=1e-4)
        assert -1 <= float(row["net_low"]) <= float(row["net"]) <= float(row["net_high"]) <= 1
    mentions = [int(r["mentions"]) for r in rows.values()]
    assert mentions == sorted(mentions, reverse=True)  # most-mentioned first


@pytest.mark.parametrize("dimension", ["document", "outlet", "day"])
def test_breakdowns_add_up_to_the_overall_counts(report_dir, dimension):
    overall = {r["actor"]: r for r in read_csv(report_dir / "stance_by_actor.csv")}
    sums: dict[str, Counter] = defaultdict(Counter)
    for row in read_csv(report_dir / f"stance_by_actor_{dimension}.csv"):
        for label in ("favor", "against", "neutral", "mentions"):
            sums[row["actor"]][label] += int(row[label])
    for actor, row in overall.items():
        assert {k: int(row[k]) for k in sums[actor]} == dict(sums[actor])
    if dimension == "day":
        days = {r["day"] for r in read_csv(report_dir / "stance_by_actor_day.csv")}
        assert days == {f"2020-10-{d:02d}" for d in range(1, 5)}


def test_top_sentences_are_the_most_confident(report_dir, tagged, seed_actors_path):
    dictionary = ActorDictionary.load(seed_actors_path)
    best: dict[tuple[str, str], list[float]] = defaultdict(list)
    for record in read_jsonl(tagged):
        for m in record["mentions"]:
            if m["stance"] != "neutral":
                for actor in [m["actor"], *dictionary.ancestors(m["actor"])]:
                    best[(actor, m["stance"])].append(m["scores"][m["stance"]])
    rows = read_csv(report_dir / "top_sentences.csv")
    assert rows
    by_key: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        by_key[(row["actor"], row["stance"])].append(float(row["score"]))
    for key, scores in by_key.items():
        assert scores == sorted(best[key], reverse=True)[:5]


def test_net_interval_math_on_known_counts():
    records = [{"doc_id": "a", "sent_idx": i, "text": "x", "meta": {},
                "mentions": [{"actor": "russia", "start": 0, "end": 1, "text": "x", "stance": stance,
                              "scores": {stance: 0.9}}]}
               for i, stance in enumerate(["favor"] * 6 + ["against"] * 2 + ["neutral"] * 2)]
    row = tables(aggregate(records), confidence=0.95)["stance_by_actor"][0]
    f, a = 7 / 13, 3 / 13  # one pseudo-mention per label
    half = 1.96 * math.sqrt((f + a - (f - a) ** 2) / 10)
    assert row["net"] == 0.4 and row["share_favor"] == 0.6
    assert row["net_low"] == pytest.approx(0.4 - half, abs=1e-4)
    assert row["net_high"] == pytest.approx(0.4 + half, abs=1e-4)
    narrow = tables(aggregate(records), confidence=0.8)["stance_by_actor"][0]  # any level: z from NormalDist
    assert narrow["net_high"] - 0.4 == pytest.approx(1.2816 * half / 1.96, abs=1e-4)
    with pytest.raises(ConfigError, match="between 0 and 1"):
        ReportConfig(tags=Path("t.jsonl"), output_dir=Path("o"), confidence=95)


def test_untagged_input_is_a_clear_error(tmp_path, seed_actors_path):
    plain = tmp_path / "mentions.jsonl"
    plain.write_text(json.dumps({"doc_id": "d", "sent_idx": 0, "start": 0, "end": 6, "text": "Russia",
                                 "mentions": [{"actor": "russia", "start": 0, "end": 6, "text": "Russia"}],
                                 "meta": {}}) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no mention with a stance label"):
        build_report(ReportConfig(tags=plain, output_dir=tmp_path / "out", actors=seed_actors_path))
    result = CliRunner().invoke(app, ["report", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1 and "no such file" in result.stderr
