"""The whole Label Studio round trip against a real server: push -> two annotators -> pull -> agreement ->
adjudicate -> dataset build, asserting the exact records at each step."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from datasets import ClassLabel

from stancekit.annotation.agreement import agreement
from stancekit.io import read_jsonl
from stancekit.studio.adjudicate import AdjudicateConfig, adjudicate, adjudication_title
from stancekit.gold.dataset import load as load_gold
from stancekit.gold.build import DatasetBuildConfig, build_dataset
from stancekit.studio.pull import PullConfig, pull
from stancekit.studio.push import PushConfig, push
from stancekit.studio.tasks import task_key
from studio_helpers import create_annotation, next_task

pytestmark = pytest.mark.slow

COVERAGE = [
    {"id": "d1", "text": "Russia sent peacekeepers to Karabakh. Azerbaijan shelled Armenian villages, Armenia said. "
                         "The weather was mild.", "outlet": "Test Wire", "date": "2020-10-20", "title": "Truce"},
    {"id": "d2", "text": "Turkey armed Azerbaijan with drones. The Kremlin urged calm.", "outlet": "Test Wire",
     "date": "2020-10-21"},
]
T1, T2, T3, T4 = ("d1", 0, "Russia sent peacekeepers to Karabakh."), \
    ("d1", 1, "Azerbaijan shelled Armenian villages, Armenia said."), \
    ("d2", 0, "Turkey armed Azerbaijan with drones."), ("d2", 1, "The Kremlin urged calm.")
K1, K2, K3, K4 = (task_key(*t) for t in (T1, T2, T3, T4))

# What each annotator answers, per task key: {(start, end): stance}, sentiment, spans dropped, spans added.
ANA = {K1: ({(0, 6): "favor", (28, 36): "neutral"}, "positive"),
       K2: ({(0, 10): "against", (19, 27): "neutral", (38, 45): "neutral"}, "negative"),
       K3: ({(0, 6): "against", (13, 23): "neutral"}, "negative"),
       K4: ({(0, 11): "favor"}, "positive")}
BEN = {K1: ({(0, 6): "favor", (28, 36): "neutral"}, "positive"),
       K2: ({(0, 10): "against", (38, 45): "unclear"}, "negative"),  # drops "Armenian", adds "villages"
       K3: ({(0, 6): "neutral", (13, 23): "neutral"}, "negative"),
       K4: None}  # skipped


def answer(task: dict, stances: dict, sentiment: str, added: list[tuple[int, int, str]] = ()) -> list[dict]:
    """An annotation result as the Label Studio editor sends it: spans, per-region stance, sentiment."""
    result = []
    spans = [(m["start"], m["end"], m["actor"]) for m in task["data"]["mentions"] if (m["start"], m["end"]) in stances]
    for i, (start, end, actor) in enumerate(spans + list(added)):
        text = task["data"]["text"][start:end]
        rid = f"r{i}"
        result.append({"id": rid, "from_name": "actor", "to_name": "text", "type": "labels",
                       "value": {"start": start, "end": end, "text": text, "labels": [actor]}})
        if (start, end) in stances:
            result.append({"id": rid, "from_name": "stance", "to_name": "text", "type": "choices",
                           "value": {"start": start, "end": end, "text": text, "choices": [stances[(start, end)]]}})
    result.append({"id": "sent", "from_name": "sentiment", "to_name": "text", "type": "choices",
                   "value": {"choices": [sentiment]}})
    return result


def annotate_stream(client, project_id: int, plan: dict, lead_time: float) -> list[str]:
    """Work through the label stream like an annotator; returns the task keys served."""
    served = []
    while (task := next_task(client, project_id)) is not None:
        key = task["data"]["task_key"]
        served.append(key)
        if plan[key] is None:
            create_annotation(client, task["id"], [], lead_time=1.0, was_cancelled=True)
            continue
        stances, sentiment = plan[key]
        added = [(28, 36, "other")] if key == K2 and plan is BEN else []
        create_annotation(client, task["id"], answer(task, stances, sentiment, added), lead_time=lead_time)
    return served


@pytest.fixture(scope="module")
def coverage(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("coverage") / "coverage.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in COVERAGE), encoding="utf-8")
    return path


def test_round_trip(studio, annotator_tokens, coverage, seed_actors_path, tmp_path):
    title = f"round trip {secrets.token_hex(3)}"
    config = PushConfig(project=title, inputs=[coverage], actors=seed_actors_path, overlap=2, batch_size=3)
    with studio.client() as admin:
        first = push(config, admin, quiet=True)
        again = push(config, admin, quiet=True)
        tasks = list(admin.iter_tasks(first.project_id))
    assert (first.pushed, first.already_there) == (4, 0)
    assert (again.pushed, again.already_there) == (0, 4)
    assert sorted(t["data"]["task_key"] for t in tasks) == sorted([K1, K2, K3, K4])
    by_key = {t["data"]["task_key"]: t["data"] for t in tasks}
    assert by_key[K2]["before"] == T1[2] and by_key[K2]["after"] == "The weather was mild."
    assert by_key[K1]["byline"] == "Test Wire · 2020-10-20 · Truce · document d1"

    # Overlap 2 in Community Edition: the label stream serves every task to both annotators.
    (ana, ana_token), (ben, ben_token) = sorted(annotator_tokens.items())
    with studio.client(ana_token) as client:
        assert sorted(annotate_stream(client, first.project_id, ANA, lead_time=10.0)) == sorted([K1, K2, K3, K4])
    with studio.client(ben_token) as client:
        assert sorted(annotate_stream(client, first.project_id, BEN, lead_time=20.0)) == sorted([K1, K2, K3, K4])

    out = tmp_path / "pulled"
    with studio.client() as admin:
        heard: list[tuple[str, float]] = []
        pulled = pull(PullConfig(project=title, out_dir=out, actors=seed_actors_path), admin,
                      progress=lambda stage, amount: heard.append((stage, amount)))
    raw = json.loads(pulled.raw_path.read_text(encoding="utf-8"))
    # progress: the snapshot's build (if it took a poll), then the bytes downloaded, up to the file's size
    stages = [stage for stage, _ in heard]
    assert stages == sorted(stages) and stages[-1] == "downloading"
    assert heard[-1][1] == pulled.raw_path.stat().st_size
    assert len(raw) == 4 and pulled.raw_path.parent == out / "raw"

    def rows(who, kind):
        return sorted((r["task_key"], r.get("actor"), r.get("start"), r.get("label"), r.get("origin"))
                      for r in read_jsonl(out / "annotations.jsonl") if r["annotator"] == who and r["kind"] == kind)

    assert rows(ana, "stance") == sorted([
        (K1, "russia", 0, "favor", "prediction"), (K1, "nagorno-karabakh", 28, "neutral", "prediction"),
        (K2, "azerbaijan", 0, "against", "prediction"), (K2, "armenia", 19, "neutral", "prediction"),
        (K2, "armenia", 38, "neutral", "prediction"), (K3, "turkey", 0, "against", "prediction"),
        (K3, "azerbaijan", 13, "neutral", "prediction"), (K4, "russia-gov", 0, "favor", "prediction")])
    assert rows(ben, "stance") == sorted([
        (K1, "russia", 0, "favor", "prediction"), (K1, "nagorno-karabakh", 28, "neutral", "prediction"),
        (K2, "azerbaijan", 0, "against", "prediction"), (K2, "armenia", 38, "unclear", "prediction"),
        (K3, "turkey", 0, "neutral", "prediction"), (K3, "azerbaijan", 13, "neutral", "prediction")])
    assert rows(ben, "span_deleted") == [(K2, "armenia", 19, None, None)]
    assert rows(ben, "skipped") == [(K4, None, None, None, None)]
    assert rows(ana, "sentiment") == sorted([(K1, None, None, "positive", None), (K2, None, None, "negative", None),
                                             (K3, None, None, "negative", None), (K4, None, None, "positive", None)])
    unknown = list(read_jsonl(out / "unknown-actors.jsonl"))
    assert [(u["task_key"], u["annotator"], u["text"], u["label"]) for u in unknown] == [(K2, ben, "villages", "other")]

    records = list(read_jsonl(out / "annotations.jsonl"))
    report = agreement(records)
    # Six stance units have two answers: (f,f) (n,n) (a,a) (n,unclear) (a,n) (n,n). Label totals f2 n6 a3 u1 (n=12),
    # 4 off-diagonal coincidences: alpha = 1 - (n-1) * 4 / (n^2 - sum n_c^2) = 1 - 11 * 4 / 94.
    assert report.units == {"stance": 6, "sentiment": 3}
    assert report.alpha["stance"] == pytest.approx(1 - 44 / 94)
    assert report.alpha["sentiment"] == pytest.approx(1.0)
    # kappa: observed 4/6; chance (f 1x1 + n 3x3 + a 2x1) / 36 = 1/3 -> (2/3 - 1/3) / (2/3)
    assert report.kappa["stance"][0]["kappa"] == pytest.approx(0.5)
    assert report.annotators[ana]["tasks"] == 4 and report.annotators[ben]["skipped"] == 1
    assert report.annotators[ana]["seconds_total"] == 40.0
    assert any("below 0.667" in w for w in report.warnings)

    with studio.client() as admin:
        adj = adjudicate(AdjudicateConfig(project=title, actors=seed_actors_path, pulled_dir=out), admin)
        again = adjudicate(AdjudicateConfig(project=title, pulled_dir=out), admin)  # the pull's dictionary
        review = {t["data"]["task_key"]: t for t in admin.iter_tasks(adj.project_id)}
        assert (adj.disputed, adj.pushed, again.pushed, again.already_there) == (2, 2, 0, 2)
        assert sorted(review) == sorted([K2, K3])
        panel = review[K2]["data"]["answers"]
        assert f"armenia 'Armenian' [19:27]: {ana} = neutral | {ben} = (no span)" in panel
        assert f"armenia 'Armenia' [38:45]: {ana} = neutral | {ben} = unclear" in panel
        # The adjudicator settles K2 only; K3's tie on Turkey stays unresolved.
        full = {"data": review[K2]["data"]}
        create_annotation(admin, review[K2]["id"], answer(full, ANA[K2][0], "negative"), lead_time=30.0)
        adj_out = tmp_path / "adjudicated"
        pull(PullConfig(project=adjudication_title(title), out_dir=adj_out), admin)

    summary = build_dataset(DatasetBuildConfig(annotations_dir=out, adjudication_dir=adj_out,
                                               output=tmp_path / "datasets" / "rt", validation=0.0, test=0.5))
    gold = load_gold(summary.out_dir)
    stance, sentiment = gold["train"].features["mentions"].feature["stance"], gold["train"].features["sentiment"]

    def name(label: ClassLabel, index: int | None) -> str | None:  # labels are ClassLabel indices; null: no label
        return None if index is None else label.int2str(index)

    everything = sorted((row for split in gold.values() for row in split), key=lambda r: r["task_key"])
    got = {r["task_key"]: ([(m["actor"], m["start"], m["end"], name(stance, m["stance"])) for m in r["mentions"]],
                           name(sentiment, r["sentiment"]), json.loads(r["meta"])["gold"]) for r in everything}
    assert got == {
        K1: ([("russia", 0, 6, "favor"), ("nagorno-karabakh", 28, 36, "neutral")], "positive", "majority of 2"),
        K2: ([("azerbaijan", 0, 10, "against"), ("armenia", 19, 27, "neutral"), ("armenia", 38, 45, "neutral")],
             "negative", f"adjudicated by {studio.server.config.username}"),
        K3: ([("turkey", 0, 6, None), ("azerbaijan", 13, 23, "neutral")], "negative", "majority of 2"),
        K4: ([("russia-gov", 0, 11, "favor")], "positive", "majority of 1"),
    }
    docs = {s: {r["doc_id"] for r in gold[s]} for s in gold}
    assert len(gold["train"]) == len(gold["test"]) == 2 and len(gold["validation"]) == 0
    assert docs["train"].isdisjoint(docs["test"])
    manifest = json.loads((summary.out_dir / "stancekit-dataset.json").read_text(encoding="utf-8"))
    assert manifest["adjudicated_sentences"] == 1 and manifest["splits"] == ["train", "test"]
    assert "Krippendorff" in (summary.out_dir / "README.md").read_text(encoding="utf-8")
