"""The engine's rules on small cases computed by hand, month by month (DESIGN §4.2–4.4, §4.8).

Each case writes out its table: the expected numbers are worked out from the rules, never
taken from the engine's output.
"""

from __future__ import annotations

import attrs
import numpy as np
import pytest

import programma as pg
from builders import D, at, base_programme, contract, series
from programma import (
    Enrolment,
    EnrolmentWindow,
    Fixed,
    FundShare,
    Initiative,
    OutcomeMetric,
    PayerShare,
    Programme,
    Uniform,
    Yearly,
)


class TestWorkedExample:
    """10 a month for 6 months, share 0.4, baseline 0.1, lag 3, quarterly, cap in month 14.

    | months | enrolled | reach outcome | achieved 0.4·R | payable 0.3·R | verified (m+3) |
    |--------|----------|---------------|----------------|---------------|----------------|
    | 0–5    | 10       | 0             | 0              | 0             | —              |
    | 6–11   | 0        | 10            | 4              | 3 (€3,000)    | months 9–14    |

    With a contract cap of €16,000 the cumulative value 3,000 … 15,000 passes in months 9–13;
    month 14 brings it to 18,000, so only €1,000 passes (€2,000 cut). Quarterly payments fall
    in months 2, 5, 8, 11, 14: month 11 pays 9–11 (€9,000), month 14 pays 12–14 (€7,000).
    """

    @pytest.fixture
    def projection(self) -> pg.Projection:
        return pg.project(base_programme(contracts=[contract(cap=16_000)]))

    def test_achieved(self, projection: pg.Projection) -> None:
        """Four outcomes are achieved in each of months 6–11."""
        assert np.allclose(at(range(6, 12), [4] * 6), series(projection, flow="outcomes_achieved"))

    def test_earned(self, projection: pg.Projection) -> None:
        """€3,000 is earned at verification in each of months 9–14."""
        assert np.allclose(at(range(9, 15), [3000] * 6), series(projection, flow="earned"))

    def test_cap_binds_in_month_14(self, projection: pg.Projection) -> None:
        """The contract cap lets €1,000 through in month 14 and cuts €2,000."""
        expected = at(range(9, 15), [3000] * 5 + [1000])
        assert np.allclose(expected, series(projection, flow="earned_capped"))
        assert pytest.approx(2000) == projection.scalars["cap_cut/c/contract"][0]
        assert 0 == projection.scalars["cap_cut/c/metric_count"][0]

    def test_outcomes_paid(self, projection: pg.Projection) -> None:
        """Three outcomes are paid a month, and one third of one in month 14."""
        expected = at(range(9, 15), [3] * 5 + [1])
        assert np.allclose(expected, series(projection, flow="outcomes_paid"))

    def test_quarterly_payments(self, projection: pg.Projection) -> None:
        """Payments fall in months 11 (€9,000) and 14 (€7,000)."""
        expected = at([11, 14], [9000, 7000])
        assert np.allclose(expected, series(projection, flow="outcome_payment"))
        assert np.allclose(expected, series(projection, flow="provider_receipt"))

    def test_payee_is_the_contract(self, projection: pg.Projection) -> None:
        """An outcome payment goes from the payer to the contract's account."""
        (key,) = [k for k in projection.series if k.flow == "outcome_payment"]
        assert ("city", "c", "c", "budget") == (key.payer, key.payee, key.contract, key.fund)


class TestCosts:
    """§4.2: commitment × overrun × profile weight(m − start − delay) × index(m)."""

    def programme(self, **initiative: object) -> Programme:
        values: dict[str, object] = {
            "id": "work",
            "name": "Work",
            "owner": "prov",
            "commitment": 1200,
            "start": D(2021, 2, 1),
            "duration_months": 3,
            "funds": [FundShare("budget", 0.75), FundShare("topup", 0.25)],
        } | initiative
        return base_programme(initiatives=[Initiative(**values)])  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("profile", "weights", "expected"),
        [
            ("flat", None, [400, 400, 400]),
            ("front-loaded", None, [600, 400, 200]),  # 3:2:1
            ("s-curve", None, [1200 * 7 / 27, 1200 * 13 / 27, 1200 * 7 / 27]),  # F = 3x² − 2x³
            ("explicit", (0.5, 0.25, 0.25), [600, 300, 300]),
        ],
    )
    def test_profiles(self, profile: str, weights: object, expected: list[float]) -> None:
        """Each profile spreads the commitment over months 1–3 as computed by hand."""
        projection = pg.project(self.programme(cost_profile=profile, cost_weights=weights))
        assert np.allclose(at([1, 2, 3], expected), series(projection, flow="grant"))

    def test_grants_split_by_fund_share(self) -> None:
        """Each fund pays its share of every month's cost, from its owner to the initiative's."""
        projection = pg.project(self.programme())
        assert np.allclose(
            at([1, 2, 3], [300] * 3), series(projection, flow="grant", fund="budget")
        )
        assert np.allclose(
            at([1, 2, 3], [100] * 3), series(projection, flow="grant", payer="other")
        )

    def test_fractional_delay_and_overrun(self) -> None:
        """A delay of 1.5 months splits each month's cost between the next two; overrun scales."""
        projection = pg.project(self.programme(delay=1.5, overrun=1.1, duration_months=2))
        # flat 660 a month, shifted 1 and 2 months half each: 330, 660, 330 in months 2, 3, 4.
        assert np.allclose(at([2, 3, 4], [330, 660, 330]), series(projection, flow="grant"))

    def test_indexation_by_fiscal_year(self) -> None:
        """Prices rise once per fiscal year after the price base's (here 10% in 2022)."""
        projection = pg.project(
            self.programme(start=D(2021, 11, 1), indexation=0.1, duration_months=4)
        )
        expected = at([10, 11, 12, 13], [300, 300, 330, 330])
        assert np.allclose(expected, series(projection, flow="grant"))

    def test_indexation_before_the_price_base(self) -> None:
        """Before the price base's fiscal year the index is the inverse product."""
        programme = attrs.evolve(
            self.programme(indexation=Yearly({2021: 0.05, 2022: 0.25}), duration_months=1),
            price_base_date=D(2022, 1, 1),
        )
        # 2021 is one year before the 2022 base: index = 1 / (1 + rate of 2022) = 0.8.
        assert np.allclose(at([1], [960]), series(pg.project(programme), flow="grant"))

    def test_cost_delayed_far_past_the_horizon(self) -> None:
        """Cost a long delay pushes past every month computed is still reported, not dropped."""
        programme = self.programme(start=D(2023, 10, 1), duration_months=3, delay=6)
        projection = pg.project(programme)
        assert 0 == series(projection, flow="grant").sum()
        assert pytest.approx(1200) == series(projection, flow="unpaid_after_end").sum()

    def test_cost_past_the_horizon(self) -> None:
        """Cost pushed past the horizon by a delay is reported in the last month, not dropped."""
        programme = self.programme(start=D(2023, 11, 1), duration_months=2, delay=1)
        projection = pg.project(programme)
        assert np.allclose(at([35], [600]), series(projection, flow="grant"))
        assert np.allclose(at([35], [600]), series(projection, flow="unpaid_after_end"))


class TestOutcomes:
    """§4.3: cohorts, time to outcome, baseline and threshold."""

    def test_time_to_outcome_spreads_the_cohort(self) -> None:
        """A uniform(0, 2) time to outcome puts half the cohort in each of two months."""
        metric = OutcomeMetric("job", "A job", 100, 0.5, time_to_outcome=Uniform(0, 2))
        one = contract(
            metrics=[metric],
            enrolment=Enrolment([EnrolmentWindow(D(2021, 1, 1), 1, total=10)]),
            verification_lag_months=0,
        )
        projection = pg.project(base_programme(contracts=[one]))
        assert np.allclose(at([0, 1], [2.5, 2.5]), series(projection, flow="outcomes_achieved"))

    def test_threshold_not_met(self) -> None:
        """An improvement below the threshold is achieved but not payable."""
        metric = OutcomeMetric(
            "job", "A job", 1000, 0.4, baseline=0.1, threshold=0.35, time_to_outcome=6
        )
        projection = pg.project(base_programme(contracts=[contract(metrics=[metric])]))
        assert 24 == pytest.approx(series(projection, flow="outcomes_achieved").sum())
        assert 0 == series(projection, flow="earned").sum()

    def test_threshold_met_exactly(self) -> None:
        """An improvement equal to the threshold is paid (0.3 − 0.1 ≥ 0.2 despite rounding)."""
        metric = OutcomeMetric(
            "job", "A job", 1000, 0.3, baseline=0.1, threshold=0.2, time_to_outcome=6
        )
        projection = pg.project(base_programme(contracts=[contract(metrics=[metric])]))
        assert pytest.approx(12_000) == series(projection, flow="earned").sum()

    def test_metric_indexation_at_verification(self) -> None:
        """The price is indexed at the verification month (2022 prices from January 2022)."""
        metric = OutcomeMetric(
            "job", "A job", 1000, 0.4, baseline=0.1, time_to_outcome=6, indexation=0.5
        )
        projection = pg.project(base_programme(contracts=[contract(metrics=[metric])]))
        expected = at(range(9, 15), [3000, 3000, 3000, 4500, 4500, 4500])
        assert np.allclose(expected, series(projection, flow="earned"))

    def test_outcomes_past_the_horizon(self) -> None:
        """Outcomes reached after the horizon are recorded in its last month and go unpaid."""
        late = contract(
            enrolment=Enrolment([EnrolmentWindow(D(2023, 10, 1), 1, total=10)]),
            end=D(2023, 12, 1),
        )
        projection = pg.project(base_programme(contracts=[late]))
        assert pytest.approx(4) == series(projection, flow="outcomes_achieved")[35]
        assert pytest.approx(3000) == series(projection, flow="earned_capped")[35]
        assert pytest.approx(3000) == series(projection, flow="unpaid_after_end")[35]
        assert 0 == series(projection, flow="outcome_payment").sum()


class TestCaps:
    """§4.8.3: the cap stages, in order, each with its own running total."""

    def test_metric_per_participant_is_pooled(self) -> None:
        """€250 per enrolled participant: cumulative value ≤ 250 × enrolment to the outcome month.

        Enrolment reaches 60 by month 5; outcome months 6–11 see 60 enrolled, so the pooled
        limit is €15,000: months 9–13 pass €3,000 each, month 14 nothing.
        """
        metric = OutcomeMetric(
            "job", "A job", 1000, 0.4, baseline=0.1, time_to_outcome=6, cap_per_participant=250
        )
        projection = pg.project(base_programme(contracts=[contract(metrics=[metric])]))
        expected = at(range(9, 15), [3000] * 5 + [0])
        assert np.allclose(expected, series(projection, flow="earned_capped"))
        assert pytest.approx(3000) == projection.scalars["cap_cut/c/metric_per_participant"][0]

    def test_count_then_value_cap(self) -> None:
        """A count cap of 10 outcomes passes 3, 3, 3, 1; a value cap of €9,500 then cuts to 500."""
        metric = OutcomeMetric(
            "job",
            "A job",
            1000,
            0.4,
            baseline=0.1,
            time_to_outcome=6,
            cap_count=10,
            cap_value=9_500,
        )
        projection = pg.project(base_programme(contracts=[contract(metrics=[metric])]))
        assert np.allclose(
            at(range(9, 13), [3000, 3000, 3000, 500]), series(projection, flow="earned_capped")
        )
        assert np.allclose(
            at(range(9, 13), [3, 3, 3, 0.5]), series(projection, flow="outcomes_paid")
        )

    def test_contract_per_participant_pro_rata(self) -> None:
        """A pooled €300-per-participant contract cap cuts two metrics in proportion.

        Metric A earns €3,000 a month, B €1,000 (two outcomes of €500, share 0.2).
        Together €4,000 a month in months 9–14; the limit is 300 × 60 = €18,000: months 9–12
        pass €16,000, month 13 passes €2,000 of €4,000 (half of each), month 14 nothing.
        """
        a = OutcomeMetric("a", "A", 1000, 0.4, baseline=0.1, time_to_outcome=6)
        b = OutcomeMetric("b", "B", 500, 0.2, time_to_outcome=6)
        projection = pg.project(
            base_programme(contracts=[contract(metrics=[a, b], cap_per_participant=300)])
        )
        assert np.allclose(
            at(range(9, 15), [3000] * 4 + [1500, 0]),
            series(projection, flow="earned_capped", metric="a"),
        )
        assert np.allclose(
            at(range(9, 15), [1000] * 4 + [500, 0]),
            series(projection, flow="earned_capped", metric="b"),
        )


class TestPaymentTiming:
    """§4.4: schedules, run-off, payers' shares and fiscal-year caps."""

    def test_payers_split_by_share(self) -> None:
        """Two payers pay 70% and 30% of every payment."""
        payers = [PayerShare("city", "budget", 0.7), PayerShare("other", "topup", 0.3)]
        projection = pg.project(base_programme(contracts=[contract(payers=payers)]))
        assert np.allclose(
            at([11, 14], [6300, 6300]), series(projection, payer="city", flow="outcome_payment")
        )
        assert np.allclose(
            at([11, 14], [2700, 2700]), series(projection, payer="other", flow="outcome_payment")
        )

    def test_yearly_schedule(self) -> None:
        """A yearly schedule pays in the last month of each fiscal year (December here)."""
        projection = pg.project(base_programme(contracts=[contract(payment_schedule="yearly")]))
        assert np.allclose(at([11, 23], [9000, 9000]), series(projection, flow="outcome_payment"))

    def test_rrule_schedule(self) -> None:
        """An rrule pays in the months holding its occurrences (every 4 months from start)."""
        rule = "FREQ=MONTHLY;INTERVAL=4;BYMONTHDAY=-1"
        one = contract(payment_schedule="rrule", payment_rrule=rule)
        projection = pg.project(base_programme(contracts=[one]))
        # Occurrences at the end of months 0, 4, 8, 12, 16: months 9–12 pay in 12, 13–14 in 16.
        assert np.allclose(at([12, 16], [12000, 6000]), series(projection, flow="outcome_payment"))

    def test_nothing_after_run_off(self) -> None:
        """What falls due after the contract's end + run-off is reported as unpaid."""
        short = contract(end=D(2021, 12, 1), run_off_months=1)  # settlement in month 12
        projection = pg.project(base_programme(contracts=[short]))
        assert np.allclose(at([11], [9000]), series(projection, flow="outcome_payment"))
        assert np.allclose(at([14], [9000]), series(projection, flow="unpaid_after_end"))

    def test_fiscal_year_cap_forfeits(self) -> None:
        """A €5,000 cap in 2021 forfeits €4,000 of December's €9,000; 2022 is uncapped."""
        payer = PayerShare("city", "budget", 1.0, fiscal_year_caps={2021: 5000})
        projection = pg.project(base_programme(contracts=[contract(payers=[payer])]))
        assert np.allclose(at([11, 14], [5000, 9000]), series(projection, flow="outcome_payment"))
        assert np.allclose(at([11], [4000]), series(projection, flow="cap_forfeited"))

    def test_fiscal_year_cap_carries(self) -> None:
        """Carried, the €4,000 joins March 2022 (the first payment month of 2022), capped again.

        2022's cap of €10,000 takes 4,000 + 9,000 = 13,000 down to 10,000; €3,000 carries to
        2023, whose first payment month is March 2023 (month 26), uncapped.
        """
        payer = PayerShare(
            "city", "budget", 1.0, fiscal_year_caps={2021: 5000, 2022: 10000}, cap_excess="carry"
        )
        one = contract(payers=[payer], end=D(2023, 6, 1))
        projection = pg.project(base_programme(contracts=[one]))
        expected = at([11, 14, 26], [5000, 10000, 3000])
        assert np.allclose(expected, series(projection, flow="outcome_payment"))
        assert 0 == series(projection, flow="cap_forfeited").sum()

    def test_carry_forfeited_at_settlement(self) -> None:
        """A carry still pending after the settlement month's payments is forfeited then."""
        payer = PayerShare(
            "city", "budget", 1.0, fiscal_year_caps={2021: 5000, 2022: 1000}, cap_excess="carry"
        )
        one = contract(payers=[payer], end=D(2022, 6, 1))  # settlement: month 17
        projection = pg.project(base_programme(contracts=[one]))
        assert np.allclose(at([11, 14], [5000, 1000]), series(projection, flow="outcome_payment"))
        assert np.allclose(at([14, 17], [0, 12000]), series(projection, flow="cap_forfeited"))


class TestProviderFinancing:
    """§4.5, provider mode: the provider carries the cost and receives every payment."""

    def test_delivery_cost_from_own_funds(self) -> None:
        """The contract's initiative cost is the provider's own funds, not a grant."""
        work = Initiative("work", "Work", "prov", 1200, D(2021, 1, 1), 3)
        projection = pg.project(
            base_programme(initiatives=[work], contracts=[contract(initiatives=["work"])])
        )
        assert np.allclose(at([0, 1, 2], [400] * 3), series(projection, flow="delivery_cost"))
        assert np.allclose(at([0, 1, 2], [400] * 3), series(projection, flow="provider_own_funds"))
        assert 0 == series(projection, flow="grant").sum()
        assert 0 == series(projection, flow="receipts_used").sum()


class TestFixedEverywhere:
    """Plain numbers and Fixed distributions are the same thing to the engine."""

    def test_fixed_equals_number(self) -> None:
        """A Fixed(0.4) share gives what 0.4 gives."""
        metric = OutcomeMetric(
            "job", "A job", Fixed(1000), Fixed(0.4), baseline=0.1, time_to_outcome=6
        )
        with_fixed = pg.project(base_programme(contracts=[contract(metrics=[metric])]))
        plain = pg.project(base_programme(contracts=[contract()]))
        assert np.array_equal(plain.values, with_fixed.values)
