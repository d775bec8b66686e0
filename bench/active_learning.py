"""How many labels does active learning save? A simulated annotation campaign on NewsMTSC.

The pool is NewsMTSC train: a sentence's gold stances are revealed when it is "annotated". A
random seed set (``--seed-size``) is labelled first; each round the model is trained on every
label so far, scored on dev (dev_rw + dev_mt, macro-F1 over mentions), and the query strategy
picks the next ``--round-size`` sentences from the pool, up to ``--budget`` labelled sentences.
Strategies: random, breaking-ties, entropy (``stancekit.active.strategies``), each over ``--seeds``.

Models:
- ``transformer``: the default all-MiniLM-L6-v2 span-pool model, warm-started from round to
  round with a fixed budget of ``--steps`` optimizer steps per round (so a round costs the same
  whatever the labelled-set size), scored with the production inference code;
- ``baseline``: the scikit-learn baseline refitted each round (fast).

``--candidates`` lets the strategy rank a fresh random sample of that many unlabelled sentences
each round instead of the whole pool (small-text's ``SubsamplingQueryStrategy``: it bounds the cost
of scoring the pool on CPU; 0 ranks all). Prints one JSON line per round (F1, labels, wall seconds of training and
querying), then writes ``curves-<model>.json`` and ``curves-<model>.png`` into ``--out``.

    HF_HUB_OFFLINE=1 python bench/active_learning.py --model baseline --out bench/results/active_learning

``--smoke``: one seed of every strategy on the first rows of NewsMTSC, two rounds of one step (seconds).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from _machine import machine
from stancekit.active.strategies import STRATEGIES, make_strategy
from stancekit.evaluation import score
from stancekit.examples import read_newsmtsc
from stancekit.io import atomic_write
from stancekit.labels import STANCE_LABELS
from stancekit.records import Example


class Learner(Protocol):
    def fit(self, examples: Sequence[Example]) -> None: ...

    def probabilities(self, examples: Sequence[Example]) -> list[np.ndarray]: ...


class BaselineLearner:
    """The scikit-learn baseline, refitted from scratch on every labelled sentence each round."""

    def __init__(self, seed: int):
        self.seed = seed
        self.model: Any = None

    def fit(self, examples: Sequence[Example]) -> None:
        from stancekit.models.baseline import BaselineClassifier

        self.model = BaselineClassifier.fit(examples, task="stance", seed=self.seed)

    def probabilities(self, examples: Sequence[Example]) -> list[np.ndarray]:
        return self.model.mention_probabilities([ex.sentence for ex in examples])


class TransformerLearner:
    """The default span-pool transformer, fine-tuned on from round to round for ``steps`` steps a round."""

    def __init__(self, seed: int, *, steps: int, batch_size: int, learning_rate: float, max_length: int):
        import torch
        from transformers import AutoModel, AutoTokenizer, set_seed

        from stancekit.models.transformer import SpanPoolingClassifier, TransformerClassifier, default_base_model

        set_seed(seed)
        source = default_base_model()
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        self.model = SpanPoolingClassifier(AutoModel.from_pretrained(source), len(STANCE_LABELS), use_spans=True)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=learning_rate, weight_decay=0.01)
        self.rng = np.random.default_rng(seed)
        self.steps, self.batch_size, self.max_length = steps, batch_size, max_length
        self.classifier = TransformerClassifier(task="stance", labels=STANCE_LABELS, input_scheme="span-pool",
                                                model=self.model, tokenizer=self.tokenizer,
                                                device=torch.device("cpu"), batch_size=64, max_length=max_length)

    def fit(self, examples: Sequence[Example]) -> None:
        import torch

        from stancekit.models.transformer import collate, labelled_rows

        rows = labelled_rows(self.tokenizer, examples, task="stance", scheme="span-pool", max_length=self.max_length)
        counts = np.bincount([label for row in rows for label in row.labels], minlength=len(STANCE_LABELS))
        self.model.class_weights = torch.tensor(counts.sum() / (len(counts) * np.maximum(counts, 1)),
                                                dtype=torch.float)
        self.model.train()
        pad_id = self.tokenizer.pad_token_id or 0
        for _ in range(self.steps):
            batch = collate([rows[i] for i in self.rng.choice(len(rows), self.batch_size, replace=False)], pad_id)
            loss = self.model(**batch)["loss"]
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.optimizer.zero_grad()
        self.model.eval()

    def probabilities(self, examples: Sequence[Example]) -> list[np.ndarray]:
        return self.classifier.mention_probabilities([ex.sentence for ex in examples])


def dev_f1(learner: Learner, dev: Sequence[Example]) -> float:
    gold, predicted = [], []
    for ex, probs in zip(dev, learner.probabilities(dev)):
        for label, row in zip(ex.stances, probs):
            if label is not None:
                gold.append(label)
                predicted.append(STANCE_LABELS[int(row.argmax())])
    return score(gold, predicted, STANCE_LABELS)["f1_macro"]


def make_learner(args: argparse.Namespace, seed: int) -> Learner:
    if args.model == "baseline":
        return BaselineLearner(seed)
    return TransformerLearner(seed, steps=args.steps, batch_size=args.batch_size, learning_rate=args.learning_rate,
                              max_length=args.max_length)


def campaign(args: argparse.Namespace, strategy_name: str, seed: int, train: list[Example],
             dev: list[Example]) -> list[dict[str, Any]]:
    """One simulated campaign: the learning curve as one record per round."""
    rng = np.random.default_rng(seed)
    pool = [train[i] for i in rng.permutation(len(train))]
    labelled = list(range(args.seed_size))  # the pool is already shuffled: its head is a random seed set
    unlabelled = list(range(args.seed_size, len(pool)))
    strategy = make_strategy(strategy_name, seed=seed)
    learner = make_learner(args, seed)
    curve = []
    while True:
        started = time.perf_counter()
        learner.fit([pool[i] for i in labelled])
        trained = time.perf_counter()
        f1 = dev_f1(learner, dev)
        scored = time.perf_counter()
        record = {"model": args.model, "strategy": strategy_name, "seed": seed, "labels": len(labelled),
                  "f1_macro": round(f1, 4), "train_s": round(trained - started, 1), "dev_s": round(scored - trained, 1)}
        if len(labelled) >= args.budget or not unlabelled:
            curve.append(record)
            print(json.dumps(record), flush=True)
            return curve
        take = min(args.round_size, args.budget - len(labelled), len(unlabelled))
        candidates = unlabelled
        if args.candidates and strategy_name != "random" and len(unlabelled) > args.candidates:
            candidates = sorted(rng.choice(unlabelled, args.candidates, replace=False).tolist())
        probs = [] if strategy_name == "random" else learner.probabilities([pool[i] for i in candidates])
        order = strategy.rank(probs if probs else [np.empty((0, 3))] * len(candidates))
        chosen = [candidates[i] for i in order[:take]]
        record["query_s"] = round(time.perf_counter() - scored, 1)
        curve.append(record)
        print(json.dumps(record), flush=True)
        labelled += chosen
        chosen_set = set(chosen)
        unlabelled = [i for i in unlabelled if i not in chosen_set]


def summarize(curves: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean/min/max F1 and number of seeds per strategy and label count, and the labels each strategy needs
    to reach random's F1 at the largest label count (its mean over seeds)."""
    table: dict[str, dict[int, list[float]]] = {}
    for record in curves:
        table.setdefault(record["strategy"], {}).setdefault(record["labels"], []).append(record["f1_macro"])
    means = {s: {n: float(np.mean(v)) for n, v in sorted(by_n.items())} for s, by_n in table.items()}
    summary: dict[str, Any] = {"mean_f1": {s: {str(n): round(f, 4) for n, f in m.items()} for s, m in means.items()},
                               "spread_f1": {s: {str(n): [round(min(v), 4), round(max(v), 4)] for n, v in by_n.items()}
                                             for s, by_n in table.items()},
                               "seeds": {s: {str(n): len(v) for n, v in by_n.items()} for s, by_n in table.items()}}
    if "random" in means:
        final_n = max(means["random"])
        target = means["random"][final_n]
        summary["random_final"] = {"labels": final_n, "f1_macro": round(target, 4)}
        reach = {}
        for s, m in means.items():
            first = next((n for n, f in m.items() if f >= target), None)
            reach[s] = {"labels_to_reach_random_final": first,
                        "labels_saved": None if first is None else round(1 - first / final_n, 3)}
        summary["reach"] = reach
    return summary


def plot(curves: list[dict[str, Any]], summary: dict[str, Any], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for strategy, means in summary["mean_f1"].items():
        xs = [int(n) for n in means]
        ax.plot(xs, list(means.values()), marker="o", markersize=3, label=strategy)
        low = [summary["spread_f1"][strategy][str(n)][0] for n in xs]
        high = [summary["spread_f1"][strategy][str(n)][1] for n in xs]
        ax.fill_between(xs, low, high, alpha=0.15)
    if "random_final" in summary:
        ax.axhline(summary["random_final"]["f1_macro"], color="grey", linestyle=":", linewidth=1,
                   label=f"random at {summary['random_final']['labels']}")
    ax.set_xlabel("labelled sentences")
    ax.set_ylabel("macro-F1 on NewsMTSC dev (rw + mt)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, dpi=110, format="png")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/datasets/newsmtsc")
    parser.add_argument("--out", type=Path, help="where the curves go (required unless --smoke)")
    parser.add_argument("--model", choices=("transformer", "baseline"), default="transformer")
    parser.add_argument("--strategies", nargs="+", choices=STRATEGIES, default=list(STRATEGIES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--seed-size", type=int, default=200)
    parser.add_argument("--round-size", type=int, default=150)
    parser.add_argument("--budget", type=int, default=2000)
    parser.add_argument("--candidates", type=int, default=0,
                        help="rank a random sample of this many unlabelled sentences each round (0: all)")
    parser.add_argument("--steps", type=int, default=40, help="transformer: optimizer steps per round")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tag", default="", help="suffix of the output file names")
    parser.add_argument("--combine", nargs="+", type=Path, default=None,
                        help="instead of running: summarize and draw the round records (JSON lines) of these logs")
    parser.add_argument("--smoke", action="store_true", help="seconds-long run on tiny data (checks the code path)")
    args = parser.parse_args(argv)
    args.machine = machine(args.threads)
    if args.smoke:
        from _smoke import folder, tiny_newsmtsc

        args.data, args.out = tiny_newsmtsc(args.data), folder("active-learning")
        args.seeds, args.seed_size, args.round_size, args.budget, args.steps, args.batch_size = [0], 16, 8, 24, 1, 4
    if args.out is None:
        parser.error("--out is required (the folder for the curves)")
    if not 0 < args.seed_size <= args.budget or args.round_size < 1:
        parser.error("need 0 < --seed-size <= --budget and --round-size >= 1")
    if args.combine:
        unique = {}  # a campaign run twice (same model, strategy and seed) is deterministic: count it once
        for record in (record for path in args.combine for record in read_records(path)):
            unique.setdefault((record["model"], record["strategy"], record["seed"], record["labels"]), record)
        curves = list(unique.values())
        if not curves:
            parser.error(f"no round records in {', '.join(map(str, args.combine))}")
        models = {record["model"] for record in curves}
        if len(models) > 1:
            parser.error(f"the logs mix models ({', '.join(sorted(models))}); combine one model's runs at a time")
        args.model = models.pop()
        write_results(args, curves, sum(r["train_s"] + r["dev_s"] + r.get("query_s", 0) for r in curves),
                      settings={"combined_from": [path.name for path in args.combine]})
        return

    import torch

    torch.set_num_threads(args.threads)
    train = [ex for ex in read_newsmtsc(args.data / "train.jsonl") if any(ex.stances)]
    dev = read_newsmtsc(args.data / "dev_rw.jsonl") + read_newsmtsc(args.data / "dev_mt.jsonl")
    print(f"pool: {len(train)} train sentences, dev: {len(dev)} sentences", file=sys.stderr)
    started = time.perf_counter()
    curves = []
    for seed in args.seeds:
        for strategy in args.strategies:
            curves += campaign(args, strategy, seed, train, dev)
    write_results(args, curves, time.perf_counter() - started)


def read_records(path: Path) -> list[dict[str, Any]]:
    """The round records a run printed (its log: JSON lines among progress messages)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.startswith('{"model"')]


def write_results(args: argparse.Namespace, curves: list[dict[str, Any]], wall_s: float,
                  settings: dict[str, Any] | None = None) -> None:
    """The curves, their summary and the run's settings as JSON, and the plot, into ``--out``."""
    summary = summarize(curves)
    seeds = sorted({r["seed"] for r in curves})
    name = f"curves-{args.model}{'-' + args.tag if args.tag else ''}"
    if settings is None:
        settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
                    if k not in ("combine", "machine")}
    result = {"machine": args.machine, "settings": settings, "wall_s": round(wall_s, 1), "summary": summary,
              "curves": curves}
    with atomic_write(args.out / f"{name}.json") as handle:
        json.dump(result, handle, indent=1)
    plot(curves, summary, args.out / f"{name}.png",
         f"Active learning on NewsMTSC ({args.model}, {len(seeds)} seed{'s' * (len(seeds) > 1)})")
    print(json.dumps({"machine": args.machine, "summary": summary, "wall_s": result["wall_s"]}, indent=1))


if __name__ == "__main__":
    main()
