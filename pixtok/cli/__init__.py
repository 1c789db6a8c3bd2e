"""The `pixtok` command line: a thin shell that parses options, calls the library and formats.

Each command lives in its own module and registers itself on `app`; `main` turns library
errors into one line on stderr and an exit code (2 for usage, 1 for data, 130 for Ctrl-C, 143
for SIGTERM, 129 for SIGHUP), never a traceback: operating-system errors (a full disk, standard
output on /dev/full) and running out of memory get one line too. SIGTERM (`kill`, `timeout`, a
job scheduler) and SIGHUP (a terminal closed under the run) stop a run as Ctrl-C does:
temporary files and locks are removed, a corpus run's journal is kept for --resume.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Annotated

import typer

from _pixtok_console import caused_by_interrupt
from pixtok import __version__, limits
from pixtok.errors import PixtokError, UsageError
from pixtok.io import describe_os_error, guarded_inputs, shorten

#: The exception types of the click that typer runs on (typer vendors its own copy in newer
#: releases, so they are found through a class typer exports rather than imported from click).
_click = sys.modules[typer.BadParameter.__module__]

app = typer.Typer(
    name="pixtok",
    help="Measure what text costs, and what survives, when a model reads it as pixels instead of tokens.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

LIMIT_HELP = (
    "Raise (or lower) a limit: NAME=VALUE with NAME one of "
    f"{', '.join(limits.FLAG_NAMES)} (e.g. input=1GiB, jobs=16); repeatable. See docs/limits.md."
)


def _print_version(value: bool) -> None:
    if value:
        from pixtok.cli.output import stdout_errors

        with stdout_errors():
            sys.stdout.write(f"pixtok {__version__}\n")
            sys.stdout.flush()
        raise typer.Exit()


@app.callback()
def _global_options(
    ctx: typer.Context,
    limit: Annotated[
        list[str] | None,
        typer.Option("--limit", metavar="NAME=VALUE", help=LIMIT_HELP, envvar="PIXTOK_LIMIT"),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print pixtok's version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """Measure what text costs, and what survives, when a model reads it as pixels instead of tokens."""
    try:
        limits.set_limits(limits.parse_limits(limit or [], base=limits.Limits()))
    except UsageError as exc:
        if getattr(ctx.get_parameter_source("limit"), "name", None) != "ENVIRONMENT":
            raise
        # The user passed no --limit: say where the value came from.
        message = str(exc)
        if message.startswith("--limit"):
            raise UsageError("$PIXTOK_LIMIT" + message.removeprefix("--limit")) from None
        raise UsageError(f"$PIXTOK_LIMIT: {message}") from None


def _register_commands() -> None:
    """Import the command modules; each adds its commands to `app`."""
    from pixtok.cli import commands  # noqa: F401


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is as Ctrl-C's KeyboardInterrupt is, so that
    the same clean-up runs (every `finally`: staged parts, locks, worker processes)."""


#: The signal that stopped the run, for its message and exit code (set by `_on_stop_signal`).
_stopped_by: list[int] = []
#: Signals that stop a run as Ctrl-C does: `kill` and job schedulers (SIGTERM), and a terminal
#: closed under the run (SIGHUP, where the system has it), with what the message says of each.
_STOP_SIGNALS: dict[int, str] = {signal.SIGTERM: "terminated"}
if hasattr(signal, "SIGHUP"):
    _STOP_SIGNALS[signal.SIGHUP] = "hung up"


def _on_stop_signal(signum: int, frame: object) -> None:
    _stopped_by.append(signum)
    raise Terminated


@contextlib.contextmanager
def _stop_signals_as_interrupt() -> Iterator[None]:
    """Handle SIGTERM and SIGHUP as Ctrl-C for the block (main thread only; one ignored by
    whoever started pixtok, as `nohup` ignores SIGHUP, stays ignored), and put the earlier
    handlers back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in _STOP_SIGNALS}
    taken = [n for n, handler in previous.items() if handler != signal.SIG_IGN and handler is not None]
    _stopped_by.clear()
    for number in taken:
        signal.signal(number, _on_stop_signal)
    try:
        yield
    finally:
        for number in taken:
            if signal.getsignal(number) is _on_stop_signal:  # not once a signal is being acted on
                signal.signal(number, previous[number])


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `pixtok` console script."""
    with _stop_signals_as_interrupt():
        _main(argv)


#: The narrowest COLUMNS taken: help, tables and progress bars need room for a number and its
#: name; a narrower (or unreadable) value is set aside, and the terminal's own width used.
MIN_COLUMNS = 20


def _set_aside_unusable_columns() -> None:
    value = os.environ.get("COLUMNS")
    if value is None:
        return
    try:
        usable = int(value) >= MIN_COLUMNS
    except ValueError:
        usable = False
    if not usable:
        del os.environ["COLUMNS"]


def _main(argv: list[str] | None) -> None:
    args = sys.argv[1:] if argv is None else argv
    _check_standard_streams()
    _set_aside_unusable_columns()
    for stream in (sys.stdout, sys.stderr):
        # Text that is not valid Unicode (a lone surrogate) is written as a \\uXXXX escape, which
        # is also how JSON spells it, instead of failing the write.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    _utf8_when_not_a_terminal(sys.stdout)
    in_force = limits.current()
    try:
        _register_commands()
        with guarded_inputs():
            code = app(args=argv, prog_name="pixtok", standalone_mode=False)
        if code == 130:  # typer turns Ctrl-C into exit code 130
            raise KeyboardInterrupt
        if isinstance(code, int) and code:
            sys.exit(code)
    except PixtokError as exc:
        _fail(str(exc), exc.exit_code)
    except _click.NoArgsIsHelpError as exc:
        sys.stdout.write(exc.ctx.get_help() + "\n")
        sys.exit(2)
    except _click.ClickException as exc:
        _fail(usage_message(exc), exc.exit_code)
    except typer.Abort:
        _fail("aborted", 1)
    except KeyboardInterrupt:
        _interrupted(args)
    except SystemExit as exc:
        if exc.code == 130 and caused_by_interrupt(exc):
            _interrupted(args)  # typer turned Ctrl-C into a silent Exit(130)
        if exc.code == 1 and isinstance(exc.__context__, BrokenPipeError):
            # Click's own answer to a reader that went away (help, a report): as below.
            _silence_stdout()
            sys.exit(0)
        raise
    except BrokenPipeError:
        # The reader went away (`pixtok ... | head`): not an error worth a message.
        _silence_stdout()
        sys.exit(0)
    except OSError as exc:
        where = exc.filename if exc.filename is not None else None
        if where is None and not _stdout_writable():
            where = "<stdout>"
        prefix = f"{shorten(str(where))}: " if where is not None else ""
        _fail(f"{prefix}{describe_os_error(exc)}", 1)
    except MemoryError:
        _fail(f"out of memory; lower the input, or the limits that allow it ({limits.DOCS})", 1)
    finally:
        limits.set_limits(in_force)


def _utf8_when_not_a_terminal(stream: object) -> None:
    """Records, JSON and CSV written to a pipe or a file are UTF-8 whatever the locale's encoding
    (JSON is UTF-8 by its standard, RFC 8259; an ASCII locale would escape every other character
    into text that is no longer the data, `\\U0001f600` into invalid JSON). A terminal keeps its
    own encoding: what it shows is for reading."""
    try:
        if stream.isatty() or (stream.encoding or "").lower().replace("-", "") == "utf8":  # type: ignore[attr-defined]
            return
        stream.reconfigure(encoding="utf-8")  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):  # not a text file of the system (tests, embedding)
        return


def _check_standard_streams() -> None:
    """A closed standard stream (`>&-`, `2>&-`: Python then has None for it) is settled here,
    before any command runs. A closed stderr is pointed at /dev/null, so messages are dropped
    rather than crashing the run. A closed stdout is refused with one line on stderr and exit 1
    (quietly if stderr is closed too): every command writes records, a table or a total there,
    and an output file opened while descriptor 1 is free would take its place."""
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115 - kept open for the whole run
    if sys.stdout is None:
        sys.stderr.write(
            "pixtok: error: standard output is closed; "
            "redirect it to a file or /dev/null instead of closing it\n"
        )
        sys.stderr.flush()
        sys.exit(1)


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"pixtok: error: {' '.join(message.split())}\n")
    sys.stderr.flush()
    _stdout_writable()  # output that cannot be written is dropped, so exiting does not fail again
    sys.exit(code)


def _interrupted(args: list[str]) -> None:
    _ignore_further_interrupts()
    stopped_by = _stopped_by[0] if _stopped_by else signal.SIGINT
    hint = "; run the same command with --resume to continue" if _resumable(args) else ""
    sys.stderr.write(f"pixtok: {_STOP_SIGNALS.get(stopped_by, 'interrupted')}{hint}\n")
    sys.stderr.flush()
    _stdout_writable()
    sys.exit(128 + int(stopped_by))


def _ignore_further_interrupts() -> None:
    """Ignore Ctrl-C (and SIGTERM) from the first one's message to the end of the process. The
    exit is short (a corpus run has stopped its workers by then), but it joins the worker pool's
    threads, and a second press there was a traceback from inside `threading`, or from this
    message, or a death by signal (exit code -2) once the interpreter had put back the default
    handler; ignored, the exit finishes its clean-up and the code stays 130 (143)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for number in _STOP_SIGNALS:
            if signal.getsignal(number) is _on_stop_signal:
                signal.signal(number, signal.SIG_IGN)


def _stdout_writable() -> bool:
    """Flush stdout; if that fails (a full disk, a closed pipe), point it at /dev/null so that the
    interpreter's own flush at exit does not print a traceback. Returns whether it worked."""
    try:
        sys.stdout.flush()
        return True
    except (OSError, ValueError):
        _silence_stdout()
        return False


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (an in-memory stdout)
        pass


def usage_message(exc: Exception) -> str:
    """Click's message for a wrong call (unknown option, missing argument, bad choice) as one
    line in the style of pixtok's own errors: `no such option: --jsn (did you mean --json?)`."""
    if isinstance(exc, _click.NoSuchOption):
        message = f"no such option: {exc.option_name}"
        if exc.possibilities:  # click orders them by similarity, closest first
            message += f" (did you mean {exc.possibilities[0]}?)"
        return message
    text = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
    text = text[:1].lower() + text[1:]
    return text.removesuffix(".")


def _resumable(args: list[str]) -> bool:
    """Whether an interrupted call can be continued with --resume: a sharded render, or a corpus
    run (`compare`, `study`) whose output file's journal holds what it measured so far (a run
    stopped before its first record keeps none, and has nothing to continue)."""
    words = iter(args)
    command = ""
    for word in words:
        if word == "--limit":
            next(words, None)  # the global option's value
        elif not word.startswith("-"):
            command = word
            break
    if any(a == "--shards" or a.startswith("--shards=") for a in args):
        return True
    output = _output_argument(args)
    if command not in ("compare", "study") or output in (None, "", "-"):
        return False
    from pixtok.corpus.runlog import journal_path

    return journal_path(output).is_file()


def _output_argument(args: list[str]) -> str | None:
    """The value of -o/--output in a command line (`-o F`, `-oF`, `--output F`, `--output=F`)."""
    words = iter(args)
    for word in words:
        if word in ("-o", "--output"):
            return next(words, None)
        if word.startswith("--output="):
            return word.split("=", 1)[1]
        if word.startswith("-o") and not word.startswith("--"):
            return word[2:]
    return None
