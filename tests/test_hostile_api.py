"""Hostile arguments to the public Python API are pixtok errors naming what is wrong.

Each case here once escaped as a bare ValueError, TypeError, OverflowError, AxisError or
MemoryError from numpy, subprocess or the file system, or was silently accepted; valid
neighbours of each are checked to still work.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import pixtok
from pixtok import (
    CompareOptions,
    InputError,
    LimitError,
    PixtokError,
    RenderConfig,
    UsageError,
    compare_text,
    get_encoder,
    limits,
    load_encoders,
    patchify,
    register_encoder,
    render,
    summarize,
)
from pixtok.patches import _nonblank_windows, _patches, blank_mask, grid_shape, pixel_shuffle


@pytest.fixture(scope="module")
def result() -> pixtok.RenderResult:
    return render("Hello, world. " * 300)


# -- render options ------------------------------------------------------------------------------


@pytest.mark.parametrize("font", ["\x00", "Noto\x00Sans", "\ud800", ["DejaVu Sans", "x\udfff"]])
def test_a_font_name_with_a_nul_or_a_surrogate_is_a_usage_error(font) -> None:
    with pytest.raises(UsageError, match=r"--font cannot hold a (NUL character|lone surrogate)"):
        RenderConfig(fonts=font)


def test_a_long_newline_marker_is_refused_and_a_short_one_renders() -> None:
    with pytest.raises(UsageError, match="newline marker must be at most 64 characters, not 100,000"):
        RenderConfig(newlines="marker", newline_marker="x" * 100_000)
    pages = render("a\nb", RenderConfig(newlines="marker", newline_marker="<br>" * 16)).pages
    assert pages and pages[0].size


# -- patchify ------------------------------------------------------------------------------------


def _page(height: int = 64, width: int = 48) -> np.ndarray:
    page = np.full((height, width), 255, np.uint8)
    page[10, 10] = 0
    return page


def _reference(page: np.ndarray, patch: int, stride: int, pad: str, background) -> np.ndarray:
    """The blank mask by the 4-D patch view, as patchify computed it before."""
    rows, cols = grid_shape(page.shape[0], page.shape[1], patch, stride=stride, pad=pad)
    return blank_mask(_patches(page, rows, cols, patch, stride, pad, background), background)


@pytest.mark.parametrize("order", ["F", "reversed"])
def test_a_long_stride_that_pads_one_axis_and_crops_the_other(order: str) -> None:
    """A 40x30 page, 4-px patches every 7 px: rows end inside the page (the last covers rows
    35-38), columns past it (the last covers 28-31, two of them padding). One inked pixel: at the
    bottom right corner (row 39, in no patch) or, reversed, the top left (in patch 0, 0)."""
    page = np.full((40, 30), 255, np.uint8)
    page[39, 29] = 0
    page = np.asfortranarray(page) if order == "F" else page[::-1, ::-1]
    for pad in ("edge", "zero", "background"):
        grid = patchify(page, 4, stride=7, pad=pad)
        assert grid.patches.shape == (6, 5, 4, 4)
        expected = np.zeros((6, 5), dtype=bool)
        if order == "reversed":
            expected[0, 0] = True
        if pad == "zero":
            expected[:, 4] = True  # black padding on white paper is ink
        assert np.array_equal(grid.nonblank, expected), pad


def test_overlapping_patches_of_a_large_page_need_no_patch_sized_copies() -> None:
    """Stride 1 on a 2000x2000 page: rows x cols x patch values would be 240 MB (1 GB at
    4000x4000); the mask is made from prefix sums instead, and equals the 4-D reduction's."""
    page = np.full((2000, 2000), 255, np.uint8)
    page[1000, 500] = 0
    grid = patchify(page, 64, stride=1, pad="edge")
    assert (grid.rows, grid.cols) == (1937, 1937)
    assert grid.nonblank_count == 64 * 64
    rng = np.random.default_rng(7)
    for shape in ((37, 29, 3), (23, 41)):
        small = np.where(rng.random(shape) < 0.01, 0, 250).astype(np.uint8)
        level = (250, 250, 250) if len(shape) == 3 else 250
        for pad, stride in (("zero", 3), ("edge", 5), ("background", 1), ("none", 2), ("edge", 9)):
            rows, cols = grid_shape(shape[0], shape[1], 6, stride=stride, pad=pad)
            got = _nonblank_windows(small, rows, cols, 6, stride, pad, level)
            assert np.array_equal(got, _reference(small, 6, stride, pad, level))
            grid = patchify(small, 6, stride=stride, pad=pad, background=level)
            assert np.array_equal(grid.nonblank, got)


def test_a_broadcast_page_of_a_huge_declared_size_is_over_the_image_pixels_limit() -> None:
    page = np.broadcast_to(np.zeros((1, 1), np.uint8), (100_000, 100_000))
    with pytest.raises(LimitError, match="image-pixels limit") as caught:
        patchify(page)
    assert "--limit image-pixels=10000000000" in str(caught.value)
    with limits.using(image_pixels=1000), pytest.raises(LimitError, match="a page of 3,072 pixels"):
        patchify(_page())
    assert patchify(_page()).nonblank_count == 1


@pytest.mark.parametrize("kind", ["matrix", "masked"])
def test_array_subclasses_are_read_as_their_values(kind: str) -> None:
    page = _page().view(np.matrix) if kind == "matrix" else np.ma.masked_array(_page())
    grid = patchify(page, 1)
    assert grid.patches.shape == (64, 48, 1, 1)
    assert grid.nonblank_count == 1


@pytest.mark.parametrize(
    ("options", "error", "phrase"),
    [
        ({"patch": np.uint64(2**64 - 1)}, LimitError, "padded page"),
        ({"patch": 2**63}, LimitError, "padded page"),
        ({"patch": np.int64(-16)}, UsageError, "patch size must be a positive"),
        ({"stride": np.int8(-1)}, UsageError, "stride must be a positive"),
        ({"pad": ["none"]}, UsageError, "pad must be one of"),
    ],
)
def test_patchify_numbers_are_checked_as_python_ints(options: dict, error: type, phrase: str) -> None:
    with pytest.raises(error, match=phrase):
        patchify(_page(), **options)
    assert patchify(_page(), np.uint64(16)).patch == 16


def test_patch_helpers_refuse_what_is_not_a_number() -> None:
    with pytest.raises(UsageError, match="page height"):
        grid_shape(None, 5, 2)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="pixel shuffle factor"):
        pixel_shuffle(4, 4, "0.5")  # type: ignore[arg-type]
    assert pixel_shuffle(32, 32, 0.5) == (16, 16)


# -- RenderResult methods --------------------------------------------------------------------


@pytest.mark.parametrize("page", [-1, 10**9, 2**63, 1.5, math.nan, None, "0", True, np.array([0, 1])])
def test_page_char_span_of_a_page_that_is_not_there(result, page) -> None:
    with pytest.raises(UsageError, match="page must be a page number from 0 to 0"):
        result.page_char_span(page)
    assert result.page_char_span(0) == result.page_char_span(np.int64(0)) == (0, 4200)


@pytest.mark.parametrize("drawn", [False, True])
def test_inked_patches_refuses_alike_whether_pages_are_drawn(drawn: bool) -> None:
    fresh = render("Hello, world. " * 300)
    if drawn:
        _ = fresh.pages
    for patch in (0, -16, 16.0, None, "16", True):
        with pytest.raises(UsageError, match="patch size must be a positive whole number"):
            fresh.inked_patches(patch)  # type: ignore[arg-type]
    for patch in (10**9, 2**63, np.uint64(2**64 - 1)):
        with pytest.raises(LimitError, match="padded page"):
            fresh.inked_patches(patch)  # type: ignore[arg-type]
    masks = fresh.inked_patches(np.int64(16))
    assert [m.shape for m in masks] == [(22, 37)]
    assert np.array_equal(masks[0], patchify(fresh.pages[0], 16).nonblank)


# -- compare ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [5, b"name", ["a"]])
def test_a_record_name_must_be_text(name) -> None:
    with pytest.raises(UsageError, match="name must be a str or None"):
        compare_text("Hello", CompareOptions(encoders="qwen2.5-vl", tokenizers="cl100k"), name=name)
    record = compare_text("Hello", CompareOptions(encoders="qwen2.5-vl", tokenizers="cl100k"), name="n")
    assert record["input"] == "n"
    with pytest.raises(UsageError, match="summarize\\(\\): name must be a str"):
        summarize([record], name=name)
    assert summarize([record], name="all")["input"] == "all"


# -- encoders --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "preset",
    ["qwen2.5-vl", "internvl2.5", "deepseek-ocr-base", "pixtral", "idefics3", "gpt-4o", "claude", "gemini"],
)
def test_an_image_side_beyond_two_to_the_31_is_a_usage_error(preset: str) -> None:
    encoder = get_encoder(preset)
    for side in (10**24, np.uint64(2**64 - 1), 2**31 + 1):
        with pytest.raises(UsageError, match="image width must be at most 2,147,483,648"):
            encoder.count(side, 1)
        with pytest.raises(UsageError, match="image width must be at most"):
            encoder.views(side, 1)
    assert encoder.count(2**31, 2**31).tokens > 0


_BASE = {"patch": 14, "source": "test"}


@pytest.mark.parametrize(
    ("changes", "phrase"),
    [
        ({"merge": {"kind": "spatial", "factor": math.nan}}, "merge factor must be a number above 0"),
        ({"merge": {"kind": "spatial", "factor": math.inf}}, "merge factor"),
        ({"merge": {"kind": "spatial", "factor": 10**400}}, "merge factor .* not a whole number of"),
        ({"merge": {"kind": "spatial", "factor": "2"}}, "merge factor"),
        ({"merge": {"kind": "spatial", "factor": None}}, "merge factor"),
        ({"merge": {"kind": "pixel-shuffle", "factor": "0.5"}}, "merge factor"),
        ({"patch": 2**63}, "patch must be at most 2,147,483,648"),
        ({"resize": "fixed", "size": 10**12}, "size must be at most"),
        ({"resize": "max-patches", "max_patches": 2**63}, "max_patches must be at most"),
        ({"cls_tokens": 2**63}, "cls_tokens must be a whole number from 0"),
        ({"formula": 5}, "formula is one line of text"),
    ],
)
def test_register_encoder_refuses_hostile_numbers(changes: dict, phrase: str) -> None:
    with pytest.raises(UsageError, match=phrase):
        register_encoder({"name": "hostile-test", **_BASE, **changes})
    with pytest.raises(UsageError, match="unknown encoder"):
        get_encoder("hostile-test")


def test_numpy_numbers_in_an_encoder_spec_are_numbers() -> None:
    spec = {
        "name": "hostile-numpy",
        **_BASE,
        "patch": np.int64(14),
        "merge": {"kind": "spatial", "factor": np.int64(2)},
    }
    encoder = register_encoder(spec)
    assert encoder.count(448, 448).tokens == 256
    assert register_encoder(spec) is encoder  # an equal preset again is a no-op


@pytest.mark.parametrize("path", [None, 5, b"/x.toml", "\x00.toml", "\ud800.toml"])
def test_load_encoders_wants_a_path(path) -> None:
    with pytest.raises(UsageError, match="encoder file"):
        load_encoders(path)  # type: ignore[arg-type]


def test_replace_must_be_a_flag() -> None:
    with pytest.raises(UsageError, match="replace must be True or False"):
        register_encoder({"name": "hostile-flag", **_BASE}, replace="no")  # type: ignore[arg-type]


def test_every_refusal_here_is_one_line() -> None:
    """Spot check of the messages above: one line each, and a pixtok error."""
    calls = [
        lambda: RenderConfig(fonts="\x00"),
        lambda: patchify(np.broadcast_to(np.zeros((1, 1), np.uint8), (100_000, 100_000))),
        lambda: get_encoder("qwen2.5-vl").count(10**24, 1),
        lambda: register_encoder(
            {"name": "hostile-line", **_BASE, "merge": {"kind": "conv", "factor": math.nan}}
        ),
    ]
    for call in calls:
        with pytest.raises(PixtokError) as caught:
            call()
        assert "\n" not in str(caught.value).strip()
        assert not isinstance(caught.value, InputError) or isinstance(caught.value, LimitError)


@pytest.mark.parametrize(
    ("name", "phrase"), [("a\x00b.txt", "NUL character"), ("\ud800.txt", "lone surrogate")]
)
def test_a_path_no_file_can_have_is_a_usage_error_for_reading_and_writing(name: str, phrase: str) -> None:
    from pixtok.io import output_target, read_text

    with pytest.raises(UsageError, match=f"a file path cannot hold a {phrase}"):
        read_text(name)
    with pytest.raises(UsageError, match=f"an output path cannot hold a {phrase}"):
        output_target(name)


def test_a_file_name_that_is_not_utf8_is_still_a_path(tmp_path) -> None:
    """The file system's own escapes for undecodable bytes (U+DC80-U+DCFF) name real files."""
    from pixtok.io import read_text

    path = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"\xff.txt"))
    assert "\udcff" in path
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("text")
    assert read_text(path) == "text"


def test_the_patch_helpers_refuse_what_is_not_patches() -> None:
    from pixtok.patches import draw_overlay, group_neighbours

    page = np.full((64, 64), 255, np.uint8)
    page[3, 3] = 0
    grid = patchify(page, 16)
    for call in (
        lambda: blank_mask(None),  # type: ignore[arg-type]
        lambda: blank_mask(np.zeros((2, 2), np.uint8)),
        lambda: group_neighbours(grid.patches.astype(np.float32)),
    ):
        with pytest.raises(UsageError, match=r"patches must be a uint8 array \(rows, cols, p, p\[, C\]\)"):
            call()
    with pytest.raises(UsageError, match="grid must be the PatchGrid"):
        draw_overlay(page, None)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="shade must be a number from 0 to 1, not nan"):
        draw_overlay(page, grid, shade=float("nan"))
    assert group_neighbours(grid.patches).shape == (2, 2, 2, 2, 16, 16)
    assert int(blank_mask(grid.patches).sum()) == 1
    assert draw_overlay(page, grid).shape == (64, 64, 3)


@pytest.mark.parametrize(
    "call",
    [
        lambda: patchify(np.zeros((8, 8), np.uint8), -(10**5000)),
        lambda: grid_shape(-(10**5000), 4, 2),
        lambda: pixel_shuffle(4, 4, -(10**5000)),
        lambda: register_encoder({"name": "huge-flag", **_BASE}, replace=10**5000),  # type: ignore[arg-type]
    ],
    ids=["patchify", "grid_shape", "pixel_shuffle", "register_encoder"],
)
def test_a_number_too_long_to_print_is_described_in_the_message(call) -> None:
    """Python refuses to print an int of more than 4300 digits (a bare ValueError)."""
    with pytest.raises(UsageError, match="not a whole number of about 5001 digits"):
        call()
