"""What survives the pixels: OCR round-trip error rates and an OCR-free glyph confusability bound.

Scoring (`error_rates`):

- Both texts are Unicode NFKC-normalised (so a ligature `ﬁ` read as `fi`, or a full-width `Ａ`
  read as `A`, is not an error).
- Format characters (category Cf: bidi marks such as the U+200E/U+200F Tesseract puts around
  Latin words in Hebrew, ZWJ, ZWNJ) and control characters other than whitespace (category Cc:
  U+0001, ESC) are dropped from both: they draw nothing to be read.
- Every line end of UAX #14 (LF, CR, VT, FF, NEL, U+2028, U+2029) is a line break, as the
  renderer breaks lines there.
- Whitespace: a run of whitespace becomes one space, and leading/trailing whitespace is dropped.
  A run that holds a line break next to a CJK character (Han, kana, CJK punctuation) is dropped
  altogether, on both sides: CJK typesetting breaks lines between characters without a space,
  so the break shows nothing that could be read.
- `cer`: Levenshtein distance between the normalised texts over the reference's length
  (insertions count, so it can exceed 1). `cer_nospace`: the same with all whitespace removed
  from both; some engines drop word spaces on long Latin lines, and this separates reading the
  glyphs from finding the gaps. `wer`: Levenshtein distance over whitespace-separated words
  (of little meaning for Chinese and Japanese, which do not separate words).
- Totals are micro-averages: summed edits over summed reference lengths.

Distances are computed with rapidfuzz's Levenshtein (C++, linear memory), which handles whole
pages in milliseconds where a Python dynamic programme would take seconds.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from rapidfuzz.distance import Levenshtein

from pixtok.errors import InputError, UsageError
from pixtok.limits import check_image_pixels
from pixtok.measure.ocr import LineBox, PageReading, read_pages, resolve_engine
from pixtok.measure.vlm import ServerOptions, usage_record, usage_total
from pixtok.render import RenderResult, render
from pixtok.render.config import RenderConfig
from pixtok.render.fonts import needs_glyph
from pixtok.render.scripts import ocr_language
from pixtok.render.text import OTHER_LINE_ENDS

#: How whitespace is scored, as reports state it.
WHITESPACE_RULE = (
    "NFKC; format and control characters dropped; whitespace runs count as one space; a line break next to "
    "a CJK character counts as nothing; cer_nospace ignores all whitespace"
)

_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff\u3200-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
)
_LINE_END = f"[\\n{OTHER_LINE_ENDS}]"
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])\\s*{_LINE_END}\\s*|\\s*{_LINE_END}\\s*(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")


def _drawn(char: str) -> bool:
    """Whether a character can show on a page: not a format character, and not a control
    character unless it is whitespace (tab, line ends)."""
    category = unicodedata.category(char)
    return category != "Cf" and (category != "Cc" or char.isspace())


def normalize(text: str) -> str:
    """The form both reference and OCR output are compared in (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if _drawn(c))
    text = _CJK_BREAK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def error_rates(reference: str, hypothesis: str) -> dict[str, Any]:
    """Character and word error counts and rates of `hypothesis` against `reference`."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    ref_ns, hyp_ns = ref.replace(" ", ""), hyp.replace(" ", "")
    ref_words, hyp_words = ref.split(), hyp.split()
    chars, chars_ns, words = len(ref), len(ref_ns), len(ref_words)
    errors = Levenshtein.distance(ref, hyp)
    errors_ns = Levenshtein.distance(ref_ns, hyp_ns)
    word_errors = Levenshtein.distance(ref_words, hyp_words)
    return {
        "cer": _rate(errors, chars),
        "cer_nospace": _rate(errors_ns, chars_ns),
        "wer": _rate(word_errors, words),
        "chars": chars,
        "char_errors": errors,
        "chars_nospace": chars_ns,
        "char_errors_nospace": errors_ns,
        "words": words,
        "word_errors": word_errors,
    }


def _normalized_with_sources(text: str) -> tuple[str, list[tuple[int, int]]]:
    """`normalize(text)`, with the [start, end) offsets in `text` that each of its characters
    comes from (a character NFKC made of several, or a space standing for a run, spans them all).

    NFKC is applied to each character with the combining marks that follow it, which composes
    what whole-text NFKC composes in real text; where the result still differs from
    `normalize(text)`, offsets are spread evenly over the text instead.
    """
    chars: list[str] = []
    sources: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(text) + 1):
        if index < len(text) and unicodedata.combining(text[index]):
            continue
        for char in unicodedata.normalize("NFKC", text[start:index]):
            if _drawn(char):
                chars.append(char)
                sources.append((start, index))
        start = index
    joined, sources = _substitute(_CJK_BREAK, "", "".join(chars), sources)
    joined, sources = _substitute(_SPACES, " ", joined, sources)
    left = len(joined) - len(joined.lstrip(" "))
    joined, sources = joined.strip(" "), sources[left : left + len(joined.strip(" "))]
    if joined != normalize(text):
        joined = normalize(text)
        scale = len(text) / max(len(joined), 1)
        sources = [
            (int(i * scale), max(int(i * scale) + 1, int((i + 1) * scale))) for i in range(len(joined))
        ]
    return joined, sources


def _substitute(
    pattern: re.Pattern[str], replacement: str, text: str, sources: list[tuple[int, int]]
) -> tuple[str, list[tuple[int, int]]]:
    """`pattern.sub(replacement, text)` that carries the source offsets along (a one-character
    replacement covers what it replaced)."""
    out: list[str] = []
    out_sources: list[tuple[int, int]] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(text[last : match.start()])
        out_sources.extend(sources[last : match.start()])
        if replacement:
            out.append(replacement)
            out_sources.append((sources[match.start()][0], sources[match.end() - 1][1]))
        last = match.end()
    out.append(text[last:])
    out_sources.extend(sources[last:])
    return "".join(out), out_sources


def error_spans(reference: str, hypothesis: str) -> list[dict[str, Any]]:
    """Where `hypothesis` (an OCR reading) departs from `reference`, in `reference`'s offsets.

    The alignment is the one `error_rates` scores (Levenshtein over the normalised texts), so
    the `errors` of all spans add up to its `char_errors`. Each span: `kind` (replace, delete:
    the text was not read, insert: the reading holds more), `start`/`end` (offsets in
    `reference`; equal for an insert, which sits before `start`), `expected` and `read` (the
    normalised characters on each side) and `errors` (edits it counts).
    """
    ref, sources = _normalized_with_sources(reference)
    hyp = normalize(hypothesis)
    spans: list[dict[str, Any]] = []
    for op in Levenshtein.opcodes(ref, hyp):
        if op.tag == "equal":
            continue
        if op.src_start < op.src_end:
            start, end = sources[op.src_start][0], sources[op.src_end - 1][1]
        else:
            start = end = sources[op.src_start][0] if op.src_start < len(sources) else len(reference)
        spans.append(
            {
                "kind": op.tag,
                "start": start,
                "end": end,
                "expected": ref[op.src_start : op.src_end],
                "read": hyp[op.dest_start : op.dest_end],
                "errors": max(op.src_end - op.src_start, op.dest_end - op.dest_start),
            }
        )
    return spans


def _rate(errors: int, length: int) -> float:
    if length == 0:
        return 0.0 if errors == 0 else 1.0
    return round(errors / length, 6)


def _total(pages: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("chars", "char_errors", "chars_nospace", "char_errors_nospace", "words", "word_errors")
    sums = {k: sum(int(p[k]) for p in pages) for k in keys}
    return {
        "cer": _rate(sums["char_errors"], sums["chars"]),
        "cer_nospace": _rate(sums["char_errors_nospace"], sums["chars_nospace"]),
        "wer": _rate(sums["word_errors"], sums["words"]),
        **sums,
    }


# -- OCR round trip ---------------------------------------------------------------------------


def line_boxes(result: RenderResult, page: int) -> list[LineBox]:
    """Ink boxes (y0, y1, x0, x1) of the lines on `page`, top to bottom, from the layout."""
    (lines,) = _lines_of_pages(result, range(page, page + 1))
    return sorted(box for box, _ in lines)


def lines_to_read(result: RenderResult, page: int) -> tuple[np.ndarray, list[LineBox]]:
    """The image and line boxes an OCR engine is given to read `page` by the layout's lines.

    Where the ink boxes of the page's lines do not overlap, that is the page and its line boxes.
    Where they do (marks and stacks above and below the letters, as in Bengali, Myanmar or
    Arabic, at a tight line pitch), a box cut from the page carries pieces of the lines above
    and below it, which engines read as lines of their own or as noise (Tesseract's Bengali
    model dropped whole lines of such strips). Each line is then given on its own: the page's
    pixels inside the boxes of its own glyphs (ink of a neighbour that reaches into them stays,
    as a reader of the page meets it), background elsewhere, the lines one under another.
    """
    (lines,) = _lines_of_pages(result, range(page, page + 1))
    return _apart(result.pages[page], lines, result.background)


def _apart(
    image: np.ndarray, lines: list[tuple[LineBox, np.ndarray]], background: int | tuple[int, int, int]
) -> tuple[np.ndarray, list[LineBox]]:
    """`lines_to_read` for the lines of one page (as `_lines_of_pages` gives them)."""
    boxes = [box for box, _ in lines]
    tops = sorted(boxes)
    if all(below[0] >= above[1] for above, below in itertools.pairwise(tops)):
        return image, tops
    height, width = image.shape[:2]
    gap = max(4, max(y1 - y0 for y0, y1, _, _ in boxes) // 2)
    rows = gap + sum(y1 - y0 + gap for y0, y1, _, _ in boxes)
    separated = np.empty((rows, width, *image.shape[2:]), dtype=image.dtype)
    separated[...] = background
    placed: list[LineBox] = []
    top = gap
    for (y0, y1, x0, x1), glyph_boxes in lines:
        own = np.zeros((y1 - y0, width), dtype=bool)
        for g0, g1, h0, h1 in glyph_boxes:
            if h1 > 0 and h0 < width:  # a box wholly off the page's sides has nothing on it
                own[max(g0, 0) - y0 : min(g1, height) - y0, max(h0, 0) : min(h1, width)] = True
        r0, r1 = max(y0, 0), min(y1, height)  # the rows of the box that are on the page
        on_page = own[r0 - y0 : r1 - y0]
        separated[top + r0 - y0 : top + r1 - y0][on_page] = image[r0:r1][on_page]
        placed.append((top, top + y1 - y0, x0, x1))
        top += y1 - y0 + gap
    return separated, placed


def _lines_of_pages(result: RenderResult, pages: range) -> list[list[tuple[LineBox, np.ndarray]]]:
    """For each page of `pages`, each of its lines in line order: the line's ink box (y0, y1,
    x0, x1) and the boxes of its glyphs (one row each, same order of coordinates). One pass over
    the glyphs, whatever the number of pages."""
    glyphs = result.glyphs
    drawn = (glyphs.page >= pages.start) & (glyphs.page < pages.stop)
    drawn &= (glyphs.x1 > glyphs.x0) & (glyphs.y1 > glyphs.y0)
    line = np.searchsorted(result.line_char_span[:, 0], glyphs.char_offset[drawn], side="right") - 1
    boxes = np.stack([glyphs.y0[drawn], glyphs.y1[drawn], glyphs.x0[drawn], glyphs.x1[drawn]], axis=1)
    page = glyphs.page[drawn]
    order = np.argsort(line, kind="stable")  # a line lies on one page; lines count through the text
    line, boxes, page = line[order], boxes[order].astype(np.int64), page[order]
    found: list[list[tuple[LineBox, np.ndarray]]] = [[] for _ in pages]
    starts = np.flatnonzero(np.diff(line, prepend=-1)).tolist()
    for start, end in zip(starts, [*starts[1:], len(line)][: len(starts)], strict=True):
        own = boxes[start:end]
        box = (int(own[:, 0].min()), int(own[:, 1].max()), int(own[:, 2].min()), int(own[:, 3].max()))
        found[int(page[start]) - pages.start].append((box, own))
    return found


def ocr_result(
    result: RenderResult,
    text: str,
    engine: str = "auto",
    lang: str | None = None,
    *,
    server: ServerOptions | None = None,
    segmentation: str = "layout",
    max_pages: int | None = None,
    include_text: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """OCR the pages of an already rendered `text` and score them against the text they show.

    `segmentation`: "layout" gives the engine the line boxes the renderer placed (legibility of
    the glyphs themselves); "engine" lets the engine find the lines. An engine that reads whole
    pages (`openai`, asking the model behind `server`) gets the page alone, and its report adds
    the server's token usage beside pixtok's count (`pixtok.measure.vlm.usage_record`).
    `max_pages` reads only the first pages (the totals then cover those). `progress(done, total)`
    is called as pages are read. Pages without glyphs are not sent to the engine: they read as
    nothing.
    """
    if segmentation not in ("layout", "engine"):
        raise UsageError(f"segmentation must be 'layout' or 'engine', not {segmentation!r}")
    if max_pages is not None and max_pages < 1:
        raise UsageError(f"the number of pages to read must be at least 1, not {max_pages}")
    language = ocr_language(text, lang, result.config.lang)
    reader = resolve_engine(engine, language, server)
    whole_pages = bool(getattr(reader, "whole_pages", False))
    count = result.page_count if max_pages is None else min(max_pages, result.page_count)
    of_page = _lines_of_pages(result, range(count))
    # Only the pages read are drawn: `max_pages` of a book draws those pages, not the book.
    drawn = itertools.islice(result.iter_pages(), count)
    inked_pages = [(p, page) for p, page in enumerate(drawn) if of_page[p]]
    inked = [p for p, _ in inked_pages]
    lines: list[list[LineBox]] | None = None
    if whole_pages or segmentation == "engine":
        images = [page for _, page in inked_pages]
    else:
        given = [_apart(page, of_page[p], result.background) for p, page in inked_pages]
        images, lines = [image for image, _ in given], [found for _, found in given]
    del inked_pages, drawn
    read = read_pages(reader, images, language, lines, progress)
    readings = dict(zip(inked, read, strict=True))
    vision = getattr(reader, "vision_tokens", None)
    pages: list[dict[str, Any]] = []
    for p in range(count):
        start, end = result.page_char_span(p)
        reading = readings.get(p, PageReading(""))
        record: dict[str, Any] = {
            "page": p + 1,  # pages count from 1 in records, as in file names (docs/conventions.md)
            "span": [start, end],
            **error_rates(text[start:end], reading.text),
        }
        if vision is not None:
            width, height = (int(n) for n in result.page_sizes[p])
            record.update(usage_record(reading, vision(width, height) if p in readings else None))
        if include_text:
            record["text"] = reading.text
        pages.append(record)
    report = {
        "engine": reader.describe(),
        "lang": language.tesseract if reader.name == "tesseract" else language.script,
        "script": language.script,
        "segmentation": "page" if whole_pages else segmentation,
        "whitespace": WHITESPACE_RULE,
        "pages_read": count,
        "pages_total": result.page_count,
        "missing_glyphs": result.missing_glyphs,
        **_total(pages),
    }
    if vision is not None:
        report["usage"] = usage_total(pages, getattr(reader, "encoder", None))
    report["pages"] = pages
    return report


def ocr_roundtrip(
    text: str,
    config: RenderConfig | None = None,
    engine: str = "auto",
    lang: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Render `text`, OCR every page and score it: per-page and total `cer`, `cer_nospace`, `wer`.

    >>> report = ocr_roundtrip("Hello, world", RenderConfig(page="320x64"))  # doctest: +SKIP
    >>> report["cer"]  # doctest: +SKIP
    0.0
    """
    result = render(text, config or RenderConfig())
    return ocr_result(result, text, engine, lang, **options)


# -- glyph confusability ----------------------------------------------------------------------


def _glyph_bitmaps(chars: list[str], config: RenderConfig, size_px: float) -> tuple[np.ndarray, list[str]]:
    """Ink (0-1) of each character rendered alone on one fixed box, pen at the same origin."""
    from pixtok.render import Renderer

    geometry = config.geometry()
    width = math.ceil(3 * size_px) + 4
    line_px = geometry.line_height * size_px / geometry.size
    height = math.ceil(max(line_px, 1.6 * size_px)) + 2
    cell = config.replace(
        layout="page",
        page=f"{width}x{height}",
        size=f"{size_px:g}px",
        line_height=f"{line_px:g}px",
        dpi=72.0,
        margin="0",
        indent="0",
        align="left",
        letter_spacing="0",
        foreground="#000000",
        background="#ffffff",
        color_mode="L",
        newlines="keep",
        preset=None,
    )
    # The glyphs' pixels, all held at once: bounded as an image of that many pixels is.
    check_image_pixels(width * height, len(chars), "confusable", "stack of glyph cells")
    renderer = Renderer(cell)
    bitmaps: list[np.ndarray] = []
    drawn: list[str] = []
    for char in chars:
        result = renderer.render(char)
        if result.missing_glyphs:
            continue
        bitmaps.append((255 - result.pages[0][:height, :width]).astype(np.float32) / 255.0)
        drawn.append(char)
    if not bitmaps:
        return np.zeros((0, 0), dtype=np.float64), []
    stack = np.stack(bitmaps)
    # Keep only the rows and columns where some glyph has ink: same distances, less arithmetic.
    rows = np.flatnonzero(stack.any(axis=(0, 2)))
    cols = np.flatnonzero(stack.any(axis=(0, 1)))
    if len(rows) and len(cols):
        stack = stack[:, rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return stack.reshape(len(drawn), -1).astype(np.float64), drawn


def confusability(
    text: str,
    config: RenderConfig | None = None,
    *,
    threshold: float = 2.0,
    limit: int = 20,
) -> dict[str, Any]:
    """Which characters of `text` look alike at this config's fonts and size: an OCR-free bound.

    Each distinct character (whitespace, controls and lone combining marks left out) is rendered
    alone with the config's font chain and size, pen at the same origin on the same baseline, so
    glyphs are compared as they sit in a line. Distances are over ink values in [0, 1]: `l1` is
    the number of pixels' worth of ink that differs, `l2` its Euclidean norm. Pairs at `l1` 0
    are `identical` (no reader can tell them apart from one glyph); pairs with `l1` up to
    `threshold` are `near`. Contextual forms (Arabic joining, conjuncts) are compared in their
    isolated form.
    """
    if threshold < 0 or not math.isfinite(threshold):
        raise UsageError(f"the confusability threshold must be a non-negative number, not {threshold!r}")
    if limit < 0:
        raise UsageError(f"the pair limit must be non-negative, not {limit}")
    config = config or RenderConfig()
    if not text.strip():
        raise InputError("the input text is empty (nothing but whitespace)")
    size_px = render(text, config).font_size_px if config.layout == "fit" else config.geometry().size
    distinct = sorted(set(text))
    marks = [c for c in distinct if unicodedata.category(c).startswith("M")]
    chars = [c for c in distinct if needs_glyph(c) and not c.isspace() and c not in marks]
    matrix, drawn = _glyph_bitmaps(chars, config, size_px)
    missing = [c for c in chars if c not in set(drawn)]
    report: dict[str, Any] = {
        "font_size_px": round(size_px, 4),
        "characters": len(drawn),
        "skipped": {"missing_glyph": "".join(missing), "marks": len(marks)},
        "threshold_l1": threshold,
    }
    n = len(drawn)
    if n < 2:
        return {**report, "min_l1": None, "min_l2": None, "closest": None, "identical_count": 0,
                "identical": [], "near_count": 0, "near": []}  # fmt: skip
    squares = (matrix**2).sum(axis=1)
    # The closest pair by L2, then every pair within the L1 bound it sets: L1 >= L2² for
    # differences in [-1, 1], so every pair with L1 <= t has L2² <= t.
    min_d2, first_i, first_j = math.inf, 0, 1
    for i, j, d2 in _upper_distances(matrix, squares):
        k = int(np.argmin(d2))
        if d2[k] < min_d2:
            min_d2, first_i, first_j = float(d2[k]), int(i[k]), int(j[k])
    best_l1 = float(np.abs(matrix[first_i] - matrix[first_j]).sum())
    bound = max(threshold, best_l1) + 1e-6
    found = [(i[d2 <= bound], j[d2 <= bound]) for i, j, d2 in _upper_distances(matrix, squares)]
    i_all = np.concatenate([i for i, _ in found])
    j_all = np.concatenate([j for _, j in found])
    diffs = np.abs(matrix[i_all] - matrix[j_all])
    l1 = diffs.sum(axis=1)
    l2 = np.sqrt((diffs**2).sum(axis=1))
    order = np.lexsort((j_all, i_all, l2, np.round(l1, 9)))
    pairs = [_pair(drawn[i_all[k]], drawn[j_all[k]], l1[k], l2[k]) for k in order]
    closest = pairs[0]
    identical = [p for p in pairs if p["l1"] == 0]
    near = [p for p in pairs if 0 < p["l1"] <= threshold]
    return {
        **report,
        "min_l1": closest["l1"],
        "min_l2": round(math.sqrt(max(min_d2, 0.0)), 4) if closest["l1"] > 0 else 0.0,
        "closest": closest,
        "identical_count": len(identical),
        "identical": identical[:limit],
        "near_count": len(near),
        "near": near[:limit],
    }


#: Rows of the pairwise distance matrix made at once: memory grows with the characters, not
#: with their square (8,000 distinct characters had taken 1.7 GB).
_DISTANCE_ROWS = 256


def _upper_distances(
    matrix: np.ndarray, squares: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Squared L2 distances of the pairs i < j of the rows of `matrix`, a block of rows at a
    time, in row-major order: (i, j, d2) for each block, `d2` clipped at 0 (rounding)."""
    n = len(matrix)
    columns = np.arange(n)
    for i0 in range(0, n - 1, _DISTANCE_ROWS):
        i1 = min(i0 + _DISTANCE_ROWS, n - 1)
        block = squares[i0:i1, None] + squares[None, :] - 2.0 * (matrix[i0:i1] @ matrix.T)
        i, j = np.nonzero(columns[None, :] > np.arange(i0, i1)[:, None])
        yield i + i0, j, np.maximum(block[i, j], 0.0)


def _pair(a: str, b: str, l1: float, l2: float) -> dict[str, Any]:
    return {
        "a": a,
        "b": b,
        "codepoints": f"U+{ord(a):04X} U+{ord(b):04X}",
        "l1": round(float(l1), 4),
        "l2": round(float(l2), 4),
    }


__all__ = [
    "WHITESPACE_RULE",
    "confusability",
    "error_rates",
    "error_spans",
    "line_boxes",
    "lines_to_read",
    "normalize",
    "ocr_result",
    "ocr_roundtrip",
]
