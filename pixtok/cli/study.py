"""`pixtok study compression`: OCR precision and compression per bin of text tokens, in the shape of
DeepSeek-OCR's Fox study (arXiv 2510.18234, Table 2)."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from typing import Annotated, Any, TextIO

import typer

from pixtok.cli import app
from pixtok.cli import corpus_options as corpus
from pixtok.cli import options as opt
from pixtok.cli.output import OutputFormat, choose_format, flatten, is_stdout, one_on_stdout, print_table
from pixtok.compare import split_names
from pixtok.errors import InputError, UsageError
from pixtok.io import atomic_writer
from pixtok.measure.vlm import ServerOptions, redact
from pixtok.render.config import RenderConfig

study_app = typer.Typer(
    name="study",
    help="Studies in the shape of published experiments (DeepSeek-OCR's Fox study: `compression`).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(study_app, name="study")

STUDY = "Study"


@study_app.command("compression")
@opt.render_options
@opt.ocr_server_options()
def compression_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT|TEXT|-",
            help="Text files, folders, globs, JSON Lines or Parquet; '-' for stdin; literal text.",
            show_default=False,
        ),
    ] = None,
    text: opt.Texts = None,
    encoder: Annotated[
        list[str] | None,
        typer.Option(
            "--encoder",
            "-e",
            help="Encoder modes with a fixed input (default: deepseek-ocr-tiny,deepseek-ocr-small).",
            rich_help_panel=STUDY,
        ),
    ] = None,
    tokenizer: Annotated[
        str,
        typer.Option("--tokenizer", "-t", help="Tokenizer that counts text tokens.", rich_help_panel=STUDY),
    ] = "cl100k",
    arrangement: Annotated[
        str,
        typer.Option(
            "--arrangement",
            help="document: the text fills the render page, resized as the mode resizes a page; "
            "square: the text fills the mode's own input.",
            rich_help_panel=STUDY,
        ),
    ] = "document",
    excerpts: Annotated[
        str | None,
        typer.Option(
            "--excerpts",
            help="Cut each input into consecutive excerpts of these many text tokens "
            "(650:1250:100, 650,750, or table2).",
            rich_help_panel=STUDY,
        ),
    ] = None,
    bin_size: Annotated[
        int, typer.Option("--bin-size", help="Text tokens per bin.", rich_help_panel=STUDY)
    ] = 100,
    plot: Annotated[
        str | None,  # the text as given: a Path would drop the '/' that makes `plots/` a folder
        typer.Option(
            "--plot",
            help="Draw precision per bin beside the paper's, as a PNG.",
            rich_help_panel=STUDY,
            show_default=False,
        ),
    ] = None,
    ocr_engine: opt.OcrEngine = "auto",
    ocr_lang: opt.OcrLang = None,
    segmentation: Annotated[
        str,
        typer.Option(
            "--segmentation",
            help="layout: a local engine reads the line boxes the renderer placed; engine: it finds them.",
            rich_help_panel=opt.OCR,
        ),
    ] = "layout",
    errors: opt.Errors = "strict",
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
    output: corpus.RecordsOutput = None,
    resume: corpus.Resume = False,
    field: corpus.Field = None,
    id_field: corpus.IdField = None,
    jobs: corpus.Jobs = None,
    engine: corpus.Engine = None,
    scheduler: corpus.Scheduler = None,
    quiet: corpus.Quiet = False,
    render_config: RenderConfig | None = None,
    ocr_server: ServerOptions | None = None,
) -> None:
    """Read texts squeezed into a mode's vision tokens; precision and compression per text-token bin.

    Each text (or, with --excerpts, each excerpt of it) is set on one page at the largest size
    that fits, made into what the encoder mode sees (DeepSeek-OCR Tiny: 512², 64 tokens; Small:
    640², 100 tokens), read back by the OCR engine (a local one, or a model at --ocr-url) and
    scored as Fox scores it. DeepSeek-OCR's published figures are shown beside (docs/study.md).
    """
    from pixtok.corpus.inputs import expand_inputs
    from pixtok.plots import check_plot_path
    from pixtok.study import StudyOptions, compression_study, parse_excerpts, plot_study

    fmt = choose_format(json_, jsonl, csv_, output)
    one_on_stdout({"--plot": plot}, output)
    if is_stdout(output):
        if resume:
            raise UsageError("--resume continues a file: -o - writes to standard output, so name a file")
        output = None  # the records are printed as -o FILE would write them (fmt: the flag, else JSON Lines)
    if resume and output is None:
        raise UsageError("--resume needs --output FILE")
    if resume and fmt is not OutputFormat.jsonl:
        raise UsageError("--resume continues JSON Lines files: write -o FILE.jsonl")
    options = StudyOptions(
        modes=split_names(encoder, ("deepseek-ocr-tiny", "deepseek-ocr-small")),
        tokenizer=tokenizer,
        render=render_config or RenderConfig.from_preset("glyph"),
        arrangement=arrangement,
        bin_size=bin_size,
        excerpts=parse_excerpts(excerpts) if excerpts else (),
        engine=ocr_engine,
        lang=ocr_lang,
        segmentation=segmentation,
        server=ocr_server,
    )
    run = corpus.engine_options(engine, jobs, scheduler)
    reading = corpus.corpus_options(field, id_field, errors, ())
    given = opt.input_arguments(inputs, text)
    if plot is not None:  # drawn at the end: a path that cannot take it is refused before the run
        check_plot_path(plot, output=output, inputs=lambda: expand_inputs(given))
    skipped = corpus.SkipCounter()
    records = corpus.input_records(
        given, reading, read_default=lambda: opt.read_input_or_stdin(None, errors), on_skip=skipped
    )
    journal = output is not None and fmt is OutputFormat.jsonl  # resumable, through the run's journal
    with contextlib.ExitStack() as stack:
        out: TextIO = sys.stdout
        if output is not None and not journal:
            stream = stack.enter_context(atomic_writer(output))
            out = io.TextIOWrapper(stream, encoding="utf-8", newline="")
            stack.callback(out.detach)
            stack.callback(out.flush)
        document = corpus.JsonDocument(out, {}, "records") if fmt is OutputFormat.json else None
        spool = corpus.CsvSpool() if fmt is OutputFormat.csv else None

        def show(record: dict[str, Any]) -> None:
            if document is not None:
                document.add(record)
            elif spool is not None:
                spool.add(flatten(record))
            elif fmt is OutputFormat.jsonl:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")

        with corpus.progress_bar(given, quiet) as advance:
            totals = compression_study(
                records,
                options,
                engine=run,
                output=output if journal else None,
                resume=resume,
                on_record=None if journal else show,
                on_progress=advance,
            )
        total = totals.total()
        shown_total = None if total is None else {k: v for k, v in total.items() if k != "sums"}
        if document is not None:
            document.close({"total": shown_total, "options": describe(options)})
        elif spool is not None:
            spool.write(out)
    skipped.report()
    if plot is not None and total is not None:
        plot_study(total, plot, tokenizer=tokenizer)
    if total is not None and (fmt is OutputFormat.table or (output is not None and sys.stdout.isatty())):
        title = (
            _title(tokenizer)
            if output is None
            else f"{_title(tokenizer)}; {totals.records} records in {output}"
        )
        print_table(table_rows(total, options.modes), title=title, transpose=False)
    if total is None and totals.failed == 0:
        raise InputError("nothing to study: no text")
    if totals.failed:
        raise InputError(totals.failure_summary())


def _title(tokenizer: str) -> str:
    return (
        f"compression study: precision % (Fox's word-set precision) and compression × per bin of {tokenizer} "
        "text tokens; paper: DeepSeek-OCR on Fox (arXiv 2510.18234, Table 2)"
    )


def _short(mode: str) -> str:
    return mode.removeprefix("deepseek-ocr-")


def table_rows(total: dict[str, Any], modes: tuple[str, ...]) -> list[dict[str, Any]]:
    """Table 2's shape: one row per bin; per mode this study's precision and compression, then
    the paper's where it published that mode and bin."""
    rows = []
    for entry in total["bins"]:
        row: dict[str, Any] = {
            "text tokens": entry["bin"],
            "pages": entry.get("pages"),
            "mean": entry.get("text_tokens"),
        }
        for mode in modes:
            figures = entry.get(mode)
            if figures is None:
                continue
            name = _short(mode)
            row[f"{name} %"] = figures["precision"]
            row[f"{name} ×"] = figures["compression"]
            if "published_precision" in figures:
                row[f"paper {name} %"] = figures["published_precision"]
                row[f"paper {name} ×"] = figures["published_compression"]
        rows.append(row)
    return rows


def describe(options: Any) -> dict[str, Any]:
    """The options of a study run, for the JSON document (the server's URL without credentials)."""
    described = options.record_settings()
    described["render"] = options.render.to_dict()
    if options.server is not None:
        described["server"] = {"url": redact(options.server.url), **described["server"]}
    return described
