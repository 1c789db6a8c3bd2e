"""Outputs are never corrupted and never fail with a traceback.

What `-o` names decides how it is written (docs/limits.md): a symlink stays a link and its target
is replaced, a character device or FIFO is written through, a folder is refused; a lock makes a
second writer fail at once; operating-system errors (a full disk, a read-only folder, /proc, a
name too long, a file where a folder is wanted, stdout on /dev/full) are one line and exit 1,
with nothing half written. Special files are made in the test's own folder (a character device
with the numbers of /dev/null or /dev/full), never the real /dev entries.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_errors import one_line_error

from pixtok import RenderConfig, render
from pixtok.errors import OutputBusyError, OutputError, UsageError
from pixtok.io import OutputLock, output_target, write_bytes_atomic
from pixtok.output_files import PagePattern, stack_pages, write_npy_stack, write_npz

REPO = Path(__file__).resolve().parents[1]
TEXT = "Outputs are written whole or not at all.\n"


def leftovers(folder: Path) -> list[str]:
    """Temporary files a writer may leave: staged parts and locks."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".part", ".lock")))


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "in.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def make_char_device(path: Path, major: int, minor: int) -> Path:
    """A character device node in the test folder (needs root; skipped otherwise)."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    return path


# -- special files and symlinks ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("render", "{input}", "-o", "{out}"),
        ("compare", "{input}", "-o", "{out}", "-q"),
        ("typos", "{input}", "-o", "{out}"),
    ],
    ids=["render", "compare", "typos"],
)
def test_a_null_device_as_output_is_written_through_and_stays_a_device(
    run_cli, tmp_path: Path, text_file: Path, args
) -> None:
    null = make_char_device(tmp_path / "null", 1, 3)
    result = run_cli(*(a.format(input=text_file, out=null) for a in args))
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(null.stat().st_mode)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        ("render", "{input}", "-o", "{out}"),
        ("compare", "{input}", "-o", "{out}", "-q"),
        ("typos", "{input}", "-o", "{out}"),
        ("patchify", "{image}", "--npy", "{out}"),
    ],
    ids=["render", "compare", "typos", "patchify"],
)
def test_a_full_device_as_output_fails_in_one_line_and_stays_a_device(
    run_cli, tmp_path: Path, text_file: Path, args
) -> None:
    full = make_char_device(tmp_path / "full", 1, 7)
    image = tmp_path / "page.png"
    assert run_cli("render", text_file, "-o", image).exit_code == 0
    result = run_cli(*(a.format(input=text_file, out=full, image=image) for a in args))
    assert "No space left on device" in one_line_error(result)
    assert stat.S_ISCHR(full.stat().st_mode)
    assert leftovers(tmp_path) == []


def test_a_fifo_as_output_receives_the_records(run_cli, tmp_path: Path, text_file: Path) -> None:
    fifo = tmp_path / "records.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run_cli("compare", text_file, "-o", fifo, "-q")
    reader.join(timeout=60)
    assert result.exit_code == 0, result.stderr
    record = json.loads(received[0])
    assert record["input"] == str(text_file) and record["chars"] == len(TEXT)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_resume_on_a_device_is_a_usage_error(run_cli, tmp_path: Path, text_file: Path) -> None:
    null = make_char_device(tmp_path / "null", 1, 3)
    result = run_cli("compare", text_file, "-o", null, "--resume", "-q")
    assert "device or FIFO" in one_line_error(result, 2)


@pytest.mark.parametrize("command", ["render", "compare", "typos"])
def test_a_symlink_as_output_stays_a_link_and_its_target_is_replaced(
    run_cli, tmp_path: Path, text_file: Path, command: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    suffix = ".png" if command == "render" else ".out"
    target = elsewhere / f"real{suffix}"
    target.write_bytes(b"old content")
    link = tmp_path / f"link{suffix}"
    link.symlink_to(target)
    args = {"render": ["-o", link], "compare": ["-o", link, "-q"], "typos": ["-o", link]}[command]
    result = run_cli(command, text_file, *args)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    written = target.read_bytes()
    assert written != b"old content"
    if command == "render":
        assert written.startswith(b"\x89PNG")
    elif command == "compare":
        assert json.loads(written)["chars"] == len(TEXT)
    assert leftovers(elsewhere) == [] and leftovers(tmp_path) == []


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.bin"
    link.symlink_to(tmp_path / "made.bin")
    write_bytes_atomic(link, b"data")
    assert link.is_symlink() and (tmp_path / "made.bin").read_bytes() == b"data"


def test_folders_sockets_and_empty_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a folder"):
        output_target(tmp_path)
    with pytest.raises(UsageError, match="empty"):
        output_target("")
    with pytest.raises(UsageError, match="does not exist"):
        output_target(tmp_path / "no" / "such" / "folder.txt")
    import socket

    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(UsageError, match="socket"):
            output_target(path)


# -- one writer at a time ----------------------------------------------------------------------


def test_a_second_writer_fails_at_once_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    first = OutputLock(output_target(out)).acquire()
    try:
        with pytest.raises(OutputBusyError, match=f"pid {os.getpid()}"):
            write_bytes_atomic(out, b"second")
        assert not out.exists()
    finally:
        first.release()
    write_bytes_atomic(out, b"after")
    assert out.read_bytes() == b"after" and leftovers(tmp_path) == []


def test_two_concurrent_corpus_runs_on_one_output(tmp_path: Path, run_cli) -> None:
    """The second run fails at once with one line; the first completes with every record once.

    The first run reads JSON Lines from a pipe the test holds open, so it is certainly still
    writing (and holding its lock) when the second one starts.
    """
    out = tmp_path / "records.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "pixtok", "compare", "-", "--field", "text", "-o", str(out), "-q"]
    first = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    lock = tmp_path / ".records.jsonl.lock"
    try:
        for _ in range(1200):  # wait (at most two minutes) for the first run to take the lock
            if (lock.exists() and lock.read_text().strip()) or first.poll() is not None:
                break
            threading.Event().wait(0.1)
        second = run_cli("compare", "-", "--field", "text", "-o", out, "-q", stdin='{"text": "second"}\n')
    finally:
        rows = "".join(json.dumps({"text": f"text number {i}"}) + "\n" for i in range(3))
        _, err_first = first.communicate(rows.encode(), timeout=300)
    assert first.returncode == 0, err_first.decode()
    line = one_line_error(second, 1)
    assert "another pixtok run" in line and f"pid {first.pid}" in line
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["input"] for r in records] == ["-:1", "-:2", "-:3"]
    assert not lock.exists() and leftovers(tmp_path) == []


def test_a_second_shard_run_on_one_folder_fails_at_once(tmp_path: Path) -> None:
    from pixtok.corpus.batch import MANIFEST, render_shards
    from pixtok.corpus.inputs import Record

    folder = tmp_path / "shards"
    folder.mkdir()
    holder = OutputLock(output_target(folder / MANIFEST)).acquire()
    try:
        with pytest.raises(OutputBusyError, match="another pixtok run"):
            render_shards([Record("a", "text")], RenderConfig(), folder, shard_size=10)
    finally:
        holder.release()
    assert sorted(p.name for p in folder.iterdir()) == []


# -- operating-system errors as one line --------------------------------------------------------


def test_stdout_on_dev_full_is_one_line(tmp_path: Path, text_file: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for args in (
        ["tokens", str(text_file), "--json"],
        ["compare", str(text_file), str(text_file), "--jsonl", "--jobs", "1"],
    ):
        with open("/dev/full", "wb") as full:
            done = subprocess.run(
                [sys.executable, "-m", "pixtok", *args],
                stdout=full,
                stderr=subprocess.PIPE,
                env=env,
                timeout=300,
            )
        errors = done.stderr.decode().strip().splitlines()
        assert done.returncode == 1 and errors == [
            "pixtok: error: <stdout>: cannot write (No space left on device)"
        ], done.stderr.decode()


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["render", "{input}", "-o", "/proc/pixtok-test.png"], 1, "cannot write"),
        (["render", "{input}", "-o", "{long}.png"], 1, "File name too long"),
        (["render", "{input}", "-o", ""], 2, "-o is empty"),
        (["render", "{input}", "-o", "{input}/"], 1, "cannot create the folder"),
        (["compare", "{input}", "-o", "{input}/", "-q"], 2, "names a folder"),
        (["compare", "{input}", "-o", "{folder}", "-q"], 2, "is a folder"),
        (["patchify", "{image}", "--npy", "{folder}"], 2, "is a folder"),
        (["typos", "{input}", "-o", "{folder}/no/such/out.txt"], 2, "does not exist"),
    ],
    ids=["proc", "5000-char-name", "empty", "file-as-folder", "compare-slash", "compare-folder", "npy-folder",
         "missing-folder"],
)  # fmt: skip
def test_bad_output_paths_are_one_line(
    run_cli, tmp_path: Path, text_file: Path, args, code, fragment
) -> None:
    image = tmp_path / "page.png"
    assert run_cli("render", text_file, "-o", image).exit_code == 0
    values = {"input": text_file, "long": tmp_path / ("x" * 5000), "folder": tmp_path, "image": image}
    result = run_cli(*(a.format(**values) for a in args), cwd=tmp_path)
    line = one_line_error(result, code)
    assert fragment in line
    assert len(line) < 400  # a 5,000-character name is shortened in the message
    assert leftovers(tmp_path) == []


def _mount_tool() -> list[str] | None:
    """A command prefix that runs a shell in a private mount namespace where tmpfs can be
    mounted (`unshare -rm` as any user with user namespaces, `unshare -m` as root)."""
    if shutil.which("unshare") is None:
        return None
    for prefix in (["unshare", "-rm"], ["unshare", "-m"]):
        probe = subprocess.run(
            [*prefix, "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True, check=False
        )
        if probe.returncode == 0:
            return prefix
    return None


MOUNT = _mount_tool()
needs_mount = pytest.mark.skipif(
    MOUNT is None, reason="no way to mount a small file system here (unshare -rm and unshare -m both fail)"
)


def run_on_small_disk(
    folder: Path, mount_options: str, fill: bool, *args: str
) -> subprocess.CompletedProcess:
    """Run `python -m pixtok ARGS` with a tmpfs mounted on `folder` (1 MiB, optionally filled up
    first, optionally read-only) in a private mount namespace."""
    assert MOUNT is not None
    script = f'mount -t tmpfs -o {mount_options} tmpfs "$0" || exit 99; '
    if fill:
        script += 'cat /dev/zero > "$0/filler" 2>/dev/null; '
    script += 'cd "$0" && exec "$@"'
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [*MOUNT, "sh", "-c", script, str(folder), sys.executable, "-m", "pixtok", *args]
    done = subprocess.run(command, capture_output=True, env=env, timeout=300, check=False)
    assert done.returncode != 99, done.stderr.decode()
    return done


@needs_mount
@pytest.mark.parametrize(
    "args",
    [
        ["render", "{input}", "-o", "pages/"],
        ["render", "{input}", "-o", "pages.npz"],
        ["compare", "{input}", "-o", "records.jsonl", "-q"],
        ["typos", "{input}", "-o", "typos.txt"],
        ["render", "{input}", "--shards", "shards", "--jobs", "1"],
    ],
    ids=["pages", "npz", "compare", "typos", "shards"],
)
def test_a_full_disk_is_one_line_and_leaves_no_output(tmp_path: Path, text_file: Path, args) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    done = run_on_small_disk(disk, "size=1m", True, *(a.format(input=text_file) for a in args))
    errors = done.stderr.decode().strip().splitlines()
    assert done.returncode == 1 and len(errors) == 1, done.stderr.decode()
    assert errors[0].startswith("pixtok: error: ") and "No space left on device" in errors[0]
    assert "Traceback" not in done.stderr.decode()


@needs_mount
@pytest.mark.parametrize(
    "args",
    [
        ["render", "{input}", "-o", "page.png"],
        ["compare", "{input}", "-o", "records.jsonl", "-q"],
        ["patchify", "{image}", "--npy", "patches.npy"],
        ["render", "{input}", "--shards", "shards"],
    ],
    ids=["render", "compare", "patchify", "shards"],
)
def test_a_read_only_folder_is_one_line(run_cli, tmp_path: Path, text_file: Path, args) -> None:
    image = tmp_path / "page.png"
    assert run_cli("render", text_file, "-o", image).exit_code == 0
    disk = tmp_path / "disk"
    disk.mkdir()
    done = run_on_small_disk(
        disk, "ro,size=1m", False, *(a.format(input=text_file, image=image) for a in args)
    )
    errors = done.stderr.decode().strip().splitlines()
    assert done.returncode == 1 and len(errors) == 1, done.stderr.decode()
    assert "Read-only file system" in errors[0]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda path: path.symlink_to(path.name), "Too many levels of symbolic links"),
        (lambda path: path.symlink_to("nowhere"), "a link to a path that does not exist"),
        (lambda path: path.write_text("x"), "a file of that name is in the way"),
    ],
    ids=["link-loop", "dangling-link", "file"],
)
def test_what_stands_where_an_output_folder_goes_is_named(run_cli, tmp_path: Path, make, reason) -> None:
    """`mkdir` says "File exists" of all three; the message says which it is."""
    make(tmp_path / "out")
    done = run_cli("render", "Hello", "-o", "out/", cwd=tmp_path)
    assert done.exit_code == 1
    assert done.error_lines == [f"pixtok: error: out/: cannot create the folder ({reason})"]


# -- page patterns and the files themselves ------------------------------------------------------


@pytest.mark.parametrize(
    "pattern", ["p-{page.nosuch}.png", "p-{page[0]}.png", "p-{page:>999999999}.png", "p-{page:011d}.png",
                "p-{page}-{other}.png", "p-{page!r}.png", "p-{page}}.png"],
)  # fmt: skip
def test_page_patterns_take_only_the_placeholder_and_a_bounded_width(
    run_cli, tmp_path: Path, text_file: Path, pattern: str
) -> None:
    result = run_cli("render", text_file, "-o", pattern, cwd=tmp_path)
    assert "-o" in one_line_error(result, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


@pytest.mark.parametrize(
    ("pattern", "page", "name"),
    [("p-{page}.png", 7, "p-7.png"), ("p-{page:03d}.png", 7, "p-007.png"),
     ("p-{page:3}.png", 12, "p- 12.png"), ("{{x}}-{page:010d}.png", 3, "{x}-0000000003.png")],
)  # fmt: skip
def test_page_patterns_name_pages_as_python_formatting_would(pattern: str, page: int, name: str) -> None:
    assert PagePattern(pattern).name(page) == name == pattern.format(page=page)


def test_stacks_are_streamed_to_the_bytes_numpy_writes(tmp_path: Path) -> None:
    result = render("stacked pages " * 400, RenderConfig(page="300x200", layout="crop"))
    assert result.page_count > 2 and len({p.shape for p in result.pages}) > 1
    expected = io.BytesIO()
    np.save(expected, stack_pages(result), allow_pickle=False)
    streamed = io.BytesIO()
    write_npy_stack(streamed, result)
    assert streamed.getvalue() == expected.getvalue()
    archive = io.BytesIO()
    write_npz(archive, result)
    archive.seek(0)
    with np.load(archive) as loaded:
        assert np.array_equal(loaded["pages"], stack_pages(result))
        assert np.array_equal(loaded["glyph_page"], result.glyphs.page)
    archive.seek(0)
    assert {info.date_time for info in zipfile.ZipFile(archive).infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_npz_files_are_byte_identical_whatever_the_clock(
    run_cli, tmp_path: Path, text_file: Path, monkeypatch
) -> None:
    """Deterministic output: member dates are fixed, so runs an hour apart write the same bytes."""
    import time

    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    assert run_cli("render", text_file, "-o", a).exit_code == 0
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert run_cli("render", text_file, "-o", b).exit_code == 0
    assert a.read_bytes() == b.read_bytes()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", refuse)
    with pytest.raises(OutputError, match="No space left on device"):
        write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []
