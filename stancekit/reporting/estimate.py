"""Stance shares corrected for the classifier's known errors, with bootstrap intervals.

A cell (an actor, or an actor in one outlet, day or document) holds mentions in documents. Its
classify-and-count share is the mean of the classifier's one-hot answers (``cc``) or probabilities
(``pcc``). The adjusted methods of quantification correct it with the classifier's measured error
rates ``M[i, j] = P(predicted i | true j)``, estimated on labelled calibration mentions: ``acc``
(adjusted classify and count, hard answers) and ``pacc`` (its probabilistic variant). The corrected
share ``p`` solves ``M p = q`` as least squares on the simplex (QuaPy's ``solver="minimize"``):
the estimators are QuaPy's (:mod:`quapy.method.aggregative`); :class:`SimplexSolver` solves
the same problem exactly and for thousands of bootstrap replicates at once, which QuaPy's per-call
optimiser cannot do within a report's time (a test checks that both agree).

Intervals come from a bootstrap with Bayesian (exponential) weights over (a) the cell's documents,
so that the mentions of one article count as one draw, or over its mentions when the cell comes
from fewer than :data:`MIN_DOCUMENTS` documents, and (b) the calibration set's documents, so that
the uncertainty of the error rates themselves is carried into every replicate. Cells with many units
draw the weighted sums from their exact mean and covariance (normal approximation), which keeps a
report on a million mentions to seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from stancekit.reporting.cells import Cells

MIN_DOCUMENTS = 5  # fewer documents in a cell: resample its mentions instead (flagged in the tables)
EXACT_UNITS = 64  # cells with more units draw their bootstrap sums from a normal approximation
CALIBRATION_CHUNK = 256  # replicates whose rates are solved together (memory)


@dataclass(frozen=True)
class Rates:
    """Misclassification rates ``M[i, j] = P(predicted i | true j)``: the point estimate and bootstrap replicates."""

    point: np.ndarray  # (k, k)
    replicates: np.ndarray  # (B, k, k)
    missing: tuple[int, ...]  # true classes the calibration set lacks (their column is the identity)


def rates_from(gold: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """``M`` from labelled items: column ``j`` is the (weighted) mean answer of the items of true class ``j``.

    ``scores`` are one-hot answers (acc) or probabilities (pacc); with ``weights`` (B x items) one
    matrix per replicate. A class without items gets the identity column, as QuaPy does.
    """
    k = scores.shape[1]
    onehot = np.eye(k)[gold]  # (n, k)
    if weights is None:
        weights = np.ones((1, len(gold)))
    sums = np.einsum("bn,nj,ni->bij", weights, onehot, scores)  # (B, i, j): sum of answers i for true j
    totals = weights @ onehot  # (B, j)
    rates = np.where(totals[:, None, :] > 0, sums / np.maximum(totals[:, None, :], 1e-300), np.eye(k)[None])
    return rates


def calibration_rates(gold: np.ndarray, scores: np.ndarray, documents: np.ndarray, *, hard: bool, replicates: int,
                      rng: np.random.Generator) -> Rates:
    """Rates on the calibration items, and ``replicates`` of them with documents resampled (Bayesian weights).

    The point estimate is QuaPy's (``ACC.getPteCondEstim`` on hard answers, ``PACC.getPteCondEstim`` on
    probabilities); the replicates are the same estimate with weighted items (:func:`rates_from`).
    """
    from quapy.method.aggregative import ACC, PACC

    k = scores.shape[1]
    classes = np.arange(k)
    point = (ACC.getPteCondEstim(classes, gold, scores.argmax(axis=1)) if hard
             else PACC.getPteCondEstim(classes, gold, scores))
    _, doc_index = np.unique(documents, return_inverse=True)
    n_docs = int(doc_index.max()) + 1 if len(doc_index) else 0
    chunks = []
    for start in range(0, replicates, CALIBRATION_CHUNK):
        b = min(CALIBRATION_CHUNK, replicates - start)
        doc_weights = rng.standard_exponential((b, n_docs))
        chunks.append(rates_from(gold, scores, doc_weights[:, doc_index]))
    missing = tuple(j for j in range(k) if not np.any(gold == j))
    return Rates(point, np.concatenate(chunks) if chunks else np.empty((0, k, k)), missing)


def _supports(k: int) -> list[tuple[int, ...]]:
    return [s for size in range(1, k + 1) for s in combinations(range(k), size)]


class SimplexSolver:
    """``argmin ||M p - q||`` over the probability simplex, for many ``q`` at once and one ``M`` per replicate.

    The optimum lies in the relative interior of one face of the simplex, where it is the solution of
    the equality-constrained problem on that face: every face is solved (its KKT system, inverted once
    per replicate here) and the feasible solution with the least residual is kept. Exact, vectorised,
    and equal to QuaPy's SLSQP search (``solver="minimize"``) up to the latter's tolerance.
    """

    def __init__(self, rates: np.ndarray):
        self.rates = np.asarray(rates, dtype=np.float64)  # (k, k) or (B, k, k)
        self.k = self.rates.shape[-1]
        self.inverse = np.linalg.pinv(self.rates)  # the whole simplex: p = M^-1 q where that is feasible
        self.faces = []
        for support in _supports(self.k)[:-1]:  # the proper faces, for the rest
            s = len(support)
            sub = self.rates[..., :, list(support)]
            kkt = np.zeros(self.rates.shape[:-2] + (s + 1, s + 1))
            kkt[..., :s, :s] = 2 * np.swapaxes(sub, -1, -2) @ sub
            kkt[..., :s, s] = 1.0
            kkt[..., s, :s] = 1.0
            self.faces.append((list(support), sub, np.linalg.pinv(kkt)))  # pinv: a degenerate face is harmless

    def solve(self, observed: np.ndarray) -> np.ndarray:
        """Shares for ``observed``: (k,) with (k, k) rates, or (..., B, k) with (B, k, k) rates."""
        q = np.asarray(observed, dtype=np.float64)
        x = (self.inverse @ q[..., None])[..., 0]
        outside = (x.min(axis=-1) < -1e-12) | (np.abs(x.sum(axis=-1) - 1) > 1e-9)
        if outside.any():
            x = np.array(x)
            x[outside] = self._on_faces(q, outside)
        x = np.clip(x, 0.0, None)
        return x / x.sum(axis=-1, keepdims=True)

    def _on_faces(self, q: np.ndarray, outside: np.ndarray) -> np.ndarray:
        """The least-squares optimum on the simplex's faces for the entries of ``q`` marked ``outside``."""
        points = q[outside]  # (m, k)
        replicate = (np.broadcast_to(np.arange(self.rates.shape[0]), outside.shape)[outside]
                     if self.rates.ndim == 3 else None)

        def pick(array: np.ndarray) -> np.ndarray:
            return array[replicate] if replicate is not None else np.broadcast_to(array, (len(points),) + array.shape)

        rates = pick(self.rates)
        best = np.zeros(points.shape)
        best_residual = np.full(len(points), np.inf)
        for support, sub, inverse in self.faces:
            s = len(support)
            rhs = np.concatenate([2 * (np.swapaxes(pick(sub), -1, -2) @ points[..., None])[..., 0],
                                  np.ones((len(points), 1))], axis=-1)
            x = (pick(inverse) @ rhs[..., None])[..., :s, 0]
            full = np.zeros(points.shape)
            full[:, support] = x
            residual = np.linalg.norm((rates @ full[..., None])[..., 0] - points, axis=-1)
            better = (x.min(axis=-1) >= -1e-9) & (residual < best_residual - 1e-12)
            best[better] = full[better]
            best_residual[better] = residual[better]
        return best


def replicate_sums(units: np.ndarray, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap replicates (B x columns) of the column sums of ``units`` (units x columns).

    Exact Bayesian-bootstrap weights for up to :data:`EXACT_UNITS` units; beyond, draws from the normal
    distribution with the weighted sums' exact mean and covariance (``sum u u^T``: the weights have
    variance 1).
    """
    if len(units) <= EXACT_UNITS:
        return rng.standard_exponential((replicates, len(units))) @ units
    total = units.sum(axis=0)
    values, vectors = np.linalg.eigh(units.T @ units)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    return total + rng.standard_normal((replicates, len(total))) @ root.T


@dataclass(frozen=True)
class Estimates:
    """Per cell: corrected shares with intervals, the net score with its interval, classify-and-count shares."""

    shares: np.ndarray  # (cells, k)
    low: np.ndarray  # (cells, k)
    high: np.ndarray  # (cells, k)
    net: np.ndarray  # (cells,)
    net_low: np.ndarray
    net_high: np.ndarray
    cc_shares: np.ndarray  # (cells, k)


class Estimator:
    """Corrects cells' shares with one method and one calibration, and bootstraps their intervals.

    A cell is given as its units (documents, or mentions): one row each holding the sum of the one-hot
    answers (k), the sum of the probabilities (k) and the number of mentions.
    """

    def __init__(self, *, method: str, rates: Rates | None, replicates: int, confidence: float,
                 net_labels: tuple[int, int], seed: int):
        if method != "cc" and rates is None:
            raise ValueError(f"method {method!r} needs calibration rates")
        self.method = method
        self.replicates = replicates if rates is None else rates.replicates.shape[0]
        self.quantiles = ((1 - confidence) / 2, (1 + confidence) / 2)
        self.net_labels = net_labels
        self.rng = np.random.default_rng(seed)
        self.point = SimplexSolver(rates.point) if rates is not None else None
        self.boot = SimplexSolver(rates.replicates) if rates is not None else None

    def estimate_cells(self, cells: Cells, shown: list[int], probabilities: np.ndarray) -> Estimates:
        """Estimates for the ``shown`` cells of a breakdown (their resampling units' sums)."""
        return self.estimate([cells.units[c] for c in shown])

    def _answers(self, sums: np.ndarray, k: int) -> np.ndarray:
        """The answers the method corrects: probabilities (pacc) or one-hot counts (acc, cc)."""
        return sums[..., k:2 * k] if self.method == "pacc" else sums[..., :k]

    def estimate(self, cells: list[np.ndarray], *, batch: int = 256) -> Estimates:
        k = (cells[0].shape[1] - 1) // 2 if cells else 3
        parts = [self._estimate(cells[i:i + batch], k) for i in range(0, len(cells), batch)]
        if not parts:
            empty = np.empty((0, k))
            return Estimates(empty, empty, empty, np.empty(0), np.empty(0), np.empty(0), empty)
        return Estimates(*(np.concatenate([getattr(p, f) for p in parts]) for f in Estimates.__dataclass_fields__))

    def _estimate(self, cells: list[np.ndarray], k: int) -> Estimates:
        totals = np.stack([units.sum(axis=0) for units in cells])  # (N, 2k+1)
        counts = totals[:, 2 * k:]
        cc = totals[:, :k] / counts
        observed = self._answers(totals, k) / counts
        draws = np.stack([replicate_sums(units, self.replicates, self.rng) for units in cells])  # (N, B, 2k+1)
        boot_observed = np.clip(self._answers(draws, k), 0.0, None)
        boot_observed /= np.maximum(boot_observed.sum(axis=-1, keepdims=True), 1e-12)
        if self.method == "cc":
            shares, boot = observed, boot_observed
        else:
            shares = self.point.solve(observed)
            boot = self.boot.solve(boot_observed)
        favor, against = self.net_labels
        net = shares[:, favor] - shares[:, against]
        net_boot = boot[..., favor] - boot[..., against]
        lo, hi = self.quantiles
        # percentile intervals, widened where needed to hold the point estimate (near the simplex's edges)
        low = np.minimum(np.quantile(boot, lo, axis=1), shares)
        high = np.maximum(np.quantile(boot, hi, axis=1), shares)
        net_low = np.minimum(np.quantile(net_boot, lo, axis=1), net)
        net_high = np.maximum(np.quantile(net_boot, hi, axis=1), net)
        return Estimates(shares, low, high, net, net_low, net_high, cc)
