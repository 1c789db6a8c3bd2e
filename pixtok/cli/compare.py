"""`pixtok compare`: text tokens against vision tokens, per input and in total."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from pixtok.cli import app
from pixtok.cli import corpus_options as corpus
from pixtok.cli import options as opt
from pixtok.cli.output import OutputFormat, choose_format, emit, flatten, stdout_errors
from pixtok.compare import (
    DEFAULT_ENCODERS,
    DEFAULT_PRESET,
    DEFAULT_TOKENIZERS,
    CompareOptions,
    OcrOptions,
    sample_text,
    split_names,
)
from pixtok.corpus.aggregate import Totals
from pixtok.corpus.batch import measure_corpus
from pixtok.corpus.inputs import Record
from pixtok.errors import InputError, UsageError
from pixtok.measure.vlm import ServerOptions, redact
from pixtok.render.config import RenderConfig

Encoders = Annotated[
    list[str] | None,
    typer.Option(
        "--encoder", "-e", help=f"Comma list of vision encoders (default: {','.join(DEFAULT_ENCODERS)})."
    ),
]
Patch = Annotated[int, typer.Option("--patch", help="Patch size for the raw patch counts.")]
Density = Annotated[
    bool,
    typer.Option("--density/--no-density", help="Add ink, entropy, PNG and text-information measures."),
]
Ocr = Annotated[
    bool,
    typer.Option(
        "--ocr", help="Read the pages back with OCR: cer, cer_nospace, wer.", rich_help_panel=opt.OCR
    ),
]


@app.command("compare")
@opt.render_options(default_preset=DEFAULT_PRESET)
@opt.ocr_server_options()
def compare_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Text files, folders, globs, JSON Lines or Parquet; '-' for stdin.", show_default=False
        ),
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
    errors: opt.Errors = "strict",
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
    output: corpus.RecordsOutput = None,
    resume: corpus.Resume = False,
    field: corpus.Field = None,
    id_field: corpus.IdField = None,
    group_by: corpus.GroupBy = None,
    jobs: corpus.Jobs = None,
    engine: corpus.Engine = None,
    scheduler: corpus.Scheduler = None,
    strict_glyphs: corpus.StrictGlyphs = False,
    quiet: corpus.Quiet = False,
    render_config: RenderConfig | None = None,
    ocr_server: ServerOptions | None = None,
) -> None:
    """Render each input, count its patches and vision tokens, and compare with text tokens.

    With no input, reads stdin when it is piped and otherwise measures a built-in sample.
    Inputs may be folders, globs, JSON Lines (--field) or Parquet; they are measured on all
    cores (--jobs, or --engine dask), and -o FILE writes the records, resumably (docs/corpus.md).
    Defaults: the glyph preset, tokenizers mistral-spm and cl100k, encoders deepseek-ocr-base,
    qwen2.5-vl and glm-4.1v. Compression is text tokens divided by vision tokens.
    """
    fmt = choose_format(json_, jsonl, csv_)
    if ocr_server is not None and not ocr:
        raise UsageError("--ocr-url reads the pages back: add --ocr")
    opt.load_encoder_files(encoder_files)
    options = CompareOptions(
        render=render_config,
        tokenizers=split_names(tokenizer, DEFAULT_TOKENIZERS),
        encoders=split_names(encoder, DEFAULT_ENCODERS),
        patch=patch,
        density=density,
        ocr=OcrOptions(ocr_engine, ocr_lang, max_pages, ocr_server) if ocr else None,
    )
    run = corpus.engine_options(engine, jobs, scheduler)
    if resume and output is None:
        raise UsageError("--resume needs --output FILE")
    reading = corpus.corpus_options(field, id_field, errors, (group_by,) if group_by else ())
    records = corpus.input_records(
        inputs, reading, read_default=lambda: opt.read_input_or_stdin(None, errors, sample=sample_text())
    )
    with corpus.progress_bar(inputs, quiet) as advance:
        settings = {
            "engine": run,
            "group_by": group_by,
            "strict_glyphs": strict_glyphs,
            "on_progress": advance,
        }
        if output is not None:
            totals = measure_corpus(records, options, output=output, resume=resume, **settings)
        else:
            totals = stream_records(records, options, fmt, settings)
    if output is not None:
        print_run_summary(totals, fmt, options, output)
    if totals.failed:
        raise InputError(totals.failure_summary())


def print_tables(
    records: list[dict[str, Any]],
    total: dict[str, Any] | None,
    groups: Iterable[dict[str, Any]] = (),
    more: int = 0,
) -> None:
    """Counts per input, then the compression of every tokenizer × encoder pair over all inputs.

    `more` counts records measured but not shown; `groups` are the --group-by totals.
    """
    rows = [count_row(r) for r in records]
    if more:
        rows.append({"input": f"… {more} more records (see them with --jsonl or -o FILE)"})
    if total is not None and len(records) + more > 1:
        rows.append(count_row(total))
    rows.extend(count_row(group) for group in groups)
    emit(rows, OutputFormat.table, title="counts (text tokens, vision tokens)", transpose=False)
    if total is None:
        return
    matrix = [
        {"tokenizer": tok, **{enc: ratio for enc, ratio in per_encoder.items()}}
        for tok, per_encoder in total["compression"].items()
    ]
    emit(matrix, OutputFormat.table, title="compression: text tokens ÷ vision tokens", transpose=False)
    if "density" in total:
        d = total["density"]
        keys = (
            "ink_coverage",
            "nonblank_patch_fraction",
            "mean_patch_entropy",
            "png_bits_per_pixel",
            "text_bits",
        )
        row = {key: d["total"][key] for key in keys}
        row.update(
            {
                f"bits/{name}": bits
                for name, bits in {**d["bits_per_token"], **d["bits_per_vision_token"]}.items()
            }
        )
        emit([row], OutputFormat.table, title="density (text bits per token)", transpose=True)


def describe_options(options: CompareOptions) -> dict[str, Any]:
    """The options a compare run used, for the JSON document."""
    return {
        "render": options.render.to_dict(),
        "tokenizers": list(options.tokenizers),
        "encoders": list(options.encoders),
        "patch": options.patch,
        "density": options.density,
        "ocr": None if options.ocr is None else describe_ocr(options.ocr),
    }


def describe_ocr(options: OcrOptions) -> dict[str, Any]:
    """How pages were read back: engine, language, pages, and the server's model and prompt
    (its URL without credentials; never the key)."""
    described = options.record_settings()
    if options.server is not None:
        described["server"] = {"url": redact(options.server.url), **described["server"]}
    return described


def count_row(record: dict[str, Any]) -> dict[str, Any]:
    """The counts that fit a terminal row (or the error of a failed record)."""
    name = str(record.get("input", ""))
    if "error" in record:
        return {"input": name.rsplit("/", 1)[-1], "error": record["error"]}
    row: dict[str, Any] = {
        "input": name.rsplit("/", 1)[-1],
        "chars": record["chars"],
        "pages": record["pages"],
    }
    row["patches"] = record["patches"]["nonblank"]
    row.update(record["tokens"])
    row.update({enc: v["tokens"] for enc, v in record["vision"].items()})
    return row


@stdout_errors()
def stream_records(
    records: Iterable[Record], options: CompareOptions, fmt: OutputFormat, settings: Mapping[str, Any]
) -> Totals:
    """Measure and print records as they come: JSON lines, a JSON document written record by
    record, CSV rows spooled to disk, or a table of the first rows; memory stays flat."""
    out = sys.stdout
    if fmt is OutputFormat.jsonl:

        def line(record: dict[str, Any]) -> None:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")

        return measure_corpus(records, options, on_record=line, **settings)
    if fmt is OutputFormat.json:
        document = corpus.JsonDocument(out, {}, "inputs")
        totals = measure_corpus(records, options, on_record=document.add, **settings)
        tail: dict[str, Any] = {"total": totals.total()}
        if settings.get("group_by"):
            tail["groups"] = totals.groups()
        document.close({**tail, "options": describe_options(options)})
        return totals
    if fmt is OutputFormat.csv:
        spool = corpus.CsvSpool()
        totals = measure_corpus(records, options, on_record=lambda r: spool.add(flatten(r)), **settings)
        total = totals.total()
        for row in ([total] if total is not None and totals.records > 1 else []) + totals.groups():
            spool.add(flatten(row))
        spool.write(out)
        return totals
    shown: list[dict[str, Any]] = []

    def keep(record: dict[str, Any]) -> None:
        if len(shown) < corpus.TABLE_ROWS:
            shown.append(record)

    totals = measure_corpus(records, options, on_record=keep, **settings)
    print_tables(shown, totals.total(), totals.groups(), more=totals.records - len(shown))
    return totals


def print_run_summary(totals: Totals, fmt: OutputFormat, options: CompareOptions, output: str | Path) -> None:
    """With -o FILE the records are in the file; stdout gets the totals (and groups)."""
    total, groups = totals.total(), totals.groups()
    if fmt is OutputFormat.table:
        print_tables([total] if total is not None else [], total, groups)
        print(f"{totals.records} records in {output} ({totals.failed} failed)")
    elif fmt is OutputFormat.json:
        document: dict[str, Any] = {
            "output": str(output),
            "records": totals.records,
            "failed": totals.failed,
            "total": total,
        }
        if groups:
            document["groups"] = groups
        emit([], fmt, document={**document, "options": describe_options(options)})
    else:
        emit(([total] if total is not None else []) + groups, fmt)
