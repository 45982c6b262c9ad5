"""The core imports and runs without the optional extras (pandas, pyarrow, matplotlib, tqdm)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import programma
from programma.examples import leeuwarden_oost

PACKAGE = Path(programma.__file__).parent
SOURCE = str(PACKAGE.parent)

SCRIPT = textwrap.dedent(
    """
    import sys

    for name in ("pandas", "matplotlib", "pyarrow", "pyarrow.parquet", "tqdm"):
        sys.modules[name] = None  # any import of it now fails, as if it were not installed

    import programma
    from programma.examples import leeuwarden_oost

    projection = programma.project(leeuwarden_oost(), scenarios=8, seed=1)
    print(len(projection.series), projection.summary().funds[0].fund)
    try:
        projection.to_pandas()
    except ImportError as error:
        print(type(error).__name__, error)
    try:
        projection.to_parquet("rows.parquet")
    except ImportError as error:
        print(type(error).__name__, error)
    try:
        programma.project(leeuwarden_oost(), scenarios=8, progress=True)
    except ImportError as error:
        print(type(error).__name__, error)
    try:
        import programma.plot
    except ImportError as error:
        print(type(error).__name__, error)

    import io
    from programma.cli import main

    err = io.StringIO()
    argv = ["simulate", "--format", "parquet", "--out", "rows.parquet"]
    print(main(argv, stdout=io.StringIO(), stderr=err), err.getvalue().strip())
    err = io.StringIO()
    code = main(["simulate", "--plot", "funds.png"], stdout=io.StringIO(), stderr=err)
    print(code, err.getvalue().rstrip())

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    err = Terminal()
    code = main(["simulate", "--scenarios", "300"], stdout=io.StringIO(), stderr=err)
    print(code, err.getvalue().split(chr(13))[-1].strip())
    """
)


class TestWithoutExtras:
    def test_core_without_the_extras(self, tmp_path: Path) -> None:
        """Projecting and summarising need no extra; a frame, a Parquet file, a tqdm bar or a
        chart asked for says what is missing, and the command line shows its plain bar."""
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": SOURCE},
        )
        assert "" == done.stderr
        assert 0 == done.returncode
        count, fund = done.stdout.splitlines()[0].split()
        assert leeuwarden_oost().funds[0].id == fund
        assert int(count) > 0
        assert [
            "ImportError to_pandas needs pandas: pip install 'programma[pandas]'",
            "ImportError Parquet output needs pyarrow: pip install 'programma[parquet]'",
            "ImportError progress=True needs tqdm: pip install 'programma[progress]'",
            "ImportError programma.plot needs matplotlib: pip install 'programma[plot]'",
            "1 programma: --format parquet needs pyarrow: pip install 'programma[parquet]'",
            "1 programma: --plot needs matplotlib, which is not installed: "
            "pip install 'programma[plot]'",
            "0 [##############################] 300/300 scenarios",
        ] == done.stdout.splitlines()[1:]
        assert [] == list(tmp_path.iterdir())  # refused before anything was written

    def test_only_the_plot_package_imports_matplotlib(self) -> None:
        """Every import of matplotlib, in functions too, stands in programma.plot."""
        importers = set()
        for path in PACKAGE.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else []
                )
                if any(name.split(".")[0] == "matplotlib" for name in names):
                    importers.add(path.relative_to(PACKAGE).parts[0])
        assert {"plot"} == importers
