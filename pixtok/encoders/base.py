"""What every vision-encoder preset answers: how many tokens an image of a given size costs.

An `Encoder` knows one model's preprocessing (resize, pad, pixel budget, tiling, thumbnails) and
turns an image size into a `VisionCount`. Counts come from the processor arithmetic alone; pixels
are only looked at by presets whose count depends on content (PIXEL's end-of-text patch).
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from pixtok.errors import InputError, UsageError, show


@dataclass(frozen=True)
class VisionCount:
    """Tokens one image costs an encoder.

    - `tokens`: the figure papers and model cards quote (image tokens after merging/compression).
    - `sequence_tokens`: what the language model really receives for the image: `tokens` plus
      row-break/newline tokens, view separators, start/end markers (and CLS for a bare ViT).
    - `valid_tokens`: tokens that cover the image rather than padding, where the model defines it
      (DeepSeek-OCR, Pix2Struct, PIXEL); None otherwise.
    - `resized`: (width, height) the encoder sees after preprocessing (for tiled presets, the tile
      mosaic; the thumbnail/global view is not included).
    - `grid`: (rows, cols) of patches over `resized`, before any merge; None for formulas that publish
      no patch grid (Claude).
    - `tiles`: images the encoder runs over (tiles + thumbnail or global view; 1 when not tiled).
    """

    tokens: int
    sequence_tokens: int
    valid_tokens: int | None
    resized: tuple[int, int]
    grid: tuple[int, int] | None
    tiles: int = 1

    def as_dict(self) -> dict[str, Any]:
        """A plain dict in field order (lists for the pairs), for JSON/CSV output."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True)
class EncoderView:
    """One image an encoder runs over, and the part of the input image it shows.

    Pictures of a preset's real grid (the report's overlay) are drawn from these; counts never are.

    - `kind`: "image" (the whole input, resized), "tile", "thumbnail" or "global".
    - `box`: (left, top, right, bottom) of the input image this view shows, in input pixels.
    - `size`: (width, height) of the view as the encoder sees it, after resizing and padding.
    - `content`: (left, top, right, bottom) inside `size` where `box` lands; the rest is padding.
    - `grid`: (rows, cols) of patches over `size`, before any merge; None where no grid is published.
    - `tokens`: the vision tokens this view contributes.
    """

    kind: str
    box: tuple[int, int, int, int]
    size: tuple[int, int]
    content: tuple[int, int, int, int]
    grid: tuple[int, int] | None
    tokens: int

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True)
class VisionTotal:
    """Counts summed over several pages; `valid_tokens` is None if any page's is."""

    pages: int
    tokens: int
    sequence_tokens: int
    valid_tokens: int | None
    tiles: int

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: The longest image side a count takes (pixels, 2^31): far beyond any page or photograph, and
#: small enough that every preset's arithmetic, part of it in floats, stays exact (a side of
#: 10**24 px would overflow a float division; a numpy uint64 near 2**64 would wrap).
MAX_IMAGE_SIDE = 1 << 31


def check_size(width: object, height: object) -> tuple[int, int]:
    """Validate an image size: whole numbers of pixels from 1 to MAX_IMAGE_SIDE, as Python ints."""
    for label, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise UsageError(f"image {label} must be a positive whole number of pixels, not {show(value)}")
        if value > MAX_IMAGE_SIDE:
            raise UsageError(f"image {label} must be at most {MAX_IMAGE_SIDE:,} pixels, not {show(value)}")
    return int(width), int(height)  # type: ignore[arg-type]


def aspect_valid(tokens: int, width: int, height: int) -> int:
    """DeepSeek-OCR's valid tokens for an image padded to a square: ⌊tokens·min(w,h)/max(w,h)⌋.

    Source: DeepSeek-OCR (arXiv 2510.18234, §3.2.2, valid tokens of the padded Base/Large modes);
    the released `DeepseekOCRForCausalLM.infer` (modeling_deepseekocr.py) computes
    `ratio = 1 - ((max(w, h) - min(w, h)) / (max(w, h)))` and `int(256 * ratio)` (400 for Large).
    The same float expression is used here so counts match the released code to the token.
    """
    ratio = 1 - ((max(width, height) - min(width, height)) / max(width, height))
    return int(tokens * ratio)


@functools.lru_cache(maxsize=4096)
def _count_of_size(encoder: Encoder, width: int, height: int) -> VisionCount:
    """The count of a preset whose count depends on the size alone (VisionCount is immutable)."""
    return encoder._count(width, height, None)


class Encoder(abc.ABC):
    """A vision-encoder preset: preprocessing plus token arithmetic, with its source.

    Subclasses set `name`, `patch` (pixels; None where no patch is published), `formula` (one
    readable line) and `source` (paper arXiv id, model card or processor file), and implement
    `_count`. Instances are immutable and cheap; the registry holds one per name.
    """

    name: str
    patch: int | None
    formula: str
    source: str
    #: Whether the count depends on the pixels, not only on the size (PIXEL's end patch). A preset
    #: that does not read them is counted once per size: a corpus of pages of a few sizes costs
    #: a lookup per page.
    reads_pixels: ClassVar[bool] = True

    def count(self, width: int, height: int, *, pixels: np.ndarray | None = None) -> VisionCount:
        """Tokens for one image of width×height pixels; `pixels` (H, W[, C]) only where content matters."""
        width, height = check_size(width, height)
        if pixels is not None:
            if not isinstance(pixels, np.ndarray) or pixels.ndim not in (2, 3):
                raise InputError("pixels must be a (height, width) or (height, width, channels) array")
            if pixels.shape[:2] != (height, width):
                raise UsageError(
                    f"pixels are {pixels.shape[1]}×{pixels.shape[0]} but the size given is {width}×{height}"
                )
        if self.reads_pixels:
            return self._count(width, height, pixels)
        try:
            return _count_of_size(self, width, height)
        except TypeError:  # an unhashable preset (a plugin's): counted afresh
            return self._count(width, height, None)

    @abc.abstractmethod
    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        """The preset's arithmetic, on a validated size."""

    def count_pages(self, pages: Iterable[tuple[int, int] | np.ndarray]) -> VisionTotal:
        """Sum counts over pages given as (width, height) pairs or as page arrays (H, W[, C])."""
        n = tokens = sequence = tiles = 0
        valid: int | None = 0
        for page in pages:
            if isinstance(page, np.ndarray):
                result = self.count(page.shape[1], page.shape[0], pixels=page)
            else:
                width, height = page
                result = self.count(width, height)
            n += 1
            tokens += result.tokens
            sequence += result.sequence_tokens
            tiles += result.tiles
            valid = None if valid is None or result.valid_tokens is None else valid + result.valid_tokens
        return VisionTotal(pages=n, tokens=tokens, sequence_tokens=sequence, valid_tokens=valid, tiles=tiles)

    def views(self, width: int, height: int) -> list[EncoderView]:
        """The images the encoder runs over for a width×height input, in the order it reads them.

        This default describes a preset that sees the whole image once, resized to
        `VisionCount.resized`; presets that tile, pad or add a global view override it.
        """
        width, height = check_size(width, height)  # Python ints: numpy ones would wrap
        counted = self.count(width, height)
        size = counted.resized
        return [
            EncoderView(
                kind="image",
                box=(0, 0, width, height),
                size=size,
                content=(0, 0, size[0], size[1]),
                grid=counted.grid,
                tokens=counted.tokens,
            )
        ]

    def parameters(self) -> dict[str, Any]:
        """The preset's preprocessing parameters (what `describe` shows beyond the formula)."""
        return {}

    def describe(self) -> dict[str, Any]:
        """Name, patch size, formula, source and parameters, for listings and docs."""
        return {
            "name": self.name,
            "patch": self.patch,
            "formula": self.formula,
            "source": self.source,
            "parameters": self.parameters(),
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
