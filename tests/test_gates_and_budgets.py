"""Gates and fund budgets (DESIGN §4.6, §4.8.7, §4.8.10) on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

import programma as pg
from builders import D, at, base_programme, contract, series
from programma import (
    Decision,
    Enrolment,
    EnrolmentWindow,
    Fund,
    FundShare,
    Gate,
    GateCondition,
    Initiative,
    OutcomeMetric,
    PayerShare,
)

# 10 a month for 12 months from January 2021; 40% achieve 6 months after enrolment.
YEAR_LONG = Enrolment([EnrolmentWindow(D(2021, 1, 1), 12, per_month=10)])
METRIC = OutcomeMetric("job", "A job", 100, 0.4, time_to_outcome=6)


def gated(*gates: Gate, **changes: object) -> pg.Programme:
    one = contract(enrolment=YEAR_LONG, metrics=[METRIC], verification_lag_months=0, **changes)
    return base_programme(contracts=[one], gates=list(gates))


def gate(measure: str, target: float, met: Decision, not_met: Decision, **where: str) -> Gate:
    return Gate(
        "g",
        D(2021, 10, 1),
        GateCondition("c", "job", measure, target),
        met,
        not_met,
        **(where or {"contract": "c"}),
    )


class TestGateCondition:
    """In month 9 the outcomes of months 6–9 are verified: 4 × 4 = 16 achieved, rate 40%."""

    @pytest.mark.parametrize(
        ("measure", "target", "met"),
        [("count", 16, 1.0), ("count", 16.000001, 0.0), ("rate", 0.4, 1.0), ("rate", 0.41, 0.0)],
    )
    def test_count_and_rate(self, measure: str, target: float, met: float) -> None:
        """A count or a rate is compared with the target (1e-9 relative tolerance)."""
        projection = pg.project(
            gated(gate(measure, target, Decision("continue"), Decision("stop")))
        )
        assert [met] == projection.scalars["gate_met/g"].tolist()

    def test_rate_with_no_verified_cohort_is_not_met(self) -> None:
        """0/0 is "not met"."""
        early = Gate(
            "g",
            D(2021, 3, 1),
            GateCondition("c", "job", "rate", 0.0),
            Decision("continue"),
            Decision("stop"),
            contract="c",
        )
        assert [0.0] == pg.project(gated(early)).scalars["gate_met/g"].tolist()

    def test_read_before_the_decision(self) -> None:
        """A stop at month 9 does not change the count the gate read."""
        projection = pg.project(gated(gate("count", 1000, Decision("continue"), Decision("stop"))))
        assert [0.0] == projection.scalars["gate_met/g"].tolist()


class TestGateDecision:
    """The decision applies from the gate month (9) on."""

    def test_scale_enrolment(self) -> None:
        """Scaled by 2: 20 a month enrol in months 9–11, so 8 achieve in months 15–17."""
        projection = pg.project(gated(gate("count", 0, Decision("scale", 2.0), Decision("stop"))))
        expected = at(range(6, 18), [4] * 9 + [8] * 3)
        assert np.allclose(expected, series(projection, flow="outcomes_achieved"))

    def test_stop_keeps_enrolled_cohorts_payable(self) -> None:
        """Stopped: no one enrols from month 9; those enrolled in 0–8 still achieve (6–14)."""
        projection = pg.project(gated(gate("count", 1e6, Decision("continue"), Decision("stop"))))
        assert np.allclose(at(range(6, 15), [4] * 9), series(projection, flow="outcomes_achieved"))
        assert pytest.approx(3600) == series(projection, flow="earned_capped").sum()

    def test_stop_without_paying_enrolled(self) -> None:
        """With pay_enrolled_after_stop false, nothing verified from the stop on is payable."""
        programme = gated(
            gate("count", 1e6, Decision("continue"), Decision("stop")),
            pay_enrolled_after_stop=False,
        )
        projection = pg.project(programme)
        assert np.allclose(at(range(6, 9), [400] * 3), series(projection, flow="earned"))

    def test_scale_contract_cost(self) -> None:
        """A contract's scale also scales the cost of the initiatives it pays for."""
        work = Initiative("work", "Work", "prov", 1200, D(2021, 1, 1), 12)
        one = contract(enrolment=YEAR_LONG, metrics=[METRIC], initiatives=["work"])
        scale = gate("count", 0, Decision("scale", 0.5), Decision("stop"))
        projection = pg.project(base_programme(initiatives=[work], contracts=[one], gates=[scale]))
        expected = at(range(12), [100] * 9 + [50] * 3)
        assert np.allclose(expected, series(projection, flow="delivery_cost"))

    def test_gate_on_an_initiative_stops_its_cost_only(self) -> None:
        """An initiative gate stops that initiative's cost; the contract enrols on."""
        work = Initiative(
            "work", "Work", "prov", 1200, D(2021, 1, 1), 12, funds=[FundShare("budget", 1.0)]
        )
        stop = gate("count", 1e6, Decision("continue"), Decision("stop"), initiative="work")
        programme = base_programme(
            initiatives=[work],
            contracts=[contract(enrolment=YEAR_LONG, metrics=[METRIC])],
            gates=[stop],
        )
        projection = pg.project(programme)
        assert np.allclose(at(range(9), [100] * 9), series(projection, flow="grant"))
        assert pytest.approx(48) == series(projection, flow="outcomes_achieved").sum()


class TestBudgets:
    """Per fund and fiscal year: outflow, available budget with carry-over, and the gap."""

    def programme(self, carry_over: bool) -> pg.Programme:
        grants = Initiative(
            "work", "Work", "prov", 3000, D(2021, 1, 1), 12, funds=[FundShare("budget", 1.0)]
        )
        fund = Fund(
            "budget",
            "Budget",
            "municipal-budget",
            "city",
            {2021: 10_000, 2022: 5_000},
            carry_over=carry_over,
        )
        payer = PayerShare("city", "budget", 1.0)
        return base_programme(
            funds=[fund], initiatives=[grants], contracts=[contract(payers=[payer])]
        )

    def test_outflow_and_gap(self) -> None:
        """2021: 3,000 grants + 9,000 outcome payments against 10,000: a gap of +2,000."""
        projection = pg.project(self.programme(carry_over=False))
        assert np.allclose(at([11, 23, 35], [10_000, 5_000, 0]), series(projection, flow="budget"))
        # 2022: €9,000 paid in month 14 against €5,000; 2023: nothing against nothing.
        assert np.allclose(at([11, 23], [2_000, 4_000]), series(projection, flow="budget_gap"))

    def test_carry_over(self) -> None:
        """Unspent budget carries to the next fiscal year, and on."""
        fund = Fund(
            "budget",
            "Budget",
            "municipal-budget",
            "city",
            {2021: 20_000, 2022: 5_000},
            carry_over=True,
        )
        programme = pg.project(base_programme(funds=[fund], contracts=[contract()]))
        # 2021: 9,000 out of 20,000: 11,000 carries; 2022: 16,000 available, 9,000 out: 7,000.
        assert np.allclose(
            at([11, 23, 35], [20_000, 16_000, 7_000]), series(programme, flow="budget")
        )
        assert np.allclose(
            at([11, 23, 35], [-11_000, -7_000, -7_000]), series(programme, flow="budget_gap")
        )

    def test_by_fiscal_year(self) -> None:
        """At fiscal-year resolution the budget and the gap are one value a year."""
        projection = pg.project(self.programme(carry_over=False), resolution="fiscal_year")
        assert ("FY2021", "FY2022", "FY2023") == projection.periods
        assert np.allclose([2_000, 4_000, 0], projection.total(flow="budget_gap")[0])
