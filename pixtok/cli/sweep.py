"""`pixtok sweep` (render options against compression and OCR accuracy) and `pixtok fit` (a token budget)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.compare import Encoders
from pixtok.cli.output import Report, choose_format, emit_report, one_on_stdout, print_table
from pixtok.cli.progress import progress_bar
from pixtok.compare import DEFAULT_ENCODERS, DEFAULT_TOKENIZERS, CompareOptions, split_names
from pixtok.errors import InputError, UsageError
from pixtok.measure.vlm import ServerOptions
from pixtok.render.config import RenderConfig

SWEEP = "Sweep"

Vary = Annotated[
    list[str] | None,
    typer.Option(
        "--vary",
        help="NAME=start:stop:step or NAME=a,b,c over any render option (size, dpi, page, font...); "
        "repeat for a grid.",
        rich_help_panel=SWEEP,
    ),
]
Ocr = Annotated[bool, typer.Option("--ocr/--no-ocr", help="Read every configuration back with OCR.")]
MaxPages = Annotated[
    int,
    typer.Option("--max-pages", help="Pages OCR reads per configuration (0: all).", rich_help_panel=SWEEP),
]
Metric = Annotated[
    str, typer.Option("--metric", help="Error rate the front minimises: cer, cer_nospace or wer.")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


def _sweep_options(
    base: Any, tokenizer: Any, encoder: Any, vary: list[str] | None, ocr: bool, engine: str,
    lang: str | None, max_pages: int, metric: str, server: ServerOptions | None, patch: int = 16,
) -> Any:  # fmt: skip
    from pixtok.sweep import SweepOptions, parse_axis

    if max_pages < 0:
        raise UsageError(f"--max-pages must be 0 (all) or more, not {max_pages}")
    compare = CompareOptions(
        render=base,
        tokenizers=split_names(tokenizer, DEFAULT_TOKENIZERS),
        encoders=split_names(encoder, DEFAULT_ENCODERS),
        patch=patch,
    )
    return SweepOptions(
        compare=compare,
        axes=tuple(parse_axis(spec) for spec in vary or ()),
        ocr=ocr,
        engine=engine,
        lang=lang,
        max_pages=max_pages or None,
        metric=metric,
        server=server,
    )


def _row(record: dict[str, Any], tokenizer: str, encoder: str) -> dict[str, Any]:
    row: dict[str, Any] = dict(record["config"])
    if "error" in record:
        return {**row, "error": record["error"]}
    row.update(
        {
            "pages": record["pages"],
            "px": record["font_size_px"],
            "vision": record["vision"][encoder]["tokens"],
            "text": record["tokens"][tokenizer],
            "ratio": record["compression_primary"],
        }
    )
    if "ocr" in record:
        row.update({"cer": record["ocr"]["cer"], "cer_ns": record["ocr"]["cer_nospace"]})
    if "pareto" in record:
        row["front"] = "*" if record["pareto"] else ""
    return row


@app.command("sweep")
@opt.render_options
@opt.ocr_server_options()
def sweep_command(
    input: opt.OneInput = None,
    text: opt.Texts = None,
    vary: Vary = None,
    tokenizer: opt.Tokenizers = None,
    encoder: Encoders = None,
    encoder_files: opt.EncoderFiles = None,
    ocr: Ocr = False,
    ocr_engine: opt.OcrEngine = "auto",
    ocr_lang: opt.OcrLang = None,
    max_pages: MaxPages = 1,
    metric: Metric = "cer",
    plot: Annotated[
        str | None,  # the text as given: a Path would drop the '/' that makes `plots/` a folder
        typer.Option("--plot", help="Write compression against OCR accuracy as a PNG.", show_default=False),
    ] = None,
    quiet: Quiet = False,
    errors: opt.Errors = "strict",
    output: opt.Output = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
    render_config: RenderConfig | None = None,
    ocr_server: ServerOptions | None = None,
) -> None:
    """Measure one text under a grid of render options: compression, and with --ocr the error rate.

    One record per configuration. Compression is the first tokenizer's tokens over the first
    encoder's vision tokens; with --ocr, configurations on the Pareto front (no other compresses
    more at a lower error) are marked. Defaults: the glyph set-up; OCR reads the first page.
    """
    from pixtok.plots import check_plot_path
    from pixtok.sweep import configurations, plot_sweep, sweep

    fmt = choose_format(json_, jsonl, csv_, output)
    opt.load_encoder_files(encoder_files)
    if plot is not None and not ocr:
        raise UsageError("--plot draws OCR accuracy: add --ocr")
    one_on_stdout({"--plot": plot}, output)
    if ocr_server is not None and not ocr:
        raise UsageError("--ocr-url reads the pages back: add --ocr")
    options = _sweep_options(
        render_config, tokenizer, encoder, vary, ocr, ocr_engine, ocr_lang, max_pages, metric, ocr_server
    )
    total = len(configurations(options.compare.render, options.axes))
    name, body = opt.read_input_or_stdin(input, errors, texts=text)
    if plot is not None:  # drawn at the end: a path that cannot take it (the input among them) is refused now
        check_plot_path(plot, output=output)
    with progress_bar(total, "configurations", quiet=quiet) as advance:
        report = sweep(body, options, progress=lambda done, total: advance(1))
    if plot is not None:
        plot_sweep(report, plot)
    tok, enc = options.primary
    records = [{"input": name, **record} for record in report["records"]]
    described = {
        "render": options.compare.render.to_dict(),
        "axes": report["axes"],
        "primary": report["primary"],
        "tokenizers": list(options.compare.tokenizers),
        "encoders": list(options.compare.encoders),
        "ocr": report["ocr"],
        "ocr_engine": ocr_engine,
        "ocr_lang": ocr_lang,
        "max_pages": options.max_pages,
    }

    def table(records: Any, total: Any) -> None:
        rows = [_row(r, tok, enc) for r in records]
        title = f"sweep: ratio = text ({tok}) / vision ({enc}) tokens; cer_ns ignores spaces"
        print_table(rows, title=title, transpose=False)

    emit_report(Report(records, None, described), fmt, output=output, table=table)


@app.command("fit")
@opt.render_options
@opt.ocr_server_options()
def fit_command(
    input: opt.OneInput = None,
    text: opt.Texts = None,
    budget: Annotated[int, typer.Option("--budget", help="Vision tokens the document may use.")] = 0,
    encoder: Annotated[str, typer.Option("--encoder", "-e", help="The vision encoder that counts.")] = "",
    encoder_files: opt.EncoderFiles = None,
    tokenizer: opt.Tokenizers = None,
    vary: Vary = None,
    ocr: Ocr = True,
    ocr_engine: opt.OcrEngine = "auto",
    ocr_lang: opt.OcrLang = None,
    candidates: Annotated[
        int, typer.Option("--candidates", help="Largest-size configurations within budget that OCR compares.")
    ] = 3,
    max_pages: MaxPages = 1,
    metric: Metric = "cer",
    quiet: Quiet = False,
    errors: opt.Errors = "strict",
    output: opt.Output = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
    render_config: RenderConfig | None = None,
    ocr_server: ServerOptions | None = None,
) -> None:
    """Find the most legible rendering whose vision tokens stay within --budget for --encoder.

    Tries every size from 6 to 32 px (or the --vary grid), keeps those within budget, and reads
    the --candidates largest back with OCR; exits 1 saying so when nothing fits. The record is
    the chosen configuration; the total says how many were tried and read back.
    """
    from pixtok.sweep import FIT_SIZES, configurations, fit

    fmt = choose_format(json_, jsonl, csv_, output)
    opt.load_encoder_files(encoder_files)
    if not encoder:
        raise UsageError("name the vision encoder that counts: --encoder (see `pixtok encoders`)")
    if budget < 1:
        raise UsageError("give the token budget: --budget N (N >= 1)")
    base = render_config
    if ocr_server is not None and not ocr:
        raise UsageError("--ocr-url reads the pages back: drop --no-ocr")
    options = _sweep_options(
        base, tokenizer, encoder, vary, ocr, ocr_engine, ocr_lang, max_pages, metric, ocr_server
    )
    total = len(configurations(base, options.axes)) if options.axes else len(FIT_SIZES)
    name, body = opt.read_input_or_stdin(input, errors, texts=text)
    with progress_bar(total + (candidates if ocr else 0), "configurations", quiet=quiet) as advance:
        state = {"done": 0}

        def step(done: int, _total: int) -> None:
            advance(done - state["done"])
            state["done"] = done

        report = fit(body, budget, encoder, options, candidates=candidates, progress=step)
    if not report["fits"]:
        raise InputError(
            f"nothing fits in {budget} {encoder} tokens: the fewest any configuration needs is "
            f"{report['fewest_tokens']} ({' '.join(f'{k}={v}' for k, v in report['fewest_config'].items())})"
        )
    record = {
        "input": name,
        "config": report["config"],
        "vision_tokens": report["vision_tokens"],
        **{k: v for k, v in report["record"].items() if k != "input"},
    }
    summary = {
        key: report[key]
        for key in ("fits", "budget", "encoder", "configurations", "within_budget", "ocr_tried")
    }
    described = {
        "render": report["render"],
        "tokenizers": list(options.compare.tokenizers),
        "candidates": candidates,
        "ocr": ocr,
        "metric": metric,
        "max_pages": options.max_pages,
    }

    def table(records: Any, total: Any) -> None:
        chosen = records[0] if records else record
        brief = {
            "fits": "yes",
            **{f"config.{k}": v for k, v in chosen["config"].items()},
            "vision_tokens": f"{chosen['vision_tokens']} of {budget} ({encoder})",
            "pages": chosen["pages"],
            "font_size_px": chosen["font_size_px"],
        }
        if "ocr" in chosen:
            brief.update({k: chosen["ocr"][k] for k in ("cer", "cer_nospace", "wer")})
        print_table([brief], title="fit", transpose=True)

    emit_report(Report([record], summary, described), fmt, output=output, table=table)
