"""An IATI 2.03 activity file of a programme: its contracts and initiatives as child activities.

The International Aid Transparency Initiative (IATI) activity standard describes who funds and
implements an activity, where, with which budget and planned disbursements, and for which
results. :func:`iati` writes one ``iati-activity`` for the programme (hierarchy 1) and one for
each outcome contract and each initiative (hierarchy 2), linked both ways by
``related-activity``. Every element is filled from the model or from a projection; what the
model does not hold is left out, never made up. docs/export-iati.md maps each element to its
field.

Only the standard library writes the XML, so that the export needs nothing beyond programma's
own dependencies; the same input always gives the same bytes. This module checks the arguments
and writes the document; :mod:`~programma.export.iati_activities` fills the activities.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from .._errors import Problem, ValidationError, described
from ..engine.projection import Projection
from ..model.programme import Programme
from ..model.stakeholders import Stakeholder
from ..model.vocabulary import StakeholderKind
from .iati_activities import (
    CONTRACT_FLOWS,
    INITIATIVE_FLOWS,
    LOCAL_GOVERNMENT,
    MUNICIPAL,
    ActivityWriter,
    period_months,
)

__all__ = [
    "CONTRACT_FLOWS",
    "IATI_VERSION",
    "INITIATIVE_FLOWS",
    "ORGANISATION_TYPES",
    "ExportError",
    "iati",
]

IATI_VERSION = "2.03"
"""The version of the IATI activity standard written."""

ORGANISATION_TYPES: tuple[str, ...] = (
    "10", "11", "15", "21", "22", "23", "24", "30", "40", "60", "70", "71", "72", "73", "80", "90",
)  # fmt: skip
"""The codes of IATI's OrganisationType codelist (2.03), for ``reporting_org_type``."""

_PREFIX = re.compile(r"[A-Z]{2}-[A-Z0-9]+-[A-Za-z0-9](?:[A-Za-z0-9._:-]*[A-Za-z0-9])?")
_PREFIX_EXPECTED = (
    "an IATI organisation identifier: a registration agency code and a number joined by "
    "hyphens, such as 'NL-KVK-12345678' (letters, digits, '-', '_', '.' or ':'; no spaces)"
)
# The characters XML 1.0 can hold: a text with any other cannot be written as XML at all.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class ExportError(ValidationError):
    """The export's arguments do not fit the programme; :attr:`problems` lists every one.

    >>> from programma.examples import leeuwarden_oost
    >>> try:
    ...     iati(leeuwarden_oost(), organisation_prefix="not a prefix")
    ... except ExportError as error:
    ...     print(error.paths)
    ('organisation_prefix',)
    """


def iati(
    programme: Programme,
    projection: Projection | None = None,
    *,
    organisation_prefix: str,
    reporting_org: str | None = None,
    reporting_org_type: str | None = None,
    quantile: float = 0.5,
    as_of: dt.date | None = None,
    generated: dt.datetime | None = None,
) -> bytes:
    """The programme as an IATI 2.03 ``iati-activities`` document, UTF-8 encoded.

    One activity for the programme and one per outcome contract and per initiative. Their
    identifiers are ``{organisation_prefix}-{programme.id}`` for the programme,
    ``…-contract-{id}`` for a contract and ``…-initiative-{id}`` for an initiative (a contract
    and an initiative may share an id). With a ``projection``, contracts and initiatives get
    planned disbursements per quarter and budgets per fiscal year: per scenario the sum of
    their funding flows (:data:`CONTRACT_FLOWS`, :data:`INITIATIVE_FLOWS`), then the
    ``quantile`` over scenarios (P50 by default; in expected mode the one value). Amounts are
    rounded to cents; periods and amounts that round to 0 are left out.

    Args:
        programme: The programme.
        projection: A projection of ``programme`` by month or by quarter (by quarter only when
            fiscal years start with a quarter); ``None`` leaves out every element it fills.
        organisation_prefix: The reporting organisation's IATI identifier (``NL-KVK-12345678``).
        reporting_org: The id of the stakeholder that reports (default: the programme's one
            municipality).
        reporting_org_type: Its IATI OrganisationType code (default: ``11``, local government,
            for a municipality; required for any other kind).
        quantile: The quantile over scenarios of projected amounts, in [0, 1].
        as_of: The date the activity statuses are judged at (default: the programme's start).
        generated: When the file is made: written as ``generated-datetime`` and
            ``last-updated-datetime``; left out when not given (the output then depends only on
            the input).

    Returns:
        The XML document, with its declaration, as UTF-8 bytes.

    Raises:
        ExportError: An argument does not fit (every problem listed, each with its argument).

    >>> from programma.examples import leeuwarden_oost
    >>> xml = iati(leeuwarden_oost(), organisation_prefix="NL-KVK-12345678")
    >>> xml.count(b"<iati-activity "), xml[:38]
    (14, b"<?xml version='1.0' encoding='utf-8'?>")
    """
    problems = list(
        _argument_problems(
            programme, projection, organisation_prefix, reporting_org, reporting_org_type, quantile
        )
    )
    problems.extend(_text_problems(programme))
    if problems:
        raise ExportError(problems)
    reporter = reporting_org if reporting_org is not None else _municipalities(programme)[0]
    kind = _stakeholder(programme, reporter).kind
    writer = ActivityWriter(
        programme,
        projection,
        prefix=organisation_prefix,
        reporter=reporter,
        reporter_type=reporting_org_type or (LOCAL_GOVERNMENT if kind in MUNICIPAL else ""),
        quantile=quantile,
        as_of=as_of or programme.start,
        generated=generated,
    )
    root = ET.Element("iati-activities", version=IATI_VERSION)
    if generated is not None:
        root.set("generated-datetime", generated.isoformat())
    root.extend(writer.activities())
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


# -- arguments ---------------------------------------------------------------------------------


def _municipalities(programme: Programme) -> list[str]:
    return [s.id for s in programme.stakeholders if s.kind is StakeholderKind.MUNICIPALITY]


def _argument_problems(
    programme: Programme,
    projection: Projection | None,
    prefix: str,
    reporter: str | None,
    reporter_type: str | None,
    quantile: float,
) -> Iterator[Problem]:
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        yield Problem("organisation_prefix", _PREFIX_EXPECTED, prefix)
    ids = [s.id for s in programme.stakeholders]
    if reporter is None:
        municipalities = _municipalities(programme)
        if len(municipalities) != 1:
            yield Problem(
                "reporting_org",
                "the id of the reporting stakeholder, as the programme has not exactly one "
                "municipality to take by default",
                described(f"none, and {len(municipalities)} municipalities"),
            )
            return
        reporter = municipalities[0]
    elif reporter not in ids:
        shown = ", ".join(repr(i) for i in ids[:8]) + (", …" if len(ids) > 8 else "")
        yield Problem("reporting_org", f"the id of one of the stakeholders ({shown})", reporter)
        return
    if reporter_type is not None and reporter_type not in ORGANISATION_TYPES:
        yield Problem(
            "reporting_org_type",
            f"an IATI OrganisationType code ({', '.join(ORGANISATION_TYPES)})",
            reporter_type,
        )
    elif reporter_type is None and _stakeholder(programme, reporter).kind not in MUNICIPAL:
        yield Problem(
            "reporting_org_type",
            f"an IATI OrganisationType code for the reporting stakeholder {reporter!r}, which "
            "is not a municipality",
            None,
        )
    if not isinstance(quantile, int | float) or not 0.0 <= quantile <= 1.0:
        yield Problem("quantile", "a number from 0 to 1", quantile)
    if projection is not None:
        yield from _projection_problems(programme, projection)


def _projection_problems(programme: Programme, projection: Projection) -> Iterator[Problem]:
    if projection.programme != programme:
        yield Problem(
            "projection",
            f"a projection of this programme ({programme.id!r})",
            described(f"a projection of another programme ({projection.programme.id!r})"),
        )
        return
    if projection.summed_initiatives:
        yield Problem(
            "projection",
            "a projection that keeps each initiative's series (project(..., initiatives=True))",
            described("a projection with initiatives summed per fund and area"),
        )
        return
    if projection.resolution not in ("month", "quarter"):
        yield Problem(
            "projection",
            "a projection by month or by quarter (planned disbursements are per quarter)",
            described(f"a projection by {projection.resolution}"),
        )
        return
    months = period_months(projection)
    grid = projection.grid
    for label, (first, last) in zip(projection.periods, months, strict=True):
        if int(grid.fiscal_year_of(first)) != int(grid.fiscal_year_of(last)):
            yield Problem(
                "projection",
                "a projection by month when fiscal years do not start with a quarter",
                described(f"a projection by quarter, whose {label} spans two fiscal years"),
            )
            return


def _text_problems(programme: Programme) -> Iterator[Problem]:
    """Texts the export writes that XML 1.0 cannot hold (control characters and the like)."""
    fields: list[tuple[str, str | None]] = [
        ("name", programme.name),
        ("description", programme.description),
        ("shared_interest", programme.shared_interest),
    ]
    fields += [(f"stakeholders[{i}].name", s.name) for i, s in enumerate(programme.stakeholders)]
    fields += [(f"areas[{i}].name", a.name) for i, a in enumerate(programme.areas)]
    fields += [(f"areas[{i}].code", a.code) for i, a in enumerate(programme.areas)]
    for i, c in enumerate(programme.contracts):
        fields += [(f"contracts[{i}].name", c.name), (f"contracts[{i}].description", c.description)]
        for j, m in enumerate(c.metrics):
            path = f"contracts[{i}].metrics[{j}]"
            fields += [(f"{path}.name", m.name), (f"{path}.definition", m.definition)]
    for i, n in enumerate(programme.initiatives):
        fields += [
            (f"initiatives[{i}].name", n.name),
            (f"initiatives[{i}].description", n.description),
        ]
    for path, value in fields:
        if value is not None and _NOT_XML.search(value):
            yield Problem(path, "text that XML 1.0 can hold (no control characters)", value)


def _stakeholder(programme: Programme, stakeholder_id: str) -> Stakeholder:
    for stakeholder in programme.stakeholders:
        if stakeholder.id == stakeholder_id:
            return stakeholder
    raise KeyError(stakeholder_id)  # pragma: no cover  (the programme checks its references)
