"""Every text of the test corpus renders with the shipped fonts alone: no missing glyph.

The corpus covers the scripts pixtok promises (Latin, Cyrillic, Arabic and Persian, Hebrew,
Devanagari, Chinese, Japanese, Korean, Thai, code, JSON, Agda's mathematical symbols); each file is
rendered whole with the default config and with the `glyph` preset.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pixtok import RenderConfig, Renderer

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
FILES = sorted(p.name for p in CORPUS_DIR.glob("*.txt"))
# Installed fonts are left out: a system font must not hide a gap in the shipped ones.
CONFIGS = {
    "default": RenderConfig(system_fonts=False),
    "glyph": RenderConfig.from_preset("glyph", system_fonts=False),
}
RENDERERS = {name: Renderer(config) for name, config in CONFIGS.items()}


@pytest.mark.parametrize("config_name", list(CONFIGS))
@pytest.mark.parametrize("file", FILES)
def test_corpus_file_renders_without_missing_glyphs(file: str, config_name: str) -> None:
    text = (CORPUS_DIR / file).read_text(encoding="utf-8")
    result = RENDERERS[config_name].render(text)
    assert result.missing == {}, {f"U+{ord(c):04X}": n for c, n in result.missing.items()}
    assert result.page_count >= 1 and result.chars == len(text)
    assert result.line_char_span[-1, 1] == len(text)
    families = {f["family"] for f in result.fonts}
    assert families, "some font drew the text"


def test_corpus_is_all_there() -> None:
    prefixes = {name.split("_")[0] for name in FILES}
    assert {"en", "ru", "ar", "fa", "he", "hi", "zh-cn", "ja", "ko", "th", "code", "math"} <= prefixes
