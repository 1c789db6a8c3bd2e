"""Reading compare records back: the one place that knows the shape `compare` writes.

A report is made from the same records `pixtok compare --jsonl`/`--json`/`-o FILE` print (and
from `pixtok sweep --json` documents). Records files come in three shapes:

- JSON Lines: one record per line (`compare --jsonl`, a corpus run's `-o records.jsonl`);
- a JSON document `{"records": [...], "total": ..., "options": ...}` (docs/conventions.md), or
  `{"inputs": [...], ...}` as earlier versions of `compare --json` wrote it;
- a sweep document `{"primary": ..., "axes": ..., "records": [...]}` (`pixtok sweep --json`).

`load_record` brings a record to the current conventions (pages count from 1 in `ocr.pages`
and `density.pages`), whichever version wrote it, so the rest of the report never looks at the
raw shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixtok.errors import InputError
from pixtok.io import read_text

#: Keys every successful compare record has.
RECORD_KEYS = ("input", "tokens", "vision")
#: Extensions a records file may have (the text inputs of compare may have them too: the
#: content decides, see `is_records_file`).
RECORDS_SUFFIXES = (".json", ".jsonl", ".ndjson")


@dataclass
class RecordsFile:
    """The records of one file, with what the file says about how they were made."""

    path: str
    records: list[dict[str, Any]]
    total: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    groups: list[dict[str, Any]] = field(default_factory=list)
    sweep: dict[str, Any] | None = None


def _is_record(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and "input" in value
        and (all(key in value for key in RECORD_KEYS[1:]) or "error" in value)
    )


def _is_sweep_record(value: Any) -> bool:
    return isinstance(value, Mapping) and "config" in value and ("tokens" in value or "error" in value)


def _first_json_value(path: Path) -> Any:
    """The first JSON value of a file: its first line for JSON Lines, else the whole document."""
    try:
        with open(path, "rb") as stream:
            head = stream.readline()
    except OSError:
        return None
    try:
        return json.loads(head)
    except ValueError:
        pass
    try:
        return json.loads(read_text(path))
    except (ValueError, InputError):
        return None


def is_records_file(name: str) -> bool:
    """Whether an input names a file of compare or sweep records (rather than texts to measure).

    Only `.json`/`.jsonl`/`.ndjson` files are looked at, and only their first line (JSON Lines)
    or document: a JSON Lines corpus of texts has no `tokens` and `vision` keys.
    """
    path = Path(name)
    if not name.lower().endswith(RECORDS_SUFFIXES) or not path.is_file():
        return False
    value = _first_json_value(path)
    if _is_record(value):
        return True
    if isinstance(value, Mapping):
        rows = value.get("records", value.get("inputs"))
        if isinstance(rows, list) and rows:
            return _is_record(rows[0]) or _is_sweep_record(rows[0])
    return False


def read_records_file(name: str) -> RecordsFile:
    """Every record of a records file, brought to the current conventions (`load_record`)."""
    path = Path(name)
    text = read_text(path)
    stripped = text.lstrip()
    document: Any = None
    if stripped.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            document = None
    if isinstance(document, Mapping) and not _is_record(document):
        rows = document.get("records", document.get("inputs"))
        if not isinstance(rows, list):
            raise InputError(f"{name}: a JSON document without a list of records")
        sweep = None
        if "primary" in document and "axes" in document:
            sweep = {key: document[key] for key in ("primary", "axes", "ocr") if key in document}
        return RecordsFile(
            path=name,
            records=[load_record(row, name, index) for index, row in enumerate(rows, 1)],
            total=load_record(document["total"], name, 0) if document.get("total") else None,
            options=dict(document.get("options") or {}),
            groups=[load_record(g, name, 0) for g in document.get("groups") or []],
            sweep=sweep,
        )
    return RecordsFile(path=name, records=list(_json_lines(text, name)))


def _json_lines(text: str, name: str) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise InputError(f"{name}: line {number} is not JSON") from None
        yield load_record(row, name, number)


def load_record(row: Any, source: str = "<records>", number: int = 0) -> dict[str, Any]:
    """One record in the current shape: checked keys, and page numbers counted from 1."""
    where = f"{source}: line {number}" if number else source
    if not isinstance(row, Mapping) or not (_is_record(row) or _is_sweep_record(row)):
        raise InputError(f"{where}: not a compare record (it needs input, tokens and vision)")
    record = dict(row)
    for key in ("ocr", "density"):
        part = record.get(key)
        if isinstance(part, Mapping) and isinstance(part.get("pages"), list):
            record[key] = {**part, "pages": _pages_from_one(part["pages"])}
    return record


def _pages_from_one(pages: list[Any]) -> list[Any]:
    """Per-page entries numbered from 1, as docs/conventions.md asks; older records from 0."""
    numbers = [p.get("page") for p in pages if isinstance(p, Mapping)]
    if numbers and 0 in numbers:
        return [{**p, "page": p["page"] + 1} if isinstance(p, Mapping) else p for p in pages]
    return pages


def ocr_pages(record: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """A record's per-page OCR entries by page number counted from 1, whichever way the record
    counts them."""
    pages = (record.get("ocr") or {}).get("pages") or []
    return {int(p["page"]): dict(p) for p in _pages_from_one(list(pages)) if isinstance(p, Mapping)}


def record_label(record: Mapping[str, Any]) -> str:
    """How a record is named in the report: its input, or its sweep setting."""
    if "config" in record and isinstance(record["config"], Mapping):
        return " ".join(f"{k}={v}" for k, v in record["config"].items()) or "base"
    return str(record.get("input", ""))
