"""The `pixtok` command line: a thin shell that parses options, calls the library and formats.

Each command lives in its own module and registers itself on `app`; `main` turns library
errors into one line on stderr and an exit code (2 for usage, 1 for data), never a traceback.
"""

from __future__ import annotations

import os
import sys

import typer

from pixtok import __version__
from pixtok.errors import PixtokError

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


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"pixtok {__version__}\n")
        raise typer.Exit()


@app.callback()
def _pixtok(
    version: bool = typer.Option(
        False, "--version", help="Print pixtok's version and exit.", is_eager=True, callback=_print_version
    ),
) -> None:
    """Measure what text costs, and what survives, when a model reads it as pixels instead of tokens."""


def _register_commands() -> None:
    """Import the command modules; each adds its commands to `app`."""
    from pixtok.cli import commands  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `pixtok` console script."""
    _register_commands()
    args = sys.argv[1:] if argv is None else argv
    try:
        code = app(args=argv, prog_name="pixtok", standalone_mode=False)
        if code == 130:  # typer turns Ctrl-C into exit code 130
            raise KeyboardInterrupt
        if isinstance(code, int) and code:
            sys.exit(code)
    except PixtokError as exc:
        sys.stderr.write(f"pixtok: error: {exc}\n")
        sys.exit(exc.exit_code)
    except _click.NoArgsIsHelpError as exc:
        sys.stdout.write(exc.ctx.get_help() + "\n")
        sys.exit(2)
    except _click.ClickException as exc:
        sys.stderr.write(f"pixtok: error: {usage_message(exc)}\n")
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("pixtok: aborted\n")
        sys.exit(1)
    except KeyboardInterrupt:
        hint = "; run the same command with --resume to continue" if _resumable(args) else ""
        sys.stderr.write(f"pixtok: interrupted{hint}\n")
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`pixtok ... | head`): not an error worth a message.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


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
    """Whether an interrupted call can be continued with --resume (corpus runs that write a file)."""
    command = next((a for a in args if not a.startswith("-")), "")
    if any(a == "--shards" or a.startswith("--shards=") for a in args):
        return True
    return command == "compare" and any(a in ("-o", "--output") or a.startswith("--output=") for a in args)
