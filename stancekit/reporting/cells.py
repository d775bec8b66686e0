"""Tagged records gathered into cells: per actor (rolled up its parent chain), per actor and outlet, day
or document, each with its mentions grouped into resampling units (documents, or mentions when the
cell comes from few documents).

Records are read once into flat arrays (one row per mention); cells and their units are then built
with numpy, so a million mentions take seconds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from stancekit.labels import STANCE_LABELS
from stancekit.reporting.estimate import MIN_DOCUMENTS

if TYPE_CHECKING:
    from stancekit.actors import ActorDictionary

DIMENSIONS = ("outlet", "day", "document", "language")
UNKNOWN = "(unknown)"
K = len(STANCE_LABELS)


def language_of(meta: dict[str, Any]) -> str:
    """The language of a document's record (``language``/``lang``, as stancekit's pipeline records it), or
    :data:`UNKNOWN`."""
    from stancekit.languages import given_language

    try:
        return given_language(meta) or UNKNOWN
    except ValueError:  # a hand-made record: its language is not read, its mentions still count
        return UNKNOWN


def day_of(meta: dict[str, Any]) -> str:
    """The ``YYYY-MM-DD`` of a document's ``date``, or :data:`UNKNOWN`."""
    value = meta.get("date")
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return UNKNOWN
    return UNKNOWN


@dataclass
class TopSentence:
    score: float
    doc: int
    sent_idx: int
    actor: str  # the actor mentioned (a sub-actor of the row's actor when rolled up)
    mention_text: str
    mention_start: int
    mention_end: int
    sentence: str

    def key(self) -> tuple[float, int, int]:
        return (self.score, -self.doc, -self.sent_idx)


@dataclass
class Mentions:
    """Every tagged mention as flat arrays, with its document's outlet and day, and the top sentences."""

    top_k: int
    documents: list[str] = field(default_factory=list)
    doc_meta: list[dict[str, Any]] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    sentences: int = 0
    _doc_index: dict[str, int] = field(default_factory=dict)
    _actor_index: dict[str, int] = field(default_factory=dict)
    _doc: list[int] = field(default_factory=list)
    _actor: list[int] = field(default_factory=list)
    _stance: list[int] = field(default_factory=list)
    _scores: list[tuple[float, ...]] = field(default_factory=list)
    # (actor, stance) -> the best item per sentence and mention span; pruned to the top_k best as it grows
    top: dict[tuple[str, str], dict[tuple[str, int, int], TopSentence]] = field(
        default_factory=lambda: defaultdict(dict))

    def add(self, record: dict[str, Any], chain: Any) -> None:
        """One tagged sentence record (checked by the tag reader); ``chain(actor)`` gives the actors it counts for."""
        self.sentences += 1
        doc_id = record["doc_id"]
        doc = self._doc_index.get(doc_id)
        if doc is None:
            doc = self._doc_index[doc_id] = len(self.documents)
            meta = record.get("meta") or {}
            self.documents.append(doc_id)
            self.doc_meta.append({"outlet": str(meta.get("outlet") or UNKNOWN), "day": day_of(meta),
                                  "date": str(meta.get("date") or ""), "url": str(meta.get("url") or ""),
                                  "title": str(meta.get("title") or ""), "language": language_of(meta)})
        for mention in record["mentions"]:
            actor = mention["actor"]
            index = self._actor_index.get(actor)
            if index is None:
                index = self._actor_index[actor] = len(self.actors)
                self.actors.append(actor)
            scores = mention["scores"]
            self._doc.append(doc)
            self._actor.append(index)
            self._stance.append(STANCE_LABELS.index(mention["stance"]))
            self._scores.append(tuple(float(scores[label]) for label in STANCE_LABELS))
            if self.top_k and mention["stance"] != "neutral":
                item = TopSentence(float(scores[mention["stance"]]), doc, int(record["sent_idx"]), actor,
                                   mention["text"], int(mention["start"]), int(mention["end"]), record["text"])
                key = (item.sentence, item.mention_start, item.mention_end)  # a repeated sentence is shown once
                for target in chain(actor):
                    best = self.top[(target, mention["stance"])]
                    if key not in best or best[key].key() < item.key():
                        best[key] = item
                        if len(best) > 4 * self.top_k:  # keep the top_k; a pruned sentence can only come back higher
                            for dropped in sorted(best, key=lambda k: best[k].key())[:-self.top_k]:
                                del best[dropped]

    @property
    def count(self) -> int:
        return len(self._doc)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(document index, actor index, one-hot answers, probabilities) per mention."""
        stance = np.asarray(self._stance, dtype=np.int64)
        onehot = np.eye(K)[stance] if len(stance) else np.empty((0, K))
        scores = np.asarray(self._scores, dtype=np.float64).reshape(len(stance), K)
        return np.asarray(self._doc, dtype=np.int64), np.asarray(self._actor, dtype=np.int64), onehot, scores

    def top_sentences(self, actor: str, stance: str) -> list[TopSentence]:
        """The most confident sentences, each sentence (and mention) once."""
        items = self.top.get((actor, stance), {}).values()
        return sorted(items, key=TopSentence.key, reverse=True)[:self.top_k]


@dataclass
class Cells:
    """The cells of one breakdown: key, counts, and the resampling units of each cell."""

    dimension: str  # "actor" or one of DIMENSIONS
    targets: list[str]  # the actor of each cell
    values: list[str]  # the outlet/day/document of each cell ("" for "actor")
    mentions: np.ndarray
    direct: np.ndarray
    documents: np.ndarray
    counts: np.ndarray  # (cells, k): the classifier's answers
    units: list[np.ndarray]  # per cell: (units x 2k+1): one-hot sums, probability sums, mentions
    by_document: np.ndarray  # bool per cell: units are documents (else mentions)
    member_mentions: np.ndarray  # mention indices, grouped by cell (cell c's first: ``mentions[c]`` of them)
    member_clusters: np.ndarray  # the resampling unit of each of them (a document or the mention itself)


def chains(actors: list[str], dictionary: ActorDictionary | None) -> tuple[list[str], list[list[int]]]:
    """Every actor a mention counts for (its own, then up the parent chain), as indices into a target list."""
    targets: list[str] = []
    index: dict[str, int] = {}

    def target(name: str) -> int:
        if name not in index:
            index[name] = len(targets)
            targets.append(name)
        return index[name]

    out = []
    for actor in actors:
        names = [actor] + (dictionary.ancestors(actor) if dictionary is not None and actor in dictionary else [])
        out.append([target(name) for name in names])
    return targets, out


def build_cells(mentions: Mentions, dictionary: ActorDictionary | None) -> dict[str, Cells]:
    """The overall cells (dimension "actor") and one set per breakdown dimension."""
    doc, actor, onehot, scores = mentions.arrays()
    targets, chain = chains(mentions.actors, dictionary)
    lengths = np.array([len(c) for c in chain], dtype=np.int64)
    flat = np.array([t for c in chain for t in c], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(lengths) else np.empty(0, dtype=np.int64)
    per_mention = lengths[actor] if len(actor) else np.empty(0, dtype=np.int64)
    row_mention = np.repeat(np.arange(len(actor)), per_mention)
    offset = np.arange(len(row_mention)) - np.repeat(np.cumsum(per_mention) - per_mention, per_mention)
    row_target = flat[starts[actor[row_mention]] + offset] if len(row_mention) else np.empty(0, dtype=np.int64)
    row_direct = offset == 0
    row_doc = doc[row_mention]
    values = {"actor": ([""], np.zeros(len(mentions.documents), dtype=np.int64))}
    for dimension in DIMENSIONS:
        names = (list(mentions.documents) if dimension == "document"
                 else [m[dimension] for m in mentions.doc_meta])
        unique, inverse = np.unique(np.array(names, dtype=object).astype(str), return_inverse=True)
        values[dimension] = (list(unique), inverse)
    unit_rows = np.concatenate([onehot, scores, np.ones((len(actor), 1))], axis=1)[row_mention] \
        if len(row_mention) else np.empty((0, 2 * K + 1))
    return {dimension: _cells(dimension, targets, names, doc_value[row_doc], row_target, row_doc, row_direct,
                              unit_rows, row_mention)
            for dimension, (names, doc_value) in values.items()}


def _cells(dimension: str, targets: list[str], value_names: list[str], row_value: np.ndarray,
           row_target: np.ndarray, row_doc: np.ndarray, row_direct: np.ndarray, unit_rows: np.ndarray,
           row_mention: np.ndarray) -> Cells:
    n_values = max(len(value_names), 1)
    cell_key = row_target * n_values + row_value
    keys, cell = np.unique(cell_key, return_inverse=True)
    n_cells = len(keys)
    mentions = np.bincount(cell, minlength=n_cells)
    direct = np.bincount(cell, weights=row_direct, minlength=n_cells).astype(np.int64)
    pair_keys, pair = np.unique(cell * (int(row_doc.max()) + 1 if len(row_doc) else 1) + row_doc,
                                return_inverse=True)
    pair_cell = pair_keys // (int(row_doc.max()) + 1 if len(row_doc) else 1)
    documents = np.bincount(pair_cell, minlength=n_cells)
    counts = np.stack([np.bincount(cell, weights=unit_rows[:, j], minlength=n_cells) for j in range(K)], axis=1) \
        if n_cells else np.empty((0, K))
    by_document = documents >= MIN_DOCUMENTS
    # a unit is a (cell, document) pair where the cell is resampled by document, else the mention itself
    unit = np.where(by_document[cell], pair, len(pair_keys) + np.arange(len(cell)))
    unit_keys, unit_index = np.unique(unit, return_inverse=True)
    sums = np.zeros((len(unit_keys), unit_rows.shape[1]))
    np.add.at(sums, unit_index, unit_rows)
    unit_cell = np.zeros(len(unit_keys), dtype=np.int64)
    unit_cell[unit_index] = cell
    order = np.argsort(unit_cell, kind="stable")
    bounds = np.cumsum(np.bincount(unit_cell, minlength=n_cells))[:-1]
    units = np.split(sums[order], bounds) if n_cells else []
    by_cell = np.argsort(cell, kind="stable")
    clusters = np.where(by_document[cell], row_doc, -1 - row_mention)[by_cell]  # a mention alone: its own unit
    return Cells(dimension=dimension, targets=[targets[k // n_values] for k in keys],
                 values=[value_names[k % n_values] if dimension != "actor" else "" for k in keys],
                 mentions=mentions, direct=direct, documents=documents, counts=counts.astype(np.int64),
                 units=units, by_document=by_document, member_mentions=row_mention[by_cell],
                 member_clusters=clusters)


def gather(records: Iterable[dict[str, Any]], *, dictionary: ActorDictionary | None, top_k: int) -> Mentions:
    """Read tagged records into :class:`Mentions` (rolled-up targets for the top sentences)."""
    mentions = Mentions(top_k=top_k)
    cache: dict[str, list[str]] = {}

    def chain(actor: str) -> list[str]:
        if actor not in cache:
            cache[actor] = [actor] + (dictionary.ancestors(actor) if dictionary is not None and actor in dictionary
                                      else [])
        return cache[actor]

    for record in records:
        mentions.add(record, chain)
    return mentions
