"""Reading compare records back: the one place that knows the shape `compare` writes.

A report is made from the same records `pixtok compare --jsonl`/`--json`/`-o FILE` print (and
from `pixtok sweep --json` documents). Records files come in three shapes:

- JSON Lines: one record per line (`compare --jsonl`, a corpus run's `-o records.jsonl`);
- a JSON document `{"records": [...], "total": ..., "options": ...}` (docs/conventions.md), or
  `{"inputs": [...], ...}` as earlier versions of `compare --json` wrote it;
- a sweep document (`pixtok sweep --json`): its primary pair and axes in `options`, or at the
  top as earlier versions wrote them.

`load_record` brings a record to the current conventions (pages count from 1 in `ocr.pages`
and `density.pages`), whichever version wrote it, so the rest of the report never looks at the
raw shape. It also checks every count the report reads (`pixtok.compare.record_problem`): a
record with one missing or of the wrong type is kept as a failed record, with an `error` that
names its line (or its place in the document) and the field, as a corpus run keeps a record it
could not measure; the report lists it and the command exits 1. A total or group that is not
usable, or options that are not a table, make the whole file unusable (InputError).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixtok.compare import missing_names, record_problem
from pixtok.errors import InputError, LimitError
from pixtok.io import load_json, read_text
from pixtok.limits import current as current_limits

#: Keys every successful compare record has.
RECORD_KEYS = ("input", "tokens", "vision")
#: Extensions a records file may have (the text inputs of compare may have them too: the
#: content decides, see `is_records_file`).
RECORDS_SUFFIXES = (".json", ".jsonl", ".ndjson")
#: The extensions of JSON Lines, which may also be a corpus of texts, one per line.
_LINES_SUFFIXES = (".jsonl", ".ndjson")


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


def _first_json_value(path: Path, name: str) -> Any:
    """The first JSON value of a file: its first line for JSON Lines, else the whole document;
    None when it is not JSON (or not readable, or too large: the text reader then says why).

    Both reads stop at the `input` limit, and both parses at the `json-depth` limit: JSON nested
    deeper than that is a `LimitError`, except in the first line of a JSON Lines file, which is
    then read as a corpus whose reader fails that row alone, with the same message.
    """
    limit = current_limits().input_bytes
    try:
        with open(path, "rb") as stream:
            head = stream.readline(limit + 1)
    except OSError:
        return None
    if len(head) > limit:
        return None
    try:
        return load_json(head, name)
    except ValueError:
        pass
    except LimitError:
        if name.lower().endswith(_LINES_SUFFIXES):
            return None
        raise
    try:
        text = read_text(path)
    except InputError:
        return None
    try:
        return load_json(text, name)
    except ValueError:
        return None


#: What other pixtok commands write as records (the first record's keys that only they have),
#: so that their `--json` documents are named when given to `report`, which cannot show them.
_OTHER_COMMANDS = (
    ("distance", ("levenshtein",)),
    ("patchify", ("rows", "cols", "stride")),
    ("render", ("outputs", "page_sizes")),
    ("confusable", ("codepoints", "l1")),
    ("typos --report", ("measure", "mean_edit")),
    ("study compression", ("text_tokens", "modes")),
    ("ocr", ("cer", "wer")),
    ("fonts", ("family",)),
    ("tokenizers", ("vocab_size",)),
    ("encoders", ("formula",)),
    ("presets", ("values", "description")),
    ("tokens", ("input", "chars", "bytes", "tokens")),
)
#: The keys of every `--json` document (docs/conventions.md).
_DOCUMENT_KEYS = frozenset(("records", "total", "options"))


def _other_document(value: Any, name: str) -> str | None:
    """Why a `--json` document of another pixtok command is not a records file of `report`
    (naming the command, when its records say which), or None when `value` is not one."""
    if not (isinstance(value, Mapping) and set(value) == _DOCUMENT_KEYS):
        return None
    rows = value["records"]
    if not isinstance(rows, list):
        return None
    reads = "report reads the records of compare (--json, --jsonl, -o) and of sweep --json"
    if not rows:
        return f"{name}: a pixtok --json document with no records; {reads}"
    first, options, total = rows[0], value["options"], value["total"]
    if not isinstance(first, Mapping):
        return None
    if _is_sweep_record(first):
        # One record per setting, as a sweep writes them; a document that names no sweep (its
        # primary pair and axes) is fit's, whose total is not a compare total.
        if not isinstance(options, Mapping) or ("primary" in options and "axes" in options):
            return None
        made_by = "fit" if isinstance(total, Mapping) and "budget" in total else None
    elif _is_record(first):
        return None
    else:
        made_by = next(
            (command for command, keys in _OTHER_COMMANDS if all(key in first for key in keys)), None
        )
    by = f"written by pixtok {made_by}" if made_by else "of another pixtok command"
    return (
        f"{name}: a --json document {by}, whose records are not compare's; {reads}: "
        "give it those, or the texts"
    )


def _other_records(value: Any, name: str, field: str) -> str | None:
    """Why JSON Lines whose first line is a record of another pixtok command (`--jsonl`), with
    no `field` to read a text from, are not a corpus of texts, or None when they are not."""
    if not isinstance(value, Mapping) or field in value:
        return None
    made_by = next((command for command, keys in _OTHER_COMMANDS if all(key in value for key in keys)), None)
    if made_by is None:
        return None
    return (
        f"{name}: records written by pixtok {made_by}, not compare's, and no '{field}' field to "
        "read a text from; report reads the records of compare (--json, --jsonl, -o) and of sweep "
        "--json: give it those, or the texts"
    )


def is_records_file(name: str, field: str = "text") -> bool:
    """Whether an input names a file of compare or sweep records (rather than texts to measure).

    Only `.json`/`.jsonl`/`.ndjson` files are looked at, and only their first line (JSON Lines)
    or document: a JSON Lines corpus of texts has no `tokens` and `vision` keys, and any other
    JSON is a text. Three kinds of file are refused here rather than measured as a text (an
    InputError): a `--json` document of another pixtok command (`{"records": ..., "total": ...,
    "options": ...}` whose records are not compare's), the `--jsonl` records of another command
    when they have no `field` (the corpus column of texts) to read, and JSON nested deeper than
    the `json-depth` limit (a `LimitError`).
    """
    path = Path(name)
    if not name.lower().endswith(RECORDS_SUFFIXES) or not path.is_file():
        return False
    value = _first_json_value(path, name)
    if _is_record(value):
        return True
    if (problem := _other_document(value, name) or _other_records(value, name, field)) is not None:
        raise InputError(problem)
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
    # JSON Lines start with "{" too: the whole text as one document nested too deeply is only
    # the file's fault when it is not JSON Lines either.
    too_deep: LimitError | None = None
    if stripped.startswith("{"):
        try:
            document = load_json(text, name)
        except LimitError as exc:
            too_deep = exc
        except ValueError:
            document = None
    if isinstance(document, Mapping) and not _is_record(document):
        rows = document.get("records", document.get("inputs"))
        if not isinstance(rows, list):
            raise InputError(f"{name}: a JSON document without a list of records")
        options = _table(document.get("options") or {}, f"{name}: options")
        total = _table(document.get("total") or {}, f"{name}: total") or None
        # A sweep names its primary pair and axes in `options` (earlier versions: at the top).
        described = document if "primary" in document else options
        sweep = None
        if "primary" in described and "axes" in described:
            sweep = {key: described[key] for key in ("primary", "axes", "ocr") if key in described}
            primary = sweep["primary"]
            if not (isinstance(primary, Mapping) and all(isinstance(primary.get(k), str) for k in _PAIR)):
                raise InputError(f"{name}: the sweep's primary must name a tokenizer and an encoder")
        groups = document.get("groups") or (total or {}).get("groups") or []
        if not isinstance(groups, list):
            raise InputError(f"{name}: groups must be a list of totals")
        wheres = [f"{name}: record {index}" for index in range(1, len(rows) + 1)]
        records = [load_record(row, name, index, unit="record") for index, row in enumerate(rows, 1)]
        return RecordsFile(
            path=name,
            records=_consistent(records, wheres, sweep["primary"] if sweep else None),
            total=_summary({k: v for k, v in total.items() if k != "groups"}, f"{name}: the total")
            if total
            else None,
            options=options,
            groups=[_summary(g, f"{name}: group {index}") for index, g in enumerate(groups, 1)],
            sweep=sweep,
        )
    try:
        lines = list(_json_lines(text, name))
    except LimitError:
        raise
    except InputError:
        if too_deep is not None:
            raise too_deep from None
        raise
    return RecordsFile(path=name, records=_consistent([r for _, r in lines], [w for w, _ in lines]))


#: The keys of a sweep's primary pair: the tokenizer and encoder its chart compares.
_PAIR = ("tokenizer", "encoder")


def _table(value: Any, where: str) -> dict[str, Any]:
    """`value` as a dict, or an InputError saying `where` is not a table."""
    if not isinstance(value, Mapping):
        raise InputError(f"{where} must be a JSON object, not {type(value).__name__}")
    return dict(value)


def _summary(row: Any, where: str) -> dict[str, Any]:
    """A stored total or group total, checked like a record: one that is not usable is an
    InputError (it is not one record that can fail alone)."""
    record = load_record(row, where)
    if "error" in record:
        raise InputError(f"{where} is a failed record: {record['error']}")
    return record


def _consistent(
    records: list[dict[str, Any]], wheres: list[str], primary: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The records, with a successful one that lacks a tokenizer or encoder the first successful
    one counts (or the sweep's primary pair) turned into a failed one: totals add each name over
    every record."""
    first = next((r for r in records if "error" not in r), None)
    if first is None:
        return records
    out = []
    for record, where in zip(records, wheres, strict=True):
        problem = None
        if "error" not in record:
            problem = missing_names(record, first)
            if problem is None and primary is not None:
                if primary["tokenizer"] not in record["tokens"]:
                    problem = f"tokens.{primary['tokenizer']} is missing (the sweep's primary tokenizer)"
                elif primary["encoder"] not in record["vision"]:
                    problem = f"vision.{primary['encoder']} is missing (the sweep's primary encoder)"
        out.append(_failed(record, f"{where}: {problem}") if problem else record)
    return out


def _failed(record: Mapping[str, Any], message: str) -> dict[str, Any]:
    """`record` marked failed: kept as it is (its input, its group), with `error` saying why."""
    return {**record, "error": f"not a usable compare record: {message}"}


def _json_lines(text: str, name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each record of a JSON Lines file, with where it is (`FILE: line N`)."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = load_json(line, f"{name}: line {number}")
        except ValueError:
            raise InputError(f"{name}: line {number} is not JSON") from None
        yield f"{name}: line {number}", load_record(row, name, number)


def load_record(
    row: Any, source: str = "<records>", number: int = 0, *, unit: str = "line"
) -> dict[str, Any]:
    """One record in the current shape: checked keys, and page numbers counted from 1.

    `number` is the record's line (`unit="line"`) or place in a document (`unit="record"`), from
    1, for messages. A value that is not a record at all is an InputError; a record whose counts
    are missing or mistyped (`pixtok.compare.record_problem`) comes back failed, with an `error`
    naming where it is and the field.
    """
    where = f"{source}: {unit} {number}" if number else source
    if not isinstance(row, Mapping) or not (_is_record(row) or _is_sweep_record(row)):
        raise InputError(f"{where}: not a compare record (it needs input, tokens and vision)")
    record = dict(row)
    if "error" not in record:
        problem = record_problem(record)
        if problem is not None:
            return _failed(record, f"{where}: {problem}")
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
