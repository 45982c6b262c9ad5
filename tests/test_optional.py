"""The core imports and runs without the optional extras (pandas, pyarrow, matplotlib, tqdm)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from programma.examples import leeuwarden_oost

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
        projection.to_parquet(sys.argv[1])
    except ImportError as error:
        print(type(error).__name__, error)
    try:
        programma.project(leeuwarden_oost(), scenarios=8, progress=True)
    except ImportError as error:
        print(type(error).__name__, error)

    import io
    from programma.cli import main

    err = io.StringIO()
    argv = ["simulate", "--format", "parquet", "--out", sys.argv[1]]
    print(main(argv, stdout=io.StringIO(), stderr=err), err.getvalue().strip())

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
        """Projecting and summarising need no extra; a frame, a Parquet file or a tqdm bar asked
        for says what is missing, and the command line shows its plain bar."""
        target = tmp_path / "rows.parquet"
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(target)],
            capture_output=True,
            text=True,
            timeout=300,
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
            "1 programma: --format parquet needs pyarrow: pip install 'programma[parquet]'",
            "0 [##############################] 300/300 scenarios",
        ] == done.stdout.splitlines()[1:]
        assert not target.exists()
