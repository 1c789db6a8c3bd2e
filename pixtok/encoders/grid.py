"""The declarative preset: resize → patch grid → merge → extra tokens.

Most vision encoders differ only in a few numbers: the patch size, how the image is resized, how
neighbouring patches are merged into one token, and which marker tokens the language model gets
around the image. `GridEncoder` is that pipeline with those numbers as fields; it builds most
built-in presets and every preset users declare in a TOML/JSON file (see pixtok.encoders.spec).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from pixtok.encoders.base import Encoder, EncoderView, VisionCount, aspect_valid, check_size
from pixtok.encoders.resize import (
    SMART_VARIANTS,
    closest_tile_grid,
    fit_within,
    max_patches_grid,
    smart_resize,
)
from pixtok.errors import UsageError, show
from pixtok.patches import ceil_div, conv_compress, pixel_shuffle, spatial_merge

RESIZE_POLICIES = ("native", "fixed", "pad-square", "fit", "smart", "max-patches", "tiles")
MERGES = ("none", "spatial", "pool", "pixel-shuffle", "conv")
VALID_RULES = ("none", "all", "aspect", "unpadded")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True, repr=False)
class GridEncoder(Encoder):
    """A preset described by numbers alone.

    Resize policies (what the encoder sees, as (width, height)):

    - "native": the image as it is, padded up to whole patches.
    - "fixed": squashed to size×size (ViT, CLIP, SigLIP, DeepSeek-OCR Tiny/Small); a remainder
      smaller than a patch is dropped, as a patch-embedding convolution does.
    - "pad-square": padded to a square keeping the aspect ratio, then size×size (LLaVA-1.5,
      DeepSeek-OCR Base/Large); the padding is what "aspect" valid tokens leave out.
    - "fit": shrunk to fit max_width×max_height (never enlarged), then padded to whole patches
      (Pixtral with rounding "round", Fuyu with "floor").
    - "smart": Qwen2-VL's smart resize to multiples of `factor` within [min_pixels, max_pixels]
      (variant "qwen2-vl" or "glm-4.1v").
    - "max-patches": Pix2Struct's scale to at most max_patches patches, padded to max_patches.
    - "tiles": InternVL's dynamic tiling: the layout of `tile`-px squares (min_tiles..max_tiles)
      whose aspect ratio is closest to the image's, each tile squashed to tile×tile, plus a
      tile×tile thumbnail of the whole image when `thumbnail` is set and there is more than one tile.

    Merges: "spatial" (k×k neighbours, k = merge_factor), "pool" (k×k average pooling, the same
    count), "pixel-shuffle" (factor 0.5 = 2×2), "conv" (stacked stride-2 convolutions, total
    stride = merge_factor), "none".

    Sequence = cls_tokens + tokens + row_tokens × token rows (of every view) + image_tokens.
    Valid tokens: "none" (not defined), "all" (= tokens), "aspect" (⌊tokens·min/max⌋, DeepSeek-OCR),
    "unpadded" (tokens before padding to max_patches).
    """

    reads_pixels: ClassVar[bool] = False  # the count depends on the size alone

    name: str
    patch: int
    source: str
    resize: str = "native"
    size: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    rounding: str = "round"
    factor: int | None = None
    min_pixels: int | None = None
    max_pixels: int | None = None
    smart_variant: str = "qwen2-vl"
    temporal_factor: int = 2
    max_patches: int | None = None
    tile: int | None = None
    min_tiles: int = 1
    max_tiles: int = 12
    thumbnail: bool = False
    merge: str = "none"
    merge_factor: float = 1
    cls_tokens: int = 0
    row_tokens: int = 0
    image_tokens: int = 0
    valid: str | None = None
    formula: str = ""

    def __post_init__(self) -> None:
        for item in fields(self):  # numpy scalars count as the Python values they hold
            value = getattr(self, item.name)
            if isinstance(value, np.generic):
                object.__setattr__(self, item.name, value.item())
        if not isinstance(self.name, str) or not NAME_PATTERN.match(self.name):
            raise UsageError(
                f"encoder name {self.name!r} must be lower-case letters, digits, '.', '_' or '-'"
            )
        if not isinstance(self.source, str) or not self.source.strip():
            raise UsageError(
                f"encoder {self.name!r}: give the source of its figures (paper, model card, code)"
            )
        _positive(self, "patch")
        if self.resize not in RESIZE_POLICIES:
            raise UsageError(f"encoder {self.name!r}: resize must be one of {', '.join(RESIZE_POLICIES)}")
        required = {
            "fixed": ("size",),
            "pad-square": ("size",),
            "fit": ("max_width", "max_height"),
            "smart": ("min_pixels", "max_pixels"),
            "max-patches": ("max_patches",),
            "tiles": ("tile", "min_tiles", "max_tiles"),
        }.get(self.resize, ())
        for key in required:
            _positive(self, key)
        if self.resize in ("fixed", "pad-square") and self.size < self.patch:  # type: ignore[operator]
            raise UsageError(f"encoder {self.name!r}: size {self.size} is smaller than one patch")
        if self.resize == "tiles":
            if self.tile < self.patch:  # type: ignore[operator]
                raise UsageError(f"encoder {self.name!r}: tile {self.tile} is smaller than one patch")
            if self.min_tiles > self.max_tiles:
                raise UsageError(f"encoder {self.name!r}: min_tiles is larger than max_tiles")
            if self.max_tiles > MAX_TILES:
                raise UsageError(
                    f"encoder {self.name!r}: max_tiles must be at most {MAX_TILES:,}, not {self.max_tiles:,}"
                )
        if not isinstance(self.thumbnail, bool):
            raise UsageError(f"encoder {self.name!r}: thumbnail is true or false, not {self.thumbnail!r}")
        if self.resize == "fit" and self.rounding not in ("round", "floor"):
            raise UsageError(f"encoder {self.name!r}: rounding must be 'round' or 'floor'")
        if self.resize == "smart":
            if self.smart_variant not in SMART_VARIANTS:
                raise UsageError(
                    f"encoder {self.name!r}: smart_variant must be one of {', '.join(SMART_VARIANTS)}"
                )
            if self.min_pixels > self.max_pixels:  # type: ignore[operator]
                raise UsageError(f"encoder {self.name!r}: min_pixels is larger than max_pixels")
            factor = self.factor if self.factor is not None else self._merged_step()
            object.__setattr__(self, "factor", factor)
            _positive(self, "factor")
        if self.merge not in MERGES:
            raise UsageError(f"encoder {self.name!r}: merge must be one of {', '.join(MERGES)}")
        _check_merge_factor(self.name, self.merge_factor)
        if self.merge != "none":
            self._merge_grid(64, 64)  # validates merge_factor with the merge's own rules
        for key in ("cls_tokens", "row_tokens", "image_tokens"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FIELD:
                raise UsageError(
                    f"encoder {self.name!r}: {key} must be a whole number from 0 to {MAX_FIELD:,}, "
                    f"not {show(value)}"
                )
        valid = self.valid if self.valid is not None else self._default_valid()
        if valid not in VALID_RULES:
            raise UsageError(f"encoder {self.name!r}: valid must be one of {', '.join(VALID_RULES)}")
        object.__setattr__(self, "valid", valid)
        if self.formula is not None and not isinstance(self.formula, str):
            raise UsageError(f"encoder {self.name!r}: formula is one line of text, not {show(self.formula)}")
        if not self.formula:
            object.__setattr__(self, "formula", self._describe_formula())

    @property
    def size_is_fixed(self) -> bool:
        """Whether every image becomes size×size."""
        return self.resize in ("fixed", "pad-square")

    def _default_valid(self) -> str:
        return {"pad-square": "aspect", "max-patches": "unpadded"}.get(self.resize, "none")

    def _merged_step(self) -> int:
        """Pixels per token side: the patch times the merge's side reduction (Qwen: 14·2 = 28)."""
        if self.merge in ("spatial", "pool"):
            return int(self.patch * self.merge_factor)
        if self.merge == "pixel-shuffle":
            return round(self.patch / self.merge_factor)
        if self.merge == "conv":
            return int(self.patch * self.merge_factor)
        return self.patch

    def _merge_grid(self, rows: int, cols: int) -> tuple[int, int]:
        if self.merge in ("spatial", "pool"):
            return spatial_merge(rows, cols, _whole(self.name, self.merge_factor))
        if self.merge == "pixel-shuffle":
            return pixel_shuffle(rows, cols, float(self.merge_factor))
        if self.merge == "conv":
            return conv_compress(rows, cols, _whole(self.name, self.merge_factor))
        return rows, cols

    def _resized(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) the encoder sees, before padding to whole patches."""
        if self.resize in ("fixed", "pad-square"):
            return self.size, self.size  # type: ignore[return-value]
        if self.resize == "fit":
            return fit_within(width, height, self.max_width, self.max_height, rounding=self.rounding)  # type: ignore[arg-type]
        if self.resize == "smart":
            h, w = smart_resize(
                height,
                width,
                factor=self.factor,  # type: ignore[arg-type]
                min_pixels=self.min_pixels,  # type: ignore[arg-type]
                max_pixels=self.max_pixels,  # type: ignore[arg-type]
                variant=self.smart_variant,  # type: ignore[arg-type]
                temporal_factor=self.temporal_factor,
            )
            return w, h
        return width, height

    def _tile_layout(self, width: int, height: int) -> tuple[int, int, int]:
        """(cols, rows, views) of the "tiles" policy: the tile layout and the images encoded."""
        cols, rows = closest_tile_grid(
            width,
            height,
            tile=self.tile,
            min_tiles=self.min_tiles,
            max_tiles=self.max_tiles,  # type: ignore[arg-type]
        )
        return cols, rows, cols * rows + (1 if self.thumbnail and cols * rows != 1 else 0)

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        views = 1
        if self.resize == "max-patches":
            rows, cols = max_patches_grid(width, height, self.patch, self.max_patches)  # type: ignore[arg-type]
        elif self.size_is_fixed:
            # A patch embedding (a conv with kernel = stride = patch, no padding) drops a remainder:
            # SigLIP-So400m/14 at 384 px is 27×27 = 729 tokens.
            rows = cols = self.size // self.patch  # type: ignore[operator]
        elif self.resize == "tiles":
            rows = cols = self.tile // self.patch  # type: ignore[operator]
            tile_cols, tile_rows, views = self._tile_layout(width, height)
        else:
            resized_w, resized_h = self._resized(width, height)
            rows, cols = ceil_div(resized_h, self.patch), ceil_div(resized_w, self.patch)
        token_rows, token_cols = self._merge_grid(rows, cols)
        real = token_rows * token_cols * views
        tokens = max(real, self.max_patches or 0) if self.resize == "max-patches" else real
        sequence = self.cls_tokens + tokens + self.row_tokens * token_rows * views + self.image_tokens
        valid = {
            "none": None,
            "all": tokens,
            "aspect": aspect_valid(tokens, width, height),
            "unpadded": real,
        }[self.valid]  # type: ignore[index]
        if self.resize == "tiles":
            resized = (tile_cols * self.tile, tile_rows * self.tile)  # type: ignore[operator]
            grid = (tile_rows * rows, tile_cols * cols)
        elif self.size_is_fixed:
            resized, grid = (self.size, self.size), (rows, cols)  # type: ignore[assignment]
        else:
            resized, grid = (cols * self.patch, rows * self.patch), (rows, cols)
        return VisionCount(
            tokens=tokens,
            sequence_tokens=sequence,
            valid_tokens=valid,
            resized=resized,  # type: ignore[arg-type]
            grid=grid,
            tiles=views,
        )

    def views(self, width: int, height: int) -> list[EncoderView]:
        """Tiles and thumbnail for "tiles"; the padded square's content for "pad-square"; the
        patch-padded image for the rest (content is the resized image inside whole patches)."""
        width, height = check_size(width, height)  # Python ints: numpy ones would wrap
        counted = self.count(width, height)
        if self.resize == "tiles":
            return self._tile_views(width, height)
        size = counted.resized
        content: tuple[int, int, int, int] = (0, 0, size[0], size[1])
        if self.resize == "pad-square":
            side = self.size  # type: ignore[assignment]
            scale = side / max(width, height)
            inner_w, inner_h = round(width * scale), round(height * scale)
            left, top = (side - inner_w) // 2, (side - inner_h) // 2
            content = (left, top, left + inner_w, top + inner_h)
        elif self.resize in ("native", "fit", "smart"):
            inner_w, inner_h = self._resized(width, height)
            content = (0, 0, min(inner_w, size[0]), min(inner_h, size[1]))
        elif self.resize == "max-patches":
            rows, cols = counted.grid  # type: ignore[misc]
            size = (cols * self.patch, rows * self.patch)
            content = (0, 0, size[0], size[1])
        return [
            EncoderView(
                kind="image",
                box=(0, 0, width, height),
                size=size,
                content=content,
                grid=counted.grid,
                tokens=counted.tokens,
            )
        ]

    def _tile_views(self, width: int, height: int) -> list[EncoderView]:
        cols, rows, views = self._tile_layout(width, height)
        side = self.tile // self.patch  # type: ignore[operator]
        token_rows, token_cols = self._merge_grid(side, side)
        per_view = token_rows * token_cols
        size = (self.tile, self.tile)
        full = (0, 0, self.tile, self.tile)
        out = squashed_tiles(cols, rows, width, height, self.tile, (side, side), per_view)  # type: ignore[arg-type]
        if views > cols * rows:
            out.append(
                EncoderView(
                    kind="thumbnail",
                    box=(0, 0, width, height),
                    size=size,  # type: ignore[arg-type]
                    content=full,  # type: ignore[arg-type]
                    grid=(side, side),
                    tokens=per_view,
                )
            )
        return out

    def _describe_formula(self) -> str:
        side = {
            "native": "the image padded to whole patches",
            "fixed": f"{self.size}×{self.size}",
            "pad-square": f"padded to a square, {self.size}×{self.size}",
            "fit": f"shrunk to fit {self.max_width}×{self.max_height}",
            "smart": f"smart resize to multiples of {self.factor}, {self.min_pixels}..{self.max_pixels} px",
            "max-patches": f"scaled to ≤ {self.max_patches} patches",
            "tiles": (
                f"{self.min_tiles}..{self.max_tiles} {self.tile}-px tiles by closest aspect ratio"
                + (" + thumbnail" if self.thumbnail else "")
            ),
        }[self.resize]
        merge = {"none": "", "spatial": f", {self.merge_factor}×{self.merge_factor} merge"}.get(
            self.merge, f", {self.merge} {self.merge_factor}"
        )
        extras = [
            f"{n} {label}"
            for n, label in (
                (self.cls_tokens, "CLS"),
                (self.row_tokens, "per row"),
                (self.image_tokens, "per image"),
            )
            if n
        ]
        tail = f"; sequence + {', '.join(extras)}" if extras else ""
        return f"{side}; {self.patch}-px patches{merge}{tail}"

    def to_spec(self) -> dict[str, Any]:
        """The declarative table that rebuilds this preset (the preset-file schema)."""
        spec: dict[str, Any] = {"name": self.name, "patch": self.patch, "resize": self.resize}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in spec or f.name in ("merge", "merge_factor", "source", "formula") or value is None:
                continue
            if value != f.default or (f.name == "rounding" and self.resize == "fit"):
                spec[f.name] = value
        if self.merge != "none":
            factor = self.merge_factor
            spec["merge"] = {"kind": self.merge, "factor": int(factor) if factor == int(factor) else factor}
        spec["valid"] = self.valid
        spec["formula"], spec["source"] = self.formula, self.source
        return spec

    def parameters(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_spec().items() if k not in ("name", "patch", "formula", "source")}


def tile_box(col: int, row: int, cols: int, rows: int, width: int, height: int) -> tuple[int, int, int, int]:
    """The part of a width×height input that tile (col, row) of a cols×rows layout shows, when the
    whole input is squashed onto the layout: edges at ⌊i·width/cols⌋, so the tiles cover it exactly."""
    return (col * width // cols, row * height // rows, (col + 1) * width // cols, (row + 1) * height // rows)


def squashed_tiles(
    cols: int, rows: int, width: int, height: int, tile: int, grid: tuple[int, int], tokens: int
) -> list[EncoderView]:
    """The tile×tile views of a cols×rows layout onto which the whole input is squashed, row by row."""
    return [
        EncoderView(
            kind="tile",
            box=tile_box(col, row, cols, rows, width, height),
            size=(tile, tile),
            content=(0, 0, tile, tile),
            grid=grid,
            tokens=tokens,
        )
        for row in range(rows)
        for col in range(cols)
    ]


#: The most tiles a `tiles` encoder may lay an image out in: the presets use at most 36 (Phi-4's
#: crops), and choosing among the layouts of n tiles takes time and memory that grow with n.
MAX_TILES = 1024


#: The largest whole number a preset's field takes (sizes, pixel budgets, token counts): far
#: beyond any model's (Qwen2-VL's max_pixels is 12,845,056), and small enough that the counts
#: made from them stay exact in the floats their arithmetic divides in.
MAX_FIELD = 1 << 31
#: The largest merge factor: a merge of more than 2^16 × 2^16 patches into one token is a mistake.
MAX_MERGE_FACTOR = 1 << 16


def _positive(encoder: GridEncoder, key: str) -> None:
    value = getattr(encoder, key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(
            f"encoder {encoder.name!r}: {key} must be a positive whole number, not {show(value)}"
        )
    if value > MAX_FIELD:
        raise UsageError(f"encoder {encoder.name!r}: {key} must be at most {MAX_FIELD:,}, not {show(value)}")


def _check_merge_factor(name: str, value: object) -> None:
    """Refuse a merge factor that is not a finite number in (0, MAX_MERGE_FACTOR] (NaN, inf, "2",
    None, 10**400) before any arithmetic meets it; each merge then applies its own rule."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if (
        not number
        or not (isinstance(value, int) or math.isfinite(value))
        or not 0 < value <= MAX_MERGE_FACTOR
    ):  # type: ignore[operator]
        raise UsageError(
            f"encoder {name!r}: the merge factor must be a number above 0 and at most "
            f"{MAX_MERGE_FACTOR:,}, not {show(value)}"
        )


def _whole(name: str, value: float) -> int:
    if float(value) != int(value) or value < 1:
        raise UsageError(f"encoder {name!r}: merge_factor must be a whole number ≥ 1 here, not {value!r}")
    return int(value)
