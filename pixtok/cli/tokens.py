"""Text-token commands: `pixtok tokenizers`, `pixtok tokens` and `pixtok train-tokenizer`."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable
from typing import Any

import typer

from pixtok.cli import app, corpus_options
from pixtok.cli import options as opt
from pixtok.cli.output import (
    OutputFormat,
    Report,
    choose_format,
    emit_report,
    print_table,
    total_row,
)
from pixtok.compare import DEFAULT_TOKENIZERS, split_names
from pixtok.errors import InputError, UsageError
from pixtok.io import STDIO, deferred_outputs, input_name
from pixtok.tokenizers import Tokenizer, get_tokenizer, list_file_loaders, list_tokenizers
from pixtok.tokenizers.training import (
    DEFAULT_CHARACTER_COVERAGE,
    MODEL_TYPES,
    TrainedModel,
    train_sentencepiece,
)


@app.command("tokenizers")
def tokenizers_command(
    describe: bool = typer.Option(
        False,
        "--describe",
        help="Load each available tokenizer and show its file, SHA-256 and library version.",
    ),
    output: opt.Output = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """List the text tokenizers: name, kind, vocabulary size and whether it can be used here."""
    fmt = choose_format(json_, jsonl, csv_, output)
    records: list[dict[str, Any]] = []
    for info in [*list_tokenizers(), *list_file_loaders()]:
        record = info.to_dict()
        if describe and info.available and ":" not in info.name:
            loaded = get_tokenizer(info.name).describe()
            record.update(
                vocab_size=loaded["vocab_size"],
                file=loaded["file"],
                sha256=loaded["sha256"],
                library=loaded["library"],
                library_version=loaded["library_version"],
            )
        records.append(record)
    columns = ["name", "kind", "vocab_size", "available", "description"]
    if any(not record["available"] for record in records):
        columns.insert(4, "reason")
    if describe:
        columns += ["file", "sha256", "library_version"]
    report = Report(records, None, {"describe": describe})
    emit_report(
        report,
        fmt,
        output=output,
        table=lambda records, total: print_table(
            records,
            title="text tokenizers",
            columns=columns,
            transpose=False,
            prose=("description", "reason"),
        ),
    )


def token_record(
    source: str, text: str, tokenizers: list[Tokenizer], pieces: bool, ids: bool
) -> dict[str, Any]:
    """One input's counts: characters, UTF-8 bytes and tokens per tokenizer (plus pieces/ids on request)."""
    record: dict[str, Any] = {
        "input": source,
        "chars": len(text),
        "bytes": len(text.encode("utf-8")),
        "tokens": {tok.name: tok.count(text) for tok in tokenizers},
    }
    if pieces:
        record["pieces"] = {tok.name: tok.pieces(text) for tok in tokenizers}
    if ids:
        record["ids"] = {tok.name: tok.encode(text) for tok in tokenizers}
    return record


def token_total(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts summed over the inputs."""
    names = list(records[0]["tokens"]) if records else []
    return {
        "inputs": len(records),
        "chars": sum(r["chars"] for r in records),
        "bytes": sum(r["bytes"] for r in records),
        "tokens": {name: sum(r["tokens"][name] for r in records) for name in names},
    }


@app.command("tokens")
def tokens_command(
    inputs: list[str] = typer.Argument(
        None,
        metavar="INPUT|TEXT|-",
        help="Text files, folders, globs, JSON Lines or Parquet; '-' for standard input; literal "
        "text. None reads piped standard input.",
        show_default=False,
    ),
    text: opt.Texts = None,
    tokenizer: str | None = typer.Option(
        None,
        "--tokenizer",
        "-t",
        help="Comma-separated tokenizer names or spm:PATH, tiktoken:PATH, hf:PATH (see `pixtok "
        f"tokenizers`; default: {','.join(DEFAULT_TOKENIZERS)}).",
        show_default=False,
    ),
    count: bool = typer.Option(
        False, "--count", help="Print only the token count, one line per input (one tokenizer)."
    ),
    pieces: bool = typer.Option(False, "--pieces", help="Also show each tokenizer's pieces."),
    ids: bool = typer.Option(False, "--ids", help="Also show each tokenizer's token ids."),
    errors: opt.Errors = "strict",
    field: corpus_options.Field = None,
    id_field: corpus_options.IdField = None,
    output: opt.Output = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """Count text tokens per tokenizer: keys `chars`, `bytes` and `tokens.<name>`.

    Each INPUT is a file, a folder (its text files), a glob, JSON Lines or Parquet (one record
    per row, --field), '-', or (when it names no path) literal text: `pixtok tokens "Hello
    world"`. With several records, one that cannot be read is kept with an `error` and the
    command ends with exit code 1. --count prints the bare count of one tokenizer (the first
    named, by default mistral-spm), one line per input.
    """
    fmt = choose_format(json_, jsonl, csv_, output)
    names = split_names(tokenizer, DEFAULT_TOKENIZERS)
    if count:
        if tokenizer is not None and len(names) > 1:
            raise UsageError("--count prints one number per input: name one tokenizer with -t")
        if output is not None or json_ or jsonl or csv_ or pieces or ids:
            raise UsageError("--count prints bare numbers; it cannot be combined with -o or a format")
        names = names[:1]
    tokenizers = [get_tokenizer(name) for name in names]
    sources = opt.input_arguments(inputs, text)
    reading = corpus_options.corpus_options(field, id_field, errors, None)
    if not sources and not reading.stdin_jsonl:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("no input: give a text, a file, or pipe text on standard input")
        sources = [STDIO]
    skipped = corpus_options.SkipCounter()
    read = corpus_options.input_records(sources, reading, on_skip=skipped)
    if count:
        _write_counts(read, tokenizers[0], skipped)
        return
    first, second = next(read, None), next(read, None)
    several = second is not None
    records: list[dict[str, Any]] = []
    for record in itertools.chain([r for r in (first, second) if r is not None], read):
        error = record.error
        if error is None:
            try:
                records.append(token_record(record.id, record.text, tokenizers, pieces, ids))
                continue
            except InputError as exc:  # a text a tokenizer cannot encode fails alone
                if not several:
                    raise
                error = str(exc)
        if several:
            records.append({"input": record.id, "error": error})
        else:
            raise InputError(f"{input_name(record.id)}: {error}")
    skipped.report()
    if not records:
        raise InputError("nothing to count: the inputs hold no text")
    failed = [r for r in records if "error" in r]
    done = [r for r in records if "error" not in r]
    report = Report(records, token_total(done), {"tokenizers": list(names)})
    emit_report(report, fmt, output=output, table=_tokens_table)
    if failed:
        raise InputError(
            f"{len(failed)} of {len(records)} records failed "
            f"(first: {failed[0]['input']}: {failed[0]['error']})"
        )


def _write_counts(records: Iterable[Any], tokenizer: Tokenizer, skipped: Any) -> None:
    """`--count`: each record's bare count, written as soon as it is made, so that a long run
    shows its counts as they come. A record that cannot be counted ends the run after the counts
    before it: a bare list has no place for an error, and would no longer line up with the
    inputs."""
    written = 0
    try:
        for record in records:
            if record.error is not None:
                raise InputError(f"{input_name(record.id)}: {record.error}")
            counted = token_record(record.id, record.text, [tokenizer], False, False)
            sys.stdout.write(f"{counted['tokens'][tokenizer.name]}\n")
            sys.stdout.flush()  # a pipe is block-buffered: the reader gets each count as it is made
            written += 1
    finally:
        sys.stdout.flush()
    skipped.report()
    if not written:
        raise InputError("nothing to count: the inputs hold no text")


def _tokens_table(records: Any, total: Any) -> None:
    """Counts per input (and their total), with a column per tokenizer; pieces and ids, when
    asked for, follow as one line per input and tokenizer."""
    rows = [{k: v for k, v in r.items() if k not in ("pieces", "ids")} for r in records]
    if total is not None and len(rows) != 1:
        rows.append(total_row({k: v for k, v in total.items() if k != "inputs"}))
    names = {f"tokens.{name}": name for name in (total or records[0])["tokens"]}
    print_table(rows, title="text tokens per tokenizer", transpose=False, headers=names)
    for record in records:
        for key in ("pieces", "ids"):
            for name, values in record.get(key, {}).items():
                shown = " ".join(repr(v) if key == "pieces" else str(v) for v in values)
                print(f"{record['input']} {name} {key}: {shown}")


@app.command("train-tokenizer")
def train_tokenizer_command(
    corpus: list[str] = typer.Argument(
        ..., metavar="CORPUS...", help="UTF-8 text files to train on ('-' = stdin)."
    ),
    vocab_size: int = typer.Option(..., "--vocab-size", help="Number of pieces, including <unk>, <s>, </s>."),
    model_type: str = typer.Option("bpe", "--model-type", help=f"One of: {', '.join(MODEL_TYPES)}."),
    character_coverage: float = typer.Option(
        DEFAULT_CHARACTER_COVERAGE,
        "--character-coverage",
        help="Share of characters the vocabulary must cover (0.98-1.0); the rest map to <unk>.",
    ),
    # A str, not a Path: Path("x.model/") drops the '/', which must be refused, not ignored.
    output: str = typer.Option(
        ..., "--output", "-o", help="NAME.model to write (NAME.vocab is written beside it)."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show SentencePiece's training log on stderr."
    ),
    errors: opt.Errors = "strict",
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """Train a SentencePiece model on your texts; use it at once as `--tokenizer spm:NAME.model`."""
    fmt = choose_format(json_, jsonl, csv_)
    # The model and its .vocab are put in place only once the summary is written: a summary that
    # cannot be written (stdout on a full disk) leaves neither behind.
    with deferred_outputs():
        trained = train_sentencepiece(
            corpus,
            output,
            vocab_size=vocab_size,
            model_type=model_type,
            character_coverage=character_coverage,
            verbose=verbose,
            errors=errors,
        )
        _print_trained(trained, fmt, vocab_size, model_type, character_coverage)


def _print_trained(
    trained: TrainedModel, fmt: OutputFormat, vocab_size: int, model_type: str, character_coverage: float
) -> None:
    """The summary of a trained model: where it went, what it is, the lines it learnt from."""
    record = {
        "model": str(trained.model),
        "vocab": str(trained.vocab),
        "vocab_size": trained.vocab_size,
        "model_type": trained.model_type,
        "character_coverage": trained.character_coverage,
        "lines": trained.lines,
        "skipped_lines": trained.skipped_lines,
        "sha256": trained.sha256,
        "tokenizer": f"spm:{trained.model}",
    }
    options = {"vocab_size": vocab_size, "model_type": model_type, "character_coverage": character_coverage}
    emit_report(Report([record], None, options), fmt, title="trained tokenizer")
