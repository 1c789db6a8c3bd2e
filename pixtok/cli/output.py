"""One set of output formats shared by every command (docs/conventions.md).

A command hands over a `Report`: its records (one dict per measured unit, nested where the data
is nested), the total over them (or None) and the options that made them. This module alone
decides how that looks: a table on a terminal, JSON Lines when piped, one JSON document
`{"records", "total", "options"}` with `--json`, CSV rows of scalar cells with `--csv`; with
`-o FILE`, the records go to FILE in the format the flag, else the extension, names (else JSON
Lines) and stdout shows only the total, as a table on a terminal. `-o -` is standard output: the
records are printed as `-o FILE` would write them (the flag's format, else JSON Lines).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from pixtok.cli.tables import print_rows
from pixtok.errors import UsageError
from pixtok.io import STDIO, deferred_outputs


class OutputFormat(StrEnum):
    """How records are written."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


#: The format an `-o FILE` extension names when no format flag is given.
EXTENSION_FORMATS = {
    ".json": OutputFormat.json,
    ".jsonl": OutputFormat.jsonl,
    ".ndjson": OutputFormat.jsonl,
    ".csv": OutputFormat.csv,
}


def _flagged(json_: bool, jsonl: bool, csv_: bool) -> OutputFormat | None:
    chosen = [
        f
        for f, on in ((OutputFormat.json, json_), (OutputFormat.jsonl, jsonl), (OutputFormat.csv, csv_))
        if on
    ]
    if len(chosen) > 1:
        raise UsageError("choose one of --json, --jsonl and --csv")
    return chosen[0] if chosen else None


def choose_format(
    json_: bool = False, jsonl: bool = False, csv_: bool = False, output: str | Path | None = None
) -> OutputFormat:
    """The format of the records: the flag; else, with `-o FILE`, the file's extension, else JSON
    Lines (so `-o -` prints JSON Lines); else a table on a terminal and JSON Lines when piped."""
    flagged = _flagged(json_, jsonl, csv_)
    if flagged is not None:
        return flagged
    if output is not None:
        return EXTENSION_FORMATS.get(Path(output).suffix.lower(), OutputFormat.jsonl)
    return OutputFormat.table if sys.stdout.isatty() else OutputFormat.jsonl


@dataclass
class Report:
    """What a command measured: records, their total (None where nothing adds up), and the
    options that made them. `columns` are the CSV header when there are no records (a command
    whose records may be none, as confusable's pairs, still writes a CSV a reader can parse)."""

    records: list[dict[str, Any]]
    total: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()

    def document(self) -> dict[str, Any]:
        """The `--json` document: the same three keys in every command."""
        return {"records": self.records, "total": self.total, "options": self.options}


class stdout_errors(contextlib.ContextDecorator):
    """Writing to stdout fails with one line naming it (`<stdout>: cannot write (No space left on
    device)`), as writing a file does; a reader that went away (a broken pipe) stays quiet."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            from pixtok.errors import OutputError
            from pixtok.io import describe_os_error

            raise OutputError(f"<stdout>: cannot write ({describe_os_error(exc)})") from None


#: Prints a report's table: (records, total); records are empty when only the total is shown.
TableWriter = Callable[[Sequence[Mapping[str, Any]], Mapping[str, Any] | None], None]


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys (`vision.qwen2.5-vl.tokens`), scalars only: lists (per-page
    details, pieces, ids) are left out, since a CSV cell or a table cell holds one value."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif not isinstance(value, (list, tuple)):
            flat[name] = value
    return flat


def to_json(document: Any) -> str:
    """Serialise deterministically (sorted keys are not used: key order is part of the schema)."""
    return json.dumps(document, ensure_ascii=False, indent=2)


def format_value(value: Any) -> str:
    """A value as a table shows it: numbers without exponents, four significant digits below
    1,000 and whole numbers above, `-` for none."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "-"
        if value == 0 or abs(value) >= 1000:
            return f"{value:.0f}"
        decimals = max(0, 3 - math.floor(math.log10(abs(value))))
        text = f"{value:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if value is None:
        return "-"
    return str(value)


def csv_text(records: Iterable[Mapping[str, Any]], columns: Sequence[str] = ()) -> str:
    """CSV with a header that is `columns` then the union of the records' dotted keys, in
    first-seen order."""
    flat = [flatten(r) for r in records]
    header: list[str] = list(columns)
    for row in flat:
        header.extend(k for k in row if k not in header)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)
    return buffer.getvalue()


def jsonl_text(records: Iterable[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def report_text(report: Report, fmt: OutputFormat) -> str:
    """The report in a file format (JSON, JSON Lines or CSV)."""
    if fmt is OutputFormat.json:
        return to_json(report.document()) + "\n"
    if fmt is OutputFormat.csv:
        return csv_text(report.records, report.columns)
    return jsonl_text(report.records)


def write_report_file(report: Report, fmt: OutputFormat, path: str | Path) -> None:
    """Write the records to `path`, whole or not at all (`-`: to standard output)."""
    from pixtok.io import write_bytes_atomic

    if fmt is OutputFormat.table:
        raise UsageError("-o writes JSON, JSON Lines or CSV")
    write_bytes_atomic(path, report_text(report, fmt).encode("utf-8", "backslashreplace"))


def is_stdout(output: str | Path | None) -> bool:
    """Whether `-o` names standard output (`-`), as it does for every command that writes text."""
    return output is not None and str(output) == STDIO


def one_on_stdout(files: Mapping[str, str | Path | None], output: str | Path | None) -> None:
    """Refuse two things on standard output: an extra file (`--plot`, `--npy`, `--overlay`) given
    as `-` while the records go there too (no `-o`, or `-o -`), or two such files."""
    wanted = [flag for flag, value in files.items() if is_stdout(value)]
    if wanted and (output is None or is_stdout(output)):
        wanted.append("the records")
    if len(wanted) > 1:
        raise UsageError(
            f"{' and '.join(wanted)} would all go to standard output: give the others a file "
            "(the records: -o FILE)"
        )


@stdout_errors()
def emit_report(
    report: Report,
    fmt: OutputFormat,
    *,
    output: str | Path | None = None,
    table: TableWriter | None = None,
    title: str | None = None,
    columns: Iterable[str] | None = None,
) -> None:
    """Print the report in `fmt`, or write it to `output` and show its total on a terminal.

    `table(records, total)` draws the terminal table (default: one row per record, the total as
    the last row when there are two records or more, limited to `columns` if given).
    """
    draw: TableWriter = table or default_table(title, columns)
    if is_stdout(output):
        write_report_file(report, fmt, STDIO)
        return
    if output is not None:
        # The file is put in place only once the total is shown, so that a total that cannot be
        # written fails the run with no file left behind.
        with deferred_outputs():
            write_report_file(report, fmt, output)
            if sys.stdout.isatty() and report.total is not None:
                draw([], report.total)
                sys.stdout.flush()
        return
    out = sys.stdout
    if fmt is OutputFormat.table:
        draw(report.records, report.total)
    else:
        out.write(report_text(report, fmt))
    out.flush()


def default_table(title: str | None = None, columns: Iterable[str] | None = None) -> TableWriter:
    """One row per record and, for two records or more, the total as the last row (named
    `total` in the first column); a single record (or the total alone) is a key/value table."""
    wanted = list(columns) if columns is not None else None

    def draw(records: Sequence[Mapping[str, Any]], total: Mapping[str, Any] | None) -> None:
        rows = [dict(r) for r in records]
        if total is not None and len(records) != 1:
            first = wanted[0] if wanted else next(iter(records[0]), "input") if records else "input"
            rows.append(total_row(total, first))
        print_table(rows, title=title, columns=wanted, transpose=len(rows) == 1)

    return draw


def total_row(total: Mapping[str, Any], first: str = "input") -> dict[str, Any]:
    """The total as a table row: `total` in the first column."""
    return {first: "total", **{k: v for k, v in total.items() if k != first}}


def console() -> Console:
    """The console tables are drawn on: stdout, as wide as the terminal (or $COLUMNS)."""
    return Console(soft_wrap=False, highlight=False)


def print_table(
    records: Sequence[Mapping[str, Any]],
    *,
    title: str | None = None,
    columns: Iterable[str] | None = None,
    transpose: bool | None = None,
    headers: Mapping[str, str] | None = None,
    prose: Iterable[str] = (),
) -> None:
    """A table: one row per record (flattened to dotted keys), or key/value rows for a single
    record. `headers` renames columns for display; `prose` names columns whose text may wrap
    at spaces."""
    flat = [flatten(r) for r in records]
    if columns is not None:
        wanted = list(columns)
        flat = [{k: row.get(k) for k in wanted} for row in flat]
    if not flat:
        return
    names = dict(headers or {})
    wrapping = set(prose)
    out = console()
    if transpose is None:
        transpose = len(flat) == 1
    if transpose:
        for index, row in enumerate(flat):
            print_rows(
                out,
                ["key", "value"],
                [[names.get(k, k), format_value(v)] for k, v in row.items()],
                title=title if index == 0 else None,
                show_header=False,
                wrapping=[False, True],
            )
        return
    header: list[str] = []
    for row in flat:
        header.extend(k for k in row if k not in header)
    print_rows(
        out,
        [names.get(k, k) for k in header],
        [[format_value(row.get(k)) for k in header] for row in flat],
        title=title,
        wrapping=[k in wrapping for k in header],
    )


def write_lines(lines: Iterable[str], out: TextIO | None = None) -> None:
    """Lines to stdout (for the bare outputs: `--count`, corrupted text)."""
    stream = out or sys.stdout
    for line in lines:
        stream.write(line + "\n")
    stream.flush()


@stdout_errors()
def emit(
    records: Sequence[Mapping[str, Any]],
    fmt: OutputFormat,
    *,
    document: Any = None,
    title: str | None = None,
    columns: Iterable[str] | None = None,
    transpose: bool | None = None,
) -> None:
    """Print records without a total (prefer `emit_report`); `--json` prints `document` when it
    is already a `{"records", "total", "options"}` document, else wraps the records in one."""
    if fmt is OutputFormat.table:
        print_table(records, title=title, columns=columns, transpose=transpose)
        return
    if fmt is OutputFormat.json:
        if not (isinstance(document, Mapping) and set(document) == {"records", "total", "options"}):
            document = Report(list(records)).document()
        sys.stdout.write(to_json(document) + "\n")
    else:
        sys.stdout.write(report_text(Report(list(records)), fmt))
    sys.stdout.flush()
