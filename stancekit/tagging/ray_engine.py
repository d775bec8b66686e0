"""``--engine ray``: the same per-batch function, run by a pool of model-holding Ray actors.

Each chunk of planned batches becomes a Ray Data dataset (one row a model batch, as JSON)
and goes through ``map_batches`` with an actor pool: every actor loads the models once and
runs :func:`stancekit.tagging.batch.run_batch` on the batches it is given. The planning,
ordering, chunk files and resuming stay in the driver, so the records are the same as the
local engine's. On a cluster, start Ray there and pass ``--ray-address``; actors ask for a
GPU each when the cluster has GPUs and the device is ``auto`` or ``cuda``.

Ray is the optional extra ``ray`` (``pip install '.[ray]'`` in the checkout).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from stancekit.extras import require_extra
from stancekit.models.options import InferenceOptions
from stancekit.tagging.batch import Batch

def _import_ray() -> Any:
    require_extra("ray")
    import ray
    import ray.data  # noqa: F401

    return ray


class TaggerActor:
    """A Ray actor holding the models; called with a batch of serialized model batches."""

    def __init__(self, model: Path, sentiment_model: Path | None, options: InferenceOptions, threads: int):
        from stancekit.models.runtime import set_threads
        from stancekit.tagging.batch import load_models

        set_threads(threads)
        self.models = load_models(model, sentiment_model, options)

    def __call__(self, rows: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        from stancekit.records import Sentence
        from stancekit.tagging.batch import run_batch

        results = []
        for payload in rows["payload"]:
            task, sentences = json.loads(payload)
            batch = (task, [Sentence.from_dict(s) for s in sentences])
            results.append(json.dumps(run_batch(batch, self.models)))
        return {"index": rows["index"], "result": np.array(results, dtype=object)}


class RayEngine:
    """Runs planned batches on Ray Data with ``actors`` model-holding actors."""

    def __init__(self, model: Path, sentiment_model: Path | None, options: InferenceOptions, *, actors: int = 2,
                 address: str | None = None):
        self.ray = _import_ray()
        if not self.ray.is_initialized():
            self.ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
        context = self.ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        self.actors = actors
        resources = self.ray.cluster_resources()
        wants_gpu = options.device == "auto" or options.device.startswith("cuda")
        self.gpus = 1 if wants_gpu and resources.get("GPU", 0) >= actors else 0
        if self.gpus:
            options = dataclasses.replace(options, device="cuda")
        self.actor_arguments = {"model": model, "sentiment_model": sentiment_model, "options": options}
        self.cpus = max(1, int(resources.get("CPU", 1) // actors))

    def run(self, batches: list[Batch]) -> list[list[Any]]:
        if not batches:
            return []
        rows = [{"index": i, "payload": json.dumps([task, [s.to_dict() for s in sentences]])}
                for i, (task, sentences) in enumerate(batches)]
        dataset = self.ray.data.from_items(rows).map_batches(
            TaggerActor, fn_constructor_kwargs={**self.actor_arguments, "threads": self.cpus},
            batch_size=1, compute=self.ray.data.ActorPoolStrategy(size=min(self.actors, len(rows))),
            num_cpus=self.cpus, num_gpus=self.gpus)
        results: list[list[Any] | None] = [None] * len(rows)
        for row in dataset.iter_rows():
            results[int(row["index"])] = json.loads(row["result"])
        return results  # type: ignore[return-value]
