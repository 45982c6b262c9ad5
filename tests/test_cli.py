"""The command line: subcommands, output, error reporting and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import programma
from builders import MINIMAL_TOML
from programma.cli import EXIT_INVALID, EXIT_OK, EXIT_REVIEW, EXIT_USAGE, main
from programma.examples import example_text, leeuwarden_oost

VALID = (
    MINIMAL_TOML
    + """
[[stakeholders]]
id = "gemeente"
name = "Gemeente"
kind = "municipality"
"""
)

INVALID = VALID.replace('currency = "EUR"', 'currency = "euro"').replace(
    "horizon_years = 5", "horizon_years = 0"
)


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def valid_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.toml"
    path.write_text(VALID, encoding="utf-8")
    return path


@pytest.fixture
def invalid_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(INVALID, encoding="utf-8")
    return path


class TestValidate:
    def test_valid_file(self, valid_file: Path) -> None:
        """A valid file exits 0 and says so on stdout."""
        code, out, err = run("validate", str(valid_file))
        assert (EXIT_OK, "") == (code, err)
        assert "valid programme 'demo'" in out

    def test_every_problem_on_its_own_line(self, invalid_file: Path) -> None:
        """Each problem is one stderr line with the file name and the path; exit 1."""
        code, out, err = run("validate", str(invalid_file))
        lines = err.splitlines()
        assert (EXIT_INVALID, "") == (code, out)
        assert f"programma: {invalid_file}: 2 problems" == lines[0]
        assert [
            f"{invalid_file}: currency: expected an ISO 4217 code of three capital letters, "
            "got 'euro'",
            f"{invalid_file}: horizon_years: expected an integer ≥ 1, got 0",
        ] == lines[1:]
        assert "Traceback" not in err

    def test_stdin_toml(self) -> None:
        """`-` reads standard input; TOML is detected."""
        code, out, _ = run("validate", "-", stdin=VALID)
        assert EXIT_OK == code
        assert out.startswith("-: valid programme")

    def test_stdin_json(self) -> None:
        """JSON on standard input is detected by its opening brace."""
        text = programma.dumps(programma.loads(VALID), format="json")
        assert EXIT_OK == run("validate", "-", stdin=text)[0]

    def test_stdin_invalid(self) -> None:
        """Problems in standard input name it as <stdin>."""
        code, _, err = run("validate", "-", stdin=INVALID)
        assert EXIT_INVALID == code
        assert "<stdin>: currency: expected" in err

    def test_syntax_error(self, tmp_path: Path) -> None:
        """A TOML syntax error is one problem line, not a traceback."""
        path = tmp_path / "broken.toml"
        path.write_text("id = [", encoding="utf-8")
        code, _, err = run("validate", str(path))
        assert EXIT_INVALID == code
        assert "expected valid TOML" in err
        assert "Traceback" not in err

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is a clear one-line error with exit 1."""
        path = tmp_path / "missing.toml"
        code, _, err = run("validate", str(path))
        assert (EXIT_INVALID, f"programma: {path}: no such file\n") == (code, err)

    def test_folder(self, tmp_path: Path) -> None:
        """A folder given as FILE is a clear one-line error."""
        folder = tmp_path / "dir.toml"
        folder.mkdir()
        assert (EXIT_INVALID, f"programma: {folder}: is a folder, not a file\n") == run(
            "validate", str(folder)
        )[::2]

    def test_not_utf8(self, tmp_path: Path) -> None:
        """A file that is not UTF-8 is a clear one-line error."""
        path = tmp_path / "latin.toml"
        path.write_bytes(b'name = "caf\xe9"')
        code, _, err = run("validate", str(path))
        assert EXIT_INVALID == code
        assert err.startswith(f"programma: {path}: not UTF-8 text")

    def test_unknown_suffix(self, tmp_path: Path) -> None:
        """A file whose format cannot be told from its suffix needs --input-format."""
        path = tmp_path / "programme.txt"
        path.write_text(VALID, encoding="utf-8")
        code, _, err = run("validate", str(path))
        assert EXIT_INVALID == code
        assert "--input-format toml|json" in err
        assert (EXIT_OK, "") == run("validate", "--input-format", "toml", str(path))[::2]

    def test_newer_format_version(self, tmp_path: Path) -> None:
        """A file from a newer format version is refused with advice to upgrade."""
        path = tmp_path / "new.toml"
        path.write_text(VALID.replace("format_version = 1", "format_version = 99"))
        code, _, err = run("validate", str(path))
        assert EXIT_INVALID == code
        assert "upgrade programma" in err


class TestUsage:
    def test_no_command(self) -> None:
        """No subcommand is a usage error (exit 2)."""
        assert EXIT_USAGE == main([], stderr=io.StringIO())

    def test_unknown_command(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown subcommand is a usage error (exit 2)."""
        assert EXIT_USAGE == main(["frobnicate"])
        assert "invalid choice" in capsys.readouterr().err

    def test_bad_option_value(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An option value outside its choices is a usage error (exit 2)."""
        assert EXIT_USAGE == main(["example", "--format", "yaml"])
        capsys.readouterr()

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--version prints the version and exits 0."""
        assert EXIT_OK == main(["--version"])
        assert f"programma {programma.__version__}" in capsys.readouterr().out


class TestShow:
    def test_example_by_default(self) -> None:
        """Without FILE, show summarises the embedded example."""
        code, out, _ = run("show")
        programme = leeuwarden_oost()
        assert EXIT_OK == code
        assert out.startswith(f"{programme.name} ({programme.id})")
        for contract in programme.contracts:
            assert f"Contract {contract.id}: {contract.name}" in out
        for phase in programme.phases:
            assert phase.id in out

    def test_file(self, valid_file: Path) -> None:
        """show FILE summarises that file."""
        code, out, _ = run("show", str(valid_file))
        assert EXIT_OK == code
        assert "Demo (demo)" in out
        assert "2021-01-01 to 2025-12-01: 5 years, 60 months" in out

    def test_invalid_file(self, invalid_file: Path) -> None:
        """show reports an invalid file like validate does."""
        code, out, err = run("show", str(invalid_file))
        assert (EXIT_INVALID, "") == (code, out)
        assert "horizon_years: expected an integer ≥ 1, got 0" in err


class TestSimulate:
    def test_expected_mode_table(self, valid_file: Path) -> None:
        """simulate FILE --detail prints the period table and the summary."""
        code, out, _ = run("simulate", str(valid_file), "--by", "year", "--detail")
        assert EXIT_OK == code
        assert "expected mode" in out
        assert "Summary over 1 scenario" in out

    def test_periods_that_do_not_nest_in_fiscal_years(self, tmp_path: Path) -> None:
        """Quarters with February fiscal years: the summary is still computed, by fiscal year."""
        path = tmp_path / "february.toml"
        path.write_text(
            VALID.replace("horizon_years = 5", "horizon_years = 5\nfiscal_year_start_month = 2")
        )
        code, out, err = run(
            "simulate", str(path), "--by", "quarter", "--scenarios", "3", "--detail"
        )
        assert (EXIT_OK, "") == (code, err)
        assert "Summary over 3 scenarios" in out
        code, out, err = run("simulate", str(path), "--by", "quarter", "--scenarios", "3")
        assert (EXIT_OK, "") == (code, err)
        assert "3 Monte Carlo scenarios, seed 0" in out

    def test_json_and_csv(self, valid_file: Path, tmp_path: Path) -> None:
        """--format json gives the table's content; --format csv tidy rows; --out writes a file."""
        code, out, _ = run("simulate", str(valid_file), "--format", "json")
        assert EXIT_OK == code
        document = json.loads(out)
        assert {"format_version", "kind", "period_means", "summary"} == set(document)
        assert ("simulation", "summary") == (document["kind"], document["summary"]["kind"])
        target = tmp_path / "rows.csv"
        assert (
            EXIT_OK == run("simulate", str(valid_file), "--format", "csv", "--out", str(target))[0]
        )
        assert target.read_text().startswith("scenario,mode,period,period_start,period_end,flow,")

    def test_unwritable_out(self, valid_file: Path, tmp_path: Path) -> None:
        """An --out in a missing folder is a one-line error naming that path."""
        target = tmp_path / "missing" / "rows.csv"
        code, _, err = run("simulate", str(valid_file), "--out", str(target))
        assert EXIT_INVALID == code
        assert err.startswith(f"programma: {target}: cannot write")


class TestReview:
    def test_example_has_no_errors(self) -> None:
        """review without FILE reviews the example: no errors, exit 0."""
        code, out, _ = run("review")
        assert EXIT_OK == code
        assert " 0 errors" in out.splitlines()[0]

    def test_error_exits_3(self, valid_file: Path) -> None:
        """A design without a shared interest has an error: exit 3, the rule and its path."""
        code, out, _ = run("review", str(valid_file))
        assert EXIT_REVIEW == code
        assert "no-shared-interest" in out
        assert "shared_interest" in out

    def test_json_with_analysis(self) -> None:
        """--format json --analysis gives findings and the stakeholder analysis."""
        code, out, _ = run("review", "--format", "json", "--analysis")
        document = json.loads(out)
        assert EXIT_OK == code
        assert {"engagement_matrix", "group_sizes", "coverage"} <= set(document)

    def test_unknown_rule_is_a_usage_error(self) -> None:
        """--disable of a rule that does not exist: exit 2, said on stderr."""
        code, _, err = run("review", "--disable", "nope")
        assert EXIT_USAGE == code
        assert "--disable: expected the id of a review rule" in err


class TestExampleAndSchema:
    def test_example_toml_with_comments(self) -> None:
        """example prints the shipped TOML, comments included, and it loads."""
        code, out, _ = run("example")
        assert (EXIT_OK, example_text()) == (code, out)
        assert "#" in out
        assert leeuwarden_oost() == programma.loads(out)

    def test_example_json(self) -> None:
        """example --format json prints the example as JSON."""
        code, out, _ = run("example", "--format", "json")
        assert EXIT_OK == code
        assert leeuwarden_oost() == programma.loads(out, format="json")

    def test_schema(self) -> None:
        """schema prints the JSON Schema, and the example's JSON conforms to it."""
        code, out, _ = run("schema")
        assert EXIT_OK == code
        document = json.loads(out)
        assert programma.schema() == document
        example = json.loads(run("example", "--format", "json")[1])
        jsonschema.Draft202012Validator(document).validate(example)


class TestEntryPoints:
    def test_python_dash_m(self, valid_file: Path) -> None:
        """`python -m programma` runs the command line with its exit codes."""
        ok = subprocess.run(
            [sys.executable, "-m", "programma", "validate", str(valid_file)],
            capture_output=True,
            text=True,
            check=False,
        )
        usage = subprocess.run(
            [sys.executable, "-m", "programma"], capture_output=True, text=True, check=False
        )
        assert (EXIT_OK, EXIT_USAGE) == (ok.returncode, usage.returncode)


class TestHelp:
    @pytest.mark.parametrize(
        "command",
        [
            ["validate"],
            ["show"],
            ["example"],
            ["schema"],
            ["simulate"],
            ["compare"],
            ["value"],
            ["review"],
            ["sensitivity"],
            ["export"],
            ["export", "iati"],
            ["export", "indigo"],
        ],
    )
    def test_every_command_has_help(
        self, command: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``--help`` prints each command's usage and exits 0 (a % in a help text breaks it)."""
        out = io.StringIO()
        assert 0 == main([*command, "--help"], stdout=out, stderr=io.StringIO())
        assert (out.getvalue() + capsys.readouterr().out).startswith("usage: programma")
