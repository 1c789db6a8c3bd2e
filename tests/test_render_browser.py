"""Layout against a real browser: Debian's Chromium lays out the same paragraphs in the same
font files at the same size and width; every line starts where pixtok's starts, and every
character stands where pixtok puts it (within 1/20 px), set flush, centred, flush right or
justified.

The browser is told what pixtok does: CSS `white-space: normal` (spaces at a line end hang),
`overflow-wrap: anywhere` (a word wider than the line breaks between grapheme clusters), the
paragraph's language and direction (`dir=auto`: from its first strong character), and the
fonts in the order pixtok's chain reaches them for its text. Its lines and the positions of
its characters are read back with `Range.getClientRects`. Blink measures with HarfBuzz and
breaks with ICU, as pixtok does, but adds its own rules; three of them are kept out of the
comparison, each seen on the corpus and checked by hand:

- Blink does not break after "/" before a letter ("GNU/Linux"), by a table of its own for
  ASCII; UAX #14 and ICU allow that break.
- Blink breaks after an initial quotation mark and a space ("« Consoles"), which UAX #14 forbids
  since Unicode 15.1 (LB15a) and ICU follows.
- Chromium trims the spacing of adjacent full-width punctuation ("），", CSS Text 4
  `text-spacing-trim`), which pixtok does not do: CJK is laid out with `space-all`.

Paragraphs with "/" or "«" are left out; the rest must agree line for line and character for
character.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from report_browser import browser, missing_reason

from pixtok import RenderConfig, Renderer, render
from pixtok.render.fonts import FONT_DIR

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason())),
]

REPO = Path(__file__).resolve().parents[1]
WIDTHS = (150, 230, 370, 600)
SIZE_PX = 16
LATIN_PUNCTUATION = set(" .,:;!?()-\"'")


def latin_paragraph(paragraph: str) -> bool:
    return "/" not in paragraph and "«" not in paragraph


def script_paragraph(*prefixes: str) -> Callable[[str], bool]:
    """Paragraphs in one script, with spaces, ASCII digits and punctuation (what the script's
    font lacks of these, DejaVu Sans draws, in pixtok and in the browser alike)."""

    def keep(paragraph: str) -> bool:
        return all(
            c in LATIN_PUNCTUATION
            or (c.isascii() and c.isdigit())
            or unicodedata.name(c, "").startswith(prefixes)
            for c in paragraph
        )

    return keep


def cjk_paragraph(paragraph: str) -> bool:
    return all(ord(c) >= 0x2E80 for c in paragraph)


# language -> (text file, fonts in chain order, which paragraphs, shortest paragraph)
CASES: dict[str, tuple[str, tuple[str, ...], Callable[[str], bool], int]] = {
    "en": ("corpus/en_prose_debian-reference.txt", ("DejaVuSans.ttf",), latin_paragraph, 120),
    "de": ("corpus/de_prose_debian-reference.txt", ("DejaVuSans.ttf",), latin_paragraph, 120),
    "fr": ("corpus/fr_prose_debian-reference.txt", ("DejaVuSans.ttf",), latin_paragraph, 120),
    "ru": ("corpus/ru_prose_debian-faq.txt", ("DejaVuSans.ttf",), latin_paragraph, 120),
    "ar": (
        "corpus/ar_msgstr_gtk20-properties.txt",
        ("NotoNaskhArabic-Regular.ttf", "DejaVuSans.ttf"),
        script_paragraph("ARABIC"),
        60,
    ),
    "fa": (
        "corpus/fa_prose_gnome-help.txt",
        ("NotoNaskhArabic-Regular.ttf", "DejaVuSans.ttf"),
        script_paragraph("ARABIC", "ZERO WIDTH NON-JOINER"),
        120,
    ),
    "hi": (
        "corpus/hi_prose_libreoffice-help.txt",
        ("NotoSansDevanagari-Regular.ttf", "DejaVuSans.ttf"),
        script_paragraph("DEVANAGARI"),
        120,
    ),
    "he": (
        "corpus/he_msgstr_gnome-gnu.txt",
        ("NotoSansHebrew-Regular.ttf", "DejaVuSans.ttf"),
        script_paragraph("HEBREW"),
        120,
    ),
    "th": (
        "corpus/th_wiki_openoffice.txt",
        ("NotoSansThai-Regular.ttf", "DejaVuSans.ttf"),
        script_paragraph("THAI"),
        120,
    ),
    "ko": (
        "corpus/ko_prose_gnome-help.txt",
        ("NotoSansCJK-Hangul.otf", "DejaVuSans.ttf"),
        script_paragraph("HANGUL"),
        60,
    ),
    "hy": ("tests/texts/hy_msgstr_gtk30.txt", ("DejaVuSans.ttf",), script_paragraph("ARMENIAN"), 40),
    "ka": ("tests/texts/ka_msgstr_gtk30.txt", ("DejaVuSans.ttf",), script_paragraph("GEORGIAN"), 40),
    "el": ("tests/texts/el_msgstr_gtk30.txt", ("DejaVuSans.ttf",), script_paragraph("GREEK"), 40),
    "ug": (
        "tests/texts/ug_msgstr_gtk30.txt",
        ("NotoNaskhArabic-Regular.ttf", "DejaVuSans.ttf"),
        script_paragraph("ARABIC"),
        40,
    ),
    "ja": ("corpus/ja_prose_debian-reference.txt", ("NotoSansCJK-Han.otf",), cjk_paragraph, 30),
    "zh-Hans": ("corpus/zh-cn_prose_debian-reference.txt", ("NotoSansCJK-Han.otf",), cjk_paragraph, 30),
}
MAX_PARAGRAPHS = 6
ALIGNS = ("start", "center", "right", "justify")

#: Sets the text of `#text` at a width, language and alignment (the start of both scripts below).
SET_TEXT_JS = """
  const box = document.getElementById('text');
  box.style.width = width + 'px';
  box.style.textAlign = align;
  box.lang = lang;
  box.textContent = text;
  const node = box.firstChild, range = document.createRange();"""
#: Where the lines of the text start, read from the positions of its characters.
LINE_STARTS_JS = (
    "([text, width, lang, align]) => {"
    + SET_TEXT_JS
    + """
  const starts = [0];
  let top = null;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xDC00 && unit < 0xE000) continue;  // the second half of a surrogate pair
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    const rects = range.getClientRects();
    if (!rects.length) continue;
    if (top !== null && rects[0].top > top + 1) starts.push(i);
    if (top === null || rects[0].top > top + 1) top = rects[0].top;
  }
  return starts;
}"""
)
#: The left edge of each character's box, in px from the left of `#text` (null: no box).
CHARACTER_LEFT_JS = (
    "([text, width, lang, align]) => {"
    + SET_TEXT_JS
    + """
  const left = box.getBoundingClientRect().left, found = [];
  for (let i = 0; i < text.length; i++) {
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    const rects = range.getClientRects();
    found.push(rects.length ? rects[0].left - left : null);
  }
  return found;
}"""
)


def paragraphs(case: str) -> list[str]:
    file, _, keep, shortest = CASES[case]
    text = (REPO / file).read_text(encoding="utf-8")
    found = [
        p for p in text.split("\n") if len(p) >= shortest and "  " not in p and "\t" not in p and keep(p)
    ]
    return found[:MAX_PARAGRAPHS]


def page_html(font_files: tuple[str, ...]) -> str:
    """A page whose `#text` box sets text in the given font files (as data: URIs, so nothing is
    fetched), in that order of fallback."""
    faces = "".join(
        f"@font-face {{ font-family: F{i}; src: url(data:font/otf;base64,"
        f"{base64.b64encode((FONT_DIR / name).read_bytes()).decode()}); }}\n"
        for i, name in enumerate(font_files)
    )
    families = ", ".join(f"F{i}" for i in range(len(font_files)))
    return (
        "<!doctype html><html><head><meta charset=utf-8><style>\n" + faces + "body { margin: 0 }\n"
        f"#text {{ font-family: {families}; font-size: {SIZE_PX}px; line-height: {3 * SIZE_PX}px;"
        " white-space: normal; overflow-wrap: anywhere; font-kerning: normal;"
        " text-spacing-trim: space-all }\n"
        "</style></head><body><div id=text dir=auto></div></body></html>"
    )


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with browser(tmp_path_factory.mktemp("profile")) as ctx:
        yield ctx


def open_page(context: Any, folder: Path, font_files: tuple[str, ...]) -> Any:
    """A tab with `page_html` loaded and every one of its fonts loaded."""
    html = folder / "lines.html"
    html.write_text(page_html(font_files), encoding="utf-8")
    page = context.new_page()
    page.goto(html.as_uri(), wait_until="load")
    loaded = page.evaluate("Promise.all([...document.fonts].map(f => f.load())).then(f => f.length)")
    assert loaded == len(font_files), "every font is loaded before any line is measured"
    return page


def config_for(case: str, width: int, align: str = "start") -> RenderConfig:
    """pixtok's set-up for what the page lays out: the same fonts, size, width and alignment."""
    fonts = tuple(str(FONT_DIR / name) for name in CASES[case][1])
    return RenderConfig(
        page=f"{width}x20000", size=f"{SIZE_PX}px", margin="0px", line_height=f"{3 * SIZE_PX}px",
        fonts=fonts, fallback=False, lang=case, align=align,
    )  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_lines_start_where_chromium_starts_them(case: str, context: Any, tmp_path: Path) -> None:
    chosen = paragraphs(case)
    assert len(chosen) >= 2, f"too few {case} paragraphs"
    page = open_page(context, tmp_path, CASES[case][1])
    lines = 0
    for paragraph in chosen:
        for width in WIDTHS:
            ours = render(paragraph, config_for(case, width)).line_char_span[:, 0].tolist()
            theirs = page.evaluate(LINE_STARTS_JS, [paragraph, width, case, "start"])
            assert ours == theirs, (width, paragraph)
            lines += len(ours)
    page.close()
    assert lines > 4 * len(chosen), "the widths make lines to compare"


def pen_positions(renderer: Renderer, text: str) -> dict[int, float]:
    """The pen position (px) of the first glyph of each character that starts a cluster, HarfBuzz's
    x offset taken out: where a browser puts the left edge of the character's box."""
    result = renderer.render(text)
    layout = result._layout
    assert layout is not None
    placed, shaped = layout.placed, layout.shaped
    scale = float(result.font_size_px) / renderer.upem()[shaped.font[placed.index]]
    pen = placed.x - shaped.x_offset[placed.index] * scale
    found: dict[int, float] = {}
    for x, cluster in zip(pen.tolist(), shaped.cluster[placed.index].tolist(), strict=True):
        found.setdefault(int(cluster), x)
    return found


@pytest.mark.parametrize("case", list(CASES))
def test_every_character_stands_where_chromium_puts_it(case: str, context: Any, tmp_path: Path) -> None:
    """Past where lines start: each character's pen position is Chromium's within 1/20 px (its
    layout rounds to 1/64 px), in lines set flush to their start, centred, flush right and
    justified (spread between words, and between the characters of CJK lines), right-to-left
    paragraphs included (their direction from their first strong character, as `dir=auto`
    takes it)."""
    page = open_page(context, tmp_path, CASES[case][1])
    compared = 0
    for align in ALIGNS:
        for width in WIDTHS[1:3]:
            renderer = Renderer(config_for(case, width, align))
            for paragraph in paragraphs(case)[:2]:
                ours = pen_positions(renderer, paragraph)
                theirs = page.evaluate(CHARACTER_LEFT_JS, [paragraph, width, case, align])
                for offset, x in ours.items():
                    if paragraph[offset] != " " and theirs[offset] is not None:
                        assert abs(x - theirs[offset]) <= 0.05, (align, width, offset, paragraph)
                        compared += 1
    page.close()
    assert compared > 200
