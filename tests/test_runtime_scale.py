"""Inputs at scale: summaries of many contracts stay linear in the number of series."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import programma as pg
from builders import base_programme, contract
from programma import Enrolment, EnrolmentWindow, SeriesKey
from programma.examples import leeuwarden_oost
from programma.model.checks import deferred_checks

D = base_programme().start


def many_contracts(count: int) -> pg.Programme:
    """``count`` contracts, the k-th enrolling k participants a month (k = 1 … count)."""
    return base_programme(
        contracts=[
            contract(
                id=f"c{k}",
                enrolment=Enrolment([EnrolmentWindow(D, 6, per_month=k)]),
            )
            for k in range(1, count + 1)
        ]
    )


class TestSummaryAtScale:
    def test_matches_linear_in_series(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Series are looked up through an index: far fewer checks than contracts × series."""
        projection = pg.project(many_contracts(120))
        calls = [0]
        real = SeriesKey.matches

        def counting(self: SeriesKey, **criteria: Any) -> bool:
            calls[0] += 1
            return real(self, **criteria)

        monkeypatch.setattr(SeriesKey, "matches", counting)
        projection.summary()
        series = len(projection.series)
        assert calls[0] <= 20 * series, (calls[0], series)

    def test_contract_figures_on_a_large_programme(self) -> None:
        """Each of 300 contracts gets its own figures: k times those of the first contract."""
        projection = pg.project(many_contracts(300))
        summary = projection.summary()
        first = summary.contracts[0]
        assert [f"c{k}" for k in range(1, 301)] == [c.contract for c in summary.contracts]
        for k, figures in enumerate(summary.contracts, start=1):
            assert k * first.achieved.mean == pytest.approx(figures.achieved.mean, rel=1e-12)
            assert k * first.paid_by["city"].mean == pytest.approx(
                figures.paid_by["city"].mean, rel=1e-12
            )
        by_year = projection.by("fiscal_year")
        for fund in summary.funds:
            year = by_year.periods.index(fund.year)
            outflow = by_year.total(flow="outcome_payment", fund=fund.fund)[0, year]
            assert outflow == pytest.approx(fund.outflow.mean, rel=1e-12, abs=1e-9)

    def test_same_figures_as_selecting_by_mask(self) -> None:
        """On the example, the indexed look-up gives exactly what selecting by mask gives."""
        projection = pg.project(leeuwarden_oost(), scenarios=64, seed=3)
        summary = projection.summary()
        by_year = projection.by("fiscal_year")
        total = by_year.values.sum(axis=1)
        for figures in summary.contracts:
            achieved = total[:, by_year.mask(flow="outcomes_achieved", contract=figures.contract)]
            assert pg.Spread.of(achieved.sum(axis=1)) == figures.achieved
        budgets = {(f.fund, f.year): f.budget.mean for f in summary.funds}
        for (fund, year), mean in budgets.items():
            column = by_year.total(flow="budget", fund=fund)[:, by_year.periods.index(year)]
            assert np.mean(column) == mean


class TestValidationAtScale:
    def test_every_duplicate_and_bad_reference_reported(self) -> None:
        """Of 3,000 contracts, each repeated id and each unknown provider is reported, in order."""
        contracts = [
            contract(id="c" if i % 2 else f"c{i}", provider="prov" if i % 3 else "nobody")
            for i in range(3000)
        ]
        with pytest.raises(pg.ValidationError) as error:
            base_programme(contracts=contracts)
        duplicates = [p.path for p in error.value.problems if p.path.endswith(".id")]
        unknown = [p.path for p in error.value.problems if p.path.endswith(".provider")]
        assert [f"contracts[{i}].id" for i in range(3, 3000, 2)] == duplicates
        assert [f"contracts[{i}].provider" for i in range(0, 3000, 3)] == unknown

    def test_reference_that_is_not_text(self) -> None:
        """A reference that is not text at all is still reported (not an error of its own)."""
        with deferred_checks():  # as when reading a file: the programme reports everything
            fund = pg.Fund("budget", "Budget", "municipal-budget", ["city"])  # type: ignore[arg-type]
        with pytest.raises(pg.ValidationError) as error:
            base_programme(funds=[fund])
        assert ["funds[0].owner", "funds[0].owner"] == [
            p for p in error.value.paths if p.startswith("funds")
        ]
