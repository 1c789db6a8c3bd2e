"""Error types that carry the exit code the command line should end with.

Library code raises these; the CLI turns them into one line on stderr and the exit code,
never a traceback. Exit code 2 means the call itself was wrong (usage), 1 means the data was.
`show` puts a value the caller gave into such a line.
"""

from __future__ import annotations

import math
from typing import Any

#: Whole numbers from this magnitude on are described, not printed, in a message (Python prints
#: none of more than 4300 digits, and a message has no use for 19 of them).
_LONG_INT = 1 << 63


class PixtokError(Exception):
    """Base class: a message fit for one line on stderr, and an exit code."""

    exit_code: int = 1


class UsageError(PixtokError, ValueError):
    """An option or argument is invalid (bad size, unknown name, conflicting flags)."""

    exit_code = 2


class InputError(PixtokError):
    """The input text or file cannot be used (missing, unreadable, not UTF-8, empty)."""

    exit_code = 1


class FontError(PixtokError):
    """A font cannot be found, loaded or used."""

    exit_code = 1


class MissingDependencyError(PixtokError):
    """An optional engine or package is not installed; the message names what to install."""

    exit_code = 1


class LimitError(InputError):
    """An input is larger than a stated limit (docs/limits.md); the message says how to raise it."""

    exit_code = 1


class OutputError(PixtokError):
    """An output cannot be written (a full disk, a read-only folder, a path that cannot be a file)."""

    exit_code = 1


class OutputBusyError(OutputError):
    """Another run is writing the same output; the lock beside it says which process."""

    exit_code = 1


class ServerError(PixtokError):
    """A server pixtok was told to call failed: unreachable, too slow, refusing, or answering nonsense.

    The message names the URL (never a key); the CLI exits 1, since the call itself may be right.
    """

    exit_code = 1


def is_rust_panic(exc: BaseException) -> bool:
    """Whether `exc` is a Rust panic raised through PyO3 (`pyo3_runtime.PanicException`).

    Rust libraries (`tokenizers`, `tiktoken`) turn a panic into that exception, which derives
    from BaseException, so `except Exception` lets it through. Each extension module creates its
    own copy of the class and none can be imported, so it is recognised by module and name; a
    handler that catches BaseException must re-raise whatever this refuses, so KeyboardInterrupt
    and SystemExit keep their meaning.
    """
    return any(
        getattr(cls, "__module__", None) == "pyo3_runtime" and cls.__name__ == "PanicException"
        for cls in type(exc).__mro__
    )


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message, or its type's name if it has none."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def show(value: Any, width: int = 60) -> str:
    """`value` for a one-line message: its repr, shortened; a whole number of more digits than
    Python prints (`10**5000`) is described instead of printed."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _LONG_INT:
        digits = math.floor(value.bit_length() * math.log10(2)) + 1
        return f"a whole number of about {digits} digits"
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
