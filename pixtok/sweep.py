"""Sweeps of render options against compression and OCR accuracy, and fitting a token budget.

`sweep` renders one text under every combination of the varied options (`--vary size=8:16:2
--vary dpi=72,96`), measures each with `pixtok.compare` (text tokens, vision tokens, compression)
and, when asked, reads it back with OCR (`pixtok.measure.legibility`). The configurations that no other
beats on both compression and error rate form the Pareto front: the trade-off DeepSeek-OCR
reports as OCR precision against compression (arXiv 2510.18234, abstract and Fig. 1a on Fox: ~97 % below
10x, ~60 % at 20x) and Glyph as accuracy against dpi (arXiv 2510.17800).

`fit` answers "will this document fit my context?": among the configurations whose vision tokens
under one encoder stay within a budget, the most legible one.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pixtok.compare import CompareOptions, Comparer, OcrOptions
from pixtok.encoders import get_encoder
from pixtok.errors import InputError, MissingDependencyError, PixtokError, ServerError, UsageError
from pixtok.measure.vlm import ServerOptions
from pixtok.render.config import RenderConfig

#: Most configurations one sweep may hold (a typo in a range should not start a week of OCR).
MAX_CONFIGS = 2000
#: Sizes `fit` tries when no axis is given: every whole pixel from 6 to 32.
FIT_SIZES: tuple[str, ...] = tuple(f"{n}px" for n in range(6, 33))
#: How a sweep names an option (CLI spellings and the font alias) → RenderConfig field.
ALIASES = {"font": "fonts", "fonts": "fonts"}
_FIELDS = {f.name: f for f in dataclasses.fields(RenderConfig) if f.name != "preset"}
#: A number as Python's float() writes one (exponent included: `1e1`), and a sweep range of
#: three of them with optional units; a sign on the step is read, so that its message says what
#: is wrong with it rather than that the range is not a length.
_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?"
_RANGE = re.compile(
    rf"^\s*({_NUMBER})([a-z%]*)\s*:\s*({_NUMBER})([a-z%]*)\s*:\s*({_NUMBER})([a-z%]*)\s*$", re.I
)


@dataclass(frozen=True)
class Axis:
    """One varied render option and the values it takes, in order."""

    field: str
    values: tuple[Any, ...]

    @property
    def name(self) -> str:
        return "font" if self.field == "fonts" else self.field


def parse_axis(spec: str) -> Axis:
    """`NAME=VALUES`: a range `start:stop:step` (stop included; units allowed: `8px:16px:2px`),
    or a list `a,b,c` (`;` separates values that hold commas themselves, such as margins)."""
    if "=" not in spec:
        raise UsageError(f"--vary {spec!r}: expected NAME=VALUES, such as size=8:16:2 or dpi=72,96,120")
    raw_name, raw_values = spec.split("=", 1)
    key = raw_name.strip().lower().replace("-", "_")
    field = ALIASES.get(key, key)
    if field not in _FIELDS:
        known = ", ".join(sorted({"font", *(_FIELDS.keys() - {"fonts"})}))
        raise UsageError(f"--vary {raw_name.strip()!r}: not a render option; choose from {known}")
    match = _RANGE.match(raw_values)
    if match:
        values: list[Any] = _expand_range(spec, *match.groups())
    else:
        separator = ";" if ";" in raw_values else ","
        values = [v.strip().strip("\"'") for v in raw_values.split(separator)]
        if not values or any(not v for v in values):
            raise UsageError(f"--vary {spec!r}: empty value in the list")
    return Axis(field, tuple(_coerce(field, v, spec) for v in dict.fromkeys(values)))


def _expand_range(spec: str, start: str, u1: str, stop: str, u2: str, step: str, u3: str) -> list[str]:
    units = {u.lower() for u in (u1, u2, u3) if u}
    if len(units) > 1:
        raise UsageError(f"--vary {spec!r}: a range needs one unit throughout")
    unit = units.pop() if units else ""
    try:
        a, b, s = Decimal(start), Decimal(stop), Decimal(step)
    except InvalidOperation:
        raise UsageError(f"--vary {spec!r}: start, stop and step must be numbers") from None
    if not (a.is_finite() and b.is_finite() and s.is_finite()):
        raise UsageError(f"--vary {spec!r}: start, stop and step must be finite numbers")
    if s <= 0:
        raise UsageError(f"--vary {spec!r}: the step must be positive")
    if b < a:
        raise UsageError(f"--vary {spec!r}: the range ends before it starts")
    try:
        steps = (b - a) / s
    except ArithmeticError:  # an exponent past what decimal arithmetic holds (1e999999999)
        steps = Decimal(MAX_CONFIGS)
    if steps >= MAX_CONFIGS:  # compared before int(): the count may have millions of digits
        raise UsageError(f"--vary {spec!r}: more than {MAX_CONFIGS} values; at most {MAX_CONFIGS}")
    count = int(steps) + 1
    return [f"{(a + i * s).normalize():f}{unit}" for i in range(count)]


def _coerce(field: str, value: str, spec: str) -> Any:
    """A value of the type the RenderConfig field holds."""
    default = _FIELDS[field].default
    if field == "fonts":
        return (value,)
    try:
        if isinstance(default, bool):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        raise UsageError(f"--vary {spec!r}: {value!r} is not a valid {field}") from None
    return value


def configurations(base: RenderConfig, axes: Sequence[Axis]) -> list[tuple[dict[str, Any], RenderConfig]]:
    """Every combination of the axes' values applied to `base`: (values by axis name, config).

    Invalid combinations (a margin wider than the page) raise UsageError naming the values.
    """
    names = [axis.name for axis in axes]
    if len(set(names)) != len(names):
        raise UsageError("each option can be varied only once")
    total = math.prod(len(axis.values) for axis in axes)
    if total > MAX_CONFIGS:
        raise UsageError(f"the sweep has {total} configurations; at most {MAX_CONFIGS}")
    out: list[tuple[dict[str, Any], RenderConfig]] = []
    for combo in itertools.product(*(axis.values for axis in axes)):
        values = {axis.name: _show(v) for axis, v in zip(axes, combo, strict=True)}
        changes = {axis.field: v for axis, v in zip(axes, combo, strict=True)}
        try:
            config = base.replace(**changes)
        except UsageError as exc:
            raise UsageError(f"{_label(values)}: {exc}") from None
        out.append((values, config))
    return out


def _show(value: Any) -> Any:
    return value[0] if isinstance(value, tuple) and len(value) == 1 else value


def _label(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items()) or "base config"


def pareto_front(points: Sequence[tuple[float | None, float | None]]) -> list[bool]:
    """For (compression, error) points: True where no other point has compression at least as high
    and error at most as low, one of them strictly. Points missing either value are never on it."""
    flags: list[bool] = []
    for i, (c, e) in enumerate(points):
        if c is None or e is None:
            flags.append(False)
            continue
        dominated = any(
            j != i and c2 is not None and e2 is not None and c2 >= c and e2 <= e and (c2 > c or e2 < e)
            for j, (c2, e2) in enumerate(points)
        )
        flags.append(not dominated)
    return flags


@dataclass(frozen=True)
class SweepOptions:
    """What a sweep measures: compare's options (base render config, tokenizers, encoders), the
    varied axes, and the OCR set-up (`ocr=False` measures compression only)."""

    compare: CompareOptions
    axes: tuple[Axis, ...] = ()
    ocr: bool = False
    engine: str = "auto"
    lang: str | None = None
    max_pages: int | None = 1
    metric: str = "cer"
    server: ServerOptions | None = None

    def __post_init__(self) -> None:
        if self.metric not in ("cer", "cer_nospace", "wer"):
            raise UsageError(f"--metric must be cer, cer_nospace or wer, not {self.metric!r}")
        if not self.compare.tokenizers or not self.compare.encoders:
            raise UsageError("a sweep needs at least one tokenizer and one encoder")
        OcrOptions(self.engine, self.lang, self.max_pages, self.server)  # checked once, up front

    def check_names(self, *extra_encoders: str) -> None:
        """Resolve every tokenizer and encoder name now (an unknown one is a UsageError), since a
        name that fails would fail every configuration alike, not just the ones it is tried in."""
        for name in extra_encoders:
            get_encoder(name)
        Comparer(self.compare)

    def check_ocr(self, text: str) -> None:
        """With OCR and an --ocr-lang, resolve the engine that will read `text` in that language
        now, as `pixtok ocr` does before it reads a page: a malformed language (`eng+`), one no
        engine knows, or one whose data is not installed fails here, once and before anything
        is rendered, instead of failing every configuration alike after each was rendered."""
        if not self.ocr or not self.lang:
            return
        from pixtok.measure.ocr import resolve_engine
        from pixtok.render.scripts import ocr_language

        resolve_engine(self.engine, ocr_language(text, self.lang, self.compare.render.lang), self.server)

    @property
    def primary(self) -> tuple[str, str]:
        """The (tokenizer, encoder) pair whose compression the front and the plot use: the first named."""
        return self.compare.tokenizers[0], self.compare.encoders[0]


def measure_config(
    text: str, config: RenderConfig, options: SweepOptions, *, ocr: bool | None = None
) -> dict[str, Any]:
    """compare's record for `text` under `config`, with its OCR scores when asked."""
    read = options.ocr if ocr is None else ocr
    compare_options = dataclasses.replace(
        options.compare,
        render=config,
        ocr=OcrOptions(options.engine, options.lang, options.max_pages, options.server) if read else None,
    )
    record = Comparer(compare_options).measure(text)
    tokenizer, encoder = options.primary
    record["compression_primary"] = record["compression"][tokenizer][encoder]
    return record


def sweep(
    text: str, options: SweepOptions, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Measure `text` under every configuration of the sweep; mark the Pareto front.

    Returns {"primary", "axes", "ocr", "records": [{"config": {...}, **compare record,
    "ocr": {...}, "pareto": bool} ...]}. A configuration that cannot render this text (the text
    does not fit a `fit` page, say) gets an `error` instead of measures.
    """
    options.check_names()
    options.check_ocr(text)
    grid = configurations(options.compare.render, options.axes)
    records: list[dict[str, Any]] = []
    for done, (values, config) in enumerate(grid, 1):
        try:
            record = {"config": values, **measure_config(text, config, options)}
        except (MissingDependencyError, ServerError):
            raise
        except PixtokError as exc:
            record = {"config": values, "error": str(exc)}
        records.append(record)
        if progress is not None:
            progress(done, len(grid))
    if all("error" in r for r in records):
        raise InputError(f"no configuration could be measured: {records[0]['error']}")
    if options.ocr:
        points = [
            (r.get("compression_primary"), r["ocr"][options.metric] if "ocr" in r else None) for r in records
        ]
        for record, on_front in zip(records, pareto_front(points), strict=True):
            record["pareto"] = on_front
    tokenizer, encoder = options.primary
    return {
        "primary": {"tokenizer": tokenizer, "encoder": encoder, "metric": options.metric},
        "axes": {axis.name: [_show(v) for v in axis.values] for axis in options.axes},
        "ocr": options.ocr,
        "records": records,
    }


def fit(
    text: str,
    budget: int,
    encoder: str,
    options: SweepOptions,
    *,
    candidates: int = 3,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The most legible configuration whose `encoder` vision tokens stay within `budget`.

    Every configuration of the sweep (by default the base config at every size from 6 to 32 px)
    is rendered and counted; of those within budget, the `candidates` with the largest font
    sizes are read back with OCR (when `options.ocr`) and the lowest error wins, ties going to
    the larger size. Without OCR the largest size within budget wins. `fits` is False, with the
    fewest tokens any configuration needs, when none is within budget.
    """
    if budget < 1:
        raise UsageError(f"--budget must be a positive number of tokens, not {budget}")
    if candidates < 1:
        raise UsageError(f"--candidates must be at least 1, not {candidates}")
    options.check_names(encoder)
    options.check_ocr(text)
    encoders = (encoder, *(e for e in options.compare.encoders if e != encoder))
    compare_options = dataclasses.replace(options.compare, encoders=encoders)
    axes = options.axes or (Axis("size", FIT_SIZES),)
    options = dataclasses.replace(options, compare=compare_options, axes=axes)
    grid = configurations(compare_options.render, axes)
    measured: list[tuple[dict[str, Any], RenderConfig, dict[str, Any]]] = []
    for done, (values, config) in enumerate(grid, 1):
        try:
            record = measure_config(text, config, options, ocr=False)
        except (MissingDependencyError, ServerError):
            raise
        except PixtokError:
            record = None
        if record is not None:
            measured.append((values, config, record))
        if progress is not None:
            progress(done, len(grid) + (candidates if options.ocr else 0))
    if not measured:
        raise InputError("no configuration could render this text")
    within = [m for m in measured if m[2]["vision"][encoder]["tokens"] <= budget]
    report: dict[str, Any] = {"budget": budget, "encoder": encoder, "configurations": len(measured)}
    if not within:
        fewest = min(measured, key=lambda m: (m[2]["vision"][encoder]["tokens"], -m[2]["font_size_px"]))
        return {
            **report,
            "fits": False,
            "fewest_tokens": fewest[2]["vision"][encoder]["tokens"],
            "fewest_config": fewest[0],
        }
    within.sort(key=lambda m: (-m[2]["font_size_px"], m[2]["vision"][encoder]["tokens"]))
    chosen = within[0]
    tried: list[dict[str, Any]] = []
    if options.ocr:
        best_key: tuple[float, float] | None = None
        for index, (values, config, record) in enumerate(within[:candidates]):
            scored = measure_config(text, config, options, ocr=True)
            tried.append(
                {"config": values, "vision_tokens": record["vision"][encoder]["tokens"], **scored["ocr"]}
            )
            key = (scored["ocr"][options.metric], -record["font_size_px"])
            if best_key is None or key < best_key:
                best_key, chosen = key, (values, config, scored)
            if progress is not None:
                progress(len(grid) + index + 1, len(grid) + min(candidates, len(within)))
    values, config, record = chosen
    return {
        **report,
        "fits": True,
        "within_budget": len(within),
        "config": values,
        "render": config.to_dict(),
        "vision_tokens": record["vision"][encoder]["tokens"],
        "pages": record["pages"],
        "font_size_px": record["font_size_px"],
        "record": record,
        "ocr_tried": tried,
    }


def plot_sweep(report: dict[str, Any], path: str) -> None:
    """Draw compression ratio against OCR accuracy (1 − error) for a sweep with OCR; PNG, atomic."""
    from pixtok.plots import save_png

    save_png(sweep_figure(report), path)


def sweep_figure(report: dict[str, Any]) -> Any:
    """The matplotlib figure of `plot_sweep`: one point per configuration, labelled with its
    values, and the Pareto front as a line. The legend sits above the axes, where no point can
    fall under it."""
    if not report.get("ocr"):
        raise UsageError("--plot needs OCR scores: add --ocr")
    from pixtok.plots import pyplot

    plt = pyplot()
    metric = report["primary"]["metric"]
    tokenizer, encoder = report["primary"]["tokenizer"], report["primary"]["encoder"]
    rows = [r for r in report["records"] if "ocr" in r and r.get("compression_primary") is not None]
    figure, axes = plt.subplots(figsize=(6.4, 4.6), dpi=100)
    xs = [r["compression_primary"] for r in rows]
    ys = [100 * (1 - min(1.0, r["ocr"][metric])) for r in rows]
    axes.scatter(xs, ys, s=18, color="#888888", label="configurations")
    for r, x, y in zip(rows, xs, ys, strict=True):
        axes.annotate(_label(r["config"]), (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    front = sorted((x, y) for r, x, y in zip(rows, xs, ys, strict=True) if r.get("pareto"))
    if front:
        axes.plot(
            [p[0] for p in front], [p[1] for p in front], "-o", color="#c0392b", ms=4, label="Pareto front"
        )
    axes.set_xlabel(f"compression: {tokenizer} tokens / {encoder} vision tokens")
    axes.set_ylabel(f"OCR accuracy, 100·(1 − {metric}) %")
    axes.grid(True, alpha=0.3)
    axes.legend(
        loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=2, fontsize=8, frameon=False, borderaxespad=0
    )
    figure.tight_layout()
    return figure


__all__ = [
    "FIT_SIZES",
    "MAX_CONFIGS",
    "Axis",
    "SweepOptions",
    "configurations",
    "fit",
    "measure_config",
    "pareto_front",
    "parse_axis",
    "plot_sweep",
    "sweep",
    "sweep_figure",
]
