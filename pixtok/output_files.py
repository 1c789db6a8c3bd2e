"""Writing rendered pages: PNG per page, NPY/NPZ stacks, or one PNG on stdout.

All files of one call appear together or not at all (see `pixtok.io.write_many_atomic`; inside
`pixtok.io.deferred_outputs()` they appear when that block ends, and a folder made for them goes
again if it fails), and
pages are encoded and written one at a time, so a long text never holds more than one encoded
page (or, for .npy/.npz, one padded page) beside the rendered ones. PNGs carry no timestamps or
metadata and NPZ members carry a fixed date, so the same pages give byte-identical files.

Page patterns hold one placeholder, `{page}`, optionally with a width: `{page:03d}` (zero-padded)
or `{page:3d}`; `{{` and `}}` are literal braces. Nothing else is read from the pattern (no
attributes, indexes or other fields), and the width is at most `MAX_PAGE_WIDTH`.
"""

from __future__ import annotations

import glob
import io
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from pixtok.errors import UsageError
from pixtok.io import atomic_writer, make_folder, os_errors, write_many_atomic
from pixtok.render import RenderResult

#: The widest page number a pattern may ask for (`{page:010d}`).
MAX_PAGE_WIDTH = 10
#: The date NPZ members carry (the earliest a ZIP file can hold), so that archives are reproducible.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_PATTERN_PART = re.compile(r"\{\{|\}\}|\{page(?::(0?)(\d+)d?)?\}|[{}]")


def png_bytes(page: np.ndarray, one_bit: bool = False, *, compress_level: int = 6) -> bytes:
    """Encode a page as PNG (grey, RGB, or 1-bit), deterministically. `compress_level` is zlib's
    (0-9): the report uses 3, about twice as fast as 6 on text pages for 4% more bytes."""
    image = Image.fromarray(page)
    if one_bit:
        image = image.convert("1", dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=compress_level)
    return buffer.getvalue()


def stack_pages(result: RenderResult) -> np.ndarray:
    """Pages as one (N, H, W[, 3]) array; smaller pages (a cropped last page) are padded with the
    background colour at the bottom and right."""
    return np.stack(list(padded_pages(result)))


def stack_shape(result: RenderResult) -> tuple[int, ...]:
    """The shape of `stack_pages(result)`, without building it or drawing a page."""
    height = max(h for _, h in result.page_sizes)
    width = max(w for w, _ in result.page_sizes)
    channels = (3,) if result.config.color_mode == "RGB" else ()
    return (result.page_count, height, width, *channels)


def padded_pages(result: RenderResult) -> Iterator[np.ndarray]:
    """Each page at the stack's height and width, padded with the background colour at the
    bottom and right (pages of that size already are yielded as they are)."""
    _, height, width, *extra = stack_shape(result)
    background = np.asarray(result.background, dtype=np.uint8)
    for page in result.iter_pages():
        if page.shape[:2] == (height, width):
            yield page
            continue
        out = np.empty((height, width, *extra), dtype=np.uint8)
        out[...] = background
        out[: page.shape[0], : page.shape[1]] = page
        yield out


def write_npy_stack(stream: BinaryIO, result: RenderResult) -> None:
    """Write the page stack as .npy, page by page: the same bytes `np.save(stack_pages(result))`
    writes, without building the stack."""
    header = {
        "descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)),
        "fortran_order": False,
        "shape": stack_shape(result),
    }
    np.lib.format.write_array_header_1_0(stream, header)
    for page in padded_pages(result):
        stream.write(np.ascontiguousarray(page).data.cast("B"))


def write_npz(stream: BinaryIO, result: RenderResult) -> None:
    """Write the pages and their glyph layout as a compressed .npz (what `np.load` reads), the
    page stack streamed page by page, every member dated `ZIP_DATE`."""
    glyphs = result.glyphs
    arrays = {
        "page_sizes": np.asarray([(h, w) for w, h in result.page_sizes], dtype=np.int32).reshape(-1, 2),
        "glyph_page": glyphs.page,
        "glyph_box": np.stack([glyphs.x0, glyphs.y0, glyphs.x1, glyphs.y1], axis=1),
        "glyph_char_offset": glyphs.char_offset,
        "line_char_span": result.line_char_span,
        "line_page": result.line_page,
    }
    with zipfile.ZipFile(stream, mode="w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:

        def member(name: str) -> BinaryIO:
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            return archive.open(info, mode="w", force_zip64=True)  # type: ignore[return-value]

        with member("pages") as pages:
            write_npy_stack(pages, result)
        for name, array in arrays.items():
            with member(name) as out:
                np.lib.format.write_array(out, np.asanyarray(array), allow_pickle=False)


class PagePattern:
    """A checked page pattern (see the module docstring): `name(7)` -> `page-007.png`."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.parts: list[str | tuple[str, int]] = []
        position = 0
        for match in _PATTERN_PART.finditer(pattern):
            self.parts.append(pattern[position : match.start()])
            position = match.end()
            token = match.group(0)
            if token in ("{{", "}}"):
                self.parts.append(token[0])
            elif token.startswith("{page"):
                width = int(match.group(2) or 0)
                if width > MAX_PAGE_WIDTH:
                    raise UsageError(
                        f"-o {pattern}: a page number {width} digits wide; the widest is {MAX_PAGE_WIDTH}"
                    )
                self.parts.append((match.group(1), width))
            else:
                raise UsageError(
                    f"-o {pattern}: bad page pattern; the only placeholder is {{page}}, "
                    "optionally with a width: page-{page:03d}.png"
                )
        self.parts.append(pattern[position:])
        if not any(isinstance(part, tuple) for part in self.parts):
            raise UsageError(f"-o {pattern}: the pattern has no {{page}} placeholder")

    def name(self, page: int) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, tuple):
                fill, width = part
                out.append(str(page).rjust(width, "0" if fill else " "))
            else:
                out.append(part)
        return "".join(out)


#: How a page file in a folder is named: `NAME-0001.png`, pages counted from 1 (docs/conventions.md).
PAGE_FILE = "{name}-{page:04d}.png"
_PAGE_FILE = re.compile(r"^(?P<name>.+)-(?P<page>[0-9]{4,})\.png$")


def is_folder_target(target: str) -> bool:
    """Whether `-o target` names a folder (an existing one, or a name ending in a slash)."""
    return target.endswith(("/", "\\")) or Path(target).is_dir()


def page_paths(target: str, count: int, name: str = "page") -> list[Path]:
    """File names for `count` PNG pages: `NAME-0001.png`... in a folder, a pattern with {page},
    or a single file."""
    if not target:
        raise UsageError("-o is empty: name a file, a folder/ or a pattern such as page-{page:03d}.png")
    if is_folder_target(target):
        folder = Path(target)
        with os_errors(target, "create the folder"):
            make_folder(folder)
        return [folder / PAGE_FILE.format(name=name, page=i + 1) for i in range(count)]
    if "{page" in target:
        pattern = PagePattern(target)
        names = [pattern.name(i + 1) for i in range(count)]
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
        if result.page_count != 1:
            raise UsageError(
                f"-o - writes one PNG to stdout but the text fills {result.page_count} pages; "
                "write a folder, a pattern, or an .npz"
            )
        with os_errors("<stdout>", "write"):
            sys.stdout.buffer.write(png_bytes(result.pages[0], one_bit))
            sys.stdout.buffer.flush()
        return ["-"]
    suffix = Path(target).suffix.lower()
    if suffix in (".npy", ".npz"):
        with atomic_writer(target) as stream:
            (write_npy_stack if suffix == ".npy" else write_npz)(stream, result)
        return [target]
    folder = target.endswith(("/", "\\"))
    if suffix not in ("", ".png") and "{page" not in target and not folder:
        raise UsageError(f"-o {target}: write .png pages, a folder, .npy, .npz, or '-'")
    # Pages are drawn one batch at a time as they are written: a text of thousands of pages
    # needs the memory of a few.
    paths = page_paths(target, result.page_count, name)
    write_many_atomic(
        (p, png_bytes(page, one_bit)) for p, page in zip(paths, result.iter_pages(), strict=True)
    )
    return [str(p) for p in paths]
