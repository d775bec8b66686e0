"""From annotation records to gold sentence records: majority vote, disputes, adjudicators' answers.

Per task, with the answers of every annotator who did not skip it:

- an actor span is gold when at least half of the annotators marked it;
- its stance is the majority label; a tie, or a majority of "unclear", gives ``None``;
- the sentence's sentiment is the majority label, ``None`` on a tie;
- when an adjudicator answered the task, their whole answer (spans, stances, sentiment) wins.

A task is *disputed* when its annotators disagree on a span, a stance or the sentiment
(policy "all"), or only when some unit has no majority (policy "ties").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from stancekit.annotation.origins import Span
from stancekit.errors import ConfigError
from stancekit.labels import STANCE_ANNOTATOR_ONLY

Policy = Literal["all", "ties"]
POLICIES: tuple[str, ...] = get_args(Policy)


@dataclass
class TaskAnswers:
    """Every annotator's answer to one task: spans with stance labels, and the sentiment."""

    task: dict[str, Any]
    spans: dict[str, dict[Span, str | None]] = field(default_factory=lambda: defaultdict(dict))
    sentiment: dict[str, str | None] = field(default_factory=dict)
    latest_annotation: dict[str, int] = field(default_factory=dict)

    @property
    def annotators(self) -> list[str]:
        return sorted(self.sentiment)


def majority(votes: Iterable[str]) -> str | None:
    """The label with more votes than any other, or None on a tie."""
    ranked = Counter(votes).most_common()
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def collect(tasks: Iterable[dict[str, Any]], records: Iterable[dict[str, Any]]) -> dict[str, TaskAnswers]:
    """Group annotation records by task (skipped tasks give no answer)."""
    answers = {t["task_key"]: TaskAnswers(t) for t in tasks}
    for record in records:
        entry = answers.get(record["task_key"])
        if entry is None:
            raise ConfigError(f"annotation record for task {record['task_key']} but no such task in the tasks file; "
                              "give the tasks.jsonl pulled together with these annotations")
        who = record["annotator"]
        if record["kind"] == "stance":
            entry.spans[who][(record["actor"], record["start"], record["end"])] = record["label"]
        elif record["kind"] == "sentiment":
            entry.sentiment[who] = record["label"]
            entry.latest_annotation[who] = int(record.get("annotation_id") or 0)
    return answers


def disputes(entry: TaskAnswers, *, policy: str = "all") -> list[str]:
    """Why a task needs an adjudicator (empty: it does not)."""
    if policy not in POLICIES:
        raise ConfigError(f"unknown dispute policy {policy!r}; expected one of {POLICIES}")
    who = entry.annotators
    if len(who) < 2:
        return []
    reasons = []
    all_spans = sorted({span for w in who for span in entry.spans[w]})
    for span in all_spans:
        marked = [w for w in who if span in entry.spans[w]]
        actor, start, end = span
        text = entry.task["text"][start:end]
        if len(marked) != len(who) and (policy == "all" or 2 * len(marked) == len(who)):
            reasons.append(f"span {actor} {text!r} [{start}:{end}] marked by {len(marked)} of {len(who)}")
        labels = [entry.spans[w][span] for w in marked if entry.spans[w][span] is not None]
        if len(set(labels)) > 1 and (policy == "all" or majority(labels) is None):
            reasons.append(f"stance toward {actor} {text!r}: {', '.join(sorted(labels))}")
    sentiments = [s for s in entry.sentiment.values() if s is not None]
    if len(set(sentiments)) > 1 and (policy == "all" or majority(sentiments) is None):
        reasons.append(f"sentiment: {', '.join(sorted(sentiments))}")
    return reasons


def _stance(label: str | None) -> str | None:
    return None if label in STANCE_ANNOTATOR_ONLY else label


def resolve(entry: TaskAnswers, adjudicated: TaskAnswers | None = None) -> dict[str, Any] | None:
    """The gold sentence record of a task, or None when nobody answered it."""
    task = entry.task
    if adjudicated is not None and adjudicated.annotators:
        judge = max(adjudicated.annotators, key=lambda w: adjudicated.latest_annotation.get(w, 0))
        spans = {span: _stance(label) for span, label in adjudicated.spans[judge].items()}
        sentiment = adjudicated.sentiment[judge]
        source = f"adjudicated by {judge}"
    else:
        who = entry.annotators
        if not who:
            return None
        spans = {}
        for span in sorted({s for w in who for s in entry.spans[w]}):
            marked = [w for w in who if span in entry.spans[w]]
            if 2 * len(marked) >= len(who):
                spans[span] = _stance(majority(l for w in marked if (l := entry.spans[w][span]) is not None))
        sentiment = majority(s for s in entry.sentiment.values() if s is not None)
        source = f"majority of {len(who)}"
    mentions = [{"actor": actor, "start": start, "end": end, "text": task["text"][start:end], "stance": stance}
                for (actor, start, end), stance in sorted(spans.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0]))]
    return {"task_key": task["task_key"], "doc_id": task["doc_id"], "sent_idx": task["sent_idx"],
            "text": task["text"], "mentions": mentions, "sentiment": sentiment,
            "meta": {**task.get("meta", {}), "gold": source}}


def gold_records(tasks: list[dict[str, Any]], records: list[dict[str, Any]],
                 adjudications: list[dict[str, Any]] | None = None,
                 adjudication_tasks: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Gold sentence records for every answered task, adjudicated answers winning."""
    answers = collect(tasks, records)
    judged = collect(adjudication_tasks or [], adjudications or [])
    gold = []
    for key, entry in answers.items():
        record = resolve(entry, judged.get(key))
        if record is not None:
            gold.append(record)
    return sorted(gold, key=lambda r: (r["doc_id"], r["sent_idx"]))
