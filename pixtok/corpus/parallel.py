"""One task over a stream of records: in this process, on a local process pool, or on a Dask cluster.

`run_records(records, worker_factory, ...)` yields one result dict per record, **in input
order**, whatever the engine and the number of jobs; a task gives the same results everywhere.

* `worker_factory` is called once per worker process (or Dask worker thread) and returns the
  worker: a callable `Record -> dict`. The factory is pickled to the workers, so it must be a
  module-level function, a `functools.partial` of one, or an instance of a module-level class;
  workers then keep their fonts, caches and models loaded for every record they get.
* Workers return measurements (small dicts), never pages: only text goes out and numbers come back.
* Records are sent in chunks (up to 16 records or ~50k characters) and only a bounded number
  of chunks is in flight, so memory stays flat however long the stream is.
* A record that fails — it could not be read (`Record.error`), or its worker raised (an
  Exception, or a Rust panic from a library) — gives `{id_key: id, ..., "error": message}` (the
  message only, no traceback) and the run goes on.
  A worker that cannot even be built (an unknown tokenizer, a missing font) stops the run with
  its own error, since every record would fail the same way; from a worker process, an error
  that cannot be sent back as it is arrives as a PixtokError with its message (`sendable_error`).

Engines: `serial` (this process), `process` (a pool of `jobs` spawned processes; the default, with
`jobs` = all cores), `dask` (an existing cluster at `scheduler`, through `distributed.Client`; an
optional dependency, `pip install 'pixtok[corpus]'`). A stream of fewer than two records, or
`jobs=1`, runs serially: a pool would only add its start-up time.

Worker processes are never left behind: `jobs` is capped at the `jobs` limit (`pixtok.limits`:
the usable cores unless raised), each worker asks the kernel to kill it when its parent dies
(`prctl(PR_SET_PDEATHSIG)` on Linux; elsewhere a watchdog thread watches the parent), so a
parent killed with SIGKILL, SIGTERM or SIGHUP takes its workers with it, and multiprocessing's
resource tracker, which exits when the last of them has gone. Workers run under the parent's
limits. A Dask scheduler must answer Dask's handshake within `SCHEDULER_TIMEOUT` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import itertools
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pixtok import limits
from pixtok.corpus.inputs import Record
from pixtok.errors import (
    InputError,
    MissingDependencyError,
    PixtokError,
    UsageError,
    first_line,
    is_rust_panic,
)

ENGINES = ("serial", "process", "dask")
DEFAULT_ENGINE = "process"

Worker = Callable[[Record], dict[str, Any]]
WorkerFactory = Callable[[], Worker]

#: A chunk closes at this many records or characters, whichever comes first: small enough to
#: spread a few long texts over every worker, large enough that tiny records do not pay one
#: round trip each.
CHUNK_RECORDS = 16
CHUNK_CHARS = 50_000
#: Chunks in flight per job: enough to keep every worker busy, few enough to keep memory flat.
IN_FLIGHT_PER_JOB = 2
#: Seconds a Dask scheduler has to accept a connection and answer the handshake.
SCHEDULER_TIMEOUT = 10.0


def default_jobs() -> int:
    """All the cores this process may use."""
    return limits.usable_cores()


def check_engine(engine: str | None, jobs: int | None, scheduler: str | None) -> str:
    """Validate the engine options (a bad one is a UsageError) and return the engine name.

    Naming a scheduler implies the Dask engine.
    """
    if engine is None:
        engine = "dask" if scheduler else DEFAULT_ENGINE
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    if scheduler and engine != "dask":
        raise UsageError("--scheduler is for --engine dask")
    return engine


def run_records(
    records: Iterable[Record],
    worker_factory: WorkerFactory,
    *,
    engine: str | None = None,
    jobs: int | None = None,
    scheduler: Any = None,
    id_key: str = "id",
    keep: Sequence[str] = (),
) -> Iterator[dict[str, Any]]:
    """Apply the worker to every record; yield `{id_key: id, **kept fields, **result}` in input order.

    `keep` names fields of `Record.fields` copied into every result (a group-by column, say).
    `scheduler` is a Dask scheduler address or a `distributed.Client` (which is left open).
    """
    engine = check_engine(engine, jobs, scheduler if isinstance(scheduler, str) else None)
    if engine == "dask" and scheduler is None:
        scheduler = _dask_config_address()
    stream = iter(records)
    head = list(itertools.islice(stream, 2))
    records = itertools.chain(head, stream)
    if engine == "serial" or (engine == "process" and (jobs == 1 or len(head) < 2)):
        return _serial(records, worker_factory, id_key, tuple(keep))
    if engine == "process":
        workers = limits.capped_jobs(jobs or default_jobs())
        return _process(records, worker_factory, workers, id_key, tuple(keep))
    return _dask(records, worker_factory, scheduler, jobs, id_key, tuple(keep))


def apply_worker(worker: Worker, record: Record, id_key: str, keep: Sequence[str]) -> dict[str, Any]:
    """One result: the record's id and kept fields, then the worker's dict or the error message."""
    result: dict[str, Any] = {id_key: record.id}
    for name in keep:
        result[name] = record.fields.get(name)
    if record.error is not None:
        result["error"] = record.error
        return result
    try:
        value = worker(record)
    except PixtokError as exc:
        result["error"] = str(exc)
        return result
    except Exception as exc:  # one bad record must not stop a corpus run; the message says what
        result["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return result
    except BaseException as exc:  # a Rust panic on this record's text fails the record alone
        if not is_rust_panic(exc):
            raise
        result["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return result
    result.update((key, item) for key, item in value.items() if key != id_key)
    return result


def _chunks(records: Iterable[Record]) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    size = 0
    for record in records:
        chunk.append(record)
        size += len(record.text)
        if len(chunk) >= CHUNK_RECORDS or size >= CHUNK_CHARS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


# -- serial ------------------------------------------------------------------------------------


def _serial(
    records: Iterable[Record], factory: WorkerFactory, id_key: str, keep: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    worker = factory()  # built before the first record, so a bad option fails at once
    return (apply_worker(worker, record, id_key, keep) for record in records)


# -- local process pool ------------------------------------------------------------------------

_process_worker: Worker | None = None
_process_error: BaseException | None = None


def _init_process(factory: WorkerFactory, parent: int, in_force: limits.Limits) -> None:
    """Tie this worker's life to its parent's, take the parent's limits, and build this process's
    worker once; an error is kept and raised with the first chunk."""
    global _process_worker, _process_error
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    limits.set_limits(in_force)
    try:
        _process_worker = factory()
    except BaseException as exc:
        _process_error = sendable_error(exc)


def sendable_error(exc: BaseException) -> BaseException:
    """`exc` if it survives the trip to the parent process, else a PixtokError with its message.

    A worker's error is pickled to the parent and rebuilt there. Some exceptions cannot make the
    trip: a Rust panic (`pyo3_runtime.PanicException`, from a module that cannot be imported), or
    a class whose constructor needs other arguments than the ones it keeps. The parent would then
    report a PicklingError instead of the worker's reason, so such an error is replaced by a
    PixtokError carrying its type and the first line of its message (exit code 1).
    """
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return PixtokError(
            f"{type(exc).__name__}: {first_line(exc)}" if str(exc).strip() else type(exc).__name__
        )
    return exc


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """Make this process end when process `parent` does, however the parent ends.

    On Linux the kernel sends SIGKILL when the parent dies (`prctl(PR_SET_PDEATHSIG)`); elsewhere a
    daemon thread checks every second whether the parent is gone. A parent that died before the
    request was made is caught by comparing the parent pid afterwards.
    """
    armed = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="pixtok-parent").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _run_chunk_process(chunk: list[Record], id_key: str, keep: tuple[str, ...]) -> list[dict[str, Any]]:
    if _process_error is not None:
        raise _process_error
    assert _process_worker is not None
    return [apply_worker(_process_worker, record, id_key, keep) for record in chunk]


def _process(
    records: Iterable[Record], factory: WorkerFactory, jobs: int, id_key: str, keep: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    # Spawned, not forked: workers start clean (no copied threads or locks), the same on every OS.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_init_process, initargs=(factory, os.getpid(), limits.current())
    )
    window = jobs * IN_FLIGHT_PER_JOB
    pending: deque[Future[list[dict[str, Any]]]] = deque()
    finished = False
    try:
        for chunk in _chunks(records):
            with _ctrl_c_deferred():
                # A submit may start a worker: Ctrl-C in the middle of handing it its start-up
                # data would leave a half-started process, unknown to the pool, that prints a
                # traceback once the parent is gone. The interrupt is raised right after.
                pending.append(pool.submit(_run_chunk_process, chunk, id_key, keep))
            if len(pending) >= window:
                yield from _process_result(pending.popleft())
        while pending:
            yield from _process_result(pending.popleft())
        finished = True
    finally:
        if not finished:
            # Interrupted or failed: what the workers are doing is thrown away, so stop them now
            # rather than let the interpreter's exit wait for their chunks (or their start-up).
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        pool.shutdown(wait=finished, cancel_futures=not finished)


@contextlib.contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """Hold Ctrl-C back until the block ends, then act on it as the handler in force would."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        yield  # only the main thread may set handlers; one set outside Python is left alone
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(signal.SIGINT, None)
        elif caught and previous != signal.SIG_IGN:
            raise KeyboardInterrupt


def _process_result(future: Future[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    try:
        return future.result()
    except BrokenProcessPool:
        raise InputError(
            f"a worker process died (out of memory, or killed{_unguarded_script_hint()}); records "
            "written so far are kept: run again with --resume"
        ) from None


def _unguarded_script_hint() -> str:
    """When a Python script runs the corpus, the likeliest cause: worker processes are spawned and
    import the script again, and a run started at import (not under `if __name__ == "__main__":`)
    makes each of them fail at once."""
    script = str(getattr(sys.modules.get("__main__"), "__file__", None) or "")
    if not script.endswith(".py") or os.path.basename(script) == "__main__.py":
        return ""
    return (
        f", or {os.path.basename(script)} starts the run when a worker imports it: "
        'put the run under `if __name__ == "__main__":`'
    )


# -- Dask ---------------------------------------------------------------------------------------

_dask_local = threading.local()


def _dask_config_address() -> str:
    try:
        import dask
    except ImportError:
        raise MissingDependencyError(
            "--engine dask needs dask.distributed: pip install 'pixtok[corpus]'"
        ) from None
    address = dask.config.get("scheduler-address", None)
    if not address:
        raise UsageError("--engine dask needs --scheduler ADDRESS (or DASK_SCHEDULER_ADDRESS)")
    return str(address)


def _dask_client(scheduler: Any) -> tuple[Any, bool]:
    """A client for `scheduler` and whether this module opened it (and so must close it)."""
    if hasattr(scheduler, "submit"):
        return scheduler, False
    try:
        from distributed import Client
    except ImportError:
        raise MissingDependencyError(
            "--engine dask needs dask.distributed: pip install 'pixtok[corpus]'"
        ) from None
    probe_scheduler(str(scheduler), SCHEDULER_TIMEOUT)
    try:
        return Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT:g}s", set_as_default=False), True
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def probe_scheduler(address: str, timeout: float) -> None:
    """Connect to `address` and complete Dask's handshake within `timeout` seconds, or raise
    InputError. `distributed` waits for the handshake's answer without a deadline, so a server
    that is not a Dask scheduler (an HTTP server waits for a request line too) would hold the
    client forever; one that answers something else must not crash it either."""
    from distributed.comm import connect, parse_address
    from distributed.comm.registry import get_backend

    try:
        get_backend(parse_address(address)[0])
    except ValueError as exc:
        raise UsageError(f"--scheduler {address}: not a scheduler address ({exc})") from None

    async def probe() -> None:
        comm = await asyncio.wait_for(connect(address, timeout=timeout), timeout)
        await comm.close()

    # A thread of its own, so that a caller already inside an event loop can probe too.
    with ThreadPoolExecutor(1, thread_name_prefix="pixtok-probe") as pool:
        try:
            pool.submit(asyncio.run, probe()).result()
        except TimeoutError:
            raise InputError(
                f"cannot reach the Dask scheduler at {address}: no Dask handshake within {timeout:g} s "
                "(is a Dask scheduler listening there?)"
            ) from None
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        except Exception as exc:  # garbage for a handshake: any decoding error, even a huge allocation
            raise InputError(
                f"the server at {address} is not a Dask scheduler: its handshake could not be read "
                f"({type(exc).__name__}: {str(exc)[:80]})"
            ) from None


def _run_chunk_dask(
    payload: bytes, key: str, chunk: list[Record], id_key: str, keep: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Run on a Dask worker: one worker per thread and task kind, built on first use."""
    workers: dict[str, Worker] = _dask_local.__dict__.setdefault("workers", {})
    worker = workers.get(key)
    if worker is None:
        worker = workers[key] = pickle.loads(payload)()
    return [apply_worker(worker, record, id_key, keep) for record in chunk]


def _dask(
    records: Iterable[Record],
    factory: WorkerFactory,
    scheduler: Any,
    jobs: int | None,
    id_key: str,
    keep: tuple[str, ...],
) -> Iterator[dict[str, Any]]:
    client, owned = _dask_client(scheduler)
    payload = pickle.dumps(factory)
    key = hashlib.sha256(payload).hexdigest()
    threads = sum(client.nthreads().values()) or 1
    window = (jobs or threads) * IN_FLIGHT_PER_JOB
    pending: deque[Any] = deque()
    try:
        for chunk in _chunks(records):
            pending.append(client.submit(_run_chunk_dask, payload, key, chunk, id_key, keep, pure=False))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        if pending:
            client.cancel(list(pending))
        if owned:
            client.close()
