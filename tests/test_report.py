"""`stancekit report`: corrected shares, intervals, provenance, and the files and page an analyst shares."""

from __future__ import annotations

import csv
import json
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stancekit.actors import ActorDictionary
from stancekit.cli import app
from stancekit.errors import ConfigError
from stancekit.io import read_jsonl
from stancekit.provenance import provenance_path
from stancekit.reporting import ReportConfig, build_report
from stancekit.reporting.build import REPORT_FILES
from stancekit.tagging import TagConfig, tag
from test_tagging import make_coverage

LABELS = ("favor", "against", "neutral")


@pytest.fixture(scope="module")
def tagged(tmp_path_factory, seed_text, tiny_stance_model_dir, seed_actors_path) -> Path:
    folder = tmp_path_factory.mktemp("report")
    out = folder / "tags.jsonl"
    tag(TagConfig(inputs=[make_coverage(folder / "news.jsonl", seed_text, 8)], model=tiny_stance_model_dir,
                  actors=seed_actors_path, output=out, progress=False))
    return out


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory, tagged) -> Path:
    out = tmp_path_factory.mktemp("report-out") / "report"
    result = CliRunner().invoke(app, ["report", str(tagged), "-o", str(out)])  # the dictionary: from the provenance
    assert result.exit_code == 0, result.output
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_files_exist_and_the_page_is_self_contained(report_dir):
    names = {p.name for p in report_dir.iterdir()}
    assert names <= set(REPORT_FILES)
    for name in ("stance_by_actor.csv", "stance_by_actor_outlet.csv", "stance_by_actor_day.csv",
                 "stance_by_actor_document.csv", "top_sentences.csv", "report.html", "provenance.json",
                 "stance_by_actor.png", "stance_by_actor.svg", "stance_by_outlet.png", "stance_by_outlet.svg",
                 "stance_over_time.png", "stance_over_time.svg"):
        assert (report_dir / name).stat().st_size > 0, name
    assert (report_dir / "stance_by_actor.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 3 and "Russia" in page and "Methods" in page and "Provenance" in page
    for external in ('src="http', "src='http", "<link", "@import", "url(http"):
        assert external not in page  # nothing is fetched when the page opens
    assert 'name="viewport"' in page  # readable on a phone
    for csv_name in ("stance_by_actor.csv", "stance_by_actor_document.csv", "top_sentences.csv"):
        assert f'href="{csv_name}"' in page  # every table reachable from the page


def test_counts_match_the_tagged_records_rolled_up_the_parent_chain(report_dir, tagged, seed_actors_path):
    dictionary = ActorDictionary.load(seed_actors_path)
    expected: dict[str, Counter] = defaultdict(Counter)
    direct: Counter = Counter()
    documents: dict[str, set] = defaultdict(set)
    for record in read_jsonl(tagged):
        for m in record["mentions"]:
            direct[m["actor"]] += 1
            for actor in [m["actor"], *dictionary.ancestors(m["actor"])]:
                expected[actor][m["stance"]] += 1
                documents[actor].add(record["doc_id"])
    rows = {r["actor"]: r for r in read_csv(report_dir / "stance_by_actor.csv")}
    assert set(rows) == set(expected)
    assert int(rows["russia"]["mentions"]) > int(rows["russia"]["direct_mentions"])
    for actor, counts in expected.items():
        row = rows[actor]
        n = sum(counts.values())
        assert int(row["mentions"]) == n and int(row["direct_mentions"]) == direct[actor]
        assert int(row["documents"]) == len(documents[actor])
        assert [int(row[label]) for label in LABELS] == [counts[label] for label in LABELS]
        if n >= 10:  # the small-cell rule: shares only from 10 mentions on
            cc = {label: counts[label] / n for label in LABELS}
            assert float(row["cc_share_favor"]) == pytest.approx(cc["favor"], abs=1e-4)
            assert float(row["cc_net"]) == pytest.approx(cc["favor"] - cc["against"], abs=1e-4)
            shares = [float(row[f"share_{label}"]) for label in LABELS]
            assert sum(shares) == pytest.approx(1, abs=1e-3)
            for label in LABELS:
                assert float(row[f"share_{label}_low"]) <= float(row[f"share_{label}"]) <= \
                    float(row[f"share_{label}_high"])
            assert -1 <= float(row["net_low"]) <= float(row["net"]) <= float(row["net_high"]) <= 1
        else:
            assert row["share_favor"] == row["net"] == row["cc_net"] == ""
            assert "fewer than 10 mentions" in row["note"]
    mentions = [int(r["mentions"]) for r in rows.values()]
    assert mentions == sorted(mentions, reverse=True)  # most-mentioned first


@pytest.mark.parametrize("dimension", ["document", "outlet", "day"])
def test_breakdowns_add_up_to_the_overall_counts(report_dir, dimension):
    overall = {r["actor"]: r for r in read_csv(report_dir / "stance_by_actor.csv")}
    sums: dict[str, Counter] = defaultdict(Counter)
    for row in read_csv(report_dir / f"stance_by_actor_{dimension}.csv"):
        for label in (*LABELS, "mentions"):
            sums[row["actor"]][label] += int(row[label])
    for actor, row in overall.items():
        assert {k: int(row[k]) for k in sums[actor]} == dict(sums[actor])
    if dimension == "day":
        days = {r["day"] for r in read_csv(report_dir / "stance_by_actor_day.csv")}
        assert days == {f"2020-10-{d:02d}" for d in range(1, 5)}


def test_top_sentences_are_the_most_confident_with_the_mention_located(report_dir, tagged, seed_actors_path):
    """The most confident favor/against sentences per actor, a sentence repeated in several articles once."""
    dictionary = ActorDictionary.load(seed_actors_path)
    best: dict[tuple[str, str], dict[tuple, float]] = defaultdict(dict)
    for record in read_jsonl(tagged):
        for m in record["mentions"]:
            if m["stance"] != "neutral":
                for actor in [m["actor"], *dictionary.ancestors(m["actor"])]:
                    key = (record["text"], m["start"], m["end"])
                    best[(actor, m["stance"])][key] = max(best[(actor, m["stance"])].get(key, 0), m["scores"][m["stance"]])
    rows = read_csv(report_dir / "top_sentences.csv")
    assert rows
    by_key: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        by_key[(row["actor"], row["stance"])].append(float(row["score"]))
        assert row["sentence"][int(row["mention_start"]):int(row["mention_end"])] == row["mention_text"]
        assert row["outlet"] in ("Daily Planet", "Gazette") and row["date"].startswith("2020-10-")
    assert len({(r["actor"], r["stance"], r["sentence"], r["mention_start"]) for r in rows}) == len(rows)  # no repeats
    for key, scores in by_key.items():
        assert scores == sorted(best[key].values(), reverse=True)[:5]
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    assert f"<mark>{rows[0]['mention_text']}</mark>" in page


# provenance -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_tag_writes_provenance_beside_every_format(tmp_path, seed_text, tiny_stance_model_dir, seed_actors_path,
                                                   suffix):
    import pyarrow.parquet as pq

    from stancekit.io import file_sha256
    from stancekit.models.manifest import Manifest

    coverage = make_coverage(tmp_path / "news.jsonl", seed_text, 3)
    out = tmp_path / f"tags{suffix}"
    tag(TagConfig(inputs=[coverage], model=tiny_stance_model_dir, actors=seed_actors_path, output=out,
                  progress=False))
    record = json.loads(provenance_path(out).read_text(encoding="utf-8"))
    manifest = Manifest.read(tiny_stance_model_dir)
    assert record["model"]["fingerprint"] == manifest.fingerprint
    assert record["model"]["path"] == str(tiny_stance_model_dir.resolve())
    assert record["model"]["heldout_f1_macro"] == manifest.metrics["validation"]["f1_macro"]
    assert record["actors"]["sha256"] == file_sha256(seed_actors_path)
    assert record["inputs"]["files"] == [{"path": str(coverage.resolve()), "size": coverage.stat().st_size,
                                          "sha256": file_sha256(coverage)}]
    assert record["runtime"]["precision"] and record["stancekit_version"]
    assert record["started"] <= record["finished"] and record["output"]["mentions"] > 0
    if suffix == ".parquet":
        embedded = json.loads(pq.read_schema(out).metadata[b"stancekit.provenance"])
        assert embedded["model"] == record["model"] and "started" not in embedded  # re-runs write the same bytes


def test_report_refuses_tags_of_different_models_unless_allowed(tmp_path, seed_text, tiny_stance_model_dir,
                                                                baseline_stance_model_dir, seed_actors_path):
    outputs = []
    for i, model in enumerate((tiny_stance_model_dir, baseline_stance_model_dir)):
        coverage = tmp_path / f"news-{i}.jsonl"
        coverage.write_text("".join(line.replace('"id": "doc-', f'"id": "m{i}-doc-') for line in
                                    make_coverage(tmp_path / "c.jsonl", seed_text, 2).read_text().splitlines(True)))
        outputs.append(tmp_path / f"tags-{i}.jsonl")
        tag(TagConfig(inputs=[coverage], model=model, actors=seed_actors_path, output=outputs[-1], progress=False))
    args = ["report", *map(str, outputs), "-o", str(tmp_path / "report")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "2 different models" in result.stderr and "--allow-mixed" in result.stderr
    assert not (tmp_path / "report").exists()
    result = CliRunner().invoke(app, [*args, "--allow-mixed"])
    assert result.exit_code == 0, result.output
    provenance = json.loads((tmp_path / "report" / "provenance.json").read_text())
    assert len({t["provenance"]["model"]["fingerprint"] for t in provenance["tags"]}) == 2
    assert any("different models" in w for w in provenance["warnings"])
    assert provenance["estimation"]["method"] == "cc"  # one correction cannot serve two models' errors
    assert any("one correction per model" in w for w in provenance["warnings"])


def test_report_refuses_a_dictionary_other_than_the_tags_one(tmp_path, tagged, seed_actors_path):
    other = tmp_path / "other.actors.yaml"
    other.write_text(seed_actors_path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(tagged), "-o", str(tmp_path / "r"), "-a", str(other)])
    assert result.exit_code == 1 and "not the dictionary the tags were made with" in result.stderr


def test_same_document_in_two_tag_files_is_refused(tmp_path, tagged):
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(tagged.read_bytes())
    result = CliRunner().invoke(app, ["report", str(tagged), str(copy), "-o", str(tmp_path / "r")])
    assert result.exit_code == 1 and "would count twice" in result.stderr


def test_report_on_a_moved_model_needs_model_and_checks_it(tmp_path, tagged, tiny_stance_model_dir,
                                                           baseline_stance_model_dir):
    """Provenance points at a model folder that is gone: uncorrected with a warning; --model restores the
    correction, and a different model is refused (its error rates are not the tags')."""
    import shutil

    moved_tags = tmp_path / "tags.jsonl"
    shutil.copy(tagged, moved_tags)
    record = json.loads(provenance_path(tagged).read_text())
    record["model"]["path"] = str(tmp_path / "gone")
    provenance_path(moved_tags).write_text(json.dumps(record))
    result = build_report(ReportConfig(tags=moved_tags, output_dir=tmp_path / "a"))
    assert result.method == "cc" and any("NOT corrected" in w for w in result.warnings)
    assert "NOT corrected" in (tmp_path / "a" / "report.html").read_text()
    result = build_report(ReportConfig(tags=moved_tags, output_dir=tmp_path / "b", model=tiny_stance_model_dir))
    assert result.method == "emq" and result.calibration["source"] == "heldout"
    with pytest.raises(ConfigError, match="did not make these tags"):
        build_report(ReportConfig(tags=moved_tags, output_dir=tmp_path / "c", model=baseline_stance_model_dir))


def test_calibration_file_is_scored_with_the_tags_model(tmp_path, tagged):
    seed_gold = Path(__file__).resolve().parent.parent / "datasets" / "seed-gold"
    result = CliRunner().invoke(app, ["report", str(tagged), "-o", str(tmp_path / "r"), "--calibration",
                                      str(seed_gold), "--method", "acc"])
    assert result.exit_code == 0, result.output
    from stancekit.gold.dataset import read_examples

    labelled = sum(s is not None for ex in read_examples(seed_gold / "train.parquet") for s in ex.stances)
    calibration = json.loads((tmp_path / "r" / "provenance.json").read_text())["estimation"]["calibration"]
    assert calibration["source"] == "file" and calibration["mentions"] == labelled > 100
    assert sum(calibration["label_counts"].values()) == labelled
    assert f"{labelled} labelled mentions" in (tmp_path / "r" / "report.html").read_text()


# the estimate: corrected where classify-and-count is biased ----------------------------------------------------


def skewed_actors(examples, scored, mixes, rng, *, articles=60):
    """Tag records of actors whose true mixes are ``mixes`` (favor, against, neutral), in articles of 2-6
    mentions, drawn from real labelled sentences with the model's real probabilities; and each actor's true shares."""
    pool = defaultdict(list)
    text = {ex.sentence.doc_id: ex.sentence for ex in examples}
    for gold, probs, doc, actor in zip(scored.gold, scored.probabilities, scored.doc_ids, scored.actors):
        sentence = text[doc]
        mention = next(m for m in sentence.mentions if m.actor == actor)
        pool[gold].append((sentence.text, mention, {lb: float(p) for lb, p in zip(scored.labels, probs)}))
    records, truth = [], {}
    for g, mix in enumerate(mixes):
        actor, labels = ("russia", "armenia", "azerbaijan", "turkey", "iran", "france")[g], []
        for a in range(articles):
            for s in range(int(rng.integers(2, 7))):
                label = LABELS[rng.choice(3, p=mix)]
                sentence, mention, scores = pool[label][rng.integers(len(pool[label]))]
                records.append({"doc_id": f"{actor}-{a}", "sent_idx": s, "start": 0, "end": len(sentence),
                                "text": sentence, "mentions": [{"actor": actor, "start": mention.start,
                                                                "end": mention.end, "text": mention.text,
                                                                "stance": max(scores, key=scores.__getitem__),
                                                                "scores": scores}], "meta": {}})
                labels.append(label)
        truth[actor] = {label: labels.count(label) / len(labels) for label in LABELS}
    return records, truth


def test_corrected_shares_recover_known_skewed_mixes_that_classify_and_count_misses(
        tmp_path, newsmtsc_dir, baseline_stance_model_dir):
    """Real model, real labelled sentences: six actors whose true mixes are skewed (80/10/10 and so on), each in
    60 articles. Calibration on the other half of the same data (the in-domain path the README recommends)."""
    from stancekit.examples import read_newsmtsc
    from stancekit.models.heldout import score_examples
    from stancekit.models.loading import load_model

    examples = read_newsmtsc(newsmtsc_dir / "dev_mt.jsonl") + read_newsmtsc(newsmtsc_dir / "dev_rw.jsonl")
    half = [zlib.crc32(ex.sentence.doc_id.encode()) % 2 for ex in examples]
    calibration = [ex for ex, h in zip(examples, half) if h == 0]
    test = [ex for ex, h in zip(examples, half) if h == 1]
    calibration_file = tmp_path / "calibration.jsonl"
    with calibration_file.open("w") as handle:
        for ex in calibration:
            handle.write(json.dumps({"primary_gid": ex.sentence.doc_id, "sentence_normalized": ex.sentence.text,
                                     "targets": [{"Input.gid": m.actor, "from": m.start, "to": m.end,
                                                  "mention": m.text, "polarity": {"against": 2.0, "neutral": 4.0,
                                                                                  "favor": 6.0}[s]}
                                                 for m, s in zip(ex.sentence.mentions, ex.stances)]}) + "\n")
    model = load_model(baseline_stance_model_dir)
    mixes = [(0.8, 0.1, 0.1), (0.1, 0.8, 0.1), (0.1, 0.1, 0.8), (0.7, 0.2, 0.1), (0.1, 0.7, 0.2), (0.45, 0.1, 0.45)]
    records, truth = skewed_actors(test, score_examples(model, test), mixes, np.random.default_rng(3))
    tags = tmp_path / "tags.jsonl"
    tags.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = build_report(ReportConfig(tags=tags, output_dir=tmp_path / "r", model=baseline_stance_model_dir,
                                       calibration=[calibration_file]))
    assert result.method == "emq"
    rows = {r["actor"]: r for r in result.tables["stance_by_actor"]}
    cc_error = np.mean([abs(rows[a][f"cc_share_{lb}"] - t[lb]) for a, t in truth.items() for lb in LABELS])
    error = np.mean([abs(rows[a][f"share_{lb}"] - t[lb]) for a, t in truth.items() for lb in LABELS])
    assert cc_error > 0.1  # classify-and-count is visibly pulled toward the classifier's confusion pattern
    assert error < 0.6 * cc_error
    nets = {a: t["favor"] - t["against"] for a, t in truth.items()}
    assert sum(rows[a]["net_low"] <= net <= rows[a]["net_high"] for a, net in nets.items()) >= 5
    assert sum(not rows[a]["net_low"] <= rows[a]["cc_net"] <= rows[a]["net_high"] for a in nets) >= 3


def test_em_pieces_are_quapys_em_and_a_likelihood_recalibration():
    """The recalibration maximises the calibration likelihood (with its biases kept near the training prior); the
    large-sample derivative agrees with re-running QuaPy's EM."""
    from quapy.method.aggregative import EMQ
    from scipy.optimize import minimize

    from stancekit.reporting.em import Recalibration, em, fit_recalibration, slope

    rng = np.random.default_rng(2)
    gold = rng.integers(0, 3, 400)
    probs = np.array([rng.dirichlet(np.where(np.arange(3) == g, 3.0, 1.0)) for g in gold])
    training = np.array([0.2, 0.5, 0.3])
    fitted = fit_recalibration(probs, gold, np.ones((1, 400)), training_prior=training, shrinkage=30.0)
    calibration_prior = np.bincount(gold, minlength=3) / 400
    centre = np.log(calibration_prior / training)
    centre -= centre[-1]
    logs = np.log(probs)

    def objective(theta):
        z = theta[0] * logs + np.r_[theta[1:], 0.0]
        nll = -(z[np.arange(400), gold] - np.log(np.exp(z).sum(axis=1))).sum()
        return nll + 30.0 * np.sum((theta[1:] - centre[:-1]) ** 2)

    best = minimize(objective, np.r_[1.0, 0.0, 0.0], method="BFGS").x
    assert np.allclose(np.r_[fitted.beta[0], fitted.bias[0, :2]], best, atol=1e-3)
    assert np.allclose(fitted.prior[0], calibration_prior)
    point = Recalibration(fitted.beta[0], fitted.bias[0], fitted.prior[0])
    mixes = ([.6, .3, .1], [.1, .1, .8], [.3, .4, .3])
    cells = np.repeat(np.arange(3), 500)
    probs = np.array([rng.dirichlet(np.where(np.arange(3) == g, 4.0, 1.0))
                      for mix in mixes for g in rng.choice(3, 500, p=mix)])
    shares = em(point.apply(probs), point.prior, cells, 3)
    for c in range(3):  # all cells at once, each as QuaPy's EM alone
        assert np.abs(shares[c] - EMQ.EM(point.prior, point.apply(probs[cells == c]))[0]).max() < 1e-3
    derivative = slope(probs, point, shares, cells)
    moved = Recalibration(point.beta * 1.01, point.bias + np.r_[0.01, -0.02, 0], point.prior + np.r_[0.01, 0, -0.01])
    change = np.einsum("cjp,p->cj", derivative, moved.parameters() - point.parameters())
    assert np.allclose(em(moved.apply(probs), moved.prior, cells, 3), shares + change, atol=3e-4)


def test_emq_intervals_cover_the_truth_in_large_and_small_cells():
    """Simulated classifier with known behaviour: the true net score lies inside 95% intervals about as often."""
    from stancekit.reporting.em import EMEstimator, calibrate

    rng = np.random.default_rng(4)

    def mentions(labels):
        return np.array([rng.dirichlet(np.where(np.arange(3) == g, 4.0, 1.0)) for g in labels])

    calibration = rng.integers(0, 3, 600)
    calibrated = calibrate(mentions(calibration), calibration, np.arange(600), training_prior=np.ones(3) / 3,
                           replicates=400, rng=rng)
    estimator = EMEstimator(calibrated=calibrated, confidence=0.95, net_labels=(0, 1), seed=0)
    for size in (12, 60, 600):
        probs, truths = [], []
        for _ in range(40):
            mix = rng.dirichlet([1, 1, 1])
            labels = rng.choice(3, size=size, p=mix)
            probs.append(mentions(labels))
            truths.append(np.mean(labels == 0) - np.mean(labels == 1))
        cells = np.repeat(np.arange(40), size)
        articles = np.arange(40 * size) // 4  # articles of 4 mentions
        estimates = estimator.estimate(np.concatenate(probs), cells, articles, 40)
        covered = sum(lo <= t <= hi for lo, t, hi in zip(estimates.net_low, truths, estimates.net_high))
        assert covered >= 34, (size, covered)


def test_solver_finds_quapys_least_squares_on_the_simplex():
    """The vectorised solve is QuaPy's PACC/ACC adjustment (solver="minimize"): same point or a lower residual."""
    import quapy.functional as F
    from quapy.method.aggregative import ACC

    from stancekit.reporting.estimate import SimplexSolver

    rng = np.random.default_rng(0)
    for _ in range(100):
        rates = rng.dirichlet([6, 1, 1], size=3).T[[0, 1, 2]]
        observed = rng.dirichlet([1, 1, 1])
        quapy = F.normalize_prevalence(ACC.solve_adjustment(rates, observed, method="inversion", solver="minimize"),
                                       method="clip")
        ours = SimplexSolver(rates).solve(observed)
        assert ours.sum() == pytest.approx(1) and ours.min() >= 0
        assert np.linalg.norm(rates @ ours - observed) <= np.linalg.norm(rates @ quapy - observed) + 1e-9
        if np.linalg.cond(rates) < 5:  # well-posed: one optimum, which SLSQP finds to its tolerance
            assert np.abs(ours - quapy).max() < 5e-3
    batch = rng.dirichlet([6, 1, 1], size=(50, 3)).transpose(0, 2, 1)
    points = rng.dirichlet([1, 1, 1], size=(7, 50))
    solved = SimplexSolver(batch).solve(points)
    for c in range(7):
        for b in range(0, 50, 7):
            assert np.allclose(solved[c, b], SimplexSolver(batch[b]).solve(points[c, b]))


def test_weighted_rates_equal_quapys_and_fewer_calibration_labels_widen_the_interval():
    from quapy.method.aggregative import PACC

    from stancekit.reporting.estimate import Estimator, calibration_rates, rates_from

    rng = np.random.default_rng(1)

    def items(n):
        gold = rng.integers(0, 3, n)
        scores = np.array([rng.dirichlet(np.where(np.arange(3) == g, 6.0, 1.5)) for g in gold])
        return gold, scores

    gold, scores = items(300)
    assert np.allclose(rates_from(gold, scores)[0], PACC.getPteCondEstim(np.arange(3), gold, scores))
    _, cell_scores = items(20000)  # a large cell: its own sampling adds little; the calibration's size shows
    cell = np.concatenate([np.eye(3)[cell_scores.argmax(1)], cell_scores, np.ones((20000, 1))], axis=1)
    widths = {}
    for n in (60, 3000):
        g, s = items(n)
        rates = calibration_rates(g, s, np.arange(n), hard=False, replicates=400, rng=rng)
        estimate = Estimator(method="pacc", rates=rates, replicates=400, confidence=0.95, net_labels=(0, 1),
                             seed=0).estimate([cell])
        widths[n] = float(estimate.net_high[0] - estimate.net_low[0])
    assert widths[60] > 2 * widths[3000]


def test_mentions_of_one_article_move_together_in_the_interval():
    """Ten articles each all-favor or all-against: resampling articles gives a wider interval than if the same
    mentions came from a hundred independent articles."""
    from stancekit.reporting.cells import Mentions, build_cells
    from stancekit.reporting.estimate import Estimator

    def widths(clustered: bool) -> float:
        mentions = Mentions(top_k=0)
        for i in range(100):
            favor = (i // 10) % 2 == 0 if clustered else i % 2 == 0
            scores = {"favor": 0.9, "against": 0.05, "neutral": 0.05} if favor else \
                {"favor": 0.05, "against": 0.9, "neutral": 0.05}
            mentions.add({"doc_id": f"d{i // 10 if clustered else i}", "sent_idx": i % 10, "text": "Russia.",
                          "meta": {}, "mentions": [{"actor": "russia", "start": 0, "end": 6, "text": "Russia",
                                                    "stance": "favor" if favor else "against", "scores": scores}]},
                         lambda actor: [actor])
        cells = build_cells(mentions, None)["actor"]
        assert bool(cells.by_document[0])
        estimate = Estimator(method="cc", rates=None, replicates=2000, confidence=0.95, net_labels=(0, 1),
                             seed=0).estimate(cells.units)
        return float(estimate.net_high[0] - estimate.net_low[0])

    assert widths(clustered=True) > 2 * widths(clustered=False)


def test_seed_report_of_one_undated_article_says_so(tmp_path, seed_text, baseline_stance_model_dir,
                                                    seed_actors_path):
    article = tmp_path / "000_cae259164d53c011.txt"
    article.write_text(seed_text, encoding="utf-8")
    tags = tmp_path / "tags.jsonl"
    tag(TagConfig(inputs=[article], model=baseline_stance_model_dir, actors=seed_actors_path, output=tags,
                  progress=False))
    result = build_report(ReportConfig(tags=tags, output_dir=tmp_path / "r"))
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "The coverage is undated" in page and "names no outlet" in page
    assert not (tmp_path / "r" / "stance_over_time.png").exists()
    assert not (tmp_path / "r" / "stance_by_outlet.png").exists()
    shown = [r for r in result.tables["stance_by_actor"] if r["net"] != ""]
    assert shown and all(r["resampled_by"] == "mention" for r in shown)  # one article: mentions resampled
    assert "resampled as independent" in page


def test_confidence_and_other_options_are_checked(tagged, tmp_path):
    for bad, match in (({"confidence": 95}, "between 0 and 1"), ({"replicates": 10}, "at least 100"),
                       ({"min_mentions": 0}, "at least 1"), ({"method": "bogus"}, "must be one of")):
        with pytest.raises(ConfigError, match=match):
            ReportConfig(tags=tagged, output_dir=tmp_path / "o", **bad)


def test_untagged_input_is_a_clear_error(tmp_path, seed_actors_path):
    plain = tmp_path / "mentions.jsonl"
    plain.write_text(json.dumps({"doc_id": "d", "sent_idx": 0, "start": 0, "end": 6, "text": "Russia",
                                 "mentions": [{"actor": "russia", "start": 0, "end": 6, "text": "Russia"}],
                                 "meta": {}}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(plain), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "mentions.jsonl:1" in result.stderr and "scores" in result.stderr
    result = CliRunner().invoke(app, ["report", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1 and "no such file" in result.stderr


def test_a_share_pushed_to_an_edge_far_from_the_classifier_is_flagged():
    from stancekit.reporting.cells import Mentions, build_cells
    from stancekit.reporting.estimate import Estimates
    from stancekit.reporting.page import flagged, html_table
    from stancekit.reporting.tables import actor_rows, estimate_rows

    mentions = Mentions(top_k=0)
    for i in range(20):
        stance = ("favor", "against", "neutral")[i % 3]
        scores = {label: 0.8 if label == stance else 0.1 for label in LABELS}
        mentions.add({"doc_id": f"d{i}", "sent_idx": 0, "text": "Russia.", "meta": {},
                      "mentions": [{"actor": "russia", "start": 0, "end": 6, "text": "Russia", "stance": stance,
                                    "scores": scores}]}, lambda actor: [actor])
    cells = build_cells(mentions, None)["actor"]
    one = np.ones((1, 3))
    estimates = Estimates(np.array([[0.0, 0.0, 1.0]]), 0 * one, one, np.zeros(1), np.zeros(1), np.zeros(1),
                          np.array([[0.35, 0.3, 0.35]]))
    rows = actor_rows(cells, estimate_rows(cells, estimates, [0], min_mentions=10), None)
    assert "the correction takes favor to 0% where the classifier said 35%" in rows[0]["note"]
    assert "neutral to 100%" in rows[0]["note"]
    assert flagged(rows) == [f"russia: {rows[0]['note']}"]
    assert "\u26a0" in html_table("t", rows, None, "")
    calm = Estimates(np.array([[0.3, 0.3, 0.4]]), 0 * one, one, np.zeros(1), np.zeros(1), np.zeros(1),
                     np.array([[0.35, 0.3, 0.35]]))
    assert flagged(actor_rows(cells, estimate_rows(cells, calm, [0], min_mentions=10), None)) == []
