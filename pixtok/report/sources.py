"""Finding the text behind a record, so that a report made from a records file can show pages.

Records do not hold their texts; they name them. A record's `input` is the path the run was
given (`corpus/en.txt`), `PATH:LINE` for a JSON Lines row or `PATH:ROW` for a Parquet/Arrow row
(the default ids of docs/corpus.md), `sample` for the built-in sample, and `text` or `-` for
literal text and standard input, which nothing keeps. A path is looked up under each root in
turn (`--texts DIR` first, then the current folder, then the records file's folder). A text is
used only when its length in characters and in UTF-8 bytes equals the record's `chars` and
`bytes`: a file that changed since the run is reported, never silently shown.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pixtok.compare import sample_text
from pixtok.corpus.inputs import CorpusOptions, iter_records
from pixtok.errors import InputError, LimitError, PixtokError
from pixtok.io import read_bytes

#: The UTF-8 byte-order mark a text file may start with; the text is read without it.
_BOM = "\ufeff".encode()


@dataclass(frozen=True)
class Located:
    """The text of a record, or why it is not at hand."""

    text: str | None
    reason: str = ""


def _candidates(name: str, roots: Sequence[Path]) -> list[Path]:
    path = Path(name)
    if path.is_absolute():
        return [path]
    return [root / path for root in roots]


def _row_text(name: str, roots: Sequence[Path], field: str) -> str | None:
    """The text of `PATH:LINE` / `PATH:ROW`, read from that file with the corpus reader."""
    path_part, sep, position = name.rpartition(":")
    if not sep or not position.isdigit():
        return None
    for candidate in _candidates(path_part, roots):
        if not candidate.is_file():
            continue
        wanted = f"{candidate}:{position}"
        try:
            for record in iter_records([str(candidate)], CorpusOptions(field=field)):
                if record.id == wanted:
                    return record.text if record.ok else None
        except PixtokError:
            return None
    return None


def _size_changed(path: Path, counted: Any) -> int | None:
    """The size in bytes of `path` when it cannot hold a text of `counted` UTF-8 bytes (with or
    without a byte-order mark), so that a file that changed is not read at all; else None."""
    if isinstance(counted, bool) or not isinstance(counted, int):
        return None
    try:
        size = path.stat().st_size
    except OSError:
        return None
    return None if size in (counted, counted + len(_BOM)) else size


def locate_text(
    record: Mapping[str, Any], roots: Sequence[str | os.PathLike[str]], field: str = "text"
) -> Located:
    """The text a record was measured on, found as the module docstring says."""
    name = str(record.get("input", ""))
    root_paths = [Path(r) for r in roots]
    if name == "sample":
        text: str | None = sample_text()
    elif name in ("text", "-", ""):
        return Located(None, "literal text and standard input are not kept in records")
    else:
        text = None
        unusable = None  # why the last file of that name found was not read
        for candidate in _candidates(name, root_paths):
            if not candidate.is_file():
                continue
            changed = _size_changed(candidate, record.get("bytes"))
            if changed is not None:  # not read at all: another root may hold the text
                unusable = (
                    f"{name} now holds {changed:,} bytes where the record counted "
                    f"{record.get('bytes'):,}: it changed"
                )
                continue
            try:
                # Bounded by the `input` limit, and noted as an input: `-o` may not replace it.
                data = read_bytes(candidate)
            except LimitError as exc:
                unusable = f"its text cannot be read: {exc}"
                continue
            except InputError:
                continue
            try:
                text = data.decode("utf-8").removeprefix("\ufeff")
            except UnicodeDecodeError:
                continue
            break
        if text is None:
            text = _row_text(name, root_paths, field)
        if text is None and unusable is not None:
            return Located(None, unusable)
        if text is None:
            places = ", ".join(str(r) for r in root_paths) or "."
            return Located(None, f"its text {name} is not found under {places} (see --texts)")
    chars, size = record.get("chars"), record.get("bytes")
    if chars is not None and (len(text) != chars or len(text.encode("utf-8")) != size):
        return Located(
            None, f"{name} now holds {len(text)} characters where the record counted {chars}: it changed"
        )
    return Located(text)
