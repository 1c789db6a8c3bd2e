"""`pixtok distance` and `pixtok typos`: how far a typo moves a text, in characters, tokens and pixels."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import OutputFormat, choose_format, emit, stdout_errors
from pixtok.compare import DEFAULT_PRESET, DEFAULT_TOKENIZERS, split_names
from pixtok.errors import UsageError
from pixtok.io import read_text, write_bytes_atomic
from pixtok.measure.distance import text_distance
from pixtok.measure.keyboards import LAYOUTS
from pixtok.measure.typos import KINDS, corrupt, typo_report
from pixtok.render.config import RenderConfig

TYPOS = "Typos"

KeyboardLayout = Annotated[
    str,
    typer.Option(
        "--layout",
        "-l",
        help=f"Keyboard layout: {', '.join(LAYOUTS)}, or a .toml/.json layout file.",
        rich_help_panel=TYPOS,
    ),
]
Encoders = Annotated[
    list[str] | None,
    typer.Option(
        "--encoder",
        "-e",
        help="Comma list of vision encoders whose own view (resized page, own patch) is compared too.",
    ),
]
Patch = Annotated[int, typer.Option("--patch", help="Patch size of the page grid (px).")]


@app.command("distance")
@opt.render_options(default_preset=DEFAULT_PRESET, layout_flag="--page-layout")
def distance_command(
    a: Annotated[str, typer.Argument(metavar="A", help="First text (a file with --file).")],
    b: Annotated[str, typer.Argument(metavar="B", help="Second text (a file with --file).")],
    file: Annotated[
        bool, typer.Option("--file", help="A and B are files ('-' reads one of them from stdin).")
    ] = False,
    keyboard: KeyboardLayout = "qwerty",
    tokenizer: opt.Tokenizers = None,
    encoder: Encoders = None,
    encoder_files: opt.EncoderFiles = None,
    patch: Patch = 16,
    no_pixels: Annotated[
        bool, typer.Option("--no-pixels", help="Skip rendering and pixel distances.")
    ] = False,
    errors: opt.Errors = "strict",
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
    render_config: RenderConfig | None = None,
) -> None:
    """Distances between two texts: Levenshtein, keyboard-aware, per tokenizer, and between their renders.

    Keys: `levenshtein`; `keyboard` (layout, distance: substitutions cost key distance ÷ layout
    diameter, insert/delete 1); `tokens.<tokenizer>` (edit distance over ids, tokens changed =
    removed + added); `pixels` (patches that differ, L2, RMSE, SSIM; both texts rendered with one
    config, the glyph preset unless told otherwise).
    """
    fmt = choose_format(json_, jsonl, csv_)
    opt.load_encoder_files(encoder_files)
    if file:
        if a == "-" and b == "-":
            raise UsageError("only one of A and B can be '-' (standard input)")
        text_a, text_b = read_text(a, errors=errors), read_text(b, errors=errors)
    else:
        text_a, text_b = a, b
    if no_pixels:
        if encoder:
            raise UsageError("--encoder compares renders; it cannot be combined with --no-pixels")
        render_config = None
    record = {
        "a": a,
        "b": b,
        **text_distance(
            text_a,
            text_b,
            layout=keyboard,
            tokenizers=split_names(tokenizer, DEFAULT_TOKENIZERS),
            config=render_config,
            patch=patch,
            encoders=split_names(encoder, ()),
            pixels=not no_pixels,
        ),
    }
    emit([record], fmt, document=record, title="distance")


@app.command("typos")
@opt.render_options(default_preset=DEFAULT_PRESET, layout_flag="--page-layout")
def typos_command(
    input: Annotated[
        str | None,
        typer.Argument(metavar="[INPUT|-]", help="Text file, or '-' for stdin.", show_default=False),
    ] = None,
    rate: Annotated[
        float, typer.Option("--rate", help="Probability that each letter gets a typo.", rich_help_panel=TYPOS)
    ] = 0.02,
    kind: Annotated[
        str, typer.Option("--kind", help=f"One of {', '.join(KINDS)}.", rich_help_panel=TYPOS)
    ] = "keyboard",
    keyboard: KeyboardLayout = "qwerty",
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same typos).")] = 0,
    output: Annotated[
        str | None,
        typer.Option("-o", "--output", help="Write the corrupted text to this file instead of stdout."),
    ] = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report", help="Measure tokens and patches changed per typo instead of printing the text."
        ),
    ] = False,
    per_edit: Annotated[
        bool, typer.Option("--per-edit", help="With --report: one record per measured typo.")
    ] = False,
    max_edits: Annotated[
        int,
        typer.Option("--max-edits", help="With --report: measure at most this many typos (evenly spread)."),
    ] = 200,
    tokenizer: opt.Tokenizers = None,
    encoder: Encoders = None,
    encoder_files: opt.EncoderFiles = None,
    patch: Patch = 16,
    errors: opt.Errors = "strict",
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
    render_config: RenderConfig | None = None,
) -> None:
    """Write a copy of the text with typos (deterministic for a seed), or measure what each typo changes.

    Only letters get typos. With --report, each typo is applied alone to the original and counted:
    text tokens changed per tokenizer (removed + added ids) and patches changed on the page grid
    and on each --encoder's view; `combined_per_edit` applies all typos at once.
    """
    if per_edit and not report:
        raise UsageError("--per-edit is a form of --report; add --report")
    name, text = opt.read_input_or_stdin(input, errors)
    corruption = corrupt(text, rate=rate, kind=kind, layout=keyboard, seed=seed)
    if not corruption.eligible:
        what = f"is on the {corruption.layout} layout" if kind == "keyboard" else "can take this kind of typo"
        sys.stderr.write(f"pixtok: warning: no letter of the input {what}; the text is unchanged\n")
    if output is not None:
        write_bytes_atomic(output, corruption.text.encode("utf-8"))
    if not report:
        if output is None:
            with stdout_errors():
                sys.stdout.buffer.write(corruption.text.encode("utf-8"))
                sys.stdout.flush()
        return
    fmt = choose_format(json_, jsonl, csv_)
    opt.load_encoder_files(encoder_files)
    result = typo_report(
        corruption,
        tokenizers=split_names(tokenizer, DEFAULT_TOKENIZERS),
        config=render_config,
        patch=patch,
        encoders=split_names(encoder, ()),
        max_edits=max_edits,
    )
    header = {"input": name, **result.header()}
    if per_edit:
        records = [
            {
                **effect.edit.as_dict(),
                "tokens": {k: v.changed for k, v in effect.tokens.items()},
                "patches": dict(effect.patches),
            }
            for effect in result.effects
        ]
        emit(records, fmt, document={**header, "edits": records}, title="typos: one row per typo")
        return
    rows = result.rows()
    document = {**header, "render": render_config.to_dict(), "measures": rows}
    if fmt is OutputFormat.table:
        summary = ", ".join(f"{k} {v}" for k, v in header.items() if v is not None)
        emit(rows, fmt, title=f"changed per typo ({summary})", transpose=False)
    else:
        emit(rows, fmt, document=document)


__all__ = ["distance_command", "typos_command"]
