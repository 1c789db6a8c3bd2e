"""Figures the commands draw (`sweep --plot`, `study compression --plot`): matplotlib with the
headless Agg backend, and PNGs without timestamps, written atomically.

Where a figure goes is checked before the command does any work (`check_plot_path`): a plot is
drawn only at the end of a run, and a path that cannot take it would otherwise be refused after
all the measuring, or, worse, would replace the records the same run wrote.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Iterable
from typing import Any

from pixtok.errors import MissingDependencyError, UsageError
from pixtok.io import STDIO, note_input, output_target, same_file, write_bytes_atomic
from pixtok.limits import printable


def pyplot() -> Any:
    """`matplotlib.pyplot` on the Agg backend, or MissingDependencyError naming the extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError("plotting needs matplotlib: pip install 'pixtok[plot]'") from None
    return plt


def save_png(figure: Any, path: str) -> None:
    """Lay out `figure`, write it to `path` as a PNG (no Software tag, so the bytes depend on the
    figure alone), atomically, and close it."""
    plt = pyplot()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    write_bytes_atomic(path, buffer.getvalue())


def check_plot_path(
    plot: str,
    *,
    output: str | os.PathLike[str] | None = None,
    inputs: Callable[[], Iterable[object]] | None = None,
) -> None:
    """Refuse `--plot PATH` up front, as any output is refused, before the run measures anything.

    The path gets every check an output gets when it is written (`pixtok.io.output_target`): a
    name ending in '/' (a folder, not a file; `Path` would drop the slash, so `plot` is the text
    as given), a folder, a missing folder, a block device or socket. It must not be `output`, the
    file the records go to (one would replace the other), nor a file the command reads:
    `inputs()` lists those (paths; anything else, such as a text given as it is, is passed over)
    and is called only when `plot` names an existing regular file, so a folder of inputs is not
    walked for a plot that is new. '-' (standard output) is left to `one_on_stdout`.
    """
    if plot == STDIO:
        return
    if inputs is not None and _regular_file(plot):
        for path in inputs():
            if isinstance(path, (str, os.PathLike)) and os.fspath(path) != STDIO:
                try:
                    note_input(os.stat(path))
                except OSError:  # read (and refused) as the run reaches it
                    continue
    target = output_target(plot)  # refuses a file read as an input too, in the words every output uses
    if target.stream or output is None or os.fspath(output) == STDIO:
        return
    records = output_target(output)
    if records.stream:
        return
    if same_file(target.path, records.path):
        raise UsageError(
            f"{printable(plot)}: is both --plot and -o, and one would replace the other; "
            "write the plot elsewhere"
        )


def _regular_file(path: str | os.PathLike[str]) -> bool:
    """Whether `path` names an existing regular file (through links)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


__all__ = ["check_plot_path", "pyplot", "save_png"]
