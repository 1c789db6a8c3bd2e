"""Hostile corpus inputs: what a JSON Lines file, a Parquet table, a folder or a Hugging Face
dataset folder can hold that a corpus run must survive.

The rule checked throughout: a bad record fails alone (its id and a one-line reason in its
`error`), every other record is measured, and the run ends with exit code 1 and one
`pixtok: error:` line; bad options end with exit 2 and one line; nothing prints a traceback,
hangs or writes output that is not strict JSON (no `NaN`, no bytes or dates that `json.dumps`
refuses); a run that writes nothing leaves nothing behind.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest

from pixtok.corpus.inputs import CorpusOptions, iter_records

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

#: A fast measuring set-up: one tokenizer, one encoder, no density metrics, in this process.
FAST = ("-t", "cl100k", "-e", "qwen2.5-vl", "--no-density", "-j", "1", "-q")


def strict_json(line: str) -> Any:
    """Parse JSON as any strict reader would: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(line, parse_constant=refuse)


def jsonl_records(stdout: str) -> dict[str, dict[str, Any]]:
    """The records of a --jsonl stdout, by id; every line must be strict JSON."""
    records = [strict_json(line) for line in stdout.splitlines() if line.strip()]
    return {record["input"]: record for record in records}


def assert_one_error_line(result: Any, code: int, *fragments: str) -> str:
    """Exit `code`, no traceback, exactly one `pixtok: error:` line holding every fragment."""
    assert result.exception is None, result.traceback
    assert "Traceback" not in result.stderr
    assert result.exit_code == code, result.stderr
    errors = [line for line in result.error_lines if line.startswith("pixtok: error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


# -- JSON Lines -------------------------------------------------------------------------------

HOSTILE_LINES = {
    2: ('{"text": null}', "field 'text' is null, not text"),
    3: ('{"text": 5}', "field 'text' is int, not text"),
    4: ('{"text": ["a"]}', "field 'text' is a list, not text"),
    5: ('{"text": {"a": 1}}', "field 'text' is an object, not text"),
    6: ('{"text": ""}', "empty"),
    7: ('{"text": " \\t "}', "empty"),
    8: ('{"text": "a\\ud800b"}', "lone surrogate"),
    9: ('{"text": "first", "text": "second"}', "the key 'text' appears twice"),
    10: ("not json", "not valid JSON"),
    11: ("[1, 2]", "expected a JSON object, got a list"),
    12: ('"just a string"', "expected a JSON object, got a string"),
    13: ('{"body": "x"}', "no field 'text'"),
}


def test_jsonl_bad_text_values_fail_alone_with_their_reason(run_cli, tmp_path: Path) -> None:
    lines = ['{"text": "The first good line."}']
    lines += [HOSTILE_LINES[n][0] for n in sorted(HOSTILE_LINES)]
    lines += ['{"kind": "text", "text": "A last good line, named text twice but once as a key."}']
    corpus = tmp_path / "c.jsonl"
    # A BOM before the first line, CRLF line ends, and no newline after the last line.
    corpus.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    result = run_cli("compare", corpus, "--jsonl", *FAST)
    assert_one_error_line(result, 1, f"{len(HOSTILE_LINES)} of {len(lines)} records failed")
    records = jsonl_records(result.stdout)
    for number, (_, reason) in HOSTILE_LINES.items():
        assert reason in records[f"{corpus}:{number}"]["error"]
    for good in (1, len(lines)):
        record = records[f"{corpus}:{good}"]
        assert "error" not in record and record["tokens"]["cl100k"] > 0


def test_jsonl_line_over_the_input_limit_says_how_to_raise_it(run_cli, tmp_path: Path) -> None:
    corpus = tmp_path / "long.jsonl"
    corpus.write_text(
        '{"text": "short"}\n{"text": "' + "a" * 3000 + '"}\n{"text": "after"}\n', encoding="utf-8"
    )
    result = run_cli("--limit", "input=1000", "compare", corpus, "--jsonl", *FAST)
    assert_one_error_line(result, 1, "1 of 3 records failed")
    records = jsonl_records(result.stdout)
    error = records[f"{corpus}:2"]["error"]
    assert "input limit" in error and "--limit input=" in error
    assert "error" not in records[f"{corpus}:1"] and "error" not in records[f"{corpus}:3"]


def test_jsonl_ids_that_are_lists_or_objects_fail_and_duplicate_ids_are_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "ids.jsonl"
    corpus.write_text(
        '{"id": {"x": 1}, "text": "a"}\n{"id": [1], "text": "b"}\n'
        '{"id": "one", "id": "two", "text": "c"}\n{"id": 7, "text": "d"}\n',
        encoding="utf-8",
    )
    records = list(iter_records([corpus], CorpusOptions(id_field="id")))
    assert "id field 'id' is an object" in (records[0].error or "")
    assert "id field 'id' is a list" in (records[1].error or "")
    assert "the key 'id' appears twice" in (records[2].error or "")
    assert records[3].ok and records[3].id == "7"


def test_group_by_values_json_cannot_hold_become_strict_json(run_cli, tmp_path: Path) -> None:
    """NaN and Infinity (which Python's json reads) and a lone surrogate nested in an object."""
    corpus = tmp_path / "nan.jsonl"
    corpus.write_text(
        '{"text": "a", "v": NaN}\n{"text": "b", "v": -Infinity}\n{"text": "c", "v": 1e999}\n'
        '{"text": "d", "v": {"k": "\\ud800"}}\n{"text": "e", "v": [1, "x"]}\n',
        encoding="utf-8",
    )
    result = run_cli("compare", corpus, "--jsonl", "--group-by", "v", *FAST)
    assert_one_error_line(result, 1, "1 of 5 records failed")
    records = jsonl_records(result.stdout)
    assert [records[f"{corpus}:{n}"]["v"] for n in (1, 2, 3)] == [None, None, None]
    assert "lone surrogate" in records[f"{corpus}:4"]["error"]
    assert records[f"{corpus}:5"]["v"] == [1, "x"]
    document = run_cli("compare", corpus, "--json", "--group-by", "v", *FAST)
    assert document.exit_code == 1 and "Traceback" not in document.stderr
    strict_json(document.stdout)


def test_standard_input_given_twice_is_refused(run_cli) -> None:
    result = run_cli("compare", "-", "-", *FAST, stdin="some text\n")
    assert_one_error_line(result, 2, "'-'", "twice")
    assert result.stdout == ""


@pytest.mark.parametrize("flag", ["--field=", "--group-by="])
def test_empty_column_names_are_refused(run_cli, tmp_path: Path, flag: str) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "hello"}\n', encoding="utf-8")
    result = run_cli("compare", corpus, flag, "--jsonl", *FAST)
    assert_one_error_line(result, 2, "needs a column name")
    assert result.stdout == ""


# -- Parquet ----------------------------------------------------------------------------------


def test_parquet_columns_of_every_type_give_strict_json(run_cli, tmp_path: Path) -> None:
    """Timestamps, decimals, binary, NaN and lists kept by --group-by, in JSON Lines and in a
    JSON document written with -o; no traceback, no stray file."""
    table = pa.table(
        {
            "text": ["alpha", "beta", "gamma"],
            "ts": pa.array([datetime.datetime(2024, 1, 2, 3, 4, 5), None, None], pa.timestamp("s")),
            "dec": pa.array([decimal.Decimal("1.50"), None, decimal.Decimal("2")], pa.decimal128(5, 2)),
            "bin": pa.array([b"\xff", b"ok", None]),
            "num": [float("nan"), float("inf"), 1.5],
        }
    )
    corpus = tmp_path / "types.parquet"
    pq.write_table(table, corpus)
    expected = {
        "ts": ["2024-01-02T03:04:05", None, None],
        "dec": ["1.50", None, "2.00"],
        "bin": ["\\xff", "ok", None],
        "num": [None, None, 1.5],
    }
    for column, values in expected.items():
        result = run_cli("compare", corpus, "--jsonl", "--group-by", column, *FAST)
        assert result.exit_code == 0, result.traceback or result.stderr
        records = jsonl_records(result.stdout)
        assert [records[f"{corpus}:{row}"][column] for row in range(3)] == values
    out = tmp_path / "out" / "records.json"
    out.parent.mkdir()
    result = run_cli("compare", corpus, "--group-by", "ts", "-o", out, *FAST)
    assert result.exit_code == 0, result.traceback or result.stderr
    assert len(strict_json(out.read_text(encoding="utf-8"))["records"]) == 3
    assert sorted(p.name for p in out.parent.iterdir()) == ["records.json"]


def test_parquet_text_of_the_wrong_type_or_over_the_limit_fails_alone(run_cli, tmp_path: Path) -> None:
    corpus = tmp_path / "cells.parquet"
    pq.write_table(pa.table({"text": ["small", "x" * 3000, None, "", "tiny"]}), corpus)
    result = run_cli("--limit", "input=1000", "compare", corpus, "--jsonl", *FAST)
    assert_one_error_line(result, 1, "3 of 5 records failed")
    records = jsonl_records(result.stdout)
    assert "input limit" in records[f"{corpus}:1"]["error"]
    assert "--limit input=" in records[f"{corpus}:1"]["error"]
    assert "is null, not text" in records[f"{corpus}:2"]["error"]
    assert "empty" in records[f"{corpus}:3"]["error"]
    assert records[f"{corpus}:0"]["tokens"]["cl100k"] > 0 and "error" not in records[f"{corpus}:4"]

    typed = tmp_path / "typed.parquet"
    columns = {
        "text": pa.array([[1, 2]], pa.list_(pa.int64())),
        "blob": pa.array([b"x" * 3000]),
        "s": pa.array([{"a": "b"}]),
    }
    pq.write_table(pa.table(columns), typed)
    for field, reason in (("text", "a list, not text"), ("blob", "input limit"), ("s", "an object")):
        result = run_cli("--limit", "input=1000", "compare", typed, "--field", field, "--jsonl", *FAST)
        assert_one_error_line(result, 1, "1 of 1 records failed", reason)


def test_parquet_with_the_text_column_twice_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "dup.parquet"
    table = pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], names=["text", "text"])
    pq.write_table(table, corpus)
    (record,) = iter_records([corpus])
    assert record.id == str(corpus) and "the column 'text' appears twice" in (record.error or "")


def test_damaged_parquet_among_good_files_fails_alone(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    pq.write_table(pa.table({"text": ["one", "two"]}), folder / "a.parquet")
    whole = (folder / "a.parquet").read_bytes()
    (folder / "b.parquet").write_bytes(whole[: len(whole) // 2])
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), folder / "c.parquet")
    (folder / "d.txt").write_text("a plain text file", encoding="utf-8")
    result = run_cli("compare", folder, "--jsonl", *FAST)
    assert_one_error_line(result, 1, "1 of 4 records failed")
    records = jsonl_records(result.stdout)
    assert "cannot read as parquet" in records[str(folder / "b.parquet")]["error"]
    assert all("error" not in records[k] for k in (f"{folder}/a.parquet:0", f"{folder}/d.txt"))


# -- folders, globs and special files ---------------------------------------------------------


@pytest.fixture
def odd_folder(tmp_path: Path) -> Path:
    """A folder with a good text, a FIFO nobody writes, a link to nothing and a link loop."""
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "good.txt").write_text("A good text.", encoding="utf-8")
    os.mkfifo(folder / "fifo.txt")
    os.symlink(folder / "gone.txt", folder / "dangling.txt")
    os.symlink(folder / "loop-b", folder / "loop-a")
    os.symlink(folder / "loop-a", folder / "loop-b")
    return folder


@pytest.mark.parametrize("how", ["folder", "glob"])
def test_fifos_are_skipped_and_broken_links_fail(run_cli, odd_folder: Path, how: str) -> None:
    """A FIFO met by a folder walk or a glob is skipped (reading it would wait forever for a
    writer); a link to nothing or a loop is a failed record; the good text is measured."""
    source = odd_folder if how == "folder" else f"{odd_folder}/*"
    result = run_cli("compare", source, "--jsonl", *FAST)
    assert_one_error_line(result, 1, "3 of 4 records failed")
    assert any("skipped 1 file" in line and "fifo.txt" in line for line in result.error_lines)
    records = jsonl_records(result.stdout)
    assert "error" not in records[f"{odd_folder}/good.txt"]
    assert "cannot read" in records[f"{odd_folder}/dangling.txt"]["error"]
    assert "symbolic links" in records[f"{odd_folder}/loop-a"]["error"]
    assert f"{odd_folder}/fifo.txt" not in records


def test_a_tar_in_a_folder_is_skipped_as_not_text(run_cli, tmp_path: Path) -> None:
    """A WebDataset shard is not a corpus input: a folder walk skips it like any binary file."""
    folder = tmp_path / "with-tar"
    folder.mkdir()
    (folder / "note.txt").write_text("A note.", encoding="utf-8")
    with tarfile.open(folder / "shard-000000.tar", "w") as tar:
        tar.add(folder / "note.txt", arcname="../../etc/evil.txt")
    result = run_cli("compare", folder, "--jsonl", *FAST)
    assert result.exit_code == 0 and "Traceback" not in result.stderr
    assert list(jsonl_records(result.stdout)) == [f"{folder}/note.txt"]
    assert any("skipped 1 file" in line for line in result.error_lines)


# -- Hugging Face dataset folders -------------------------------------------------------------


def _dataset_folder(folder: Path, state: Any) -> Path:
    folder.mkdir()
    (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")
    (folder / "dataset_info.json").write_text("{}", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("splits", "reason"),
    [
        (["."], "split '.' is not a name inside the dataset folder"),
        (["../elsewhere"], "is not a name inside the dataset folder"),
        ([{"name": "train"}], "a split name is an object"),
        ({"train": 1}, "'splits' is an object, not a list"),
        ("loop", "'splits' is a string, not a list"),
    ],
)
def test_hostile_dataset_dict_fails_as_one_record(tmp_path: Path, splits: Any, reason: str) -> None:
    """`"splits": ["."]` once sent the reader into itself until Python's recursion limit."""
    folder = tmp_path / "dd"
    folder.mkdir()
    (folder / "dataset_dict.json").write_text(json.dumps({"splits": splits}), encoding="utf-8")
    (record,) = iter_records([folder])
    assert record.id == str(folder) and reason in (record.error or "")


def test_a_split_that_links_back_is_not_read_as_a_dataset_dict(tmp_path: Path) -> None:
    folder = tmp_path / "dd"
    folder.mkdir()
    (folder / "dataset_dict.json").write_text(json.dumps({"splits": ["again"]}), encoding="utf-8")
    os.symlink(folder, folder / "again")
    (record,) = iter_records([folder])
    assert "state.json" in (record.error or "")


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ([{"filename": "../outside.arrow"}], "is not a name inside the dataset folder"),
        ([{"filename": "/etc/passwd"}], "is not a name inside the dataset folder"),
        ([{"filename": 5}], "a data file name is int"),
        (["data.arrow"], "a '_data_files' entry is a string without a 'filename'"),
        ({"filename": "x"}, "'_data_files' is an object, not a list"),
    ],
)
def test_hostile_state_json_fails_as_one_record(tmp_path: Path, entries: Any, reason: str) -> None:
    folder = _dataset_folder(tmp_path / "ds", {"_data_files": entries})
    (record,) = iter_records([folder])
    assert record.id == str(folder) and reason in (record.error or "")


# -- shards -------------------------------------------------------------------------------------


def test_shard_metadata_is_strict_json_and_an_empty_run_leaves_no_folder(run_cli, tmp_path: Path) -> None:
    corpus = tmp_path / "nan.jsonl"
    corpus.write_text('{"text": "a", "v": NaN}\n{"text": null}\n', encoding="utf-8")
    shards = tmp_path / "shards"
    result = run_cli("render", corpus, "--shards", shards, "-j", "1", "-q")
    assert_one_error_line(result, 1, "1 of 2 records failed", "is null, not text")
    with tarfile.open(shards / "shard-000000.tar") as tar:
        member = tar.extractfile("000000000-0001.json")
        assert member is not None
        assert strict_json(member.read().decode("utf-8"))["fields"] == {"v": None}
    manifest = (shards / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert "is null, not text" in strict_json(manifest[1])["error"]

    empty = tmp_path / "zero.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), empty)
    nowhere = tmp_path / "never-made"
    result = run_cli("render", empty, "--shards", nowhere, "-j", "1", "-q")
    assert_one_error_line(result, 1, "nothing to measure")
    assert not nowhere.exists()


# -- resuming ---------------------------------------------------------------------------------


def test_resume_with_another_text_field_is_refused(run_cli, tmp_path: Path) -> None:
    """The same file read with another --field gives the same ids and other texts: a resume
    must not append records of one column to records of another."""
    corpus = tmp_path / "c.jsonl"
    rows = [{"text": "one", "body": "a body of other words"}, {"text": "two", "body": "another body"}]
    corpus.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "records.jsonl"
    assert run_cli("compare", corpus, "-o", out, *FAST).exit_code == 0
    before = out.read_bytes()
    with corpus.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps({"text": "three", "body": "a third body"}) + "\n")
    result = run_cli("compare", corpus, "-o", out, "--field", "body", "--resume", *FAST)
    assert_one_error_line(result, 2, "other options")
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "records.jsonl"]
    result = run_cli("compare", corpus, "-o", out, "--resume", *FAST)
    assert result.exit_code == 0, result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
