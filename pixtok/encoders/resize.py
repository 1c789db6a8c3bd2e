"""Resize arithmetic of published image processors, reproduced to the pixel.

Each function mirrors one processor's integer/float steps (including Python's rounding), because a
one-pixel difference moves a side across a patch boundary and changes the token count. Sizes go in
and out as they do in the source being mirrored; the source is named on each function.
"""

from __future__ import annotations

import math
from typing import Literal

from pixtok.errors import UsageError

SmartVariant = Literal["qwen2-vl", "glm-4.1v", "paddleocr-vl"]
SMART_VARIANTS: tuple[str, ...] = ("qwen2-vl", "glm-4.1v", "paddleocr-vl")


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

    Returns (height, width), as the sources do. Common steps: an aspect ratio over 200 is refused;
    each side is rounded to the nearest multiple of `factor`; if the product exceeds `max_pixels`,
    both sides are scaled by β = √(h·w / max_pixels) and floored to multiples (never below
    `factor`); if it is below `min_pixels`, scaled by β = √(min_pixels / (h·w)) and ceiled.

    - variant "qwen2-vl": transformers 5.x `models/qwen2_vl/image_processing_pil_qwen2_vl.py::
      smart_resize` (Qwen2-VL, Qwen2.5-VL, Qwen3-VL). A side under `factor` is not refused: one
      that rounds to zero makes the product zero, which takes the min-pixels path.
    - variant "glm-4.1v": `models/glm4v/image_processing_pil_glm4v.py::smart_resize`: the budget
      is compared against t·h·w with t = `temporal_factor` frames (an image is 2 identical frames,
      so it gets half the pixel budget), and a side under `factor` first scales the image up
      (int() of side·max(factor/h, factor/w)).
    - variant "paddleocr-vl": `models/paddleocr_vl/image_processing_pil_paddleocr_vl.py::
      smart_resize`: a side under `factor` becomes `factor` and the other side is scaled with
      round(); one frame.
    """
    if variant not in SMART_VARIANTS:
        raise UsageError(f"smart resize variant must be one of {', '.join(SMART_VARIANTS)}, not {variant!r}")
    frames = temporal_factor if variant == "glm-4.1v" else 1
    if variant == "glm-4.1v" and (height < factor or width < factor):
        scale = max(factor / height, factor / width)
        height, width = int(height * scale), int(width * scale)
    elif variant == "paddleocr-vl":
        if height < factor:
            width, height = round((width * factor) / height), factor
        if width < factor:
            height, width = round((height * factor) / width), factor
    if max(height, width) / min(height, width) > 200:
        raise UsageError(f"a {width}×{height} image is too elongated: the aspect ratio must be at most 200")
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    t_bar = round(frames / temporal_factor) * temporal_factor if variant == "glm-4.1v" else 1
    if t_bar * h_bar * w_bar > max_pixels:
        beta = math.sqrt((frames * height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
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


def _tile_layouts(min_tiles: int, max_tiles: int) -> set[tuple[int, int]]:
    """The layouts InternVL's `find_closest_aspect_ratio` chooses among, as the same set: its
    `{(i, j) for n in range(min, max + 1) for i in 1..n for j in 1..n if min <= i*j <= max}`
    visits each layout first at n = max(i, j, min), i then j ascending, and here each is added in
    that order, once (the set, and so the order `sorted` keeps among layouts of one area, is
    the one InternVL makes), in time that grows with the layouts rather than with max³."""
    layouts: set[tuple[int, int]] = set()
    for i in range(1, min_tiles + 1):  # n = min: every i, j up to it
        for j in range(1, min(min_tiles, max_tiles // i) + 1):
            if i * j >= min_tiles:
                layouts.add((i, j))
    for n in range(min_tiles + 1, max_tiles + 1):  # then the layouts whose larger side is n
        most = max_tiles // n
        for i in range(1, min(n - 1, most) + 1):
            layouts.add((i, n))  # i * n > min, since n > min
        for j in range(1, min(n, most) + 1):
            layouts.add((n, j))
    return layouts


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
    candidates = sorted(_tile_layouts(min_tiles, max_tiles), key=lambda ratio: ratio[0] * ratio[1])
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


def pan_and_scan_crops(
    width: int, height: int, *, min_crop: int, max_crops: int, min_ratio: float
) -> list[tuple[int, int, int, int]]:
    """Gemma 3's pan-and-scan crops as (left, top, right, bottom) boxes; [] when it does not apply.

    Source: transformers `Gemma3ImageProcessor.pan_and_scan` (models/gemma3/
    image_processing_pil_gemma3.py): along the long side, n = ⌊ratio + 0.5⌋ crops, at most
    ⌊long/min_crop⌋, clamped to [2, max_crops]; crops are ⌈side/n⌉ px (the last one clipped by the
    image edge); none when the ratio is under `min_ratio` or a crop side would be under `min_crop`.
    """
    if width >= height:
        if width / height < min_ratio:
            return []
        n_w = min(math.floor(width / min_crop), math.floor(width / height + 0.5))
        n_w, n_h = min(max_crops, max(2, n_w)), 1
    else:
        if height / width < min_ratio:
            return []
        n_h = min(math.floor(height / min_crop), math.floor(height / width + 0.5))
        n_w, n_h = 1, min(max_crops, max(2, n_h))
    crop_w, crop_h = math.ceil(width / n_w), math.ceil(height / n_h)
    if min(crop_w, crop_h) < min_crop:
        return []
    return [
        (x, y, min(x + crop_w, width), min(y + crop_h, height))
        for y in (crop_h * i for i in range(n_h))
        for x in (crop_w * i for i in range(n_w))
    ]


def mllama_canvas(height: int, width: int, max_tiles: int, tile: int) -> tuple[int, int, int, int]:
    """Llama 3.2 Vision's tile canvas and the image size on it: (canvas_h, canvas_w, new_h, new_w).

    Source: transformers models/mllama/image_processing_pil_mllama.py, `get_optimal_tiled_canvas`
    (among canvases of w×h tiles with w·h ≤ max_tiles, the smallest upscale ≥ 1, else the largest
    downscale; ties to the smallest area) and `get_image_size_fit_to_canvas` (each side clipped to
    [tile, canvas], the image scaled by the smaller ratio, the other side floored, at least 1).
    """
    canvases = [
        (w * tile, h * tile)
        for w in range(1, max_tiles + 1)
        for h in range(1, max_tiles + 1)
        if w * h <= max_tiles
    ]
    # The source reads its (width, height) list as (height, width); the set is symmetric, so the
    # canvases are the same, and so is the order ties are broken in (smallest area first).
    scales = [min(ch / height, cw / width) for ch, cw in canvases]
    up = [s for s in scales if s >= 1]
    chosen = min(up) if up else max(scales)
    canvas_h, canvas_w = min(
        (c for c, s in zip(canvases, scales, strict=True) if s == chosen), key=lambda c: c[0] * c[1]
    )
    target_w = min(max(width, tile), canvas_w)
    target_h = min(max(height, tile), canvas_h)
    scale_h, scale_w = target_h / height, target_w / width
    if scale_w < scale_h:
        new_w, new_h = target_w, min(math.floor(height * scale_w) or 1, target_h)
    else:
        new_h, new_w = target_h, min(math.floor(width * scale_h) or 1, target_w)
    return canvas_h, canvas_w, new_h, new_w


def select_best_resolution(
    height: int, width: int, resolutions: tuple[tuple[int, int], ...]
) -> tuple[int, int]:
    """LLaVA-NeXT's pinpoint choice, (height, width): most effective pixels, then least waste.

    Source: transformers `image_processing_utils.select_best_resolution`.
    """
    best = resolutions[0]
    most_effective, least_wasted = 0, float("inf")
    for res_h, res_w in resolutions:
        scale = min(res_w / width, res_h / height)
        down_w, down_h = int(width * scale), int(height * scale)
        effective = min(down_w * down_h, width * height)
        wasted = res_w * res_h - effective
        if effective > most_effective or (effective == most_effective and wasted < least_wasted):
            most_effective, least_wasted, best = effective, wasted, (res_h, res_w)
    return best


def llava_unpadded_grid(height: int, width: int, rows: int, cols: int) -> tuple[int, int]:
    """The (rows, cols) of a LLaVA-NeXT feature map once the padding rows or columns are cut.

    Source: transformers `LlavaNextProcessor._get_unpadded_features` (processing_llava_next.py),
    the processor's mirror of the model's `unpad_image`.
    """
    if width / height > cols / rows:
        new_h = int(round(height * (cols / width), 7))
        rows -= ((rows - new_h) // 2) * 2
    else:
        new_w = int(round(width * (rows / height), 7))
        cols -= ((cols - new_w) // 2) * 2
    return rows, cols


def idefics_split_size(
    width: int, height: int, *, longest_edge: int, tile: int, max_size: int
) -> tuple[int, int]:
    """Idefics3/SmolVLM's image size before splitting, (width, height): multiples of `tile`.

    Source: transformers models/idefics3/image_processing_pil_idefics3.py:
    `_resize_output_size_rescale_to_max_len` (longest edge to `longest_edge`, the other side by the
    aspect ratio, int(), made even), `_resize_output_size_scale_below_upper_bound` (nothing over
    `max_size`, 4096) and `resize_for_vision_encoder` (each side up to a multiple of `tile`).
    """
    aspect = width / height
    if width >= height:
        width = longest_edge
        height = int(width / aspect)
        height += height % 2
    else:
        height = longest_edge
        width = int(height * aspect)
        width += width % 2
    height, width = max(height, 1), max(width, 1)
    aspect = width / height
    if width >= height and width > max_size:
        width, height = max_size, int(max_size / aspect)
    elif height > width and height > max_size:
        height, width = max_size, int(max_size * aspect)
    height, width = max(height, 1), max(width, 1)
    aspect = width / height
    if width >= height:
        width = math.ceil(width / tile) * tile
        height = math.ceil(int(width / aspect) / tile) * tile
    else:
        height = math.ceil(height / tile) * tile
        width = math.ceil(int(height * aspect) / tile) * tile
    return width, height


def phi4_hd_layout(width: int, height: int, tile: int, max_crops: int) -> tuple[int, int, int, int]:
    """Phi-4-multimodal's dynamic-HD crops: (cols, rows, fitted width, fitted height).

    Source: transformers `Phi4MultimodalImageProcessor.dynamic_preprocess`: ⌈w/tile⌉×⌈h/tile⌉
    crops, or past `max_crops` the closest aspect ratio among layouts of 1..max_crops crops (the
    InternVL rule); the image is scaled by the smaller of the two canvas ratios (the other side
    truncated with int()) and padded right and bottom. A side under 10 px is refused, as there.
    """
    cols, rows = math.ceil(width / tile), math.ceil(height / tile)
    if cols * rows > max_crops:
        cols, rows = closest_tile_grid(width, height, tile=tile, min_tiles=1, max_tiles=max_crops)
    target_w, target_h = tile * cols, tile * rows
    ratio_w, ratio_h = target_w / width, target_h / height
    if ratio_w < ratio_h:
        new_w, new_h = target_w, int(height * ratio_w)
    else:
        new_w, new_h = int(width * ratio_h), target_h
    if min(new_h, target_h) < 10 or min(new_w, target_w) < 10:
        raise UsageError(
            f"a {width}×{height} image is too elongated for dynamic-HD crops (a side under 10 px)"
        )
    return cols, rows, new_w, new_h
