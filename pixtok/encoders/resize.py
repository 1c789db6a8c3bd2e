"""Resize arithmetic of published image processors, reproduced to the pixel.

Each function mirrors one processor's integer/float steps (including Python's rounding), because a
one-pixel difference moves a side across a patch boundary and changes the token count. Sizes go in
and out as they do in the source being mirrored; the source is named on each function.
"""

from __future__ import annotations

import math
from typing import Literal

from pixtok.errors import UsageError

SmartVariant = Literal["qwen2-vl", "glm-4.1v"]


def smart_resize(
    height: int,
    width: int,
    *,
    factor: int = 28,
    min_pixels: int,
    max_pixels: int,
    variant: SmartVariant = "qwen2-vl",
    temporal_factor: int = 2,
) -> tuple[int, int]:
    """Qwen2-VL's "smart resize": sides rounded to multiples of `factor`, pixels kept in a budget.

    Returns (height, width), as the sources do.

    - variant "qwen2-vl": transformers `models/qwen2_vl/image_processing_qwen2_vl.py::smart_resize`
      (also used by Qwen2.5-VL): sides must be ≥ factor and the aspect ratio ≤ 200; round each side
      to the nearest multiple of `factor`; if the product exceeds `max_pixels`, scale by
      β = √(h·w / max_pixels) and floor to multiples; if below `min_pixels`, scale by
      β = √(min_pixels / (h·w)) and ceil.
    - variant "glm-4.1v": transformers `models/glm4v/image_processing_glm4v.py::smart_resize`: the
      same, but the budget is compared against t·h·w with t = `temporal_factor` frames (an image
      is 2 identical frames, so an image gets half the pixel budget), small sides are first scaled
      up to `factor`, and the downscaled sides never drop below `factor`.
    """
    if variant not in ("qwen2-vl", "glm-4.1v"):
        raise UsageError(f"smart resize variant must be 'qwen2-vl' or 'glm-4.1v', not {variant!r}")
    frames = 1
    if variant == "glm-4.1v":
        frames = temporal_factor
        if height < factor or width < factor:
            scale = max(factor / height, factor / width)
            height, width = int(height * scale), int(width * scale)
    elif height < factor or width < factor:
        raise UsageError(
            f"a {width}×{height} image is too small for this processor: sides must be ≥ {factor} px"
        )
    if max(height, width) / min(height, width) > 200:
        raise UsageError(f"a {width}×{height} image is too elongated: the aspect ratio must be at most 200")
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    t_bar = round(frames / temporal_factor) * temporal_factor if variant == "glm-4.1v" else 1
    if t_bar * h_bar * w_bar > max_pixels:
        beta = math.sqrt((frames * height * width) / max_pixels)
        h_bar = math.floor(height / beta / factor) * factor
        w_bar = math.floor(width / beta / factor) * factor
        if variant == "glm-4.1v":
            h_bar, w_bar = max(factor, h_bar), max(factor, w_bar)
    elif t_bar * h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (frames * height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def fit_within(
    width: int, height: int, max_width: int, max_height: int, *, rounding: Literal["round", "floor"]
) -> tuple[int, int]:
    """Shrink (never enlarge) width×height to fit a max_width×max_height box, keeping the aspect ratio.

    Returns (width, height). Two published roundings:

    - "round": mistral-common `ImageEncoder._image_to_num_tokens` (tokens/tokenizers/image.py, the
      Pixtral reference): ratio = max(h/max_h, w/max_w); if ratio > 1, each side becomes
      max(round(side / ratio), 1).
    - "floor": transformers `FuyuImageProcessor.resize`: if either side exceeds the box, scale by
      min(max_h/h, max_w/w) and truncate each side with int().
    """
    if rounding == "round":
        ratio = max(height / max_height, width / max_width)
        if ratio > 1:
            return max(round(width / ratio), 1), max(round(height / ratio), 1)
        return width, height
    if rounding == "floor":
        if width <= max_width and height <= max_height:
            return width, height
        scale = min(max_height / height, max_width / width)
        return max(int(width * scale), 1), max(int(height * scale), 1)
    raise UsageError(f"rounding must be 'round' or 'floor', not {rounding!r}")


def max_patches_grid(width: int, height: int, patch: int, max_patches: int) -> tuple[int, int]:
    """Pix2Struct's aspect-preserving scale so that rows·cols ≤ max_patches; returns (rows, cols).

    Source: transformers `Pix2StructImageProcessor.extract_flattened_patches`
    (models/pix2struct/image_processing_pix2struct.py): scale = √(max_patches·(p/h)·(p/w)),
    rows = max(min(⌊scale·h/p⌋, max_patches), 1), cols likewise.
    """
    scale = math.sqrt(max_patches * (patch / height) * (patch / width))
    rows = max(min(math.floor(scale * height / patch), max_patches), 1)
    cols = max(min(math.floor(scale * width / patch), max_patches), 1)
    return rows, cols


def closest_tile_grid(
    width: int, height: int, *, tile: int, min_tiles: int, max_tiles: int
) -> tuple[int, int]:
    """Dynamic tiling: the (cols, rows) tile layout whose aspect ratio is closest to the image's.

    Source: InternVL `dynamic_preprocess` / `find_closest_aspect_ratio` (the InternVL2/2.5 model
    cards' preprocessing code), reused by DeepSeek-OCR's Gundam mode (deepseek_ocr image_process.py
    and modeling_deepseekocr.py). Candidates are every (i, j) with min ≤ i·j ≤ max, ordered by i·j;
    the first with the smallest |w/h − i/j| wins, and on a tie a later (larger) layout wins when the
    image area exceeds half of that layout's pixel area.
    """
    aspect_ratio = width / height
    candidates = sorted(
        {
            (i, j)
            for n in range(min_tiles, max_tiles + 1)
            for i in range(1, n + 1)
            for j in range(1, n + 1)
            if min_tiles <= i * j <= max_tiles
        },
        key=lambda ratio: ratio[0] * ratio[1],
    )
    best_diff = float("inf")
    best = (1, 1)
    area = width * height
    for ratio in candidates:
        diff = abs(aspect_ratio - ratio[0] / ratio[1])
        if diff < best_diff:
            best_diff, best = diff, ratio
        elif diff == best_diff and area > 0.5 * tile * tile * ratio[0] * ratio[1]:
            best = ratio
    return best
