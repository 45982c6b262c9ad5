"""What a distribution's form says about its values without a draw: its mean and its support.

:func:`mean_of` is the analytic mean (expected mode projects with it); :func:`support_of` the
smallest interval holding every value, which is how a bounded field refuses a distribution that
could leave its domain (:mod:`~programma.model.domains`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .distributions import (
    Beta,
    Discrete,
    Distribution,
    Fixed,
    LogNormal,
    Normal,
    Pert,
    Poisson,
    Ref,
    Samples,
    Triangular,
    Uniform,
    Yearly,
)
from .normal import normal_pdf, truncated_mass

__all__ = ["is_yearly", "mean_of", "refers", "support_of"]


def _truncated_normal_mean(dist: Normal) -> float:
    if dist.sd == 0.0 or (dist.low is None and dist.high is None):
        return dist.mean
    alpha = -math.inf if dist.low is None else (dist.low - dist.mean) / dist.sd
    beta = math.inf if dist.high is None else (dist.high - dist.mean) / dist.sd
    mass = truncated_mass(0.0, 1.0, alpha, beta)
    exponent = (
        math.inf if math.isinf(alpha) or math.isinf(beta) else (beta - alpha) * (beta + alpha)
    )
    if abs(exponent) < 1.0:  # φ(α) − φ(β) = −φ(α)·expm1(−(β − α)(β + α)/2): narrow intervals
        difference = -normal_pdf(alpha) * math.expm1(-exponent / 2)
    else:
        pdf_alpha = 0.0 if math.isinf(alpha) else normal_pdf(alpha)
        pdf_beta = 0.0 if math.isinf(beta) else normal_pdf(beta)
        difference = pdf_alpha - pdf_beta
    value = dist.mean + dist.sd * difference / mass
    low = -math.inf if dist.low is None else dist.low
    high = math.inf if dist.high is None else dist.high
    return min(max(value, low), high)


def mean_of(
    dist: Distribution,
    parameters: Mapping[str, Distribution] | None = None,
    *,
    year: int | None = None,
) -> float:
    """The mean of ``dist``, analytically.

    Args:
        dist: The distribution.
        parameters: The programme's named parameters, to resolve :class:`Ref`.
        year: For a yearly path (directly or through a parameter), the year.

    Raises:
        KeyError: A :class:`Ref` names a parameter not in ``parameters``.
        ValueError: A yearly path is met without a ``year``.

    >>> mean_of(Triangular(0.3, 0.4, 0.8))
    0.5
    """
    match dist:
        case Fixed(value=value):
            return value
        case Uniform(low=low, high=high):
            return (low + high) / 2
        case Triangular(low=low, mode=mode, high=high) | Pert(low=low, mode=mode, high=high) if (
            low == high
        ):
            return low  # degenerate: exactly the value every draw takes
        case Triangular(low=low, mode=mode, high=high):
            return (low + mode + high) / 3
        case Pert(low=low, mode=mode, high=high):
            return (low + 4 * mode + high) / 6
        case Normal():
            return _truncated_normal_mean(dist)
        case LogNormal(mu=mu, sigma=sigma):
            return math.exp(mu + sigma * sigma / 2)
        case Beta(alpha=a, beta=b, low=low, high=high):
            return low + (high - low) * a / (a + b)
        case Poisson(lam=lam):
            return lam
        case Samples(values=values):
            low, high = float(values.min()), float(values.max())
            if low == high:
                return low  # exact: fsum(n copies) / n can round away from the value
            # The correctly rounded sum, as a list of floats: fsum runs in C, with no Python loop.
            return math.fsum(values.tolist()) / values.size
        case Discrete(values=values, weights=weights):
            if len(values) == 1:
                return values[0]  # exact: one value carries all the weight
            return math.fsum(v * w for v, w in zip(values, weights, strict=True)) / math.fsum(
                weights
            )
        case Ref(name=name, factor=factor, offset=offset):
            if parameters is None or name not in parameters:
                raise KeyError(f"unknown parameter {name!r}")
            if refers(parameters[name]):
                raise ValueError(f"parameter {name!r} refers to another parameter")
            return factor * mean_of(parameters[name], parameters, year=year) + offset
        case Yearly():
            if year is None:
                raise ValueError("a yearly path needs a year to have a mean")
            return mean_of(dist.at(year), parameters, year=year)
    raise TypeError(f"not a distribution: {dist!r}")  # pragma: no cover


def support_of(
    dist: Distribution, parameters: Mapping[str, Distribution] | None = None
) -> tuple[float, float] | None:
    """The smallest interval holding every value ``dist`` can take.

    Returns ``None`` when it cannot be known (a reference to a parameter that is not given).

    >>> support_of(Normal(0.4, 0.1))
    (-inf, inf)
    >>> support_of(Ref("p", factor=-2, offset=1), {"p": Uniform(0, 1)})
    (-1.0, 1.0)
    """
    match dist:
        case Fixed(value=value):
            return (value, value)
        case (
            Uniform(low=low, high=high)
            | Triangular(low=low, high=high)
            | Pert(low=low, high=high)
            | Beta(low=low, high=high)
        ):
            return (low, high)
        case Normal(low=low, high=high):
            return (-math.inf if low is None else low, math.inf if high is None else high)
        case LogNormal(mu=mu, sigma=sigma) if sigma == 0:  # all its mass at e^mu
            return (math.exp(mu), math.exp(mu))
        case LogNormal():
            return (0.0, math.inf)
        case Poisson():
            return (0.0, math.inf)
        case Samples(values=values):
            if not (isinstance(values, np.ndarray) and values.dtype == np.float64 and values.size):
                return None  # values that are not numbers: the distribution's own problem
            return (float(values.min()), float(values.max()))
        case Discrete(values=values):
            return (min(values), max(values)) if values else None
        case Ref(name=name, factor=factor, offset=offset):
            if parameters is None or name not in parameters or refers(parameters[name]):
                return None  # unknown, or a reference itself: reported by the programme
            inner = support_of(parameters[name], parameters)
            if inner is None:
                return None
            ends = [_affine(factor, bound, offset) for bound in inner]
            return (min(ends), max(ends))
        case Yearly(by_year=by_year):
            parts = [support_of(d, parameters) for _, d in by_year]
            if not parts or any(part is None for part in parts):
                return None
            return (min(p[0] for p in parts if p), max(p[1] for p in parts if p))
    raise TypeError(f"not a distribution: {dist!r}")  # pragma: no cover


def refers(dist: Distribution) -> bool:
    """Whether ``dist`` is, or holds, a reference to a parameter."""
    if isinstance(dist, Yearly):
        return any(isinstance(inner, Ref) for _, inner in dist.by_year)
    return isinstance(dist, Ref)


def _affine(factor: float, bound: float, offset: float) -> float:
    if factor == 0.0:
        return offset
    return factor * bound + offset


def is_yearly(dist: Distribution, parameters: Mapping[str, Distribution] | None = None) -> bool:
    """Whether ``dist`` is a yearly path, directly or through the parameter it refers to."""
    if isinstance(dist, Yearly):
        return True
    if isinstance(dist, Ref) and parameters is not None and dist.name in parameters:
        return isinstance(parameters[dist.name], Yearly)
    return False
