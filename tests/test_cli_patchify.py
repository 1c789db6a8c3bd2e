"""`pixtok patchify` and `pixtok encoders` end to end, and every shell example in their docs."""

from __future__ import annotations

import csv
import io
import json
import struct
import zlib
from pathlib import Path

import doc_examples
import numpy as np
import pytest
from PIL import Image

import pixtok
from pixtok.encoders import builtin, get_encoder, list_encoders
from pixtok.patches import patchify, read_page

REPO = Path(__file__).resolve().parents[1]
OWN_DOCS = [REPO / "docs" / "encoders.md", REPO / "docs" / "patches.md"]


@pytest.fixture(scope="module")
def a4_page(tmp_path_factory, corpus_dir) -> Path:
    """An A4 page at 72 dpi of English prose, as Glyph's setting renders it, saved as PNG."""
    text = (corpus_dir / "en_prose_debian-reference.txt").read_text(encoding="utf-8")[:6000]
    page = pixtok.render(text, pixtok.RenderConfig.from_preset("glyph")).pages[0]
    path = tmp_path_factory.mktemp("pages") / "page.png"
    Image.fromarray(page).save(path)
    return path


@pytest.fixture(scope="module")
def pixel_strip(tmp_path_factory) -> Path:
    strip = pixtok.render("Language modelling with pixels.", pixtok.RenderConfig.from_preset("pixel")).pages[
        0
    ]
    path = tmp_path_factory.mktemp("strips") / "strip.png"
    Image.fromarray(strip).save(path)
    return path


def test_counts_match_the_library(run_cli, a4_page):
    result = run_cli("patchify", a4_page, "--json")
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)["records"]
    grid = patchify(np.asarray(Image.open(a4_page).convert("L")), 16)
    assert record == {
        "input": str(a4_page),
        "width": 595,
        "height": 842,
        "patch": 16,
        "stride": 16,
        "rows": grid.rows,
        "cols": grid.cols,
        "patches": grid.total,
        "nonblank_patches": grid.nonblank_count,
    }
    assert (grid.rows, grid.cols) == (53, 38) and 0 < grid.nonblank_count < grid.total


def test_encoder_columns_in_csv(run_cli, a4_page):
    result = run_cli("patchify", a4_page, "--encoder", "glm-4.1v, deepseek-ocr-base", "--csv")
    assert result.exit_code == 0, result.stderr
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["vision.glm-4.1v.tokens"] == "630" and row["vision.glm-4.1v.sequence_tokens"] == "632"
    assert row["vision.glm-4.1v.valid_tokens"] == ""
    assert row["vision.deepseek-ocr-base.tokens"] == "256"
    assert row["vision.deepseek-ocr-base.valid_tokens"] == "180"


def test_pixel_strip_valid_tokens(run_cli, pixel_strip):
    result = run_cli("patchify", pixel_strip, "--encoder", "pixel", "--jsonl")
    record = json.loads(result.stdout)
    strip = np.asarray(Image.open(pixel_strip))
    expected = get_encoder("pixel").count(8464, 16, pixels=strip).valid_tokens
    assert record["vision"]["pixel"] == {"tokens": 529, "sequence_tokens": 530, "valid_tokens": expected}
    assert 1 < expected < 529


def test_overlay_and_npy_are_written_and_deterministic(run_cli, a4_page, tmp_path):
    for attempt in ("a", "b"):
        result = run_cli(
            "patchify", a4_page, "--patch", "14", "--stride", "7",
            "--overlay", tmp_path / f"{attempt}.png", "--npy", tmp_path / f"{attempt}.npy", "--jsonl",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
    overlay = Image.open(tmp_path / "a.png")
    assert overlay.size == (595, 842) and overlay.mode == "RGB"
    tensor = np.load(tmp_path / "a.npy")
    page = np.asarray(Image.open(a4_page).convert("L"))
    expected = patchify(page, 14, stride=7).patches
    assert tensor.shape == expected.shape == (120, 84, 14, 14)
    np.testing.assert_array_equal(tensor, expected)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npy", "a.png", "b.npy", "b.png"]  # no leftovers


def test_rgb_and_stdin(run_cli, a4_page):
    colour = json.loads(run_cli("patchify", a4_page, "--rgb", "--json").stdout)["records"][0]
    grey = json.loads(run_cli("patchify", "-", "--json", stdin=a4_page.read_bytes()).stdout)["records"][0]
    piped = json.loads(run_cli("patchify", "--json", stdin=a4_page.read_bytes()).stdout)["records"][0]
    assert grey["input"] == piped["input"] == "-"
    assert grey["nonblank_patches"] == colour["nonblank_patches"] == piped["nonblank_patches"]


def test_coloured_paper(run_cli, tmp_path):
    page = np.empty((32, 32, 3), dtype=np.uint8)
    page[:] = (250, 245, 230)
    page[3, 3] = (20, 20, 20)
    Image.fromarray(page).save(tmp_path / "cream.png")
    record = json.loads(
        run_cli("patchify", tmp_path / "cream.png", "--rgb", "--background", "250,245,230").stdout
    )
    assert record["nonblank_patches"] == 1 and record["patches"] == 4


def test_no_image_at_all(run_cli):
    nothing = run_cli("patchify", stdin=b"")  # no argument and an empty stdin, as under cron
    assert nothing.exit_code == 2 and "give an image file" in nothing.stderr
    empty = run_cli("patchify", "-", stdin=b"")  # an explicit '-' that gives nothing is bad data
    assert empty.exit_code == 1 and "empty input" in empty.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--patch", "0"], 2, "patch size must be a positive"),
        (["--patch", "-5"], 2, "patch size must be a positive"),
        (["--patch", "900", "--pad", "none"], 2, "larger than the 595×842 image"),
        (["--stride", "0"], 2, "stride must be a positive"),
        (["--pad", "mirror"], 2, "--pad must be one of"),
        (["--encoder", "qwen3"], 2, "unknown encoder 'qwen3'"),
        (["--encoder", "pixel"], 2, "16-px strip"),
        (["--overlay", "/nonexistent/dir/x.png"], 2, "does not exist"),
        (["--json", "--csv"], 2, "choose one of"),
        (["--background", "white"], 2, "--background is a grey level"),
        (["--background", "255,255,255"], 2, "1 channel"),
        (["--overlay", "x.png", "--npy", "x.png"], 2, "x.png: is both --overlay and --npy"),
        (["--npy", "x.npy", "-o", "./x.npy"], 2, "x.npy: is both --npy and -o"),
    ],
)
def test_bad_options_exit_2_with_one_line(run_cli, a4_page, args, code, message):
    result = run_cli("patchify", a4_page, *args)
    assert result.exit_code == code
    assert len(result.error_lines) == 1 and message in result.error_lines[0], result.stderr
    assert result.error_lines[0].startswith("pixtok: error:") and result.exception is None


def test_bad_inputs_exit_1_with_one_line(run_cli, tmp_path):
    (tmp_path / "notes.txt").write_text("not a picture\n", encoding="utf-8")
    for path, message in [
        (tmp_path / "missing.png", "no such file"),
        (tmp_path / "notes.txt", "not a readable"),
    ]:
        result = run_cli("patchify", path)
        assert result.exit_code == 1
        assert len(result.error_lines) == 1 and message in result.error_lines[0]
    assert run_cli("patchify", tmp_path).exit_code == 1  # a folder


def _damaged_png() -> bytes:
    """A PNG whose IDAT length is halved: the next "chunk" starts inside the compressed data."""
    buffer = io.BytesIO()
    Image.new("P", (40, 40), 3).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    at = data.index(b"IDAT") - 4
    data[at : at + 4] = struct.pack(">I", struct.unpack(">I", data[at : at + 4])[0] // 2)
    return bytes(data)


def _tiff_with_rational_strip_offsets() -> bytes:
    """A TIFF whose StripOffsets tag (273) is typed RATIONAL rather than LONG."""
    buffer = io.BytesIO()
    Image.new("L", (40, 40), 0).save(buffer, "TIFF")
    data = bytearray(buffer.getvalue())
    ifd = struct.unpack("<I", data[4:8])[0]
    for k in range(struct.unpack("<H", data[ifd : ifd + 2])[0]):
        entry = ifd + 2 + 12 * k
        if struct.unpack("<H", data[entry : entry + 2])[0] == 273:
            value = struct.unpack("<I", data[entry + 8 : entry + 12])[0]
            data[entry + 2 : entry + 4] = struct.pack("<H", 5)
            data[entry + 8 : entry + 12] = struct.pack("<I", len(data))
            data += struct.pack("<II", value, 1)
    return bytes(data)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100))


def test_damaged_and_oversized_images_are_one_line(run_cli, tmp_path):
    """What Pillow's decoders raise on a damaged file (SyntaxError, TypeError...) is one line, and
    an image whose header alone is past the limit is refused with pixtok's own numbers."""
    (tmp_path / "broken.png").write_bytes(_damaged_png())
    (tmp_path / "rational.tif").write_bytes(_tiff_with_rational_strip_offsets())
    (tmp_path / "huge.png").write_bytes(_png_header_only(60000, 60000))
    for name, line in [
        ("broken.png", "broken.png: a damaged or unreadable image (broken PNG file"),
        ("rational.tif", "rational.tif: a damaged or unreadable image ('IFDRational'"),
        ("huge.png", "huge.png: an image of 3,600,000,000 pixels is larger than the image-pixels limit of "
         "100,000,000; raise the limit with `pixtok --limit image-pixels=3600000000 ...`"),
    ]:  # fmt: skip
        result = run_cli("patchify", tmp_path / name)
        assert result.exit_code == 1 and len(result.error_lines) == 1, result.stderr
        assert line in result.error_lines[0]


def test_sixteen_bit_grey_is_scaled_and_wider_pixels_refused(run_cli, tmp_path):
    """16-bit grey keeps its levels (Pillow's own conversion clips every level past 255 to
    white); 32-bit integer and float pixels, whose range no file says, are refused."""
    levels = np.full((32, 64), 65535, dtype=np.uint16)
    levels[:, :32] = 32768  # mid grey: the left half of the patches hold ink
    Image.fromarray(levels).save(tmp_path / "grey16.png")
    result = run_cli("patchify", tmp_path / "grey16.png", "--json")
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)["records"]
    assert (record["patches"], record["nonblank_patches"]) == (8, 4)
    page = read_page(tmp_path / "grey16.png", rgb=True)
    assert page.shape == (32, 64, 3) and page[0, 0, 0] == 128 and page[0, 40, 2] == 255
    Image.fromarray(np.full((4, 4), 70000, dtype=np.int32)).save(tmp_path / "wide.tif")
    Image.fromarray(np.full((4, 4), 0.5, dtype=np.float32)).save(tmp_path / "float.tif")
    for name, reason in [("wide.tif", "32-bit pixels"), ("float.tif", "floating-point pixels")]:
        refused = run_cli("patchify", tmp_path / name)
        assert refused.exit_code == 1 and len(refused.error_lines) == 1
        assert f"{name}: {reason}" in refused.error_lines[0]


@pytest.mark.parametrize("args", [["--patch", "20000", "--rgb"], ["--patch", str(2**63)],
                                  ["--stride", "5", "--patch", str(10**20), "--pad", "zero"]])  # fmt: skip
def test_a_patch_far_larger_than_the_image_is_refused_before_padding(run_cli, tmp_path, args):
    Image.new("RGB", (40, 40)).save(tmp_path / "small.jpg")
    result = run_cli("patchify", tmp_path / "small.jpg", *args)
    assert result.exit_code == 1 and len(result.error_lines) == 1, result.stderr
    assert "a padded page of" in result.error_lines[0] and "image-pixels limit" in result.error_lines[0]


def test_encoders_lists_every_preset_with_its_source(run_cli):
    document = json.loads(run_cli("encoders", "--json").stdout)["records"]
    assert [entry["name"] for entry in document] == list_encoders()
    for entry in document:
        assert entry["formula"] and entry["source"] and "parameters" in entry
    rows = list(csv.DictReader(io.StringIO(run_cli("encoders", "--csv").stdout)))
    assert list(rows[0])[:4] == ["name", "patch", "formula", "source"]
    assert all(not cell.startswith(("[", "{")) for row in rows for cell in row.values())
    assert {row["name"] for row in rows} >= {"qwen2.5-vl", "deepseek-ocr-gundam", "pixel", "gpt-4o"}


def test_help_describes_the_commands(run_cli):
    for command, words in [
        ("patchify", ["--patch", "--stride", "--overlay", "--npy"]),
        ("encoders", ["--encoders", "--size"]),
    ]:
        result = run_cli(command, "--help")
        assert result.exit_code == 0 and all(word in result.stdout for word in words)


# --- the docs: every `$ pixtok` example runs, and the preset table holds --------------------------


@pytest.mark.parametrize("doc", OWN_DOCS, ids=lambda p: p.name)
def test_doc_shell_examples_run(run_cli, doc, tmp_path, a4_page, pixel_strip):
    images = {"page.png": a4_page.read_bytes(), "strip.png": pixel_strip.read_bytes()}
    assert doc_examples.run_page(doc, run_cli, tmp_path, images) >= 3


def test_doc_preset_table_is_the_generated_one():
    # The table is written by `python -m pixtok.encoders.catalog docs/encoders.md`; this fails
    # when a preset or a count changes and the page was not regenerated.
    from pixtok.encoders.catalog import TABLE_END, TABLE_START, markdown_table

    text = (REPO / "docs" / "encoders.md").read_text(encoding="utf-8")
    table = text.split(TABLE_START)[1].split(TABLE_END)[0].strip()
    assert table == markdown_table()
    rows = table.splitlines()[2:]
    assert [row.split("|")[1].strip() for row in rows] == [e.name for e in builtin.encoders()]
    a4 = next(row for row in rows if row.startswith("| glm-4.1v |"))
    assert "| 630 / 632 / – |" in a4  # Glyph's A4 page at 72 dpi (arXiv 2510.17800)
