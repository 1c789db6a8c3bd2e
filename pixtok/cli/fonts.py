"""`pixtok fonts` and `pixtok presets`: what pixtok can render with."""

from __future__ import annotations

from typing import Annotated

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import choose_format, emit
from pixtok.io import read_text
from pixtok.render.config import PRESETS
from pixtok.render.fonts import FontChain, list_bundled, load_font


@app.command("fonts")
def fonts_command(
    text: Annotated[
        str | None, typer.Option("--text", help="Report how the font chain covers this file ('-' for stdin).")
    ] = None,
    font: opt.Font = None,
    no_fallback: opt.NoFallback = False,
    no_system_fonts: opt.NoSystemFonts = False,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """List the bundled fonts, or with --text, which font draws how many characters and what is missing."""
    fmt = choose_format(json_, jsonl, csv_)
    if text is None and not font:
        records = []
        for entry in list_bundled():
            loaded = load_font(str(entry.path), 0, entry.family)
            records.append(
                {
                    "family": entry.family,
                    "file": entry.path.name,
                    "scripts": ",".join(entry.scripts) or "latin,greek,cyrillic,symbols",
                    "glyphs": loaded.hb_face.glyph_count,
                    "characters": len(loaded.coverage),
                    "sha256": loaded.sha256,
                }
            )
        emit(records, fmt, title="bundled fonts")
        return
    chain = FontChain.from_specs(font or [], fallback=not no_fallback, system_fonts=not no_system_fonts)
    if text is None:
        emit([f.describe() for f in chain.fonts], fmt, title="font chain")
        return
    report = chain.coverage_report(read_text(text))
    records = [
        {"family": f["family"], "path": f["path"], "origin": f["origin"], "chars": f["chars"]}
        for f in report["fonts"]
    ]
    emit(records, fmt, document=report, title=f"coverage: {report['missing_glyphs']} characters missing")
    if report["missing_glyphs"] and fmt.value == "table":
        emit([{"char": k, "count": v} for k, v in report["missing"].items()], fmt, title="missing")


@app.command("presets")
def presets_command(json_: opt.Json = False, jsonl: opt.Jsonl = False, csv_: opt.Csv = False) -> None:
    """List the named render presets, what they set and where their numbers come from."""
    records = [
        {"name": p.name, "description": p.description, "source": p.source, "values": dict(p.values)}
        for p in PRESETS.values()
    ]
    emit(records, choose_format(json_, jsonl, csv_), title="render presets")
