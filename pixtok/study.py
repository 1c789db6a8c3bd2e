"""Compression studies: how much of a text survives when it is squeezed into a fixed number of
vision tokens, in the shape of DeepSeek-OCR's Fox study (arXiv 2510.18234, §4.1 and Table 2).

DeepSeek-OCR took the English pages of the Fox benchmark whose ground truth holds 600-1,300 text
tokens (its own tokenizer), fed each page in Tiny mode (512², 64 vision tokens) and Small mode
(640², 100 vision tokens) with the prompt `<image>\\nFree OCR.`, and reported per bin of 100 text
tokens the OCR precision and the compression (text tokens ÷ vision tokens). Fox's pages are
images of real documents, not rendered text, and the paper says no more about their layout; in
those two modes the model's processor resizes any page to the square, aspect ratio and all
(`image.resize((image_size, image_size))`, deepseek-ai/DeepSeek-OCR process/image_process.py).

`compression_study` does the same with texts: each text is set on one page at the largest size
that fits (`layout="fit"`), the page becomes what the mode's encoder sees, an OCR engine reads it,
and the reading is scored. Two arrangements:

- `document` (the default): the text fills a document page (the render set-up's page, A4 at
  72 dpi by default), which is then resized to the mode's input as its processor does: stretched
  to the square for `fixed` presets (Tiny, Small), scaled into it and padded for `pad-square`
  presets (Base, Large; `ImageOps.pad` with DeepSeek's grey). This is a Fox page's way in.
- `square`: the text fills a page of the mode's own input size; nothing is resized.

A server's model (`openai` engine) is sent the square the encoder sees; a local engine reads the
same pixels laid back over the page's proportions (`page_view`), since it was never trained on
stretched pages.

Scores, per page (`fox_scores`):

- `precision`: as Fox's own evaluation computes it (ucaslcl/Fox eval_tools/eval_ocr_test.py,
  the same code as GOT-OCR2.0's eval_ocr.py): `nltk.metrics.precision(reference, test)` over
  the sets of whitespace-separated words, called with the model's answer as `reference` and the
  ground truth as `test`, that is: the share of the distinct ground-truth words that appear in
  the answer. Chinese is segmented with jieba there; here every Han character is a word.
- `edit_accuracy`: 1 − Levenshtein distance ÷ the longer text's length (Fox's `edit_dist`).
- `cer`, `cer_nospace` as everywhere in pixtok (`pixtok.measure.legibility.error_rates`).

Both are computed on pixtok's normalised texts (NFKC, whitespace runs as one space), so a line
break where the reference has a space is no error. Per bin of `bin_size` text tokens: pages,
mean text tokens, mean precision and edit accuracy (macro averages over pages, as Fox's tool
averages), micro-averaged CER, and compression = mean text tokens ÷ the mode's vision tokens.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from pixtok.corpus.aggregate import Totals
from pixtok.corpus.batch import NOTHING_TO_MEASURE, EngineOptions, Progress, run_corpus
from pixtok.corpus.inputs import Record, reading_settings
from pixtok.corpus.parallel import Worker
from pixtok.encoders import Encoder, get_encoder
from pixtok.errors import InputError, UsageError
from pixtok.measure.legibility import error_rates, line_boxes, normalize
from pixtok.measure.ocr import check_server, read_pages, resolve_engine
from pixtok.measure.vlm import ServerOptions, usage_record
from pixtok.render import Renderer, RenderResult
from pixtok.render.config import RenderConfig
from pixtok.render.scripts import ocr_language
from pixtok.tokenizers import Tokenizer, get_tokenizer

DEFAULT_MODES: tuple[str, ...] = ("deepseek-ocr-tiny", "deepseek-ocr-small")
ARRANGEMENTS: tuple[str, ...] = ("document", "square")
DEFAULT_TOKENIZER = "cl100k"
#: DeepSeek-OCR pads Base/Large inputs with its normalisation mean, (0.5, 0.5, 0.5) → grey 127.
PAD_GREY = 127
#: Text tokens per excerpt when inputs are cut for the study: the middles of Table 2's bins.
TABLE2_EXCERPTS: tuple[int, ...] = (650, 750, 850, 950, 1050, 1150, 1250)

#: DeepSeek-OCR's published Fox results (arXiv 2510.18234, Table 2): text-token bin →
#: (precision %, compression ×) with 64 vision tokens (Tiny), the same with 100 (Small), pages.
PUBLISHED_TABLE2: dict[str, tuple[float, float, float, float, int]] = {
    "600-700": (96.5, 10.5, 98.5, 6.7, 7),
    "700-800": (93.8, 11.8, 97.3, 7.5, 28),
    "800-900": (83.8, 13.2, 96.8, 8.5, 28),
    "900-1000": (85.9, 15.1, 96.8, 9.7, 14),
    "1000-1100": (79.3, 16.5, 91.5, 10.6, 11),
    "1100-1200": (76.4, 17.7, 89.8, 11.3, 8),
    "1200-1300": (59.1, 19.7, 87.1, 12.6, 4),
}
PUBLISHED_SOURCE = "DeepSeek-OCR (arXiv 2510.18234), Table 2: Fox English pages, DeepSeek-OCR's tokenizer"


def published(mode: str) -> dict[str, dict[str, float]]:
    """DeepSeek-OCR's Table 2 for `deepseek-ocr-tiny` (64 tokens) or `-small` (100), by bin."""
    column = {"deepseek-ocr-tiny": 0, "deepseek-ocr-small": 2}.get(mode)
    if column is None:
        return {}
    return {
        label: {"precision": row[column], "compression": row[column + 1], "pages": row[4]}
        for label, row in PUBLISHED_TABLE2.items()
    }


# -- options ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyOptions:
    """What a compression study measures.

    `modes`: encoder presets with a fixed input size (`fixed` or `pad-square` resize);
    `tokenizer`: counts text tokens; `render`: the page set-up (fonts, margins, line height and,
    for the `document` arrangement, the page; the layout is always `fit`); `bin_size`: text tokens
    per bin; `excerpts`: cut every input into consecutive excerpts of about these many tokens
    (empty: study each input whole); OCR: `engine`, `lang`, `segmentation` (`layout` gives a
    local engine the line boxes, scaled as the page was) and `server` for the `openai` engine.
    """

    modes: tuple[str, ...] = DEFAULT_MODES
    tokenizer: str = DEFAULT_TOKENIZER
    render: RenderConfig = field(default_factory=lambda: RenderConfig.from_preset("glyph"))
    arrangement: str = "document"
    bin_size: int = 100
    excerpts: tuple[int, ...] = ()
    engine: str = "auto"
    lang: str | None = None
    segmentation: str = "layout"
    server: ServerOptions | None = None

    def __post_init__(self) -> None:
        if not self.modes:
            raise UsageError("name at least one encoder mode")
        if self.arrangement not in ARRANGEMENTS:
            raise UsageError(
                f"--arrangement must be one of {', '.join(ARRANGEMENTS)}, not {self.arrangement!r}"
            )
        if not 1 <= self.bin_size <= 1_000_000:
            raise UsageError(f"--bin-size must be a positive number of tokens, not {self.bin_size}")
        if any(n < 1 for n in self.excerpts):
            raise UsageError("excerpt lengths must be positive numbers of tokens")
        if self.segmentation not in ("layout", "engine"):
            raise UsageError(f"--segmentation must be 'layout' or 'engine', not {self.segmentation!r}")
        for mode in self.modes:
            model_input(get_encoder(mode))

    def record_settings(self) -> dict[str, Any]:
        """The options that decide the records (what a resumed run must share with the first)."""
        settings = dataclasses.asdict(dataclasses.replace(self, server=None))
        settings["server"] = None if self.server is None else self.server.record_settings()
        return settings


def model_input(encoder: Encoder) -> tuple[str, int]:
    """(resize policy, side) of an encoder with a fixed square input; UsageError for others."""
    parameters = encoder.parameters()
    resize, side = parameters.get("resize"), parameters.get("size")
    if resize not in ("fixed", "pad-square") or not isinstance(side, int):
        raise UsageError(
            f"{encoder.name} has no fixed input size; a compression study needs a mode such as "
            "deepseek-ocr-tiny, deepseek-ocr-small, deepseek-ocr-base or deepseek-ocr-large"
        )
    return resize, side


# -- excerpts ---------------------------------------------------------------------------------------


def cut_excerpts(text: str, tokens: int, tokenizer: Tokenizer, *, slack: int) -> list[str]:
    """Consecutive excerpts of `text` of at most `tokens` tokens and at least `tokens − slack`,
    each cut at a space or line end (the longest such prefix of what is left); the remainder
    too short for another is dropped."""
    breaks = [m.start() for m in re.finditer(r"\s+", text)] + [len(text)]
    pieces: list[str] = []
    start = 0
    while True:
        while start < len(text) and text[start].isspace():
            start += 1
        if start >= len(text):
            break
        candidates = [b for b in breaks if b > start]
        low, high, best = 0, len(candidates) - 1, -1
        while low <= high:  # token counts grow with the prefix: the last break that fits
            middle = (low + high) // 2
            if tokenizer.count(text[start : candidates[middle]]) <= tokens:
                best, low = middle, middle + 1
            else:
                high = middle - 1
        if best < 0:
            break
        end = candidates[best]
        piece = text[start:end]
        if tokenizer.count(piece) < tokens - slack:
            break
        pieces.append(piece)
        start = end
    return pieces


def parse_excerpts(spec: str) -> tuple[int, ...]:
    """Excerpt lengths from `650:1250:100` (a range, stop included), `650,750` or `table2` (the
    middles of Table 2's bins: 650, 750, ..., 1250)."""
    text = spec.strip().lower()
    if text == "table2":
        return TABLE2_EXCERPTS
    try:
        if ":" in text:
            start, stop, step = (int(part) for part in text.split(":"))
            if step < 1 or stop < start:
                raise ValueError(text)
            lengths = tuple(range(start, stop + 1, step))
        else:
            lengths = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(
            f"--excerpts {spec!r}: give token lengths as START:STOP:STEP, a list such as 650,750, or table2"
        ) from None
    if not lengths or any(n < 1 for n in lengths) or len(lengths) > 1000:
        raise UsageError(f"--excerpts {spec!r}: lengths must be positive, at most 1000 of them")
    return lengths


def excerpt_records(
    records: Iterable[Record],
    lengths: Sequence[int],
    tokenizer: Tokenizer,
    bin_size: int,
    *,
    uncut: list[tuple[str, int]] | None = None,
) -> Iterator[Record]:
    """Each record cut into excerpts of each length (ids `ID#LENGTH.K`, K from 1); records that
    could not be read pass through with their error. A record that gives no excerpt at all is
    added to `uncut` as (id, its tokens), so that a run left with nothing can say why."""
    for record in records:
        if record.error is not None or not lengths:
            yield record
            continue
        cut = 0
        for length in lengths:
            for k, piece in enumerate(cut_excerpts(record.text, length, tokenizer, slack=bin_size // 2), 1):
                cut += 1
                yield Record(f"{record.id}#{length}.{k}", piece, dict(record.fields), record.source)
        if not cut and uncut is not None:
            uncut.append((record.id, tokenizer.count(record.text)))


def uncut_message(
    uncut: Sequence[tuple[str, int]], lengths: Sequence[int], tokenizer: str, bin_size: int
) -> str:
    """Why excerpting left nothing to measure: the texts are shorter than the shortest excerpt
    (the usual case: a short text with --excerpts table2), or hold no break to end one at."""
    shortest = min(lengths)
    needed = max(1, shortest - bin_size // 2)
    most = max(tokens for _, tokens in uncut)
    which = "the text is" if len(uncut) == 1 else f"all {len(uncut):,} texts are"
    has = "it has" if len(uncut) == 1 else "the longest has"
    if most < needed:
        return (
            f"nothing to measure: {which} shorter than the shortest excerpt ({has} {most:,} {tokenizer} "
            f"token{'' if most == 1 else 's'}; an excerpt of {shortest:,} needs at least {needed:,}): "
            "give longer texts, shorter --excerpts, or leave --excerpts out to study each text whole"
        )
    return (
        f"nothing to measure: no excerpt of {shortest:,} {tokenizer} tokens could be cut, as no space "
        "or line end falls where one could end: leave --excerpts out to study each text whole"
    )


# -- scores ---------------------------------------------------------------------------------------

_HAN = re.compile(r"([\u4e00-\u9fa5])")


def _words(text: str) -> list[str]:
    """Whitespace-separated words; with Han characters in the text, each is a word of its own."""
    if _HAN.search(text):
        return _HAN.sub(r" \1 ", text).split()
    return text.split()


def fox_scores(reference: str, answer: str) -> dict[str, Any]:
    """Fox's `precision` and `edit_accuracy` (see the module docstring) with pixtok's error rates."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = normalize(reference), normalize(answer)
    truth = set(_words(ref))
    found = set(_words(hyp))
    precision = len(truth & found) / len(truth) if truth else (1.0 if not found else 0.0)
    longest = max(len(ref), len(hyp))
    edit = Levenshtein.distance(ref, hyp) / longest if longest else 0.0
    return {
        "precision": round(precision, 6),
        "edit_accuracy": round(1.0 - edit, 6),
        **error_rates(reference, answer),
    }


# -- what the encoder sees ----------------------------------------------------------------------------


def encoder_view(page: np.ndarray, resize: str, side: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The page as a mode's processor hands it to the encoder, and the box the page fills in it.

    `fixed`: stretched to side×side (DeepSeek-OCR Tiny/Small call `image.resize((s, s))`:
    bicubic, Pillow's default); `pad-square`: `ImageOps.pad` to side×side with DeepSeek's grey
    (Base/Large), the page scaled to fit and centred.
    """
    height, width = page.shape[:2]
    if (width, height) == (side, side):
        return page, (0, 0, side, side)
    image = Image.fromarray(page)
    if resize == "fixed":
        return np.asarray(image.resize((side, side), Image.Resampling.BICUBIC)), (0, 0, side, side)
    fill: Any = PAD_GREY if image.mode == "L" else (PAD_GREY,) * 3
    padded = ImageOps.pad(image, (side, side), Image.Resampling.BICUBIC, color=fill)
    w, h = ImageOps.contain(image, (side, side), Image.Resampling.BICUBIC).size
    left, top = round((side - w) * 0.5), round((side - h) * 0.5)  # ImageOps.pad's centring
    return np.asarray(padded), (left, top, left + w, top + h)


def page_view(view: np.ndarray, inner: tuple[int, int, int, int], size: tuple[int, int]) -> np.ndarray:
    """What the encoder sees, laid back over the page's own geometry (width, height): the same
    pixels of information, in the page's proportions and at its line positions.

    A local OCR engine reads this rather than the square: DeepSeek-OCR was trained on pages
    stretched to a square, RapidOCR and Tesseract were not (stretched 595×842 → 512², RapidOCR
    split words at gaps that the squeeze made wide against the flattened ink: 88 % precision on
    a 650-token excerpt, against 92 % for the same pixels laid back).
    """
    if view.shape[1] == size[0] and view.shape[0] == size[1] and inner == (0, 0, size[0], size[1]):
        return view
    cropped = Image.fromarray(view).crop(inner)
    return np.asarray(cropped.resize(size, Image.Resampling.BICUBIC))


def bin_label(tokens: int, size: int) -> str:
    low = tokens // size * size
    return f"{low}-{low + size}"


# -- one text ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyTask:
    """Worker factory: each worker keeps a tokenizer, renderers and the encoders, and studies one
    text at a time in every mode (the pages of its modes are read together)."""

    options: StudyOptions

    def __call__(self) -> Worker:
        options = self.options
        tokenizer = get_tokenizer(options.tokenizer)
        modes = [(name, get_encoder(name)) for name in options.modes]
        inputs = {name: model_input(encoder) for name, encoder in modes}
        check_server(options.engine, options.server)
        fit = options.render.replace(layout="fit")
        renderers: dict[str, Renderer] = {}

        def renderer(page: str) -> Renderer:
            if page not in renderers:
                renderers[page] = Renderer(fit.replace(page=page))
            return renderers[page]

        def study(record: Record) -> dict[str, Any]:
            text = record.text
            if not text.strip():
                raise InputError("the text is empty")
            count = tokenizer.count(text)
            language = ocr_language(text, options.lang, options.render.lang)
            reader = resolve_engine(options.engine, language, options.server)
            whole_pages = bool(getattr(reader, "whole_pages", False))
            rendered: dict[str, RenderResult] = {}
            shown, boxes, used = [], [], []
            for name, _ in modes:
                resize, side = inputs[name]
                page = fit.page if options.arrangement == "document" else f"{side}x{side}"
                if page not in rendered:
                    rendered[page] = renderer(page).render(text)
                result = rendered[page]
                height, width = result.pages[0].shape[:2]
                view, inner = encoder_view(result.pages[0], resize, side)
                # A server's model gets what its encoder sees; a local engine, the same pixels
                # laid back over the page (see `page_view`).
                shown.append(view if whole_pages else page_view(view, inner, (width, height)))
                boxes.append(line_boxes(result, 0))
                used.append((result, view))
            segmented = not whole_pages and options.segmentation == "layout"
            readings = read_pages(reader, shown, language, boxes if segmented else None)
            vision = getattr(reader, "vision_tokens", None)
            per_mode: dict[str, Any] = {}
            for (name, encoder), (result, view), reading in zip(modes, used, readings, strict=True):
                counted = encoder.count(view.shape[1], view.shape[0])
                entry: dict[str, Any] = {
                    "vision_tokens": counted.tokens,
                    "compression": round(count / counted.tokens, 6),
                    "font_size_px": round(result.font_size_px, 4),
                    **fox_scores(text, reading.text),
                }
                if vision is not None:
                    served = usage_record(reading, counted.sequence_tokens)
                    entry.update({key: value for key, value in served.items() if key != "vision_tokens"})
                    entry["sequence_tokens"] = counted.sequence_tokens
                per_mode[name] = entry
            return {
                "chars": len(text),
                "text_tokens": count,
                "bin": bin_label(count, options.bin_size),
                "engine": reader.describe().get("name"),
                "engine_version": reader.describe().get("version"),
                "modes": per_mode,
            }

        return study


# -- totals ----------------------------------------------------------------------------------------

#: Per-page sums a total keeps for every (mode, bin), from which its figures are derived.
_SUMS = ("pages", "text_tokens", "precision", "edit_accuracy", "chars", "char_errors", "chars_nospace",
         "char_errors_nospace", "prompt_tokens")  # fmt: skip


def summarize(records: Sequence[Mapping[str, Any]], name: str = "total") -> dict[str, Any]:
    """Totals of study records (and of earlier totals, which fold in the same way): per mode and
    bin the sums, and the figures derived from them (see the module docstring)."""
    sums: dict[str, dict[str, dict[str, float]]] = {}
    inputs = 0
    vision: dict[str, int] = {}
    for record in records:
        if "error" in record:
            continue
        if "sums" in record:
            inputs += int(record["inputs"])
            vision.update(record["vision_tokens"])
            for mode, bins in record["sums"].items():
                for label, values in bins.items():
                    target = sums.setdefault(mode, {}).setdefault(label, dict.fromkeys(_SUMS, 0))
                    for key in _SUMS:
                        target[key] += values[key]
            continue
        inputs += 1
        for mode, entry in record["modes"].items():
            vision[mode] = entry["vision_tokens"]
            target = sums.setdefault(mode, {}).setdefault(record["bin"], dict.fromkeys(_SUMS, 0))
            target["pages"] += 1
            target["text_tokens"] += record["text_tokens"]
            for key in _SUMS[2:]:
                target[key] += entry.get(key) or 0
    return {
        "input": name,
        "inputs": inputs,
        "vision_tokens": vision,
        "sums": sums,
        "bins": _bins(sums, vision),
    }


def _bin_order(label: str) -> int:
    return int(label.split("-", 1)[0])


def _bins(
    sums: Mapping[str, Mapping[str, Mapping[str, float]]], vision: Mapping[str, int]
) -> list[dict[str, Any]]:
    """One row per bin: pages and mean text tokens, then per mode its figures beside the paper's."""
    labels = sorted({label for bins in sums.values() for label in bins}, key=_bin_order)
    rows = []
    for label in labels:
        row: dict[str, Any] = {"bin": label}
        for mode, bins in sums.items():
            values = bins.get(label)
            if values is None or not values["pages"]:
                continue
            pages = int(values["pages"])
            mean_tokens = values["text_tokens"] / pages
            row.setdefault("pages", pages)
            row.setdefault("text_tokens", round(mean_tokens, 1))
            figures = {
                "precision": round(100 * values["precision"] / pages, 2),
                "compression": round(mean_tokens / vision[mode], 2),
                "edit_accuracy": round(100 * values["edit_accuracy"] / pages, 2),
                "cer": round(values["char_errors"] / values["chars"], 6) if values["chars"] else None,
            }
            if values["prompt_tokens"]:
                figures["prompt_tokens"] = round(values["prompt_tokens"] / pages, 1)
            paper = published(mode).get(label)
            if paper is not None:
                figures["published_precision"] = paper["precision"]
                figures["published_compression"] = paper["compression"]
            row[mode] = figures
        rows.append(row)
    return rows


def compression_study(
    records: Iterable[Record],
    options: StudyOptions,
    *,
    engine: EngineOptions | None = None,
    output: str | None = None,
    resume: bool = False,
    on_record: Any = None,
    on_progress: Progress | None = None,
) -> Totals:
    """Study every record (or, with `options.excerpts`, every excerpt of it): see the module
    docstring. Records go to `on_record`, or to the JSON Lines file `output` (atomically,
    resumable with `resume=True`); returns the totals, whose `bins` are the table.

    A resume is refused when the study options, or the options a `RecordStream` was read with
    (`--field`, `--id-field`, `--errors`: `reading_settings`), differ from those of the saved
    records: the same ids would then hold other texts."""
    tokenizer = get_tokenizer(options.tokenizer)
    uncut: list[tuple[str, int]] = []
    # The excerpts are a plain generator, which no longer carries the reading options of
    # `records`: they are taken here, before it, or `run_corpus` would see none. Defaults add
    # nothing, so a journal of a run with default reading options keeps its signature.
    settings = {"study": options.record_settings(), **reading_settings(records)}
    stream = excerpt_records(records, options.excerpts, tokenizer, options.bin_size, uncut=uncut)
    try:
        return run_corpus(
            stream,
            StudyTask(options),
            summarize=summarize,
            engine=engine,
            id_key="input",
            output=output,
            resume=resume,
            settings=settings,
            on_record=on_record,
            on_progress=on_progress,
        )
    except InputError as exc:
        if str(exc) != NOTHING_TO_MEASURE or not uncut:
            raise
        raise InputError(
            uncut_message(uncut, options.excerpts, options.tokenizer, options.bin_size)
        ) from None


def plot_study(total: Mapping[str, Any], path: str, *, tokenizer: str) -> None:
    """Draw precision per text-token bin for each mode, DeepSeek-OCR's published points beside
    (dashed), with each bin's compression; a PNG written atomically."""
    from pixtok.plots import pyplot, save_png

    plt = pyplot()

    rows = total["bins"]
    modes = list(total["sums"])
    figure, axes = plt.subplots(figsize=(6.8, 4.4), dpi=100)
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    for index, mode in enumerate(modes):
        colour = colours[index % len(colours)]
        mine = [(_bin_order(r["bin"]) + 50, r[mode]) for r in rows if mode in r]
        if not mine:
            continue
        xs = [x for x, _ in mine]
        axes.plot(xs, [f["precision"] for _, f in mine], "-o", color=colour, label=f"{mode} (this study)")
        for x, f in mine:
            axes.annotate(f"{f['compression']:.1f}×", (x, f["precision"]), fontsize=6, xytext=(2, 4),
                          textcoords="offset points", color=colour)  # fmt: skip
        paper = published(mode)
        if paper:
            points = sorted((_bin_order(label) + 50, v["precision"]) for label, v in paper.items())
            axes.plot([p[0] for p in points], [p[1] for p in points], "--s", color=colour, alpha=0.5, ms=3,
                      label=f"{mode}: DeepSeek-OCR, Fox (Table 2)")  # fmt: skip
    axes.set_xlabel(f"text tokens per page ({tokenizer}; bin middles)")
    axes.set_ylabel("precision, % (Fox's word-set precision)")
    axes.set_ylim(0, 102)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="lower left", fontsize=7)
    save_png(figure, path)


__all__ = [
    "ARRANGEMENTS",
    "DEFAULT_MODES",
    "PUBLISHED_SOURCE",
    "PUBLISHED_TABLE2",
    "TABLE2_EXCERPTS",
    "StudyOptions",
    "StudyTask",
    "bin_label",
    "compression_study",
    "cut_excerpts",
    "encoder_view",
    "excerpt_records",
    "fox_scores",
    "model_input",
    "page_view",
    "parse_excerpts",
    "plot_study",
    "published",
    "summarize",
    "uncut_message",
]
