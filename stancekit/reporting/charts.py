"""The report's charts (matplotlib), each saved as PNG and SVG for papers and inlined as SVG in the page.

A chart that would be empty (undated coverage, a single outlet) is not drawn: :func:`draw_charts`
leaves it out and the page says why.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stancekit.io import atomic_write
from stancekit.reporting.cells import UNKNOWN
from stancekit.reporting.tables import net_text, points

COLORS = {"favor": "#2e8b57", "against": "#c0392b", "neutral": "#b0b0b0"}
CHART_ACTORS = 15  # actors in the stance-per-actor chart (all are in the tables)
HEATMAP_ACTORS, HEATMAP_OUTLETS = 12, 15
TIME_ACTORS = 6


@dataclass(frozen=True)
class Chart:
    name: str  # file stem
    title: str
    svg: str  # inline SVG (the page embeds it)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9})
    return plt


def _save(fig: Any, folder: Path, name: str, title: str) -> Chart:
    plt = _pyplot()
    with atomic_write(folder / f"{name}.png", "wb") as handle:
        fig.savefig(handle, format="png", dpi=150)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    with atomic_write(folder / f"{name}.svg") as handle:
        handle.write(svg)
    plt.close(fig)
    return Chart(name, title, svg[svg.index("<svg"):])


def _shown(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["net"] != ""]


def chart_by_actor(rows: Sequence[dict[str, Any]], folder: Path, *, confidence: float) -> Chart | None:
    """Stacked bars of the corrected shares per actor, with the net score and its interval."""
    rows = _shown(rows)[:CHART_ACTORS][::-1]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 0.42 * max(len(rows), 2) + 1.5))
    left = [0.0] * len(rows)
    labels = [f"{r['name']} (n={r['mentions']})" for r in rows]
    for stance in ("against", "neutral", "favor"):
        widths = [r[f"share_{stance}"] for r in rows]
        ax.barh(labels, widths, left=left, color=COLORS[stance], label=stance, edgecolor="white", linewidth=0.5)
        left = [a + b for a, b in zip(left, widths)]
    for y, r in enumerate(rows):
        ax.text(1.01, y, f"net {net_text(r)}",
                va="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"share of mentions, corrected for the classifier's errors; net with its {confidence:.0%} interval")
    ax.set_title("Stance toward each actor")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.04), ncol=3, frameon=False)
    fig.tight_layout()
    return _save(fig, folder, "stance_by_actor", "Stance toward each actor")


def chart_by_outlet(actor_rows: Sequence[dict[str, Any]], outlet_rows: Sequence[dict[str, Any]],
                    folder: Path) -> Chart | None:
    """Heat map of the net score per actor and outlet, with the mentions of each cell."""
    outlets_n: dict[str, int] = {}
    for r in outlet_rows:
        if r["outlet"] != UNKNOWN:
            outlets_n[r["outlet"]] = outlets_n.get(r["outlet"], 0) + int(r["direct_mentions"])
    if len(outlets_n) < 2:
        return None
    outlets = sorted(outlets_n, key=lambda o: (-outlets_n[o], o))[:HEATMAP_OUTLETS]
    actors = [r for r in actor_rows][:HEATMAP_ACTORS]
    cell = {(r["actor"], r["outlet"]): r for r in outlet_rows}
    import numpy as np

    values = np.full((len(actors), len(outlets)), np.nan)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(1.1 * len(outlets) + 3, 0.5 * len(actors) + 1.8))
    for i, actor in enumerate(actors):
        for j, outlet in enumerate(outlets):
            r = cell.get((actor["actor"], outlet))
            if r is None:
                continue
            if r["net"] != "":
                values[i, j] = r["net"]
            text = f"{points(r['net'], signed=True)}\nn={r['mentions']}" if r["net"] != "" else f"n={r['mentions']}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", vmin=-1, vmax=1, aspect="auto")
    ax.set_facecolor("#eeeeee")
    ax.set_xticks(range(len(outlets)), outlets, rotation=35, ha="right")
    ax.set_yticks(range(len(actors)), [a["name"] for a in actors])
    fig.colorbar(image, ax=ax, label="net stance (favor - against)", shrink=0.8)
    ax.set_title("Net stance per actor and outlet (grey: too few mentions)")
    fig.tight_layout()
    return _save(fig, folder, "stance_by_outlet", "Net stance per actor and outlet")


def chart_over_time(actor_rows: Sequence[dict[str, Any]], day_rows: Sequence[dict[str, Any]], folder: Path,
                    *, confidence: float) -> Chart | None:
    """Net score per day for the most-mentioned actors, with the interval band (days with a share only)."""
    series = []
    for actor in actor_rows:
        points = [r for r in _shown(day_rows) if r["actor"] == actor["actor"] and r["day"] != UNKNOWN]
        if len(points) >= 2:
            series.append((actor, points))
        if len(series) == TIME_ACTORS:
            break
    if not series:
        return None
    plt = _pyplot()
    import matplotlib.dates as mdates

    fig, axes = plt.subplots(len(series), 1, figsize=(9, 1.9 * len(series) + 0.8), sharex=True, squeeze=False)
    for ax, (actor, points) in zip(axes[:, 0], series):
        days = [dt.date.fromisoformat(r["day"]) for r in points]
        ax.fill_between(days, [r["net_low"] for r in points], [r["net_high"] for r in points], color="#4a78b5",
                        alpha=0.2, linewidth=0, label=f"{confidence:.0%} interval")
        ax.plot(days, [r["net"] for r in points], marker="o", markersize=3, color="#4a78b5")
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel("net", fontsize=8)
        ax.set_title(f"{actor['name']} (n={actor['mentions']})", fontsize=9, loc="left")
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    axes[0, 0].legend(fontsize=7, loc="upper right", frameon=False)
    fig.autofmt_xdate()
    fig.suptitle("Net stance over time (days with enough mentions)")
    fig.tight_layout()
    return _save(fig, folder, "stance_over_time", "Net stance over time")
