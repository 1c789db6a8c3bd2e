"""The `pixtok` command line: a thin shell that parses options, calls the library and formats.

Each command lives in its own module and registers itself on `app`; `main` turns library
errors into one line on stderr and an exit code (2 for usage, 1 for data), never a traceback.
"""

from __future__ import annotations

import os
import sys

import typer

from pixtok.errors import PixtokError

app = typer.Typer(
    name="pixtok",
    help="Measure what text costs, and what survives, when a model reads it as pixels instead of tokens.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _register_commands() -> None:
    """Import the command modules; each adds its commands to `app`."""
    from pixtok.cli import commands  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `pixtok` console script."""
    _register_commands()
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=argv, prog_name="pixtok")
    except PixtokError as exc:
        sys.stderr.write(f"pixtok: error: {exc}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        hint = "; run the same command with --resume to continue" if _resumable(args) else ""
        sys.stderr.write(f"pixtok: interrupted{hint}\n")
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`pixtok ... | head`): not an error worth a message.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


def _resumable(args: list[str]) -> bool:
    """Whether an interrupted call can be continued with --resume (corpus runs that write a file)."""
    command = next((a for a in args if not a.startswith("-")), "")
    if any(a == "--shards" or a.startswith("--shards=") for a in args):
        return True
    return command == "compare" and any(a in ("-o", "--output") or a.startswith("--output=") for a in args)
