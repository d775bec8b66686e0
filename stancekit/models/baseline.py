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

import bisect
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
LINEAR_FROM = 8  # mentions in a sentence from which the linear shortcut scores them (measured: below, the
#                 batched plain path is faster; at 8 the shortcut is ~2x faster, at 16 ~5x)
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


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Counts to l2-normalised sublinear TF-IDF rows, as ``TfidfVectorizer(sublinear_tf=True)`` computes them."""
    from sklearn.preprocessing import normalize

    weighted = counts.astype(float)
    weighted.data = np.log(weighted.data) + 1.0
    return normalize(sp.csr_matrix(weighted.multiply(idf)))


class _Shared:
    """A block whose per-mention count vectors are one sentence-wide vector plus a small local change.

    Keeps the dot products with the coefficients and the squared norm of the shared vector, so that a
    mention's block score costs the size of its change, not the size of the sentence.
    """

    def __init__(self, vectorizer: TfidfVectorizer, coef: np.ndarray, document: str):
        self.vocabulary, self.idf, self.coef = vectorizer.vocabulary_, vectorizer.idf_, coef
        self.counts: dict[int, int] = {}
        for gram in vectorizer.build_analyzer()(document):
            j = self.vocabulary.get(gram)
            if j is not None:
                self.counts[j] = self.counts.get(j, 0) + 1
        cols = np.fromiter(self.counts, dtype=np.int64, count=len(self.counts))
        weights = self._weights(cols, np.fromiter(self.counts.values(), dtype=float, count=len(cols)))
        self.dot = coef[:, cols] @ weights
        self.norm2 = float(weights @ weights)

    def _weights(self, cols: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return np.where(counts > 0, np.log(np.maximum(counts, 1)) + 1.0, 0.0) * self.idf[cols]

    def score(self, removed: Sequence[str], added: Sequence[str]) -> np.ndarray:
        """The block's scores (one per label) for the shared document with ``removed`` grams swapped for ``added``."""
        change: dict[int, int] = {}
        for grams, sign in ((removed, -1), (added, 1)):
            for gram in grams:
                j = self.vocabulary.get(gram)
                if j is not None:
                    change[j] = change.get(j, 0) + sign
        cols = np.fromiter(change, dtype=np.int64, count=len(change))
        before = np.array([self.counts.get(j, 0) for j in change], dtype=float)
        old, new = self._weights(cols, before), self._weights(cols, before + np.fromiter(change.values(), float))
        norm2 = self.norm2 + float(new @ new - old @ old)
        return (self.dot + self.coef[:, cols] @ (new - old)) / np.sqrt(norm2) if norm2 > 1e-300 else self.dot * 0.0


def linear_mention_scores(features: BaselineFeatures, sentence: Sentence, coef: np.ndarray) -> np.ndarray | None:
    """Linear scores (mentions x labels, before the intercept) of every mention of ``sentence`` in time linear
    in its length plus its mentions; None where the shortcut would not give the plain path's exact scores.

    The masked text of mention i is the sentence with every mention masked as ``othmention`` except i, masked
    as ``tgtmention``: the text and chars blocks are the sentence-wide counts with the grams that touch
    mention i swapped (:class:`_Shared`); the lexicon counts come from prefix sums over the sentence's words.
    The plain path builds every mention's documents over the whole sentence: quadratic in mentions.
    """
    text, mentions = sentence.text, sentence.mentions
    order = sorted(range(len(mentions)), key=lambda i: mentions[i].start)
    spans = [(mentions[i].start, mentions[i].end) for i in order]
    if any(a_end > b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:])) or len(text.lower()) != len(text):
        return None  # overlapping mentions are masked per target; a lower() that moves offsets breaks the words
    words = list(_WORD.finditer(text))
    starts, ends = [w.start() for w in words], [w.end() for w in words]
    for edge in (x for span in spans for x in span):
        k = bisect.bisect_right(starts, edge) - 1
        if k >= 0 and starts[k] < edge < ends[k]:
            return None  # a mention starting or ending inside a word: the plain path cuts that word
    parts, prev = [], 0
    for start, end in spans:
        parts += [text[prev:start], f" {OTHER} "]
        prev = end
    masked = "".join(parts) + text[prev:]
    vectorizers = features.vectorizers
    widths = np.cumsum([0] + [len(vectorizers[n].vocabulary_) for n in vectorizers])
    block = {n: coef[:, widths[k]: widths[k + 1]] for k, n in enumerate(vectorizers)}
    tokens = vectorizers["text"].build_tokenizer()(vectorizers["text"].build_preprocessor()(masked))
    at = [k for k, token in enumerate(tokens) if token == OTHER]
    if len(at) != len(spans):
        return None  # the sentence itself contains the mask word
    scores = np.zeros((len(mentions), coef.shape[0]))
    words_text = _Shared(vectorizers["text"], block["text"], masked)
    for rank, k in enumerate(at):
        left, right = tokens[k - 1: k], tokens[k + 1: k + 2]
        grams = lambda mask: [mask] + [f"{w} {mask}" for w in left] + [f"{mask} {w}" for w in right]  # noqa: E731
        scores[order[rank]] += words_text.score(grams(OTHER), grams(TARGET))
    chars = vectorizers["chars"].build_analyzer()
    scores += _Shared(vectorizers["chars"], block["chars"], masked).score(chars(f" {OTHER} "), chars(f" {TARGET} "))
    lowered = [w.group().lower() for w in words]
    lexicon = valence_lexicon()
    flags = {key: np.zeros(len(words) + 1, dtype=np.int64) for key in ("pos", "neg", "pos_strong", "neg_strong")}
    for k, word in enumerate(lowered):
        value = lexicon.get(word)
        if value is not None:
            sign = "pos" if value > 0 else "neg"
            flags[sign][k + 1] = 1
            flags[f"{sign}_strong"][k + 1] = abs(value) >= 2
    prefix = {key: np.cumsum(column) for key, column in flags.items()}
    n = len(words)
    window_docs, rows, cols, counts = [], [], [], []
    vocabulary = vectorizers["lexicon"].vocabulary_
    for rank, (start, end) in enumerate(spans):
        left_n, right_at = bisect.bisect_right(ends, start), bisect.bisect_left(starts, end)
        near_left, near_right = lowered[max(left_n - WINDOW, 0): left_n], lowered[right_at: right_at + WINDOW]
        window_docs.append(" ".join([f"l_{w}" for w in near_left] + [f"r_{w}" for w in near_right]
                                    + [f"l_{a}_{b}" for a, b in zip(near_left, near_left[1:])]
                                    + [f"r_{a}_{b}" for a, b in zip(near_right, near_right[1:])]))
        bands = {("l", "n"): (left_n - 3, left_n), ("l", "m"): (left_n - 8, left_n - 3), ("l", "f"): (0, left_n - 8),
                 ("r", "n"): (right_at, right_at + 3), ("r", "m"): (right_at + 3, right_at + 8),
                 ("r", "f"): (right_at + 8, n)}
        found: dict[str, int] = {}
        for (side, band), (lo, hi) in bands.items():
            lo, hi = min(max(lo, 0), n), min(max(hi, 0), n)
            for sign in ("pos", "neg"):
                c, strong = (int(prefix[key][hi] - prefix[key][lo]) for key in (sign, f"{sign}_strong"))
                for token, add in ((f"{sign}_{side}_{band}", c), (f"{sign}_{band}", c), (sign, c),
                                   (f"{sign}_strong_{band}", strong)):
                    found[token] = found.get(token, 0) + add
        found = {token: c for token, c in found.items() if c} or {"nolexicon": 1}
        for token, c in found.items():
            if token in vocabulary:
                rows.append(order[rank])
                cols.append(vocabulary[token])
                counts.append(c)
    window = vectorizers["window"].transform([window_docs[order.index(i)] for i in range(len(mentions))])
    lexicon_counts = sp.csr_matrix((counts, (rows, cols)), shape=(len(mentions), len(vocabulary)))
    scores += np.asarray(window @ block["window"].T)
    scores += np.asarray(_tfidf(lexicon_counts, vectorizers["lexicon"].idf_) @ block["lexicon"].T)
    return scores


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def softmax_scores(matrix: sp.csr_matrix, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    return _softmax(np.asarray(matrix @ coef.T) + intercept)


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
        if options.precision == "int8" or options.backend != "auto":
            what = f"--precision {options.precision}" if options.precision == "int8" else f"--backend {options.backend}"
            raise ConfigError(f"{path} is a baseline model; {what} applies to transformer models only (leave it "
                              "at auto)")
        expected = [name for name in VECTORIZER_SETTINGS if name != "window" or manifest.task == "stance"]
        with reading(path, "baseline.json"):
            spec = json.loads((path / "baseline.json").read_text(encoding="utf-8"))
            vocabularies = {name: dict(spec["vocabularies"][name]) for name in expected}
        if spec.get("target_aware") != (manifest.task == "stance"):
            raise ModelError(path, f"target_aware is {spec.get('target_aware')}, a {manifest.task} model needs "
                             f"{manifest.task == 'stance'} (files from another model?)", file="baseline.json")
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
        """Per sentence, its mentions' probabilities: by :func:`linear_mention_scores` where it applies (time
        linear in mentions per sentence), else from each mention's documents."""
        out: list[np.ndarray | None] = []
        for s in sentences:
            linear = linear_mention_scores(self.features, s, self.coef) if len(s.mentions) >= LINEAR_FROM else None
            out.append(None if linear is None else _softmax(linear + self.intercept))
        plain = [(s, i) for s, probs in zip(sentences, out) if probs is None for i in range(len(s.mentions))]
        probs, at = self.predict_items(plain), 0
        for k, s in enumerate(sentences):
            if out[k] is None:
                out[k] = probs[at: at + len(s.mentions)]
                at += len(s.mentions)
        return out  # type: ignore[return-value]

    def sentence_probabilities(self, sentences: Sequence[Sentence]) -> np.ndarray:
        return self.predict_items([(s, None) for s in sentences])
