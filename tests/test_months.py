"""Month arithmetic and the normal CDF: each written once, checked against hand computation."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np

from programma.model.checks import add_months, month_index, month_number, year_and_month
from programma.model.normal import normal_cdf

PACKAGE = Path(__file__).parent.parent / "src" / "programma"

MONTH_ARITHMETIC = re.compile(r"\*\s*12\b|//\s*12\b|%\s*12\b|divmod\(|relativedelta\(")
"""Written-out month arithmetic: months multiplied out or split by twelve, or stepped by hand."""

ALLOWED = {
    ("model/checks.py", "return month.year * 12 + month.month - 1"),
    ("model/checks.py", "return (month.year - start.year) * 12 + (month.month - start.month)"),
    ("model/checks.py", "return number // 12, number % 12 + 1"),
    ("model/programme.py", "return 12 * self.horizon_years"),  # years to months, no date
    ("periods/grid.py", "last = (self.fiscal_year_start_month - 2) % 12 + 1"),  # month of year
    ("engine/investor.py", '"irr": np.where(invested, (1.0 + monthly) ** 12 - 1.0, np.nan),'),
}
"""The lines that may still multiply or split by twelve: the definitions, and no date sums."""


def _lines(pattern: re.Pattern[str]) -> set[tuple[str, str]]:
    return {
        (path.relative_to(PACKAGE).as_posix(), line.strip())
        for path in PACKAGE.rglob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if pattern.search(line) and not line.strip().startswith((">>>", "#", "..."))
    }


class TestOneDefinition:
    def test_month_arithmetic_is_written_once(self) -> None:
        """Outside the model's checks no module multiplies out, splits or steps months itself."""
        found = {
            (path, line)
            for path, line in _lines(MONTH_ARITHMETIC)
            if "needed = f" not in line  # horizon in whole years for a message
        }
        assert set() == found - ALLOWED

    def test_normal_cdf_is_written_once(self) -> None:
        """Only the model's ``normal_cdf`` turns ``math.erfc`` into Φ."""
        assert {("model/normal.py", "return 0.5 * math.erfc(-z / _SQRT2)")} == _lines(
            re.compile(r"math\.erfc\(")
        )


class TestMonths:
    def test_month_index_across_years(self) -> None:
        """From Nov 2021 to Feb 2023: 2 months to Jan 2022, then 13 more."""
        assert 15 == month_index(dt.date(2021, 11, 1), dt.date(2023, 2, 1))
        assert -15 == month_index(dt.date(2023, 2, 1), dt.date(2021, 11, 1))

    def test_add_months_across_years(self) -> None:
        """Dec 2021 plus 1 is Jan 2022; Jan 2021 minus 13 is Dec 2019."""
        assert dt.date(2022, 1, 1) == add_months(dt.date(2021, 12, 1), 1)
        assert dt.date(2019, 12, 1) == add_months(dt.date(2021, 1, 1), -13)

    def test_year_and_month_of_arrays(self) -> None:
        """Month numbers 24 251 … 24 253 are Nov 2020 to Jan 2021 (2020·12 + 10 = 24 250)."""
        assert 24_250 == month_number(dt.date(2020, 11, 1))
        year, month = year_and_month(np.array([24_250, 24_251, 24_252]))
        assert ([2020, 2020, 2021], [11, 12, 1]) == (year.tolist(), month.tolist())


class TestNormalCdf:
    def test_known_values(self) -> None:
        """Φ(0) = ½, Φ(−1.96) ≈ 0.025, and the far lower tail Φ(−10) ≈ 7.6199e-24."""
        assert 0.5 == normal_cdf(0.0)
        assert math.isclose(0.025, normal_cdf(-1.959963984540054), rel_tol=1e-12)
        assert math.isclose(7.619853024160527e-24, normal_cdf(-10.0), rel_tol=1e-12)

    def test_truncated_mass_unchanged_bit_for_bit(self) -> None:
        """Through Φ the truncated mass equals the former ½·(erfc − erfc) form wherever ≥ 1e-9."""
        from programma.model.normal import truncated_mass

        root2 = math.sqrt(2.0)

        def former(a: float, b: float) -> float:
            if a > 0:
                return 0.5 * (math.erfc(a / root2) - math.erfc(b / root2))
            if b < 0:
                return 0.5 * (math.erfc(-b / root2) - math.erfc(-a / root2))
            return 0.5 * (math.erf(b / root2) - math.erf(a / root2))

        rng = np.random.default_rng(20211101)
        bounds = np.sort(
            rng.uniform(-12.0, 12.0, (20_000, 2)) * rng.choice([1.0, 1e-3], (20_000, 1))
        )
        pairs = [(float(a), float(b)) for a, b in bounds] + [(-math.inf, 1.5), (0.5, math.inf)]
        changed = [
            (a, b)
            for a, b in pairs
            if former(a, b) >= 1e-9 and former(a, b) != truncated_mass(0.0, 1.0, a, b)
        ]
        assert [] == changed
