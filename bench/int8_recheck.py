"""Where int8 flips a label, and what rechecking the unsure sentences in fp32 costs.

On a sample of NewsMTSC **train** sentences (never dev, so the default is not tuned to the dev
figures), runs the stance model in fp32 and in int8 alone, and prints JSON: the mentions whose
int8 label differs from fp32 with int8's top-two probability margin for each, and, per candidate
``--recheck-margin``, the share of sentences that would be redone in fp32 and the flips that
would remain. The default (0.2) is the smallest candidate that leaves no flip on this sample.

    python bench/int8_recheck.py --model models/newsmtsc-stance [--sentences 1500] [--threads 2] [--smoke]

``--smoke``: a transformer fine-tuned for two steps on the first NewsMTSC rows, 20 sentences.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from _machine import machine  # noqa: E402
from stancekit.examples import read_newsmtsc  # noqa: E402
from stancekit.models import InferenceOptions, load_model  # noqa: E402
from stancekit.margins import top_two_margins  # noqa: E402
from stancekit.models.quantization import int8_classifier  # noqa: E402

CANDIDATES = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "newsmtsc-stance")
    parser.add_argument("--newsmtsc", type=Path, default=REPO.parent / "shared" / "datasets" / "newsmtsc")
    parser.add_argument("--sentences", type=int, default=1500, help="train sentences to sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="seconds-long run on tiny data (checks the code path)")
    args = parser.parse_args()

    started_on = machine(args.threads)
    if args.smoke:
        from _smoke import tiny_model

        args.model, args.sentences = tiny_model("transformer", args.newsmtsc), 20
    torch.set_num_threads(args.threads)
    examples = [e for e in read_newsmtsc(args.newsmtsc / "train.jsonl") if e.sentence.mentions]
    random.Random(args.seed).shuffle(examples)
    sentences = [e.sentence for e in examples[:args.sentences]]
    fp32 = load_model(args.model, InferenceOptions(device="cpu"))
    int8 = int8_classifier(fp32, recheck_margin=0)
    exact, approx = fp32.mention_probabilities(sentences), int8.mention_probabilities(sentences)
    # a sentence is redone when its least certain mention is below the margin
    sentence_margin = np.array([top_two_margins(p).min() for p in approx])
    flips = [(si, float(top_two_margins(b)[mi])) for si, (a, b) in enumerate(zip(exact, approx))
             for mi in np.flatnonzero(a.argmax(1) != b.argmax(1))]
    mentions = sum(len(p) for p in exact)
    per_margin = {str(m): {"sentences_rechecked": round(float(np.mean(sentence_margin < m)), 4),
                           "flips_left": sum(margin >= m for _, margin in flips)} for m in CANDIDATES}
    print(json.dumps({
        "machine": started_on, "model": fp32.name, "sentences": len(sentences), "mentions": mentions,
        "flips_int8_alone": len(flips), "flip_margins": sorted(round(m, 3) for _, m in flips),
        "mean_abs_probability_change": round(float(np.mean(np.abs(np.concatenate(exact) - np.concatenate(approx)))), 5),
        "per_recheck_margin": per_margin,
        "smallest_margin_without_flips": next((m for m in CANDIDATES if per_margin[str(m)]["flips_left"] == 0), None),
    }, indent=1))


if __name__ == "__main__":
    main()
