"""How segmentation + actor matching scale on text without sentence punctuation.

Coverage scraped badly (no full stops, hard-wrapped lines, one giant "sentence") used to be
quadratic: 50k / 100k / 200k characters took 0.4 / 1.4 / 6 s and 5 MB did not finish in 300 s.
This prints, as JSON, the seconds and characters per second for growing sizes of three such
texts: linear work keeps characters per second about flat.

    python bench/matching_scale.py [--sizes 50000 100000 200000 1000000 5000000] [--smoke]

``--smoke``: 2,000 and 4,000 characters.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _machine import machine
from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.pipeline import iter_sentences
from stancekit.records import Document

ACTORS = Path(__file__).resolve().parent.parent / "seeds" / "nagorno-karabakh.actors.yaml"
TEXTS = {
    "no_punctuation": "the Armenian forces and Azerbaijan and Russia met near the border with Turkey while Putin watched ",
    "hard_wrapped_lines": "the Armenian forces and Azerbaijan and Russia met near the border\n",
    "non_breaking_spaces": "the\u00a0Kremlin and Tu\u0308rkiye met Russia\u2019s Putin and ",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000, 200_000, 1_000_000, 5_000_000])
    parser.add_argument("--smoke", action="store_true", help="seconds-long run on tiny texts (checks the code path)")
    args = parser.parse_args()
    started_on = machine(1)
    if args.smoke:
        args.sizes = [2_000, 4_000]
    matcher = DictionaryMatcher(ActorDictionary.load(ACTORS))
    results: dict[str, list[dict[str, float]]] = {}
    for name, unit in TEXTS.items():
        rows = results[name] = []
        for size in args.sizes:
            text = (unit * (size // len(unit) + 1))[:size]
            started = time.perf_counter()
            sentences = list(iter_sentences([Document("bench", text, {})], matcher=matcher))
            seconds = time.perf_counter() - started
            rows.append({"chars": size, "seconds": round(seconds, 3), "sentences": len(sentences),
                         "mentions": sum(len(s.mentions) for s in sentences),
                         "chars_per_second": round(size / seconds) if seconds else None})
    print(json.dumps({"bench": "matching_scale", "machine": started_on, "results": results}, indent=2))


if __name__ == "__main__":
    main()
