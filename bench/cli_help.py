"""Wall time of `stancekit --version`, `stancekit --help` and every command's --help, each in a fresh process.

Prints one JSON object: the median of --runs runs per command line, in seconds, and the slowest one.
A command's --help costs about 0.2 s more than `stancekit --help`: typer (0.29) imports pydantic to
coerce parameter values once a subcommand is parsed; stancekit's own imports stay light (see
tests/test_structure.py).

    python bench/cli_help.py [--runs 5] [--smoke]

``--smoke``: one run of --version, --help and the first command's --help.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _machine import machine  # noqa: E402
from cli_commands import commands, groups  # noqa: E402


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="one run of three command lines (checks the code path)")
    args = parser.parse_args()
    started_on = machine(1)
    runs = 1 if args.smoke else args.runs
    lines = [["--version"], *([*p, "--help"] for p, _ in groups()), *([*p, "--help"] for p, _ in commands())]
    if args.smoke:
        lines = [["--version"], ["--help"], [*next(iter(commands()))[0], "--help"]]
    medians = {" ".join(args): round(statistics.median(seconds([sys.executable, "-m", "stancekit", *args])
                                                       for _ in range(runs)), 3) for args in lines}
    python = round(statistics.median(seconds([sys.executable, "-c", "pass"]) for _ in range(runs)), 3)
    slowest = max(medians, key=medians.get)
    print(json.dumps({"machine": started_on, "runs": runs, "python_startup_s": python, "median_s": medians,
                      "slowest": {"command": slowest, "s": medians[slowest]}}, indent=1))


if __name__ == "__main__":
    main()
