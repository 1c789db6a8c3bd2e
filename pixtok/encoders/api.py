"""Published token formulas of hosted vision APIs (approximations the providers document).

These models publish no patch grid or processor code, only a sizing rule and a token formula in
their documentation; the counts are as exact as those rules, no more. Where the documentation
leaves a rounding open, the choice made here is stated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from pixtok.encoders.base import Encoder, EncoderView, VisionCount, check_size
from pixtok.patches import ceil_div


@dataclass(frozen=True, repr=False)
class ClaudeEncoder(Encoder):
    """Anthropic Claude: fit the long edge to ≤ 1568 px and the image to ≈ 1,600 tokens; tokens ≈ W·H/750.

    Source: Anthropic's vision guide (docs.anthropic.com/en/docs/build-with-claude/vision,
    "Evaluate image size" / "Calculate image costs"): an image whose long edge exceeds 1568 px, or
    that would cost more than ~1,600 tokens, is scaled down preserving its aspect ratio; tokens =
    (width px · height px)/750. The guide's own examples round up (200×200 → ~54, 1000×1000 →
    ~1334), so tokens are ⌈W·H/750⌉; scaled sides are rounded down, which keeps them in bounds.
    """

    reads_pixels: ClassVar[bool] = False  # the count depends on the size alone

    name: str = "claude"
    patch: int | None = None
    max_edge: int = 1568
    max_tokens: int = 1600
    pixels_per_token: int = 750
    formula: str = "fit long edge ≤ 1568 px and ≤ ~1600 tokens; tokens = ⌈W·H/750⌉"
    source: str = (
        "Anthropic vision docs (docs.anthropic.com/en/docs/build-with-claude/vision): tokens = W·H/750"
    )

    def resize(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) after the documented downscaling."""
        long_side, short_side = max(width, height), min(width, height)
        if long_side > self.max_edge:
            short_side = max(1, short_side * self.max_edge // long_side)
            long_side = self.max_edge
        w, h = (long_side, short_side) if width >= height else (short_side, long_side)
        budget = self.max_tokens * self.pixels_per_token
        if w * h > budget:
            scale = math.sqrt(budget / (w * h))
            w, h = max(1, math.floor(w * scale)), max(1, math.floor(h * scale))
        return w, h

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        w, h = self.resize(width, height)
        tokens = ceil_div(w * h, self.pixels_per_token)
        return VisionCount(
            tokens=tokens, sequence_tokens=tokens, valid_tokens=None, resized=(w, h), grid=None
        )

    def parameters(self) -> dict[str, Any]:
        return {
            "max_edge": self.max_edge,
            "max_tokens": self.max_tokens,
            "pixels_per_token": self.pixels_per_token,
        }


@dataclass(frozen=True, repr=False)
class GPT4oEncoder(Encoder):
    """OpenAI GPT-4o (detail "high"): fit into 2048², short side to 768, 85 + 170 per 512-px tile.

    Source: OpenAI's vision guide (platform.openai.com/docs/guides/images-vision, "Calculating
    costs"): scale to fit within 2048×2048 keeping the aspect ratio, then so that the shortest side
    is 768 px, count the 512-px squares covering the image, 170 tokens each plus 85. Its examples
    (1024² → 765, 2048×4096 → 1105) are reproduced by the tests. Images whose short side is already
    ≤ 768 px are not enlarged (a 128×64 image bills as one tile in practice); scaled sides are
    rounded down.
    """

    reads_pixels: ClassVar[bool] = False  # the count depends on the size alone

    name: str = "gpt-4o"
    patch: int | None = 512
    max_side: int = 2048
    short_side: int = 768
    base_tokens: int = 85
    tile_tokens: int = 170
    formula: str = "fit 2048², short side → 768; 85 + 170 × (512-px tiles)"
    source: str = (
        "OpenAI vision guide (platform.openai.com/docs/guides/images-vision), calculating costs, detail high"
    )

    def resize(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) after the documented two scaling steps."""
        long_side, short_side = max(width, height), min(width, height)
        if long_side > self.max_side:
            short_side = max(1, short_side * self.max_side // long_side)
            long_side = self.max_side
        if short_side > self.short_side:
            long_side = max(1, long_side * self.short_side // short_side)
            short_side = self.short_side
        return (long_side, short_side) if width >= height else (short_side, long_side)

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        w, h = self.resize(width, height)
        rows, cols = ceil_div(h, self.patch), ceil_div(w, self.patch)  # type: ignore[arg-type]
        tokens = self.base_tokens + self.tile_tokens * rows * cols
        return VisionCount(
            tokens=tokens,
            sequence_tokens=tokens,
            valid_tokens=None,
            resized=(w, h),
            grid=(rows, cols),
            tiles=rows * cols,
        )

    def views(self, width: int, height: int) -> list[EncoderView]:
        """The low-detail overview (the 85 base tokens) first, then the 512-px tiles of the resized image."""
        width, height = check_size(width, height)  # Python ints: numpy ones would wrap
        w, h = self.resize(width, height)
        tile = self.patch  # type: ignore[assignment]
        rows, cols = ceil_div(h, tile), ceil_div(w, tile)
        views = [
            EncoderView(
                kind="global",
                box=(0, 0, width, height),
                size=(tile, tile),
                content=(0, 0, tile, tile),
                grid=None,
                tokens=self.base_tokens,
            )
        ]
        for row in range(rows):
            for col in range(cols):
                x0, y0 = col * tile, row * tile
                x1, y1 = min(x0 + tile, w), min(y0 + tile, h)
                views.append(
                    EncoderView(
                        kind="tile",
                        box=(x0 * width // w, y0 * height // h, x1 * width // w, y1 * height // h),
                        size=(tile, tile),
                        content=(0, 0, x1 - x0, y1 - y0),
                        grid=None,
                        tokens=self.tile_tokens,
                    )
                )
        return views

    def parameters(self) -> dict[str, Any]:
        return {
            "max_side": self.max_side,
            "short_side": self.short_side,
            "base_tokens": self.base_tokens,
            "tile_tokens": self.tile_tokens,
        }


@dataclass(frozen=True, repr=False)
class OpenAIPatchEncoder(Encoder):
    """OpenAI's patch counting (GPT-4.1 mini and nano, o4-mini): 32-px patches, at most 1536.

    Source: OpenAI's images and vision guide ("Calculating costs", the patch-based models):
    patches = ⌈w/32⌉·⌈h/32⌉; above 1536 the image is shrunk by √(1536·32²/(w·h)), then again so
    its width is a whole number of patches (the guide's example: 1800×2400 → 1086×1448 → ×33/33.94
    → 1056×1408 → 33×44 = 1452 patches; 1024² → 1024). Image tokens = patches; the guide bills them
    times a per-model multiplier (1.62 for gpt-4.1-mini, 2.46 for gpt-4.1-nano), kept here as a
    parameter, not applied. The guide fits the width in its example and does not say which side
    is fitted in general; pixtok fits the width, as the example does.
    """

    reads_pixels: ClassVar[bool] = False  # the count depends on the size alone

    name: str = "gpt-4.1-mini"
    patch: int | None = 32
    max_patches: int = 1536
    billing_multiplier: float = 1.62
    formula: str = "⌈w/32⌉·⌈h/32⌉ patches, scaled down to ≤ 1536; image tokens = patches (billed × 1.62)"
    source: str = (
        "OpenAI images and vision guide (platform.openai.com/docs/guides/images-vision), calculating "
        "costs for gpt-4.1-mini, gpt-4.1-nano, o4-mini: 32-px patches capped at 1536, multiplier 1.62 (mini)"
    )

    def resize(self, width: int, height: int) -> tuple[float, float]:
        """(width, height) after the guide's two shrink steps (unchanged when within the cap)."""
        patch = self.patch  # type: ignore[assignment]
        if ceil_div(width, patch) * ceil_div(height, patch) <= self.max_patches:
            return float(width), float(height)
        shrink = math.sqrt(self.max_patches * patch * patch / (width * height))
        w, h = width * shrink, height * shrink
        fit = math.floor(w / patch) / (w / patch)
        return w * fit, h * fit

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        w, h = self.resize(width, height)
        patch = self.patch  # type: ignore[assignment]
        cols, rows = max(1, math.ceil(w / patch)), max(1, math.ceil(h / patch))
        tokens = min(rows * cols, self.max_patches)
        return VisionCount(
            tokens=tokens,
            sequence_tokens=tokens,
            valid_tokens=None,
            resized=(math.floor(w), math.floor(h)),
            grid=(rows, cols),
            tiles=1,
        )

    def parameters(self) -> dict[str, Any]:
        return {"max_patches": self.max_patches, "billing_multiplier": self.billing_multiplier}


@dataclass(frozen=True, repr=False)
class GeminiEncoder(Encoder):
    """Google Gemini (2.0 and later, default media resolution): 258 tokens, or 258 per 768-px tile.

    Source: the Gemini API token guide (ai.google.dev/gemini-api/docs/tokens): "image inputs with
    both dimensions <= 384 pixels are counted as 258 tokens. Images larger in one or both dimensions
    are cropped and scaled as needed into tiles of 768x768 pixels, each counted as 258 tokens"; the
    stored copy read here is its restatement with code at geminibyexample.com/027-calculate-input-
    tokens (tiles = ⌈w/768⌉·⌈h/768⌉; its example: 600×400 → 258). Google does not publish the
    crop-and-scale rule itself, so the tile count is that ceiling, no more exact; Gemini 3's
    `media_resolution` budgets are not modelled.
    """

    reads_pixels: ClassVar[bool] = False  # the count depends on the size alone

    name: str = "gemini"
    patch: int | None = 768
    small_side: int = 384
    tile_tokens: int = 258
    formula: str = "258 if both sides ≤ 384 px, else 258 × ⌈w/768⌉·⌈h/768⌉"
    source: str = (
        "Gemini API docs, tokens (ai.google.dev/gemini-api/docs/tokens): 258 tokens for images ≤ 384 px, "
        "else 258 per 768×768 tile; geminibyexample.com/027-calculate-input-tokens"
    )

    def _layout(self, width: int, height: int) -> tuple[int, int]:
        if width <= self.small_side and height <= self.small_side:
            return 1, 1
        tile = self.patch  # type: ignore[assignment]
        return ceil_div(width, tile), ceil_div(height, tile)

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        cols, rows = self._layout(width, height)
        tokens = self.tile_tokens * cols * rows
        return VisionCount(
            tokens=tokens,
            sequence_tokens=tokens,
            valid_tokens=None,
            resized=(width, height),
            grid=None,
            tiles=cols * rows,
        )

    def views(self, width: int, height: int) -> list[EncoderView]:
        width, height = check_size(width, height)  # Python ints: numpy ones would wrap
        cols, rows = self._layout(width, height)
        tile = self.patch  # type: ignore[assignment]
        if cols * rows == 1:
            return [
                EncoderView("image", (0, 0, width, height), (width, height), (0, 0, width, height), None,
                            self.tile_tokens)
            ]  # fmt: skip
        return [
            EncoderView(
                kind="tile",
                box=(c * tile, r * tile, min((c + 1) * tile, width), min((r + 1) * tile, height)),
                size=(tile, tile),
                content=(0, 0, min((c + 1) * tile, width) - c * tile, min((r + 1) * tile, height) - r * tile),
                grid=None,
                tokens=self.tile_tokens,
            )
            for r in range(rows)
            for c in range(cols)
        ]

    def parameters(self) -> dict[str, Any]:
        return {"small_side": self.small_side, "tile_tokens": self.tile_tokens}
