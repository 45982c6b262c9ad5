"""Summary figures that do not exist (no outcome paid, nothing drawn, no budget) never crash."""

from __future__ import annotations

import json

import attrs
import numpy as np
import pytest
from hypothesis import given, settings

import programma as pg
from builders import D, base_programme, contract
from profiles import examples
from programma import Initiative, InvestorFinancing
from programma._text import MISSING, money, number
from programma.analysis.summary import Spread
from programma.report.projection import projection_report
from strategies import extreme_programmes

ZEROS = [0.0, -0.0, 5e-324]  # caps that let nothing through: zero, negative zero, subnormal


def investor_programme(commitment: float, **changes: object) -> pg.Programme:
    """The hand contract financed by an investor, paying for an initiative of ``commitment``."""
    work = Initiative("work", "Work", "prov", commitment, D(2021, 1, 1), 3)
    financed = contract(
        initiatives=["work"],
        financing=InvestorFinancing("inv", 10_000, return_cap=0.05),
        **changes,
    )
    return base_programme(initiatives=[work], contracts=[financed])


def row(text: str, label: str) -> list[str]:
    """The cells after ``label`` in the summary's text line that starts with it."""
    (line,) = [line for line in text.splitlines() if line.strip().startswith(label)]
    return line.strip()[len(label) :].split()


class TestMissingFigures:
    """A figure that does not exist is shown as a dash in text and null in JSON."""

    def test_number_and_money(self) -> None:
        """NaN is the dash; infinities keep their sign; finite amounts are unchanged."""
        assert (MISSING, MISSING, "∞", "−∞", "EUR 12") == (
            number(float("nan")),
            money(float("nan"), "EUR"),
            money(float("inf")),
            money(float("-inf")),
            money(12.4, "EUR"),
        )

    def test_spread_without_values(self) -> None:
        """A spread with no value has every figure missing and counts the scenarios."""
        spread = Spread.of(np.array([np.nan, np.nan]))
        assert {"mean": None, "se": None, "p10": None, "p50": None, "p90": None, "missing": 2} == (
            spread.as_dict()
        )

    @pytest.mark.parametrize("cap", ZEROS)
    @pytest.mark.parametrize("scenarios", [None, 3])
    def test_contract_that_pays_nothing(self, cap: float, scenarios: int | None) -> None:
        """With a cap that lets nothing through, no outcome is paid: cost per outcome is a dash."""
        programme = base_programme(contracts=[contract(cap=cap)])
        projection = pg.project(programme, scenarios=scenarios)
        summary = projection.summary()
        text = str(summary)
        assert [MISSING] * 5 == row(text, "cost per outcome paid")
        assert [MISSING] * 5 == row(text, "discounted")
        assert ["0.0"] * 5 == row(text, "outcomes paid")
        document = summary.to_dict()
        figures = document["contracts"][0]["cost_per_outcome"]
        assert [None] * 5 == [figures[k] for k in ("mean", "se", "p10", "p50", "p90")]
        json.dumps(document, allow_nan=False)  # valid JSON: no NaN anywhere
        projection_report(projection)

    @pytest.mark.parametrize(
        "changes",
        [
            {"metrics": [pg.OutcomeMetric("job", "A job", 1000, 0.0, time_to_outcome=6)]},
            {
                "metrics": [
                    pg.OutcomeMetric(
                        "job", "A job", 1000, 0.4, baseline=0.1, threshold=0.5, time_to_outcome=6
                    )
                ]
            },
        ],
        ids=["share-zero", "threshold-never-met"],
    )
    def test_metric_that_pays_nothing(self, changes: dict[str, object]) -> None:
        """A share of 0 or a threshold never met pays nothing, and the summary shows dashes."""
        programme = base_programme(contracts=[contract(**changes)])
        text = str(pg.project(programme).summary())
        assert [MISSING] * 5 == row(text, "cost per outcome paid")

    def test_investor_that_draws_nothing(self) -> None:
        """An investor that draws nothing has no IRR and no multiple: dashes, counted."""
        summary = pg.project(investor_programme(0.0), scenarios=3).summary()
        text = str(summary)
        assert [MISSING] * 5 == row(text, "IRR (annual, %)")
        assert [MISSING] * 5 == row(text, "multiple")
        assert "no IRR in 3 scenarios; loss in 0.0%" in text
        investor = summary.to_dict()["investors"][0]
        assert (None, None, 3) == (
            investor["irr"]["mean"],
            investor["multiple"]["p50"],
            investor["irr"]["missing"],
        )

    def test_fund_without_budget(self) -> None:
        """A fund with no budget in any year has a budget of 0 and is breached when it pays."""
        programme = base_programme(contracts=[contract()])
        summary = pg.project(programme).summary()
        budget_years = [f for f in summary.funds if f.fund == "budget"]
        assert {0.0} == {f.budget.mean for f in budget_years}
        paid = [f.breach_probability for f in budget_years if f.outflow.mean > 0]
        assert paid
        assert {1.0} == set(paid)
        str(summary)

    def test_programme_without_contracts(self) -> None:
        """A programme with nothing to pay still summarises and reports."""
        projection = pg.project(base_programme(), scenarios=3)
        str(projection.summary())
        json.dumps(projection.summary().to_dict(), allow_nan=False)
        projection_report(projection)


class TestOverflow:
    """A run driven past floating point is a ProjectionError naming the flows, not a crash."""

    def test_compounded_indexation_refused(self) -> None:
        """A long-tailed indexation whose mean is past 100% a year is refused before any run."""
        with pytest.raises(pg.ValidationError, match="indexation: expected a distribution whose"):
            pg.OutcomeMetric(
                "job", "A job", 1000, 0.4, time_to_outcome=6, indexation=pg.LogNormal(20, 1)
            )

    def test_values_past_floating_point_reported(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Should a chunk's values still leave floating point, the series are named, no crash."""
        from programma.engine import run

        real = run.Model.run

        def overflowing(self: run.Model, **options: object) -> run.ChunkResult:
            result = real(self, **options)  # type: ignore[arg-type]
            result.values[..., self.layout.position[earned]] = np.inf
            return result

        programme = attrs.evolve(base_programme(), contracts=[contract()])
        earned = pg.SeriesKey("earned", contract="c", metric="job")
        monkeypatch.setattr(run.Model, "run", overflowing)
        with pytest.raises(pg.ProjectionError, match=r"overflowed floating point in earned \(con"):
            pg.project(programme, scenarios=3)


class TestExtremeValues:
    """Programmes with amounts, shares and rates at their ends project and summarise."""

    @settings(max_examples=examples(25), deadline=None)
    @given(extreme_programmes(max_contracts=2, max_initiatives=2, samples_size=4))
    def test_project_and_summarise(self, programme: pg.Programme) -> None:
        """Nothing but a ProgrammaError comes out of project, the summary or the report."""
        for scenarios in (None, 4):
            try:
                projection = pg.project(programme, scenarios=scenarios)
                summary = projection.summary()
            except pg.ProgrammaError:
                continue
            str(summary)
            json.dumps(summary.to_dict(), allow_nan=False)
            projection_report(projection)


class TestProjectionErrors:
    """A projection that cannot run says where in the programme the cause is."""

    def test_too_few_samples_names_the_field(self) -> None:
        """Too few Samples values: the message names the field by its path."""
        metric = pg.OutcomeMetric("job", "A job", pg.Samples([900, 1100]), 0.4, time_to_outcome=6)
        programme = base_programme(contracts=[contract(metrics=[metric])])
        with pytest.raises(pg.ProjectionError) as exc:
            pg.project(programme, scenarios=3)
        assert str(exc.value).startswith(
            "contracts[0].metrics[0].price: a Samples distribution has 2 values but 3 scenarios"
        )

    def test_example_with_a_contract_capped_at_zero(self) -> None:
        """The example with one contract's cap at 0 projects and summarises, with dashes."""
        from programma.examples import leeuwarden_oost

        example = leeuwarden_oost()
        capped = attrs.evolve(example.contracts[0], cap=0.0)
        programme = attrs.evolve(example, contracts=[capped, *example.contracts[1:]])
        summary = pg.project(programme).summary()
        text = str(summary)
        assert f"Contract {capped.id}" in text
        section = text.split(f"Contract {capped.id}\n")[1].split("\n\n")[0]
        assert [MISSING] * 5 == row(section, "cost per outcome paid")
