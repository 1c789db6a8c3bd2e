"""Pages per second: pixtok's renderer against Pillow's ImageDraw.multiline_text, same pages.

Two figures. `stream` (the headline): a stream of texts the Renderer has never seen, as a
corpus run meets them. Each text of the test corpus is cut into windows of a few paragraphs
that do not overlap; the Renderer and Pillow's font are warmed on the windows of the last
quarter of the file, then every other window is measured once, pixtok and Pillow interleaved
text by text. Each round of the stream runs in a process of its own, so that nothing a round
before it met is still held by the process. `warm`/`cold` (below) repeat one whole text.

Beside the stream, `glyphs known` measures the same windows after a warm-up that has also drawn
every character they hold, once each, in a text of their own: still text the Renderer has not
laid out, but no glyph new to its atlas, which is what a long corpus run meets once its first
hundreds of texts have drawn the script's common glyphs. The headline's windows each bring some
two dozen glyphs the short warm-up did not draw; this figure shows what they cost.

For each text of the test corpus (English and Chinese by default), pixtok renders the whole
text into 1024 x 1024 grey pages (the `page-1024` preset: 16 px text, 1.2 line height, 16 px
margins), shaping and line breaking included. Pillow then draws the very same pages: for every
page, the lines pixtok put on it (from `RenderResult.line_char_span`) are handed to
`ImageDraw.multiline_text` with the same font file, size, margins and line pitch, using Pillow's
raqm layout (HarfBuzz shaping, as pixtok does). Pillow is given the line breaks for free.
A result's pages are drawn when first read, so every pixtok timing reads them.

Both run in one process, pinned to one core, timed with the same clock: the process's CPU
time by default (`--clock cpu`: on a machine shared with other work it leaves out the time the
process waits for the core, which wall time counts for whichever side happens to wait), or
wall time (`--clock wall`). Best of several rounds:

- `warm`: one Renderer (and one Pillow font object) kept across rounds, caches filled by a
  warm-up round, as when rendering a corpus page after page;
- `cold`: a fresh Renderer and a fresh Pillow font every round: no shaped words, no glyph
  bitmaps cached (font files and the table of the characters' properties stay loaded, as
  they do for the life of a process).

Run: `python benchmarks/bench_render.py [--rounds N] [--texts en,zh-cn] [--clock cpu|wall] [--json]`.
"""

from __future__ import annotations

import os

# One core: numpy's BLAS threads are not used by rendering, but pin them anyway.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import PIL  # noqa: E402
from PIL import Image, ImageDraw, ImageFont, features  # noqa: E402

from pixtok import RenderConfig, Renderer, RenderResult  # noqa: E402

CORPUS = REPO / "corpus"
TEXTS = {
    "en": "en_prose_debian-reference.txt",
    "zh-cn": "zh-cn_prose_debian-reference.txt",
    "ja": "ja_prose_debian-reference.txt",
    "ru": "ru_prose_debian-faq.txt",
    "ko": "ko_prose_gnome-help.txt",
    "fa": "fa_prose_gnome-help.txt",
    "hi": "hi_prose_libreoffice-help.txt",
    "th": "th_wiki_openoffice.txt",
}
# The font pixtok's chain draws most of each text with; Pillow has no fallback, so it gets that one.
PILLOW_FONT = {
    "zh-cn": "cjk",
    "ja": "cjk",
    "ko": "hangul",
    "fa": "Noto Naskh Arabic",
    "hi": "Noto Sans Devanagari",
    "th": "Noto Sans Thai",
}
#: Characters per text of the stream (about a quarter of a 1024 x 1024 page of 16 px text).
WINDOW = {"zh-cn": 400, "ja": 500, "ko": 600}
#: The clock both sides are timed with (see the module docstring); set by --clock.
clock: Callable[[], float] = time.process_time
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}


def set_clock(name: str) -> None:
    global clock
    clock = CLOCKS[name]


def in_fresh_process(work: Callable[..., object], *args: object) -> object:
    """`work(*args)` run in a new Python process (pinned to the same core, which it inherits).

    A round of new text is measured this way so that it shares no state with the rounds before
    it: tables the engine keeps for the life of a process (which code points it has described,
    the pool of page buffers) would otherwise hold what an earlier round filled from the very
    texts measured, and a later round, the best one, would not pay for meeting them. In a
    fresh process they hold what the warm-up put there, as in a corpus run's process.
    """
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(work, *args).result()


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity)"


def page_lines(text: str, result: RenderResult) -> list[str]:
    """The text of each page as lines, exactly as pixtok broke it (line ends trimmed)."""
    pages = []
    for page in range(result.page_count):
        rows = np.flatnonzero(result.line_page == page)
        lines = [text[start:end].rstrip("\n ") for start, end in result.line_char_span[rows]]
        pages.append("\n".join(lines))
    return pages


class PillowPages:
    """Draws given page texts with ImageDraw.multiline_text at pixtok's geometry."""

    def __init__(self, font_path: str, config: RenderConfig) -> None:
        self.font_path = font_path
        self.geometry = config.geometry()
        self.font = self.load()
        # multiline_text advances by the height of "A" plus `spacing`: set it to give pixtok's pitch.
        self.spacing = self.geometry.line_height - self.font.getbbox("A")[3]

    def load(self) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(
            self.font_path, round(self.geometry.size), layout_engine=ImageFont.Layout.RAQM
        )

    def draw(self, pages: list[str], font: ImageFont.FreeTypeFont | None = None) -> list[np.ndarray]:
        g = self.geometry
        out = []
        for text in pages:
            image = Image.new("L", (g.width, g.height), 255)
            ImageDraw.Draw(image).multiline_text(
                (g.margins[3], g.margins[0]), text, font=font or self.font, fill=0, spacing=self.spacing
            )
            out.append(np.asarray(image))
        return out


def best_of(rounds: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = clock()
        run()
        best = min(best, clock() - start)
    return best


def measure(name: str, rounds: int, config: RenderConfig) -> dict[str, object]:
    text = (CORPUS / TEXTS[name]).read_text(encoding="utf-8")
    renderer = Renderer(config)
    result = renderer.render(text)  # warm-up; also fixes the pages both sides draw
    pages = page_lines(text, result)
    font_path = _pillow_font(name, config, result)
    pillow = PillowPages(str(font_path), config)
    drawn = pillow.draw(pages)  # warm-up, and a check that both sides drew the same amount of text
    ink_ratio = sum(int((255 - p).sum()) for p in result.pages) / sum(int((255 - p).sum()) for p in drawn)

    n = result.page_count
    timings = {
        "pixtok_warm": best_of(rounds, lambda: renderer.render(text).pages),
        "pixtok_cold": best_of(rounds, lambda: Renderer(config).render(text).pages),
        "pillow_warm": best_of(rounds, lambda: pillow.draw(pages)),
        "pillow_cold": best_of(rounds, lambda: pillow.draw(pages, pillow.load())),
    }
    rates = {key: n / seconds for key, seconds in timings.items()}
    return {
        "text": name,
        "chars": len(text),
        "pages": n,
        "pillow_font": Path(font_path).name,
        "ink_ratio": round(ink_ratio, 3),
        **{f"{key}_pages_per_s": round(rate, 1) for key, rate in rates.items()},
        "ratio_warm": round(rates["pixtok_warm"] / rates["pillow_warm"], 1),
        "ratio_cold": round(rates["pixtok_cold"] / rates["pillow_cold"], 1),
    }


def windows(text: str, size: int) -> list[str]:
    """Consecutive, non-overlapping pieces of about `size` characters, cut at line ends."""
    pieces, start = [], 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        if text[start:end].strip():
            pieces.append(text[start:end])
        start = end
    return pieces


def stream(name: str, preset: str, rounds: int, clock_name: str) -> dict[str, object]:
    """Pages per second over texts never seen before, pixtok and Pillow interleaved.

    The file is cut into non-overlapping windows; the last quarter warms the caches (fonts,
    glyph bitmaps) on other text, and each other window is measured once per round. Each round
    runs in a fresh process (`in_fresh_process`), with a fresh Renderer and Pillow font, so that
    every measurement is of a text neither the Renderer nor the process has seen. Each side
    keeps each window's best round; `pillow_spread` is the ratio of Pillow's slowest to fastest
    round, a measure of the machine's own noise.
    """
    figures: dict[bool, tuple[list[float], list[float], list[float]]] = {}
    pages = 0
    # The two kinds of round alternate, so that a machine that slows down weighs on both.
    for _ in range(rounds):
        for glyphs_known in (False, True):
            ours, theirs, pillow_rounds = figures.setdefault(glyphs_known, ([], [], []))
            found = in_fresh_process(stream_round, name, preset, clock_name, glyphs_known)
            ours_now, theirs_now, pages = found  # type: ignore[misc]
            ours[:] = [min(a, b) for a, b in zip(ours, ours_now, strict=True)] if ours else ours_now
            theirs[:] = [min(a, b) for a, b in zip(theirs, theirs_now, strict=True)] if theirs else theirs_now
            pillow_rounds.append(sum(theirs_now))
    measured = stream_windows(name)[0]
    (ours, theirs, pillow_rounds), (known_ours, known_theirs, _) = figures[False], figures[True]
    return {
        "text": name,
        "texts": len(measured),
        "chars": sum(map(len, measured)),
        "pages": pages,
        "pixtok_stream_pages_per_s": round(pages / sum(ours), 1),
        "pillow_stream_pages_per_s": round(pages / sum(theirs), 1),
        "ratio_stream": round(sum(theirs) / sum(ours), 2),
        "pillow_spread": round(max(pillow_rounds) / min(pillow_rounds), 2),
        "ratio_stream_glyphs_known": round(sum(known_theirs) / sum(known_ours), 2),
    }


def stream_windows(name: str) -> tuple[list[str], list[str]]:
    """The windows of a text that are measured, and those that warm the caches (its last quarter)."""
    text = (CORPUS / TEXTS[name]).read_text(encoding="utf-8")
    pieces = windows(text, WINDOW.get(name, 800))
    cut = max(1, len(pieces) * 3 // 4)
    return pieces[:cut], pieces[cut:] or pieces[:1]


def stream_round(
    name: str, preset: str, clock_name: str, glyphs_known: bool = False
) -> tuple[list[float], list[float], int]:
    """One round of `stream`: the seconds pixtok and Pillow took for each measured window, and
    the pages drawn. With `glyphs_known`, the warm-up also draws every character the measured
    windows hold, once each, in a text of their own: the windows are still new text, but their
    glyphs are in the atlas, as they are after the first hundreds of texts of a long run."""
    set_clock(clock_name)
    config = RenderConfig.from_preset(preset)
    measured, warm = stream_windows(name)
    if glyphs_known:
        seen = sorted({c for window in measured for c in window if not c.isspace()})
        warm = [*warm, "\n".join(" ".join(seen[i : i + 20]) for i in range(0, len(seen), 20))]
    renderer = Renderer(config)
    font_path = _pillow_font(name, config, renderer.render(warm[0]))
    pillow = PillowPages(str(font_path), config)
    for window in warm:
        pillow.draw(page_lines(window, renderer.render(window)))
    ours, theirs, pages = [], [], 0
    for window in measured:
        start = clock()
        result = renderer.render(window)
        _ = result.pages  # drawn when first read
        ours.append(clock() - start)
        lines = page_lines(window, result)
        start = clock()
        pillow.draw(lines)
        theirs.append(clock() - start)
        pages += result.page_count
    return ours, theirs, pages


def _pillow_font(name: str, config: RenderConfig, result: RenderResult) -> str:
    if name not in PILLOW_FONT:
        return str(result.fonts[0]["path"])
    chain = Renderer(config.replace(fonts=(PILLOW_FONT[name],), fallback=False)).chain
    return str(chain.fonts[0].path)


def machine() -> dict[str, object]:
    return {
        "nproc": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pillow": PIL.__version__,
        "raqm": features.version("raqm"),
        "freetype": features.version("freetype2"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per measurement (best is kept)")
    parser.add_argument("--texts", default="en,zh-cn", help=f"comma-separated, from {', '.join(TEXTS)}")
    parser.add_argument("--preset", default="page-1024", help="render preset (default page-1024)")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="CPU time (default) or wall")
    parser.add_argument("--no-stream", action="store_true", help="skip the stream of new texts")
    parser.add_argument("--no-repeat", action="store_true", help="skip the warm/cold repeats")
    args = parser.parse_args()
    if not features.check("raqm"):
        sys.exit("bench_render: Pillow was built without libraqm; its layout would not shape text")
    pinned = pin_to_one_core()
    set_clock(args.clock)
    config = RenderConfig.from_preset(args.preset)
    names = [name.strip() for name in args.texts.split(",")]
    streams = [] if args.no_stream else [stream(name, args.preset, args.rounds, args.clock) for name in names]
    rows = [] if args.no_repeat else [measure(name, args.rounds, config) for name in names]
    info = {
        **machine(),
        "affinity": pinned,
        "clock": args.clock,
        "preset": args.preset,
        "rounds": args.rounds,
    }
    if args.json:
        for row in [*streams, *rows]:
            print(json.dumps({**info, **row}, ensure_ascii=False))
        return
    print("  ".join(f"{k}={v}" for k, v in info.items()))
    if streams:
        print(
            f"{'text':6} {'texts':>5} {'pages':>5}  {'pixtok new':>10} {'Pillow':>8} {'ratio':>6}"
            f"  {'Pillow spread':>13}  {'glyphs known: ratio':>19}  (pages/s)"
        )
        for r in streams:
            print(
                f"{r['text']:6} {r['texts']:>5} {r['pages']:>5}  {r['pixtok_stream_pages_per_s']:>10} "
                f"{r['pillow_stream_pages_per_s']:>8} {r['ratio_stream']:>5}x  {r['pillow_spread']:>12}x"
                f"  {r['ratio_stream_glyphs_known']:>18}x"
            )
    if not rows:
        return
    header = f"{'text':6} {'pages':>5}  {'pixtok warm':>11} {'Pillow warm':>11} {'ratio':>6}"
    header += f"  {'pixtok cold':>11} {'Pillow cold':>11} {'ratio':>6}  {'ink':>5}   (pages/s)"
    print(header)
    for r in rows:
        print(
            f"{r['text']:6} {r['pages']:>5}  {r['pixtok_warm_pages_per_s']:>11} "
            f"{r['pillow_warm_pages_per_s']:>11} {r['ratio_warm']:>5}x  {r['pixtok_cold_pages_per_s']:>11} "
            f"{r['pillow_cold_pages_per_s']:>11} {r['ratio_cold']:>5}x  {r['ink_ratio']:>5}"
        )
    print("ink: pixtok's total ink / Pillow's on the same pages (1.0: the same text drawn)")


if __name__ == "__main__":
    main()
