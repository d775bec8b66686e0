"""Tiny inputs for ``--smoke`` runs: every bench's real code path in seconds, so that the test suite
(tests/test_bench_smoke.py) notices a broken import or a renamed option long before anyone runs the
full sizes.

The tiny models are trained by stancekit itself (the default transformer for two steps, the baseline on
a few hundred sentences) into ``$STANCEKIT_BENCH_SMOKE_DIR`` when set (the test suite shares one folder
across the benches of a session), or into a fresh temporary folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TRAIN_ROWS, DEV_ROWS = 120, 24


def folder(name: str) -> Path:
    """A work folder for smoke runs (shared across benches when $STANCEKIT_BENCH_SMOKE_DIR is set)."""
    root = os.environ.get("STANCEKIT_BENCH_SMOKE_DIR")
    path = Path(root) / name if root else Path(tempfile.mkdtemp(prefix=f"stancekit-smoke-{name}-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def tiny_newsmtsc(source: Path) -> Path:
    """A NewsMTSC folder with the first rows of the real train, dev_rw and dev_mt files (of ``source``, or of
    $STANCEKIT_SHARED/datasets/newsmtsc when that is set, as the tests do)."""
    if os.environ.get("STANCEKIT_SHARED"):
        source = Path(os.environ["STANCEKIT_SHARED"]) / "datasets" / "newsmtsc"
    out = folder("newsmtsc")
    for name, rows in (("train.jsonl", TRAIN_ROWS), ("dev_rw.jsonl", DEV_ROWS), ("dev_mt.jsonl", DEV_ROWS)):
        target = out / name
        if not target.is_file():
            with (source / name).open(encoding="utf-8") as handle:
                head = [line for _, line in zip(range(rows), handle)]
            target.write_text("".join(head), encoding="utf-8")
    return out


def tiny_model(kind: str, newsmtsc: Path) -> Path:
    """A stance model of ``kind`` (transformer or baseline) trained in seconds on a few NewsMTSC rows; reused
    while it loads."""
    from stancekit.errors import StanceKitError
    from stancekit.models import load_model
    from stancekit.training import TrainConfig, train

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    out = folder("models") / f"tiny-{kind}"
    try:
        load_model(out)
        return out
    except StanceKitError:
        pass
    data = tiny_newsmtsc(newsmtsc)
    train(TrainConfig(data=[data], output=out, kind=kind, max_steps=2, batch_size=8, eval_steps=2,
                      device="cpu", progress=False))
    return out
