"""Text tokens against vision tokens: render, patchify and count one text, under chosen
tokenizers and vision encoders, and summarise many.

`Comparer` holds the renderer, tokenizers and encoders so that a corpus is measured without
reloading anything; `compare_text` is the one-call form. Records are plain dicts with stable
keys (documented in docs/compare.md): `tokens.<tokenizer>`, `vision.<encoder>.tokens`,
`compression.<tokenizer>.<encoder>` (text tokens ÷ vision tokens) and densities per token.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from pixtok.encoders import Encoder, get_encoder
from pixtok.errors import InputError, UsageError, show
from pixtok.limits import MAX_COUNT, check_text
from pixtok.measure.density import combine_totals, density_report
from pixtok.measure.vlm import ServerOptions, combine_usage
from pixtok.render import Renderer, RenderResult
from pixtok.render.config import RenderConfig
from pixtok.tokenizers import Tokenizer, get_tokenizer

#: The preset whose values `RenderConfig()` holds: every command's default set-up.
DEFAULT_PRESET = "glyph"
DEFAULT_TOKENIZERS: tuple[str, ...] = ("mistral-spm", "cl100k")
DEFAULT_ENCODERS: tuple[str, ...] = ("deepseek-ocr-base", "qwen2.5-vl", "glm-4.1v")

# Counts that add up over inputs (everything else in a record is derived from them).
_ADDITIVE = ("chars", "bytes", "pages", "missing_glyphs")


def sample_text() -> str:
    """The built-in sample that `pixtok compare` measures when given no input."""
    return resources.files("pixtok").joinpath("data/sample.txt").read_text(encoding="utf-8")


def split_names(value: str | Sequence[str] | None, default: Sequence[str]) -> tuple[str, ...]:
    """Names from a comma list or a sequence of comma lists; empty entries are an error."""
    if value is None:
        return tuple(default)
    items = [value] if isinstance(value, str) else list(value)
    names = [part.strip() for item in items for part in item.split(",")]
    if not any(names):
        raise UsageError("name at least one tokenizer or encoder")
    if any(not name for name in names):
        raise UsageError(f"empty name in {','.join(items)!r}")
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class OcrOptions:
    """How `compare --ocr` reads the pages back: engine (`auto` picks by script), language, how
    many pages to read (None: all), for the `openai` engine the server to ask, and whether each
    page's OCR text is kept in the record (`ocr.pages[i].text`, which `pixtok report` aligns
    against the source)."""

    engine: str = "auto"
    lang: str | None = None
    max_pages: int | None = None
    server: ServerOptions | None = None
    keep_text: bool = False

    def record_settings(self) -> dict[str, Any]:
        """What decides an OCR record (not where the server is or how patiently it is asked)."""
        settings: dict[str, Any] = {"engine": self.engine, "lang": self.lang, "max_pages": self.max_pages}
        if self.server is not None:
            settings["server"] = self.server.record_settings()
        if self.keep_text:
            settings["keep_text"] = True
        return settings

    def __post_init__(self) -> None:
        # Checked here, so that a bad option stops a corpus run before its first record instead
        # of failing every record alike.
        from pixtok.measure.ocr import ENGINE_NAMES

        if str(self.engine).strip().lower() not in ENGINE_NAMES:
            raise UsageError(f"unknown OCR engine {self.engine!r}; choose one of: {', '.join(ENGINE_NAMES)}")
        if self.max_pages is not None and self.max_pages < 1:
            raise UsageError(f"--max-pages must be at least 1, not {self.max_pages}")


#: Error counts of an OCR round trip; rates are derived from them (totals too).
_OCR_COUNTS = ("chars", "char_errors", "chars_nospace", "char_errors_nospace", "words", "word_errors")
#: A server's token usage per page, beside pixtok's count (`pixtok.measure.vlm.usage_record`).
_OCR_USAGE = ("prompt_tokens", "completion_tokens", "vision_tokens", "prompt_minus_vision")


@dataclass(frozen=True)
class CompareOptions:
    """What to measure: the render set-up, tokenizers, encoders and the patch size of `patches`.

    Given loosely, values are normalised: None is the default (set-up, tokenizers, encoders), a
    tokenizer or encoder list may be one name or a comma list (`"cl100k"`, `"cl100k,o200k"`) as
    well as a sequence of names (kept as a tuple, so that options stay hashable), and a numpy
    whole number is a patch size. Anything else of the wrong type is a UsageError naming the option.
    """

    render: RenderConfig = field(default_factory=RenderConfig)
    tokenizers: tuple[str, ...] = DEFAULT_TOKENIZERS
    encoders: tuple[str, ...] = DEFAULT_ENCODERS
    patch: int = 16
    density: bool = False
    ocr: OcrOptions | None = None

    def __post_init__(self) -> None:
        if self.render is None:
            object.__setattr__(self, "render", RenderConfig())
        if not isinstance(self.render, RenderConfig):
            raise UsageError(f"render must be a RenderConfig, not {type(self.render).__name__}")
        for name, default in (("tokenizers", DEFAULT_TOKENIZERS), ("encoders", DEFAULT_ENCODERS)):
            value = getattr(self, name)
            object.__setattr__(self, name, default if value is None else _names(name, value))
        if not self.tokenizers and not self.encoders:
            raise UsageError("name at least one tokenizer or encoder")
        patch = self.patch
        if isinstance(patch, np.integer):
            patch = int(patch)
            object.__setattr__(self, "patch", patch)
        if isinstance(patch, bool) or not isinstance(patch, int) or not 1 <= patch <= 1024:
            raise UsageError(f"--patch must be a whole number of pixels from 1 to 1024, got {show(patch)}")
        if not isinstance(self.density, (bool, np.bool_)):
            raise UsageError(f"density must be true or false, not {self.density!r}")
        object.__setattr__(self, "density", bool(self.density))
        if self.ocr is not None and not isinstance(self.ocr, OcrOptions):
            raise UsageError(f"ocr must be OcrOptions or None, not {type(self.ocr).__name__}")

    def record_settings(self) -> dict[str, Any]:
        """The options that decide the records (what a resumed run must share with the first)."""
        settings = dataclasses.asdict(dataclasses.replace(self, ocr=None))
        settings["ocr"] = None if self.ocr is None else self.ocr.record_settings()
        return settings


def _names(option: str, value: Any) -> tuple[str, ...]:
    """Tokenizer or encoder names as a tuple: one name or a comma list is split (never iterated
    letter by letter), a sequence is kept; empty is allowed here (the other list may name some)."""
    if isinstance(value, str):
        return split_names(value, ()) if value.strip() else ()
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        names = tuple(value)
        wrong = [name for name in names if not isinstance(name, str)]
        if not wrong:
            return split_names(names, ()) if names else ()
        raise UsageError(f"{option} must be names (str), not {wrong[0]!r}")
    raise UsageError(f"{option} must be a name, a comma list or a sequence of names, not {value!r}")


def _check_name(name: Any, option: str) -> None:
    """Refuse a record name that is neither None nor a str (`b"x"`, `5`) before it is stored."""
    if name is not None and not isinstance(name, str):
        raise UsageError(f"{option} must be a str or None, not {show(name)}")


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


class Comparer:
    """Measures texts under fixed options, keeping fonts, caches and models loaded."""

    def __init__(self, options: CompareOptions | None = None) -> None:
        if options is not None and not isinstance(options, CompareOptions):
            raise UsageError(f"options must be CompareOptions, not {type(options).__name__}")
        self.options = options or CompareOptions()
        # Resolve every name first, so that a typo fails before any rendering.
        self.tokenizers: dict[str, Tokenizer] = {
            name: get_tokenizer(name) for name in self.options.tokenizers
        }
        self.encoders: dict[str, Encoder] = {name: get_encoder(name) for name in self.options.encoders}
        self.renderer = Renderer(self.options.render)
        if self.options.ocr is not None:
            from pixtok.measure.ocr import check_server, resolve_engine
            from pixtok.render.scripts import ocr_language

            ocr = self.options.ocr
            check_server(ocr.engine, ocr.server)
            if ocr.lang:
                # A malformed --ocr-lang (`eng+`), or one whose data is not installed, fails
                # here, once, rather than every text alike.
                resolve_engine(ocr.engine, ocr_language("", ocr.lang, self.options.render.lang), ocr.server)
        #: The counts of the presets that count a page by its size alone, per list of page sizes.
        self._size_counts: dict[tuple[tuple[int, int], ...], dict[str, dict[str, Any]]] = {}

    def render(self, text: str) -> RenderResult:
        """The pages of `text`; text that is not valid Unicode (a lone surrogate, which no
        tokenizer can encode) or that has a line over the `line` limit is an InputError."""
        check_text(text)
        return self.renderer.render(text)

    def measure(
        self, text: str, name: str | None = None, *, result: RenderResult | None = None
    ) -> dict[str, Any]:
        """One record for one text (see the module docstring for its keys); `name` is its
        `input` (a str: records are written as JSON, which has no bytes or numbers as names)."""
        _check_name(name, "name")
        if result is not None and not isinstance(result, RenderResult):
            raise UsageError(f"result must be a RenderResult or None, not {type(result).__name__}")
        if result is None:
            result = self.render(text)
        record: dict[str, Any] = {}
        if name is not None:
            record["input"] = name
        record["chars"] = len(text)
        record["bytes"] = len(text.encode("utf-8"))
        record["tokens"] = {key: tok.count(text) for key, tok in self.tokenizers.items()}
        record["pages"] = result.page_count
        record["width"], record["height"] = (int(n) for n in result.page_sizes[0])
        record["font_size_px"] = round(result.font_size_px, 4)
        # Pages are drawn only for what reads their pixels: density, OCR, a preset whose count
        # depends on them, each page in turn and let go. Which patches hold ink the layout
        # says without them; density, which cuts every drawn page into patches, says it too.
        patch = self.options.patch
        report = density_report(result, text, patch) if self.options.density else None
        if report is not None:
            total, nonblank = report["total"]["patches"], report["total"]["nonblank_patches"]
        else:
            inked = result.inked_patches(patch)
            total = sum(mask.size for mask in inked)
            nonblank = sum(int(np.count_nonzero(mask)) for mask in inked)
        record["patches"] = {"size": patch, "total": total, "nonblank": nonblank}
        record["vision"] = self._vision(result)
        record["missing_glyphs"] = result.missing_glyphs
        if report is not None:
            record["density"] = {"total": report["total"], "pages": report["pages"]}
        if self.options.ocr is not None:
            record["ocr"] = _ocr_record(result, text, self.options.ocr)
        return _with_ratios(record)

    def _vision(self, result: RenderResult) -> dict[str, dict[str, Any]]:
        """Each encoder's count of the pages (a new dict per record): presets that read pixels
        count the pages, the others are counted once per list of page sizes."""
        sizes = tuple(result.page_sizes)
        by_size = self._size_counts.get(sizes)
        if by_size is None:
            if len(self._size_counts) >= _SIZE_COUNTS:
                self._size_counts.clear()
            by_size = self._size_counts[sizes] = {
                key: _vision_dict(encoder.count_pages(sizes))
                for key, encoder in self.encoders.items()
                if not encoder.reads_pixels
            }
        return {
            key: dict(by_size[key])
            if key in by_size
            else _vision_dict(encoder.count_pages(result.iter_pages()))
            for key, encoder in self.encoders.items()
        }


#: Lists of page sizes whose counts a Comparer keeps (a corpus of one preset meets a few).
_SIZE_COUNTS = 4096


def _ocr_record(result: RenderResult, text: str, options: OcrOptions) -> dict[str, Any]:
    """OCR scores of the rendered pages: rates in total and per page, with the counts behind them."""
    from pixtok.measure.legibility import ocr_result

    scores = ocr_result(
        result,
        text,
        options.engine,
        options.lang,
        server=options.server,
        max_pages=options.max_pages,
        include_text=options.keep_text,
    )
    rates = ("cer", "cer_nospace", "wer")
    kept = ("text",) if options.keep_text else ()
    record = {
        **{key: scores[key] for key in (*rates, *_OCR_COUNTS)},
        "engine": scores["engine"]["name"],
        "engine_version": scores["engine"].get("version"),
        "lang": scores["lang"],
        "pages_read": scores["pages_read"],
        "pages": [
            {"page": p["page"], **{key: p[key] for key in (*rates, *_OCR_USAGE, *kept) if key in p}}
            for p in scores["pages"]
        ],
    }
    if "usage" in scores:
        record["usage"] = scores["usage"]
    return record


def _ocr_total(parts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """OCR over several inputs: error counts add up, and the rates are micro-averages; a server's
    token usage adds up too, and the range of `prompt_minus_vision` widens."""
    counts = {key: sum(p[key] for p in parts) for key in _OCR_COUNTS}
    total = {
        "cer": _ratio(counts["char_errors"], counts["chars"]),
        "cer_nospace": _ratio(counts["char_errors_nospace"], counts["chars_nospace"]),
        "wer": _ratio(counts["word_errors"], counts["words"]),
        **counts,
        "pages_read": sum(p["pages_read"] for p in parts),
    }
    usages = [p["usage"] for p in parts if "usage" in p]
    if usages and len(usages) == len(parts):
        total["usage"] = combine_usage(usages)
    return total


def _vision_dict(total: Any) -> dict[str, Any]:
    return {
        "tokens": total.tokens,
        "sequence_tokens": total.sequence_tokens,
        "valid_tokens": total.valid_tokens,
        "tiles": total.tiles,
    }


def _with_ratios(record: dict[str, Any]) -> dict[str, Any]:
    """Add compression ratios and per-token densities, derived from the counts in `record`."""
    tokens: Mapping[str, int] = record["tokens"]
    vision: Mapping[str, Mapping[str, Any]] = record["vision"]
    record["compression"] = {
        tok: {enc: _ratio(count, v["tokens"]) for enc, v in vision.items()} for tok, count in tokens.items()
    }
    record["chars_per_token"] = {tok: _ratio(record["chars"], n) for tok, n in tokens.items()}
    record["bytes_per_token"] = {tok: _ratio(record["bytes"], n) for tok, n in tokens.items()}
    record["chars_per_vision_token"] = {
        enc: _ratio(record["chars"], v["tokens"]) for enc, v in vision.items()
    }
    record["bytes_per_vision_token"] = {
        enc: _ratio(record["bytes"], v["tokens"]) for enc, v in vision.items()
    }
    if "density" in record:
        bits = record["density"]["total"]["text_bits"]
        record["density"]["bits_per_token"] = {tok: _ratio(bits, n) for tok, n in tokens.items()}
        record["density"]["bits_per_vision_token"] = {
            enc: _ratio(bits, v["tokens"]) for enc, v in vision.items()
        }
    return record


def _count_problem(value: Any, key: str, *, optional: bool = False) -> str | None:
    """Why `value` is not a count (a whole number from 0 to `MAX_COUNT`, or None when
    `optional`), or None."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return f"{key} must be a whole number >= 0, not {_shown(value)}"
    if value > MAX_COUNT:
        return f"{key} must be a whole number from 0 to 2**53, not {_shown(value)}"
    return None


def _number_problem(value: Any, key: str) -> str | None:
    """Why `value` is not a finite number from 0 to `MAX_COUNT`, or None."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not math.isfinite(value))
        or value < 0
    ):
        return f"{key} must be a number >= 0, not {_shown(value)}"
    # `math.isfinite` is asked of floats only: it cannot take a whole number too large for one.
    if value > MAX_COUNT:
        return f"{key} must be a number from 0 to 2**53, not {_shown(value)}"
    return None


def _shown(value: Any) -> str:
    """`show(value)`, a table or list named as such (a record's field holds one by mistake)."""
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return show(value, 40)


#: The counts of a record's `density.total` that a total adds up.
_DENSITY_COUNTS = (
    "pages", "pixels", "ink_coverage", "ink_pixel_fraction", "patches", "nonblank_patches",
    "mean_patch_entropy", "png_bytes", "png_ink_bits", "chars", "text_bytes", "text_bits",
)  # fmt: skip


def record_problem(record: Any) -> str | None:
    """What makes `record` unusable as a successful compare record (or a total), in a few words
    naming the field (`chars must be a whole number >= 0, not 'a'`, `vision.q.tokens is missing`);
    None when it has every count `summarize` adds and a report shows, of the right types and
    sizes (counts and rates at most `MAX_COUNT`, so that totals and ratios stay floats).

    Records read back from files (`pixtok report`, docs/compare.md) are checked with this once,
    where they are read, so that nothing later meets a KeyError or a TypeError.
    """
    if not isinstance(record, Mapping):
        return f"a record must be a JSON object, not {_shown(record)}"
    for key in ("chars", "bytes", "pages", "missing_glyphs"):
        if key not in record:
            return f"{key} is missing"
        if problem := _count_problem(record[key], key):
            return problem
    tokens = record.get("tokens")
    if not isinstance(tokens, Mapping):
        return f"tokens must be a table of counts by tokenizer, not {_shown(tokens)}"
    for tok, count in tokens.items():
        if problem := _count_problem(count, f"tokens.{tok}"):
            return problem
    patches = record.get("patches")
    if not isinstance(patches, Mapping):
        return f"patches must be a table of size, total and nonblank, not {_shown(patches)}"
    for key in ("size", "total", "nonblank"):
        if key not in patches:
            return f"patches.{key} is missing"
        if problem := _count_problem(patches[key], f"patches.{key}"):
            return problem
    vision = record.get("vision")
    if not isinstance(vision, Mapping):
        return f"vision must be a table of counts by encoder, not {_shown(vision)}"
    for enc, counts in vision.items():
        if not isinstance(counts, Mapping):
            return f"vision.{enc} must be a table of tokens, sequence_tokens, valid_tokens and tiles"
        for key in ("tokens", "sequence_tokens", "valid_tokens", "tiles"):
            if key not in counts:
                return f"vision.{enc}.{key} is missing"
            if problem := _count_problem(counts[key], f"vision.{enc}.{key}", optional=key == "valid_tokens"):
                return problem
    compression = record.get("compression")
    if compression is not None:  # derived, but a report ranks records by it
        if not isinstance(compression, Mapping):
            return f"compression must be a table of ratios, not {_shown(compression)}"
        for tok, ratios in compression.items():
            if not isinstance(ratios, Mapping):
                return f"compression.{tok} must be a table of ratios by encoder, not {_shown(ratios)}"
            for enc, ratio in ratios.items():
                if ratio is not None and (problem := _number_problem(ratio, f"compression.{tok}.{enc}")):
                    return problem
    if "density" in record:
        total = record["density"].get("total") if isinstance(record["density"], Mapping) else None
        if not isinstance(total, Mapping):
            return "density.total must be a table of counts"
        for key in _DENSITY_COUNTS:
            if key not in total:
                return f"density.total.{key} is missing"
            if problem := _number_problem(total[key], f"density.total.{key}"):
                return problem
        if problem := _pages_problem(record["density"], "density"):
            return problem
    if "ocr" in record:
        ocr = record["ocr"]
        if not isinstance(ocr, Mapping):
            return f"ocr must be a table of counts and rates, not {_shown(ocr)}"
        for key in (*_OCR_COUNTS, "pages_read"):
            if key not in ocr:
                return f"ocr.{key} is missing"
            if problem := _count_problem(ocr[key], f"ocr.{key}"):
                return problem
        for key in ("cer", "cer_nospace", "wer"):
            if ocr.get(key) is not None and (problem := _number_problem(ocr[key], f"ocr.{key}")):
                return problem
        if problem := _pages_problem(ocr, "ocr"):
            return problem
        usage = ocr.get("usage")
        if "usage" in ocr and not isinstance(usage, Mapping):
            return f"ocr.usage must be a table of token counts, not {_shown(usage)}"
        if isinstance(usage, Mapping):
            for key in ("prompt_tokens", "completion_tokens", "vision_tokens", "truncated_pages"):
                if problem := _count_problem(usage.get(key), f"ocr.usage.{key}", optional=True):
                    return problem
            span = usage.get("prompt_minus_vision")
            if span is not None and not (
                isinstance(span, list)
                and len(span) == 2
                and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in span)
            ):
                return f"ocr.usage.prompt_minus_vision must be a [low, high] pair, not {_shown(span)}"
    return None


def _pages_problem(part: Mapping[str, Any], key: str) -> str | None:
    """Why the per-page entries of `ocr` or `density` cannot be read (each a table with a page
    number, an OCR page's text a str), or None."""
    pages = part.get("pages")
    if pages is None:
        return None
    if not isinstance(pages, list):
        return f"{key}.pages must be a list, not {_shown(pages)}"
    for index, page in enumerate(pages):
        if not isinstance(page, Mapping):
            return f"{key}.pages[{index}] must be a table, not {_shown(page)}"
        if problem := _count_problem(page.get("page"), f"{key}.pages[{index}].page"):
            return problem
        if "text" in page and not isinstance(page["text"], str):
            return f"{key}.pages[{index}].text must be text, not {_shown(page['text'])}"
    return None


def summarize(records: Iterable[Mapping[str, Any]], name: str = "total") -> dict[str, Any]:
    """Totals over records: counts are added, ratios computed again from the sums.

    Records that cannot be added (a count missing or not a number, a tokenizer or an encoder the
    first record counts missing) are an InputError naming the first such record (from 1) and its
    field, as `record_problem` finds it; anything but an iterable of records (None, a str, a
    single record) is a UsageError.
    """
    if isinstance(records, (str, bytes, bytearray, Mapping)) or not isinstance(records, Iterable):
        what = "a single record" if isinstance(records, Mapping) else _shown(records)
        raise UsageError(f"summarize() takes an iterable of records (a list of dicts), not {what}")
    if not isinstance(name, str):
        raise UsageError(f"summarize(): name must be a str, not {show(name)}")
    records = [r for r in records if not (isinstance(r, Mapping) and "error" in r)]
    if not records:
        raise UsageError("nothing to summarise: no successful records")
    try:
        return _summed(records, name)
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError, IndexError):
        # Only now look for the record to blame: records pixtok made, and records files (checked
        # where they are read), always sum, and a corpus run sums every record it measures.
        for number, record in enumerate(records, 1):
            problem = record_problem(record) or (missing_names(record, records[0]) if number > 1 else None)
            if problem is not None:
                raise InputError(f"cannot summarise record {number}: {problem}") from None
        raise


def _summed(records: list[Mapping[str, Any]], name: str) -> dict[str, Any]:
    """The totals of `summarize`, over records that hold what it adds."""
    total: dict[str, Any] = {"input": name, "inputs": len(records)}
    for key in _ADDITIVE:
        total[key] = sum(int(r[key]) for r in records)
    total["tokens"] = {tok: sum(r["tokens"][tok] for r in records) for tok in records[0]["tokens"]}
    total["patches"] = {
        "size": records[0]["patches"]["size"],
        "total": sum(r["patches"]["total"] for r in records),
        "nonblank": sum(r["patches"]["nonblank"] for r in records),
    }
    total["vision"] = {}
    for enc in records[0]["vision"]:
        valid = [r["vision"][enc]["valid_tokens"] for r in records]
        total["vision"][enc] = {
            "tokens": sum(r["vision"][enc]["tokens"] for r in records),
            "sequence_tokens": sum(r["vision"][enc]["sequence_tokens"] for r in records),
            "valid_tokens": None if any(v is None for v in valid) else sum(valid),
            "tiles": sum(r["vision"][enc]["tiles"] for r in records),
        }
    if all("density" in r for r in records):
        total["density"] = {"total": combine_totals([r["density"]["total"] for r in records])}
    if all("ocr" in r for r in records):
        total["ocr"] = _ocr_total([r["ocr"] for r in records])
    return _with_ratios(total)


def missing_names(record: Mapping[str, Any], first: Mapping[str, Any]) -> str | None:
    """The first tokenizer or encoder `first` counts that `record` does not (records of one run
    count the same ones: a total adds each across all of them)."""
    for key in ("tokens", "vision"):
        missing = [name for name in first[key] if name not in record[key]]
        if missing:
            return f"{key}.{missing[0]} is missing (the first record counts it)"
    return None


@functools.lru_cache(maxsize=4)
def _comparer(options: CompareOptions) -> Comparer:
    return Comparer(options)


def compare_text(text: str, options: CompareOptions | None = None, name: str | None = None) -> dict[str, Any]:
    """Measure one text: the library form of `pixtok compare`.

    >>> record = compare_text("Hello, world. " * 50)
    >>> sorted(record["tokens"])
    ['cl100k', 'mistral-spm']
    """
    if options is not None and not isinstance(options, CompareOptions):
        raise UsageError(f"options must be CompareOptions, not {type(options).__name__}")
    _check_name(name, "compare_text(): name")
    return _comparer(options or CompareOptions()).measure(text, name)
