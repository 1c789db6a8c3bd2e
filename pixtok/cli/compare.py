"""`pixtok compare`: text tokens against vision tokens, per input and in total."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from pixtok.cli import app
from pixtok.cli import corpus_options as corpus
from pixtok.cli import options as opt
from pixtok.cli.output import OutputFormat, choose_format, flatten, is_stdout, print_table, stdout_errors
from pixtok.compare import (
    DEFAULT_ENCODERS,
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
from pixtok.io import atomic_writer
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


def compare_options(
    render: RenderConfig | None,
    tokenizer: list[str] | None,
    encoder: list[str] | None,
    encoder_files: list[Path] | None,
    patch: int,
    density: bool,
    ocr: OcrOptions | None,
    ocr_server: ServerOptions | None,
) -> CompareOptions:
    """What compare's measuring flags ask for (`report` takes the same flags): definition files
    loaded, so that the encoders they define can be named."""
    if ocr_server is not None and ocr is None:
        raise UsageError("--ocr-url reads the pages back: add --ocr")
    opt.load_encoder_files(encoder_files)
    return CompareOptions(
        render=render,
        tokenizers=split_names(tokenizer, DEFAULT_TOKENIZERS),
        encoders=split_names(encoder, DEFAULT_ENCODERS),
        patch=patch,
        density=density,
        ocr=ocr,
    )


@app.command("compare")
@opt.render_options
@opt.ocr_server_options()
def compare_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT|TEXT|-",
            help="Text files, folders, globs, JSON Lines or Parquet; '-' for stdin; literal text.",
            show_default=False,
        ),
    ] = None,
    text: opt.Texts = None,
    tokenizer: opt.Tokenizers = None,
    encoder: Encoders = None,
    encoder_files: opt.EncoderFiles = None,
    patch: Patch = 16,
    density: Density = True,
    ocr: Ocr = False,
    ocr_engine: opt.OcrEngine = "auto",
    ocr_lang: opt.OcrLang = None,
    max_pages: opt.OcrMaxPages = None,
    keep_ocr_text: Annotated[
        bool,
        typer.Option(
            "--keep-ocr-text",
            help="With --ocr: keep what the OCR read of each page in the record (ocr.pages[i].text), "
            "so that pixtok report can mark the errors.",
            rich_help_panel=opt.OCR,
        ),
    ] = False,
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
    Inputs may be files, folders, globs, JSON Lines (--field), Parquet, or literal text; they are
    measured on all cores (--jobs, or --engine dask), and -o FILE writes the records, resumably
    for JSON Lines (docs/corpus.md). Defaults: the glyph set-up, tokenizers mistral-spm and
    cl100k, encoders deepseek-ocr-base, qwen2.5-vl and glm-4.1v. Compression is text tokens
    divided by vision tokens.
    """
    fmt = choose_format(json_, jsonl, csv_, output)
    if keep_ocr_text and not ocr:
        raise UsageError("--keep-ocr-text keeps what the OCR read: add --ocr")
    options = compare_options(
        render_config, tokenizer, encoder, encoder_files, patch, density,
        OcrOptions(ocr_engine, ocr_lang, max_pages, ocr_server, keep_ocr_text) if ocr else None,
        ocr_server,
    )  # fmt: skip
    run = corpus.engine_options(engine, jobs, scheduler)
    if is_stdout(output):
        if resume:
            raise UsageError("--resume continues a file: -o - writes to standard output, so name a file")
        output = None  # the records are printed as -o FILE would write them (fmt: the flag, else JSON Lines)
    if resume and output is None:
        raise UsageError("--resume needs --output FILE")
    if resume and fmt is not OutputFormat.jsonl:
        raise UsageError("--resume continues JSON Lines files: write -o FILE.jsonl")
    reading = corpus.corpus_options(field, id_field, errors, (group_by,) if group_by else ())
    given = opt.input_arguments(inputs, text)
    skipped = corpus.SkipCounter()
    records = corpus.input_records(
        given,
        reading,
        read_default=lambda: opt.read_input_or_stdin(None, errors, sample=sample_text()),
        on_skip=skipped,
    )
    with corpus.progress_bar(given, quiet) as advance:
        settings = {
            "engine": run,
            "group_by": group_by,
            "strict_glyphs": strict_glyphs,
            "on_progress": advance,
        }
        if output is not None and fmt is OutputFormat.jsonl:
            totals = measure_corpus(records, options, output=output, resume=resume, **settings)
        elif output is not None:
            with atomic_writer(output) as stream:
                text_out = io.TextIOWrapper(stream, encoding="utf-8", newline="")
                try:
                    totals = stream_records(records, options, fmt, settings, text_out)
                    text_out.flush()
                finally:
                    text_out.detach()
        else:
            totals = stream_records(records, options, fmt, settings, sys.stdout)
    skipped.report()
    if output is not None and sys.stdout.isatty():
        print_tables(
            [], totals.total(), totals.groups(), title=f"total of {totals.records} records in {output}"
        )
    if totals.failed:
        raise InputError(totals.failure_summary())


def _count_headers(record: Mapping[str, Any]) -> dict[str, str]:
    """How the counts table names its columns: what each holds, in words."""
    headers = {"patches": "non-blank patches"}
    headers.update({f"tokens.{tok}": f"{tok} tokens" for tok in record.get("tokens", {})})
    headers.update({f"vision.{enc}": f"{enc} vision tokens" for enc in record.get("vision", {})})
    return headers


def print_tables(
    records: list[dict[str, Any]],
    total: dict[str, Any] | None,
    groups: Iterable[dict[str, Any]] = (),
    more: int = 0,
    title: str = "counts per input",
) -> None:
    """Counts per input (and the total when there are two or more), then the compression of
    every tokenizer × encoder pair and the density of the pages, over all inputs.

    `more` counts records measured but not shown; `groups` are the --group-by totals.
    """
    measured = [r for r in [*records, total] if r is not None and "patches" in r]
    rows = [count_row(r) for r in records]
    if more:
        rows.append({"input": f"… {more} more records (see them with --jsonl or -o FILE)"})
    if total is not None and len(records) + more != 1:
        rows.append(count_row(total))
    rows.extend(count_row(group) for group in groups)
    if rows:
        shown = next((r for r in rows if "tokens" in r), rows[0])
        if measured:
            title = f"{title} ({measured[0]['patches']['size']} px patches)"
        print_table(rows, title=title, transpose=False, headers=_count_headers(shown), prose=("input",))
    if total is None:
        return
    matrix = [
        {"tokenizer": tok, **{enc: ratio for enc, ratio in per_encoder.items()}}
        for tok, per_encoder in total["compression"].items()
    ]
    print_table(matrix, title="compression: text tokens ÷ vision tokens (rows: tokenizers)", transpose=False)
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
                f"text bits per {name} token": bits
                for name, bits in {**d["bits_per_token"], **d["bits_per_vision_token"]}.items()
            }
        )
        print_table([row], title="density of the pages, and text bits per token", transpose=True)
    if "ocr" in total:
        o = total["ocr"]
        print_table(
            [{k: o[k] for k in ("cer", "cer_nospace", "wer", "chars", "char_errors", "pages_read")}],
            title="OCR read-back",
            transpose=True,
        )


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
    shown = name.rsplit("/", 1)[-1] if "/" in name and not name.endswith("/") else name
    if "error" in record:
        return {"input": shown, "error": record["error"]}
    row: dict[str, Any] = {"input": shown, "chars": record["chars"], "pages": record["pages"]}
    row["patches"] = record["patches"]["nonblank"]
    row["tokens"] = dict(record["tokens"])
    row["vision"] = {enc: v["tokens"] for enc, v in record["vision"].items()}
    return row


def total_document(totals: Totals) -> dict[str, Any] | None:
    """The `total` of the JSON document: the total over every input, with the --group-by totals."""
    total = totals.total()
    if total is not None and totals.group_by:
        total = {**total, "groups": totals.groups()}
    return total


@stdout_errors()
def stream_records(
    records: Iterable[Record],
    options: CompareOptions,
    fmt: OutputFormat,
    settings: Mapping[str, Any],
    out: TextIO,
) -> Totals:
    """Measure and write records as they come: JSON lines, a JSON document written record by
    record, CSV rows spooled to disk, or a table of the first rows; memory stays flat."""
    if fmt is OutputFormat.jsonl:

        def line(record: dict[str, Any]) -> None:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")

        return measure_corpus(records, options, on_record=line, **settings)
    if fmt is OutputFormat.json:
        document = corpus.JsonDocument(out, {}, "records")
        totals = measure_corpus(records, options, on_record=document.add, **settings)
        document.close({"total": total_document(totals), "options": describe_options(options)})
        return totals
    if fmt is OutputFormat.csv:
        spool = corpus.CsvSpool()
        totals = measure_corpus(records, options, on_record=lambda r: spool.add(flatten(r)), **settings)
        spool.write(out)
        return totals
    shown: list[dict[str, Any]] = []

    def keep(record: dict[str, Any]) -> None:
        if len(shown) < corpus.TABLE_ROWS:
            shown.append(record)

    totals = measure_corpus(records, options, on_record=keep, **settings)
    print_tables(shown, totals.total(), totals.groups(), more=totals.records - len(shown))
    return totals
