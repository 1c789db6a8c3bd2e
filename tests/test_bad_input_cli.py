"""Bad input on the command line: one line on stderr, an exit code, no traceback, no stray file.

Text whose bytes are not UTF-8 (Python spells them as lone surrogates) is refused the same way by
every command and by the tokenizers; `-o -` is standard output for every command that writes
text; `render --strict-glyphs` holds without `--shards`; a run that fails after writing its files
(stdout on a full disk, a refused `--resume`, SIGTERM, a run killed outright) leaves nothing
behind; `train-tokenizer` and `study compression --excerpts` say what was wrong with their input.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_errors import one_line_error

from pixtok.errors import InputError, UsageError
from pixtok.measure.distance import text_distance
from pixtok.measure.typos import corrupt, typo_report
from pixtok.tokenizers import get_tokenizer

REPO = Path(__file__).resolve().parents[1]
#: An argument holding the byte 0xff, as Python receives it: a lone surrogate (U+DCFF).
UNDECODABLE = "a\udcffb"
SURROGATE_LINE = (
    "pixtok: error: text: character 2 is a lone surrogate (U+DCFF), which is not valid Unicode text"
)
FULL_STDOUT = "pixtok: error: <stdout>: cannot write (No space left on device)"


def files_in(folder: Path) -> set[str]:
    """Every name in `folder`, hidden ones (temporaries, locks, journals) included."""
    return {p.name for p in folder.iterdir()}


def run_with_stdout_on_dev_full(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """`python -m pixtok ARGS` in a new process whose stdout is /dev/full."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open("/dev/full", "wb") as full:
        return subprocess.run(
            [sys.executable, "-m", "pixtok", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            timeout=300,
            check=False,
        )


# -- text that is not valid Unicode ------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["render", UNDECODABLE],
        ["render", "--text", UNDECODABLE, "-o", "pages/"],
        ["tokens", UNDECODABLE],
        ["tokens", "hello", UNDECODABLE],
        ["compare", UNDECODABLE, "-q"],
        ["sweep", UNDECODABLE],
        ["fit", UNDECODABLE, "-e", "qwen2.5-vl", "--budget", "100"],
        ["ocr", UNDECODABLE],
        ["confusable", UNDECODABLE],
        ["fonts", UNDECODABLE],
        ["typos", UNDECODABLE],
        ["typos", "--text", UNDECODABLE, "--report"],
        ["typos", UNDECODABLE, "-o", "typos.txt"],
        ["distance", "--text", UNDECODABLE, "--text", "ab"],
        ["distance", UNDECODABLE, "ab", "--no-pixels"],
        ["report", "--text", UNDECODABLE, "-o", "r.html"],
        ["study", "compression", UNDECODABLE],
    ],
    ids=lambda args: " ".join(a for a in args if a != UNDECODABLE),
)
def test_every_command_refuses_a_lone_surrogate_with_the_same_line(run_cli, tmp_path: Path, args) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert one_line_error(result, 1) == SURROGATE_LINE
    assert result.stdout == ""
    assert files_in(tmp_path) == set()


def test_undecodable_argument_bytes_in_a_real_process(run_cli, tmp_path: Path) -> None:
    """The bytes themselves (0xff in argv), decoded by Python as it decodes every argument."""
    for args in (["typos", UNDECODABLE], ["tokens", UNDECODABLE], ["render", UNDECODABLE]):
        result = run_cli(*args, cwd=tmp_path, fresh_process=True)
        assert result.exit_code == 1, result.stderr
        assert result.error_lines == [SURROGATE_LINE], result.stderr
    assert files_in(tmp_path) == set()


def test_utf8_argument_bytes_under_an_ascii_locale_are_read_as_utf8(tmp_path: Path) -> None:
    """Under `LC_ALL=C` with Python's UTF-8 mode off, Python decodes arguments as ASCII and the
    bytes of non-ASCII text reach pixtok as lone surrogates: they are UTF-8, and are read as such.
    Bytes that are not UTF-8 are still refused."""
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONPATH": str(REPO)}
    env.pop("PYTHONIOENCODING", None)

    def tokens(*args: bytes) -> subprocess.CompletedProcess:
        command = [sys.executable.encode(), b"-m", b"pixtok", b"tokens", *args, b"--json"]
        return subprocess.run(command, capture_output=True, env=env, cwd=tmp_path, timeout=300, check=False)

    text = "汉字 text, ünïcode"
    for args in ([text.encode()], [b"--text", text.encode()]):
        result = tokens(*args)
        assert result.returncode == 0, result.stderr
        (record,) = json.loads(result.stdout)["records"]
        assert record["chars"] == len(text)
        assert record["tokens"]["cl100k"] == get_tokenizer("cl100k").count(text)
    refused = tokens(b"a\xffb")
    assert refused.returncode == 1
    assert refused.stderr.decode().splitlines() == [SURROGATE_LINE]


@pytest.mark.parametrize("name", ["mistral-spm", "cl100k", "bytes", "chars", "words"])
@pytest.mark.parametrize("method", ["encode", "count", "pieces", "spans"])
def test_tokenizers_refuse_a_lone_surrogate_with_pixtoks_error(name: str, method: str) -> None:
    tokenizer = get_tokenizer(name)
    with pytest.raises(InputError, match=r"^character 2 is a lone surrogate \(U\+D800\)"):
        getattr(tokenizer, method)("a\ud800b")
    assert getattr(tokenizer, method)("ab")  # valid text is untouched


def test_the_measuring_functions_refuse_a_lone_surrogate() -> None:
    with pytest.raises(InputError, match="lone surrogate"):
        corrupt("a\udcffb", rate=0.5)
    with pytest.raises(InputError, match=r"^b: character 1 is a lone surrogate"):
        text_distance("ab", "\ud800", pixels=False)


# -- `-o -` is standard output -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "first"),
    [
        (["tokens", "hello", "-o", "-"], '{"input": "text"'),
        (["tokens", "hello", "-o", "-", "--csv"], "input,chars"),
        (["compare", "hello", "-o", "-", "-q"], '{"input": "text"'),
        (["typos", "hello there", "-o", "-", "--rate", "1"], ""),
        (["typos", "hello there", "-o", "-", "--report"], '{"input": "text"'),
        (["fonts", "hello", "-o", "-"], '{"input": "text"'),
        (["distance", "hello", "hallo", "--no-pixels", "-o", "-"], '{"input": {"a"'),
        (["report", "hello", "-o", "-"], "<!DOCTYPE html>"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_dash_as_output_is_stdout(run_cli, tmp_path: Path, args, first: str) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() and result.stdout.startswith(first), result.stdout[:200]
    assert files_in(tmp_path) == set()  # no file named '-', no temporary


def test_dash_as_output_prints_what_the_file_would_hold(run_cli, tmp_path: Path) -> None:
    on_stdout = run_cli("tokens", "hello", "world", "-o", "-", "--json", cwd=tmp_path)
    assert on_stdout.exit_code == 0, on_stdout.stderr
    assert run_cli("tokens", "hello", "world", "-o", "t.json", cwd=tmp_path).exit_code == 0
    assert json.loads(on_stdout.stdout) == json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "hello", "-o", "-", "--resume", "-q"],
        ["patchify", "{image}", "--npy", "-"],
        ["patchify", "{image}", "--overlay", "-", "-o", "-"],
        ["sweep", "hello", "--ocr", "--plot", "-"],
    ],
    ids=["resume", "npy-and-records", "overlay-and-records", "plot-and-records"],
)
def test_two_things_on_stdout_or_a_resume_of_stdout_are_refused(run_cli, tmp_path: Path, args) -> None:
    image = tmp_path / "page.png"
    assert run_cli("render", "hello", "-o", image).exit_code == 0
    result = run_cli(*(a.format(image=image) for a in args), cwd=tmp_path)
    one_line_error(result, 2)
    assert result.stdout == ""
    assert files_in(tmp_path) == {"page.png"}


# -- render --strict-glyphs ------------------------------------------------------------------------


def test_strict_glyphs_fails_a_single_render(run_cli, tmp_path: Path) -> None:
    source = tmp_path / "pua.txt"
    source.write_text("\ue000\ue001", encoding="utf-8")
    result = run_cli("render", source, "--strict-glyphs", cwd=tmp_path)
    assert "have no glyph in any font (U+E000, U+E001)" in one_line_error(result, 1)
    assert files_in(tmp_path) == {"pua.txt"}


def test_strict_glyphs_fails_one_of_several_inputs_and_renders_the_others(run_cli, tmp_path: Path) -> None:
    source = tmp_path / "pua.txt"
    source.write_text("\ue000\ue001", encoding="utf-8")
    result = run_cli("render", source, "hello", "--strict-glyphs", "-o", "out/", "--jsonl", cwd=tmp_path)
    assert "1 of 2 inputs failed" in one_line_error(result, 1)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert "no glyph" in records[0]["error"] and records[1]["outputs"]
    assert files_in(tmp_path / "out") == {"text-0001.png"}


# -- a failed run leaves nothing -------------------------------------------------------------------


def test_render_with_stdout_on_a_full_disk_leaves_no_page(tmp_path: Path) -> None:
    stale = tmp_path / "text-0002.png"  # a page of an earlier, longer render: it must stay too
    stale.write_bytes(b"earlier")
    done = run_with_stdout_on_dev_full(["render", "Hello"], tmp_path)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "pixtok: error: <stdout>: cannot write (No space left on device)"
    ]
    assert files_in(tmp_path) == {"text-0002.png"} and stale.read_bytes() == b"earlier"


def test_version_on_a_full_disk_names_stdout(tmp_path: Path) -> None:
    done = run_with_stdout_on_dev_full(["--version"], tmp_path)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [FULL_STDOUT]


def test_render_into_a_new_folder_with_stdout_on_a_full_disk_leaves_no_folder(tmp_path: Path) -> None:
    done = run_with_stdout_on_dev_full(["render", "Hello", "-o", "new/pages/"], tmp_path)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [FULL_STDOUT]
    assert files_in(tmp_path) == set()


def test_deferred_outputs_appear_together_or_not_at_all(tmp_path: Path, monkeypatch) -> None:
    import pixtok.io as pio

    with pytest.raises(RuntimeError), pio.deferred_outputs():
        pio.write_bytes_atomic(tmp_path / "a.txt", b"a")
        pio.write_many_atomic({tmp_path / "b.txt": b"b", tmp_path / "c.txt": b"c"})
        assert not {"a.txt", "b.txt", "c.txt"} & files_in(tmp_path)  # staged, not yet in place
        raise RuntimeError("the summary could not be written")
    assert files_in(tmp_path) == set()
    # Past the cap on locks held, what is staged is put in place early (file descriptors are finite).
    monkeypatch.setattr(pio, "MAX_DEFERRED_LOCKS", 2)
    with pio.deferred_outputs():
        for name in ("a", "b", "c"):
            pio.write_bytes_atomic(tmp_path / f"{name}.txt", name.encode())
        assert files_in(tmp_path) & {"a.txt", "b.txt", "c.txt"} == {"a.txt", "b.txt"}
    assert files_in(tmp_path) == {"a.txt", "b.txt", "c.txt"}


def test_train_tokenizer_with_stdout_on_a_full_disk_leaves_no_model(tmp_path: Path) -> None:
    (tmp_path / "corp.txt").write_text("hello world\nthe quick brown fox\n" * 20, encoding="utf-8")
    done = run_with_stdout_on_dev_full(
        ["train-tokenizer", "corp.txt", "--vocab-size", "30", "-o", "m.model"], tmp_path
    )
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "pixtok: error: <stdout>: cannot write (No space left on device)"
    ]
    assert files_in(tmp_path) == {"corp.txt"}


def test_report_file_with_stdout_on_a_full_disk_is_not_written(tmp_path: Path) -> None:
    done = run_with_stdout_on_dev_full(["tokens", "hello", "-o", "-"], tmp_path)
    assert done.returncode == 1 and b"No space left on device" in done.stderr
    assert files_in(tmp_path) == set()


@pytest.mark.parametrize(
    ("saved", "said"),
    [
        ('{"input": 5}', "saved record 1 is 5 but the input has 'text'; the input changed"),
        ("[1, 2]", "saved record 1 is list, not a record (a JSON object)"),
        ('"text"', "saved record 1 is str, not a record (a JSON object)"),
        ("null", "saved record 1 is NoneType, not a record (a JSON object)"),
        ('{"chars": 2}', "saved record 1 has no 'input'"),
    ],
    ids=["other-input", "list", "str", "null", "no-input"],
)
def test_a_refused_resume_leaves_no_journal(run_cli, saved, said, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text(saved + "\n", encoding="utf-8")
    for _ in range(2):  # refused alike again: nothing of the first refusal is left to trip on
        result = run_cli("compare", "hi", "--resume", "-o", out, "-q", "--engine", "serial", cwd=tmp_path)
        assert one_line_error(result, 2) == (
            f"pixtok: error: {out}: {said}, so run without --resume to start over"
        )
        assert files_in(tmp_path) == {"out.jsonl"}
        assert out.read_text(encoding="utf-8") == saved + "\n"


#: Renders into x.npz and is sent a signal (SIGNAL) by itself halfway through writing it (a new
#: process, so that the signal cannot reach the test runner whatever pixtok does with it).
STOPPED_MIDWAY = """
import signal
import pixtok.output_files
signal.signal(signal.SIGNAL, signal.SIG_DFL)  # as started from a terminal, not under nohup
real = pixtok.output_files.write_npz
def stopped_midway(stream, result):
    stream.write(b"PK half an archive")
    signal.raise_signal(signal.SIGNAL)
    real(stream, result)  # not reached: the handler raises at once
pixtok.output_files.write_npz = stopped_midway
from pixtok.cli import main
main(["render", "hello", "-o", "x.npz"])
"""


@pytest.mark.parametrize(
    ("name", "code", "said"), [("SIGTERM", 143, "terminated"), ("SIGHUP", 129, "hung up")]
)
def test_a_stop_signal_during_a_write_cleans_up_as_ctrl_c_does(name, code, said, tmp_path: Path) -> None:
    """SIGTERM (`kill`, a scheduler) and SIGHUP (a terminal closed under the run)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = STOPPED_MIDWAY.replace("SIGNAL", name)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, cwd=tmp_path, env=env, timeout=300
    )
    assert done.returncode == code, (done.returncode, done.stderr.decode())
    assert done.stderr.decode().splitlines() == [f"pixtok: {said}"]
    assert files_in(tmp_path) == set()  # neither x.npz nor .x.npz.lock nor a .part


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    done = subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert done.returncode == 0
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_run_that_takes_over_a_killed_runs_lock_removes_its_parts(run_cli, tmp_path: Path) -> None:
    dead = _dead_pid()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        (tmp_path / ".x.npz.lock").write_text(f"{dead}\n")  # left by a run killed while writing x.npz
        left = [f".x.npz.{dead}-abcd_123.part", ".x.npz.k2j4h5g6.part"]  # its part; an older run's
        busy = f".x.npz.{alive.pid}-zz99yy88.part"  # a live process's part is not touched
        for name in [*left, busy]:
            (tmp_path / name).write_bytes(b"partial")
        result = run_cli("render", "hello", "-o", "x.npz", cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
        assert files_in(tmp_path) == {"x.npz", busy}
    finally:
        alive.kill()
        alive.wait()


# -- train-tokenizer -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["999999999999999999999", "2147483648"])
def test_a_vocab_size_past_sentencepieces_range_is_a_usage_error(run_cli, tmp_path: Path, size: str) -> None:
    (tmp_path / "corp.txt").write_text("hello world\n", encoding="utf-8")
    result = run_cli("train-tokenizer", "corp.txt", "--vocab-size", size, "-o", "m.model", cwd=tmp_path)
    assert "2,147,483,647" in one_line_error(result, 2)
    assert files_in(tmp_path) == {"corp.txt"}


def test_a_corpus_of_only_overlong_lines_says_so(run_cli, tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("word " * 1000 + "\n", encoding="utf-8")
    result = run_cli("train-tokenizer", "long.txt", "--vocab-size", "30", "-o", "m.model", cwd=tmp_path)
    line = one_line_error(result, 1)
    assert "longer than 4,192 bytes" in line and "no usable text" not in line
    assert files_in(tmp_path) == {"long.txt"}


# -- study compression --excerpts --------------------------------------------------------------------


def test_a_text_shorter_than_the_excerpts_says_so(run_cli, tmp_path: Path) -> None:
    result = run_cli("study", "compression", "Hello", "--excerpts", "table2", cwd=tmp_path)
    line = one_line_error(result, 1)
    assert "shorter than the shortest excerpt" in line and "no text files" not in line
    assert "it has 1 cl100k token;" in line and "650" in line
    assert files_in(tmp_path) == set()


# -- typos --report on a long text -----------------------------------------------------------------


def test_typo_report_counts_its_steps_for_a_progress_bar() -> None:
    from pixtok.measure.typos import report_steps

    corruption = corrupt("the quick brown fox jumps over the lazy dog " * 4, rate=0.3, seed=1)
    assert len(corruption.edits) > 3
    seen: list[tuple[int, int]] = []
    typo_report(corruption, tokenizers=["chars"], max_edits=3, progress=lambda d, t: seen.append((d, t)))
    total = report_steps(corruption, 3)
    assert total == 1 + 3 + 1
    assert seen == [(done, total) for done in range(1, total + 1)]


# -- closed standard streams (`<&-`, `>&-`, `2>&-`: Python then has None for them) ---------------


def run_with_closed_streams(redirects: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """`python -m pixtok ARGS REDIRECTS` through bash, so that the streams are really closed (a
    subprocess given DEVNULL has them open); what is not closed is captured."""
    command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "pixtok", *args])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        ["bash", "-c", f"{command} {redirects}"],
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )


CLOSED_STDOUT = (
    "pixtok: error: standard output is closed; redirect it to a file or /dev/null instead of closing it"
)


@pytest.mark.parametrize(
    "args",
    [["encoders"], ["encoders", "--json"], ["compare", "Hello"], ["render", "Hello", "-o", "p.png"]],
    ids=" ".join,
)
def test_a_closed_stdout_is_one_line_and_exit_1(tmp_path: Path, args: list[str]) -> None:
    done = run_with_closed_streams(">&-", args, tmp_path)
    assert done.returncode == 1, done.stderr.decode()
    assert done.stderr.decode().splitlines() == [CLOSED_STDOUT]
    assert files_in(tmp_path) == set()


def test_closed_stdout_and_stderr_exit_1_quietly(tmp_path: Path) -> None:
    done = run_with_closed_streams(">&- 2>&-", ["encoders"], tmp_path)
    assert done.returncode == 1
    assert files_in(tmp_path) == set()


def test_a_closed_stderr_drops_the_messages_but_not_the_exit_code(tmp_path: Path) -> None:
    done = run_with_closed_streams("2>&-", ["tokens", "hello", "-t", "chars", "--count"], tmp_path)
    assert done.returncode == 0
    assert done.stdout.decode() == "5\n"
    failed = run_with_closed_streams("2>&-", ["render", "no-such.txt", "-o", "p.npy"], tmp_path)
    assert failed.returncode == 1 and failed.stdout == b""
    assert files_in(tmp_path) == set()


CLOSED_STDIN = (
    "pixtok: error: standard input is closed; pipe the input in, or give a file (or the text) as an argument"
)


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "-"],
        ["compare", "--field", "text"],
        ["render", "-", "-o", "p.npy"],
        ["tokens", "-"],
        ["report", "-", "-o", "r.html"],
        ["typos", "-"],
        ["patchify", "-"],
        ["distance", "-", "Hello"],
        ["train-tokenizer", "-", "--vocab-size", "20", "-o", "m.model"],
        ["fonts", "-"],
        ["ocr", "-"],
        ["sweep", "-"],
        ["fit", "-", "-e", "qwen2.5-vl", "--budget", "100"],
        ["confusable", "-"],
        ["study", "compression", "-"],
    ],
    ids=" ".join,
)
def test_reading_a_closed_stdin_is_one_line_and_exit_1(tmp_path: Path, args: list[str]) -> None:
    done = run_with_closed_streams("<&-", args, tmp_path)
    assert done.returncode == 1, done.stderr.decode()
    assert done.stderr.decode().splitlines() == [CLOSED_STDIN]
    assert done.stdout == b""
    assert files_in(tmp_path) == set()


def test_reading_dash_from_a_closed_stdin_is_an_input_error(monkeypatch) -> None:
    from pixtok.corpus.inputs import iter_records
    from pixtok.io import read_bytes

    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(InputError, match=r"^standard input is closed; "):
        read_bytes("-")
    with pytest.raises(InputError, match=r"^standard input is closed; "):
        list(iter_records(["-"]))


# -- inputs that hold nothing ----------------------------------------------------------------------

NOTHING = "pixtok: error: nothing to measure: the inputs hold no records (no text files, no rows)"


@pytest.mark.parametrize("kind", ["folder", "jsonl", "parquet"])
def test_report_refuses_inputs_that_hold_nothing_as_compare_does(run_cli, tmp_path: Path, kind: str) -> None:
    if kind == "folder":
        (tmp_path / "empty").mkdir()
        source = "empty"
    elif kind == "jsonl":
        (tmp_path / "empty.jsonl").write_bytes(b"")
        source = "empty.jsonl"
    else:
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        pq.write_table(pa.table({"text": pa.array([], pa.string())}), tmp_path / "empty.parquet")
        source = "empty.parquet"
    before = files_in(tmp_path)
    assert one_line_error(run_cli("compare", source, "-q", cwd=tmp_path), 1) == NOTHING
    result = run_cli("report", source, "-o", "r.html", cwd=tmp_path)
    assert one_line_error(result, 1) == NOTHING
    assert files_in(tmp_path) == before  # no r.html, no temporary


@pytest.mark.parametrize("content", ["", "   \n", "\t\t"], ids=["empty", "spaces", "tabs"])
def test_typo_report_of_an_empty_text_is_only_the_error(run_cli, tmp_path: Path, content: str) -> None:
    (tmp_path / "e.txt").write_text(content, encoding="utf-8")
    result = run_cli("typos", "e.txt", "--report", "--max-edits", "5", cwd=tmp_path)
    assert result.error_lines == ["pixtok: error: the input text is empty (nothing but whitespace)"]
    one_line_error(result, 1)
    assert result.stdout == ""


# -- the API refuses what is not text, with pixtok's errors --------------------------------------------


@pytest.mark.parametrize("name", ["cl100k", "mistral-spm", "bytes", "chars", "words"])
@pytest.mark.parametrize("method", ["encode", "count", "pieces", "spans"])
@pytest.mark.parametrize("value", [None, b"hi", 5], ids=["None", "bytes", "int"])
def test_tokenizers_refuse_what_is_not_a_str(name: str, method: str, value: object) -> None:
    with pytest.raises(UsageError, match=r"^expected text \(a str\), not \w+; decode bytes first"):
        getattr(get_tokenizer(name), method)(value)


@pytest.mark.parametrize("name", [5, None, b"cl100k"], ids=["int", "None", "bytes"])
def test_a_tokenizer_name_must_be_a_str(name: object) -> None:
    with pytest.raises(UsageError, match=r"^a tokenizer needs a name \(a str\), not \w+; valid names"):
        get_tokenizer(name)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "None"), (5, "5"), ("text", "'text'"), ({"input": "x"}, "a single record")],
    ids=["None", "int", "str", "one-record"],
)
def test_summarize_refuses_what_is_not_records(value: object, shown: str) -> None:
    from pixtok import summarize

    with pytest.raises(UsageError, match=f"takes an iterable of records .*, not {re.escape(shown)}$"):
        summarize(value)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="a record must be a JSON object, not None"):
        summarize([None])  # type: ignore[list-item]


def test_the_image_pixels_limit_says_an_image() -> None:
    from pixtok import limits

    with limits.using(image_pixels=100), pytest.raises(InputError, match=r"^x.png: an image of 400 "):
        limits.check_image_pixels(20, 20, "x.png")
    with limits.using(image_pixels=100), pytest.raises(InputError, match=r"^x: a patch array of 400 "):
        limits.check_image_pixels(20, 20, "x", "patch array")


@pytest.mark.parametrize("columns", ["0", "5", "-1", "abc"])
def test_a_terminal_width_too_narrow_to_use_is_set_aside(run_cli, columns) -> None:
    """COLUMNS=0 once gave an empty help and no table; numbers were cut across lines at 5."""
    result = run_cli("render", "--help", env={"COLUMNS": columns}, fresh_process=True)
    assert result.exit_code == 0, result.stderr
    assert "Usage: pixtok render" in result.stdout and "--preset" in result.stdout
    assert len(max(result.stdout.splitlines(), key=len)) >= 40


@pytest.mark.parametrize(
    ("args", "env", "code"),
    [
        (["tokens", "hi", "-t", "spm:~nosuchuser/x.model"], {}, 2),
        (["compare", "hi", "-q"], {"PIXTOK_ENCODERS": "~nosuchuser/x.toml"}, 2),
        (["render", "hi", "--font", "~nosuchuser/x.ttf", "-o", "x.png"], {}, 2),
    ],
    ids=["tokenizer", "encoders", "font"],
)
def test_a_home_folder_of_no_user_is_one_line(run_cli, args, env, code, tmp_path: Path) -> None:
    # $PIXTOK_ENCODERS is read once per process: a process of its own
    result = run_cli(*args, env=env, cwd=tmp_path, fresh_process=bool(env))
    assert one_line_error(result, code).endswith("there is no home folder ~nosuchuser to expand")
    assert files_in(tmp_path) == set()


def test_a_link_loop_in_a_folder_is_one_failed_record(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("hello world", encoding="utf-8")
    (folder / "l1.txt").symlink_to("l2.txt")
    (folder / "l2.txt").symlink_to("l1.txt")
    result = run_cli("tokens", folder, "--jsonl", cwd=tmp_path)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["input"] for r in records] == [f"{folder}/a.txt", f"{folder}/l1.txt", f"{folder}/l2.txt"]
    assert records[0]["chars"] == 11
    assert records[1]["error"] == records[2]["error"] == "cannot read (Too many levels of symbolic links)"
    assert one_line_error(result, 1).startswith("pixtok: error: 2 of 3 records failed")


#: Runs a command as root without the capabilities that let root read what it may not (so
#: permissions apply as to any user): util-linux's setpriv.
WITHOUT_OVERRIDES = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search,-fowner",
    "--inh-caps=-dac_override,-dac_read_search,-fowner",
]


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux's setpriv")
def test_an_unreadable_folder_in_a_walk_is_one_failed_record(tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("hello world", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("hidden", encoding="utf-8")
    (folder / "sub").chmod(0)
    try:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        command = [*WITHOUT_OVERRIDES, sys.executable, "-m", "pixtok", "tokens", str(folder), "--jsonl"]
        done = subprocess.run(command, capture_output=True, cwd=tmp_path, env=env, timeout=300)
    finally:
        (folder / "sub").chmod(0o755)
    records = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert done.returncode == 1, done.stderr.decode()
    assert records == [
        {"input": f"{folder}/a.txt", "chars": 11, "bytes": 11, "tokens": records[0]["tokens"]},
        {"input": f"{folder}/sub", "error": "cannot read (Permission denied)"},
    ]
    assert done.stderr.decode().splitlines() == [
        f"pixtok: error: 1 of 2 records failed (first: {folder}/sub: cannot read (Permission denied))"
    ]


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_output_to_a_pipe_is_utf8_whatever_the_locale_says(run_cli, encoding, tmp_path: Path) -> None:
    """An ASCII stdout once turned 😀 into `\\U0001f600` (invalid JSON) and 中文 into `\\u4e2d\\u6587`
    (not the data) in CSV."""
    for name in ("😀.txt", "中文.txt"):
        (tmp_path / name).write_text("你好 world", encoding="utf-8")
    env = {"PYTHONIOENCODING": encoding}
    jsonl = run_cli("tokens", "😀.txt", "中文.txt", "--jsonl", cwd=tmp_path, env=env, fresh_process=True)
    csv_out = run_cli("tokens", "中文.txt", "--csv", cwd=tmp_path, env=env, fresh_process=True)
    assert jsonl.exit_code == 0 and csv_out.exit_code == 0, jsonl.stderr + csv_out.stderr
    records = [json.loads(line) for line in jsonl.stdout_bytes.decode("utf-8").splitlines()]
    assert [r["input"] for r in records] == ["😀.txt", "中文.txt"]
    assert csv_out.stdout_bytes.decode("utf-8").splitlines()[1].startswith("中文.txt,8,12,")


@pytest.mark.parametrize(
    "args",
    [
        ["typos", "in.txt", "-o", "in.txt"],
        ["typos", "link.txt", "-o", "in.txt"],
        ["tokens", "in.txt", "-o", "in.txt"],
        ["compare", "in.txt", "-o", "in.txt", "--engine", "serial"],
        ["compare", "in.txt", "-o", "link.txt", "--engine", "serial"],
        ["report", "in.txt", "-o", "in.txt"],
        ["patchify", "page.png", "--overlay", "page.png"],
        ["patchify", "page.png", "--npy", "page.png"],
    ],
    ids=lambda args: " ".join(args),
)
def test_an_output_is_never_written_over_an_input(run_cli, args, tmp_path: Path) -> None:
    """It would replace the data it was made from (once it did, exit 0)."""
    (tmp_path / "in.txt").write_text("hello world, a text to measure", encoding="utf-8")
    (tmp_path / "link.txt").symlink_to("in.txt")
    assert run_cli("render", "hi", "-o", "page.png", cwd=tmp_path).exit_code == 0
    before = {name: (tmp_path / name).read_bytes() for name in ("in.txt", "page.png")}
    result = run_cli(*args, cwd=tmp_path)
    line = one_line_error(result, 2)
    assert line.endswith("is also an input, which the output would replace; write it elsewhere")
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert files_in(tmp_path) == {"in.txt", "link.txt", "page.png"}  # no journal, part or lock


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "a.txt", "in.txt", "-q", "-o", "in.txt"],
        [
            "study",
            "compression",
            "in.txt",
            "-e",
            "deepseek-ocr-tiny",
            "--ocr-engine",
            "tesseract",
            "-o",
            "in.txt",
        ],
    ],
    ids=["compare", "study"],
)
def test_a_corpus_output_over_an_input_is_refused_before_the_run(
    run_cli, args, tmp_path: Path, monkeypatch
) -> None:
    """It was refused only when the run ended, every record measured for nothing: now no worker
    is even built, and nothing is written."""
    (tmp_path / "in.txt").write_text("hello world, a text to measure", encoding="utf-8")
    (tmp_path / "a.txt").write_text("another text", encoding="utf-8")
    from pixtok.corpus import batch

    built: list[object] = []
    real_run = batch.EngineOptions.run

    def run(self, records, factory, **kw):  # type: ignore[no-untyped-def]
        built.append(factory)
        return real_run(self, records, factory, **kw)

    monkeypatch.setattr(batch.EngineOptions, "run", run)
    result = run_cli(*args, "--engine", "serial", cwd=tmp_path)
    assert one_line_error(result, 2).endswith(
        "in.txt: is also an input, which the output would replace; write it elsewhere"
    )
    assert built == [] and result.stdout == ""
    assert files_in(tmp_path) == {"in.txt", "a.txt"}


def test_a_saved_record_nested_too_deep_is_named(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    (tmp_path / ".out.jsonl.partial").write_text('{"input": "text", "x": ' + "[" * 400 + "]" * 400 + "}\n")
    result = run_cli("compare", "hi", "-q", "--engine", "serial", "-o", out, "--resume", cwd=tmp_path)
    line = one_line_error(result, 1)
    assert line.startswith(f"pixtok: error: {out}: saved record 1: JSON nested 401 deep"), line


def test_a_model_file_that_is_not_utf8_does_not_suggest_errors_replace(run_cli, tmp_path: Path) -> None:
    """--errors applies to texts, not to a tokenizer model."""
    (tmp_path / "model.json").write_bytes("{}".encode("utf-16"))
    result = run_cli("tokens", "hi", "-t", f"hf:{tmp_path / 'model.json'}")
    assert one_line_error(result, 1) == (
        f"pixtok: error: {tmp_path / 'model.json'}: invalid UTF-8 at byte offset 0 (byte 0xff)"
    )


@pytest.mark.parametrize(
    "args",
    [["typos", "-", "-o", "in.txt"], ["tokens", "-", "-o", "in.txt"], ["compare", "-", "-q", "-o", "in.txt"]],
    ids=lambda args: args[0],
)
def test_a_file_redirected_to_stdin_is_an_input_too(args, tmp_path: Path) -> None:
    """`pixtok typos - -o in.txt < in.txt` replaced in.txt with its own typos, exit 0."""
    source = tmp_path / "in.txt"
    source.write_text("hello world, a text to measure", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(source, "rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "pixtok", *args, "--engine", "serial"] if args[0] == "compare"
            else [sys.executable, "-m", "pixtok", *args],
            stdin=stdin, capture_output=True, cwd=tmp_path, env=env, timeout=300, check=False,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr.decode()
    assert done.stderr.decode().splitlines() == [
        "pixtok: error: in.txt: is also an input, which the output would replace; write it elsewhere"
    ]
    assert source.read_text(encoding="utf-8") == "hello world, a text to measure"
    assert files_in(tmp_path) == {"in.txt"}


@pytest.mark.parametrize(
    "args", [["render", "--help"], ["compare", "hello world", "another text", "--json"]], ids=["help", "json"]
)
def test_a_reader_gone_before_the_output_is_exit_0_and_silent(args, tmp_path: Path) -> None:
    """`pixtok ... | head -c1`: the pipe's reader is gone when pixtok writes (here, before
    pixtok starts). Click answered such a help or report with exit 1."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.Popen(
        [sys.executable, "-m", "pixtok", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert run.stdout is not None and run.stderr is not None
    run.stdout.close()
    err = run.stderr.read()
    assert run.wait(timeout=300) == 0, err.decode()
    assert err == b""


def test_a_name_too_long_for_the_system_is_said_so_in_a_short_line(run_cli, tmp_path: Path) -> None:
    name = "a/" * 3000 + "x.txt"
    line = one_line_error(run_cli("tokens", name, cwd=tmp_path), 1)
    assert line.endswith("x.txt: cannot read (File name too long)") and len(line) < 300


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux's setpriv")
def test_a_file_behind_a_folder_that_cannot_be_searched_is_not_said_missing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "sub").chmod(0)
    try:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        command = [*WITHOUT_OVERRIDES, sys.executable, "-m", "pixtok", "tokens", "sub/x.txt"]
        done = subprocess.run(command, capture_output=True, cwd=tmp_path, env=env, timeout=300)
    finally:
        (tmp_path / "sub").chmod(0o755)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == ["pixtok: error: sub/x.txt: cannot read (Permission denied)"]


def test_an_output_folder_named_in_bytes_that_are_not_utf8_is_spelled_as_ids_are(
    run_cli, tmp_path: Path
) -> None:
    """Its name reaches Python as a lone surrogate, which records must not carry."""
    folder = os.fsdecode(b"out\xff")
    result = run_cli("render", "hello", "-o", f"{folder}/", "--jsonl", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["outputs"] == ["out\\xff/text-0001.png"]
    assert (tmp_path / folder / "text-0001.png").is_file()
