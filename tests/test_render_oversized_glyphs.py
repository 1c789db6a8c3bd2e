"""A font whose outlines lie far outside its em square cannot make pixtok allocate gigabytes.

A TrueType glyph may reach 32,767 units from its origin; in a font of 16 units per em drawn at
16 px, that is a 32,767 x 32,767 px bitmap (1 GB) for one glyph, which FreeType would draw and
the atlas keep. A glyph whose bitmap would have more pixels than four of the pages it is drawn
on, or than a whole page may (the `page-pixels` limit), is refused with a FontError before
FreeType draws it. The fonts here are
made by fontTools with boxes of known size, and the limit is lowered rather than the glyphs
made huge, so nothing large is drawn.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from pixtok import FontError, RenderConfig, Renderer, limits

fontBuilder = pytest.importorskip("fontTools.fontBuilder", reason="fontTools makes the test fonts")
ttGlyphPen = pytest.importorskip("fontTools.pens.ttGlyphPen")

#: Units per em of the test font, and the side (units) of its large glyph "A": 3,000 px at
#: 16 px, 1,688 px at the default 9 px.
UPEM = 16
LARGE = 3000


def box_font(path: Path) -> Path:
    """A TrueType font whose "A" is a LARGE-unit square and whose "B" is a square of half an em."""

    def square(side: int) -> object:
        pen = ttGlyphPen.TTGlyphPen(None)
        pen.moveTo((0, 0))
        pen.lineTo((0, side))
        pen.lineTo((side, side))
        pen.lineTo((side, 0))
        pen.closePath()
        return pen.glyph()

    builder = fontBuilder.FontBuilder(UPEM, isTTF=True)
    builder.setupGlyphOrder([".notdef", "A", "B"])
    builder.setupCharacterMap({ord("A"): "A", ord("B"): "B"})
    builder.setupGlyf({".notdef": square(8), "A": square(LARGE), "B": square(UPEM // 2)})
    builder.setupHorizontalMetrics({".notdef": (10, 0), "A": (10, 0), "B": (10, 0)})
    builder.setupHorizontalHeader(ascent=12, descent=-4)
    builder.setupNameTable({"familyName": "Boxes", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.save(str(path))
    return path


@pytest.fixture
def font(tmp_path: Path) -> Path:
    return box_font(tmp_path / "boxes.ttf")


@pytest.fixture
def low_page_pixels():
    """The page-pixels limit lowered to 2,000,000 (a 1024 x 1024 page still fits) for one test."""
    before = limits.current()
    limits.set_limits(limits.Limits(**{**vars(before), "page_pixels": 2_000_000}))
    yield
    limits.set_limits(before)


def test_a_glyph_larger_than_a_page_may_be_is_refused_in_one_line(
    run_cli, font: Path, tmp_path: Path
) -> None:
    out = tmp_path / "page.png"
    args = [
        "--limit",
        "page-pixels=2000000",
        "render",
        "--font",
        str(font),
        "-",
        "-o",
        str(out),
    ]
    result = run_cli(*args, stdin="BAB")
    assert result.exit_code == 1
    assert len(result.error_lines) == 1
    line = result.error_lines[0]
    assert line.startswith("pixtok: error: ") and "boxes.ttf: glyph 1 would be a" in line
    assert "page-pixels limit, 2,000,000" in line
    assert not out.exists()


def test_a_glyph_larger_than_four_of_its_pages_is_refused(run_cli, font: Path, tmp_path: Path) -> None:
    """The atlas keeps every glyph it draws: on the default A4 page at 72 dpi (500,990 px), a
    1,688 x 1,688 px glyph is more than four pages' worth, whatever the page-pixels limit."""
    geometry = RenderConfig().geometry()
    page = geometry.width * geometry.height  # A4 at 72 dpi: 595 x 842
    side = math.ceil(LARGE * geometry.size / UPEM)  # the square "A" at the default 9 px
    assert page == 595 * 842 and 4 * page < side * side
    out = tmp_path / "page.png"
    result = run_cli("render", "--font", str(font), "-", "-o", str(out), stdin="A")
    assert result.exit_code == 1
    assert result.error_lines == [
        f"pixtok: error: {font}: glyph 1 would be a {side}x{side} px bitmap at 9 px, more than "
        f"{4 * page:,} pixels (four of its {page:,}-pixel pages, or a square of four em); the font's "
        "outlines are far outside its em square"
    ]
    assert not out.exists()


def test_the_same_glyph_is_drawn_on_a_page_that_holds_it(run_cli, font: Path, tmp_path: Path) -> None:
    """On a 2000 x 2000 page (four of them: 16,000,000 px) the glyph is drawn, and only its part
    on the page is kept."""
    out = tmp_path / "page.png"
    result = run_cli("render", "--font", str(font), "--page", "2000x2000", "-", "-o", str(out), stdin="A")
    assert result.exit_code == 0, result.stderr
    assert out.exists()


def test_text_set_larger_than_a_small_page_is_still_drawn(run_cli, tmp_path: Path) -> None:
    """A 100 px "W" on 20 x 20 px pages is more than four pages' pixels, but within a square of
    four em: its page is drawn, clipped, not refused as a broken font."""
    args = ["render", "W", "--page", "20x20", "--size", "100", "--line-height", "1.2", "--margin", "0"]
    result = run_cli(*args, "--layout", "page", "-o", "pages/", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert sorted(path.name for path in (tmp_path / "pages").iterdir()) == ["text-0001.png"]


def test_a_refused_glyph_leaves_the_renderer_as_it_was(font: Path, low_page_pixels: None) -> None:
    """The glyphs drawn before the refused one stay cached, the refused one is not cached as
    blank: the same Renderer draws "B" byte for byte as before, and refuses "A" again."""
    config = RenderConfig(fonts=[str(font)], size=16, fallback=False, system_fonts=False)
    renderer = Renderer(config)
    before = [page.copy() for page in renderer.render("B B").pages]
    for _ in range(2):
        with pytest.raises(FontError, match="glyph 1 would be a"):
            renderer.render("B A").pages  # noqa: B018 - drawing the pages is what is refused
    after = renderer.render("B B").pages
    assert len(after) == len(before)
    assert all(np.array_equal(a, b) for a, b in zip(after, before, strict=True))
    assert (before[0] < 255).any()  # "B" has ink
