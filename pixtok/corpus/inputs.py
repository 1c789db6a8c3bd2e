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
import glob
import gzip
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, overload

from pixtok.errors import InputError, MissingDependencyError, UsageError
from pixtok.io import load_json, note_input, read_bytes, shorten, stdin_buffer, unreachable
from pixtok.limits import check_text, current, first_surrogate, printable, read_bounded

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
    return (_checked(record) for source in sources for record in _records_of(source, options, on_skip))


def _checked(record: Record) -> Record:
    """The record, or a failed one when its text, id or fields are not valid Unicode or its text
    has a line over the `line` limit; the id is made printable either way."""
    record_id = printable(record.id)
    if record.error is not None:
        return Record(record_id, "", record.fields, record.source, printable(record.error))
    problem = None
    for name, value in record.fields.items():
        if problem is None and isinstance(value, str) and first_surrogate(value) is not None:
            problem = _not_unicode(f"field {name!r}", value)
    if problem is None:
        try:
            check_text(record.text)
        except InputError as exc:
            problem = f"text: {exc}"
    if problem is not None:
        fields = {k: printable(v) if isinstance(v, str) else v for k, v in record.fields.items()}
        return Record(record_id, "", fields, record.source, problem)
    if record_id != record.id:
        return Record(record_id, record.text, record.fields, record.source)
    return record


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
    `error` says why a path a folder walk met cannot be read (it is then a failed record)."""

    path: str
    scanned: bool = False
    text: TextInput | None = None
    error: str | None = None


def _expand(inputs: Sequence[Input]) -> list[_Source]:
    sources: list[_Source] = []
    for raw in inputs:
        if isinstance(raw, TextInput):
            sources.append(_Source(raw.name, text=raw))
            continue
        name = os.fspath(raw)
        if name == STDIN:
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
                sources.extend(_walk(Path(match)) if os.path.isdir(match) else [_Source(match)])
        else:
            raise InputError(_missing(name))
    return sources


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
        if is_dir:
            found.extend(_walk(Path(entry.path), seen))
        elif is_file:
            found.append(_Source(os.path.normpath(entry.path), scanned=True))
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
                yield _failed(
                    f"{source}:{lineno}", source, f"line longer than the input limit of {limit:,} bytes"
                )
                continue
            if not raw.strip():
                continue
            yield _jsonl_record(raw, lineno, start, source, options)
    except (OSError, EOFError) as exc:
        yield _failed(f"{source}:{lineno + 1}", source, f"cannot read ({exc})")
    except zlib.error as exc:  # a .gz whose compressed data is damaged
        yield _failed(f"{source}:{lineno + 1}", source, f"corrupt compressed data ({exc})")


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
        return _failed(where, source, f"expected a JSON object, got {type(row).__name__}")
    return _row_record(row, where, source, options)


def _row_record(row: dict[str, Any], where: str, source: str, options: CorpusOptions) -> Record:
    """A record from one row (a JSON object or a table row) with the configured fields."""
    record_id = where
    if options.id_field is not None:
        value = row.get(options.id_field)
        if value is None:
            return _failed(where, source, f"no id field {options.id_field!r}")
        record_id = str(value)
        if first_surrogate(record_id) is not None:
            return _failed(
                printable(record_id), source, _not_unicode(f"id field {options.id_field!r}", record_id)
            )
    fields = _kept(row, options)
    if options.field not in row:
        columns = ", ".join(sorted(row)) or "none"
        return _failed(record_id, source, f"no field {options.field!r} (fields: {columns})", fields)
    text = row[options.field]
    if isinstance(text, bytes):
        try:
            text = _decode(text, options)
        except InputError as exc:
            return _failed(record_id, source, str(exc), fields)
    if not isinstance(text, str):
        return _failed(
            record_id, source, f"field {options.field!r} is {type(text).__name__}, not text", fields
        )
    return Record(record_id, text, fields, source)


def _kept(row: dict[str, Any], options: CorpusOptions) -> dict[str, Any]:
    if options.keep is not None:
        return {key: row.get(key) for key in options.keep}
    return {
        key: value
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
    names are added to the fields as `split`.
    """
    dict_file = folder / "dataset_dict.json"
    if dict_file.is_file():
        try:
            splits = load_json(read_bytes(dict_file), "dataset_dict.json")["splits"]
        except (InputError, ValueError, KeyError, TypeError) as exc:
            yield _failed(str(folder), str(folder), f"unreadable dataset_dict.json ({exc})")
            return
        for split in splits:
            for record in _hf_records(folder / str(split), options):
                keep_split = options.keep is None or "split" in options.keep
                fields = {**record.fields, "split": split} if keep_split else record.fields
                yield Record(record.id, record.text, fields, record.source, record.error)
        return
    try:
        state = load_json(read_bytes(folder / "state.json"), "state.json")
        files = [entry["filename"] for entry in state["_data_files"]]
    except (InputError, ValueError, KeyError, TypeError) as exc:
        yield _failed(str(folder), str(folder), f"unreadable state.json ({exc})")
        return
    for filename in files:
        path = folder / filename
        if not path.is_file():
            yield _failed(str(path), str(path), "listed in state.json but missing")
            continue
        yield from _table_records(str(path), "arrow", options)


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
