"""`pixtok fonts` and `pixtok presets`: what pixtok can render with."""

from __future__ import annotations

from typing import Any

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import Report, choose_format, emit_report, print_table
from pixtok.render.config import PRESETS
from pixtok.render.fonts import FontChain, list_bundled, load_font


@app.command("fonts")
def fonts_command(
    input: opt.OneInput = None,
    text: opt.Texts = None,
    font: opt.Font = None,
    no_fallback: opt.NoFallback = False,
    no_system_fonts: opt.NoSystemFonts = False,
    errors: opt.Errors = "strict",
    output: opt.Output = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """List the bundled fonts; with --font, the font chain; with a text, which font draws how many
    of its characters and which characters no font has."""
    fmt = choose_format(json_, jsonl, csv_, output)
    if input is None and not text:
        if not font:
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
            emit_report(Report(records), fmt, output=output, title="bundled fonts")
            return
        chain = FontChain.from_specs(font, fallback=not no_fallback, system_fonts=not no_system_fonts)
        records = [f.describe() for f in chain.fonts]
        options = {"fonts": list(font), "fallback": not no_fallback, "system_fonts": not no_system_fonts}
        emit_report(Report(records, None, options), fmt, output=output, title="font chain")
        return
    name, body = opt.read_input_or_stdin(input, errors, texts=text)
    chain = FontChain.from_specs(font or [], fallback=not no_fallback, system_fonts=not no_system_fonts)
    report = chain.coverage_report(body)
    records = [
        {"input": name, **{key: f[key] for key in ("family", "path", "origin", "chars")}}
        for f in report["fonts"]
    ]
    total = {"input": name, **{k: v for k, v in report.items() if k != "fonts"}}
    options = {"fonts": list(font or ()), "fallback": not no_fallback, "system_fonts": not no_system_fonts}

    def table(records: Any, total: Any) -> None:
        rows = [{k: v for k, v in r.items() if k != "input"} for r in records]
        print_table(rows, title=f"coverage: {total['missing_glyphs']} characters missing", transpose=False)
        if total["missing_glyphs"]:
            missing = [{"char": k, "count": v} for k, v in total["missing"].items()]
            print_table(missing, title="missing", transpose=False)

    emit_report(Report(records, total, options), fmt, output=output, table=table)


@app.command("presets")
def presets_command(
    output: opt.Output = None, json_: opt.Json = False, jsonl: opt.Jsonl = False, csv_: opt.Csv = False
) -> None:
    """List the render presets (what --preset takes): what each sets and where its numbers come
    from. Vision-encoder presets (-e/--encoder) are listed by `pixtok encoders`."""
    records = [
        {"name": p.name, "description": p.description, "source": p.source, "values": dict(p.values)}
        for p in PRESETS.values()
    ]

    def table(records: Any, total: Any) -> None:
        rows = [
            {
                "name": r["name"],
                "sets": ", ".join(f"{k.replace('_', '-')} {v}" for k, v in r["values"].items()),
                "source": r["source"],
            }
            for r in records
        ]
        print_table(
            rows,
            title="render presets (--preset; vision-encoder presets: pixtok encoders)",
            transpose=False,
            prose=("sets", "source"),
        )

    emit_report(Report(records), choose_format(json_, jsonl, csv_, output), output=output, table=table)
