"""`pixtok encoders`: the vision-encoder presets, with patch size, formula and source."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import Report, choose_format, emit_report, print_table
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
    output: opt.Output = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """List the vision-encoder presets (what -e/--encoder takes): patch size, token formula and the
    source of its figures. Render presets (--preset) are listed by `pixtok presets`.

    With --size, each preset's count of an image of that size: tokens / sequence tokens / valid.
    """
    fmt = choose_format(json_, jsonl, csv_, output)
    opt.load_encoder_files(encoder_files)
    sizes = [parse_size(value) for value in size or []]
    names = split_names(encoder, list_encoders()) if encoder is not None else list_encoders()
    chosen = [get_encoder(name) for name in names]
    records: list[dict[str, Any]] = [enc.describe() for enc in chosen]
    if sizes:
        for info, enc in zip(records, chosen, strict=True):
            info["counts"] = counts_at(enc, sizes)
    options = {"encoders": names, "encoder_files": [str(p) for p in encoder_files or ()], "sizes": size or []}

    def table(records: Any, total: Any) -> None:
        if sizes:
            rows = [{"name": enc.name, **{size_key(s): count_cell(enc, s) for s in sizes}} for enc in chosen]
            print_table(rows, title="tokens / sequence tokens / valid tokens", transpose=False)
            return
        print_table(
            [{key: r[key] for key in ("name", "patch", "formula", "source")} for r in records],
            title="vision-encoder presets (-e/--encoder; render presets: pixtok presets)",
            transpose=False,
            prose=("formula", "source"),
        )

    emit_report(Report(records, None, options), fmt, output=output, table=table)
