"""The scikit-learn baseline: target-aware TF-IDF features and a logistic regression.

Features of a mention: TF-IDF word 1-2-grams of the sentence with the mention replaced by
``tgtmention`` and the other mentions by ``othmention``, plus TF-IDF of the words in a window left
(``l_``) and right (``r_``) of the mention. Sentence sentiment uses the sentence n-grams only.

Saved without pickles: ``baseline.json`` (vocabularies, settings, labels) and ``baseline.npz``
(idf weights, coefficients; read with ``allow_pickle=False``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from stancekit.classifier import Classifier, require_files
from stancekit.records import Sentence

BASELINE_FILES = ("baseline.json", "baseline.npz")
WINDOW = 6
TARGET, OTHER = "tgtmention", "othmention"
_WORD = re.compile(r"\w+")
VECTORIZER_SETTINGS: dict[str, dict[str, Any]] = {
    "text": {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "lowercase": True},
    "window": {"ngram_range": (1, 1), "min_df": 2, "sublinear_tf": True, "lowercase": False,
               "token_pattern": r"\S+"},
}


def mention_documents(sentence: Sentence, index: int) -> tuple[str, str]:
    """(masked sentence, window words) describing mention ``index`` of ``sentence``."""
    target = sentence.mentions[index]
    cuts = sorted({(m.start, m.end) for m in sentence.mentions if (m.start, m.end) != (target.start, target.end)
                   and (m.end <= target.start or m.start >= target.end)} | {(target.start, target.end)})
    parts, prev = [], 0
    for start, end in cuts:
        if start < prev:  # overlaps an earlier cut
            continue
        parts.append(sentence.text[prev:start])
        parts.append(f" {TARGET} " if (start, end) == (target.start, target.end) else f" {OTHER} ")
        prev = end
    parts.append(sentence.text[prev:])
    left = _WORD.findall(sentence.text[: target.start].lower())[-WINDOW:]
    right = _WORD.findall(sentence.text[target.end:].lower())[:WINDOW]
    window = " ".join([f"l_{w}" for w in left] + [f"r_{w}" for w in right])
    return "".join(parts), window


def _vectorizer(name: str, vocabulary: dict[str, int] | None = None, idf: np.ndarray | None = None
                ) -> TfidfVectorizer:
    vec = TfidfVectorizer(**VECTORIZER_SETTINGS[name])
    if vocabulary is not None:
        vec.vocabulary_ = vocabulary
        vec.idf_ = idf
    return vec


class BaselineFeatures:
    """Turns sentences (and mentions) into the baseline's sparse feature matrix."""

    def __init__(self, target_aware: bool, vectorizers: dict[str, TfidfVectorizer] | None = None):
        self.target_aware = target_aware
        names = ("text", "window") if target_aware else ("text",)
        self.vectorizers = vectorizers or {name: _vectorizer(name) for name in names}

    def documents(self, items: Sequence[tuple[Sentence, int | None]]) -> dict[str, list[str]]:
        if not self.target_aware:
            return {"text": [s.text for s, _ in items]}
        pairs = [mention_documents(s, i) for s, i in items]
        return {"text": [p[0] for p in pairs], "window": [p[1] for p in pairs]}

    def fit_transform(self, items: Sequence[tuple[Sentence, int | None]]) -> sp.csr_matrix:
        docs = self.documents(items)
        return sp.hstack([self.vectorizers[n].fit_transform(docs[n]) for n in self.vectorizers]).tocsr()

    def transform(self, items: Sequence[tuple[Sentence, int | None]]) -> sp.csr_matrix:
        docs = self.documents(items)
        return sp.hstack([self.vectorizers[n].transform(docs[n]) for n in self.vectorizers]).tocsr()


def fit_baseline(items: Sequence[tuple[Sentence, int | None]], labels: Sequence[int], *, num_labels: int,
                 target_aware: bool, c: float, seed: int) -> tuple[BaselineFeatures, np.ndarray, np.ndarray]:
    """Fit features and a class-balanced logistic regression; return (features, coef, intercept)."""
    features = BaselineFeatures(target_aware)
    matrix = features.fit_transform(items)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=seed)
    model.fit(matrix, np.asarray(labels))
    # one row per label, also for a label absent from the training data (never predicted)
    coef = np.zeros((num_labels, matrix.shape[1]))
    intercept = np.full(coef.shape[0], -1e4)
    if len(model.classes_) == 2:  # binary: sklearn keeps one row
        coef[model.classes_[1]], intercept[model.classes_[1]] = model.coef_[0], model.intercept_[0]
        coef[model.classes_[0]], intercept[model.classes_[0]] = 0.0, 0.0
    else:
        coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
    return features, coef, intercept


def softmax_scores(matrix: sp.csr_matrix, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    scores = np.asarray(matrix @ coef.T) + intercept
    scores -= scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def save_baseline(path: Path, features: BaselineFeatures, coef: np.ndarray, intercept: np.ndarray) -> None:
    """Write ``baseline.json`` and ``baseline.npz`` into ``path``."""
    spec = {"target_aware": features.target_aware, "window": WINDOW,
            "vocabularies": {n: {k: int(v) for k, v in vec.vocabulary_.items()}
                             for n, vec in features.vectorizers.items()}}
    (path / "baseline.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    arrays = {f"idf_{n}": vec.idf_ for n, vec in features.vectorizers.items()}
    np.savez(path / "baseline.npz", coef=coef, intercept=intercept, **arrays)


class BaselineClassifier(Classifier):
    """A loaded baseline: features + coefficients, predicting with a softmax over the linear scores."""

    def __init__(self, path: Path, manifest: dict[str, Any], features: BaselineFeatures, coef: np.ndarray,
                 intercept: np.ndarray):
        super().__init__(path, manifest)
        self.features = features
        self.coef = coef
        self.intercept = intercept

    @classmethod
    def load(cls, path: Path, manifest: dict[str, Any]) -> "BaselineClassifier":
        from stancekit.errors import ConfigError

        require_files(path, BASELINE_FILES)
        spec = json.loads((path / "baseline.json").read_text(encoding="utf-8"))
        with np.load(path / "baseline.npz", allow_pickle=False) as arrays:
            vectorizers = {n: _vectorizer(n, vocab, arrays[f"idf_{n}"]) for n, vocab in spec["vocabularies"].items()}
            coef, intercept = arrays["coef"], arrays["intercept"]
        if coef.shape[0] != len(manifest["labels"]):
            raise ConfigError(f"{path}/baseline.npz has {coef.shape[0]} classes but stancekit.json lists "
                              f"{len(manifest['labels'])} labels; the directory is mixed up, retrain it")
        return cls(path, manifest, BaselineFeatures(spec["target_aware"], vectorizers), coef, intercept)

    def predict_items(self, items: Sequence[tuple[Sentence, int | None]]) -> np.ndarray:
        if not items:
            return np.empty((0, len(self.labels)))
        return softmax_scores(self.features.transform(items), self.coef, self.intercept)

    def mention_probabilities(self, sentences: Sequence[Sentence]) -> list[np.ndarray]:
        items = [(s, i) for s in sentences for i in range(len(s.mentions))]
        probs = self.predict_items(items)
        out, at = [], 0
        for s in sentences:
            out.append(probs[at: at + len(s.mentions)])
            at += len(s.mentions)
        return out

    def sentence_probabilities(self, sentences: Sequence[Sentence]) -> np.ndarray:
        return self.predict_items([(s, None) for s in sentences])
