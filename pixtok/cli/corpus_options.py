"""Flags and output shared by the commands that run over corpora (compare, render --shards, and
any command built on `pixtok.batch.run_corpus`): declared once, so they mean the same everywhere.

Also here: the progress bar (stderr, only on a terminal, never with --quiet), the input records
of a command (files, folders, globs, stdin, JSON Lines, Parquet, or the sample), and a JSON and
CSV writer that stream records instead of holding them, so stdout output stays flat in memory.
"""

from __future__ import annotations

import contextlib
import csv
import json
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Annotated, Any, TextIO

import typer

from pixtok import limits
from pixtok.corpus.batch import EngineOptions, Progress
from pixtok.corpus.inputs import CorpusOptions, Input, Record, count_records, iter_records
from pixtok.corpus.parallel import ENGINES, check_engine

CORPUS = "Corpus options"

Field = Annotated[
    str | None,
    typer.Option(
        "--field",
        help="JSON Lines / Parquet column holding the text (default: text); makes '-' JSON Lines.",
        rich_help_panel=CORPUS,
    ),
]
IdField = Annotated[
    str | None,
    typer.Option(
        "--id-field",
        help="Column holding each record's id (default: FILE:LINE or FILE:ROW).",
        rich_help_panel=CORPUS,
    ),
]
GroupBy = Annotated[
    str | None,
    typer.Option(
        "--group-by", help="Also total per value of this column (e.g. lang).", rich_help_panel=CORPUS
    ),
]
Jobs = Annotated[
    int | None,
    typer.Option("--jobs", "-j", help="Worker processes (default: all cores).", rich_help_panel=CORPUS),
]
Engine = Annotated[
    str | None,
    typer.Option("--engine", help=f"{', '.join(ENGINES)} (default: process).", rich_help_panel=CORPUS),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler address (tcp://host:8786) for --engine dask.",
        rich_help_panel=CORPUS,
    ),
]
RecordsOutput = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the records to FILE (format: the flag, else the extension .json/.jsonl/.csv, else "
        "JSON Lines), whole or not at all; stdout then shows the total. '-' is stdout.",
        rich_help_panel="Output",
    ),
]
Resume = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Continue an interrupted -o or --shards run, skipping the records done.",
        rich_help_panel=CORPUS,
    ),
]
StrictGlyphs = Annotated[
    bool,
    typer.Option(
        "--strict-glyphs", help="A text with characters no font can draw fails.", rich_help_panel=CORPUS
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.", rich_help_panel=CORPUS)]

#: Per-record rows a terminal table shows before it only counts the rest.
TABLE_ROWS = 50


def engine_options(engine: str | None, jobs: int | None, scheduler: str | None) -> EngineOptions:
    """Checked engine flags (a bad combination is a UsageError, exit 2); more local --jobs than the
    `jobs` limit allows are capped, with a warning."""
    chosen = check_engine(engine, jobs, scheduler)
    cap = limits.current().jobs
    if jobs is not None and jobs > cap and chosen == "process":
        sys.stderr.write(
            f"pixtok: warning: --jobs {jobs} capped at {cap}, the usable cores; "
            f"raise the cap with `pixtok --limit jobs={jobs} ...` ({limits.DOCS})\n"
        )
        jobs = cap
    return EngineOptions(chosen, jobs, scheduler)


def corpus_options(
    field: str | None, id_field: str | None, errors: str, keep: tuple[str, ...] | None
) -> CorpusOptions:
    """How a command reads its corpus: `--field` (default `text`), `--id-field`, `--errors`, and
    the columns to keep. `--field ''` is refused (CorpusOptions says so), not read as the default."""
    return CorpusOptions(
        field="text" if field is None else field,
        id_field=id_field,
        keep=keep,
        errors=errors,
        stdin_jsonl=field is not None or id_field is not None,
    )


def input_records(
    inputs: Sequence[Input] | None,
    options: CorpusOptions,
    *,
    read_default: Callable[[], tuple[str, str]] | None = None,
    on_skip: Callable[[str], None] | None = None,
) -> Iterator[Record]:
    """The records a command reads: its inputs, or with none, JSON Lines from stdin (when a field
    is named) or `read_default()` (stdin, or the command's sample)."""
    if inputs:
        return iter_records(inputs, options, on_skip=on_skip)
    if options.stdin_jsonl or read_default is None:
        return iter_records(["-"], options)
    name, text = read_default()
    return iter([Record(name, text, {}, name)])


class SkipCounter:
    """Counts the files of folders skipped as not text, and says so on stderr once at the end."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, path: str) -> None:
        self.paths.append(path)

    def report(self) -> None:
        if self.paths:
            count = len(self.paths)
            what = "1 file that is" if count == 1 else f"{count} files that are"
            sys.stderr.write(
                f"pixtok: skipped {what} not text in the folders given (first: {self.paths[0]})\n"
            )


@contextlib.contextmanager
def progress_bar(inputs: Sequence[Input] | None, quiet: bool, unit: str = "records") -> Iterator[Progress]:
    """A `Progress` callback that drives a bar on stderr: records done, records/s, elapsed, ETA.

    Silent with --quiet, when stderr is not a terminal, and for a single text (a file, or the
    sample), where a bar would only flash past the result. The total, for the ETA, is counted
    only when that is cheap (see `pixtok.corpus.count_records`). The rate is records measured
    by this run over its elapsed time (records skipped by --resume do not count), since results
    arrive in bursts of a chunk.
    """
    if quiet or not sys.stderr.isatty() or not inputs:
        yield _silent
        return
    total = count_records(inputs)
    if total is not None and total <= 1:
        yield _silent
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar
    from rich.text import Text

    skipped = 0

    class RateColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            rate = (task.completed - skipped) / task.elapsed if task.elapsed else 0.0
            text = f"{rate:.1f} {unit}/s" if rate else f"- {unit}/s"
            if rate and task.total is not None:
                left = max(task.total - task.completed, 0) / rate
                text += f"  eta {int(left // 3600)}:{int(left % 3600 // 60):02d}:{int(left % 60):02d}"
            return Text(text)

    bar = Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        RateColumn(),
        console=Console(stderr=True),
        transient=True,  # the bar goes once the run is done: the results stay
    )
    with bar:
        task = bar.add_task("pixtok", total=total)

        def advance(n: int, *, resumed: bool = False) -> None:
            nonlocal skipped
            if resumed:
                skipped += n
            bar.advance(task, n)

        yield advance


def _silent(n: int, *, resumed: bool = False) -> None:
    """The progress callback when no bar is shown."""


# -- streaming JSON and CSV ---------------------------------------------------------------------


def _indented(value: Any, level: int) -> str:
    """`value` as `json.dumps(..., indent=2)` prints it nested `level` deep."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)


class JsonDocument:
    """Writes `{**head, key: [records...], **tail}` exactly as `json.dumps(indent=2)` would, but
    record by record (`add`), so that a long list is never held in memory. Nothing is written
    before the first record, so an error raised before it leaves stdout empty."""

    def __init__(self, out: TextIO, head: Mapping[str, Any], key: str) -> None:
        self.out = out
        self.head = head
        self.key = key
        self.count = 0
        self.started = False

    def _start(self) -> None:
        self.started = True
        self.out.write("{\n")
        for name, value in self.head.items():
            self.out.write(f"  {json.dumps(name, ensure_ascii=False)}: {_indented(value, 1)},\n")
        self.out.write(f"  {json.dumps(self.key, ensure_ascii=False)}: [")

    def add(self, record: Any) -> None:
        if not self.started:
            self._start()
        self.out.write(("\n" if not self.count else ",\n") + "    " + _indented(record, 2))
        self.count += 1

    def close(self, tail: Mapping[str, Any]) -> None:
        if not self.started:
            self._start()
        self.out.write("\n  ]" if self.count else "]")
        for name, value in tail.items():
            self.out.write(f",\n  {json.dumps(name, ensure_ascii=False)}: {_indented(value, 1)}")
        self.out.write("\n}\n")
        self.out.flush()


class CsvSpool:
    """Rows spooled to a temporary file while the header (the union of their keys) is collected;
    `write(out)` then prints header and rows. Memory holds the header, not the rows."""

    def __init__(self) -> None:
        self._spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - closed in write
        self.header: dict[str, None] = {}

    def add(self, flat_row: Mapping[str, Any]) -> None:
        self.header.update(dict.fromkeys(flat_row))
        self._spool.write(json.dumps(flat_row, ensure_ascii=False) + "\n")

    def write(self, out: TextIO) -> None:
        writer = csv.DictWriter(out, fieldnames=list(self.header), lineterminator="\n")
        writer.writeheader()
        self._spool.seek(0)
        for line in self._spool:
            writer.writerow(json.loads(line))
        self._spool.close()
        out.flush()
