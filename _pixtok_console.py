"""The `pixtok` console script: loads the command line, then runs it.

Loading pixtok and its libraries takes most of a second, and Ctrl-C pressed in that time
arrives before the command line's own handler exists. This module lives outside the package
(importing `pixtok.cli` runs `pixtok/__init__.py` first, which loads everything), so that an
interrupt while loading ends as one during a run does: one line and exit code 130.
"""

from __future__ import annotations

import signal
import sys


def main() -> None:
    """Entry point of the `pixtok` console script."""
    try:
        from pixtok.cli import main as run
    except KeyboardInterrupt:
        _interrupted()
    except ImportError as exc:
        # numpy turns an interrupt inside its own import into an ImportError that blames its
        # installation; the interrupt is still the cause.
        if not caused_by_interrupt(exc):
            raise
        _interrupted()
    run()


def _interrupted() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second press while exiting: ignored
    sys.stderr.write("pixtok: interrupted\n")
    sys.stderr.flush()
    raise SystemExit(128 + signal.SIGINT)


def caused_by_interrupt(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt is among the exceptions that led to `exc` (the command
    line asks this too, of the exit that typer makes of Ctrl-C)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


if __name__ == "__main__":
    main()
