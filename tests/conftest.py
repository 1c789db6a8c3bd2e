"""Shared test fixtures: where the real test texts live, and a helper that runs the `pixtok` CLI.

`run_cli` runs the real entry point (`pixtok.cli.main`, the function the `pixtok` script calls),
so errors go through the same handler a user meets: one line on stderr and an exit code. By
default it runs in this process (fast, with stdin, stdout, stderr, environment and working
folder swapped for the call); `fresh_process=True` runs `python -m pixtok` in a new interpreter,
for what only a new process can show (determinism across processes, import-time behaviour).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
# A user's own encoder definition folder must not leak into the tests (they read nothing outside
# the repository); tests that exercise it set the variable themselves.
os.environ.pop("PIXTOK_ENCODERS", None)
#: Real texts in many scripts for tests, docs and benchmarks (sources and licences: corpus/SOURCES.md).
CORPUS_DIR = REPO / "corpus"


@dataclass(frozen=True)
class CliResult:
    """What one CLI call left behind: exit code, raw stdout, stderr text, and any escaped exception."""

    exit_code: int
    stdout_bytes: bytes
    stderr: str
    exception: BaseException | None = None
    traceback: str = ""

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", errors="replace")

    @property
    def error_lines(self) -> list[str]:
        """Non-empty lines written to stderr."""
        return [line for line in self.stderr.splitlines() if line.strip()]


@contextlib.contextmanager
def _working_dir(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _run_in_process(
    args: list[str], stdin: bytes | str | None, cwd: Path | None, env: Mapping[str, str] | None
) -> CliResult:
    from pixtok.cli import main

    runner = CliRunner()
    code = 0
    escaped: BaseException | None = None
    trace = ""
    with _working_dir(cwd), runner.isolation(input=stdin, env=dict(env or {})) as streams:
        stdout, stderr = streams[0], streams[1]
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # an escaped exception is what a user would see as a traceback
            escaped, trace, code = exc, traceback.format_exc(), 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        out, err = stdout.getvalue(), stderr.getvalue()
    return CliResult(code, out, err.decode("utf-8", errors="replace"), escaped, trace)


def _run_fresh_process(
    args: list[str], stdin: bytes | str | None, cwd: Path | None, env: Mapping[str, str] | None
) -> CliResult:
    data = stdin.encode("utf-8") if isinstance(stdin, str) else (stdin or b"")
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "pixtok", *args],
        input=data,
        capture_output=True,
        cwd=cwd,
        env=environment,
        timeout=300,
        check=False,
    )
    return CliResult(done.returncode, done.stdout, done.stderr.decode("utf-8", errors="replace"))


RunCli = Callable[..., CliResult]


@pytest.fixture
def run_cli() -> RunCli:
    """`run_cli(*args, stdin=None, cwd=None, env=None, fresh_process=False) -> CliResult`.

    Arguments are converted with `str`, so paths can be passed as they are.
    """

    def run(
        *args: object,
        stdin: bytes | str | None = None,
        cwd: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        fresh_process: bool = False,
    ) -> CliResult:
        argv = [str(a) for a in args]
        folder = Path(cwd) if cwd is not None else None
        if fresh_process:
            return _run_fresh_process(argv, stdin, folder, env)
        return _run_in_process(argv, stdin, folder, env)

    return run


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The test corpus folder (`corpus/`, real texts with their sources in corpus/SOURCES.md)."""
    return CORPUS_DIR


@pytest.fixture(scope="session")
def corpus_text(corpus_dir: Path) -> Callable[[str], str]:
    """`corpus_text("en_prose")` -> the text of the one corpus file whose name starts that way."""

    def read(prefix: str) -> str:
        matches = sorted(corpus_dir.glob(f"{prefix}*.txt"))
        if len(matches) != 1:
            raise LookupError(f"{len(matches)} corpus files start with {prefix!r} in {corpus_dir}")
        return matches[0].read_text(encoding="utf-8")

    return read
