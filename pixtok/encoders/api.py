"""Published token formulas of hosted vision APIs (approximations the providers document).

These models publish no patch grid or processor code, only a sizing rule and a token formula in
their documentation; the counts are as exact as those rules, no more. Where the documentation
leaves a rounding open, the choice made here is stated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pixtok.encoders.base import Encoder, VisionCount
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

    def parameters(self) -> dict[str, Any]:
        return {
            "max_side": self.max_side,
            "short_side": self.short_side,
            "base_tokens": self.base_tokens,
            "tile_tokens": self.tile_tokens,
        }
