"""`pixtok report` on hostile or mistaken input: memory stays within the `input` limit, nesting
within `json-depth`, counts too large for a float fail their record, `--worst 0` is a report
without worst tables, a text found through a record is an input `-o` may not replace, and the
`--json` document of another command is refused in one line naming it.

Each bad call ends in exactly one `pixtok: error:` line and never a traceback.
"""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from pixtok.compare import CompareOptions, Comparer
from pixtok.limits import using
from pixtok.report import is_records_file
from pixtok.report.sources import locate_text

TEXT = "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs.\n"
#: Deeper than Python's recursion limit, so that an unchecked `json.loads` fails.
DEEP = 100_000


@pytest.fixture(scope="module")
def record() -> dict[str, Any]:
    """A real compare record of `a.txt` holding TEXT."""
    comparer = Comparer(CompareOptions(tokenizers=("cl100k",), encoders=("qwen2.5-vl",)))
    return comparer.measure(TEXT, "a.txt")


def one_error_line(result: Any, code: int) -> str:
    """The single `pixtok: error:` line of a call that exited with `code`, with no traceback."""
    assert result.exception is None, result.traceback
    assert result.exit_code == code, result.stderr
    assert len(result.error_lines) == 1, result.stderr
    line: str = result.error_lines[0]
    assert line.startswith("pixtok: error: ") and "Traceback" not in result.stderr
    return line


def write_records(folder: Path, *records: dict[str, Any], name: str = "rec.jsonl") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def sparse(path: Path, size: int) -> None:
    """A file of `size` zero bytes that takes no disk: a "huge" input, fast."""
    path.touch()
    os.truncate(path, size)


def peak_bytes(call: Any) -> int:
    """The most memory Python allocated while `call()` ran."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- texts found through records are read within the input limit ----------------------------------


def test_a_text_larger_than_the_input_limit_is_not_read(tmp_path: Path, record: dict[str, Any]) -> None:
    huge = tmp_path / "huge.txt"
    sparse(huge, 8 << 20)
    named = {**record, "input": str(huge), "bytes": 8 << 20}
    with using(input_bytes=64 << 10):
        found: list[Any] = []
        peak = peak_bytes(lambda: found.append(locate_text(named, [tmp_path])))
    assert found[0].text is None and "larger than the input limit of 64 KiB" in found[0].reason
    assert peak < 1 << 20


def test_a_text_of_another_size_than_counted_is_not_read(tmp_path: Path, record: dict[str, Any]) -> None:
    changed = tmp_path / "changed.txt"
    sparse(changed, 8 << 20)
    found: list[Any] = []
    peak = peak_bytes(lambda: found.append(locate_text({**record, "input": str(changed)}, [tmp_path])))
    assert found[0].text is None
    assert (
        f"holds 8,388,608 bytes where the record counted {record['bytes']:,}: it changed" in found[0].reason
    )
    assert peak < 1 << 20


def test_a_record_naming_a_text_past_the_limit_shows_why(
    run_cli, tmp_path: Path, record: dict[str, Any]
) -> None:
    sparse(tmp_path / "huge.txt", 1 << 20)
    write_records(tmp_path, {**record, "input": "huge.txt", "bytes": 1 << 20})
    result = run_cli("--limit", "input=64KiB", "report", "rec.jsonl", "-o", "r.html", cwd=tmp_path)
    assert result.exit_code == 0 and result.exception is None, result.stderr
    assert "larger than the input limit of 64 KiB" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_the_first_line_of_a_json_input_is_read_within_the_limit(run_cli, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    sparse(big, 8 << 20)  # one line of 8 MiB, no newline
    with using(input_bytes=64 << 10):
        answers: list[bool] = []
        peak = peak_bytes(lambda: answers.append(is_records_file(str(big))))
    assert answers == [False] and peak < 1 << 20
    line = one_error_line(
        run_cli("--limit", "input=64KiB", "report", "big.json", "-o", "r.html", cwd=tmp_path), 1
    )
    assert "larger than the input limit of 64 KiB" in line


# -- nesting -----------------------------------------------------------------------------------------


def test_deeply_nested_json_is_refused_at_the_depth_limit(
    run_cli, tmp_path: Path, record: dict[str, Any]
) -> None:
    deep = "[" * DEEP + "]" * DEEP
    (tmp_path / "deep.json").write_text(deep + "\n", encoding="utf-8")
    (tmp_path / "doc.json").write_text('{"records": ' + deep + "}\n", encoding="utf-8")
    (tmp_path / "rows.jsonl").write_text(json.dumps(record) + "\n" + deep + "\n", encoding="utf-8")
    for name, where in (("deep.json", "deep.json: "), ("doc.json", "doc.json: "), ("rows.jsonl", "line 2: ")):
        line = one_error_line(run_cli("report", name, "-o", "r.html", cwd=tmp_path), 1)
        assert f"{where}JSON nested " in line, line
        assert "deep, deeper than the json-depth limit of 128" in line, line
    assert not (tmp_path / "r.html").exists()
    # In a JSON Lines corpus of texts, the row nested too deeply fails alone.
    rows = [{"text": "Nested.", "x": json.loads("[" * 200 + "]" * 200)}, {"text": "Flat."}]
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    line = one_error_line(
        run_cli("report", "corpus.jsonl", "-t", "cl100k", "-e", "qwen2.5-vl", "-o", "c.html", cwd=tmp_path), 1
    )
    assert "1 of 2 records failed (first: corpus.jsonl:1: JSON nested 201 deep" in line, line
    assert (tmp_path / "c.html").is_file()


# -- --worst 0 -----------------------------------------------------------------------------------------


def test_worst_0_is_a_report_without_worst_tables(run_cli, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    result = run_cli(
        "report", "a.txt", "--worst", "0", "-t", "cl100k", "-e", "qwen2.5-vl", "-o", "w.html", cwd=tmp_path
    )
    assert result.exit_code == 0 and result.exception is None, result.traceback or result.stderr
    html = (tmp_path / "w.html").read_text(encoding="utf-8")
    assert 'data-input="a.txt"' in html and "lowest compression" not in html


# -- counts too large for a float ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        ({"chars": 10**400}, "chars must be a whole number from 0 to 2**53"),
        ({"tokens": {"cl100k": 2**53 + 1}}, "tokens.cl100k must be a whole number from 0 to 2**53"),
        (
            {"compression": {"cl100k": {"qwen2.5-vl": 10**400}}},
            "compression.cl100k.qwen2.5-vl must be a number",
        ),
    ],
    ids=["chars", "tokens", "compression"],
)
def test_a_count_too_large_for_a_float_fails_its_record(
    run_cli, tmp_path: Path, record: dict[str, Any], change: dict[str, Any], phrase: str
) -> None:
    write_records(tmp_path, record, {**record, "input": "big", **change})
    line = one_error_line(run_cli("report", "rec.jsonl", "-o", "r.html", cwd=tmp_path), 1)
    assert "1 of 2 records failed (first: big: " in line and "rec.jsonl: line 2: " in line
    assert phrase in line, line
    assert (tmp_path / "r.html").is_file()


# -- a text found through a record is an input ------------------------------------------------------


@pytest.mark.parametrize("where", [".", "texts"], ids=["found-here", "found-under-texts"])
def test_the_output_never_replaces_a_text_found_through_a_record(
    run_cli, tmp_path: Path, record: dict[str, Any], where: str
) -> None:
    folder = tmp_path / where
    folder.mkdir(exist_ok=True)
    text = folder / "a.txt"
    text.write_text(TEXT, encoding="utf-8")
    write_records(tmp_path, record)
    line = one_error_line(
        run_cli("report", "rec.jsonl", "--texts", "texts", "-o", Path(where) / "a.txt", cwd=tmp_path), 2
    )
    assert "a.txt: is also an input, which the output would replace" in line
    assert text.read_text(encoding="utf-8") == TEXT
    # Written elsewhere, the same call shows the text's pages.
    result = run_cli("report", "rec.jsonl", "--texts", "texts", "-o", "r.html", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert 'class="page-image"' in (tmp_path / "r.html").read_text(encoding="utf-8")


# -- other commands' documents ---------------------------------------------------------------------


def test_another_command_s_json_document_is_refused_naming_it(run_cli, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    made = run_cli("tokens", "a.txt", "-t", "cl100k", "--json", "-o", "tok.json", cwd=tmp_path)
    assert made.exit_code == 0, made.stderr
    line = one_error_line(run_cli("report", "tok.json", "-o", "r.html", cwd=tmp_path), 1)
    assert "tok.json: a --json document written by pixtok tokens" in line
    assert "report reads the records of compare" in line
    (tmp_path / "empty.json").write_text('{"records": [], "total": null, "options": {}}', encoding="utf-8")
    line = one_error_line(run_cli("report", "empty.json", "-o", "r.html", cwd=tmp_path), 1)
    assert "empty.json: a pixtok --json document with no records" in line
    assert not (tmp_path / "r.html").exists()


def test_another_command_s_json_lines_are_refused_naming_it(run_cli, tmp_path: Path) -> None:
    """`tokens --jsonl` records have no `text`: they were read as a corpus whose every row
    failed. They are named instead; with `--field` naming a column they have, they are a corpus."""
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    made = run_cli("tokens", "a.txt", "-t", "cl100k", "--jsonl", "-o", "tok.jsonl", cwd=tmp_path)
    assert made.exit_code == 0, made.stderr
    line = one_error_line(run_cli("report", "tok.jsonl", "-o", "r.html", cwd=tmp_path), 1)
    assert "tok.jsonl: records written by pixtok tokens, not compare's, and no 'text' field" in line
    assert not (tmp_path / "r.html").exists()
    read = run_cli(
        "report", "tok.jsonl", "--field", "input", "-t", "cl100k", "-e", "qwen2.5-vl", "-o", "r.html",
        cwd=tmp_path,
    )  # fmt: skip
    assert read.exit_code == 0, read.stderr
    assert (tmp_path / "r.html").is_file()


def test_other_json_is_still_a_text(run_cli, tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "x", "records": [1, 2]}\n', encoding="utf-8")
    result = run_cli(
        "report", "package.json", "-t", "cl100k", "-e", "qwen2.5-vl", "-o", "r.html", cwd=tmp_path
    )
    assert result.exit_code == 0, result.stderr
    assert 'data-input="package.json"' in (tmp_path / "r.html").read_text(encoding="utf-8")
