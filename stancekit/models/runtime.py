"""How a loaded transformer runs: which backend and precision, chosen once at load time, and on how many threads.

On CPU the default backend is ONNX Runtime (:mod:`stancekit.models.onnx_runtime`): the folder's
classifier exported once (cached beside it) and run as fp32 or per-token int8; torch is the fallback
(no onnxruntime installed, an export that fails its check, ``--backend torch``) and the backend on
a GPU. ``--precision auto`` takes int8 where a millisecond probe of one encoder-sized product finds
int8 at least :data:`INT8_PAYS` times faster than fp32 on this CPU (VNNI and AMX give about 3-4x;
without them int8 barely pays or, in torch, is far slower), and fp32 elsewhere: the choice follows
what the probe measures, never a list of CPU names. The ONNX Runtime probe is measured once per CPU and
kept beside the model's ONNX copy, so every run on a machine makes the same choice (and the same bytes).
int8 redoes in fp32 the sentences it is unsure of (``recheck_margin``).

Every predictor :func:`load_transformer` returns carries ``runtime``, a JSON-serialisable dict of
how it actually runs (``backend``, ``precision``, ``chosen_by``, ``recheck_margin``, ``threads`` and the
runtime's version); :func:`output_runtime` is the part of it that decides output bytes (for job
fingerprints), :func:`describe` the line printed on stderr.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit.errors import ConfigError, ModelError
from stancekit.models.options import InferenceOptions

if TYPE_CHECKING:  # numpy-free at import: the CLI's help imports the tagging job, which imports this module
    from stancekit.models.base import Predictor
    from stancekit.models.manifest import Manifest

INT8_PAYS = 1.5  # the probe's int8/fp32 speed ratio from which auto takes int8
OUTPUT_KEYS = ("backend", "precision", "recheck_margin", "version")  # what decides output bytes
_threads: int | None = None


def default_threads() -> int:
    """The CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def set_threads(count: int | None) -> None:
    """Threads for models loaded from now on (ONNX Runtime sessions) and for torch (None: all cores)."""
    global _threads
    _threads = count
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(threads())


def threads() -> int:
    return _threads or default_threads()


def cuda_possible() -> bool:
    """Whether a CUDA GPU may be present, without importing torch where the answer is surely no (Linux
    without the NVIDIA driver); otherwise torch is asked."""
    if sys.platform.startswith("linux") and not Path("/proc/driver/nvidia").exists():
        return False
    import torch

    return torch.cuda.is_available()


def on_cpu(device: str) -> bool:
    return device == "cpu" or (device == "auto" and not cuda_possible())


def output_runtime(runtime: dict[str, Any]) -> dict[str, Any]:
    """The part of a predictor's ``runtime`` that decides its output bytes (not the reasons, not the threads)."""
    return {key: runtime[key] for key in OUTPUT_KEYS if key in runtime}


def describe(model: Predictor) -> str:
    """One line: how ``model`` runs (printed once per job)."""
    runtime = getattr(model, "runtime", {})
    recheck = (f", fp32 recheck below a margin of {runtime['recheck_margin']:g}"
               if runtime.get("precision") == "int8" and runtime.get("recheck_margin") else "")
    return (f"{model.path or model.name}: {runtime.get('backend')} {runtime.get('precision')} "
            f"({runtime.get('chosen_by')}){recheck}, {runtime.get('threads')} thread(s)")


def _precision(options: InferenceOptions, probe: Any) -> tuple[str, str]:
    """(fp32 | int8, why) for ``options.precision`` on this CPU; ``probe()`` gives int8's speed ratio and
    whether it was remembered from an earlier run."""
    if options.precision == "fp32":
        return "fp32", "--precision fp32"
    speedup, remembered = probe()
    if remembered:
        return _choose(options, speedup, " (probed once on this CPU)")
    return _choose(options, speedup, "")


def _choose(options: InferenceOptions, speedup: float, note: str) -> tuple[str, str]:
    if options.precision == "int8":
        if speedup < 1:
            print(f"warning: int8 runs {1 / speedup:.1f}x slower than fp32 on this CPU (probe); --precision int8 "
                  "will be slower than fp32 here (use auto or fp32)", file=sys.stderr)
        return "int8", f"--precision int8 (probe: int8 {speedup:.1f}x fp32{note})"
    if speedup >= INT8_PAYS:
        return "int8", f"auto: int8 probe {speedup:.1f}x faster than fp32{note}"
    return "fp32", f"auto: int8 probe only {speedup:.1f}x fp32 (int8 needs {INT8_PAYS:g}x){note}"


def load_transformer(path: Path, manifest: Manifest, options: InferenceOptions) -> Predictor:
    """The transformer of ``path`` as ``options`` say: ONNX Runtime on CPU unless told otherwise (torch when
    it cannot be used, with a note), int8 where it pays; ``runtime`` says what was chosen."""
    cpu = on_cpu(options.device)
    if options.backend == "onnxruntime" and not cpu:
        raise ConfigError(f"--backend onnxruntime runs on CPU, but --device is {options.device}; use --device cpu "
                          "or --backend torch")
    if options.precision == "int8" and not cpu:
        raise ConfigError(f"--precision int8 runs on CPU, but --device is {options.device}; use --device cpu "
                          "(on a GPU, fp32 is fast enough)")
    if cpu and options.backend != "torch":
        try:
            return _load_onnx(path, manifest, options)
        except (ImportError, ModelError) as exc:
            if options.backend == "onnxruntime":
                raise ConfigError(f"--backend onnxruntime cannot run {path}: {exc}") from None
            print(f"note: {path} runs on torch, not ONNX Runtime ({exc})", file=sys.stderr)
    return _load_torch(path, manifest, options, cpu)


def _load_onnx(path: Path, manifest: Manifest, options: InferenceOptions) -> Predictor:
    import onnxruntime

    from stancekit.models.onnx_cache import FP32, INT8
    from stancekit.models.onnx_runtime import OnnxClassifier, onnx_cache, remembered_speedup, session
    from stancekit.models.recheck import RecheckedClassifier
    from stancekit.models.tokenizer import LightTokenizer

    cache = onnx_cache(path, manifest, options)
    count = threads()
    precision, why = _precision(options, lambda: remembered_speedup(cache))
    tokenizer = LightTokenizer(path, cache.tokenizer_inputs, cache.pad_token_id)
    name = f"{path.name}@{manifest.fingerprint[:8]}"

    def classifier(graph: str) -> OnnxClassifier:
        found = OnnxClassifier(graph=session(cache.file(graph)), inputs=cache.inputs, tokenizer=tokenizer,
                               manifest=manifest, path=path, name=name, batch_size=options.batch_size)
        found.parallel_batches = count  # single-threaded sessions, ``count`` batches at once
        return found

    model: Predictor = classifier(FP32)
    if precision == "int8":
        fast = classifier(INT8)
        fast.name = f"{name}+int8"
        model = RecheckedClassifier(fast, model, options.recheck_margin) if options.recheck_margin > 0 else fast
    model.runtime = {"backend": "onnxruntime", "precision": precision, "chosen_by": why,
                     "recheck_margin": options.recheck_margin if precision == "int8" else 0.0, "threads": count,
                     "version": f"onnxruntime {onnxruntime.__version__}", "cache": str(cache.folder)}
    return model


def _load_torch(path: Path, manifest: Manifest, options: InferenceOptions, cpu: bool) -> Predictor:
    import torch

    from stancekit.models.quantization import int8_classifier, int8_speedup
    from stancekit.models.transformer import TransformerClassifier

    set_threads(_threads)
    classifier = TransformerClassifier.load(path, manifest, replace(options, device="cpu") if cpu else options)
    if cpu:
        precision, why = _precision(options, lambda: (int8_speedup(), False))
    else:
        precision, why = "fp32", f"{classifier.device} (int8 is for CPUs)"
    model: Predictor = classifier
    if precision == "int8":
        model = int8_classifier(classifier, recheck_margin=options.recheck_margin)
    model.runtime = {"backend": "torch", "precision": precision, "chosen_by": why,
                     "recheck_margin": options.recheck_margin if precision == "int8" else 0.0,
                     "threads": torch.get_num_threads() if cpu else None, "version": f"torch {torch.__version__}",
                     "device": str(classifier.device)}
    return model
