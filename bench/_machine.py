"""What every bench records about the machine it ran on, at its start: CPU model and the CPU flags that
decide the speed of the maths (AVX2, AVX-512, VNNI, AMX; NEON on ARM), the cores, the threads the bench
uses, and the load average (the machines benches run on are often shared, so a figure without its load
is not comparable). Each bench puts ``machine(threads)`` under the ``"machine"`` key of its JSON.

Imported by the scripts beside it (``python bench/x.py`` puts bench/ on the import path). Read from
/proc/cpuinfo where there is one (Linux); elsewhere the flags are left empty rather than guessed.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

# the instruction-set extensions that change what torch, ONNX Runtime and numpy run fast
SPEED_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
               "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16", "amx_fp16", "asimd", "asimddp", "sve")


def cpu() -> tuple[str, list[str]]:
    """(CPU model, its speed-relevant flags), from /proc/cpuinfo when the system has one."""
    info = Path("/proc/cpuinfo")
    model, flags = platform.processor() or platform.machine(), set()
    if info.is_file():
        for line in info.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            key = key.strip().lower()
            if key in ("model name", "cpu model") and value.strip():
                model = value.strip()
            elif key in ("flags", "features"):
                flags |= set(value.split())
    return model, [flag for flag in SPEED_FLAGS if flag in flags]


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):  # Windows has none
        return None


def machine(threads: int | None) -> dict:
    """The machine as this bench finds it at its start; ``threads``: the threads the bench computes with."""
    model, flags = cpu()
    return {"cpu": model, "cpu_flags": flags, "cpus": os.cpu_count(), "threads": threads,
            "load_average_at_start": load_average(), "python": platform.python_version(),
            "platform": platform.platform()}
