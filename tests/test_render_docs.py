"""docs/rendering.md tells the truth: its command lines run, its pictures exist, and it documents
every option `RenderConfig` has and every flag `pixtok render` takes.

The `$ pixtok ...` lines of its ```console blocks run through `doc_examples.run_page`, in a
temporary folder holding the corpus copies the page names (`en.txt`, `fa.txt`, ...) and the
files its named ```toml blocks define.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import typer
from doc_examples import parse, run_page

from pixtok import RenderConfig

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "rendering.md"


def test_the_page_has_examples_and_a_config_file() -> None:
    examples, files = parse(DOC.read_text(encoding="utf-8"))
    assert len(examples) >= 20
    assert "pixel-wide.toml" in files


def test_every_documented_command_runs(run_cli, tmp_path: Path) -> None:
    assert run_page(DOC, run_cli, tmp_path) >= 20


def test_every_picture_exists() -> None:
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", DOC.read_text(encoding="utf-8"))
    assert len(pictures) >= 12
    for picture in pictures:
        assert (DOC.parent / picture).is_file(), picture
    shipped = {p.name for p in (DOC.parent / "images" / "rendering").glob("*.png")}
    assert shipped == {Path(p).name for p in pictures}


def test_pictures_stay_small() -> None:
    total = sum(p.stat().st_size for p in (DOC.parent / "images" / "rendering").glob("*.png"))
    assert 0 < total < 1_500_000


def test_every_config_field_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for field in dataclasses.fields(RenderConfig):
        assert f"`{field.name}`" in text, field.name


def test_every_render_flag_is_documented() -> None:
    """The flags of the render-option and output panels (corpus flags are documented elsewhere)."""
    import pixtok.cli.commands  # noqa: F401  (registers the commands)
    from pixtok.cli import app
    from pixtok.cli.options import OUTPUT, RENDER

    command = typer.main.get_command(app).commands["render"]  # type: ignore[attr-defined]
    text = DOC.read_text(encoding="utf-8")
    flags = [
        opt
        for param in command.params
        if getattr(param, "rich_help_panel", None) in (RENDER, OUTPUT) or "--output" in param.opts
        for opt in param.opts
        if opt.startswith("--")
    ]
    assert "--layout" in flags
    missing = [flag for flag in flags if f"`{flag}`" not in text and flag != "--help"]
    assert not missing, missing
