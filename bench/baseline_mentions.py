"""Baseline stance scoring time for one sentence with many mentions: the linear shortcut against the plain path.

The plain path (``BaselineClassifier.predict_items``, what ``predict_stance`` did before) builds every
mention's documents over the whole sentence, so its time grows with mentions x sentence length,
i.e. quadratically in the mentions of one sentence; ``predict_stance`` now scores such a sentence with
``linear_mention_scores`` (same scores). Prints one JSON object with the seconds of each path per
mention count and the largest probability difference between them.

    python bench/baseline_mentions.py --model models/demo-baseline [--mentions 500 1000 2000] [--plain-up-to 2000]

``--smoke``: a baseline trained in seconds on the first NewsMTSC rows, 20 and 40 mentions.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from _machine import machine
from stancekit.models import load_model
from stancekit.records import Mention, Sentence

NAMES = ["Armenia", "Azerbaijan", "Turkey", "Russia"]
VERBS = ["praised", "condemned", "shelled", "supported"]


def sentence_with(mentions: int) -> Sentence:
    """One sentence with a mention in each of ``mentions`` clauses (about 12 words a clause)."""
    text, found = "", []
    for i in range(mentions):
        name = NAMES[i % 4]
        found.append(Mention(name.lower(), len(text), len(text) + len(name), name))
        text += f"{name} {VERBS[(i // 4) % 4]} the fragile ceasefire near village {i} in the mountains, "
    return Sentence("bench", 0, 0, len(text), text.rstrip(", "), tuple(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/demo-baseline"), help="a baseline model folder")
    parser.add_argument("--mentions", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--plain-up-to", type=int, default=2000, help="time the plain path up to this many mentions")
    parser.add_argument("--newsmtsc", type=Path, default=Path(__file__).resolve().parents[2] / "shared/datasets/newsmtsc",
                        help="--smoke: where the tiny model's training rows come from")
    parser.add_argument("--smoke", action="store_true", help="seconds-long run on tiny data (checks the code path)")
    args = parser.parse_args()
    started_on = machine(1)
    if args.smoke:
        from _smoke import tiny_model

        args.model, args.mentions = tiny_model("baseline", args.newsmtsc), [20, 40]
    baseline = load_model(args.model)
    rows = []
    for count in args.mentions:
        sentence = sentence_with(count)
        started = time.perf_counter()
        (linear,) = baseline.mention_probabilities([sentence])
        row = {"mentions": count, "characters": len(sentence.text), "linear_s": round(time.perf_counter() - started, 3)}
        if count <= args.plain_up_to:
            started = time.perf_counter()
            plain = baseline.predict_items([(sentence, i) for i in range(count)])
            row["plain_s"] = round(time.perf_counter() - started, 3)
            row["max_abs_difference"] = float(np.abs(linear - plain).max())
        rows.append(row)
    print(json.dumps({"bench": "baseline_mentions", "machine": started_on, "model": str(args.model), "results": rows},
                     indent=2))


if __name__ == "__main__":
    main()
