"""The core imports and runs without the optional extras (pandas, matplotlib, tqdm)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from programma.examples import leeuwarden_oost

SCRIPT = textwrap.dedent(
    """
    import sys

    for name in ("pandas", "matplotlib", "tqdm"):
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
        programma.project(leeuwarden_oost(), scenarios=8, progress=True)
    except ImportError as error:
        print(type(error).__name__, error)

    import io
    from programma.cli import main

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    err = Terminal()
    code = main(["simulate", "--scenarios", "300"], stdout=io.StringIO(), stderr=err)
    print(code, err.getvalue().split(chr(13))[-1].strip())
    """
)


class TestWithoutExtras:
    def test_core_without_pandas_or_matplotlib(self) -> None:
        """Projecting and summarising need none; asking for a frame or a tqdm bar says what is
        missing, and the command line shows its plain bar."""
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300
        )
        assert "" == done.stderr
        assert 0 == done.returncode
        count, fund = done.stdout.splitlines()[0].split()
        assert leeuwarden_oost().funds[0].id == fund
        assert int(count) > 0
        assert [
            "ImportError to_pandas needs pandas: pip install 'programma[pandas]'",
            "ImportError progress=True needs tqdm: pip install 'programma[progress]'",
            "0 [##############################] 300/300 scenarios",
        ] == done.stdout.splitlines()[1:]
