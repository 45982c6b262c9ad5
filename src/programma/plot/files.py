"""Figures written to files: PNG, SVG or PDF by the suffix, atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from matplotlib import rc_context
from matplotlib.figure import Figure

from .._atomic import atomic_binary_writer, check_output_path
from .._errors import Problem, ValidationError
from ..analysis.compare import DesignComparison
from ..analysis.sensitivity import GlobalSensitivity, OneWaySensitivity
from ..engine.projection import Projection
from ._base import DEFAULT_QUANTILES, Quantiles
from .compare import comparison, comparison_funds, differing_funds, kind
from .funds import PANEL_SIZE, fan_charts
from .sensitivity import tornado, variance_shares

__all__ = [
    "FIGURE_FORMATS",
    "figure_format",
    "save_comparison_charts",
    "save_fan_charts",
    "save_figure",
    "save_sensitivity_chart",
]

FIGURE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
"""The formats a figure is written in, named by the file's suffix."""

DPI = 150
"""Dots per inch of a PNG: sharp on a screen, small enough to mail."""


def figure_format(path: str | os.PathLike[str]) -> str:
    """The format a figure at ``path`` is written in, from its suffix (in any letter case).

    Raises:
        ValidationError: The suffix is not one of :data:`FIGURE_FORMATS`.

    >>> figure_format("oost.PNG")
    'png'
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        listing = ", ".join(f".{name}" for name in FIGURE_FORMATS)
        raise ValidationError(
            [Problem("path", f"a file name ending in {listing}", os.fspath(path))]
        )
    return suffix


def save_figure(figure: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``figure`` to ``path`` as PNG, SVG or PDF (by the suffix), atomically.

    The file appears whole or not at all, as every file programma writes (see
    :func:`programma.dump`). Files carry no creation date, so the same figure gives the
    same file.

    Returns:
        The path written.

    Raises:
        ValidationError: The suffix is not ``.png``, ``.svg`` or ``.pdf``.
        OutputPathError: ``path`` is empty or a folder.

    >>> import pathlib, tempfile
    >>> from programma import project
    >>> from programma.examples import leeuwarden_oost
    >>> from programma.plot import fan_charts
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "funds.svg"
    >>> save_figure(fan_charts(project(leeuwarden_oost())), target).read_text()[:5]
    '<?xml'
    """
    kind = figure_format(path)
    check_output_path(path)
    # No dates, and SVG ids from a fixed salt: the same figure gives the same bytes.
    metadata = {"png": {}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[kind]
    with rc_context({"svg.hashsalt": "programma"}), atomic_binary_writer(path) as stream:
        figure.savefig(stream, format=kind, dpi=DPI, metadata=metadata)
    return Path(path)


def save_fan_charts(
    projection: Projection,
    path: str | os.PathLike[str],
    funds: Sequence[str] | None = None,
    *,
    budget: bool = True,
    quantiles: Quantiles = DEFAULT_QUANTILES,
) -> Path:
    """Write :func:`~programma.plot.fan_charts` to a PNG, SVG or PDF file, atomically.

    What ``programma simulate --plot PATH`` writes: a panel per fund. The figure is made
    without pyplot, so no window opens and no figure is left open afterwards.

    Returns:
        The path written.

    Raises:
        ValidationError: The suffix is not ``.png``, ``.svg`` or ``.pdf``, or the arguments
            of :func:`~programma.plot.fan_charts` are wrong.
        OutputPathError: ``path`` is empty or a folder.
    """
    figure_format(path)
    check_output_path(path)
    count = len(projection.programme.funds if funds is None else funds)
    wide = min(2, max(count, 1))
    rows = -(-max(count, 1) // wide)
    figure = Figure(figsize=(PANEL_SIZE[0] * wide, PANEL_SIZE[1] * rows))
    fan_charts(projection, funds, budget=budget, quantiles=quantiles, figure=figure, columns=2)
    return save_figure(figure, path)


def save_sensitivity_chart(
    sensitivity: OneWaySensitivity | GlobalSensitivity,
    path: str | os.PathLike[str],
    *,
    top: int | None = None,
) -> Path:
    """Write a sensitivity's chart to a PNG, SVG or PDF file, atomically.

    What ``programma sensitivity --plot PATH`` writes: the :func:`~programma.plot.tornado` of
    a one-way sensitivity, the :func:`~programma.plot.variance_shares` of a global one. The
    figure is made without pyplot, its height fitted to the rows.

    Returns:
        The path written.

    Raises:
        ValidationError: The suffix is not ``.png``, ``.svg`` or ``.pdf``, or ``top`` is
            not a whole number ≥ 1.
        OutputPathError: ``path`` is empty or a folder.
    """
    figure_format(path)
    check_output_path(path)
    rows = len(sensitivity.rows) if top is None else min(top, len(sensitivity.rows))
    figure = Figure(figsize=(14.0, 0.45 * rows + 2.0), layout="constrained")
    if isinstance(sensitivity, OneWaySensitivity):
        tornado(sensitivity, ax=figure.add_subplot(), top=top)
    else:
        variance_shares(sensitivity, ax=figure.add_subplot(), top=top)
    return save_figure(figure, path)


def save_comparison_charts(
    design_comparison: DesignComparison, path: str | os.PathLike[str]
) -> Path:
    """Write two designs' differences to a PNG, SVG or PDF file, atomically.

    What ``programma compare --plot PATH`` writes: first every fund's difference over the
    horizon (:func:`~programma.plot.comparison_funds`), then a
    :func:`~programma.plot.comparison` panel per fund whose outflow differs
    (:func:`~programma.plot.compare.differing_funds`), two panels to a row. The figure is
    made without pyplot.

    Returns:
        The path written.

    Raises:
        ValidationError: The suffix is not ``.png``, ``.svg`` or ``.pdf``.
        OutputPathError: ``path`` is empty or a folder.
    """
    figure_format(path)
    check_output_path(path)
    funds = differing_funds(design_comparison)
    panels = 1 + len(funds)
    wide = min(2, panels)
    rows = -(-panels // wide)
    # At least 9 inches wide: the overview's fund ids and the title need room.
    size = (max(PANEL_SIZE[0] * wide, 9.0), PANEL_SIZE[1] * rows + 0.4)
    figure = Figure(figsize=size, layout="constrained")
    grid = figure.subplots(rows, wide, squeeze=False).ravel()
    comparison_funds(design_comparison, ax=grid[0])
    for fund, ax in zip(funds, grid[1:], strict=False):
        comparison(design_comparison, fund, ax=ax)
    for spare in grid[panels:]:
        figure.delaxes(spare)
    none = "; no fund's outflow differs" if not funds else ""
    figure.suptitle(
        f"Design B − design A, {kind(design_comparison)}{none}\n"
        f"B: {design_comparison.b_label}; A: {design_comparison.a_label}"
    )
    return save_figure(figure, path)
