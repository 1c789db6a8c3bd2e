"""docs/rendering.md tells the truth: its command lines run, its pictures exist, and it documents
every option `RenderConfig` has and every flag `pixtok render` takes.

Each ```console block's `$ pixtok ...` lines run, in order, in a temporary folder holding the
corpus copies the page names (`en.txt`, `fa.txt`, ...) and the files its ```toml blocks define
(a block whose first line is `# file: NAME`).
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import shutil
from pathlib import Path

import pytest
import typer

from pixtok import RenderConfig

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "rendering.md"
CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus"
INPUTS = {
    "en.txt": "en_prose_debian-reference.txt",
    "ru.txt": "ru_prose_debian-faq.txt",
    "fa.txt": "fa_prose_gnome-help.txt",
    "he.txt": "he_msgstr_gnome-gnu.txt",
    "hi.txt": "hi_prose_libreoffice-help.txt",
    "zh.txt": "zh-cn_prose_debian-reference.txt",
    "ja.txt": "ja_prose_debian-reference.txt",
    "ko.txt": "ko_prose_gnome-help.txt",
    "code.txt": "code_python_textwrap.py.txt",
}
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(DOC.read_text(encoding="utf-8")) if lang == kind]


def doc_commands() -> list[str]:
    return [
        line[2:].strip()
        for body in blocks("console")
        for line in body.splitlines()
        if line.startswith("$ pixtok ")
    ]


def test_the_page_has_examples() -> None:
    assert len(doc_commands()) >= 20


@pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason="shared corpus not found")
def test_every_documented_command_runs(run_cli, tmp_path: Path) -> None:
    for name, source in INPUTS.items():
        shutil.copy(CORPUS_DIR / source, tmp_path / name)
    for body in blocks("toml"):
        first, _, rest = body.partition("\n")
        match = re.fullmatch(r"# file: (\S+)", first.strip())
        if match:
            (tmp_path / match.group(1)).write_text(rest, encoding="utf-8")
    failures = []
    for command in doc_commands():
        args = shlex.split(command)[1:]
        result = run_cli(*args, cwd=tmp_path)
        if result.exit_code != 0:
            failures.append(f"$ {command}\n  -> exit {result.exit_code}: {result.stderr.strip()[:300]}")
    assert not failures, "\n".join(failures)


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
