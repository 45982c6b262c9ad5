"""Writing files: modes, symbolic links, special files, bad paths and SIGTERM, in real processes."""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import programma
from programma._atomic import (
    OutputPathError,
    atomic_binary_writer,
    atomic_writer,
    terminating_cleanly,
    write_atomic,
)
from programma.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from programma.examples import leeuwarden_oost

SOURCE = str(Path(programma.__file__).parents[1])
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file semantics")


def python(code: str, *args: str, umask: int = 0o022, **kwargs: object) -> subprocess.Popen[str]:
    """Start ``python -c code args…`` with this source tree and the given umask."""
    env = {**os.environ, "PYTHONPATH": SOURCE}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        umask=umask,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


def run_python(code: str, *args: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    process = python(code, *args, umask=umask, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=120)
    assert 0 == process.returncode, err
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


WRITE = """
import sys
from programma._atomic import write_atomic
write_atomic(sys.argv[1], sys.argv[2])
"""


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
class TestModes:
    @pytest.mark.parametrize(
        ("umask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)]
    )
    def test_new_file_follows_umask(self, tmp_path: Path, umask: int, expected: int) -> None:
        """A new file gets 0o666 less the writing process's umask, as any program's would."""
        target = tmp_path / "new.txt"
        run_python(WRITE, str(target), "hello", umask=umask)
        assert expected == mode(target)
        assert "hello" == target.read_text()

    @pytest.mark.parametrize("kept", [0o640, 0o604, 0o755])
    def test_existing_mode_kept(self, tmp_path: Path, kept: int) -> None:
        """Replacing a file keeps its mode, whatever the umask of the writer."""
        target = tmp_path / "old.txt"
        target.write_text("old")
        target.chmod(kept)
        run_python(WRITE, str(target), "new", umask=0o077)
        assert kept == mode(target)
        assert "new" == target.read_text()

    def test_cli_out_follows_umask(self, tmp_path: Path) -> None:
        """``simulate --out`` in a process with umask 027 writes a 0o640 file."""
        target = tmp_path / "rows.csv"
        code = "from programma.cli import main; raise SystemExit(main())"
        process = python(
            code.replace(
                "main())", f"main(['simulate', '--format', 'csv', '--out', {str(target)!r}]))"
            ),
            umask=0o027,
        )
        assert 0 == process.wait(timeout=120)
        assert 0o640 == mode(target)

    def test_dump_keeps_mode(self, tmp_path: Path) -> None:
        """``dump`` over an existing programme file keeps its mode."""
        target = tmp_path / "p.json"
        target.write_text("{}")
        target.chmod(0o664)
        programma.dump(leeuwarden_oost(), target)
        assert 0o664 == mode(target)


@posix_only
class TestSymlinks:
    def test_link_stays_a_link(self, tmp_path: Path) -> None:
        """Writing to a symbolic link replaces its target's content; the link stays a link."""
        real = tmp_path / "real.txt"
        real.write_text("old")
        real.chmod(0o640)
        link = tmp_path / "link.txt"
        link.symlink_to("real.txt")
        write_atomic(link, "new")
        assert link.is_symlink()
        assert "new" == real.read_text()
        assert 0o640 == mode(real)
        assert [] == leftovers(tmp_path)

    def test_chain_into_another_folder(self, tmp_path: Path) -> None:
        """A chain of links is followed to its final target, which is replaced in its folder."""
        (tmp_path / "data").mkdir()
        real = tmp_path / "data" / "real.csv"
        real.write_text("old")
        (tmp_path / "second").symlink_to("data/real.csv")
        first = tmp_path / "first"
        first.symlink_to(tmp_path / "second")
        with atomic_writer(first) as stream:
            stream.write("new")
            # The temporary file sits beside the final target, so the rename is atomic there.
            assert 1 == len(leftovers(tmp_path / "data"))
        assert (first.is_symlink(), (tmp_path / "second").is_symlink()) == (True, True)
        assert "new" == real.read_text()
        assert [] == leftovers(tmp_path / "data") + leftovers(tmp_path)

    def test_dangling_link_creates_target(self, tmp_path: Path) -> None:
        """A link to a file that does not exist yet creates that file, as a shell would."""
        link = tmp_path / "link"
        link.symlink_to("made.txt")
        write_atomic(link, "made")
        assert link.is_symlink()
        assert "made" == (tmp_path / "made.txt").read_text()


@posix_only
class TestSpecialFiles:
    def test_fifo_is_written_into(self, tmp_path: Path) -> None:
        """A FIFO receives the text and stays a FIFO (a reader in another process gets it)."""
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
        try:
            write_atomic(fifo, "through the pipe\n")
            out, _ = reader.communicate(timeout=30)
        finally:
            reader.kill()
            reader.wait()
        assert "through the pipe\n" == out
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)

    def test_character_device_is_not_replaced(self, tmp_path: Path) -> None:
        """A character device node (made like /dev/null) stays a device after a write."""
        node = tmp_path / "null"
        try:
            os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except (PermissionError, AttributeError):
            pytest.skip("cannot make a device node here")
        write_atomic(node, "discarded")
        assert stat.S_ISCHR(os.lstat(node).st_mode)
        assert [] == leftovers(tmp_path)

    def test_dev_null(self) -> None:
        """``simulate --out /dev/null`` succeeds and /dev/null is still a character device."""
        if not Path("/dev/null").exists():
            pytest.skip("no /dev/null")
        code = main(
            ["simulate", "--format", "csv", "--out", "/dev/null"],
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        assert EXIT_OK == code
        assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)

    def test_proc_self_fd(self) -> None:
        """A link to /proc/self/fd/1 writes to the process's own standard output (a pipe)."""
        if not Path("/proc/self/fd").is_dir():
            pytest.skip("no /proc")
        done = run_python(WRITE, "/proc/self/fd/1", "to stdout\n")
        assert "to stdout\n" == done.stdout


class TestBinary:
    def test_bytes_written_as_they_are(self, tmp_path: Path) -> None:
        """Bytes go to the file unchanged: no encoding, no newline translation."""
        target = tmp_path / "image.png"
        data = bytes(range(256)) + b"\r\n\n\r"
        with atomic_binary_writer(target) as stream:
            stream.write(data)
        assert data == target.read_bytes()
        assert [] == leftovers(tmp_path)

    def test_failure_keeps_the_old_file(self, tmp_path: Path) -> None:
        """An error inside the block leaves the old file and no temporary file."""
        target = tmp_path / "image.png"
        target.write_bytes(b"old")

        def write_half() -> None:
            with atomic_binary_writer(target) as stream:
                stream.write(b"new, half")
                raise RuntimeError("renderer failed")

        with pytest.raises(RuntimeError, match="renderer failed"):
            write_half()
        assert b"old" == target.read_bytes()
        assert [] == leftovers(tmp_path)

    @posix_only
    def test_existing_mode_kept(self, tmp_path: Path) -> None:
        """A replaced file keeps its mode, as for text."""
        target = tmp_path / "image.png"
        target.write_bytes(b"old")
        target.chmod(0o600)
        with atomic_binary_writer(target) as stream:
            stream.write(b"new")
        assert 0o600 == mode(target)

    def test_folder_is_refused(self, tmp_path: Path) -> None:
        """A folder is not a file to write."""
        with pytest.raises(OutputPathError), atomic_binary_writer(tmp_path):
            pass


class TestBadPaths:
    def test_empty(self) -> None:
        """An empty path is refused with a message saying so."""
        with pytest.raises(OutputPathError, match="the output path is empty"):
            write_atomic("", "text")

    def test_folder(self, tmp_path: Path) -> None:
        """A folder is refused with a message naming it."""
        with pytest.raises(OutputPathError, match=f"^{tmp_path}: is a folder"):
            write_atomic(tmp_path, "text")
        with pytest.raises(OutputPathError, match="is a folder"):
            write_atomic(".", "text")

    def test_trailing_slash(self, tmp_path: Path) -> None:
        """A path ending in a slash names a folder, not a file: refused, nothing created."""
        with pytest.raises(OutputPathError, match="ends with a slash"):
            write_atomic(f"{tmp_path}/new/", "text")
        assert [] == list(tmp_path.iterdir())

    def test_cli_empty_out_is_a_usage_error(self) -> None:
        """``--out ""`` is a usage error (exit 2) naming the option."""
        err = io.StringIO()
        code = main(["simulate", "--out", ""], stdout=io.StringIO(), stderr=err)
        assert EXIT_USAGE == code

    def test_cli_folder_out(self, tmp_path: Path) -> None:
        """``--out .`` or a folder: exit 1, one line saying it is a folder."""
        for folder in (".", str(tmp_path)):
            err = io.StringIO()
            code = main(["simulate", "--out", folder], stdout=io.StringIO(), stderr=err)
            assert (
                EXIT_INVALID,
                f"programma: {folder}: is a folder; give the path of a file in it\n",
            ) == (
                code,
                err.getvalue(),
            )


SLOW_WRITER = """
import sys, time
from programma._atomic import atomic_writer, terminating_cleanly
with terminating_cleanly(), atomic_writer(sys.argv[1]) as stream:
    stream.write("partial")
    stream.flush()
    print("writing", flush=True)
    time.sleep(120)
"""


@posix_only
class TestSigterm:
    def test_temporary_removed(self, tmp_path: Path) -> None:
        """SIGTERM in the middle of a write: no temporary file left, the target untouched."""
        target = tmp_path / "out.txt"
        target.write_text("before")
        with python(SLOW_WRITER, str(target), stdout=subprocess.PIPE) as process:
            assert process.stdout is not None
            assert "writing\n" == process.stdout.readline()
            assert 1 == len(leftovers(tmp_path))
            process.send_signal(signal.SIGTERM)
            assert -signal.SIGTERM == process.wait(timeout=60)
        assert ([], "before") == (leftovers(tmp_path), target.read_text())

    def test_cli_large_csv(self, tmp_path: Path) -> None:
        """``simulate --out`` killed by SIGTERM while writing a large CSV leaves no temporary."""
        target = tmp_path / "rows.csv"
        argv = ["simulate", "--scenarios", "512", "--by", "quarter", "--format", "csv"]
        process = python(
            "import sys; from programma.cli import run; sys.argv[0] = 'programma'; run()",
            *argv,
            "--out",
            str(target),
            stderr=subprocess.DEVNULL,
        )
        seen = False
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if leftovers(tmp_path):
                seen = True
                process.send_signal(signal.SIGTERM)
                break
            time.sleep(0.001)
        process.wait(timeout=120)
        assert seen, "the temporary file never appeared while the command ran"
        assert (-signal.SIGTERM, [], False) == (
            process.returncode,
            leftovers(tmp_path),
            target.exists(),
        )

    def test_handler_restored(self) -> None:
        """The handler is installed only inside the block; the previous one comes back."""
        before = signal.getsignal(signal.SIGTERM)
        with terminating_cleanly():
            assert before != signal.getsignal(signal.SIGTERM)
        assert before == signal.getsignal(signal.SIGTERM)

    def test_import_installs_nothing(self) -> None:
        """Importing programma leaves SIGTERM to the host application."""
        done = run_python(
            "import signal, programma, programma.cli; "
            "print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)"
        )
        assert "True\n" == done.stdout
