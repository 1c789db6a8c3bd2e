"""`pixtok render`: text to page images."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pixtok.cli import app
from pixtok.cli import corpus_options as corpus
from pixtok.cli import options as opt
from pixtok.cli.output import OutputFormat, choose_format, emit
from pixtok.corpus.batch import MANIFEST, ShardRun, render_shards
from pixtok.errors import InputError, UsageError
from pixtok.output_files import write_pages
from pixtok.render import render
from pixtok.render.config import RenderConfig


@app.command("render")
@opt.render_options()
def render_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Text file, or '-' for stdin; with --shards, files, folders, globs, JSON Lines, Parquet.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            help="page.png, a folder/, a pattern page-{page:03d}.png, .npy, .npz, or - (PNG on stdout).",
        ),
    ] = None,
    errors: opt.Errors = "strict",
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    shards: Annotated[
        Path | None,
        typer.Option(
            "--shards",
            help="Render a corpus into WebDataset tar shards in this folder (docs/corpus.md).",
            rich_help_panel=corpus.CORPUS,
        ),
    ] = None,
    shard_size: Annotated[
        int,
        typer.Option("--shard-size", help="Pages (samples) per shard.", rich_help_panel=corpus.CORPUS),
    ] = 1000,
    resume: corpus.Resume = False,
    field: corpus.Field = None,
    id_field: corpus.IdField = None,
    jobs: corpus.Jobs = None,
    engine: corpus.Engine = None,
    scheduler: corpus.Scheduler = None,
    strict_glyphs: corpus.StrictGlyphs = False,
    quiet: corpus.Quiet = False,
    render_config: RenderConfig | None = None,
) -> None:
    """Render text to pages: PNG per page, NPY/NPZ stacks, or one PNG on stdout.

    Without -o, pages are written next to the current folder as INPUT-STEM.png (one page) or
    INPUT-STEM-001.png... (several). A summary follows: a table on a terminal, JSON when piped.
    With --shards DIR, every record of the inputs becomes WebDataset samples (a PNG and a JSON
    per page) in tar shards, rendered on all cores and resumable with --resume.
    """
    if shards is not None:
        if output is not None:
            raise UsageError("--shards writes the pages into shards; it cannot be combined with -o")
        run = corpus.engine_options(engine, jobs, scheduler)
        records = corpus.input_records(inputs, corpus.corpus_options(field, id_field, errors, None))
        with corpus.progress_bar(inputs, quiet) as advance:
            done = render_shards(
                records, render_config, shards, shard_size=shard_size, strict_glyphs=strict_glyphs,
                engine=run, resume=resume, on_progress=advance,
            )  # fmt: skip
        print_shard_summary(done, choose_format(json_, jsonl))
        if done.totals.failed:
            raise InputError(done.totals.failure_summary())
        return
    if resume:
        raise UsageError("--resume is for --shards runs")
    if inputs and len(inputs) > 1:
        raise UsageError("render takes one input; use --shards DIR to render many")
    input = inputs[0] if inputs else None
    name, text = opt.read_input_or_stdin(input, errors)
    if output == "-" and (json_ or jsonl):
        raise UsageError("-o - writes the image to stdout; it cannot be combined with --json")
    result = render(text, render_config)
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


def print_shard_summary(run: ShardRun, fmt: OutputFormat) -> None:
    """What a --shards run wrote: shards, samples (pages), records and failures."""
    total = run.totals.total()
    summary = {
        "shards": run.shards,
        "samples": total["pages"] if total else 0,  # one sample per page
        "records": run.totals.records,
        "failed": run.totals.failed,
        "chars": total["chars"] if total else 0,
        "folder": str(run.folder),
        "manifest": str(run.folder / MANIFEST),
    }
    emit([summary], fmt, document=summary, title="render --shards")
