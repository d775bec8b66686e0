"""Every script in bench/ runs at its --smoke size (seconds, tiny data, the real code paths), so that a
broken import or a renamed option fails here rather than when someone next measures; and each writes
its JSON with the machine it ran on. Scripts are found by glob: a new bench joins by existing. The full
sizes stay manual (the figures are in docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCHES = sorted(p for p in (REPO / "bench").glob("*.py") if not p.name.startswith("_"))  # _x.py: helpers

pytestmark = pytest.mark.slow


def last_json(stdout: str) -> dict:
    """The last JSON object a bench printed (some print one record per step before their result)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while at < len(stdout):
        start = stdout.find("{", at)
        if start < 0:
            break
        try:
            value, at = decoder.raw_decode(stdout, start)
        except json.JSONDecodeError:
            at = start + 1
            continue
        values.append(value)
    assert values, f"no JSON on stdout: {stdout[-2000:]!r}"
    return values[-1]


@pytest.fixture(scope="session")
def smoke_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every bench's tiny data and models in this session (the tiny transformer is trained once)."""
    return tmp_path_factory.mktemp("bench-smoke")


def test_the_benches_are_found() -> None:
    assert {"accuracy", "serve_latency", "throughput", "install_size"} <= {p.stem for p in BENCHES}


@pytest.mark.parametrize("script", BENCHES, ids=lambda p: p.stem)
def test_every_bench_runs_its_smoke_size(script: Path, smoke_dir: Path, newsmtsc_dir: Path, tmp_path: Path,
                                         request: pytest.FixtureRequest) -> None:
    env = {**os.environ, "STANCEKIT_BENCH_SMOKE_DIR": str(smoke_dir), "HF_HUB_OFFLINE": "1",
           "STANCEKIT_SHARED": str(newsmtsc_dir.parent.parent)}
    if "LABEL_STUDIO_URL" in script.read_text(encoding="utf-8"):  # it uses the session's Label Studio
        studio = request.getfixturevalue("studio")
        env |= {"LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": studio.token}
    run = subprocess.run([sys.executable, str(script), "--smoke"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, f"{script.name} --smoke failed:\n{run.stderr[-4000:]}"
    machine = last_json(run.stdout)["machine"]
    assert machine["cpus"] >= 1 and isinstance(machine["cpu_flags"], list) and machine["cpu"]
    assert "threads" in machine and "load_average_at_start" in machine
    if sys.platform == "linux":
        assert len(machine["load_average_at_start"]) == 3
