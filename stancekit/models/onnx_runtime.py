"""ONNX Runtime inference for transformer model folders: the CPU fast path, fp32 and per-token int8.

:func:`onnx_cache` exports the folder's classifier once (with torch) into its cache
(:mod:`stancekit.models.onnx_cache`) and checks the copy against torch before it is published: the
light tokenizer must give the same rows, the fp32 graph the same probabilities (1e-4), the int8
graph probabilities within 0.2. Loading a cached copy needs neither torch nor the transformers
model code: the tokenizer is read from ``tokenizer.json`` (:class:`~stancekit.models.tokenizer.LightTokenizer`
with the input names the model's own tokenizer class uses), and the graphs are ONNX Runtime sessions.
:func:`int8_speedup` is the millisecond probe that says whether int8 pays on this CPU.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from stancekit.errors import ModelError, OutputError
from stancekit.io import atomic_write
from stancekit.models.encoder import EncoderPredictor
from stancekit.models.encoding import Row, build_rows, collate_arrays
from stancekit.models.manifest import Manifest
from stancekit.models.onnx_cache import FP32, INT8, PROBE_FP32, PROBE_INT8, OnnxCache, find_or_build
from stancekit.models.onnx_graph import OUTPUT
from stancekit.models.options import InferenceOptions
from stancekit.models.tokenizer import LightTokenizer
from stancekit.records import Mention, Sentence

# padded tokens per forward pass at most: smaller passes keep the activations in cache (measured on the seed
# sentences, int8, CPU time per mention: 384-512 tokens best, 1,000 (about 64 mentions) 12% slower, 2,000 45%)
TOKEN_BUDGET = 512
FP32_TOLERANCE, INT8_TOLERANCE = 1e-4, 0.2
PROBE_RECORD = "probe.json"  # the probe's figure for this CPU, kept beside the copies it measured  # largest probability change an exported copy may show vs torch
CHECK_TEXTS = (  # sentences the export is checked on: mentions at the start, middle and end, non-ASCII, a long one
    ("Armenia and Azerbaijan signed a ceasefire brokered by Russia on Tuesday.", ("Armenia", "Azerbaijan", "Russia")),
    ("Erdoğan said Türkiye would stand by Baku.", ("Erdoğan", "Türkiye", "Baku")),
    ("The refugees who fled Stepanakert blamed Yerevan, Baku and Moscow alike for a blockade that lasted "
     "nine months, while officials in Brussels and Washington urged restraint and promised aid.",
     ("Stepanakert", "Yerevan", "Baku", "Moscow", "Brussels", "Washington")),
    ("Pashinyan.", ("Pashinyan",)),
)


def check_sentences() -> list[Sentence]:
    sentences = []
    for i, (text, names) in enumerate(CHECK_TEXTS):
        mentions = tuple(Mention(name, text.index(name), text.index(name) + len(name), name) for name in names)
        sentences.append(Sentence("onnx-check", i, 0, len(text), text, mentions))
    return sentences


def session(model: Path | bytes) -> Any:
    """An ONNX Runtime CPU session that computes on the calling thread (full graph optimization, errors only).

    One thread, no pool: a predictor runs several batches at once instead, each on its own thread
    (``parallel_batches``, :func:`stancekit.batching.map_batches`), which on 2 cores did 1.8x the work of
    one batch split over two intra-op threads; with no pool, no thread spins for work either (measured
    at a load of 9 on 2 cores, a spinning pool ran 2x slower).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(model if isinstance(model, bytes) else str(model), options,
                                providers=["CPUExecutionProvider"])


class OnnxClassifier(EncoderPredictor):
    """One ONNX Runtime session of a model folder's classifier (fp32 or int8)."""

    def __init__(self, *, graph: Any, inputs: Sequence[str], tokenizer: Any, manifest: Manifest, path: Path,
                 name: str, batch_size: int):
        super().__init__(task=manifest.task, labels=manifest.labels, name=name, path=path, manifest=manifest)
        self.session, self.inputs = graph, tuple(inputs)
        self.tokenizer = tokenizer
        self.input_scheme = manifest.input_scheme
        self.max_length = int(manifest.max_length or 256)
        self.batch_size = batch_size
        self.token_budget = TOKEN_BUDGET
        self.pad_id = tokenizer.pad_token_id or 0

    def batch_probabilities(self, rows: Sequence[Row]) -> np.ndarray:
        arrays = collate_arrays(rows, self.pad_id)
        feed = {name: arrays[name] if name in arrays else np.zeros_like(arrays["input_ids"]) for name in self.inputs}
        return self.session.run([OUTPUT], feed)[0]


def onnx_cache(path: Path, manifest: Manifest, options: InferenceOptions) -> OnnxCache:
    """The folder's checked ONNX copies, exported now if there are none (or none that check out)."""

    def build(folder: Path) -> dict[str, Any]:
        import onnx
        import onnxruntime
        import torch

        from stancekit.models.onnx_graph import export_fp32, probe_graphs, quantize_per_token
        from stancekit.models.transformer import TransformerClassifier, collate

        exact = TransformerClassifier.load(path, manifest, replace(options, device="cpu"))
        sentences = check_sentences()
        rows = build_rows(exact.tokenizer, sentences, exact.input_scheme, exact.max_length)
        inputs = export_fp32(exact.model, collate(rows, exact.tokenizer.pad_token_id or 0), folder / FP32)
        graph = onnx.load(str(folder / FP32))
        if not quantize_per_token(graph):
            raise ModelError(path, "the exported encoder has no matrix products to quantize", file=FP32)
        onnx.save(graph, str(folder / INT8))
        for name, data in zip((PROBE_FP32, PROBE_INT8), probe_graphs()):
            (folder / name).write_bytes(data)
        tokenizer_inputs = list(exact.tokenizer.model_input_names)
        pad_id = exact.tokenizer.pad_token_id or 0
        light = LightTokenizer(path, tokenizer_inputs, pad_id)
        for scheme in {exact.input_scheme, "sentence"}:
            ours, theirs = build_rows(light, sentences, scheme, exact.max_length), \
                build_rows(exact.tokenizer, sentences, scheme, exact.max_length)
            if [(r.input_ids, r.token_type_ids, r.spans) for r in ours] != \
                    [(r.input_ids, r.token_type_ids, r.spans) for r in theirs]:
                raise ModelError(path, "tokenizer.json alone tokenizes differently from the model's tokenizer class; "
                                 "use --backend torch", file="tokenizer.json")
        reference = np.concatenate(exact.row_probabilities(rows))
        differences = {}
        for name, tolerance in ((FP32, FP32_TOLERANCE), (INT8, INT8_TOLERANCE)):
            copy = OnnxClassifier(graph=session(folder / name), inputs=inputs, tokenizer=light, manifest=manifest,
                                  path=path, name=name, batch_size=options.batch_size)
            differences[name] = float(np.abs(np.concatenate(copy.row_probabilities(rows)) - reference).max())
            if not differences[name] <= tolerance:
                raise ModelError(path, f"its ONNX copy {name} changes a probability by {differences[name]:.2g} "
                                 f"(at most {tolerance:g} expected); use --backend torch", file=name)
        return {"inputs": inputs, "tokenizer_inputs": tokenizer_inputs, "pad_token_id": pad_id,
                "max_abs_difference": differences,
                "versions": {"torch": torch.__version__, "onnx": onnx.__version__,
                             "onnxruntime": onnxruntime.__version__}}

    return find_or_build(path, manifest, build)


def int8_speedup(cache: OnnxCache, repeats: int = 5) -> float:
    """How many times less CPU time one encoder-sized product takes in per-token int8 than in fp32 here.

    Both run on one thread, the calling one, and are timed in that thread's CPU time, alternately, keeping
    the best of each: other work on a busy machine then barely moves the ratio (wall-clock timing on 2
    cores at a load of 14 once gave 1.1x where the idle figure is 2-3x). Takes a few milliseconds.
    """
    from stancekit.models.onnx_graph import PROBE_SHAPE

    x = np.random.default_rng(0).standard_normal(PROBE_SHAPE[:2]).astype(np.float32)
    graphs = [session(cache.file(name)) for name in (PROBE_FP32, PROBE_INT8)]
    best = [float("inf"), float("inf")]
    for graph in graphs:
        graph.run(None, {"x": x})  # first run: allocations
    for _ in range(repeats):
        for i, graph in enumerate(graphs):
            started = time.thread_time()
            graph.run(None, {"x": x})
            best[i] = min(best[i], time.thread_time() - started)
    return best[0] / max(best[1], 1e-9)


def cpu_identity() -> str:
    """A digest of what this CPU says it is and can do (model name and flags; the platform elsewhere)."""
    try:
        lines = [line for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith(("model name", "flags", "Features"))][:2]
    except OSError:
        lines = [platform.processor()]
    return hashlib.sha256(json.dumps([platform.machine(), *lines]).encode()).hexdigest()[:16]


def remembered_speedup(cache: OnnxCache) -> tuple[float, bool]:
    """(:func:`int8_speedup`, whether it was remembered): measured once per CPU and kept in the cache folder,
    so that ``auto`` makes the same choice on every run on this machine (a re-run gives the same bytes even
    where a busy machine would move a fresh measurement across :data:`~stancekit.models.runtime.INT8_PAYS`)."""
    record, cpu = cache.file(PROBE_RECORD), cpu_identity()
    try:
        saved = json.loads(record.read_text(encoding="utf-8"))
        if saved["cpu"] == cpu:
            return float(saved["speedup"]), True
    except (OSError, ValueError, KeyError, TypeError):
        pass
    speedup = int8_speedup(cache)
    try:
        with atomic_write(record) as handle:
            json.dump({"cpu": cpu, "speedup": round(speedup, 3)}, handle)
    except OutputError:  # a cache folder that cannot be written: measured again next time
        pass
    return speedup, False
