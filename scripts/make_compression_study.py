"""Make docs/images/study/: DeepSeek-OCR's Fox study (arXiv 2510.18234, Table 2) on the English
corpus text, read back with RapidOCR.

The English corpus text is cut into consecutive excerpts of 650, 750, ..., 1,250 cl100k tokens
(the middles of Table 2's bins; the first `--per-length` of each length, 2 by default), each
excerpt is set on an A4 page at 72 dpi at the largest size that fits (the glyph preset, layout
fit) and resized as DeepSeek-OCR's Tiny (512², 64 tokens) and Small (640², 100 tokens) modes
resize a page, and RapidOCR reads what each mode sees. Per excerpt this is what

    pixtok study compression corpus/en_prose_debian-reference.txt --excerpts table2 --ocr-engine rapidocr

does (the command studies every excerpt of every length). The work is split into parts that run
as separate processes and write their records resumably; `--combine` gathers them into
docs/images/study/compression-document.json (records, totals, options, engine version), draws
compression-document.png and prints the Markdown table of docs/study.md. From the repository root:

    python scripts/make_compression_study.py --part 1/2 &   # the lengths 650, 850, 1050, 1250
    python scripts/make_compression_study.py --part 2/2     # 750, 950, 1150
    python scripts/make_compression_study.py --combine

(`--arrangement square` studies the other arrangement; `--redraw` only draws the figure.)
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
from pixtok.study import (  # noqa: E402
    TABLE2_EXCERPTS,
    StudyOptions,
    compression_study,
    cut_excerpts,
    plot_study,
    summarize,
)
from pixtok.tokenizers import get_tokenizer  # noqa: E402

SOURCE = REPO / "corpus" / "en_prose_debian-reference.txt"
NAME = f"corpus/{SOURCE.name}"


def study_options(arrangement: str) -> StudyOptions:
    return StudyOptions(engine="rapidocr", arrangement=arrangement)


def excerpts(lengths: tuple[int, ...], per_length: int, options: StudyOptions) -> list[Record]:
    """The excerpts `--excerpts` would make, the first `per_length` of each length."""
    text = SOURCE.read_text(encoding="utf-8")
    tokenizer = get_tokenizer(options.tokenizer)
    cut = {length: cut_excerpts(text, length, tokenizer, slack=options.bin_size // 2) for length in lengths}
    # The first excerpt of every length, then the second...: a part cut short still covers every bin.
    return [
        Record(f"{NAME}#{length}.{k}", cut[length][k - 1])
        for k in range(1, per_length + 1)
        for length in lengths
        if k <= len(cut[length])
    ]


def run_part(part: int, parts: int, arrangement: str, per_length: int, out: Path) -> None:
    options = study_options(arrangement)
    lengths = TABLE2_EXCERPTS[part - 1 :: parts]
    output = out / f"records-{arrangement}-{part}.jsonl"
    totals = compression_study(
        excerpts(lengths, per_length, options), options, engine=EngineOptions("serial"), output=str(output),
        resume=output.exists() or (out / f".{output.name}.partial").exists(),
    )  # fmt: skip
    print(f"part {part}/{parts}: {totals.records} records ({totals.failed} failed) in {output}")


def combine(arrangement: str, per_length: int, out: Path) -> dict[str, object]:
    records = []
    for path in sorted(out.glob(f"records-{arrangement}-*.jsonl")):
        records += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for path in sorted(out.glob(f".records-{arrangement}-*.jsonl.partial")):  # parts still running
        lines = path.read_text(encoding="utf-8").splitlines()
        records += [json.loads(line) for line in lines if line.endswith("}")]
    records = [r for r in records if int(r["input"].rsplit(".", 1)[1]) <= per_length]
    order = {f"{NAME}#{n}": i for i, n in enumerate(TABLE2_EXCERPTS)}
    records.sort(key=lambda r: (order[r["input"].rsplit(".", 1)[0]], r["input"]))
    total = summarize(records)
    options = study_options(arrangement)
    settings = options.record_settings()
    settings["render"] = options.render.to_dict()
    settings["excerpts"] = list(TABLE2_EXCERPTS)
    settings["excerpts_per_length"] = per_length
    return {
        "records": records,
        "total": total,
        "failed": [r for r in records if "error" in r],
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
    parser.add_argument("--arrangement", choices=("document", "square"), default="document")
    parser.add_argument("--per-length", type=int, default=2)
    parser.add_argument("--part", help="I/N: study the I-th of N shares of the lengths")
    parser.add_argument("--combine", action="store_true", help="gather the parts' records")
    parser.add_argument("--redraw", action="store_true", help="only draw the figure from the JSON")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"compression-{args.arrangement}.json"
    if args.part:
        part, parts = (int(n) for n in args.part.split("/"))
        run_part(part, parts, args.arrangement, args.per_length, args.out)
        return
    if args.combine:
        document = combine(args.arrangement, args.per_length, args.out)
        write_bytes_atomic(path, (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    else:
        document = json.loads(path.read_text(encoding="utf-8"))
    plot_study(document["total"], str(args.out / f"compression-{args.arrangement}.png"), tokenizer="cl100k")
    print(table(document))


if __name__ == "__main__":
    main()
