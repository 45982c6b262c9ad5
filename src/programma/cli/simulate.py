"""``programma simulate``: project a programme, in this process or on worker processes."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import threading
import typing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TextIO

import numpy as np

from .._atomic import check_output_path, terminating_cleanly
from .._errors import Problem
from ..analysis.projection import project
from ..engine.project import ProjectionError
from ..report.answer import DEFAULT_WIDTH, answer
from ..report.projection import projection_report, simulation_document
from .common import (
    EXIT_OK,
    EXIT_USAGE,
    _by_fiscal_year,
    _check_plot,
    _InputError,
    _plot,
    _programme_or_example,
    _source_name,
    _summary,
    _write,
)
from .progress import _CountingRows, _progress_bar


class _WorkersError(Exception):
    """Worker processes could not be started; the message is one line for stderr."""


def _ignore_interrupts() -> None:
    """In a worker: leave Ctrl-C to the parent, which stops the pool as a whole."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, all started (so a failure to start shows here)."""
    pool = ProcessPoolExecutor(workers, initializer=_ignore_interrupts)
    try:
        # With fork every worker starts at the first submit; elsewhere they start as needed.
        pool.submit(int).result()
    except BaseException as error:
        _stop_pool(pool)
        if isinstance(error, OSError):
            raise _WorkersError(
                f"cannot start {workers} worker processes "
                f"({error.strerror or error}): use fewer --workers, or none"
            ) from None
        raise
    return pool


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once: drop queued chunks and end the workers, even mid-chunk."""
    main = threading.current_thread() is threading.main_thread()  # where signals can be set
    # A second Ctrl-C must not break off the stopping half-way.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        _end_workers(pool, main)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _end_workers(pool: ProcessPoolExecutor, main: bool) -> None:
    # Taken before shutdown, which forgets them. Workers ignore Ctrl-C and would finish their
    # chunk first, whose result is no longer wanted.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    results = getattr(pool, "_result_queue", None)
    items = getattr(pool, "_pending_work_items", None)
    pool.shutdown(wait=False, cancel_futures=True)
    if isinstance(items, dict):
        # Python 3.11's pool fails (a traceback from its thread) marking cancelled chunks as
        # broken once its workers are gone; they need no marking, so they are taken out first.
        for key, item in list(items.items()):
            if item.future.cancelled():
                items.pop(key, None)
    if main and hasattr(signal, "SIGPIPE"):
        # A chunk still being sent to a stopped worker must fail there, not end this process
        # (Python's own default, which the console script changes for pipes into `head`).
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():  # pragma: no cover  (a worker stuck in the kernel)
            process.kill()
            process.join(timeout=5)
    # A worker stopped while sending its result leaves half a message, which the pool's own
    # thread would wait for forever (and the interpreter for it, at exit). With the workers
    # gone, closing this process's end for writing lets that wait end.
    writer = getattr(results, "_writer", None)
    if writer is not None:
        writer.close()


def _cmd_simulate(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    if args.format == "parquet":  # before reading and running, not after
        if args.out is None:
            args.report.problem(
                Problem("--out", "a file path with --format parquet", None),
                "programma simulate: --format parquet writes a file: give --out PATH",
            )
            return EXIT_USAGE
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise _InputError(
                "--format parquet needs pyarrow: pip install 'programma[parquet]'"
            ) from None
    programme = _programme_or_example(args, args.input_format, stdin)
    if args.out is not None:
        check_output_path(args.out)  # before a long run, not after it
    if args.plot is not None:
        no_funds = f"--plot: {programme.id!r} has no funds to chart"
        _check_plot(args.plot, None if programme.funds else no_funds)
    err: TextIO = args.stderr
    name = _source_name(args)
    bar = _progress_bar(err) if args.scenarios and err.isatty() else None
    executor = _start_pool(args.workers) if args.workers and args.workers > 1 else None
    finished = False
    try:
        projection = project(
            programme,
            scenarios=args.scenarios,
            seed=args.seed,
            resolution=args.by.replace("-", "_") if args.by else None,
            chunk_size=args.chunk_size,
            executor=executor,
            max_memory=args.max_memory,
            progress=bar,
            workers=None if executor is None else args.workers,
            variant=args.variant,
        )
        finished = True
    except BrokenProcessPool:
        raise _WorkersError(
            "a worker process ended abruptly (killed, perhaps for lack of memory): use fewer "
            "--workers or a smaller --chunk-size"
        ) from None
    except ProjectionError as error:  # a problem of this file's programme: name the file
        raise _InputError(f"{name}: {error}") from None
    finally:
        if bar is not None:
            bar.close()
        if executor is not None:
            if finished:
                executor.shutdown()
            else:
                _stop_pool(executor)
    if args.plot is not None:
        from ..plot import save_fan_charts

        _plot(args.plot, lambda: save_fan_charts(_by_fiscal_year(projection), args.plot))
    zeros = args.include_zeros
    if args.format == "csv":
        # Streamed row block by row block: the whole text is never held in memory.
        if args.out is None or not err.isatty():
            _write(
                args.out, out, lambda stream: projection.write_csv(stream, include_zeros=zeros), ""
            )
            return EXIT_OK
        nonzero = int(np.count_nonzero(projection.values))
        rows = 1 + (projection.values.size if zeros else nonzero)  # the header, a row per value
        writing = _progress_bar(err, "rows")
        try:
            _write(
                args.out,
                out,
                lambda stream: projection.write_csv(
                    typing.cast(TextIO, _CountingRows(stream, rows, writing)), include_zeros=zeros
                ),
                newline="",
            )
        finally:
            writing.close()
        return EXIT_OK
    if args.format == "parquet":
        try:
            with terminating_cleanly():
                projection.to_parquet(args.out, include_zeros=zeros)
        except OSError as error:
            raise _InputError(f"{args.out}: cannot write ({error.strerror or error})") from None
        return EXIT_OK
    if args.format == "table" and args.detail:
        text = projection_report(projection) + "\n" + str(_summary(projection))
    elif args.format == "table":
        by_year = _by_fiscal_year(projection)
        width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
        text = answer(by_year, by_year.summary(), width=width)
    else:
        document = simulation_document(projection, _summary(projection))
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    _write(args.out, out, lambda stream: stream.write(text))
    return EXIT_OK
