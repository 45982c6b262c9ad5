"""Value for money and maximum exposure: hand-computed cases, spreads, areas, CLI, bad input."""

from __future__ import annotations

import csv
import io
import json
import math

import attrs
import numpy as np
import numpy_financial as npf
import pytest

import programma as pg
from builders import D, base_programme, contract
from programma import (
    Area,
    Enrolment,
    EnrolmentWindow,
    Gate,
    OutcomeMetric,
    PayerShare,
    Pert,
    Uniform,
    ValidationError,
)
from programma.analysis.areas import PROGRAMME_WIDE
from programma.analysis.value import value_for_money
from programma.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from programma.engine.values import value_draws
from programma.examples import leeuwarden_oost

RATE = 0.05
MONTHLY = 1.05 ** (1 / 12) - 1


def valued(value: object = 2500.0, **changes: object) -> pg.Programme:
    """The hand contract (share 0.4, baseline 0.1, €1,000, 60 participants) with a value."""
    metric = OutcomeMetric(
        "job",
        "A job",
        price=1000,
        share_achieving=0.4,
        baseline=0.1,
        time_to_outcome=6,
        value_per_outcome=value,  # type: ignore[arg-type]
    )
    metrics = changes.pop("metrics", [metric])
    return base_programme(contracts=[contract(metrics=metrics, **changes)])


def month_flows(months: dict[int, float], length: int = 36) -> np.ndarray:
    flows = np.zeros(length)
    for month, amount in months.items():
        flows[month] = amount
    return flows


def present(flows: np.ndarray) -> float:
    """Flows at each month's end (t = m + 1), by numpy-financial's NPV (first value at t = 0)."""
    return float(npf.npv(MONTHLY, np.r_[0.0, flows]))


class TestHandComputed:
    """One contract, one metric, fixed share and value: every figure in closed form."""

    # 10 a month in months 0–5; 40% achieve 6 months later (months 6–11), 10% would anyway:
    # 3 additional outcomes a month, 18 in all, 24 achieved. Verified 3 months later, paid
    # quarterly: 9 outcomes (€9,000) in month 11 and 9 in month 14.
    VALUE = month_flows(dict.fromkeys(range(6, 12), 3 * 2500.0))
    COST = month_flows({11: 9000.0, 14: 9000.0})

    def test_value_and_cost(self) -> None:
        """Value = 18 × €2,500 at the outcome months; cost = the €18,000 paid, discounted."""
        row = value_for_money(pg.project(valued()), discount=RATE).contract("c")
        assert 18.0 == pytest.approx(row.outcomes[0], rel=1e-12)
        assert 45_000.0 == pytest.approx(row.value_undiscounted[0], rel=1e-12)
        assert 18_000.0 == pytest.approx(row.cost_undiscounted[0], rel=1e-12)
        assert present(self.VALUE) == pytest.approx(row.value[0], rel=1e-12)
        assert present(self.COST) == pytest.approx(row.cost[0], rel=1e-12)

    def test_net_value_ratio_and_cost_per_outcome(self) -> None:
        """NSV = PV value − PV cost, BCR = their ratio, cost per outcome = €18,000 / 18."""
        row = value_for_money(pg.project(valued()), discount=RATE).contract("c")
        pv_value, pv_cost = present(self.VALUE), present(self.COST)
        assert pv_value - pv_cost == pytest.approx(row.net_social_value[0], rel=1e-12)
        assert pv_value / pv_cost == pytest.approx(row.benefit_cost_ratio[0], rel=1e-12)
        assert 1000.0 == pytest.approx(row.cost_per_outcome[0], rel=1e-12)

    def test_bases(self) -> None:
        """Achieved counts the 24 with the baseline's 6; paid the 18 paid for."""
        projection = pg.project(valued())
        achieved = value_for_money(projection, discount=RATE, basis="achieved").contract("c")
        paid = value_for_money(projection, discount=RATE, basis="paid").contract("c")
        assert 24.0 == pytest.approx(achieved.outcomes[0], rel=1e-12)
        assert 60_000.0 == pytest.approx(achieved.value_undiscounted[0], rel=1e-12)
        assert 750.0 == pytest.approx(achieved.cost_per_outcome[0], rel=1e-12)
        assert 18.0 == pytest.approx(paid.outcomes[0], rel=1e-12)

    def test_paid_basis_stops_at_the_cap(self) -> None:
        """A €16,000 cap pays 16 outcomes; the additional basis still counts 18."""
        projection = pg.project(valued(cap=16_000))
        paid = value_for_money(projection, discount=RATE, basis="paid").contract("c")
        additional = value_for_money(projection, discount=RATE).contract("c")
        assert 16.0 == pytest.approx(paid.outcomes[0], rel=1e-12)
        assert 18.0 == pytest.approx(additional.outcomes[0], rel=1e-12)
        assert 1000.0 == pytest.approx(paid.cost_per_outcome[0], rel=1e-12)

    def test_programme_row_is_the_contract(self) -> None:
        """With one contract the programme's row equals it."""
        vfm = value_for_money(pg.project(valued()), discount=RATE)
        assert vfm.contract("c").value.tolist() == vfm.total.value.tolist()
        assert vfm.contract("c").cost.tolist() == vfm.total.cost.tolist()

    def test_coarser_periods_take_the_mean_monthly_factor(self) -> None:
        """By fiscal year, each year's amounts are discounted at its months' mean factor."""
        yearly = pg.project(valued(), resolution="fiscal_year")
        row = value_for_money(yearly, discount=RATE).contract("c")
        d = (1 + RATE) ** -((np.arange(36) + 1) / 12)
        assert 45_000 * d[:12].mean() == pytest.approx(row.value[0], rel=1e-12)
        expected_cost = 9000 * d[:12].mean() + 9000 * d[12:24].mean()
        assert expected_cost == pytest.approx(row.cost[0], rel=1e-12)


class TestDiscount:
    """The rate: the programme's by default, a rate, or a preset."""

    def test_default_is_the_programmes(self) -> None:
        """Without ``discount`` the programme's own rate is used."""
        projection = pg.project(attrs.evolve(valued(), discount_rate=0.04))
        default = value_for_money(projection)
        explicit = value_for_money(projection, discount=0.04)
        assert explicit.total.cost.tolist() == default.total.cost.tolist()
        assert 0.04 == default.discount

    def test_preset(self) -> None:
        """The Green Book's 3.5% holds for the first thirty years."""
        projection = pg.project(valued())
        preset = value_for_money(projection, discount="uk-green-book").contract("c")
        rate = value_for_money(projection, discount=0.035).contract("c")
        assert rate.value[0] == pytest.approx(preset.value[0], rel=1e-12)

    def test_price_base(self) -> None:
        """Present values are to the start of the price-base month, as the engine's are."""
        programme = attrs.evolve(valued(), price_base_date=D(2022, 1, 1))
        row = value_for_money(pg.project(programme), discount=RATE).contract("c")
        d = (1 + RATE) ** -((np.arange(36) + 1 - 12) / 12)
        assert float(TestHandComputed.COST @ d) == pytest.approx(row.cost[0], rel=1e-12)

    def test_engine_present_value_agrees(self) -> None:
        """At the programme's rate, the cost of a contract paid only in outcome payments is
        the engine's present value of its payments."""
        projection = pg.project(valued())
        row = value_for_money(projection).contract("c")
        engine = projection.scalars["pv/contract/c/payments"]
        assert float(engine[0]) == pytest.approx(row.cost[0], rel=1e-12)


class TestDraws:
    """The value per outcome is drawn per scenario from its own keyed stream."""

    def test_fixed_value_times_outcomes(self) -> None:
        """With a fixed value, value = outcomes × value in every scenario."""
        uncertain = valued(
            metrics=[
                OutcomeMetric(
                    "job",
                    "A job",
                    price=1000,
                    share_achieving=Uniform(0.3, 0.5),
                    baseline=0.1,
                    time_to_outcome=6,
                    value_per_outcome=2500,
                )
            ]
        )
        row = value_for_money(pg.project(uncertain, scenarios=300, seed=3)).contract("c")
        np.testing.assert_allclose(row.outcomes * 2500, row.value_undiscounted, rtol=1e-12)

    def test_additional_is_what_is_payable_without_caps(self) -> None:
        """Without threshold or caps, the additional outcomes are those paid, per scenario."""
        uncertain = valued(
            metrics=[
                OutcomeMetric(
                    "job",
                    "A job",
                    price=1000,
                    share_achieving=Uniform(0.3, 0.5),
                    baseline=0.1,
                    time_to_outcome=6,
                    value_per_outcome=2500,
                )
            ]
        )
        projection = pg.project(uncertain, scenarios=300, seed=3)
        paid = projection.total(flow="outcomes_paid", contract="c").sum(axis=1)
        row = value_for_money(projection).contract("c")
        np.testing.assert_allclose(paid, row.outcomes, rtol=1e-12)

    def test_uncertain_value_within_its_range(self) -> None:
        """Each scenario's value per outcome lies in its PERT's range, and varies."""
        projection = pg.project(valued(Pert(1000, 2500, 5000)), scenarios=500, seed=1)
        row = value_for_money(projection).contract("c")
        per_outcome = row.value_undiscounted / row.outcomes
        assert per_outcome.min() >= 1000
        assert per_outcome.max() <= 5000
        assert per_outcome.std() > 100
        # the PERT's mean, (1000 + 4 × 2500 + 5000) / 6, within 4 standard errors
        se = per_outcome.std(ddof=1) / math.sqrt(per_outcome.size)
        assert abs(per_outcome.mean() - 16_000 / 6) < 4 * se

    def test_prefix_stable(self) -> None:
        """The first 256 scenarios of a run of 600 draw the values of a run of 256."""
        programme = valued(Pert(1000, 2500, 5000))
        long = value_draws(programme, scenarios=600, seed=9).metrics[0].value
        short = value_draws(programme, scenarios=256, seed=9).metrics[0].value
        assert long is not None
        assert short is not None
        assert short.tolist() == long[:256].tolist()

    def test_common_random_numbers(self) -> None:
        """Adding a contract leaves another contract's value draws as they were."""
        programme = valued(Pert(1000, 2500, 5000))
        other = attrs.evolve(contract(), id="d")
        wider = attrs.evolve(programme, contracts=[other, *programme.contracts])
        alone = value_draws(programme, scenarios=256, seed=2).metrics[0].value
        beside = value_draws(wider, scenarios=256, seed=2).metrics[1].value
        assert alone is not None
        assert beside is not None
        assert alone.tolist() == beside.tolist()

    def test_value_changes_no_flow(self) -> None:
        """The value per outcome changes nothing in the projection itself."""
        a = pg.project(valued(Pert(1000, 2500, 5000)), scenarios=256, seed=4)
        b = pg.project(valued(Pert(100, 200, 300)), scenarios=256, seed=4)
        assert np.array_equal(a.values, b.values)

    def test_shares_a_parameter_draw(self) -> None:
        """A value that refers to a parameter sees the parameter's draw of the run."""
        metric = OutcomeMetric(
            "job",
            "A job",
            price=1000,
            share_achieving=pg.Ref("market"),
            time_to_outcome=6,
            value_per_outcome=pg.Ref("market", factor=10_000),
        )
        programme = base_programme(
            parameters=[pg.Parameter("market", Uniform(0.2, 0.6))],
            contracts=[contract(metrics=[metric])],
        )
        drawn = value_draws(programme, scenarios=300, seed=5).metrics[0]
        assert drawn.value is not None
        np.testing.assert_allclose(drawn.share * 10_000, drawn.value, rtol=1e-12)

    def test_metric_without_value(self) -> None:
        """A metric without a value per outcome adds no value and is named."""
        programme = base_programme(contracts=[contract()])
        vfm = value_for_money(pg.project(programme), discount=RATE)
        assert ("c/job",) == vfm.metrics_without_value
        assert [0.0] == vfm.contract("c").value.tolist()
        assert 18.0 == pytest.approx(vfm.contract("c").outcomes[0], rel=1e-12)


class TestSpread:
    """Each figure's spread is that of its per-scenario array."""

    def test_against_numpy(self) -> None:
        """Mean, standard error and P10/P50/P90 match numpy on the scenario arrays."""
        vfm = value_for_money(pg.project(leeuwarden_oost(), scenarios=300, seed=7))
        for row in (vfm.contract("schuldenvrij-oost"), vfm.area("bilgaard"), vfm.total):
            for figure in ("value", "cost", "net_social_value", "benefit_cost_ratio"):
                values = np.asarray(getattr(row, figure))
                spread = row.spread(figure)
                assert float(np.mean(values)) == pytest.approx(spread.mean, rel=1e-12)
                se = float(np.std(values, ddof=1) / np.sqrt(values.size))
                assert se == pytest.approx(spread.se, rel=1e-9)
                for q, got in zip((10, 50, 90), (spread.p10, spread.p50, spread.p90), strict=True):
                    assert float(np.percentile(values, q)) == pytest.approx(got, rel=1e-12)

    def test_net_value_per_scenario(self) -> None:
        """NSV and BCR are computed scenario by scenario, not from the means."""
        vfm = value_for_money(pg.project(leeuwarden_oost(), scenarios=300, seed=7))
        row = vfm.contract("sib-werkroute")
        assert (row.value - row.cost).tolist() == row.net_social_value.tolist()
        np.testing.assert_allclose(row.value / row.cost, row.benefit_cost_ratio, rtol=1e-15)

    def test_unknown_figure(self) -> None:
        """An unknown figure is refused by name."""
        row = value_for_money(pg.project(valued())).total
        with pytest.raises(KeyError, match="figure"):
            row.spread("roi")


class TestAreas:
    """A contract's figures are split equally over its areas; none: programme-wide."""

    def programme(self) -> pg.Programme:
        first = attrs.evolve(contract(), areas=("north", "south"))
        second = attrs.evolve(contract(), id="d", payers=[PayerShare("other", "topup", 1.0)])
        return base_programme(
            areas=[Area("north", "North"), Area("south", "South")],
            contracts=[
                attrs.evolve(
                    first,
                    metrics=[attrs.evolve(first.metrics[0], value_per_outcome=2500)],
                ),
                attrs.evolve(
                    second,
                    metrics=[attrs.evolve(second.metrics[0], value_per_outcome=1000)],
                ),
            ],
        )

    def test_split(self) -> None:
        """North and south get half of the first contract; programme-wide all of the second."""
        vfm = value_for_money(pg.project(self.programme()), discount=RATE)
        c, d = vfm.contract("c"), vfm.contract("d")
        for figure in ("outcomes", "value", "cost"):
            half = getattr(c, figure) / 2
            assert half.tolist() == getattr(vfm.area("north"), figure).tolist()
            assert half.tolist() == getattr(vfm.area("south"), figure).tolist()
            whole = getattr(vfm.area(PROGRAMME_WIDE), figure)
            assert getattr(d, figure).tolist() == whole.tolist()
        assert 9.0 == pytest.approx(vfm.area("north").outcomes[0], rel=1e-12)
        # an area's ratios are those of its own sums
        north = vfm.area("north")
        assert north.value[0] / north.cost[0] == pytest.approx(north.benefit_cost_ratio[0])
        assert [a.id for a in vfm.areas] == ["north", "south", PROGRAMME_WIDE]

    def test_programme_adds_the_contracts(self) -> None:
        """The programme's value and cost are the contracts' together."""
        vfm = value_for_money(pg.project(self.programme()), discount=RATE)
        total = vfm.contract("c").value + vfm.contract("d").value
        assert total.tolist() == vfm.total.value.tolist()

    def test_unknown_area(self) -> None:
        """An unknown area is refused by name."""
        vfm = value_for_money(pg.project(self.programme()))
        with pytest.raises(KeyError, match="area"):
            vfm.area("east")


class TestMaximumExposure:
    """The most each payer and fund pays in a fiscal year when every cap binds."""

    def programme(self, **changes: object) -> pg.Programme:
        # 60 participants at €1,000 (rate card €60,000), 20 outcomes at most (€20,000), a
        # contract cap of €16,000; the city pays 75% under a cap of €5,000 in 2021, the other
        # payer 25%. Payments can fall from April 2021 (start + 3 months' lag) to December
        # 2022 (the settlement month): in FY2021 and FY2022.
        base = contract(
            cap=16_000,
            metrics=[attrs.evolve(contract().metrics[0], cap_count=20)],
            payers=[
                PayerShare("city", "budget", 0.75, {2021: 5_000}),
                PayerShare("other", "topup", 0.25),
            ],
        )
        return base_programme(contracts=[attrs.evolve(base, **changes)])

    def test_contract_cap_binds(self) -> None:
        """Bound min(16,000, 20 × 1,000, 60 × 1,000) = 16,000; the city's 2021 cap holds."""
        vfm = value_for_money(pg.project(self.programme()))
        bound = vfm.contract_exposure[0]
        assert (16_000.0, "contract cap", 60.0) == (
            bound.bound,
            bound.binding,
            bound.participants,
        )
        assert 20_000.0 == bound.terms["metrics"]
        assert 5_000.0 == vfm.max_exposure("city", "FY2021")  # min(0.75 × 16,000, 5,000)
        assert 12_000.0 == vfm.max_exposure("city", "FY2022")  # 0.75 × 16,000
        assert 4_000.0 == vfm.max_exposure("other", "FY2021")
        assert 4_000.0 == vfm.max_exposure("topup", "FY2022", level="fund")
        assert 0.0 == vfm.max_exposure("city", "FY2023")  # settled

    def test_per_participant_cap_binds(self) -> None:
        """A contract cap of €200 a participant bounds at 60 × 200 = 12,000."""
        vfm = value_for_money(pg.project(self.programme(cap_per_participant=200)))
        bound = vfm.contract_exposure[0]
        assert (12_000.0, "contract per-participant cap") == (bound.bound, bound.binding)
        assert 9_000.0 == vfm.max_exposure("budget", "FY2022", level="fund")

    def test_metric_caps_with_price_and_indexation(self) -> None:
        """Without a contract cap: 20 outcomes × the highest price 1,500 × 1.02 in FY2022."""
        metric = attrs.evolve(
            contract().metrics[0], price=Pert(800, 1000, 1500), cap_count=20, indexation=0.02
        )
        vfm = value_for_money(pg.project(self.programme(cap=None, metrics=[metric])))
        bound = vfm.contract_exposure[0]
        assert ("metrics", 20 * 1500 * 1.02) == (bound.binding, pytest.approx(bound.bound))
        assert 0.25 * 20 * 1500 * 1.02 == pytest.approx(vfm.max_exposure("other", "FY2021"))

    def test_gate_scale_raises_participants(self) -> None:
        """A gate that may scale enrolment by 1.5 raises the most participants to 90."""
        programme = self.programme(cap=None)
        gate = Gate(
            "g",
            D(2021, 3, 1),
            pg.GateCondition("c", "job", "count", 0),
            if_met=pg.Decision("scale", 1.5),
            if_not_met=pg.Decision("continue"),
            contract="c",
        )
        vfm = value_for_money(pg.project(attrs.evolve(programme, gates=[gate])))
        assert 90.0 == vfm.contract_exposure[0].participants

    def test_poisson_enrolment_is_unbounded_without_a_cap(self) -> None:
        """Poisson noise has no most participants: only a contract cap bounds it."""
        noisy = Enrolment([EnrolmentWindow(D(2021, 1, 1), 6, per_month=10)], poisson=True)
        metric = contract().metrics[0]
        vfm = value_for_money(
            pg.project(self.programme(cap=None, enrolment=noisy, metrics=[metric]))
        )
        assert (math.inf, "unbounded") == (
            vfm.contract_exposure[0].bound,
            vfm.contract_exposure[0].binding,
        )
        assert 5_000.0 == vfm.max_exposure("city", "FY2021")  # its fiscal-year cap
        assert math.isinf(vfm.max_exposure("city", "FY2022"))
        assert vfm.to_dict()["exposure"][1]["amount"] is None

    def test_unknown_payer(self) -> None:
        """A payer of no contract is refused by name."""
        vfm = value_for_money(pg.project(self.programme()))
        with pytest.raises(KeyError, match="payer"):
            vfm.max_exposure("prov", "FY2021")


class TestBadInput:
    """Bad arguments are reported all at once, by name."""

    def test_unknown_preset_and_basis(self) -> None:
        """An unknown preset and an unknown basis are both reported."""
        projection = pg.project(valued())
        with pytest.raises(ValidationError) as error:
            value_for_money(projection, discount="nl-2016", basis="gross")  # type: ignore[arg-type]
        assert ["discount", "basis"] == list(error.value.paths)
        assert "nl-2021" in str(error.value)

    @pytest.mark.parametrize("rate", [-1.0, math.nan, math.inf, True])
    def test_bad_rate(self, rate: float) -> None:
        """A rate ≤ −1, not finite, or not a number is refused."""
        with pytest.raises(ValidationError, match="discount"):
            value_for_money(pg.project(valued()), discount=rate)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, stdin=io.StringIO())
    return code, out.getvalue(), err.getvalue()


class TestCli:
    """``programma value``: tables, JSON and CSV, to stdout or a file."""

    def test_table(self) -> None:
        """The example's tables fit a terminal and name what was counted."""
        code, out, _ = run("value", "--scenarios", "256", "--seed", "1")
        assert EXIT_OK == code
        assert "additional outcomes" in out
        assert "nl-2021" in out
        assert "Maximum exposure per fiscal year" in out
        assert max(len(line) for line in out.splitlines()) <= 110

    def test_json(self, tmp_path: object) -> None:
        """JSON keeps full precision: the means equal the library's exactly."""
        code, out, _ = run("value", "--format", "json", "--discount", "0.03")
        assert EXIT_OK == code
        document = json.loads(out)
        vfm = value_for_money(pg.project(leeuwarden_oost()), discount=0.03)
        first = document["rows"][0]
        assert first["id"] == vfm.contracts[0].id
        assert float(vfm.contracts[0].value[0]) == first["value"]["mean"]
        assert 0.03 == document["discount"]

    def test_csv_to_file(self, tmp_path: pytest.TempPathFactory) -> None:
        """CSV rows written atomically to --out read back as the exact floats."""
        target = tmp_path / "value.csv"  # type: ignore[operator]
        code, out, _ = run(
            "value", "--format", "csv", "--discount", "uk-green-book", "--out", str(target)
        )
        assert (EXIT_OK, "") == (code, out)
        rows = list(csv.DictReader(io.StringIO(target.read_text())))
        vfm = value_for_money(pg.project(leeuwarden_oost()), discount="uk-green-book")
        records = vfm.to_records()
        assert len(records) == len(rows)
        for record, row in zip(records, rows, strict=True):
            assert str(record["id"]) == row["id"]
            assert record["mean"] == float(row["mean"]) or (
                math.isnan(record["mean"]) and row["mean"] == "nan"
            )

    def test_file_argument(self, tmp_path: pytest.TempPathFactory) -> None:
        """A programme file is read as simulate reads it."""
        path = tmp_path / "p.json"  # type: ignore[operator]
        pg.dump(valued(), path)
        code, out, _ = run("value", str(path), "--discount", "0.05", "--format", "json")
        assert EXIT_OK == code
        rows = json.loads(out)["rows"]
        assert 1000.0 == pytest.approx(rows[0]["cost_per_outcome"]["mean"], rel=1e-12)

    def test_unknown_preset_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown preset exits 2 and lists the presets."""
        code, _, err = run("value", "--discount", "nl-2016")
        assert EXIT_USAGE == code
        assert "uk-green-book" in err + capsys.readouterr().err

    def test_bad_basis_is_a_usage_error(self) -> None:
        """An unknown basis exits 2."""
        assert EXIT_USAGE == run("value", "--basis", "gross")[0]

    def test_missing_file(self) -> None:
        """A file that does not exist exits 1."""
        code, _, err = run("value", "no-such-file.toml")
        assert EXIT_INVALID == code
        assert "no such file" in err
