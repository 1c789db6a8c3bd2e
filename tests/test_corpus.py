"""Reading corpora as record streams: files, folders, globs, stdin, JSON Lines, Parquet, Arrow and
Hugging Face dataset folders; bad records become failed records; memory stays flat."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from pixtok.corpus.inputs import CorpusOptions, Record, count_records, expand_inputs, iter_records
from pixtok.errors import InputError, UsageError

LANGS = ("en", "de", "fr", "ru", "zh-cn", "ja", "ko", "ar", "he", "hi", "fa")


@pytest.fixture(scope="module")
def texts(corpus_dir: Path) -> dict[str, str]:
    """The test corpus prose by language (first 2000 characters each, to keep tests quick)."""
    out = {}
    for lang in LANGS:
        (path,) = sorted(corpus_dir.glob(f"{lang}_*.txt"))
        out[lang] = path.read_text(encoding="utf-8")[:2000]
    return out


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_folders_are_walked_recursively_in_sorted_order_skipping_hidden(tmp_path: Path, texts) -> None:
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "a.txt").write_text(texts["en"], encoding="utf-8")
    (tmp_path / "b" / "deep" / "z.txt").write_text(texts["ru"], encoding="utf-8")
    (tmp_path / "b" / "c.txt").write_text(texts["zh-cn"], encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("not me", encoding="utf-8")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.txt").write_text("nor me", encoding="utf-8")
    records = list(iter_records([tmp_path]))
    names = [Path(r.id).relative_to(tmp_path).as_posix() for r in records]
    assert names == ["a.txt", "b/c.txt", "b/deep/z.txt"]
    assert [r.text for r in records] == [texts["en"], texts["zh-cn"], texts["ru"]]
    assert all(r.ok and r.source == r.id for r in records)


def test_globs_expand_sorted_and_recursive(tmp_path: Path, texts) -> None:
    (tmp_path / "sub").mkdir()
    for name, lang in (("b.txt", "de"), ("a.txt", "fr"), ("sub/c.txt", "ko"), ("d.md", "hi")):
        (tmp_path / name).write_text(texts[lang], encoding="utf-8")
    flat = [Path(p).name for p in expand_inputs([str(tmp_path / "*.txt")])]
    assert flat == ["a.txt", "b.txt"]
    deep = [Path(p).name for p in expand_inputs([str(tmp_path / "**" / "*.txt")])]
    assert deep == ["a.txt", "b.txt", "c.txt"]


def test_missing_inputs_fail_before_any_record(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        iter_records([tmp_path / "absent.txt"])
    with pytest.raises(InputError, match="no files match"):
        iter_records([str(tmp_path / "*.nothing")])


def test_invalid_utf8_is_a_failed_record_naming_the_offset(tmp_path: Path, texts) -> None:
    good = tmp_path / "good.txt"
    good.write_text(texts["fr"], encoding="utf-8")
    bad = tmp_path / "latin1.txt"
    prefix = "Größe ".encode()
    bad.write_bytes(prefix + b"\xe9t\xe9")
    records = list(iter_records([bad, good]))
    assert records[0].error is not None and records[0].text == ""
    assert f"byte offset {len(prefix)}" in records[0].error and "0xe9" in records[0].error
    assert records[1].ok and records[1].text == texts["fr"]
    replaced = next(iter_records([bad], CorpusOptions(errors="replace")))
    assert replaced.ok and replaced.text == "Größe \ufffdt\ufffd"


def test_jsonl_records_fields_ids_and_failures(tmp_path: Path, texts) -> None:
    path = tmp_path / "wiki.jsonl"
    lines = [
        json.dumps({"id": "a", "lang": "en", "text": texts["en"]}).encode(),
        b"",  # blank lines are skipped but still counted for line numbers
        json.dumps({"id": "b", "lang": "ru", "text": texts["ru"]}, ensure_ascii=False).encode(),
        b"{not json",
        json.dumps({"id": "c", "lang": "de", "body": texts["de"]}).encode(),
        json.dumps({"id": "d", "lang": "ko", "text": 42}).encode(),
        b'{"id": "e", "lang": "fr", "text": "caf\xe9"}',
        b"[1, 2]",
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    by_line = list(iter_records([path]))
    assert [r.id for r in by_line] == [f"{path}:{n}" for n in (1, 3, 4, 5, 6, 7, 8)]
    assert by_line[0].text == texts["en"] and by_line[0].fields == {"id": "a", "lang": "en"}
    assert by_line[1].text == texts["ru"]
    assert "not valid JSON" in by_line[2].error
    assert "no field 'text'" in by_line[3].error and "body" in by_line[3].error
    assert "int, not text" in by_line[4].error
    offset = sum(len(line) + 1 for line in lines[:6]) + lines[6].index(b"\xe9")
    assert f"file byte offset {offset}" in by_line[5].error
    assert "expected a JSON object" in by_line[6].error

    options = CorpusOptions(id_field="id", keep=("lang",))
    by_id = list(iter_records([path], options))
    assert [r.id for r in by_id[:2]] == ["a", "b"]
    assert by_id[0].fields == {"lang": "en"}
    assert [r.ok for r in by_id] == [True, True, False, False, False, False, False]


def test_gzipped_jsonl_and_other_text_field(tmp_path: Path, texts) -> None:
    path = tmp_path / "docs.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        for lang in ("ja", "he"):
            stream.write(json.dumps({"body": texts[lang], "lang": lang}, ensure_ascii=False) + "\n")
    records = list(iter_records([path], CorpusOptions(field="body")))
    assert [r.text for r in records] == [texts["ja"], texts["he"]]
    assert [r.fields["lang"] for r in records] == ["ja", "he"]


def test_damaged_gzip_data_fails_its_record_and_the_run_goes_on(tmp_path: Path) -> None:
    """A .gz whose compressed bytes are damaged (zlib's own error, not a truncation) is one
    failed record, and the inputs after it are read."""

    def damaged(data: bytes) -> bytes:
        packed = bytearray(gzip.compress(data))
        for i in range(30, 60):
            packed[i] ^= 0x55
        return bytes(packed)

    lines = b"".join(b'{"text": "line %d"}\n' % i for i in range(2000))
    (tmp_path / "a.jsonl.gz").write_bytes(damaged(lines))
    (tmp_path / "b.txt.gz").write_bytes(damaged(b"hello world " * 5000))
    (tmp_path / "c.txt").write_text("still read", encoding="utf-8")
    paths = [tmp_path / name for name in ("a.jsonl.gz", "b.txt.gz", "c.txt")]
    records = list(iter_records(paths))
    failed = [r for r in records if not r.ok]
    assert [r.source for r in failed] == [str(paths[0]), str(paths[1])]
    assert all(r.error.startswith("corrupt compressed data (Error -3") for r in failed)
    assert records[-1].text == "still read"


def test_parquet_rows_in_order_across_batches(tmp_path: Path, texts) -> None:
    rows = 700  # more than one decoding batch
    langs = [LANGS[i % len(LANGS)] for i in range(rows)]
    table = pa.table(
        {
            "doc": [f"doc-{i}" for i in range(rows)],
            "lang": langs,
            "text": [texts[lang][: 50 + i] for i, lang in enumerate(langs)],
            "score": [i / 10 for i in range(rows)],
        }
    )
    path = tmp_path / "part-0.parquet"
    pq.write_table(table, path, row_group_size=300)
    records = list(iter_records([path], CorpusOptions(id_field="doc", keep=("lang",))))
    assert [r.id for r in records] == table.column("doc").to_pylist()
    assert [r.text for r in records] == table.column("text").to_pylist()
    assert records[5].fields == {"lang": langs[5]}
    default_ids = [r.id for r in iter_records([path])]
    assert default_ids[:2] == [f"{path}:0", f"{path}:1"]
    assert count_records([path]) == rows


def test_a_missing_column_is_one_failed_record(tmp_path: Path, texts) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"body": [texts["en"]]}), path)
    (record,) = iter_records([path])
    assert record.id == str(path) and "no column 'text'" in record.error and "body" in record.error
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not a parquet file")
    (failed,) = iter_records([broken])
    assert "cannot read as parquet" in failed.error


def test_arrow_stream_and_file_formats(tmp_path: Path, texts) -> None:
    table = pa.table({"text": [texts["fa"], texts["hi"]], "lang": ["fa", "hi"]})
    stream_path = tmp_path / "a.arrow"
    with pa.OSFile(str(stream_path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    file_path = tmp_path / "b.feather"
    feather.write_feather(table, file_path, compression="uncompressed")
    for path in (stream_path, file_path):
        records = list(iter_records([path]))
        assert [r.text for r in records] == [texts["fa"], texts["hi"]]
        assert [r.fields for r in records] == [{"lang": "fa"}, {"lang": "hi"}]


def _save_dataset(folder: Path, table: pa.Table, shards: int) -> None:
    """The on-disk layout of `datasets.Dataset.save_to_disk`: Arrow stream files listed in
    state.json (`_data_files`), next to dataset_info.json."""
    folder.mkdir(parents=True)
    names = [f"data-{i:05d}-of-{shards:05d}.arrow" for i in range(shards)]
    per = -(-table.num_rows // shards)
    for i, name in enumerate(names):
        part = table.slice(i * per, per)
        with pa.OSFile(str(folder / name), "wb") as sink, pa.ipc.new_stream(sink, part.schema) as writer:
            writer.write_table(part)
    state = {"_data_files": [{"filename": n} for n in names], "_fingerprint": "0", "_split": None}
    (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")
    (folder / "dataset_info.json").write_text(json.dumps({"features": {}}), encoding="utf-8")


def test_hugging_face_dataset_folders(tmp_path: Path, texts) -> None:
    train = pa.table({"text": [texts[lang] for lang in LANGS[:6]], "lang": list(LANGS[:6])})
    test = pa.table({"text": [texts[lang] for lang in LANGS[6:]], "lang": list(LANGS[6:])})
    root = tmp_path / "wiki"
    _save_dataset(root / "train", train, shards=2)
    _save_dataset(root / "test", test, shards=1)
    (root / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}), encoding="utf-8")
    records = list(iter_records([root]))
    assert [r.text for r in records] == [texts[lang] for lang in LANGS]
    assert [r.fields["split"] for r in records] == ["train"] * 6 + ["test"] * 5
    assert all(r.ok for r in records)
    # A single split folder is a dataset of its own; the JSON files beside it are not texts.
    assert [r.fields["lang"] for r in iter_records([root / "test"])] == list(LANGS[6:])


def test_stdin_is_one_text_or_json_lines(monkeypatch, texts) -> None:
    import io
    import sys

    data = "".join(json.dumps({"text": texts[lang], "lang": lang}) + "\n" for lang in ("en", "ko"))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data.encode())))
    records = list(iter_records(["-"], CorpusOptions(stdin_jsonl=True)))
    assert [r.id for r in records] == ["-:1", "-:2"] and records[1].text == texts["ko"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(texts["ar"].encode())))
    (whole,) = iter_records(["-"])
    assert whole == Record("-", texts["ar"], {}, "-")


def test_bad_reading_options_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        CorpusOptions(errors="ignore")
    with pytest.raises(UsageError):
        CorpusOptions(field="")


def test_memory_stays_flat_as_the_corpus_grows(tmp_path: Path, texts) -> None:
    """Peak Python allocations while streaming stay far below the corpus size, and do not grow
    when the corpus is four times larger."""

    def write(path: Path, repeats: int) -> int:
        with open(path, "w", encoding="utf-8") as stream:
            for i in range(repeats):
                for lang in LANGS:
                    stream.write(json.dumps({"id": f"{i}-{lang}", "text": texts[lang]}, ensure_ascii=False))
                    stream.write("\n")
        return path.stat().st_size

    def peak(path: Path) -> tuple[int, int]:
        tracemalloc.start()
        chars = sum(len(r.text) for r in iter_records([path]))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top, chars

    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    write(small, 60)
    large_size = write(large, 240)
    small_peak, small_chars = peak(small)
    large_peak, large_chars = peak(large)
    assert large_chars == 4 * small_chars
    assert large_peak < large_size / 20
    assert large_peak < 2 * small_peak
