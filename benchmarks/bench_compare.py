"""Time compare's pixel path against SentencePiece encoding of the same texts.

The pixel path is everything `pixtok compare` does for the pixel side of one text: lay out its
pages (shaping, line breaking, placement, glyph bitmaps), find which patches of every page hold
ink, and count the vision tokens of the default encoders. Since the default presets count a
page by its size and which patches hold ink is read from the glyph bitmaps
(`RenderResult.inked_patches`, equal to `patchify` of the drawn page), a default compare no
longer draws pages: they are drawn when something reads their pixels (`--density`, `--ocr`, a
preset that reads pixels); `bench_render.py` times drawing. The baseline is the SentencePiece
model of `mistral-spm` encoding the same whole texts, called directly. Both run in one process,
pinned to one core, timed with the same clock (the process's CPU time by default, `--clock
wall` for wall time; see bench_render.py), best of several rounds after a warm-up round; the
ratio pixel/spm is what to read (the goal is <= 2).

Two figures. `new text` (the headline, as a corpus run meets text): every corpus file is cut
into non-overlapping windows; the Comparer is warmed on the last quarter of every file, then
each other window is measured once, pixel path and SentencePiece interleaved window by window,
in each of several rounds, each in a fresh process with a fresh Comparer (each window's best
round kept, on both sides): no round meets what a round before it left in the process.
`repeat`: the whole file again and again, best of several rounds after a warm-up on the same
text.

Run: `python benchmarks/bench_compare.py [--rounds N] [--preset glyph] [--clock cpu|wall] [--json]
[--no-repeat]`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import bench_render  # noqa: E402  (benchmarks/ is the script's folder)
import sentencepiece  # noqa: E402
from bench_render import in_fresh_process, pin_to_one_core, set_clock, windows  # noqa: E402

from pixtok import RenderConfig  # noqa: E402
from pixtok.compare import DEFAULT_ENCODERS, CompareOptions, Comparer  # noqa: E402
from pixtok.tokenizers import get_tokenizer  # noqa: E402

CORPUS = REPO / "corpus"
#: Files of Latin, Cyrillic or code text (the goal for these is <= 2x SentencePiece).
LATIN_CYRILLIC_CODE = ("en_", "de_", "fr_", "ru_", "code_", "data_", "math_")
#: Characters per window of the new-text stream.
WINDOW = 1500


def new_text(preset: str, rounds: int, clock_name: str) -> list[dict[str, object]]:
    """Pixel path and SentencePiece over windows never measured before, per file and in groups."""
    split = new_text_windows()
    best: dict[str, tuple[list[float], list[float]]] = {}
    for _ in range(rounds):
        timed = in_fresh_process(new_text_round, preset, clock_name)
        for name, (pixel, spm) in timed.items():  # type: ignore[attr-defined]
            if name in best:
                pixel = [min(a, b) for a, b in zip(best[name][0], pixel, strict=True)]
                spm = [min(a, b) for a, b in zip(best[name][1], spm, strict=True)]
            best[name] = (pixel, spm)
    rows = []
    for name, (pixel_best, spm_best) in best.items():
        pixel, spm = sum(pixel_best), sum(spm_best)
        chars = sum(map(len, split[name][0]))
        rows.append(
            {
                "file": name,
                "chars": chars,
                "texts": len(split[name][0]),
                "pixel_ms": pixel * 1e3,
                "spm_ms": spm * 1e3,
            }
        )
    for label, chosen in (
        ("latin+cyrillic+code", [r for r in rows if str(r["file"]).startswith(LATIN_CYRILLIC_CODE)]),
        ("all", rows),
    ):
        rows.append(
            {
                "file": label,
                "chars": sum(int(r["chars"]) for r in chosen),
                "texts": sum(int(r["texts"]) for r in chosen),
                "pixel_ms": sum(float(r["pixel_ms"]) for r in chosen),
                "spm_ms": sum(float(r["spm_ms"]) for r in chosen),
            }
        )
    for row in rows:
        row["ratio"] = float(row["pixel_ms"]) / float(row["spm_ms"])
    return rows


def new_text_windows() -> dict[str, tuple[list[str], list[str]]]:
    """Per corpus file, the windows measured and those that warm (its last quarter)."""
    split = {}
    for path in sorted(CORPUS.glob("*.txt")):
        pieces = windows(path.read_text(encoding="utf-8"), WINDOW)
        cut = max(1, len(pieces) * 3 // 4)
        split[path.name] = (pieces[:cut], pieces[cut:] or pieces[:1])
    return split


def new_text_round(preset: str, clock_name: str) -> dict[str, tuple[list[float], list[float]]]:
    """One round of `new_text`: per file, the seconds each measured window took on the pixel
    path and in SentencePiece, after a fresh Comparer is warmed on every file's last quarter."""
    set_clock(clock_name)
    clock = bench_render.clock
    options = compare_options(preset)
    processor = spm_processor()
    split = new_text_windows()
    comparer = Comparer(options)
    for _, warm in split.values():
        for window in warm:
            comparer.measure(window)
            processor.encode(window)
    timed = {}
    for name, (measured, _) in split.items():
        pixel, spm = [], []
        for window in measured:
            start = clock()
            comparer.measure(window)
            pixel.append(clock() - start)
            start = clock()
            processor.encode(window)
            spm.append(clock() - start)
        timed[name] = (pixel, spm)
    return timed


def compare_options(preset: str) -> CompareOptions:
    """What a default `pixtok compare` does for the pixel side, with a render preset."""
    return CompareOptions(render=RenderConfig.from_preset(preset), tokenizers=(), encoders=DEFAULT_ENCODERS)


def spm_processor() -> sentencepiece.SentencePieceProcessor:
    """The SentencePiece model of `mistral-spm`, called directly."""
    return sentencepiece.SentencePieceProcessor(model_file=str(get_tokenizer("mistral-spm").source))


def best_time(work: Callable[[str], object], texts: list[str], rounds: int) -> float:
    for text in texts:  # warm-up: fonts, caches and models loaded before timing
        work(text)
    best = float("inf")
    for _ in range(rounds):
        start = bench_render.clock()
        for text in texts:
            work(text)
        best = min(best, bench_render.clock() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--preset", default="glyph")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="CPU time (default) or wall")
    parser.add_argument("--no-repeat", action="store_true", help="only the new-text figure")
    args = parser.parse_args()
    pinned = pin_to_one_core()
    set_clock(args.clock)

    comparer = Comparer(compare_options(args.preset))
    processor = spm_processor()
    fresh = new_text(args.preset, args.rounds, args.clock)
    if args.json:
        for row in fresh:
            print(json.dumps({"figure": "new text", **row}))
    else:
        print(
            f"new text: preset {args.preset}; encoders {', '.join(DEFAULT_ENCODERS)}; best of {args.rounds}; "
            f"{args.clock} clock, {pinned}"
        )
        print(f"{'file':38s} {'texts':>5s} {'chars':>7s} {'pixel ms':>9s} {'spm ms':>8s} {'ratio':>6s}")
        for r in fresh:
            times = f"{r['pixel_ms']:9.2f} {r['spm_ms']:8.2f} {r['ratio']:6.2f}"
            print(f"{r['file']:38s} {r['texts']:5d} {r['chars']:7d} {times}")
    if args.no_repeat:
        return
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
            print(json.dumps({"figure": "repeat", **row}))
        return
    print(f"repeat: preset {args.preset}; encoders {', '.join(DEFAULT_ENCODERS)}; best of {args.rounds}")
    print(f"{'file':38s} {'chars':>7s} {'pages':>5s} {'pixel ms':>9s} {'spm ms':>8s} {'ratio':>6s}")
    for r in rows:
        times = f"{r['pixel_ms']:9.2f} {r['spm_ms']:8.2f} {r['ratio']:6.2f}"
        print(f"{r['file']:38s} {r['chars']:7d} {r['pages']:5d} {times}")


if __name__ == "__main__":
    main()
