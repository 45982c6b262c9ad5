"""Outcome contracts that could not be written before: each form from model to engine.

* a discrete distribution (a time to outcome of half 3 months and half 15 months);
* one fiscal-year cap for every year (``fiscal_year_cap``), beside the per-year table;
* advances as a schedule: windows of a monthly amount, beside dated advances.

Each is checked in the model (good and bad values, with the exact messages), in files (TOML
and JSON round trip, the JSON Schema), in the engine on a case worked out by hand month by
month, and against the oracle.
"""

# The house style puts the expected value first in asserts.

from __future__ import annotations

import json
import math
from typing import Any

import attrs
import jsonschema
import numpy as np
import pytest

import programma as pg
from builders import D, at, base_programme, contract, series
from oracle import run as oracle_run
from programma import (
    Advance,
    AdvanceFinancing,
    AdvanceWindow,
    Discrete,
    Initiative,
    OutcomeMetric,
    Parameter,
    PayerShare,
    Programme,
    Ref,
    Uniform,
    ValidationError,
)
from programma.files.programme_files import to_data
from programma.model.distributions import describe
from programma.uncertainty.sampling import BLOCK_SIZE, draw, stream

VALIDATOR = jsonschema.Draft202012Validator(pg.schema())


def problems(build: Any) -> list[str]:
    """The problems ``build()`` raises, as their lines."""
    with pytest.raises(ValidationError) as error:
        build()
    return [str(problem) for problem in error.value.problems]


def load_problems(text: str) -> list[str]:
    """The problems reading the TOML ``text`` raises, as their lines."""
    with pytest.raises(ValidationError) as error:
        pg.loads(text)
    return [str(problem) for problem in error.value.problems]


def assert_round_trips(programme: Programme) -> None:
    """The programme survives TOML and JSON, and its JSON form fits the JSON Schema."""
    for fmt in ("toml", "json"):
        assert programme == pg.loads(pg.dumps(programme, format=fmt), format=fmt)
    document = json.loads(pg.dumps(programme, format="json"))
    assert [] == [error.message for error in VALIDATOR.iter_errors(document)]
    assert to_data(programme, "json") == document


def assert_agrees_with_oracle(programme: Programme, scenarios: int | None) -> None:
    """The engine and the oracle give the same monthly series in every scenario."""
    projection = pg.project(
        programme, scenarios=scenarios, seed=11, resolution="month", initiatives=True
    )
    reference = oracle_run(programme, scenarios=scenarios, seed=11).series
    assert set(reference) == set(projection.series)
    for n, key in enumerate(projection.series):
        for s, row in enumerate(reference[key]):
            for m, want in enumerate(row):
                got = float(projection.values[s, m, n])
                assert math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-6), (key, s, m)


FILE_HEAD = """
format_version = 1
id = "p"
name = "P"
currency = "EUR"
start = 2021-01-01
horizon_years = 3
stakeholders = [
    { id = "city", name = "City", kind = "municipality" },
    { id = "prov", name = "Provider", kind = "provider" },
]
funds = [{ id = "budget", name = "Budget", kind = "municipal-budget", owner = "city" }]

[[contracts]]
id = "c"
name = "C"
provider = "prov"
start = 2021-01-01
duration_months = 24
enrolment = { windows = [{ start = 2021-01-01, months = 6, per_month = 10 }] }
"""
"""A file with one contract; each test adds its payers, metrics and financing."""

PAYER = """
[[contracts.payers]]
payer = "city"
fund = "budget"
share = 1.0
"""

METRIC = """
[[contracts.metrics]]
id = "job"
definition = "A job"
price = 1000
share_achieving = 0.4
"""


# -- 1. a discrete distribution ------------------------------------------------------------------

HALF_AND_HALF = Discrete(values=(3, 15), weights=(0.5, 0.5))


class TestDiscreteValues:
    """A discrete distribution: values with weights > 0 that sum to 1."""

    def test_fields(self) -> None:
        """Values and weights become tuples of floats, in the order given."""
        dist = Discrete([15, 3.5], [0.25, 0.75])
        assert (15.0, 3.5) == dist.values
        assert (0.25, 0.75) == dist.weights

    def test_mean_and_support(self) -> None:
        """The mean is Σ value × weight; the support runs from the least to the greatest value."""
        dist = Discrete((3, 15, 6), (0.5, 0.25, 0.25))
        assert 0.5 * 3 + 0.25 * 15 + 0.25 * 6 == pg.mean_of(dist)  # 6.75
        assert (3.0, 15.0) == pg.support_of(dist)

    def test_thirds_written_as_decimals(self) -> None:
        """Weights that sum to 1 only within rounding (1e-9) are accepted."""
        dist = Discrete((1, 2, 3), (0.333333333333, 0.333333333333, 0.333333333334))
        assert pytest.approx(2.0, abs=1e-9) == pg.mean_of(dist)

    def test_one_value(self) -> None:
        """One value with weight 1 is that value exactly."""
        assert 0.1 + 0.2 == pg.mean_of(Discrete((0.1 + 0.2,), (1.0,)))

    def test_describe(self) -> None:
        """Messages show it as it is written in files."""
        assert "discrete(values=[3, 15], weights=[0.5, 0.5])" == describe(HALF_AND_HALF)

    @pytest.mark.parametrize(
        ("values", "weights", "expected"),
        [
            (
                (3, 15),
                (0.5, 0.4),
                ["weights: expected weights that sum to 1, got weights summing to 0.9"],
            ),
            (
                (3, 15),
                (0.6, 0.6),
                ["weights: expected weights that sum to 1, got weights summing to 1.2"],
            ),
            ((3, 15), (1.0,), ["weights: expected one weight per value (2), got 1 weights"]),
            ((3, 3), (0.5, 0.5), ["values[1]: expected each value listed once, got 3.0"]),
            ((), (), ["values: expected at least one value, got []"]),
            (
                (3, 15),
                (0.0, 1.0),
                ["weights[0]: expected a weight > 0 (leave the value out), got 0.0"],
            ),
            ((3, 15), (-0.5, 1.5), ["weights[0]: expected a number > 0, got -0.5"]),
            ((math.nan, 15), (0.5, 0.5), ["values[0]: expected a finite number, got nan"]),
            ((3, 15), (0.5, math.inf), ["weights[1]: expected a finite number > 0, got inf"]),
        ],
    )
    def test_refused(self, values: Any, weights: Any, expected: list[str]) -> None:
        """Bad values or weights are refused with the path and, for a bad sum, the sum."""
        assert expected == problems(lambda: Discrete(values, weights))

    def test_bounded_field(self) -> None:
        """A share refuses a discrete distribution with a value above 1."""
        share = Discrete((0.2, 1.5), (0.5, 0.5))
        assert [
            "share_achieving: expected a distribution whose values stay in [0, 1], "
            "got discrete(values=[0.2, 1.5], weights=[0.5, 0.5]), which ranges over (0.2, 1.5)"
        ] == problems(lambda: OutcomeMetric("job", "A job", price=1, share_achieving=share))


class TestDiscreteDraws:
    """A Monte Carlo scenario takes one value, by inverse CDF from one uniform."""

    def test_inverse_cdf(self) -> None:
        """u < 0.25 takes the least value (3), the rest 15, whichever order they are listed in."""
        dist = Discrete((15, 3), (0.75, 0.25))
        uniforms = stream(5, 0, "k").random(BLOCK_SIZE)
        expected = np.where(uniforms < 0.25, 3.0, 15.0)
        assert np.array_equal(expected, draw(dist, stream(5, 0, "k"), BLOCK_SIZE))

    def test_shares_of_scenarios(self) -> None:
        """Over many scenarios each value comes up about as often as its weight says."""
        dist = Discrete((100, 300, 700), (0.2, 0.5, 0.3))
        values = draw(dist, stream(1, 0, "price"), 20_000)
        for value, weight in zip(dist.values, dist.weights, strict=True):
            share = float(np.mean(values == value))
            assert abs(weight - share) < 4 * math.sqrt(weight * (1 - weight) / 20_000)

    def test_price_per_scenario(self) -> None:
        """A discrete price: each scenario is paid at one of its values; expected mode at the mean.

        The worked example (3 payable outcomes a month in months 6–11, each verified 3 months
        later) earns 18 outcomes, paid at 500 or 2,000 a piece; the mean price is
        0.6 × 500 + 0.4 × 2,000 = 1,100.
        """
        metric = OutcomeMetric(
            "job",
            "A job",
            price=Discrete((500, 2000), (0.6, 0.4)),
            share_achieving=0.4,
            baseline=0.1,
            time_to_outcome=6,
        )
        programme = base_programme(contracts=[contract(metrics=[metric])])
        expected = pg.project(programme)
        assert pytest.approx(18 * 1100) == series(expected, flow="earned").sum()
        sampled = pg.project(programme, scenarios=2 * BLOCK_SIZE, seed=3, resolution="month")
        totals = sampled.total(flow="earned").sum(axis=1)
        assert set(np.round(totals, 6)) == {18 * 500.0, 18 * 2000.0}
        assert abs(0.6 - float(np.mean(totals < 10_000))) < 4 * math.sqrt(0.24 / (2 * BLOCK_SIZE))


class TestDiscreteTimeToOutcome:
    """Half the cohort reaches its outcome after 3 months, half after 15.5 (month 15).

    10 enrol in each of months 0 and 1; a share of 0.5 achieves; €100 each, paid monthly
    without a lag:

    | month | reach outcome         | achieved | paid |
    |-------|-----------------------|----------|------|
    | 3     | 0.5 × 10 (from m 0)   | 2.5      | 250  |
    | 4     | 0.5 × 10 (from m 1)   | 2.5      | 250  |
    | 15    | 0.5 × 10 (⌊0 + 15.5⌋) | 2.5      | 250  |
    | 16    | 0.5 × 10 (⌊1 + 15.5⌋) | 2.5      | 250  |
    """

    @staticmethod
    def programme(time: Any) -> Programme:
        metric = OutcomeMetric("job", "A job", price=100, share_achieving=0.5, time_to_outcome=time)
        deal = contract(
            metrics=[metric],
            enrolment=pg.Enrolment([pg.EnrolmentWindow(D(2021, 1, 1), 2, per_month=10)]),
            verification_lag_months=0,
            payment_schedule="monthly",
        )
        return base_programme(contracts=[deal])

    @pytest.mark.parametrize("scenarios", [None, 3])
    def test_month_by_month(self, scenarios: int | None) -> None:
        """Each value's weight falls in its floor month, in expected mode and in every scenario."""
        programme = self.programme(Discrete((3, 15.5), (0.5, 0.5)))
        projection = pg.project(programme, scenarios=scenarios, resolution="month")
        achieved = at([3, 4, 15, 16], [2.5] * 4)
        paid = at([3, 4, 15, 16], [250] * 4)
        for s in range(projection.scenarios):
            assert np.allclose(achieved, projection.total(flow="outcomes_achieved")[s])
            assert np.allclose(paid, projection.total(flow="outcome_payment")[s])

    def test_past_the_horizon(self) -> None:
        """A value past the horizon (40 months) puts its weight in month T − 1, never paid.

        A quarter of each month's 5 achievers reach it in months 3 and 4 (1.25 each); the
        other three quarters of all 10 (7.5, worth €750) lie past the 36 months and are
        reported in month 35 as achieved and as unpaid after the contract's end.
        """
        programme = self.programme(Discrete((3, 40), (0.25, 0.75)))
        projection = pg.project(programme)
        achieved = at([3, 4, 35], [1.25, 1.25, 7.5])
        assert np.allclose(achieved, series(projection, flow="outcomes_achieved"))
        assert np.allclose(at([3, 4], [125, 125]), series(projection, flow="outcome_payment"))
        assert np.allclose(at([35], [750]), series(projection, flow="unpaid_after_end"))

    @pytest.mark.parametrize("scenarios", [None, 5])
    def test_oracle(self, scenarios: int | None) -> None:
        """The engine agrees with the oracle on a discrete time to outcome and price."""
        programme = self.programme(Discrete((2.5, 7, 13.9), (0.2, 0.3, 0.5)))
        deal = programme.contracts[0]
        metric = attrs.evolve(deal.metrics[0], price=Discrete((80, 120), (0.5, 0.5)))
        second = attrs.evolve(
            metric, id="debt", time_to_outcome=Ref("wait"), share_achieving=HALF_AND_HALF_SHARE
        )
        changed = attrs.evolve(
            programme,
            parameters=[Parameter("wait", Discrete((1, 9.5), (0.4, 0.6)))],
            contracts=[attrs.evolve(deal, metrics=[metric, second], verification_lag_months=2)],
        )
        assert_agrees_with_oracle(changed, scenarios)


HALF_AND_HALF_SHARE = Discrete((0.25, 0.75), (0.5, 0.5))


class TestDiscreteInFiles:
    """``{ dist = "discrete", values = […], weights = […] }`` in TOML and JSON."""

    def test_reads(self) -> None:
        """The form reads from TOML into a Discrete."""
        text = (
            FILE_HEAD
            + PAYER
            + METRIC
            + 'time_to_outcome = { dist = "discrete", values = [3, 15], weights = [0.5, 0.5] }\n'
        )
        assert HALF_AND_HALF == pg.loads(text).contracts[0].metrics[0].time_to_outcome

    def test_round_trip_and_schema(self) -> None:
        """A programme with discrete fields survives TOML and JSON and fits the schema."""
        metric = OutcomeMetric(
            "job",
            "A job",
            price=Discrete((500, 2000), (0.6, 0.4)),
            share_achieving=HALF_AND_HALF_SHARE,
            time_to_outcome=HALF_AND_HALF,
        )
        programme = base_programme(
            contracts=[contract(metrics=[metric])],
            parameters=[Parameter("wait", Discrete((1, 9.5), (0.4, 0.6)))],
        )
        assert_round_trips(programme)

    def test_sum_refused_with_its_path(self) -> None:
        """Weights that do not sum to 1 are reported at the field's path, with the sum."""
        text = (
            FILE_HEAD
            + PAYER
            + METRIC
            + 'time_to_outcome = { dist = "discrete", values = [3, 15], weights = [0.5, 0.4] }\n'
        )
        assert [
            "contracts[0].metrics[0].time_to_outcome.weights: expected weights that sum to 1, "
            "got weights summing to 0.9"
        ] == load_problems(text)

    def test_table_of_weights_refused_with_what_is_accepted(self) -> None:
        """A table of months to weights is refused with the forms, and how it is written."""
        text = FILE_HEAD + PAYER + METRIC + "time_to_outcome = { 3 = 0.5, 15 = 0.5 }\n"
        assert [
            "contracts[0].metrics[0].time_to_outcome: expected a number or a distribution "
            "table with 'dist' set to one of 'fixed', 'uniform', 'triangular', 'pert', "
            "'normal', 'lognormal', 'beta', 'poisson', 'samples', 'parameter', 'yearly', "
            "'discrete' (values with weights are written "
            '{ dist = "discrete", values = [3, 15], weights = [0.5, 0.5] }), '
            "got a table {'3': 0.5, '15': 0.5} without 'dist'"
        ] == load_problems(text)

    def test_list_refused_with_what_is_accepted(self) -> None:
        """A list where a distribution belongs is refused with the forms it may take."""
        text = FILE_HEAD + PAYER + METRIC + "baseline = [3, 15]\n"
        assert [
            "contracts[0].metrics[0].baseline: expected a number or a distribution table with "
            "'dist' set to one of 'fixed', 'uniform', 'triangular', 'pert', 'normal', "
            "'lognormal', 'beta', 'poisson', 'samples', 'parameter', 'yearly', 'discrete', "
            "got a list [3, 15]"
        ] == load_problems(text)


# -- 2. one fiscal-year cap for every year -------------------------------------------------------


class TestFiscalYearCapValues:
    """``fiscal_year_cap``: the cap of every fiscal year not listed in ``fiscal_year_caps``."""

    def test_every_year(self) -> None:
        """A scalar cap holds in every year; a listed year keeps its own cap."""
        payer = PayerShare("city", "budget", 1.0, {2022: 7000}, fiscal_year_cap=5000)
        assert [5000.0, 7000.0, 5000.0] == [payer.cap_in(year) for year in (2021, 2022, 2023)]

    def test_unset(self) -> None:
        """Without it, a year not listed is uncapped."""
        payer = PayerShare("city", "budget", 1.0, {2022: 7000})
        assert [None, 7000.0] == [payer.cap_in(year) for year in (2021, 2022)]

    @pytest.mark.parametrize(
        ("cap", "expected"),
        [
            (-1, "fiscal_year_cap: expected a number ≥ 0, got -1.0"),
            (math.nan, "fiscal_year_cap: expected a finite number ≥ 0, got nan"),
        ],
    )
    def test_refused(self, cap: float, expected: str) -> None:
        """A cap below 0, or not a number, is refused."""
        assert [expected] == problems(lambda: PayerShare("city", "b", 1.0, fiscal_year_cap=cap))

    def test_refused_in_a_file(self) -> None:
        """In a file the problem names the payer's path."""
        text = FILE_HEAD + PAYER + "fiscal_year_cap = -5\n" + METRIC
        assert [
            "contracts[0].payers[0].fiscal_year_cap: expected a number ≥ 0, got -5.0"
        ] == load_problems(text)

    def test_reads_and_round_trips(self) -> None:
        """``fiscal_year_cap = 100000`` reads, survives TOML and JSON and fits the schema."""
        text = FILE_HEAD + PAYER + "fiscal_year_cap = 100000\n" + METRIC
        programme = pg.loads(text)
        assert 100_000.0 == programme.contracts[0].payers[0].fiscal_year_cap
        assert_round_trips(programme)
        both = PayerShare("city", "budget", 1.0, {2022: 7000}, "carry", fiscal_year_cap=5000)
        assert_round_trips(base_programme(contracts=[contract(payers=[both])]))


class TestFiscalYearCapEngine:
    """The worked example (€3,000 verified in each of months 9–14, paid quarterly: €9,000 in
    months 11 and 14) under a cap of €5,000 in every fiscal year (calendar years)."""

    @staticmethod
    def project(payer: PayerShare) -> pg.Projection:
        return pg.project(base_programme(contracts=[contract(payers=[payer])]))

    def test_forfeit_every_year(self) -> None:
        """2021 pays 5,000 of 9,000 and so does 2022: €4,000 forfeited in each."""
        projection = self.project(PayerShare("city", "budget", 1.0, fiscal_year_cap=5000))
        assert np.allclose(at([11, 14], [5000, 5000]), series(projection, flow="outcome_payment"))
        assert np.allclose(at([11, 14], [4000, 4000]), series(projection, flow="cap_forfeited"))

    def test_listed_year_keeps_its_cap(self) -> None:
        """With 2022 listed at €7,000, 2022 pays 7,000 and forfeits 2,000."""
        payer = PayerShare("city", "budget", 1.0, {2022: 7000}, fiscal_year_cap=5000)
        projection = self.project(payer)
        assert np.allclose(at([11, 14], [5000, 7000]), series(projection, flow="outcome_payment"))
        assert np.allclose(at([11, 14], [4000, 2000]), series(projection, flow="cap_forfeited"))

    def test_carry(self) -> None:
        """Carried: 4,000 joins month 14 (13,000 due), 5,000 paid; 8,000 forfeited at settlement.

        The contract ends in December 2022 without run-off: settlement is month 23.
        """
        payer = PayerShare("city", "budget", 1.0, cap_excess="carry", fiscal_year_cap=5000)
        projection = self.project(payer)
        assert np.allclose(at([11, 14], [5000, 5000]), series(projection, flow="outcome_payment"))
        assert np.allclose(at([23], [8000]), series(projection, flow="cap_forfeited"))

    @pytest.mark.parametrize("scenarios", [None, 4])
    @pytest.mark.parametrize("excess", ["forfeit", "carry"])
    def test_oracle(self, scenarios: int | None, excess: str) -> None:
        """The engine agrees with the oracle on caps for every year, with and without a table."""
        payers = [
            PayerShare("city", "budget", 0.6, {2022: 900}, excess, fiscal_year_cap=2500),
            PayerShare("other", "topup", 0.4, cap_excess=excess, fiscal_year_cap=1800),
        ]
        metric = OutcomeMetric(
            "job", "A job", price=Uniform(800, 1200), share_achieving=0.4, time_to_outcome=4
        )
        deal = contract(payers=payers, metrics=[metric], end=D(2023, 6, 1))
        assert_agrees_with_oracle(base_programme(contracts=[deal]), scenarios)


# -- 3. advances as a schedule -------------------------------------------------------------------


class TestAdvanceWindowValues:
    """A window of advances: ``months`` months from ``start``, per month or a total."""

    def test_per_month_and_total(self) -> None:
        """A total is spread evenly over the window's months."""
        per_month = AdvanceWindow(D(2021, 1, 1), 4, per_month=5000)
        total = AdvanceWindow(D(2021, 1, 1), 4, total=20_000)
        assert (5000.0, 20_000.0, D(2021, 4, 1)) == (
            per_month.amount_per_month,
            per_month.amount,
            per_month.end,
        )
        assert (5000.0, 20_000.0) == (total.amount_per_month, total.amount)

    def test_total_of_financing(self) -> None:
        """Dated advances and windows add up."""
        financing = AdvanceFinancing(
            [Advance(D(2021, 3, 1), 1000)], windows=[AdvanceWindow(D(2021, 1, 1), 4, total=20_000)]
        )
        assert 21_000.0 == financing.total

    @pytest.mark.parametrize(
        ("build", "expected"),
        [
            (
                lambda: AdvanceWindow(D(2021, 1, 1), 4),
                ["per_month: expected exactly one of per_month or total, got neither"],
            ),
            (
                lambda: AdvanceWindow(D(2021, 1, 1), 4, per_month=1, total=4),
                ["per_month: expected exactly one of per_month or total, got both"],
            ),
            (
                lambda: AdvanceWindow(D(2021, 1, 1), 4, per_month=-1),
                ["per_month: expected a number ≥ 0, got -1.0"],
            ),
            (
                lambda: AdvanceWindow(D(2021, 1, 1), 4, total=math.inf),
                ["total: expected a finite number ≥ 0, got inf"],
            ),
            (
                lambda: AdvanceWindow(D(2021, 1, 15), 0, per_month=1),
                [
                    "start: expected the first day of a month, got 2021-01-15",
                    "months: expected a whole number of months from 1 to 1200, got 0",
                ],
            ),
            (
                lambda: AdvanceFinancing(),
                ["advances: expected at least one advance or advance window, got []"],
            ),
        ],
    )
    def test_refused(self, build: Any, expected: list[str]) -> None:
        """Each bad field is named, all at once."""
        assert expected == problems(build)

    def test_inside_the_contract(self) -> None:
        """A window reaching past the contract's last month is refused with its path."""
        window = AdvanceWindow(D(2022, 10, 1), 4, per_month=100)
        assert [
            "financing.windows[0]: expected a window inside the contract (2021-01-01 to "
            "2022-12-01), got 2022-10-01 for 4 months"
        ] == problems(lambda: contract(financing=AdvanceFinancing(windows=[window])))

    def test_reads_and_round_trips(self) -> None:
        """Windows read from a file, survive TOML and JSON and fit the schema."""
        text = (
            FILE_HEAD
            + PAYER
            + METRIC
            + """
[contracts.financing]
mode = "advances"
windows = [{ start = 2021-01-01, months = 12, per_month = 5000 }]
"""
        )
        programme = pg.loads(text)
        expected = AdvanceFinancing(windows=[AdvanceWindow(D(2021, 1, 1), 12, per_month=5000)])
        assert expected == programme.contracts[0].financing
        assert_round_trips(programme)
        both = AdvanceFinancing(
            [Advance(D(2021, 3, 1), 1000)],
            "forgive",
            windows=[AdvanceWindow(D(2021, 1, 1), 4, total=20_000)],
        )
        assert_round_trips(base_programme(contracts=[contract(financing=both)]))

    def test_window_outside_contract_in_a_file(self) -> None:
        """In a file the problem names the window's path under the contract."""
        text = (
            FILE_HEAD
            + PAYER
            + METRIC
            + """
[contracts.financing]
mode = "advances"
windows = [{ start = 2022-06-01, months = 12, total = 6000 }]
"""
        )
        assert [
            "contracts[0].financing.windows[0]: expected a window inside the contract "
            "(2021-01-01 to 2022-12-01), got 2022-06-01 for 12 months"
        ] == load_problems(text)


class TestAdvanceWindowEngine:
    """The worked example's dues (€9,000 in months 11 and 14) against advances of €5,000 a
    month in months 0–3 (a window with a total of €20,000) and €1,000 in month 2.

    | month | advance | balance before dues | due   | offset | cash  | balance after |
    |-------|---------|---------------------|-------|--------|-------|---------------|
    | 0     | 5,000   | 5,000               |       |        |       | 5,000         |
    | 1     | 5,000   | 10,000              |       |        |       | 10,000        |
    | 2     | 6,000   | 16,000              |       |        |       | 16,000        |
    | 3     | 5,000   | 21,000              |       |        |       | 21,000        |
    | 11    |         | 21,000              | 9,000 | 9,000  | 0     | 12,000        |
    | 14    |         | 12,000              | 9,000 | 9,000  | 0     | 3,000         |

    At settlement (month 23: the contract ends in December 2022) €3,000 is unearned.
    """

    @staticmethod
    def project(unearned: str, windows: list[AdvanceWindow]) -> pg.Projection:
        financing = AdvanceFinancing([Advance(D(2021, 3, 1), 1000)], unearned, windows=windows)
        return pg.project(base_programme(contracts=[contract(financing=financing)]))

    def test_refund(self) -> None:
        """The payer pays the schedule, dues are offset, and €3,000 comes back at settlement."""
        projection = self.project("refund", [AdvanceWindow(D(2021, 1, 1), 4, total=20_000)])
        assert np.allclose(
            at(range(4), [5000, 5000, 6000, 5000]), series(projection, flow="advance")
        )
        assert np.allclose(at([11, 14], [9000, 9000]), series(projection, flow="advance_offset"))
        assert 0 == series(projection, flow="outcome_payment").sum()
        assert np.allclose(at([23], [3000]), series(projection, flow="advance_refund"))

    def test_cash_once_the_balance_is_spent(self) -> None:
        """At €1,500 a month for months 0–3 (7,000 with month 2's 1,000), month 11 offsets
        7,000 and pays 2,000 in cash; month 14 is all cash; nothing is left to forgive."""
        projection = self.project("forgive", [AdvanceWindow(D(2021, 1, 1), 4, per_month=1500)])
        assert np.allclose(
            at(range(4), [1500, 1500, 2500, 1500]), series(projection, flow="advance")
        )
        assert np.allclose(at([11], [7000]), series(projection, flow="advance_offset"))
        assert np.allclose(at([11, 14], [2000, 9000]), series(projection, flow="outcome_payment"))
        assert 0 == series(projection, flow="advance_forgiven").sum()

    def test_costs_met_from_unspent_advances(self) -> None:
        """A cost of €1,000 a month for 12 months is met from the advances not yet spent.

        €2,000 a month arrives in months 0–2 (6,000): months 0–5 use 1,000 each, months 6–11
        fall to the provider's own funds.
        """
        work = Initiative("work", "Work", "prov", 12_000, D(2021, 1, 1), 12)
        window = AdvanceWindow(D(2021, 1, 1), 3, per_month=2000)
        deal = contract(initiatives=["work"], financing=AdvanceFinancing(windows=[window]))
        projection = pg.project(base_programme(initiatives=[work], contracts=[deal]))
        assert np.allclose(at(range(6), [1000] * 6), series(projection, flow="advance_used"))
        own = at(range(6, 12), [1000] * 6)
        assert np.allclose(own, series(projection, flow="provider_own_funds"))

    @pytest.mark.parametrize("scenarios", [None, 4])
    @pytest.mark.parametrize("unearned", ["refund", "forgive"])
    def test_oracle(self, scenarios: int | None, unearned: str) -> None:
        """The engine agrees with the oracle on windows, dated advances, costs and two payers."""
        work = Initiative("work", "Work", "prov", Uniform(9000, 15000), D(2021, 2, 1), 10, funds=[])
        financing = AdvanceFinancing(
            [Advance(D(2021, 5, 1), 2500)],
            unearned,
            windows=[
                AdvanceWindow(D(2021, 1, 1), 6, per_month=700),
                AdvanceWindow(D(2021, 4, 1), 9, total=4500),
            ],
        )
        payers = [PayerShare("city", "budget", 0.7), PayerShare("other", "topup", 0.3)]
        deal = contract(initiatives=["work"], payers=payers, financing=financing)
        programme = base_programme(initiatives=[work], contracts=[deal])
        assert_agrees_with_oracle(programme, scenarios)


# -- fund totals, whatever the size of the chunk --------------------------------------------------


class TestTotalsIndependentOfChunk:
    """Sums over series or months must not depend on how many scenarios a chunk holds."""

    def test_fixed_programme_same_in_every_scenario(self) -> None:
        """With nothing uncertain, every Monte Carlo scenario equals expected mode exactly.

        Four advance-financed contracts put twelve series into one fund; a BLAS product of
        them rounds differently for one scenario than for three.
        """
        amounts = [
            (298.40122301687563, 313.9860020343368, 8.917110704451572, 773.2770096488164),
            (3.0346007662471197, 7.069650956556234, 0.3742438334784708, 660.5000674278948),
            (9.314638547413544, 2.0719116808100124, 63.0090199785343, 722.1648081421175),
            (2187.1542456880456, 0.8298868742743123, 6576.522108732433, 820.075750170535),
        ]
        deals = [
            contract(
                id=f"c{i}",
                financing=AdvanceFinancing(
                    [Advance(D(2021, 1 + k, 1), amount) for k, amount in enumerate(row[:3])]
                ),
                metrics=[
                    OutcomeMetric(
                        "job",
                        "A job",
                        price=row[3],
                        share_achieving=0.4,
                        baseline=0.1,
                        time_to_outcome=6,
                    )
                ],
            )
            for i, row in enumerate(amounts)
        ]
        programme = base_programme(contracts=deals)
        expected = pg.project(programme, resolution="fiscal_year")
        sampled = pg.project(programme, scenarios=3, resolution="fiscal_year")
        for s in range(3):
            assert np.array_equal(expected.values[0], sampled.values[s])

    def test_present_values_with_a_deflator(self) -> None:
        """Present values of a monthly schedule are the same in every scenario as expected.

        With a deflator the discount factors came out laid out column by column, and summing a
        flow over months then added in an order that depended on the number of scenarios.
        """
        window = AdvanceWindow(D(2021, 7, 1), 7, total=290862.1762978514)
        deal = contract(financing=AdvanceFinancing(windows=[window]), payment_schedule="monthly")
        programme = base_programme(contracts=[deal], discount_rate="nl-2021", deflator=0.0)
        expected = pg.project(programme, resolution="month")
        sampled = pg.project(programme, scenarios=3, resolution="month")
        for name, values in expected.scalars.items():
            assert np.array_equal(np.broadcast_to(values, (3,)), sampled.scalars[name], True), name
