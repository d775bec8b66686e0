"""int8 with an fp32 recheck: the int8 model scores first, and the sentences it is unsure of are redone in fp32.

int8 changes a probability by about 0.01 on average, which flips a label only where the top two
labels are nearly tied. :class:`RecheckedClassifier` therefore recomputes with the fp32 model the
sentences with a mention whose int8 top-two margin is below ``margin`` (see ``bench/int8_recheck.py``
for how the default was chosen). Both models may be torch or ONNX Runtime predictors; this module
needs neither.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from stancekit.margins import top_two_margins
from stancekit.models.base import Predictor
from stancekit.records import Sentence


def _uncertain(probs: np.ndarray, margin: float) -> bool:
    """Whether any row's top two probabilities are closer than ``margin``."""
    if probs.shape[-1] < 2 or not probs.size:
        return False
    return bool((top_two_margins(probs) < margin).any())


class RecheckedClassifier(Predictor):
    """int8 (``fast``) first; a sentence where it is unsure (top-two margin < ``margin``) is redone by ``exact``
    (fp32). Either may be a torch or an ONNX Runtime predictor.

    ``rechecked``/``seen`` count the sentences redone and scored (for benchmarks).
    """

    def __init__(self, fast: Predictor, exact: Predictor, margin: float):
        super().__init__(task=exact.task, labels=exact.labels, name=f"{exact.name}+int8(recheck<{margin:g})",
                         path=exact.path, manifest=exact.manifest)
        self.fast, self.exact, self.margin = fast, exact, margin
        self.parallel_batches = min(fast.parallel_batches, exact.parallel_batches)
        self.rechecked = self.seen = 0
        self._counting = threading.Lock()  # batches may be scored on several threads at once

    def _recheck(self, probs: list[np.ndarray], sentences: Sequence[Sentence],
                 exact_probs: Callable[[Sequence[Sentence]], Any]) -> list[np.ndarray]:
        redo = [i for i, p in enumerate(probs) if _uncertain(p, self.margin)]
        with self._counting:
            self.seen += sum(1 for p in probs if p.size)
            self.rechecked += len(redo)
        if redo:
            for i, p in zip(redo, exact_probs([sentences[i] for i in redo])):
                probs[i] = p
        return probs

    def mention_probabilities(self, sentences: Sequence[Sentence]) -> list[np.ndarray]:
        return self._recheck(self.fast.mention_probabilities(sentences), sentences, self.exact.mention_probabilities)

    def sentence_probabilities(self, sentences: Sequence[Sentence]) -> np.ndarray:
        probs = list(self.fast.sentence_probabilities(sentences))
        probs = self._recheck(probs, sentences, self.exact.sentence_probabilities)
        return np.vstack(probs) if probs else np.empty((0, len(self.labels)))
