"""Writing rendered pages: PNG per page, NPY/NPZ stacks, or one PNG on stdout.

All files of one call appear together or not at all (see `pixtok.io.write_many_atomic`).
PNGs carry no timestamps or metadata, so the same pages give byte-identical files.
"""

from __future__ import annotations

import glob
import io
import re
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from pixtok.errors import UsageError
from pixtok.io import write_bytes_atomic, write_many_atomic
from pixtok.render import RenderResult


def png_bytes(page: np.ndarray, one_bit: bool = False) -> bytes:
    """Encode a page as PNG (grey, RGB, or 1-bit), deterministically."""
    image = Image.fromarray(page)
    if one_bit:
        image = image.convert("1", dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def stack_pages(result: RenderResult) -> np.ndarray:
    """Pages as one (N, H, W[, 3]) array; smaller pages (a cropped last page) are padded with the
    background colour at the bottom and right."""
    pages = result.pages
    height = max(p.shape[0] for p in pages)
    width = max(p.shape[1] for p in pages)
    if all(p.shape[:2] == (height, width) for p in pages):
        return np.stack(pages)
    background = np.asarray(result.background, dtype=np.uint8)
    out = np.empty((len(pages), height, width, *pages[0].shape[2:]), dtype=np.uint8)
    out[...] = background
    for i, page in enumerate(pages):
        out[i, : page.shape[0], : page.shape[1]] = page
    return out


#: How a page file in a folder is named: `NAME-0001.png`, pages counted from 1 (docs/conventions.md).
PAGE_FILE = "{name}-{page:04d}.png"
_PAGE_FILE = re.compile(r"^(?P<name>.+)-(?P<page>[0-9]{4,})\.png$")


def is_folder_target(target: str) -> bool:
    """Whether `-o target` names a folder (an existing one, or a name ending in a slash)."""
    return target.endswith(("/", "\\")) or Path(target).is_dir()


def page_paths(target: str, count: int, name: str = "page") -> list[Path]:
    """File names for `count` PNG pages: `NAME-0001.png`... in a folder, a pattern with {page},
    or a single file."""
    if is_folder_target(target):
        folder = Path(target)
        folder.mkdir(parents=True, exist_ok=True)
        return [folder / PAGE_FILE.format(name=name, page=i + 1) for i in range(count)]
    if "{page" in target:
        try:
            names = [target.format(page=i + 1) for i in range(count)]
        except (KeyError, ValueError, IndexError) as exc:
            raise UsageError(
                f"-o {target}: bad page pattern ({exc}); use e.g. page-{{page:03d}}.png"
            ) from None
        if len(set(names)) != count:
            raise UsageError(f"-o {target}: the pattern gives the same name to several pages")
        return [Path(n) for n in names]
    if count > 1:
        raise UsageError(
            f"the text fills {count} pages: give a folder (-o pages/) or a pattern (-o page-{{page:03d}}.png)"
        )
    return [Path(target)]


def stale_pages(folder: str | Path, name: str, count: int) -> list[Path]:
    """Page files `NAME-NNNN.png` in `folder` numbered beyond `count`: what an earlier, longer
    render of the same name left there."""
    found = []
    for path in Path(folder).glob(f"{glob.escape(name)}-*.png"):
        match = _PAGE_FILE.match(path.name)
        if match and match["name"] == name and int(match["page"]) > count:
            found.append(path)
    return sorted(found)


def write_pages(result: RenderResult, target: str, name: str = "page") -> list[str]:
    """Write the pages to `target` ('-' for stdout, .npy, .npz, folder, pattern or .png); returns
    paths. In a folder the pages are `NAME-0001.png`, `NAME-0002.png`..."""
    one_bit = result.config.color_mode == "1"
    if target == "-":
        if len(result.pages) != 1:
            raise UsageError(
                f"-o - writes one PNG to stdout but the text fills {len(result.pages)} pages; "
                "write a folder, a pattern, or an .npz"
            )
        sys.stdout.buffer.write(png_bytes(result.pages[0], one_bit))
        sys.stdout.buffer.flush()
        return ["-"]
    suffix = Path(target).suffix.lower()
    if suffix == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, stack_pages(result), allow_pickle=False)
        write_bytes_atomic(target, buffer.getvalue())
        return [target]
    if suffix == ".npz":
        buffer = io.BytesIO()
        glyphs = result.glyphs
        np.savez_compressed(
            buffer,
            pages=stack_pages(result),
            page_sizes=np.asarray([p.shape[:2] for p in result.pages], dtype=np.int32),
            glyph_page=glyphs.page,
            glyph_box=np.stack([glyphs.x0, glyphs.y0, glyphs.x1, glyphs.y1], axis=1),
            glyph_char_offset=glyphs.char_offset,
            line_char_span=result.line_char_span,
            line_page=result.line_page,
        )
        write_bytes_atomic(target, buffer.getvalue())
        return [target]
    if suffix not in ("", ".png") and "{page" not in target:
        raise UsageError(f"-o {target}: write .png pages, a folder, .npy, .npz, or '-'")
    paths = page_paths(target, len(result.pages), name)
    write_many_atomic({p: png_bytes(page, one_bit) for p, page in zip(paths, result.pages, strict=True)})
    return [str(p) for p in paths]
