"""Label Studio sync at scale: seconds to push 10,000 tasks and to pull 10,000 annotated tasks.

Starts a fresh local Label Studio (temp data dir, free port) unless --url is given (then the
token is $LABEL_STUDIO_API_KEY), and prints one JSON object:

- push: ``stancekit ls push`` of N sentences with actors (segmentation, dictionary matching,
  task building with pre-annotations, batched import); seconds, tasks/s, HTTP requests;
- push_again: the idempotent re-run (finds all N keys on the server, pushes nothing);
- pull: ``stancekit ls pull`` of a project holding N tasks with one annotation each (imported
  with their annotations so that the setup is fast): export snapshot, verbatim download,
  parsing into records; seconds, requests, export size.

    python bench/labelstudio_sync.py [--tasks 10000] [--batch-size 500] [--url URL] [--smoke]

``--smoke``: 40 tasks in batches of 10, against $LABEL_STUDIO_URL when it is set (the test suite's server),
else a fresh server.

Targets: push and pull of 10,000 tasks under 60 s each.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import tempfile
import time
from pathlib import Path

from _machine import machine
from stancekit.records import Mention, Sentence
from stancekit.studio.client import StudioClient
from stancekit.studio.pull import PullConfig, pull
from stancekit.studio.push import PushConfig, existing_keys, push
from stancekit.studio.server import ServerConfig, start_server
from stancekit.studio.tasks import prediction, sentiment_result, stance_result, task_data

REPO = Path(__file__).resolve().parent.parent
ACTORS = REPO / "seeds" / "nagorno-karabakh.actors.yaml"
SENTENCES_PER_DOC = 4


def write_corpus(path: Path, tasks: int) -> None:
    """Documents of 4 sentences, each sentence naming two or three actors of the seed dictionary."""
    with path.open("w", encoding="utf-8") as handle:
        for d in range(tasks // SENTENCES_PER_DOC):
            text = (f"Azerbaijan shelled Armenian positions near Karabakh on day {d}. "
                    f"Russia urged both sides to respect truce number {d}. "
                    f"Turkey backed Azerbaijan in statement {d}. "
                    f"The Kremlin said talks in round {d} would continue.")
            handle.write(json.dumps({"id": f"bench{d:06d}", "text": text, "date": "2020-10-20",
                                     "outlet": "Bench Wire"}) + "\n")


def annotated_task(i: int) -> dict:
    """A task with one annotator's answer, in the shape the Label Studio editor saves."""
    text = f"Azerbaijan accused Armenia of shelling village {i}."
    sentence = Sentence(f"pull{i // 50:05d}", i % 50, 0, len(text), text,
                        (Mention("azerbaijan", 0, 10, "Azerbaijan"), Mention("armenia", 19, 26, "Armenia")))
    pred = prediction(sentence, model_version="dictionary")
    spans = list(pred["result"])
    result = spans + [stance_result(spans[0]["id"], sentence.mentions[0], "neutral"),
                      stance_result(spans[1]["id"], sentence.mentions[1], "against"),
                      sentiment_result("negative")]
    return {"data": task_data(sentence, "", ""), "predictions": [pred],
            "annotations": [{"result": result, "lead_time": 4.2}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--url", help="use this server (token from $LABEL_STUDIO_API_KEY) instead of starting one")
    parser.add_argument("--smoke", action="store_true", help="seconds-long run of 40 tasks (checks the code path)")
    args = parser.parse_args()
    started_on = machine(1)
    if args.smoke:
        args.tasks, args.batch_size, args.url = 40, 10, args.url or os.environ.get("LABEL_STUDIO_URL")

    work = Path(tempfile.mkdtemp(prefix="stancekit-ls-bench-"))
    server = None
    url = token = None  # --url: StudioClient reads the token from $LABEL_STUDIO_API_KEY
    if args.url:
        url = args.url
    else:
        server = start_server(ServerConfig(data_dir=work / "ls", port=0))
        url, token = server.url, server.config.token
    try:
        corpus = work / "corpus.jsonl"
        write_corpus(corpus, args.tasks)
        title = f"bench push {secrets.token_hex(3)}"
        config = PushConfig(project=title, inputs=[corpus], actors=ACTORS, batch_size=args.batch_size)
        with StudioClient(url, token) as client:
            started = time.perf_counter()
            pushed = push(config, client, quiet=True)
            push_seconds = time.perf_counter() - started
            started = time.perf_counter()
            again = push(config, client, quiet=True)
            again_seconds = time.perf_counter() - started
            on_server = len(existing_keys(client, pushed.project_id))

            pull_title = f"bench pull {secrets.token_hex(3)}"
            project = client.create_project({"title": pull_title, "label_config": client.sdk.projects.get(
                pushed.project_id).label_config})
            tasks = [annotated_task(i) for i in range(args.tasks)]
            for start in range(0, len(tasks), 1000):
                client.import_tasks(project["id"], tasks[start:start + 1000])
            before = client.requests
            started = time.perf_counter()
            pulled = pull(PullConfig(project=pull_title, out_dir=work / "pulled"), client)
            pull_seconds = time.perf_counter() - started
            pull_requests = client.requests - before
        print(json.dumps({
            "machine": started_on, "tasks": args.tasks, "batch_size": args.batch_size,
            "push": {"seconds": round(push_seconds, 1), "tasks_per_s": round(pushed.pushed / push_seconds),
                     "pushed": pushed.pushed, "on_server": on_server, "requests": pushed.requests,
                     "target_seconds": 60, "met": push_seconds < 60},
            "push_again": {"seconds": round(again_seconds, 1), "pushed": again.pushed,
                           "already_there": again.already_there, "requests": again.requests},
            "pull": {"seconds": round(pull_seconds, 1), "tasks": len(pulled.parsed.tasks),
                     "records": len(pulled.parsed.records), "requests": pull_requests,
                     "export_mb": round(pulled.raw_path.stat().st_size / 2**20, 1),
                     "target_seconds": 60, "met": pull_seconds < 60},
            "server": "started fresh (SQLite)" if server else url,
        }, indent=2))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
