"""`pixtok report`: one self-contained HTML page of what the pixels cost and what survived."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pixtok.cli import app
from pixtok.cli import corpus_options as corpus
from pixtok.cli import options as opt
from pixtok.cli.compare import Density, Encoders, Ocr, Patch, compare_options
from pixtok.cli.output import is_stdout
from pixtok.compare import (
    OcrOptions,
    sample_text,
)
from pixtok.errors import InputError, UsageError
from pixtok.io import deferred_outputs
from pixtok.measure.vlm import ServerOptions
from pixtok.render.config import RenderConfig
from pixtok.report.build import INPUTS_SHOWN, PAGES_PER_INPUT, WORST

REPORT = "Report options"


@app.command("report")
@opt.render_options
@opt.ocr_server_options()
def report_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT|TEXT|-",
            help="Texts (files, folders, globs, JSON Lines, Parquet, '-', literal text) to measure, or "
            "one records file written by compare (--jsonl, --json, -o) or sweep --json.",
            show_default=False,
        ),
    ] = None,
    text: opt.Texts = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The HTML file to write ('-': stdout).", show_default=False),
    ] = None,
    tokenizer: opt.Tokenizers = None,
    encoder: Encoders = None,
    encoder_files: opt.EncoderFiles = None,
    patch: Patch = 16,
    density: Density = True,
    ocr: Ocr = False,
    ocr_engine: opt.OcrEngine = "auto",
    ocr_lang: opt.OcrLang = None,
    max_pages: opt.OcrMaxPages = None,
    sweep: Annotated[
        list[str] | None,
        typer.Option(
            "--sweep",
            "--vary",
            help="Also sweep a render option over values for each input (size=8,10,12 or size=8:16:2); "
            "repeat for a grid. With --ocr: compression against CER.",
            rich_help_panel=REPORT,
        ),
    ] = None,
    texts: Annotated[
        list[Path] | None,
        typer.Option(
            "--texts",
            help="Folder where a records file's texts are looked up first (then the current folder, "
            "then the records file's folder).",
            rich_help_panel=REPORT,
        ),
    ] = None,
    pages_per_input: Annotated[
        int, typer.Option("--pages-per-input", help="Pages shown per input.", rich_help_panel=REPORT)
    ] = PAGES_PER_INPUT,
    inputs_shown: Annotated[
        int,
        typer.Option("--inputs-shown", help="Inputs that get a section with pages.", rich_help_panel=REPORT),
    ] = INPUTS_SHOWN,
    worst: Annotated[
        int, typer.Option("--worst", help="Rows of each worst-records table.", rich_help_panel=REPORT)
    ] = WORST,
    errors: opt.Errors = "strict",
    field: corpus.Field = None,
    id_field: corpus.IdField = None,
    group_by: corpus.GroupBy = None,
    jobs: corpus.Jobs = None,
    engine: corpus.Engine = None,
    scheduler: corpus.Scheduler = None,
    render_config: RenderConfig | None = None,
    ocr_server: ServerOptions | None = None,
) -> None:
    """Write one HTML page that shows what the pixels cost and what survived, offline.

    Per input: its pages with any encoder's patch grid laid over them, its text coloured by
    token, its counts; over all inputs: tokens per tokenizer and encoder, compression as a heat
    map, density, OCR errors marked (--ocr), sweeps (--sweep), group totals (--group-by) and the
    worst records. Given a records file (compare --jsonl/--json/-o, sweep --json), the report is
    made from its records without measuring again (docs/report.md). Records past the shown
    ones are measured on all cores (--jobs, or --engine dask), as compare measures a corpus.
    """
    from pixtok.report import ReportOptions, is_records_file, read_records_file, report_records, report_texts
    from pixtok.report.html import write_report

    if output is None:
        raise UsageError("name the HTML file to write: -o report.html")
    options = ReportOptions(
        compare=compare_options(
            render_config,
            tokenizer,
            encoder,
            encoder_files,
            patch,
            density,
            OcrOptions(ocr_engine, ocr_lang, max_pages, ocr_server, keep_text=True) if ocr else None,
            ocr_server,
        ),
        sweep_axes=_axes(sweep),
        group_by=group_by,
        pages_per_input=pages_per_input,
        inputs_shown=inputs_shown,
        worst=worst,
        text_roots=(*(str(t) for t in texts or ()), "."),
        field=field or "text",
        run=corpus.engine_options(engine, jobs, scheduler),
    )
    records_files = [name for name in inputs or () if is_records_file(name, options.field)]
    if records_files:
        if len(records_files) != len(inputs or ()) or len(records_files) > 1 or text:
            raise UsageError("give either texts to measure or one records file, not both or several")
        measuring = {
            "--sweep": sweep,
            "--ocr": ocr,
            "--ocr-url": ocr_server,
            "--tokenizer": tokenizer,
            "--encoder": encoder,
        }
        given = [flag for flag, value in measuring.items() if value]
        if given:
            raise UsageError(
                f"{records_files[0]} is a records file, reported as it was measured: "
                f"{', '.join(given)} would need measuring again (give the texts instead)"
            )
        assert render_config is not None
        report = report_records(read_records_file(records_files[0]), options, render_config)
    else:
        reading = corpus.corpus_options(field, id_field, errors, (group_by,) if group_by else ())
        skipped = corpus.SkipCounter()
        records = corpus.input_records(
            opt.input_arguments(inputs, text),
            reading,
            read_default=lambda: opt.read_input_or_stdin(None, errors, sample=sample_text()),
            on_skip=skipped,
        )
        report = report_texts(records, options, source=", ".join([*(inputs or ()), *(text or ())]))
        skipped.report()
    with deferred_outputs():  # the page is put in place once the line about it is shown
        size = write_report(report, output)
        if sys.stdout.isatty() and not is_stdout(output):
            shown = sum(len(i.pages) for i in report.inputs)
            print(f"{output}: {report.records} records, {shown} pages shown, {size / 1e6:.1f} MB")
            sys.stdout.flush()
    if report.failed:
        first = report.failed[0]
        raise InputError(
            f"{len(report.failed)} of {report.records} records failed (first: {first['input']}: "
            f"{first['error']}); the report lists them"
        )


def _axes(specs: list[str] | None) -> tuple[object, ...]:
    if not specs:
        return ()
    from pixtok.sweep import parse_axis

    return tuple(parse_axis(spec) for spec in specs)
