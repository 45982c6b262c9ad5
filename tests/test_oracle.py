"""The engine against a plain reference implementation of its rules, value by value.

Each programme is projected at monthly resolution and recomputed by :func:`oracle.oracle` from
the same draws; every series must exist in both and agree in every scenario and month.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import Phase, event, given, settings
from hypothesis import strategies as st

from oracle import Figures, oracle, run
from profiles import examples
from programma import (
    Action,
    Advance,
    AdvanceFinancing,
    Beta,
    CapExcess,
    Comparison,
    CostProfile,
    Decision,
    Distribution,
    Enrolment,
    EnrolmentWindow,
    Fund,
    FundKind,
    FundShare,
    Gate,
    GateCondition,
    GateMeasure,
    Initiative,
    InvestorFinancing,
    LogNormal,
    Normal,
    OutcomeContract,
    OutcomeMetric,
    Parameter,
    PayerShare,
    Pert,
    Poisson,
    Prefinancing,
    Programme,
    Projection,
    ProviderFinancing,
    Ref,
    Samples,
    Schedule,
    SeriesKey,
    Stakeholder,
    StakeholderKind,
    Triangular,
    UnearnedAdvance,
    Uniform,
    Yearly,
    project,
)
from programma.examples import leeuwarden_oost
from strategies import hard_programmes, programmes

REL_TOL = 1e-9
ABS_TOL = 1e-6
IRR_TOL = 1e-8
START = dt.date(2021, 1, 1)
SCENARIOS = 3
SEED = 7


# -- comparing -------------------------------------------------------------------------------------


def mismatches(
    programme: Programme, scenarios: int | None = None, seed: int = 0, limit: int = 12
) -> list[str]:
    """Where the engine and the oracle disagree (at most ``limit`` places), as readable lines.

    Twice: with every initiative in series of its own, against the oracle's series; and as
    projected by default, against the oracle's initiative series summed per fund and area.
    """
    reference = run(programme, scenarios=scenarios, seed=seed)
    found: list[str] = []
    for individually in (True, False):
        projection = project(
            programme, scenarios=scenarios, seed=seed, resolution="month", initiatives=individually
        )
        expected = reference.series if individually else summed(programme, reference.series)
        found += _series_mismatches(projection, expected)
    found += figure_mismatches(reference.figures, projection.scalars, projection)
    return found[:limit]


def summed(programme: Programme, series: Mapping[SeriesKey, Any]) -> dict[SeriesKey, Any]:
    """The oracle's initiative series summed per fund and area, as DESIGN §4.7 keeps them.

    An initiative's grant, delivery cost (when no contract pays for it) and cost past the
    horizon go to the series of each of its areas, an equal share each, or to the series with
    no area when it has none.
    """
    areas = {i.id: i.areas for i in programme.initiatives}
    out: dict[SeriesKey, Any] = {}
    for key, rows in series.items():
        values = np.asarray(rows, dtype=float)
        if key.initiative and not key.contract:
            where = areas[key.initiative] or ("",)
            for area in where:
                target = attrs.evolve(key, initiative="", area=area)
                out[target] = out.get(target, 0.0) + values / len(where)
        else:
            out[key] = values
    return out


def _series_mismatches(projection: Projection, expected: Mapping[SeriesKey, Any]) -> list[str]:
    found: list[str] = []
    missing = sorted(set(expected) - set(projection.series))
    extra = sorted(set(projection.series) - set(expected))
    found += [f"no series {key}" for key in missing]
    found += [f"unexpected series {key}" for key in extra]
    for n, key in enumerate(projection.series):
        if key not in expected:
            continue
        for s, row in enumerate(expected[key]):
            for m, want in enumerate(row):
                got = float(projection.values[s, m, n])
                if not math.isclose(want, got, rel_tol=REL_TOL, abs_tol=ABS_TOL):
                    found.append(f"{key} scenario {s} month {m}: oracle {want!r}, engine {got!r}")
    return found


def figure_mismatches(
    expected: Figures, scalars: Mapping[str, np.ndarray], projection: Projection
) -> list[str]:
    """Where the per-scenario figures the oracle states differ from the engine's.

    NaN (no investment) must match NaN. Where the oracle cannot state an IRR (None: flows
    that change sign more than once and have no rate numpy-financial finds), the engine's
    must be NaN or a rate that makes the NPV of the investor's flows zero.
    """
    found = [f"no figure {name}" for name in sorted(set(expected) - set(scalars))]
    for name, values in expected.items():
        if name not in scalars:
            continue
        tolerance = IRR_TOL if name.endswith("/irr") else ABS_TOL
        for s, want in enumerate(values):
            got = float(scalars[name][s])
            if want is None:
                if not (math.isnan(got) or solves(got, investor_flows(projection, name, s))):
                    found.append(f"{name} scenario {s}: engine {got!r} solves no NPV")
                continue
            if math.isnan(want) and math.isnan(got):
                continue
            if not math.isclose(want, got, rel_tol=REL_TOL, abs_tol=tolerance):
                found.append(f"{name} scenario {s}: oracle {want!r}, engine {got!r}")
    return found


def investor_flows(projection: Projection, name: str, scenario: int) -> np.ndarray:
    """The investor's monthly flows (in positive) of the contract a figure ``name`` is of."""
    contract = name.split("/")[1]
    back = sum(
        projection.total(flow=flow, contract=contract)[scenario]
        for flow in ("investor_distribution", "guarantee_payment")
    )
    return np.asarray(
        back - projection.total(flow="investor_drawdown", contract=contract)[scenario]
    )


def solves(annual: float, flows: np.ndarray) -> bool:
    """Whether an annual rate makes the NPV of monthly ``flows`` zero, relative to their size."""
    growth = (1.0 + annual) ** (1.0 / 12.0)
    nonzero = np.flatnonzero(flows)
    if growth <= 0 or nonzero.size == 0:
        return False
    # Discount to the last flow (no overflow near −100%), then compare with the flows' size.
    times = nonzero[-1] - np.arange(flows.size)
    terms = flows * growth**times
    return abs(math.fsum(terms)) <= 1e-8 * math.fsum(np.abs(terms))


def assert_agree(programme: Programme, scenarios: int | None = None, seed: int = 0) -> None:
    """The engine and the oracle give the same series, in every scenario and month."""
    assert [] == mismatches(programme, scenarios, seed)


def oracle_total(programme: Programme, flow: str, scenarios: int | None = None) -> float:
    """The oracle's total of every series of ``flow``, over every scenario (expected mode by
    default) and month."""
    series = oracle(programme, scenarios=scenarios, seed=SEED)
    return math.fsum(x for key, rows in series.items() if key.flow == flow for r in rows for x in r)


def assert_cap_binds(programme: Programme) -> None:
    """Some cap cuts what was earned (so that the comparison exercises it)."""
    assert oracle_total(programme, "earned_capped") < oracle_total(programme, "earned") - 1


MODES = [
    pytest.param(None, id="expected"),
    pytest.param(SCENARIOS, id="monte-carlo"),
]


# -- building small programmes ---------------------------------------------------------------------


def month(index: int) -> dt.date:
    """The first of the month ``index`` months after START."""
    absolute = START.year * 12 + START.month - 1 + index
    return dt.date(absolute // 12, absolute % 12 + 1, 1)


def metric(**changes: Any) -> OutcomeMetric:
    """An outcome metric: 1,000 per outcome, half the cohort achieving after 3 months."""
    fields: dict[str, Any] = {
        "id": "job",
        "definition": "Paid work for six months",
        "price": 1_000,
        "share_achieving": 0.5,
        "time_to_outcome": 3,
    }
    return OutcomeMetric(**(fields | changes))


def window(start: int = 0, months: int = 6, **size: Any) -> EnrolmentWindow:
    """An enrolment window of 10 a month unless a size is given."""
    return EnrolmentWindow(month(start), months, **(size or {"per_month": 10}))


def contract(**changes: Any) -> OutcomeContract:
    """A one-year contract paying monthly from one payer, enrolling 10 a month for 6 months."""
    fields: dict[str, Any] = {
        "id": "werkfit",
        "name": "Werkfit",
        "provider": "provider",
        "start": START,
        "duration_months": 12,
        "enrolment": Enrolment([window()]),
        "metrics": [metric()],
        "payers": [PayerShare("gemeente", "budget", 1.0)],
        "payment_schedule": Schedule.MONTHLY,
    }
    return OutcomeContract(**(fields | changes))


def initiative(**changes: Any) -> Initiative:
    """An initiative of 120,000 over 12 months from month 2, paid by the budget."""
    fields: dict[str, Any] = {
        "id": "wijkteam",
        "name": "Wijkteam",
        "owner": "provider",
        "commitment": 120_000,
        "start": month(2),
        "duration_months": 12,
        "funds": [FundShare("budget", 1.0)],
    }
    return Initiative(**(fields | changes))


def programme(
    *,
    initiatives: tuple[Initiative, ...] = (),
    contracts: tuple[OutcomeContract, ...] = (),
    parameters: tuple[Parameter, ...] = (),
    **changes: Any,
) -> Programme:
    """A three-year programme from START with a municipality, a provider and a funder."""
    fields: dict[str, Any] = {
        "id": "p",
        "name": "Programme",
        "currency": "EUR",
        "start": START,
        "horizon_years": 3,
        "stakeholders": [
            Stakeholder("gemeente", "Gemeente", StakeholderKind.MUNICIPALITY),
            Stakeholder("provider", "Provider", StakeholderKind.PROVIDER),
            Stakeholder("rijk", "Rijk", StakeholderKind.FUNDER),
        ],
        "funds": [
            Fund("budget", "Budget", FundKind.MUNICIPAL_BUDGET, "gemeente"),
            Fund("grants", "Grants", FundKind.NATIONAL_GRANT, "rijk"),
        ],
        "parameters": parameters,
        "initiatives": initiatives,
        "contracts": contracts,
    }
    return Programme(**(fields | changes))


def paid_for(**changes: Any) -> Programme:
    """A contract that pays for one initiative (no funds), with the given contract fields."""
    work = initiative(funds=())
    return programme(initiatives=(work,), contracts=(contract(initiatives=[work.id], **changes),))


def with_metric(**changes: Any) -> Programme:
    """The default contract with one metric changed."""
    return programme(contracts=(contract(metrics=[metric(**changes)]),))


# -- the oracle itself -----------------------------------------------------------------------------


class TestOracle:
    """The reference implementation gives hand-computed figures in simple cases."""

    def test_flat_grant(self):
        """A flat 120,000 over 12 months from month 2 is 10,000 a month."""
        series = oracle(programme(initiatives=(initiative(),)))
        (key,) = [key for key in series if key.flow == "grant"]
        assert [0.0] * 2 + [10_000.0] * 12 + [0.0] * 22 == series[key][0]

    def test_fractional_delay(self):
        """A delay of 0.5 splits each month's cost over two months."""
        series = oracle(programme(initiatives=(initiative(duration_months=2, delay=0.5),)))
        (key,) = [key for key in series if key.flow == "grant"]
        assert [0.0, 0.0, 30_000.0, 60_000.0, 30_000.0] == series[key][0][:5]

    def test_cohort_shift(self):
        """A fixed time to outcome of 3 months shifts achieved outcomes by 3 months."""
        series = oracle(programme(contracts=(contract(),)))
        (key,) = [key for key in series if key.flow == "outcomes_achieved"]
        assert [0.0] * 3 + [5.0] * 6 + [0.0] * 27 == series[key][0]

    def test_quarterly_payment(self):
        """Quarterly payments gather what was verified in each calendar quarter."""
        series = oracle(programme(contracts=(contract(payment_schedule=Schedule.QUARTERLY),)))
        (key,) = [key for key in series if key.flow == "outcome_payment"]
        assert [0.0, 15_000.0, 15_000.0, 0.0] == [series[key][0][m] for m in (2, 5, 8, 11)]

    def test_lump_past_horizon(self):
        """Outcomes reached past the horizon are counted in the last month."""
        late = programme(contracts=(contract(metrics=[metric(time_to_outcome=40)]),))
        series = oracle(late)
        (key,) = [key for key in series if key.flow == "outcomes_achieved"]
        assert 30.0 == series[key][0][-1]


# -- the shipped example ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> Programme:
    """The shipped example."""
    return leeuwarden_oost()


class TestLeeuwardenOost:
    """The shipped example, with every financing mode and its gates."""

    def test_expected(self, example):
        """Expected mode agrees in every series and month."""
        assert_agree(example)

    def test_monte_carlo(self, example):
        """A few Monte Carlo scenarios agree in every series and month."""
        assert_agree(example, SCENARIOS, SEED)


# -- costs -----------------------------------------------------------------------------------------


class TestCosts:
    """Initiative costs by profile, delay, overrun and funds (§4.2, §4.8.1)."""

    @pytest.mark.parametrize(
        ("profile", "weights"),
        [
            (CostProfile.FLAT, None),
            (CostProfile.FRONT_LOADED, None),
            (CostProfile.S_CURVE, None),
            (CostProfile.EXPLICIT, (0.5, 0.0, 0.25, 0.125, 0.125)),
        ],
    )
    @pytest.mark.parametrize("delay", [0, 2, 2.5, 0.25, Poisson(1.5), Uniform(0, 3)])
    @pytest.mark.parametrize("scenarios", MODES)
    def test_profiles_and_delays(self, profile, weights, delay, scenarios):
        """Every profile with whole, fractional and uncertain delays."""
        work = initiative(
            duration_months=5, cost_profile=profile, cost_weights=weights, delay=delay
        )
        assert_agree(programme(initiatives=(work,)), scenarios, SEED)

    @pytest.mark.parametrize("duration", [1, 2, 7, 36])
    def test_durations(self, duration):
        """Short and long durations spread the commitment over every month."""
        works = tuple(
            initiative(id=f"i{p.value}", duration_months=duration, cost_profile=p)
            for p in (CostProfile.FLAT, CostProfile.FRONT_LOADED, CostProfile.S_CURVE)
        )
        assert_agree(programme(initiatives=works, horizon_years=4))

    @pytest.mark.parametrize("scenarios", MODES)
    def test_uncertain_commitment_and_overrun(self, scenarios):
        """An uncertain commitment and overrun scale every month's cost."""
        work = initiative(commitment=Pert(80_000, 100_000, 160_000), overrun=Uniform(0.9, 1.4))
        assert_agree(programme(initiatives=(work,)), scenarios, SEED)

    def test_grants_by_share(self):
        """Two funds of different owners each grant their share."""
        work = initiative(funds=[FundShare("budget", 0.25), FundShare("grants", 0.75)])
        assert_agree(programme(initiatives=(work,)))

    @pytest.mark.parametrize("delay", [0, 3, 4.5, 15, Poisson(6)])
    @pytest.mark.parametrize("scenarios", MODES)
    def test_past_horizon(self, delay, scenarios):
        """Cost that a delay pushes past the horizon is unpaid after the end."""
        work = initiative(start=month(30), duration_months=6, delay=delay, indexation=0.05)
        assert_agree(programme(initiatives=(work,)), scenarios, SEED)

    @pytest.mark.parametrize("scenarios", MODES)
    def test_delivery_cost(self, scenarios):
        """A contract's provider carries the cost of the initiative it pays for."""
        work = initiative(funds=(), delay=Triangular(0, 1, 4), indexation=0.03)
        deal = contract(initiatives=[work.id])
        assert_agree(programme(initiatives=(work,), contracts=(deal,)), scenarios, SEED)

    def test_contract_without_initiatives(self):
        """A contract that pays for no initiative has no delivery cost."""
        assert_agree(programme(contracts=(contract(),)))


# -- indexation ------------------------------------------------------------------------------------


class TestIndexation:
    """Prices and costs indexed once per fiscal year from the price base (§4.8.9)."""

    @pytest.mark.parametrize("base", [None, month(14), month(-13), month(35)])
    @pytest.mark.parametrize("fiscal_start", [1, 4, 10])
    def test_constant_rate(self, base, fiscal_start):
        """A constant rate from any price base, with any fiscal year."""
        work = initiative(duration_months=30, indexation=0.04)
        deal = contract(
            metrics=[metric(indexation=0.1)], verification_lag_months=5, duration_months=30
        )
        p = programme(
            initiatives=(work,),
            contracts=(deal,),
            price_base_date=base,
            fiscal_year_start_month=fiscal_start,
        )
        assert_agree(p)

    @pytest.mark.parametrize("scenarios", MODES)
    def test_yearly_path(self, scenarios):
        """A yearly path of rates, some uncertain, applies year by year."""
        path = Yearly({2021: 0.02, 2022: Uniform(0.0, 0.08), 2023: Normal(0.03, 0.01, low=-0.5)})
        work = initiative(duration_months=30, indexation=path)
        deal = contract(metrics=[metric(indexation=path)], verification_lag_months=2)
        p = programme(initiatives=(work,), contracts=(deal,), price_base_date=month(18))
        assert_agree(p, scenarios, SEED)

    @pytest.mark.parametrize("scenarios", MODES)
    def test_shared_yearly_parameter(self, scenarios):
        """A reference to a yearly parameter sees the same rate in both fields."""
        inflation = Parameter("inflation", Yearly({2021: 0.02, 2022: Uniform(0.01, 0.05)}))
        work = initiative(duration_months=30, indexation=Ref("inflation"))
        deal = contract(metrics=[metric(indexation=Ref("inflation", factor=0.5, offset=0.01))])
        p = programme(initiatives=(work,), contracts=(deal,), parameters=(inflation,))
        assert_agree(p, scenarios, SEED)

    def test_negative_rate(self):
        """A falling price level lowers later costs."""
        work = initiative(duration_months=30, indexation=-0.5)
        assert_agree(programme(initiatives=(work,), price_base_date=month(20)))


# -- enrolment and outcomes ------------------------------------------------------------------------


TIMES: list[Distribution | float] = [
    0,
    3,
    2.7,
    Uniform(1, 5),
    Uniform(2.5, 2.5),
    Triangular(0, 2, 8),
    Triangular(4, 4, 4),
    Pert(1, 3, 9),
    Pert(2, 2, 2),
    Normal(4, 2, low=0),
    Normal(4, 1, low=0.5, high=6.5),
    Normal(3.5, 0, low=0),
    LogNormal(1.5, 0.5),
    LogNormal(1.2, 0),
    LogNormal(0, 1e-9),
    LogNormal(1e-200, 1e-210),
    Normal(2, 1e-9, low=0),
    Beta(2, 3, low=0, high=10),
    Beta(0.5, 0.5),
    Poisson(4),
    Poisson(0.3),
    Poisson(0),
    Ref("wait"),
    Ref("wait", factor=0.5, offset=1),
    Samples([1, 4.5, 9]),
]


class TestTimeToOutcome:
    """The cohort reaching its outcome month, from each kind of distribution (§4.8.1)."""

    @pytest.mark.parametrize("time", TIMES, ids=repr)
    @pytest.mark.parametrize("scenarios", MODES)
    def test_each_kind(self, time, scenarios):
        """Every kind of distribution, degenerate ones included, spreads the cohort."""
        wait = Parameter("wait", Uniform(0, 10))
        deal = contract(metrics=[metric(time_to_outcome=time)], verification_lag_months=2)
        assert_agree(programme(contracts=(deal,), parameters=(wait,)), scenarios, SEED)

    @pytest.mark.parametrize("time", [30, 47.5, LogNormal(3, 1), Uniform(20, 60)], ids=repr)
    @pytest.mark.parametrize("scenarios", MODES)
    def test_past_horizon(self, time, scenarios):
        """Outcomes reached past the horizon are lumped into the last month."""
        deal = contract(
            start=month(12),
            enrolment=Enrolment([window(12, 12)]),
            metrics=[metric(time_to_outcome=time)],
            verification_lag_months=3,
            run_off_months=12,
        )
        assert_agree(programme(contracts=(deal,)), scenarios, SEED)


class TestEnrolment:
    """Participants enrolled by windows, optionally with Poisson noise (§4.3)."""

    @pytest.mark.parametrize("scenarios", MODES)
    def test_windows(self, scenarios):
        """Overlapping windows, per month and as totals, add up."""
        windows = [
            window(0, 6, per_month=Uniform(5, 15)),
            window(3, 4, total=Triangular(20, 40, 80)),
            window(10, 1, total=7),
        ]
        deal = contract(
            enrolment=Enrolment(windows), metrics=[metric(time_to_outcome=Pert(0, 2, 5))]
        )
        assert_agree(programme(contracts=(deal,)), scenarios, SEED)

    @pytest.mark.parametrize("scenarios", MODES)
    def test_poisson_noise(self, scenarios):
        """Poisson noise draws whole participants per month (none in expected mode)."""
        windows = [window(0, 6, per_month=Uniform(2, 6)), window(4, 5, total=12.5)]
        deal = contract(
            enrolment=Enrolment(windows, poisson=True),
            metrics=[metric(cap_per_participant=300)],
            cap_per_participant=450,
        )
        assert_agree(programme(contracts=(deal,)), scenarios, SEED)

    def test_many_scenarios(self):
        """More than a block of scenarios draws every block."""
        deal = contract(
            enrolment=Enrolment([window(0, 6, per_month=Uniform(2, 6))], poisson=True),
            metrics=[metric(share_achieving=Beta(2, 3), time_to_outcome=Uniform(0, 4))],
        )
        assert_agree(programme(contracts=(deal,), horizon_years=2), 260, SEED)


class TestThresholds:
    """Only improvement over the baseline that reaches the threshold is payable (§4.3)."""

    @pytest.mark.parametrize(
        ("share", "baseline", "threshold"),
        [
            (0.4, 0.1, 0.3),
            (0.3, 0.1, 0.2),
            (0.4, 0.1, 0.31),
            (0.1, 0.4, 0.0),
            (0.5, 0.5, 0.0),
            (0.5, 0.2, 0.0),
        ],
    )
    def test_fixed(self, share, baseline, threshold):
        """At, above and below the threshold, and a baseline above the share."""
        p = with_metric(share_achieving=share, baseline=baseline, threshold=threshold)
        assert_agree(p)

    @pytest.mark.parametrize("scenarios", MODES)
    def test_uncertain(self, scenarios):
        """Uncertain shares meet the threshold in some scenarios and not in others."""
        p = with_metric(
            share_achieving=Uniform(0.2, 0.6), baseline=Uniform(0.1, 0.3), threshold=0.2
        )
        assert_agree(p, scenarios, SEED)

    @pytest.mark.parametrize("scenarios", MODES)
    def test_shared_shock(self, scenarios):
        """Two metrics that refer to one parameter see the same draw."""
        shock = Parameter("shock", Normal(1.0, 0.2, low=0.5, high=1.5))
        metrics = [
            metric(id="job", share_achieving=Ref("shock", factor=0.25), threshold=0.25),
            metric(id="debt", share_achieving=Ref("shock", factor=0.5), price=Ref("shock")),
        ]
        p = programme(contracts=(contract(metrics=metrics),), parameters=(shock,))
        assert_agree(p, scenarios, SEED)


# -- caps ------------------------------------------------------------------------------------------


def two_metrics(**changes: Any) -> list[OutcomeMetric]:
    """A job metric and a debt metric, with different prices and times to outcome."""
    return [
        metric(id="job", **changes),
        metric(id="debt", price=600, share_achieving=0.7, time_to_outcome=Uniform(0, 6)),
    ]


class TestCaps:
    """Caps in order, each stage with its own running total, cuts lost for good (§4.8.3)."""

    @pytest.mark.parametrize(
        "changes",
        [
            {"cap_per_participant": 300},
            {"cap_per_participant": 0},
            {"cap_count": 12.5},
            {"cap_count": 0},
            {"cap_value": 17_000},
            {"cap_per_participant": 420, "cap_count": 20, "cap_value": 15_000},
            {"cap_count": 40, "cap_value": 9_000, "indexation": 0.2},
        ],
        ids=repr,
    )
    @pytest.mark.parametrize("lag", [0, 4])
    def test_metric_caps(self, changes, lag):
        """A metric's per-participant, count and value caps."""
        deal = contract(metrics=two_metrics(**changes), verification_lag_months=lag)
        p = programme(contracts=(deal,))
        assert_cap_binds(p)
        assert_agree(p)

    @pytest.mark.parametrize(
        "changes",
        [
            {"cap_per_participant": 500},
            {"cap": 20_000},
            {"cap": 0},
            {"cap_per_participant": 650, "cap": 30_000},
        ],
        ids=repr,
    )
    @pytest.mark.parametrize("lag", [0, 4])
    def test_contract_caps(self, changes, lag):
        """The contract's pooled per-participant cap and its overall cap, pro rata."""
        deal = contract(metrics=two_metrics(), verification_lag_months=lag, **changes)
        p = programme(contracts=(deal,))
        assert_cap_binds(p)
        assert_agree(p)

    def test_cut_lost_for_good(self):
        """A per-participant cut is not restored when later enrolment raises the limit.

        10 enrol in month 0 and 40 in month 12; half achieve at once; the price falls by 80%
        in 2022 (1,000 → 200), so the second cohort earns less per head than the caps allow.

        | month | enrolled (cum.) | earned | metric 200 × cum.: room, passes | contract 150 × cum. |
        |-------|-----------------|--------|---------------------------------|---------------------|
        | 0     | 10 (10)         | 5,000  | 2,000: 2,000, 2,000             | 1,500: passes 1,500 |
        | 12    | 40 (50)         | 4,000  | 10,000: 8,000, 4,000            | 7,500: 6,000, 4,000 |

        Restoring the cuts when the limits grow would pass min(9,000, 10,000) − 2,000 = 7,000 in
        month 12 at the metric stage (and 6,000 at the contract stage): more than was earned then.
        """
        windows = [window(0, 1, per_month=10), window(12, 1, per_month=40)]
        deal = contract(
            enrolment=Enrolment(windows),
            duration_months=24,
            metrics=[metric(time_to_outcome=0, cap_per_participant=200, indexation=-0.8)],
            cap_per_participant=150,
        )
        p = programme(contracts=(deal,))
        series = oracle(p)
        (capped,) = [key for key in series if key.flow == "earned_capped"]
        assert [1_500.0, 4_000.0] == pytest.approx([series[capped][0][m] for m in (0, 12)])
        assert 5_500.0 == pytest.approx(oracle_total(p, "earned_capped"))
        assert [3_000.0, 500.0] == pytest.approx(
            [
                figure(p, "cap_cut/werkfit/metric_per_participant")[0],
                figure(p, "cap_cut/werkfit/contract_per_participant")[0],
            ]
        )
        assert_agree(p)

    @pytest.mark.parametrize("scenarios", MODES)
    def test_every_stage(self, scenarios):
        """Every stage binds somewhere, with uncertain prices and shares."""
        metrics = [
            metric(
                id="job",
                price=Uniform(800, 1_600),
                share_achieving=Beta(4, 4),
                time_to_outcome=Poisson(2),
                cap_per_participant=500,
                cap_count=18,
            ),
            metric(
                id="debt",
                price=Triangular(300, 600, 900),
                share_achieving=0.8,
                time_to_outcome=Uniform(0, 9),
                cap_value=10_000,
                indexation=0.05,
            ),
        ]
        deal = contract(
            metrics=metrics,
            cap_per_participant=700,
            cap=25_000,
            verification_lag_months=3,
            enrolment=Enrolment([window(0, 6, per_month=Uniform(5, 15))], poisson=True),
        )
        assert_agree(programme(contracts=(deal,)), scenarios, SEED)

    def test_free_outcomes(self):
        """A price of 0 earns nothing, whatever the caps."""
        metrics = [metric(price=0, cap_per_participant=0, cap_count=5), metric(id="debt")]
        deal = contract(metrics=metrics, cap_per_participant=0)
        assert_agree(programme(contracts=(deal,)))


# -- payment timing --------------------------------------------------------------------------------


RULES = [
    "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1",
    "FREQ=MONTHLY;INTERVAL=2",
    "FREQ=YEARLY;BYMONTH=2",
    "FREQ=WEEKLY;INTERVAL=5",
    "FREQ=DAILY;INTERVAL=45",
    "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
    "FREQ=MONTHLY;COUNT=2",
]


class TestSchedules:
    """Verified value is paid in the first schedule month on or after verification (§4.4)."""

    @pytest.mark.parametrize(
        ("schedule", "rule"),
        [
            (Schedule.MONTHLY, None),
            (Schedule.QUARTERLY, None),
            (Schedule.YEARLY, None),
            *[(Schedule.RRULE, rule) for rule in RULES],
        ],
    )
    @pytest.mark.parametrize("fiscal_start", [1, 4])
    @pytest.mark.parametrize("start", [0, 4])
    def test_schedule(self, schedule, rule, fiscal_start, start):
        """Each preset and rule, for contracts starting in different months."""
        deal = contract(
            start=month(start),
            enrolment=Enrolment([window(start, 6)]),
            payment_schedule=schedule,
            payment_rrule=rule,
            verification_lag_months=2,
            run_off_months=6,
            metrics=[metric(time_to_outcome=Uniform(0, 12))],
        )
        p = programme(contracts=(deal,), fiscal_year_start_month=fiscal_start)
        assert_agree(p)

    @pytest.mark.parametrize("schedule", [Schedule.MONTHLY, Schedule.QUARTERLY, Schedule.YEARLY])
    @pytest.mark.parametrize("run_off", [0, 5, 24])  # 24: settled in the horizon's last month
    @pytest.mark.parametrize("lag", [0, 3])
    def test_run_off(self, schedule, run_off, lag):
        """Nothing is paid after the end plus run-off; what would be is unpaid after end."""
        deal = contract(
            payment_schedule=schedule,
            run_off_months=run_off,
            verification_lag_months=lag,
            metrics=[metric(time_to_outcome=Uniform(0, 24))],
        )
        assert_agree(programme(contracts=(deal,)))

    def test_contract_to_the_horizon(self):
        """A contract to the last month with a long lag pays nothing past the horizon."""
        deal = contract(
            start=month(24),
            duration_months=12,
            enrolment=Enrolment([window(24, 12)]),
            payment_schedule=Schedule.QUARTERLY,
            verification_lag_months=6,
            run_off_months=0,  # a run-off would settle it after the horizon (§4.8.2)
        )
        assert_agree(programme(contracts=(deal,)))

    def test_payers_share(self):
        """Each payer pays its share from its own fund."""
        payers = [PayerShare("gemeente", "budget", 0.6), PayerShare("rijk", "grants", 0.4)]
        assert_agree(programme(contracts=(contract(payers=payers),)))


class TestFiscalYearCaps:
    """Per-payer fiscal-year caps on the gross due, forfeiting or carrying the excess (§4.8.4)."""

    @pytest.mark.parametrize("excess", [CapExcess.FORFEIT, CapExcess.CARRY])
    @pytest.mark.parametrize(
        "caps",
        [{2021: 20_000}, {2021: 20_000, 2022: 5_000}, {2022: 0}, {2021: 0, 2022: 1_000}, {}],
        ids=repr,
    )
    @pytest.mark.parametrize("schedule", [Schedule.MONTHLY, Schedule.QUARTERLY, Schedule.YEARLY])
    def test_caps(self, excess, caps, schedule):
        """Caps that bind in some years, are missing in others, or are zero."""
        deal = contract(
            duration_months=24,
            enrolment=Enrolment([window(0, 18)]),
            payers=[
                PayerShare("gemeente", "budget", 0.7, fiscal_year_caps=caps, cap_excess=excess),
                PayerShare("rijk", "grants", 0.3, fiscal_year_caps={2022: 3_000}),
            ],
            payment_schedule=schedule,
            metrics=[metric(time_to_outcome=Uniform(0, 8))],
            run_off_months=3,
        )
        assert_agree(programme(contracts=(deal,)))

    @pytest.mark.parametrize(
        ("fiscal_start", "caps"),
        [
            (1, {2021: 1_000, 2022: 2_000, 2023: 500}),
            (7, {2020: 1_000, 2021: 1_000, 2022: 2_000, 2023: 500}),
        ],
    )
    def test_carry_forfeited_at_settlement(self, fiscal_start, caps):
        """What is still carried after the settlement month's payments is forfeited there."""
        payer = PayerShare(
            "gemeente", "budget", 1.0, fiscal_year_caps=caps, cap_excess=CapExcess.CARRY
        )
        deal = contract(payers=[payer], payment_schedule=Schedule.QUARTERLY, run_off_months=14)
        p = programme(contracts=(deal,), fiscal_year_start_month=fiscal_start)
        assert_agree(p)

    def test_carry_with_rule(self):
        """A carried excess joins the first rule month of a later fiscal year."""
        payer = PayerShare(
            "gemeente", "budget", 1.0, fiscal_year_caps={2021: 4_000}, cap_excess=CapExcess.CARRY
        )
        deal = contract(
            payers=[payer],
            payment_schedule=Schedule.RRULE,
            payment_rrule="FREQ=MONTHLY;INTERVAL=5",
            run_off_months=20,
        )
        assert_agree(programme(contracts=(deal,)))


# -- fund budgets ---------------------------------------------------------------------------------


class TestFundBudgets:
    """Per fund and fiscal year: the available budget and the gap to the outflow (§4.8.10)."""

    @pytest.mark.parametrize("carry_over", [False, True])
    @pytest.mark.parametrize("fiscal_start", [1, 4])
    @pytest.mark.parametrize("scenarios", MODES)
    def test_grants_and_payments(self, carry_over, fiscal_start, scenarios):
        """Grants and outcome payments from one fund, against amounts with or without carry."""
        years = range(2020, 2024)
        funds = [
            Fund(
                "budget",
                "Budget",
                FundKind.MUNICIPAL_BUDGET,
                "gemeente",
                {y: 60_000.0 for y in years if y >= 2020 + (fiscal_start == 1)},
                carry_over=carry_over,
            ),
            Fund("grants", "Grants", FundKind.NATIONAL_GRANT, "rijk", carry_over=carry_over),
        ]
        work = initiative(commitment=Uniform(100_000, 200_000), duration_months=20)
        payers = [PayerShare("gemeente", "budget", 0.5), PayerShare("rijk", "grants", 0.5)]
        deal = contract(payers=payers, metrics=[metric(price=Uniform(5_000, 9_000))])
        p = programme(
            initiatives=(work,),
            contracts=(deal,),
            funds=funds,
            fiscal_year_start_month=fiscal_start,
        )
        assert_agree(p, scenarios, SEED)

    def test_outflow_and_earned(self):
        """The budget's outflow is grants plus payments; its earned, the payments' value.

        Grants of €10,000 a month in months 2–13; 5 outcomes of €1,000 a month verified and
        paid in months 3–8.
        """
        p = programme(initiatives=(initiative(),), contracts=(contract(),))
        series = oracle(p)
        outflow = [0.0] * 36
        outflow[2:14] = [10_000] + [15_000] * 6 + [10_000] * 5
        earned = [0.0] * 36
        earned[3:9] = [5_000] * 6
        fund = {key.flow: rows[0] for key, rows in series.items() if key.fund == "budget"}
        assert outflow == pytest.approx(fund["fund_outflow"])
        assert earned == pytest.approx(fund["fund_earned"])
        assert_agree(p)


# -- financing -------------------------------------------------------------------------------------


def financed(
    financing: Any,
    *,
    work: dict[str, Any] | None = None,
    gates: tuple[Gate, ...] = (),
    **changes: Any,
) -> Programme:
    """A contract that pays for one initiative, financed as given (§4.5)."""
    paid = initiative(funds=(), **(work or {}))
    deal = contract(initiatives=[paid.id], financing=financing, **changes)
    return programme(initiatives=(paid,), contracts=(deal,), gates=gates)


def figure(p: Programme, name: str, scenarios: int | None = None) -> list[float | None]:
    """One of the oracle's per-scenario figures."""
    return run(p, scenarios=scenarios, seed=SEED).figures[name]


UNCERTAIN = {
    "metrics": [metric(price=Uniform(600, 1_400), share_achieving=Beta(3, 3))],
    "enrolment": Enrolment([window(0, 6, per_month=Uniform(5, 15))], poisson=True),
}
"""A contract whose payments vary by scenario."""


class TestInvestor:
    """Receipts first, draw-down to the commitment, entitlement at the cap, guarantee (§4.5)."""

    @pytest.mark.parametrize("commitment", [0, 40_000, 1_000_000])
    @pytest.mark.parametrize("return_cap", [0, 0.12, 3.0])
    @pytest.mark.parametrize("scenarios", MODES)
    def test_commitment_and_cap(self, commitment, return_cap, scenarios):
        """Any commitment and return cap, with the cost running past the contract's end."""
        financing = InvestorFinancing("rijk", commitment, return_cap)
        assert_agree(financed(financing, **UNCERTAIN), scenarios, SEED)

    def test_return_cap_binds(self):
        """Cheap delivery and rich payments: the cap holds money back for the provider."""
        p = financed(InvestorFinancing("rijk", 50_000, 0.1), work={"commitment": 12_000})
        assert [1.0] == figure(p, "investor/werkfit/return_cap_bound")
        assert_agree(p)

    @pytest.mark.parametrize("protection", [0.5, 1.0])
    @pytest.mark.parametrize("scenarios", MODES)
    def test_guarantee_pays(self, protection, scenarios):
        """Dear delivery and few payments: the guarantor pays from its fund at settlement."""
        financing = InvestorFinancing(
            "rijk", 200_000, 0.05, protection, guarantor="gemeente", guarantor_fund="budget"
        )
        p = financed(financing, run_off_months=3, **UNCERTAIN)
        assert oracle_total(p, "guarantee_payment", scenarios) > 0
        assert_agree(p, scenarios, SEED)

    def test_entitlement_path(self):
        """E grows at the cap from each draw-down and falls by each distribution; 0 after L.

        €1,000 a month of cost in months 2–13 and €5,000 of payments in months 3–8: the first
        month is drawn (E = 1,000), repaid in month 3 at 1,000g; months 9–11 are drawn again
        (E = 1,000; 1,000g + 1,000; 1,000g² + 1,000g + 1,000); the contract settles in
        month 11, so the entitlement lapses after it (months 12–13 are the provider's own).
        """
        p = financed(InvestorFinancing("rijk", 50_000, 0.1), work={"commitment": 12_000})
        g = 1.1 ** (1 / 12)
        expected = [0.0] * 36
        expected[2] = 1_000
        expected[9:12] = [1_000, 1_000 * g + 1_000, 1_000 * g * g + 1_000 * g + 1_000]
        (key,) = [key for key in oracle(p) if key.flow == "investor_entitlement"]
        assert expected == pytest.approx(oracle(p)[key][0])
        assert_agree(p)

    def test_total_loss(self):
        """Nothing paid for: the investor's IRR is −100% and its multiple 0."""
        p = financed(InvestorFinancing("rijk", 50_000, 0.1), metrics=[metric(price=0)])
        assert [-1.0] == figure(p, "investor/werkfit/irr")
        assert [0.0] == figure(p, "investor/werkfit/multiple")
        assert_agree(p)

    def test_no_reserve(self):
        """A surplus goes out at once; a later shortfall is drawn again."""
        windows = [window(0, 2, per_month=40), window(8, 2, per_month=40)]
        p = financed(
            InvestorFinancing("rijk", 500_000, 0.0),
            work={"start": month(0), "commitment": 60_000},
            enrolment=Enrolment(windows),
            metrics=[metric(time_to_outcome=0)],
        )
        series = oracle(p)

        def months_with(flow: str) -> list[int]:
            (key,) = [key for key in series if key.flow == flow]
            return [m for m, x in enumerate(series[key][0]) if x > 0]

        # Drawn from month 2, repaid from the second cohort's payments, drawn again after.
        assert [2, 3, 4, 5, 6, 7, 10, 11] == months_with("investor_drawdown")
        assert [8, 9] == months_with("investor_distribution")
        assert_agree(p)


class TestAdvances:
    """Advances credited first, dues offset, the rest paid in cash, unearned at settlement."""

    PAYERS = (
        PayerShare("gemeente", "budget", 0.6),
        PayerShare("rijk", "grants", 0.4, {2021: 4_000}, cap_excess=CapExcess.CARRY),
    )

    @pytest.mark.parametrize("unearned", list(UnearnedAdvance))
    @pytest.mark.parametrize(
        "advances",
        [[(0, 5_000)], [(0, 100_000)], [(1, 500), (4, 20_000), (9, 6_000)], [(11, 50_000)]],
        ids=repr,
    )
    @pytest.mark.parametrize("scenarios", MODES)
    def test_advances(self, unearned, advances, scenarios):
        """Small, large and late advances, two payers, one with a carried fiscal-year cap."""
        financing = AdvanceFinancing([Advance(month(m), x) for m, x in advances], unearned)
        p = financed(financing, payers=self.PAYERS, run_off_months=2, **UNCERTAIN)
        assert_agree(p, scenarios, SEED)

    @pytest.mark.parametrize("unearned", list(UnearnedAdvance))
    def test_unearned_at_settlement(self, unearned):
        """An advance above what is earned is refunded or forgiven, and counted."""
        financing = AdvanceFinancing([Advance(month(0), 100_000)], unearned)
        p = financed(financing)
        flow = "advance_refund" if unearned is UnearnedAdvance.REFUND else "advance_forgiven"
        assert math.isclose(70_000, oracle_total(p, flow))
        assert_agree(p)


class TestPrefinancing:
    """A partner funds the pilot until the gate; a payer steps in where it is met (§4.8.8)."""

    @staticmethod
    def gated(target: float, repay_share: float = 0.5) -> Programme:
        financing = Prefinancing(
            "rijk",
            gate="step-in",
            partner_fund="grants",
            step_in_payer="gemeente",
            step_in_fund="budget",
            repay_share=repay_share,
        )
        gate = Gate(
            "step-in",
            month(6),
            GateCondition("werkfit", "job", GateMeasure.RATE, target),
            Decision(Action.STEP_IN),
            Decision(Action.STOP),
            contract="werkfit",
        )
        shares = Samples([0.1, 0.5, 0.3])
        return financed(financing, gates=(gate,), metrics=[metric(share_achieving=shares)])

    @pytest.mark.parametrize("repay_share", [0.0, 0.5, 1.0])
    def test_met_in_some_scenarios(self, repay_share):
        """Met where 30% or 50% achieve, not where 10% do: step in there, stop elsewhere."""
        p = self.gated(0.3, repay_share)
        assert [0.0, 1.0, 1.0] == figure(p, "gate_met/step-in", 3)
        assert_agree(p, 3, SEED)

    @pytest.mark.parametrize("target", [0.0, 0.6])
    def test_met_everywhere_or_nowhere(self, target):
        """A target every scenario meets, or none does."""
        assert_agree(self.gated(target), 3, SEED)

    @pytest.mark.parametrize("months", [1, 4, 30])
    def test_without_gate(self, months):
        """Without a gate the partner funds its months and the provider the rest."""
        assert_agree(financed(Prefinancing("rijk", months=months), **UNCERTAIN), SCENARIOS, SEED)


# -- gates -----------------------------------------------------------------------------------------


CONTINUE = Decision(Action.CONTINUE)


def gate_on(
    measure: GateMeasure,
    target: float,
    if_met: Decision,
    if_not_met: Decision = CONTINUE,
    *,
    at: int = 6,
    comparison: Comparison = Comparison.AT_LEAST,
    gate_id: str = "g",
    **target_of: str,
) -> Gate:
    """A gate in month ``at`` on the job metric of the default contract."""
    return Gate(
        gate_id,
        month(at),
        GateCondition("werkfit", "job", measure, target, comparison),
        if_met,
        if_not_met,
        **(target_of or {"contract": "werkfit"}),
    )


def gated(*gates: Gate, **changes: Any) -> Programme:
    """The default contract paying for an initiative, enrolling all year, with gates."""
    changes = {"enrolment": Enrolment([window(0, 12)]), "lag": 2} | changes
    lag = changes.pop("lag")
    p = financed(ProviderFinancing(), verification_lag_months=lag, **changes)
    grant = initiative(id="buurtteam", commitment=24_000)
    return attrs.evolve(p, initiatives=(*p.initiatives, grant), gates=gates)


DECISIONS = [
    Decision(Action.CONTINUE),
    Decision(Action.SCALE, 2.0),
    Decision(Action.SCALE, 0.5),
    Decision(Action.STOP),
]


class TestGates:
    """Verified outcomes against a target, decided per scenario, from the gate month on."""

    @pytest.mark.parametrize("comparison", list(Comparison))
    @pytest.mark.parametrize(
        ("measure", "target"),
        [
            (GateMeasure.COUNT, 0),
            (GateMeasure.COUNT, 5),
            (GateMeasure.COUNT, 50),
            (GateMeasure.RATE, 0.5),
            (GateMeasure.RATE, 0.7),
        ],
    )
    def test_comparisons(self, comparison, measure, target):
        """Each comparison, met and not met, on a count and on a rate (ties within 1e-9)."""
        p = gated(
            gate_on(
                measure,
                target,
                Decision(Action.SCALE, 2.0),
                Decision(Action.STOP),
                comparison=comparison,
            )
        )
        assert_agree(p)

    @pytest.mark.parametrize("if_met", DECISIONS, ids=repr)
    @pytest.mark.parametrize("if_not_met", DECISIONS, ids=repr)
    @pytest.mark.parametrize("pay_enrolled_after_stop", [True, False])
    def test_decisions(self, if_met, if_not_met, pay_enrolled_after_stop):
        """Every decision, met in some scenarios and not in others."""
        p = gated(
            gate_on(GateMeasure.RATE, 0.5, if_met, if_not_met),
            metrics=[metric(share_achieving=Samples([0.3, 0.6, 0.5]))],
            pay_enrolled_after_stop=pay_enrolled_after_stop,
        )
        assert [0.0, 1.0, 1.0] == figure(p, "gate_met/g", 3)
        assert_agree(p, 3, SEED)

    @pytest.mark.parametrize("decision", DECISIONS[1:], ids=repr)
    def test_on_an_initiative(self, decision):
        """A gate on an initiative scales or stops its cost only."""
        p = gated(gate_on(GateMeasure.COUNT, 1, decision, initiative="buurtteam"))
        assert_agree(p)

    def test_gates_in_month_order(self):
        """A later gate reads what an earlier one left, listed in any order; factors multiply."""
        later = gate_on(
            GateMeasure.COUNT,
            20,
            Decision(Action.SCALE, 3.0),
            Decision(Action.STOP),
            at=9,
            gate_id="later",
        )
        earlier = gate_on(GateMeasure.COUNT, 5, Decision(Action.SCALE, 2.0), at=4)
        same_month = gate_on(
            GateMeasure.RATE, 0.4, Decision(Action.SCALE, 0.5), at=4, gate_id="same"
        )
        assert_agree(gated(later, earlier, same_month), SCENARIOS, SEED)

    def test_nothing_verified(self):
        """A rate gate before anything is verified reads 0/0: no measure, not met."""
        p = gated(gate_on(GateMeasure.RATE, 0.0, Decision(Action.SCALE, 2.0), at=1))
        assert [0.0] == figure(p, "gate_met/g")
        assert all(math.isnan(x) for x in figure(p, "gate_measure/g"))  # type: ignore[arg-type]
        assert_agree(p)

    @pytest.mark.parametrize(
        ("measure", "target", "expected"),
        [
            (GateMeasure.COUNT, 10, [10.0, 10.0]),
            (GateMeasure.COUNT, 11, [10.0, 10.0]),
            (GateMeasure.RATE, 0.5, [0.3, 0.6]),
        ],
    )
    def test_measure(self, measure, target, expected):
        """Outcomes of months 3–4 are verified by month 6: a cohort of 20, each scenario's share.

        With shares 0.5 and 0.5 the count is 10 (met at 10, not at 11); with shares 0.3 and
        0.6 the rate is 0.3 (not met at 0.5) and 0.6 (met).
        """
        shares = [0.5, 0.5] if measure is GateMeasure.COUNT else [0.3, 0.6]
        p = gated(
            gate_on(measure, target, Decision(Action.SCALE, 2.0), Decision(Action.STOP)),
            metrics=[metric(share_achieving=Samples(shares))],
        )
        assert expected == pytest.approx(figure(p, "gate_measure/g", 2))
        met = [1.0 if x >= target * (1 - 1e-9) else 0.0 for x in expected]
        assert met == figure(p, "gate_met/g", 2)
        assert_agree(p, 2, SEED)

    @pytest.mark.parametrize("scenarios", MODES)
    def test_uncertain_with_noise(self, scenarios):
        """Uncertain shares, times and Poisson enrolment: decided per scenario."""
        metrics = [metric(share_achieving=Beta(4, 4), time_to_outcome=Triangular(1, 3, 6))]
        enrolment = Enrolment([window(0, 12, per_month=Uniform(5, 15))], poisson=True)
        p = gated(
            gate_on(GateMeasure.RATE, 0.5, Decision(Action.SCALE, 2.0), Decision(Action.STOP)),
            gate_on(GateMeasure.COUNT, 30, Decision(Action.STOP), at=10, gate_id="h"),
            metrics=metrics,
            enrolment=enrolment,
        )
        assert_agree(p, scenarios if scenarios is None else 8, SEED)


# -- generated programmes --------------------------------------------------------------------------


class TestGeneratedProgrammes:
    """Whole generated programmes agree: every financing mode, gates, funds and budgets."""

    @settings(max_examples=examples(30))
    @given(programmes(max_years=4))
    def test_expected(self, generated):
        """Expected mode agrees in every series, month and figure."""
        assert_agree(generated)

    @settings(max_examples=examples(30))
    @given(programmes(max_years=4, samples_size=SCENARIOS), st.integers(0, 2**16))
    def test_monte_carlo(self, generated, seed):
        """A few Monte Carlo scenarios agree in every series and month."""
        assert_agree(generated, SCENARIOS, seed)


# -- generated programmes that reach the hard cases ------------------------------------------------


HARD_CASES = (
    "contract cap binds",
    "fiscal-year cap binds",
    "investor draws",
    "return cap binds",
    "guarantee pays",
    "gate splits across scenarios",
    "advance offset",
    "step-in",
)
"""What :func:`strategies.hard_programmes` is built to reach, each in one example in five."""

TINY = 1e-6


def hard_cases(projection: Projection) -> set[str]:
    """Which of :data:`HARD_CASES` happen in a projection (at monthly resolution)."""
    p, figures = projection.programme, projection.scalars
    found: set[str] = set()
    by_year = projection.by("fiscal_year")
    for deal in p.contracts:
        c = deal.id
        if (figures[f"cap_cut/{c}/contract"] > TINY).any():
            found.add("contract cap binds")
        if isinstance(deal.financing, InvestorFinancing):
            for case, figure_name in (
                ("investor draws", "drawn"),
                ("return cap binds", "return_cap_bound"),
                ("guarantee pays", "guarantee"),
            ):
                if (figures[f"investor/{c}/{figure_name}"] > TINY).any():
                    found.add(case)
        for payer in deal.payers:
            who = {"contract": c, "payer": payer.payer, "fund": payer.fund}
            if (projection.total(flow="cap_forfeited", **who) > TINY).any():
                found.add("fiscal-year cap binds")
            # A carried excess is not forfeited: the cap bound where a year paid all of it.
            gross = by_year.total(flow="outcome_payment", **who) + by_year.total(
                flow="advance_offset", **who
            )
            for y, label in enumerate(by_year.periods):
                cap = dict(payer.fiscal_year_caps).get(int(label[2:]))
                if cap is not None and cap > TINY and (gross[:, y] >= cap - TINY).any():
                    found.add("fiscal-year cap binds")
    for gate in p.gates:
        met = figures[f"gate_met/{gate.id}"]
        if met.min() != met.max():
            found.add("gate splits across scenarios")
    for case, flow in (("advance offset", "advance_offset"), ("step-in", "step_in_funding")):
        if projection.total(flow=flow).sum() > TINY:
            found.add(case)
    return found


def record_hard_cases(projection: Projection) -> None:
    """Tell hypothesis which hard cases an example reached.

    ``pytest --hypothesis-show-statistics`` then gives the share of examples reaching each.
    """
    for case in sorted(hard_cases(projection)):
        event(f"reached: {case}")


class TestHardGeneratedProgrammes:
    """Generated programmes whose caps bind, investors draw and gates split agree too."""

    @settings(max_examples=examples(25))
    @given(hard_programmes(samples_size=SCENARIOS), st.integers(0, 2**16))
    def test_monte_carlo(self, generated, seed):
        """A few Monte Carlo scenarios agree in every series, month and figure."""
        record_hard_cases(project(generated, scenarios=SCENARIOS, seed=seed, resolution="month"))
        assert_agree(generated, SCENARIOS, seed)

    @settings(max_examples=examples(15))
    @given(hard_programmes())
    def test_expected(self, generated):
        """Expected mode agrees in every series, month and figure."""
        record_hard_cases(project(generated, resolution="month"))
        assert_agree(generated)

    def test_the_strategy_reaches_the_hard_cases(self):
        """Over a fixed sample of 40 programmes, each hard case happens in one in five or more."""
        counts = dict.fromkeys(HARD_CASES, 0)
        examples_seen = []

        @settings(max_examples=40, derandomize=True, database=None, phases=[Phase.generate])
        @given(hard_programmes(samples_size=SCENARIOS))
        def sample(generated):
            projection = project(generated, scenarios=SCENARIOS, seed=SEED, resolution="month")
            examples_seen.append(generated.id)
            for case in hard_cases(projection):
                counts[case] += 1

        sample()
        shares = {case: count / len(examples_seen) for case, count in counts.items()}
        assert 40 == len(examples_seen)
        assert {} == {case: share for case, share in shares.items() if share < 0.2}
