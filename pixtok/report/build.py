"""Everything one report shows, assembled from compare records (and, where the text is at hand,
its rendered pages), ready for the template.

Two ways in: `report_texts` measures texts with `pixtok.compare` (and `pixtok.sweep` for
`--sweep`) and keeps each text's render for its pages; `report_records` takes the records of a
records file as they are (nothing is measured again) and renders a record's text only to show
its pages, when the text is found (`pixtok.report.sources`) and renders to the pages the record
counted. Every number shown comes from a record, a total computed by `pixtok.compare.summarize`
over records, or, per page, from the same encoders and tokenizers (and adds up to the record).
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pixtok.compare import CompareOptions, Comparer, summarize
from pixtok.corpus.aggregate import Totals
from pixtok.corpus.batch import COMPARE_ID_KEY, NOTHING_TO_MEASURE, EngineOptions, MeasureTask
from pixtok.corpus.inputs import Record
from pixtok.encoders import Encoder, get_encoder
from pixtok.errors import InputError, MissingDependencyError, PixtokError, UsageError
from pixtok.measure.legibility import error_spans
from pixtok.render import Renderer, RenderResult
from pixtok.render.config import RenderConfig
from pixtok.report import charts
from pixtok.report.pages import PageView, error_boxes, page_views
from pixtok.report.records import RecordsFile, ocr_pages, record_label
from pixtok.report.sources import locate_text
from pixtok.tokenizers import Tokenizer, get_tokenizer

#: Pages shown per input by default; later pages are summarised (their figures stay in the record).
PAGES_PER_INPUT = 4
#: Inputs that get a section of their own by default; the rest count in the totals and tables.
INPUTS_SHOWN = 100
#: Rows of each "worst records" table.
WORST = 10
#: Keys of a record shown as figures (with everything nested under them).
FIGURE_KEYS = (
    "chars", "bytes", "pages", "width", "height", "font_size_px", "tokens", "vision", "compression",
    "patches", "missing_glyphs", "chars_per_token", "chars_per_vision_token",
)  # fmt: skip
_OCR_KEYS = ("cer", "cer_nospace", "wer", "chars", "char_errors", "pages_read")
_DENSITY_KEYS = (
    "ink_coverage",
    "nonblank_patch_fraction",
    "mean_patch_entropy",
    "png_bits_per_pixel",
    "text_bits",
)


@dataclass(frozen=True)
class ReportOptions:
    """What a report measures (compare's options, a sweep's axes) and how much it shows."""

    compare: CompareOptions = field(default_factory=CompareOptions)
    sweep_axes: tuple[Any, ...] = ()
    group_by: str | None = None
    pages_per_input: int = PAGES_PER_INPUT
    inputs_shown: int = INPUTS_SHOWN
    worst: int = WORST
    text_roots: tuple[str, ...] = (".",)
    field: str = "text"
    run: EngineOptions = dataclasses.field(default_factory=lambda: EngineOptions(engine="serial"))
    """Where the records past the shown ones are measured (compare's engines: serial, process on
    all cores, Dask); the shown ones are measured in this process, which keeps their renders
    and draws the pages it shows again for the pictures."""

    def __post_init__(self) -> None:
        for name in ("pages_per_input", "inputs_shown", "worst"):
            if getattr(self, name) < 0:
                raise UsageError(f"--{name.replace('_', '-')} must be 0 or more, not {getattr(self, name)}")


@dataclass
class Figure:
    """One number of a record, as the page shows it: dotted key, value, and display text."""

    key: str
    value: Any
    shown: str


@dataclass
class Segment:
    """A run of page text: plain, or an OCR error (`kind`) with what was read."""

    text: str
    kind: str = ""
    read: str = ""


@dataclass
class InputView:
    """One record's section: its figures, pages, text coloured by token, and OCR alignment."""

    anchor: str
    label: str
    record: dict[str, Any]
    figures: list[Figure]
    pages: list[PageView] = field(default_factory=list)
    pages_total: int = 0
    note: str = ""
    token_text: dict[str, list[list[str]]] = field(default_factory=dict)
    ocr_text: list[list[Segment] | None] = field(default_factory=list)


@dataclass
class SweepView:
    """One sweep: its chart, and a row per setting."""

    label: str
    chart: str
    metric: str | None
    pair: str
    rows: list[dict[str, Any]]


@dataclass
class Report:
    """Everything the template needs."""

    title: str
    source: str
    options: dict[str, Any]
    tokenizers: list[str]
    encoders: list[str]
    inputs: list[InputView]
    records: int
    failed: list[dict[str, Any]]
    total: dict[str, Any] | None
    total_figures: list[Figure]
    groups: list[dict[str, Any]]
    worst: list[tuple[str, list[dict[str, Any]]]]
    charts: dict[str, str]
    sweeps: list[SweepView]
    ocr: bool
    density: bool
    hidden_inputs: int = 0


def show(value: Any) -> str:
    """A number as the page prints it (the exact value stays in the element's data-value)."""
    if isinstance(value, bool) or value is None:
        return "–" if value is None else str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return str(value)


def figures(record: Mapping[str, Any], keys: Sequence[str] = FIGURE_KEYS) -> list[Figure]:
    """The record's scalar figures under `keys`, flattened to dotted keys (`vision.glm-4.1v.tokens`),
    with OCR and density summaries when the record has them."""
    out: list[Figure] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}.{key}", item)
        elif isinstance(value, (int, float)) or value is None:
            out.append(Figure(prefix, value, show(value)))

    for key in keys:
        if key in record:
            walk(key, record[key])
    if isinstance(record.get("ocr"), Mapping):
        for key in _OCR_KEYS:
            if key in record["ocr"]:
                walk(f"ocr.{key}", record["ocr"][key])
    density = record.get("density")
    if isinstance(density, Mapping) and isinstance(density.get("total"), Mapping):
        for key in _DENSITY_KEYS:
            if key in density["total"]:
                walk(f"density.total.{key}", density["total"][key])
    return out


def _token_texts(text: str, starts: Any, ends: Any, start: int, end: int) -> list[str]:
    """The text of [start, end) cut at token boundaries (`starts`/`ends`: the tokens' offsets, as
    arrays), one string per token that shows some of it."""
    first = max(int(starts.searchsorted(start, side="right")) - 1, 0)
    last = int(starts.searchsorted(end, side="left"))
    pieces = []
    for s, e in zip(starts[first:last].tolist(), ends[first:last].tolist(), strict=True):
        a, b = max(s, start), min(e, end)
        if b > a:
            pieces.append(text[a:b])
    return pieces


def _ocr_segments(text: str, start: int, end: int, errors: Sequence[Mapping[str, Any]]) -> list[Segment]:
    """The page's text with each OCR error marked (errors' offsets are relative to `start`)."""
    segments: list[Segment] = []
    position = start
    for error in errors:
        a, b = start + int(error["start"]), start + int(error["end"])
        if a > position:
            segments.append(Segment(text[position:a]))
        segments.append(Segment(text[a:b], kind=error["kind"], read=error["read"]))
        position = max(position, b)
    if end > position:
        segments.append(Segment(text[position:end]))
    return segments


def _loaded(cache: dict[str, Any], name: str, load: Callable[[str], Any]) -> Any:
    """`load(name)` once per name; None (remembered) when it fails with a pixtok error."""
    if name not in cache:
        try:
            cache[name] = load(name)
        except PixtokError:
            cache[name] = None
    return cache[name]


class _Assembler:
    """Builds input sections, keeping encoders, tokenizers and renderers loaded."""

    def __init__(self, options: ReportOptions) -> None:
        self.options = options
        self._encoders: dict[str, Encoder | None] = {}
        self._tokenizers: dict[str, Tokenizer | None] = {}
        self._renderers: dict[RenderConfig, Renderer] = {}

    def encoder(self, name: str) -> Encoder | None:
        """The encoder called `name`, or None when it is not registered here (a plugin's)."""
        return _loaded(self._encoders, name, get_encoder)

    def tokenizer(self, name: str) -> Tokenizer | None:
        """The tokenizer called `name`, or None when it cannot be loaded here."""
        return _loaded(self._tokenizers, name, get_tokenizer)

    def renderer(self, config: RenderConfig) -> Renderer:
        if config not in self._renderers:
            self._renderers[config] = Renderer(config)
        return self._renderers[config]

    def section(
        self,
        number: int,
        record: dict[str, Any],
        text: str | None,
        result: RenderResult | None,
        note: str = "",
    ) -> InputView:
        view = InputView(
            anchor=f"input-{number}",
            label=record_label(record),
            record=record,
            figures=figures(record),
            pages_total=int(record.get("pages", 0) or 0),
            note=note,
        )
        if text is None or result is None:
            return view
        encoders = {n: e for n in record.get("vision", {}) if (e := self.encoder(n)) is not None}
        spans: dict[str, list[tuple[int, int]]] = {}
        for name, count in record.get("tokens", {}).items():
            tokenizer = self.tokenizer(name)
            if tokenizer is not None:
                found = tokenizer.spans(text)
                if len(found) == count:  # the same tokenizer as the run's, or no colouring
                    spans[name] = found
        view.pages = page_views(result, encoders, spans, self.options.pages_per_input)
        token_arrays = {
            name: np.asarray(found, dtype=np.int64).reshape(-1, 2).T for name, found in spans.items()
        }
        for page in view.pages:
            start, end = page.span
            for name, (starts, ends) in token_arrays.items():
                view.token_text.setdefault(name, []).append(_token_texts(text, starts, ends, start, end))
        read_pages = ocr_pages(record)
        for page in view.pages:
            read = read_pages.get(page.number)
            page.ocr = read
            if read is None or "text" not in read:
                view.ocr_text.append(None)
                continue
            start, end = page.span
            errors = error_spans(text[start:end], read["text"])
            view.ocr_text.append(_ocr_segments(text, start, end, errors))
            shifted = [{**e, "start": e["start"] + start, "end": e["end"] + start} for e in errors]
            page.ocr_boxes = error_boxes(result, page.number - 1, shifted)
        return view


class _Collector:
    """Record rows, totals, groups and the worst records, gathered as records stream by."""

    def __init__(self, options: ReportOptions, tokenizer: str | None, encoder: str | None) -> None:
        self.options = options
        self.totals = Totals(summarize, options.group_by)
        self.pair = (tokenizer, encoder)
        self.failed: list[dict[str, Any]] = []
        self._cheapest: list[tuple[float, int, dict[str, Any]]] = []
        self._misread: list[tuple[float, int, dict[str, Any]]] = []

    def add(self, number: int, record: dict[str, Any], shown: bool) -> None:
        self.totals.add(record)
        if "error" in record:
            self.failed.append({"input": record_label(record), "error": record["error"]})
            return
        tokenizer, encoder = self.pair
        row = {
            "input": record_label(record),
            "anchor": f"input-{number}" if shown else "",
            "compression": record.get("compression", {}).get(tokenizer, {}).get(encoder),
            "cer": (record.get("ocr") or {}).get("cer"),
        }
        if row["compression"] is not None:
            # Lowest compression first: the texts whose pixels cost most against their tokens.
            self._keep(self._cheapest, -row["compression"], number, row)
        if row["cer"] is not None:
            self._keep(self._misread, row["cer"], number, row)

    def _keep(self, heap: list[Any], key: float, number: int, row: dict[str, Any]) -> None:
        """Keep `row` in `heap` if it is among the `worst` highest keys so far (`--worst 0`: no
        tables, so nothing is kept)."""
        if self.options.worst == 0:
            return
        item = (key, -number, row)
        if len(heap) < self.options.worst:
            heapq.heappush(heap, item)
        elif item > heap[0]:
            heapq.heapreplace(heap, item)

    def worst(self) -> list[tuple[str, list[dict[str, Any]]]]:
        tokenizer, encoder = self.pair
        tables = []
        if self._cheapest:
            rows = [row for _, _, row in sorted(self._cheapest, reverse=True)]
            tables.append((f"lowest compression ({tokenizer} tokens ÷ {encoder} vision tokens)", rows))
        if self._misread:
            rows = [row for _, _, row in sorted(self._misread, reverse=True)]
            tables.append(("highest OCR character error rate", rows))
        return tables


def _charts(total: Mapping[str, Any] | None) -> dict[str, str]:
    if total is None:
        return {}
    out = {}
    vision = {name: v["tokens"] for name, v in total["vision"].items()}
    if total["tokens"] or vision:
        out["tokens"] = charts.bar_chart(
            "tokens",
            "Tokens for all inputs (text: plain, vision: hatched)",
            [("text", total["tokens"]), ("vision", vision)],
            "tokens",
        )
    if total["tokens"] and vision:
        out["compression"] = charts.heat_map(
            "compression",
            "Compression: text tokens ÷ vision tokens",
            total["compression"],
            "text tokens ÷ vision tokens",
        )
    return out


def _sweep_view(label: str, sweep: Mapping[str, Any], number: int) -> SweepView:
    primary = sweep["primary"]
    metric = primary.get("metric", "cer") if sweep.get("ocr") else None
    pair = f"{primary['tokenizer']} ÷ {primary['encoder']}"
    rows = []
    for record in sweep["records"]:
        row: dict[str, Any] = {"label": record_label(record), "config": record.get("config", {})}
        if "error" in record:
            row["error"] = record["error"]
        else:
            row.update(
                compression=record.get("compression_primary"),
                vision=record["vision"][primary["encoder"]]["tokens"],
                tokens=record["tokens"][primary["tokenizer"]],
                pages=record["pages"],
                error=None,
                pareto=record.get("pareto", False),
            )
            row["error"] = (record.get("ocr") or {}).get(metric) if metric else None
        rows.append(row)
    points = [r for r in rows if isinstance(r.get("compression"), (int, float))]
    chart = charts.sweep_chart(f"sweep{number}", f"Sweep of {label}", points, metric, pair)
    return SweepView(label, chart, metric, pair, rows)


def _finish(
    title: str,
    source: str,
    options: dict[str, Any],
    collector: _Collector,
    inputs: list[InputView],
    sweeps: list[SweepView],
    total: dict[str, Any] | None = None,
    groups: list[dict[str, Any]] | None = None,
) -> Report:
    totals = collector.totals
    total = total if total is not None else totals.total()
    tokenizers = list(total["tokens"]) if total else []
    encoders = list(total["vision"]) if total else []
    return Report(
        title=title,
        source=source,
        options=options,
        tokenizers=tokenizers,
        encoders=encoders,
        inputs=inputs,
        records=totals.records,
        failed=collector.failed,
        total=total,
        total_figures=figures(total) if total else [],
        groups=groups if groups is not None else totals.groups(),
        worst=collector.worst(),
        charts=_charts(total),
        sweeps=sweeps,
        ocr=bool(total and "ocr" in total),
        density=bool(total and "density" in total),
        hidden_inputs=max(0, totals.records - len(inputs)),
    )


def report_texts(records: Iterable[Record], options: ReportOptions, source: str = "") -> Report:
    """Measure each text as `pixtok compare` does (the same records), and assemble the report."""
    compare = options.compare
    if compare.ocr is not None and not compare.ocr.keep_text:
        compare = dataclasses.replace(compare, ocr=dataclasses.replace(compare.ocr, keep_text=True))
    comparer = Comparer(compare)
    assembler = _Assembler(options)
    first = (compare.tokenizers[:1] or (None,))[0], (compare.encoders[:1] or (None,))[0]
    collector = _Collector(options, *first)
    inputs: list[InputView] = []
    sweeps: list[SweepView] = []
    keep = (options.group_by,) if options.group_by else ()
    stream = iter(records)
    number = 0
    for item in stream:
        number += 1
        record: dict[str, Any] = {"input": item.id, **{k: item.fields.get(k) for k in keep}}
        result = None
        if item.error is not None:
            record["error"] = item.error
        else:
            try:
                result = comparer.render(item.text)
                record.update(comparer.measure(item.text, result=result))
            except MissingDependencyError:
                raise
            except PixtokError as exc:
                record["error"] = str(exc)
        shown = len(inputs) < options.inputs_shown and "error" not in record
        collector.add(number, record, shown)
        if shown:
            inputs.append(assembler.section(number, record, item.text, result))
            if options.sweep_axes:
                sweeps.append(_run_sweep(item.text, record_label(record), options, len(sweeps) + 1))
        if len(inputs) >= options.inputs_shown:
            break
    # The rest only adds figures: measured as compare measures a corpus, on its engine.
    task = MeasureTask(compare, encoders=tuple(get_encoder(name) for name in compare.encoders))
    for record in options.run.run(stream, task, id_key=COMPARE_ID_KEY, keep=keep):
        number += 1
        collector.add(number, record, False)
    if not number:  # an empty folder, JSON Lines file or table: refused as compare refuses it
        raise InputError(NOTHING_TO_MEASURE)
    described = {
        "render": compare.render.to_dict(),
        "tokenizers": list(compare.tokenizers),
        "encoders": list(compare.encoders),
        "patch": compare.patch,
        "density": compare.density,
        "ocr": compare.ocr is not None,
    }
    return _finish("pixtok report", source, described, collector, inputs, sweeps)


def _run_sweep(text: str, label: str, options: ReportOptions, number: int) -> SweepView:
    from pixtok.sweep import SweepOptions, sweep

    ocr = options.compare.ocr
    settings = SweepOptions(
        compare=dataclasses.replace(options.compare, ocr=None, density=False),
        axes=tuple(options.sweep_axes),
        ocr=ocr is not None,
        engine=ocr.engine if ocr else "auto",
        lang=ocr.lang if ocr else None,
        max_pages=(ocr.max_pages if ocr and ocr.max_pages else 1),
        server=ocr.server if ocr else None,
    )
    return _sweep_view(label, sweep(text, settings), number)


def report_records(file: RecordsFile, options: ReportOptions, render: RenderConfig) -> Report:
    """Assemble a report from a records file without measuring anything again.

    Pages are shown for a record whose text is found and renders, with the run's options (those
    of a `--json` document, else `render`), to the pages the record counted; every other record
    says why it shows only numbers.
    """
    if file.options.get("render"):
        try:
            render = RenderConfig.from_dict(file.options["render"])
        except UsageError as exc:  # the file's options are data: a bad one is the file's fault
            raise InputError(f"{file.path}: options.render: {exc}") from None
    assembler = _Assembler(options)
    ok = [r for r in file.records if "error" not in r]
    first_tokens = list(ok[0]["tokens"]) if ok else []
    first_vision = list(ok[0]["vision"]) if ok else []
    collector = _Collector(options, (first_tokens or [None])[0], (first_vision or [None])[0])
    inputs: list[InputView] = []
    sweeps: list[SweepView] = []
    if file.sweep is not None:
        sweeps.append(_sweep_view(file.path, {**file.sweep, "records": file.records}, 1))
        for number, record in enumerate(file.records, 1):
            collector.add(number, record, False)
        return _finish(
            "pixtok report", file.path, file.options, collector, [], sweeps, file.total, file.groups
        )
    roots = (*options.text_roots, str(_folder(file.path)))
    for number, record in enumerate(file.records, 1):
        shown = len(inputs) < options.inputs_shown and "error" not in record
        collector.add(number, record, shown)
        if not shown:
            continue
        located = locate_text(record, roots, options.field)
        text, result, note = located.text, None, located.reason
        if text is not None:
            try:
                result = assembler.renderer(render).render(text)
            except PixtokError as exc:
                text, note = None, f"its text does not render with these options ({exc})"
        if result is not None and not _same_pages(result, record):
            note = (
                f"rendered with these options it fills {result.page_count} page(s) of "
                f"{result.page_sizes[0][0]}×{result.page_sizes[0][1]} px where the record counted "
                f"{record.get('pages')} of {record.get('width')}×{record.get('height')}: "
                "give the run's render flags"
            )
            text, result = None, None
        inputs.append(assembler.section(number, record, text, result, note))
    groups = file.groups or None
    return _finish("pixtok report", file.path, file.options, collector, inputs, sweeps, file.total, groups)


def _folder(path: str) -> Any:
    from pathlib import Path

    return Path(path).resolve().parent


def _same_pages(result: RenderResult, record: Mapping[str, Any]) -> bool:
    return (
        result.page_count == record.get("pages")
        and int(result.page_sizes[0][0]) == record.get("width")
        and int(result.page_sizes[0][1]) == record.get("height")
    )
