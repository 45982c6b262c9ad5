"""Hostile and edge-case files: every command that reads a file, on every file, in a real process.

Each file in ``tests/data/invalid/`` has a sidecar ``<file>.expected`` made of blocks: a header
``validate show simulate review: exit 1`` and then the exact first lines the commands must print
(standard error when the exit code is 1, else standard output). A command that reads
a file must end with its documented exit code (0, 1, or 3 for a review that found errors), the
expected first lines and no traceback.

The runs are batched: one Python process per command runs the command line's ``main`` over every
file, so that a hang, a crash of the interpreter or a runaway allocation shows up as that
process failing, while the whole corpus stays within seconds.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "data" / "invalid"
COMMANDS: dict[str, list[str]] = {
    "validate": [],
    "show": [],
    "simulate": ["--scenarios", "3"],  # Monte Carlo, so that Samples lengths are checked
    "review": [],
}
HANG_GUARD = 60  # seconds for a whole batch: a guard against hangs, not a timing assertion
HEADER = re.compile(r"([a-z ]+): exit (\d)")

# Runs main() for each argv line on standard input; prints a record before and after each run,
# so that a batch that hangs names the file it hung on.
DRIVER = """
import io, json, sys, traceback
from programma.cli import main

for line in sys.stdin:
    argv = json.loads(line)
    print(json.dumps({"started": argv}), flush=True)
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(argv, stdout=out, stderr=err, stdin=io.StringIO(""))
    except BaseException:
        code, err = None, io.StringIO(traceback.format_exc())
    record = {"argv": argv, "code": code, "out": out.getvalue(), "err": err.getvalue()}
    print(json.dumps(record), flush=True)
"""


def corpus_files() -> list[Path]:
    """Every corpus file (not the sidecars, not the README)."""
    return sorted(
        path
        for path in CORPUS.iterdir()
        if path.suffix not in (".expected", ".md") and path.is_file()
    )


def expectations(path: Path) -> dict[str, tuple[int, list[str]]]:
    """The exit code and first lines each command must give for ``path``, from its sidecar."""
    found: dict[str, tuple[int, list[str]]] = {}
    commands: list[str] = []
    for line in Path(f"{path}.expected").read_text(encoding="utf-8").splitlines():
        header = HEADER.fullmatch(line)
        if header:
            commands = header.group(1).split()
            for command in commands:
                found[command] = (int(header.group(2)), [])
        else:
            for command in commands:
                found[command][1].append(line)
    return found


def run_batch(command: str, files: list[Path]) -> dict[str, dict[str, object]]:
    """Run ``command`` on every file in one child process; the records by file name."""
    lines = "".join(json.dumps([command, path.name, *COMMANDS[command]]) + "\n" for path in files)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", DRIVER],
            input=lines,
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=CORPUS,
            env=env,
            timeout=HANG_GUARD,
        )
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout or b""
        text = output.decode() if isinstance(output, bytes) else output
        started = [json.loads(line) for line in text.splitlines() if '"started"' in line[:12]]
        last = started[-1]["started"] if started else None
        pytest.fail(f"{command} did not finish within {HANG_GUARD} s; it was running {last}")
    assert 0 == done.returncode, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    return {record["argv"][1]: record for record in records if "argv" in record}


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, dict[str, object]]]:
    """Every command's record for every corpus file."""
    files = corpus_files()
    return {command: run_batch(command, files) for command in COMMANDS}


class TestCorpus:
    """Every command that reads a file handles every corpus file with a clear result."""

    def test_corpus_is_large_and_described(self) -> None:
        """The corpus holds at least 40 files, each with its expectations for every command."""
        files = corpus_files()
        assert len(files) >= 40
        for path in files:
            assert set(COMMANDS) == set(expectations(path)), path.name

    @pytest.mark.parametrize("path", corpus_files(), ids=lambda path: path.name)
    def test_file(self, results: dict[str, dict[str, dict[str, object]]], path: Path) -> None:
        """Each command exits as expected, prints the expected first lines, and no traceback."""
        for command, (code, lines) in expectations(path).items():
            record = results[command][path.name]
            out, err = str(record["out"]), str(record["err"])
            assert "Traceback" not in out + err, (command, err)
            assert record["code"] in (0, 1, 3), (command, record["code"], err)
            shown = (err if code == 1 else out).splitlines()[: len(lines)]
            assert (code, lines) == (record["code"], shown), command


def _bounded_memory() -> None:
    """In the child: at most 2 GiB of address space, so that a regression that reads an endless
    input fails there with a MemoryError instead of starving the machine."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run_cli(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """``python -m programma argv`` in a real process, with a hang guard and a memory bound."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "programma", *argv],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=HANG_GUARD,
        preexec_fn=_bounded_memory if os.name == "posix" else None,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
class TestInputsThatNeverEnd:
    """A pipe or a device given as a file is refused at once, never read until it ends."""

    def test_fifo_in_a_real_process(self, tmp_path: Path) -> None:
        """A FIFO with no writer is refused (exit 1, named), not waited on forever."""
        fifo = tmp_path / "programme.toml"
        os.mkfifo(fifo)
        done = run_cli("validate", str(fifo))
        assert 1 == done.returncode
        assert (
            f"programma: {fifo}: 1 problem\n"
            f"{fifo}: expected a regular file (or standard input), got a named pipe (FIFO)\n"
        ) == done.stderr.decode()

    def test_fifo_through_load(self, tmp_path: Path) -> None:
        """programma.load refuses a FIFO too (run in a child process, so a hang cannot stall)."""
        fifo = tmp_path / "programme.json"
        os.mkfifo(fifo)
        code = (
            "import programma, sys\n"
            "try:\n    programma.load(sys.argv[1])\n"
            "except programma.ParseError as error:\n    print(error.problems[0])\n"
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        done = subprocess.run(
            [sys.executable, "-c", code, str(fifo)],
            capture_output=True,
            text=True,
            env=env,
            timeout=HANG_GUARD,
            preexec_fn=_bounded_memory,
        )
        assert (
            "expected a regular file (or standard input), got a named pipe (FIFO)\n" == done.stdout
        )

    @pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
    def test_endless_input(self, tmp_path: Path) -> None:
        """A link to /dev/zero is refused as a device before a byte of it is read."""
        link = tmp_path / "zero.toml"
        link.symlink_to("/dev/zero")
        done = run_cli("simulate", str(link))
        assert 1 == done.returncode
        assert (
            f"{link}: expected a regular file (or standard input), got a character device"
            in done.stderr.decode()
        )

    def test_input_larger_than_the_limit(self, tmp_path: Path) -> None:
        """A file over --max-input-bytes is refused, naming the limit and how to raise it."""
        big = tmp_path / "big.toml"
        big.write_bytes(b"# padding\n" * 20)
        done = run_cli("validate", "--max-input-bytes", "100", str(big))
        assert 1 == done.returncode
        assert (
            f"{big}: expected an input of at most 100 bytes (raise the limit with max_bytes "
            "or --max-input-bytes), got a larger input\n"
        ) == done.stderr.decode().splitlines(keepends=True)[1]

    def test_standard_input_larger_than_the_limit(self) -> None:
        """Standard input over the limit is refused without reading it all."""
        done = run_cli("validate", "--max-input-bytes", "10", "-", stdin=b"x" * 1000)
        assert 1 == done.returncode
        assert "<stdin>: expected an input of at most 10 bytes" in done.stderr.decode()
