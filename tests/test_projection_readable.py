"""What a projection makes readable: delivery costs, fund outflows and accruals, investors'
entitlements and gates' measures (DESIGN §4.5–4.8, §4.8.10).

Each case writes out its table: the expected numbers are worked out from the rules, never
taken from the engine's output.
"""

from __future__ import annotations

import csv
import json
import math

import attrs
import numpy as np
import pytest

import programma as pg
from builders import D, at, base_programme, contract, series
from programma import (
    Action,
    Advance,
    AdvanceFinancing,
    Decision,
    Enrolment,
    EnrolmentWindow,
    Fund,
    FundShare,
    Gate,
    GateCondition,
    GateMeasure,
    Initiative,
    InvestorFinancing,
    OutcomeMetric,
    PayerShare,
    Programme,
    SeriesKey,
)
from programma.analysis.coverage import coverage

ADVANCED = AdvanceFinancing([Advance(D(2021, 1, 1), 20_000)], unearned="refund")
"""€20,000 advanced in month 0; what is not earned by settlement is refunded."""


def work(**changes: object) -> Initiative:
    """€1,200 over months 1–3 (€400 a month), owned by the provider, paid 75/25 by two funds."""
    values: dict[str, object] = {
        "id": "work",
        "name": "Work",
        "owner": "prov",
        "commitment": 1200,
        "start": D(2021, 2, 1),
        "duration_months": 3,
        "funds": [FundShare("budget", 0.75), FundShare("topup", 0.25)],
    } | changes
    return Initiative(**values)  # type: ignore[arg-type]


class TestDeliveryCostOfEveryInitiative:
    """An initiative paid by grants has a delivery cost too, carried by its owner."""

    @pytest.fixture
    def projection(self) -> pg.Projection:
        return pg.project(base_programme(initiatives=[work()]), initiatives=True)

    def test_delivery_cost_by_month(self, projection: pg.Projection) -> None:
        """€400 a month in months 1–3: the whole cost, whatever funds pay it."""
        assert np.allclose(at([1, 2, 3], [400] * 3), series(projection, flow="delivery_cost"))

    def test_carried_by_the_owner(self, projection: pg.Projection) -> None:
        """The owner carries it (from the grants it receives) and delivers it; no fund named."""
        (key,) = [k for k in projection.series if k.flow == "delivery_cost"]
        assert SeriesKey("delivery_cost", "prov", "prov", initiative="work") == key

    def test_not_counted_in_fund_outflows(self, projection: pg.Projection) -> None:
        """The budget pays €300 a month in grants and nothing more: no double count."""
        assert np.allclose(at([1, 2, 3], [300] * 3), projection.outflow("budget")[0])
        assert np.allclose(at([1, 2, 3], [100] * 3), projection.outflow("topup")[0])
        assert np.allclose(
            at([1, 2, 3], [300] * 3), series(projection, fund="budget", flow="grant")
        )

    def test_budget_counted_once(self, projection: pg.Projection) -> None:
        """An initiative's budget in the coverage analysis is €1,200, not grants plus cost."""
        covered = coverage(projection.programme, projection)
        assert pytest.approx(1200) == covered.total.budget

    def test_contract_paid_initiative_unchanged(self) -> None:
        """An initiative a contract pays for keeps its delivery cost from the provider."""
        paid = work(funds=())
        deal = contract(initiatives=["work"])
        projection = pg.project(base_programme(initiatives=[paid], contracts=[deal]))
        (key,) = [k for k in projection.series if k.flow == "delivery_cost"]
        assert SeriesKey("delivery_cost", "prov", "prov", "c", "work") == key
        assert np.allclose(at([1, 2, 3], [400] * 3), series(projection, flow="delivery_cost"))


class TestFundOutflow:
    """A fund's cash outflow: grants, advances and outcome payments, less refunds (§4.8.10).

    The contract earns €3,000 a month in months 9–14 (see ``test_engine.TestWorkedExample``)
    and is due €9,000 in months 11 and 14; both are offset against the €20,000 advanced in
    month 0, so no outcome is paid in cash and €2,000 is refunded at settlement (month 23).
    The initiative's grants from the budget are €300 a month in months 1–3.

    | month | advance | grant | refund | outflow |
    |-------|---------|-------|--------|---------|
    | 0     | 20,000  |       |        | 20,000  |
    | 1–3   |         | 300   |        | 300     |
    | 23    |         |       | 2,000  | −2,000  |

    With €15,000 available in 2021 and €1,000 in 2022 (no carry-over), the budget gap is
    20,900 − 15,000 = 5,900 in FY2021, −2,000 − 1,000 = −3,000 in FY2022 and 0 in FY2023.
    """

    def programme(self) -> Programme:
        funds = [
            Fund("budget", "Budget", "municipal-budget", "city", {2021: 15_000, 2022: 1_000}),
            Fund("topup", "Top-up", "national-grant", "other"),
        ]
        return base_programme(
            initiatives=[work()], contracts=[contract(financing=ADVANCED)], funds=funds
        )

    def test_by_month(self) -> None:
        """The outflow month by month, the refund counting against it."""
        projection = pg.project(self.programme())
        expected = at([0, 1, 2, 3, 23], [20_000, 300, 300, 300, -2_000])
        assert np.allclose(expected, projection.outflow("budget")[0])

    def test_gap_is_outflow_less_budget(self) -> None:
        """Per fiscal year, outflow − available budget = budget_gap (5,900; −3,000; 0)."""
        yearly = pg.project(self.programme()).by("fiscal_year")
        gap = yearly.total(flow="budget_gap", fund="budget")
        assert np.allclose([[5_900, -3_000, 0]], gap)
        assert np.allclose(
            gap, yearly.outflow("budget") - yearly.total(flow="budget", fund="budget")
        )

    @pytest.mark.parametrize("resolution", ["quarter", "fiscal_year"])
    def test_kept_at_any_resolution(self, resolution: str) -> None:
        """Kept at a coarser resolution, the outflow is its months' sum."""
        projection = pg.project(self.programme(), resolution=resolution)  # type: ignore[arg-type]
        expected = {
            "quarter": at([0, 1, 7], [20_600, 300, -2_000], length=12),
            "fiscal_year": at([0, 1], [20_900, -2_000], length=3),
        }
        assert np.allclose(expected[resolution], projection.outflow("budget")[0])

    def test_identity_in_monte_carlo(self) -> None:
        """Outflow − budget = budget_gap in every scenario of an uncertain programme."""
        uncertain = work(commitment=pg.Uniform(1_000, 30_000))
        p = attrs.evolve(self.programme(), initiatives=(uncertain,))
        projection = pg.project(p, scenarios=20, seed=3)
        for fund in ("budget", "topup"):
            outflow = projection.outflow(fund) - projection.total(flow="budget", fund=fund)
            assert np.allclose(projection.total(flow="budget_gap", fund=fund), outflow)

    def test_unknown_fund(self) -> None:
        """A fund the projection has no outflow of is refused, naming the known ones."""
        projection = pg.project(self.programme())
        with pytest.raises(ValueError, match=r"fund: expected one .*'budget', 'topup'.*got 'x'"):
            projection.outflow("x")

    def test_in_exports(self, tmp_path) -> None:
        """The outflow is a series of the CSV and JSON files."""
        projection = pg.project(self.programme())
        data = json.loads(projection.to_json(tmp_path / "p.json").read_text())
        (row,) = [
            s for s in data["series"] if s["flow"] == "fund_outflow" and s["fund"] == "budget"
        ]
        assert pytest.approx(-2_000, rel=1e-12) == row["values"][0][23]
        with projection.to_csv(tmp_path / "p.csv").open(newline="") as stream:
            rows = [r for r in csv.DictReader(stream) if r["flow"] == "fund_outflow"]
        refund = [r for r in rows if r["period"] == "2022-12" and r["fund"] == "budget"]
        assert [pytest.approx(-2_000, rel=1e-12)] == [float(r["value"]) for r in refund]


class TestFundEarned:
    """A fund's earned: its payers' shares of earned_capped, before fiscal-year caps (§4.8.10).

    The contract earns €3,000 a month in months 9–14. The city pays 60% from the budget, capped
    at €2,000 in FY2021 (forfeit); the other payer 40% from the top-up. The city is due 5,400
    in months 11 and 14: it pays 2,000 in month 11 (3,400 forfeited) and 5,400 in month 14.
    Earned is unaffected by the cap: 1,800 and 1,200 a month in months 9–14.
    """

    @pytest.fixture
    def projection(self) -> pg.Projection:
        payers = [
            PayerShare("city", "budget", 0.6, fiscal_year_caps={2021: 2_000}),
            PayerShare("other", "topup", 0.4),
        ]
        return pg.project(base_programme(contracts=[contract(payers=payers)]))

    def test_by_month(self, projection: pg.Projection) -> None:
        """€1,800 and €1,200 a month in months 9–14, at verification."""
        assert np.allclose(at(range(9, 15), [1_800] * 6), projection.earned("budget")[0])
        assert np.allclose(at(range(9, 15), [1_200] * 6), projection.earned("topup")[0])

    def test_before_fiscal_year_caps(self, projection: pg.Projection) -> None:
        """The city's cash is cut by its cap (2,000 then 5,400); what it earned is not."""
        paid = series(projection, flow="outcome_payment", fund="budget")
        assert np.allclose(at([11, 14], [2_000, 5_400]), paid)
        assert np.allclose(at([11], [3_400]), series(projection, flow="cap_forfeited"))

    def test_in_summary(self, projection: pg.Projection) -> None:
        """The summary shows each fund's earned per fiscal year: 5,400 and 5,400 of the budget."""
        summary = projection.summary()
        earned = {(f.fund, f.year): f.earned.mean for f in summary.funds}
        assert pytest.approx(5_400) == earned["budget", "FY2021"]
        assert pytest.approx(5_400) == earned["budget", "FY2022"]
        assert pytest.approx(3_600) == earned["topup", "FY2022"]


GROWTH = 1.12 ** (1 / 12)
"""A 12% annual return cap, monthly: (1 + r)^(1/12)."""


class TestInvestorEntitlement:
    """E ← E·(1+r)^(1/12) + drawdown each month, less distributions (§4.5).

    The initiative costs €1,000 in each of months 0 and 1, drawn from the investor (nothing is
    received yet). 10 enrol in month 0; 3 payable outcomes at €1,000 reach their time in
    month 2, are verified in month 3 and paid that month: €3,000. With g = 1.12^(1/12):

    | month | draw  | E before | distribution   | E after       |
    |-------|-------|----------|----------------|---------------|
    | 0     | 1,000 | 1,000    | 0              | 1,000         |
    | 1     | 1,000 | 1,000g + 1,000 = 2,009.4888 | 0 | 2,009.4888 |
    | 2     | 0     | 1,000g² + 1,000g = 2,028.5564 | 0 | 2,028.5564 |
    | 3     | 0     | 1,000g³ + 1,000g² = 2,047.8050 | 2,047.8050 | 0 |

    The cap binds: €3,000 came in and only €2,047.80 went to the investor. The contract ends
    in month 5 (settlement); the entitlement is 0 from month 3 on.
    """

    def programme(self, price: float = 1_000) -> Programme:
        paid = work(start=D(2021, 1, 1), commitment=2_000, duration_months=2, funds=())
        deal = contract(
            initiatives=["work"],
            duration_months=6,
            end=None,
            enrolment=Enrolment([EnrolmentWindow(D(2021, 1, 1), 1, per_month=10)]),
            metrics=[
                OutcomeMetric(
                    "job",
                    "A job",
                    price=price,
                    share_achieving=0.4,
                    baseline=0.1,
                    time_to_outcome=2,
                )
            ],
            verification_lag_months=1,
            payment_schedule="monthly",
            financing=InvestorFinancing("inv", 5_000, 0.12),
        )
        return base_programme(initiatives=[paid], contracts=[deal])

    def test_path_by_month(self) -> None:
        """The path follows the formula month by month, and the cap binds."""
        projection = pg.project(self.programme())
        e1 = 1_000 * GROWTH + 1_000
        e2 = e1 * GROWTH
        assert pytest.approx(2_009.4888, abs=1e-4) == e1  # the hand figures of the table
        assert pytest.approx(2_028.5564, abs=1e-4) == e2
        assert np.allclose(at([0, 1, 2], [1_000, e1, e2]), projection.entitlement("c")[0])
        distributed = series(projection, flow="investor_distribution")
        assert np.allclose(at([3], [e2 * GROWTH]), distributed)
        assert 1.0 == projection.scalars["investor/c/return_cap_bound"][0]

    def test_lapses_after_settlement(self) -> None:
        """With nothing paid, E grows at the cap to settlement (month 5), then lapses."""
        projection = pg.project(self.programme(price=0))
        path = [1_000 * GROWTH**m + (1_000 * GROWTH ** (m - 1) if m >= 1 else 0) for m in range(6)]
        assert np.allclose(at(range(6), path), projection.entitlement("c")[0])

    def test_kept_at_the_end_of_each_period(self) -> None:
        """By quarter, each quarter holds its last month's balance, however it is regrouped."""
        price0 = self.programme(price=0)
        quarterly = pg.project(price0, resolution="quarter")
        monthly = pg.project(price0)
        e2 = 1_000 * GROWTH**2 + 1_000 * GROWTH
        e5 = e2 * GROWTH**3
        expected = at([0, 1], [e2, e5], length=12)
        assert np.allclose(expected, quarterly.entitlement("c")[0])
        assert np.allclose(expected, monthly.by("quarter").entitlement("c")[0])
        assert np.allclose(at([0], [0.0], length=3), monthly.by("year").entitlement("c")[0])

    def test_only_for_investors(self) -> None:
        """A contract without an investor has no entitlement."""
        projection = pg.project(base_programme(contracts=[contract()]))
        with pytest.raises(ValueError, match=r"contract: expected one .*\(none\), got 'c'"):
            projection.entitlement("c")


def gated(measure: GateMeasure, target: float, month: int = 11) -> Programme:
    """The worked contract with a gate on it in ``month`` (continue either way)."""
    condition = GateCondition("c", "job", measure, target)
    gate = Gate(
        "g",
        D(2021 + month // 12, month % 12 + 1, 1),
        condition,
        Decision(Action.CONTINUE),
        Decision(Action.CONTINUE),
        contract="c",
    )
    return base_programme(contracts=[contract()], gates=[gate])


class TestGateMeasure:
    """What a gate's condition measured (§4.6, §4.8.7).

    10 enrol a month in months 0–5 and reach their outcome 6 months later (months 6–11), 40%
    achieving; verified 3 months on. By a gate in month 11, outcomes of months 6–8 are
    verified: a cohort of 30, 12 achieved, a rate of 12 / 30 = 0.4.
    """

    @pytest.mark.parametrize(
        ("measure", "target", "value", "met"),
        [
            (GateMeasure.COUNT, 10, 12.0, 1.0),
            (GateMeasure.COUNT, 15, 12.0, 0.0),
            (GateMeasure.RATE, 0.35, 0.4, 1.0),
            (GateMeasure.RATE, 0.5, 0.4, 0.0),
        ],
    )
    def test_count_and_rate(
        self, measure: GateMeasure, target: float, value: float, met: float
    ) -> None:
        """The count is 12 and the rate 0.4, whether the target is met or not."""
        projection = pg.project(gated(measure, target))
        assert [pytest.approx(value)] == projection.gate_measure("g").tolist()
        assert [met] == projection.scalars["gate_met/g"].tolist()

    def test_nothing_verified(self) -> None:
        """A rate with nothing verified (a gate in month 5) has no value: NaN, not met."""
        projection = pg.project(gated(GateMeasure.RATE, 0.0, month=5))
        assert math.isnan(projection.gate_measure("g")[0])
        assert [0.0] == projection.scalars["gate_met/g"].tolist()
        assert [None] == projection.to_dict()["scalars"]["gate_measure/g"]

    def test_in_summary(self) -> None:
        """The summary gives the measure's spread per gate."""
        summary = pg.project(gated(GateMeasure.COUNT, 10)).summary()
        assert pytest.approx(12.0) == summary.gate_measures["g"].mean
        assert "measure mean" in str(summary)

    def test_unknown_gate(self) -> None:
        """A gate the programme does not have is refused, naming those it has."""
        projection = pg.project(gated(GateMeasure.COUNT, 10))
        with pytest.raises(ValueError, match=r"gate: expected one of 'g', got 'h'"):
            projection.gate_measure("h")


class TestMemoryEstimate:
    """The memory estimate counts the series added here (§4.7)."""

    def test_series_counted(self) -> None:
        """Two grants, the delivery cost, the unpaid cost; per fund 4 series: 12 in all."""
        with pytest.raises(pg.MemoryBudgetError, match=r"× 36 month periods × 12 series"):
            pg.project(base_programme(initiatives=[work()]), max_memory=1)
