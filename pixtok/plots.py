"""Figures the commands draw (`sweep --plot`, `study compression --plot`): matplotlib with the
headless Agg backend, and PNGs without timestamps, written atomically."""

from __future__ import annotations

import io
from typing import Any

from pixtok.errors import MissingDependencyError
from pixtok.io import write_bytes_atomic


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


__all__ = ["pyplot", "save_png"]
