"""Presets that cut an image into tiles and add an overview image, each by its own published rule.

The plain InternVL rule (closest aspect ratio, optional thumbnail) is a building block of the
declarative `GridEncoder` (resize = "tiles"). The presets here choose or surround their tiles in
ways the blocks do not say: DeepSeek-OCR Gundam (a padded 1024² global view first, newline tokens),
Gemma 3 pan-and-scan (crops along the long side), Llama 3.2 Vision (the smallest canvas of
560-px tiles that holds the image), LLaVA-NeXT (grid pinpoints, then unpadding), Idefics3 and
SmolVLM (longest edge to a multiple of the tile, row/column tags) and Phi-4-multimodal (dynamic HD
crops with masks). Each class names the processor file it mirrors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from pixtok.encoders.base import Encoder, EncoderView, VisionCount, aspect_valid, check_size
from pixtok.encoders.grid import squashed_tiles
from pixtok.encoders.resize import (
    closest_tile_grid,
    idefics_split_size,
    llava_unpadded_grid,
    mllama_canvas,
    pan_and_scan_crops,
    phi4_hd_layout,
    select_best_resolution,
)
from pixtok.patches import ceil_div, conv_compress


def canvas_views(
    width: int,
    height: int,
    placed: tuple[int, int, int, int],
    tile: tuple[int, int],
    layout: tuple[int, int],
    tokens: list[int],
    grid: tuple[int, int] | None,
) -> list[EncoderView]:
    """Tiles of a canvas on which the input was scaled to (w, h) and placed at (left, top).

    `placed` is (left, top, w, h) in canvas pixels, `tile` the tile (width, height), `layout`
    (cols, rows); `tokens` gives each tile's tokens in reading order. A tile's `box` is the part of
    the input it shows (edges mapped back with floor, so neighbouring tiles share their edges) and
    its `content` where that part lies inside the tile; a tile of padding alone has empty boxes.
    """
    left, top, placed_w, placed_h = placed
    tile_w, tile_h = tile
    cols, rows = layout
    views = []
    for index in range(cols * rows):
        row, col = divmod(index, cols)
        x0, y0 = max(col * tile_w, left), max(row * tile_h, top)
        x1, y1 = min((col + 1) * tile_w, left + placed_w), min((row + 1) * tile_h, top + placed_h)
        if x1 <= x0 or y1 <= y0:
            box, content = (0, 0, 0, 0), (0, 0, 0, 0)
        else:
            box = (
                (x0 - left) * width // placed_w,
                (y0 - top) * height // placed_h,
                (x1 - left) * width // placed_w,
                (y1 - top) * height // placed_h,
            )
            content = (x0 - col * tile_w, y0 - row * tile_h, x1 - col * tile_w, y1 - row * tile_h)
        views.append(
            EncoderView(kind="tile", box=box, size=tile, content=content, grid=grid, tokens=tokens[index])
        )
    return views


def whole_view(
    kind: str, width: int, height: int, size: tuple[int, int], grid: tuple[int, int] | None, tokens: int
) -> EncoderView:
    """The whole input squashed onto one view (a global view, thumbnail or resized image)."""
    return EncoderView(
        kind=kind, box=(0, 0, width, height), size=size, content=(0, 0, *size), grid=grid, tokens=tokens
    )


@dataclass(frozen=True, repr=False)
class GundamEncoder(Encoder):
    """DeepSeek-OCR Gundam mode: n 640² tiles + a 1024² global view → n·100 + 256 tokens.

    Source: DeepSeek-OCR (arXiv 2510.18234, Table 1: Gundam = n×640² + 1024², n ∈ [2, 9]) and the
    released `DeepseekOCRForCausalLM.infer` (modeling_deepseekocr.py, base_size=1024,
    image_size=640, crop_mode=True): an image no larger than 640×640 is not tiled; otherwise
    `dynamic_preprocess(image, min_num=2, max_num=9, image_size=640)` picks the tile layout (the
    InternVL rule). Each view is 16-px patches through the 16× convolutional compressor (640 → 10×10,
    1024 → 16×16 tokens). The sequence is the global view's 16 rows of 16 + 1 newline, a view
    separator, then the tiles stitched into (10·cols + 1)·(10·rows) tokens. Valid tokens:
    ⌊256·min/max⌋ for the padded global view + 100 a tile (`valid_img_tokens`). The vLLM runner's
    config.py defaults to MAX_CROPS = 6 ("max: 9") to save memory; define a preset with
    max_tiles = 6 to match it.
    """

    reads_pixels: ClassVar[bool] = False  # the count depends on the size alone

    name: str = "deepseek-ocr-gundam"
    patch: int = 16
    tile: int = 640
    base: int = 1024
    compress: int = 4
    min_tiles: int = 2
    max_tiles: int = 9
    formula: str = "n·100 + 256 (n 640² tiles by aspect ratio, 2..9, none if ≤ 640×640; + 1024² global view)"
    source: str = (
        "DeepSeek-OCR (arXiv 2510.18234), Table 1 Gundam mode; deepseek-ai/DeepSeek-OCR "
        "modeling_deepseekocr.py infer(base_size=1024, image_size=640, crop_mode=True), "
        "dynamic_preprocess(min_num=2, max_num=9, image_size=640)"
    )

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        base_side = self.base // self.patch
        base_rows, base_cols = conv_compress(base_side, base_side, self.compress)
        base_tokens = base_rows * base_cols
        sequence = base_rows * (base_cols + 1) + 1  # newline per row + view separator
        tile_side = self.tile // self.patch
        tile_rows, tile_cols = conv_compress(tile_side, tile_side, self.compress)
        cols = rows = 1
        if width > self.tile or height > self.tile:
            cols, rows = closest_tile_grid(
                width, height, tile=self.tile, min_tiles=self.min_tiles, max_tiles=self.max_tiles
            )
        crops = cols * rows if cols > 1 or rows > 1 else 0
        tokens = base_tokens + crops * tile_rows * tile_cols
        if crops:
            sequence += (tile_cols * cols + 1) * (tile_rows * rows)
        return VisionCount(
            tokens=tokens,
            sequence_tokens=sequence,
            valid_tokens=aspect_valid(base_tokens, width, height) + crops * tile_rows * tile_cols,
            resized=(cols * self.tile, rows * self.tile) if crops else (self.base, self.base),
            grid=(rows * tile_side, cols * tile_side) if crops else (base_side, base_side),
            tiles=crops + 1,
        )

    def views(self, width: int, height: int) -> list[EncoderView]:
        """The padded 1024² global view first, then the 640² tiles (none for a small image)."""
        width, height = check_size(width, height)  # Python ints: numpy ones would wrap
        counted = self.count(width, height)
        base_side = self.base // self.patch
        base_rows, base_cols = conv_compress(base_side, base_side, self.compress)
        scale = self.base / max(width, height)
        inner_w, inner_h = round(width * scale), round(height * scale)
        left, top = (self.base - inner_w) // 2, (self.base - inner_h) // 2
        views = [
            EncoderView(
                kind="global",
                box=(0, 0, width, height),
                size=(self.base, self.base),
                content=(left, top, left + inner_w, top + inner_h),
                grid=(base_side, base_side),
                tokens=base_rows * base_cols,
            )
        ]
        crops = counted.tiles - 1
        if crops:
            cols, rows = counted.resized[0] // self.tile, counted.resized[1] // self.tile
            side = self.tile // self.patch
            tile_rows, tile_cols = conv_compress(side, side, self.compress)
            views += squashed_tiles(cols, rows, width, height, self.tile, (side, side), tile_rows * tile_cols)
        return views

    def parameters(self) -> dict[str, Any]:
        return {
            "tile": self.tile,
            "global_view": self.base,
            "compressor_stride": self.compress,
            "min_tiles": self.min_tiles,
            "max_tiles": self.max_tiles,
        }


@dataclass(frozen=True, repr=False)
class PanAndScanEncoder(Encoder):
    """Gemma 3 with pan-and-scan: the whole image plus up to 4 crops along its long side, 256 tokens each.

    Source: transformers `Gemma3ImageProcessor.pan_and_scan` (models/gemma3/
    image_processing_pil_gemma3.py) with the `Gemma3Processor` defaults (processing_gemma3.py:
    pan_and_scan_min_crop_size 256, pan_and_scan_max_num_crops 4, min_ratio_to_activate 1.2; the
    checkpoint's preprocessor_config.json leaves them null). A landscape image whose w/h ≥ 1.2 gets
    n = clamp(min(⌊w/h + 0.5⌋, ⌊w/256⌋), 2, 4) crops of ⌈w/n⌉ px (portrait likewise), none if a
    crop side would be under 256. Every view is SigLIP at 896² (64×64 patches of 14), average-pooled
    4×4 to 256 tokens. The processor writes each view as "\\n\\n<start_of_image>" + 256 image tokens +
    "<end_of_image>\\n\\n" (4 tokens around the 256; "\\n\\n" is one token of Gemma's vocabulary);
    the sentence that introduces the crops ("Here is the original image ... some crops to help you
    see better") is text and not counted here.
    """

    reads_pixels: ClassVar[bool] = False  # the count depends on the size alone

    name: str = "gemma-3-pan-and-scan"
    patch: int = 14
    size: int = 896
    pool: int = 4
    min_crop: int = 256
    max_crops: int = 4
    min_ratio: float = 1.2
    view_tokens: int = 4
    formula: str = "(1 + crops) × 256; crops = 2..4 along the long side when its ratio ≥ 1.2"
    source: str = (
        "Gemma 3 (arXiv 2503.19786); transformers Gemma3ImageProcessor.pan_and_scan and Gemma3Processor "
        "(min crop 256, max 4 crops, ratio 1.2; SigLIP 896², 4×4 pool → 256 tokens a view)"
    )

    def _view_tokens(self) -> tuple[int, int]:
        side = self.size // self.patch
        return side, ceil_div(side, self.pool) ** 2

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        crops = pan_and_scan_crops(
            width, height, min_crop=self.min_crop, max_crops=self.max_crops, min_ratio=self.min_ratio
        )
        side, per_view = self._view_tokens()
        views = 1 + len(crops)
        return VisionCount(
            tokens=per_view * views,
            sequence_tokens=(per_view + self.view_tokens) * views,
            valid_tokens=None,
            resized=(self.size, self.size),
            grid=(side, side),
            tiles=views,
        )

    def views(self, width: int, height: int) -> list[EncoderView]:
        width, height = check_size(width, height)  # Python ints: numpy ones would wrap
        side, per_view = self._view_tokens()
        size = (self.size, self.size)
        crops = pan_and_scan_crops(
            width, height, min_crop=self.min_crop, max_crops=self.max_crops, min_ratio=self.min_ratio
        )
        return [whole_view("image", width, height, size, (side, side), per_view)] + [
            EncoderView(
                kind="tile", box=box, size=size, content=(0, 0, *size), grid=(side, side), tokens=per_view
            )
            for box in crops
        ]

    def parameters(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "pool": self.pool,
            "min_crop": self.min_crop,
            "max_crops": self.max_crops,
            "min_ratio": self.min_ratio,
            "view_tokens": self.view_tokens,
        }


@dataclass(frozen=True, repr=False)
class MllamaEncoder(Encoder):
    """Llama 3.2 Vision: 1-4 tiles of 560 px on the best canvas; 1601 encoder tokens a tile, 1 `<|image|>`.

    Source: transformers `MllamaImageProcessor` (models/mllama/image_processing_pil_mllama.py:
    `get_optimal_tiled_canvas`, `get_image_size_fit_to_canvas`), with the size {560, 560} and
    max_image_tiles 4 of meta-llama/Llama-3.2-11B-Vision-Instruct's preprocessor_config.json. Each
    tile is 40×40 patches of 14 px plus a class token: 1601 tokens the vision encoder produces and the
    language model reads through cross-attention. The text sequence holds a single `<|image|>` token,
    which is what `sequence_tokens` counts.
    """

    reads_pixels: ClassVar[bool] = False  # the count depends on the size alone

    name: str = "llama-3.2-vision"
    patch: int = 14
    tile: int = 560
    max_tiles: int = 4
    cls_tokens: int = 1
    text_tokens: int = 1
    formula: str = "tiles × (40² + 1) = tiles × 1601 (1..4 560-px tiles); 1 <|image|> token in the text"
    source: str = (
        "Llama 3.2 Vision model card; transformers MllamaImageProcessor get_optimal_tiled_canvas "
        "(tile 560, max_image_tiles 4, meta-llama/Llama-3.2-11B-Vision-Instruct preprocessor_config.json)"
    )

    def _layout(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(cols, rows, scaled width, scaled height) on the chosen canvas."""
        canvas_h, canvas_w, new_h, new_w = mllama_canvas(height, width, self.max_tiles, self.tile)
        return canvas_w // self.tile, canvas_h // self.tile, new_w, new_h

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        cols, rows, _, _ = self._layout(width, height)
        side = self.tile // self.patch
        tiles = cols * rows
        return VisionCount(
            tokens=tiles * (side * side + self.cls_tokens),
            sequence_tokens=self.text_tokens,
            valid_tokens=None,
            resized=(cols * self.tile, rows * self.tile),
            grid=(rows * side, cols * side),
            tiles=tiles,
        )

    def views(self, width: int, height: int) -> list[EncoderView]:
        width, height = check_size(width, height)  # Python ints: numpy ones would wrap
        cols, rows, new_w, new_h = self._layout(width, height)
        side = self.tile // self.patch
        per_tile = side * side + self.cls_tokens
        return canvas_views(
            width, height, (0, 0, new_w, new_h), (self.tile, self.tile), (cols, rows),
            [per_tile] * (cols * rows), (side, side),
        )  # fmt: skip

    def parameters(self) -> dict[str, Any]:
        return {"tile": self.tile, "max_tiles": self.max_tiles, "cls_tokens": self.cls_tokens}


@dataclass(frozen=True, repr=False)
class LlavaNextEncoder(Encoder):
    """LLaVA-NeXT (1.6) anyres: a 336² base view + 336-px tiles of the best pinpoint, unpadded, newline a row.

    Source: transformers `LlavaNextImageProcessor` (`select_best_resolution` over
    `image_grid_pinpoints`, image_processing_utils.py) and `LlavaNextProcessor._get_number_of_features`
    / `_get_unpadded_features` (processing_llava_next.py), which mirror the model's `unpad_image`;
    llava-hf/llava-v1.6-mistral-7b-hf: pinpoints [[336,672],[672,336],[672,672],[1008,336],[336,1008]],
    CLIP ViT-L/14-336 (24×24 = 576 features a view, CLS dropped by the "default" feature strategy).
    The tile features are stitched into a (24·rows)×(24·cols) map, the rows or columns that are
    padding in the pinpoint canvas are cut, and an `image_newline` token ends each remaining row.
    tokens = 576 + unpadded features; sequence adds the newlines (what `<image>` expands to).
    """

    reads_pixels: ClassVar[bool] = False  # the count depends on the size alone

    name: str = "llava-next"
    patch: int = 14
    tile: int = 336
    pinpoints: tuple[tuple[int, int], ...] = ((336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008))
    formula: str = "576 + unpadded (24·rows × 24·cols) features of the best pinpoint; + 1 newline a row"
    source: str = (
        "LLaVA-NeXT (llava-vl.github.io/blog/2024-01-30-llava-next); transformers LlavaNextProcessor "
        "_get_number_of_features, llava-hf/llava-v1.6-mistral-7b-hf image_grid_pinpoints, CLIP-L/14 at 336"
    )

    def _grid(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(cols, rows) of the pinpoint and the unpadded feature map (rows, cols)."""
        best_h, best_w = select_best_resolution(height, width, self.pinpoints)
        side = self.tile // self.patch
        rows, cols = best_h // self.tile, best_w // self.tile
        feature_rows, feature_cols = llava_unpadded_grid(height, width, side * rows, side * cols)
        return cols, rows, feature_rows, feature_cols

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        cols, rows, feature_rows, feature_cols = self._grid(width, height)
        side = self.tile // self.patch
        tokens = side * side + feature_rows * feature_cols
        return VisionCount(
            tokens=tokens,
            sequence_tokens=tokens + feature_rows,
            valid_tokens=None,
            resized=(cols * self.tile, rows * self.tile),
            grid=(rows * side, cols * side),
            tiles=1 + cols * rows,
        )

    def views(self, width: int, height: int) -> list[EncoderView]:
        width, height = check_size(width, height)  # Python ints: numpy ones would wrap
        cols, rows, feature_rows, feature_cols = self._grid(width, height)
        side = self.tile // self.patch
        canvas_w, canvas_h = cols * self.tile, rows * self.tile
        scale = min(canvas_w / width, canvas_h / height)
        new_w = min(math.ceil(width * scale), canvas_w) if canvas_w / width > scale else canvas_w
        new_h = min(math.ceil(height * scale), canvas_h) if canvas_h / height > scale else canvas_h
        left, top = (canvas_w - new_w) // 2, (canvas_h - new_h) // 2
        # The unpadded features are spread over the tiles by rows and columns of 24 features.
        cut_rows, cut_cols = (side * rows - feature_rows) // 2, (side * cols - feature_cols) // 2
        tokens = []
        for index in range(cols * rows):
            row, col = divmod(index, cols)
            kept_rows = _overlap(row * side, (row + 1) * side, cut_rows, cut_rows + feature_rows)
            kept_cols = _overlap(col * side, (col + 1) * side, cut_cols, cut_cols + feature_cols)
            tokens.append(kept_rows * kept_cols)
        base = whole_view("global", width, height, (self.tile, self.tile), (side, side), side * side)
        tiles = canvas_views(
            width,
            height,
            (left, top, new_w, new_h),
            (self.tile, self.tile),
            (cols, rows),
            tokens,
            (side, side),
        )
        return [base, *tiles]

    def parameters(self) -> dict[str, Any]:
        return {"tile": self.tile, "pinpoints": [list(p) for p in self.pinpoints]}


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


@dataclass(frozen=True, repr=False)
class Idefics3Encoder(Encoder):
    """Idefics3 / SmolVLM: longest edge to a multiple of the tile, split into tiles + a global image.

    Source: transformers `Idefics3ImageProcessor` (models/idefics3/image_processing_pil_idefics3.py:
    the longest edge is resized to `size.longest_edge` (capped at 4096), then each side up to a
    multiple of `max_image_size.longest_edge`, cut into tiles of that size, and the whole image is
    appended resized to one tile) and `Idefics3Processor.replace_image_token` /
    `_get_num_multimodal_tokens` (processing_idefics3.py; SmolVLMProcessor writes the same): each
    tile is `<fake_token_around_image><row_r_col_c>` + `image_seq_len` image tokens, each tile row
    ends with "\\n", then "\\n<fake_token_around_image><global-img>" + `image_seq_len` +
    `<fake_token_around_image>`. The row-ending "\\n" and the next "\\n" are counted as one
    token, as transformers does for these checkpoints' tokenizers (its `extra_split_newline` = 0).
    `image_seq_len` = (tile/patch)² / scale², the processors' documented formula.
    """

    reads_pixels: ClassVar[bool] = False  # the count depends on the size alone

    name: str
    patch: int
    longest_edge: int
    tile: int
    scale_factor: int
    formula: str
    source: str
    max_image_size: int = 4096

    def _layout(self, width: int, height: int) -> tuple[int, int]:
        """(cols, rows) of tiles; (0, 0) when the image is not split."""
        resized_w, resized_h = idefics_split_size(
            width, height, longest_edge=self.longest_edge, tile=self.tile, max_size=self.max_image_size
        )
        if resized_w > self.tile or resized_h > self.tile:
            return resized_w // self.tile, resized_h // self.tile
        return 0, 0

    @property
    def image_seq_len(self) -> int:
        side = self.tile // self.patch
        return (side * side) // (self.scale_factor * self.scale_factor)

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        cols, rows = self._layout(width, height)
        seq = self.image_seq_len
        views = cols * rows + 1
        sequence = seq + 3 + rows * (cols * (seq + 2) + 1)
        side = self.tile // self.patch
        return VisionCount(
            tokens=seq * views,
            sequence_tokens=sequence,
            valid_tokens=None,
            resized=(max(cols, 1) * self.tile, max(rows, 1) * self.tile),
            grid=(max(rows, 1) * side, max(cols, 1) * side),
            tiles=views,
        )

    def views(self, width: int, height: int) -> list[EncoderView]:
        width, height = check_size(width, height)  # Python ints: numpy ones would wrap
        cols, rows = self._layout(width, height)
        side = self.tile // self.patch
        size = (self.tile, self.tile)
        tiles = squashed_tiles(cols, rows, width, height, self.tile, (side, side), self.image_seq_len)
        kind = "global" if tiles else "image"
        return [*tiles, whole_view(kind, width, height, size, (side, side), self.image_seq_len)]

    def parameters(self) -> dict[str, Any]:
        return {
            "longest_edge": self.longest_edge,
            "tile": self.tile,
            "scale_factor": self.scale_factor,
            "image_seq_len": self.image_seq_len,
        }


@dataclass(frozen=True, repr=False)
class Phi4Encoder(Encoder):
    """Phi-4-multimodal: a 448² global view + dynamic-HD 448-px crops (≤ 36), 2×2-merged, with newlines.

    Source: transformers `Phi4MultimodalImageProcessor` (models/phi4_multimodal/
    image_processing_phi4_multimodal.py, `dynamic_preprocess` and `_preprocess`; size 448, patch 14,
    dynamic_hd 36 as in microsoft/Phi-4-multimodal-instruct): the image is covered by ⌈w/448⌉×⌈h/448⌉
    crops (or, past 36, the closest aspect ratio among layouts of ≤ 36 crops), fitted into that canvas
    and padded right/bottom. Each view is 32×32 patches merged 2×2 into 16×16 tokens; the padding's
    tokens are dropped through the attention mask. The processor's count: 256 (global) + 16
    (a newline per global row) + 1 (separator) + valid crop tokens + 1 newline per valid crop row.
    tokens = 256 + valid crop tokens; sequence = that count.
    """

    reads_pixels: ClassVar[bool] = False  # the count depends on the size alone

    name: str = "phi-4-multimodal"
    patch: int = 14
    tile: int = 448
    max_crops: int = 36
    formula: str = "256 + valid HD-crop tokens (448-px crops, 2×2 merge); + 16 + 1 + 1 newline a crop row"
    source: str = (
        "Phi-4-Mini technical report (arXiv 2503.01743); transformers Phi4MultimodalImageProcessor "
        "dynamic_preprocess (crop 448, patch 14, dynamic_hd 36), num_img_tokens = 256 + 1 + valid + rows + 16"
    )

    def _layout(self, width: int, height: int) -> tuple[int, int, int, int, int, int]:
        cols, rows, new_w, new_h = phi4_hd_layout(width, height, self.tile, self.max_crops)
        mask_side = self.tile // self.patch
        pad_w, pad_h = cols * self.tile - new_w, rows * self.tile - new_h
        masked_cols = pad_w // self.patch if pad_w >= self.patch else 0
        masked_rows = pad_h // self.patch if pad_h >= self.patch else 0
        valid_cols = ceil_div(mask_side * cols - masked_cols, 2)
        valid_rows = ceil_div(mask_side * rows - masked_rows, 2)
        return cols, rows, new_w, new_h, valid_cols, valid_rows

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        cols, rows, _, _, valid_cols, valid_rows = self._layout(width, height)
        side = self.tile // self.patch
        merged = ceil_div(side, 2)
        crop_tokens = valid_cols * valid_rows
        tokens = merged * merged + crop_tokens
        return VisionCount(
            tokens=tokens,
            sequence_tokens=tokens + merged + 1 + valid_rows,
            valid_tokens=None,
            resized=(cols * self.tile, rows * self.tile),
            grid=(rows * side, cols * side),
            tiles=1 + cols * rows,
        )

    def views(self, width: int, height: int) -> list[EncoderView]:
        width, height = check_size(width, height)  # Python ints: numpy ones would wrap
        cols, rows, new_w, new_h, valid_cols, valid_rows = self._layout(width, height)
        side = self.tile // self.patch
        merged = ceil_div(side, 2)
        tokens = []
        for index in range(cols * rows):
            row, col = divmod(index, cols)
            kept_rows = _overlap(row * merged, (row + 1) * merged, 0, valid_rows)
            kept_cols = _overlap(col * merged, (col + 1) * merged, 0, valid_cols)
            tokens.append(kept_rows * kept_cols)
        size = (self.tile, self.tile)
        glob = whole_view("global", width, height, size, (side, side), merged * merged)
        crops = canvas_views(width, height, (0, 0, new_w, new_h), size, (cols, rows), tokens, (side, side))
        return [glob, *crops]

    def parameters(self) -> dict[str, Any]:
        return {"tile": self.tile, "max_crops": self.max_crops}
