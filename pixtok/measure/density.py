"""How much a rendered page holds: ink, busy patches, pixel entropy, PNG size and text information.

A compression ratio (text tokens per vision token) says nothing of how full the pages are or how
much the text carries. These measures put both sides in bits:

- `ink_coverage`: mean ink over the page, ink = |pixel − background| / 255 (1.0 is a page of
  solid ink); anti-aliased edges count by their darkness. `ink_pixel_fraction`: share of pixels
  that differ from the background at all.
- `nonblank_patch_fraction`: share of patch×patch cells (`pixtok.patches.patchify`) holding any
  ink: what an encoder that skipped blank patches would still spend.
- `mean_patch_entropy`: Shannon entropy (bits) of the 256-level histogram of each patch's
  pixels, averaged over all patches (`mean_nonblank_patch_entropy` over the inked ones).
- `png_bits_per_pixel`: PNG size of the page (Pillow, zlib level 6, no metadata:
  deterministic) × 8 / pixels. `png_ink_bits`: that size minus the PNG size of a blank
  page of the same shape, so the container and the empty page cost nothing.
- `text_bits`: the information content of the text the page shows, estimated as the size of its
  UTF-8 bytes after LZMA2 at preset 9 | extreme (raw stream: no container header), minus the
  size of an empty stream. A blank page shows no text (at most whitespace) and carries 0 bits. Per-page values
  compress each page's text alone; the total compresses the whole text once, so it is at most
  the sum of the pages (shared context).

Bits per vision token and per text token are these `text_bits` over the token counts that
`pixtok.compare` gets from each encoder and tokenizer.
"""

from __future__ import annotations

import functools
import io
import lzma
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from pixtok.errors import InputError
from pixtok.patches import PatchGrid, patchify

if TYPE_CHECKING:
    from pixtok.render import RenderResult

#: The LZMA2 settings of `text_information_bits`.
LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]
#: The dictionary of preset 9 (64 MiB), and the smallest LZMA2 has (4 KiB).
_PRESET_DICT, _SMALLEST_DICT = 1 << 26, 1 << 12
#: zlib level of the PNG size measure: Pillow's default; level 9 took 5x longer (0.14 s against
#: 0.03 s on a 1024² text page) for a file 3 % smaller.
PNG_LEVEL = 6


def _lzma_size(data: bytes) -> int:
    return len(_lzma_stream(data))


def _lzma_stream(data: bytes) -> bytes:
    """`data` after `LZMA_FILTERS`, with the dictionary cut to the power of two that
    holds the data. Preset 9's dictionary of 64 MiB costs the encoder some 670 MiB and 60 ms
    to set up on every call, for a page's text as for a whole one. No match can reach further
    back than the data, so the two differ only in the size of the encoder's hash table, and the
    streams come out the same, byte for byte (tests/test_density.py compares them over the
    corpus, at many lengths), for a page's text at a twentieth of the time."""
    dictionary = min(_PRESET_DICT, max(_SMALLEST_DICT, 1 << (len(data) - 1).bit_length()))
    filters = [{**LZMA_FILTERS[0], "dict_size": dictionary}]
    return lzma.compress(data, format=lzma.FORMAT_RAW, filters=filters)


@functools.cache
def _empty_lzma_size() -> int:
    return _lzma_size(b"")


def text_information_bits(text: str) -> float:
    """Bits of `text` after LZMA2 (preset 9 | extreme), less an empty stream.

    Text that is nothing but whitespace shows nothing on a page and counts 0 bits.
    """
    if not text.strip():
        return 0.0
    return float(8 * max(0, _lzma_size(text.encode("utf-8")) - _empty_lzma_size()))


def png_size(page: np.ndarray) -> int:
    """Bytes of the page as PNG (Pillow, zlib level `PNG_LEVEL`, no metadata): deterministic."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, format="PNG", optimize=False, compress_level=PNG_LEVEL)
    return len(buffer.getvalue())


Background = int | tuple[int, ...]


@functools.lru_cache(maxsize=32)
def _blank_png_size(shape: tuple[int, ...], background: Background) -> int:
    blank = np.empty(shape, dtype=np.uint8)
    blank[...] = background
    return png_size(blank)


def _ink(page: np.ndarray, background: Background) -> np.ndarray:
    """Ink per pixel in [0, 1]: the largest channel difference from the background."""
    level = np.asarray(background, dtype=np.int16)
    if page.ndim == 2 and level.ndim:
        raise InputError("a grey page needs a grey background level, not a colour")
    diff = np.abs(page.astype(np.int16) - level).astype(np.float32) / 255.0
    return diff.max(axis=2) if diff.ndim == 3 else diff


def _patch_entropy(grid_patches: np.ndarray) -> np.ndarray:
    """Shannon entropy (bits) of each patch's pixel-value histogram: (rows, cols) floats."""
    rows, cols = grid_patches.shape[:2]
    values = np.ascontiguousarray(grid_patches).reshape(rows * cols, -1)
    n = values.shape[1]
    terms = _entropy_terms(n)
    entropy = np.empty(rows * cols, dtype=np.float64)
    # One bincount over (patch, value) pairs gives the histograms of a block of patches at
    # once, and each count's term of the sum is looked up (a patch of n pixels has n + 1
    # possible counts). Blocks keep the histograms a few MB, whatever the page.
    block = max(1, _HISTOGRAM_CELLS // 256)
    for start in range(0, rows * cols, block):
        part = values[start : start + block]
        index = (np.arange(len(part), dtype=np.int64)[:, None] * 256 + part).ravel()
        counts = np.bincount(index, minlength=len(part) * 256).reshape(len(part), 256)
        entropy[start : start + len(part)] = terms[counts].sum(axis=1)
    return entropy.reshape(rows, cols)


#: Histogram counts made at once by `_patch_entropy` (int64: 2 MiB).
_HISTOGRAM_CELLS = 1 << 18


@functools.lru_cache(maxsize=8)
def _entropy_terms(n: int) -> np.ndarray:
    """-p log2 p of p = count / n for every count from 0 to n (0 for a count of 0)."""
    p = np.arange(n + 1, dtype=np.int64) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    terms.flags.writeable = False
    return terms


def page_density(
    page: np.ndarray, patch: int = 16, *, background: Background = 255, grid: PatchGrid | None = None
) -> dict[str, Any]:
    """Ink, patch and compression measures of one page (grey or colour uint8).

    `background` is the page's blank pixel: a grey level, or (r, g, b) for colour pages
    (`RenderResult.background` gives it for rendered pages).
    """
    if not isinstance(page, np.ndarray) or page.dtype != np.uint8 or page.ndim not in (2, 3):
        raise InputError("a page must be a uint8 array of shape (height, width) or (height, width, channels)")
    if grid is None:  # callers that already cut the page into patches pass the grid
        grid = patchify(page, patch, background=background)
    ink = _ink(page, background)
    grey_patches = grid.patches if grid.patches.ndim == 4 else grid.patches.max(axis=-1)
    entropy = _patch_entropy(grey_patches)
    pixels = int(page.shape[0] * page.shape[1])
    png = png_size(page)
    blank_png = _blank_png_size(tuple(page.shape), background)
    inked = entropy[grid.nonblank]
    return {
        "width": int(page.shape[1]),
        "height": int(page.shape[0]),
        "ink_coverage": round(float(ink.mean()), 6),
        "ink_pixel_fraction": round(float(np.count_nonzero(ink) / pixels), 6),
        "patches": grid.total,
        "nonblank_patches": grid.nonblank_count,
        "nonblank_patch_fraction": round(grid.nonblank_count / grid.total, 6),
        "mean_patch_entropy": round(float(entropy.mean()), 6),
        "mean_nonblank_patch_entropy": round(float(inked.mean()), 6) if len(inked) else 0.0,
        "png_bytes": png,
        "png_bits_per_pixel": round(8 * png / pixels, 6),
        "png_ink_bits": 8 * max(0, png - blank_png),
        "_ink_sum": float(ink.sum()),
        "_ink_pixels": int(np.count_nonzero(ink)),
        "_entropy_sum": float(entropy.sum()),
        "_inked_entropy_sum": float(inked.sum()),
    }


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def density_report(
    result: RenderResult, text: str, patch: int = 16, grids: list[PatchGrid] | None = None
) -> dict[str, Any]:
    """Per-page and total density of a `RenderResult` of `text`.

    Pages carry the measures of `page_density` plus `chars`, `text_bytes` (UTF-8) and
    `text_bits` of the text each page shows; `total` aggregates them (pixel- and patch-weighted
    means, summed sizes, and the whole text's `text_bits`). Pages not yet drawn are drawn one
    after another and let go (`RenderResult.iter_pages`): a book is measured in the memory of
    two batches of pages.
    """
    background = result.background
    pages: list[dict[str, Any]] = []
    for index, page in enumerate(result.iter_pages()):
        start, end = result.page_char_span(index)
        shown = text[start:end]
        grid = grids[index] if grids is not None else None
        record = page_density(page, patch, background=background, grid=grid)
        record.update(_text_measures(shown))
        pages.append({"page": index + 1, **record})  # pages count from 1, as in file names
    pixels = sum(p["width"] * p["height"] for p in pages)
    patches = sum(p["patches"] for p in pages)
    nonblank = sum(p["nonblank_patches"] for p in pages)
    png = sum(p["png_bytes"] for p in pages)
    total = {
        "pages": len(pages),
        "pixels": pixels,
        "ink_coverage": round(sum(p["_ink_sum"] for p in pages) / pixels, 6),
        "ink_pixel_fraction": round(sum(p["_ink_pixels"] for p in pages) / pixels, 6),
        "patches": patches,
        "nonblank_patches": nonblank,
        "nonblank_patch_fraction": round(nonblank / patches, 6),
        "mean_patch_entropy": round(sum(p["_entropy_sum"] for p in pages) / patches, 6),
        "mean_nonblank_patch_entropy": round(sum(p["_inked_entropy_sum"] for p in pages) / nonblank, 6)
        if nonblank
        else 0.0,
        "png_bytes": png,
        "png_bits_per_pixel": round(8 * png / pixels, 6),
        "png_ink_bits": sum(p["png_ink_bits"] for p in pages),
        **_text_measures(text),
    }
    return {"patch": patch, "pages": [_public(p) for p in pages], "total": total}


def combine_totals(parts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The `total` of several density reports (several texts): sizes and bits add up, means are
    weighted by pixels, patches and characters. Each text was compressed alone, so `text_bits`
    is their sum."""
    pixels = sum(p["pixels"] for p in parts)
    patches = sum(p["patches"] for p in parts)
    nonblank = sum(p["nonblank_patches"] for p in parts)
    chars = sum(p["chars"] for p in parts)
    bits = sum(p["text_bits"] for p in parts)
    png = sum(p["png_bytes"] for p in parts)
    return {
        "pages": sum(p["pages"] for p in parts),
        "pixels": pixels,
        "ink_coverage": round(sum(p["ink_coverage"] * p["pixels"] for p in parts) / pixels, 6),
        "ink_pixel_fraction": round(sum(p["ink_pixel_fraction"] * p["pixels"] for p in parts) / pixels, 6),
        "patches": patches,
        "nonblank_patches": nonblank,
        "nonblank_patch_fraction": round(nonblank / patches, 6) if patches else 0.0,
        "mean_patch_entropy": round(sum(p["mean_patch_entropy"] * p["patches"] for p in parts) / patches, 6)
        if patches
        else 0.0,
        "png_bytes": png,
        "png_bits_per_pixel": round(8 * png / pixels, 6) if pixels else 0.0,
        "png_ink_bits": sum(p["png_ink_bits"] for p in parts),
        "chars": chars,
        "text_bytes": sum(p["text_bytes"] for p in parts),
        "text_bits": bits,
        "text_bits_per_char": round(bits / chars, 6) if chars else 0.0,
    }


def _text_measures(text: str) -> dict[str, Any]:
    bits = text_information_bits(text)
    return {
        "chars": len(text),
        "text_bytes": len(text.encode("utf-8")),
        "text_bits": bits,
        "text_bits_per_char": round(bits / len(text), 6) if text else 0.0,
    }


def bits_per_token(text_bits: float, tokens: int) -> float | None:
    """Text information per token (None when there are no tokens)."""
    return round(text_bits / tokens, 6) if tokens else None


__all__ = [
    "LZMA_FILTERS",
    "PNG_LEVEL",
    "bits_per_token",
    "combine_totals",
    "density_report",
    "page_density",
    "png_size",
    "text_information_bits",
]
