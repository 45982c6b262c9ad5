"""Finance: discounting, net present value and internal rate of return, vectorised.

Conventions: ``values[..., 0]`` is at t = 0 (as numpy-financial and pyxirr put it; a
spreadsheet's NPV puts the first flow at t = 1). ``xnpv`` and ``xirr`` count actual days over
365 from the earliest date, so dates need not be sorted. Every function works on the last axis
and broadcasts over the leading ones, so ``values`` of shape ``(S, T)`` gives ``S`` answers in
one call, with no Python loop over S.

Where the NPV has several roots, ``irr`` and ``xirr`` return the one with the smallest absolute
value (as numpy-financial's ``irr`` does); where none lies in the range searched (from just
above −100% to +1,000% a period or a year, narrower at the top for a row whose flows span so
long that a power would overflow) they return NaN. A series that puts money in and gets
nothing back returns −1 (a total loss, −100%). How the roots are found is told in
:mod:`programma.finance.roots`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .roots import ANNUAL_GRID, PERIODIC_GRID, solve

__all__ = [
    "DISCOUNT_PRESETS",
    "discount_factors",
    "irr",
    "npv",
    "rate_schedule",
    "xirr",
    "xnpv",
]

DISCOUNT_PRESETS: dict[str, tuple[tuple[float, float], ...]] = {
    # Rijksbrede standaard for social cost-benefit analysis (MKBA) from 1 January 2021: a real
    # 2.25% (risk-free −1% plus a 3.25% risk premium), the same for short and long horizons.
    # Source: Rapport Werkgroep Discontovoet 2020, Ministerie van Financiën, 2020.
    "nl-2021": ((0.0, 0.0225),),
    # HM Treasury, The Green Book, 2022, Annex A6, Table 7: the declining social time preference
    # rate (real): 3.5% for years 0–30, 3.0% for 31–75, 2.5% for 76–125, 2.0% for 126–200,
    # 1.5% for 201–300 and 1.0% after.
    "uk-green-book": (
        (0.0, 0.035),
        (30.0, 0.03),
        (75.0, 0.025),
        (125.0, 0.02),
        (200.0, 0.015),
        (300.0, 0.01),
    ),
    # HM Treasury, The Green Book, 2022, Annex A6, Table 8: health effects at 1.5% for years
    # 0–30, declining likewise: 1.29%, 1.07%, 0.86%, 0.64% and 0.43%.
    "uk-green-book-health": (
        (0.0, 0.015),
        (30.0, 0.01286),
        (75.0, 0.01071),
        (125.0, 0.00857),
        (200.0, 0.00643),
        (300.0, 0.00429),
    ),
}
"""Named discount-rate schedules, as ``(from year, annual rate)`` steps, with their sources.

A step's rate discounts the years after its start: the Green Book's "3.0% for years 31–75"
is the step ``(30, 0.03)``, so the factor of year 31 is 1.035⁻³⁰ / 1.03.
"""


def _values(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim == 0 or array.shape[-1] == 0:
        raise ValueError("values must have at least one flow along the last axis")
    if not np.isfinite(array).all():
        raise ValueError("values must be finite numbers (no NaN or inf)")
    return array


def _rates(rate: ArrayLike) -> np.ndarray:
    rates = np.asarray(rate, dtype=float)
    if not np.isfinite(rates).all() or np.any(rates <= -1):
        raise ValueError(f"rate must be a finite number > -1, got {rate!r}")
    return rates


def _years(dates: Sequence[dt.date] | ArrayLike, size: int) -> np.ndarray:
    """Actual days from the earliest date, over 365."""
    days = np.asarray(dates, dtype="datetime64[D]").astype(np.int64)
    if days.shape[-1] != size:
        raise ValueError(
            f"dates and values must have the same length, got {days.shape[-1]} dates "
            f"for {size} values"
        )
    return np.asarray((days - days.min(axis=-1, keepdims=True)) / 365.0)


def npv(rate: ArrayLike, values: ArrayLike) -> np.ndarray:
    """The net present value of ``values`` at periodic ``rate``; ``values[..., 0]`` at t = 0.

    ``rate`` broadcasts against the leading axes of ``values``.

    Raises:
        ValueError: A rate ≤ −1, or values that are not finite.

    >>> float(npv(0.25, [-100, 125]))
    0.0
    >>> npv([0.0, 0.5], [[-100, 150], [-100, 150]]).tolist()
    [50.0, 0.0]
    """
    flows = _values(values)
    rates = _rates(rate)
    discount = (1.0 + rates[..., None]) ** -np.arange(flows.shape[-1])
    return np.asarray((flows * discount).sum(axis=-1))


def xnpv(rate: ArrayLike, values: ArrayLike, dates: Sequence[dt.date] | ArrayLike) -> np.ndarray:
    """The net present value at annual ``rate`` of flows on ``dates`` (actual/365).

    Times count from the earliest date, so the dates may come in any order.

    Raises:
        ValueError: A rate ≤ −1, values that are not finite, or lengths that differ.

    >>> abs(round(float(xnpv(0.1, [-100, 110], [dt.date(2021, 1, 1), dt.date(2022, 1, 1)])), 10))
    0.0
    """
    flows = _values(values)
    rates = _rates(rate)
    years = _years(dates, flows.shape[-1])
    return np.asarray((flows * (1.0 + rates[..., None]) ** -years).sum(axis=-1))


def irr(values: ArrayLike, *, tolerance: float = 1e-12) -> np.ndarray:
    """The periodic internal rate of return of each row of ``values``.

    The rate r > −1 at which the NPV is zero, or NaN where there is none (see the module
    notes for the choice among several roots and for a total loss).

    Raises:
        ValueError: Values that are not finite.

    >>> round(float(irr([-100, 110])), 12)
    0.1
    >>> irr([[-100, 0], [100, 50]]).tolist()
    [-1.0, nan]
    """
    return solve(_values(values), None, PERIODIC_GRID, tolerance)


def xirr(
    values: ArrayLike, dates: Sequence[dt.date] | ArrayLike, *, tolerance: float = 1e-12
) -> np.ndarray:
    """The annual internal rate of return of flows on ``dates`` (actual/365 from the earliest).

    Raises:
        ValueError: Values that are not finite, or lengths that differ.

    >>> dates = [dt.date(2021, 1, 1), dt.date(2022, 1, 1)]
    >>> round(float(xirr([-100, 110], dates)), 12)
    0.1
    """
    flows = _values(values)
    years = _years(dates, flows.shape[-1])
    return solve(flows, np.broadcast_to(years, flows.shape), ANNUAL_GRID, tolerance)


def rate_schedule(
    rate: float | str | Sequence[tuple[float, float]],
) -> tuple[tuple[float, float], ...]:
    """A discount rate as ``(from year, annual rate)`` steps: a number, a preset or steps.

    Raises:
        ValueError: An unknown preset, a rate ≤ −1, or steps that do not start at year 0 or
            are not increasing.

    >>> rate_schedule(0.03)
    ((0.0, 0.03),)
    >>> rate_schedule("uk-green-book")[1]
    (30.0, 0.03)
    """
    if isinstance(rate, str):
        if rate not in DISCOUNT_PRESETS:
            raise ValueError(
                f"unknown discount preset {rate!r}; the presets are {', '.join(DISCOUNT_PRESETS)}"
            )
        return DISCOUNT_PRESETS[rate]
    steps = (
        ((0.0, float(rate)),)
        if isinstance(rate, int | float)
        else tuple((float(start), float(value)) for start, value in rate)
    )
    starts = [start for start, _ in steps]
    if not steps or starts[0] != 0.0 or any(b <= a for a, b in itertools.pairwise(starts)):
        raise ValueError(f"a rate schedule starts at year 0 and increases, got {steps!r}")
    if any(not np.isfinite(value) or value <= -1 for _, value in steps):
        raise ValueError(f"rates must be finite numbers > -1, got {steps!r}")
    return steps


def discount_factors(
    rate: float | str | Sequence[tuple[float, float]], years: ArrayLike
) -> np.ndarray:
    """The discount factor at each time ``years`` (in years from the base date).

    With a schedule the factor is the product of the stepwise factors: a time in the second
    step is discounted at the first rate up to the step, then at the second rate.

    >>> discount_factors(0.1, [-1, 0, 1, 2]).round(6).tolist()
    [1.1, 1.0, 0.909091, 0.826446]
    >>> bool(np.isclose(discount_factors("uk-green-book", 31), 1.035**-30 / 1.03, rtol=1e-12))
    True
    """
    steps = rate_schedule(rate)
    times = np.asarray(years, dtype=float)
    # Before the base date the first rate compounds forward (a factor above 1).
    log_factor = -np.minimum(times, 0.0) * np.log1p(steps[0][1])
    bounds = [start for start, _ in steps[1:]] + [np.inf]
    for (start, value), end in zip(steps, bounds, strict=True):
        spent = np.clip(times, start, end) - start
        log_factor -= spent * np.log1p(value)
    return np.asarray(np.exp(log_factor))
