"""Golden images: a few small renders compared with PNGs committed under tests/golden/.

The comparison has a tolerance, so a FreeType update that changes antialiasing by a grey level
here and there passes, while anything that moves glyphs (a shaping, layout or baseline change)
fails: mean absolute difference at most 1 grey level, and at most 0.2 % of pixels differing by
more than 32 levels (text moved by one pixel changes several percent of a page).

After a deliberate change to the engine, look at the new pages, then regenerate:

    PIXTOK_REGEN_GOLDEN=1 python -m pytest tests/test_render_golden.py

which rewrites the PNGs (the tests then skip, saying so) for review in the diff.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixtok import RenderConfig, render
from pixtok.output_files import png_bytes

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
REGENERATE = os.environ.get("PIXTOK_REGEN_GOLDEN") == "1"
MAX_MEAN_ABS_DIFF = 1.0
MAX_CHANGED_FRACTION = 0.002
CHANGED_LEVELS = 32


def page(size: str) -> RenderConfig:
    """Whole 320 x 200 px pages (not cropped), 1.2 line height, aligned to the paragraph's start."""
    return RenderConfig.from_preset("page-1024", page="320x200", size=size, margin="8px")


# name -> (corpus file, characters, config)
CASES: dict[str, tuple[str, int, RenderConfig]] = {
    "latin": ("en_prose_debian-reference.txt", 420, page("13px")),
    "arabic": ("fa_prose_gnome-help.txt", 300, page("14px")),
    "cjk": ("zh-cn_prose_debian-reference.txt", 160, page("14px")),
    "strip": ("en_prose_debian-reference.txt", 160, RenderConfig.from_preset("pixel")),
}


def case_text(name: str) -> str:
    file, chars, _ = CASES[name]
    return (CORPUS_DIR / file).read_text(encoding="utf-8")[:chars]


@pytest.mark.parametrize("name", list(CASES))
def test_render_matches_golden(name: str) -> None:
    page = render(case_text(name), CASES[name][2]).pages[0]
    path = GOLDEN_DIR / f"{name}.png"
    if REGENERATE:
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_bytes(png_bytes(page))
        pytest.skip(f"regenerated {path.relative_to(GOLDEN_DIR.parent.parent)}")
    assert path.is_file(), f"{path} is missing; regenerate with PIXTOK_REGEN_GOLDEN=1"
    golden = np.asarray(Image.open(io.BytesIO(path.read_bytes())))
    assert page.shape == golden.shape
    diff = np.abs(page.astype(np.int16) - golden.astype(np.int16))
    assert diff.mean() <= MAX_MEAN_ABS_DIFF, f"mean abs diff {diff.mean():.3f}"
    changed = float((diff > CHANGED_LEVELS).mean())
    assert changed <= MAX_CHANGED_FRACTION, f"{changed:.2%} of pixels changed"


@pytest.mark.parametrize("name", ["latin", "cjk"])
def test_the_tolerance_catches_a_one_pixel_shift(name: str) -> None:
    """The thresholds are tight enough to see the text of a golden page moved by one pixel."""
    page = render(case_text(name), CASES[name][2]).pages[0]
    moved = np.full_like(page, 255)
    moved[:, 1:] = page[:, :-1]
    diff = np.abs(page.astype(np.int16) - moved.astype(np.int16))
    assert (diff > CHANGED_LEVELS).mean() > MAX_CHANGED_FRACTION
