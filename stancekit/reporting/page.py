"""The report's one self-contained HTML page: a jinja2 template, tables sorted and filtered by a small
inline script, charts inlined as SVG; nothing is fetched when it opens (no network, works on a phone).

jinja2 (autoescaping) and a 30-line script rather than itables or great-tables: itables embeds DataTables
and needs pandas for every table, great-tables renders static tables (no sorting); the page needs
neither their weight nor their dependencies.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from stancekit.labels import STANCE_LABELS
from stancekit.reporting.charts import Chart
from stancekit.reporting.tables import EDGE_MARK, net_text, points, share_text

DOCUMENT_ROWS = 1000  # rows of the actor x document table shown in the page (all are in the CSV)
EMPTY = "—"


def _share(row: dict[str, Any], label: str) -> tuple[str, str]:
    text = share_text(row, label)
    return (text, f"{row[f'share_{label}']}") if text else (EMPTY, "")


def _net(row: dict[str, Any], prefix: str = "") -> tuple[str, str]:
    if row[f"{prefix}net"] == "":
        return EMPTY, ""
    text = points(row["cc_net"], signed=True) if prefix else net_text(row)
    return text, f"{row[f'{prefix}net']}"


def _cell(text: str, value: str | int | None = None, css: str = "", title: str = "") -> str:
    attrs = f' data-value="{html.escape(str(value))}"' if value is not None else ""
    attrs += f' class="{css}"' if css else ""
    attrs += f' title="{html.escape(title)}"' if title else ""
    return f"<td{attrs}>{html.escape(text)}</td>"


def html_table(table_id: str, rows: Sequence[dict[str, Any]], key: str | None, key_title: str) -> str:
    """A sortable table: the actor (and the breakdown's key), mentions, articles, shares, net."""
    head = ["Actor", *([key_title] if key else []), "Mentions", "Articles",
            *(f"{label.capitalize()} %" for label in STANCE_LABELS), "Net", "Uncorrected net"]
    body = []
    for row in rows:
        note = row.get("note", "")
        cells = [_cell(row.get("name", row["actor"]), css="", title=row["actor"])]
        if key:
            cells.append(_cell(str(row[key])))
        cells += [_cell(str(row["mentions"]), row["mentions"], "num"),
                  _cell(str(row["documents"]), row["documents"], "num")]
        for label in STANCE_LABELS:
            text, value = _share(row, label)
            cells.append(_cell(text, value, f"num {label}", note))
        for prefix in ("", "cc_"):
            text, value = _net(row, prefix)
            if not prefix and EDGE_MARK in note:
                text += " \u26a0"  # a warning sign: see the flagged rows under the table
            cells.append(_cell(text, value, "num", note))
        body.append("<tr>" + "".join(cells) + "</tr>")
    header = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in head)
    return (f'<table class="sortable" id="{table_id}"><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def flagged(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The rows whose correction went to an edge far from the classifier's own share, as lines for the page."""
    return [f"{row.get('name', row['actor'])}: {row['note']}" for row in rows if EDGE_MARK in row.get("note", "")]


def sentence_groups(top_rows: Sequence[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Per actor, its favor and against sentences with the mention cut out for highlighting."""
    by_actor: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in top_rows:
        text, start, end = row["sentence"], int(row["mention_start"]), int(row["mention_end"])
        where = " · ".join(x for x in (row["outlet"] if row["outlet"] != "(unknown)" else "", row["date"],
                                       f"{row['doc_id']}#{row['sent_idx']}") if x)
        item = {"before": text[:start], "mention": text[start:end], "after": text[end:], "score": row["score"],
                "where": where, "url": row["url"] if row["url"].startswith(("http://", "https://")) else ""}
        by_actor.setdefault(row["actor"], {}).setdefault(row["stance"], []).append(item)
    return [{"name": names.get(actor, actor),
             "groups": [{"stance": stance, "sentences": items} for stance, items in groups.items()]}
            for actor, groups in by_actor.items()]


def render(**context: Any) -> str:
    """The page from the template and its context (tables already HTML; charts as :class:`Chart`)."""
    import jinja2
    from markupsafe import Markup

    environment = jinja2.Environment(loader=jinja2.PackageLoader("stancekit.reporting", "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined)
    for name in ("actor_table", "outlet_table", "day_table", "document_table", "language_table"):
        context[name] = Markup(context[name])
    context["charts"] = {name: (Chart(c.name, c.title, Markup(c.svg)) if c else None)
                         for name, c in context["charts"].items()}
    return environment.get_template("report.html.j2").render(**context)
