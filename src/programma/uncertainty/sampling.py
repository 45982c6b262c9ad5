"""The uncertainty layer: reproducible, keyed draws of every distribution.

A Monte Carlo scenario draws every uncertain value once (once per year for a yearly path).
Random streams are keyed, not sequential: the stream for (seed, block of scenarios, entity,
field) is a :class:`numpy.random.SeedSequence` with that key as entropy, strings hashed with a
stable hash (BLAKE2b). Scenarios come in blocks of :data:`BLOCK_SIZE`, each block drawn whole.
So results do not depend on how scenarios are chunked or where chunks run, the first n
scenarios of any run are the same, and adding an entity leaves the draws of the others alone.

Scenarios are independent: a scenario's value depends only on (seed, entity, field, scenario
index). Where a distribution's parameters are the same across a block, numpy's samplers keep
this however many random numbers they use; Poisson counts, whose means can differ from one
scenario to the next (enrolment noise), are drawn by inverse CDF from one uniform per scenario
and use (:func:`~programma.uncertainty.ppf.poisson_ppf`), and so is the Poisson
distribution, for one rule.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..model.distributions import (
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
    Scalar,
    Triangular,
    Uniform,
    Yearly,
)
from ..model.moments import mean_of
from ..model.normal import normal_cdf
from .ppf import normal_ppf, poisson_ppf

__all__ = ["BLOCK_SIZE", "Draws", "stable_hash", "stream"]

BLOCK_SIZE = 256
"""Scenarios per block: every block is drawn whole, and chunks consist of whole blocks."""


def stable_hash(text: str) -> int:
    """A 64-bit hash of ``text`` that is the same in every process and Python version.

    >>> stable_hash("contracts/werkfit") == stable_hash("contracts/werkfit")
    True
    """
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def stream(seed: int, block: int, key: str) -> np.random.Generator:
    """The random stream of block ``block`` for the value named ``key``, under ``seed``."""
    entropy = [seed, block, stable_hash(key)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def _truncated_normal(dist: Normal, rng: np.random.Generator, n: int) -> np.ndarray:
    """Inverse-CDF sampling; the upper tail is sampled through its mirror for precision."""
    low = -math.inf if dist.low is None else (dist.low - dist.mean) / dist.sd
    high = math.inf if dist.high is None else (dist.high - dist.mean) / dist.sd
    mirrored = low > 0
    if mirrored:
        low, high = -high, -low
    lo_p, hi_p = normal_cdf(low), normal_cdf(high)
    u = lo_p + (hi_p - lo_p) * rng.random(n)
    z = normal_ppf(np.clip(u, np.nextafter(0.0, 1.0), np.nextafter(1.0, 0.0)))
    z = -z if mirrored else z
    values = dist.mean + dist.sd * z
    bounds_low = -math.inf if dist.low is None else dist.low
    bounds_high = math.inf if dist.high is None else dist.high
    return np.clip(values, bounds_low, bounds_high)  # guard against rounding at the bounds


def draw(dist: Scalar, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent draws of a scalar distribution (not :class:`Ref` or :class:`Samples`)."""
    match dist:
        case Fixed(value=value):
            return np.full(n, value)
        case Uniform(low=low, high=high):
            return rng.uniform(low, high, n) if high > low else np.full(n, low)
        case Triangular(low=low, mode=mode, high=high):
            return rng.triangular(low, mode, high, n) if high > low else np.full(n, low)
        case Pert(low=low, mode=mode, high=high):
            if not high > low:
                return np.full(n, low)
            alpha = 1 + 4 * (mode - low) / (high - low)
            beta = 1 + 4 * (high - mode) / (high - low)
            return low + (high - low) * rng.beta(alpha, beta, n)
        case Normal(mean=mean, sd=sd, low=None, high=None):
            return rng.normal(mean, sd, n) if sd > 0 else np.full(n, mean)
        case Normal(mean=mean, sd=sd):
            return _truncated_normal(dist, rng, n) if sd > 0 else np.full(n, mean)
        case LogNormal(mu=mu, sigma=sigma):
            return rng.lognormal(mu, sigma, n) if sigma > 0 else np.full(n, math.exp(mu))
        case Beta(alpha=a, beta=b, low=low, high=high):
            return low + (high - low) * rng.beta(a, b, n)
        case Poisson(lam=lam):
            return poisson_ppf(rng.random(n), lam)
        case Discrete():
            # Inverse CDF from one uniform per scenario: u in [F(x_{i-1}), F(x_i)) takes x_i.
            ordered, cumulative = dist.cumulative()
            index = np.searchsorted(np.asarray(cumulative), rng.random(n), side="right")
            return np.asarray(ordered)[index]
    raise TypeError(f"cannot draw {dist!r} directly")  # pragma: no cover


class Draws:
    """Every uncertain value of a programme for a run of scenarios: whole blocks, or expected.

    Args:
        parameters: The programme's named parameters.
        years: The fiscal years a yearly path is drawn for (in order).
        seed: The run's seed.
        first_block: The first block of scenarios.
        blocks: How many blocks; ``None`` is expected mode (one "scenario": every mean).
        scenarios: How many of the blocks' scenarios are wanted, from the first (default:
            all). Every block is still drawn whole, from its streams, so that a scenario's
            draws never depend on how many are wanted; only the wanted ones are returned.

    Each draw has shape ``(S,)``; a yearly draw ``(S, len(years))``.
    """

    def __init__(
        self,
        parameters: Mapping[str, Distribution],
        years: tuple[int, ...],
        *,
        seed: int = 0,
        first_block: int = 0,
        blocks: int | None = None,
        scenarios: int | None = None,
    ) -> None:
        self.parameters = parameters
        self.years = years
        self.seed = seed
        self.first_block = first_block
        self.expected = blocks is None
        whole = 1 if blocks is None else blocks * BLOCK_SIZE
        if scenarios is not None and not 0 < scenarios <= whole:
            raise ValueError(f"scenarios: expected 1 to {whole}, got {scenarios}")
        self.size = whole if scenarios is None or blocks is None else scenarios
        self._blocks = 0 if blocks is None else blocks
        self._parameter_cache: dict[str, np.ndarray] = {}

    @property
    def first_scenario(self) -> int:
        """The absolute index of the first scenario drawn."""
        return self.first_block * BLOCK_SIZE

    def scalar(self, key: str, dist: Distribution) -> np.ndarray:
        """One draw per scenario of a scalar distribution, shape ``(S,)``."""
        if isinstance(dist, Yearly):
            raise TypeError(f"{key}: a yearly path where one value per scenario is needed")
        if isinstance(dist, Ref):
            base = self._parameter(dist.name)
            if base.ndim != 1:
                raise TypeError(f"{key}: refers to a yearly parameter {dist.name!r}")
            return dist.factor * base + dist.offset
        if self.expected:
            return np.array([mean_of(dist, self.parameters)])
        if isinstance(dist, Samples):
            out = np.empty(self.size)
            self._samples_into(out, dist)
            return out
        if isinstance(dist, Fixed):
            return np.full(self.size, dist.value)
        return np.concatenate(
            [
                draw(dist, stream(self.seed, self.first_block + b, key), BLOCK_SIZE)
                for b in range(self._blocks)
            ]
        )[: self.size]

    def scalars_into(
        self, out: np.ndarray, keys: Sequence[str], dists: Sequence[Distribution]
    ) -> None:
        """:meth:`scalar` of each distribution, written into the rows of ``out``
        ``(len(dists), S)``: many initiatives' draws laid into one array, the given values
        (``Samples``) and fixed ones without an array of their own."""
        for row, key, dist in zip(out, keys, dists, strict=True):
            if self.expected or not isinstance(dist, Samples | Fixed):
                row[:] = self.scalar(key, dist)
            elif isinstance(dist, Samples):
                self._samples_into(row, dist)
            else:
                row[:] = dist.value

    def _samples_into(self, out: np.ndarray, dist: Samples) -> None:
        """The scenarios' given values, written into ``out`` ``(S,)``."""
        first = self.first_scenario
        available = dist.values[first : first + self.size]  # already float64
        out[: len(available)] = available
        if len(available) < len(out):
            # A block may reach past the last sample: those scenarios are never kept (a run
            # refuses more scenarios than samples up front); they repeat the last value to
            # stay finite.
            out[len(available) :] = dist.values[-1]

    def yearly(
        self, key: str, dist: Distribution, years: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """A draw per scenario and fiscal year, shape ``(S, len(years))``.

        A scalar distribution is drawn once per scenario and holds in every year; a yearly
        path draws each year's distribution once per scenario and year, each year from its own
        stream, so that a year has the same draw whichever other years are asked for.
        ``years`` defaults to the run's years.
        """
        years = self.years if years is None else years
        if isinstance(dist, Ref):
            base = self._parameter(dist.name, years)
            if base.ndim == 1:
                base = base[:, None]
            return np.broadcast_to(dist.factor * base + dist.offset, (self.size, len(years)))
        if not isinstance(dist, Yearly):
            return np.repeat(self.scalar(key, dist)[:, None], len(years), axis=1)
        columns = [
            self._year_column(f"{key}@{year}", dist.at(year), i, years)
            for i, year in enumerate(years)
        ]
        return np.stack(columns, axis=1) if columns else np.zeros((self.size, 0))

    def poisson(self, key: str, mean: np.ndarray) -> np.ndarray:
        """Poisson counts with means ``mean`` ``(S, T)``: month m from stream ``key@m``.

        Each count is the inverse CDF of one uniform, the scenario's own in its month's stream,
        so a count depends on its own mean and on nothing else: changing the means of some
        scenarios or months (a gate that scales enrolment) leaves every other count as it was.
        """
        out = np.zeros_like(mean)
        for b in range(self._blocks):
            rows = slice(b * BLOCK_SIZE, min((b + 1) * BLOCK_SIZE, self.size))
            months = np.flatnonzero((mean[rows] > 0).any(axis=0))
            if not months.size:
                continue
            uniforms = np.stack(
                [
                    stream(self.seed, self.first_block + b, f"{key}@{month}").random(BLOCK_SIZE)
                    for month in months
                ],
                axis=1,
            )
            means = mean[rows][:, months]  # a caller may ask for fewer than a block's rows
            out[rows, months] = poisson_ppf(uniforms[: len(means)], means)
        return out

    def _year_column(
        self, key: str, dist: Scalar, index: int, years: tuple[int, ...]
    ) -> np.ndarray:
        if isinstance(dist, Ref):
            base = self._parameter(dist.name, years)
            column = base[:, index] if base.ndim == 2 else base
            return dist.factor * column + dist.offset
        return self.scalar(key, dist)

    def _parameter(self, name: str, years: tuple[int, ...] | None = None) -> np.ndarray:
        """A named parameter's draw ``(S,)``, or ``(S, len(years))`` for a yearly path.

        The run's years are drawn once and kept; other years (far past the horizon) are drawn
        when asked for, from the same per-year streams.
        """
        dist = self.parameters[name]
        if isinstance(dist, Yearly) and years is not None and years != self.years:
            return self._draw_parameter(name, dist, years)
        if name not in self._parameter_cache:
            self._parameter_cache[name] = self._draw_parameter(name, dist, self.years)
        return self._parameter_cache[name]

    def _draw_parameter(self, name: str, dist: Distribution, years: tuple[int, ...]) -> np.ndarray:
        key = f"parameters/{name}"
        if not isinstance(dist, Yearly):
            return self.scalar(key, dist)
        columns = [self.scalar(f"{key}@{year}", dist.at(year)) for year in years]
        return np.stack(columns, axis=1) if columns else np.zeros((self.size, 0))
