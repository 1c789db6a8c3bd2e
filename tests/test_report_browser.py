"""The report in a real browser: Debian's Chromium, headless, offline, a fresh profile.

It loads with no console error and no request leaving the file; its DOM holds one page image per
page shown and the numbers of the records; choosing an encoder lays its grid over the pages
(the screenshot changes); OCR errors are boxed on the page. Screenshots are kept under the test's
tmp folder, made by the same function that makes the pictures of docs/report.md
(scripts/make_report_screenshots.py). About 60 s on two busy cores (OCR of two small pages).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report_browser import browser, missing_reason, open_report, report_screenshots

from pixtok.compare import CompareOptions, Comparer, OcrOptions

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason())),
]

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
TEXTS = {"en.txt": "en_prose_debian-reference.txt", "ja.txt": "ja_prose_debian-reference.txt"}
SHORT = (
    "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs.\n"
    "Sphinx of black quartz, judge my vow: 0Oo1lI 5S 8B rn m cl d.\n"
) * 3


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two reports made through the CLI: two corpus texts with their records, and a short text
    read back with OCR at a size small enough for errors."""
    from click.testing import CliRunner

    from pixtok.cli import main

    folder = tmp_path_factory.mktemp("report")
    for short, name in TEXTS.items():
        (folder / short).write_text((CORPUS / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "short.txt").write_text(SHORT, encoding="utf-8")
    runner = CliRunner()
    import os

    here = os.getcwd()
    os.chdir(folder)
    try:
        for args in (
            ["report", "en.txt", "ja.txt", "-o", "report.html"],
            ["compare", "en.txt", "ja.txt", "-o", "records.jsonl"],
            ["report", "short.txt", "--ocr", "--page", "480x160", "--size", "6px", "--margin", "4",
             "-e", "qwen2.5-vl,internvl2.5", "-o", "ocr.html"],
        ):  # fmt: skip
            with runner.isolation():
                try:
                    main(args)
                except SystemExit as exc:
                    assert exc.code in (0, None), args
    finally:
        os.chdir(here)
    records = [
        json.loads(line) for line in (folder / "records.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return {"folder": folder, "records": records}


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with browser(tmp_path_factory.mktemp("profile")) as ctx:
        yield ctx


def test_loads_offline_with_no_console_errors(made: dict[str, Any], context: Any) -> None:
    opened = open_report(context, made["folder"] / "report.html")
    assert opened.console_errors == []
    assert opened.outside_requests == []
    assert opened.requests == [opened.url]
    opened.page.close()


def test_the_dom_holds_every_page_and_the_records_numbers(made: dict[str, Any], context: Any) -> None:
    opened = open_report(context, made["folder"] / "report.html")
    page = opened.page
    for record in made["records"]:
        section = page.locator(f'section.input[data-input="{record["input"]}"]')
        images = section.locator("img.page-image")
        assert images.count() == min(4, record["pages"])
        for index in range(images.count()):
            image = images.nth(index)
            assert image.get_attribute("src").startswith("data:image/png;base64,")
            assert image.get_attribute("alt")
            assert image.evaluate("img => img.complete && img.naturalWidth") == record["width"]
        cells = section.locator("td[data-key]")
        shown = {
            cells.nth(i).get_attribute("data-key"): cells.nth(i).get_attribute("data-value")
            for i in range(cells.count())
        }
        assert shown["tokens.cl100k"] == str(record["tokens"]["cl100k"])
        assert shown["vision.qwen2.5-vl.tokens"] == str(record["vision"]["qwen2.5-vl"]["tokens"])
        for tok, row in record["compression"].items():
            for enc, value in row.items():
                assert shown[f"compression.{tok}.{enc}"] == str(value)
    opened.page.close()


def test_choosing_an_encoder_lays_its_grid_over_the_page(
    made: dict[str, Any], context: Any, tmp_path: Path
) -> None:
    opened = open_report(context, made["folder"] / "report.html")
    figure = 'section.input figure.page[data-page="1"]'
    plain = opened.screenshot(tmp_path / "plain.png", figure)
    select = opened.page.locator("section.input").first.locator("select.overlay-select")
    select.select_option("qwen2.5-vl")
    qwen = opened.screenshot(tmp_path / "qwen.png", figure)
    select.select_option("deepseek-ocr-base")
    deepseek = opened.screenshot(tmp_path / "deepseek.png", figure)
    select.select_option("")
    again = opened.screenshot(tmp_path / "again.png", figure)
    assert _differ(plain, qwen) and _differ(qwen, deepseek)
    assert not _differ(plain, again)
    assert (tmp_path / "qwen.png").stat().st_size > 0
    opened.page.close()


def _differ(a: bytes, b: bytes) -> bool:
    import io

    import numpy as np
    from PIL import Image

    x = np.asarray(Image.open(io.BytesIO(a)).convert("L"), dtype=np.int16)
    y = np.asarray(Image.open(io.BytesIO(b)).convert("L"), dtype=np.int16)
    return x.shape != y.shape or int(np.count_nonzero(np.abs(x - y) > 8)) > 50


def test_ocr_errors_are_marked_and_boxed(made: dict[str, Any], context: Any, tmp_path: Path) -> None:
    opened = open_report(context, made["folder"] / "ocr.html")
    assert opened.console_errors == [] and opened.outside_requests == []
    page = opened.page
    record = Comparer(
        CompareOptions(
            render=_short_config(), encoders=("qwen2.5-vl", "internvl2.5"), ocr=OcrOptions(keep_text=True)
        )
    ).measure(SHORT)
    marks = page.locator(".ocr-text mark.err, .ocr-text ins.err")
    boxes = page.locator("svg.ocr-boxes rect")
    if record["ocr"]["char_errors"]:
        assert marks.count() > 0 and boxes.count() > 0
    shown = page.locator('section.input td[data-key="ocr.char_errors"]').get_attribute("data-value")
    assert shown == str(record["ocr"]["char_errors"])
    before = opened.screenshot(tmp_path / "ocr.png", "section.input figure.page")
    page.locator("input.ocr-toggle").uncheck()
    after = opened.screenshot(tmp_path / "ocr-off.png", "section.input figure.page")
    assert _differ(before, after) == bool(boxes.count())
    opened.page.close()


def _short_config() -> Any:
    from pixtok.render.config import RenderConfig

    return RenderConfig.from_preset("glyph", page="480x160", size="6px", margin="4")


def test_a_page_enlarges_on_click_or_key(made: dict[str, Any], context: Any) -> None:
    opened = open_report(context, made["folder"] / "report.html")
    image = opened.page.locator("img.page-image").first
    natural = image.evaluate("img => img.naturalWidth")
    small = image.bounding_box()["width"]
    image.click()
    assert image.bounding_box()["width"] == pytest.approx(natural, abs=1) and small < natural
    overlay = opened.page.locator("section.input").first.locator("svg.overlay").first
    assert overlay.bounding_box() is None or overlay.bounding_box()["width"] == pytest.approx(natural, abs=1)
    image.click()
    assert image.bounding_box()["width"] == pytest.approx(small, abs=1)
    image.focus()
    opened.page.keyboard.press("Enter")
    assert image.bounding_box()["width"] == pytest.approx(natural, abs=1)
    opened.page.close()


def test_screenshots_for_the_docs_are_made_by_this_code(
    made: dict[str, Any], context: Any, tmp_path: Path
) -> None:
    written = report_screenshots(
        made["folder"] / "report.html", made["folder"] / "ocr.html", tmp_path, context
    )
    names = ["report-totals.png", "report-grid.png", "report-zoom.png", "report-ocr.png"]
    assert [p.name for p in written] == names
    for path in written:
        assert path.stat().st_size > 1000
