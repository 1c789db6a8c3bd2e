"""PIXEL: a ViT-MAE language model that reads text rendered as one 16-px strip of 529 patches.

Source: Rust et al., "Language Modelling with Pixels" (ICLR 2023, arXiv 2207.06991) and the
released code (github.com/xplip/pixel): the PangoCairo renderer draws text into a 16×8464 strip
(`max_seq_length` 529 patches of 16×16) and marks the end of the text with an all-black patch; the
attention mask covers the text patches plus that black patch (`get_attention_mask`:
n = min(num_text_patches + 1, 529), pixel/utils/misc.py). Like every ViT-MAE encoder it prepends a
CLS token to the patch sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pixtok.encoders.base import Encoder, VisionCount
from pixtok.errors import UsageError
from pixtok.patches import blank_mask, patchify


@dataclass(frozen=True, repr=False)
class PixelEncoder(Encoder):
    """PIXEL's fixed-length strip: always `max_patches` tokens; valid ones end at the black patch."""

    name: str = "pixel"
    patch: int = 16
    max_patches: int = 529
    cls_tokens: int = 1
    formula: str = "16×8464 strip = 529 patches of 16 px (+1 CLS); valid = patches up to the black end patch"
    source: str = (
        "Rust et al., Language Modelling with Pixels (ICLR 2023, arXiv 2207.06991); "
        "github.com/xplip/pixel PangoCairoTextRenderer (16×8464, 529 patches) and get_attention_mask"
    )

    def _count(self, width: int, height: int, pixels: np.ndarray | None) -> VisionCount:
        if height != self.patch or width > self.patch * self.max_patches:
            raise UsageError(
                f"{self.name} reads one {self.patch}-px strip up to {self.patch * self.max_patches} px wide, "
                f"not a {width}×{height} image (render with the 'pixel' preset)"
            )
        return VisionCount(
            tokens=self.max_patches,
            sequence_tokens=self.max_patches + self.cls_tokens,
            valid_tokens=None if pixels is None else self.valid_patches(pixels),
            resized=(self.patch * self.max_patches, self.patch),
            grid=(1, self.max_patches),
            tiles=1,
        )

    def valid_patches(self, pixels: np.ndarray) -> int | None:
        """Patches up to and including the first all-black one; None when the strip has no end patch."""
        grid = patchify(np.ascontiguousarray(pixels), self.patch, pad="background")
        black = ~blank_mask(grid.patches, background=0)
        ends = np.flatnonzero(black.ravel())
        return int(ends[0]) + 1 if ends.size else None

    def parameters(self) -> dict[str, Any]:
        return {"strip": [self.patch * self.max_patches, self.patch], "max_patches": self.max_patches}
