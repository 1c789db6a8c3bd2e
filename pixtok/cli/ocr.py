"""`pixtok ocr` (render, read back with OCR, score) and `pixtok confusable` (glyphs that look alike)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import OutputFormat, choose_format, emit
from pixtok.cli.progress import progress_bar
from pixtok.errors import UsageError
from pixtok.measure.vlm import ServerOptions
from pixtok.render.config import RenderConfig

OCR = opt.OCR
Engine = opt.OcrEngine
Lang = opt.OcrLang
Segmentation = Annotated[
    str,
    typer.Option(
        "--segmentation",
        help="layout: read the line boxes the renderer placed; engine: let the engine find lines.",
        rich_help_panel=OCR,
    ),
]
MaxPages = opt.OcrMaxPages


@app.command("ocr")
@opt.render_options()
@opt.ocr_server_options()
def ocr_command(
    input: Annotated[
        str | None, typer.Argument(help="Text file, or '-' for stdin.", show_default=False)
    ] = None,
    ocr_engine: Engine = "auto",
    ocr_lang: Lang = None,
    segmentation: Segmentation = "layout",
    max_pages: MaxPages = None,
    show_text: Annotated[
        bool, typer.Option("--show-text", help="Include what the engine read, per page.", rich_help_panel=OCR)
    ] = False,
    errors: opt.Errors = "strict",
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
    render_config: RenderConfig | None = None,
    ocr_server: ServerOptions | None = None,
) -> None:
    """Render text, read every page back with OCR, and report character and word error rates.

    Scores are NFKC-normalised; `cer_nospace` ignores whitespace (see docs/legibility.md).
    With --ocr-url and --ocr-model a vision-language model on an OpenAI-compatible server reads
    the pages, and its token usage is set beside pixtok's vision-token count (docs/vlm.md).
    """
    from pixtok.measure.legibility import ocr_result
    from pixtok.render import render

    fmt = choose_format(json_, jsonl, csv_)
    cfg = render_config
    name, text = opt.read_input_or_stdin(input, errors)
    result = render(text, cfg)
    pages = result.page_count if max_pages is None else min(max(max_pages, 1), result.page_count)
    with progress_bar(pages, "pages") as advance:
        report = ocr_result(
            result,
            text,
            ocr_engine,
            ocr_lang,
            server=ocr_server,
            segmentation=segmentation,
            max_pages=max_pages,
            include_text=show_text,
            progress=lambda done, total: advance(1),
        )
    report = {"input": name, **report}
    rows = [_page_row(p) for p in report["pages"]]
    total = {"page": "total", **{k: report[k] for k in ("cer", "cer_nospace", "wer", "chars", "char_errors")}}
    if "usage" in report:
        usage = report["usage"]
        total.update({k: usage[k] for k in _USAGE[:3]})
        spread = usage["prompt_minus_vision"]
        total["prompt_minus_vision"] = None if spread is None else "..".join(dict.fromkeys(map(str, spread)))
    if fmt is OutputFormat.table:
        engine = report["engine"]
        title = f"ocr: {engine['name']} {engine['version']} ({report['lang']})"
        title += f", {report['segmentation']} lines"
        if engine["name"] == "openai":
            title = (
                f"ocr: {engine['model']} at {engine['url']}, whole pages; "
                f"vision_tokens: pixtok's {engine['encoder'] or 'no preset'} count"
            )
        emit([*rows, total], fmt, title=title, transpose=False)
        if show_text:
            for p in report["pages"]:
                typer.echo(f"--- page {p['page']} ---\n{p['text']}")
    elif fmt is OutputFormat.jsonl:
        emit([{"input": name, **r} for r in report["pages"]] + [{"input": name, **total}], fmt)
    elif fmt is OutputFormat.csv:
        emit([{"input": name, **r} for r in [*rows, total]], fmt)
    else:
        emit([report], fmt, document=report)


#: Token usage columns of a page read by a server's model.
_USAGE = ("prompt_tokens", "completion_tokens", "vision_tokens", "prompt_minus_vision")


def _page_row(page: dict[str, Any]) -> dict[str, Any]:
    keys = ("page", "cer", "cer_nospace", "wer", "chars", "char_errors")
    row = {k: page[k] for k in keys} | {k: page[k] for k in _USAGE if k in page}
    return row | ({"text": page["text"]} if "text" in page else {})


@app.command("confusable")
@opt.render_options()
def confusable_command(
    input: Annotated[
        str | None, typer.Argument(help="Text file, or '-' for stdin.", show_default=False)
    ] = None,
    chars: Annotated[
        str | None, typer.Option("--chars", help="Compare these characters instead of an input's.")
    ] = None,
    threshold: Annotated[
        float,
        typer.Option("--threshold", help="Pairs whose glyphs differ by at most this much ink are near."),
    ] = 2.0,
    limit: Annotated[int, typer.Option("--limit", help="List at most this many pairs of each kind.")] = 20,
    errors: opt.Errors = "strict",
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
    render_config: RenderConfig | None = None,
) -> None:
    """Which characters of a text look alike at a font and size: an OCR-free bound on legibility.

    Each distinct character is drawn alone on the same baseline; pairs whose glyphs are identical
    or differ by at most --threshold pixels of ink are listed (l1: ink that differs, in pixels).
    """
    from pixtok.measure.legibility import confusability

    fmt = choose_format(json_, jsonl, csv_)
    cfg = render_config
    if chars is not None and input is not None:
        raise UsageError("give an input file or --chars, not both")
    if chars is not None:
        name, text = "chars", chars
    else:
        name, text = opt.read_input_or_stdin(input, errors)
    report = {"input": name, **confusability(text, cfg, threshold=threshold, limit=limit)}
    pairs = [{"kind": "identical", **p} for p in report["identical"]] + [
        {"kind": "near", **p} for p in report["near"]
    ]
    if fmt is OutputFormat.table:
        closest = report["closest"]
        title = (
            f"confusable: {report['characters']} characters at {report['font_size_px']:g} px; "
            f"{report['identical_count']} identical, {report['near_count']} near pairs"
            + (f"; closest {closest['a']} {closest['b']} (l1 {closest['l1']:g})" if closest else "")
        )
        if pairs:
            emit(pairs, fmt, title=title, transpose=False)
        else:
            typer.echo(title)
    elif fmt is OutputFormat.csv:
        emit([{"input": name, **p} for p in pairs], fmt)
    else:
        emit([report], fmt, document=report)
