"""One bad record never stops a corpus run, and --resume gets past it.

Each kind of hostile record is put among good ones: a lone surrogate (a JSON `\\ud800` escape)
in the text, in the --id-field value or in a --group-by value; a file name that is not UTF-8;
a JSON line nested 100,000 deep; a line over the input limit; a text line over the line limit.
The run writes every good record, marks the bad one failed with one line of reason, exits 1,
and a --resume of the same call completes with the same bytes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pixtok.corpus.inputs import CorpusOptions, iter_records
from pixtok.limits import first_surrogate

GOOD = ["A short English line.", "Une phrase française.", "Ein deutscher Satz."]


def write_jsonl(path: Path, rows: list[str | dict]) -> Path:
    """Rows as JSON Lines; a str row is written as it is (to plant raw, hand-made lines)."""
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def records_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def rows_with(bad: str | dict) -> list[str | dict]:
    good = [{"id": f"g{i}", "lang": "x", "text": t} for i, t in enumerate(GOOD)]
    return [good[0], bad, good[1], good[2]]


BAD_ROWS = {
    "surrogate-in-text": '{"id": "bad", "lang": "x", "text": "a\\ud800b"}',
    "surrogate-in-id": '{"id": "b\\udcffd", "lang": "x", "text": "fine text"}',
    "surrogate-in-group": '{"id": "bad", "lang": "l\\udfff", "text": "fine text"}',
    "nested-100k": '{"id": "bad", "text": ' + "[" * 100_000 + "]" * 100_000 + "}",
}


@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_compare_marks_the_bad_record_failed_and_resume_completes(run_cli, tmp_path: Path, kind: str) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", rows_with(BAD_ROWS[kind]))
    out = tmp_path / "records.jsonl"
    args = (
        "compare",
        corpus,
        "--id-field",
        "id",
        "--group-by",
        "lang",
        "-o",
        out,
        "-q",
        "--engine",
        "serial",
    )
    first = run_cli(*args)
    assert first.exception is None, first.traceback
    assert first.exit_code == 1 and len(first.error_lines) == 1, first.stderr
    assert "1 of 4 records failed" in first.error_lines[0]
    data = out.read_bytes()
    data.decode("utf-8")  # valid UTF-8 throughout
    records = records_of(out)
    assert len(records) == 4
    assert [("error" in r) for r in records] == [False, True, False, False]
    assert [r["chars"] for r in records if "error" not in r] == [len(t) for t in GOOD]
    assert "\n" not in records[1]["error"]
    resumed = run_cli(*args, "--resume")
    assert resumed.exception is None and resumed.exit_code == 1, resumed.stderr
    assert out.read_bytes() == data


def test_messages_say_what_was_wrong(tmp_path: Path) -> None:
    rows = [BAD_ROWS["surrogate-in-text"], BAD_ROWS["surrogate-in-id"], BAD_ROWS["surrogate-in-group"]]
    corpus = write_jsonl(tmp_path / "c.jsonl", [*rows, BAD_ROWS["nested-100k"]])
    options = CorpusOptions(id_field="id", keep=("lang",))
    records = list(iter_records([corpus], options))
    assert [r.ok for r in records] == [False] * 4
    assert "lone surrogate (U+D800)" in records[0].error
    assert first_surrogate(records[1].id) is None and records[1].id.startswith("b\\")
    assert "id field 'id'" in records[1].error
    assert "field 'lang'" in records[2].error and records[2].fields["lang"] == "l\\udfff"
    assert "json-depth" in records[3].error and "--limit json-depth=" in records[3].error
    for record in records:  # everything a record carries can be written as UTF-8
        json.dumps([record.id, record.error, record.fields], ensure_ascii=False).encode("utf-8")


def test_group_by_json_document_stays_valid(run_cli, tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "c.jsonl", rows_with(BAD_ROWS["surrogate-in-group"]))
    result = run_cli("compare", corpus, "--group-by", "lang", "--json", "--engine", "serial")
    assert result.exception is None and result.exit_code == 1, result.stderr
    document = json.loads(result.stdout_bytes.decode("utf-8"))
    records = document["records"]
    assert len(records) == 4 and [g["lang"] for g in document["total"]["groups"]] == ["x"]


def test_render_shards_get_past_a_surrogate_and_resume_to_the_same_bytes(run_cli, tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "c.jsonl", rows_with(BAD_ROWS["surrogate-in-text"]))
    shards = tmp_path / "shards"
    first = run_cli("render", corpus, "--shards", shards, "--shard-size", "2", "--engine", "serial", "-q")
    assert first.exception is None and first.exit_code == 1, first.stderr
    manifest = records_of(shards / "records.jsonl")
    assert ["error" in entry for entry in manifest] == [False, True, False, False]
    before = {p.name: p.read_bytes() for p in shards.iterdir()}
    again = run_cli(
        "render", corpus, "--shards", shards, "--shard-size", "2", "--engine", "serial", "-q", "--resume"
    )
    assert again.exception is None and again.exit_code == 1, again.stderr
    assert {p.name: p.read_bytes() for p in shards.iterdir()} == before


def test_a_file_name_that_is_not_utf8_gets_an_escaped_id(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD[0], encoding="utf-8")
    bad_name = os.fsencode(folder) + b"/b\xff.txt"
    with open(bad_name, "wb") as stream:
        stream.write(GOOD[1].encode("utf-8"))
    out = tmp_path / "records.jsonl"
    args = ("compare", folder, "-o", out, "-q", "--engine", "serial")
    result = run_cli(*args)
    assert result.exception is None and result.exit_code == 0, result.stderr
    records = records_of(out)
    assert [r["input"] for r in records] == [str(folder / "a.txt"), str(folder) + "/b\\xff.txt"]
    assert records[1]["chars"] == len(GOOD[1])
    data = out.read_bytes()
    resumed = run_cli(*args, "--resume")
    assert resumed.exit_code == 0 and out.read_bytes() == data


def test_pages_of_a_file_named_in_bytes_not_utf8_take_its_stem(run_cli, tmp_path: Path) -> None:
    """The page files take the stem, as for any file: `b-xffc-0001.png`, not `b-xffc.txt-0001.png`."""
    bad_name = os.fsencode(tmp_path) + b"/b\xffc.txt"
    with open(bad_name, "wb") as stream:
        stream.write(GOOD[1].encode("utf-8"))
    (tmp_path / "a.txt").write_text(GOOD[0], encoding="utf-8")
    result = run_cli(
        "render", os.fsdecode(bad_name), tmp_path / "a.txt", "-o", f"{tmp_path}/pages/", "--json"
    )
    assert result.exception is None and result.exit_code == 0, result.stderr
    assert sorted(os.listdir(tmp_path / "pages")) == ["a-0001.png", "b-xffc-0001.png"]


def test_the_process_engine_carries_failed_records_across(run_cli, tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "c.jsonl", rows_with(BAD_ROWS["surrogate-in-text"]))
    out = tmp_path / "records.jsonl"
    result = run_cli("compare", corpus, "-o", out, "-q", "--jobs", "2")
    assert result.exception is None and result.exit_code == 1, result.stderr
    assert ["error" in r for r in records_of(out)] == [False, True, False, False]


def test_over_limit_lines_and_files_fail_alone(run_cli, tmp_path: Path) -> None:
    long_line = {"id": "long", "text": "x" * 5000}
    corpus = write_jsonl(tmp_path / "c.jsonl", rows_with(long_line))
    out = tmp_path / "records.jsonl"
    lowered = run_cli("--limit", "input=2KB", "compare", corpus, "-o", out, "-q", "--engine", "serial")
    assert lowered.exception is None and lowered.exit_code == 1, lowered.stderr
    records = records_of(out)
    assert ["error" in r for r in records] == [False, True, False, False]
    assert records[1]["input"] == f"{corpus}:2" and "input limit of 2,000 bytes" in records[1]["error"]
    assert "limit" in records[1]["error"]
    short_lines = run_cli("--limit", "line=100", "compare", corpus, "-o", out, "-q", "--engine", "serial")
    assert short_lines.exit_code == 1
    assert "line limit of 100" in records_of(out)[1]["error"]
    raised = run_cli("--limit", "input=1MB", "compare", corpus, "-o", out, "-q", "--engine", "serial")
    assert raised.exit_code == 0, raised.stderr
    assert records_of(out)[1]["chars"] == 5000


def test_an_empty_folder_has_nothing_to_measure(run_cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (
        ("compare", empty),
        ("compare", empty, "-o", tmp_path / "r.jsonl"),
        ("render", empty, "--shards", tmp_path / "s"),
    ):
        result = run_cli(*args, "-q")
        assert result.exception is None and result.exit_code == 1, result.stderr
        assert result.error_lines == [
            "pixtok: error: nothing to measure: the inputs hold no records (no text files, no rows)"
        ]
    assert not (tmp_path / "r.jsonl").exists()


def test_a_folder_that_links_back_to_itself_is_walked_once(tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("one", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("two", encoding="utf-8")
    (folder / "sub" / "loop").symlink_to(folder)
    assert [r.text for r in iter_records([folder])] == ["one", "two"]
