"""Draw docs/images/legibility/curve.png: OCR accuracy against compression for several languages.

For each corpus text, `pixtok.sweep` renders the whole file with the page-1024 preset
(DeepSeek-OCR's 1024 × 1024 px Base input) at a range of font sizes, counts cl100k text tokens
against deepseek-ocr-base vision tokens (256 per page), and reads the first page back with the
automatic OCR engine. The table it prints (Markdown) is the one in docs/legibility.md, with the
engine versions used. Run from the repository root:

    python scripts/make_legibility_figures.py [--sizes 6,7,8,10,12,14,16,20] [--out docs/images/legibility]

(about 9 minutes on two cores; `--redraw` draws the figure again from curve.json.)
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pixtok.compare import CompareOptions  # noqa: E402
from pixtok.io import write_bytes_atomic  # noqa: E402
from pixtok.measure.ocr import get_ocr_engine  # noqa: E402
from pixtok.render.config import RenderConfig  # noqa: E402
from pixtok.sweep import Axis, SweepOptions, sweep  # noqa: E402

CORPUS = REPO / "corpus"
#: (label, corpus file) for the curves.
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("English", "en_prose_debian-reference.txt"),
    ("Chinese", "zh-cn_prose_debian-reference.txt"),
    ("Japanese", "ja_prose_debian-reference.txt"),
    ("Korean", "ko_prose_gnome-help.txt"),
    ("Russian", "ru_prose_debian-faq.txt"),
    ("Persian", "fa_prose_gnome-help.txt"),
    ("Hindi", "hi_prose_libreoffice-help.txt"),
)
TOKENIZER, ENCODER = "cl100k", "deepseek-ocr-base"


def measure(sizes: list[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    base = RenderConfig.from_preset("page-1024")
    for label, name in LANGUAGES:
        text = (CORPUS / name).read_text(encoding="utf-8")
        options = SweepOptions(
            compare=CompareOptions(render=base, tokenizers=(TOKENIZER,), encoders=(ENCODER,)),
            axes=(Axis("size", tuple(sizes)),),
            ocr=True,
            max_pages=1,
        )
        report = sweep(text, options)
        for record in report["records"]:
            ocr = record["ocr"]
            rows.append(
                {
                    "language": label,
                    "size_px": record["font_size_px"],
                    "pages": record["pages"],
                    "text_tokens": record["tokens"][TOKENIZER],
                    "vision_tokens": record["vision"][ENCODER]["tokens"],
                    "compression": record["compression_primary"],
                    "cer": ocr["cer"],
                    "cer_nospace": ocr["cer_nospace"],
                    "engine": f"{ocr['engine']} {ocr['engine_version']}",
                    "lang": ocr["lang"],
                }
            )
            print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr)
    return rows


def draw(rows: list[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7.2, 4.6), dpi=100)
    for label, _ in LANGUAGES:
        # Largest size first: the path the curve takes as text shrinks (equal compression where the
        # page count does not change).
        mine = sorted((r for r in rows if r["language"] == label), key=lambda r: -float(r["size_px"]))
        xs = [r["compression"] for r in mine]
        ys = [100 * (1 - min(1.0, float(r["cer_nospace"]))) for r in mine]
        axes.plot(xs, ys, "-o", ms=3.5, label=label)
        smallest = mine[-1]
        axes.annotate(f"{smallest['size_px']:g}px", (xs[-1], ys[-1]), fontsize=6, xytext=(3, -8),
                      textcoords="offset points")  # fmt: skip
    axes.set_xlabel(f"compression: {TOKENIZER} text tokens / {ENCODER} vision tokens")
    axes.set_ylabel("OCR accuracy on page 1: 100·(1 − CER without spaces) %")
    axes.set_ylim(0, 101)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8, loc="lower left")
    axes.set_title("page-1024 preset, font sizes 6-20 px; RapidOCR (Latin, Chinese) / Tesseract", fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    write_bytes_atomic(path, buffer.getvalue())


def table(rows: list[dict[str, object]]) -> str:
    header = (
        "language",
        "size",
        "pages",
        "text tokens",
        "vision tokens",
        "compression",
        "CER",
        "CER no spaces",
    )
    lines = ["| " + " | ".join(header) + " | engine (lang) |", "|---" + "|---:" * (len(header) - 1) + "|---|"]
    for r in rows:
        cells = (
            r["language"],
            f"{r['size_px']:g} px",
            r["pages"],
            r["text_tokens"],
            r["vision_tokens"],
            f"{r['compression']:.2f}",
            f"{100 * float(r['cer']):.1f} %",
            f"{100 * float(r['cer_nospace']):.1f} %",
            f"{r['engine']} ({r['lang']})",
        )
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="6,7,8,10,12,14,16,20")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images" / "legibility")
    parser.add_argument("--redraw", action="store_true", help="Draw again from OUT/curve.json, without OCR.")
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.redraw:
        rows = json.loads((args.out / "curve.json").read_text(encoding="utf-8"))
    else:
        rows = measure(sizes)
    args.out.mkdir(parents=True, exist_ok=True)
    draw(rows, args.out / "curve.png")
    write_bytes_atomic(
        args.out / "curve.json", (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode()
    )
    rapid, tess = get_ocr_engine("rapidocr").describe(), get_ocr_engine("tesseract").describe()
    print(f"Engines: RapidOCR {rapid['version']} ({rapid['runtime']}), Tesseract {tess['version']}\n")
    print(table(rows))


if __name__ == "__main__":
    main()
