"""The pictures of docs/rendering.md are what scripts/make_render_figures.py draws now.

The script renders every picture with the engine of this checkout; the committed PNGs must
hold the same pixels (compared decoded, so a different zlib cannot fail the test), so a change
of the engine or of the defaults that alters a picture shows here, not only in the docs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
FIGURES = REPO / "docs" / "images" / "rendering"


def test_the_script_draws_the_committed_pictures(tmp_path: Path) -> None:
    script = REPO / "scripts" / "make_render_figures.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True)
    drawn = sorted(p.name for p in tmp_path.glob("*.png"))
    assert drawn == sorted(p.name for p in FIGURES.glob("*.png"))
    referenced = (REPO / "docs" / "rendering.md").read_text(encoding="utf-8")
    for name in drawn:
        assert f"images/rendering/{name}" in referenced, f"{name} is drawn but not shown"
        ours = np.asarray(Image.open(tmp_path / name))
        committed = np.asarray(Image.open(FIGURES / name))
        assert ours.shape == committed.shape and np.array_equal(ours, committed), name
