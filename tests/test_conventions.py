"""The conventions of DESIGN §4.8, each on a case computed by hand that another reading fails.

Every class takes one convention; every test works its numbers out month by month in its
docstring or comments and names the other reading of §4.1–4.7 it rules out: under that reading
the same programme gives different numbers, so the test fails.

The default contract of ``builders``: 10 enrol a month in months 0–5, 40% achieve against a
10% baseline 6 months later, verified 3 months after that, at €1,000 an outcome: €3,000 is
earned in each of months 9–14, paid quarterly in months 11 and 14. It ends in month 23.
"""

from __future__ import annotations

import numpy as np
import pytest

import programma as pg
from builders import D, at, base_programme, contract, series
from programma import (
    Advance,
    AdvanceFinancing,
    Decision,
    Enrolment,
    EnrolmentWindow,
    Fund,
    FundShare,
    Gate,
    GateCondition,
    Initiative,
    InvestorFinancing,
    OutcomeMetric,
    PayerShare,
    Poisson,
    Prefinancing,
    Uniform,
    Yearly,
)

# Metric B of the two-metric cases: 20% of 10 achieve at €500: €1,000 a month in months 9–14.
METRIC_B = OutcomeMetric("b", "B", 500, 0.2, time_to_outcome=6)
# One cohort of 10 in month 0.
ONE_COHORT = Enrolment([EnrolmentWindow(D(2021, 1, 1), 1, total=10)])


def flows(projection: pg.Projection, flow: str, **criteria: str) -> np.ndarray:
    """The monthly total of one flow in the one (expected) scenario."""
    return series(projection, flow=flow, **criteria)


class TestTimeToOutcomeAndDelay:
    """§4.8.1: P(k) = Pr(k ≤ X < k+1); a fractional delay splits cost between two months."""

    def programme(self, time: object) -> pg.Programme:
        metric = OutcomeMetric("job", "A job", 100, 0.5, time_to_outcome=time)
        one = contract(metrics=[metric], enrolment=ONE_COHORT, verification_lag_months=0)
        return base_programme(contracts=[one])

    def test_fixed_time_at_its_floor(self) -> None:
        """A fixed 2.7 months puts the 5 achieving in month 2 (rounding would say month 3)."""
        projection = pg.project(self.programme(2.7))
        assert np.allclose(at([2], [5]), flows(projection, "outcomes_achieved"))

    def test_whole_month_bins(self) -> None:
        """Uniform(0.5, 2.5): P(0) = Pr(0.5 ≤ X < 1) = ¼, P(1) = ½, P(2) = ¼.

        Of 5 achieving: 1.25, 2.5, 1.25 in months 0–2. Bins centred on whole months
        (Pr(k − ½ ≤ X < k + ½)) would give 0, 2.5, 2.5.
        """
        projection = pg.project(self.programme(Uniform(0.5, 2.5)))
        assert np.allclose(at([0, 1, 2], [1.25, 2.5, 1.25]), flows(projection, "outcomes_achieved"))

    @pytest.mark.parametrize("delay", [0.25, Poisson(0.25)], ids=["fixed", "poisson-mean"])
    def test_fractional_delay(self, delay: object) -> None:
        """A delay of 0.25 (or a Poisson's mean 0.25, in expected mode) splits each month ¾ : ¼.

        €1,200 flat over months 1–3 is €400 a month; each month's €400 goes 300 to its own
        month and 100 to the next: 300, 100 + 300, 100 + 300, 100 in months 1–4. A whole
        delay (⌊0.25⌋ = 0, or rounded) would leave 400, 400, 400 in months 1–3; a Poisson
        delay's pmf (e^−¼ ≈ 0.78 in month 1) would give 311.5 in month 1.
        """
        work = Initiative(
            "work",
            "Work",
            "prov",
            1200,
            D(2021, 2, 1),
            3,
            delay=delay,  # type: ignore[arg-type]
            funds=[FundShare("budget", 1.0)],
        )
        projection = pg.project(base_programme(initiatives=[work]))
        assert np.allclose(at([1, 2, 3, 4], [300, 400, 400, 100]), flows(projection, "grant"))


class TestSettlement:
    """§4.8.2: refunds and guarantees at L = end + run-off, after that month's payments."""

    def test_refund_after_the_settlement_months_offsets(self) -> None:
        """End in month 11, run-off 3: L = 14; the €20,000 advance less 9,000 + 9,000 offset.

        Offsets: 9,000 in month 11 and 9,000 in month 14, so €2,000 is refunded in month 14.
        Settling at the end (month 11) would refund 11,000 there; settling before month 14's
        payments would refund 11,000 in month 14.
        """
        one = contract(
            end=D(2021, 12, 1),
            run_off_months=3,
            financing=AdvanceFinancing([Advance(D(2021, 1, 1), 20_000)], unearned="refund"),
        )
        projection = pg.project(base_programme(contracts=[one]))
        assert np.allclose(at([11, 14], [9000, 9000]), flows(projection, "advance_offset"))
        assert np.allclose(at([14], [2000]), flows(projection, "advance_refund"))

    def test_guarantee_after_the_settlement_months_distribution(self) -> None:
        """L = 14: the guarantee tops 150 + 150 returned up to 0.8 × 1,000 drawn: €500.

        €50 is earned a month in months 9–14 (0.05 × 10 × €100): 150 paid in months 11 and
        14, all to the investor (its entitlement is far above). Drawn: 400, 400, 200 in
        months 0–2. A guarantee at the end (month 11) or before month 14's distribution
        would be 800 − 150 = 650.
        """
        work = Initiative("work", "Work", "prov", 1200, D(2021, 1, 1), 3)
        metric = OutcomeMetric("job", "A job", 100, 0.15, baseline=0.1, time_to_outcome=6)
        financing = InvestorFinancing(
            "inv", 1000, 0.12, capital_protection=0.8, guarantor="guar", guarantor_fund="topup"
        )
        one = contract(
            initiatives=["work"],
            metrics=[metric],
            end=D(2021, 12, 1),
            run_off_months=3,
            financing=financing,
        )
        projection = pg.project(base_programme(initiatives=[work], contracts=[one]))
        assert np.allclose(at([11, 14], [150, 150]), flows(projection, "investor_distribution"))
        assert np.allclose(at([14], [500]), flows(projection, "guarantee_payment"))


class TestCaps:
    """§4.8.3: stage order, a running total per stage, cuts lost for good, pro rata."""

    def test_order_and_running_totals(self) -> None:
        """Metric A's €6,000 value cap acts before the €10,000 contract cap, on what passed.

        A earns 3,000 and B 1,000 in each of months 9–14. A's value cap passes 3,000, 3,000
        and then nothing. The contract cap sees what passed: 4,000, 4,000, 1,000, 1,000,
        1,000, 1,000 (running 4, 8, 9, 10, 11 thousand): months 9–12 pass, 13–14 are cut.
        Total €10,000. The contract cap first would pass 4,000, 4,000, 2,000 (pro rata), then
        A's value cap would cut A's 1,500 in month 11: €8,500. A contract running total of
        what was earned (12,000 by month 11) would pass only B's 1,000 in month 11: €9,000.
        """
        a = OutcomeMetric("a", "A", 1000, 0.4, baseline=0.1, time_to_outcome=6, cap_value=6000)
        one = contract(metrics=[a, METRIC_B], cap=10_000)
        projection = pg.project(base_programme(contracts=[one]))
        assert np.allclose(
            at([9, 10], [3000, 3000]), flows(projection, "earned_capped", metric="a")
        )
        assert np.allclose(
            at(range(9, 13), [1000] * 4), flows(projection, "earned_capped", metric="b")
        )
        assert pytest.approx(12_000) == projection.scalars["cap_cut/c/metric_value"][0]
        assert pytest.approx(2_000) == projection.scalars["cap_cut/c/contract"][0]

    def test_cut_lost_for_good(self) -> None:
        """A pooled limit that grows later does not give back what it cut.

        10 enrol in month 0 and 40 in month 12; half achieve at once; the price falls 80% in
        2022 (€1,000 → €200). Month 0 earns 5,000: the metric's 200 × 10 passes 2,000, the
        contract's 150 × 10 passes 1,500. Month 12 earns 40 × 0.5 × 200 = 4,000: the limits
        grow to 10,000 (room 8,000) and 7,500 (room 6,000), so all 4,000 passes. Restoring
        the cuts would pass min(9,000, 10,000) − 2,000 = 7,000 and then 6,000 in month 12.
        """
        metric = OutcomeMetric(
            "job", "A job", 1000, 0.5, time_to_outcome=0, cap_per_participant=200, indexation=-0.8
        )
        windows = [
            EnrolmentWindow(D(2021, 1, 1), 1, per_month=10),
            EnrolmentWindow(D(2022, 1, 1), 1, per_month=40),
        ]
        one = contract(
            metrics=[metric],
            enrolment=Enrolment(windows),
            cap_per_participant=150,
            verification_lag_months=0,
            payment_schedule="monthly",
        )
        projection = pg.project(base_programme(contracts=[one]))
        assert np.allclose(at([0, 12], [1500, 4000]), flows(projection, "earned_capped"))
        assert np.allclose(at([0, 12], [1500, 4000]), flows(projection, "outcome_payment"))

    def test_pro_rata_within_a_month(self) -> None:
        """A €10,000 contract cap cuts month 11's €4,000 to 2,000: ¾ to A, ¼ to B.

        Running totals 4,000, 8,000, 12,000: month 11 passes 2,000 of A's 3,000 and B's
        1,000 in proportion: 1,500 and 500. Filling in metric order would give A 2,000 and
        B nothing.
        """
        a = OutcomeMetric("a", "A", 1000, 0.4, baseline=0.1, time_to_outcome=6)
        one = contract(metrics=[a, METRIC_B], cap=10_000)
        projection = pg.project(base_programme(contracts=[one]))
        assert np.allclose(
            at([9, 10, 11], [3000, 3000, 1500]), flows(projection, "earned_capped", metric="a")
        )
        assert np.allclose(
            at([9, 10, 11], [1000, 1000, 500]), flows(projection, "earned_capped", metric="b")
        )


class TestFiscalYearCaps:
    """§4.8.4: per payer on gross dues before offsets; carry, re-cap, forfeit; missing = none."""

    def test_gross_before_offsets_and_missing_year(self) -> None:
        """A €6,000 cap in 2021 on 9,000 due; a €5,000 advance then offsets the 6,000 paid.

        Month 11: gross 6,000 (3,000 forfeited), 5,000 of it offset, 1,000 in cash. 2022 has
        no cap: month 14 pays its 9,000 in cash. Capping the cash after offsets would pay
        9,000 − 5,000 = 4,000 in cash and forfeit nothing; a missing year read as a zero cap
        (or as the last year's 6,000) would pay nothing (or 6,000) in month 14.
        """
        payer = PayerShare("city", "budget", 1.0, fiscal_year_caps={2021: 6000})
        financing = AdvanceFinancing([Advance(D(2021, 1, 1), 5000)], unearned="refund")
        one = contract(payers=[payer], financing=financing)
        projection = pg.project(base_programme(contracts=[one]))
        assert np.allclose(at([11], [5000]), flows(projection, "advance_offset"))
        assert np.allclose(at([11, 14], [1000, 9000]), flows(projection, "outcome_payment"))
        assert np.allclose(at([11], [3000]), flows(projection, "cap_forfeited"))
        assert 0 == flows(projection, "advance_refund").sum()

    def test_carry_recapped_then_forfeited_at_settlement(self) -> None:
        """Caps 5,000 / 10,000 / 1,000 for 2021–2023, excess carried; L = 27 + 2 = 29.

        Month 11 pays 5,000 of 9,000 (4,000 carried). Month 14, the first payment month of
        2022: 4,000 + 9,000 = 13,000, capped to 10,000 (3,000 carried). Month 26, the first of
        2023: 3,000, capped to 1,000 (2,000 carried). Nothing pays it later in 2023: the
        2,000 is forfeited in the settlement month 29. A carry not capped again would pay
        13,000 in month 14; forfeiting at the end (month 27) would put the 2,000 there.
        """
        payer = PayerShare(
            "city",
            "budget",
            1.0,
            fiscal_year_caps={2021: 5000, 2022: 10_000, 2023: 1000},
            cap_excess="carry",
        )
        one = contract(payers=[payer], end=D(2023, 4, 1), run_off_months=2)
        projection = pg.project(base_programme(contracts=[one]))
        expected = at([11, 14, 26], [5000, 10_000, 1000])
        assert np.allclose(expected, flows(projection, "outcome_payment"))
        assert np.allclose(at([29], [2000]), flows(projection, "cap_forfeited"))


def advanced(*advances: Advance, work: Initiative | None = None, **changes: object) -> pg.Programme:
    """The default contract financed by advances (refunded), paying for ``work`` if given."""
    financing = AdvanceFinancing(list(advances), unearned="refund")
    paid_for = {"initiatives": [work.id]} if work else {}
    one = contract(financing=financing, **paid_for, **changes)
    return base_programme(initiatives=[work] if work else [], contracts=[one])


class TestAdvances:
    """§4.8.5: credit first, then offset; unearned = advances − offsets; costs from advances."""

    def test_credited_before_the_months_dues(self) -> None:
        """A €5,000 advance in month 11 offsets month 11's 9,000 at once: cash 4,000, then 9,000.

        Offsetting before crediting would pay 9,000 in cash in month 11 and offset 5,000 of
        month 14's dues (cash 4,000 then).
        """
        projection = pg.project(advanced(Advance(D(2021, 12, 1), 5000)))
        assert np.allclose(at([11], [5000]), flows(projection, "advance_offset"))
        assert np.allclose(at([11, 14], [4000, 9000]), flows(projection, "outcome_payment"))

    def test_unearned_is_advances_less_offsets(self) -> None:
        """€20,000 advanced, 16,000 offset (cap): 4,000 refunded though 1,200 paid costs.

        The cost (400 in months 0–2) is met from the advance, but what is unearned is what
        the offsets did not take: 20,000 − 16,000. Counting the costs against it would
        refund 2,800.
        """
        work = Initiative("work", "Work", "prov", 1200, D(2021, 1, 1), 3)
        projection = pg.project(advanced(Advance(D(2021, 1, 1), 20_000), work=work, cap=16_000))
        assert np.allclose(at([0, 1, 2], [400] * 3), flows(projection, "advance_used"))
        assert np.allclose(at([11, 14], [9000, 7000]), flows(projection, "advance_offset"))
        assert np.allclose(at([23], [4000]), flows(projection, "advance_refund"))
        assert 0 == flows(projection, "provider_own_funds").sum()

    def test_costs_from_advances_not_spent_on_costs(self) -> None:
        """€10,000 advanced: costs of 400 in months 10–12 all come from it; offsets are apart.

        Offsets take 9,000 in month 11 and the last 1,000 in month 14 (cash 8,000 then).
        Had the offsets used up the same money, month 11 would leave 10,000 − 400 − 9,000 =
        600 for costs, 200 after month 11's, and month 12's 400 would be half own funds.
        """
        work = Initiative("work", "Work", "prov", 1200, D(2021, 11, 1), 3)
        projection = pg.project(advanced(Advance(D(2021, 1, 1), 10_000), work=work))
        assert np.allclose(at([10, 11, 12], [400] * 3), flows(projection, "advance_used"))
        assert 0 == flows(projection, "provider_own_funds").sum()
        assert np.allclose(at([11, 14], [9000, 1000]), flows(projection, "advance_offset"))
        assert np.allclose(at([14], [8000]), flows(projection, "outcome_payment"))


class TestInvestor:
    """§4.8.6: no draw-down after the contract's end; no reserve."""

    def programme(self, **changes: object) -> pg.Programme:
        """€1,000 of cost in months 0 and 3; €3,000 paid in month 2 (3 of 10, ttO 2, monthly)."""
        work = Initiative(
            "work",
            "Work",
            "prov",
            2000,
            D(2021, 1, 1),
            4,
            cost_profile="explicit",
            cost_weights=(0.5, 0.0, 0.0, 0.5),
        )
        metric = OutcomeMetric("job", "A job", 1000, 0.3, time_to_outcome=2)
        one = contract(
            initiatives=["work"],
            metrics=[metric],
            enrolment=ONE_COHORT,
            verification_lag_months=0,
            payment_schedule="monthly",
            financing=InvestorFinancing("inv", 10_000, 0.0),
            **changes,
        )
        return base_programme(initiatives=[work], contracts=[one])

    def test_no_reserve(self) -> None:
        """Drawn 1,000 in month 0; month 2's 3,000: 1,000 to the investor (its entitlement at a
        0% cap), 2,000 to the provider; month 3's cost is drawn again.

        Keeping the 2,000 back as a reserve would meet month 3's cost without a draw.
        """
        projection = pg.project(self.programme())
        assert np.allclose(at([0, 3], [1000, 1000]), flows(projection, "investor_drawdown"))
        assert np.allclose(at([2], [1000]), flows(projection, "investor_distribution"))
        assert np.allclose(at([2], [2000]), flows(projection, "provider_receipt"))
        assert 0 == flows(projection, "provider_own_funds").sum()

    def test_no_drawdown_after_the_end(self) -> None:
        """The contract ends in month 2 (settles in 5): month 3's cost is the provider's own.

        Drawing until settlement would draw it from the investor.
        """
        projection = pg.project(self.programme(end=D(2021, 3, 1), run_off_months=3))
        assert np.allclose(at([0], [1000]), flows(projection, "investor_drawdown"))
        assert np.allclose(at([3], [1000]), flows(projection, "provider_own_funds"))


# 10 a month for 12 months from January 2021; 40% achieve.
YEAR_LONG = Enrolment([EnrolmentWindow(D(2021, 1, 1), 12, per_month=10)])


def gated(
    condition: GateCondition,
    if_met: Decision,
    if_not_met: Decision,
    *,
    month: int = 9,
    metric: OutcomeMetric | None = None,
    **target: str,
) -> pg.Programme:
    """The year-long contract (lag 0) with one gate in ``month`` of 2021 (0-based)."""
    metric = metric or OutcomeMetric("job", "A job", 100, 0.4, time_to_outcome=6)
    one = contract(enrolment=YEAR_LONG, metrics=[metric], verification_lag_months=0)
    gate = Gate(
        "g", D(2021, month + 1, 1), condition, if_met, if_not_met, **(target or {"contract": "c"})
    )
    return base_programme(contracts=[one], gates=[gate])


CONTINUE, STOP = Decision("continue"), Decision("stop")


class TestGates:
    """§4.8.7: what a gate counts, 0/0, read before deciding, tolerance, initiative gates."""

    def test_count_counts_achieved_not_payable(self) -> None:
        """Baseline 0.1: by month 9, 4 × 4 = 16 achieved (12 payable) against a target of 14.

        Met: enrolment continues, 48 achieve in all. Counting payable outcomes (12 < 14)
        would stop enrolment in month 9: 36 achieved.
        """
        metric = OutcomeMetric("job", "A job", 100, 0.4, baseline=0.1, time_to_outcome=6)
        programme = gated(GateCondition("c", "job", "count", 14), CONTINUE, STOP, metric=metric)
        projection = pg.project(programme)
        assert [1.0] == projection.scalars["gate_met/g"].tolist()
        assert pytest.approx(48) == flows(projection, "outcomes_achieved").sum()

    def test_rate_of_nothing_verified_is_not_met(self) -> None:
        """In month 3 nothing is verified: 0/0 is not met, so enrolment stops (12 achieve).

        Reading 0/0 as a rate of 0 would meet "at least 0": 48 would achieve.
        """
        programme = gated(GateCondition("c", "job", "rate", 0.0), CONTINUE, STOP, month=3)
        projection = pg.project(programme)
        assert [0.0] == projection.scalars["gate_met/g"].tolist()
        assert pytest.approx(12) == flows(projection, "outcomes_achieved").sum()

    def test_condition_read_before_the_decision(self) -> None:
        """Outcomes at once: by month 9, 10 × 4 = 40 achieved against a target of 38: met.

        Enrolment goes on: 48 achieve. Reading after the stop had removed month 9's
        enrolment would count 36 < 38 and stop: 36 achieved.
        """
        metric = OutcomeMetric("job", "A job", 100, 0.4, time_to_outcome=0)
        programme = gated(GateCondition("c", "job", "count", 38), CONTINUE, STOP, metric=metric)
        projection = pg.project(programme)
        assert [1.0] == projection.scalars["gate_met/g"].tolist()
        assert pytest.approx(48) == flows(projection, "outcomes_achieved").sum()

    @pytest.mark.parametrize(("excess", "met"), [(5e-10, 1.0), (2e-9, 0.0)])
    def test_relative_tolerance(self, excess: float, met: float) -> None:
        """16 achieved against 16 × (1 + excess): within 1e-9 relative it is met.

        An exact comparison, or an absolute 1e-9 (16 + 8e-9 is 8e-9 above), would not meet
        16 × (1 + 5e-10).
        """
        condition = GateCondition("c", "job", "count", 16 * (1 + excess))
        projection = pg.project(gated(condition, CONTINUE, STOP))
        assert [met] == projection.scalars["gate_met/g"].tolist()

    def test_initiative_gate_scales_its_cost_only(self) -> None:
        """A gate on the contract's initiative halves its cost from month 9; enrolment goes on.

        Cost: 100 in months 0–8, 50 in 9–11; achieved: 48. Scaling the contract that pays
        for the initiative too would enrol 5 a month in 9–11: 36 + 6 = 42 achieved.
        """
        work = Initiative("work", "Work", "prov", 1200, D(2021, 1, 1), 12)
        one = contract(
            enrolment=YEAR_LONG,
            metrics=[OutcomeMetric("job", "A job", 100, 0.4, time_to_outcome=6)],
            verification_lag_months=0,
            initiatives=["work"],
        )
        gate = Gate(
            "g",
            D(2021, 10, 1),
            GateCondition("c", "job", "count", 0),
            Decision("scale", 0.5),
            STOP,
            initiative="work",
        )
        projection = pg.project(base_programme(initiatives=[work], contracts=[one], gates=[gate]))
        expected = at(range(12), [100] * 9 + [50] * 3)
        assert np.allclose(expected, flows(projection, "delivery_cost"))
        assert pytest.approx(48) == flows(projection, "outcomes_achieved").sum()


class TestPrefinancing:
    """§4.8.8: the partner funds the months before the gate; step-in and repayment in it."""

    def test_step_in_from_the_gate_month(self) -> None:
        """Gate in month 12, met (rate 0.5 ≥ 0.3): the partner funds 100 a month in 0–11.

        The city funds months 12–23 and repays half of the 1,200 pre-financed (600) in month
        12. A partner funding through the gate month would fund 1,300 and be repaid 650, the
        city stepping in from month 13.
        """
        work = Initiative("work", "Work", "prov", 2400, D(2021, 1, 1), 24)
        metric = OutcomeMetric("job", "A job", 100, 0.5, time_to_outcome=6)
        pilot = contract(
            initiatives=["work"],
            metrics=[metric],
            enrolment=Enrolment([EnrolmentWindow(D(2021, 1, 1), 24, per_month=10)]),
            end=D(2023, 12, 1),
            financing=Prefinancing(
                "partner", gate="go", step_in_payer="city", step_in_fund="budget", repay_share=0.5
            ),
        )
        gate = Gate(
            "go",
            D(2022, 1, 1),
            GateCondition("c", "job", "rate", 0.3),
            Decision("step-in"),
            STOP,
            contract="c",
        )
        projection = pg.project(base_programme(initiatives=[work], contracts=[pilot], gates=[gate]))
        assert np.allclose(at(range(12), [100] * 12), flows(projection, "prefinancing"))
        assert np.allclose(at(range(12, 24), [100] * 12), flows(projection, "step_in_funding"))
        assert np.allclose(at([12], [600]), flows(projection, "prefinancing_repayment"))
        assert 0 == flows(projection, "provider_own_funds").sum()


class TestIndexation:
    """§4.8.9: once per fiscal year, labelled by the year it starts; inverse before the base."""

    def test_fiscal_years_from_april(self) -> None:
        """Fiscal years from April: March 2021 is in FY2020 (the base's), April 2021 in FY2021.

        €600 over March–April 2021 at rates 2021: 10%, 2022: 50%: 300 and 300 × 1.1 = 330.
        Calendar years would index neither (300, 300); labelling a fiscal year by the year it
        ends in would put April 2021 in "2022": 450.
        """
        work = Initiative(
            "work",
            "Work",
            "prov",
            600,
            D(2021, 3, 1),
            2,
            indexation=Yearly({2020: 0.0, 2021: 0.1, 2022: 0.5}),
            funds=[FundShare("budget", 1.0)],
        )
        programme = base_programme(initiatives=[work], fiscal_year_start_month=4)
        assert np.allclose(at([2, 3], [300, 330]), flows(pg.project(programme), "grant"))

    def test_before_the_price_base(self) -> None:
        """Base January 2023; a 2021 cost is divided by (1 + r₂₀₂₂)(1 + r₂₀₂₃) = 1.1 × 1.5.

        €1,650 in February 2021 is €1,000. Dividing by the rates of the years from 2021 up
        to the base's (1 + r₂₀₂₁)(1 + r₂₀₂₂) = 1.1 would give 1,500; no indexation before the
        base, 1,650.
        """
        work = Initiative(
            "work",
            "Work",
            "prov",
            1650,
            D(2021, 2, 1),
            1,
            indexation=Yearly({2021: 0.0, 2022: 0.1, 2023: 0.5}),
            funds=[FundShare("budget", 1.0)],
        )
        programme = base_programme(initiatives=[work], price_base_date=D(2023, 1, 1))
        assert np.allclose(at([1], [1000]), flows(pg.project(programme), "grant"))


class TestFunds:
    """§4.8.10: cash outflow with refunds netted, carry-over never negative, earned."""

    def test_outflow_refund_and_carry(self) -> None:
        """A €15,000 budget for 2021 only; €20,000 advanced in month 0, 4,000 refunded in 23.

        2021: outflow 20,000 (offsets are not cash): gap +5,000, nothing carries (not −5,000).
        2022: available 0, outflow −4,000 (the refund): gap −4,000, 4,000 carries.
        2023: available 4,000, nothing out: gap −4,000. A negative carry would make 2022's
        gap +1,000; ignoring the refund would make it 0; counting offsets as outflow would
        make 2021's gap +14,000.
        """
        fund = Fund("budget", "Budget", "municipal-budget", "city", {2021: 15_000}, carry_over=True)
        financing = AdvanceFinancing([Advance(D(2021, 1, 1), 20_000)], unearned="refund")
        one = contract(financing=financing, cap=16_000)
        projection = pg.project(base_programme(funds=[fund], contracts=[one]))
        assert np.allclose(at([23], [4000]), flows(projection, "advance_refund"))
        assert np.allclose(at([11, 23, 35], [15_000, 0, 4000]), flows(projection, "budget"))
        assert np.allclose(at([11, 23, 35], [5000, -4000, -4000]), flows(projection, "budget_gap"))

    def test_earned_before_fiscal_year_caps(self) -> None:
        """A €5,000 cap in 2021: the fund pays 5,000 but earns the 9,000 verified in 2021.

        Earned (months 9–11: 9,000 in 2021; 12–14: 9,000 in 2022) is the payer's share of
        ``earned_capped``; read after the fiscal-year cap it would be 5,000 in 2021.
        """
        payer = PayerShare("city", "budget", 1.0, fiscal_year_caps={2021: 5000})
        projection = pg.project(base_programme(contracts=[contract(payers=[payer])]))
        years = {(f.fund, f.year): f for f in projection.summary().funds}
        assert pytest.approx(9000) == years["budget", "FY2021"].accrual.mean
        assert pytest.approx(5000) == years["budget", "FY2021"].outflow.mean
        assert pytest.approx(9000) == years["budget", "FY2022"].accrual.mean


class TestMeasures:
    """§4.8.11: receipts used and advances used; the contract's account between payer and payee."""

    def programme(self, financing: object) -> pg.Programme:
        """€400 of cost in months 10–12; €9,000 paid in month 11 and 14."""
        work = Initiative("work", "Work", "prov", 1200, D(2021, 11, 1), 3)
        one = contract(initiatives=["work"], financing=financing)
        return base_programme(initiatives=[work], contracts=[one])

    def test_receipts_pay_costs_only_with_an_investor(self) -> None:
        """Provider mode: month 11's receipts pay no cost (all 1,200 own funds).

        Receipts paying the cost in every mode would make month 11's 400 receipts used.
        """
        projection = pg.project(self.programme(pg.ProviderFinancing()))
        assert 0 == flows(projection, "receipts_used").sum()
        assert np.allclose(at([10, 11, 12], [400] * 3), flows(projection, "provider_own_funds"))

    def test_delivery_cost_is_covered_by_the_measures(self) -> None:
        """Investor (commitment 0): receipts used 400 in month 11, own funds 400 in 10 and 12."""
        projection = pg.project(self.programme(InvestorFinancing("inv", 0, 0.1)))
        assert np.allclose(at([11], [400]), flows(projection, "receipts_used"))
        assert np.allclose(at([10, 12], [400, 400]), flows(projection, "provider_own_funds"))
        covered = sum(
            flows(projection, name)
            for name in ("receipts_used", "provider_own_funds", "investor_drawdown")
        )
        assert np.allclose(flows(projection, "delivery_cost"), covered)

    def test_contract_account(self) -> None:
        """The payer pays the contract; the contract pays the investor and the provider."""
        projection = pg.project(self.programme(InvestorFinancing("inv", 1000, 0.1)))
        ends = {k.flow: (k.payer, k.payee) for k in projection.series}
        assert ("city", "c") == ends["outcome_payment"]
        assert ("c", "inv") == ends["investor_distribution"]
        assert ("c", "prov") == ends["provider_receipt"]


class TestPastTheHorizon:
    """§4.8.12: amounts past the horizon are recorded as unpaid in month T − 1."""

    def test_outcomes_verified_past_the_horizon(self) -> None:
        """10 enrol in month 28; 3 payable outcomes in month 34 are verified in month 37.

        The €3,000 is earned and unpaid in month 35 (T − 1), not at the settlement month 29
        and not dropped.
        """
        late = contract(
            enrolment=Enrolment([EnrolmentWindow(D(2023, 5, 1), 1, total=10)]),
            end=D(2023, 6, 1),
        )
        projection = pg.project(base_programme(contracts=[late]))
        assert np.allclose(at([35], [3000]), flows(projection, "earned_capped"))
        assert np.allclose(at([35], [3000]), flows(projection, "unpaid_after_end"))
        assert 0 == flows(projection, "outcome_payment").sum()
