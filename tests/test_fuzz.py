"""Generated hostile input thrown at render, compare and patchify, through the API and the CLI.

Texts mix any code points with combining marks, C0/C1 controls, bidi controls, joiners, lone
surrogates (as Python holds undecodable bytes) and huge repeats; configs mix valid, extreme and
wrongly typed values. The properties: the API returns a valid result or raises a PixtokError;
the CLI exits 0 with valid output, or exits 1 or 2 with one `pixtok: error:` line and no
traceback, leaving no output and no temporary file behind.

Example counts are bounded by the `pixtok-fuzz` profile so the module runs in well under a minute
of CI; on CI (`CI` set) the examples are derandomized, so a failure there reproduces exactly.

The crashes it found (line breaking, the glyph atlas, the font lookup, bidi isolates) are tests
of their fixes below.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import pixtok
from pixtok.compare import CompareOptions, compare_text
from pixtok.errors import PixtokError
from pixtok.patches import grid_shape, patchify

#: Examples per property; PIXTOK_FUZZ_EXAMPLES raises it for a deeper run by hand.
EXAMPLES = int(os.environ.get("PIXTOK_FUZZ_EXAMPLES", "40"))
settings.register_profile(
    "pixtok-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
    database=None,
)
FUZZ = settings.get_profile("pixtok-fuzz")
FEW = settings(FUZZ, max_examples=max(1, EXAMPLES // 2))

# -- strategies ----------------------------------------------------------------------------------

MARKS = st.characters(min_codepoint=0x300, max_codepoint=0x36F)
CONTROLS = st.sampled_from([chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]])
BIDI = st.sampled_from(list("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
JOINERS = st.sampled_from(list("\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f"))
SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
ANY = st.characters(exclude_categories=())
SCRIPTS = st.sampled_from(
    ["Hello, world. ", "مرحبا بالعالم ", "שלום ", "你好，世界。", "สวัสดีชาวโลก ", "नमस्ते "]
)


@st.composite
def hostile_texts(draw: st.DrawFn) -> str:
    pieces = draw(
        st.lists(
            st.one_of(
                st.text(ANY, max_size=20),
                st.text(MARKS, min_size=1, max_size=40),
                st.text(CONTROLS, min_size=1, max_size=5),
                st.text(BIDI, min_size=1, max_size=5),
                st.text(JOINERS, min_size=1, max_size=5),
                st.text(SURROGATES, min_size=1, max_size=2),
                SCRIPTS,
                st.builds(lambda c, n: c * n, st.sampled_from(["W", "a", "\u0301", " ", "\n", "ก้"]),
                          st.integers(100, 3000)),
            ),
            max_size=6,
        )
    )  # fmt: skip
    return "".join(pieces)


LENGTHS = st.sampled_from(
    ["0", "0px", "1px", "16px", "9pt", "60px", "511.99px", "-5px", "-1px", "abc", "1e9px"]
)
CONFIG_VALUES = {
    "layout": st.sampled_from(["page", "strip", "fit", "crop", "bogus", 3]),
    "page": st.sampled_from(
        ["200x100", "10x30", "a4", "64", "1300x1300", "0x0", "-100x100", "100000x100000", 5]
    ),
    "size": st.sampled_from(["6px", "16px", "9pt", "200px", "1200px", "2048px", "-3px", "0px", None, 16.5]),
    "margin": st.one_of(LENGTHS, st.just([1, 2])),
    "letter_spacing": LENGTHS,
    "indent": LENGTHS,
    "line_height": st.sampled_from(["1.2", "0.5", "10pt", "0", "-1", "abc"]),
    "align": st.sampled_from(["start", "left", "right", "center", "justify", "middle"]),
    "hscale": st.sampled_from([0.5, 1.0, 1, "wide", 0, float("nan")]),
    "tab_size": st.sampled_from([4, 1, 0, "four", True]),
    "strip_height": st.sampled_from([16, 1, 16.5, 0]),
    "fonts": st.sampled_from([[], ["DejaVu Sans"], 5, ["-v"], "nosuchfontfile.ttf"]),
    "newlines": st.sampled_from(["keep", "space", "marker", "drop"]),
    "color_mode": st.sampled_from(["L", "RGB", "1", "CMYK"]),
    "dpi": st.sampled_from([72, 144.0, 0, True, "high"]),
}
CONFIGS = st.fixed_dictionaries({}, optional=CONFIG_VALUES)


def make_config(values: dict) -> pixtok.RenderConfig | None:
    """The config, or None when building it is refused (with a PixtokError: never anything else)."""
    try:
        return pixtok.RenderConfig.from_dict(values)
    except PixtokError:
        return None


# -- the API -------------------------------------------------------------------------------------


@FUZZ
@given(text=hostile_texts(), values=CONFIGS)
def test_render_api_gives_pages_or_a_pixtok_error(text: str, values: dict) -> None:
    config = make_config(values)
    if config is None:
        return
    try:
        result = pixtok.render(text, config)
    except PixtokError as exc:
        assert str(exc) and "\n" not in str(exc).strip()
        return
    assert result.page_count == len(result.pages) >= 1
    for page in result.pages:
        assert page.dtype == np.uint8 and page.ndim in (2, 3) and min(page.shape[:2]) >= 1


@FEW
@given(text=hostile_texts())
def test_compare_api_gives_a_record_or_a_pixtok_error(text: str) -> None:
    try:
        record = compare_text(text, CompareOptions(tokenizers=("cl100k",), encoders=("qwen2.5-vl",)))
    except PixtokError:
        return
    assert record["chars"] == len(text)
    json.dumps(record, ensure_ascii=False).encode("utf-8")  # a record is always valid UTF-8 JSON


@FUZZ
@given(
    height=st.integers(1, 80),
    width=st.integers(1, 80),
    channels=st.sampled_from([None, 3, 4, 1]),
    patch=st.one_of(st.integers(-2, 40), st.sampled_from([1.5, "16", True])),
    stride=st.one_of(st.none(), st.integers(-1, 20)),
    pad=st.sampled_from(["background", "zero", "edge", "none", "bogus"]),
    background=st.sampled_from([255, 0, 300, (250, 245, 230), (1, 2), "white"]),
)
def test_patchify_api_gives_the_formula_grid_or_a_pixtok_error(
    height, width, channels, patch, stride, pad, background
) -> None:
    shape = (height, width) if channels is None else (height, width, channels)
    page = np.random.default_rng(height * 97 + width).integers(0, 256, shape, dtype=np.uint8)
    try:
        grid = patchify(page, patch, stride=stride, pad=pad, background=background)
    except PixtokError:
        return
    assert (grid.rows, grid.cols) == grid_shape(height, width, patch, stride=stride, pad=pad)
    assert grid.total == grid.rows * grid.cols and 0 <= grid.nonblank_count <= grid.total


# -- the CLI -------------------------------------------------------------------------------------


def check_cli(result, folder: Path, outputs: list[Path]) -> None:
    """Exit 0 with every output written, or 1/2 with one error line and nothing left behind."""
    assert result.exception is None, result.traceback
    assert "Traceback" not in result.stderr
    errors = [line for line in result.error_lines if not line.startswith("pixtok: warning: ")]
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith((".part", ".lock"))]
    assert not leftovers, leftovers
    if result.exit_code == 0:
        assert errors == [], result.stderr
        return
    assert result.exit_code in (1, 2), (result.exit_code, result.stderr)
    assert len(errors) == 1 and errors[0].startswith("pixtok: error: "), result.stderr
    for output in outputs:
        assert not output.exists() or output.stat().st_size > 0


def write_input(folder: Path, text: str) -> Path:
    """The text as a file, lone surrogates written as the bytes they stand for (invalid UTF-8)."""
    path = folder / "input.txt"
    path.write_bytes(
        text.encode("utf-8", "surrogateescape") if _escapable(text) else text.encode("utf-8", "surrogatepass")
    )
    return path


def _escapable(text: str) -> bool:
    try:
        text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True


def write_config(folder: Path, values: dict) -> Path:
    path = folder / "config.json"
    path.write_text(json.dumps(values, allow_nan=True), encoding="utf-8")
    return path


@FEW
@given(
    text=hostile_texts(),
    values=CONFIGS,
    replace=st.booleans(),
    out=st.sampled_from(["p.png", "pages/", "p-{page:03d}.png", "p.npz"]),
)
def test_render_cli(run_cli, tmp_path_factory, text: str, values: dict, replace: bool, out: str) -> None:
    folder = tmp_path_factory.mktemp("render")
    source, config = write_input(folder, text), write_config(folder, values)
    args = [
        "render",
        source,
        "--config",
        config,
        "-o",
        out,
        "--json",
        *(["--errors", "replace"] if replace else []),
    ]
    result = run_cli(*args, cwd=folder)
    check_cli(result, folder, [folder / "p.png", folder / "p.npz"])
    if result.exit_code == 0:
        summary = json.loads(result.stdout)
        for name in summary["outputs"]:
            path = folder / name
            if name.endswith(".png"):
                with Image.open(path) as image:
                    image.verify()
            else:
                with np.load(path) as archive:
                    assert archive["pages"].shape[0] == summary["pages"]


@FEW
@given(texts=st.lists(hostile_texts(), min_size=1, max_size=3), resume=st.booleans())
def test_compare_cli_over_jsonl(run_cli, tmp_path_factory, texts: list[str], resume: bool) -> None:
    """Texts as JSON Lines (where lone surrogates arrive as \\ud800 escapes)."""
    folder = tmp_path_factory.mktemp("compare")
    corpus = folder / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)), "utf-8")
    out = folder / "records.jsonl"
    args = ["compare", corpus, "--id-field", "id", "-t", "cl100k", "-e", "qwen2.5-vl", "-o", out, "-q",
            "--engine", "serial"]  # fmt: skip
    result = run_cli(*args)
    check_cli(result, folder, [out])
    if result.exception is None and out.exists():
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [r["input"] for r in records] == [str(i) for i in range(len(texts))]
        assert (result.exit_code == 1) == any("error" in r for r in records)
        if resume:
            again = run_cli(*args, "--resume")
            assert again.exit_code == result.exit_code
            assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == records


def png_bytes_of(kind: str, size: tuple[int, int]) -> bytes:
    if kind == "garbage":
        return bytes(range(256)) * 3
    buffer = io.BytesIO()
    mode = {"grey": "L", "rgba": "RGBA", "palette": "P", "bits": "1"}[kind.removesuffix("-truncated")]
    Image.new(mode, size, 0).save(buffer, format="PNG")
    data = buffer.getvalue()
    return data[: len(data) // 2] if kind.endswith("-truncated") else data


@FEW
@given(
    kind=st.sampled_from(["grey", "rgba", "palette", "bits", "grey-truncated", "garbage"]),
    size=st.tuples(st.integers(1, 64), st.integers(1, 64)),
    patch=st.sampled_from(["16", "1", "0", "-4", "100"]),
    stride=st.sampled_from([None, "1", "0", "7"]),
    npy=st.booleans(),
)
def test_patchify_cli(run_cli, tmp_path_factory, kind: str, size, patch: str, stride, npy: bool) -> None:
    folder = tmp_path_factory.mktemp("patchify")
    image = folder / "image.png"
    image.write_bytes(png_bytes_of(kind, size))
    out = folder / "patches.npy"
    args = ["patchify", image, "--patch", patch, "--json", *(["--stride", stride] if stride else []),
            *(["--npy", out] if npy else [])]  # fmt: skip
    result = run_cli(*args)
    check_cli(result, folder, [out])
    if result.exit_code == 0 and npy:
        patches = np.load(out)
        assert patches.shape[2:4] == (int(patch), int(patch))


# -- crashes the fuzzing found in the engine and the font lookup ------------------------------------


def test_a_cluster_wider_than_the_text_area_is_placed() -> None:
    config = pixtok.RenderConfig(size="1200px", page="1300x1300", margin="0")
    result = pixtok.render("ก้้้้้้้้้้้้้้้", config)
    assert result.page_count >= 1 and result.pages[0].shape == (1300, 1300)


def test_a_text_of_one_control_character_renders() -> None:
    # A config of its own, so that the renderer (cached per config) starts with an empty atlas.
    result = pixtok.render("\x7f", pixtok.RenderConfig(page="321x123", size="13px"))
    assert result.page_count == 1


def test_a_font_name_that_looks_like_an_option_is_a_font_error() -> None:
    with pytest.raises(PixtokError, match="-v"):
        pixtok.render("hi", pixtok.RenderConfig(fonts=("-v",)))


def test_a_lone_surrogate_next_to_right_to_left_text_renders() -> None:
    assert pixtok.render("\u202e\udb57").page_count == 1


def test_bidi_isolates_render_in_the_right_order() -> None:
    """Isolates (LRI/RLI/FSI/PDI) resolve through the full bidi algorithm: the Hebrew inside an RLI
    is drawn right to left, the Latin around it left to right."""
    result = pixtok.render(
        "abc \u2067\u05d0\u05d1\u2069 def", pixtok.RenderConfig(page="400x60", margin="4px")
    )
    glyphs = result.glyphs
    inked = np.flatnonzero(glyphs.x1 > glyphs.x0)
    order = inked[np.argsort(glyphs.x0[inked], kind="stable")]
    assert [int(c) for c in glyphs.char_offset[order]] == [0, 1, 2, 6, 5, 9, 10, 11]
