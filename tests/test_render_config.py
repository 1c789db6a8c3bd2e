"""Render options: units, paper sizes, margins, presets and config files resolve to the pixels
they promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixtok import PRESETS, RenderConfig, UsageError
from pixtok.render.config import length_to_px, parse_margin, parse_page


@pytest.mark.parametrize(
    ("value", "dpi", "px"),
    [
        ("9pt", 72, 9.0),
        ("9pt", 144, 18.0),
        ("8pt", 120, 8 * 120 / 72),
        ("16px", 300, 16.0),
        ("16", 300, 16.0),
        (16, 96, 16.0),
        ("1in", 96, 96.0),
        ("25.4mm", 72, 72.0),
        ("2.54cm", 150, 150.0),
        (" 12 PT ", 72, 12.0),
        ("-3px", 72, -3.0),  # signed: where a negative length makes no sense, the range check says so
    ],
)
def test_lengths_convert_at_the_dpi(value, dpi: float, px: float) -> None:
    assert length_to_px(value, dpi) == pytest.approx(px)


@pytest.mark.parametrize("value", ["", "px", "12 furlongs", "--3px", "1e3e3", "nan", "inf", True])
def test_bad_lengths_are_usage_errors(value) -> None:
    with pytest.raises(UsageError):
        length_to_px(value, 72)


@pytest.mark.parametrize(
    ("value", "dpi", "size"),
    [
        ("a4", 72, (595, 842)),
        ("A4", 144, (1190, 1684)),
        ("letter", 72, (612, 792)),
        ("1024x1024", 72, (1024, 1024)),
        ("640", 72, (640, 640)),
        ("800×600", 72, (800, 600)),
        ("210mm x 297mm", 72, (595, 842)),
    ],
)
def test_page_sizes(value: str, dpi: float, size: tuple[int, int]) -> None:
    assert parse_page(value, dpi) == size


@pytest.mark.parametrize(
    ("value", "margins"),
    [
        ("10", (10, 10, 10, 10)),
        ("10,20", (10, 20, 10, 20)),
        ("1 2 3 4", (1, 2, 3, 4)),
        ("1pt,2pt,3pt,4pt", (2, 4, 6, 8)),
        ((5, "1pt"), (5, 2, 5, 2)),
    ],
)
def test_margins_take_one_two_or_four_values(value, margins) -> None:
    assert parse_margin(value, 144) == pytest.approx(margins)


def test_three_margins_are_refused() -> None:
    with pytest.raises(UsageError, match="one, two or four"):
        parse_margin("1,2,3", 72)


@pytest.mark.parametrize("margin", ["0,0,0,nan", "-5", "1,2,3"])
def test_a_strip_refuses_the_margins_every_layout_refuses(margin) -> None:
    """A strip has no margins (its text runs edge to edge), but a bad value is still an error."""
    with pytest.raises(UsageError, match="--margin"):
        RenderConfig(layout="strip", margin=margin).geometry()
    assert RenderConfig(layout="strip", margin="5px").geometry().margins == (0.0, 0.0, 0.0, 0.0)


def test_line_height_is_a_factor_or_a_length() -> None:
    assert RenderConfig(size="20px", line_height="1.5").geometry().line_height == 30
    assert RenderConfig(size="9pt", line_height="10pt", dpi=144).geometry().line_height == 20


def test_glyph_preset_geometry() -> None:
    g = RenderConfig.from_preset("glyph").geometry()
    assert (g.width, g.height) == (595, 842)
    assert (g.size, g.line_height, g.margins) == (9, 10, (10, 10, 10, 10))


def test_pixel_preset_geometry() -> None:
    config = RenderConfig.from_preset("pixel")
    g = config.geometry()
    assert (g.width, g.height) == (529 * 16, 16)
    assert g.size == pytest.approx(8 * 120 / 72)
    assert config.layout == "strip" and config.newlines == "space"


def test_the_default_set_up_is_the_glyph_preset() -> None:
    default, glyph = RenderConfig(), RenderConfig.from_preset("glyph")
    assert default == glyph
    assert default.to_dict() == {**glyph.to_dict(), "preset": None}
    assert default.geometry() == glyph.geometry()


def test_page_1024_preset_geometry() -> None:
    g = RenderConfig.from_preset("page-1024").geometry()
    assert (g.width, g.height, g.size, g.line_height) == (1024, 1024, 16, pytest.approx(19.2))


def test_every_preset_names_its_source() -> None:
    for preset in PRESETS.values():
        assert preset.source and preset.description
        RenderConfig.from_preset(preset.name)  # valid as shipped


def test_preset_overrides_and_dpi_scaling() -> None:
    config = RenderConfig.from_preset("glyph", dpi=144)
    g = config.geometry()
    assert (g.width, g.height, g.size) == (1190, 1684, 18)
    assert config.preset == "glyph"


def test_config_files_in_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "render.toml"
    toml.write_text('[render]\npreset = "glyph"\nsize = "11pt"\n', encoding="utf-8")
    config = RenderConfig.from_file(toml)
    assert (config.layout, config.size, config.page) == ("crop", "11pt", "a4")
    js = tmp_path / "render.json"
    js.write_text(
        '{"page": "300x200", "size": "16px", "line-height": 1.5, "fonts": ["DejaVu Sans Mono"]}',
        encoding="utf-8",
    )
    config = RenderConfig.from_file(js)
    assert config.geometry().line_height == 24 and config.fonts == ("DejaVu Sans Mono",)
    assert RenderConfig.from_dict(config.to_dict()) == config


def test_replace_validates_again() -> None:
    with pytest.raises(UsageError, match="leave no room"):
        RenderConfig(page="100x100").replace(margin="50px")
