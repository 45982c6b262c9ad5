"""Running at scale: memory budgets, worker processes, interrupts and long lists of problems."""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import io
import os
import pty
import resource
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

import programma
from builders import MINIMAL_TOML
from programma._errors import Problem, ValidationError
from programma.cli import (
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_USAGE,
    MAX_WORKERS,
    _parser,
    main,
    parse_size,
)
from programma.engine import project as _project
from programma.examples import leeuwarden_oost

SRC = str(Path(programma.__file__).parent.parent)


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def environment() -> dict[str, str]:
    """This worktree's sources first; one BLAS thread, so address-space limits stay predictable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([SRC, env.get("PYTHONPATH", "")])
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"
    return env


def gone(group: int, within: float) -> bool:
    """Whether every process of ``group`` has ended within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


class TestParseSize:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2GiB", 2 * 1024**3),
            ("500MB", 500 * 1000**2),
            ("500mb", 500 * 1000**2),
            ("1.5 GiB", 3 * 512 * 1024**2),
            ("64KiB", 65_536),
            ("3kB", 3_000),
            ("1TiB", 1024**4),
            ("2TB", 2 * 10**12),
            ("1000000", 1_000_000),
            ("12B", 12),
            (".5KiB", 512),
        ],
    )
    def test_units(self, text: str, expected: int) -> None:
        """Decimal (kB, MB…) and binary (KiB, MiB…) units, any case; no unit means bytes."""
        assert expected == parse_size(text)

    def test_large_sizes_are_exact(self) -> None:
        """Fractions of large units are computed exactly, not through a float."""
        assert (1_099_511_627_776 * 11) // 10 == parse_size("1.1TiB")
        assert 123_456_789_012_345_678 == parse_size("123456789.012345678 GB")

    @pytest.mark.parametrize(
        "text", ["", "GiB", "2 GiBs", "2G", "-1GiB", "1e9", "two", "0", "0.1B"]
    )
    def test_refused(self, text: str) -> None:
        """Anything else, and sizes under one byte, are refused with an example of the form."""
        with pytest.raises(argparse.ArgumentTypeError, match="expected a size"):
            parse_size(text)

    def test_cli_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """On the command line a bad size is a usage error (exit 2) naming the option."""
        assert EXIT_USAGE == main(["simulate", "--max-memory", "lots"])
        assert "--max-memory: expected a size such as 2GiB" in capsys.readouterr().err


class FakeMachine:
    """A machine whose memory figures live in files under a temporary folder."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.monkeypatch = root, monkeypatch
        self.meminfo = root / "meminfo"
        self.v2 = (root / "memory.max", root / "memory.current")
        self.v1 = (root / "limit_in_bytes", root / "usage_in_bytes")
        self.status = root / "status"
        monkeypatch.setattr(_project, "_MEMINFO", self.meminfo)
        monkeypatch.setattr(_project, "_CGROUP_LIMITS", (self.v2, self.v1))
        monkeypatch.setattr(_project, "_STATUS", self.status)
        monkeypatch.setattr(os, "sysconf", self.no_sysconf)
        self.address_space(resource.RLIM_INFINITY)

    @staticmethod
    def no_sysconf(name: str) -> int:
        raise ValueError(name)

    def address_space(self, limit: int) -> None:
        real = resource.getrlimit

        def getrlimit(which: int) -> tuple[int, int]:
            return (limit, limit) if which == resource.RLIMIT_AS else real(which)

        self.monkeypatch.setattr(resource, "getrlimit", getrlimit)


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeMachine:
    return FakeMachine(tmp_path, monkeypatch)


class TestDefaultMaxMemory:
    def test_share_of_available_memory(self, machine: FakeMachine) -> None:
        """Three quarters of MemAvailable (given in kB) when nothing else limits."""
        machine.meminfo.write_text("MemTotal: 16000000 kB\nMemAvailable: 8000000 kB\n")
        assert 0.75 == programma.MEMORY_SHARE
        assert 6_000_000 * 1024 == programma.default_max_memory()

    def test_follows_the_machine(self, machine: FakeMachine) -> None:
        """Read anew at each call: less memory available, a smaller budget."""
        machine.meminfo.write_text("MemAvailable: 8000000 kB\n")
        before = programma.default_max_memory()
        machine.meminfo.write_text("MemAvailable: 4000000 kB\n")
        assert (6_000_000 * 1024, 3_000_000 * 1024) == (before, programma.default_max_memory())

    def test_cgroup_v2_limit(self, machine: FakeMachine) -> None:
        """A container's limit minus what it uses, when that is less than the machine's."""
        machine.meminfo.write_text("MemAvailable: 8000000 kB\n")
        machine.v2[0].write_text("2147483648\n")
        machine.v2[1].write_text("1073741824\n")
        assert 3 * 1024**3 // 4 == programma.default_max_memory()

    def test_cgroup_v2_without_limit(self, machine: FakeMachine) -> None:
        """``max`` in cgroup v2 means no limit; the v1 files are not then consulted wrongly."""
        machine.meminfo.write_text("MemAvailable: 4000 kB\n")
        machine.v2[0].write_text("max\n")
        machine.v2[1].write_text("5\n")
        assert 3000 * 1024 == programma.default_max_memory()

    def test_cgroup_v1_limit(self, machine: FakeMachine) -> None:
        """cgroup v1 files, and v1's 'unlimited' (a number near 2**63) ignored."""
        machine.meminfo.write_text("MemAvailable: 8000000 kB\n")
        machine.v1[0].write_text("1000000000\n")
        machine.v1[1].write_text("200000000\n")
        assert 600_000_000 == programma.default_max_memory()
        machine.v1[0].write_text("9223372036854771712\n")
        assert 6_000_000 * 1024 == programma.default_max_memory()

    def test_address_space_limit(self, machine: FakeMachine) -> None:
        """``ulimit -v`` minus the address space already in use (VmSize) limits too."""
        machine.meminfo.write_text("MemAvailable: 8000000 kB\n")
        machine.status.write_text("Name: python\nVmSize:   1000000 kB\n")
        machine.address_space(3_000_000 * 1024)
        assert 1_500_000 * 1024 == programma.default_max_memory()

    def test_sysconf_when_no_meminfo(
        self, machine: FakeMachine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without /proc/meminfo, the free pages that ``os.sysconf`` reports."""
        sizes = {"SC_AVPHYS_PAGES": 1000, "SC_PAGE_SIZE": 4096}
        monkeypatch.setattr(os, "sysconf", sizes.__getitem__)
        assert 3_072_000 == programma.default_max_memory()

    def test_fixed_fallback(self, machine: FakeMachine) -> None:
        """When nothing can be read, the fixed 4 GiB."""
        assert (4 * 1024**3, 4 * 1024**3) == (
            programma.DEFAULT_MAX_MEMORY,
            programma.default_max_memory(),
        )

    def test_project_uses_it(self, machine: FakeMachine) -> None:
        """``project`` without ``max_memory`` is refused past the machine's budget."""
        machine.meminfo.write_text("MemAvailable: 1000 kB\n")
        with pytest.raises(programma.MemoryBudgetError) as error:
            programma.project(leeuwarden_oost(), scenarios=256)
        assert 750 * 1024 == error.value.allowed


class TestMemoryOptions:
    def test_max_memory_refuses_with_the_options_to_lower(self) -> None:
        """A run past --max-memory is one line naming the command line's options; exit 1."""
        code, out, err = run("simulate", "--scenarios", "1000", "--max-memory", "10MiB")
        assert (EXIT_INVALID, "") == (code, out)
        assert 1 == err.count("\n")
        assert "max_memory allows 10.0 MiB" in err
        # Chunks of one block and one worker: only the options that can help are named.
        assert "on the command line: fewer --scenarios, a larger --max-memory\n" in err

    def test_chunk_size_is_used(self) -> None:
        """--chunk-size sets the chunk (rounded up to whole blocks of 256)."""
        code, _, err = run(
            "simulate", "--scenarios", "5000", "--chunk-size", "600", "--max-memory", "1MB"
        )
        assert EXIT_INVALID == code
        assert "works on chunks of 768 scenarios" in err

    def test_memory_error_is_one_line(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An allocation that fails anyway becomes one line saying what to lower; exit 1."""

        def fail(*args: object, **kwargs: object) -> None:
            raise MemoryError("Unable to allocate 3.12 GiB for an array")

        monkeypatch.setattr("programma.cli.simulate.project", fail)
        code, _, err = run("simulate", "--scenarios", "10")
        assert EXIT_INVALID == code
        assert [
            "programma: out of memory (Unable to allocate 3.12 GiB for an array): use fewer "
            "--scenarios, --by fiscal-year, fewer --workers or a smaller --chunk-size; "
            "--max-memory set to what this machine can give makes such a run refused before "
            "it starts"
        ] == err.splitlines()


def limit_address_space(size: int) -> Callable[[], None]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    return limit


class TestUnderAnAddressSpaceLimit:
    """A real ``programma simulate`` under ``ulimit -v`` of 1.5 GB."""

    LIMIT = 1_500_000_000

    def simulate(self, *options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "programma", "simulate", "--scenarios", "120000", *options],
            capture_output=True,
            text=True,
            env=environment(),
            preexec_fn=limit_address_space(self.LIMIT),
            timeout=120,
        )

    def test_default_budget_refuses_before_running(self) -> None:
        """The default budget follows the limit: refused beforehand, one line, exit 1."""
        done = self.simulate()
        assert (EXIT_INVALID, "") == (done.returncode, done.stdout)
        assert "Traceback" not in done.stderr
        assert 1 == len(done.stderr.splitlines())
        assert done.stderr.startswith("programma: this projection needs about ")
        assert "but max_memory allows" in done.stderr

    def test_allocation_failure_is_one_line(self) -> None:
        """With a budget above the limit numpy's allocation fails: one clear line, exit 1."""
        done = self.simulate("--max-memory", "100GiB")
        assert (EXIT_INVALID, "") == (done.returncode, done.stdout)
        assert "Traceback" not in done.stderr
        assert 1 == len(done.stderr.splitlines())
        assert done.stderr.startswith("programma: out of memory (Unable to allocate")


class TestWorkersOption:
    def test_maximum_is_four_per_cpu(self) -> None:
        """The documented maximum: four workers per CPU this process may use."""
        assert 4 * len(os.sched_getaffinity(0)) == MAX_WORKERS

    @pytest.mark.parametrize("workers", ["0", str(MAX_WORKERS + 1), "100000"])
    def test_outside_is_a_usage_error(
        self, workers: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """0 or more than the maximum is refused as a usage error (exit 2)."""
        assert EXIT_USAGE == main(["simulate", "--workers", workers])
        assert "--workers" in capsys.readouterr().err

    def test_at_the_maximum_is_accepted(self) -> None:
        """The maximum itself is accepted (checked by the parser only: no run)."""
        args = _parser().parse_args(["simulate", "--workers", str(MAX_WORKERS)])
        assert MAX_WORKERS == args.workers


SIMULATE_8_WORKERS = ("simulate", "--scenarios", "600", "--workers", "8")
FAILING_FORK = """
import errno, os, sys
real_fork, forks = os.fork, [0]
def fork():
    forks[0] += 1
    if forks[0] > 2:  # a process limit reached after two workers
        raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
    return real_fork()
os.fork = fork
from programma.cli import run
run()
"""


class TestWorkersThatCannotStart:
    def test_fork_failure_is_a_clear_message(self) -> None:
        """Forking refused after two workers: one line, exit 1, no hang, no process left."""
        process = subprocess.Popen(
            [sys.executable, "-c", FAILING_FORK, *SIMULATE_8_WORKERS],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
            start_new_session=True,
        )
        try:
            out, err = process.communicate(timeout=60)
        finally:
            if process.returncode is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        assert (EXIT_INVALID, "") == (process.returncode, out)
        assert [
            "programma: cannot start 8 worker processes (Resource temporarily unavailable): "
            "use fewer --workers, or none"
        ] == err.splitlines()
        assert gone(process.pid, within=10)


class TestWorkerKilled:
    def test_broken_pool_is_a_clear_message(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A worker killed mid-run (say by the kernel, for memory) gives one line, exit 1."""

        def broken(*args: object, **kwargs: object) -> None:
            raise BrokenProcessPool("A process in the process pool was terminated abruptly")

        monkeypatch.setattr("programma.cli.simulate.project", broken)
        code, _, err = run("simulate", "--scenarios", "300", "--workers", "2")
        assert EXIT_INVALID == code
        assert [
            "programma: a worker process ended abruptly (killed, perhaps for lack of memory): "
            "use fewer --workers or a smaller --chunk-size"
        ] == err.splitlines()


class FailingExecutor(cf.Executor):
    """An executor whose first chunk fails; the others wait until cancelled."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.futures: list[cf.Future[Any]] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        if not self.futures:
            future.set_exception(self.error)
        self.futures.append(future)
        return future


class TestProjectStopsItsChunks:
    @pytest.mark.parametrize("error", [MemoryError("worker"), KeyboardInterrupt()])
    def test_pending_chunks_cancelled(self, error: BaseException) -> None:
        """A failed chunk or an interrupt cancels the chunks not yet started, then re-raises."""
        executor = FailingExecutor(error)
        with pytest.raises(type(error)):
            programma.project(leeuwarden_oost(), scenarios=2560, chunk_size=256, executor=executor)
        assert 2 <= len(executor.futures)
        assert all(f.cancelled() for f in executor.futures[1:])


def interrupt(*options: str) -> tuple[int, list[str], int]:
    """Run simulate with a terminal on stderr, Ctrl-C once progress shows, collect stderr."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "programma", "simulate", "--scenarios", "400000", *options],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=environment(),
        start_new_session=True,
    )
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 120
        while b"scenarios" not in seen and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.5)[0]:
                seen += os.read(leader, 4096)
        assert b"scenarios" in seen, "no progress shown"
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
        code = process.wait(timeout=30)
        while True:
            try:
                ready = select.select([leader], [], [], 0.5)[0]
                chunk = os.read(leader, 4096) if ready else b""
            except OSError:  # the terminal closed with the last process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(leader)
    lines = seen.decode().replace("\r", "\n").splitlines()
    bars = [line for line in lines if line.startswith("[") or " scenarios/s]" in line]
    return code, [line for line in lines if line and line not in bars], process.pid


class TestInterrupt:
    @pytest.mark.parametrize("workers", [(), ("--workers", "2")], ids=["in-process", "workers"])
    def test_ctrl_c(self, workers: tuple[str, ...]) -> None:
        """Ctrl-C mid-run: exit 130, one line, no traceback, every process gone soon."""
        code, lines, group = interrupt(*workers)
        assert (EXIT_INTERRUPTED, ["programma: interrupted"]) == (code, lines)
        assert gone(group, within=10)

    def test_main_returns_130(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """``main`` itself turns an interrupt into one line and 130."""

        def interrupted(*args: object, **kwargs: object) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr("programma.cli.simulate.project", interrupted)
        assert (130, "", "programma: interrupted\n") == run("simulate")


def many_bad_stakeholders(count: int) -> str:
    return MINIMAL_TOML + "".join(
        f'\n[[stakeholders]]\nid = "s{i}"\nname = "S"\nkind = "bogus"\n' for i in range(count)
    )


class TestProblemsShown:
    def test_first_per_kind_then_counted(self) -> None:
        """The first 20 of a kind are shown, the rest counted on one line; all are kept."""
        code, _, err = run("validate", "-", stdin=many_bad_stakeholders(500))
        lines = err.splitlines()
        assert EXIT_INVALID == code
        assert "programma: <stdin>: 500 problems" == lines[0]
        assert 1 + 20 + 1 == len(lines)
        assert lines[20].startswith("<stdin>: stakeholders[19].kind: expected one of")
        assert lines[-1].startswith("<stdin>: … and 480 more problems like `stakeholders[*].kind:")

    def test_configurable(self) -> None:
        """--max-problems sets how many per kind; 0 shows every one."""
        _, _, three = run("validate", "--max-problems", "3", "-", stdin=many_bad_stakeholders(50))
        _, _, every = run("validate", "--max-problems", "0", "-", stdin=many_bad_stakeholders(50))
        assert (1 + 3 + 1, 1 + 50) == (len(three.splitlines()), len(every.splitlines()))

    def test_kinds_counted_separately(self) -> None:
        """Each kind keeps its own first problems, in the order found."""
        problems = [Problem(f"a[{i}].x", "a number", i) for i in range(30)]
        problems += [Problem(f"b[{i}]", "a text", i) for i in range(5)]
        lines = ValidationError(problems).summary_lines(per_kind=2)
        assert [
            "a[0].x: expected a number, got 0",
            "a[1].x: expected a number, got 1",
            "b[0]: expected a text, got 0",
            "b[1]: expected a text, got 1",
            "… and 28 more problems like `a[*].x: expected a number`",
            "… and 3 more problems like `b[*]: expected a text`",
        ] == lines

    def test_total_bound(self) -> None:
        """Problems of many kinds are bounded in all, and the rest counted."""
        problems = [Problem(f"key_{i}", "known", i) for i in range(30)]
        lines = ValidationError(problems).summary_lines(per_kind=20, total=10)
        assert 11 == len(lines)
        assert "… and 20 more problems" == lines[-1]

    def test_message_bounded_problems_kept(self) -> None:
        """``str`` of a million problems stays short; ``problems`` keeps every one."""
        problems = (Problem(f"contracts[{i}].price", "a number ≥ 0", -1) for i in range(10**6))
        error = ValidationError(problems)
        assert 10**6 == len(error.problems)
        text = str(error)
        assert 1 + 20 + 1 == len(text.splitlines())
        assert text.startswith("1,000,000 problems:\n  contracts[0].price: expected a number ≥ 0")
        assert text.endswith(
            "  … and 999,980 more problems like `contracts[*].price: expected a number ≥ 0`"
        )
