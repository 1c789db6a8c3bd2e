"""Pixels → patch grids: how a vision encoder cuts a page, which patches carry ink, how grids merge.

A vision transformer never sees a page: it sees a grid of square patches. `patchify` cuts a page
the way an encoder's patch embedding does, as a zero-copy view wherever the page allows one, and
marks which patches are blank (every pixel equal to the background), which is what a page of text
spends on margins and line gaps. The merge functions give the token grid that remains after the
encoder's own reduction step (Qwen2-VL's 2×2 merge, InternVL's pixel shuffle, DeepSeek-OCR's
convolutional compressor).

Speed: on grey pages cut into patches that do not overlap (what every encoder does), the blank mask
is one compiled pass over the page's rows (`_patch_mask`), with no padded copy of a cropped page;
the patches themselves are a view made when first read. Other cuts reduce the 4-D view one patch
axis at a time (a row reduction, then a column reduction), ~0.2 ms for a 1024² page, against ~2 ms
for one reduction over both axes at once; no Python loop runs per patch. A heavy overlap, where
that would make more than a few pages' worth of values, sums the pixels that differ from the
paper over each window with prefix sums instead (`_nonblank_windows`), in memory near the page's.
"""

from __future__ import annotations

import functools
import io
import os
import re
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pixtok import _patch_mask
from pixtok.errors import InputError, LimitError, UsageError, show
from pixtok.limits import check_image_pixels
from pixtok.limits import current as current_limits

PadMode = Literal["none", "zero", "edge", "background"]
PAD_MODES: tuple[str, ...] = ("none", "zero", "edge", "background")


@dataclass(frozen=True, eq=False)
class PatchGrid:
    """A page cut into patches.

    `patches` has shape (rows, cols, patch, patch) for grey pages and (rows, cols, patch, patch, C)
    for colour ones; it is a read-only view of the page (or of a padded copy when the page had to be
    padded to whole patches, made when `patches` is first read). `nonblank[r, c]` is True when
    patch (r, c) has a pixel that differs from the background.
    """

    rows: int
    cols: int
    patch: int
    stride: int
    nonblank: np.ndarray
    total: int
    nonblank_count: int
    page: np.ndarray = field(repr=False)
    pad: PadMode = "background"
    background: int | tuple[int, ...] = 255

    @functools.cached_property
    def patches(self) -> np.ndarray:
        """The patches as a read-only (rows, cols, patch, patch[, C]) view."""
        return _patches(self.page, self.rows, self.cols, self.patch, self.stride, self.pad, self.background)

    @property
    def blank_count(self) -> int:
        """Patches in which every pixel equals the background."""
        return self.total - self.nonblank_count


def _check_page(page: np.ndarray) -> np.ndarray:
    """The page as a plain uint8 ndarray of 2 or 3 axes, within the `image-pixels` limit.

    A subclass (np.matrix, a masked array) is read as the plain array of its values: np.matrix
    keeps two axes through every reshape, which the patch view needs. A page of more pixels
    than the limit is refused before any pass copies it: a broadcast view declares a size its
    memory does not have (`np.broadcast_to(page, (10**5, 10**5))`), and a copy of it is that big.
    """
    if not isinstance(page, np.ndarray):
        raise InputError(f"a page must be a numpy array, not {type(page).__name__}")
    if type(page) is not np.ndarray:
        page = page.view(np.ndarray)
    if page.dtype != np.uint8:
        raise InputError(f"a page must hold uint8 pixels, not {page.dtype}")
    if page.ndim not in (2, 3) or (page.ndim == 3 and page.shape[2] not in (1, 2, 3, 4)):
        raise InputError(f"a page must be (height, width) or (height, width, channels), not {page.shape}")
    if page.shape[0] == 0 or page.shape[1] == 0:
        raise InputError(f"the page is empty ({page.shape[1]}×{page.shape[0]} pixels)")
    check_image_pixels(page.shape[1], page.shape[0], "the page", "page")
    return page


def check_whole(value: object, option: str, unit: str = " of pixels") -> int:
    """`value` as a Python int when it is a positive whole number (a numpy integer included),
    else a UsageError naming `option`: arithmetic on a numpy uint64 would wrap, not grow."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise UsageError(f"{option} must be a positive whole number{unit}, not {show(value)}")
    return int(value)


def grid_shape(
    height: int, width: int, patch: int, *, stride: int | None = None, pad: str = "background"
) -> tuple[int, int]:
    """The (rows, cols) grid `patchify` cuts from a height×width page, without touching pixels.

    With padding, a partial patch at the right or bottom edge counts as a patch (the page is padded
    to cover it; a page smaller than a patch is one patch, as a processor pads a small image);
    with pad="none" it is dropped. A patch that would start past the edge (a stride
    longer than the patch) holds no pixel of the page and is not counted, so the padded page is
    never more than a patch larger than the page, whatever the stride (`stride=2**70` is one patch).
    """
    height, width = check_whole(height, "page height"), check_whole(width, "page width")
    patch = check_whole(patch, "patch size")
    step = patch if stride is None else check_whole(stride, "stride")
    if not isinstance(pad, str) or pad not in PAD_MODES:
        raise UsageError(f"pad must be one of {', '.join(PAD_MODES)}, not {pad!r}")
    if pad == "none":
        if patch > height or patch > width:
            raise UsageError(
                f"patch size {patch} is larger than the {width}×{height} image, and pad='none' "
                "keeps no partial patch"
            )
        return (height - patch) // step + 1, (width - patch) // step + 1
    return _padded_count(height, patch, step), _padded_count(width, patch, step)


def _padded_count(length: int, patch: int, step: int) -> int:
    """Patches along one axis when the edge is padded: enough to cover it (the last one may run
    past it), but none that starts at or past it; one for an edge shorter than a patch."""
    if length <= patch:
        return 1
    return min(ceil_div(length - patch, step), (length - 1) // step) + 1


def _pad_page(
    page: np.ndarray, height: int, width: int, pad: str, background: int | tuple[int, ...]
) -> np.ndarray:
    if pad == "edge":
        extra = [(0, height - page.shape[0]), (0, width - page.shape[1])] + [(0, 0)] * (page.ndim - 2)
        return np.pad(page, extra, mode="edge")
    padded = np.empty((height, width, *page.shape[2:]), dtype=page.dtype)
    padded[...] = background if pad == "background" else 0
    padded[: page.shape[0], : page.shape[1]] = page
    return padded


def _patches(
    page: np.ndarray,
    rows: int,
    cols: int,
    patch: int,
    stride: int,
    pad: str,
    background: int | tuple[int, ...],
) -> np.ndarray:
    """The rows x cols patches of `page`, padded as `pad` says where they run past its edges."""
    height, width = (rows - 1) * stride + patch, (cols - 1) * stride + patch
    if height > page.shape[0] or width > page.shape[1]:
        # Cropped first: one axis may need padding while the other runs past the last patch
        # (a stride longer than the patch), and padding takes no negative amount.
        page = _pad_page(page[:height, :width], height, width, pad, background)
    return _patch_view(page, rows, cols, patch, stride)


def _patch_view(page: np.ndarray, rows: int, cols: int, patch: int, stride: int) -> np.ndarray:
    """A (rows, cols, p, p[, C]) view of the top-left rows×cols patches of `page` (which covers them)."""
    height, width = (rows - 1) * stride + patch, (cols - 1) * stride + patch
    page = page[:height, :width]
    if stride == patch:
        # Splitting each axis in two is always possible without a copy, even on a cropped page.
        shape = (rows, patch, cols, patch, *page.shape[2:])
        view = page.reshape(shape).swapaxes(1, 2)
    else:
        # The view holds rows x cols windows; a step past the page (one window) is the page's size.
        step = min(stride, max(page.shape[0], page.shape[1]))
        windows = sliding_window_view(page, (patch, patch), axis=(0, 1))[::step, ::step]
        view = np.moveaxis(windows, 2, -1) if page.ndim == 3 else windows
    view = view.view()
    view.flags.writeable = False
    return view


def blank_mask(patches: np.ndarray, background: int | tuple[int, ...] = 255) -> np.ndarray:
    """True where a patch has a pixel that differs from `background` (in any channel).

    `background` is one grey level, or one level per channel for colour pages. The two pixel axes
    are reduced one after the other; only the reductions that can find a difference run (nothing
    is darker than 0 or lighter than 255).
    """
    _check_patches(patches)
    levels = np.asarray(background, dtype=np.int16)
    nonblank = np.zeros(patches.shape[:2] + patches.shape[4:], dtype=bool)
    if levels.max() > 0:
        nonblank |= patches.min(axis=2).min(axis=2) < levels
    if levels.min() < 255:
        nonblank |= patches.max(axis=2).max(axis=2) > levels
    return nonblank.any(axis=2) if nonblank.ndim == 3 else nonblank


def _check_patches(patches: object) -> None:
    """Refuse what is not patches as `PatchGrid.patches` holds them: a uint8 array of (rows,
    cols, p, p) or (rows, cols, p, p, C)."""
    if not isinstance(patches, np.ndarray) or patches.dtype != np.uint8 or patches.ndim not in (4, 5):
        what = (
            f"a {patches.dtype} array of shape {patches.shape}"
            if isinstance(patches, np.ndarray)
            else type(patches).__name__
        )
        raise UsageError(
            f"patches must be a uint8 array (rows, cols, p, p[, C]) as PatchGrid.patches, not {what}"
        )


def _check_background(background: object, page: np.ndarray) -> int | tuple[int, ...]:
    """One grey level, or (for colour pages) one level per channel, each 0..255."""
    values = background if isinstance(background, (tuple, list)) else (background,)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= 255:
            raise UsageError(f"background must be pixel values from 0 to 255, not {background!r}")
    if isinstance(background, (tuple, list)):
        channels = page.shape[2] if page.ndim == 3 else 1
        if len(values) != channels:
            raise UsageError(f"background has {len(values)} levels but the page has {channels} channel(s)")
        return tuple(int(v) for v in values)
    return int(background)  # type: ignore[arg-type]


def check_padded_page(height: int, width: int, rows: int, cols: int, patch: int, stride: int) -> None:
    """Refuse a grid whose padded page (what `PatchGrid.patches` pads a height×width page to)
    holds more than four times the page's pixels and more than the `image-pixels` limit: a patch
    far larger than the page (`patch=2**40`) would pad it to patch² pixels. Padding of less than
    that, on a page already drawn or decoded within the limits, is not held back."""
    padded_width, padded_height = (cols - 1) * stride + patch, (rows - 1) * stride + patch
    if padded_width * padded_height > 4 * height * width:
        check_image_pixels(padded_width, padded_height, "the page", "padded page")


def _window_any(mask: np.ndarray, count: int, patch: int, stride: int) -> np.ndarray:
    """Along the last axis of a 2-D bool `mask`: whether each of `count` windows of `patch`
    values, one every `stride`, holds a True, as (mask rows, count); windows are clipped to the
    mask (the part past its edge is judged by the caller). Prefix sums along the row, a block of
    rows at a time: memory stays near the size of the mask whatever the overlap (a 4-D view
    reduced one axis at a time makes rows × cols × patch values, gigabytes at stride 1)."""
    height, length = mask.shape
    # Only the first window can start past a shorter stride's reach, so a huge stride is cut
    # down to one that still puts every other window past the edge (and fits an int64).
    starts = np.arange(count, dtype=np.int64) * min(stride, length)
    ends = np.minimum(starts + patch, length)
    out = np.empty((height, count), dtype=bool)
    block = max(1, (1 << 22) // (length + 1))  # at most ~16 MiB of int32 prefix sums at once
    sums = np.zeros((min(block, height), length + 1), dtype=np.int32)
    for first in range(0, height, block):
        part = mask[first : first + block]
        rows = part.shape[0]
        np.cumsum(part, axis=1, dtype=np.int32, out=sums[:rows, 1:])
        out[first : first + rows] = sums[:rows, ends] > sums[:rows, starts]
    return out


def _nonblank_windows(
    page: np.ndarray,
    rows: int,
    cols: int,
    patch: int,
    stride: int,
    pad: str,
    background: int | tuple[int, ...],
) -> np.ndarray:
    """`blank_mask(patches, background)` of the grid, computed from the page without the patches:
    which pixels differ from the background, then whether each window of rows, and of columns
    within those, holds one. Padding by "background" or "edge" adds no pixel the window does not
    already hold (the edge repeats a pixel inside it), so windows are clipped to the page;
    "zero" padding is ink wherever black differs from the background."""
    levels = np.asarray(background, dtype=np.uint8)
    differs = page != levels
    if differs.ndim == 3:
        differs = differs.any(axis=2)
    # (width, rows): windows down each column; then (rows, cols): windows along each row of those.
    by_rows = _window_any(np.ascontiguousarray(differs.T), rows, patch, stride)
    nonblank = _window_any(np.ascontiguousarray(by_rows.T), cols, patch, stride)
    if pad == "zero" and int(levels.max()) > 0:
        height, width = page.shape[:2]
        step = min(stride, max(height, width))  # as in `_window_any`
        nonblank[np.arange(rows, dtype=np.int64) * step + patch > height, :] = True
        nonblank[:, np.arange(cols, dtype=np.int64) * step + patch > width] = True
    return nonblank


def patchify(
    page: np.ndarray,
    patch: int = 16,
    *,
    stride: int | None = None,
    pad: PadMode = "background",
    background: int | tuple[int, ...] = 255,
) -> PatchGrid:
    """Cut a grey (H, W) or colour (H, W, C) uint8 page into patch×patch patches.

    `stride` below `patch` gives overlapping patches (a sliding window, still a view); `pad` says
    what fills the partial patches at the right and bottom edges: "background" (the default, as a
    renderer would have drawn more page), "zero" (black, as a processor padding with zeros),
    "edge" (repeat the last row/column), or "none" (drop the partial patches). `background` is
    the paper's grey level, or one level per channel (e.g. (250, 245, 230) for cream paper).

    A page of more pixels than the `image-pixels` limit is refused (LimitError), as a decoded
    image is; raise it with `pixtok.limits.using(image_pixels=...)`.
    """
    page = _check_page(page)
    background = _check_background(background, page)
    rows, cols = grid_shape(page.shape[0], page.shape[1], patch, stride=stride, pad=pad)  # checks them
    patch = int(patch)  # Python ints: arithmetic on a numpy uint64 would wrap
    step = patch if stride is None else int(stride)
    check_padded_page(page.shape[0], page.shape[1], rows, cols, patch, step)
    if step == patch and page.ndim == 2 and pad in ("background", "none"):
        # Padding with the paper's level adds no ink: the page itself says which patches hold some.
        level = background if isinstance(background, int) else background[0]
        nonblank = _patch_mask.nonblank_patches(np.ascontiguousarray(page), patch, level, rows, cols)
    elif rows * cols * patch <= 4 * page.shape[0] * page.shape[1]:
        # The 4-D view reduced one pixel axis at a time makes rows × cols × patch values: the
        # fastest way while that is at most a few pages' worth (patches that do not overlap,
        # a small overlap), and then a padded copy is within the check above too.
        nonblank = blank_mask(_patches(page, rows, cols, patch, step, pad, background), background)
    else:
        nonblank = _nonblank_windows(page, rows, cols, patch, step, pad, background)
    nonblank.flags.writeable = False
    return PatchGrid(
        rows=rows, cols=cols, patch=patch, stride=step, nonblank=nonblank, total=rows * cols,
        nonblank_count=int(np.count_nonzero(nonblank)), page=page, pad=pad, background=background,
    )  # fmt: skip


def group_neighbours(patches: np.ndarray, k: int = 2) -> np.ndarray:
    """Group each k×k block of neighbouring patches: (rows/k, cols/k, k, k, p, p[, C]), a view.

    This is the unit a 2×2 spatial merge (Qwen2-VL) or a 0.5 pixel shuffle (InternVL) turns into one
    token: the encoder concatenates the features of these k² patches. Rows and columns must divide
    by k (the processors resize so that they do).
    """
    _check_patches(patches)
    k = check_whole(k, "k", unit="")
    rows, cols = patches.shape[:2]
    if rows % k or cols % k:
        raise UsageError(f"a {rows}×{cols} patch grid does not split into {k}×{k} groups")
    shape = (rows // k, k, cols // k, k, *patches.shape[2:])
    return patches.reshape(shape).swapaxes(1, 2)


def spatial_merge(rows: int, cols: int, k: int = 2) -> tuple[int, int]:
    """Token grid after merging k×k neighbouring patches into one token.

    Qwen2-VL / Qwen2.5-VL (`PatchMerger`, `spatial_merge_size=2` in transformers'
    modeling_qwen2_vl.py) and GLM-4.1V (`merge_size=2` in Glm4vImageProcessor): their processors
    resize to multiples of patch·k, so the grid divides exactly; a grid that does not is padded up
    (ceil), which is what padding the last row/column of patches would give.
    """
    k = check_whole(k, "k", unit="")
    return ceil_div(rows, k), ceil_div(cols, k)


def pixel_shuffle(rows: int, cols: int, factor: float = 0.5) -> tuple[int, int]:
    """Token grid after InternVL's pixel shuffle with `scale_factor` (0.5: 2×2 patches → 1 token).

    Source: InternVL `InternVLChatModel.pixel_shuffle` (modeling_internvl_chat.py), which reshapes
    (h, w, c) to (int(h·factor), int(w·factor), c/factor²); a 448-px tile with 14-px patches is a
    32×32 grid and becomes 16×16 = 256 tokens (InternVL 1.5/2/2.5 reports).
    """
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor <= 1:
        raise UsageError(f"pixel shuffle factor must be a number in (0, 1], not {show(factor)}")
    return int(rows * factor), int(cols * factor)


def conv_compress(rows: int, cols: int, stride: int = 4) -> tuple[int, int]:
    """Token grid after DeepSeek-OCR's convolutional compressor (16× fewer tokens at stride 4).

    Source: DeepSeek-OCR (arXiv 2510.18234, DeepEncoder) and its code deepencoder/sam_vary_sdpa.py:
    `net_2` and `net_3` are Conv2d(kernel_size=3, stride=2, padding=1); each maps n to
    ⌊(n + 2 − 3)/2⌋ + 1 = ⌈n/2⌉, so stride 4 = two such convolutions (64×64 patches → 16×16 tokens).
    """
    stride = check_whole(stride, "stride", unit="")
    if stride & (stride - 1):
        raise UsageError(f"the compressor's stride is a power of two (stacked stride-2 convs), not {stride}")
    for _ in range(stride.bit_length() - 1):
        rows, cols = (rows + 2 - 3) // 2 + 1, (cols + 2 - 3) // 2 + 1
    return rows, cols


def read_page(source: str | os.PathLike[str], *, rgb: bool = False) -> np.ndarray:
    """Decode an image file (or '-' for stdin) into a uint8 page: grey (H, W), or (H, W, 3) with rgb."""
    from pixtok.io import input_name, read_bytes

    return decode_page(read_bytes(source), name=input_name(source), rgb=rgb)


def decode_page(data: bytes, *, name: str = "<image>", rgb: bool = False) -> np.ndarray:
    """Decode image bytes (any format Pillow reads) into a uint8 page.

    Transparent pixels are laid on white first, as a page would show them. An image of more
    pixels than the `image-pixels` limit (`pixtok.limits`) is refused from its header, before
    any pixel is decoded; Pillow's own decompression-bomb check follows that limit.
    """
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise InputError(f"{name}: empty input, not an image")
    limit = current_limits().image_pixels
    if Image.MAX_IMAGE_PIXELS is not None and limit > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = limit  # Pillow must not refuse what the raised limit allows
    try:
        with warnings.catch_warnings():
            # Pillow's own size check is set to pixtok's limit, whose message comes from
            # `check_image_pixels`; its warnings about odd metadata are not pixtok's to print.
            warnings.simplefilter("ignore")
            image_file = Image.open(io.BytesIO(data))
            with image_file as image:
                check_image_pixels(image.width, image.height, name)
                image.load()
                page = _grey_or_rgb(image, rgb, name)
    except Image.DecompressionBombError as exc:
        # Pillow's check runs as it opens the file, before pixtok's, and names the size it read
        # from the header: pixtok's message is made from it.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        if found:
            check_image_pixels(int(found[1]), 1, name)
        raise LimitError(
            f"{name}: an image larger than the image-pixels limit of {limit:,}; raise the limit with "
            "`pixtok --limit image-pixels=N ...` (docs/limits.md)"
        ) from None
    except UnidentifiedImageError:
        raise InputError(f"{name}: not a readable image (PNG, JPEG, ...)") from None
    except (OSError, ValueError, SyntaxError, TypeError, EOFError, IndexError, KeyError, ZeroDivisionError,
            struct.error) as exc:  # fmt: skip
        # What Pillow's decoders raise on a damaged file (a broken PNG chunk is a SyntaxError, a
        # TIFF tag of the wrong type a TypeError, a short header a struct.error).
        raise InputError(f"{name}: a damaged or unreadable image ({exc})") from None
    return np.ascontiguousarray(page)


#: Image modes of more than 8 bits a channel that are read by scaling to 8 bits (Pillow's own
#: conversion to "L" clips them: every level above 255 would be white).
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")


def _grey_or_rgb(image: Any, rgb: bool, name: str) -> np.ndarray:
    """An opened image as a uint8 grey (H, W) or RGB (H, W, 3) page: transparency laid on
    white, 16-bit grey scaled to 8 bits (its top byte), and 32-bit integer or float pixels, whose
    range no file says, refused."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat.alpha_composite(rgba)
        image = flat
    if image.mode in _SIXTEEN_BIT_MODES or image.mode == "I":
        levels = np.asarray(image)
        if image.mode == "I" and levels.size and (levels.min() < 0 or levels.max() > 0xFFFF):
            raise InputError(
                f"{name}: 32-bit pixels ({levels.min()} to {levels.max()}); pixtok reads images of "
                "8 or 16 bits a channel"
            )
        grey = (levels.astype(np.uint32) >> 8).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1) if rgb else grey
    if image.mode == "F":
        raise InputError(f"{name}: floating-point pixels; pixtok reads images of 8 or 16 bits a channel")
    return np.asarray(image.convert("RGB" if rgb else "L"), dtype=np.uint8)


def check_patch_array(rows: int, cols: int, patch: int, source: str = "the patches") -> None:
    """Refuse an array of rows x cols patches of patch² pixels larger than the `image-pixels`
    limit, before it is allocated or written: overlapping patches repeat pixels, so stride 1 on
    a 4096² page makes 4.3 billion."""
    check_image_pixels(cols * patch, rows * patch, source, "patch array")


def write_patch_tensor(stream: BinaryIO, grid: PatchGrid, source: str = "the patches") -> None:
    """Write the patches as one .npy array (rows, cols, p, p[, C]) — the bytes `np.save` writes for
    `np.ascontiguousarray(grid.patches)` — a row of patches at a time, after checking the array
    against the `image-pixels` limit (it would be that big on disk and in any reader's memory)."""
    check_patch_array(grid.rows, grid.cols, grid.patch, source)
    header = {
        "descr": np.lib.format.dtype_to_descr(grid.patches.dtype),
        "fortran_order": False,
        "shape": tuple(grid.patches.shape),
    }
    np.lib.format.write_array_header_1_0(stream, header)
    for row in grid.patches:
        stream.write(np.ascontiguousarray(row).data.cast("B"))


def draw_overlay(page: np.ndarray, grid: PatchGrid, *, shade: float = 0.35) -> np.ndarray:
    """An RGB picture of the page with the patch grid drawn and blank patches shaded.

    Blank patches are tinted towards blue by `shade`; grid lines are red. With overlapping patches
    (stride < patch) the lines mark the stride, the start of each patch.
    """
    page = _check_page(page)
    if not isinstance(grid, PatchGrid):
        raise UsageError(f"grid must be the PatchGrid patchify() made of the page, not {type(grid).__name__}")
    if isinstance(shade, bool) or not isinstance(shade, (int, float)) or not 0 <= shade <= 1:
        raise UsageError(f"shade must be a number from 0 to 1, not {show(shade)}")
    base = page if page.ndim == 3 else page[:, :, None]
    if base.shape[2] != 3:
        base = np.repeat(base[:, :, :1], 3, axis=2) if base.shape[2] < 3 else base[:, :, :3]
    out = base.astype(np.float32)
    height, width = page.shape[:2]
    cell = np.repeat(np.repeat(~grid.nonblank, grid.stride, axis=0), grid.stride, axis=1)
    blank = np.zeros((height, width), dtype=bool)
    h, w = min(height, cell.shape[0]), min(width, cell.shape[1])
    blank[:h, :w] = cell[:h, :w]
    tint = np.array([60.0, 110.0, 230.0], dtype=np.float32)
    out[blank] = out[blank] * (1 - shade) + tint * shade
    # Grid lines at 60% opacity, so ink under a line stays visible.
    red = np.array([220.0, 30.0, 30.0], dtype=np.float32)
    ys = np.arange(0, min(height, grid.rows * grid.stride + 1), grid.stride)
    xs = np.arange(0, min(width, grid.cols * grid.stride + 1), grid.stride)
    ys, xs = ys[ys < height], xs[xs < width]
    out[ys, :] = out[ys, :] * 0.4 + red * 0.6
    out[:, xs] = out[:, xs] * 0.4 + red * 0.6
    return np.rint(out).astype(np.uint8)


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of a uint8 picture (deterministic: no timestamps or text chunks)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def ceil_div(a: int, b: int) -> int:
    """⌈a / b⌉ for positive integers, without floating point."""
    return -(-a // b)


__all__ = [
    "PAD_MODES",
    "PatchGrid",
    "blank_mask",
    "ceil_div",
    "check_padded_page",
    "check_patch_array",
    "check_whole",
    "conv_compress",
    "decode_page",
    "draw_overlay",
    "encode_png",
    "grid_shape",
    "group_neighbours",
    "patchify",
    "pixel_shuffle",
    "read_page",
    "spatial_merge",
    "write_patch_tensor",
]
