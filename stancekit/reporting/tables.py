"""The report's tables (rows for CSV and HTML) from cells and their estimates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stancekit.labels import STANCE_LABELS
from stancekit.reporting.cells import DIMENSIONS, Cells, Mentions

if TYPE_CHECKING:
    from stancekit.actors import ActorDictionary
    from stancekit.reporting.estimate import Estimates

TABLES = ("stance_by_actor", *(f"stance_by_actor_{d}" for d in DIMENSIONS), "top_sentences")
SHARE_COLUMNS = [c for label in STANCE_LABELS for c in (f"share_{label}", f"share_{label}_low", f"share_{label}_high")]
ESTIMATE_COLUMNS = ["mentions", "direct_mentions", "documents", *STANCE_LABELS, *SHARE_COLUMNS, "net", "net_low",
                    "net_high", *(f"cc_share_{label}" for label in STANCE_LABELS), "cc_net", "resampled_by", "note"]
# a corrected share pushed to the simplex's edge (0% or 100%) this far from the classifier's own share is flagged:
# the correction's assumption (the classifier behaves here as on the calibration mentions) may not hold
EDGE_GAP = 0.10
EDGE_MARK = "the correction takes"  # how such a note begins (the page marks those rows)
TOP_COLUMNS = ["actor", "stance", "rank", "score", "doc_id", "sent_idx", "mentioned_actor", "mention_text",
               "mention_start", "mention_end", "sentence", "outlet", "date", "url", "title"]


def points(value: float, *, signed: bool = False) -> str:
    """A share or net score in percent (points), rounded, never "-0"."""
    rounded = int(round(100 * value)) + 0
    return f"{rounded:+d}" if signed else f"{rounded:d}"


def share_text(row: dict[str, Any], label: str) -> str:
    """'23 [17, 29]': a share and its interval in percent ('' for a cell without a share)."""
    if row[f"share_{label}"] == "":
        return ""
    return (f"{points(row[f'share_{label}'])} [{points(row[f'share_{label}_low'])}, "
            f"{points(row[f'share_{label}_high'])}]")


def net_text(row: dict[str, Any]) -> str:
    """'-12 [-20, -4]': the net score and its interval in points ('' for a cell without a share)."""
    if row["net"] == "":
        return ""
    return (f"{points(row['net'], signed=True)} [{points(row['net_low'], signed=True)}, "
            f"{points(row['net_high'], signed=True)}]")


def columns(table: str) -> list[str]:
    if table == "stance_by_actor":
        return ["actor", "name", "type", "parent", *ESTIMATE_COLUMNS]
    if table == "top_sentences":
        return TOP_COLUMNS
    return ["actor", table.rsplit("_", 1)[1], *ESTIMATE_COLUMNS]


def _r(value: float) -> float:
    return round(float(value), 4)


def estimate_rows(cells: Cells, estimates: Estimates | None, shown: Sequence[int], *, min_mentions: int
                  ) -> list[dict[str, Any]]:
    """One row per cell: counts always; shares, intervals and classify-and-count shares where shown."""
    position = {cell: i for i, cell in enumerate(shown)}
    rows = []
    for c in range(len(cells.targets)):
        row: dict[str, Any] = {"mentions": int(cells.mentions[c]), "direct_mentions": int(cells.direct[c]),
                               "documents": int(cells.documents[c]),
                               **{label: int(cells.counts[c, j]) for j, label in enumerate(STANCE_LABELS)}}
        i = position.get(c)
        if i is None or estimates is None:
            row |= dict.fromkeys([*SHARE_COLUMNS, "net", "net_low", "net_high", "cc_net",
                                  *(f"cc_share_{label}" for label in STANCE_LABELS), "resampled_by"], "")
            row["note"] = f"fewer than {min_mentions} mentions: no share shown"
        else:
            for j, label in enumerate(STANCE_LABELS):
                row |= {f"share_{label}": _r(estimates.shares[i, j]), f"share_{label}_low": _r(estimates.low[i, j]),
                        f"share_{label}_high": _r(estimates.high[i, j]),
                        f"cc_share_{label}": _r(estimates.cc_shares[i, j])}
            favor, against = STANCE_LABELS.index("favor"), STANCE_LABELS.index("against")
            notes = [] if cells.by_document[c] else ["few documents: mentions resampled as independent"]
            moved = [f"{label} to {estimates.shares[i, j]:.0%} where the classifier said {estimates.cc_shares[i, j]:.0%}"
                     for j, label in enumerate(STANCE_LABELS)
                     if abs(estimates.shares[i, j] - estimates.cc_shares[i, j]) >= EDGE_GAP
                     and min(estimates.shares[i, j], 1 - estimates.shares[i, j]) < 0.01]
            if moved:  # one note: the shares it moved, then what to do once
                notes.append(f"{EDGE_MARK} {', '.join(moved)}: check with labelled mentions of this coverage "
                             "(--calibration)")
            row |= {"net": _r(estimates.net[i]), "net_low": _r(estimates.net_low[i]),
                    "net_high": _r(estimates.net_high[i]),
                    "cc_net": _r(estimates.cc_shares[i, favor] - estimates.cc_shares[i, against]),
                    "resampled_by": "document" if cells.by_document[c] else "mention", "note": "; ".join(notes)}
        rows.append(row)
    return rows


def actor_rows(cells: Cells, rows: list[dict[str, Any]], dictionary: ActorDictionary | None) -> list[dict[str, Any]]:
    """The headline table: actor, name, type, parent, then the estimates; most-mentioned first."""
    out = []
    for c, row in enumerate(rows):
        actor = cells.targets[c]
        entry = dictionary[actor] if dictionary is not None and actor in dictionary else None
        out.append({"actor": actor, "name": entry.name if entry else actor, "type": entry.type if entry else "",
                    "parent": (entry.parent or "") if entry else "", **row})
    return sorted(out, key=lambda r: (-r["mentions"], r["actor"]))


def breakdown_rows(cells: Cells, rows: list[dict[str, Any]], rank: dict[str, int]) -> list[dict[str, Any]]:
    out = [{"actor": cells.targets[c], cells.dimension: cells.values[c], **row} for c, row in enumerate(rows)]
    return sorted(out, key=lambda r: (rank.get(r["actor"], len(rank)), r[cells.dimension]))


def top_rows(mentions: Mentions, actors: Sequence[str]) -> list[dict[str, Any]]:
    """The most confident favor and against sentences of each actor (its sub-actors' mentions included)."""
    rows = []
    for actor in actors:
        for stance in ("favor", "against"):
            for rank, item in enumerate(mentions.top_sentences(actor, stance), start=1):
                meta = mentions.doc_meta[item.doc]
                rows.append({"actor": actor, "stance": stance, "rank": rank, "score": item.score,
                             "doc_id": mentions.documents[item.doc], "sent_idx": item.sent_idx,
                             "mentioned_actor": item.actor, "mention_text": item.mention_text,
                             "mention_start": item.mention_start, "mention_end": item.mention_end,
                             "sentence": item.sentence, "outlet": meta["outlet"], "date": meta["date"],
                             "url": meta["url"], "title": meta["title"]})
    return rows
