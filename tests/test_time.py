"""A horizon in months: the grid, fiscal years cut short by it, and the engine over it.

The hand-computed programme is the worked example of ``builders`` (€3,000 earned in each of
months 9–14, paid quarterly: €9,000 in months 11 and 14), financed by an investor with a
guarantee: low outcomes (€50 a month) bring the investor €150 in months 11 and 14, and the
guarantor pays 0.8 × 1,000 − 300 = €500 at settlement.
"""

# The house style puts the expected value first in asserts.

from __future__ import annotations

import attrs
import numpy as np
import pytest
from hypothesis import find, settings

import programma as pg
from builders import D, at, base_programme, contract, series
from programma import Fund, Initiative, InvestorFinancing, OutcomeMetric, Uniform, Yearly
from programma.periods.grid import TimeGrid
from strategies import programmes

WORK = Initiative("work", "Work", "prov", 1200, D(2021, 1, 1), 3)


def guaranteed(**changes: object) -> pg.Programme:
    """The guarantee case, settled in month 29 (ends month 23, six months of run-off)."""
    metric = OutcomeMetric("job", "A job", 100, 0.15, baseline=0.1, time_to_outcome=6)
    financing = InvestorFinancing(
        "inv", 1000, 0.12, capital_protection=0.8, guarantor="guar", guarantor_fund="topup"
    )
    deal = contract(initiatives=["work"], metrics=[metric], financing=financing, run_off_months=6)
    funds = [
        Fund("budget", "Budget", "municipal-budget", "city", {2021: 100, 2023: 50}),
        Fund("topup", "Top-up", "national-grant", "other", {2023: 300}),
    ]
    fields: dict[str, object] = {"initiatives": [WORK], "contracts": [deal], "funds": funds}
    return base_programme(**(fields | changes))


def in_months(months: int, **changes: object) -> pg.Programme:
    return guaranteed(horizon_years=None, horizon_months=months, **changes)


class TestGridOfMonths:
    """A grid of any number of months regroups exactly, its last fiscal year cut short."""

    @pytest.mark.parametrize(
        ("fiscal_start", "labels", "bounds"),
        [
            (1, ("FY2021", "FY2022", "FY2023"), [(0, 12), (12, 24), (24, 30)]),
            (4, ("FY2020", "FY2021", "FY2022", "FY2023"), [(0, 3), (3, 15), (15, 27), (27, 30)]),
        ],
    )
    def test_partial_last_fiscal_year(self, fiscal_start, labels, bounds):
        """30 months from January 2021: the last fiscal year holds the months left over."""
        grid = TimeGrid(D(2021, 1, 1), 30, fiscal_year_start_month=fiscal_start)
        values = np.arange(1.0, 31.0)
        assert labels == grid.labels("fiscal_year")
        expected = [sum(range(a + 1, b + 1)) for a, b in bounds]  # months m hold m + 1
        assert expected == grid.regroup(values, "fiscal_year").tolist()
        assert [b - 1 for _, b in bounds] == grid.last_months("fiscal_year").tolist()


class TestProgrammeOfMonths:
    """A programme with a horizon of 30 months projects like 36 months cut to 30."""

    def test_hand_computed(self):
        """Payments, guarantee and the partial year's budget, as computed by hand."""
        projection = pg.project(in_months(30))
        assert (30,) == (len(projection.periods),)
        assert np.allclose(
            at([11, 14], [150, 150], 30), series(projection, flow="investor_distribution")
        )
        assert np.allclose(at([29], [500], 30), series(projection, flow="guarantee_payment"))
        # FY2023 is months 24-29: its budget and gap fall in month 29, the grid's last.
        assert np.allclose(at([29], [300], 30), series(projection, flow="budget", fund="topup"))
        assert np.allclose(
            at([11, 23, 29], [0, 0, 200], 30), series(projection, flow="budget_gap", fund="topup")
        )
        assert np.allclose(np.zeros(30), series(projection, flow="unpaid_after_end"))

    def test_equals_longer_horizon_cut(self):
        """Every series over 30 months equals the 36-month projection's first 30 months.

        Nothing happens after month 29 (costs end in month 2, the last payment is in month
        14, settlement in month 29), so only the budget and gap of the fiscal year the horizon
        cuts move: to its last month in each grid, 29 or 35.
        """
        short = pg.project(in_months(30))
        full = pg.project(guaranteed())
        assert 36 == len(full.periods)
        assert full.series == short.series
        moved = np.array([key.flow in ("budget", "budget_gap") for key in full.series])
        assert np.array_equal(full.values[:, :30, ~moved], short.values[:, :, ~moved])
        assert not full.values[:, 30:, ~moved].any()
        assert np.array_equal(
            full.by("fiscal_year").values[:, :, moved], short.by("fiscal_year").values[:, :, moved]
        )
        assert np.array_equal(full.values[:, 35, moved], short.values[:, 29, moved])
        for name in ("investor/c/irr", "investor/c/multiple"):
            assert np.array_equal(full.scalars[name], short.scalars[name])

    def test_years_and_months_agree(self):
        """horizon_months = 36 projects exactly as horizon_years = 3."""
        years, months = pg.project(guaranteed()), pg.project(in_months(36))
        assert years.periods == months.periods
        assert np.array_equal(years.values, months.values)

    @pytest.mark.parametrize(
        ("fiscal_start", "last"), [(1, "FY2023"), (4, "FY2023"), (11, "FY2022")]
    )
    def test_fiscal_years_regroup_exactly(self, fiscal_start, last):
        """Monte Carlo kept by fiscal year equals the monthly run regrouped (invariant 5)."""
        uncertain = in_months(
            30,
            fiscal_year_start_month=fiscal_start,
            funds=[
                Fund("budget", "Budget", "municipal-budget", "city"),
                Fund("topup", "Top-up", "national-grant", "other"),
            ],
        )
        deal = attrs.evolve(
            uncertain.contracts[0],
            metrics=[OutcomeMetric("job", "A job", Uniform(50, 150), Uniform(0.1, 0.3))],
        )
        uncertain = attrs.evolve(uncertain, contracts=[deal])
        monthly = pg.project(uncertain, scenarios=16, seed=3, resolution="month")
        yearly = pg.project(uncertain, scenarios=16, seed=3, resolution="fiscal_year")
        assert yearly.periods == monthly.by("fiscal_year").periods
        assert last == yearly.periods[-1]  # from January, April or November to June 2023
        np.testing.assert_allclose(
            monthly.by("fiscal_year").values, yearly.values, rtol=1e-9, atol=1e-9
        )
        grid = TimeGrid(D(2021, 1, 1), 30, fiscal_start)
        inverse, _ = grid.groups("fiscal_year")
        # Amounts add up over a year's months; a balance (STOCKS) is its last month's value.
        stock = np.array([key.flow in pg.STOCKS for key in monthly.series])
        by_hand = np.stack(
            [
                np.where(
                    stock[None, :],
                    monthly.values[:, np.flatnonzero(inverse == y)[-1]],
                    monthly.values[:, inverse == y].sum(axis=1),
                )
                for y in range(len(yearly.periods))
            ],
            axis=1,
        )
        np.testing.assert_allclose(by_hand, yearly.values, rtol=1e-9, atol=1e-9)

    def test_summary_covers_the_partial_year(self):
        """The summary has a row per fund for the fiscal year the horizon cuts short."""
        summary = pg.project(in_months(30)).summary()
        topup = {row.year: row for row in summary.funds if row.fund == "topup"}
        assert ["FY2021", "FY2022", "FY2023"] == list(topup)
        assert pytest.approx(500) == topup["FY2023"].outflow.mean
        assert 1.0 == topup["FY2023"].breach_probability

    def test_yearly_indexation_in_the_partial_year(self):
        """A yearly path's rate for the partial last year indexes that year's cost.

        €1,200 over months 24–26 (January to March 2023) at 2021 prices, with 10% in 2022 and
        20% in 2023, costs 400 × 1.1 × 1.2 = €528 a month.
        """
        late = Initiative(
            "late",
            "Late",
            "prov",
            1200,
            D(2023, 1, 1),
            3,
            indexation=Yearly({2021: 0.0, 2022: 0.1, 2023: 0.2}),
            funds=[pg.FundShare("budget", 1.0)],
        )
        programme = in_months(30)
        programme = attrs.evolve(programme, initiatives=[*programme.initiatives, late])
        grants = series(pg.project(programme, initiatives=True), flow="grant", initiative="late")
        assert np.allclose(at([24, 25, 26], [528, 528, 528], 30), grants)


class TestGeneratedHorizons:
    """The shared strategies generate horizons in months as well as in years."""

    def test_month_horizons_are_generated(self):
        """Some generated programmes give their horizon in months, and they project."""
        found = find(
            programmes(max_contracts=1, max_initiatives=1),
            lambda p: p.horizon_months is not None and p.horizon_months % 12 != 0,
            settings=settings(database=None, max_examples=500),
        )
        assert found.horizon_years is None
        assert found.horizon_months == len(pg.project(found).periods)
