"""``stancekit ls adjudicate``: disputed tasks go to a Label Studio review project with every answer visible.

The review project has the same labeling config plus a panel listing each annotator's answers;
tasks are pre-filled with the majority where there is one. The adjudicator's answer wins in the
gold set (see stancekit.gold.voting); which tasks are disputed is decided in
stancekit.annotation.adjudication.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from stancekit.actors import ActorDictionary
from stancekit.annotation.adjudication import answers_text, disputed_tasks
from stancekit.gold.voting import TaskAnswers, resolve
from stancekit.io import read_jsonl
from stancekit.records import Mention
from stancekit.studio.client import StudioClient
from stancekit.studio.config import LabelingConfig
from stancekit.studio.controls import DEFAULT_CONTROLS, Controls, controls_from_config
from stancekit.studio.options import AdjudicateConfig
from stancekit.studio.pulled import ANNOTATIONS_FILE, TASKS_FILE
from stancekit.studio.push import ensure_project, existing_keys, import_new
from stancekit.studio.tasks import region_id, sentiment_result, span_result, stance_result

MAJORITY_VERSION = "majority"


def adjudication_title(project: str) -> str:
    """The review project's title (Label Studio allows 50 characters)."""
    suffix = " adjudication"
    return project[: 50 - len(suffix)] + suffix


@dataclass
class AdjudicateSummary:
    project_id: int
    project_url: str
    title: str
    disputed: int
    pushed: int
    already_there: int


def review_task(entry: TaskAnswers, controls: Controls = DEFAULT_CONTROLS) -> dict[str, Any]:
    """A review task: the original data, the answers panel, and the majority as pre-annotation (in the data key
    and control names of the review project's config, ``controls``)."""
    task = entry.task
    data = {controls.text_key: task["text"], **task.get("context", {}), "answers": answers_text(entry),
            "task_key": task["task_key"], "doc_id": task["doc_id"], "sent_idx": task["sent_idx"],
            "start": task["start"], "end": task["end"], "mentions": task["mentions"],
            "meta": json.dumps(task["meta"], ensure_ascii=False, sort_keys=True)}
    for name in ("before", "after", "byline"):
        data.setdefault(name, "")
    gold = resolve(entry)
    results = []
    for index, m in enumerate(gold["mentions"] if gold else []):
        mention = Mention(m["actor"], m["start"], m["end"], m["text"])
        rid = region_id(index, mention)
        results.append(span_result(rid, mention, controls=controls))
        if m["stance"] is not None and controls.stance is not None:
            results.append(stance_result(rid, mention, m["stance"], controls=controls))
    if gold and gold["sentiment"] is not None and controls.sentiment is not None:
        results.append(sentiment_result(gold["sentiment"], controls=controls))
    return {"data": data, "predictions": [{"model_version": MAJORITY_VERSION, "score": 1.0, "result": results}]}


def adjudicate(config: AdjudicateConfig, client: StudioClient) -> AdjudicateSummary:
    """Push the disputed tasks of a pulled project to its review project (idempotent)."""
    tasks = list(read_jsonl(config.pulled_dir / TASKS_FILE))
    records = list(read_jsonl(config.pulled_dir / ANNOTATIONS_FILE))
    disputed = disputed_tasks(tasks, records, policy=config.policy)
    labeling = LabelingConfig(ActorDictionary.load(config.actors))
    title = adjudication_title(config.project)
    project = ensure_project(client, title, labeling, overlap=1, model_version=MAJORITY_VERSION, adjudication=True)
    on_server = existing_keys(client, project["id"])
    controls = controls_from_config(labeling.xml(adjudication=True))
    new = [review_task(e, controls) for e in disputed if e.task["task_key"] not in on_server]
    pushed = import_new(client, project["id"], new, batch_size=config.batch_size)
    return AdjudicateSummary(project["id"], client.project_url(project["id"]), title, len(disputed), pushed,
                             len(disputed) - len(new))
