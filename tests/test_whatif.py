"""What if: values changed by path, and named variants of a programme."""

from __future__ import annotations

import datetime as dt
import io
import json

import attrs
import numpy as np
import pytest

from programma import (
    Fixed,
    Pert,
    Programme,
    ProjectionError,
    ValidationError,
    dumps,
    loads,
    project,
    project_variants,
    schema,
)
from programma.cli import EXIT_INVALID, EXIT_OK, main
from programma.examples import leeuwarden_oost

WERK = "contracts[sib-werkroute].metrics[0]"


@pytest.fixture(scope="module")
def example() -> Programme:
    return leeuwarden_oost()


def with_variants(programme: Programme, **variants: dict[str, object]) -> Programme:
    return attrs.evolve(programme, variants=variants)


class TestPaths:
    def test_index_path(self, example: Programme) -> None:
        """An index path sets the value there, converted as the constructor converts it."""
        changed = example.with_values({"contracts[0].metrics[0].price": 5500})
        assert Fixed(5500.0) == changed.contracts[0].metrics[0].price

    def test_id_path(self, example: Programme) -> None:
        """Ids stand in for indexes in lists of entities with ids, at any depth."""
        changed = example.with_values({"contracts[sib-werkroute].metrics[duurzaam].price": 9000})
        assert Fixed(9000.0) == changed.contracts[0].metrics[1].price

    def test_equals_nested_evolve(self, example: Programme) -> None:
        """The result equals the programme rebuilt by hand with nested attrs.evolve."""
        changed = example.with_values(
            {
                f"{WERK}.price": 5500,
                "parameters[referral].distribution.mode": 0.7,
            }
        )
        contract = example.contracts[0]
        metric = attrs.evolve(contract.metrics[0], price=Fixed(5500.0))
        referral = example.parameters[1]
        by_hand = attrs.evolve(
            example,
            contracts=(
                attrs.evolve(contract, metrics=(metric, *contract.metrics[1:])),
                *example.contracts[1:],
            ),
            parameters=(
                example.parameters[0],
                attrs.evolve(referral, distribution=Pert(0.6, 0.7, 1.0)),
                *example.parameters[2:],
            ),
        )
        assert by_hand == changed

    def test_original_unchanged(self, example: Programme) -> None:
        """The programme changed from is left as it was."""
        before = dumps(example)
        example.with_values({f"{WERK}.price": 1, "discount_rate": 0.05})
        assert before == dumps(example)

    def test_nested_distribution_field(self, example: Programme) -> None:
        """A path reaches a field inside a distribution (``price.low``)."""
        pert = example.with_values({f"{WERK}.price": Pert(6000, 8000, 9000)})
        lowered = pert.with_values({f"{WERK}.price.low": 5000})
        assert Pert(5000.0, 8000.0, 9000.0) == lowered.contracts[0].metrics[0].price

    def test_distribution_from_table(self, example: Programme) -> None:
        """A distribution is given as the file writes it, a table with 'dist'."""
        changed = example.with_values(
            {f"{WERK}.price": {"dist": "pert", "low": 1, "mode": 2, "high": 3}}
        )
        assert Pert(1.0, 2.0, 3.0) == changed.contracts[0].metrics[0].price

    def test_year_keys(self, example: Programme) -> None:
        """A year in brackets names an entry of a table by year."""
        changed = example.with_values(
            {
                "funds[gemeentebegroting].amounts[2024]": 1.5,
                "parameters[cpi].distribution.by_year[2022]": 0.05,
            }
        )
        assert 1.5 == dict(changed.funds[0].amounts)[2024]
        assert (2022, Fixed(0.05)) == changed.parameters[2].distribution.by_year[1]

    def test_dates_and_text(self, example: Programme) -> None:
        """A date may be written as the file writes it (YYYY-MM); text is set as it is."""
        changed = example.with_values({"price_base_date": "2022-03", "name": "Anders"})
        assert (dt.date(2022, 3, 1), "Anders") == (changed.price_base_date, changed.name)

    def test_later_path_sees_earlier(self, example: Programme) -> None:
        """Values are set in order: a later path reaches into a value set before it."""
        changed = example.with_values({f"{WERK}.price": Pert(1, 2, 3), f"{WERK}.price.high": 4})
        assert Pert(1.0, 2.0, 4.0) == changed.contracts[0].metrics[0].price


class TestBadPaths:
    def test_all_reported_at_once(self, example: Programme) -> None:
        """Every bad path and value is reported, each with the path as written."""
        with pytest.raises(ValidationError) as caught:
            example.with_values(
                {
                    "contracts[nope].metrics[0].price": 1,
                    "contracts[9].name": "x",
                    "contracts[0].metrics[0].pric": 1,
                    "contracts[0].id.x": 1,
                    "areas[0][1]": 1,
                    "discount_rate": [1],
                    "a..b": 1,
                    "phases[0].start": "spring",
                }
            )
        assert (
            "contracts[nope]",
            "contracts[9]",
            "contracts[0].metrics[0].pric",
            "contracts[0].id.x",
            "areas[0][1]",
            "discount_rate",
            "a..b",
            "phases[0].start",
        ) == caught.value.paths
        problems = caught.value.problems
        assert "'sib-werkroute'" in problems[0].expected
        assert "an index from 0 to 3" == problems[1].expected
        assert "price" in problems[2].expected

    def test_id_in_list_without_ids(self, example: Programme) -> None:
        """An id is refused where a list's entries have no ids."""
        with pytest.raises(ValidationError) as caught:
            example.with_values({"contracts[0].payers[gemeente].share": 1})
        assert ("contracts[0].payers[gemeente]",) == caught.value.paths

    def test_field_of_fixed(self, example: Programme) -> None:
        """A path into a fixed value names the one field a fixed value has."""
        with pytest.raises(ValidationError) as caught:
            example.with_values({f"{WERK}.price.low": 1})
        assert "a field of Fixed (value)" == caught.value.problems[0].expected

    def test_invalid_result_has_full_path(self, example: Programme) -> None:
        """A value that breaks the programme is reported with the problem's full path."""
        with pytest.raises(ValidationError) as caught:
            example.with_values({"contracts[sib-werkroute].metrics[duurzaam].price": -5})
        assert ("contracts[0].metrics[1].price",) == caught.value.paths


class TestMalformedPaths:
    """Text that is not a path, and paths that go where no field is, say what a path is."""

    PATH = "a path of field names and [index or id] keys, such as contracts[werk].metrics[0].price"

    @pytest.mark.parametrize(
        "path", ["contracts[]", "contracts[0", "contracts[0]x", "contracts.[0]", "9abc"]
    )
    def test_not_a_path(self, example: Programme, path: str) -> None:
        """An empty key, an open bracket, text after a key or a bad name is not a path."""
        with pytest.raises(ValidationError) as caught:
            example.with_values({path: 1})
        assert [f"{path}: expected {self.PATH}, got {path!r}"] == [
            str(problem) for problem in caught.value.problems
        ]

    def test_empty_path(self, example: Programme) -> None:
        """An empty path is refused at the programme itself."""
        with pytest.raises(ValidationError) as caught:
            example.with_values({"": 1})
        assert [f"expected {self.PATH}, got ''"] == [str(p) for p in caught.value.problems]

    def test_not_a_mapping(self, example: Programme) -> None:
        """Values given as anything but a mapping of paths are refused."""
        with pytest.raises(ValidationError) as caught:
            example.with_values([("name", "x")])  # type: ignore[arg-type]
        assert ["expected a mapping of paths to values, got list"] == [
            str(p) for p in caught.value.problems
        ]

    def test_into_variants(self, example: Programme) -> None:
        """A path into the variants themselves is refused."""
        with pytest.raises(ValidationError) as caught:
            example.with_values({"variants.low": 1})
        assert ["variants: expected a path to a field other than variants, got 'variants.low'"] == [
            str(p) for p in caught.value.problems
        ]

    def test_year_not_in_table(self, example: Programme) -> None:
        """A year a table does not hold is refused with the years it does."""
        with pytest.raises(ValidationError) as caught:
            example.with_values({"funds[0].amounts[1999]": 1})
        (problem,) = caught.value.problems
        years = ", ".join(str(year) for year, _ in example.funds[0].amounts)
        assert f"funds[0].amounts[1999]: expected one of the years given ({years}), got '1999'" == (
            str(problem)
        )

    def test_inside_a_plain_or_unset_value(self, example: Programme) -> None:
        """A path may not go on past an id or an unset field."""
        with pytest.raises(ValidationError) as caught:
            example.with_values({"contracts[0].initiatives[0].x": 1, "areas[0].code.x": 1})
        assert [
            "contracts[0].initiatives[0].x: expected a path that stops at "
            "contracts[0].initiatives[0] (a field inside a table of fields only), got a field "
            f"'x' inside a plain value ({example.contracts[0].initiatives[0]!r})",
            "areas[0].code.x: expected a path that stops at areas[0].code (a field inside a "
            "table of fields only), got a field 'x' inside an unset value",
        ] == [str(p) for p in caught.value.problems]

    def test_a_list_where_a_value_was(self, example: Programme) -> None:
        """A plain number in place of a list of entities is refused at that field."""
        with pytest.raises(ValidationError) as caught:
            example.with_values({"contracts[0].metrics": 1})
        assert ["contracts[0].metrics: expected a list, got 1"] == [
            str(p) for p in caught.value.problems
        ]


class TestVariants:
    def test_variant_applies_its_values(self, example: Programme) -> None:
        """A variant is the programme with its values set, and without variants."""
        programme = with_variants(example, cheap={f"{WERK}.price": 6000})
        assert example.with_values({f"{WERK}.price": 6000}) == programme.variant("cheap")
        assert {} == programme.variant("cheap").variants

    def test_values_held_in_field_form(self, example: Programme) -> None:
        """A variant holds each value as the field does, whatever form it was given in."""
        programme = with_variants(example, v={f"{WERK}.price": 6000, "price_base_date": "2022-01"})
        assert {f"{WERK}.price": Fixed(6000.0), "price_base_date": dt.date(2022, 1, 1)} == (
            programme.variants["v"]
        )

    @pytest.mark.parametrize("fmt", ["toml", "json"])
    def test_round_trip(self, example: Programme, fmt: str) -> None:
        """Variants are written and read back exactly, in TOML and in JSON."""
        programme = with_variants(
            example,
            low={f"{WERK}.share_achieving.factor": 0.4, "price_base_date": dt.date(2022, 1, 1)},
            high={f"{WERK}.price": Pert(6000, 8000, 9000)},
        )
        assert programme == loads(dumps(programme, format=fmt), format=fmt)  # type: ignore[arg-type]

    def test_file_form(self, example: Programme) -> None:
        """A file declares a variant as a table of quoted paths under [variants.NAME]."""
        text = dumps(example) + f'\n[variants.low]\n"{WERK}.price" = 5000\n'
        assert {"low": {f"{WERK}.price": Fixed(5000.0)}} == loads(text).variants

    def test_schema_accepts_variants(self, example: Programme) -> None:
        """The schema describes variants as tables of paths to values."""
        import jsonschema

        programme = with_variants(example, low={f"{WERK}.price": 5000})
        data = json.loads(dumps(programme, format="json"))
        jsonschema.Draft202012Validator(schema()).validate(data)
        data["variants"]["low"] = 3
        assert not jsonschema.Draft202012Validator(schema()).is_valid(data)

    def test_bad_variants_reported(self, example: Programme) -> None:
        """Each bad variant is reported under variants.NAME, all at once."""
        with pytest.raises(ValidationError) as caught:
            with_variants(
                example,
                **{
                    "bad name": {},
                    "flat": 3,  # type: ignore[dict-item]
                    "base": {},
                    "unknown": {"contracts[nope].name": "x"},
                    "negative": {f"{WERK}.price": -1},
                    "unset": {"description": None},
                },
            )
        assert (
            "variants.bad name",
            "variants.flat",
            "variants.base",
            "variants.unknown.contracts[nope]",
            "variants.negative.contracts[0].metrics[0].price",
            "variants.unset.description",
        ) == caught.value.paths

    def test_bad_variant_in_file(self, example: Programme) -> None:
        """A file's bad variants are reported with their paths."""
        text = dumps(example) + f'\n[variants]\nflat = 3\n[variants.low]\n"{WERK}.price" = -4\n'
        with pytest.raises(ValidationError) as caught:
            loads(text)
        assert ("variants.flat",) == caught.value.paths
        with pytest.raises(ValidationError) as caught:
            loads(dumps(example) + f'\n[variants.low]\n"{WERK}.price" = -4\n')
        assert ("variants.low.contracts[0].metrics[0].price",) == caught.value.paths

    def test_unknown_variant(self, example: Programme) -> None:
        """Asking for a variant the programme lacks names the ones it has."""
        programme = with_variants(example, low={f"{WERK}.price": 5000})
        with pytest.raises(ValidationError, match="'low'"):
            programme.variant("high")
        with pytest.raises(ProjectionError, match="variants \\('low'\\), got 'high'"):
            project(programme, variant="high")


@pytest.fixture(scope="module")
def programme(example: Programme) -> Programme:
    return with_variants(
        example,
        low={f"{WERK}.share_achieving.factor": 0.4},
        high={f"{WERK}.share_achieving.factor": 0.7},
    )


class TestProjectingVariants:
    def test_variant_projection_equals_with_values(self, programme: Programme) -> None:
        """Projecting a variant equals projecting the programme with its values set."""
        by_name = project(programme, variant="low", scenarios=256, seed=5)
        by_hand = project(
            programme.with_values({f"{WERK}.share_achieving.factor": 0.4}), scenarios=256, seed=5
        )
        assert by_hand.series == by_name.series
        np.testing.assert_array_equal(by_hand.values, by_name.values)

    def test_common_random_numbers(self, programme: Programme) -> None:
        """Variants with one seed draw the same for all they leave alone, bit for bit."""
        runs = project_variants(programme, scenarios=256, seed=11)
        assert ["base", "low", "high"] == list(runs)
        untouched = {
            name: run.outflow("preventiebudget-zorgverzekeraar") for name, run in runs.items()
        }
        np.testing.assert_array_equal(untouched["base"], untouched["low"])
        np.testing.assert_array_equal(untouched["base"], untouched["high"])
        touched = [run.outflow("resultatenfonds").sum(axis=1) for run in runs.values()]
        assert not np.array_equal(touched[0], touched[1])
        # Factors 0.4 (low), 0.55 (base) and 0.7 (high) on the share achieving: more paid.
        assert touched[1].mean() < touched[0].mean() < touched[2].mean()

    def test_summary_table(self, programme: Programme) -> None:
        """The side-by-side summary holds each fund's total outflow spread per variant."""
        runs = project_variants(programme, scenarios=256, seed=11)
        data = runs.to_dict()
        totals = runs["low"].outflow("resultatenfonds").sum(axis=1)
        figures = data["fund_outflow"]["resultatenfonds"]["low"]
        assert float(totals.mean()) == pytest.approx(figures["mean"], rel=1e-12)
        assert float(np.quantile(totals, 0.1)) == pytest.approx(figures["p10"], rel=1e-12)
        assert float(np.quantile(totals, 0.9)) == pytest.approx(figures["p90"], rel=1e-12)
        assert ["base", "low", "high"] == data["names"]
        text = str(runs)
        assert "resultatenfonds" in text
        assert "vs base" in text
        assert 3 * len(programme.funds) + 3 == len(text.splitlines()) - 1

    def test_unknown_names(self, programme: Programme) -> None:
        """Asking project_variants for unknown variants is a ProjectionError."""
        with pytest.raises(ProjectionError, match="'middle'"):
            project_variants(programme, variants=["middle"])


class TestCommandLine:
    def test_simulate_variant(self, tmp_path: object, example: Programme) -> None:
        """``simulate --variant`` projects the named variant; an unknown one is invalid input."""
        from pathlib import Path

        path = Path(str(tmp_path)) / "p.toml"
        path.write_text(dumps(with_variants(example, cheap={f"{WERK}.price": 1000})))
        outputs = {}
        for extra in ([], ["--variant", "cheap"]):
            out, err = io.StringIO(), io.StringIO()
            code = main(["simulate", str(path), "--format", "json", *extra], stdout=out, stderr=err)
            assert EXIT_OK == code
            outputs[len(extra)] = json.loads(out.getvalue())
        assert outputs[0] != outputs[2]
        out, err = io.StringIO(), io.StringIO()
        assert EXIT_INVALID == main(
            ["simulate", str(path), "--variant", "x"], stdout=out, stderr=err
        )
        assert "'cheap'" in err.getvalue()


class TestVariantsPerArea:
    def test_areas_add_up_to_the_funds(self) -> None:
        """Per variant, the areas' outflows (programme-wide included) add up to the funds'."""
        import numpy as np

        from programma import project_variants
        from programma.analysis.areas import area_outflows
        from programma.examples import leeuwarden_oost

        oost = leeuwarden_oost()
        found = project_variants(oost, scenarios=20, seed=5)
        areas = found.area_outflows()
        assert {a.id for a in oost.areas} | {"(programme-wide)"} == set(areas)
        for name, projection in found.items():
            funds = sum(projection.outflow(f.id).sum(axis=1) for f in oost.funds)
            per_area = sum(area_outflows(projection).values())
            assert np.allclose(funds, per_area, rtol=1e-12)
            assert areas["bilgaard"][name].mean == np.mean(area_outflows(projection)["bilgaard"])
        assert set(found.to_dict()["area_outflow"]) == set(areas)
