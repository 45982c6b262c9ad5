"""Cumulative distribution functions, the monthly pmf of a time to outcome, and quantiles.

The time to outcome X of a metric spreads a cohort over the months after enrolment:
``P(k) = Pr(k ≤ X < k+1)`` for whole months ``k ≥ 0``; a fixed ``x`` puts all its mass at
``⌊x⌋``. A quantile of a distribution (:func:`quantile`) sets an uncertain value to its P10 or
P90. All of it is plain Python on scalars: it runs once per metric or value, never per
scenario. The vectorised quantiles that turn uniforms into draws are in
:mod:`~programma.uncertainty.ppf`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..model.distributions import (
    Beta,
    Discrete,
    Fixed,
    LogNormal,
    Normal,
    Pert,
    Poisson,
    Ref,
    Samples,
    Scalar,
    Triangular,
    Uniform,
    Yearly,
)
from ..model.normal import normal_cdf, normal_pdf
from .ppf import normal_ppf, poisson_ppf

__all__ = ["cdf", "month_pmf", "point_mass_at", "quantile"]


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
                return (normal_cdf(-lo) - normal_cdf(-z)) / (normal_cdf(-lo) - normal_cdf(-hi))
            return (normal_cdf(z) - normal_cdf(lo)) / (normal_cdf(hi) - normal_cdf(lo))
        case LogNormal(mu=mu, sigma=sigma):
            return 0.0 if x <= 0 else normal_cdf((math.log(x) - mu) / sigma)
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


# -- quantiles of a distribution, one level at a time ---------------------------------------------
#
# Sensitivity analysis sets an uncertain value to a quantile of its distribution (its P10, its
# P90). These are scalar functions: they run once per value and level, never per scenario.


def _normal_quantile(p: float) -> float:
    """Φ⁻¹(p) to full double precision: Acklam's guess, polished by Newton steps on Φ.

    The lower half is solved directly (Φ is accurate far into its lower tail); the upper
    half through its mirror, Φ⁻¹(p) = −Φ⁻¹(1 − p).
    """
    if p > 0.5:
        return -_normal_quantile(1.0 - p)
    z = float(normal_ppf(np.array([p]))[0])
    for _ in range(3):  # from 1e-9 relative, each step squares the error
        density = normal_pdf(z)
        if density == 0.0:
            break
        z -= (normal_cdf(z) - p) / density
    return z


def _beta_quantile(a: float, b: float, p: float) -> float:
    """The x in [0, 1] with I_x(a, b) = p, by bisection (I_x rises with x)."""
    low, high = 0.0, 1.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if betainc(a, b, middle) < p:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def _truncated_normal_quantile(dist: Normal, p: float) -> float:
    """Inverse CDF of a truncated normal; the upper tail through its mirror, as it is drawn."""
    low = -math.inf if dist.low is None else (dist.low - dist.mean) / dist.sd
    high = math.inf if dist.high is None else (dist.high - dist.mean) / dist.sd
    mirrored = low > 0
    if mirrored:
        low, high, p = -high, -low, 1.0 - p
    lo_p, hi_p = normal_cdf(low), normal_cdf(high)
    z = _normal_quantile(min(max(lo_p + (hi_p - lo_p) * p, 5e-324), 1.0 - 2**-53))
    z = min(max(z, low), high)
    value = dist.mean + dist.sd * (-z if mirrored else z)
    bounds_low = -math.inf if dist.low is None else dist.low
    bounds_high = math.inf if dist.high is None else dist.high
    return min(max(value, bounds_low), bounds_high)


def quantile(
    dist: Scalar | Yearly,
    p: float,
    parameters: Mapping[str, Scalar | Yearly] | None = None,
    *,
    year: int | None = None,
) -> float:
    """The ``p`` quantile of ``dist``: the value below which a share ``p`` of its draws fall.

    For a continuous distribution it is the inverse of the CDF; for a count or a list of values
    (Poisson, :class:`~programma.Discrete`) the smallest value ``x`` with ``Pr(X ≤ x) ≥ p``;
    for :class:`~programma.Samples` the sample quantile by numpy's ``linear`` method (the
    method of the summary's percentiles). A degenerate distribution gives its one value.

    Args:
        dist: The distribution.
        p: The level, ``0 < p < 1``.
        parameters: The programme's named parameters, to resolve a :class:`~programma.Ref`
            (``factor × quantile + offset``; a negative factor takes the ``1 − p`` quantile).
        year: For a yearly path, the year whose distribution is meant.

    Raises:
        ValueError: ``p`` is not strictly between 0 and 1, a yearly path has no ``year``.
        KeyError: A reference names a parameter not in ``parameters``.

    >>> quantile(Uniform(0, 10), 0.1), quantile(Triangular(0, 0, 2), 0.75)
    (1.0, 1.0)
    >>> round(quantile(Normal(1.0, 0.15), 0.9), 6)
    1.192233
    """
    if not (isinstance(p, int | float) and 0.0 < p < 1.0):
        raise ValueError(f"a quantile's level must lie strictly between 0 and 1, got {p!r}")
    p = float(p)
    match dist:
        case Yearly():
            if year is None:
                raise ValueError("a yearly path needs a year to have a quantile")
            return quantile(dist.at(year), p, parameters, year=year)
        case Ref(name=name, factor=factor, offset=offset):
            if parameters is None or name not in parameters:
                raise KeyError(f"unknown parameter {name!r}")
            level = p if factor >= 0 else 1.0 - p
            return factor * quantile(parameters[name], level, parameters, year=year) + offset
        case Samples(values=values):
            return float(np.quantile(np.asarray(values, dtype=float), p, method="linear"))
        case Discrete():
            ordered, cumulative = dist.cumulative()
            index = next(i for i, level in enumerate(cumulative) if level >= p)
            return ordered[index]
    point = point_mass_at(dist)
    if point is not None:
        return point
    match dist:
        case Uniform(low=low, high=high):
            return min(low + p * (high - low), high)
        case Triangular(low=a, mode=c, high=b):
            if p <= (c - a) / (b - a):
                return a + math.sqrt(p * (b - a) * (c - a))
            return b - math.sqrt((1.0 - p) * (b - a) * (b - c))
        case Pert(low=low, mode=mode, high=high):
            alpha = 1 + 4 * (mode - low) / (high - low)
            beta = 1 + 4 * (high - mode) / (high - low)
            return low + (high - low) * _beta_quantile(alpha, beta, p)
        case Normal(mean=mean, sd=sd, low=None, high=None):
            return mean + sd * _normal_quantile(p)
        case Normal():
            return _truncated_normal_quantile(dist, p)
        case LogNormal(mu=mu, sigma=sigma):
            return math.exp(mu + sigma * _normal_quantile(p))
        case Beta(alpha=a, beta=b, low=low, high=high):
            return low + (high - low) * _beta_quantile(a, b, p)
        case Poisson(lam=lam):
            return float(poisson_ppf(p, lam))
    raise TypeError(f"no quantile for {dist!r}")  # pragma: no cover
