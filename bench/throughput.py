"""Tagging throughput and accuracy: naive HF pipeline vs ``stancekit tag`` fp32 vs int8.

In one process, on the same inputs (NewsMTSC dev_rw + dev_mt sentences with their gold
mentions, then the seed coverage's sentences with dictionary mentions repeated until the
corpus holds ``--min-mentions``), with the same trained stance model:

(a) a naive Hugging Face ``Pipeline`` over (sentence, mention) pairs, as a user would write
    it: one encoder pass per pair, batch size 1;
(b) the batch function ``stancekit tag`` runs (length-grouped batches, dynamic padding, one
    encoder pass per sentence, no model call for sentences without mentions), fp32;
(c) the same with ``--precision int8``: int8, with the sentences where int8 is unsure (top-two
    margin below ``--recheck-margin``) redone in fp32;
(c0) int8 alone (``--recheck-margin 0``), for reference.

Prints JSON: mentions/s of each, the ratios b/a and c/a, macro-F1 of each on dev_rw and
dev_mt (from the same runs), the F1 loss of c (and c0) vs b, the share of all mentions on which
c (and c0) and b predict the same label, the share of sentences (c) redid in fp32, peak memory
of this process, and the
peak memory of the full ``stancekit tag`` job (int8, subprocess) on the seed coverage
repeated N and 10N times, to show that memory stays flat as the corpus grows.
``--naive-sentences K`` times (a) on the first K sentences only (its F1 is then left out),
for busy machines where the naive pipeline would take too long.

    python bench/throughput.py [--model models/newsmtsc-stance] [--newsmtsc ../shared/datasets/newsmtsc]
                               [--min-mentions 5000] [--threads 2] [--batch-size 64] [--memory-docs 8]
                               [--naive-sentences K] [--recheck-margin 0.2] [--smoke]

``--smoke``: a transformer fine-tuned for two steps on the first NewsMTSC rows, 50 mentions, no memory job.

Targets on 2 CPU cores: c >= 300 mentions/s, c/a >= 3, F1 loss of c vs b <= 0.005.
The README's figures used the default model that ``bench/accuracy.py`` trains (pass its folder
as ``--model``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from transformers import Pipeline  # noqa: E402

from _machine import machine  # noqa: E402
from stancekit.actors import ActorDictionary, DictionaryMatcher  # noqa: E402
from stancekit.evaluation import score  # noqa: E402
from stancekit.examples import read_newsmtsc  # noqa: E402
from stancekit.models import DEFAULT_RECHECK_MARGIN, InferenceOptions, load_model  # noqa: E402
from stancekit.models.quantization import RecheckedClassifier, int8_classifier  # noqa: E402
from stancekit.models.transformer import build_rows, collate  # noqa: E402
from stancekit.pipeline import iter_sentences  # noqa: E402
from stancekit.readers import iter_documents  # noqa: E402
from stancekit.records import Sentence  # noqa: E402
from stancekit.tagging import LocalEngine, Models, tag_sentences  # noqa: E402

SEEDS = REPO / "seeds"
ACTORS = SEEDS / "nagorno-karabakh.actors.yaml"


class _AsPretrained(torch.nn.Module):
    """What a user wraps a custom nn.Module in so that ``transformers.Pipeline`` accepts it."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner, self.config = inner, inner.encoder.config
        self.device, self.dtype = torch.device("cpu"), torch.float32

    def can_generate(self) -> bool:
        return False

    def forward(self, **batch):
        return self.inner(**batch)


class MentionStancePipeline(Pipeline):
    """(a): one (sentence, mention index) pair in, {label: probability} out."""

    def __init__(self, classifier, **kwargs):
        self.classifier = classifier
        super().__init__(model=_AsPretrained(classifier.model), tokenizer=classifier.tokenizer, device=-1, **kwargs)

    def _sanitize_parameters(self, **kwargs):
        return {}, {}, {}

    def preprocess(self, item):
        sentence, index = item
        rows = build_rows(self.tokenizer, [sentence], self.classifier.input_scheme, self.classifier.max_length,
                          mentions=[[index]])
        return collate(rows, self.tokenizer.pad_token_id or 0)

    def _forward(self, batch):
        return self.model(**batch)

    def postprocess(self, output):
        probs = torch.softmax(output["logits"][0].float(), dim=-1)
        return {label: float(p) for label, p in zip(self.classifier.labels, probs)}


def build_corpus(newsmtsc: Path, min_mentions: int) -> tuple[list[Sentence], dict[str, list[tuple[int, int, str]]]]:
    """The sentences, and per dev split the gold (sentence index, mention index, label) triples."""
    sentences: list[Sentence] = []
    gold: dict[str, list[tuple[int, int, str]]] = {}
    for split in ("dev_rw", "dev_mt"):
        gold[split] = []
        for example in read_newsmtsc(newsmtsc / f"{split}.jsonl"):
            for mi, label in enumerate(example.stances):
                if label is not None:
                    gold[split].append((len(sentences), mi, label))
            sentences.append(dataclasses.replace(example.sentence, doc_id=f"{split}:{example.sentence.doc_id}"))
    matcher = DictionaryMatcher(ActorDictionary.load(ACTORS))
    seed = list(iter_sentences(iter_documents([SEEDS]), matcher=matcher))
    repeat = 0
    while sum(len(s.mentions) for s in sentences) < min_mentions:
        sentences += [dataclasses.replace(s, doc_id=f"seed-{repeat}") for s in seed]
        repeat += 1
    return sentences, gold


def f1_scores(predicted: list[list[str]], gold: dict[str, list[tuple[int, int, str]]], labels) -> dict[str, float]:
    return {split: round(score([g for _, _, g in items], [predicted[si][mi] for si, mi, _ in items],
                               labels)["f1_macro"], 4) for split, items in gold.items()}


def run_naive(classifier, sentences: list[Sentence]) -> tuple[float, list[list[str]]]:
    pipe = MentionStancePipeline(classifier)
    pairs = [(s, mi) for s in sentences for mi in range(len(s.mentions))]
    start = time.perf_counter()
    with torch.inference_mode():
        outputs = pipe(pairs)
    seconds = time.perf_counter() - start
    it = iter(outputs)
    return seconds, [[max(p, key=p.get) for p in islice(it, len(s.mentions))] for s in sentences]


def run_stancekit(classifier, sentences: list[Sentence], batch_size: int, chunk: int = 2000
                  ) -> tuple[float, list[list[str]]]:
    engine = LocalEngine(Models(stance=classifier))
    start = time.perf_counter()
    records = []
    for lo in range(0, len(sentences), chunk):
        records += tag_sentences(sentences[lo:lo + chunk], engine=engine, batch_size=batch_size)
    seconds = time.perf_counter() - start
    return seconds, [[m["stance"] for m in r["mentions"]] for r in records]


_JOB = """
import json, sys, time
from stancekit.models import InferenceOptions
from stancekit.tagging import TagConfig, tag
t = time.perf_counter()
s = tag(TagConfig(inputs=[sys.argv[1]], model=sys.argv[2], actors=sys.argv[3], output=sys.argv[4],
                  inference=InferenceOptions(precision="int8"), threads=int(sys.argv[5]),
                  chunk_documents=int(sys.argv[6]), progress=False))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"documents": s.documents, "mentions": s.mentions, "seconds": round(time.perf_counter() - t, 1),
                  "peak_rss_mb": round(hwm / 1024)}))
"""


def job_memory(model: Path, documents: int, threads: int, chunk: int) -> dict:
    """Run the whole ``stancekit tag`` job (int8) in a fresh process on the seed repeated ``documents`` times."""
    text = next(SEEDS.glob("*.txt")).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        corpus.write_text("".join(json.dumps({"id": f"seed-{i}", "text": text}) + "\n" for i in range(documents)),
                          encoding="utf-8")
        out = subprocess.run([sys.executable, "-c", _JOB, str(corpus), str(model), str(ACTORS),
                              str(Path(tmp) / "tags.jsonl"), str(threads), str(chunk)],
                             check=True, capture_output=True, text=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "newsmtsc-stance")
    parser.add_argument("--newsmtsc", type=Path, default=REPO.parent / "shared" / "datasets" / "newsmtsc")
    parser.add_argument("--min-mentions", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--memory-docs", type=int, default=8, help="N for the N vs 10N memory check (0: skip)")
    parser.add_argument("--recheck-margin", type=float, default=DEFAULT_RECHECK_MARGIN,
                        help="(c) redoes in fp32 the sentences where int8's top two labels are closer than this")
    parser.add_argument("--naive-sentences", type=int, default=0,
                        help="time (a) on the first K sentences only (0: all); its F1 is then left out")
    parser.add_argument("--smoke", action="store_true", help="seconds-long run on tiny data (checks the code path)")
    args = parser.parse_args()
    started_on = machine(args.threads)
    if args.smoke:
        from _smoke import tiny_model, tiny_newsmtsc

        args.model, args.newsmtsc = tiny_model("transformer", args.newsmtsc), tiny_newsmtsc(args.newsmtsc)
        args.min_mentions, args.memory_docs, args.naive_sentences = 50, 0, 5  # no memory job: minutes

    torch.set_num_threads(args.threads)
    sentences, gold = build_corpus(args.newsmtsc, args.min_mentions)
    mentions = sum(len(s.mentions) for s in sentences)
    fp32 = load_model(args.model, InferenceOptions(device="cpu", batch_size=args.batch_size))
    int8 = int8_classifier(fp32, recheck_margin=args.recheck_margin)
    int8_alone = int8.fast if isinstance(int8, RecheckedClassifier) else int8  # the same int8 copy, no recheck
    runs: dict = {}
    labels: dict[str, list[list[str]]] = {}
    naive = sentences[:args.naive_sentences] if args.naive_sentences else sentences
    naive_mentions = sum(len(s.mentions) for s in naive)
    for name, run in (("a_naive_pipeline", lambda: run_naive(fp32, naive)),
                      ("b_stancekit_fp32", lambda: run_stancekit(fp32, sentences, args.batch_size)),
                      ("c_stancekit_int8", lambda: run_stancekit(int8, sentences, args.batch_size)),
                      ("c0_int8_no_recheck", lambda: run_stancekit(int8_alone, sentences, args.batch_size))):
        seconds, predicted = run()
        labels[name] = predicted
        done = naive_mentions if name.startswith("a_") else mentions
        runs[name] = {"mentions": done, "mentions_per_s": round(done / seconds, 1), "seconds": round(seconds, 1)}
        if len(predicted) == len(sentences):
            runs[name]["f1_macro"] = f1_scores(predicted, gold, fp32.labels)
        print(f"{name}: {runs[name]}", file=sys.stderr)
    a, b, c = (runs[k]["mentions_per_s"] for k in ("a_naive_pipeline", "b_stancekit_fp32", "c_stancekit_int8"))

    def agreement(name: str) -> float:
        return round(sum(x == y for b_s, c_s in zip(labels["b_stancekit_fp32"], labels[name])
                         for x, y in zip(b_s, c_s)) / mentions, 4)

    result = {
        "machine": started_on, "model": fp32.name, "threads": args.threads, "batch_size": args.batch_size,
        "sentences": len(sentences), "mentions": mentions, "runs": runs,
        "ratio_b_over_a": round(b / a, 2), "ratio_c_over_a": round(c / a, 2),
        "recheck_margin": args.recheck_margin,
        "c_sentences_rechecked_in_fp32": round(int8.rechecked / max(int8.seen, 1), 4) if args.recheck_margin else 0,
        **{f"f1_loss_{c}_vs_b": {split: round(runs["b_stancekit_fp32"]["f1_macro"][split]
                                             - runs[name]["f1_macro"][split], 4) for split in gold}
           for c, name in (("c", "c_stancekit_int8"), ("c0", "c0_int8_no_recheck"))},
        "agreement_c_vs_b": agreement("c_stancekit_int8"),
        "agreement_c0_vs_b": agreement("c0_int8_no_recheck"),
        "peak_rss_mb_this_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "torch": torch.__version__,
    }
    if args.memory_docs:
        n = args.memory_docs
        result["job_memory_int8"] = {f"{docs}_documents": job_memory(args.model, docs, args.threads, n)
                                     for docs in (n, 10 * n)}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
