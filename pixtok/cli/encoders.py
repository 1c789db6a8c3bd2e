"""`pixtok encoders`: the vision-encoder presets, with patch size, formula and source."""

from __future__ import annotations

from pathlib import Path

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import Report, choose_format, emit_report, print_table
from pixtok.encoders import get_encoder, list_encoders, load_encoders

PRESETS_HELP = "TOML/JSON file of extra encoder presets (see docs/encoders.md); repeatable."


def load_preset_files(files: list[Path] | None) -> None:
    """Register the presets of each --presets file (shared with `pixtok patchify`)."""
    for path in files or []:
        load_encoders(path)


@app.command("encoders")
def encoders_command(
    presets: list[Path] | None = typer.Option(None, "--presets", help=PRESETS_HELP),
    output: opt.Output = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """List the vision-encoder presets (what -e/--encoder takes): patch size, token formula and the
    source of its figures. Render presets (--preset) are listed by `pixtok presets`."""
    fmt = choose_format(json_, jsonl, csv_, output)
    load_preset_files(presets)
    records = [get_encoder(name).describe() for name in list_encoders()]
    emit_report(
        Report(records, None, {"presets": [str(p) for p in presets or ()]}),
        fmt,
        output=output,
        table=lambda records, total: print_table(
            [{key: r[key] for key in ("name", "patch", "formula", "source")} for r in records],
            title="vision-encoder presets (-e/--encoder; render presets: pixtok presets)",
            transpose=False,
            prose=("formula", "source"),
        ),
    )
