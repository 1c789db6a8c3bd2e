"""Fonts a user names that cannot be fonts: each is one FontError, one line on stderr, exit 1.

Covers what a hostile or careless `--font` can be: a folder, a FIFO (reading it would block),
a character device (/dev/zero never ends), an empty file, a truncated font (FreeType and
HarfBuzz open it and then draw nothing past the cut), a symbolic link loop (Path.resolve raises
RuntimeError), and a family name that looks like an option (`-v`), which must reach fc-match as
a family, never as a flag.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from pixtok.errors import FontError
from pixtok.render.fonts import FONT_DIR, fontconfig_pattern, load_font, resolve_font

DEJAVU = FONT_DIR / "DejaVuSans.ttf"


def make_folder(tmp: Path) -> Path:
    (tmp / "folder.ttf").mkdir()
    return tmp / "folder.ttf"


def make_fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "pipe.ttf")
    return tmp / "pipe.ttf"


def make_empty(tmp: Path) -> Path:
    (tmp / "empty.ttf").write_bytes(b"")
    return tmp / "empty.ttf"


def make_truncated(tmp: Path) -> Path:
    # Cut inside the last table: FreeType and HarfBuzz still open this file.
    data = DEJAVU.read_bytes()
    (tmp / "cut.ttf").write_bytes(data[: len(data) - 100])
    return tmp / "cut.ttf"


def make_truncated_early(tmp: Path) -> Path:
    (tmp / "stub.ttf").write_bytes(DEJAVU.read_bytes()[:4000])
    return tmp / "stub.ttf"


def make_loop(tmp: Path) -> Path:
    (tmp / "a.ttf").symlink_to(tmp / "b.ttf")
    (tmp / "b.ttf").symlink_to(tmp / "a.ttf")
    return tmp / "a.ttf"


def make_dangling(tmp: Path) -> Path:
    (tmp / "gone.ttf").symlink_to(tmp / "nowhere.ttf")
    return tmp / "gone.ttf"


def make_device(tmp: Path) -> Path:
    return Path("/dev/zero")


CASES = {
    "folder": (make_folder, "is a folder"),
    "fifo": (make_fifo, "not a regular file"),
    "device": (make_device, "not a regular file"),
    "empty": (make_empty, "empty"),
    "truncated": (make_truncated, "truncated"),
    "truncated-early": (make_truncated_early, "truncated"),
    "symlink-loop": (make_loop, "symbolic link loop"),
    "dangling-link": (make_dangling, "not found"),
}


def test_the_truncated_case_is_one_freetype_and_harfbuzz_accept(tmp_path: Path) -> None:
    # The reason for the table-directory check: the libraries do not refuse this file.
    import freetype
    import uharfbuzz as hb

    path = make_truncated(tmp_path)
    freetype.Face(str(path))
    assert hb.Face(hb.Blob.from_file_path(str(path))).glyph_count > 1


@pytest.mark.parametrize("case", sorted(CASES))
def test_unusable_font_path_is_a_font_error(tmp_path: Path, case: str) -> None:
    make, fragment = CASES[case]
    path = make(tmp_path)
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            resolve_font(str(path))
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    worker = threading.Thread(target=attempt, daemon=True)  # a FIFO must not block the call
    worker.start()
    worker.join(30)
    assert outcome, f"resolving {path} did not return"
    error = outcome[0]
    assert isinstance(error, FontError), repr(error)
    assert fragment in str(error) and "\n" not in str(error)


def assert_render_fails_in_one_line(run_cli, tmp_path: Path, font: object, fragment: str) -> None:
    """`pixtok render --font FONT` ends with exit code 1, one error line holding `fragment`, and
    no page written."""
    text = tmp_path / "in.txt"
    text.write_text("Hello", encoding="utf-8")
    result = run_cli("render", text, "--font", font, "-o", tmp_path / "out.png")
    assert result.exception is None, result.traceback
    assert result.exit_code == 1
    assert len(result.error_lines) == 1, result.stderr
    assert result.error_lines[0].startswith("pixtok: error: ") and fragment in result.error_lines[0]
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("case", ["folder", "fifo", "device", "empty", "truncated", "symlink-loop"])
def test_unusable_font_path_is_one_line_on_the_command_line(run_cli, tmp_path: Path, case: str) -> None:
    make, fragment = CASES[case]
    assert_render_fails_in_one_line(run_cli, tmp_path, make(tmp_path), fragment)


def test_a_whole_font_passes_the_same_checks() -> None:
    assert load_font(str(DEJAVU)).family == "DejaVu Sans"


@pytest.mark.parametrize("family", ["-v", "--version", "-s", "Sans-Bold:style=Bold", "a,b", "back\\slash"])
def test_family_names_never_reach_fc_match_as_options_or_properties(family: str) -> None:
    pattern = fontconfig_pattern(family)
    assert not pattern.startswith("-")
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig (fc-match) is not installed")
    # fontconfig itself reads the escaped pattern back as exactly this family name.
    shown = subprocess.run(
        ["fc-pattern", "--format=%{family}", "--", pattern], capture_output=True, text=True, check=True
    ).stdout
    assert shown == family


@pytest.mark.parametrize("family", ["-v", "--version", "DejaVu Sans:style=Bold"])
def test_option_like_font_name_is_an_unknown_family(run_cli, tmp_path: Path, family: str) -> None:
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig (fc-match) is not installed")
    assert_render_fails_in_one_line(run_cli, tmp_path, family, f"font family {family!r} not found")
