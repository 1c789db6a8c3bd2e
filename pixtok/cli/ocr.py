"""`pixtok ocr` (render, read back with OCR, score) and `pixtok confusable` (glyphs that look alike)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import Report, choose_format, emit_report, print_table
from pixtok.cli.progress import progress_bar
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
@opt.render_options
@opt.ocr_server_options()
def ocr_command(
    input: opt.OneInput = None,
    text: opt.Texts = None,
    ocr_engine: Engine = "auto",
    ocr_lang: Lang = None,
    segmentation: Segmentation = "layout",
    max_pages: MaxPages = None,
    show_text: Annotated[
        bool, typer.Option("--show-text", help="Include what the engine read, per page.", rich_help_panel=OCR)
    ] = False,
    errors: opt.Errors = "strict",
    output: opt.Output = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
    render_config: RenderConfig | None = None,
    ocr_server: ServerOptions | None = None,
) -> None:
    """Render text, read every page back with OCR, and report character and word error rates.

    One record per page read (pages count from 1), and the total over them. Scores are
    NFKC-normalised; `cer_nospace` ignores whitespace (see docs/legibility.md). With --ocr-url
    and --ocr-model a vision-language model on an OpenAI-compatible server reads the pages, and
    its token usage is set beside pixtok's vision-token count (docs/vlm.md).
    """
    from pixtok.measure.legibility import ocr_result
    from pixtok.render import render

    fmt = choose_format(json_, jsonl, csv_, output)
    name, body = opt.read_input_or_stdin(input, errors, texts=text)
    result = render(body, render_config)
    pages = result.page_count if max_pages is None else min(max(max_pages, 1), result.page_count)
    with progress_bar(pages, "pages") as advance:
        scores = ocr_result(
            result,
            body,
            ocr_engine,
            ocr_lang,
            server=ocr_server,
            segmentation=segmentation,
            max_pages=max_pages,
            include_text=show_text,
            progress=lambda done, total: advance(1),
        )
    records = [{"input": name, **page} for page in scores["pages"]]
    total_keys = ("cer", "cer_nospace", "wer", "chars", "char_errors", "chars_nospace", "char_errors_nospace")
    total = {
        "input": name,
        **{key: scores[key] for key in (*total_keys, "words", "word_errors")},
        **{key: scores[key] for key in ("pages_read", "pages_total", "missing_glyphs")},
    }
    if "usage" in scores:
        total["usage"] = scores["usage"]
    options = {
        "render": render_config.to_dict() if render_config else {},
        **{key: scores[key] for key in ("engine", "lang", "script", "segmentation", "whitespace")},
        "max_pages": max_pages,
    }
    engine = scores["engine"]
    title = f"ocr: {engine['name']} {engine['version']} ({scores['lang']}), {scores['segmentation']} lines"
    if engine["name"] == "openai":
        title = (
            f"ocr: {engine['model']} at {engine['url']}, whole pages; "
            f"vision_tokens: pixtok's {engine['encoder'] or 'no preset'} count"
        )

    def table(records: Any, total: Any) -> None:
        keys = ("cer", "cer_nospace", "wer", "chars", "char_errors")
        rows = [{"page": r["page"], **{k: r[k] for k in (*keys, *_USAGE) if k in r}} for r in records]
        if total is not None and len(rows) != 1:
            row = {"page": "total", **{k: total[k] for k in keys}}
            if "usage" in total:
                usage = total["usage"]
                row.update({k: usage[k] for k in _USAGE[:3]})
                spread = usage["prompt_minus_vision"]
                row["prompt_minus_vision"] = (
                    None if spread is None else "..".join(dict.fromkeys(map(str, spread)))
                )
            rows.append(row)
        print_table(rows, title=title, transpose=False)
        for record in records:
            if "text" in record:
                typer.echo(f"--- page {record['page']} ---\n{record['text']}")

    emit_report(Report(records, total, options), fmt, output=output, table=table)


#: Token usage columns of a page read by a server's model.
_USAGE = ("prompt_tokens", "completion_tokens", "vision_tokens", "prompt_minus_vision")


@app.command("confusable")
@opt.render_options
def confusable_command(
    input: opt.OneInput = None,
    text: opt.Texts = None,
    threshold: Annotated[
        float,
        typer.Option("--threshold", help="Pairs whose glyphs differ by at most this much ink are near."),
    ] = 2.0,
    limit: Annotated[int, typer.Option("--limit", help="List at most this many pairs of each kind.")] = 20,
    errors: opt.Errors = "strict",
    output: opt.Output = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
    render_config: RenderConfig | None = None,
) -> None:
    """Which characters of a text look alike at a font and size: an OCR-free bound on legibility.

    Each distinct character is drawn alone on the same baseline; pairs whose glyphs are identical
    or differ by at most --threshold pixels of ink are the records (l1: ink that differs, in
    pixels), and the total says how many there are and which pair is closest.
    """
    from pixtok.measure.legibility import confusability

    fmt = choose_format(json_, jsonl, csv_, output)
    name, body = opt.read_input_or_stdin(input, errors, texts=text)
    report = confusability(body, render_config, threshold=threshold, limit=limit)
    records = [{"input": name, "kind": "identical", **p} for p in report["identical"]] + [
        {"input": name, "kind": "near", **p} for p in report["near"]
    ]
    total = {"input": name, **{k: v for k, v in report.items() if k not in ("identical", "near")}}
    options = {
        "render": render_config.to_dict() if render_config else {},
        "threshold": threshold,
        "limit": limit,
    }

    def table(records: Any, total: Any) -> None:
        closest = total["closest"]
        title = (
            f"confusable: {total['characters']} characters at {total['font_size_px']:g} px; "
            f"{total['identical_count']} identical, {total['near_count']} near pairs"
            + (f"; closest {closest['a']} {closest['b']} (l1 {closest['l1']:g})" if closest else "")
        )
        if records:
            print_table(
                [{k: v for k, v in r.items() if k != "input"} for r in records], title=title, transpose=False
            )
        else:
            typer.echo(title)

    columns = ("input", "kind", "a", "b", "codepoints", "l1", "l2")
    emit_report(Report(records, total, options, columns), fmt, output=output, table=table)
