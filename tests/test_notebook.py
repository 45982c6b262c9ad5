"""The tutorial notebook (docs/notebooks/tutorial.py) and the tutorial page's figures.

The notebook is a jupytext "percent" file. It runs as a plain script in a subprocess, with no
display, no network and no Jupyter; and cell by cell, as a notebook runs it, to check what its
cells show.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")  # the notebook draws charts: the plot extra

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebooks" / "tutorial.py"
TUTORIAL = ROOT / "docs" / "tutorial.md"
CHARTS = ("results-fund.png", "results-fund-lower-price.png")

# Imported first by the script's interpreter (a ``sitecustomize`` module on its path): no
# connection can be opened, and Jupyter's packages cannot be imported.
_OFFLINE = """
import socket
import sys


def _refuse(*args, **kwargs):
    raise OSError("the notebook must not use the network")


socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.getaddrinfo = _refuse
socket.create_connection = _refuse
for name in ("IPython", "ipykernel", "jupyter_client", "jupyter_core", "jupytext"):
    sys.modules[name] = None  # importing it raises ImportError
"""


def cells(path: Path = NOTEBOOK) -> list[tuple[str, str]]:
    """The notebook's cells, as (kind, text): ``"code"`` or ``"markdown"``, after the header."""
    found: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        marker = re.match(r"# %%(?: \[(\w+)\])?\s*$", line)
        if marker:
            found.append((marker.group(1) or "code", []))
        elif found:
            found[-1][1].append(line)
    return [(kind, "\n".join(lines).strip("\n")) for kind, lines in found]


@pytest.fixture(scope="module")
def script_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The notebook run as ``python tutorial.py`` in an empty folder, with MPLBACKEND=Agg."""
    folder = tmp_path_factory.mktemp("notebook")
    site = tmp_path_factory.mktemp("offline")
    (site / "sitecustomize.py").write_text(_OFFLINE, encoding="utf-8")
    path = os.pathsep.join([str(site), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": path}
    completed = subprocess.run(
        [sys.executable, str(NOTEBOOK)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
        check=False,
    )
    return completed, folder


class TestTheNotebookRunsAsAScript:
    def test_it_finishes_with_exit_0(
        self, script_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """Run as a script, offline and without Jupyter, it exits with status 0."""
        completed, _ = script_run
        assert 0 == completed.returncode, completed.stderr

    def test_it_writes_both_charts_as_png(
        self, script_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """It writes the fan chart and the side-by-side chart, as PNG, in the current folder."""
        _, folder = script_run
        assert sorted(CHARTS) == sorted(p.name for p in folder.iterdir())
        for name in CHARTS:
            assert b"\x89PNG\r\n\x1a\n" == (folder / name).read_bytes()[:8], name

    def test_it_prints_the_figures_the_tutorial_page_shows(
        self, script_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """Each line it prints is an output line of the tutorial page: the two say the same."""
        completed, _ = script_run
        printed = completed.stdout.splitlines()
        page = set(TUTORIAL.read_text(encoding="utf-8").splitlines())
        assert 12 == len(printed), completed.stdout
        assert [] == [line for line in printed if line not in page]


class TestTheNotebookAsANotebook:
    def test_it_is_a_jupytext_percent_file(self) -> None:
        """A header naming the percent format, then code and Markdown cells, every Markdown
        line a comment (as jupytext reads them)."""
        head = NOTEBOOK.read_text(encoding="utf-8").split("# %%", 1)[0]
        assert "#       format_name: percent" in head.splitlines()
        kinds = [kind for kind, _ in cells()]
        assert {"code", "markdown"} == set(kinds)
        for kind, text in cells():
            if kind == "markdown":
                assert all(line == "#" or line.startswith("# ") for line in text.splitlines())

    def test_its_cells_show_the_programme_summary_and_comparison_as_html(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Run cell by cell as a notebook runs them, the cells ending in an expression show
        the programme, its summary and the comparison, each with its HTML view."""
        import matplotlib.pyplot as plt

        import programma

        monkeypatch.chdir(tmp_path)
        namespace: dict[str, Any] = {"__name__": "__main__"}
        shown: list[Any] = []
        try:
            for kind, text in cells():
                if kind != "code":
                    continue
                tree = ast.parse(textwrap.dedent(text))
                last = tree.body[-1] if tree.body else None
                if isinstance(last, ast.Expr):  # a notebook shows the value of this one
                    tree.body.pop()
                    exec(compile(tree, str(NOTEBOOK), "exec"), namespace)
                    expression = ast.Expression(last.value)
                    shown.append(eval(compile(expression, str(NOTEBOOK), "eval"), namespace))
                else:
                    exec(compile(tree, str(NOTEBOOK), "exec"), namespace)
        finally:
            plt.close("all")
        views = [value for value in shown if hasattr(value, "_repr_html_")]
        kinds = [type(value) for value in views]
        assert [programma.Programme, programma.Summary, programma.DesignComparison] == kinds
        for value in views:
            html = value._repr_html_()
            assert html.startswith("<"), type(value).__name__
            assert "resultatenfonds" in html, type(value).__name__
        assert sorted(CHARTS) == sorted(p.name for p in tmp_path.iterdir())


class TestTheTutorialFigures:
    def test_the_docs_hook_draws_every_figure_the_tutorial_shows(self) -> None:
        """Every figure the tutorial page links is one the figures hook adds to the site."""
        spec = importlib.util.spec_from_file_location(
            "docs_figures_hook", ROOT / "docs" / "hooks" / "figures.py"
        )
        assert spec is not None
        assert spec.loader is not None
        hook = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(hook)
        linked = re.findall(r"\]\((figures/[^)]+)\)", TUTORIAL.read_text(encoding="utf-8"))
        assert ["figures/tutorial-fan-chart.svg", "figures/tutorial-lower-price.svg"] == linked
        assert [] == [path for path in linked if path not in hook.figures()]
