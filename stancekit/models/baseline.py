"""The scikit-learn baseline: target-aware TF-IDF and lexicon features and a logistic regression.

Features of a mention (documents fed to one TF-IDF vectorizer each, then stacked):

- ``text``: word 1-2-grams of the sentence with the mention replaced by ``tgtmention`` and the
  other mentions by ``othmention``; ``chars``: character 2-5-grams of the same masked sentence;
- ``window``: the words (and word pairs) within 6 words left (``l_``) and right (``r_``) of it;
- ``lexicon``: VADER lexicon words (package ``vadersentiment``) as sign x side x distance tokens
  (``pos_l_n``: a positive word close on the left).

Sentence sentiment uses the same documents for the whole sentence, without sides.
Saved without pickles: ``baseline.json`` (vocabularies, labels) and ``baseline.npz`` (idf weights,
coefficients; read with ``allow_pickle=False``). The regularisation strength C=0.5 was chosen on
NewsMTSC dev.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from stancekit.errors import ConfigError, ModelError
from stancekit.records import Example, labelled_items
from stancekit.io import atomic_write
from stancekit.labels import TASK_LABELS, Task
from stancekit.models.base import Classifier
from stancekit.models.manifest import Manifest, reading
from stancekit.models.options import InferenceOptions
from stancekit.records import Sentence

C = 0.5  # inverse regularisation strength, chosen on NewsMTSC dev (0.25..2 tried)
WINDOW = 6
TARGET, OTHER = "tgtmention", "othmention"
_WORD = re.compile(r"\w+")
_TOKENS = {"lowercase": False, "token_pattern": r"\S+", "sublinear_tf": True}
VECTORIZER_SETTINGS: dict[str, dict[str, Any]] = {
    "text": {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "lowercase": True},
    "chars": {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 3, "sublinear_tf": True,
              "max_features": 200_000},
    "window": {"ngram_range": (1, 1), "min_df": 2, **_TOKENS},
    "lexicon": {"ngram_range": (1, 1), **_TOKENS},
}


@functools.cache
def valence_lexicon() -> dict[str, float]:
    """Word -> mean valence (-4..4) from the VADER lexicon shipped in the ``vadersentiment`` package."""
    from importlib.resources import files

    lexicon = {}
    for line in (files("vaderSentiment") / "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            try:
                lexicon[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return lexicon


def lexicon_tokens(sides: Sequence[tuple[str, Sequence[str]]]) -> str:
    """Sign/side/distance tokens for the lexicon words of each (side, words nearest first)."""
    lexicon = valence_lexicon()
    tokens = []
    for side, words in sides:
        for distance, word in enumerate(words):
            value = lexicon.get(word)
            if value is None:
                continue
            sign = "pos" if value > 0 else "neg"
            band = "n" if distance < 3 else ("m" if distance < 8 else "f")
            tokens += [f"{sign}_{side}_{band}", f"{sign}_{band}", sign]
            if abs(value) >= 2:
                tokens.append(f"{sign}_strong_{band}")
    return " ".join(tokens) or "nolexicon"


def mention_documents(sentence: Sentence, index: int) -> dict[str, str]:
    """The feature documents (masked text, window, lexicon) describing mention ``index``."""
    target = sentence.mentions[index]
    cuts = sorted({(m.start, m.end) for m in sentence.mentions if m.end <= target.start or m.start >= target.end}
                  | {(target.start, target.end)})
    parts, prev = [], 0
    for start, end in cuts:
        if start < prev:  # overlaps an earlier cut
            continue
        parts.append(sentence.text[prev:start])
        parts.append(f" {TARGET} " if (start, end) == (target.start, target.end) else f" {OTHER} ")
        prev = end
    parts.append(sentence.text[prev:])
    masked = "".join(parts)
    left = _WORD.findall(sentence.text[: target.start].lower())
    right = _WORD.findall(sentence.text[target.end:].lower())
    near_left, near_right = left[-WINDOW:], right[:WINDOW]
    window = ([f"l_{w}" for w in near_left] + [f"r_{w}" for w in near_right]
              + [f"l_{a}_{b}" for a, b in zip(near_left, near_left[1:])]
              + [f"r_{a}_{b}" for a, b in zip(near_right, near_right[1:])])
    return {"text": masked, "chars": masked, "window": " ".join(window),
            "lexicon": lexicon_tokens([("l", left[::-1]), ("r", right)])}


def sentence_documents(sentence: Sentence) -> dict[str, str]:
    """The feature documents of a whole sentence (no target)."""
    return {"text": sentence.text, "chars": sentence.text,
            "lexicon": lexicon_tokens([("s", _WORD.findall(sentence.text.lower()))])}


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
        names = ("text", "chars", "window", "lexicon") if target_aware else ("text", "chars", "lexicon")
        self.vectorizers = vectorizers or {name: _vectorizer(name) for name in names}

    def documents(self, items: Sequence[tuple[Sentence, int | None]]) -> dict[str, list[str]]:
        docs = [mention_documents(s, i) if self.target_aware and i is not None else sentence_documents(s)
                for s, i in items]
        return {name: [d[name] for d in docs] for name in self.vectorizers}

    def fit_transform(self, items: Sequence[tuple[Sentence, int | None]]) -> sp.csr_matrix:
        docs = self.documents(items)
        return sp.hstack([self.vectorizers[n].fit_transform(docs[n]) for n in self.vectorizers]).tocsr()

    def transform(self, items: Sequence[tuple[Sentence, int | None]]) -> sp.csr_matrix:
        docs = self.documents(items)
        return sp.hstack([self.vectorizers[n].transform(docs[n]) for n in self.vectorizers]).tocsr()


def softmax_scores(matrix: sp.csr_matrix, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    scores = np.asarray(matrix @ coef.T) + intercept
    scores -= scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


class BaselineClassifier(Classifier):
    """Features + a class-balanced logistic regression, predicting with a softmax over the linear scores."""

    kind = "baseline"
    weight_files = ("baseline.json", "baseline.npz")
    required_files = weight_files

    def __init__(self, *, task: str, labels: Sequence[str], features: BaselineFeatures, coef: np.ndarray,
                 intercept: np.ndarray):
        super().__init__(task=task, labels=labels, input_scheme="tfidf-window" if task == "stance" else "tfidf")
        self.features = features
        self.coef = coef
        self.intercept = intercept

    @classmethod
    def fit(cls, train: Sequence[Example], *, task: Task, seed: int) -> "BaselineClassifier":
        """Fit on the ``task`` labels of the training examples."""
        label_names = TASK_LABELS[task]
        items = labelled_items(train, task)
        features = BaselineFeatures(target_aware=task == "stance")
        matrix = features.fit_transform([(ex.sentence, mi) for ex, mi, _ in items])
        label_id = {label: i for i, label in enumerate(label_names)}
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=3000, random_state=seed)
        model.fit(matrix, np.asarray([label_id[label] for _, _, label in items]))
        # one row per label, also for a label absent from the training data (never predicted)
        coef = np.zeros((len(label_names), matrix.shape[1]))
        intercept = np.full(coef.shape[0], -1e4)
        if len(model.classes_) == 2:  # binary: sklearn keeps one row
            coef[model.classes_[1]], intercept[model.classes_[1]] = model.coef_[0], model.intercept_[0]
            coef[model.classes_[0]], intercept[model.classes_[0]] = 0.0, 0.0
        else:
            coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
        return cls(task=task, labels=label_names, features=features, coef=coef, intercept=intercept)

    def save(self, path: Path) -> None:
        """Write ``baseline.json`` (vocabularies) and ``baseline.npz`` (idf weights, coefficients)."""
        spec = {"target_aware": self.features.target_aware, "window": WINDOW,
                "vocabularies": {n: {k: int(v) for k, v in vec.vocabulary_.items()}
                                 for n, vec in self.features.vectorizers.items()}}
        with atomic_write(path / "baseline.json") as handle:
            json.dump(spec, handle, ensure_ascii=False)
        arrays = {f"idf_{n}": vec.idf_ for n, vec in self.features.vectorizers.items()}
        with atomic_write(path / "baseline.npz", "wb") as handle:
            np.savez(handle, coef=self.coef, intercept=self.intercept, **arrays)

    @classmethod
    def load(cls, path: Path, manifest: Manifest, options: InferenceOptions) -> "BaselineClassifier":
        if options.precision != "fp32":
            raise ConfigError(f"{path} is a baseline model; --precision {options.precision} applies to transformer "
                              "models only (use fp32)")
        expected = [name for name in VECTORIZER_SETTINGS if name != "window" or manifest.task == "stance"]
        with reading(path, "baseline.json"):
            spec = json.loads((path / "baseline.json").read_text(encoding="utf-8"))
            vocabularies = {name: dict(spec["vocabularies"][name]) for name in expected}
        with reading(path, "baseline.npz"), np.load(path / "baseline.npz", allow_pickle=False) as arrays:
            idf = {name: arrays[f"idf_{name}"] for name in expected}
            coef, intercept = arrays["coef"], arrays["intercept"]
        if any(idf[n].shape != (len(vocabularies[n]),) for n in expected) or coef.ndim != 2 \
                or intercept.shape != coef.shape[:1] or coef.shape[1] != sum(map(len, vocabularies.values())):
            raise ModelError(path, "its weights do not fit the vocabularies of baseline.json (files from two "
                             "different models?)", file="baseline.npz")
        if coef.shape[0] != len(manifest.labels):
            raise ModelError(path, f"{coef.shape[0]} classes but stancekit.json lists {len(manifest.labels)} labels "
                             "(the directory is mixed up)", file="baseline.npz")
        classifier = cls(task=manifest.task, labels=manifest.labels,
                         features=BaselineFeatures(manifest.task == "stance",
                                                   {n: _vectorizer(n, vocabularies[n], idf[n]) for n in expected}),
                         coef=coef, intercept=intercept)
        classifier._loaded_from(path, manifest)
        return classifier

    def manifest_fields(self) -> dict[str, Any]:
        return {"base_model": None, "max_length": None,
                "hyperparameters": {"C": C, "class_weight": "balanced"}}

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
