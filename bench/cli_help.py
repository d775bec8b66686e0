"""Wall time of `stancekit --version`, `stancekit --help` and every command's --help, each in a fresh process.

Prints one JSON object: the median of --runs runs per command line, in seconds, and the slowest one.

    python bench/cli_help.py [--runs 5]
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
from cli_commands import commands, groups  # noqa: E402


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    lines = [["--version"], *([*p, "--help"] for p, _ in groups()), *([*p, "--help"] for p, _ in commands())]
    medians = {" ".join(args): round(statistics.median(seconds([sys.executable, "-m", "stancekit", *args])
                                                       for _ in range(runs)), 3) for args in lines}
    python = round(statistics.median(seconds([sys.executable, "-c", "pass"]) for _ in range(runs)), 3)
    slowest = max(medians, key=medians.get)
    print(json.dumps({"runs": runs, "python_startup_s": python, "median_s": medians,
                      "slowest": {"command": slowest, "s": medians[slowest]}}, indent=1))


if __name__ == "__main__":
    main()
