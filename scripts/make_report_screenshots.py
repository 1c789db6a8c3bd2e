"""Make the pictures of docs/report.md with the code the browser tests use.

Writes two reports of corpus texts through the real CLI (the English and Japanese manual
chapters; a short pangram text read back with OCR at 6 px, small enough for OCR to slip) and
photographs them in headless Chromium with `tests/report_browser.report_screenshots`, the
function tests/test_report_browser.py checks. Usage: python scripts/make_report_screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from report_browser import report_screenshots  # noqa: E402
from test_report_browser import SHORT  # noqa: E402

from pixtok.cli import main  # noqa: E402

OUT = REPO / "docs" / "images" / "report"


def run(args: list[str]) -> None:
    try:
        main(args)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise


def make() -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for short, name in (
            ("en.txt", "en_prose_debian-reference.txt"),
            ("ja.txt", "ja_prose_debian-reference.txt"),
        ):
            (folder / short).write_text(
                (REPO / "corpus" / name).read_text(encoding="utf-8"), encoding="utf-8"
            )
        (folder / "short.txt").write_text(SHORT, encoding="utf-8")
        here = os.getcwd()
        os.chdir(folder)
        try:
            run(["report", "en.txt", "ja.txt", "-o", "report.html"])
            run(["report", "short.txt", "--ocr", "--page", "480x160", "--size", "6px", "--margin", "4",
                 "-e", "qwen2.5-vl,internvl2.5", "-o", "ocr.html"])  # fmt: skip
        finally:
            os.chdir(here)
        return report_screenshots(folder / "report.html", folder / "ocr.html", OUT)


if __name__ == "__main__":
    for path in make():
        print(path.relative_to(REPO), path.stat().st_size)
