"""The standard normal density and CDF, and the mass of a normal between two bounds.

Scalar functions, written once for the package: the model's truncated normal checks its mass
and takes its mean with them, and the uncertainty layer above (sampling, the pmf of a time to
outcome, quantiles) imports :func:`normal_cdf` from here.
"""

from __future__ import annotations

import math

_SQRT2 = math.sqrt(2.0)


def normal_pdf(z: float) -> float:
    """φ(z), the standard normal density."""
    return math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def normal_cdf(z: float) -> float:
    """Φ(z), the standard normal CDF, as ½·erfc(−z/√2): accurate far into the lower tail.

    >>> normal_cdf(0.0)
    0.5
    >>> round(normal_cdf(1.959963984540054), 12)
    0.975
    """
    return 0.5 * math.erfc(-z / _SQRT2)


def truncated_mass(mean: float, sd: float, low: float, high: float) -> float:
    """Pr(low ≤ X ≤ high) for X ~ N(mean, sd²), without cancellation in either tail."""
    a, b = (low - mean) / sd, (high - mean) / sd
    # Halving is exact, so ½·erfc(p) − ½·erfc(q) equals ½·(erfc(p) − erfc(q)) bit for bit; only a
    # subnormal term can tell them apart, and only in a mass far below the 1e-9 a Normal needs.
    if a > 0:  # upper tail: a difference of survival functions, Φ(−a) − Φ(−b)
        return normal_cdf(-a) - normal_cdf(-b)
    if b < 0:  # lower tail, by symmetry
        return normal_cdf(b) - normal_cdf(a)
    return 0.5 * (math.erf(b / _SQRT2) - math.erf(a / _SQRT2))
