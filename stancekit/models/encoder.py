"""The inference loop every encoder runs (torch or ONNX Runtime): rows, length-sorted batches, scatter back.

A subclass says how one padded batch of rows becomes probabilities (:meth:`batch_probabilities`);
everything else is here: the rows (:func:`stancekit.models.encoding.build_rows`), batches of rows
sorted by length and cut by item count (mentions, or sentences for the sentence scheme), and the
probabilities put back per sentence and mention.
"""

from __future__ import annotations

import sys
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from stancekit.batching import cut_batches, map_batches
from stancekit.models.base import Predictor
from stancekit.models.encoding import Row, build_rows
from stancekit.records import Sentence


class EncoderPredictor(Predictor):
    """Mention and sentence probabilities from encoder rows; needs ``tokenizer``, ``input_scheme``,
    ``max_length``, ``batch_size`` and ``labels`` attributes and :meth:`batch_probabilities`."""

    tokenizer: Any
    input_scheme: str
    max_length: int
    batch_size: int
    token_budget: int | None = None  # padded tokens per batch at most (rows x longest row), None: no limit
    warned_cut: bool = False

    @abstractmethod
    def batch_probabilities(self, rows: Sequence[Row]) -> np.ndarray:
        """Probabilities (items x labels) of one batch of rows, items in row order (spans, or one per row)."""

    def row_probabilities(self, rows: Sequence[Row]) -> list[np.ndarray]:
        """Probabilities for every span of every row (one array per row).

        Rows are sorted by length and cut into batches of at most ``batch_size`` items (spans, or
        sentences for the sentence scheme); a row with more spans than that is a batch of its own. Up to
        ``parallel_batches`` batches run at once.
        """
        order = sorted(range(len(rows)), key=lambda i: len(rows[i].input_ids))
        result: list[np.ndarray] = [np.empty((0, len(self.labels)))] * len(rows)
        chunks = cut_batches(order, [max(len(r.spans), 1) for r in rows], self.batch_size,
                             lengths=[len(r.input_ids) for r in rows], token_budget=self.token_budget)
        computed = map_batches(self.batch_probabilities, [[rows[i] for i in chunk] for chunk in chunks],
                               self.parallel_batches)
        for chunk, probs in zip(chunks, computed):
            pos = 0
            for i in chunk:
                n = max(len(rows[i].spans), 1)
                result[i] = probs[pos: pos + n]
                pos += n
        return result

    def mention_probabilities(self, sentences: Sequence[Sentence]) -> list[np.ndarray]:
        rows = build_rows(self.tokenizer, sentences, self.input_scheme, self.max_length)
        out = [np.zeros((len(s.mentions), len(self.labels))) for s in sentences]
        for row, probs in zip(rows, self.row_probabilities(rows)):
            for (si, mi), p in zip(row.slots, probs):
                out[si][mi] = p
        return out

    def sentence_probabilities(self, sentences: Sequence[Sentence]) -> np.ndarray:
        """Sentiment per sentence; a sentence longer than ``max_length`` tokens is read up to there, with a
        warning (the first time) saying how many were."""
        rows = build_rows(self.tokenizer, sentences, "sentence", self.max_length)
        cut = sum(row.cut for row in rows)
        if cut and not self.warned_cut:
            self.warned_cut = True
            print(f"warning: {cut} of {len(rows)} sentences are longer than {self.max_length} tokens: their sentiment "
                  f"is read from the first {self.max_length} (further ones are not reported)", file=sys.stderr)
        probs = self.row_probabilities(rows)
        return np.vstack(probs) if probs else np.empty((0, len(self.labels)))
