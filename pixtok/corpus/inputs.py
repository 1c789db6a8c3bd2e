"""Corpora as a stream of records: files, folders, globs, stdin, JSON Lines, Parquet and Arrow.

`iter_records(inputs, ...)` yields one `Record(id, text, fields)` at a time, so memory stays flat
however large the corpus is: text files are read one at a time, JSON Lines line by line, Parquet
and Arrow tables batch by batch. What an input holds is decided by its name:

* `-` is standard input: one text, or JSON Lines when a `--field` or `--id-field` is named;
* a `TextInput` is a text given as it is (the command line's literal text), one record `text`;
* a folder is walked recursively in sorted order (hidden files and folders are skipped); a folder
  saved by Hugging Face `datasets` (`save_to_disk`: `state.json` or `dataset_dict.json` next to
  Arrow files) is read as that dataset. Files found by walking a folder that are not text
  (binary content, or not UTF-8) are skipped, not failed: a folder of pages and texts reads
  its texts; `on_skip` hears of each;
* a name with `*`, `?` or `[` that is not an existing file is a glob (`**` recurses);
* `.jsonl`/`.ndjson` are JSON Lines, `.parquet` Parquet, `.arrow`/`.feather` Arrow IPC, anything
  else one UTF-8 text per file; a further `.gz` is decompressed.

Ids: the path for a text file; `PATH:LINE` (1-based, as editors count) for JSON Lines and
`PATH:ROW` (0-based, as Arrow and pandas count) for tables, unless `id_field` names a column.

A record that cannot be read — invalid UTF-8, a line that is not JSON, a missing text field, an
unreadable table, anything over a stated limit (`pixtok.limits`: a file or JSON line larger than
the `input` limit, a line of text longer than the `line` limit, JSON nested deeper than
`json-depth`), a string that is not valid Unicode (a lone surrogate from a JSON `\ud800` escape)
in its text, id or kept fields — is yielded with `error` set instead of raising, so one bad record
never stops a run. Ids are always valid Unicode: a file name that is not UTF-8 is spelled with
backslash escapes (`bad\\xff.txt`). Only a missing input or a glob that matches nothing raises
(`InputError`) before any work.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import glob
import gzip
import json
import math
import os
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, overload

from pixtok.errors import InputError, LimitError, MissingDependencyError, UsageError
from pixtok.io import load_json, note_input, read_bytes, shorten, stdin_buffer, unreachable
from pixtok.limits import (
    check_input_size,
    check_text,
    current,
    first_surrogate,
    printable,
    read_bounded,
)

STDIN = "-"
DEFAULT_FIELD = "text"
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".pq")
ARROW_SUFFIXES = (".arrow", ".feather", ".ipc")
_GLOB_CHARS = frozenset("*?[")
#: JSON Lines are line-counted for a progress ETA only up to this many bytes (a few seconds).
COUNT_JSONL_BYTES = 2_000_000_000
#: Rows decoded per Arrow batch: large enough to be fast, small enough to keep memory flat.
_BATCH_ROWS = 256


#: The record id of a text given as it is (docs/conventions.md: `input` is `text`).
LITERAL_TEXT_ID = "text"
#: Bytes looked at to tell a binary file from a text one: a NUL byte there means binary.
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class TextInput:
    """A text given as it is rather than a path: read as one record named `name`."""

    text: str
    name: str = LITERAL_TEXT_ID


Input = str | os.PathLike[str] | TextInput
Skipped = Callable[[str], None]


@dataclass(frozen=True)
class Record:
    """One text of a corpus: a stable id, the text, and the other columns kept from its row.

    `error` is set (and `text` is empty) when the record could not be read; `source` is the
    file it came from (`-` for standard input).
    """

    id: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class CorpusOptions:
    """How rows are read: the text field, the id field, the columns to keep, and UTF-8 errors.

    `keep=None` keeps every other scalar column in `Record.fields`; a tuple keeps only those.
    """

    field: str = DEFAULT_FIELD
    id_field: str | None = None
    keep: tuple[str, ...] | None = None
    errors: str = "strict"
    #: Standard input is JSON Lines (rather than one text) when a field or id field is named.
    stdin_jsonl: bool = False

    def __post_init__(self) -> None:
        if self.errors not in ("strict", "replace"):
            raise UsageError(f"--errors must be 'strict' or 'replace', not {self.errors!r}")
        if not self.field:
            raise UsageError("--field needs a column name")
        if self.id_field == "":
            raise UsageError("--id-field needs a column name")


def iter_records(
    inputs: Sequence[Input], options: CorpusOptions | None = None, *, on_skip: Skipped | None = None
) -> Iterator[Record]:
    """Every record of every input, in input order (see the module docstring).

    The inputs are resolved at once (a missing one raises here); records are read lazily.
    `on_skip(path)` is called for each file of a folder that is skipped as not text.
    """
    options = options or CorpusOptions()
    sources = _expand(inputs)
    records = (_checked(record) for source in sources for record in _records_of(source, options, on_skip))
    return RecordStream(records, options)


class RecordStream(Iterator[Record]):
    """The records `iter_records` yields, and the `CorpusOptions` they were read with, so that a
    resumable run can tell a journal made with another `--field`, `--id-field` or `--errors`
    (the same ids, other texts) from its own (`reading_settings`)."""

    def __init__(self, records: Iterator[Record], options: CorpusOptions) -> None:
        self._records = records
        self.options = options

    def __iter__(self) -> RecordStream:
        return self

    def __next__(self) -> Record:
        return next(self._records)

    def close(self) -> None:
        """Close the underlying generator (its open file, if any)."""
        close = getattr(self._records, "close", None)
        if close is not None:
            close()


#: The reading options that decide what a record's text is, for `reading_settings`.
_READING = ("field", "id_field", "errors")


def reading_settings(records: object) -> dict[str, Any]:
    """The reading options of a `RecordStream` that differ from the defaults, as settings that
    guard a resume (`{"reading": {"field": "body"}}`), or `{}` for defaults or another iterable:
    a run with default options keeps the signature it always had."""
    options = getattr(records, "options", None)
    if not isinstance(options, CorpusOptions):
        return {}
    default = CorpusOptions()
    changed = {
        name: getattr(options, name) for name in _READING if getattr(options, name) != getattr(default, name)
    }
    return {"reading": changed} if changed else {}


def _checked(record: Record) -> Record:
    """The record, or a failed one when its text, id or fields are not valid Unicode or its text
    has a line over the `line` limit; the id is made printable either way."""
    record_id = printable(record.id)
    if record.error is not None:
        return Record(record_id, "", record.fields, record.source, printable(record.error))
    problem = None
    for name, value in record.fields.items():
        if problem is None and _has_surrogate(value):
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            problem = _not_unicode(f"field {name!r}", shown)
    if problem is None:
        try:
            check_text(record.text)
        except InputError as exc:
            problem = f"text: {exc}"
    if problem is not None:
        fields = {key: _printable_value(value) for key, value in record.fields.items()}
        return Record(record_id, "", fields, record.source, problem)
    if record_id != record.id:
        return Record(record_id, record.text, record.fields, record.source)
    return record


def _has_surrogate(value: Any) -> bool:
    """Whether a field value, or any string nested in it (a list or an object), holds a lone
    surrogate, which no UTF-8 output can hold."""
    if isinstance(value, str):
        return first_surrogate(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(key) or _has_surrogate(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_surrogate(item) for item in value)
    return False


def _printable_value(value: Any) -> Any:
    """A field value with every string in it made valid Unicode (`printable`), for a failed
    record, whose fields are still written (a group-by column, say)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(str(key)): _printable_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable_value(item) for item in value]
    return value


def _not_unicode(what: str, value: str) -> str:
    return f"{what} holds a lone surrogate ({printable(value)!r}), which is not valid Unicode"


def expand_inputs(inputs: Sequence[Input]) -> list[str | TextInput]:
    """Inputs resolved to files (and `-`, and texts given as they are): globs expanded, folders
    walked, all in sorted order.

    Checked eagerly, so that a missing path or an empty glob fails before any work starts.
    Hugging Face dataset folders stay whole (their own reader orders the Arrow files).
    """
    return [source.path if source.text is None else source.text for source in _expand(inputs)]


@dataclass(frozen=True)
class _Source:
    """One thing to read: a path (`scanned` when a folder walk found it), or a given text;
    `error` says why a path a folder walk met cannot be read (it is then a failed record);
    `special` marks a FIFO, socket or device a walk met, which is skipped."""

    path: str
    scanned: bool = False
    text: TextInput | None = None
    error: str | None = None
    #: Not a regular file (a FIFO, a socket, a device) found by a folder walk: skipped, not read.
    special: bool = False


def _expand(inputs: Sequence[Input]) -> list[_Source]:
    sources: list[_Source] = []
    for raw in inputs:
        if isinstance(raw, TextInput):
            sources.append(_Source(raw.name, text=raw))
            continue
        name = os.fspath(raw)
        if name == STDIN:
            if any(source.path == STDIN and source.text is None for source in sources):
                # A second read of standard input would find it drained: an empty record, or
                # none, under the same id as the first, instead of the text the user meant.
                raise UsageError("'-' (standard input) is given twice; it can be read only once")
            sources.append(_Source(STDIN))
        elif os.path.isdir(name):
            sources.extend(_walk(Path(name)))
        elif os.path.exists(name):
            sources.append(_Source(name))
        elif _GLOB_CHARS & set(name):
            matches = sorted(glob.glob(name, recursive=True))
            if not matches:
                raise InputError(f"no files match {printable(name)}")
            for match in matches:
                sources.extend(_walk(Path(match)) if os.path.isdir(match) else [_matched(match)])
        else:
            raise InputError(_missing(name))
    return sources


def _matched(path: str) -> _Source:
    """A file a glob matched: read like a named file, except what a folder walk would not read
    either — a FIFO, socket or device (skipped: reading a FIFO nobody writes would hang) — and a
    link that leads nowhere (a failed record)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return _Source(path, scanned=True, error=f"cannot read ({exc.strerror or exc})")
    if stat.S_ISREG(mode):
        return _Source(path)
    return _Source(path, scanned=True, special=True)


def _missing(name: str) -> str:
    return unreachable(name) or f"no such file: {shorten(printable(name))}"


def _walk(folder: Path, seen: set[tuple[int, int]] | None = None) -> list[_Source]:
    """Files under `folder`, recursively and sorted; a Hugging Face dataset folder is one entry.

    A folder reached twice (through a symbolic link that loops back) is walked once. The folder
    given must be readable; below it, a folder that cannot be read or a link that leads nowhere
    it can follow (a loop) is one failed record, and the walk goes on.
    """
    top = seen is None
    seen = set() if seen is None else seen
    try:
        info = folder.stat()
        if (info.st_dev, info.st_ino) in seen:
            return []
        seen.add((info.st_dev, info.st_ino))
        if _is_hf_dataset(folder):
            return [_Source(str(folder))]
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        reason = f"cannot read ({exc.strerror or exc})"
        if top:
            raise InputError(f"{printable(str(folder))}: {reason}") from None
        return [_Source(os.path.normpath(folder), scanned=True, error=reason)]
    found: list[_Source] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_dir, is_file = entry.is_dir(), entry.is_file()
        except OSError as exc:  # a symbolic link loop, say
            found.append(
                _Source(
                    os.path.normpath(entry.path), scanned=True, error=f"cannot read ({exc.strerror or exc})"
                )
            )
            continue
        path = os.path.normpath(entry.path)
        if is_dir:
            found.extend(_walk(Path(entry.path), seen))
        elif is_file:
            found.append(_Source(path, scanned=True))
        elif not os.path.exists(entry.path):
            # A link whose target is gone: a text of the corpus is missing, which must not pass
            # unnoticed (a git-annex folder whose content was never fetched, say).
            found.append(_Source(path, scanned=True, error="cannot read (a symbolic link to nothing)"))
        else:
            # A FIFO, socket or device: reading it could block forever or never end, so it is
            # skipped like a file that is not text, and said so.
            found.append(_Source(path, scanned=True, special=True))
    return found


def _is_hf_dataset(folder: Path) -> bool:
    return (folder / "dataset_dict.json").is_file() or (
        (folder / "state.json").is_file() and (folder / "dataset_info.json").is_file()
    )


def _kind(path: str) -> str:
    name = path.lower().removesuffix(".gz")
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(ARROW_SUFFIXES):
        return "arrow"
    return "text"


def _records_of(source: _Source, options: CorpusOptions, on_skip: Skipped | None) -> Iterator[Record]:
    if source.text is not None:
        yield Record(source.text.name, source.text.text, {}, source.text.name)
        return
    path = source.path
    if source.error is not None:
        yield _failed(path, path, source.error)
        return
    if source.special:
        if on_skip is not None:
            on_skip(path)
        return
    if path == STDIN:
        stdin = stdin_buffer()  # a closed stdin fails the run, as it does every reader of '-'
        if options.stdin_jsonl:
            yield from _jsonl_records(stdin, STDIN, options)
        else:
            yield _text_record(STDIN, lambda: read_bounded(stdin), options)
        return
    if os.path.isdir(path):
        yield from _hf_records(Path(path), options)
        return
    kind = _kind(path)
    if kind == "jsonl":
        try:
            stream = _open(path)
        except OSError as exc:
            yield _failed(path, path, f"cannot read ({exc.strerror or exc})")
            return
        with stream:
            yield from _jsonl_records(stream, path, options)
    elif kind in ("parquet", "arrow"):
        yield from _table_records(path, kind, options)
    elif source.scanned:
        record = _text_record(path, lambda: _read_all(path), options, binary_fails=False)
        if record is None:
            if on_skip is not None:
                on_skip(path)
        else:
            yield record
    else:
        yield _text_record(path, lambda: _read_all(path), options)


def _open(path: str) -> BinaryIO:
    note_input(os.stat(path))
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _read_all(path: str) -> bytes:
    """The whole file (decompressed), refused past the `input` limit without reading further."""
    with _open(path) as stream:
        return read_bounded(stream)


def _failed(record_id: str, source: str, message: str, fields: dict[str, Any] | None = None) -> Record:
    """A record that could not be read; the message does not repeat the id, which sits next to it."""
    return Record(record_id, "", fields or {}, source, message)


def _decode(data: bytes, options: CorpusOptions, file_offset: int | None = None) -> str:
    """UTF-8 text; invalid bytes raise InputError naming the byte offset (in the file, if given)."""
    start = 0
    if data.startswith(b"\xef\xbb\xbf") and not file_offset:
        start = 3
    try:
        return data[start:].decode("utf-8", errors=options.errors)
    except UnicodeDecodeError as exc:
        bad = start + exc.start
        where = f"file byte offset {file_offset + bad}" if file_offset is not None else f"byte offset {bad}"
        raise InputError(
            f"invalid UTF-8 at {where} (byte 0x{data[bad]:02x}); use --errors replace to substitute U+FFFD"
        ) from None


@overload
def _text_record(path: str, read: Any, options: CorpusOptions) -> Record: ...
@overload
def _text_record(path: str, read: Any, options: CorpusOptions, binary_fails: bool) -> Record | None: ...


def _text_record(path: str, read: Any, options: CorpusOptions, binary_fails: bool = True) -> Record | None:
    """One file as one text. A file that is not text (a NUL byte among its first bytes, or
    invalid UTF-8) is a failed record, or None when `binary_fails` is False (a folder walk)."""
    try:
        data = read()
    except OSError as exc:
        return _failed(path, path, f"cannot read ({exc.strerror or exc})")
    except EOFError as exc:  # a truncated .gz
        return _failed(path, path, f"truncated ({exc})")
    except zlib.error as exc:  # a .gz whose compressed data is damaged
        return _failed(path, path, f"corrupt compressed data ({exc})")
    except InputError as exc:  # over the input limit
        return _failed(path, path, str(exc))
    if not binary_fails and b"\0" in data[:_SNIFF_BYTES]:
        return None
    try:
        return Record(path, _decode(data, options), {}, path)
    except InputError as exc:
        return _failed(path, path, str(exc)) if binary_fails else None


# -- JSON Lines ------------------------------------------------------------------------------


def _jsonl_records(stream: BinaryIO, source: str, options: CorpusOptions) -> Iterator[Record]:
    offset = 0
    lineno = 0
    limit = current().input_bytes
    try:
        while raw := stream.readline(limit + 1):
            lineno += 1
            start, offset = offset, offset + len(raw)
            if len(raw) > limit and not raw.endswith(b"\n"):
                offset += _skip_line(stream)
                yield _failed(f"{source}:{lineno}", source, _over_limit("line", len(raw)))
                continue
            if not raw.strip():
                continue
            yield _jsonl_record(raw, lineno, start, source, options)
    except (OSError, EOFError) as exc:
        yield _failed(f"{source}:{lineno + 1}", source, f"cannot read ({exc})")
    except zlib.error as exc:  # a .gz whose compressed data is damaged
        yield _failed(f"{source}:{lineno + 1}", source, f"corrupt compressed data ({exc})")


def _over_limit(what: str, size: int) -> str:
    """Why `what` of `size` bytes fails: the `input` limit's message, which says how to raise it."""
    try:
        check_input_size(size)
    except LimitError as exc:
        return f"{what} {exc}"
    return f"{what} larger than the input limit"  # pragma: no cover - callers check the size first


def _skip_line(stream: BinaryIO, block: int = 1 << 20) -> int:
    """Read past the rest of an over-long line, a block at a time; returns the bytes skipped."""
    skipped = 0
    while part := stream.readline(block):
        skipped += len(part)
        if part.endswith(b"\n"):
            break
    return skipped


def _jsonl_record(raw: bytes, lineno: int, offset: int, source: str, options: CorpusOptions) -> Record:
    where = f"{source}:{lineno}"
    try:
        line = _decode(raw, options, offset)
        row = load_json(line)
    except InputError as exc:
        return _failed(where, source, str(exc))
    except ValueError as exc:
        return _failed(where, source, f"not valid JSON ({exc})")
    if not isinstance(row, dict):
        return _failed(where, source, f"expected a JSON object, got {_kind_of(row)}")
    twice = _duplicate_key(line, [options.field, *([options.id_field] if options.id_field else [])])
    if twice is not None:
        # JSON parsers disagree on which of two values wins (Python's and jq take the last),
        # so a record whose text or id is given twice is ambiguous: it fails, saying so.
        return _failed(where, source, f"the key {twice!r} appears twice in the object")
    return _row_record(row, where, source, options)


@functools.lru_cache(maxsize=64)
def _quoted(name: str) -> str:
    """A key as JSON spells it unescaped (made once per name, not once per line)."""
    return json.dumps(name, ensure_ascii=False)


def _duplicate_key(line: str, names: Sequence[str]) -> str | None:
    """The first of `names` that the JSON object `line` holds twice at its top level, or None.

    Only a line that spells one of the names at least twice is parsed again (with a hook that
    sees every key), so ordinary lines cost one substring count per name."""
    suspects = [name for name in names if line.count(_quoted(name)) > 1]
    if not suspects:
        return None
    outermost: list[list[tuple[str, Any]]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        outermost[:] = [items]  # the outermost object is parsed last
        return dict(items)

    json.loads(line, object_pairs_hook=pairs)
    keys = [key for key, _ in outermost[0]] if outermost else []
    return next((name for name in suspects if keys.count(name) > 1), None)


def _row_record(row: dict[str, Any], where: str, source: str, options: CorpusOptions) -> Record:
    """A record from one row (a JSON object or a table row) with the configured fields.

    Whatever a row holds comes back as a record, failed when its text or id cannot be used:
    a text that is not a string (null, a number, a list...) or larger than the `input` limit,
    an id that is a list or an object. Kept fields are made JSON-safe (`_json_value`), so
    that no column type a Parquet file can hold breaks the output later.
    """
    record_id = where
    if options.id_field is not None:
        value = row.get(options.id_field)
        if value is None:
            return _failed(where, source, f"no id field {options.id_field!r}")
        if isinstance(value, (dict, list, tuple)):
            return _failed(
                where, source, f"id field {options.id_field!r} is {_kind_of(value)}, not text or a number"
            )
        record_id = _id_text(value)
        if first_surrogate(record_id) is not None:
            return _failed(
                printable(record_id), source, _not_unicode(f"id field {options.id_field!r}", record_id)
            )
    fields = _kept(row, options)
    if options.field not in row:
        columns = ", ".join(sorted(row)) or "none"
        return _failed(record_id, source, f"no field {options.field!r} (fields: {columns})", fields)
    text = row[options.field]
    if isinstance(text, (bytes, str)) and _over_input_limit(text):
        size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
        return _failed(record_id, source, _over_limit(f"field {options.field!r}:", size), fields)
    if isinstance(text, bytes):
        try:
            text = _decode(text, options)
        except InputError as exc:
            return _failed(record_id, source, str(exc), fields)
    if not isinstance(text, str):
        return _failed(record_id, source, f"field {options.field!r} is {_kind_of(text)}, not text", fields)
    return Record(record_id, text, fields, source)


def _over_input_limit(text: bytes | str) -> bool:
    """Whether a text value (from a table cell or a JSON line) is larger than the `input` limit
    in UTF-8 bytes. A JSON line is bounded already; a Parquet or Arrow cell is not, and a
    corpus's one record must not be larger than a whole text file may be."""
    limit = current().input_bytes
    if isinstance(text, bytes):
        return len(text) > limit
    if len(text) * 4 <= limit:  # at most 4 bytes a character: cheap for every ordinary text
        return False
    return len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit


def _kind_of(value: Any) -> str:
    """A value's type as a JSON or table user knows it (`null`, `a boolean`, `a list`, `an
    object`), or for any other value its Python type (`int`, `float`, `datetime`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _id_text(value: Any) -> str:
    """An id from a scalar column: `str(value)`, except bytes (a binary column), which are
    decoded with invalid bytes escaped rather than spelled `b'...'`."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "backslashreplace")
    return str(value)


def _json_value(value: Any) -> Any:
    """`value` as JSON can hold it: kept fields go into every output (JSON Lines, JSON, CSV, the
    shards' metadata), and a table column may hold what JSON cannot — NaN and infinities (null,
    as JavaScript writes them), bytes (decoded, invalid bytes escaped), dates and times (ISO
    8601), decimals (their exact digits, as text) — and a JSON line may spell `NaN`."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    if isinstance(value, (datetime.date, datetime.time)):  # a datetime is a date
        return value.isoformat()
    return _id_text(value)


def _kept(row: dict[str, Any], options: CorpusOptions) -> dict[str, Any]:
    if options.keep is not None:
        return {key: _json_value(row.get(key)) for key in options.keep}
    return {
        key: _json_value(value)
        for key, value in row.items()
        if key != options.field and isinstance(value, (str, int, float, bool, type(None)))
    }


# -- Parquet, Arrow and Hugging Face datasets ----------------------------------------------------


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise MissingDependencyError(
            "reading Parquet or Arrow needs pyarrow: pip install 'pixtok[corpus]'"
        ) from None
    return pyarrow


def _table_records(path: str, kind: str, options: CorpusOptions) -> Iterator[Record]:
    """Rows of a Parquet or Arrow IPC file, decoded a few hundred at a time."""
    pa = _pyarrow()
    with contextlib.ExitStack() as stack:
        try:
            batches, names = _open_batches(pa, path, kind, options, stack)
        except Exception as exc:  # pyarrow raises its own types for corrupt or foreign files
            yield _failed(path, path, f"cannot read as {kind} ({_message(exc)})")
            return
        if options.field not in names:
            yield _failed(path, path, f"no column {options.field!r} (columns: {', '.join(names)})")
            return
        twice = next((n for n in (options.field, options.id_field) if n and names.count(n) > 1), None)
        if twice is not None:  # which of the two a row's value comes from is anyone's guess
            yield _failed(path, path, f"the column {twice!r} appears twice in the table")
            return
        row_index = 0
        try:
            for batch in batches:
                for row in batch.to_pylist():
                    yield _row_record(row, f"{path}:{row_index}", path, options)
                    row_index += 1
        except Exception as exc:
            yield _failed(f"{path}:{row_index}", path, f"cannot read as {kind} ({_message(exc)})")


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _open_batches(
    pa: Any, path: str, kind: str, options: CorpusOptions, stack: contextlib.ExitStack
) -> tuple[Iterator[Any], list[str]]:
    """Batches of the wanted columns, and every column name of the table."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        parquet = stack.enter_context(pq.ParquetFile(path))
        names = list(parquet.schema_arrow.names)
        columns = _columns(names, options)
        return parquet.iter_batches(batch_size=_BATCH_ROWS, columns=columns), names
    source = stack.enter_context(pa.memory_map(path, "r"))
    try:  # Hugging Face writes the streaming format; Feather v2 is the file format
        reader = pa.ipc.open_stream(source)
        batches: Iterable[Any] = reader
    except pa.ArrowInvalid:
        source.seek(0)
        reader = pa.ipc.open_file(source)
        batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
    names = list(reader.schema.names)
    columns = _columns(names, options)
    return (
        batch.slice(start, _BATCH_ROWS).select(columns) if columns else batch.slice(start, _BATCH_ROWS)
        for batch in batches
        for start in range(0, batch.num_rows, _BATCH_ROWS)
    ), names


def _columns(names: list[str], options: CorpusOptions) -> list[str] | None:
    if options.keep is None:
        return None
    wanted = [options.field, *([options.id_field] if options.id_field else []), *options.keep]
    return [name for name in dict.fromkeys(wanted) if name in names]


def _hf_records(folder: Path, options: CorpusOptions) -> Iterator[Record]:
    """A folder written by Hugging Face `datasets` `save_to_disk`: a Dataset or a DatasetDict.

    A Dataset folder lists its Arrow shards in `state.json` (`_data_files`, in order); a
    DatasetDict folder lists its splits in `dataset_dict.json`, one Dataset folder each. Split
    names are added to the fields as `split`. Both files are checked as they are read: a split or
    a shard must be a plain name inside the folder (no `/`, `.` or `..`), so a hostile file can
    neither send the reader outside the dataset nor into itself (`"splits": ["."]`), and a split
    is read as a Dataset only, never as another DatasetDict.
    """
    dict_file = folder / "dataset_dict.json"
    if not dict_file.is_file():
        yield from _hf_dataset_records(folder, options)
        return
    try:
        splits = load_json(read_bytes(dict_file), "dataset_dict.json")["splits"]
        if not isinstance(splits, list):
            raise TypeError(f"'splits' is {_kind_of(splits)}, not a list")
        for split in splits:
            _check_plain_name(split, "split")
    except (InputError, ValueError, KeyError, TypeError) as exc:
        yield _failed(str(folder), str(folder), f"unreadable dataset_dict.json ({_hf_problem(exc)})")
        return
    keep_split = options.keep is None or "split" in options.keep
    for split in splits:
        for record in _hf_dataset_records(folder / split, options):
            fields = {**record.fields, "split": split} if keep_split else record.fields
            yield Record(record.id, record.text, fields, record.source, record.error)


def _hf_dataset_records(folder: Path, options: CorpusOptions) -> Iterator[Record]:
    """The rows of one Dataset folder, its Arrow shards in the order `state.json` lists them."""
    try:
        state = load_json(read_bytes(folder / "state.json"), "state.json")
        entries = state["_data_files"]
        if not isinstance(entries, list):
            raise TypeError(f"'_data_files' is {_kind_of(entries)}, not a list")
        files = []
        for entry in entries:
            if not isinstance(entry, dict) or "filename" not in entry:
                raise TypeError(f"a '_data_files' entry is {_kind_of(entry)} without a 'filename'")
            files.append(_check_plain_name(entry["filename"], "data file"))
    except (InputError, ValueError, KeyError, TypeError) as exc:
        yield _failed(str(folder), str(folder), f"unreadable state.json ({_hf_problem(exc)})")
        return
    for filename in files:
        path = folder / filename
        if not path.is_file():
            yield _failed(str(path), str(path), "listed in state.json but missing")
            continue
        yield from _table_records(str(path), "arrow", options)


def _check_plain_name(name: Any, what: str) -> str:
    """`name` if it is a plain file name inside a folder, else a ValueError saying what it is."""
    if not isinstance(name, str):
        raise TypeError(f"a {what} name is {_kind_of(name)}, not text")
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"{what} {printable(name)!r} is not a name inside the dataset folder")
    return name


def _hf_problem(exc: BaseException) -> str:
    """The reason a dataset's JSON file was refused, readable (a KeyError alone says only
    `'splits'`)."""
    if isinstance(exc, KeyError):
        return f"no key {exc}"
    return str(exc)


def count_records(inputs: Sequence[Input], options: CorpusOptions | None = None) -> int | None:
    """How many records the inputs hold, when that is cheap to know (for progress and ETA).

    Text files count one each, tables read the row count from their metadata, JSON Lines count
    non-blank lines with a fast byte scan (up to `COUNT_JSONL_BYTES` in all); standard input,
    compressed files and larger JSON Lines cannot be counted without reading them, so the
    answer is None.
    """
    total = 0
    jsonl_bytes = 0
    for source in _expand(inputs):
        if source.text is not None:
            total += 1
            continue
        path = source.path
        if source.special:
            continue
        if path == STDIN or path.lower().endswith(".gz"):
            return None
        if os.path.isdir(path):
            return None
        kind = _kind(path)
        try:
            if kind == "text":
                total += 1
            elif kind == "jsonl":
                jsonl_bytes += os.path.getsize(path)
                if jsonl_bytes > COUNT_JSONL_BYTES:
                    return None
                total += _count_lines(path)
            elif kind == "parquet":
                import pyarrow.parquet as pq

                total += pq.ParquetFile(path).metadata.num_rows
            else:
                return None
        except Exception:  # the reader will report the problem as a failed record
            return None
    return total


def _count_lines(path: str) -> int:
    with open(path, "rb") as stream:
        return sum(1 for line in stream if line.strip())
