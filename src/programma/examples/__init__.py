"""Example programmes shipped with programma.

>>> from programma.examples import leeuwarden_oost
>>> programme = leeuwarden_oost()
>>> programme.start.year, programme.horizon_years
(2021, 20)
"""

from __future__ import annotations

from importlib.resources import files

from ..files.programme_files import loads
from ..model.programme import Programme

__all__ = ["EXAMPLES", "example_text", "leeuwarden_oost"]

EXAMPLES: dict[str, str] = {"leeuwarden-oost": "leeuwarden-oost.toml"}
"""The shipped examples, by name, with their file names in this package."""


def example_text(name: str = "leeuwarden-oost") -> str:
    """The TOML text of a shipped example, with its comments (sources and rationale).

    Raises:
        KeyError: There is no example by that name.
    """
    if name not in EXAMPLES:
        raise KeyError(f"no example named {name!r}; the examples are {', '.join(EXAMPLES)}")
    return files(__package__).joinpath(EXAMPLES[name]).read_text(encoding="utf-8")


def leeuwarden_oost() -> Programme:
    """Leeuwarden Oost: a twenty-year programme (2021–2041) against intergenerational poverty.

    Five neighbourhoods, four funds and the municipal budget, its phases, stakeholders and their
    engagement, interests at every scale, initiatives, and outcome contracts financed by an
    investor, by payer advances, and by an external partner's pre-financing with municipal
    step-in at a gate. Every number in the file carries its public source or rationale.
    """
    return loads(example_text("leeuwarden-oost"), format="toml")
