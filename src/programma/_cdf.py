"""Cumulative distribution functions, and the monthly pmf of a time to outcome.

The time to outcome X of a metric spreads a cohort over the months after enrolment:
``P(k) = Pr(k ≤ X < k+1)`` for whole months ``k ≥ 0``; a fixed ``x`` puts all its mass at
``⌊x⌋``. Everything here is plain Python on scalars: it runs once per metric when a programme
is compiled.
"""

from __future__ import annotations

import math

import numpy as np

from ._distributions import (
    Beta,
    Discrete,
    Fixed,
    LogNormal,
    Normal,
    Pert,
    Poisson,
    Scalar,
    Triangular,
    Uniform,
)

__all__ = ["cdf", "month_pmf", "point_mass_at"]


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function ``I_x(a, b)``.

    >>> round(betainc(2.0, 3.0, 0.4), 10)  # 1 - (1-x)^4 - 4x(1-x)^3 at x = 0.4
    0.5248
    """
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def point_mass_at(dist: Scalar) -> float | None:
    """Where a degenerate distribution puts all its mass; ``None`` if it is not degenerate."""
    match dist:
        case Fixed(value=value):
            return value
        case (
            Uniform(low=low, high=high) | Triangular(low=low, high=high) | Pert(low=low, high=high)
        ) if high <= low:
            return low
        case Normal(mean=mean, sd=sd) if sd == 0:
            return mean
        case LogNormal(mu=mu, sigma=sigma) if sigma == 0:
            return math.exp(mu)
        case Poisson(lam=lam) if lam == 0:
            return 0.0
        case Discrete(values=values) if len(values) == 1:
            return values[0]
    return None


def cdf(dist: Scalar, x: float) -> float:
    """``Pr(X ≤ x)`` for a distribution that is not degenerate (see :func:`point_mass_at`).

    >>> cdf(Uniform(0, 10), 2.5), cdf(Triangular(0, 0, 2), 1)
    (0.25, 0.75)
    """
    match dist:
        case Uniform(low=low, high=high):
            return min(1.0, max(0.0, (x - low) / (high - low)))
        case Triangular(low=a, mode=c, high=b):
            if x <= a:
                return 0.0
            if x >= b:
                return 1.0
            if x <= c:
                return (x - a) ** 2 / ((b - a) * (c - a))
            return 1.0 - (b - x) ** 2 / ((b - a) * (b - c))
        case Pert(low=low, mode=mode, high=high):
            alpha = 1 + 4 * (mode - low) / (high - low)
            beta = 1 + 4 * (high - mode) / (high - low)
            return betainc(alpha, beta, (x - low) / (high - low))
        case Normal(mean=mean, sd=sd, low=low, high=high):
            lo = -math.inf if low is None else (low - mean) / sd
            hi = math.inf if high is None else (high - mean) / sd
            z = min(max((x - mean) / sd, lo), hi)
            if lo > 0:  # upper tail: differences of survival functions keep precision
                return (_phi(-lo) - _phi(-z)) / (_phi(-lo) - _phi(-hi))
            return (_phi(z) - _phi(lo)) / (_phi(hi) - _phi(lo))
        case LogNormal(mu=mu, sigma=sigma):
            return 0.0 if x <= 0 else _phi((math.log(x) - mu) / sigma)
        case Beta(alpha=a, beta=b, low=low, high=high):
            return betainc(a, b, (x - low) / (high - low))
        case Poisson(lam=lam):
            if x < 0:
                return 0.0
            term = total = math.exp(-lam) if lam < 700 else 0.0
            if term == 0.0:  # far from 0: sum in logs from the mode outward is not needed here
                return _poisson_cdf_log(lam, math.floor(x))
            for j in range(1, math.floor(x) + 1):
                term *= lam / j
                total += term
            return min(total, 1.0)
    raise TypeError(f"no cdf for {dist!r}")  # pragma: no cover


def _poisson_cdf_log(lam: float, k: int) -> float:
    logs = [j * math.log(lam) - lam - math.lgamma(j + 1) for j in range(k + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * math.fsum(math.exp(v - top) for v in logs))


def month_pmf(dist: Scalar, months: int) -> np.ndarray:
    """``P(k) = Pr(k ≤ X < k+1)`` for ``k = 0 … months−1``, the rest of the mass in the last.

    The last entry holds ``Pr(X ≥ months−1)``, so the result always sums to 1.

    >>> month_pmf(Fixed(12.7), 15).nonzero()[0].tolist()
    [12]
    >>> month_pmf(Uniform(0, 2), 4).tolist()
    [0.5, 0.5, 0.0, 0.0]
    >>> month_pmf(Discrete((3, 15.5), (0.5, 0.5)), 20).nonzero()[0].tolist()
    [3, 15]
    """
    out = np.zeros(months)
    point = point_mass_at(dist)
    if point is not None:
        out[min(max(math.floor(point), 0), months - 1)] = 1.0
        return out
    if isinstance(dist, Discrete):  # each value's weight in its floor month: Pr(k ≤ X < k+1)
        total = math.fsum(dist.weights)
        for value, weight in zip(dist.values, dist.weights, strict=True):
            out[min(max(math.floor(value), 0), months - 1)] += weight / total
        return out
    if isinstance(dist, Poisson):
        previous = 0.0
        for k in range(months - 1):
            current = cdf(dist, k)
            out[k] = current - previous
            previous = current
    else:
        edges = np.array([cdf(dist, float(k)) for k in range(months)])
        out[: months - 1] = np.diff(edges)
        previous = edges[-1]
    out[months - 1] = max(0.0, 1.0 - previous)
    return np.clip(out, 0.0, None)
