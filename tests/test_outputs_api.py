"""The public face of outputs: exported summary classes, worker hints, memory-budget advice."""

from __future__ import annotations

import concurrent.futures as cf
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import programma
from programma import MemoryBudgetError, ProjectionError, project
from programma.examples import leeuwarden_oost

DOCS = Path(__file__).parents[1] / "docs"


class TestSummaryExports:
    @pytest.mark.parametrize("name", ["FundYear", "ContractFigures", "InvestorFigures"])
    def test_exported(self, name: str) -> None:
        """The summary's item classes are importable from programma and listed in __all__."""
        assert name in programma.__all__
        assert name == getattr(programma, name).__name__

    def test_are_the_summary_items(self) -> None:
        """A summary's items are instances of the exported classes."""
        summary = project(leeuwarden_oost()).summary()
        assert isinstance(summary.funds[0], programma.FundYear)
        assert isinstance(summary.contracts[0], programma.ContractFigures)
        assert isinstance(summary.investors[0], programma.InvestorFigures)

    def test_docs_use_public_paths(self) -> None:
        """The API reference names no object by a private module path."""
        text = (DOCS / "api.md").read_text(encoding="utf-8")
        assert [] == re.findall(r"::: programma\._\w+\.\w+", text)


class _Inline(cf.Executor):
    """An executor that runs each call at once, with a misleading private attribute."""

    _max_workers = 1000  # a private detail of some executors: must not be read

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        future.set_result(fn(*args, **kwargs))
        return future


def budget_error(**kwargs: Any) -> str:
    with pytest.raises(MemoryBudgetError) as caught:
        project(leeuwarden_oost(), **kwargs)
    return str(caught.value)


class TestWorkers:
    def test_hint_is_used(self) -> None:
        """``workers=`` sets the workers the estimate counts, not a private attribute."""
        message = budget_error(
            scenarios=2048, chunk_size=256, executor=_Inline(), workers=3, max_memory=1
        )
        assert "each of 3 workers" in message

    def test_default_is_usable_cpus(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without a hint, an executor counts as many workers as the CPUs this process may use."""
        monkeypatch.setattr("programma.engine.project._usable_cpus", lambda: 5)
        message = budget_error(scenarios=4096, chunk_size=256, executor=_Inline(), max_memory=1)
        assert "each of 5 workers" in message

    def test_estimate_grows_with_workers(self) -> None:
        """Each worker holds a chunk: four workers need more than one."""
        kwargs: dict[str, Any] = {"scenarios": 4096, "chunk_size": 256, "max_memory": 1}
        with pytest.raises(MemoryBudgetError) as one:
            project(leeuwarden_oost(), executor=_Inline(), workers=1, **kwargs)
        with pytest.raises(MemoryBudgetError) as four:
            project(leeuwarden_oost(), executor=_Inline(), workers=4, **kwargs)
        working = four.value.needed - one.value.needed
        assert working > 0
        assert 0 == working % 3  # three more chunks' working sets

    def test_results_unchanged(self) -> None:
        """The hint changes the estimate only: results equal a run without an executor."""
        with cf.ThreadPoolExecutor(max_workers=2) as pool:
            hinted = project(
                leeuwarden_oost(), scenarios=600, chunk_size=256, executor=pool, workers=2
            )
        plain = project(leeuwarden_oost(), scenarios=600, chunk_size=256)
        assert (plain.values == hinted.values).all()

    @pytest.mark.parametrize("workers", [0, -1, 1.5, True])
    def test_bad_value(self, workers: object) -> None:
        """A workers hint that is not a whole number ≥ 1 is refused, naming it."""
        with pytest.raises(ProjectionError, match=r"workers: expected None or an integer ≥ 1"):
            project(leeuwarden_oost(), scenarios=10, executor=_Inline(), workers=workers)  # type: ignore[arg-type]

    def test_without_executor(self) -> None:
        """Several workers without an executor is refused: chunks then run one at a time."""
        with pytest.raises(ProjectionError, match="workers: 2 given without an executor"):
            project(leeuwarden_oost(), scenarios=10, workers=2)


class TestMemoryBudgetAdvice:
    def test_smallest_chunk(self) -> None:
        """At one block per chunk, a smaller chunk cannot help: what can is suggested."""
        message = budget_error(scenarios=256, resolution="month", max_memory=1)
        assert "chunks of 256 scenarios" in message
        assert "chunk_size" not in message
        assert "workers" not in message.split("Lower it with")[1]
        assert message.endswith(
            "Lower it with fewer scenarios or a coarser resolution ('fiscal_year'), "
            "or raise max_memory"
        )

    def test_fiscal_years_smallest_chunk(self) -> None:
        """By fiscal year, at one block per chunk: fewer scenarios, or raise max_memory."""
        message = budget_error(scenarios=100, max_memory=1)
        assert message.endswith("Lower it with fewer scenarios, or raise max_memory")

    def test_larger_chunk(self) -> None:
        """With chunks of several blocks, a smaller chunk_size is suggested too."""
        message = budget_error(scenarios=4096, chunk_size=1024, max_memory=1)
        assert "a smaller chunk_size" in message

    def test_several_workers(self) -> None:
        """With several workers, fewer workers is suggested."""
        message = budget_error(
            scenarios=4096, chunk_size=256, executor=_Inline(), workers=2, max_memory=1
        )
        assert message.endswith(
            "Lower it with fewer scenarios or fewer workers, or raise max_memory"
        )
