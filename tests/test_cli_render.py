"""`pixtok render`, `pixtok fonts` and `pixtok presets` through the real entry point.

Every bad input ends with an exit code (2 for a bad option, 1 for bad data), exactly one line on
stderr, no traceback, and no output file; good calls write the files they announce.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixtok.render.config import PRESETS, RenderConfig


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    path = tmp_path / "hello.txt"
    path.write_text("Hello, world. Привет, мир.\n", encoding="utf-8")
    return path


def assert_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.exception is None, result.traceback
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert len(result.error_lines) == 1, result.stderr
    line = result.error_lines[0]
    assert line.startswith("pixtok: error: "), line
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in line, line


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_invalid_utf8_names_the_byte_offset_and_replace_works(run_cli, tmp_path: Path) -> None:
    source = tmp_path / "latin1.txt"
    valid = "Größe caf".encode()  # 11 bytes: ö and ß take two each
    source.write_bytes(valid + b"\xe9 ok")
    before = files_in(tmp_path)
    result = run_cli("render", source, "-o", tmp_path / "out.png")
    assert_one_line_error(result, 1, f"byte offset {len(valid)}", "0xe9", "--errors replace")
    assert files_in(tmp_path) == before

    result = run_cli("render", source, "--errors", "replace", "-o", tmp_path / "out.png", "--json")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out.png").is_file()
    assert json.loads(result.stdout)["records"][0]["chars"] == len("Größe caf\ufffd ok")


@pytest.mark.parametrize(
    ("make_input", "code", "fragment"),
    [
        (lambda d: d / "absent.txt", 1, "no such file"),
        (lambda d: d, 1, "no text files"),
    ],
    ids=["missing-file", "directory"],
)
def test_unreadable_inputs(run_cli, tmp_path: Path, make_input, code: int, fragment: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("render", make_input(tmp_path), "-o", out / "page.png")
    assert_one_line_error(result, code, fragment)
    assert files_in(out) == set()


@pytest.mark.parametrize("content", ["", "  \n\t \n"], ids=["empty", "whitespace"])
def test_empty_text(run_cli, tmp_path: Path, content: str) -> None:
    source = tmp_path / "empty.txt"
    source.write_text(content, encoding="utf-8")
    result = run_cli("render", source, "-o", tmp_path / "out.png")
    assert_one_line_error(result, 1, "empty")
    assert not (tmp_path / "out.png").exists()


def test_corrupt_font_file(run_cli, tmp_path: Path, hello: Path) -> None:
    font = tmp_path / "broken.ttf"
    font.write_bytes(bytes(range(256)) * 40)
    result = run_cli("render", hello, "--font", font, "-o", tmp_path / "out.png")
    assert_one_line_error(result, 1, "broken.ttf", "not a usable font")
    assert not (tmp_path / "out.png").exists()


def test_unknown_font_family(run_cli, tmp_path: Path, hello: Path) -> None:
    result = run_cli("render", hello, "--font", "Zzyzx Nonexistent Grotesk", "-o", tmp_path / "out.png")
    assert_one_line_error(result, 1, "Zzyzx Nonexistent Grotesk")
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--size", "0"], "font size"),
        (["--size", "-3"], "--size"),
        (["--size", "100000"], "font size"),
        (["--size", "12furlongs"], "--size"),
        (["--page", "100000x100000"], "page-pixels limit"),
        (["--page", "100x100", "--margin", "60"], "leave no room"),
        (["--page", "300x200", "--margin", "10,200"], "leave no room"),
        (["--preset", "nope"], "unknown render preset"),
        (["--layout", "scroll"], "layout must be one of"),
        (["--align", "middle"], "align must be one of"),
        (["--dpi", "0"], "--dpi"),
        (["--line-height", "-1"], "--line-height"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bad_options_exit_2(run_cli, tmp_path: Path, hello: Path, flags: list[str], fragment: str) -> None:
    result = run_cli("render", hello, *flags, "-o", tmp_path / "out.png")
    assert_one_line_error(result, 2, fragment)
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize(
    ("name", "content", "code", "fragment"),
    [
        ("bad.toml", 'size = "oops', 1, "not valid TOML"),
        ("bad.json", "{not json", 1, "not valid JSON"),
        ("unknown.toml", "colour = 3\n", 2, "unknown render option(s) colour"),
        ("wrong.toml", 'layout = "scroll"\n', 2, "layout must be one of"),
        ("list.json", "[1, 2]", 1, "expected a table"),
    ],
)
def test_bad_config_file(
    run_cli, tmp_path: Path, hello: Path, name: str, content: str, code: int, fragment: str
) -> None:
    config = tmp_path / name
    config.write_text(content, encoding="utf-8")
    result = run_cli("render", hello, "--config", config, "-o", tmp_path / "out.png")
    assert_one_line_error(result, code, fragment)
    assert not (tmp_path / "out.png").exists()


def test_missing_config_file(run_cli, tmp_path: Path, hello: Path) -> None:
    result = run_cli("render", hello, "--config", tmp_path / "nowhere.toml", "-o", tmp_path / "out.png")
    assert_one_line_error(result, 1, "nowhere.toml")


#: Large text on small pages: several pages (lines 1.2 times the size apart, as the page-1024 preset sets).
BIG = ["--preset", "page-1024", "--size", "40", "--page", "100x100"]


def test_several_pages_to_stdout_is_refused(run_cli, tmp_path: Path, hello: Path) -> None:
    result = run_cli("render", hello, *BIG, "-o", "-")
    assert_one_line_error(result, 2, "pages")
    assert result.stdout_bytes == b""


def test_several_pages_to_one_png_name_writes_nothing(run_cli, tmp_path: Path, hello: Path) -> None:
    result = run_cli("render", hello, *BIG, "-o", tmp_path / "one.png")
    assert_one_line_error(result, 2, "pattern")
    assert files_in(tmp_path) == {"hello.txt"}


def test_one_page_png_on_stdout(run_cli, hello: Path) -> None:
    result = run_cli("render", hello, "--layout", "page", "--page", "400x60", "-o", "-")
    assert result.exit_code == 0, result.stderr
    image = Image.open(io.BytesIO(result.stdout_bytes))
    assert image.size == (400, 60)
    assert image.mode == "L"


def test_stdin_input_and_json_summary(run_cli, tmp_path: Path) -> None:
    result = run_cli("render", "-", "-o", tmp_path / "page.png", "--json", stdin="Hello from stdin")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    summary = document["records"][0]
    assert summary["input"] == "-"
    assert summary["outputs"] == [str(tmp_path / "page.png")]
    assert summary["pages"] == 1 and summary["chars"] == len("Hello from stdin")
    assert summary["missing_glyphs"] == 0
    assert summary["fonts"][0]["family"] == "DejaVu Sans"
    assert document["options"]["render"] == RenderConfig().to_dict()
    assert document["total"]["pages"] == 1


def test_default_output_names_follow_the_input(run_cli, tmp_path: Path, hello: Path) -> None:
    result = run_cli("render", hello.name, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["hello-0001.png"]
    result = run_cli("render", hello.name, *BIG, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    pages = sorted(p.name for p in tmp_path.glob("hello-*.png"))
    count = json.loads(result.stdout)["pages"]
    assert count > 1 and pages == [f"hello-{n:04d}.png" for n in range(1, count + 1)]


def test_several_inputs_render_into_one_folder_named_after_each(run_cli, tmp_path: Path, hello: Path) -> None:
    other = tmp_path / "other.md"
    other.write_text("Another text, in Markdown.", encoding="utf-8")
    result = run_cli(
        "render", hello, other, "A literal text", "-", "-o", tmp_path / "pages", "--json", stdin="Piped"
    )
    assert result.exception is None, result.traceback
    assert result.exit_code == 2 and "-o DIR/" in result.stderr  # no such folder, and no trailing slash
    (tmp_path / "pages").mkdir()
    result = run_cli(
        "render", hello, other, "A literal text", "-", "-o", tmp_path / "pages", "--json", stdin="Piped"
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert [r["input"] for r in document["records"]] == [str(hello), str(other), "text", "-"]
    assert files_in(tmp_path / "pages") == {
        "hello-0001.png",
        "other-0001.png",
        "text-0001.png",
        "stdin-0001.png",
    }
    assert document["total"] == {
        "inputs": 4,
        **{key: sum(r[key] for r in document["records"]) for key in ("pages", "chars", "lines", "glyphs")},
        "missing_glyphs": 0,
    }
    for record in document["records"]:
        (page,) = record["outputs"]
        assert Image.open(page).size == (record["width"], record["height"])
    twice = run_cli("render", "one", "two", "-o", f"{tmp_path}/twice/", "--jsonl")
    assert [json.loads(line)["outputs"] for line in twice.stdout.splitlines()] == [
        [f"{tmp_path}/twice/text-0001.png"],
        [f"{tmp_path}/twice/text-2-0001.png"],
    ]


def test_a_shorter_render_removes_the_stale_pages_and_says_so(run_cli, tmp_path: Path, hello: Path) -> None:
    long = run_cli("render", hello, *BIG, "-o", f"{tmp_path}/pages/", "--jsonl")
    count = json.loads(long.stdout)["pages"]
    (tmp_path / "pages" / "hellos-0009.png").write_bytes(b"another series")
    short = run_cli("render", hello, "-o", f"{tmp_path}/pages/", "--jsonl")
    assert short.exit_code == 0, short.stderr
    assert files_in(tmp_path / "pages") == {"hello-0001.png", "hellos-0009.png"}
    assert short.error_lines == [
        f"pixtok: warning: removed {count - 1} stale pages of an earlier render of hello "
        f"(hello-0002.png … hello-{count:04d}.png)"
    ]


def test_inputs_whose_names_meet_get_page_names_of_their_own(run_cli, tmp_path: Path) -> None:
    """Inputs x, x and x-2: the second x took x-2, and the third's pages once replaced its own."""
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
    (tmp_path / "a" / "x.txt").write_text("one", encoding="utf-8")
    (tmp_path / "b" / "x.txt").write_text("two", encoding="utf-8")
    (tmp_path / "c" / "x-2.txt").write_text("three", encoding="utf-8")
    args = ("render", "a/x.txt", "b/x.txt", "c/x-2.txt", "-o", "out/", "--jsonl")
    for _ in range(2):  # and again over the first run's pages: the same pages, nothing removed
        result = run_cli(*args, cwd=tmp_path)
        assert result.exit_code == 0 and result.error_lines == [], result.stderr
        outputs = [json.loads(line)["outputs"] for line in result.stdout.splitlines()]
        assert outputs == [["out/x-0001.png"], ["out/x-2-0001.png"], ["out/x-2-2-0001.png"]]
        assert files_in(tmp_path / "out") == {"x-0001.png", "x-2-0001.png", "x-2-2-0001.png"}


def test_an_input_named_as_a_stale_page_is_kept(run_cli, tmp_path: Path) -> None:
    """`render in.txt x.txt pages/in-0003.png -o pages/`: in-0003.png looks like a stale page of
    in.txt's, but it is an input of the run (read after in.txt was drawn)."""
    (tmp_path / "pages").mkdir()
    (tmp_path / "in.txt").write_text("hi", encoding="utf-8")
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    (tmp_path / "pages" / "in-0003.png").write_text("a text named as a page", encoding="utf-8")
    result = run_cli(
        "render", "in.txt", "x.txt", "pages/in-0003.png", "-o", "pages/", "--jsonl", cwd=tmp_path
    )
    assert result.exit_code == 0 and result.error_lines == [], result.stderr
    assert (tmp_path / "pages" / "in-0003.png").read_text(encoding="utf-8") == "a text named as a page"
    assert files_in(tmp_path / "pages") == {"in-0001.png", "x-0001.png", "in-0003.png", "in-0003-0001.png"}


def test_folder_pattern_npy_and_npz_outputs(run_cli, tmp_path: Path, hello: Path) -> None:
    common = BIG
    assert run_cli("render", hello, *common, "-o", f"{tmp_path}/pages/").exit_code == 0
    folder_pages = sorted((tmp_path / "pages").iterdir())
    assert [p.name for p in folder_pages][:2] == ["hello-0001.png", "hello-0002.png"]

    assert run_cli("render", hello, *common, "-o", tmp_path / "p{page:02d}.png").exit_code == 0
    assert (tmp_path / "p01.png").read_bytes() == folder_pages[0].read_bytes()

    assert run_cli("render", hello, *common, "-o", tmp_path / "pages.npy").exit_code == 0
    stack = np.load(tmp_path / "pages.npy")
    assert stack.shape == (len(folder_pages), 100, 100)
    assert np.array_equal(stack[0], np.asarray(Image.open(folder_pages[0])))

    assert run_cli("render", hello, *common, "-o", tmp_path / "pages.npz").exit_code == 0
    with np.load(tmp_path / "pages.npz") as npz:
        assert np.array_equal(npz["pages"], stack)
        boxes, offsets = npz["glyph_box"], npz["glyph_char_offset"]
        assert boxes.shape == (len(offsets), 4)
        text = hello.read_text(encoding="utf-8")
        assert set(text[o] for o in offsets) <= set(text)
        assert npz["line_char_span"][-1, 1] == len(text)


def test_bad_output_suffix(run_cli, tmp_path: Path, hello: Path) -> None:
    result = run_cli("render", hello, "-o", tmp_path / "page.jpg")
    assert_one_line_error(result, 2, ".jpg")
    assert not (tmp_path / "page.jpg").exists()


def test_fonts_lists_every_bundled_font(run_cli) -> None:
    result = run_cli("fonts", "--json")
    assert result.exit_code == 0, result.stderr
    families = {row["family"] for row in json.loads(result.stdout)["records"]}
    assert {"DejaVu Sans", "Noto Naskh Arabic", "Noto Sans CJK"} <= families


def test_fonts_coverage_names_the_missing_characters(run_cli, tmp_path: Path) -> None:
    source = tmp_path / "mixed.txt"
    # Tibetan and Egyptian hieroglyphs: no shipped font draws them (installed ones may: left out).
    source.write_text("abc 汉字 \u0f40\u0f40 \U00013000", encoding="utf-8")
    result = run_cli("fonts", source, "--json", "--no-system-fonts")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    report = document["total"]
    assert report["missing"] == {"U+0F40": 2, "U+13000": 1}
    assert report["missing_glyphs"] == 3
    drawn = {r["family"]: r["chars"] for r in document["records"]}
    assert drawn["DejaVu Sans"] == 3 and drawn["Noto Sans CJK"] == 2


def test_presets_carry_their_sources(run_cli) -> None:
    result = run_cli("presets", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["records"]}
    assert set(rows) == set(PRESETS)
    assert "arXiv" in rows["glyph"]["source"] and "arXiv" in rows["pixel"]["source"]
    assert rows["pixel"]["values"]["strip_patches"] == 529


def test_preset_and_a_partial_config_file_combine(run_cli, tmp_path: Path, hello: Path) -> None:
    config = tmp_path / "size.toml"
    config.write_text('size = "11pt"\n', encoding="utf-8")
    result = run_cli(
        "render", hello, "--preset", "glyph", "--config", config, "-o", tmp_path / "p.png", "--json"
    )
    assert result.exit_code == 0, result.stderr
    chosen = json.loads(result.stdout)["options"]["render"]
    assert (chosen["layout"], chosen["page"], chosen["size"]) == ("crop", "a4", "11pt")
