"""Throughput of reading + segmentation + actor mentions on a large synthetic corpus.

Builds a JSONL corpus of >= --mb megabytes by repeating and shuffling the seed article's
paragraphs into documents, then streams it through the same code as ``stancekit mentions``
(readers -> NewsSegmenter -> DictionaryMatcher -> JSON serialisation) on one core, and
prints one JSON object: MB/s, sentences/s, mentions/s and peak memory, with RSS sampled
at 10% and at 100% of the run to show that memory stays flat.

    python bench/segment_mentions.py [--mb 50] [--keep CORPUS.jsonl] [--smoke]

``--smoke``: a corpus of 0.05 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from _machine import machine
from stancekit.actors import ActorDictionary, DictionaryMatcher
from stancekit.io import dumps
from stancekit.pipeline import iter_sentences
from stancekit.readers import iter_documents

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "000_cae259164d53c011.txt"
ACTORS = REPO / "seeds" / "nagorno-karabakh.actors.yaml"


def rss_mib() -> float:
    """Current resident set size (Linux /proc), in MiB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def build_corpus(path: Path, megabytes: float, seed: int = 13) -> int:
    """Write shuffled-paragraph documents until the corpus holds ``megabytes`` of text."""
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    rng = random.Random(seed)
    target, written, doc = megabytes * 1e6, 0, 0
    with path.open("w", encoding="utf-8") as handle:
        while written < target:
            rng.shuffle(paragraphs)
            text = "\n\n".join(paragraphs[: rng.randint(8, len(paragraphs))])
            handle.write(json.dumps({"id": f"doc-{doc}", "text": text, "outlet": "bench"}, ensure_ascii=False) + "\n")
            written += len(text.encode("utf-8"))
            doc += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="corpus size in MB of text (default 50)")
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    parser.add_argument("--smoke", action="store_true", help="seconds-long run on a tiny corpus (checks the code path)")
    args = parser.parse_args()
    started_on = machine(1)
    if args.smoke:
        args.mb = 0.05

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    workdir = tempfile.TemporaryDirectory()
    corpus = args.keep or Path(workdir.name) / "corpus.jsonl"
    text_bytes = build_corpus(corpus, args.mb)
    matcher = DictionaryMatcher(ActorDictionary.load(ACTORS))

    rss_start = rss_mib()
    sentences = mentions = processed = 0
    rss_at_10 = None
    sink = open(os.devnull, "w", encoding="utf-8")
    started = time.perf_counter()
    for sentence in iter_sentences(iter_documents([corpus]), matcher=matcher):
        sink.write(dumps(sentence.to_dict()) + "\n")
        sentences += 1
        mentions += len(sentence.mentions)
        processed += len(sentence.text.encode("utf-8"))
        if rss_at_10 is None and processed >= 0.1 * text_bytes:
            rss_at_10 = rss_mib()
    elapsed = time.perf_counter() - started
    sink.close()
    result = {
        "corpus_mb": round(text_bytes / 1e6, 1),
        "corpus_file_mb": round(corpus.stat().st_size / 1e6, 1),
        "seconds": round(elapsed, 2),
        "mb_per_s": round(text_bytes / 1e6 / elapsed, 2),
        "sentences": sentences,
        "sentences_per_s": round(sentences / elapsed),
        "mentions": mentions,
        "mentions_per_s": round(mentions / elapsed),
        "rss_mib_start": round(rss_start, 1),
        "rss_mib_at_10pct": round(rss_at_10 or 0.0, 1),
        "rss_mib_end": round(rss_mib(), 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cores": 1,
        "machine": started_on,
        "target_mb_per_s": 2.0,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
