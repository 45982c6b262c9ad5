"""Finance: net present value and internal rate of return, vectorised over scenarios.

Conventions: ``values[..., 0]`` is at t = 0 (as numpy-financial and pyxirr put it; a
spreadsheet's NPV puts the first flow at t = 1). Every function works on the last axis and
broadcasts over the leading ones, so ``values`` of shape ``(S, T)`` gives ``S`` answers in one
call.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["irr", "npv"]

_GRID = np.concatenate(
    [np.linspace(-0.99, -0.1, 12), np.linspace(-0.09, 0.1, 20), np.linspace(0.12, 1.0, 12)]
)
"""Periodic rates scanned to bracket the roots of the NPV (−99% to +100% a period)."""


def _values(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim == 0 or array.shape[-1] == 0:
        raise ValueError("values must have at least one flow along the last axis")
    if not np.isfinite(array).all():
        raise ValueError("values must be finite numbers (no NaN or inf)")
    return array


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
    rates = np.asarray(rate, dtype=float)
    if np.any(rates <= -1) or not np.isfinite(rates).all():
        raise ValueError("rate must be a finite number > -1")
    discount = (1.0 + rates[..., None]) ** -np.arange(flows.shape[-1])
    return np.asarray((flows * discount).sum(axis=-1))


def _scaled(values: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """NPV × (1 + r)^(n−1): the same sign and roots, and no overflow near r = −1."""
    n = values.shape[-1]
    growth = (1.0 + rate[..., None]) ** np.arange(n - 1, -1, -1)
    return np.asarray((values * growth).sum(axis=-1))


def irr(values: ArrayLike, *, tolerance: float = 1e-12) -> np.ndarray:
    """The periodic internal rate of return of each row of ``values``.

    The rate r > −1 at which the NPV is zero. Rows with no such rate give NaN; a row that
    loses everything it put in (no inflow at all) gives −1 (−100%). Where the NPV has several
    roots, the root with the smallest absolute value is chosen (as numpy-financial does). The
    roots are bracketed on a grid of rates from −99% to +100% a period, then refined by
    bisection to ``tolerance``.

    >>> round(float(irr([-100, 110])), 12)
    0.1
    >>> irr([[-100, 0], [100, 50]]).tolist()
    [-1.0, nan]
    """
    flows = _values(values)
    shape = flows.shape[:-1]
    rows = flows.reshape(-1, flows.shape[-1])
    out = np.full(rows.shape[0], np.nan)
    has_out = (rows < 0).any(axis=1)
    has_in = (rows > 0).any(axis=1)
    out[has_out & ~has_in] = -1.0
    todo = np.flatnonzero(has_out & has_in)
    if todo.size:
        out[todo] = _roots(rows[todo], tolerance)
    return out.reshape(shape) if shape else np.asarray(out[0])


def _roots(rows: np.ndarray, tolerance: float) -> np.ndarray:
    n = rows.shape[-1]
    # The scaled NPV on the whole grid in one matrix product: (rows, n) @ (n, grid).
    growth = (1.0 + _GRID[None, :]) ** np.arange(n - 1, -1, -1)[:, None]
    signs = np.sign(rows @ growth)
    exact = signs == 0
    change = (signs[:, :-1] * signs[:, 1:]) < 0
    # The bracket (or exact grid root) nearest to a zero rate, per row.
    mid = (_GRID[:-1] + _GRID[1:]) / 2
    distance = np.where(change, np.abs(mid)[None, :], np.inf)
    exact_distance = np.where(exact, np.abs(_GRID)[None, :], np.inf)
    best = distance.argmin(axis=1)
    best_exact = exact_distance.argmin(axis=1)
    found = np.isfinite(distance.min(axis=1))
    result = np.full(rows.shape[0], np.nan)
    use_exact = exact_distance.min(axis=1) <= np.where(found, distance.min(axis=1), np.inf)
    result[use_exact] = _GRID[best_exact[use_exact]]
    refine = found & ~use_exact
    if refine.any():
        result[refine] = _illinois(
            rows[refine], _GRID[best[refine]], _GRID[best[refine] + 1], tolerance
        )
    return result


def _illinois(rows: np.ndarray, low: np.ndarray, high: np.ndarray, tolerance: float) -> np.ndarray:
    """Refine bracketed roots by the Illinois variant of regula falsi (always bracketed)."""
    f_low, f_high = _scaled(rows, low), _scaled(rows, high)
    side = np.zeros(rows.shape[0])
    guess = low.copy()
    for _ in range(100):
        guess = (low * f_high - high * f_low) / (f_high - f_low)
        guess = np.where(
            np.isfinite(guess) & (guess > low) & (guess < high), guess, (low + high) / 2
        )
        f_guess = _scaled(rows, guess)
        left = np.sign(f_guess) == np.sign(f_low)
        # Replace the end on the root's side; halve the value kept twice in a row (Illinois).
        f_high = np.where(left & (side == 1), f_high / 2, f_high)
        f_low = np.where(~left & (side == -1), f_low / 2, f_low)
        low, f_low = np.where(left, guess, low), np.where(left, f_guess, f_low)
        high, f_high = np.where(left, high, guess), np.where(left, f_high, f_guess)
        side = np.where(left, 1.0, -1.0)
        if np.all((high - low <= tolerance) | (f_guess == 0)):
            break
    return np.where(f_guess == 0, guess, (low + high) / 2)
