"""The roots of a batch of NPVs, row by row but vectorised over rows.

Where the flows change sign only once in time (all money in before all money back, or the
reverse) the NPV has exactly one root
above −100% (Descartes' rule of signs), found by Newton's method on the logarithm of the ratio
of the inflows' to the outflows' present value, from the rate that one outflow and one inflow
at their mean times would give, kept inside a bracket of the signs seen so far. A root is
accepted only when the last step was below ``tolerance`` and the NPV is within 5e-10 of the
discounted flows. Every other row, and any row where Newton does not succeed, is searched on a
grid of rates: a step where the NPV changes sign holds a root, and a step where it keeps its
sign but turns back towards zero (its derivative changes sign) is split at the turning point,
so that two roots closer together than the grid's steps are found too (not two pairs, or three
roots, within one step). The bracket nearest to zero on each side of zero is refined by regula
falsi (Illinois) and the smaller root kept.
Each row's answer is the same whichever other rows share the batch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ANNUAL_GRID", "PERIODIC_GRID", "solve"]

_NEAR_TOTAL_LOSS = -1.0 + np.array([0.0, 1e-9, 1e-6, 1e-4, 1e-3])
"""−100% and rates just above it, so that a root next to a total loss is bracketed too (the
scaled NPV at −100% is the last non-zero flow, never zero)."""

PERIODIC_GRID = np.concatenate(
    [
        _NEAR_TOTAL_LOSS,
        np.linspace(-0.99, -0.1, 12),
        np.linspace(-0.09, 0.1, 20),
        np.linspace(0.12, 1.0, 12),
        np.linspace(1.5, 10.0, 10),
    ]
)
ANNUAL_GRID = np.concatenate(
    [
        _NEAR_TOTAL_LOSS,
        np.linspace(-0.99, -0.1, 12),
        np.linspace(-0.09, 0.3, 30),
        np.linspace(0.35, 2.0, 15),
        np.linspace(2.5, 10.0, 8),
    ]
)
# Zero is a grid rate, so that no step straddles it: the roots nearest to zero on each side are
# then in different steps.
PERIODIC_GRID = np.union1d(PERIODIC_GRID[np.abs(PERIODIC_GRID) > 1e-12], 0.0)
ANNUAL_GRID = np.union1d(ANNUAL_GRID[np.abs(ANNUAL_GRID) > 1e-12], 0.0)
_TOP = 1e300
"""The largest (1 + rate)^(span of a row) searched, so that no power overflows."""
_PART = 2048
"""Rows per part when xirr packs each row's non-zero flows."""


class _Scaled:
    """NPV × (1 + r)^(time of the row's last non-zero flow), as a function of w = 1 + r.

    The same sign and roots as the NPV, and no overflow near r = −1: every power of w is
    non-negative, and at w = 0 the value is the last flow. With whole periods (``times`` None)
    it is a polynomial in w, evaluated by Horner's rule on ``columns`` (highest power first);
    with day counts, by powers. Built once per call: evaluations take the indices of the rows
    they are for, so nothing is rebuilt while searching.
    """

    def __init__(self, rows: np.ndarray, times: np.ndarray | None) -> None:
        nonzero = rows != 0
        self.powers: np.ndarray | None
        if times is None:
            n = rows.shape[1]
            last = n - 1 - np.argmax(nonzero[:, ::-1], axis=1)
            source = np.arange(n)[None, :] - (n - 1 - last)[:, None]
            picked = np.take_along_axis(rows, np.clip(source, 0, n - 1), axis=1)
            self.columns = np.ascontiguousarray(np.where(source >= 0, picked, 0.0).T)
            self.powers = None
        else:
            latest = np.where(nonzero, times, -np.inf).max(axis=1, keepdims=True)
            self.rows = rows
            self.powers = np.where(nonzero, latest - times, 0.0)

    def at(self, w: np.ndarray, index: np.ndarray, slope: bool = False) -> np.ndarray:
        """The value (or, with ``slope``, the derivative in w) at ``w`` for rows ``index``."""
        if self.powers is None:
            total = np.zeros(w.shape)
            derivative = np.zeros(w.shape)
            for column in np.ascontiguousarray(self.columns[:, index]):
                if slope:
                    derivative = derivative * w + total
                total = total * w + column
            return derivative if slope else total
        rows, powers = self.rows[index].T, self.powers[index].T
        if slope:
            # Σ c p w^(p − 1), with the terms of power 0 left out (they would be 0 × w⁻¹).
            lowered = np.where(powers > 0, powers - 1.0, 0.0)
            terms = rows * powers * w[None, :] ** lowered
        else:
            terms = rows * w[None, :] ** powers
        return _down(terms)

    def on_grid(self, w: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The values and derivatives in w at every grid point ``w``, each ``(rows, grid)``.

        Element by element (no matrix product), so a row's values do not depend on which
        other rows share the batch: results are identical however scenarios are chunked.
        """
        growth = w[None, :]
        total = np.zeros((index.size, w.size))
        derivative = np.zeros_like(total)
        if self.powers is None:
            for column in np.ascontiguousarray(self.columns[:, index]):
                derivative = derivative * growth + total
                total = total * growth + column[:, None]
            return total, derivative
        for column, power in zip(self.rows[index].T, self.powers[index].T, strict=True):
            total += column[:, None] * growth ** power[:, None]
            lowered = np.where(power > 0, power - 1.0, 0.0)
            derivative += (column * power)[:, None] * growth ** lowered[:, None]
        return total, derivative


def _down(terms: np.ndarray) -> np.ndarray:
    """The sums of ``terms`` down axis 0, added strictly in order.

    ``sum`` may regroup the terms for some shapes (pairwise, when a part holds one row), and
    zeros packed after a row's flows must change nothing: so each row's answer is the same
    whichever rows share its batch or part.
    """
    total: np.ndarray = terms[0].copy()
    for term in terms[1:]:
        total += term
    return total


def solve(
    flows: np.ndarray, times: np.ndarray | None, grid: np.ndarray, tolerance: float
) -> np.ndarray:
    shape = flows.shape[:-1]
    rows = flows.reshape(-1, flows.shape[-1])
    moments = None if times is None else times.reshape(-1, flows.shape[-1])
    out = np.full(rows.shape[0], np.nan)
    has_out = (rows < 0).any(axis=1)
    has_in = (rows > 0).any(axis=1)
    out[has_out & ~has_in] = -1.0
    both = has_out & has_in
    todo = np.flatnonzero(both)
    if todo.size:
        picked = rows if both.all() else rows[todo]
        when = None if moments is None else (moments if both.all() else moments[todo])
        out[todo] = _roots(picked, when, grid, tolerance)
    return out.reshape(shape) if shape else np.asarray(out[0])


def _sign_changes(
    rows: np.ndarray, times: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which rows change sign once in time, the sign of their last flows, and each row's span.

    Once: all outflows strictly before all inflows, or the reverse. By Descartes' rule of
    signs (which holds for real exponents too) the NPV of such a row has exactly one root
    r > −1.
    """
    negative, positive = rows < 0, rows > 0
    if times is None:
        n = rows.shape[1]
        first_out, first_in = np.argmax(negative, axis=1), np.argmax(positive, axis=1)
        last_out = n - 1 - np.argmax(negative[:, ::-1], axis=1)
        last_in = n - 1 - np.argmax(positive[:, ::-1], axis=1)
    else:
        first_out = np.where(negative, times, np.inf).min(axis=1)
        first_in = np.where(positive, times, np.inf).min(axis=1)
        last_out = np.where(negative, times, -np.inf).max(axis=1)
        last_in = np.where(positive, times, -np.inf).max(axis=1)
    once = (last_out < first_in) | (last_in < first_out)
    last_sign = np.where(last_in > last_out, 1.0, -1.0)
    span = (np.maximum(last_out, last_in) - np.minimum(first_out, first_in)).astype(float)
    return np.asarray(once), last_sign, span


def _upper(grid: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Each row's highest grid rate at which (1 + rate)^span stays below 1e300."""
    with np.errstate(divide="ignore", invalid="ignore"):
        fits = span[:, None] * np.log1p(grid)[None, :] < np.log(_TOP)
    return np.asarray(grid[fits.shape[1] - 1 - np.argmax(fits[:, ::-1], axis=1)])


def _roots(
    rows: np.ndarray, times: np.ndarray | None, grid: np.ndarray, tolerance: float
) -> np.ndarray:
    """Each row's root: Newton's method where it is unique, checked; the grid elsewhere."""
    if times is None:
        return _roots_of(rows, None, rows, grid, tolerance)
    # Day counts are summed as powers, flow by flow: only the non-zero flows, packed to the
    # front of each row (zeros after), with rows of about as many flows together, in parts
    # small enough to stay in cache. A row's sums run in order over its own flows, so its
    # answer does not depend on the part it falls in.
    nonzero = rows != 0
    counts = nonzero.sum(axis=1)
    order = np.argsort(counts, kind="stable")
    result = np.empty(rows.shape[0])
    for part in np.array_split(order, -(-order.size // _PART)):
        slots = np.arange(counts[part].max())[None, :] < counts[part][:, None]
        flows, moments = np.zeros(slots.shape), np.zeros(slots.shape)
        flows[slots], moments[slots] = rows[part][nonzero[part]], times[part][nonzero[part]]
        result[part] = _roots_of(flows, moments, flows, grid, tolerance)
    return result


def _roots_of(
    flows: np.ndarray,
    moments: np.ndarray | None,
    rows: np.ndarray,
    grid: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """Newton on the rows with one sign change, the grid for the others and for any row
    Newton does not settle (``rows``: the flows as the grid takes them)."""
    once, last_sign, span = _sign_changes(flows, moments)
    upper = _upper(grid, span)
    result = np.full(flows.shape[0], np.nan)
    hard = np.flatnonzero(~once)
    easy = np.flatnonzero(once)
    if easy.size:
        every = easy.size == flows.shape[0]
        roots, ok = _newton(
            flows if every else flows[easy],
            None if moments is None else (moments if every else moments[easy]),
            last_sign[easy],
            upper[easy],
            tolerance,
        )
        result[easy] = roots
        hard = np.union1d(hard, easy[~ok])
    if hard.size:
        scaled = _Scaled(rows[hard], None if moments is None else moments[hard])
        result[hard] = _scan(scaled, np.arange(hard.size), grid, upper[hard], tolerance)
    return result


def _newton(
    rows: np.ndarray,
    times: np.ndarray | None,
    sign_low: np.ndarray,
    upper: np.ndarray,
    tolerance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Safeguarded Newton on F(x) = ln(inflows' value) − ln(outflows' value), x = ln(1 + r).

    For one sign change F is strictly monotone and nearly straight in x, so a few steps from
    the guess of a single outflow and inflow at their mean times suffice. Each step keeps a
    bracket from the signs seen so far (``sign_low`` is F's sign as r → −1, that of the last
    flows) and bisects whenever Newton would leave it; the top of the range is tried when a
    step would pass it (and a root above it gives NaN). A row is accepted only when its last
    Newton step was below ``tolerance`` and |F| ≤ 1e-9 there (the NPV within 5e-10 of the
    discounted flows); the second result says which rows were, the others go to the grid.

    The values are those times (1 + r)^(latest time), as powers of w = 1 + r: by Horner's
    rule for whole periods, by ``exp`` for day counts, in columns ``(flows, rows)`` summed
    in order, so that each row's steps never depend on the other rows.
    """
    count = rows.shape[0]
    x_top = np.log1p(upper)
    columns = np.array(rows.T, order="C")  # our own copy, reused below
    if times is None:
        power = np.arange(columns.shape[0] - 1, -1, -1, dtype=float)[:, None]
    else:
        nonzero = columns != 0
        latest = np.where(nonzero, times.T, -np.inf).max(axis=0)
        power = np.where(nonzero, latest - times.T, 0.0)
    positive = np.maximum(columns, 0.0)
    negative = np.maximum(np.negative(columns, out=columns), 0.0, out=columns)
    if times is not None:
        weighted = positive * power, negative * power
        # Large temporaries are reused (out=): fresh ones cost a page fault per 4 KiB.
        buffer, grow = np.empty_like(power), np.empty_like(power)

    def parts(here: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The inflows' and outflows' values at x = ``here`` and their derivatives in x."""
        if times is None:
            w = np.exp(here)
            v_in, v_out = np.zeros(here.size), np.zeros(here.size)
            d_in, d_out = np.zeros(here.size), np.zeros(here.size)
            for a, b in zip(positive, negative, strict=True):
                d_in *= w
                d_in += v_in
                v_in *= w
                v_in += a
                d_out *= w
                d_out += v_out
                v_out *= w
                v_out += b
            return v_in, v_out, d_in * w, d_out * w
        np.exp(np.multiply(here[None, :], power, out=grow), out=grow)
        return (
            _down(np.multiply(positive, grow, out=buffer)),
            _down(np.multiply(negative, grow, out=buffer)),
            _down(np.multiply(weighted[0], grow, out=buffer)),
            _down(np.multiply(weighted[1], grow, out=buffer)),
        )

    # At x = 0 the parts are the sums of the flows and of the flows times their powers: one
    # outflow and one inflow at their mean times would make F = 0 at this x.
    v_in, v_out, d_in, d_out = parts(np.zeros(count))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # tiny flows: no guess
        x = np.log(v_in / v_out) / (d_out / v_out - d_in / v_in)
    x = np.clip(np.where(np.isfinite(x), x, 0.0), -30.0, x_top)
    low = np.full(count, -np.inf)
    high = x_top.copy()
    high_seen = np.zeros(count, dtype=bool)
    root = np.full(count, np.nan)
    ok = np.zeros(count, dtype=bool)
    live = np.arange(count)  # the rows the arrays below hold, a superset of those still open
    open_ = np.ones(count, dtype=bool)
    for _ in range(60):
        if not open_.any():
            break
        if open_[live].sum() * 2 < live.size:  # drop finished rows once they are most
            keep = open_[live]
            live = live[keep]
            positive, negative = positive[:, keep], negative[:, keep]
            if times is not None:
                power, buffer, grow = power[:, keep], buffer[:, keep], grow[:, keep]
                weighted = weighted[0][:, keep], weighted[1][:, keep]
        here = x[live]
        with np.errstate(all="ignore"):
            v_in, v_out, d_in, d_out = parts(here)
            value = np.log(v_in) - np.log(v_out)
            slope = d_in / v_in - d_out / v_out
            step = value / slope
        mine = open_[live]
        now = live[mine]
        value, slope, step, here = value[mine], slope[mine], step[mine], here[mine]
        broken = ~(np.isfinite(value) & np.isfinite(step) & (slope != 0))
        sign = np.sign(value)
        below = sign == sign_low[now]  # the root lies above x
        low[now] = np.where(below & ~broken, here, low[now])
        above = ~below & (sign != 0) & ~broken
        high[now] = np.where(above, here, high[now])
        high_seen[now] |= above | (here >= x_top[now])
        beyond = below & ~broken & (here >= x_top[now])  # no root in the range searched
        exact = (value == 0) & ~broken
        guess = here - step
        outside = ~((guess > low[now]) & (guess < high[now]))
        bisect = np.where(
            np.isfinite(low[now]),
            (low[now] + high[now]) / 2,
            here - np.maximum(1.0, np.abs(here)),
        )
        guess = np.where(
            outside & ~high_seen[now] & (guess >= high[now]),
            high[now],
            np.where(outside, bisect, guess),
        )
        converged = ~outside & (np.abs(step) <= tolerance) & (np.abs(value) <= 1e-9) & ~broken
        root[now[exact]] = np.expm1(here[exact])
        root[now[converged & ~exact]] = np.expm1(guess[converged & ~exact])
        finished = (exact | converged | beyond) & ~broken
        ok[now[finished]] = True
        root[now[beyond & ~exact]] = np.nan
        x[now] = guess
        open_[now[finished | broken]] = False
    return root, ok


_NEAR = 5
"""Grid rates on each side of zero scanned first (:func:`_scan`)."""


def _scan(
    scaled: _Scaled, index: np.ndarray, grid: np.ndarray, upper: np.ndarray, tolerance: float
) -> np.ndarray:
    """The root nearest to zero from a scan of the grid, for rows ``index``.

    The rates nearest to zero are scanned first: a row whose nearest brackets on both sides
    lie among them (or that shows no root on one side could be nearer than the one found on
    the other) has its answer there. The other rows scan the whole grid. Either way a row
    gets the root the whole scan gives it, bit for bit: its brackets are the same, and so are
    the values at their ends.
    """
    zero = int(np.flatnonzero(grid == 0.0)[0])
    near = slice(max(zero - _NEAR, 0), zero + _NEAR + 1)
    result, settled = _scan_part(scaled, index, grid, near, upper, tolerance)
    rest = np.flatnonzero(~settled)
    if rest.size:
        whole = slice(0, grid.size)
        result[rest] = _scan_part(scaled, index[rest], grid, whole, upper[rest], tolerance)[0]
    return result


def _scan_part(
    scaled: _Scaled,
    index: np.ndarray,
    grid: np.ndarray,
    part: slice,
    upper: np.ndarray,
    tolerance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The root nearest to zero from a scan of the grid's rates ``part`` (zero among them),
    and which rows have their answer there.

    Brackets are the steps where the value changes sign, and also the steps where it keeps
    its sign but turns back towards zero (its derivative changes sign): the turning point is
    found and, where the value there has the other sign, a root lies on each side of it. The
    bracket nearest to zero on each side of zero (a grid rate) is refined and the root
    smaller in size is kept.

    A row has its answer when, on each side of zero, a bracket was found, or the part reaches
    the end of the rates searched, or the part reaches farther on that side than the bracket
    found on the other (any root beyond is larger in size).
    """
    rates = grid[part]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        values, slopes = scaled.on_grid(1.0 + rates, index)
    valid = rates[None, :] <= upper[:, None]
    sign = np.where(valid, np.sign(values), np.nan)
    slope_sign = np.where(valid, np.sign(slopes), np.nan)
    left, right = sign[:, :-1], sign[:, 1:]
    change = left * right < 0
    turn = (
        (left == right)
        & (left * slope_sign[:, :-1] < 0)
        & (slope_sign[:, :-1] * slope_sign[:, 1:] < 0)
    )
    # Candidates: (row in the scan, low, high, value at low, value at high); low == high for
    # a root found exactly.
    row_c, step_c = np.nonzero(change)
    skip = 1 if part.start == 0 else 0  # not at −100% itself: r > −1
    row_e, point_e = np.nonzero(sign[:, skip:] == 0)
    point_e += skip
    parts = [
        (row_c, rates[step_c], rates[step_c + 1], values[row_c, step_c], values[row_c, step_c + 1]),
        (row_e, rates[point_e], rates[point_e], values[row_e, point_e], values[row_e, point_e]),
    ]
    row_t, step_t = np.nonzero(turn)
    if row_t.size:
        turning = _illinois(
            scaled,
            index[row_t],
            (rates[step_t], rates[step_t + 1]),
            (slopes[row_t, step_t], slopes[row_t, step_t + 1]),
            tolerance,
            slope=True,
        )
        at_turn = scaled.at(1.0 + turning, index[row_t])
        crossed = np.sign(at_turn) != left[row_t, step_t]
        touch = crossed & (at_turn == 0)
        split = crossed & ~touch
        r, s, t, f = row_t[split], step_t[split], turning[split], at_turn[split]
        parts += [
            (r, rates[s], t, values[r, s], f),
            (r, t, rates[s + 1], f, values[r, s + 1]),
            (row_t[touch], turning[touch], turning[touch], at_turn[touch], at_turn[touch]),
        ]
    row, low, high, f_low, f_high = (np.concatenate(column) for column in zip(*parts, strict=True))
    result = np.full(index.size, np.nan)
    # The nearest bracket on each side: its end nearer to zero (NaN where none was found).
    nearest = []
    chosen = []
    for key, end in (
        (np.where(high >= 0, np.maximum(low, 0.0), np.inf), high),
        (np.where(low <= 0, np.maximum(-high, 0.0), np.inf), -low),
    ):
        # The bracket nearest to zero on this side: the lowest reaching above zero, the
        # highest reaching below (a bracket holding zero, were there one, on both).
        order = np.lexsort((key, row))
        first = order[np.unique(row[order], return_index=True)[1]]
        first = first[np.isfinite(key[first])]
        chosen.append(first)
        reach = np.full(index.size, np.nan)
        reach[row[first]] = end[first]
        nearest.append(reach)
    above, below = nearest  # how far the nearest bracket reaches from zero, on each side
    top = np.inf if part.stop >= grid.size else grid[part.stop]
    ends_above = (top > upper) | ~np.isnan(above) | (rates[-1] >= below)
    ends_below = (part.start == 0) | ~np.isnan(below) | (-rates[0] >= above)
    pick = np.concatenate(chosen)
    roots = low[pick].copy()
    refine = low[pick] < high[pick]
    if refine.any():
        items = pick[refine]
        roots[refine] = _illinois(
            scaled,
            index[row[items]],
            (low[items], high[items]),
            (f_low[items], f_high[items]),
            tolerance,
        )
    # Of the (at most two) roots of a row, the one smaller in size; the lower on a tie.
    order = np.lexsort((roots, np.abs(roots), row[pick]))
    first = order[np.unique(row[pick][order], return_index=True)[1]]
    result[row[pick][first]] = roots[first]
    return result, ends_above & ends_below


def _illinois(
    scaled: _Scaled,
    index: np.ndarray,
    bracket: tuple[np.ndarray, np.ndarray],
    ends: tuple[np.ndarray, np.ndarray],
    tolerance: float,
    slope: bool = False,
) -> np.ndarray:
    """Refine bracketed roots by the Illinois variant of regula falsi (always bracketed).

    ``index`` gives each bracket's row (rows may repeat); with ``slope`` the root sought is
    the derivative's. ``ends`` are the values at the bracket's ends as the grid scan found
    them, so the bracket's signs are those that located it (another evaluation may round
    differently).
    """
    low, high = bracket[0].astype(float), bracket[1].astype(float)
    f_low, f_high = ends[0].copy(), ends[1].copy()
    side = np.zeros(low.shape[0])
    done = np.zeros(low.shape[0], dtype=bool)
    root = np.full(low.shape[0], np.nan)
    for _ in range(200):
        # Only brackets still open move on, so each one's steps never depend on the others.
        todo = ~done
        lo, hi, f_lo, f_hi = low[todo], high[todo], f_low[todo], f_high[todo]
        with np.errstate(all="ignore"):  # equal ends, or a slope's power of 0: bisect
            guess = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
            inside = np.isfinite(guess) & (guess > lo) & (guess < hi)
            guess = np.where(inside, guess, (lo + hi) / 2)
            f_guess = scaled.at(1.0 + guess, index[todo], slope=slope)
        left = np.sign(f_guess) == np.sign(f_lo)
        # Keep the end on the root's side; halve the one kept twice in a row (Illinois).
        side_now = side[todo]
        f_hi = np.where(left & (side_now == 1), f_hi / 2, f_hi)
        f_lo = np.where(~left & (side_now == -1), f_lo / 2, f_lo)
        low[todo] = np.where(left, guess, lo)
        f_low[todo] = np.where(left, f_guess, f_lo)
        high[todo] = np.where(left, hi, guess)
        f_high[todo] = np.where(left, f_hi, f_guess)
        side[todo] = np.where(left, 1.0, -1.0)
        exact = f_guess == 0
        # Close to a tolerance relative to the rate's size, and near −100% to 1 + rate's.
        lo_now = low[todo]
        scale = np.where(lo_now < 0, 1.0 + lo_now, np.maximum(1.0, lo_now))
        closed = exact | (high[todo] - lo_now <= tolerance * scale)
        rows = np.flatnonzero(todo)
        root[rows[exact]] = guess[exact]
        finished = rows[closed & ~exact]
        root[finished] = (low[finished] + high[finished]) / 2
        done[rows[closed]] = True
        if done.all():
            break
    open_rows = ~done
    root[open_rows] = (low[open_rows] + high[open_rows]) / 2
    return root
