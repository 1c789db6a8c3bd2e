"""docs/report.md tells the truth: its command lines run, its pictures exist and stay small,
and it documents every flag of `pixtok report`. The examples take about 90 s on two busy cores
(nine report and compare runs, two of them with OCR of a small page): marked slow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from doc_examples import parse, run_page

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "report.md"


def test_the_page_has_examples() -> None:
    examples, files = parse(DOC.read_text(encoding="utf-8"))
    assert len(examples) >= 9
    assert {"corpus.jsonl", "pangram.txt"} <= set(files)


@pytest.mark.slow
def test_every_documented_command_runs(run_cli, tmp_path: Path) -> None:
    assert run_page(DOC, run_cli, tmp_path) >= 9
    html = (tmp_path / "corpus.html").read_text(encoding="utf-8")
    assert 'data-group="lang=de"' in html and 'data-group="lang=en"' in html
    later = (tmp_path / "later.html").read_text(encoding="utf-8")
    assert later.count('class="page-image"') == (tmp_path / "report.html").read_text(encoding="utf-8").count(
        'class="page-image"'
    )


def test_every_picture_exists_and_stays_small() -> None:
    pictures = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", DOC.read_text(encoding="utf-8"))
    assert len(pictures) == 4
    shipped = {p.name for p in (DOC.parent / "images" / "report").glob("*.png")}
    assert shipped == {Path(p).name for p in pictures}
    assert sum((DOC.parent / p).stat().st_size for p in pictures) < 1_300_000


def test_every_report_flag_is_documented() -> None:
    import pixtok.cli.commands  # noqa: F401  (registers the commands)
    from pixtok.cli import app
    from pixtok.cli.options import RENDER

    command = typer.main.get_command(app).commands["report"]  # type: ignore[attr-defined]
    text = DOC.read_text(encoding="utf-8")
    for param in command.params:
        render_flag = getattr(param, "rich_help_panel", None) == RENDER
        if render_flag or not param.opts or not param.opts[0].startswith("--"):
            continue
        assert param.opts[0] in text, param.opts[0]
