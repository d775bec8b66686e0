"""Where int8 flips a label, and what rechecking the unsure sentences in fp32 costs: calibrates ``--recheck-margin``.

On the default model's **validation split** (the ~10% of NewsMTSC train documents that training held out
from the weights and only used to pick the checkpoint; ``stancekit.training.hold_out``), never on dev (dev
is where the F1 loss is measured, ``bench/throughput.py``), runs the stance model in fp32 and in int8 alone
on the path ``stancekit tag`` takes (``--backend``, default ONNX Runtime), and prints JSON: int8's largest
and 99.9th-percentile probability change, the mentions whose int8 label differs from fp32 with int8's
top-two margin for each, and per candidate margin the share of sentences that would be redone in fp32
and the flips left. A flip needs int8's margin below twice its probability change, so the margin follows
int8's own error: the default is twice the 99th percentile of that change here, rounded to a candidate
(``suggested_margin``). The smallest candidate that leaves no flip on this split is printed too; on the
default model it was 0.05, which left 4 flips at margins up to 0.15 on dev, where 0.1 left one.

    python bench/int8_recheck.py --model models/newsmtsc-stance [--backend onnxruntime] [--threads 2]
    python bench/int8_recheck.py --smoke     # a tiny model, 60 sentences
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from stancekit.examples import read_newsmtsc  # noqa: E402
from stancekit.margins import top_two_margins  # noqa: E402
from stancekit.models import InferenceOptions, load_model  # noqa: E402
from stancekit.models.runtime import set_threads  # noqa: E402
from stancekit.training import hold_out  # noqa: E402

from _machine import machine  # noqa: E402  (bench/ is on the path of a script run from it)

CANDIDATES = (0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "newsmtsc-stance")
    parser.add_argument("--newsmtsc", type=Path, default=REPO.parent / "shared" / "datasets" / "newsmtsc")
    parser.add_argument("--backend", choices=("onnxruntime", "torch"), default="onnxruntime")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="a tiny model, the first 60 validation sentences")
    args = parser.parse_args()
    started_on = machine(args.threads)
    if args.smoke:
        from _smoke import tiny_model

        args.model = tiny_model("transformer", args.newsmtsc)

    set_threads(args.threads)
    _, validation, unit = hold_out(read_newsmtsc(args.newsmtsc / "train.jsonl"))
    sentences = [e.sentence for e in validation if e.sentence.mentions][: 60 if args.smoke else None]
    fp32 = load_model(args.model, InferenceOptions(device="cpu", precision="fp32", backend=args.backend))
    int8 = load_model(args.model, InferenceOptions(device="cpu", precision="int8", recheck_margin=0,
                                                   backend=args.backend))
    exact, approx = fp32.mention_probabilities(sentences), int8.mention_probabilities(sentences)
    change = np.abs(np.concatenate(exact) - np.concatenate(approx)).max(axis=1)
    sentence_margin = np.array([top_two_margins(p).min() for p in approx])  # a sentence is redone by its least sure
    flips = [float(top_two_margins(b)[mi]) for a, b in zip(exact, approx) for mi in np.flatnonzero(a.argmax(1)
                                                                                                  != b.argmax(1))]
    per_margin = {str(m): {"sentences_rechecked": round(float(np.mean(sentence_margin < m)), 4),
                           "flips_left": sum(f >= m for f in flips)} for m in CANDIDATES}
    print(json.dumps({
        "bench": "int8_recheck", "machine": started_on, "model": fp32.name, "backend": args.backend, "split": f"validation (held out by {unit})",
        "sentences": len(sentences), "mentions": int(change.size), "runtime": int8.runtime,
        "max_probability_change": round(float(change.max()), 5),
        "p99_probability_change": round(float(np.quantile(change, 0.99)), 5),
        "p999_probability_change": round(float(np.quantile(change, 0.999)), 5),
        "mean_probability_change": round(float(change.mean()), 5),
        "flips_int8_alone": len(flips), "flip_margins": sorted(round(m, 4) for m in flips),
        "per_recheck_margin": per_margin,
        "smallest_margin_without_flips": next((m for m in CANDIDATES if per_margin[str(m)]["flips_left"] == 0), None),
        "suggested_margin": min(CANDIDATES, key=lambda m: abs(m - 2 * float(np.quantile(change, 0.99)))),
    }, indent=1))


if __name__ == "__main__":
    main()
