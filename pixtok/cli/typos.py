"""`pixtok distance` and `pixtok typos`: how far a typo moves a text, in characters, tokens and pixels."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import Report, choose_format, emit_report, print_table, stdout_errors
from pixtok.cli.progress import progress_bar
from pixtok.compare import DEFAULT_TOKENIZERS, split_names
from pixtok.corpus.inputs import LITERAL_TEXT_ID, TextInput
from pixtok.errors import InputError, UsageError
from pixtok.io import STDIO, read_text, write_bytes_atomic
from pixtok.measure.distance import text_distance
from pixtok.measure.keyboards import LAYOUTS
from pixtok.measure.typos import KINDS, corrupt, report_steps, typo_report
from pixtok.render.config import RenderConfig

TYPOS = "Typos"

KeyboardLayout = Annotated[
    str,
    typer.Option(
        "--keyboard",
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
@opt.render_options
def distance_command(
    a: Annotated[
        str | None,
        typer.Argument(
            metavar="A", help="First text: a file, '-' for stdin, or literal text.", show_default=False
        ),
    ] = None,
    b: Annotated[
        str | None,
        typer.Argument(metavar="B", help="Second text, the same way.", show_default=False),
    ] = None,
    text: opt.Texts = None,
    keyboard: KeyboardLayout = "qwerty",
    tokenizer: opt.Tokenizers = None,
    encoder: Encoders = None,
    encoder_files: opt.EncoderFiles = None,
    patch: Patch = 16,
    no_pixels: Annotated[
        bool, typer.Option("--no-pixels", help="Skip rendering and pixel distances.")
    ] = False,
    errors: opt.Errors = "strict",
    output: opt.Output = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
    render_config: RenderConfig | None = None,
) -> None:
    """Distances between two texts: Levenshtein, keyboard-aware, per tokenizer, and between their renders.

    A and B are each a file, '-' or literal text (--text gives one or both as text, whatever
    they look like). Keys: `input` (`a` and `b`), `levenshtein`; `keyboard` (layout, distance:
    substitutions cost key distance ÷ layout diameter, insert/delete 1); `tokens.<tokenizer>`
    (edit distance over ids, tokens changed = removed + added); `pixels` (patches that differ,
    L2, RMSE, SSIM; both texts rendered with one set-up, the glyph preset's unless told otherwise).
    """
    fmt = choose_format(json_, jsonl, csv_, output)
    opt.load_encoder_files(encoder_files)
    given = [arg for arg in (a, b) if arg is not None]
    if given.count(STDIO) > 1:
        raise UsageError("only one of A and B can be '-' (standard input)")
    texts = [_one_text(arg, errors) for arg in given] + [
        (LITERAL_TEXT_ID, opt.literal_text(t).text) for t in text or ()
    ]
    if len(texts) != 2:
        raise UsageError(f"distance compares two texts: give A and B (got {len(texts)})")
    (name_a, text_a), (name_b, text_b) = texts
    if no_pixels:
        if encoder:
            raise UsageError("--encoder compares renders; it cannot be combined with --no-pixels")
        render_config = None
    with contextlib.ExitStack() as bars:
        record = {
            "input": {"a": name_a, "b": name_b},
            **text_distance(
                text_a,
                text_b,
                layout=keyboard,
                tokenizers=split_names(tokenizer, DEFAULT_TOKENIZERS),
                config=render_config,
                patch=patch,
                encoders=split_names(encoder, ()),
                pixels=not no_pixels,
                progress=_keyboard_progress(bars),
            ),
        }
    options = {
        "keyboard": keyboard,
        "tokenizers": list(split_names(tokenizer, DEFAULT_TOKENIZERS)),
        "encoders": list(split_names(encoder, ())),
        "patch": patch,
        "render": None if render_config is None else render_config.to_dict(),
    }
    emit_report(Report([record], None, options), fmt, output=output, title="distance")


def _keyboard_progress(bars: contextlib.ExitStack) -> Callable[[int, int], None]:
    """A `progress(rows done, rows)` callback for the keyboard distance's DP: the first call opens
    a bar on stderr (the DP calls it only when its table is large, seconds of work or more: two
    long texts that differ throughout take time in proportion to the product of their lengths),
    which `bars` closes."""
    shown = 0
    advance: Callable[[int], None] | None = None

    def report(done: int, total: int) -> None:
        nonlocal shown, advance
        if advance is None:
            advance = bars.enter_context(progress_bar(total, "keyboard distance"))
        advance(done - shown)
        shown = done

    return report


def _one_text(argument: str, errors: str) -> tuple[str, str]:
    """(name, text) of A or B: a file, '-', or literal text."""
    (given,) = opt.input_arguments([argument])
    if isinstance(given, TextInput):
        return given.name, given.text
    return str(given), read_text(given, errors=errors)


@app.command("typos")
@opt.render_options
def typos_command(
    input: opt.OneInput = None,
    text: opt.Texts = None,
    rate: Annotated[
        float, typer.Option("--rate", help="Probability that each letter gets a typo.", rich_help_panel=TYPOS)
    ] = 0.02,
    kind: Annotated[
        str, typer.Option("--kind", help=f"One of {', '.join(KINDS)}.", rich_help_panel=TYPOS)
    ] = "keyboard",
    keyboard: KeyboardLayout = "qwerty",
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same typos).")] = 0,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the corrupted text (with --report: the records) to FILE instead of stdout "
            "('-': stdout).",
        ),
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
    and on each --encoder's view; `combined_per_edit` applies all typos at once. The records are
    one row per measure (or per typo with --per-edit); the total says what was corrupted.
    """
    if per_edit and not report:
        raise UsageError("--per-edit is a form of --report; add --report")
    name, body = opt.read_input_or_stdin(input, errors, texts=text)
    if report and not body.strip():  # refused before the warning that no letter can take a typo
        raise InputError("the input text is empty (nothing but whitespace)")
    corruption = corrupt(body, rate=rate, kind=kind, layout=keyboard, seed=seed)
    if not corruption.eligible:
        what = f"is on the {corruption.layout} layout" if kind == "keyboard" else "can take this kind of typo"
        sys.stderr.write(f"pixtok: warning: no letter of the input {what}; the text is unchanged\n")
    if not report:
        with stdout_errors():
            write_bytes_atomic(STDIO if output is None else output, corruption.text.encode("utf-8"))
        return
    fmt = choose_format(json_, jsonl, csv_, output)
    opt.load_encoder_files(encoder_files)
    # Each measured typo renders and tokenizes the whole text again: a bar on a terminal.
    with progress_bar(report_steps(corruption, max_edits), "typos: texts measured") as advance:
        result = typo_report(
            corruption,
            tokenizers=split_names(tokenizer, DEFAULT_TOKENIZERS),
            config=render_config,
            patch=patch,
            encoders=split_names(encoder, ()),
            max_edits=max_edits,
            progress=lambda done, total: advance(1),
        )
    header = result.header()
    total = {"input": name, **{k: header[k] for k in ("chars", "eligible", "edits", "measured")}}
    options = {
        **{k: header[k] for k in ("kind", "rate", "seed")},
        "keyboard": header["layout"],
        "tokenizers": list(split_names(tokenizer, DEFAULT_TOKENIZERS)),
        "encoders": list(split_names(encoder, ())),
        "patch": patch,
        "max_edits": max_edits,
        "render": render_config.to_dict() if render_config else {},
    }
    if per_edit:
        records = [
            {
                "input": name,
                **effect.edit.as_dict(),
                "tokens": {k: v.changed for k, v in effect.tokens.items()},
                "patches": dict(effect.patches),
            }
            for effect in result.effects
        ]
        emit_report(Report(records, total, options), fmt, output=output, table=_per_edit_table)
        return
    records = [{"input": name, **row} for row in result.rows()]
    summary = ", ".join(f"{k} {v}" for k, v in header.items() if v is not None)

    def table(records: Any, total: Any) -> None:
        rows = [{k: v for k, v in r.items() if k != "input"} for r in records]
        print_table(rows, title=f"changed per typo ({summary})", transpose=False)

    emit_report(Report(records, total, options), fmt, output=output, table=table)


def _per_edit_table(records: Any, total: Any) -> None:
    rows = [{k: v for k, v in r.items() if k != "input"} for r in records]
    print_table(rows, title="typos: one row per typo", transpose=False)


__all__ = ["distance_command", "typos_command"]
