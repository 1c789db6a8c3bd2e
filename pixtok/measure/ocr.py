"""OCR engines that read rendered pages back to text: RapidOCR, Tesseract, a per-script choice, and
vision-language models behind an OpenAI-compatible server.

Every engine has `read(page, lang=None, lines=None) -> str` (lines joined by newlines, in reading
order) and `describe()` (name and versions, for reports); `read_pages` reads several pages the way
the engine reads best (a server's engine, several at once). `get_ocr_engine(name)` returns one by
name: `rapidocr`, `tesseract`, `auto`, which picks per text: RapidOCR for Latin and Chinese
(its bundled PP-OCRv4 models read both), Tesseract with the matching traineddata for the other
scripts (see `pixtok.render.scripts`), or `openai` with `ServerOptions` (`pixtok.measure.vlm`).

How RapidOCR is called, and why (measured on the first 1024² page of
en_prose_debian-reference.txt at 16 px, 34 lines, two cores):

- The whole page through RapidOCR (detection + recognition): 11-16 s, CER 9.0 %, CER without
  whitespace 0.8 %: the recogniser squeezes each ~950 px line into one 48 px high input and drops
  most word spaces.
- Line strips, each recognised whole: 6.9 s, CER 1.2 %.
- Line strips cut at blank column runs into pieces at most 8× as wide as they are high (close to
  the 320×48 input the recogniser was trained on): 2.1 s, CER 0.4 %, CER without whitespace
  0.4 %. This is what pixtok does. A cut at a gap at least as wide as a word space
  (`SPACE_GAP` × the ink height) is read as a space; a cut at a narrower gap (between CJK
  characters, or a long word) as nothing, and so is a gap beside full-width CJK punctuation,
  whose blank half belongs to the glyph.

Lines come from the layout when the caller knows it (`lines=`: the renderer knows where each
line is, so legibility measures reading glyphs, not finding lines), and from RapidOCR's own text
detector otherwise. The angle classifier is never run: on rendered text it flips long lines and
loses them.

Tesseract reads one uniform block of text (`--psm 6`; `--psm 7` for a single line). With
layout lines, the line strips are restacked with even gaps first (on Korean at 12 px, the page as
rendered lost whole lines: CER 15 %, restacked 1.3 %), and the image is upscaled so that lines
are at least `TESSERACT_LINE_PX` high, since its LSTM models are trained on text larger than
8-12 px. It returns right-to-left scripts in logical order.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from pixtok.errors import MissingDependencyError, UsageError
from pixtok.render.scripts import OcrLanguage, ocr_language

if TYPE_CHECKING:
    from pixtok.measure.vlm import ServerOptions

#: A line box in page pixels: (y0, y1, x0, x1), half-open.
LineBox = tuple[int, int, int, int]

#: A blank column run at least this many ink heights wide is a word space.
SPACE_GAP = 0.22
#: Widest piece RapidOCR is given, in strip heights (its recogniser is trained on 320×48 inputs).
MAX_PIECE_RATIO = 8.0
#: Tesseract pages are upscaled until lines are at least this high (pixels).
TESSERACT_LINE_PX = 32
#: Pixels darker than background minus this count as ink when cutting strips.
INK_THRESHOLD = 48

ENGINE_NAMES: tuple[str, ...] = ("auto", "rapidocr", "tesseract", "openai")


@dataclass(frozen=True)
class PageReading:
    """What an engine read on one page; a server's engine also reports the tokens it spent."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None


class OcrEngine(Protocol):
    """What every OCR backend offers."""

    name: str

    def read(
        self, page: np.ndarray, lang: str | OcrLanguage | None = None, lines: Sequence[LineBox] | None = None
    ) -> str:
        """The text on `page` (uint8 grey or RGB), one line per row, in reading order."""
        ...

    def describe(self) -> dict[str, Any]:
        """Engine name, versions and models, for reports."""
        ...


def _grey(page: np.ndarray) -> np.ndarray:
    if not isinstance(page, np.ndarray) or page.dtype != np.uint8 or page.ndim not in (2, 3):
        raise UsageError("OCR reads uint8 pages of shape (height, width) or (height, width, channels)")
    if page.ndim == 3:
        rgb = page[..., :3].astype(np.float32)
        if rgb.shape[2] == 1:
            return page[..., 0]
        return np.rint(rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).astype(np.uint8)
    return page


def _language(lang: str | OcrLanguage | None) -> OcrLanguage:
    if isinstance(lang, OcrLanguage):
        return lang
    return ocr_language("", lang or "latin")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


# -- cutting strips ---------------------------------------------------------------------------


def cut_line(strip: np.ndarray, background: int = 255) -> list[tuple[int, int, bool]]:
    """Cut a grey line strip into pieces at blank column runs: [(x0, x1, space_before), ...].

    Pieces are at most `MAX_PIECE_RATIO` strip heights wide where a gap allows; a cut at a gap of
    at least `SPACE_GAP` ink heights marks a word space before the next piece.
    """
    height = strip.shape[0]
    ink = strip < background - INK_THRESHOLD
    columns = np.flatnonzero(ink.any(axis=0))
    if not len(columns):
        return []
    rows = np.flatnonzero(ink.any(axis=1))
    ink_height = int(rows[-1] - rows[0] + 1)
    space = max(2.0, SPACE_GAP * ink_height)
    limit = max(MAX_PIECE_RATIO * height, 4 * ink_height)
    jumps = np.flatnonzero(np.diff(columns) > 1)
    gap_start = columns[jumps] + 1  # first blank column of each gap
    gap_end = columns[jumps + 1]  # first ink column after it
    gap_width = gap_end - gap_start
    pieces: list[tuple[int, int, bool]] = []
    start, space_before = int(columns[0]), False
    end_of_ink = int(columns[-1]) + 1
    g = 0
    while end_of_ink - start > limit:
        # Gaps whose piece would still fit; prefer the last word space, else the widest gap.
        window = np.flatnonzero((gap_start > start) & (gap_start - start <= limit))
        if not len(window):
            later = np.flatnonzero(gap_start > start)
            if not len(later):
                break
            window = later[:1]
        wide = window[gap_width[window] >= space]
        if len(wide):
            g = int(wide[-1])
        else:
            backwards = window[::-1]
            g = int(backwards[np.argmax(gap_width[backwards])])
        pieces.append((start, int(gap_start[g]), space_before))
        start, space_before = int(gap_end[g]), bool(gap_width[g] >= space)
    pieces.append((start, end_of_ink, space_before))
    return pieces


def _is_cjk_punctuation(char: str) -> bool:
    return "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uff65"


def _hugs_cjk_punctuation(before: str, after: str) -> bool:
    """Whether a gap sits inside full-width punctuation's own spacing (not a space character)."""
    return _is_cjk_punctuation(before[-1]) or _is_cjk_punctuation(after[0])


def _pad(image: np.ndarray, pad: int, background: int = 255) -> np.ndarray:
    return np.pad(image, ((pad, pad), (pad, pad)), constant_values=background)


def _order_boxes(boxes: Sequence[LineBox]) -> list[list[LineBox]]:
    """Group detected boxes into lines (vertical centres within half a box height), left to right."""
    rows: list[list[LineBox]] = []
    for box in sorted(boxes, key=lambda b: ((b[0] + b[1]) / 2, b[2])):
        centre = (box[0] + box[1]) / 2
        if rows:
            last = rows[-1][-1]
            if abs(centre - (last[0] + last[1]) / 2) <= 0.5 * max(1, min(box[1] - box[0], last[1] - last[0])):
                rows[-1].append(box)
                continue
        rows.append([box])
    return [sorted(row, key=lambda b: b[2]) for row in rows]


# -- RapidOCR ---------------------------------------------------------------------------------


class RapidOcrEngine:
    """RapidOCR (rapidocr-onnxruntime): the PP-OCRv4 models it ships, run by ONNX Runtime."""

    name = "rapidocr"

    def __init__(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError:
            raise MissingDependencyError(
                "RapidOCR is not installed: pip install 'pixtok[ocr]' (package rapidocr-onnxruntime)"
            ) from None
        # One ONNX Runtime thread: on two shared cores a page read in 6.7 s against 12.1 s with
        # a thread per core (both threads spin while waiting), and corpus runs already use one
        # process per core.
        self._engine = RapidOCR(print_verbose=False, intra_op_num_threads=1, inter_op_num_threads=1)
        if not hasattr(self._engine, "text_rec") or not hasattr(self._engine, "text_det"):
            raise MissingDependencyError(
                "this rapidocr-onnxruntime has no text_det/text_rec stages: "
                "pip install 'rapidocr-onnxruntime>=1.3,<2'"
            )

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": _version("rapidocr-onnxruntime"),
            "runtime": f"onnxruntime {_version('onnxruntime')}",
            "models": "PP-OCRv4 det + rec (ch, reads Chinese and Latin); angle classifier off",
            "threads": 1,
        }

    def read(
        self, page: np.ndarray, lang: str | OcrLanguage | None = None, lines: Sequence[LineBox] | None = None
    ) -> str:
        grey = _grey(page)
        if lines is None:
            rows = _order_boxes(self._detect(grey))
        else:
            rows = [[tuple(int(v) for v in box)] for box in lines]  # type: ignore[misc]
        pieces: list[np.ndarray] = []
        where: list[tuple[int, bool]] = []  # (row, space before)
        for r, row in enumerate(rows):
            for b, (y0, y1, x0, x1) in enumerate(row):
                strip = grey[max(0, y0) : y1, max(0, x0) : x1]
                if strip.size == 0:
                    continue
                pad = max(2, round(0.15 * strip.shape[0]))
                for k, (a, z, space) in enumerate(cut_line(strip)):
                    piece = _pad(strip[:, a:z], pad)
                    pieces.append(np.ascontiguousarray(np.repeat(piece[:, :, None], 3, axis=2)))
                    where.append((r, space or (b > 0 and k == 0)))
        if not pieces:
            return ""
        results, _ = self._engine.text_rec(pieces)
        out: list[list[str]] = [[] for _ in rows]
        for (r, space), (text, _score) in zip(where, results, strict=True):
            text = text.strip()
            if not text:
                continue
            if out[r] and space and not _hugs_cjk_punctuation(out[r][-1], text):
                out[r].append(" ")
            out[r].append(text)
        return "\n".join("".join(parts) for parts in out if parts)

    def _detect(self, grey: np.ndarray) -> list[LineBox]:
        image = np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
        boxes, _ = self._engine.text_det(image)
        if boxes is None:
            return []
        found: list[LineBox] = []
        h, w = grey.shape
        for quad in boxes:
            xs, ys = quad[:, 0], quad[:, 1]
            y0, y1 = max(0, math.floor(ys.min())), min(h, math.ceil(ys.max()))
            x0, x1 = max(0, math.floor(xs.min())), min(w, math.ceil(xs.max()))
            if y1 > y0 and x1 > x0:
                found.append((y0, y1, x0, x1))
        return found


# -- Tesseract --------------------------------------------------------------------------------


def _apt_package(traineddata: str) -> str:
    return "tesseract-ocr-" + traineddata.lower().replace("_", "-")


class TesseractEngine:
    """Tesseract 4/5 (LSTM) through pytesseract, with Debian's traineddata packs."""

    name = "tesseract"

    def __init__(self) -> None:
        try:
            import pytesseract
        except ImportError:
            raise MissingDependencyError(
                "pytesseract is not installed: pip install 'pixtok[ocr]' (package pytesseract)"
            ) from None
        self._tess = pytesseract
        try:
            self._version = str(pytesseract.get_tesseract_version())
            self.languages = frozenset(pytesseract.get_languages(config=""))
        except (pytesseract.TesseractNotFoundError, OSError):
            raise MissingDependencyError(
                "the tesseract program is not installed: apt-get install tesseract-ocr "
                "(and a language pack such as tesseract-ocr-rus)"
            ) from None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self._version.splitlines()[0],
            "pytesseract": _version("pytesseract"),
            "languages": sorted(self.languages - {"osd"}),
        }

    def check_language(self, traineddata: str) -> None:
        """Raise MissingDependencyError naming the Debian pack when a traineddata is absent."""
        codes = traineddata.split("+")
        if not all(re.fullmatch(r"[A-Za-z0-9_]+", code) for code in codes):
            raise UsageError(
                "--ocr-lang must name Tesseract models joined by '+', such as eng or eng+rus, "
                f"not {traineddata!r}"
            )
        missing = [code for code in codes if code not in self.languages]
        unnamed = [code for code in missing if not re.fullmatch(r"[a-z]{3}(_[a-z]+)*", code)]
        if unnamed:  # no Debian pack can be named after it
            raise UsageError(
                f"Tesseract has no model named {unnamed[0]}: its models are named by ISO 639-2 "
                "codes such as eng, rus or chi_sim (tesseract --list-langs lists those installed)"
            )
        if missing:
            packs = " ".join(_apt_package(code) for code in missing)
            raise MissingDependencyError(
                f"Tesseract has no {'+'.join(missing)} language data: apt-get install {packs}"
            )

    def read(
        self, page: np.ndarray, lang: str | OcrLanguage | None = None, lines: Sequence[LineBox] | None = None
    ) -> str:
        language = _language(lang)
        self.check_language(language.tesseract)
        grey = _grey(page)
        if lines is not None and len(lines):
            line_px = float(np.median([b[1] - b[0] for b in lines]))
            grey = _stack_lines(grey, lines, gap=max(6, round(0.6 * line_px)))
        else:
            line_px = float(TESSERACT_LINE_PX)
        image = _upscale(grey, TESSERACT_LINE_PX / max(line_px, 1.0))
        psm = 7 if lines is not None and len(lines) == 1 else 6
        try:
            with _single_thread():
                text = self._tess.image_to_string(image, lang=language.tesseract, config=f"--psm {psm}")
        except self._tess.TesseractError as exc:
            raise MissingDependencyError(f"tesseract failed: {exc.message or exc}") from None
        return "\n".join(line.strip() for line in text.splitlines() if line.strip())


@contextlib.contextmanager
def _single_thread() -> Iterator[None]:
    """Run Tesseract with one OpenMP thread unless the user chose otherwise.

    Tesseract's OpenMP threads spin while they wait; on a shared two-core machine a page took
    8-13 s with the default and 1.3-2.2 s with OMP_THREAD_LIMIT=1 (same text read).
    """
    if "OMP_THREAD_LIMIT" in os.environ:
        yield
        return
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        os.environ.pop("OMP_THREAD_LIMIT", None)


def _stack_lines(grey: np.ndarray, lines: Sequence[LineBox], gap: int, background: int = 255) -> np.ndarray:
    """The line strips of a page stacked with even blank gaps between them, right-aligned or not.

    Evenly spaced lines leave Tesseract's page layout analysis nothing to get wrong (tight line
    spacing otherwise makes it merge or skip lines); each strip keeps its horizontal position.
    """
    left = min(max(0, int(b[2])) for b in lines)
    right = max(min(grey.shape[1], int(b[3])) for b in lines)
    width = right - left + 2 * gap
    parts: list[np.ndarray] = [np.full((gap, width), background, dtype=np.uint8)]
    for y0, y1, x0, x1 in lines:
        row = np.full((max(0, int(y1) - int(y0)), width), background, dtype=np.uint8)
        x0, x1 = max(left, int(x0)), min(right, int(x1))
        row[:, gap + x0 - left : gap + x1 - left] = grey[max(0, int(y0)) : int(y1), x0:x1]
        parts.append(row)
        parts.append(np.full((gap, width), background, dtype=np.uint8))
    return np.concatenate(parts)


def _upscale(grey: np.ndarray, factor: float) -> Any:
    from PIL import Image

    image = Image.fromarray(grey)
    if factor > 1.05:
        factor = min(factor, 8.0)
        image = image.resize((round(grey.shape[1] * factor), round(grey.shape[0] * factor)), Image.LANCZOS)
    return image


# -- choosing ---------------------------------------------------------------------------------


class AutoEngine:
    """RapidOCR where its model reads the script (Latin, Chinese), Tesseract elsewhere."""

    name = "auto"

    def choose(self, lang: str | OcrLanguage | None) -> OcrEngine:
        """The engine that reads `lang` best of those installed."""
        language = _language(lang)
        return get_ocr_engine("rapidocr" if language.rapidocr else "tesseract")

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "rule": "rapidocr for Latin and Chinese, tesseract for other scripts"}

    def read(
        self, page: np.ndarray, lang: str | OcrLanguage | None = None, lines: Sequence[LineBox] | None = None
    ) -> str:
        return self.choose(lang).read(page, lang, lines)


def get_ocr_engine(name: str = "auto", server: ServerOptions | None = None) -> OcrEngine:
    """The OCR engine called `name` (`auto`, `rapidocr`, `tesseract`, `openai`), loaded once per
    process; `openai` needs `server` (where and what to ask), the others ignore it. A server's
    engine is built again when the API key in its environment variable changes."""
    key = (name or "auto").strip().lower()
    if key == "openai":
        if server is None:
            raise UsageError("--ocr-engine openai needs --ocr-url and --ocr-model")
        secret = os.environ.get(server.api_key_env) or ""
        return _server_engine(server, hashlib.sha256(secret.encode()).hexdigest())
    return _local_engine(key, name)


def check_server(name: str, server: ServerOptions | None) -> None:
    """For the `openai` engine, build it now: it asks the server for its models, so a server
    that cannot be reached, refuses the key or does not serve the model stops a corpus run
    before its first text, rather than failing every text alike."""
    if server is not None and (name or "").strip().lower() == "openai":
        get_ocr_engine("openai", server)


@functools.cache
def _local_engine(key: str, name: str) -> OcrEngine:
    if key == "auto":
        return AutoEngine()
    if key == "rapidocr":
        return RapidOcrEngine()
    if key == "tesseract":
        return TesseractEngine()
    raise UsageError(f"unknown OCR engine {name!r}; choose one of: {', '.join(ENGINE_NAMES)}")


@functools.cache
def _server_engine(server: ServerOptions, key_digest: str) -> OcrEngine:
    from pixtok.measure.vlm import OpenAIEngine

    return OpenAIEngine(server)


def resolve_engine(name: str, lang: OcrLanguage, server: ServerOptions | None = None) -> OcrEngine:
    """The concrete engine that will read `lang` (auto resolved), with its language data checked."""
    engine = get_ocr_engine(name, server)
    if isinstance(engine, AutoEngine):
        engine = engine.choose(lang)
    if isinstance(engine, TesseractEngine):
        engine.check_language(lang.tesseract)
    return engine


def read_pages(
    engine: OcrEngine,
    pages: Sequence[np.ndarray],
    lang: str | OcrLanguage | None = None,
    lines: Sequence[Sequence[LineBox] | None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[PageReading]:
    """Read several pages with one engine, in page order: a server's engine reads them several at
    once (it has `read_pages`); local engines one after the other. `lines[i]` are the line boxes
    of page i (or None to let the engine find them)."""
    if lines is not None and len(lines) != len(pages):
        raise UsageError("give one list of line boxes per page")
    many = getattr(engine, "read_pages", None)
    if many is not None:
        return list(many(pages, progress=progress))
    readings = []
    for index, page in enumerate(pages):
        readings.append(PageReading(engine.read(page, lang, None if lines is None else lines[index])))
        if progress is not None:
            progress(index + 1, len(pages))
    return readings


__all__ = [
    "ENGINE_NAMES",
    "AutoEngine",
    "LineBox",
    "OcrEngine",
    "PageReading",
    "RapidOcrEngine",
    "TesseractEngine",
    "cut_line",
    "get_ocr_engine",
    "read_pages",
    "resolve_engine",
]
