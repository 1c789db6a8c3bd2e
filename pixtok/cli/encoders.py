"""`pixtok encoders`: the vision-encoder presets, with patch size, formula and source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import choose_format, emit
from pixtok.encoders import get_encoder, list_encoders, load_encoders

PRESETS_HELP = "TOML/JSON file of extra encoder presets (see docs/encoders.md); repeatable."


def load_preset_files(files: list[Path] | None) -> None:
    """Register the presets of each --presets file (shared with `pixtok patchify`)."""
    for path in files or []:
        load_encoders(path)


@app.command("encoders")
def encoders_command(
    presets: list[Path] | None = typer.Option(None, "--presets", help=PRESETS_HELP),
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """List the vision-encoder presets: name, patch size, token formula and the source of its figures."""
    fmt = choose_format(json_, jsonl, csv_)
    load_preset_files(presets)
    described = [get_encoder(name).describe() for name in list_encoders()]
    records: list[dict[str, Any]] = [
        {key: info[key] for key in ("name", "patch", "formula", "source")} for info in described
    ]
    emit(records, fmt, document=described, title="vision encoders", transpose=False)
