"""Time and score pixtok's way of reading a page against RapidOCR reading the whole page itself.

The baseline is RapidOCR as a user would call it on a rendered page: its own text detection and
recognition, angle classifier off. pixtok's way (`RapidOcrEngine.read` with the layout's line
boxes) cuts line strips into pieces close to the recogniser's 320x48 training shape. Both read
the same page in one process after a warm-up; the ratios pixtok/baseline (time) and the CER of
each (with and without whitespace) are what to read. A second pair times Tesseract on the same
page with one OpenMP thread (pixtok's setting) against Tesseract's default thread count.

Run: `python benchmarks/bench_ocr.py [--size 16px] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pixtok import RenderConfig, render  # noqa: E402
from pixtok.measure.legibility import error_rates, line_boxes  # noqa: E402
from pixtok.measure.ocr import get_ocr_engine  # noqa: E402

CORPUS = REPO / "corpus"


def timed(work: Callable[[], str]) -> tuple[float, str]:
    work()  # warm-up
    start = time.perf_counter()
    text = work()
    return time.perf_counter() - start, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="16px")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    text = (CORPUS / "en_prose_debian-reference.txt").read_text(encoding="utf-8")
    result = render(text, RenderConfig(size=args.size))
    page, lines = result.pages[0], line_boxes(result, 0)
    reference = text[slice(*result.page_char_span(0))]
    rapid = get_ocr_engine("rapidocr")
    tess = get_ocr_engine("tesseract")

    def whole_page() -> str:
        import numpy as np

        found, _ = rapid._engine(np.repeat(page[:, :, None], 3, axis=2), use_cls=False)
        return "\n".join(item[1] for item in found or [])

    def tesseract_default_threads() -> str:
        os.environ["OMP_THREAD_LIMIT"] = str(os.cpu_count() or 1)
        try:
            return tess.read(page, "eng", lines)
        finally:
            del os.environ["OMP_THREAD_LIMIT"]

    runs = {
        "rapidocr_whole_page": timed(whole_page),
        "rapidocr_pixtok_strips": timed(lambda: rapid.read(page, "latin", lines)),
        "tesseract_default_threads": timed(tesseract_default_threads),
        "tesseract_one_thread": timed(lambda: tess.read(page, "eng", lines)),
    }
    report: dict[str, object] = {"size": args.size, "lines": len(lines), "chars": len(reference)}
    for name, (seconds, read) in runs.items():
        rates = error_rates(reference, read)
        report[name] = {
            "seconds": round(seconds, 3),
            "cer": rates["cer"],
            "cer_nospace": rates["cer_nospace"],
        }
    report["ratio_strips_over_whole_page"] = round(
        runs["rapidocr_pixtok_strips"][0] / runs["rapidocr_whole_page"][0], 3
    )
    report["ratio_one_thread_over_default"] = round(
        runs["tesseract_one_thread"][0] / runs["tesseract_default_threads"][0], 3
    )
    print(json.dumps(report, indent=2 if not args.json else None))


if __name__ == "__main__":
    main()
