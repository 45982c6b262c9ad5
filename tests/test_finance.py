"""programma.finance against numpy-financial and pyxirr, hand-worked cases and properties."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy_financial as npf
import pytest
import pyxirr
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import programma as pg
from builders import D, base_programme, contract
from profiles import examples
from programma.finance import (
    DISCOUNT_PRESETS,
    discount_factors,
    irr,
    npv,
    rate_schedule,
    roots,
    xirr,
    xnpv,
)

amounts = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2))


@st.composite
def conventional(draw: st.DrawFn, max_length: int = 60) -> list[float]:
    """Money in first (negative), money back later (non-negative): one sign change."""
    out = draw(st.lists(st.floats(1.0, 1e6), min_size=1, max_size=6))
    back = [
        round(x, 2) for x in draw(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=max_length))
    ]
    assume(sum(back) > 0)
    return [-round(x, 2) for x in out] + back


def pyxirr_irr(values: list[float]) -> float:
    result = pyxirr.irr(values)
    return np.nan if result is None else float(result)


class TestNpv:
    """npv puts the first flow at t = 0, as numpy-financial does."""

    @given(st.floats(-0.9, 2.0), st.lists(amounts, min_size=1, max_size=40))
    def test_matches_numpy_financial(self, rate: float, values: list[float]) -> None:
        """The same value as numpy_financial.npv."""
        assert npf.npv(rate, values) == pytest.approx(float(npv(rate, values)), rel=1e-9, abs=1e-6)

    def test_hand_worked(self) -> None:
        """−100 now and 121 in two periods at 10%: zero."""
        assert 0 == pytest.approx(float(npv(0.1, [-100, 0, 121])), abs=1e-12)

    def test_vectorised(self) -> None:
        """A (S, T) array and S rates give S values."""
        values = np.array([[-100, 110], [-100, 121]])
        assert [0, 21] == pytest.approx(npv([0.1, 0.0], values).tolist(), abs=1e-12)

    @pytest.mark.parametrize(
        ("rate", "values", "message"),
        [(-1.0, [1.0], "rate must be"), (0.1, [1.0, np.nan], "finite"), (0.1, [], "at least one")],
    )
    def test_bad_input(self, rate: float, values: list[float], message: str) -> None:
        """A rate ≤ −1, a NaN or no flows is a clear ValueError."""
        with pytest.raises(ValueError, match=message):
            npv(rate, values)


def assert_root(rate: float, values: list[float]) -> None:
    """``rate`` makes the NPV of ``values`` zero, as far as a float rate can.

    Relative to the size of the discounted flows, which a rate near −1 magnifies; and a rate
    near −1 holds 1 + rate to only eps / (1 + rate) relative precision, which the powers of
    the discounting multiply by up to the number of periods.
    """
    scale = float(npv(rate, [abs(v) for v in values]))
    tolerance = 1e-9 + len(values) * np.finfo(float).eps / (1.0 + rate)
    assert 0 == pytest.approx(float(npv(rate, values)) / scale, abs=tolerance)


class TestIrr:
    """irr: the periodic rate at which the NPV is zero."""

    @settings(max_examples=examples(300))
    @given(conventional())
    def test_matches_pyxirr_and_numpy_financial(self, values: list[float]) -> None:
        """Conventional flows have one root: all three libraries find it.

        Where one finds none, what it means is checked instead: our NaN is a root above the
        +1,000% searched (the NPV there is still positive); pyxirr's and numpy-financial's
        solvers miss some rates near −100%, where ours must then be an exact root.
        """
        ours = float(irr(values))
        theirs = pyxirr_irr(values)
        numpy_financial = float(npf.irr(values))
        if np.isnan(ours):  # the one root lies above the range searched
            assert float(npv(10.0, values)) > 0
            assert np.isnan(theirs) or theirs > 10.0
            assert np.isnan(numpy_financial) or numpy_financial > 10.0
        else:
            for peer in (theirs, numpy_financial):
                if np.isnan(peer):  # a peer's solver missed a rate near −100%
                    assert ours < -0.9
                    assert_root(ours, values)
                else:
                    assert peer == pytest.approx(ours, rel=1e-7, abs=1e-9)

    @settings(max_examples=examples(300))
    @given(st.lists(amounts, min_size=2, max_size=30))
    def test_any_root_is_a_root(self, values: list[float]) -> None:
        """Whatever the flows, a rate returned makes the NPV zero (checked exactly); −100% is
        money in and nothing back; NaN comes with the NPV of one sign at both ends of the
        range searched (−100% and +1,000%), so that no odd number of roots lies in it.

        The NPV times (1 + r)^(n − 1) is the polynomial Σ vₜ xⁿ⁻¹⁻ᵗ in x = 1 + r.
        """
        rate = float(irr(values))
        if np.isnan(rate):
            ends = np.polyval(np.asarray(values, dtype=float), np.array([1e-9, 11.0]))
            assert ends[0] * ends[1] >= 0
        elif rate == -1.0:
            assert all(v <= 0 for v in values)
            assert any(v < 0 for v in values)
        else:
            assert_root(rate, values)

    def test_two_close_roots(self) -> None:
        """Roots at −39.45% and −35.79% a period (1 + r = 0.6055 and 0.6421): the smaller in
        size is the IRR, though no step of the search grid changes the NPV's sign."""
        values = [-878846, -55020, -633943, -55019, -263700, 787275, 0, -13762, -55021, -13762]
        roots = np.roots(values)
        expected = min((r.real - 1 for r in roots if abs(r.imag) < 1e-12 and 0 < r.real), key=abs)
        assert -0.3579 == pytest.approx(expected, abs=1e-4)
        assert expected == pytest.approx(float(irr(values)), abs=1e-9)

    def test_two_close_roots_hand_worked(self) -> None:
        """[−1, 3, −2.2499]: the NPV times x² is −x² + 3x − 2.2499 in x = 1 + r, with roots
        x = 1.5 ± 0.01, so 49% and 51% a period, both inside one step of the search grid
        (44% to 52%): the smaller is the IRR."""
        assert 0.49 == pytest.approx(float(irr([-1.0, 3.0, -2.2499])), abs=1e-12)

    def test_roots_on_both_sides_of_zero(self) -> None:
        """[−1, 1.95, −0.928125]: −(x − 0.825)(x − 1.125) in x = 1 + r, roots −17.5% and
        +12.5%: the smaller in size, though the grid step holding −17.5% is the one whose
        middle is nearer to zero."""
        assert 0.125 == pytest.approx(float(irr([-1.0, 1.95, -0.928125])), abs=1e-12)

    def test_several_roots(self) -> None:
        """[−100, 230, −132] has roots 10% and 20%: the smaller in size is chosen."""
        assert 0.1 == pytest.approx(float(irr([-100, 230, -132])), abs=1e-12)

    def test_no_root_and_total_loss(self) -> None:
        """Only inflows, or no rate that solves: NaN; money in and nothing back: −100%."""
        assert np.isnan(irr([100.0, 50.0]))
        assert np.isnan(irr([-100.0, 50.0, -10.0]))
        assert -1.0 == float(irr([-100.0, 0.0, 0.0]))

    @pytest.mark.parametrize("trailing", [0, 1, 300])
    @pytest.mark.parametrize("back", [0.5, 0.0078125, 1e-7, 1e-12])
    def test_near_total_loss(self, back: float, trailing: int) -> None:
        """Money in and a little back a period later: the rate is back − 1, however near −100%
        and however many empty periods follow."""
        rate = float(irr([-1.0, back] + [0.0] * trailing))
        assert back - 1.0 == pytest.approx(rate, abs=1e-11)

    def test_batch_equals_rows(self) -> None:
        """A batch gives what each row gives alone."""
        rng = np.random.default_rng(5)
        batch = np.concatenate([-rng.uniform(1, 9, (50, 2)), rng.uniform(0, 5, (50, 10))], axis=1)
        assert np.allclose([float(irr(row)) for row in batch], irr(batch), rtol=1e-12)

    @given(st.floats(1, 1e6), st.lists(st.floats(0, 1e6), max_size=20), st.floats(-0.5, 0.5))
    def test_npv_decreasing_in_rate(self, outlay: float, back: list[float], rate: float) -> None:
        """An outlay now and inflows later: the NPV falls as the rate rises."""
        values = [-outlay, *back]
        assert float(npv(rate, values)) >= float(npv(rate + 0.01, values)) - 1e-6


def plain_newton(values: list[float], guess: float = 0.1, steps: int = 50) -> float:
    """A plain Newton on the NPV in r, with no bracket: what a batch Newton does per row."""
    flows, times = np.asarray(values, dtype=float), np.arange(len(values))
    rate = guess
    with np.errstate(all="ignore"):
        for _ in range(steps):
            value = (flows * (1.0 + rate) ** -times).sum()
            slope = (-times * flows * (1.0 + rate) ** (-times - 1.0)).sum()
            rate -= value / slope
    return float(rate)


def nearest_root(values: list[float]) -> float:
    """The real root r > −1 (up to +1,000%) nearest to zero, from the polynomial's roots."""
    roots = [x.real - 1.0 for x in np.roots(values) if abs(x.imag) < 1e-9 and 0 < x.real <= 11.0]
    return min(roots, key=abs) if roots else np.nan


# Rows on which a plain Newton from 10% fails, with their IRR worked by hand: a root near
# −100% it overshoots (to inf), or a second root farther from zero that it lands on.
DIVERGING = [
    ([-1.0, 0.05], -0.95),  # 0.05 / (1 + r) = 1
    ([-10.0, 100.0, -0.5], (100 - np.sqrt(100**2 - 4 * 10 * 0.5)) / 20 - 1),  # −10x² + 100x − 0.5
]
# Rows with several roots, worked by hand.
SEVERAL = [
    ([-1.0, 3.0, -2.2499], 0.49),  # −x² + 3x − 2.2499: x = 1.5 ± 0.01, in one grid step
    ([-100.0, 230.0, -132.0], 0.1),  # roots 10% and 20%
]


RANDOM_HARD_ROWS = np.round(
    np.random.default_rng(5).uniform(-5, 5, (300, 24))
    * (np.random.default_rng(6).random((300, 24)) < 0.5),
    2,
)
"""Rows whose flows change sign many times: most go to the grid, some with roots far out."""


class TestIrrSearch:
    """How irr searches: Newton where the root is unique, a bracketing grid elsewhere."""

    @pytest.mark.parametrize(("values", "expected"), DIVERGING)
    def test_rows_a_plain_newton_gets_wrong(self, values: list[float], expected: float) -> None:
        """Where a plain Newton diverges or lands on the farther root, irr gives the root
        nearest to zero."""
        assert expected == pytest.approx(nearest_root(values), abs=1e-12)
        assert plain_newton(values) != pytest.approx(expected, abs=1e-6)
        assert expected == pytest.approx(float(irr(values)), abs=1e-12)

    def test_more_rows_a_plain_newton_gets_wrong(self) -> None:
        """Longer rows, checked against the polynomial's roots: a total loss but for a little
        (a plain Newton overshoots past −100%) and a late outlay that makes a second root."""
        for values in ([-1e6, 1.0, 0, 0, 0, 0, 0, 1.0], [-1000.0, 5000.0, *[0.0] * 10, -100.0]):
            expected = nearest_root(values)
            assert plain_newton(values) != pytest.approx(expected, abs=1e-6)
            assert expected == pytest.approx(float(irr(values)), abs=1e-9)

    def test_grid_alone_finds_the_same_roots(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With Newton failing on every row, the bracketing grid gives every row's root: the
        hard rows' and those of 200 conventional rows that Newton solves otherwise."""
        rng = np.random.default_rng(11)
        batch = np.concatenate([-rng.uniform(1, 9, (200, 3)), rng.uniform(0, 5, (200, 20))], 1)
        with_newton = irr(batch)
        real_newton = roots._newton

        def failing(*args: object, **kwargs: object) -> tuple[np.ndarray, np.ndarray]:
            roots, ok = real_newton(*args, **kwargs)  # type: ignore[arg-type]
            return roots, np.zeros_like(ok)

        monkeypatch.setattr(roots, "_newton", failing)
        assert np.allclose(with_newton, irr(batch), rtol=1e-10, atol=1e-12)
        for values, expected in DIVERGING + SEVERAL:
            assert expected == pytest.approx(float(irr(values)), abs=1e-12)

    def test_mixed_batch_equals_rows(self) -> None:
        """A batch of easy and hard rows (one root, several, two close ones, near −100%, none,
        a total loss) gives each row exactly what it gives alone, and the right root."""
        rows = [values for values, _ in DIVERGING + SEVERAL] + [
            [-878846, -55020, -633943, -55019, -263700, 787275, 0, -13762, -55021, -13762],
            [-100.0, 60.0, 60.0],
            [-1.0, 1e-9],
            [-100.0, 50.0, -10.0],
            [-100.0, 0.0, 0.0],
            [-1.0, 1e6],
            [-1e6, 1.0, 0, 0, 0, 0, 0, 1.0],
        ]
        batch = np.array([row + [0.0] * (12 - len(row)) for row in rows])
        alone = np.array([float(irr(row)) for row in batch])
        np.testing.assert_array_equal(alone, irr(batch))
        np.testing.assert_array_equal(alone[::-1], irr(batch[::-1]))
        expected = [nearest_root(row) for row in rows]
        expected[-3] = -1.0  # money in and nothing back
        assert np.allclose(expected, alone, rtol=1e-9, atol=1e-12, equal_nan=True)

    @settings(max_examples=examples(60))
    @given(
        st.lists(
            st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=24),
            min_size=1,
            max_size=8,
        ),
        st.sampled_from([0, 1, 2]),
    )
    def test_rates_near_zero_first(self, rows: list[list[float]], near: int) -> None:
        """Scanning the rates nearest to zero first, and the whole grid only for the rows not
        settled there, gives every row the root the whole grid gives, bit for bit."""
        width = max(len(row) for row in rows)
        batch = np.array([row + [0.0] * (width - len(row)) for row in rows])
        batch = np.concatenate([batch, RANDOM_HARD_ROWS[:, :width]])
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(roots, "_NEAR", 10_000)  # the whole grid at once
            whole = irr(batch)
            patch.setattr(roots, "_NEAR", near)
            stepwise = irr(batch)
        np.testing.assert_array_equal(whole, irr(batch))
        np.testing.assert_array_equal(whole, stepwise)

    def test_mixed_xirr_batch_equals_rows(self) -> None:
        """xirr likewise, on dates 365 days apart (so the polynomial's roots are the rates):
        each row of a batch of easy and hard rows as alone, and the root nearest to zero."""
        dates = np.datetime64("2021-01-01") + 365 * np.arange(6)
        rows = [values for values, _ in DIVERGING + SEVERAL] + [
            [-100.0, 20.0, 30.0, 40.0, 50.0],
            [-1.0, 0.0, 0.0, 0.0, 0.0, 1e-9],
            [-10.0, 100.0, -0.5, 0.0, 0.0, 1.0],
        ]
        batch = np.array([row + [0.0] * (6 - len(row)) for row in rows])
        alone = np.array([float(xirr(row, dates)) for row in batch])
        np.testing.assert_array_equal(alone, xirr(batch, np.broadcast_to(dates, batch.shape)))
        expected = [nearest_root(row) for row in rows]
        assert np.allclose(expected, alone, rtol=1e-9, atol=1e-12, equal_nan=True)

    def test_xirr_in_parts_as_in_one(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """xirr solves rows in parts of rows with about as many non-zero flows: parts of two
        rows give exactly what one part of all gives, and each row alone."""
        rng = np.random.default_rng(3)
        rows = np.round(rng.uniform(-5, 5, (9, 14)) * (rng.random((9, 14)) < 0.6), 2)
        rows[:, 0] = -10.0
        rows[:3, 7:] = np.abs(rows[:3, 7:])  # some rows change sign once, the rest several times
        dates = np.datetime64("2021-01-01") + np.sort(rng.integers(0, 3000, (9, 14)), axis=1)
        whole = xirr(rows, dates)
        alone = np.array([float(xirr(row, day)) for row, day in zip(rows, dates, strict=True)])
        monkeypatch.setattr(roots, "_PART", 2)
        np.testing.assert_array_equal(whole, xirr(rows, dates))
        np.testing.assert_array_equal(whole, alone)
        assert np.isfinite(whole).sum() >= 5


class TestXnpvXirr:
    """xnpv and xirr: actual/365 from the earliest date, in any order."""

    def dates(self, count: int, start: dt.date = dt.date(2021, 1, 1)) -> list[dt.date]:
        return [start + dt.timedelta(days=30 * i + i % 7) for i in range(count)]

    @settings(max_examples=examples(200))
    @given(conventional(max_length=30))
    def test_xirr_matches_pyxirr(self, values: list[float]) -> None:
        """The same annual rate as pyxirr.xirr.

        Where pyxirr finds none, ours must be a root near −100% (checked exactly); where ours
        is NaN, the root lies above the +1,000% a year searched.
        """
        dates = self.dates(len(values))
        ours = float(xirr(values, dates))
        theirs = pyxirr.xirr(dates, values) if any(v > 0 for v in values) else None
        if not any(v > 0 for v in values):
            assert -1.0 == ours  # a total loss; pyxirr refuses such flows
        elif np.isnan(ours):  # the one root lies above the range searched
            assert float(xnpv(10.0, values, dates)) > 0
            assert theirs is None or theirs > 10.0
        elif theirs is None and ours == -1.0:  # a root nearer −100% than a float can tell
            near = float(xnpv(-1.0 + 1e-12, values, dates))
            assert near * float(xnpv(0.0, values, dates)) > 0  # still the NPV's sign at 0
        elif theirs is None:  # pyxirr's Newton misses some rates near −100%
            assert ours < -0.99
            scale = float(xnpv(ours, [abs(v) for v in values], dates))
            tolerance = 1e-9 + len(values) * np.finfo(float).eps / (1.0 + ours)
            assert 0 == pytest.approx(float(xnpv(ours, values, dates)) / scale, abs=tolerance)
        else:
            assert theirs == pytest.approx(ours, rel=1e-6, abs=1e-8)

    @given(st.floats(-0.5, 1.0), st.lists(amounts, min_size=2, max_size=20))
    def test_xnpv_matches_pyxirr(self, rate: float, values: list[float]) -> None:
        """The same value as pyxirr.xnpv."""
        dates = self.dates(len(values))
        expected = pyxirr.xnpv(rate, dates, values)
        assert expected == pytest.approx(float(xnpv(rate, values, dates)), rel=1e-9, abs=1e-6)

    @settings(max_examples=examples(200))
    @given(
        st.lists(amounts, min_size=2, max_size=12),
        st.lists(st.integers(0, 4000), min_size=12, max_size=12, unique=True),
    )
    def test_root_nearest_zero_on_any_dates(self, values: list[float], days: list[int]) -> None:
        """Whatever the flows and dates, where a fine scan of rates (4,000 from −99% to
        +1,000% a year, and 200 between −100% and −99%) sees the NPV change sign, xirr
        returns a root no farther from zero than the scan's nearest bracket reaches."""
        dates = np.datetime64("2021-01-01") + np.sort(days)[: len(values)]
        rates = np.concatenate([-1 + np.geomspace(1e-9, 1e-2, 200), np.linspace(-0.99, 10, 4000)])
        with np.errstate(over="ignore", invalid="ignore"):
            scan = np.sign(xnpv(rates, np.broadcast_to(values, (rates.size, len(values))), dates))
        change = np.flatnonzero(scan[:-1] * scan[1:] < 0)
        rate = float(xirr(values, dates))
        assume(change.size and rate != -1.0)  # −1.0: a root nearer −100% than a float tells
        reach = np.maximum(np.abs(rates[change]), np.abs(rates[change + 1])).min()
        assert abs(rate) <= reach + 1e-9
        scale = float(xnpv(rate, np.abs(values), dates))
        tolerance = 1e-9 + len(values) * np.finfo(float).eps / (1.0 + rate)
        assert 0 == pytest.approx(float(xnpv(rate, values, dates)) / scale, abs=tolerance)

    def test_several_roots_near_zero(self) -> None:
        """[−1, 2.497, −1.4955] a year apart: −(x − 0.997)(x − 1.5) in x = 1 + r, roots −0.3%
        and +50% a year: the one nearer to zero, though no step of the annual grid starts at
        zero."""
        dates = np.datetime64("2021-01-01") + 365 * np.arange(3)
        assert -0.003 == pytest.approx(float(xirr([-1.0, 2.497, -1.4955], dates)), abs=1e-12)

    def test_unsorted_dates(self) -> None:
        """Shuffling flows with their dates changes nothing."""
        dates = self.dates(4)
        values = [-100.0, 20.0, 40.0, 60.0]
        order = [2, 0, 3, 1]
        shuffled = ([values[i] for i in order], [dates[i] for i in order])
        assert float(xirr(values, dates)) == pytest.approx(float(xirr(*shuffled)), rel=1e-12)

    @given(st.floats(0.0, 0.3), st.lists(amounts, min_size=2, max_size=10))
    def test_xnpv_is_npv_on_yearly_dates(self, rate: float, values: list[float]) -> None:
        """On 1 January of consecutive years xnpv equals npv, within day-count error."""
        dates = [dt.date(2021 + i, 1, 1) for i in range(len(values))]
        scale = sum(abs(v) for v in values) + 1
        gap = float(xnpv(rate, values, dates)) - float(npv(rate, values))
        assert 0 == pytest.approx(gap / scale, abs=1e-2 * rate + 1e-12)

    def test_length_mismatch(self) -> None:
        """Dates and values of different lengths are refused."""
        with pytest.raises(ValueError, match="same length"):
            xnpv(0.1, [1.0, 2.0], [dt.date(2021, 1, 1)])


class TestDiscountFactors:
    """Presets with their sources, schedules as products of stepwise factors."""

    def test_dutch_standard(self) -> None:
        """nl-2021: a real 2.25% for every horizon."""
        assert 1.0225**-40 == pytest.approx(float(discount_factors("nl-2021", 40)), rel=1e-12)

    def test_green_book_steps(self) -> None:
        """Years 0–30 at 3.5%, then 3.0%: the factor is the product of the steps."""
        assert 1.035**-30 * 1.03**-10 == pytest.approx(
            float(discount_factors("uk-green-book", 40)), rel=1e-12
        )

    def test_green_book_health(self) -> None:
        """Health effects: 1.5% for the first 30 years."""
        assert 1.015**-20 == pytest.approx(
            float(discount_factors("uk-green-book-health", 20)), rel=1e-12
        )

    def test_custom_schedule(self) -> None:
        """A custom schedule of (from year, rate) steps."""
        factor = float(discount_factors([(0, 0.05), (2, 0.0)], 5))
        assert 1.05**-2 == pytest.approx(factor, rel=1e-12)

    def test_programme_presets_are_the_finance_presets(self) -> None:
        """The presets a programme may name are those finance knows."""
        assert set(DISCOUNT_PRESETS) == set(pg.DISCOUNT_PRESETS)

    @pytest.mark.parametrize("bad", ["nl", [(1, 0.03)], [(0, 0.03), (0, 0.02)], -1.5])
    def test_bad_schedules(self, bad: object) -> None:
        """Unknown presets, steps not from year 0 or not increasing, rates ≤ −1: refused."""
        with pytest.raises(ValueError, match=r"preset|schedule|rates must"):
            rate_schedule(bad)  # type: ignore[arg-type]


class TestPresentValuesOfAProjection:
    """A projection's present values: per payer and fund, in the chunk and from periods."""

    def programme(self) -> pg.Programme:
        return base_programme(contracts=[contract()], discount_rate=0.12)

    def test_hand_worked(self) -> None:
        """€9,000 at the end of months 11 and 14, discounted at 12% a year to January 2021."""
        projection = pg.project(self.programme())
        expected = 9000 * 1.12 ** (-12 / 12) + 9000 * 1.12 ** (-15 / 12)
        assert expected == pytest.approx(projection.scalars["npv/payer/city"][0], rel=1e-12)
        assert expected == pytest.approx(projection.scalars["npv/fund/budget"][0], rel=1e-12)
        assert expected == pytest.approx(projection.scalars["pv/contract/c/payments"][0])

    def test_projection_npv_agrees_at_months(self) -> None:
        """Projection.npv at monthly resolution gives the chunk's figure."""
        projection = pg.project(self.programme())
        assert projection.scalars["npv/payer/city"][0] == pytest.approx(
            float(projection.npv(flow="outcome_payment", payer="city")[0]), rel=1e-12
        )

    def test_deflator(self) -> None:
        """With a 10% deflator from 2022, 2022's payment is worth 1/1.1 in real terms."""
        programme = base_programme(
            contracts=[contract()], discount_rate=0.0, deflator=pg.Yearly({2021: 0, 2022: 0.1})
        )
        projection = pg.project(programme)
        assert 9000 + 9000 / 1.1 == pytest.approx(projection.scalars["npv/payer/city"][0])

    def test_summary_cost_per_outcome(self) -> None:
        """€18,000 for 18 outcomes: €1,000 an outcome, nominal."""
        summary = pg.project(self.programme()).summary()
        (figures,) = summary.contracts
        assert 1000 == pytest.approx(figures.cost_per_outcome.mean)
        assert figures.cost_per_outcome_discounted.mean < 1000

    def test_base_date(self) -> None:
        """A base date a year later scales every present value by 1.12."""
        projection = pg.project(self.programme())
        later = projection.npv(base_date=D(2022, 1, 1), flow="outcome_payment")
        assert 1.12 * projection.npv(flow="outcome_payment")[0] == pytest.approx(later[0])
