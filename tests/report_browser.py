"""Open a report in a real browser: Debian's Chromium, headless, offline, with a fresh profile.

Used by tests/test_report_browser.py and by scripts/make_report_screenshots.py, so the pictures
in docs/report.md come from the same code path the tests check. Chromium is driven through
playwright with `executable_path` pointing at the system browser (playwright never downloads
one here). Every request the page makes is recorded, and any that is not the report's own file
is aborted, so a test can assert that nothing left the page. Console errors and uncaught
exceptions are collected.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Where Debian's `chromium` package puts the browser.
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: Flags for a headless browser that talks to nobody: no sandbox (root in CI), no GPU, no
#: background networking, component updates, sync or first-run work.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
)
VIEWPORT = {"width": 1280, "height": 900}


def chromium_path() -> str | None:
    """The system Chromium, or None where it is not installed."""
    found = os.environ.get("PIXTOK_CHROMIUM")
    candidates = (found,) if found else CHROMIUM_PATHS
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def missing_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if chromium_path() is None:
        return "Chromium is not installed (Debian package `chromium`; see system-packages.txt)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install 'pixtok[test]')"
    return None


@dataclass
class OpenedPage:
    """A report open in the browser, with what it did while loading."""

    page: Any
    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def outside_requests(self) -> list[str]:
        """Requests for anything but the report file itself and its data: URIs."""
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]

    def screenshot(self, path: str | Path, selector: str | None = None) -> bytes:
        """A PNG of the element `selector` (or of the visible page), also written to `path`."""
        target = self.page.locator(selector).first if selector else self.page
        return target.screenshot(path=str(path), animations="disabled")


@contextlib.contextmanager
def browser(profile: str | Path | None = None) -> Iterator[Any]:
    """A headless Chromium context with a fresh user-data folder (`profile`, or a new temporary
    one) and the network switched off."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError(missing_reason() or "no Chromium")
    with contextlib.ExitStack() as stack:
        folder = (
            Path(profile) if profile is not None else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        )
        driver = stack.enter_context(sync_playwright())
        context = driver.chromium.launch_persistent_context(
            str(folder),
            executable_path=executable,
            headless=True,
            args=list(CHROMIUM_ARGS),
            offline=True,
            viewport=VIEWPORT,
            device_scale_factor=1,
        )
        stack.callback(context.close)
        yield context


def open_report(context: Any, path: str | Path) -> OpenedPage:
    """Load a report file in a new tab and wait until it has loaded."""
    url = Path(path).resolve().as_uri()
    page = context.new_page()
    opened = OpenedPage(page, url)
    page.on("request", lambda request: opened.requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and opened.console_errors.append(message.text))
    page.on("pageerror", lambda error: opened.console_errors.append(str(error)))
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url == url else route.abort("blockedbyclient"),
    )
    page.goto(url, wait_until="load")
    return opened


def _top(locator: Any, height: int) -> dict[str, float]:
    """A clip of the top `height` pixels of an element, in viewport coordinates."""
    box = locator.bounding_box()
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": min(height, box["height"])}


def report_screenshots(
    report: str | Path, ocr_report: str | Path, folder: str | Path, context: Any = None
) -> list[Path]:
    """The pictures of docs/report.md: the totals of `report`, its first page with Qwen2.5-VL's
    grid laid over it beside the text cut into tokens, the top of that page enlarged, and the
    first page of `ocr_report` with its OCR errors boxed and marked. Uses `context` (see
    `browser`) or a browser of its own; returns the files written."""
    if context is None:
        with browser() as own:
            return report_screenshots(report, ocr_report, folder, own)
    folder = Path(folder)
    written = []
    opened = open_report(context, report)
    path = folder / "report-totals.png"
    opened.screenshot(path, "#totals .pair")
    written.append(path)
    section = opened.page.locator("section.input").first
    section.locator("select.overlay-select").select_option("qwen2.5-vl")
    path = folder / "report-grid.png"
    section.locator(".page-row").first.screenshot(path=str(path), animations="disabled")
    written.append(path)
    section.locator("img.page-image").first.click()
    path = folder / "report-zoom.png"
    figure = section.locator("figure.page").first
    figure.evaluate("f => { f.scrollIntoView(); window.scrollBy(0, -80); }")
    opened.page.screenshot(path=str(path), animations="disabled", clip=_top(figure, 420))
    written.append(path)
    opened.page.close()
    opened = open_report(context, ocr_report)
    path = folder / "report-ocr.png"
    opened.page.locator("section.input .page-row").first.screenshot(path=str(path), animations="disabled")
    written.append(path)
    opened.page.close()
    return written
