"""Plain-text rendering for terminals: aligned tables and readable numbers."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

__all__ = [
    "MISSING",
    "clip",
    "fixed",
    "html_table",
    "money",
    "number",
    "plural",
    "printable",
    "table",
]

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


def plural(count: int, noun: str, many: str | None = None) -> str:
    """A count with its noun, singular for one: ``1 contract``, ``1,000 scenarios``.

    ``many`` is the plural where adding an "s" does not make it.

    >>> plural(1, "contract"), plural(2, "contract"), plural(1000, "scenario")
    ('1 contract', '2 contracts', '1,000 scenarios')
    >>> plural(0, "fund share"), plural(3, "entity", "entities")
    ('0 fund shares', '3 entities')
    """
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"


def fixed(value: float, digits: int) -> str:
    """A number with exactly ``digits`` decimals and thousands separators, for a column.

    Unlike :func:`number`, trailing zeros stay, so a column keeps one precision.

    >>> fixed(12.0, 2), fixed(-0.004, 2), fixed(1234.5, 1), fixed(float("nan"), 1)
    ('12.00', '0.00', '1,234.5', '—')
    """
    if not math.isfinite(value):
        return number(value)
    text = f"{value:,.{digits}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def clip(line: str, width: int) -> str:
    """``line`` cut to ``width`` characters, the cut shown by an ellipsis.

    >>> clip("preventiebudget-zorgverzekeraar", 12), clip("short", 12)
    ('preventiebu…', 'short')
    """
    if len(line) <= width:
        return line
    return line[: max(width - 1, 0)] + "…" if width > 0 else ""


def html_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str = ""
) -> str:
    """A small HTML table, every cell escaped; numbers (as :func:`table` tells) right-aligned.

    >>> html_table(["fund", "total"], [["<b>", "1,200"]]).split("<tbody>")[1]
    '<tr><td>&lt;b&gt;</td><td style="text-align:right">1,200</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)

    def cell(value: object) -> str:
        align = ' style="text-align:right"' if _numeric(value) and value != "" else ""
        return f"<td{align}>{html.escape(str(value))}</td>"

    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def run_kind(mode: str, scenarios: int, seed: int | None, what: str = "scenarios") -> str:
    """How a run was made, for a headline: ``expected mode`` or its scenarios and seed.

    >>> run_kind("monte-carlo", 1000, 42)
    '1,000 scenarios, seed 42'
    >>> run_kind("expected", 1, None)
    'expected mode'
    """
    return "expected mode" if mode == "expected" else f"{scenarios:,} {what}, seed {seed}"
