"""Patch grids: views, padding, overlap, blank masks and merges, checked against plain loops."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pixtok.errors import InputError, UsageError
from pixtok.patches import (
    conv_compress,
    draw_overlay,
    grid_shape,
    group_neighbours,
    patchify,
    pixel_shuffle,
    read_page,
    spatial_merge,
)


def reference_patches(page: np.ndarray, patch: int, stride: int, pad: str, background: int):
    """Patches and blank mask by the definition: one slice and one comparison per patch."""
    height, width = page.shape[:2]
    if pad == "none":
        starts_y = list(range(0, height - patch + 1, stride))
        starts_x = list(range(0, width - patch + 1, stride))
    else:
        starts_y = list(range(0, height - patch + stride, stride))  # the last start still reaches the edge
        starts_x = list(range(0, width - patch + stride, stride))
    fill = {"zero": 0, "background": background}.get(pad)
    patches, mask = [], []
    for y in starts_y:
        row, mask_row = [], []
        for x in starts_x:
            cut = np.empty((patch, patch, *page.shape[2:]), dtype=np.uint8)
            for dy in range(patch):
                for dx in range(patch):
                    yy, xx = y + dy, x + dx
                    if yy < height and xx < width:
                        cut[dy, dx] = page[yy, xx]
                    elif pad == "edge":
                        cut[dy, dx] = page[min(yy, height - 1), min(xx, width - 1)]
                    else:
                        cut[dy, dx] = fill
            row.append(cut)
            mask_row.append(bool((cut != background).any()))
        patches.append(row)
        mask.append(mask_row)
    return np.array(patches), np.array(mask, dtype=bool)


def text_like_page(rng: np.random.Generator, height: int, width: int, channels: int = 0) -> np.ndarray:
    """White paper with a few dark strokes, like lines of text."""
    shape = (height, width) if channels == 0 else (height, width, channels)
    page = np.full(shape, 255, dtype=np.uint8)
    for _ in range(int(rng.integers(0, 6))):
        y, x = int(rng.integers(0, height)), int(rng.integers(0, width))
        page[y : y + int(rng.integers(1, 4)), x : x + int(rng.integers(1, 12))] = rng.integers(0, 200)
    return page


@settings(max_examples=60, deadline=None)
@given(
    height=st.integers(4, 60),
    width=st.integers(4, 60),
    patch=st.one_of(st.integers(1, 9), st.sampled_from([16, 24])),  # multiples of 8 take a faster path
    stride_offset=st.integers(0, 8),
    pad=st.sampled_from(["none", "zero", "edge", "background"]),
    channels=st.sampled_from([0, 3]),
    seed=st.integers(0, 2**16),
)
def test_patchify_matches_per_patch_reference(height, width, patch, stride_offset, pad, channels, seed):
    patch = min(patch, height, width)
    stride = max(1, patch - stride_offset) if stride_offset < patch else None
    page = text_like_page(np.random.default_rng(seed), height, width, channels)
    grid = patchify(page, patch, stride=stride, pad=pad)
    expected, mask = reference_patches(page, patch, stride or patch, pad, 255)
    assert grid.patches.shape == expected.shape
    assert (
        (grid.rows, grid.cols)
        == expected.shape[:2]
        == grid_shape(height, width, patch, stride=stride, pad=pad)
    )
    np.testing.assert_array_equal(grid.patches, expected)
    np.testing.assert_array_equal(grid.nonblank, mask)
    assert grid.total == grid.rows * grid.cols
    assert grid.nonblank_count == int(mask.sum()) == grid.total - grid.blank_count


@pytest.mark.parametrize("background", [0, 128, 255])
def test_blank_means_every_pixel_equals_the_background(background):
    page = np.full((32, 32), background, dtype=np.uint8)
    page[3, 20] = background ^ 1  # one pixel off by one in the top-right patch
    grid = patchify(page, 16, background=background)
    assert grid.nonblank.tolist() == [[False, True], [False, False]]
    _, mask = reference_patches(page, 16, 16, "background", background)
    np.testing.assert_array_equal(grid.nonblank, mask)


def test_colour_paper_has_one_level_per_channel():
    cream = (250, 245, 230)
    page = np.empty((20, 40, 3), dtype=np.uint8)
    page[:] = cream
    page[5, 30] = (250, 245, 231)  # off in one channel only
    grid = patchify(page, 16, background=cream)
    assert grid.nonblank.tolist() == [[False, True, False], [False, False, False]]
    assert (grid.patches[1, 0, 4:, :] == cream).all()  # edge padding is the same paper
    with pytest.raises(UsageError, match="3 channel"):
        patchify(page, 16, background=(250, 245))


def test_grid_is_a_zero_copy_read_only_view_when_the_page_allows():
    page = np.full((64, 48, 3), 255, dtype=np.uint8)
    for pad in ("background", "none"):
        grid = patchify(page, 16, pad=pad)
        assert np.shares_memory(grid.patches, page)
        assert not grid.patches.flags.writeable
    cropped = patchify(np.full((70, 50), 255, np.uint8), 16, pad="none")
    assert cropped.patches.shape == (4, 3, 16, 16)
    overlapping = patchify(page, 16, stride=8)
    assert np.shares_memory(overlapping.patches, page) and overlapping.patches.shape == (7, 5, 16, 16, 3)
    padded = patchify(np.full((70, 50), 255, np.uint8), 16)
    assert padded.patches.shape == (5, 4, 16, 16) and not np.shares_memory(padded.patches, page)


def test_pad_modes_fill_the_partial_edge_patches():
    page = np.full((20, 20), 200, dtype=np.uint8)
    page[-1, :] = 7
    zero = patchify(page, 16, pad="zero")
    edge = patchify(page, 16, pad="edge")
    paper = patchify(page, 16, pad="background")
    assert zero.patches[1, 0, 4:, :].max() == 0
    assert (edge.patches[1, 0, 4:, :] == 7).all()
    assert (paper.patches[1, 1, 4:, 4:] == 255).all()
    assert zero.nonblank_count == 4  # the page's grey counts as ink against white paper


def test_real_rendered_page_counts_match_the_reference(corpus_text):
    import pixtok

    text = corpus_text("en_prose")[:3000]
    page = pixtok.render(text, pixtok.RenderConfig.from_preset("glyph")).pages[0]
    grid = patchify(page, 16)
    rows, cols = -(-page.shape[0] // 16), -(-page.shape[1] // 16)
    paper = np.full((rows * 16, cols * 16), 255, dtype=np.uint8)
    paper[: page.shape[0], : page.shape[1]] = page
    ink = (paper != 255).reshape(rows, 16, cols, 16).any(axis=(1, 3))
    np.testing.assert_array_equal(grid.nonblank, ink)
    # Prose leaves blank patches between lines and at line ends, but most patches carry ink.
    assert grid.total // 3 < grid.nonblank_count < grid.total


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patch": 0}, "positive"),
        ({"patch": -4}, "positive"),
        ({"patch": 33, "pad": "none"}, "larger than the 32×32 image"),
        ({"patch": 4, "stride": 0}, "positive"),
        ({"patch": 4, "pad": "mirror"}, "pad must be one of"),
        ({"patch": 4, "background": 300}, "background"),
        ({"patch": 4, "background": (255, 255)}, "channel"),
    ],
)
def test_bad_options_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        patchify(np.zeros((32, 32), np.uint8), **kwargs)


@pytest.mark.parametrize("pad", ["background", "zero", "edge"])
def test_a_page_smaller_than_a_patch_is_one_padded_patch(pad):
    """As a processor pads a small image: a 23x11 crop (a short word, no margin) is one row of
    two 16-px patches, whatever the padding, and its ink is where it was."""
    page = np.full((11, 23), 255, np.uint8)
    page[3:8, 18:21] = 0  # ink in the second patch only
    grid = patchify(page, 16, pad=pad)
    assert (grid.rows, grid.cols) == (1, 2) and grid.patches.shape == (1, 2, 16, 16)
    # Zero padding is black: it marks the first patch too, as a processor padding with zeros would.
    assert grid.nonblank.tolist() == ([[True, True]] if pad == "zero" else [[False, True]])
    assert np.array_equal(grid.patches[0, 1, 3:8, 2:5], page[3:8, 18:21])


def test_a_short_word_without_margins_is_compared(run_cli):
    result = run_cli("compare", "Hello", "--margin", "0", "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)["records"][0]
    assert record["patches"]["total"] == math.ceil(record["width"] / 16) * math.ceil(record["height"] / 16)


@pytest.mark.parametrize(
    "page",
    [np.zeros((8, 8), np.float32), np.zeros((0, 8), np.uint8), np.zeros((8, 8, 5), np.uint8), [[0, 1]]],
)
def test_pages_that_are_not_uint8_images_are_input_errors(page):
    with pytest.raises(InputError):
        patchify(page, 2)


def test_merges_give_the_published_token_grids():
    # Qwen2-VL: an A4 page at 72 dpi resized to 588×840 is 42×60 patches of 14 px → 21×30 tokens.
    assert spatial_merge(60, 42, 2) == (30, 21)
    assert spatial_merge(5, 7, 2) == (3, 4)
    # InternVL: a 448-px tile of 14-px patches (32×32) → 256 tokens.
    assert pixel_shuffle(32, 32, 0.5) == (16, 16)
    # DeepSeek-OCR: 512/640/1024/1280 px of 16-px patches → 64/100/256/400 tokens.
    assert [conv_compress(n, n, 4) for n in (32, 40, 64, 80)] == [(8, 8), (10, 10), (16, 16), (20, 20)]


@pytest.mark.parametrize("n", range(1, 70))
def test_conv_compress_is_two_stride2_convolutions(n):
    out = n
    for _ in range(2):  # Conv2d(kernel_size=3, stride=2, padding=1): ⌊(n + 2·1 − 3) / 2⌋ + 1
        out = (out + 2 * 1 - 3) // 2 + 1
    assert conv_compress(n, n + 1, 4)[0] == out
    assert conv_compress(n, n, 2) == (-(-n // 2),) * 2


def test_merge_arguments_are_checked():
    with pytest.raises(UsageError):
        conv_compress(64, 64, 3)
    with pytest.raises(UsageError):
        pixel_shuffle(32, 32, 0)
    with pytest.raises(UsageError):
        spatial_merge(4, 4, 0)


def test_group_neighbours_collects_each_k_by_k_block():
    page = np.arange(48 * 32, dtype=np.uint32).reshape(48, 32).astype(np.uint8)
    grid = patchify(page, 8)
    groups = group_neighbours(grid.patches, 2)
    assert groups.shape == (3, 2, 2, 2, 8, 8)
    np.testing.assert_array_equal(groups[1, 1, 1, 0], grid.patches[3, 2])
    with pytest.raises(UsageError):
        group_neighbours(patchify(page, 16).patches, 2)  # 3×2 patches do not split into 2×2 groups


def test_overlay_shades_blank_patches_and_draws_the_grid():
    page = np.full((32, 48), 255, dtype=np.uint8)
    page[20:24, 20:24] = 0
    grid = patchify(page, 16)
    picture = draw_overlay(page, grid)
    assert picture.shape == (32, 48, 3) and picture.dtype == np.uint8
    inside_blank, inside_ink = picture[8, 8], picture[22, 22]
    assert inside_blank.tolist() != [255, 255, 255] and inside_blank[2] > inside_blank[0]
    assert inside_ink.tolist() == [0, 0, 0]  # non-blank patches keep their pixels
    assert picture[16, 5, 0] > picture[16, 5, 1]  # a grid line is red
    assert picture[30, 30].tolist() == [255, 255, 255]  # the ink patch's paper is not shaded


def _encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def test_read_page_decodes_png_jpeg_and_lays_transparency_on_white(tmp_path):
    rgba = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    rgba.putpixel((3, 4), (0, 0, 0, 255))
    (tmp_path / "a.png").write_bytes(_encoded(rgba, "PNG"))
    grey = read_page(tmp_path / "a.png")
    assert grey.shape == (10, 20) and grey[0, 0] == 255 and grey[4, 3] == 0
    (tmp_path / "b.jpg").write_bytes(_encoded(Image.new("RGB", (16, 8), (10, 200, 30)), "JPEG"))
    colour = read_page(tmp_path / "b.jpg", rgb=True)
    assert colour.shape == (8, 16, 3) and abs(int(colour[0, 0, 1]) - 200) < 8
    (tmp_path / "c.png").write_text("not an image")
    with pytest.raises(InputError, match="not a readable image"):
        read_page(tmp_path / "c.png")
    with pytest.raises(InputError, match="no such file"):
        read_page(tmp_path / "missing.png")
