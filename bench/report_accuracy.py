"""How close `stancekit report`'s numbers come to the truth, and how long it takes on a million mentions.

Held-out human-labelled news sentences (default: NewsMTSC dev_rw + dev_mt, which the model never trained
on) are split by document into a calibration half and a test half. From the test half, ``--groups``
"actors" are built whose true stance mix is known and skewed away from the training data's (70/20/10,
80/10/10, 10/45/45 ... in every order), as articles of 2-8 mentions whose own mix varies around the
actor's (so mentions of one article are correlated, as in real coverage). The model's probabilities for
those mentions become a tags file with provenance, exactly as `stancekit tag` writes it, and the real
report job (`build_report`, what `stancekit report` runs) is run on it:

- ``cc``: classify and count (what the report printed before correction);
- ``<method>-heldout``: corrected with the model folder's own held-out predictions (the default path);
- ``<method>-calibration``: corrected with ``--calibration`` = the calibration half (in-domain labels).

For each: MAE of the three shares (mean over actors of the mean absolute error of favor/against/neutral),
coverage of the 95% intervals (share of actors whose true net score, and whose three true shares, lie inside),
mean interval width; over ``--repeats`` independent draws of the groups. EMQ on the probabilities as they are
(QuaPy, point estimates) is computed on the same groups for comparison. Then the report job is timed on
``--scale`` synthetic tagged mentions (documents, outlets, days, a parent chain): in all and per phase
(read, calibration, estimate with its intervals, write), as the job reports them.

    python bench/report_accuracy.py --model models/newsmtsc-minilm [--data ../shared/datasets/newsmtsc]
        [--files dev_rw.jsonl dev_mt.jsonl] [--groups 12] [--repeats 10] [--scale 1000000] [--out FILE]
    python bench/report_accuracy.py --smoke     # seconds: a tiny baseline model, 3 groups, 20k mentions

Prints one JSON object (also written to ``--out``, default bench/results/report_accuracy.json).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from _machine import machine  # noqa: E402  (bench/ is on the path of a script run from it)

# skewed mixes (favor, against, neutral); the training data is about 28/38/34
MIXES = [(0.7, 0.2, 0.1), (0.1, 0.7, 0.2), (0.2, 0.1, 0.7), (0.1, 0.2, 0.7), (0.7, 0.1, 0.2), (0.2, 0.7, 0.1),
         (0.8, 0.1, 0.1), (0.1, 0.8, 0.1), (0.1, 0.1, 0.8), (0.45, 0.45, 0.1), (0.1, 0.45, 0.45), (0.45, 0.1, 0.45)]
LABELS = ("favor", "against", "neutral")
CONCENTRATION = 6.0  # articles' mixes ~ Dirichlet(concentration * actor mix)


def split_halves(examples):
    """Calibration half / test half by document (a stable hash of the document id)."""
    calibration, test = [], []
    for ex in examples:
        (calibration if zlib.crc32(ex.sentence.doc_id.encode()) % 2 == 0 else test).append(ex)
    return calibration, test


def write_newsmtsc(examples, path: Path) -> None:
    """Labelled examples in NewsMTSC's format (what `--calibration` reads)."""
    polarity = {"against": 2.0, "neutral": 4.0, "favor": 6.0}
    with path.open("w", encoding="utf-8") as handle:
        for i, ex in enumerate(examples):
            targets = [{"Input.gid": f"{ex.sentence.doc_id}-{j}", "from": m.start, "to": m.end, "mention": m.text,
                        "polarity": polarity[stance]}
                       for j, (m, stance) in enumerate(zip(ex.sentence.mentions, ex.stances)) if stance is not None]
            if targets:
                handle.write(json.dumps({"primary_gid": ex.sentence.doc_id, "sentence_normalized": ex.sentence.text,
                                         "targets": targets}) + "\n")


def mention_pool(scored, examples):
    """Per gold label, the test mentions: (sentence text, start, end, mention text, probabilities)."""
    lookup = {}
    for ex in examples:
        for m in ex.sentence.mentions:
            lookup[(ex.sentence.doc_id, m.actor)] = (ex.sentence.text, m.start, m.end, m.text)
    pool = {label: [] for label in LABELS}
    for gold, probs, doc, actor in zip(scored.gold, scored.probabilities, scored.doc_ids, scored.actors):
        text, start, end, mention = lookup[(doc, actor)]
        pool[gold].append((text, start, end, mention, {lb: float(p) for lb, p in zip(scored.labels, probs)}))
    return pool


def build_groups(pool, n_groups: int, rng: np.random.Generator, articles: tuple[int, int]):
    """Records of ``n_groups`` actors with skewed true mixes, as articles; and each actor's true shares."""
    records, truth = [], {}
    for g in range(n_groups):
        actor = f"actor-{g:02d}"
        mix = np.array(MIXES[g % len(MIXES)])
        labels = []
        for a in range(int(rng.integers(*articles))):
            article_mix = rng.dirichlet(CONCENTRATION * mix)
            outlet, day = f"outlet-{rng.integers(4)}", f"2020-10-{1 + rng.integers(12):02d}"
            for s in range(int(rng.integers(2, 9))):
                label = LABELS[rng.choice(3, p=article_mix)]
                text, start, end, mention, scores = pool[label][rng.integers(len(pool[label]))]
                stance = max(scores, key=scores.__getitem__)
                records.append({"doc_id": f"{actor}-a{a:02d}", "sent_idx": s, "start": 0, "end": len(text),
                                "text": text, "mentions": [{"actor": actor, "start": start, "end": end, "text": mention,
                                                            "stance": stance, "scores": scores}],
                                "meta": {"outlet": outlet, "date": day}})
                labels.append(label)
        truth[actor] = {label: labels.count(label) / len(labels) for label in LABELS}
    return records, truth


def write_dictionary(path: Path, actors: list[str], *, parents: dict[str, str] | None = None) -> None:
    lines = ["conflict: bench", "actors:"]
    for actor in actors:
        lines += [f"  - id: {actor}", f"    name: Bench {actor.replace('-', ' ').title()}", "    type: other"]
        if parents and actor in parents:
            lines.append(f"    parent: {parents[actor]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_tags(records, path: Path, *, model_dir: Path, dictionary: Path) -> None:
    """A tags file with provenance, as `stancekit tag` writes them."""
    from stancekit import __version__
    from stancekit.io import file_sha256
    from stancekit.models.loading import load_model
    from stancekit.provenance import Provenance, model_record, now, provenance_path

    with path.open("w", encoding="utf-8") as handle:
        for r in records:
            handle.write(json.dumps(r, ensure_ascii=False) + "\n")
    model = load_model(model_dir)
    Provenance(stancekit_version=__version__, started=now(), finished=now(), model=model_record(model),
               runtime={"precision": "fp32"}, actors={"path": str(dictionary.resolve()),
                                                      "sha256": file_sha256(dictionary)},
               inputs={"sha256": "", "files": []},
               output={"path": str(path), "format": "jsonl", "documents": len({r["doc_id"] for r in records}),
                       "sentences": len(records), "mentions": len(records), "skipped_documents": 0}
               ).write(provenance_path(path))


def run_report(tags: Path, out: Path, *, method: str, calibration: Path | None, replicates: int) -> dict:
    from stancekit.reporting import ReportConfig, build_report

    result = build_report(ReportConfig(tags=[tags], output_dir=out, method=method,  # type: ignore[arg-type]
                                       calibration=[calibration] if calibration else None, replicates=replicates,
                                       min_mentions=1, top_k=0))
    return {r["actor"]: r for r in result.tables["stance_by_actor"]}


def score_rows(rows: dict, truth: dict) -> dict:
    errors, net_in, shares_in, widths = [], [], [], []
    for actor, true in truth.items():
        row = rows[actor]
        errors.append(np.mean([abs(row[f"share_{lb}"] - true[lb]) for lb in LABELS]))
        true_net = true["favor"] - true["against"]
        net_in.append(row["net_low"] - 1e-9 <= true_net <= row["net_high"] + 1e-9)
        shares_in.append(all(row[f"share_{lb}_low"] - 1e-9 <= true[lb] <= row[f"share_{lb}_high"] + 1e-9
                             for lb in LABELS))
        widths.append(row["net_high"] - row["net_low"])
    return {"mae": float(np.mean(errors)), "net_covered": int(sum(net_in)), "shares_covered": int(sum(shares_in)),
            "actors": len(truth), "net_width": float(np.mean(widths))}


def emq_mae(records, truth, calibration_scored, train_counts: dict) -> dict:
    """Another EMQ variant's point estimates on the same groups (QuaPy): the model's probabilities as they are,
    not recalibrated."""
    from quapy.method.aggregative import EMQ
    from sklearn.base import BaseEstimator

    class Fitted(BaseEstimator):  # stands for the already trained model: QuaPy reads only its classes
        def __init__(self):
            self.classes_ = np.arange(3)

        def fit(self, X, y):
            return self

        def predict_proba(self, X):
            return X

        def predict(self, X):
            return np.asarray(X).argmax(axis=1)

    order = [calibration_scored.labels.index(lb) for lb in LABELS]
    prior = np.array([train_counts.get(lb, 0) for lb in LABELS], dtype=float)
    emq = EMQ(Fitted(), fit_classifier=False)
    emq.aggregation_fit(calibration_scored.probabilities[:, order],
                        np.array([LABELS.index(g) for g in calibration_scored.gold]))
    emq.train_prevalence = prior / prior.sum()
    errors = []
    for actor, true in truth.items():
        probs = np.array([[r["mentions"][0]["scores"][lb] for lb in LABELS] for r in records
                          if r["mentions"][0]["actor"] == actor])
        estimate = emq.aggregate(probs)
        errors.append(np.mean([abs(estimate[i] - true[lb]) for i, lb in enumerate(LABELS)]))
    return {"emq-untempered": float(np.mean(errors))}


def accuracy(args, model_dir: Path, work: Path) -> dict:
    from stancekit.examples import load_examples
    from stancekit.models.heldout import score_examples
    from stancekit.models.loading import load_model

    files = [args.data / f for f in args.files] if args.data.is_dir() else [args.data]
    examples = load_examples(files, split="test", data_format=args.format).examples
    calibration_examples, test_examples = split_halves(examples)
    calibration_file = work / "calibration.jsonl"
    write_newsmtsc(calibration_examples, calibration_file)
    model = load_model(model_dir)
    test_scored = score_examples(model, test_examples)
    calibration_scored = score_examples(model, calibration_examples)
    pool = mention_pool(test_scored, test_examples)
    rng = np.random.default_rng(args.seed)
    variants = [("cc", "cc", None)] + [(f"{m}-{c}", m, calibration_file if c == "calibration" else None)
                                       for m in ("emq", "pacc", "acc") for c in ("heldout", "calibration")]
    totals: dict[str, list[dict]] = {name: [] for name, _, _ in variants}
    emq = []
    for repeat in range(args.repeats):
        records, truth = build_groups(pool, args.groups, rng, tuple(args.articles))
        dictionary = work / f"actors-{repeat}.yaml"
        write_dictionary(dictionary, sorted(truth))
        tags = work / f"tags-{repeat}.jsonl"
        write_tags(records, tags, model_dir=model_dir, dictionary=dictionary)
        for name, method, calibration in variants:
            rows = run_report(tags, work / f"report-{repeat}-{name}", method=method, calibration=calibration,
                              replicates=args.replicates)
            totals[name].append(score_rows(rows, truth))
        emq.append(emq_mae(records, truth, calibration_scored, model.manifest.data.get("train_label_counts", {})))
        print(f"repeat {repeat + 1}/{args.repeats}: " + ", ".join(
            f"{n} mae {totals[n][-1]['mae']:.3f} net {totals[n][-1]['net_covered']}/{args.groups}" for n in totals),
            file=sys.stderr, flush=True)
    summary = {}
    for name, runs in totals.items():
        summary[name] = {
            "mae_mean": round(float(np.mean([r["mae"] for r in runs])), 4),
            "mae_worst_repeat": round(float(np.max([r["mae"] for r in runs])), 4),
            "net_coverage": round(float(np.mean([r["net_covered"] / r["actors"] for r in runs])), 4),
            "net_covered_per_12_min": int(min(round(12 * r["net_covered"] / r["actors"]) for r in runs)),
            "shares_coverage": round(float(np.mean([r["shares_covered"] / r["actors"] for r in runs])), 4),
            "net_interval_width_mean": round(float(np.mean([r["net_width"] for r in runs])), 4)}
    for name in emq[0]:
        summary[f"{name} (point estimates only)"] = {"mae_mean": round(float(np.mean([e[name] for e in emq])), 4)}
    return {"data": [str(f) for f in files], "mentions": {"calibration_half": len(calibration_scored),
                                                          "test_half": len(test_scored)},
            "model": model.name, "model_heldout_f1_macro": model.manifest.metrics["validation"]["f1_macro"],
            "groups": args.groups, "repeats": args.repeats, "replicates": args.replicates, "results": summary}


def synthetic_tags(path: Path, dictionary: Path, model_dir: Path, mentions: int, rng: np.random.Generator) -> None:
    """``mentions`` tagged mentions in articles of ~40, 30 actors (10 with parents), 20 outlets, 180 days."""
    actors = [f"actor-{i:02d}" for i in range(30)]
    write_dictionary(dictionary, actors, parents={f"actor-{i:02d}": f"actor-{i - 10:02d}" for i in range(10, 20)})
    texts = "Officials in the capital said the talks would continue despite the shelling overnight."
    records = []
    made, doc = 0, 0
    while made < mentions:
        outlet, day = f"outlet-{rng.integers(20)}", f"2020-{1 + rng.integers(6):02d}-{1 + rng.integers(28):02d}"
        for s in range(20):
            k = int(min(2, mentions - made))
            if k <= 0:
                break
            chosen = rng.choice(30, size=k, replace=False)
            probs = rng.dirichlet((1.0, 1.0, 1.0), size=k)
            records.append({"doc_id": f"doc-{doc:06d}", "sent_idx": s, "start": 0, "end": len(texts), "text": texts,
                            "mentions": [{"actor": actors[c], "start": 0, "end": 9, "text": "Officials",
                                          "stance": LABELS[int(p.argmax())],
                                          "scores": {lb: round(float(x), 6) for lb, x in zip(LABELS, p)}}
                                         for c, p in zip(chosen, probs)],
                            "meta": {"outlet": outlet, "date": day}})
            made += k
        doc += 1
    write_tags(records, path, model_dir=model_dir, dictionary=dictionary)


def scale(args, model_dir: Path, work: Path) -> dict:
    """The report job on ``--scale`` synthetic tagged mentions: seconds in all and per phase (as it reports them)."""
    from stancekit.reporting import ReportConfig, build_report

    tags, dictionary = work / "scale.jsonl", work / "scale-actors.yaml"
    synthetic_tags(tags, dictionary, model_dir, args.scale, np.random.default_rng(args.seed))
    started = time.perf_counter()
    result = build_report(ReportConfig(tags=[tags], output_dir=work / "scale-report", replicates=args.replicates))
    seconds = time.perf_counter() - started
    shown = sum(1 for rows in result.tables.values() for r in rows if r.get("net", "") != "")
    return {"mentions": result.mentions, "sentences": result.sentences, "method": result.method,
            "tags_mb": round(tags.stat().st_size / 1e6, 1), "cells_with_a_share": shown,
            "cells": sum(len(rows) for name, rows in result.tables.items() if name != "top_sentences"),
            "seconds_total": round(seconds, 1), "seconds_by_phase": result.seconds, "replicates": args.replicates,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="stance model folder (default with --smoke: a quick baseline)")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "datasets" / "newsmtsc")
    parser.add_argument("--files", nargs="+", default=["dev_rw.jsonl", "dev_mt.jsonl"])
    parser.add_argument("--format", default="auto", choices=["auto", "newsmtsc", "gold"])
    parser.add_argument("--groups", type=int, default=12)
    parser.add_argument("--articles", type=int, nargs=2, default=[18, 36], metavar=("LO", "HI"),
                        help="articles per actor, drawn from [LO, HI) (2-8 mentions each)")
    parser.add_argument("--repeats", type=int, default=10, help="draws of the actors (0: timing only)")
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--scale", type=int, default=1_000_000, help="mentions for the timing run (0: skip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="seconds: a tiny baseline, 3 groups, 1 repeat, 20k "
                        "mentions")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.smoke:
        args.groups, args.repeats, args.replicates, args.scale = 3, 1, 200, min(args.scale, 20_000)
        args.articles = [6, 10]
    result = {"bench": "report_accuracy", "machine": machine(len(os.sched_getaffinity(0)))}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.smoke and args.model is None:
            from _smoke import tiny_model

            args.model = tiny_model("baseline", args.data)
        model_dir = args.model
        if model_dir is None:
            parser.error("--model is required (a stance model folder trained by `stancekit train`) unless --smoke")
        if args.repeats:
            result["accuracy"] = accuracy(args, model_dir, work)
        if args.scale:
            result["scale"] = scale(args, model_dir, work)
    text = json.dumps(result, indent=1)
    print(text)
    out = args.out or (None if args.smoke else REPO / "bench" / "results" / "report_accuracy.json")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
