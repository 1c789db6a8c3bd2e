"""Every preset's count at chosen page sizes: what `pixtok encoders --size` prints and what the
preset table of docs/encoders.md is generated from (`python -m pixtok.encoders.catalog` rewrites it).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pixtok.encoders import builtin
from pixtok.encoders.base import Encoder
from pixtok.encoders.registry import get_encoder
from pixtok.errors import PixtokError, UsageError

#: The docs table's pages: an A4 page at 72 dpi (Glyph's setting) and a 1024² page.
DOC_SIZES: tuple[tuple[int, int], ...] = ((595, 842), (1024, 1024))
TABLE_START, TABLE_END = "<!-- preset-table -->", "<!-- /preset-table -->"
_SIZE = re.compile(r"^\s*(\d+)\s*[x×]\s*(\d+)\s*$")


def parse_size(text: str) -> tuple[int, int]:
    """'595x842' → (595, 842)."""
    match = _SIZE.match(text)
    if not match or int(match[1]) < 1 or int(match[2]) < 1:
        raise UsageError(f"--size is WIDTHxHEIGHT in pixels (595x842), not {text!r}")
    return int(match[1]), int(match[2])


def size_key(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def count_cell(encoder: Encoder, size: tuple[int, int]) -> str:
    """'tokens / sequence tokens / valid tokens' ('–' where none is defined); 'n/a' for a size the
    preset refuses (PIXEL reads only its 16-px strip)."""
    try:
        counted = encoder.count(*size)
    except PixtokError:
        return "n/a"
    valid = "–" if counted.valid_tokens is None else str(counted.valid_tokens)
    return f"{counted.tokens} / {counted.sequence_tokens} / {valid}"


COUNT_FIELDS = ("tokens", "sequence_tokens", "valid_tokens", "tiles")


def counts_at(encoder: Encoder, sizes: Iterable[tuple[int, int]]) -> dict[str, Any]:
    """{'WxH': {tokens, sequence_tokens, valid_tokens, tiles}, or {'error': ...}} for each size."""
    out: dict[str, Any] = {}
    for size in sizes:
        try:
            counted = encoder.count(*size)
            out[size_key(size)] = {key: getattr(counted, key) for key in COUNT_FIELDS}
        except PixtokError as exc:
            out[size_key(size)] = {"error": str(exc)}
    return out


def markdown_table(sizes: Sequence[tuple[int, int]] = DOC_SIZES, names: Sequence[str] | None = None) -> str:
    """The docs' preset table: name, formula, one 'tokens / sequence / valid' cell per size, and
    the first part of the preset's source (its paper or model card; `pixtok encoders` has it all)."""
    if names is None:  # the presets pixtok ships, whatever else this process has registered
        names = [encoder.name for encoder in builtin.encoders()]
    header = ["preset", "formula", *(f"{w}×{h}" for w, h in sizes), "source"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        encoder = get_encoder(name)
        cells = [
            name,
            _markdown(encoder.formula),
            *(count_cell(encoder, s) for s in sizes),
            _markdown(encoder.source.split(";")[0]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _markdown(text: str) -> str:
    """Text safe in a Markdown table cell: no column bars, no tags."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def rewrite_docs_table(page: Path) -> bool:
    """Put the generated table between the page's markers; True when the page changed."""
    text = page.read_text(encoding="utf-8")
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    updated = f"{head}{TABLE_START}\n{markdown_table()}\n{TABLE_END}{tail}"
    if updated != text:
        page.write_text(updated, encoding="utf-8")
    return updated != text


if __name__ == "__main__":  # python -m pixtok.encoders.catalog docs/encoders.md
    changed = rewrite_docs_table(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/encoders.md"))
    print("rewritten" if changed else "unchanged")
