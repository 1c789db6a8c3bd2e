"""Time compare's pixel path against SentencePiece encoding of the same texts.

The pixel path is everything `pixtok compare` does to the pixels of one text: render its pages
(shaping and layout included), cut every page into patches with a blank mask, and count the
vision tokens of the default encoders. The baseline is the SentencePiece model of `mistral-spm`
encoding the same whole texts, called directly. Both run in one process, one core, best of
several rounds after a warm-up round; the ratio pixel/spm is what to read (the goal is <= 2).

Run: `python benchmarks/bench_compare.py [--rounds N] [--preset glyph] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sentencepiece  # noqa: E402

from pixtok import RenderConfig  # noqa: E402
from pixtok.compare import DEFAULT_ENCODERS, CompareOptions, Comparer  # noqa: E402
from pixtok.tokenizers import get_tokenizer  # noqa: E402

CORPUS = REPO / "corpus"


def best_time(work: Callable[[str], object], texts: list[str], rounds: int) -> float:
    for text in texts:  # warm-up: fonts, caches and models loaded before timing
        work(text)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            work(text)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--preset", default="glyph")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    args = parser.parse_args()

    comparer = Comparer(
        CompareOptions(render=RenderConfig.from_preset(args.preset), tokenizers=(), encoders=DEFAULT_ENCODERS)
    )
    model = get_tokenizer("mistral-spm").source
    processor = sentencepiece.SentencePieceProcessor(model_file=str(model))
    files = sorted(CORPUS.glob("*.txt"))
    rows = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        pixel = best_time(comparer.measure, [text], args.rounds)
        spm = best_time(processor.encode, [text], args.rounds)
        pages = comparer.render(text).page_count
        rows.append(
            {
                "file": path.name,
                "chars": len(text),
                "pages": pages,
                "pixel_ms": pixel * 1e3,
                "spm_ms": spm * 1e3,
            }
        )
    texts = [p.read_text(encoding="utf-8") for p in files]
    total_pixel = best_time(comparer.measure, texts, args.rounds)
    total_spm = best_time(processor.encode, texts, args.rounds)
    rows.append(
        {"file": "all", "chars": sum(map(len, texts)), "pages": sum(r["pages"] for r in rows),
         "pixel_ms": total_pixel * 1e3, "spm_ms": total_spm * 1e3}
    )  # fmt: skip
    for row in rows:
        row["ratio"] = row["pixel_ms"] / row["spm_ms"]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    print(f"preset {args.preset}; encoders {', '.join(DEFAULT_ENCODERS)}; best of {args.rounds}")
    print(f"{'file':38s} {'chars':>7s} {'pages':>5s} {'pixel ms':>9s} {'spm ms':>8s} {'ratio':>6s}")
    for r in rows:
        times = f"{r['pixel_ms']:9.2f} {r['spm_ms']:8.2f} {r['ratio']:6.2f}"
        print(f"{r['file']:38s} {r['chars']:7d} {r['pages']:5d} {times}")


if __name__ == "__main__":
    main()
