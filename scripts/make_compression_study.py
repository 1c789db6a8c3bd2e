"""Make docs/images/study/: DeepSeek-OCR's Fox study (arXiv 2510.18234, Table 2) on the English
corpus text, read back with RapidOCR.

The English corpus text is cut into consecutive excerpts of 650, 750, ..., 1,250 cl100k tokens
(the middles of Table 2's bins), each excerpt is set on an A4 page at 72 dpi at the largest size
that fits (the glyph preset, layout fit) and resized as DeepSeek-OCR's Tiny (512², 64 tokens)
and Small (640², 100 tokens) modes resize a page, and RapidOCR reads what each mode sees. It is

    pixtok study compression corpus/en_prose_debian-reference.txt --excerpts table2 \\
        --ocr-engine rapidocr --json --plot docs/images/study/compression.png

with the `document` arrangement (`--arrangement square` adds the other one). The JSON document
(records, totals, options, engine version) goes to docs/images/study/, the plot beside it, and
the Markdown table of docs/study.md to stdout. Run from the repository root:

    python scripts/make_compression_study.py [--out docs/images/study] [--jobs 2] [--arrangement square]

(36 page reads; `--redraw` draws the figure again from the JSON.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pixtok.corpus.batch import EngineOptions  # noqa: E402
from pixtok.corpus.inputs import Record  # noqa: E402
from pixtok.io import write_bytes_atomic  # noqa: E402
from pixtok.measure.ocr import get_ocr_engine  # noqa: E402
from pixtok.study import TABLE2_EXCERPTS, StudyOptions, compression_study, plot_study  # noqa: E402

SOURCE = REPO / "corpus" / "en_prose_debian-reference.txt"
ARRANGEMENTS = ("document", "square")


def run(arrangement: str, jobs: int) -> dict[str, object]:
    options = StudyOptions(excerpts=TABLE2_EXCERPTS, engine="rapidocr", arrangement=arrangement)
    records: list[dict[str, object]] = []
    text = SOURCE.read_text(encoding="utf-8")
    name = f"corpus/{SOURCE.name}"
    totals = compression_study(
        [Record(name, text)], options, engine=EngineOptions("process", jobs), on_record=records.append
    )
    total = totals.total()
    assert total is not None and not totals.failed, totals.failure_summary()
    settings = options.record_settings()
    settings["render"] = options.render.to_dict()
    return {
        "records": records,
        "total": {k: v for k, v in total.items() if k != "sums"} | {"sums": total["sums"]},
        "options": settings,
        "engine": get_ocr_engine("rapidocr").describe(),
    }


def table(document: dict[str, object]) -> str:
    """The Markdown table of docs/study.md: this study beside DeepSeek-OCR's Table 2."""
    lines = [
        "| text tokens | pages | Tiny (64): precision | compression | paper | Small (100): precision "
        "| compression | paper |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in document["total"]["bins"]:  # type: ignore[index]
        cells = [row["bin"], str(row["pages"])]
        for mode in ("deepseek-ocr-tiny", "deepseek-ocr-small"):
            figures = row.get(mode)
            if figures is None:
                cells += ["-", "-", "-"]
                continue
            paper = figures.get("published_precision")
            cells += [
                f"{figures['precision']:.1f} %",
                f"{figures['compression']:.1f}×",
                "-" if paper is None else f"{paper:.1f} % ({figures['published_compression']:.1f}×)",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images" / "study")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--redraw", action="store_true", help="only draw the figure from the JSON")
    parser.add_argument("--arrangement", choices=ARRANGEMENTS, action="append", help="default: document")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for arrangement in args.arrangement or ("document",):
        path = args.out / f"compression-{arrangement}.json"
        if args.redraw:
            document = json.loads(path.read_text(encoding="utf-8"))
        else:
            document = run(arrangement, args.jobs)
            data = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
            write_bytes_atomic(path, data.encode("utf-8"))
        plot_study(document["total"], str(args.out / f"compression-{arrangement}.png"), tokenizer="cl100k")
        print(f"\n{arrangement}:\n{table(document)}")


if __name__ == "__main__":
    main()
