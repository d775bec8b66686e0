"""Query strategies on real model probabilities (the baseline trained on real NewsMTSC rows, real dev rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import entropy as scipy_entropy

from stancekit.active.rank import queue_scores, rank_tasks, task_sentence
from stancekit.active.strategies import (BreakingTies, Entropy, Random, certainty, make_strategy,
                                         spread_over_documents, uncertainty_entropy)
from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.models import load_model
from stancekit.errors import ConfigError
from stancekit.examples import read_newsmtsc
from stancekit.studio.tasks import task_data


@pytest.fixture(scope="module")
def dev_mt(newsmtsc_dir: Path):
    return read_newsmtsc(newsmtsc_dir / "dev_mt.jsonl")[:80]  # every sentence has two or more targets


@pytest.fixture(scope="module")
def model(baseline_stance_model_dir: Path):
    return load_model(baseline_stance_model_dir)


@pytest.fixture(scope="module")
def probabilities(model, dev_mt) -> list[np.ndarray]:
    return model.mention_probabilities([ex.sentence for ex in dev_mt])


def test_breaking_ties_puts_the_smallest_top_two_gap_of_any_mention_first(probabilities):
    order = BreakingTies().rank(probabilities)
    assert sorted(order) == list(range(len(probabilities)))
    # computed independently: per mention, best minus second best; per sentence, the smallest
    gaps = [min(float(np.sort(row)[-1] - np.sort(row)[-2]) for row in probs) for probs in probabilities]
    assert [round(gaps[i], 9) for i in order] == sorted(round(g, 9) for g in gaps)
    assert certainty(probabilities[order[0]]) == pytest.approx(min(gaps))
    assert all(len(p) >= 2 for p in probabilities)  # multi-target sentences: the aggregation matters
    # a sentence is as uncertain as its least certain mention, not its average one
    means = [float(np.mean(np.sort(p, axis=1)[:, -1] - np.sort(p, axis=1)[:, -2])) for p in probabilities]
    assert any(abs(g - m) > 1e-6 for g, m in zip(gaps, means))


def test_entropy_puts_the_highest_mention_entropy_first(probabilities):
    order = Entropy().rank(probabilities)
    highest = [max(float(scipy_entropy(row)) for row in probs) for probs in probabilities]
    assert [round(highest[i], 9) for i in order] == sorted((round(h, 9) for h in highest), reverse=True)
    assert uncertainty_entropy(probabilities[order[0]]) == pytest.approx(max(highest))
    assert Entropy().rank(probabilities) != BreakingTies().rank(probabilities)  # two different questions


def test_random_is_a_seeded_permutation(probabilities):
    first = Random(7).rank(probabilities)
    assert sorted(first) == list(range(len(probabilities)))
    assert Random(7).rank(probabilities) == first
    assert Random(8).rank(probabilities) != first
    assert make_strategy("random", seed=7).rank(probabilities) == first


def test_certainty_of_sentences_without_mentions_and_one_row_sentence_models():
    assert certainty(np.empty((0, 3))) == 1.0
    assert certainty(np.array([0.5, 0.3, 0.2])) == pytest.approx(0.2)
    assert BreakingTies().rank([np.empty((0, 3)), np.array([[0.4, 0.35, 0.25]])]) == [1, 0]
    with pytest.raises(ConfigError, match="two labels"):
        certainty(np.array([[1.0]]))


def test_unknown_strategy_names_the_known_ones():
    with pytest.raises(ConfigError, match="breaking-ties, entropy, random"):
        make_strategy("margin")


def test_spread_over_documents_is_round_robin_in_ranking_order():
    documents = ["a", "a", "b", "a", "c", "b"]
    order = [0, 1, 3, 2, 5, 4]  # a a a b b c
    assert spread_over_documents(order, documents) == [0, 2, 4, 1, 5, 3]
    assert spread_over_documents(order, documents, per_document=1) == [0, 2, 4]
    with pytest.raises(ConfigError, match="at least 1"):
        spread_over_documents(order, documents, per_document=0)
    with pytest.raises(ConfigError, match="one document id per sentence"):
        spread_over_documents(order, documents[:3])


def test_queue_scores_follow_the_ranking():
    assert queue_scores([0.01, 0.2, 0.9], certainty_order=True) == [0.01, 0.2, 0.9]
    assert queue_scores([0.3, 0.1, 0.9], certainty_order=False) == [0.0, pytest.approx(1 / 3, abs=1e-6),
                                                                    pytest.approx(2 / 3, abs=1e-6)]


def test_rank_tasks_on_tasks_made_from_real_rows(model, dev_mt, probabilities):
    tasks = [{"id": 100 + i, "data": task_data(ex.sentence, "", "")} for i, ex in enumerate(dev_mt)]
    ranked, predictions = rank_tasks(tasks, model)
    assert [r.task_id - 100 for r in ranked] == BreakingTies().rank(probabilities)
    assert [p["task"] for p in predictions] == [r.task_id for r in ranked]
    scores = [p["score"] for p in predictions]
    assert scores == sorted(scores) and scores == [r.score for r in ranked] == [r.certainty for r in ranked]
    first = predictions[0]["result"]
    assert {r["from_name"] for r in first} == {"actor", "stance"}  # the full pre-annotation, spans and stances
    assert len([r for r in first if r["from_name"] == "stance"]) == len(dev_mt[ranked[0].task_id - 100].stances)

    spread, spread_predictions = rank_tasks(tasks, model, strategy="entropy", limit=5)
    assert [r.position for r in spread] == [1, 2, 3, 4, 5]
    assert [p["score"] for p in spread_predictions] == sorted(p["score"] for p in spread_predictions)
    assert [r.task_id - 100 for r in spread] == Entropy().rank(probabilities)[:5]


def test_rank_tasks_spreads_over_documents(model, dev_mt):
    # three "documents" of consecutive rows; the spread ranking never serves a document twice before all others
    tasks = [{"id": i, "data": {**task_data(ex.sentence, "", ""), "doc_id": f"d{i % 3}"}} for i, ex in
             enumerate(dev_mt[:12])]
    ranked, _ = rank_tasks(tasks, model, spread_documents=True)
    assert [r.doc_id for r in ranked[:3]] in ([f"d{k}" for k in p] for p in
                                              ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)))
    assert len({r.doc_id for r in ranked[3:6]}) == 3


def test_a_task_imported_by_hand_gets_its_actors_from_the_dictionary(seed_actors_path: Path, model):
    find = DictionaryMatcher(ActorDictionary.load(seed_actors_path)).find
    task = {"id": 5, "data": {"text": "Azerbaijan shelled Stepanakert, Armenia said."}}
    sentence = task_sentence(task, find)
    assert sentence.doc_id == "task-5" and len(sentence.mentions) >= 2
    assert task_sentence(task).mentions == ()
    ranked, predictions = rank_tasks([task], model, find_mentions=find)
    assert ranked[0].certainty < 1.0 and any(r["from_name"] == "stance" for r in predictions[0]["result"])
    with pytest.raises(ConfigError, match="no 'text' field"):
        task_sentence({"id": 6, "data": {"sentence": "x"}})
