"""Make the pictures of docs/rendering.md: one per layout mode and one per script, from the
test corpus (and tests/texts for Bengali and Tamil), rendered by pixtok with the bundled fonts.

Each picture is a real page as `render` returns it, framed by a one-pixel grey line so the page
edge shows on a white background; the strip picture is cut after its end patch (a PIXEL strip
is 8,464 px wide) and shown twice as large. Output is deterministic: running the script again
rewrites the same bytes.

Run: `python scripts/make_render_figures.py [--out docs/images/rendering]`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pixtok import RenderConfig, render  # noqa: E402
from pixtok.output_files import png_bytes  # noqa: E402

CORPUS = REPO / "corpus"
TEXTS = REPO / "tests" / "texts"  # GTK's messages in the Indic scripts, which the corpus lacks
FRAME = 160  # grey level of the frame

# script -> (corpus file, first character, characters)
SCRIPTS = {
    "latin": ("en_prose_debian-reference.txt", 0, 420),
    "cyrillic": ("ru_prose_debian-faq.txt", 0, 380),
    "arabic": ("fa_prose_gnome-help.txt", 0, 300),
    "hebrew": ("he_msgstr_gnome-gnu.txt", 0, 260),
    "devanagari": ("hi_prose_libreoffice-help.txt", 0, 300),
    "chinese": ("zh-cn_prose_debian-reference.txt", 0, 170),
    "japanese": ("ja_prose_debian-reference.txt", 1775, 210),  # §1.1.3: the opening is English
    "korean": ("ko_prose_gnome-help.txt", 0, 200),
    "bengali": ("bn_msgstr_gtk30.txt", 0, 260),
    "tamil": ("ta_msgstr_gtk30.txt", 200, 260),  # from the 6th message: the 3rd has a stray pulli
}


def cut(text: str, length: int) -> str:
    """At most `length` characters, cut back to the last space or line end so no word is cut."""
    if length >= len(text):
        return text
    end = max(text.rfind(" ", 0, length), text.rfind("\n", 0, length))
    return text[: end if end > length // 2 else length].rstrip()


def corpus(name: str, start: int = 0, length: int | None = None) -> str:
    path = CORPUS / name if (CORPUS / name).is_file() else TEXTS / name
    text = path.read_text(encoding="utf-8")[start:]
    return text if length is None else cut(text, length)


def framed(page: np.ndarray) -> np.ndarray:
    out = np.full((page.shape[0] + 2, page.shape[1] + 2), FRAME, dtype=np.uint8)
    out[1:-1, 1:-1] = page
    return out


def mode_figures() -> dict[str, np.ndarray]:
    english = corpus("en_prose_debian-reference.txt")
    paragraph = cut(english[english.index("Upon starting") :], 560)
    figures = {
        # Fixed pages: the text flows on; this is the first of several 400 x 260 pages.
        "mode-page": render(
            paragraph,
            RenderConfig(layout="page", page="400x260", size="14px", line_height="1.2", margin="16px"),
        ).pages[0],
        # Glyph's set-up (A4 at 72 dpi, 9 pt): unused width and the empty end of the page cut away.
        "mode-crop": render(cut(paragraph, 224), RenderConfig.from_preset("glyph")).pages[-1],
        # The largest size that puts the whole paragraph on one 400 x 200 page.
        "mode-fit": render(
            paragraph, RenderConfig(layout="fit", page="400x200", line_height="1.2", margin="12px")
        ).pages[0],
    }
    strip = render(cut(paragraph, 60), RenderConfig.from_preset("pixel")).pages[0]
    patches = strip.reshape(16, -1, 16)
    end = next(i for i in range(patches.shape[1]) if (patches[:, i] == 0).all())
    shown = strip[:, : (end + 3) * 16]
    figures["mode-strip"] = np.repeat(np.repeat(shown, 2, axis=0), 2, axis=1)
    return figures


def script_figures() -> dict[str, np.ndarray]:
    # Right-to-left scripts start at the right edge (`align="start"`), as they are read.
    config = RenderConfig(
        layout="crop", page="420x600", size="16px", line_height="1.2", margin="10px", align="start"
    )
    return {
        f"script-{name}": render(corpus(file, start, length), config).pages[0]
        for name, (file, start, length) in SCRIPTS.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images" / "rendering")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, page in {**mode_figures(), **script_figures()}.items():
        data = png_bytes(framed(page))
        (args.out / f"{name}.png").write_bytes(data)
        total += len(data)
        print(f"{name}.png  {page.shape[1]}x{page.shape[0]}  {len(data):,} bytes")
    print(f"total {total:,} bytes in {args.out}")


if __name__ == "__main__":
    main()
