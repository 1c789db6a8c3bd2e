"""Encoder.views: the images each preset runs over add up to its count, and tiles cover the input.

Every preset is checked at the page sizes the processor references use (tests/reference) and at
a spread of other sizes: the views' tokens sum to `count().tokens`, every box lies inside the
input, every `content` inside its view, and the tiles of a tiled preset cover each input pixel
exactly once (no gap, no overlap).
"""

from __future__ import annotations

import numpy as np
import pytest

from pixtok.encoders import get_encoder, list_encoders

SIZES = [
    (595, 842), (1240, 1754), (612, 792), (1275, 1650), (1024, 1024), (1280, 720), (640, 480),
    (336, 336), (4000, 200), (200, 4000), (2000, 3000), (26, 31), (777, 333), (1500, 1501),
]  # fmt: skip
NAMES = [name for name in list_encoders() if name != "pixel"]  # PIXEL reads only its own strip
#: Presets whose tiles (kind "tile") cover the input exactly once whenever there are tiles.
TILED = {
    "internvl2.5", "internvl3", "deepseek-ocr-gundam", "gemma-3-pan-and-scan", "llama-3.2-vision",
    "llava-next", "idefics3", "smolvlm", "smolvlm2", "phi-4-multimodal", "gpt-4o", "gemini",
}  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_views_add_up_to_the_count_and_stay_inside(name):
    encoder = get_encoder(name)
    for width, height in SIZES:
        try:
            counted = encoder.count(width, height)
        except Exception:  # a size the preset refuses (Phi-4's extreme ratios) has no views either
            continue
        views = encoder.views(width, height)
        assert views, (name, width, height)
        assert sum(view.tokens for view in views) == counted.tokens, (name, width, height)
        for view in views:
            left, top, right, bottom = view.box
            assert 0 <= left <= right <= width and 0 <= top <= bottom <= height, (name, view)
            c_left, c_top, c_right, c_bottom = view.content
            assert 0 <= c_left <= c_right <= view.size[0] and 0 <= c_top <= c_bottom <= view.size[1], (
                name,
                view,
            )
            assert view.kind in ("image", "tile", "thumbnail", "global")


@pytest.mark.parametrize("name", sorted(TILED))
def test_tiles_cover_every_input_pixel_once(name):
    encoder = get_encoder(name)
    for width, height in SIZES:
        tiles = [view for view in encoder.views(width, height) if view.kind == "tile"]
        if not tiles:
            continue
        cover = np.zeros((height, width), dtype=np.int32)
        for view in tiles:
            left, top, right, bottom = view.box
            cover[top:bottom, left:right] += 1
        assert cover.min() == 1 and cover.max() == 1, (name, width, height)


def test_tile_counts_match_the_views():
    for name in TILED:
        encoder = get_encoder(name)
        counted = encoder.count(1240, 1754)
        assert len(encoder.views(1240, 1754)) == counted.tiles or name in ("gpt-4o", "gemini"), name


def test_pad_square_content_keeps_the_aspect_ratio():
    (view,) = get_encoder("deepseek-ocr-base").views(595, 842)
    left, top, right, bottom = view.content
    assert view.size == (1024, 1024) and (top, bottom) == (0, 1024)
    assert abs((right - left) / (bottom - top) - 595 / 842) < 0.01 and left == 1024 - right


def test_patch_padded_presets_show_where_the_image_ends():
    (view,) = get_encoder("pixtral").views(595, 842)
    assert view.size == (608, 848) and view.content == (0, 0, 595, 842)  # 38×53 patches of 16
    (view,) = get_encoder("qwen2.5-vl").views(595, 842)
    assert view.size == view.content[2:] == (588, 840)  # smart resize lands on whole patches


def test_gundam_views_are_the_global_view_then_tiles():
    views = get_encoder("deepseek-ocr-gundam").views(595, 842)
    assert [v.kind for v in views] == ["global"] + ["tile"] * 6
    assert [v.tokens for v in views] == [256] + [100] * 6
    assert get_encoder("deepseek-ocr-gundam").views(600, 600)[0].kind == "global"


def test_llama_tiles_show_the_canvas_padding():
    # 640×480 → a 2×1 canvas of 560-px tiles (1120×560); get_image_size_fit_to_canvas keeps the
    # width at 640 (clipped to [560, 1120]), so the image stays 640×480, padded right and below.
    views = get_encoder("llama-3.2-vision").views(640, 480)
    assert [v.tokens for v in views] == [1601, 1601]
    assert views[0].content == (0, 0, 560, 480) and views[1].content == (0, 0, 80, 480)
    assert views[0].box == (0, 0, 560, 480) and views[1].box == (560, 0, 640, 480)
