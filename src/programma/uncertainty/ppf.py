"""The normal and Poisson quantiles, vectorised: one uniform per scenario into a draw.

:func:`normal_ppf` (Acklam's approximation) gives the normal draws and the first guess of the
Poisson quantile; :func:`poisson_ppf` turns one uniform per scenario and use into a Poisson
count, exactly, for every Poisson draw of a run.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np

__all__ = ["POISSON_EXACT_MAX", "normal_ppf", "poisson_ppf"]


# -- the Poisson quantile, vectorised ------------------------------------------------------------
#
# A Poisson draw is the smallest k with F(k) ≥ u for one uniform u, so that how much randomness a
# draw uses never depends on its mean (numpy's own Poisson sampler uses more uniforms for some
# means than for others, which would tie the scenarios of a block together). F is evaluated in
# whichever tail is smaller, each to near machine precision, so that u close to 0 and close to 1
# are decided as exactly as u near the median.

POISSON_EXACT_MAX = 2.0**52
"""The largest Poisson mean whose quantile is computed exactly.

Above it float64 no longer holds every whole number near the mean; the quantile is then the
normal approximation with its first skewness correction, rounded down: within a few counts of
the exact value, a relative error below 1e-14.
"""

_EPS = float(np.finfo(float).eps)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def normal_ppf(p: np.ndarray) -> np.ndarray:
    """The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).

    >>> normal_ppf(np.array([0.5, 0.975])).round(4).tolist()
    [0.0, 1.96]
    """
    a = (-39.69683028665376, 220.9460984245205, -275.9285104469687,
         138.3577518672690, -30.66479806614716, 2.506628277459239)  # fmt: skip
    b = (-54.47609879822406, 161.5858368580409, -155.6989798598866,
         66.80131188771972, -13.28068155288572)  # fmt: skip
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838,
         -2.549732539343734, 4.374664141464968, 2.938163982698783)  # fmt: skip
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996, 3.754408661907416)
    p = np.asarray(p, dtype=float)
    out = np.empty_like(p)
    low, high = p < 0.02425, p > 1 - 0.02425
    mid = ~(low | high)
    q = p[mid] - 0.5
    r = q * q
    out[mid] = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (
        ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1
    )
    for mask, sign, tail in ((low, 1.0, p[low]), (high, -1.0, 1 - p[high])):
        q = np.sqrt(-2 * np.log(tail))
        out[mask] = sign * (
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        )
    return out


def _erfc(x: np.ndarray) -> np.ndarray:
    """The complementary error function, to a few units in the last place.

    A power series for erf below 1.5 and a continued fraction above, both with a fixed number of
    terms (so that every element costs the same): the classic pair a C library falls back on.
    """
    out = np.empty_like(x)
    y = np.abs(x)
    y2 = y * y
    near = y < 1.5
    yn, y2n = y[near], y2[near]
    acc = np.zeros_like(yn)
    for j in range(25, 0, -1):  # erf(y) = 2y·e^(−y²)/√π · Σ (2y²)^j / (1·3·…·(2j+1))
        acc = 2.0 + y2n * acc / (j + 0.5)
    out[near] = 1.0 - acc * yn * np.exp(-y2n) / math.sqrt(math.pi)
    far = ~near
    yf, y2f = y[far], y2[far]
    with np.errstate(over="ignore", invalid="ignore"):
        a, da = 0.0, 0.5
        p, p_last = np.ones_like(yf), np.zeros_like(yf)
        q, q_last = da + y2f, np.ones_like(yf)
        for _ in range(50):
            a += da
            da += 2.0
            b = da + y2f
            p, p_last = b * p - a * p_last, p
            q, q_last = b * q - a * q_last, q
        out[far] = np.where(yf < 30.0, p / q * yf * np.exp(-y2f) / math.sqrt(math.pi), 0.0)
    return np.where(x < 0, 2.0 - out, out)


def _stirling_error_table() -> np.ndarray:
    """δ(n) = ln n! − (n + ½)·ln n + n − ½·ln 2π for n = 0…15, from 40-digit decimals."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 40
        half_log_2pi = decimal.Decimal("0.9189385332046727417803297364056176398614")
        table = [0.0]
        for n in range(1, 16):
            log_factorial = decimal.Decimal(math.factorial(n)).ln()
            value = log_factorial - (n + decimal.Decimal("0.5")) * decimal.Decimal(n).ln()
            table.append(float(value + n - half_log_2pi))
    return np.array(table)


_STIRLING_ERROR = _stirling_error_table()


def _stirling_error(n: np.ndarray) -> np.ndarray:
    """δ(n) for whole ``n ≥ 1``: a table to 15, the Stirling series beyond (Loader, 2000)."""
    out = np.empty_like(n)
    small = n <= 15
    out[small] = _STIRLING_ERROR[n[small].astype(np.intp)]
    big = n[~small]
    nn = big * big
    out[~small] = (
        1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * nn)) / nn) / nn) / nn
    ) / big
    return out


def _deviance(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """x·ln(x/m) + m − x for x, m > 0, without cancellation when x is close to m."""
    with np.errstate(divide="ignore"):
        out: np.ndarray = x * np.log(x / m) + m - x
    near = np.abs(x - m) < 0.1 * (x + m)
    if near.any():
        xn, mn = x[near], m[near]
        v = (xn - mn) / (xn + mn)
        total = (xn - mn) * v
        term = 2.0 * xn * v
        v2 = v * v
        for j in range(1, 40):  # |v| < 0.1: each term is 100 times smaller than the last
            term = term * v2
            total = total + term / (2 * j + 1)
            if np.all(np.abs(term) <= _EPS * np.abs(total)):
                break
        out[near] = total
    return out


def _poisson_pmf(k: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Pr(X = k) for X ~ Poisson(lam), whole ``k ≥ 0``, ``lam > 0`` (Loader's saddle point form)."""
    out: np.ndarray = np.exp(-lam)
    some = k > 0
    ks, ls = k[some], lam[some]
    out[some] = np.exp(-_stirling_error(ks) - _deviance(ks, ls) - _HALF_LOG_2PI - 0.5 * np.log(ks))
    return out


def _log1pmx(s: np.ndarray) -> np.ndarray:
    """ln(1 + s) − s for |s| < 0.3, summed as its series (no cancellation near 0).

    Most |s| are small, so they are summed apart from the few large ones, each group only
    until its largest term falls below an ulp of its sum (≈ −s²/2).
    """
    out = np.empty_like(s)
    small = np.abs(s) < 0.05
    for group in (small, ~small):
        values = s[group]
        largest = float(np.max(np.abs(values), initial=0.0))
        total = np.zeros_like(values)
        power = values * values
        for n in range(2, 60):
            total = total - power / n if n % 2 == 0 else total + power / n
            if largest ** (n - 2) / n < 0.1 * _EPS:
                break
            power = power * values
        out[group] = total
    return out


def _stirling_coefficients(count: int) -> list[Fraction]:
    """g_k with Γ(a) ~ √(2π)·a^(a−½)·e^(−a)·Σ g_k a^(−k): the exponential of Stirling's series."""
    bernoulli = [Fraction(1)]
    for n in range(1, 2 * count + 2):
        bernoulli.append(
            -sum(math.comb(n + 1, j) * bernoulli[j] for j in range(n)) / Fraction(n + 1)
        )
    # ln Γ*(a) = Σ B_2n / (2n(2n−1)) · a^(1−2n): coefficients of x = 1/a
    log_series = [Fraction(0)] * (count + 1)
    for n in range(1, count // 2 + 2):
        if 2 * n - 1 <= count:
            log_series[2 * n - 1] = bernoulli[2 * n] / (2 * n * (2 * n - 1))
    # E = exp(L): E' = L'·E, so n·e_n = Σ_j j·l_j·e_(n−j)
    series = [Fraction(1)] + [Fraction(0)] * count
    for n in range(1, count + 1):
        series[n] = (
            sum((j * log_series[j] * series[n - j] for j in range(1, n + 1)), Fraction(0)) / n
        )
    return series


@functools.cache
def _temme_table(orders: int, terms: int) -> np.ndarray:
    """Coefficients d[k, n] of c_k(η) = Σ d[k, n]·ηⁿ in Temme's expansion (DLMF 8.12.8-10).

    μ(η) = λ − 1 solves ½η² = μ − ln(1 + μ), expanded from μ·μ' = η·(1 + μ); then
    c_0 = 1/μ − 1/η and c_k = c'_(k−1)/η + (−1)^k g_k/μ, each a power series in η once the
    poles at η = 0 cancel. Computed with exact fractions, once, when first needed.
    """
    from fractions import Fraction

    size = terms + 2 * orders + 2
    mu = [Fraction(0), Fraction(1)] + [Fraction(0)] * size
    for n in range(2, size + 2):
        middle = sum((mu[i] * (n + 1 - i) * mu[n + 1 - i] for i in range(2, n)), Fraction(0))
        mu[n] = (mu[n - 1] - middle) / (n + 1)
    ratio = mu[1:]  # μ/η
    inverse = [Fraction(1)] + [Fraction(0)] * (size - 1)  # η/μ
    for n in range(1, size):
        inverse[n] = -sum((ratio[j] * inverse[n - j] for j in range(1, n + 1)), Fraction(0))
    g = _stirling_coefficients(orders)
    rows = []
    current = inverse[1:]  # c_0 = (η/μ − 1)/η
    rows.append(current)
    for k in range(1, orders):
        derivative = [n * current[n] for n in range(1, len(current))]
        numerator = [derivative[n] + (-1) ** k * g[k] * inverse[n] for n in range(len(derivative))]
        assert numerator[0] == 0  # the poles at η = 0 cancel
        current = numerator[1:]
        rows.append(current)
    return np.array([[float(c) for c in row[:terms]] for row in rows])


_TEMME_MIN_MEAN = 20.0
"""From this mean on, F is evaluated near the mean by Temme's expansion rather than summed."""

_TEMME_ORDERS, _TEMME_TERMS = 10, 18
# With a ≥ 20 and |η| < 0.35 (|a − lam| < 0.3·a) this holds F to a few parts in 1e15.


def _temme_tails(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P(a, x), Q(a, x)), the regularised incomplete gamma functions, for large a and x ≈ a."""
    sigma = (x - a) / a
    eta = np.sign(sigma) * np.sqrt(-2.0 * _log1pmx(sigma))
    table = _temme_table(_TEMME_ORDERS, _TEMME_TERMS)
    # Keep only the terms that can matter for these a and η: d[k, n]·ηⁿ·a^(−k) above 1e-18.
    reach = float(np.max(np.abs(eta), initial=0.0)) ** np.arange(_TEMME_TERMS)
    weight = float(np.min(a)) ** -np.arange(_TEMME_ORDERS, dtype=float)
    needed = np.abs(table) * reach[None, :] * weight[:, None] > 1e-18
    inverse_a = 1.0 / a
    total = np.zeros_like(a)
    for k in range(_TEMME_ORDERS - 1, -1, -1):
        terms = np.flatnonzero(needed[k])
        if terms.size:
            ck = np.full_like(a, table[k, terms[-1]])
            for n in range(terms[-1] - 1, -1, -1):
                ck *= eta
                ck += table[k, n]
            total += ck
        if k:
            total *= inverse_a
    r = np.exp(-0.5 * a * eta * eta) * total / np.sqrt(2.0 * math.pi * a)
    # ½·erfc(±z) for both tails from one erfc of |z|: the small tail exactly, the other as 1 − it.
    z = eta * np.sqrt(a / 2.0)
    small = 0.5 * _erfc(np.abs(z))
    beyond = np.where(z >= 0, small, 1.0 - small)  # ½·erfc(z)
    return (1.0 - beyond) - r, beyond + r


def _poisson_tails(k: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F(k), 1 − F(k), Pr(X = k)) for Poisson(lam), lam > 0; F's smaller tail in full precision.

    Near the mean of a large lam Temme's expansion of the incomplete gamma function gives both
    tails (F(k) = Q(k + 1, lam)); elsewhere the smaller tail is summed outward from k, its
    terms falling at least geometrically: F(k) = p(k)·(1 + k/lam + k(k−1)/lam² + …) below the
    mean, 1 − F(k) = p(k+1)·(1 + lam/(k+2) + lam²/((k+2)(k+3)) + …) above it.
    """
    k, lam = np.asarray(k, dtype=float), np.asarray(lam, dtype=float)
    pmf = _poisson_pmf(k, lam)
    lower, upper = np.empty_like(lam), np.empty_like(lam)
    a = k + 1.0
    near = (lam >= _TEMME_MIN_MEAN) & (np.abs(lam - a) < 0.3 * a)
    temme = np.flatnonzero(near)
    if temme.size:
        upper[temme], lower[temme] = _temme_tails(a[temme], lam[temme])
    first = np.flatnonzero(~near & (k == 0))  # F(0) = e^(−lam), its complement without loss
    lower[first], upper[first] = pmf[first], -np.expm1(-lam[first])
    below = np.flatnonzero(~near & (k > 0) & (k < lam))
    if below.size:
        kb, lb = k[below], lam[below]
        lower[below] = pmf[below] * _tail_sum(kb, lb, down=True)
        upper[below] = 1.0 - lower[below]
    above = np.flatnonzero(~near & (k > 0) & (k >= lam))
    if above.size:
        ka, la = k[above], lam[above]
        upper[above] = pmf[above] * la / (ka + 1.0) * _tail_sum(ka + 2.0, la, down=False)
        lower[above] = 1.0 - upper[above]
    return lower, upper, pmf


def _tail_sum(start: np.ndarray, lam: np.ndarray, *, down: bool) -> np.ndarray:
    """1 + r_1 + r_1·r_2 + … with r_j = (start − j + 1)/lam (down) or lam/(start + j − 1) (up).

    Every ratio is below 1 and falls with j, so the sum is stopped once a term no longer
    changes it; the elements still summing are packed together every few terms.
    """
    result = np.empty_like(lam)
    index = np.arange(lam.size)
    factor = start.copy()
    scale = 1.0 / lam if down else lam.copy()
    term = np.ones_like(lam)
    total = np.ones_like(lam)
    step = -1.0 if down else 1.0
    while index.size:
        for _ in range(8):  # terms past convergence add less than an ulp: harmless
            if down:
                term *= np.maximum(factor, 0.0) * scale
            else:
                term *= scale / factor
            total += term
            factor += step
        done = term <= 0.5 * _EPS * total
        result[index[done]] = total[done]
        keep = ~done
        index, factor, scale = index[keep], factor[keep], scale[keep]
        term, total = term[keep], total[keep]
    return result


def poisson_ppf(u: np.ndarray | float, lam: np.ndarray | float) -> np.ndarray:
    """The Poisson(lam) quantile: the smallest whole k with Pr(X ≤ k) ≥ u, elementwise.

    ``u`` lies in [0, 1) (u = 0 gives 0), ``lam`` is finite and ≥ 0 (lam = 0 gives 0). The
    answer is exact for lam up to :data:`POISSON_EXACT_MAX`: a first guess from the normal
    approximation with its skewness correction is checked by evaluating F in its smaller tail
    to near machine precision, then moved to the neighbouring counts with the pmf until it is
    the smallest k with F(k) ≥ u. It is returned as float64.

    >>> poisson_ppf(np.array([0.0, 0.3, 0.5, 0.9999]), np.array([2.0, 2.0, 0.0, 1e6])).tolist()
    [0.0, 1.0, 0.0, 1003721.0]
    """
    u, lam = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(lam, dtype=float))
    if not (np.all(np.isfinite(lam)) and np.all(lam >= 0)):
        raise ValueError("Poisson means must be finite numbers ≥ 0")
    if not np.all((u >= 0) & (u < 1)):
        raise ValueError("Poisson quantile levels must lie in [0, 1)")
    out = np.zeros(u.shape)
    todo = (lam > 0) & (u > 0)
    if not todo.any():
        return out
    uu, ll = u[todo], lam[todo]
    z = normal_ppf(np.clip(uu, 1e-300, 1.0 - _EPS / 2))
    guess = np.maximum(np.floor(ll + np.sqrt(ll) * z + (z * z - 1.0) / 6.0), 0.0)
    exact = ll <= POISSON_EXACT_MAX
    if exact.any():
        guess[exact] = _correct(guess[exact], uu[exact], ll[exact])
    out[todo] = guess
    return out


def _reached(lower: np.ndarray, upper: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Whether F ≥ u, read from whichever tail of F is held to full precision."""
    return np.where(lower <= upper, lower >= u, upper <= 1.0 - u)


def _correct(k: np.ndarray, u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """From a guess ``k``, step to the smallest k with F(k) ≥ u.

    Each step changes F by one pmf term, added to one tail and taken from the other; a step
    is rarely more than one or two counts, so the tails stay at full precision.
    """
    k = k.copy()
    lower, upper, pmf = _poisson_tails(k, lam)
    reached = _reached(lower, upper, u)
    # Where F(k) ≥ u already, step down while F(k − 1) ≥ u still holds.
    down = np.flatnonzero(reached & (k > 0))
    while down.size:
        lower[down] -= pmf[down]
        upper[down] += pmf[down]
        down = down[_reached(lower[down], upper[down], u[down])]
        pmf[down] *= k[down] / lam[down]
        k[down] -= 1
        down = down[k[down] > 0]
    # Where F(k) < u, step up until F(k) ≥ u.
    up = np.flatnonzero(~reached)
    while up.size:
        k[up] += 1
        pmf[up] *= lam[up] / k[up]
        lower[up] += pmf[up]
        upper[up] -= pmf[up]
        up = up[~_reached(lower[up], upper[up], u[up])]
    return k
