"""EMQ: stance shares by expectation maximisation under prior shift (Saerens, Latinne & Decaestecker 2002),
on posteriors recalibrated by temperature scaling; the default of ``stancekit report``.

The classifier's probabilities carry the class prior it learnt from (its training data's). For a cell
whose true mix differs, EM re-weights every mention's probabilities to the cell's own prior until the
mean re-weighted probability is that prior: QuaPy's ``EMQ.EM`` on probabilities first recalibrated with
a temperature fitted on the labelled calibration mentions (by likelihood; a transformer is overconfident
and EM needs calibrated probabilities). On held-out NewsMTSC sentences it had the lowest error of the
methods measured (bench/report_accuracy.py).

Intervals: EM has no closed-form bootstrap, and running it for every replicate of every cell of a large
corpus is out of reach, so each replicate is drawn from the estimator's large-sample distribution: the
cluster-robust sandwich covariance of the EM estimating equation (documents as clusters, or mentions
when a cell has few documents) for the coverage, plus the temperature's bootstrap spread over the
calibration documents carried through EM's derivative in the temperature.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from stancekit.reporting.estimate import Estimates

FD_STEP = 0.02  # relative step of the temperature for EM's derivative
EXACT_MENTIONS = 200  # cells up to this size get an exact bootstrap (EM run on every replicate)
EM_TOLERANCE, EM_ITERATIONS = 1e-5, 300  # per replicate: boundary optima are approached slowly


@dataclass(frozen=True)
class Temperatures:
    """The fitted temperature and its bootstrap replicates over the calibration documents."""

    point: float
    replicates: np.ndarray  # (B,)


def fit_inverse_temperature(log_probs: np.ndarray, gold: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``1/T`` minimising the weighted negative log-likelihood of ``softmax(log_probs / T)``, one per weight row.

    The likelihood is convex in ``1/T``; Newton's method from 1, vectorised over the rows of ``weights``
    (B x items).
    """
    beta = np.ones(weights.shape[0])
    gold_logit = log_probs[np.arange(len(gold)), gold]  # (n,)
    for _ in range(100):
        z = beta[:, None, None] * log_probs[None]  # (B, n, k)
        z -= z.max(axis=-1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=-1, keepdims=True)
        mean = (p * log_probs[None]).sum(axis=-1)  # E_p[L]  (B, n)
        var = (p * log_probs[None] ** 2).sum(axis=-1) - mean ** 2
        grad = (weights * (mean - gold_logit[None])).sum(axis=1)
        hess = np.maximum((weights * var).sum(axis=1), 1e-12)
        step = np.clip(grad / hess, -0.5, 0.5)
        beta = np.clip(beta - step, 0.05, 20.0)
        if np.abs(step).max() < 1e-8:
            break
    return beta


def calibration_temperatures(probabilities: np.ndarray, gold: np.ndarray, documents: np.ndarray, *,
                             replicates: int, rng: np.random.Generator) -> Temperatures:
    """The temperature on the calibration mentions, and replicates with documents resampled (Bayesian weights)."""
    log_probs = np.log(np.clip(probabilities, 1e-12, 1.0))
    _, doc_index = np.unique(documents, return_inverse=True)
    n_docs = int(doc_index.max()) + 1 if len(doc_index) else 0
    point = 1.0 / fit_inverse_temperature(log_probs, gold, np.ones((1, len(gold))))[0]
    betas = [fit_inverse_temperature(log_probs, gold, rng.standard_exponential((b, n_docs))[:, doc_index])
             for b in np.diff(np.r_[np.arange(0, replicates, 200), replicates])]
    return Temperatures(float(point), 1.0 / np.concatenate(betas))


def tempered(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    z = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature
    z -= z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)


def em(probabilities: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """The cell's shares: QuaPy's EM (SLD) from the classifier's prior."""
    from quapy.method.aggregative import EMQ

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "might have not converged": a boundary optimum, where EM creeps
        shares, _ = EMQ.EM(prior, probabilities)
    return np.asarray(shares, dtype=np.float64)


def weighted_em(probabilities: np.ndarray, weights: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """EM shares for every replicate at once: ``probabilities`` (B, n, k) tempered per replicate, ``weights`` (B, n)."""
    shares = np.broadcast_to(prior, (probabilities.shape[0], len(prior))).copy()
    total = weights.sum(axis=1, keepdims=True)
    for _ in range(EM_ITERATIONS):
        r = probabilities * (shares / prior)[:, None, :]
        r /= r.sum(axis=-1, keepdims=True)
        new = np.einsum("bn,bnk->bk", weights, r) / total
        done = np.abs(new - shares).max() < EM_TOLERANCE
        shares = new
        if done:
            break
    return shares


def sum_zero_basis(k: int) -> np.ndarray:
    """An orthonormal basis (k x k-1) of the directions that keep shares summing to 1."""
    q, _ = np.linalg.qr(np.eye(k)[:, :-1] - 1.0 / k)
    return q[:, : k - 1]


def sandwich(probabilities: np.ndarray, prior: np.ndarray, shares: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Cluster-robust covariance (k x k) of the EM shares from the estimating equation ``sum_i r_i(p) - p = 0``."""
    k = len(prior)
    a = probabilities / prior
    s = a @ shares
    r = a * shares / s[:, None]
    jacobian = np.diag((a / s[:, None]).sum(axis=0)) - (r / s[:, None]).T @ a - len(r) * np.eye(k)
    basis = sum_zero_basis(k)
    j = basis.T @ jacobian @ basis
    _, cluster_index = np.unique(clusters, return_inverse=True)
    scores = np.zeros((int(cluster_index.max()) + 1, k))
    np.add.at(scores, cluster_index, r - shares)
    meat = basis.T @ (scores.T @ scores) @ basis
    inverse = np.linalg.pinv(j)
    return basis @ (inverse @ meat @ inverse.T) @ basis.T


class EMEstimator:
    """EMQ shares of cells with intervals (see the module's docstring)."""

    def __init__(self, *, prior: np.ndarray, temperatures: Temperatures, confidence: float,
                 net_labels: tuple[int, int], seed: int):
        self.prior = np.asarray(prior, dtype=np.float64) / np.sum(prior)
        self.temperatures = temperatures
        self.quantiles = ((1 - confidence) / 2, (1 + confidence) / 2)
        self.net_labels = net_labels
        self.rng = np.random.default_rng(seed)

    def shares(self, probabilities: np.ndarray, temperature: float) -> np.ndarray:
        return em(tempered(probabilities, temperature), self.prior)

    def estimate(self, cells: list[tuple[np.ndarray, np.ndarray]]) -> "Estimates":
        """``cells``: per cell, the probabilities of its mentions (n x k) and their resampling units (n,)."""
        from stancekit.reporting.estimate import Estimates

        t = self.temperatures.point
        lo, hi = self.quantiles
        favor, against = self.net_labels
        rows = []
        for probabilities, clusters in cells:
            k = probabilities.shape[1]
            x = tempered(probabilities, t)
            shares = em(x, self.prior)
            draws = (self._exact(probabilities, clusters) if len(probabilities) <= EXACT_MENTIONS
                     else self._normal(probabilities, clusters, x, shares))
            net = shares[favor] - shares[against]
            net_draws = draws[:, favor] - draws[:, against]
            cc = np.bincount(probabilities.argmax(axis=1), minlength=k) / len(probabilities)
            rows.append((shares, np.minimum(np.quantile(draws, lo, axis=0), shares),
                         np.maximum(np.quantile(draws, hi, axis=0), shares), net,
                         min(np.quantile(net_draws, lo), net), max(np.quantile(net_draws, hi), net), cc))
        if not rows:
            empty = np.empty((0, 3))
            return Estimates(empty, empty, empty, np.empty(0), np.empty(0), np.empty(0), empty)
        columns = list(zip(*rows))
        return Estimates(*(np.array(c, dtype=np.float64) for c in columns))

    def _exact(self, probabilities: np.ndarray, clusters: np.ndarray) -> np.ndarray:
        """Replicates of a small cell: its units reweighted (Bayesian bootstrap) and EM run at each replicate's
        temperature."""
        replicates = self.temperatures.replicates
        _, unit = np.unique(clusters, return_inverse=True)
        weights = self.rng.standard_exponential((len(replicates), int(unit.max()) + 1))[:, unit]
        stacked = np.stack([tempered(probabilities, t) for t in replicates])
        return weighted_em(stacked, weights, self.prior)

    def _normal(self, probabilities: np.ndarray, clusters: np.ndarray, x: np.ndarray, shares: np.ndarray
                ) -> np.ndarray:
        """Replicates of a large cell from the large-sample distribution: the sandwich covariance (at shares kept
        3/n away from the simplex's edges, where the derivative vanishes) plus the temperature's spread through
        EM's derivative in the temperature."""
        t, replicates = self.temperatures.point, self.temperatures.replicates
        n, k = probabilities.shape
        floor = np.maximum(shares, 3.0 / n)
        covariance = sandwich(x, self.prior, floor / floor.sum(), clusters)
        slope = (self.shares(probabilities, t * (1 + FD_STEP)) - self.shares(probabilities, t * (1 - FD_STEP))) \
            / (2 * FD_STEP * t)
        values, vectors = np.linalg.eigh((covariance + covariance.T) / 2)
        root = vectors * np.sqrt(np.clip(values, 0.0, None))
        draws = shares + np.outer(replicates - t, slope) + self.rng.standard_normal((len(replicates), k)) @ root.T
        draws = np.clip(draws, 0.0, None)
        return draws / np.maximum(draws.sum(axis=1, keepdims=True), 1e-12)
