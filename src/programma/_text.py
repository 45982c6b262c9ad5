"""Plain-text rendering for terminals: aligned tables and readable numbers."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

__all__ = ["MISSING", "money", "number", "printable", "table"]

_NUMBER = re.compile(r"(?:[A-Z]{3} )?[-−]?[\d,]+(?:\.\d+)?%?|[-−]?∞|—|")

MISSING = "—"
"""How a figure that does not exist (NaN: no outcome paid, no IRR) is shown."""


# C0 controls but tab and newline, DEL, C1 controls (U+009B starts an escape sequence on some
# terminals), line and paragraph separators, and the bidirectional overrides and isolates.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    r"""``text`` with control characters shown as ``\u001b`` escapes, safe for a terminal.

    Tabs and newlines stay. The escapes are those of JSON, so JSON text stays valid JSON.

    >>> print(printable("Werkfit\x1b[31m red\u202e"))
    Werkfit\u001b[31m red\u202e
    """
    return _CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _numeric(cell: object) -> bool:
    """Whether a cell shows a number (right-aligned): a number, or text such as 'EUR 1,200'."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return True
    return isinstance(cell, str) and _NUMBER.fullmatch(cell) is not None


def number(value: float, digits: int = 1) -> str:
    """A number with thousands separators and at most ``digits`` decimals, trailing zeros cut.

    A figure that does not exist (NaN) is shown as :data:`MISSING`.

    >>> number(1234567.891), number(0.25, 2), number(3.0), number(float("nan"))
    ('1,234,567.9', '0.25', '3', '—')
    """
    if not math.isfinite(value):
        return MISSING if math.isnan(value) else ("∞" if value > 0 else "−∞")
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money(value: float, currency: str = "") -> str:
    """An amount rounded to whole units, with its currency code.

    An amount that does not exist (NaN) is shown as :data:`MISSING`, without the currency;
    an infinite one as ``∞``.

    >>> money(680000, "EUR"), money(float("nan"), "EUR")
    ('EUR 680,000', '—')
    """
    if math.isnan(value):
        return MISSING
    amount = number(round(value) if math.isfinite(value) else value, 0)
    return f"{currency} {amount}" if currency else amount


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, indent: str = "") -> str:
    """An aligned text table; numbers are right-aligned, text left-aligned.

    >>> print(table(["name", "amount"], [["a", 1], ["bb", 22]]))
    name  amount
    ----  ------
    a          1
    bb        22
    """
    cells = [[str(cell) for cell in row] for row in rows]
    numeric = [
        all(_numeric(row[i]) for row in rows) if rows else False for i in range(len(headers))
    ]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ]
        return (indent + "  ".join(parts)).rstrip()

    out = [line(list(headers)), line(["-" * width for width in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)
