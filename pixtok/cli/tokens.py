"""Text-token commands: `pixtok tokenizers`, `pixtok tokens` and `pixtok train-tokenizer`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import choose_format, emit
from pixtok.compare import DEFAULT_TOKENIZERS, split_names
from pixtok.errors import UsageError
from pixtok.io import STDIO, read_text
from pixtok.tokenizers import Tokenizer, get_tokenizer, list_file_loaders, list_tokenizers
from pixtok.tokenizers.training import DEFAULT_CHARACTER_COVERAGE, MODEL_TYPES, train_sentencepiece


@app.command("tokenizers")
def tokenizers_command(
    describe: bool = typer.Option(
        False,
        "--describe",
        help="Load each available tokenizer and show its file, SHA-256 and library version.",
    ),
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """List the text tokenizers: name, kind, vocabulary size and whether it can be used here."""
    fmt = choose_format(json_, jsonl, csv_)
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
    emit(records, fmt, title="text tokenizers", columns=columns, transpose=False)


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


@app.command("tokens")
def tokens_command(
    inputs: list[str] = typer.Argument(
        None,
        metavar="INPUT|-",
        help="Text files ('-' for standard input); none reads piped standard input.",
    ),
    tokenizer: str = typer.Option(
        ",".join(DEFAULT_TOKENIZERS),
        "--tokenizer",
        "-t",
        help="Comma-separated tokenizer names or spm:PATH, tiktoken:PATH, hf:PATH (see `pixtok tokenizers`).",
    ),
    pieces: bool = typer.Option(False, "--pieces", help="Also show each tokenizer's pieces."),
    ids: bool = typer.Option(False, "--ids", help="Also show each tokenizer's token ids."),
    errors: opt.Errors = "strict",
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """Count text tokens per tokenizer: keys `chars`, `bytes` and `tokens.<name>`."""
    fmt = choose_format(json_, jsonl, csv_)
    tokenizers = [get_tokenizer(name) for name in split_names(tokenizer, ())]
    sources = list(inputs or [])
    if not sources:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("no input: give a text file, or pipe text on standard input")
        sources = [STDIO]
    records = []
    for source in sources:
        text = read_text(source, errors=errors)
        records.append(token_record("<stdin>" if source == STDIO else source, text, tokenizers, pieces, ids))
    emit(records, fmt, document=records if len(records) > 1 else records[0], title="text tokens")


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
    output: Path = typer.Option(
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
    trained = train_sentencepiece(
        corpus,
        output,
        vocab_size=vocab_size,
        model_type=model_type,
        character_coverage=character_coverage,
        verbose=verbose,
        errors=errors,
    )
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
    emit([record], fmt, document=record, title="trained tokenizer")
