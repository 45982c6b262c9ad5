"""Financing modes (DESIGN §4.5, §4.8.5–4.8.8) on hand-computed month-by-month cases.

The outcome side is the worked example of ``test_engine``: with a contract cap of €16,000,
€9,000 is paid in month 11 and €7,000 in month 14. An initiative paid for by the contract
costs €400 a month in months 0–2.
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest

import programma as pg
from builders import D, at, base_programme, contract, series
from programma import (
    Advance,
    AdvanceFinancing,
    Decision,
    Enrolment,
    EnrolmentWindow,
    Gate,
    GateCondition,
    Initiative,
    InvestorFinancing,
    OutcomeMetric,
    Prefinancing,
    Samples,
)

WORK = Initiative("work", "Work", "prov", 1200, D(2021, 1, 1), 3)
GROWTH = 1.12 ** (1 / 12)


def financed(financing: object, *, work: Initiative = WORK, **changes: object) -> pg.Programme:
    one = contract(initiatives=["work"], cap=16_000, financing=financing, **changes)
    return base_programme(initiatives=[work], contracts=[one])


class TestInvestorReturnCapBinds:
    """Drawn 400, 400, 200 (commitment 1,000); the rest of month 2's cost is own funds.

    The entitlement accrues at 12% a year, monthly: E₂ = 400g² + 400g + 200, g = 1.12^(1/12).
    In month 11 the €9,000 received covers no cost, so the investor takes E₁₁ = E₂·g⁹ (the cap
    binds) and the provider the rest; in month 14 the entitlement is spent: all to the provider.
    """

    @pytest.fixture
    def projection(self) -> pg.Projection:
        return pg.project(financed(InvestorFinancing("inv", 1000, return_cap=0.12)))

    def test_drawdown(self, projection: pg.Projection) -> None:
        """The shortfall is drawn up to the undrawn commitment."""
        assert np.allclose(
            at([0, 1, 2], [400, 400, 200]), series(projection, flow="investor_drawdown")
        )
        assert np.allclose(at([2], [200]), series(projection, flow="provider_own_funds"))

    def test_distribution_capped_by_entitlement(self, projection: pg.Projection) -> None:
        """The investor receives exactly its entitlement; the provider the surplus."""
        entitlement = (400 * GROWTH**2 + 400 * GROWTH + 200) * GROWTH**9
        assert np.allclose(
            at([11], [entitlement]), series(projection, flow="investor_distribution")
        )
        assert np.allclose(
            at([11, 14], [9000 - entitlement, 7000]), series(projection, flow="provider_receipt")
        )
        assert 1.0 == projection.scalars["investor/c/return_cap_bound"][0]

    def test_irr_equals_the_cap(self, projection: pg.Projection) -> None:
        """Repaid exactly at its entitlement, the investor earns the return cap: 12% a year."""
        assert pytest.approx(0.12, abs=1e-9) == projection.scalars["investor/c/irr"][0]
        entitlement = (400 * GROWTH**2 + 400 * GROWTH + 200) * GROWTH**9
        assert pytest.approx(entitlement / 1000) == projection.scalars["investor/c/multiple"][0]

    def test_cash_is_conserved(self, projection: pg.Projection) -> None:
        """Outcome payments = distributions + provider receipts, month by month."""
        paid = series(projection, flow="outcome_payment")
        split = series(projection, flow="investor_distribution") + series(
            projection, flow="provider_receipt"
        )
        assert np.allclose(paid, split)


class TestInvestorGuarantee:
    """Low outcomes (€50 a month): €150 in months 11 and 14 reach the investor.

    With 80% capital protection the guarantor pays 0.8 × 1,000 − 300 = €500 at settlement
    (month 23, the contract's end), from the guarantor's fund.
    """

    @pytest.fixture
    def projection(self) -> pg.Projection:
        metric = OutcomeMetric("job", "A job", 100, 0.15, baseline=0.1, time_to_outcome=6)
        financing = InvestorFinancing(
            "inv", 1000, 0.12, capital_protection=0.8, guarantor="guar", guarantor_fund="topup"
        )
        return pg.project(financed(financing, metrics=[metric]))

    def test_guarantee_at_settlement(self, projection: pg.Projection) -> None:
        """The guarantee tops up what was returned to 80% of what was drawn."""
        assert np.allclose(
            at([11, 14], [150, 150]), series(projection, flow="investor_distribution")
        )
        assert np.allclose(at([23], [500]), series(projection, flow="guarantee_payment"))
        key = next(k for k in projection.series if k.flow == "guarantee_payment")
        assert ("guar", "inv", "topup") == (key.payer, key.payee, key.fund)

    def test_multiple_and_irr(self, projection: pg.Projection) -> None:
        """Back 800 of 1,000: a multiple of 0.8 and an IRR of −13.53% a year.

        The investor's months 0–23: −400, −400, −200, then +150 (month 11), +150 (14) and
        +500 (23, the guarantee). The monthly rate solving the NPV is −1.2042% (numpy-
        financial and pyxirr agree: −0.0120420277): (1 − 0.0120420277)^12 − 1 = −13.5308%.
        """
        flows = at([0, 1, 2, 11, 14, 23], [-400, -400, -200, 150, 150, 500], length=24)
        monthly = npf.irr(flows)
        assert pytest.approx(-0.0120420277, abs=1e-10) == monthly
        assert pytest.approx(0.0, abs=1e-9) == npf.npv(monthly, flows)
        assert pytest.approx(0.8) == projection.scalars["investor/c/multiple"][0]
        assert (
            pytest.approx((1 + monthly) ** 12 - 1, abs=1e-9)
            == projection.scalars["investor/c/irr"][0]
        )
        assert pytest.approx(-0.135308, abs=1e-6) == projection.scalars["investor/c/irr"][0]
        assert 0.0 == projection.scalars["investor/c/return_cap_bound"][0]


class TestInvestorReceiptsFirst:
    """Receipts first cover the month's cost; no commitment means the rest is own funds."""

    def test_receipts_used(self) -> None:
        """In month 11 €400 of the €9,000 pays the cost; the provider receives all €9,000."""
        work = Initiative("work", "Work", "prov", 1200, D(2021, 11, 1), 3)  # months 10–12
        projection = pg.project(financed(InvestorFinancing("inv", 0, 0.12), work=work))
        assert np.allclose(at([11], [400]), series(projection, flow="receipts_used"))
        assert np.allclose(at([10, 12], [400, 400]), series(projection, flow="provider_own_funds"))
        assert np.allclose(at([11, 14], [9000, 7000]), series(projection, flow="provider_receipt"))
        assert 0 == series(projection, flow="investor_drawdown").sum()


class TestInvestorNothingDrawn:
    """An investor that draws nothing has no IRR or multiple, and its cap does not bind."""

    def test_no_figures(self, tmp_path: object) -> None:
        """NaN figures, counted as missing; JSON writes them as null."""
        projection = pg.project(financed(InvestorFinancing("inv", 0, 0.12)))
        assert np.isnan(projection.scalars["investor/c/irr"][0])
        assert 0.0 == projection.scalars["investor/c/return_cap_bound"][0]
        (investor,) = projection.summary().investors
        assert 1 == investor.irr.missing
        written = projection.to_json(tmp_path / "p.json")  # type: ignore[operator]
        assert "null" in written.read_text()


class TestInvestorNoDrawAfterEnd:
    """No draw-down after the contract's end: later costs are the provider's own."""

    def test_no_draw_after_end(self) -> None:
        """A cost in months 22–24 is drawn in 22–23 only (the contract ends in month 23)."""
        work = Initiative("work", "Work", "prov", 300, D(2022, 11, 1), 3)
        projection = pg.project(financed(InvestorFinancing("inv", 1000, 0.0), work=work))
        assert np.allclose(at([22, 23], [100, 100]), series(projection, flow="investor_drawdown"))
        assert np.allclose(at([24], [100]), series(projection, flow="provider_own_funds"))


class TestAdvances:
    """An advance of €20,000 in month 0 is offset against the dues of months 11 and 14."""

    def advances(self, unearned: str, amount: float = 20_000) -> pg.Projection:
        financing = AdvanceFinancing([Advance(D(2021, 1, 1), amount)], unearned=unearned)
        return pg.project(financed(financing))

    def test_offsets_then_cash(self) -> None:
        """A €5,000 advance offsets month 11's dues; the rest is paid in cash."""
        projection = self.advances("refund", 5_000)
        assert np.allclose(at([11], [5000]), series(projection, flow="advance_offset"))
        assert np.allclose(at([11, 14], [4000, 7000]), series(projection, flow="outcome_payment"))
        assert 0 == series(projection, flow="advance_refund").sum()

    def test_refund(self) -> None:
        """Dues of €16,000 are all offset; the unearned €4,000 is refunded at settlement."""
        projection = self.advances("refund")
        assert np.allclose(at([0], [20000]), series(projection, flow="advance"))
        assert np.allclose(at([11, 14], [9000, 7000]), series(projection, flow="advance_offset"))
        assert 0 == series(projection, flow="outcome_payment").sum()
        assert np.allclose(at([23], [4000]), series(projection, flow="advance_refund"))
        key = next(k for k in projection.series if k.flow == "advance_refund")
        assert ("prov", "city", "budget") == (key.payer, key.payee, key.fund)

    def test_forgiven(self) -> None:
        """Forgiven, the unearned €4,000 is a measure, not a cash flow."""
        projection = self.advances("forgive")
        assert np.allclose(at([23], [4000]), series(projection, flow="advance_forgiven"))
        assert not any(key.flow == "advance_refund" for key in projection.series)

    def test_costs_met_from_advances_first(self) -> None:
        """€500 arriving in month 1 pays month 1's €400 and €100 of month 2's."""
        financing = AdvanceFinancing([Advance(D(2021, 2, 1), 500)])
        projection = pg.project(financed(financing))
        assert np.allclose(at([1, 2], [400, 100]), series(projection, flow="advance_used"))
        assert np.allclose(at([0, 2], [400, 300]), series(projection, flow="provider_own_funds"))


class TestPrefinancing:
    """A partner pre-finances a 24-month pilot; a rate gate in month 12 decides on step-in.

    Scenario 0 achieves 10% (below the 30% target): enrolment and cost stop from month 12.
    Scenario 1 achieves 50%: the city steps in and repays half of the €1,200 pre-financed.
    """

    @pytest.fixture
    def projection(self) -> pg.Projection:
        work = Initiative("work", "Work", "prov", 2400, D(2021, 1, 1), 24)  # €100 a month
        metric = OutcomeMetric("job", "A job", 100, Samples([0.1, 0.5]), time_to_outcome=6)
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
            if_met=Decision("step-in"),
            if_not_met=Decision("stop"),
            contract="c",
        )
        return pg.project(
            base_programme(initiatives=[work], contracts=[pilot], gates=[gate]),
            scenarios=2,
            resolution="month",
        )

    def total(self, projection: pg.Projection, scenario: int, **criteria: str) -> np.ndarray:
        return projection.total(**criteria)[scenario]

    def test_partner_funds_before_the_gate(self, projection: pg.Projection) -> None:
        """In both scenarios the partner funds months 0–11."""
        for scenario in (0, 1):
            assert np.allclose(
                at(range(12), [100] * 12), self.total(projection, scenario, flow="prefinancing")
            )

    def test_gate_per_scenario(self, projection: pg.Projection) -> None:
        """The gate is met in scenario 1 only."""
        assert [0.0, 1.0] == projection.scalars["gate_met/go"].tolist()

    def test_stop(self, projection: pg.Projection) -> None:
        """Not met: cost and enrolment stop; enrolled cohorts stay payable."""
        assert 0 == self.total(projection, 0, flow="delivery_cost")[12:].sum()
        assert 0 == self.total(projection, 0, flow="step_in_funding").sum()
        # 12 months × 10 enrolled × 10% achieving × €100 = €1,200, paid by month 20's quarter.
        assert pytest.approx(1200) == self.total(projection, 0, flow="outcome_payment").sum()

    def test_step_in(self, projection: pg.Projection) -> None:
        """Met: the city funds months 12–23 and repays half the pre-financing in month 12."""
        assert np.allclose(
            at(range(12, 24), [100] * 12), self.total(projection, 1, flow="step_in_funding")
        )
        assert np.allclose(
            at([12], [600]), self.total(projection, 1, flow="prefinancing_repayment")
        )
        key = next(k for k in projection.series if k.flow == "prefinancing_repayment")
        assert ("city", "partner", "budget") == (key.payer, key.payee, key.fund)

    def test_no_gate_months_then_provider(self) -> None:
        """Without a gate the partner funds the first 2 months; the provider the rest."""
        projection = pg.project(financed(Prefinancing("partner", months=2)))
        assert np.allclose(at([0, 1], [400, 400]), series(projection, flow="prefinancing"))
        assert np.allclose(at([2], [400]), series(projection, flow="provider_own_funds"))
