"""`pixtok compare`: text tokens against vision tokens, per input and in total."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import OutputFormat, choose_format, emit
from pixtok.compare import (
    DEFAULT_ENCODERS,
    DEFAULT_PRESET,
    DEFAULT_TOKENIZERS,
    CompareOptions,
    Comparer,
    sample_text,
    split_names,
    summarize,
)
from pixtok.io import read_text

Tokenizers = Annotated[
    list[str] | None,
    typer.Option(
        "--tokenizer", "-t", help=f"Comma list of tokenizers [default: {','.join(DEFAULT_TOKENIZERS)}]."
    ),
]
Encoders = Annotated[
    list[str] | None,
    typer.Option(
        "--encoder", "-e", help=f"Comma list of vision encoders [default: {','.join(DEFAULT_ENCODERS)}]."
    ),
]


@app.command("compare")
def compare_command(
    inputs: Annotated[
        list[str] | None, typer.Argument(help="Text files, or '-' for stdin.", show_default=False)
    ] = None,
    tokenizer: Tokenizers = None,
    encoder: Encoders = None,
    patch: Annotated[int, typer.Option("--patch", help="Patch size for the raw patch counts.")] = 16,
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
    csv_: opt.Csv = False,
) -> None:
    """Render each input, count its patches and vision tokens, and compare with text tokens.

    With no input, reads stdin when it is piped and otherwise measures a built-in sample.
    Defaults: the glyph preset, tokenizers mistral-spm and cl100k, encoders deepseek-ocr-base,
    qwen2.5-vl and glm-4.1v. Compression is text tokens divided by vision tokens.
    """
    fmt = choose_format(json_, jsonl, csv_)
    render_config = opt.build_config(
        preset, config, no_fallback, default_preset=DEFAULT_PRESET,
        layout=layout, font=font, size=size, dpi=dpi, page=page, margin=margin,
        line_height=line_height, align=align, indent=indent, letter_spacing=letter_spacing,
        hscale=hscale, foreground=foreground, background=background, color_mode=color_mode,
        newlines=newlines,
    )  # fmt: skip
    options = CompareOptions(
        render=render_config,
        tokenizers=split_names(tokenizer, DEFAULT_TOKENIZERS),
        encoders=split_names(encoder, DEFAULT_ENCODERS),
        patch=patch,
    )
    comparer = Comparer(options)
    if inputs:
        texts = [(name, read_text(name, errors=errors)) for name in inputs]
    else:
        texts = [opt.read_input_or_stdin(None, errors, sample=sample_text())]
    records = [comparer.measure(text, name) for name, text in texts]
    total = summarize(records)
    document = {"inputs": records, "total": total, "options": describe_options(options)}
    if fmt is OutputFormat.table:
        print_tables(records, total)
    elif fmt is OutputFormat.json:
        emit(records, fmt, document=document)
    else:
        emit(records + ([total] if len(records) > 1 and fmt is OutputFormat.csv else []), fmt)


def print_tables(records: list[dict[str, Any]], total: dict[str, Any]) -> None:
    """Counts per input, then the compression of every tokenizer × encoder pair over all inputs."""
    rows = [count_row(r) for r in records] + ([count_row(total)] if len(records) > 1 else [])
    emit(rows, OutputFormat.table, title="counts (text tokens, vision tokens)", transpose=False)
    matrix = [
        {"tokenizer": tok, **{enc: ratio for enc, ratio in per_encoder.items()}}
        for tok, per_encoder in total["compression"].items()
    ]
    emit(matrix, OutputFormat.table, title="compression: text tokens ÷ vision tokens", transpose=False)


def describe_options(options: CompareOptions) -> dict[str, Any]:
    """The options a compare run used, for the JSON document."""
    return {
        "render": options.render.to_dict(),
        "tokenizers": list(options.tokenizers),
        "encoders": list(options.encoders),
        "patch": options.patch,
    }


def count_row(record: dict[str, Any]) -> dict[str, Any]:
    """The counts that fit a terminal row."""
    name = str(record.get("input", ""))
    row: dict[str, Any] = {
        "input": name.rsplit("/", 1)[-1],
        "chars": record["chars"],
        "pages": record["pages"],
    }
    row["patches"] = record["patches"]["nonblank"]
    row.update(record["tokens"])
    row.update({enc: v["tokens"] for enc, v in record["vision"].items()})
    return row
