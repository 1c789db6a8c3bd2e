"""Whole corpora through compare and render: the worker factories, and the loop that ties the
record stream, the engine, the resumable output and the totals together.

`run_corpus` is the generic loop (`pixtok ocr` and `pixtok sweep` can use it with their own
worker factory and summary); `MeasureTask` measures a record as `pixtok compare` does;
`RenderTask` renders a record to PNG pages for WebDataset shards (`render_shards`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pixtok.compare import CompareOptions, Comparer, summarize
from pixtok.corpus.aggregate import Summarize, Totals
from pixtok.corpus.inputs import Record, reading_settings
from pixtok.corpus.parallel import Worker, WorkerFactory, run_records
from pixtok.corpus.runlog import RunLog, record_line
from pixtok.corpus.shards import Sample, ShardWriter, existing_shards, shard_index
from pixtok.encoders import Encoder, get_encoder, register_encoder
from pixtok.errors import FontError, InputError, UsageError
from pixtok.io import os_errors
from pixtok.output_files import png_bytes
from pixtok.render import Renderer, RenderResult
from pixtok.render.config import RenderConfig


class Progress(Protocol):
    """Told how many records finished (`resumed=True` for records a resumed run skipped)."""

    def __call__(self, n: int, *, resumed: bool = False) -> None: ...


#: Compare records name their text under this key.
COMPARE_ID_KEY = "input"


@dataclass(frozen=True)
class EngineOptions:
    """Where the work runs: `engine` serial/process/dask, `jobs` (default: all cores), `scheduler`."""

    engine: str | None = None
    jobs: int | None = None
    scheduler: Any = None

    def run(
        self, records: Iterable[Record], factory: WorkerFactory, *, id_key: str, keep: tuple[str, ...] = ()
    ) -> Iterator[dict[str, Any]]:
        """`pixtok.parallel.run_records` on this engine."""
        return run_records(
            records,
            factory,
            engine=self.engine,
            jobs=self.jobs,
            scheduler=self.scheduler,
            id_key=id_key,
            keep=keep,
        )


def check_glyphs(result: RenderResult) -> None:
    """Raise FontError when some characters have no glyph in any font (for --strict-glyphs)."""
    if result.missing_glyphs:
        chars = ", ".join(f"U+{ord(c):04X}" for c in sorted(result.missing)[:8])
        raise FontError(
            f"{result.missing_glyphs} characters have no glyph in any font ({chars}); add a font with --font"
        )


@dataclass(frozen=True)
class MeasureTask:
    """Worker factory for compare: each worker builds one Comparer and measures record texts.

    `encoders` carries the presets the options name, resolved where the run started: a spawned
    worker or a Dask worker knows only the built-ins and plugins, not presets loaded from
    definition files, so they travel with the task and are registered in the worker.
    """

    options: CompareOptions
    strict_glyphs: bool = False
    encoders: tuple[Encoder, ...] = ()

    def __call__(self) -> Worker:
        for encoder in self.encoders:
            register_encoder(encoder)  # an equal preset already known is left as it is
        comparer = Comparer(self.options)
        strict = self.strict_glyphs

        def measure(record: Record) -> dict[str, Any]:
            result = comparer.render(record.text)
            if strict:
                check_glyphs(result)
            return comparer.measure(record.text, result=result)

        return measure


@dataclass(frozen=True)
class RenderTask:
    """Worker factory for shards: each worker keeps one Renderer; a record becomes PNG pages plus,
    per page, the text span it shows and its counts."""

    config: RenderConfig
    strict_glyphs: bool = False

    def __call__(self) -> Worker:
        renderer = Renderer(self.config)
        strict = self.strict_glyphs
        one_bit = self.config.color_mode == "1"

        def render_pages(record: Record) -> dict[str, Any]:
            result = renderer.render(record.text)
            if strict:
                check_glyphs(result)
            pages = []
            # counted once for all pages, and each page drawn, encoded and let go in turn
            count = result.page_count
            lines = np.bincount(result.line_page, minlength=count).tolist()
            glyphs = np.bincount(result.glyphs.page, minlength=count).tolist()
            for index, page in enumerate(result.iter_pages()):
                start, end = result.page_char_span(index)
                pages.append(
                    {
                        "png": png_bytes(page, one_bit),
                        "text": record.text[start:end],
                        "span": [start, end],
                        "width": int(page.shape[1]),
                        "height": int(page.shape[0]),
                        "lines": lines[index],
                        "glyphs": glyphs[index],
                    }
                )
            return {
                "pages": pages,
                "chars": result.chars,
                "missing_glyphs": result.missing_glyphs,
                "fields": dict(record.fields),
            }

        return render_pages


def signature(settings: Mapping[str, Any]) -> str:
    """A short fingerprint of the options that decide a run's records (to refuse a mixed resume)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


def run_corpus(
    records: Iterable[Record],
    worker_factory: WorkerFactory,
    *,
    summarize: Summarize,
    engine: EngineOptions | None = None,
    id_key: str = "id",
    group_by: str | None = None,
    output: str | Path | None = None,
    resume: bool = False,
    settings: Mapping[str, Any] | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    on_progress: Progress | None = None,
) -> Totals:
    """Run a worker over a corpus; return the totals (overall and per `group_by` value).

    With `output`, records go to that JSON Lines file through a `RunLog` (atomic at the end,
    resumable with `resume=True`); otherwise each is passed to `on_record` as it arrives. On any
    interruption the journal keeps what was done. `on_progress(n)` is called as records finish,
    and first `on_progress(k, resumed=True)` for the k records a resumed run skips. `settings`
    (the options that shape a record) guard resumes.
    """
    if resume and output is None:
        raise UsageError("--resume needs --output FILE")
    if group_by == "":
        raise UsageError("--group-by needs a column name")
    engine = engine or EngineOptions()
    totals = Totals(summarize, group_by, id_key=id_key)
    log = None
    if output is not None:
        fingerprint = signature({**(settings or {}), "group_by": group_by, **reading_settings(records)})
        log = RunLog(output, resume=resume, id_key=id_key, signature=fingerprint, verify=True)
    with log or contextlib.nullcontext():
        if log is not None:
            records = log.skip_done(records, on_done=totals.add)
            if on_progress is not None and log.resumed:
                on_progress(log.resumed, resumed=True)
        keep = (group_by,) if group_by else ()
        for result in engine.run(records, worker_factory, id_key=id_key, keep=keep):
            if log is not None:
                log.append(result)
            elif on_record is not None:
                on_record(result)
            totals.add(result)
            if on_progress is not None:
                on_progress(1)
        if not totals.records:
            raise InputError(NOTHING_TO_MEASURE)
        if log is not None:
            log.commit()
    return totals


#: What a run over inputs that hold no records says (an empty folder, an empty JSON Lines file).
NOTHING_TO_MEASURE = "nothing to measure: the inputs hold no records (no text files, no rows)"


def measure_corpus(
    records: Iterable[Record],
    options: CompareOptions,
    *,
    strict_glyphs: bool = False,
    **kwargs: Any,
) -> Totals:
    """`pixtok compare` over a corpus: `run_corpus` with `MeasureTask` and compare's summary."""
    settings = {"compare": options.record_settings(), "strict_glyphs": strict_glyphs}
    encoders = tuple(get_encoder(name) for name in options.encoders)
    return run_corpus(
        records,
        MeasureTask(options, strict_glyphs, encoders),
        summarize=summarize,
        id_key=COMPARE_ID_KEY,
        settings=settings,
        **kwargs,
    )


# -- WebDataset shards ---------------------------------------------------------------------------

MANIFEST = "records.jsonl"


@dataclass
class ShardRun:
    """What a shard run wrote: shard and sample counts, and the record totals."""

    folder: Path
    shards: int = 0
    samples: int = 0
    totals: Totals = field(default_factory=lambda: Totals(_count_summary, id_key="id"))


def _count_summary(records: Iterable[Mapping[str, Any]], name: str) -> dict[str, Any]:
    """Totals of manifest entries: records, pages and characters (entries fold like records)."""
    entries = list(records)
    return {
        "input": name,
        "inputs": len(entries),
        "pages": sum(int(e.get("pages", 0)) for e in entries),
        "chars": sum(int(e.get("chars", 0)) for e in entries),
    }


def sample_key(record_index: int, page: int) -> str:
    """The WebDataset key of one page: record position and 1-based page, no dots, so that its
    files are named as every page file is, `NAME-0001.png` (here NAME is the record position)."""
    return f"{record_index:09d}-{page:04d}"


def render_shards(
    records: Iterable[Record],
    config: RenderConfig,
    folder: str | Path,
    *,
    shard_size: int,
    strict_glyphs: bool = False,
    engine: EngineOptions | None = None,
    resume: bool = False,
    on_progress: Progress | None = None,
) -> ShardRun:
    """Render every record into WebDataset shards in `folder`, one sample per page.

    Each sample holds `KEY.png` and `KEY.json` (record id and position, page, text span and the
    text it shows, counts, render config, the record's fields). `folder/records.jsonl` lists every
    record — its shard and pages, or its error — and, like compare's output, is written through a
    journal: its entries are saved only once their shard is complete, so `resume=True` restarts
    after the last complete shard and ends with the same shards and manifest as a clean run.
    """
    folder = Path(folder)
    engine = engine or EngineOptions()
    if shard_size < 1:
        raise UsageError(f"--shard-size must be at least 1, got {shard_size}")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--shards {folder}: not a folder")
    if not resume and (existing_shards(folder) or (folder / MANIFEST).exists()):
        raise UsageError(f"--shards {folder} already holds shards; use --resume, or an empty folder")
    created = not folder.exists()
    with os_errors(str(folder), "write"):
        folder.mkdir(parents=True, exist_ok=True)
    try:
        return _write_shards(records, config, folder, shard_size, strict_glyphs, engine, resume, on_progress)
    except BaseException:
        if created:  # a run that wrote nothing (no records, a bad option) leaves no folder behind
            _remove_if_empty(folder)
        raise


def _write_shards(
    records: Iterable[Record],
    config: RenderConfig,
    folder: Path,
    shard_size: int,
    strict_glyphs: bool,
    engine: EngineOptions,
    resume: bool,
    on_progress: Progress | None,
) -> ShardRun:
    """`render_shards` into a folder that exists."""
    run = ShardRun(folder)
    config_dict = config.to_dict()
    log = RunLog(
        folder / MANIFEST,
        resume=resume,
        id_key="id",
        signature=signature(
            {
                "render": config_dict,
                "strict": strict_glyphs,
                "shard_size": shard_size,
                **reading_settings(records),
            }
        ),
    )
    last_shard = -1

    def saved(entry: dict[str, Any]) -> None:
        nonlocal last_shard
        run.totals.add(entry)
        if entry.get("shard"):
            last_shard = max(last_shard, shard_index(entry["shard"]) or 0)

    with log:
        remaining = log.skip_done(records, on_done=saved)
        results = engine.run(remaining, RenderTask(config, strict_glyphs), id_key="id")
        if on_progress is not None and log.resumed:
            on_progress(log.resumed, resumed=True)
        writer = ShardWriter(folder, shard_size, start_index=last_shard + 1)
        pending: list[dict[str, Any]] = []  # entries waiting for their shard to complete
        try:
            for position, result in enumerate(results, start=log.resumed):
                if "error" in result:
                    entry = {"id": result["id"], "error": result["error"]}
                else:
                    samples = _samples(result, position, config_dict)
                    shard = writer.add(samples)
                    entry = {
                        "id": result["id"],
                        "shard": shard,
                        "first_key": samples[0].key,
                        "pages": len(samples),
                        "chars": result["chars"],
                        "missing_glyphs": result["missing_glyphs"],
                    }
                    run.samples += len(samples)
                pending.append(entry)
                _save_completed(log, pending, writer, run)
                if on_progress is not None:
                    on_progress(1)
            writer.close()
            _save_completed(log, pending, writer, run, everything=True)
        except BaseException:
            writer.abort()
            raise
        if not run.totals.records:
            raise InputError(NOTHING_TO_MEASURE)
        log.commit()
    run.shards = len(existing_shards(folder))
    return run


def _remove_if_empty(folder: Path) -> None:
    """Remove `folder` if nothing is in it; a folder holding anything (a journal to resume, a
    complete shard) stays."""
    with contextlib.suppress(OSError):
        folder.rmdir()  # refused (ENOTEMPTY) unless the folder is empty


def _save_completed(
    log: RunLog, pending: list[dict[str, Any]], writer: ShardWriter, run: ShardRun, everything: bool = False
) -> None:
    """Journal the entries whose shards are complete: the prefix before the open shard's first."""
    cut = len(pending)
    if not everything:
        for index, entry in enumerate(pending):
            if entry.get("shard") == writer.current and writer.current not in writer.completed:
                cut = index
                break
    for entry in pending[:cut]:
        log.append(entry)
        run.totals.add(entry)
    if cut:
        log.sync()
    del pending[:cut]


def _samples(result: Mapping[str, Any], position: int, config: dict[str, Any]) -> list[Sample]:
    pages = result["pages"]
    samples = []
    for number, page in enumerate(pages, start=1):
        start, end = page["span"]
        meta = {
            "id": result["id"],
            "record": position,
            "page": number,
            "pages": len(pages),
            "text": page["text"],
            "span": [start, end],
            "counts": {
                "chars": end - start,
                "lines": page["lines"],
                "glyphs": page["glyphs"],
                "record_chars": result["chars"],
                "record_missing_glyphs": result["missing_glyphs"],
            },
            "width": page["width"],
            "height": page["height"],
            "fields": result["fields"],
            "config": config,
        }
        key = sample_key(position, number)
        samples.append(Sample(key, {"png": page["png"], "json": record_line(meta)[:-1]}))
    return samples
