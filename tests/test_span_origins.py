"""Span origins: only an overlap with a pre-annotated span the annotator changed or removed is "edited"."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancekit.actors import ActorDictionary
from stancekit.annotation.agreement import agreement
from stancekit.annotation.origins import span_origins
from stancekit.labels import LabelScheme
from stancekit.studio.parse import ExportParser, ParsedExport

ARMY = ("russian-army", 0, 12)  # "Russian army" pre-annotated
KYIV = ("kyiv", 30, 34)

CASES = {
    # name: (marked spans, their origins, predicted spans deleted)
    "kept unchanged": ([ARMY, KYIV], ["prediction", "prediction"], []),
    "relabelled": ([("russia", 0, 12), KYIV], ["edited", "prediction"], []),
    "boundaries moved": ([("russian-army", 8, 12), KYIV], ["edited", "prediction"], []),
    "removed": ([KYIV], ["prediction"], [ARMY]),
    "removed both": ([], [], [ARMY, KYIV]),
    "added inside a kept span": ([ARMY, ("russia", 0, 7), KYIV], ["prediction", "added", "prediction"], []),
    "added overlapping a kept span": ([ARMY, ("russia", 8, 20), KYIV], ["prediction", "added", "prediction"], []),
    "added outside every span": ([ARMY, KYIV, ("nato", 40, 44)], ["prediction", "prediction", "added"], []),
    "added inside a removed span": ([("russia", 0, 7), KYIV], ["edited", "prediction"], []),
    "added overlapping a relabelled span": ([("russia", 0, 12), ("kremlin", 10, 16), KYIV],
                                            ["edited", "edited", "prediction"], []),
    "one span replacing two": ([("russia", 0, 34)], ["edited"], []),
}


@pytest.mark.parametrize("name", CASES)
def test_span_origins(name):
    marked, origins, deleted = CASES[name]
    assert span_origins([ARMY, KYIV], marked) == (origins, deleted)


def test_other_span_inside_a_kept_span_is_counted_as_added(seed_actors_path):
    """The issue's case through the export parser and agreement: an 'other' span inside an unchanged one."""
    text = "The Azerbaijani government rejected the plan."
    gov, demonym = (text.index("Azerbaijani"), text.index(" rejected")), (4, 15)
    task = {"task_key": "k", "doc_id": "d", "sent_idx": 0, "text": text,
            "mentions": [{"actor": "azerbaijan-gov", "start": gov[0], "end": gov[1]}]}
    result = [{"id": "p", "from_name": "actor", "value": {"start": gov[0], "end": gov[1], "labels": ["azerbaijan-gov"]}},
              {"id": "o", "from_name": "actor", "value": {"start": demonym[0], "end": demonym[1], "labels": ["other"]}}]
    parsed = ParsedExport()
    parser = ExportParser(Path("x.json"), {}, ActorDictionary.load(seed_actors_path), LabelScheme())
    parser.annotation_records(task, "ann", {"id": 1, "result": result}, parsed)
    stance = {(r["actor"], r["origin"]) for r in parsed.records if r["kind"] == "stance"}
    assert stance == {("azerbaijan-gov", "prediction"), ("azerbaijan", "added")}
    assert not [r for r in parsed.records if r["kind"] == "span_deleted"]
    assert agreement(parsed.records).annotators["ann"]["added_spans"] == 1
