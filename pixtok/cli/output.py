"""One set of output formats shared by every command: table on a terminal, JSON lines when piped.

Commands build plain dicts (nested where the data is nested) and hand them here; this module is
the only place that decides how they look.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table


class OutputFormat(StrEnum):
    """How records are printed."""

    auto = "auto"
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def choose_format(json_: bool = False, jsonl: bool = False, csv_: bool = False) -> OutputFormat:
    """Resolve the --json/--jsonl/--csv flags; with none, a table on a terminal and JSON lines otherwise."""
    chosen = [
        f
        for f, on in ((OutputFormat.json, json_), (OutputFormat.jsonl, jsonl), (OutputFormat.csv, csv_))
        if on
    ]
    if len(chosen) > 1:
        from pixtok.errors import UsageError

        raise UsageError("choose one of --json, --jsonl and --csv")
    if chosen:
        return chosen[0]
    return OutputFormat.table if sys.stdout.isatty() else OutputFormat.jsonl


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts into dotted keys (`vision.qwen2.5-vl.tokens`), for CSV and tables."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, (list, tuple)):
            flat[name] = json.dumps(value, ensure_ascii=False)
        else:
            flat[name] = value
    return flat


def to_json(document: Any) -> str:
    """Serialise deterministically (sorted keys are not used: key order is part of the schema)."""
    return json.dumps(document, ensure_ascii=False, indent=2)


def format_value(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.0f}"
    if value is None:
        return "-"
    return str(value)


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
    """Print records in the chosen format.

    `document` is what --json prints (defaults to the list of records); `columns` limits and
    orders the table's columns; a single record is shown as a key/value table.
    """
    out = sys.stdout
    if fmt is OutputFormat.json:
        out.write(to_json(records if document is None else document) + "\n")
    elif fmt is OutputFormat.jsonl:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt is OutputFormat.csv:
        flat = [flatten(r) for r in records]
        header: list[str] = []
        for row in flat:
            header.extend(k for k in row if k not in header)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat)
        out.write(buffer.getvalue())
    else:
        print_table(records, title=title, columns=columns, transpose=transpose)
    out.flush()


def print_table(
    records: Sequence[Mapping[str, Any]],
    *,
    title: str | None = None,
    columns: Iterable[str] | None = None,
    transpose: bool | None = None,
) -> None:
    """A rich table: one row per record, or key/value rows for a single record."""
    flat = [flatten(r) for r in records]
    if columns is not None:
        wanted = list(columns)
        flat = [{k: row.get(k) for k in wanted} for row in flat]
    console = Console(soft_wrap=False)
    if transpose is None:
        transpose = len(flat) == 1
    if transpose:
        for index, row in enumerate(flat):
            table = Table(title=title if index == 0 else None, show_header=False)
            table.add_column("key", style="bold")
            table.add_column("value", overflow="fold")
            for key, value in row.items():
                table.add_row(key, format_value(value))
            console.print(table)
        return
    header: list[str] = []
    for row in flat:
        header.extend(k for k in row if k not in header)
    table = Table(title=title)
    for key in header:
        table.add_column(key, overflow="fold")
    for row in flat:
        table.add_row(*(format_value(row.get(k)) for k in header))
    console.print(table)
