"""`pixtok encoders`: the vision-encoder presets, with patch size, formula and source."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import OutputFormat, choose_format, emit
from pixtok.compare import split_names
from pixtok.encoders import get_encoder, list_encoders
from pixtok.encoders.catalog import count_cell, counts_at, parse_size, size_key


@app.command("encoders")
def encoders_command(
    encoder: Annotated[
        list[str] | None, typer.Option("--encoder", "-e", help="Comma list of presets (default: all).")
    ] = None,
    encoder_files: opt.EncoderFiles = None,
    size: Annotated[
        list[str] | None,
        typer.Option("--size", help="Also count an image of WIDTHxHEIGHT px (595x842); repeatable."),
    ] = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """List the vision-encoder presets: name, patch size, token formula and the source of its figures.

    With --size, each preset's count of an image of that size: tokens / sequence tokens / valid.
    """
    fmt = choose_format(json_, jsonl, csv_)
    opt.load_encoder_files(encoder_files)
    sizes = [parse_size(value) for value in size or []]
    names = split_names(encoder, list_encoders()) if encoder is not None else list_encoders()
    chosen = [get_encoder(name) for name in names]
    described = [enc.describe() for enc in chosen]
    if sizes:
        for info, enc in zip(described, chosen, strict=True):
            info["counts"] = counts_at(enc, sizes)
    if sizes and fmt is OutputFormat.table:
        rows = [{"name": enc.name, **{size_key(s): count_cell(enc, s) for s in sizes}} for enc in chosen]
        emit(rows, fmt, title="tokens / sequence tokens / valid tokens", transpose=False)
        return
    records: list[dict[str, Any]] = [
        {key: info[key] for key in ("name", "patch", "formula", "source", *(["counts"] if sizes else []))}
        for info in described
    ]
    emit(records, fmt, document=described, title="vision encoders", transpose=False)
