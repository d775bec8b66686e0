"""What checking a model folder's files costs at load time.

For a model folder, times (median of --repeat runs, in this warm process) reading ``stancekit.json``,
checking every listed file's size and SHA-256 (:func:`stancekit.models.manifest.verify_files`), and the
whole ``load_model`` (which includes the check). Prints one JSON object.

    python bench/model_load.py --model models/bench-quick [--repeat 5] [--smoke]

``--smoke``: a transformer fine-tuned for two steps on the first NewsMTSC rows, one repeat.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from _machine import machine
from stancekit.models import InferenceOptions, load_model
from stancekit.models.loading import classifier_class
from stancekit.models.manifest import Manifest, verify_files


def seconds(action, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4)


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="a model folder (required unless --smoke)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--newsmtsc", type=Path, default=Path(__file__).resolve().parents[2] / "shared/datasets/newsmtsc",
                        help="--smoke: where the tiny model's training rows come from")
    parser.add_argument("--smoke", action="store_true", help="seconds-long run on a tiny model (checks the code path)")
    args = parser.parse_args()
    started_on = machine(torch_threads())
    if args.smoke:
        from _smoke import tiny_model

        args.model, args.repeat = tiny_model("transformer", args.newsmtsc), 1
    if args.model is None:
        parser.error("--model is required (a model folder)")
    manifest = Manifest.read(args.model)
    kind = classifier_class(manifest.kind)
    load_model(args.model, InferenceOptions(device="cpu"))  # imports and file cache warmed once
    result = {
        "bench": "model_load", "machine": started_on, "model": str(args.model), "kind": manifest.kind,
        "files": len(manifest.files), "megabytes": round(sum(f["size"] for f in manifest.files.values()) / 1e6, 1),
        "read_manifest_s": seconds(lambda: Manifest.read(args.model), args.repeat),
        "verify_files_s": seconds(lambda: verify_files(args.model, manifest, kind.required_files, kind.weight_files),
                                  args.repeat),
        "load_model_s": seconds(lambda: load_model(args.model, InferenceOptions(device="cpu")), args.repeat),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
