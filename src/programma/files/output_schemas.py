"""The JSON Schemas (draft 2020-12) of the JSON documents programma writes.

Every document carries ``format_version`` (:data:`OUTPUT_FORMAT_VERSION`) and ``kind``:

- ``"projection"``: a projection's every series per scenario and period
  (``Projection.to_json``, ``Projection.to_dict``);
- ``"summary"``: the summary per fund and fiscal year, contract, gate and investor
  (``Summary.to_dict``);
- ``"simulation"``: what ``programma simulate --format json`` writes, the per-period means and
  the summary document;
- ``"errors"``: what every command writes on standard error with ``--errors json``.

``programma schema --output KIND`` prints each.
"""

from __future__ import annotations

from typing import Any

from ..analysis.summary import PERCENTILE_METHOD
from ..engine import CAP_STAGES
from ..engine.exports import OUTPUT_FORMAT_VERSION
from ..engine.series import FLOWS, MEASURES
from ..periods.grid import RESOLUTIONS

__all__ = ["OUTPUT_FORMAT_VERSION", "OUTPUT_KINDS", "output_schema"]

OUTPUT_KINDS: tuple[str, ...] = ("projection", "summary", "simulation", "errors")
"""The kinds of document programma writes, each with its schema."""

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_BASE = "https://programma.readthedocs.io/schema"
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"}
_CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "An ISO 4217 code."}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_SHARE = {"type": "number", "minimum": 0, "maximum": 1}


def output_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of the document of ``kind`` (one of :data:`OUTPUT_KINDS`).

    Raises:
        ValueError: ``kind`` is not one of :data:`OUTPUT_KINDS`.

    >>> s = output_schema("summary")
    >>> s["$schema"], s["properties"]["kind"]["const"]
    ('https://json-schema.org/draft/2020-12/schema', 'summary')
    """
    builders = {
        "projection": _projection,
        "summary": _summary_parts,
        "simulation": _simulation,
        "errors": _errors,
    }
    if kind not in builders:
        raise ValueError(f"kind: expected one of {', '.join(OUTPUT_KINDS)}, got {kind!r}")
    root, defs = builders[kind]()
    return {
        "$schema": _DRAFT,
        "$id": f"{_BASE}/{kind}-{OUTPUT_FORMAT_VERSION}.json",
        "title": f"programma {kind}",
        **root,
        **({"$defs": dict(sorted(defs.items()))} if defs else {}),
    }


def _head(kind: str, description: str) -> dict[str, Any]:
    return {
        "format_version": {
            "const": OUTPUT_FORMAT_VERSION,
            "description": "The version of the document's shape.",
        },
        "kind": {"const": kind, "description": description},
    }


def _object(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object: every property required but the ``optional`` ones."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def _period() -> dict[str, Any]:
    return {
        "description": "A period: its label (2021-10, 2021Q4, 2021 or FY2021) and its first "
        "and last day within the programme's months.",
        **_object({"label": {"type": "string"}, "start": _DATE, "end": _DATE}),
    }


def _run_fields() -> dict[str, Any]:
    """The fields that say what was projected, shared by projections and period means."""
    return {
        "programme": {"type": "string", "description": "The programme's id."},
        "currency": _CURRENCY,
        "mode": {"enum": ["expected", "monte-carlo"]},
        "seed": {
            "type": ["integer", "null"],
            "minimum": 0,
            "description": "null in expected mode.",
        },
        "scenarios": {"type": "integer", "minimum": 1},
        "resolution": {"enum": list(RESOLUTIONS)},
        "periods": {"type": "array", "items": {"$ref": "#/$defs/period"}},
    }


def _projection() -> tuple[dict[str, Any], dict[str, Any]]:
    key = {"type": "string", "description": "Empty where it does not apply."}
    series = _object(
        {
            "flow": {"enum": [*FLOWS, *MEASURES]},
            "payer": key,
            "payee": key,
            "contract": key,
            "initiative": key,
            "fund": key,
            "metric": key,
            "area": key,
            "unit": {
                "description": "The currency code for amounts, count for counts of outcomes.",
                "anyOf": [{"const": "count"}, _CURRENCY],
            },
            "values": {
                "description": "Per scenario, the value in each period.",
                "type": "array",
                "items": {"type": "array", "items": {"type": "number"}},
            },
        }
    )
    root = _object(
        {
            **_head("projection", "A projection's every series, per scenario and period."),
            **_run_fields(),
            "series": {"type": "array", "items": {"$ref": "#/$defs/series"}},
            "scalars": {
                "description": "Per-scenario figures by name; null where a figure does not "
                "exist (an IRR that does not exist).",
                "type": "object",
                "additionalProperties": {"type": "array", "items": _NUMBER_OR_NULL},
            },
        }
    )
    return root, {"period": _period(), "series": series}


def _summary_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    spread = {"$ref": "#/$defs/spread"}
    spreads = {"type": "object", "additionalProperties": spread}
    defs = {
        "spread": {
            "description": "A quantity over the scenarios: mean, standard error of the mean, "
            "percentiles; null where no scenario has a value, which missing counts.",
            **_object(
                {
                    "mean": _NUMBER_OR_NULL,
                    "se": _NUMBER_OR_NULL,
                    "p10": _NUMBER_OR_NULL,
                    "p50": _NUMBER_OR_NULL,
                    "p90": _NUMBER_OR_NULL,
                    "missing": {"type": "integer", "minimum": 0},
                }
            ),
        },
        "fund_year": _object(
            {
                "fund": {"type": "string"},
                "year": {"type": "string", "pattern": r"^FY\d{4}$"},
                "outflow": spread,
                "accrual": spread,
                "budget": spread,
                "breach_probability": _SHARE,
                "earned": spread,
            }
        ),
        "contract": _object(
            {
                "contract": {"type": "string"},
                "achieved": spread,
                "paid_outcomes": spread,
                "paid_by": spreads,
                "forfeited": spread,
                "unpaid": spread,
                "cap_bound": {
                    "type": "object",
                    "propertyNames": {"enum": list(CAP_STAGES)},
                    "additionalProperties": _SHARE,
                },
                "cost_per_outcome": spread,
                "cost_per_outcome_discounted": spread,
            }
        ),
        "investor": _object(
            {
                "contract": {"type": "string"},
                "investor": {"type": "string"},
                "drawn": spread,
                "distributed": spread,
                "guarantee": spread,
                "irr": spread,
                "multiple": spread,
                "loss_probability": _SHARE,
                "return_cap_bound": _SHARE,
            }
        ),
    }
    root = _object(
        {
            **_head("summary", "A projection's summary per fund, contract, gate and investor."),
            "percentile_method": {"const": PERCENTILE_METHOD},
            "scenarios": {"type": "integer", "minimum": 1},
            "currency": _CURRENCY,
            "funds": {"type": "array", "items": {"$ref": "#/$defs/fund_year"}},
            "contracts": {"type": "array", "items": {"$ref": "#/$defs/contract"}},
            "gates": {"type": "object", "additionalProperties": _SHARE},
            "investors": {"type": "array", "items": {"$ref": "#/$defs/investor"}},
            "npv_payers": spreads,
            "npv_funds": spreads,
            "gate_measures": spreads,
        }
    )
    return root, defs


def _simulation() -> tuple[dict[str, Any], dict[str, Any]]:
    summary, defs = _summary_parts()
    per_period = {"type": "array", "items": {"type": "number"}}
    means = _object(
        {
            **_run_fields(),
            "mean": {
                "description": "Per flow, its scenario mean in each period.",
                "type": "object",
                "propertyNames": {"enum": [*FLOWS, *MEASURES]},
                "additionalProperties": per_period,
            },
            "outcome_payment_p10": per_period,
            "outcome_payment_p90": per_period,
        },
        optional=("outcome_payment_p10", "outcome_payment_p90"),
    )
    root = _object(
        {
            **_head("simulation", "What programma simulate --format json writes."),
            "period_means": {
                "description": "Per period, the scenario means of the main flows (and in "
                "Monte Carlo the P10 and P90 of outcome payments).",
                **means,
            },
            "summary": {"$ref": "#/$defs/summary"},
        }
    )
    return root, {**defs, "period": _period(), "summary": summary}


def _errors() -> tuple[dict[str, Any], dict[str, Any]]:
    scalar = {"type": ["string", "number", "boolean", "null"]}
    problem = _object(
        {
            "file": {
                "type": ["string", "null"],
                "description": "The file the problem is in (- for standard input); null for "
                "a problem of the command or its options.",
            },
            "path": {
                "type": "string",
                "description": "Where the problem is: a field's path in the file "
                "(contracts[0].metrics[1].price), an option (--scenarios), or empty.",
            },
            "expected": {"type": ["string", "null"]},
            "given": {**scalar, "description": "What was given; null when not known."},
            "message": {"type": "string", "description": "The line the text form shows."},
        }
    )
    root = _object(
        {
            **_head("errors", "Why a command failed, written on standard error."),
            "exit_code": {"type": "integer", "enum": [1, 2, 130]},
            "problems": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/problem"}},
        }
    )
    return root, {"problem": problem}
