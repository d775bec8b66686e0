"""``stancekit serve`` speed: /predict latency and throughput, and the wall time of one retraining.

1. A real ``stancekit serve`` process (uvicorn, 127.0.0.1) with the stance model and the seed actor
   dictionary: p50/p95 of ``POST /predict`` for one task imported by hand (text only: the dictionary
   finds the spans), over ``--requests`` requests after a warm-up; then throughput for 1,000 tasks as
   ``ls push`` makes them (NewsMTSC train sentences with their targets as ``data.mentions``), sent as
   Label Studio sends a Data Manager selection (one request), and as ten requests of 100.
2. One retraining's training and comparison on 500 and on 2,000 labelled sentences (NewsMTSC train rows
   standing in for labels, written as a gold dataset split by document like ``dataset build``): the
   warm-started fine-tuning from the served model plus scoring old and new on the held-out slice,
   with the backend's default settings (4 epochs, batch 16). Pulling the export from Label Studio
   and building the gold set are not included (they need a server; seconds at this size).

Without ``--model`` it trains the default transformer (offline all-MiniLM-L6-v2, span-pool) for a few
steps on 40 NewsMTSC sentences: same architecture and input length as a fully trained default model,
so the same speed; its predictions are not meant to be good.

    python bench/serve_latency.py [--model DIR] [--newsmtsc ../shared/datasets/newsmtsc] [--requests 200]
                                  [--threads 1 2] [--labels 500 2000] [--train-threads 1] [--tasks 1000] [--smoke]

``--smoke``: 3 requests, 20 tasks, one thread, one retraining on 40 labelled sentences (seconds).

Prints JSON. Aim: p50 < 100 ms for one task on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _machine import load_average, machine  # noqa: E402
from _smoke import tiny_model  # noqa: E402
from stancekit.examples import read_newsmtsc  # noqa: E402
from stancekit.studio.server import free_port  # noqa: E402

ACTORS = REPO / "seeds" / "nagorno-karabakh.actors.yaml"
ONE_TASK = "Azerbaijan accused Armenia of shelling Ganja overnight, and Russia called on both sides to hold the truce."


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def pushed_tasks(newsmtsc: Path, n: int) -> list[dict]:
    examples = read_newsmtsc(newsmtsc / "train.jsonl")[:n]
    return [{"id": i, "data": {"text": ex.sentence.text, "mentions": [m.to_dict() for m in ex.sentence.mentions]}}
            for i, ex in enumerate(examples)]


def bench_predict(model: Path, newsmtsc: Path, *, requests: int, threads: int, folder: Path, n_tasks: int) -> dict:
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    folder.mkdir()
    log = (folder / "serve.log").open("wb")
    command = [sys.executable, "-c", "from stancekit.cli import main; main()", "serve", "--model", str(model),
               "--actors", str(ACTORS), "--port", str(port), "--threads", str(threads),
               "--versions-dir", str(folder / "versions")]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=600) as http:
            while True:
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
                if process.poll() is not None:
                    raise SystemExit(f"stancekit serve exited; see {folder / 'serve.log'}")
            startup = time.perf_counter() - started
            one = {"tasks": [{"id": 1, "data": {"text": ONE_TASK}}]}
            for _ in range(10):
                http.post("/predict", json=one).raise_for_status()
            latencies, health = [], []
            for _ in range(requests):
                t0 = time.perf_counter()
                http.post("/predict", json=one).raise_for_status()
                latencies.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                http.get("/health").raise_for_status()
                health.append((time.perf_counter() - t0) * 1000)
            tasks = pushed_tasks(newsmtsc, n_tasks)
            t0 = time.perf_counter()
            http.post("/predict", json={"tasks": tasks}).raise_for_status()
            one_request = time.perf_counter() - t0
            t0 = time.perf_counter()
            tenth = max(1, len(tasks) // 10)
            for i in range(0, len(tasks), tenth):
                http.post("/predict", json={"tasks": tasks[i:i + tenth]}).raise_for_status()
            ten_requests = time.perf_counter() - t0
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    return {
        "startup_seconds": round(startup, 2),
        "predict_one_task_ms": {"p50": round(statistics.median(latencies), 1),
                                "p95": round(percentile(latencies, 0.95), 1), "requests": requests},
        "health_ms": {"p50": round(statistics.median(health), 2), "p95": round(percentile(health, 0.95), 2)},
        f"throughput_{len(tasks)}_tasks": {
            "mentions": sum(len(t["data"]["mentions"]) for t in tasks),
            "one_request": {"seconds": round(one_request, 2), "tasks_per_s": round(len(tasks) / one_request, 1)},
            f"ten_requests_of_{tenth}": {"seconds": round(ten_requests, 2),
                                         "tasks_per_s": round(len(tasks) / ten_requests, 1)},
        },
    }


def gold_from_newsmtsc(newsmtsc: Path, n: int, out: Path, *, held_out: float) -> Path:
    """The first ``n`` NewsMTSC train rows as a gold dataset, split by document like ``dataset build``."""
    from datasets import Dataset

    from stancekit.gold.build import split_documents
    from stancekit.gold.dataset import SPLITS, features

    examples = read_newsmtsc(newsmtsc / "train.jsonl")[:n]
    gold = [{"task_key": f"{ex.sentence.doc_id}:{i}", "doc_id": ex.sentence.doc_id, "sent_idx": i,
             "text": ex.sentence.text, "sentiment": None, "meta": json.dumps(ex.sentence.meta),
             "mentions": [{**m.to_dict(), "stance": s} for m, s in zip(ex.sentence.mentions, ex.stances)]}
            for i, ex in enumerate(examples)]
    assignment = split_documents(gold, validation=0.1, test=held_out, seed=13)
    out.mkdir(parents=True)
    for split in SPLITS:
        rows = [r for r in gold if assignment[r["doc_id"]] == split]
        if rows:
            Dataset.from_list(rows, features=features()).to_parquet(str(out / f"{split}.parquet"))
    return out


def bench_retraining(model: Path, newsmtsc: Path, labels: int, folder: Path, threads: int) -> dict:
    import torch

    from stancekit.serve.retrain import RetrainJob, held_out_f1, train_version
    from stancekit.serve.config import TrainingSettings

    torch.set_num_threads(threads)
    settings = TrainingSettings(threads=threads)
    gold = gold_from_newsmtsc(newsmtsc, labels, folder / f"gold-{labels}", held_out=settings.held_out)
    job = RetrainJob(studio_url="http://127.0.0.1:1", project_title="bench", model_dir=model,
                     versions_root=folder / "versions", served_version="bench", served_path=model, job_dir=folder,
                     training=settings)
    t0 = time.perf_counter()
    trained = train_version(job, gold, folder / f"trained-{labels}")
    train_seconds = time.perf_counter() - t0
    old, n = held_out_f1(model, gold)
    new, _ = held_out_f1(trained, gold)
    total = time.perf_counter() - t0
    return {"labelled_sentences": labels, "held_out_mentions": n, "train_seconds": round(train_seconds, 1),
            "wall_seconds": round(total, 1), "held_out_f1": {"served": round(old, 4), "retrained": round(new, 4)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--newsmtsc", type=Path, default=REPO.parent / "shared" / "datasets" / "newsmtsc")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="prediction threads to measure")
    parser.add_argument("--labels", type=int, nargs="*", default=[500, 2000])
    parser.add_argument("--train-threads", type=int, default=1, help="as the backend's default (--train-threads)")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks of the throughput measure")
    parser.add_argument("--smoke", action="store_true", help="seconds-long run on tiny data (checks the code path)")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.threads, args.labels, args.tasks = 3, [1], [40], 20
    started_on = machine(args.threads[0] if len(args.threads) == 1 else None)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    stdout = sys.stdout
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp, contextlib.redirect_stdout(sys.stderr):
        # the Trainer prints its metrics on stdout: only the JSON result goes there
        folder = Path(tmp)
        model = args.model or tiny_model("transformer", args.newsmtsc)
        result = {"machine": started_on,
                  "model": str(args.model) if args.model else "default architecture (MiniLM span-pool), 2 steps",
                  "predict": {}}
        for threads in args.threads:
            result["predict"][f"threads={threads}"] = bench_predict(model, args.newsmtsc, requests=args.requests,
                                                                    threads=threads, folder=folder / f"t{threads}",
                                                                    n_tasks=args.tasks)
        print(json.dumps(result, indent=2), file=sys.stderr, flush=True)
        result["retraining"] = []
        for n in args.labels:
            result["retraining"].append(bench_retraining(model, args.newsmtsc, n, folder, args.train_threads))
            print(json.dumps(result["retraining"][-1]), file=sys.stderr, flush=True)
        result["machine"]["load_average_at_end"] = load_average()
    print(json.dumps(result, indent=2), file=stdout)


if __name__ == "__main__":
    main()
