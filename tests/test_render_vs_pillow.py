"""Differential test: pixtok's pages against Pillow's own text drawing (libraqm layout).

Pillow with raqm shapes with HarfBuzz and rasterises with FreeType, through code pixtok shares
none of: its own run itemisation, bidi (FriBiDi), pen arithmetic and glyph placement. On single
lines of real text in six scripts, drawn with the bundled font pixtok picks for that script, the
ink must land within 2 px of Pillow's: the ink bounding box, and every stretch of the line
(windows of two ems along the column ink profile, each matched to Pillow's at the best shift).

The pixtok baseline is computed from the documented geometry: the first baseline sits one ascent
(of the fonts the text uses, from their HarfBuzz font extents) below the top margin; Pillow
draws at that baseline (`anchor="ls"`: left edge, baseline) from the left margin.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import uharfbuzz as hb
from PIL import Image, ImageDraw, ImageFont, features

from pixtok import RenderConfig, Renderer, RenderResult, render

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
pytestmark = [
    pytest.mark.skipif(not features.check("raqm"), reason="Pillow was built without libraqm"),
]

SIZE = 24  # px
TOLERANCE = 2  # px
# script -> (corpus file, prefix of the Unicode names of its letters)
SCRIPTS = {
    "latin": ("en_prose_debian-reference.txt", "LATIN"),
    "cyrillic": ("ru_prose_debian-faq.txt", "CYRILLIC"),
    "arabic": ("fa_prose_gnome-help.txt", "ARABIC"),
    "devanagari": ("hi_prose_libreoffice-help.txt", "DEVANAGARI"),
    "chinese": ("zh-cn_prose_debian-reference.txt", "CJK UNIFIED"),
    "korean": ("ko_prose_gnome-help.txt", "HANGUL"),
}


@cache
def corpus(name: str) -> str:
    return (CORPUS_DIR / name).read_text(encoding="utf-8")


def script_share(line: str, prefix: str) -> float:
    letters = [c for c in line if c.isalpha()]
    return sum(unicodedata.name(c, "").startswith(prefix) for c in letters) / max(len(letters), 1)


@cache
def font_for_script(script: str) -> str:
    """Path of the font pixtok's default chain draws the script's letters with."""
    name, prefix = SCRIPTS[script]
    text = corpus(name)[:3000]
    result = render(text, RenderConfig(page="800x800"))
    used = sorted(set(result.glyphs.font.tolist()))
    counts = Counter(
        result.fonts[used.index(int(f))]["path"]
        for f, o in zip(result.glyphs.font, result.glyphs.char_offset, strict=True)
        if unicodedata.name(text[o], "").startswith(prefix)
    )
    return counts.most_common(1)[0][0]


def lines_of(script: str, renderer: Renderer, count: int = 3) -> list[str]:
    """The first corpus lines of 20-70 characters, mostly in the script, that fit one line."""
    name, prefix = SCRIPTS[script]
    found = []
    for line in corpus(name).split("\n"):
        line = line.strip()
        if 20 <= len(line) <= 70 and script_share(line, prefix) >= 0.6:
            result = renderer.render(line)
            if result.lines == 1 and result.missing_glyphs == 0:
                found.append(line)
                if len(found) == count:
                    break
    assert len(found) == count, f"too few {script} lines in {name}"
    return found


def baseline(result: RenderResult, font_path: str) -> float:
    face = hb.Face(hb.Blob.from_file_path(font_path))
    ascent = hb.Font(face).get_font_extents("ltr").ascender / face.upem
    return result.geometry.margins[0] + ascent * result.geometry.size


def pillow_line(line: str, font_path: str, shape: tuple[int, int], x: float, y: float) -> np.ndarray:
    font = ImageFont.truetype(font_path, SIZE, layout_engine=ImageFont.Layout.RAQM)
    image = Image.new("L", (shape[1], shape[0]), 255)
    ImageDraw.Draw(image).text((x, y), line, font=font, fill=0, anchor="ls")
    return np.asarray(image)


def ink_box(coverage: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(coverage)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def window_shifts(ours: np.ndarray, theirs: np.ndarray, window: int, reach: int = 6) -> list[int]:
    """For each window of `ours`' profile, the shift of `theirs` (within +-reach) that matches it best."""
    shifts = []
    padded = np.pad(theirs.astype(np.float64), reach)
    for start in range(0, len(ours) - window + 1, window // 2):
        part = ours[start : start + window].astype(np.float64)
        if part.sum() < 0.05 * ours.sum() / max(len(ours) / window, 1):
            continue  # (nearly) blank stretch: nothing to place
        errors = [
            np.abs(part - padded[reach + start + s : reach + start + s + window]).sum()
            for s in range(-reach, reach + 1)
        ]
        shifts.append(int(np.argmin(errors)) - reach)
    return shifts


def compare_with_pillow(script: str) -> None:
    font_path = font_for_script(script)
    # One font for the whole line, as Pillow draws it: spaces and punctuation from the same file.
    config = RenderConfig(
        page="1600x96",
        size=f"{SIZE}px",
        margin="20px",
        line_height="2",
        align="left",
        fonts=(font_path,),
        fallback=False,
    )
    renderer = Renderer(config)
    for line in lines_of(script, renderer):
        result = renderer.render(line)
        ours = 255 - result.pages[0].astype(np.int64)
        y = round(baseline(result, font_path))
        drawn = pillow_line(line, font_path, ours.shape, result.geometry.margins[3], y)
        theirs = 255 - drawn.astype(np.int64)
        box_ours, box_theirs = ink_box(ours), ink_box(theirs)
        assert np.abs(np.subtract(box_ours, box_theirs)).max() <= TOLERANCE, (line, box_ours, box_theirs)
        shifts = window_shifts(ours.sum(axis=0), theirs.sum(axis=0), window=2 * SIZE)
        assert len(shifts) >= 3 and max(map(abs, shifts)) <= TOLERANCE, (line, shifts)
        rows = window_shifts(ours.sum(axis=1), theirs.sum(axis=1), window=SIZE)
        assert max(map(abs, rows)) <= 1, (line, rows)
        assert 0.97 <= ours.sum() / theirs.sum() <= 1.03, "the same glyphs leave the same amount of ink"


@pytest.mark.parametrize("script", ["latin", "cyrillic", "arabic", "devanagari", "chinese"])
def test_ink_lands_where_pillow_puts_it(script: str) -> None:
    compare_with_pillow(script)


def test_korean_ink_lands_where_pillow_puts_it() -> None:
    compare_with_pillow("korean")


def test_the_script_fonts_are_the_bundled_ones() -> None:
    names = {script: Path(font_for_script(script)).name for script in SCRIPTS}
    assert names == {
        "latin": "DejaVuSans.ttf",
        "cyrillic": "DejaVuSans.ttf",
        "arabic": "NotoNaskhArabic-Regular.ttf",
        "devanagari": "NotoSansDevanagari-Regular.ttf",
        "chinese": "NotoSansCJK-Han.otf",
        "korean": "NotoSansCJK-Hangul.otf",
    }
