"""The core imports and runs without the optional extras (pandas, matplotlib)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from programma.examples import leeuwarden_oost

SCRIPT = textwrap.dedent(
    """
    import sys

    for name in ("pandas", "matplotlib"):
        sys.modules[name] = None  # any import of it now fails, as if it were not installed

    import programma
    from programma.examples import leeuwarden_oost

    projection = programma.project(leeuwarden_oost(), scenarios=8, seed=1)
    print(len(projection.series), projection.summary().funds[0].fund)
    try:
        projection.to_pandas()
    except ImportError as error:
        print(type(error).__name__, error)
    """
)


class TestWithoutExtras:
    def test_core_without_pandas_or_matplotlib(self) -> None:
        """Projecting and summarising need neither; asking for a frame says what is missing."""
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300
        )
        assert "" == done.stderr
        assert 0 == done.returncode
        count, fund = done.stdout.splitlines()[0].split()
        assert leeuwarden_oost().funds[0].id == fund
        assert int(count) > 0
        assert [
            "ImportError to_pandas needs pandas: pip install 'programma[pandas]'"
        ] == done.stdout.splitlines()[1:]
