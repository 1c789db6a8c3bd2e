"""Presets that cut an image into fixed-size tiles chosen by aspect ratio, plus an overview image.

InternVL 2/2.5 and DeepSeek-OCR's Gundam mode share the tile choice (`closest_tile_grid`) but not
what they add around it: InternVL appends a thumbnail of the whole image; DeepSeek-OCR encodes a
1024² global view first and separates every token row with a newline token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pixtok.encoders.base import Encoder, VisionCount, aspect_valid
from pixtok.encoders.resize import closest_tile_grid
from pixtok.patches import conv_compress, pixel_shuffle


@dataclass(frozen=True, repr=False)
class InternVLEncoder(Encoder):
    """InternVL 2 / 2.5: dynamic 448-px tiles, 256 tokens a tile, thumbnail when tiled.

    Source: InternVL2.5 (arXiv 2412.05271) and the OpenGVLab/InternVL2_5-* model cards'
    `load_image(..., max_num=12)` → `dynamic_preprocess(image, min_num=1, max_num=12,
    image_size=448, use_thumbnail=True)`; 14-px patches give a 32×32 grid a tile, which the pixel
    shuffle (scale 0.5) turns into 16×16 = 256 tokens (`num_image_token`); the chat template wraps
    the image as `<img>` + `<IMG_CONTEXT>`×(256·tiles) + `</img>`.
    """

    name: str = "internvl2.5"
    patch: int = 14
    tile: int = 448
    shuffle: float = 0.5
    min_tiles: int = 1
    max_tiles: int = 12
    thumbnail: bool = True
    image_tokens: int = 2
    formula: str = "tiles = closest aspect ratio among 1..12 448-px tiles (+1 thumbnail if > 1); 256 per tile"
    source: str = (
        "InternVL2.5 (arXiv 2412.05271); OpenGVLab/InternVL2_5-8B model card: dynamic_preprocess("
        "min_num=1, max_num=12, image_size=448, use_thumbnail=True), pixel shuffle 0.5 → 256 tokens a tile"
    )

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        cols, rows = closest_tile_grid(
            width, height, tile=self.tile, min_tiles=self.min_tiles, max_tiles=self.max_tiles
        )
        side = self.tile // self.patch
        token_rows, token_cols = pixel_shuffle(side, side, self.shuffle)
        per_tile = token_rows * token_cols
        tiles = cols * rows + (1 if self.thumbnail and cols * rows != 1 else 0)
        tokens = per_tile * tiles
        return VisionCount(
            tokens=tokens,
            sequence_tokens=tokens + self.image_tokens,
            valid_tokens=None,
            resized=(cols * self.tile, rows * self.tile),
            grid=(rows * side, cols * side),
            tiles=tiles,
        )

    def parameters(self) -> dict[str, Any]:
        return {
            "tile": self.tile,
            "pixel_shuffle": self.shuffle,
            "min_tiles": self.min_tiles,
            "max_tiles": self.max_tiles,
            "thumbnail": self.thumbnail,
            "image_tokens": self.image_tokens,
        }


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

    def parameters(self) -> dict[str, Any]:
        return {
            "tile": self.tile,
            "global_view": self.base,
            "compressor_stride": self.compress,
            "min_tiles": self.min_tiles,
            "max_tiles": self.max_tiles,
        }
