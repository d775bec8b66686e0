"""What each install profile costs: distributions, download size and installed size (torch CPU included).

For each profile (the core, each extra of pyproject.toml, and dev: all + the test tools, what ``make
install`` installs), resolves the distributions it
installs by walking the requirement graph of the environment this runs in (``importlib.metadata``:
every ``Requires-Dist`` line whose marker holds here, extras followed), so run it in an environment
with ``.[all,dev]`` installed (``make install`` makes one). Installed size is the sum of the sizes each
distribution's RECORD lists (what pip wrote into site-packages). Download size is the size of the
wheels ``pip download`` fetches for exactly those versions (from the pip cache or the configured
indexes; torch is the CPU build, as ``make install`` installs it). Prints one JSON object.

    python bench/install_size.py [--profiles core studio train serve ray all dev] [--no-download] [--smoke]

``--smoke``: installed sizes only (no download), every profile.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from _machine import machine

PROFILES = ("core", "studio", "train", "serve", "ray", "all", "dev")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def resolve(root: str, extras: set[str]) -> dict[str, str]:
    """Every installed distribution ``root[extras]`` pulls in here (root included): name -> version."""
    found: dict[str, str] = {}
    asked: dict[str, set[str]] = {}
    pending = [(normalize(root), set(extras))]
    while pending:
        name, wanted = pending.pop()
        if name in asked and wanted <= asked[name]:
            continue
        asked[name] = asked.get(name, set()) | wanted
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
            continue
        found[name] = dist.version
        for line in dist.requires or []:
            requirement = Requirement(line)
            contexts = [{"extra": e} for e in asked[name]] or [{"extra": ""}]
            if requirement.marker is None or any(requirement.marker.evaluate(c) for c in contexts):
                pending.append((normalize(requirement.name), set(requirement.extras)))
    return found


def installed_bytes(name: str) -> int:
    """What pip wrote for ``name`` (the sizes its RECORD lists)."""
    try:
        files = metadata.files(name) or []
    except metadata.PackageNotFoundError:
        return 0
    return sum(f.size or 0 for f in files)


def download_bytes(pins: dict[str, str], folder: Path) -> dict[str, int]:
    """name -> size of the wheel (or sdist) pip downloads for that exact version."""
    wanted = [f"{name}=={version}" for name, version in pins.items() if version != "missing" and name != "stancekit"]
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(folder), *wanted],
                   check=True)
    sizes: dict[str, int] = {}
    for file in folder.iterdir():
        stem = re.split(r"-\d", file.name, maxsplit=1)[0]
        sizes[normalize(stem)] = file.stat().st_size
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", nargs="+", choices=PROFILES, default=list(PROFILES))
    parser.add_argument("--no-download", action="store_true", help="installed sizes only")
    parser.add_argument("--smoke", action="store_true", help="installed sizes only (checks the code path)")
    args = parser.parse_args()
    started_on = machine(1)
    extras = {"core": set(), "dev": {"all", "dev"}}  # dev: what make install and make test install
    profiles = {p: resolve("stancekit", extras.get(p, {p})) for p in args.profiles}
    everything = {name: version for pins in profiles.values() for name, version in pins.items()}
    downloads: dict[str, int] = {}
    if not (args.smoke or args.no_download):
        with tempfile.TemporaryDirectory(prefix="stancekit-wheels-") as folder:
            downloads = download_bytes(everything, Path(folder))
    mb = 1e6
    result: dict = {"bench": "install_size", "machine": started_on, "profiles": {}}
    core = set(profiles.get("core", {}))
    for profile, pins in profiles.items():
        missing = sorted(name for name, version in pins.items() if version == "missing")
        entry = {"distributions": len(pins) - len(missing),
                 "installed_mb": round(sum(installed_bytes(name) for name in pins) / mb, 1),
                 "largest_installed_mb": dict(sorted(((name, round(installed_bytes(name) / mb, 1)) for name in pins),
                                                     key=lambda kv: -kv[1])[:5])}
        if downloads:
            entry["download_mb"] = round(sum(downloads.get(name, 0) for name in pins) / mb, 1)
            unmatched = sorted(n for n, v in pins.items() if n not in downloads and v != "missing" and n != "stancekit")
            if unmatched:
                entry["no_download_found"] = unmatched
        if profile != "core" and core:
            extra = set(pins) - core
            entry["beyond_core"] = {"distributions": len(extra),
                                    "installed_mb": round(sum(installed_bytes(n) for n in extra) / mb, 1)}
            if downloads:
                entry["beyond_core"]["download_mb"] = round(sum(downloads.get(n, 0) for n in extra) / mb, 1)
        if missing:
            entry["not_installed_here"] = missing  # markers for other platforms, or the extra is not installed
        result["profiles"][profile] = entry
    result["torch"] = everything.get("torch")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
