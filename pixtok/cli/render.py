"""`pixtok render`: text to page images."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import OutputFormat, choose_format, emit
from pixtok.errors import UsageError
from pixtok.output_files import write_pages
from pixtok.render import render


@app.command("render")
def render_command(
    input: Annotated[
        str | None, typer.Argument(help="Text file, or '-' for stdin.", show_default=False)
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            help="page.png, a folder/, a pattern page-{page:03d}.png, .npy, .npz, or - (PNG on stdout).",
        ),
    ] = None,
    preset: opt.Preset = None,
    config: opt.ConfigFile = None,
    layout: opt.Layout = None,
    font: opt.Font = None,
    size: opt.Size = None,
    dpi: opt.Dpi = None,
    page: opt.Page = None,
    margin: opt.Margin = None,
    line_height: opt.LineHeight = None,
    align: opt.Align = None,
    indent: opt.Indent = None,
    letter_spacing: opt.LetterSpacing = None,
    hscale: opt.HScale = None,
    foreground: opt.Foreground = None,
    background: opt.Background = None,
    color_mode: opt.ColorMode = None,
    newlines: opt.Newlines = None,
    no_fallback: opt.NoFallback = False,
    errors: opt.Errors = "strict",
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
) -> None:
    """Render text to pages: PNG per page, NPY/NPZ stacks, or one PNG on stdout.

    Without -o, pages are written next to the current folder as INPUT-STEM.png (one page) or
    INPUT-STEM-001.png... (several). A summary follows: a table on a terminal, JSON when piped.
    """
    cfg = opt.build_config(
        preset, config, no_fallback,
        layout=layout, font=font, size=size, dpi=dpi, page=page, margin=margin,
        line_height=line_height, align=align, indent=indent, letter_spacing=letter_spacing,
        hscale=hscale, foreground=foreground, background=background, color_mode=color_mode,
        newlines=newlines,
    )  # fmt: skip
    name, text = opt.read_input_or_stdin(input, errors)
    if output == "-" and (json_ or jsonl):
        raise UsageError("-o - writes the image to stdout; it cannot be combined with --json")
    result = render(text, cfg)
    if output is None:
        stem = "stdin" if name == "-" else Path(name).stem
        output = f"{stem}.png" if result.page_count == 1 else f"{stem}-{{page:03d}}.png"
    written = write_pages(result, output)
    if output == "-":
        if result.missing_glyphs:
            sys.stderr.write(
                f"pixtok: warning: {result.missing_glyphs} characters have no glyph in any font\n"
            )
        return
    summary = {"input": name, "outputs": written, **result.summary()}
    fmt = choose_format(json_, jsonl)
    if fmt is OutputFormat.table:
        brief = {k: v for k, v in summary.items() if k not in ("config", "page_sizes", "fonts", "outputs")}
        brief["fonts"] = ", ".join(f["family"] for f in summary["fonts"])
        brief["outputs"] = written[0] if len(written) == 1 else f"{written[0]} … {written[-1]}"
        emit([brief], fmt, title="render")
    else:
        emit([summary], fmt, document=summary)
    if result.missing_glyphs:
        sys.stderr.write(
            f"pixtok: warning: {result.missing_glyphs} characters have no glyph in any font "
            f"({', '.join(list(summary['missing_chars'])[:8])}); add a font with --font\n"
        )
