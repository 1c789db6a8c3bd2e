"""`pixtok render`: text to page images."""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from pixtok.cli import app
from pixtok.cli import corpus_options as corpus
from pixtok.cli import options as opt
from pixtok.cli.output import OutputFormat, Report, choose_format, emit_report, print_table
from pixtok.compare import sample_text
from pixtok.corpus.batch import MANIFEST, ShardRun, check_glyphs, render_shards
from pixtok.corpus.inputs import Record
from pixtok.errors import FontError, InputError, UsageError
from pixtok.io import STDIO, deferred_outputs, input_name, is_input, remove_on_commit
from pixtok.limits import printable
from pixtok.output_files import is_folder_target, stale_pages, write_pages
from pixtok.render import render
from pixtok.render.config import RenderConfig


@app.command("render")
@opt.render_options
def render_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT|TEXT|-",
            help="Text files, folders, globs, '-' for stdin, or literal text; with --shards, also "
            "JSON Lines and Parquet.",
            show_default=False,
        ),
    ] = None,
    text: opt.Texts = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            help="A folder/ (pages NAME-0001.png..., the default: the current folder), page.png, a "
            "pattern page-{page:04d}.png, .npy, .npz, or - (PNG on stdout).",
        ),
    ] = None,
    errors: opt.Errors = "strict",
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
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

    Each input's pages are NAME-0001.png, NAME-0002.png... (NAME: the file's stem, `stdin`,
    or `text`), in the current folder or the -o folder; pages an earlier, longer render of the
    same NAME left there are removed (stderr says so). One record per input follows: a table on
    a terminal, JSON Lines when piped. With no input, a piped stdin is rendered, else a sample.
    With --shards DIR, every record of the inputs becomes WebDataset samples (a PNG and a JSON
    per page) in tar shards, rendered on all cores and resumable with --resume.
    """
    fmt = choose_format(json_, jsonl, csv_)
    given = opt.input_arguments(inputs, text)
    skipped = corpus.SkipCounter()
    if shards is not None:
        if output is not None:
            raise UsageError("--shards writes the pages into shards; it cannot be combined with -o")
        run = corpus.engine_options(engine, jobs, scheduler)
        reading = corpus.corpus_options(field, id_field, errors, None)
        records = corpus.input_records(given, reading, on_skip=skipped)
        with corpus.progress_bar(given, quiet) as advance:
            done = render_shards(
                records, render_config, shards, shard_size=shard_size, strict_glyphs=strict_glyphs,
                engine=run, resume=resume, on_progress=advance,
            )  # fmt: skip
        skipped.report()
        print_shard_summary(done, fmt, render_config)
        if done.totals.failed:
            raise InputError(done.totals.failure_summary())
        return
    if resume:
        raise UsageError("--resume is for --shards runs")
    if output == "-" and (json_ or jsonl or csv_):
        raise UsageError("-o - writes the image to stdout; it cannot be combined with a format flag")
    target = output if output is not None else "."
    reading = corpus.corpus_options(field, id_field, errors, None)
    records = corpus.input_records(
        given, reading, read_default=lambda: opt.read_input_or_stdin(None, errors, sample=sample_text()),
        on_skip=skipped,
    )  # fmt: skip
    first, rest = _first_and_rest(records)
    several = rest is not None
    if several and not is_folder_target(target):
        raise UsageError(
            f"several inputs render into a folder, one page series each: -o DIR/ (not -o {target})"
        )
    summaries: list[dict[str, Any]] = []
    names: set[str] = set()
    failed: list[dict[str, Any]] = []
    removed: list[tuple[str, list[Path]]] = []  # what stale pages went, said once they have
    # The pages are put in place (and stale ones removed) only once the summary is written, so
    # that a summary that cannot be written (stdout on a full disk) leaves no page behind.
    with deferred_outputs():
        for record in itertools.chain([first] if first is not None else [], rest or []):
            summary = _render_one(
                record,
                render_config,
                target,
                names,
                strict=not several,
                strict_glyphs=strict_glyphs,
                removed=removed,
            )
            if summary is None:  # the page went to stdout
                return
            if "error" in summary:
                failed.append(summary)
            summaries.append(summary)
        skipped.report()
        if not summaries:
            raise InputError("nothing to render: the inputs hold no text files")
        done = [s for s in summaries if "error" not in s]
        total = {
            "inputs": len(done),
            **{
                key: sum(s[key] for s in done)
                for key in ("pages", "chars", "lines", "glyphs", "missing_glyphs")
            },
        }
        options = {"render": render_config.to_dict() if render_config else {}, "output": target}
        emit_report(Report(summaries, total, options), fmt, table=_render_table)
    for name, stale in removed:
        _say_removed(name, stale)
    if failed:
        first_failed = failed[0]
        raise InputError(
            f"{len(failed)} of {len(summaries)} inputs failed (first: {first_failed['input']}: "
            f"{first_failed['error']})"
        )


def _first_and_rest(records: Iterator[Record]) -> tuple[Record | None, Iterator[Record] | None]:
    """The first record, and an iterator over the others (None when there is only one)."""
    first = next(records, None)
    second = next(records, None)
    if second is None:
        return first, None
    return first, itertools.chain([second], records)


def page_name(record: Record, taken: set[str]) -> str:
    """The NAME of an input's page files: a file's stem, `stdin`, `text` (literal text), or the
    record id made safe for a file name; a name already `taken` in this run gets `-2`, `-3`...
    (the first of them not taken either: inputs `x`, `x` and `x-2` are `x`, `x-2` and `x-2-2`).

    A file named in bytes that are not UTF-8 has an id that spells them as escapes (`a\\xffb.txt`);
    its stem is taken from the file's own name, then made safe as an id is (`a-xffb`)."""
    path = record.source if record.id == printable(record.source) else record.id
    if record.id == STDIO:
        base = "stdin"
    elif os.path.exists(path):
        base = Path(path).stem
        if printable(base) != base:
            base = _safe_name(printable(base))
    else:
        base = _safe_name(record.id)
    name, count = base, 1
    while name in taken:
        count += 1
        name = f"{base}-{count}"
    taken.add(name)
    return name


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip("-.") or "text"


def _render_one(
    record: Record,
    config: RenderConfig | None,
    target: str,
    names: set[str],
    *,
    strict: bool,
    strict_glyphs: bool = False,
    removed: list[tuple[str, list[Path]]] | None = None,
) -> dict[str, Any] | None:
    """Render one record and write its pages; its summary, or None when the page went to stdout.

    With `strict` (a single input) a data error ends the command; otherwise it becomes the
    record's `error` and the other inputs are rendered. With `strict_glyphs` a character no font
    can draw is such an error (--strict-glyphs, as with --shards and in compare). Stale pages of
    an earlier render are removed with the new pages' commit; the warning saying so goes to
    `removed` (else to stderr at once).
    """
    if record.error is not None:
        if strict:
            raise InputError(f"{input_name(record.id)}: {record.error}")
        return {"input": record.id, "error": record.error}
    try:
        result = render(record.text, config)
        if strict_glyphs:
            check_glyphs(result)
    except (InputError, FontError) as exc:
        if strict:
            raise
        return {"input": record.id, "error": str(exc)}
    name = page_name(record, names)
    written = write_pages(result, target, name)
    if target == "-":
        _warn_missing(result.missing_glyphs, [])
        return None
    if is_folder_target(target):
        # A file of this run's inputs named as a page stays (`remove_on_commit`, `_say_removed`).
        stale = stale_pages(target, name, result.page_count)
        for path in stale:
            remove_on_commit(path)
        if stale and removed is None:
            _say_removed(name, stale)
        elif stale:
            removed.append((name, stale))
    # A folder named in bytes that are not UTF-8 is spelled as the input's id is (\xff).
    summary = {"input": record.id, "outputs": [printable(str(path)) for path in written], **result.summary()}
    summary.pop("config")
    _warn_missing(result.missing_glyphs, list(summary["missing_chars"]))
    return summary


def _say_removed(name: str, stale: list[Path]) -> None:
    """Warn of the stale pages that went (an input of the run read after they were found, which
    `remove_on_commit` keeps, is not among them)."""
    gone = [path for path in stale if not is_input(path)]
    if gone:
        sys.stderr.write(
            f"pixtok: warning: removed {len(gone)} stale pages of an earlier render of {name} "
            f"({gone[0].name}{' … ' + gone[-1].name if len(gone) > 1 else ''})\n"
        )


def _warn_missing(count: int, chars: list[str]) -> None:
    if count:
        listed = f" ({', '.join(chars[:8])})" if chars else ""
        sys.stderr.write(
            f"pixtok: warning: {count} characters have no glyph in any font{listed}; add a font with --font\n"
        )


def _render_table(records: Any, total: Any) -> None:
    """One row per input: pages, size, characters, the files written, the fonts used."""
    rows = []
    for record in records:
        if "error" in record:
            rows.append({"input": record["input"], "error": record["error"]})
            continue
        outputs = record["outputs"]
        rows.append(
            {
                "input": record["input"],
                "pages": record["pages"],
                "width": record["width"],
                "height": record["height"],
                "chars": record["chars"],
                "font size (px)": record["font_size_px"],
                "missing glyphs": record["missing_glyphs"],
                "files": outputs[0] if len(outputs) == 1 else f"{outputs[0]} … {Path(outputs[-1]).name}",
                "fonts": ", ".join(f["family"] for f in record["fonts"]),
            }
        )
    if total is not None and len(records) != 1:
        rows.append({"input": "total", **{k: total[k] for k in ("pages", "chars")}})
    print_table(rows, title="render", prose=("files", "fonts", "error"))


def print_shard_summary(run: ShardRun, fmt: OutputFormat, config: RenderConfig | None) -> None:
    """What a --shards run wrote. Its records are the manifest's (DIR/records.jsonl), so stdout
    shows only the total, as for -o FILE: a table on a terminal, the document with --json."""
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
    report = Report([], summary, {"render": config.to_dict() if config else {}})
    if fmt is OutputFormat.json:
        emit_report(report, fmt)
    elif sys.stdout.isatty():
        print_table([summary], title="render --shards")
