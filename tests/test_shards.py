"""`pixtok render --shards`: WebDataset tar shards that the webdataset library reads back, one PNG
and one JSON per page, byte-identical for any job count, complete shards only, and resumable."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixtok.corpus.batch import MANIFEST, EngineOptions, render_shards
from pixtok.corpus.inputs import Record, iter_records
from pixtok.corpus.shards import Sample, ShardWriter, existing_shards
from pixtok.errors import UsageError
from pixtok.render import render
from pixtok.render.config import RenderConfig

LANGS = ("en", "ru", "zh-cn", "ja", "ar", "hi")
#: Small pages so that every record fills a few of them quickly.
FLAGS = ["--preset", "page-1024", "--page", "320x320", "--size", "12px", "--margin", "8px"]
CONFIG = RenderConfig.from_dict({"preset": "page-1024", "page": "320x320", "size": "12px", "margin": "8px"})


@pytest.fixture(scope="module")
def texts_dir(corpus_dir: Path, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("texts")
    for lang in LANGS:
        (source,) = sorted(corpus_dir.glob(f"{lang}_*.txt"))
        (folder / f"{lang}.txt").write_text(source.read_text(encoding="utf-8")[:1200], encoding="utf-8")
    return folder


def read_shards(folder: Path) -> list[dict]:
    import webdataset as wds

    urls = [str(p) for p in existing_shards(folder)]
    return list(wds.WebDataset(urls, shardshuffle=False).decode("pil"))


def test_shards_are_webdataset_samples_one_per_page(run_cli, texts_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "shards"
    result = run_cli("render", texts_dir, *FLAGS, "--shards", out, "--shard-size", "5", "--json", "-j", "2")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["records"] == [] and document["options"]["render"] == CONFIG.to_dict()
    summary = document["total"]
    samples = read_shards(out)
    assert summary["samples"] == len(samples) and summary["records"] == len(LANGS)
    assert summary["shards"] == len(existing_shards(out)) > 1

    manifest = [json.loads(line) for line in (out / MANIFEST).read_text(encoding="utf-8").splitlines()]
    assert [Path(entry["id"]).name for entry in manifest] == [f"{lang}.txt" for lang in sorted(LANGS)]
    by_key = {sample["__key__"]: sample for sample in samples}
    for position, entry in enumerate(manifest):
        text = Path(entry["id"]).read_text(encoding="utf-8")
        expected = render(text, CONFIG)
        assert entry["pages"] == expected.page_count
        for page in range(expected.page_count):
            sample = by_key[f"{position:09d}-{page + 1:04d}"]
            meta = sample["json"]
            start, end = expected.page_char_span(page)
            assert meta["span"] == [start, end] and meta["text"] == text[start:end]
            assert meta["id"] == entry["id"] and meta["page"] == page + 1 and meta["pages"] == entry["pages"]
            assert meta["config"] == CONFIG.to_dict()
            assert meta["counts"]["glyphs"] == int(np.count_nonzero(expected.glyphs.page == page))
            assert meta["counts"]["lines"] == int(np.count_nonzero(expected.line_page == page))
            assert np.array_equal(np.asarray(sample["png"].convert("L")), expected.pages[page])
            assert sample["__url__"].endswith(entry["shard"])


def test_shards_close_at_record_boundaries(texts_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "s"
    run = render_shards(iter_records([texts_dir]), CONFIG, out, shard_size=4, engine=EngineOptions(jobs=1))
    manifest = [json.loads(line) for line in (out / MANIFEST).read_text(encoding="utf-8").splitlines()]
    for shard in existing_shards(out):
        with tarfile.open(shard) as tar:
            names = tar.getnames()
        records = {name.split("-")[0] for name in names}
        pages = len(names) // 2
        owners = [e for e in manifest if e["shard"] == shard.name]
        assert pages == sum(e["pages"] for e in owners) and len(records) == len(owners)
        assert pages <= 4 or len(owners) == 1  # only a record longer than a shard makes it larger
    assert run.shards == len(existing_shards(out))


def test_same_shards_for_any_job_count_and_no_timestamps(run_cli, texts_dir: Path, tmp_path: Path) -> None:
    contents = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        result = run_cli("render", texts_dir, *FLAGS, "--shards", out, "--shard-size", "6", "-j", jobs)
        assert result.exit_code == 0, result.stderr
        contents.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert contents[0] == contents[1]
    with tarfile.open(fileobj=io.BytesIO(contents[0]["shard-000000.tar"])) as tar:
        assert {(m.mtime, m.uid, m.uname) for m in tar.getmembers()} == {(0, 0, "")}


def test_an_interrupted_run_resumes_to_the_same_shards(texts_dir: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    render_shards(iter_records([texts_dir]), CONFIG, clean, shard_size=5, engine=EngineOptions(jobs=1))

    out = tmp_path / "resumed"

    def stop_after_four(n: int, seen=[0]) -> None:  # noqa: B006 - a counter across calls
        seen[0] += n
        if seen[0] == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_shards(
            iter_records([texts_dir]),
            CONFIG,
            out,
            shard_size=5,
            engine=EngineOptions(jobs=2),
            on_progress=stop_after_four,
        )
    # Only complete shards, each identical to the clean run's; no unfinished file is left.
    partial = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert partial and MANIFEST not in partial
    for name in partial:
        assert (out / name).read_bytes() == (clean / name).read_bytes()
    assert not list(out.glob(".shard-*"))

    with pytest.raises(UsageError, match="already holds shards"):
        render_shards(iter_records([texts_dir]), CONFIG, out, shard_size=5)
    render_shards(
        iter_records([texts_dir]), CONFIG, out, shard_size=5, resume=True, engine=EngineOptions(jobs=2)
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {
        p.name: p.read_bytes() for p in clean.iterdir()
    }


def test_failed_records_are_listed_and_the_rest_rendered(run_cli, texts_dir: Path, tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.txt").write_text((texts_dir / "en.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (mixed / "b.txt").write_bytes(b"caf\xe9")  # not UTF-8: a folder skips it
    (mixed / "c.txt").write_text((texts_dir / "zh-cn.txt").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    flags = [*FLAGS, "--font", "DejaVu Sans", "--no-fallback", "--strict-glyphs", "--shards", out]
    result = run_cli("render", mixed, mixed / "b.txt", *flags)
    assert result.exit_code == 1
    assert (
        result.error_lines[0]
        == f"pixtok: skipped 1 file that is not text in the folders given (first: {mixed / 'b.txt'})"
    )
    assert len(result.error_lines) == 2 and "2 of 3 records failed" in result.error_lines[1]
    manifest = [json.loads(line) for line in (out / MANIFEST).read_text(encoding="utf-8").splitlines()]
    assert "shard" in manifest[0]
    assert "no glyph in any font" in manifest[1]["error"]
    assert manifest[2]["id"] == str(mixed / "b.txt")  # named, not found in a folder: read, and failed
    assert "invalid UTF-8 at byte offset 3" in manifest[2]["error"]
    assert {s["json"]["id"] for s in read_shards(out)} == {manifest[0]["id"]}


def test_shard_writer_renames_only_complete_shards(tmp_path: Path) -> None:
    page = render("Hello, shards.", CONFIG).pages[0]
    png = io.BytesIO()
    Image.fromarray(page).save(png, format="PNG")
    writer = ShardWriter(tmp_path, shard_size=2)
    writer.add([Sample("000000000-0001", {"png": png.getvalue()})])
    assert existing_shards(tmp_path) == [] and len(list(tmp_path.glob(".shard-000000.tar.part"))) == 1
    writer.add([Sample("000000001-0001", {"png": png.getvalue()})])
    assert [p.name for p in existing_shards(tmp_path)] == ["shard-000000.tar"]
    writer.add([Sample("000000002-0001", {"png": png.getvalue()})])
    writer.abort()
    assert [p.name for p in tmp_path.iterdir()] == ["shard-000000.tar"]
    with pytest.raises(ValueError):
        Sample("has.dot", {})


def test_shard_flags_are_checked(run_cli, texts_dir: Path, tmp_path: Path) -> None:
    for args, message in (
        (["--shards", tmp_path / "x", "--shard-size", "0"], "--shard-size"),
        (["--shards", tmp_path / "y", "-o", tmp_path / "p.png"], "cannot be combined"),
        (["--resume"], "--resume is for --shards"),
    ):
        result = run_cli("render", texts_dir / "en.txt", *args)
        assert result.exit_code == 2 and len(result.error_lines) == 1, result.stderr
        assert message in result.error_lines[0]
    two = run_cli("render", texts_dir / "en.txt", texts_dir / "ru.txt", "-o", tmp_path / "page.png")
    assert two.exit_code == 2 and "-o DIR/" in two.error_lines[0]


def test_records_without_text_field_fail_in_the_manifest(tmp_path: Path) -> None:
    records = [Record("a", "Hello"), Record("b", "", error="no field 'text'"), Record("c", "World")]
    run = render_shards(records, CONFIG, tmp_path / "o", shard_size=10, engine=EngineOptions(engine="serial"))
    assert run.totals.failed == 1 and run.totals.total()["pages"] == 2
