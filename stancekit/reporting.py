"""Per-actor stance reports from tagged coverage: CSV tables, PNG charts, one HTML page.

Every mention counts for its actor and for each actor up its ``parent`` chain (a mention
of Putin counts for Putin, the Russian government and Russia); ``direct`` counts only the
actor's own mentions. The net score is ``(favor - against) / mentions``, the mean of a
+1/0/-1 score per mention; its confidence interval is the normal approximation
``net +- z * sqrt((f + a - (f - a)**2) / mentions)``, where f and a are the favor and
against shares with one pseudo-mention added to each label (so that unanimous small
groups do not get a zero-width interval), clipped to [-1, 1]. It treats mentions as
independent; mentions in one article are not, so read narrow intervals from few articles
with care.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import heapq
import html
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from stancekit.errors import ConfigError
from stancekit.io import atomic_dir, atomic_write
from stancekit.labels import STANCE_LABELS
from stancekit.options import option

if TYPE_CHECKING:
    from stancekit.actors import ActorDictionary


CHART_ACTORS = 15  # actors shown in the stance-per-actor chart (all are in the tables)
DIMENSIONS = ("document", "outlet", "day")
UNKNOWN = "(unknown)"
TABLES = ("stance_by_actor", *(f"stance_by_actor_{d}" for d in DIMENSIONS), "top_sentences")
REPORT_FILES = (*(f"{t}.csv" for t in TABLES), "stance_by_actor.png", "stance_over_time.png", "report.html")
COLORS = {"favor": "#2e8b57", "against": "#c0392b", "neutral": "#b0b0b0"}


@dataclass
class ReportConfig:
    """Which tagged records to summarise, and how."""

    tags: Path = option(help="Output of `stancekit tag` (.jsonl, .csv or .parquet).", argument=True)
    output_dir: Path = option(help="Folder for the tables, charts and HTML.", flags=("--output", "-o"))
    actors: Path | None = option(None, help="Actor dictionary: names, and aggregation up the parent chain.",
                                 flags=("--actors", "-a"))
    top_k: int = option(5, help="Most confident favor/against sentences per actor.")
    confidence: float = option(0.95, help="Confidence level of the net-score intervals (0-1, exclusive).")

    def __post_init__(self) -> None:
        self.tags, self.output_dir = Path(self.tags), Path(self.output_dir)
        if self.actors is not None:
            self.actors = Path(self.actors)
        if not 0 < self.confidence < 1:
            raise ConfigError(f"--confidence is a level between 0 and 1 (e.g. 0.95), found {self.confidence}")
        if self.top_k < 0:
            raise ConfigError(f"--top-k must be >= 0, found {self.top_k}")


@dataclass
class StanceCounts:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STANCE_LABELS, 0))
    direct: int = 0

    @property
    def mentions(self) -> int:
        return sum(self.counts.values())

    def row(self, z: float) -> dict[str, Any]:
        n = self.mentions
        shares = {label: c / n for label, c in self.counts.items()}
        net = shares["favor"] - shares["against"]
        f, a = ((self.counts[label] + 1) / (n + len(self.counts)) for label in ("favor", "against"))
        half = z * math.sqrt((f + a - (f - a) ** 2) / n)
        return {"mentions": n, "direct_mentions": self.direct, **self.counts,
                **{f"share_{label}": round(s, 4) for label, s in shares.items()},
                "net": round(net, 4), "net_low": round(max(-1.0, net - half), 4),
                "net_high": round(min(1.0, net + half), 4)}


@dataclass
class StanceReport:
    """Aggregated stance: overall per actor, per actor and document/outlet/day, top sentences."""

    overall: dict[str, StanceCounts] = field(default_factory=lambda: defaultdict(StanceCounts))
    by: dict[str, dict[tuple[str, str], StanceCounts]] = field(
        default_factory=lambda: {d: defaultdict(StanceCounts) for d in DIMENSIONS})
    top: dict[tuple[str, str], list[tuple[float, str, int, str, str, str]]] = field(
        default_factory=lambda: defaultdict(list))
    documents: int = 0
    sentences: int = 0
    mentions: int = 0
    untagged_mentions: int = 0


def _day(meta: dict[str, Any]) -> str:
    value = meta.get("date")
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return UNKNOWN
    return UNKNOWN


def aggregate(records: Iterable[dict[str, Any]], *, dictionary: ActorDictionary | None = None,
              top_k: int = 5) -> StanceReport:
    """Count stance per actor (rolled up the parent chain) over tagged sentence records."""
    report = StanceReport()
    previous_doc = None
    for record in records:
        report.sentences += 1
        if record["doc_id"] != previous_doc:  # tagged outputs keep a document's sentences together
            report.documents += 1
            previous_doc = record["doc_id"]
        meta = record.get("meta") or {}
        keys = {"document": str(record["doc_id"]), "outlet": str(meta.get("outlet") or UNKNOWN), "day": _day(meta)}
        for mention in record.get("mentions", []):
            report.mentions += 1
            stance = mention.get("stance")
            if stance not in STANCE_LABELS:
                report.untagged_mentions += 1
                continue
            actor = mention["actor"]
            chain = [actor] + (dictionary.ancestors(actor) if dictionary is not None and actor in dictionary else [])
            for i, target in enumerate(chain):
                counts = [report.overall[target]] + [report.by[d][(target, keys[d])] for d in DIMENSIONS]
                for c in counts:
                    c.counts[stance] += 1
                    c.direct += i == 0
                if stance != "neutral" and top_k:
                    score = float((mention.get("scores") or {}).get(stance, 0.0))
                    item = (score, str(record["doc_id"]), -int(record["sent_idx"]), actor, mention["text"],
                            record["text"])
                    heap = report.top[(target, stance)]
                    (heapq.heappush if len(heap) < top_k else heapq.heappushpop)(heap, item)
    return report


def _name(dictionary: ActorDictionary | None, actor: str) -> str:
    return dictionary[actor].name if dictionary is not None and actor in dictionary else actor


def tables(report: StanceReport, *, dictionary: ActorDictionary | None = None,
           confidence: float = 0.95) -> dict[str, list[dict[str, Any]]]:
    """The report's tables as rows, most-mentioned actors first."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    order = sorted(report.overall, key=lambda a: (-report.overall[a].mentions, a))
    rank = {a: i for i, a in enumerate(order)}

    def parent(actor: str) -> str:
        return (dictionary[actor].parent or "") if dictionary is not None and actor in dictionary else ""

    out = {"stance_by_actor": [{"actor": a, "name": _name(dictionary, a), "parent": parent(a),
                                **report.overall[a].row(z)} for a in order]}
    for dim in DIMENSIONS:
        cells = report.by[dim]
        out[f"stance_by_actor_{dim}"] = [{"actor": a, dim: key, **cells[(a, key)].row(z)}
                                         for a, key in sorted(cells, key=lambda k: (rank[k[0]], k[1]))]
    out["top_sentences"] = [
        {"actor": actor, "stance": stance, "rank": i + 1, "score": score, "doc_id": doc_id, "sent_idx": -neg_idx,
         "mentioned_actor": mentioned, "mention_text": mention_text, "sentence": text}
        for actor in order for stance in ("favor", "against")
        for i, (score, doc_id, neg_idx, mentioned, mention_text, text)
        in enumerate(sorted(report.top.get((actor, stance), []), reverse=True))]
    return out


def write_csv(rows: Sequence[dict[str, Any]], path: Path, columns: Sequence[str]) -> None:
    with atomic_write(path) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _columns(name: str) -> list[str]:
    counts = ["mentions", "direct_mentions", *STANCE_LABELS, *(f"share_{lb}" for lb in STANCE_LABELS),
              "net", "net_low", "net_high"]
    if name == "stance_by_actor":
        return ["actor", "name", "parent", *counts]
    if name == "top_sentences":
        return ["actor", "stance", "rank", "score", "doc_id", "sent_idx", "mentioned_actor", "mention_text", "sentence"]
    return ["actor", name.rsplit("_", 1)[1], *counts]


def chart_stance_by_actor(rows: Sequence[dict[str, Any]], path: Path, *, limit: int) -> None:
    """Horizontal stacked bars: share of against/neutral/favor per actor, with n and net score."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(rows[:limit])[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(rows), 2) + 1.4), dpi=110)
    left = [0.0] * len(rows)
    labels = [f"{r['name']} (n={r['mentions']})" for r in rows]
    for stance in ("against", "neutral", "favor"):
        widths = [r[f"share_{stance}"] for r in rows]
        ax.barh(labels, widths, left=left, color=COLORS[stance], label=stance, edgecolor="white", linewidth=0.5)
        left = [a + b for a, b in zip(left, widths)]
    for y, r in enumerate(rows):
        ax.text(1.01, y, f"net {r['net']:+.2f} [{r['net_low']:+.2f}, {r['net_high']:+.2f}]", va="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of mentions (actors include their sub-actors' mentions)")
    ax.set_title("Stance toward each actor")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.06), ncol=3, frameon=False)
    fig.tight_layout()
    _save(fig, path)


def chart_stance_over_time(day_rows: Sequence[dict[str, Any]], actors: Sequence[str], path: Path,
                           names: dict[str, str]) -> None:
    """Net score per day for the most-mentioned actors, with confidence bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
    plotted = 0
    for actor in actors:
        points = [r for r in day_rows if r["actor"] == actor and r["day"] != UNKNOWN]
        if not points:
            continue
        days = [dt.date.fromisoformat(r["day"]) for r in points]
        line, = ax.plot(days, [r["net"] for r in points], marker="o", label=names.get(actor, actor))
        ax.fill_between(days, [r["net_low"] for r in points], [r["net_high"] for r in points],
                        color=line.get_color(), alpha=0.1)
        plotted += 1
    if plotted:
        ax.legend(fontsize=8, loc="best")
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        fig.autofmt_xdate()
    else:
        ax.text(0.5, 0.7, "no dated documents: give coverage a 'date' field to see stance over time",
                ha="center", va="center", transform=ax.transAxes, backgroundcolor="white")
        ax.set_xticks([])
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("net stance (favor - against) / mentions")
    ax.set_title("Stance over time")
    fig.tight_layout()
    _save(fig, path)


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png")
    plt.close(fig)


def _html_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}}
table{{border-collapse:collapse;font-size:13px;margin-bottom:2em}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}}
th{{background:#f3f3f3}} img{{max-width:100%}} .muted{{color:#666}}</style></head>
<body><h1>{title}</h1><p class="muted">{summary}</p>
<h2>Stance per actor</h2><img alt="stance per actor" src="data:image/png;base64,{by_actor_png}">
{by_actor_table}
<h2>Stance over time</h2><img alt="stance over time" src="data:image/png;base64,{over_time_png}">
<h2>Most confident favor / against sentences</h2>{top_table}
<p class="muted">{method}</p></body></html>
"""


def write_html(path: Path, *, title: str, summary: str, charts: dict[str, Path],
               tables_: dict[str, list[dict[str, Any]]]) -> None:
    """One self-contained page: charts embedded as data URIs, no external files."""
    def b64(p: Path) -> str:
        return base64.b64encode(p.read_bytes()).decode("ascii")

    page = _PAGE.format(
        title=html.escape(title), summary=html.escape(summary),
        by_actor_png=b64(charts["by_actor"]), over_time_png=b64(charts["over_time"]),
        by_actor_table=_html_table(tables_["stance_by_actor"], _columns("stance_by_actor")),
        top_table=_html_table(tables_["top_sentences"], _columns("top_sentences")),
        method=html.escape((__doc__ or "").strip().split("\n\n", 1)[1].replace("\n", " ")))
    with atomic_write(path) as handle:
        handle.write(page)


@dataclass
class ReportResult:
    files: list[Path]
    sentences: int
    mentions: int
    untagged_mentions: int
    tables: dict[str, list[dict[str, Any]]]  # the rows written to the CSV files, by table name


def build_report(config: ReportConfig) -> ReportResult:
    """Read tagged records, write the CSV tables, the PNG charts and ``report.html``.

    The folder is written as a whole: built beside the output and swapped in only when
    complete, so a failure (full disk) leaves the previous report as it was. An existing
    folder holding other files is refused rather than replaced.
    """
    from stancekit.tagging.formats import iter_tagged

    from stancekit.actors import ActorDictionary

    dictionary = ActorDictionary.load(config.actors) if config.actors is not None else None
    report = aggregate(iter_tagged(config.tags), dictionary=dictionary, top_k=config.top_k)
    if report.mentions == report.untagged_mentions:
        raise ConfigError(f"{config.tags} has no mention with a stance label ({report.sentences} sentence(s), "
                          f"{report.mentions} mention(s)); expected the output of `stancekit tag`")
    rows = tables(report, dictionary=dictionary, confidence=config.confidence)
    summary = (f"{report.documents} documents, {report.sentences} sentences, {report.mentions} mentions "
               f"from {config.tags.name}; {config.confidence * 100:g}% intervals")
    with atomic_dir(config.output_dir, owned=REPORT_FILES.__contains__) as out:
        for name, table in rows.items():
            write_csv(table, out / f"{name}.csv", _columns(name))
        charts = {"by_actor": out / "stance_by_actor.png", "over_time": out / "stance_over_time.png"}
        chart_stance_by_actor(rows["stance_by_actor"], charts["by_actor"], limit=CHART_ACTORS)
        top_actors = [r["actor"] for r in rows["stance_by_actor"][:5]]
        chart_stance_over_time(rows["stance_by_actor_day"], top_actors, charts["over_time"],
                               {r["actor"]: r["name"] for r in rows["stance_by_actor"]})
        write_html(out / "report.html", title="Stance per actor", summary=summary, charts=charts, tables_=rows)
    files = [config.output_dir / name for name in REPORT_FILES]
    return ReportResult(files=files, sentences=report.sentences, mentions=report.mentions,
                        untagged_mentions=report.untagged_mentions, tables=rows)
