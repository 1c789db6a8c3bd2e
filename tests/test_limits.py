"""Unbounded input is refused with one line naming the limit, and `--limit` raises each limit.

The memory tests run pixtok in a child process whose address space is capped with
`resource.setrlimit(RLIMIT_AS)`: pixtok must refuse before the cap would kill it (a MemoryError
or a killed process fails the test). A control call under the same cap shows the cap leaves room
for ordinary work, so the refusal is pixtok's own.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixtok import limits
from pixtok.corpus.parallel import default_jobs
from pixtok.errors import LimitError, UsageError
from pixtok.io import load_json, load_toml, read_bytes, read_text

REPO = Path(__file__).resolve().parents[1]
#: Address space of the capped child: ordinary calls fit (see the control test), gigabytes do not.
MEMORY_CAP = 1_500_000_000


def run_capped(*args: object, stdin=None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m pixtok ARGS` in a child whose address space is capped at MEMORY_CAP."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "pixtok", *map(str, args)],
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        preexec_fn=cap,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def refused(done: subprocess.CompletedProcess, code: int = 1) -> str:
    """The one error line of a refused call: no traceback, no MemoryError, not killed."""
    err = done.stderr.decode("utf-8", "replace")
    lines = [line for line in err.splitlines() if line.strip()]
    assert done.returncode == code, (done.returncode, err)
    assert "Traceback" not in err and "MemoryError" not in err, err
    assert len(lines) == 1 and lines[0].startswith("pixtok: error: "), err
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("limits")
    text = folder / "a.txt"
    text.write_text("An ordinary text.\n", encoding="utf-8")
    line = folder / "line.txt"
    with open(line, "w", encoding="utf-8") as stream:  # one 20 MB line
        stream.write("word " * 4_000_000)
    page = folder / "page4096.png"
    pixels = np.full((4096, 4096), 255, dtype=np.uint8)
    pixels[::9, ::7] = 0
    Image.fromarray(pixels).save(page)
    return {
        "text": text,
        "line": line,
        "page4096": page,
        "bomb": png_header_only(folder / "bomb.png", 60000, 60000),
    }


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG that claims width x height 1-bit pixels: a valid header and one small IDAT, enough
    for any reader to learn the size (decoding it would need width x height bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * 16)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def test_the_cap_leaves_room_for_ordinary_calls(files: dict[str, Path], tmp_path: Path) -> None:
    for args in (
        ["render", files["text"], "-o", tmp_path / "a.png"],
        ["patchify", files["page4096"], "--npy", tmp_path / "p.npy"],
        ["compare", files["text"]],
    ):
        done = run_capped(*args)
        assert done.returncode == 0, done.stderr.decode()


@pytest.mark.parametrize(
    "args",
    [
        ["tokens", "/dev/zero"],
        ["compare", "/dev/zero", "-q"],
        ["patchify", "/dev/zero"],
        ["tokens", "-t", "tiktoken:/dev/zero", "{text}"],
        ["render", "--config", "/dev/zero.json", "{text}"],
    ],
    ids=["tokens", "compare", "patchify", "tokenizer-file", "config"],
)
def test_dev_zero_is_refused_at_the_input_limit(files: dict[str, Path], tmp_path: Path, args) -> None:
    line = refused(run_capped(*_under_wanted_names(args, files, tmp_path), cwd=tmp_path))
    assert "input limit of 64 MiB" in line and "--limit input=" in line


def test_an_encoder_file_that_is_a_device_is_refused_unread(files: dict[str, Path], tmp_path: Path) -> None:
    """Encoder definitions are read from regular files only: /dev/zero is refused before a byte
    is read (every command loads the definitions, so it would cost each the input limit)."""
    args = ["encoders", "--encoders", "/dev/zero.toml"]
    line = refused(run_capped(*_under_wanted_names(args, files, tmp_path), cwd=tmp_path))
    assert line.endswith(
        "zero.toml: not a regular file (a named pipe, device or socket cannot hold encoder definitions)"
    )


def _under_wanted_names(args: list[str], files: dict[str, Path], tmp_path: Path) -> list[str]:
    """`args` with /dev/zero under the names the commands want (.toml, .json) and `{text}` filled."""
    zero = tmp_path / "zero"
    zero.mkdir()
    for name in ("zero.toml", "zero.json"):
        (zero / name).symlink_to("/dev/zero")
    return [a.format(text=files["text"]).replace("/dev/zero.", f"{zero}/zero.") for a in args]


@pytest.mark.parametrize("command", ["render", "tokens"])
def test_dev_zero_on_stdin_is_refused(command: str, tmp_path: Path) -> None:
    """Named once, as standard input (`tokens` reads stdin as a corpus record, `render` as a text)."""
    with open("/dev/zero", "rb") as zero:
        line = refused(run_capped(command, "-", "-o", tmp_path / "z.out", stdin=zero))
    assert line.startswith("pixtok: error: <stdin>: larger than the input limit of 64 MiB"), line


def test_a_20_mb_line_is_refused_at_the_line_limit(files: dict[str, Path], tmp_path: Path) -> None:
    line = refused(run_capped("render", files["line"], "-o", tmp_path / "l.png"))
    assert "line limit of 1,000,000" in line and "--limit line=20000000" in line


def test_a_60000_square_png_is_refused_from_its_header(files: dict[str, Path]) -> None:
    line = refused(run_capped("patchify", files["bomb"]))
    assert "image-pixels" in line and "--limit image-pixels=" in line


def test_overlapping_patches_are_estimated_before_any_is_cut(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "p.npy"
    line = refused(run_capped("patchify", files["page4096"], "--stride", "1", "--npy", out))
    assert "patch array of 4,263,567,616 pixels" in line  # 4081 x 4081 patches of 16 x 16
    assert not out.exists()


# -- each limit can be raised ------------------------------------------------------------------


def test_input_limit_is_raised_by_the_flag(run_cli, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "a.png"
    low = run_cli("--limit", "input=10", "render", files["text"], "-o", out)
    assert low.exit_code == 1 and low.error_lines[0].startswith(
        f"pixtok: error: {files['text']}: larger than"
    )
    assert "input limit of 10 bytes" in low.stderr and not out.exists()
    assert run_cli("--limit", "input=1KiB", "render", files["text"], "-o", out).exit_code == 0


def test_a_lowered_input_limit_leaves_tokenizer_models_alone(run_cli, tmp_path: Path) -> None:
    """Models are not inputs: the default tokenizers' files (the SentencePiece model is 493 KB)
    load under a limit lowered below their size; a file larger than any model is refused."""
    result = run_cli("--limit", "input=200KiB", "tokens", "hello world", "--jsonl")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["tokens"]["mistral-spm"] > 0
    refused = run_cli("--limit", "input=200KiB", "tokens", "hi", "-t", "spm:/dev/zero")
    assert refused.error_lines == ["pixtok: error: /dev/zero: larger than 64 MiB, as no tokenizer model is"]


def test_line_limit_is_raised_by_the_flag(run_cli, files: dict[str, Path]) -> None:
    low = run_cli("--limit", "line=5", "tokens", files["text"])
    assert low.exit_code == 1 and "line limit of 5" in low.stderr
    assert run_cli("--limit", "line=100", "tokens", files["text"]).exit_code == 0


def test_page_pixel_limit_is_raised_by_the_flag(run_cli, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "p.png"
    low = run_cli(
        "--limit",
        "page-pixels=10000",
        "render",
        files["text"],
        "--layout",
        "page",
        "--page",
        "200x200",
        "-o",
        out,
    )
    assert low.exit_code == 2 and "page-pixels limit of 10,000" in low.stderr and not out.exists()
    raised = run_cli(
        "--limit",
        "page-pixels=40000",
        "render",
        files["text"],
        "--layout",
        "page",
        "--page",
        "200x200",
        "-o",
        out,
    )
    assert raised.exit_code == 0 and Image.open(out).size == (200, 200)


def test_image_pixel_limit_is_raised_by_the_flag(run_cli, files: dict[str, Path], tmp_path: Path) -> None:
    image = tmp_path / "small.png"
    Image.new("L", (100, 100), 255).save(image)
    low = run_cli("--limit", "image-pixels=9999", "patchify", image, "--json")
    assert low.exit_code == 1 and "image-pixels limit of 9,999" in low.stderr
    raised = run_cli("--limit", "image-pixels=10000", "patchify", image, "--json")
    document = json.loads(raised.stdout)
    record = document[0] if isinstance(document, list) else document.get("records", [document])[0]
    assert raised.exit_code == 0 and record["patches"] == 49


def test_json_depth_limit_is_raised_by_the_flag(run_cli, files: dict[str, Path], tmp_path: Path) -> None:
    config = tmp_path / "deep.json"
    config.write_text('{"size": "12px", "x": ' + "[" * 200 + "]" * 200 + "}", encoding="utf-8")
    low = run_cli("render", files["text"], "--config", config, "-o", tmp_path / "d.png")
    assert low.exit_code == 1 and "JSON nested 201 deep" in low.stderr and "json-depth=201" in low.stderr
    raised = run_cli("--limit", "json-depth=201", "render", files["text"], "--config", config)
    # Parsed now; the unknown key `x` is the remaining complaint, a usage error.
    assert raised.exit_code == 2 and "unknown render option(s) x" in raised.stderr


def test_nesting_past_what_python_can_parse_is_one_line(tmp_path: Path) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with limits.using(json_depth=1_000_000), pytest.raises(LimitError, match="too deeply"):
        load_json(deep)
    with pytest.raises(LimitError, match="too deeply"):
        load_toml("a = " + "[" * 100_000 + "]" * 100_000, "deep.toml")


def test_jobs_are_capped_at_the_limit(run_cli, files: dict[str, Path]) -> None:
    assert limits.capped_jobs(10_000) == default_jobs() == limits.usable_cores()
    with limits.using(jobs=10_000):
        assert limits.capped_jobs(10_000) == 10_000
    texts = [files["text"]] * 3
    result = run_cli("--limit", "jobs=2", "compare", *texts, "--jobs", "10000", "--jsonl", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.error_lines == [
        "pixtok: warning: --jobs 10000 capped at 2, the usable cores; "
        "raise the cap with `pixtok --limit jobs=10000 ...` (docs/limits.md)"
    ]
    assert len(result.stdout.splitlines()) == 3


def test_limit_values_and_names_are_checked(run_cli, files: dict[str, Path]) -> None:
    assert limits.parse_amount("64MB") == 64_000_000
    assert limits.parse_amount("64MiB") == 64 << 20
    assert limits.parse_amount("1.5G") == 1_500_000_000
    assert limits.parse_amount("2M") == 2_000_000
    for digits in ("１０", "٣", "1\u0663"):  # full-width and Arabic-Indic digits are no amount
        with pytest.raises(UsageError, match="is not an amount"):
            limits.parse_amount(digits)
    for bad in ("input", "input=", "input=lots", "bogus=1", "jobs=0", "input=１０"):
        result = run_cli("--limit", bad, "tokens", files["text"])
        assert result.exit_code == 2 and len(result.error_lines) == 1, result.stderr
    with pytest.raises(UsageError):
        limits.Limits(jobs=0)


def test_limits_come_from_the_environment_too(run_cli, files: dict[str, Path]) -> None:
    result = run_cli("tokens", files["text"], env={"PIXTOK_LIMIT": "input=10 line=1000"})
    assert result.exit_code == 1 and "input limit of 10 bytes" in result.stderr
    # A bad value is blamed on the variable, not on a flag the user never passed.
    garbage = run_cli("tokens", "hi", env={"PIXTOK_LIMIT": "garbage"})
    assert garbage.exit_code == 2 and garbage.error_lines[0].startswith(
        "pixtok: error: $PIXTOK_LIMIT takes NAME=VALUE with NAME one of input"
    )
    lots = run_cli("tokens", "hi", env={"PIXTOK_LIMIT": "input=lots"})
    assert lots.error_lines == [
        "pixtok: error: $PIXTOK_LIMIT: 'lots' is not an amount such as 1000, 64MB, 2M or 1GiB"
    ]
    zero = run_cli("tokens", "hi", env={"PIXTOK_LIMIT": "input=0"})
    assert zero.error_lines == [
        "pixtok: error: $PIXTOK_LIMIT: limit input must be a whole number >= 1, not 0"
    ]


def test_limits_in_python(files: dict[str, Path]) -> None:
    with limits.using(input_bytes=10):
        with pytest.raises(LimitError, match="--limit input="):
            read_bytes(files["text"])
        assert limits.current().input_bytes == 10
    assert limits.current() == limits.Limits()
    assert read_text(files["text"]) == "An ordinary text.\n"
