"""Hostile inputs to `train-tokenizer`, tokenizer files (`spm:`, `hf:`), and encoder definition
files: each fails with exactly one `pixtok: error:` line and its exit code, never a traceback or
a hang, and a failed run leaves the files it would have replaced as they were, with no temporary
beside them.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pixtok.encoders.spec import read_spec_file
from pixtok.errors import InputError, UsageError
from pixtok.tokenizers import get_tokenizer
from pixtok.tokenizers.training import train_sentencepiece

REPO = Path(__file__).resolve().parents[1]
WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog")


def assert_one_error(result, code: int) -> str:
    """The call failed with `code` and one `pixtok: error:` line, no traceback; that line."""
    assert result.exception is None, result.traceback
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.error_lines) == 1, result.stderr
    assert result.error_lines[0].startswith("pixtok: error: ")
    return result.error_lines[0]


def leftovers(folder: Path) -> list[str]:
    """Temporary parts and lock files a run left in `folder`."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".part", ".lock")))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small English-like corpus: 60 lines of 8 words."""
    lines = (" ".join(WORDS[(i + j) % len(WORDS)] for j in range(8)) for i in range(60))
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def model(tmp_path: Path, corpus: Path) -> Path:
    """A model trained on the corpus, with its .vocab beside it."""
    path = tmp_path / "existing.model"
    train_sentencepiece([corpus], path, vocab_size=40)
    return path


# -- train-tokenizer: outputs ---------------------------------------------------------------------


def test_output_ending_in_a_slash_is_refused_and_the_model_kept(run_cli, corpus, model):
    before = model.read_bytes(), model.with_suffix(".vocab").read_bytes()
    result = run_cli("train-tokenizer", corpus, "--vocab-size", 50, "-o", f"{model}/")
    assert "ends in '/'" in assert_one_error(result, 2)
    assert (model.read_bytes(), model.with_suffix(".vocab").read_bytes()) == before
    assert leftovers(model.parent) == []


def test_a_named_pipe_where_the_vocab_goes_is_refused_not_waited_on(run_cli, corpus, tmp_path):
    os.mkfifo(tmp_path / "piped.vocab")
    result = run_cli("train-tokenizer", corpus, "--vocab-size", 50, "-o", tmp_path / "piped.model")
    assert "named pipe" in assert_one_error(result, 2)
    assert not (tmp_path / "piped.model").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("where", ["model-folder", "vocab-folder", "missing-folder"])
def test_unwritable_outputs_are_refused_before_training(run_cli, corpus, tmp_path, where):
    target = tmp_path / "out.model"
    if where == "model-folder":
        target.mkdir()
    elif where == "vocab-folder":
        (tmp_path / "out.vocab").mkdir()
    else:
        target = tmp_path / "missing" / "out.model"
    result = run_cli("train-tokenizer", corpus, "--vocab-size", 50, "-o", target)
    assert_one_error(result, 2)
    assert leftovers(tmp_path) == []


def test_the_vocab_may_not_replace_an_input(run_cli, corpus, tmp_path):
    text = tmp_path / "text.vocab"
    text.write_bytes(corpus.read_bytes())
    result = run_cli("train-tokenizer", text, "--vocab-size", 50, "-o", tmp_path / "text.model")
    assert "is also an input" in assert_one_error(result, 2)
    assert text.read_bytes() == corpus.read_bytes()
    assert not (tmp_path / "text.model").exists()


def test_a_summary_that_cannot_be_written_keeps_the_old_model(corpus, model):
    """stdout on a full disk: neither the model nor the .vocab is replaced (a new process, since
    only a real file descriptor can be /dev/full)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    before = model.read_bytes(), model.with_suffix(".vocab").read_bytes()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "pixtok", "train-tokenizer", str(corpus), "--vocab-size", "50"]
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [*command, "-o", str(model), "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            env=env,
            timeout=120,
            check=False,
        )
    lines = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    assert done.returncode == 1
    assert lines == ["pixtok: error: <stdout>: cannot write (No space left on device)"]
    assert (model.read_bytes(), model.with_suffix(".vocab").read_bytes()) == before
    assert leftovers(model.parent) == []


# -- train-tokenizer: corpora and sizes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", 1),
        (b"  \n\t\n \r\n", 1),
        (b"abc\xff\xfedef\n", 1),
        (("x" * 5000 + "\n").encode(), 1),
    ],
    ids=["empty", "whitespace", "invalid-utf8", "one-line-too-long"],
)
def test_corpora_with_nothing_to_train_on(run_cli, tmp_path, content, code):
    text = tmp_path / "c.txt"
    text.write_bytes(content)
    result = run_cli("train-tokenizer", text, "--vocab-size", 10, "-o", tmp_path / "m.model")
    assert_one_error(result, code)
    assert not (tmp_path / "m.model").exists()


@pytest.mark.parametrize("size", [0, 1, -5, 10**12, 2**31, 5000])
def test_vocabulary_sizes_out_of_reach_are_usage_errors(run_cli, corpus, tmp_path, size):
    result = run_cli("train-tokenizer", corpus, f"--vocab-size={size}", "-o", tmp_path / "m.model")
    assert "--vocab-size" in assert_one_error(result, 2)
    assert not (tmp_path / "m.model").exists()


def test_long_and_short_lines_are_counted_without_a_list_of_lines(run_cli, tmp_path, monkeypatch):
    """Lines are split a chunk at a time: a line that crosses a chunk boundary stays whole
    (chunks of 3,000 characters here, so that the 4,000- and 5,000-character lines cross one)."""
    from pixtok.tokenizers import training

    monkeypatch.setattr(training, "_SPLIT_CHARS", 3000)
    text = tmp_path / "mixed.txt"
    text.write_text(("x" * 4000 + "\n") * 3 + "y" * 5000 + "\n\n", encoding="utf-8")
    result = run_cli("train-tokenizer", text, "--vocab-size", 5, "-o", tmp_path / "m.model", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)["records"][0]
    assert (summary["lines"], summary["skipped_lines"]) == (4, 1)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_corpus_lines_are_the_lines_whatever_the_chunk(monkeypatch, chunk):
    from pixtok.tokenizers import training

    monkeypatch.setattr(training, "_SPLIT_CHARS", chunk)
    texts = ["a\nbb\n\n  \nccc", "\n\nd\n", "", "eeee\nf"]
    expected = [line for text in texts for line in text.split("\n") if line.strip()]
    assert list(training._corpus_lines(texts)) == expected


def test_nul_in_a_path_is_a_usage_error_in_the_library(corpus, tmp_path):
    with pytest.raises(UsageError, match="NUL"):
        train_sentencepiece([corpus], tmp_path / "a\0b.model", vocab_size=40)
    with pytest.raises(UsageError, match="NUL"):
        train_sentencepiece([f"{corpus}\0"], tmp_path / "ok.model", vocab_size=40)


# -- tokenizer files --------------------------------------------------------------------------------


def test_an_empty_sentencepiece_file_says_so(run_cli, tmp_path):
    empty = tmp_path / "empty.model"
    empty.write_bytes(b"")
    result = run_cli("tokens", "hello", "-t", f"spm:{empty}")
    assert "the file is empty" in assert_one_error(result, 1)


@pytest.mark.parametrize("prefix", ["spm", "hf", "tiktoken"])
def test_nul_in_a_tokenizer_path_is_a_usage_error(prefix):
    with pytest.raises(UsageError, match="NUL"):
        get_tokenizer(f"{prefix}:model\0file")


def test_a_one_line_tokenizer_json_is_not_held_to_the_line_limit(run_cli, tmp_path):
    """A tokenizer.json saved without indentation is one long line; the `line` limit is for texts."""
    pytest.importorskip("tokenizers")
    vocab = {f"w{i}": i for i in range(300)}
    vocab["[UNK]"] = len(vocab)
    document = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": None,
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    }
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
    assert "\n" not in path.read_text(encoding="utf-8")
    result = run_cli("--limit", "line=1000", "tokens", "w1 w2 zz", "-t", f"hf:{path}", "--count")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "3"


def test_a_binary_file_given_as_tokenizer_json_names_the_first_bad_byte(run_cli, tmp_path):
    pytest.importorskip("tokenizers")
    path = tmp_path / "binary.json"
    path.write_bytes(b"\x80\x81\x82")
    line = assert_one_error(run_cli("tokens", "hello", "-t", f"hf:{path}"), 1)
    assert line == f"pixtok: error: {path}: invalid UTF-8 at byte offset 0 (byte 0x80)"


# -- encoder definition files -----------------------------------------------------------------------


def test_a_named_pipe_in_the_encoder_folder_is_refused_not_waited_on(run_cli, tmp_path):
    folder = tmp_path / "encoders"
    folder.mkdir()
    os.mkfifo(folder / "pipe.toml")
    # A new process: this one's registry may have read $PIXTOK_ENCODERS already.
    result = run_cli("encoders", "--json", env={"PIXTOK_ENCODERS": str(folder)}, fresh_process=True)
    assert "not a regular file" in assert_one_error(result, 1)


def test_a_device_named_as_an_encoder_file_is_refused(tmp_path):
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError, match="not a regular file"):
        read_spec_file(link)


def test_an_encoder_file_with_a_byte_order_mark_is_read(run_cli, tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbf[[encoder]]\nname = "bom-one"\npatch = 14\nsource = "test"\n')
    result = run_cli("encoders", "--encoders", path, "-e", "bom-one", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["records"][0]["name"] == "bom-one"


def test_an_encoder_file_that_is_not_utf8_is_one_line(run_cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_bytes(b"\xff\xfe[[encoder]]\n")
    line = assert_one_error(run_cli("encoders", "--encoders", path), 1)
    assert "invalid UTF-8 at byte offset 0" in line


@pytest.mark.parametrize(
    "body",
    [
        'patch = nan\nsource = "s"',
        'patch = 0\nsource = "s"',
        'patch = "16"\nsource = "s"',
        'patch = 9223372036854775807\nsource = "s"',
        'patch = 14\nsource = "s"\nmerge = {kind = "spatial", factor = inf}',
    ],
    ids=["nan", "zero", "string", "huge", "inf-merge"],
)
def test_encoder_values_of_the_wrong_kind_are_one_line(run_cli, tmp_path, body):
    path = tmp_path / "bad.toml"
    path.write_text(f'[[encoder]]\nname = "bad"\n{body}\n', encoding="utf-8")
    assert "bad.toml: encoder #1" in assert_one_error(run_cli("encoders", "--encoders", path), 1)


def _byte_ranks(extra_rank: int) -> str:
    """A .tiktoken file: every single byte ranked 0-255, and "aa" at `extra_rank`."""
    lines = [f"{base64.b64encode(bytes([i])).decode()} {i}" for i in range(256)]
    lines.append(f"{base64.b64encode(b'aa').decode()} {extra_rank}")
    return "\n".join(lines) + "\n"


def test_a_tiktoken_rank_past_32_bits_names_its_line(run_cli, tmp_path):
    """tiktoken's ranks are u32, and u32::MAX means "no merge": the largest usable rank merges,
    one past it is refused with its line instead of an integer conversion error."""
    (tmp_path / "ok.tiktoken").write_text(_byte_ranks(2**32 - 2), encoding="utf-8")
    result = run_cli("tokens", "-t", "tiktoken:ok.tiktoken", "aaa", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["tokens"]["tiktoken:ok.tiktoken"] == 2  # "aa" + "a"
    for rank in (2**32 - 1, 2**32, 2**70):
        (tmp_path / "big.tiktoken").write_text(_byte_ranks(rank), encoding="utf-8")
        line = assert_one_error(run_cli("tokens", "-t", "tiktoken:big.tiktoken", "aaa", cwd=tmp_path), 1)
        assert f"big.tiktoken: line 257: rank {rank} is past the largest tiktoken takes" in line


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_font_that_is_a_folder_or_a_pipe_says_so(run_cli, tmp_path, kind):
    """Not "font family 'd.model' not found": the name is a path, and not a font file."""
    name = "d.model"
    if kind == "folder":
        (tmp_path / name).mkdir()
    else:
        os.mkfifo(tmp_path / name)
    line = assert_one_error(run_cli("fonts", "--font", name, cwd=tmp_path), 1)
    assert ("is a folder, not a font file" if kind == "folder" else "not a regular file") in line
