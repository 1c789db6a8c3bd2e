"""Reading inputs and writing outputs safely; no domain logic lives here.

Reading is bounded by the stated limits (`pixtok.limits`): no file or stream is read past the
`input` limit, so `/dev/zero` or a runaway pipe is refused with one line instead of filling memory.

Outputs are written atomically: data goes to a temporary file in the target's folder, which is
renamed over the target only once complete, so an interrupted or failed run never leaves a
half-written file behind. What the path names decides how (docs/limits.md):

* a symbolic link stays a link: the file it points to is replaced (its folder gets the temporary);
* a character device or a FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written through,
  since there is no file to replace;
* a folder, a block device or a socket is refused;
* a lock beside the output (`.NAME.lock`, held with `flock`) makes a second run that writes the
  same file fail at once instead of interleaving with the first.

Operating-system errors (a full disk, a read-only folder, a name too long) become `OutputError`,
one line naming the path, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pixtok.errors import InputError, LimitError, OutputBusyError, OutputError, UsageError
from pixtok.limits import check_input_size, check_json_depth, check_text, printable, read_bounded

try:
    import fcntl
except ImportError:  # not on Windows: outputs are then written without a lock
    fcntl = None  # type: ignore[assignment]

STDIO = "-"


# -- reading ---------------------------------------------------------------------------------------


def decode_text(data: bytes, errors: str = "strict", source: str = "<input>") -> str:
    """Decode UTF-8 bytes; invalid bytes raise an error naming the byte offset (or are replaced).

    The text is checked against the `line` limit.
    """
    if errors not in ("strict", "replace"):
        raise UsageError(f"--errors must be 'strict' or 'replace', not {errors!r}")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: invalid UTF-8 at byte offset {exc.start} "
            f"(byte 0x{data[exc.start]:02x}); use --errors replace to substitute U+FFFD"
        ) from None
    check_text(text, source)
    return text


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a file, or standard input for '-', with errors that say what went wrong.

    At most the `input` limit is read (a regular file larger than that is refused before reading).
    """
    if str(path) == STDIO:
        return read_bounded(sys.stdin.buffer, "<stdin>")
    name = shorten(printable(os.fspath(path)))
    try:
        with open(path, "rb") as stream:
            info = os.fstat(stream.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise InputError(f"{name}: is a directory, not a file")
            if stat.S_ISREG(info.st_mode):
                check_input_size(info.st_size, name)
            return read_bounded(stream, name)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None


def read_text(path: str | os.PathLike[str], errors: str = "strict") -> str:
    """Read UTF-8 text from a file or from standard input ('-')."""
    name = "<stdin>" if str(path) == STDIO else printable(os.fspath(path))
    return decode_text(read_bytes(path), errors=errors, source=name)


def load_json(data: bytes | str, source: str | None = None) -> Any:
    """Parse a JSON document, refusing one nested deeper than the `json-depth` limit.

    Malformed JSON raises `ValueError` (`json.JSONDecodeError`), as `json.loads` does.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    check_json_depth(raw, source)
    try:
        return json.loads(data)
    except RecursionError:
        where = f"{source}: " if source else ""
        raise LimitError(f"{where}JSON nested too deeply for this Python to parse") from None


def load_toml(text: str, source: str) -> dict[str, Any]:
    """Parse a TOML document; one nested too deeply to parse is refused with one line.

    Malformed TOML raises `tomllib.TOMLDecodeError` (a `ValueError`), as `tomllib.loads` does.
    """
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise LimitError(f"{source}: TOML nested too deeply to parse") from None


# -- where an output goes --------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputTarget:
    """Where a write lands: `path` with symbolic links resolved, and whether it is a `stream` (a
    character device or FIFO, written through) rather than a regular file (replaced atomically).
    `name` is the path as the user gave it, for messages."""

    name: str
    path: Path
    stream: bool = False

    @property
    def folder(self) -> Path:
        return self.path.parent

    def open_stream(self) -> BinaryIO:
        """Open a stream target for writing (a FIFO waits here for its reader)."""
        with os_errors(self.name, "write"):
            return open(self.path, "wb")


def output_target(path: str | os.PathLike[str]) -> OutputTarget:
    """Resolve an output path (see the module docstring); refuse what cannot take a file."""
    name = os.fspath(path)
    if not name:
        raise UsageError("the output path is empty; name a file")
    shown = printable(name)
    if name.endswith(("/", os.sep)):
        raise UsageError(f"{shown}: ends in '/', which names a folder; name a file")
    with os_errors(shown, "write"):
        real = Path(os.path.realpath(name))
        try:
            info = os.stat(real)
        except FileNotFoundError:
            if not real.parent.is_dir():
                raise UsageError(f"{shown}: folder {printable(str(real.parent))} does not exist") from None
            return OutputTarget(shown, real)
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise UsageError(f"{shown}: is a folder; name a file")
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return OutputTarget(shown, real, stream=True)
    if stat.S_ISBLK(mode):
        raise UsageError(f"{shown}: is a block device; pixtok does not write to devices of that kind")
    if stat.S_ISSOCK(mode):
        raise UsageError(f"{shown}: is a socket; name a file")
    return OutputTarget(shown, real)


@contextlib.contextmanager
def os_errors(name: str, doing: str) -> Iterator[None]:
    """Turn an operating-system error inside the block into one `OutputError` line naming `name`
    (a very long name is shortened in the middle)."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"{shorten(name)}: cannot {doing} ({describe_os_error(exc)})") from None


def shorten(name: str, keep: int = 160) -> str:
    """`name`, or for one longer than `keep` characters its start and end around an ellipsis."""
    if len(name) <= keep:
        return name
    return f"{name[: keep * 2 // 3]}…{name[-(keep // 3) :]}"


def describe_os_error(exc: OSError) -> str:
    """The reason of an OS error in a few words (`No space left on device`)."""
    return exc.strerror or str(exc) or type(exc).__name__


# -- locks ---------------------------------------------------------------------------------------


class OutputLock:
    """An exclusive lock on an output, held as `flock` on `.NAME.lock` beside it.

    A second run that tries to write the same output fails at once with `OutputBusyError`
    naming the process that holds it; the lock goes away with its holder (even one that was
    killed), and `release()` removes the lock file.
    """

    def __init__(self, target: OutputTarget | Path) -> None:
        self.target = target if isinstance(target, OutputTarget) else OutputTarget(str(target), target)
        self.path = self.target.path.with_name(f".{self.target.path.name}.lock")
        self._fd: int | None = None

    def acquire(self) -> OutputLock:
        if fcntl is None or self.target.stream:
            return self
        with os_errors(self.target.name, "write"):
            while True:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = os.read(fd, 32).decode("ascii", "replace").strip()
                    os.close(fd)
                    who = f" (pid {holder})" if holder.isdigit() else ""
                    raise OutputBusyError(
                        f"{self.target.name}: another pixtok run{who} is writing it; "
                        "wait for it to finish, or write elsewhere"
                    ) from None
                except BaseException:
                    os.close(fd)
                    raise
                # The holder before us may have removed the file as it released it: lock the
                # file that is there now, not an unlinked one.
                try:
                    same = os.path.samestat(os.fstat(fd), os.stat(self.path))
                except FileNotFoundError:
                    same = False
                if same:
                    break
                os.close(fd)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# -- writing -------------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a binary stream whose content replaces `path` only if the block completes.

    A stream target (a device or FIFO) is written through instead; see the module docstring.
    """
    target = output_target(path)
    if target.stream:
        with os_errors(target.name, "write"), target.open_stream() as stream:
            yield stream
        return
    with OutputLock(target), _staged(target) as (stream, tmp):
        yield stream
        with os_errors(target.name, "write"):
            stream.flush()
            os.fsync(stream.fileno())
            stream.close()
            os.chmod(tmp, 0o644)
            os.replace(tmp, target.path)


@contextlib.contextmanager
def _staged(target: OutputTarget) -> Iterator[tuple[BinaryIO, str]]:
    """A temporary file beside the target, removed unless the block renamed it into place."""
    with os_errors(target.name, "write"):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.path.name}.", suffix=".part", dir=target.folder)
    stream = os.fdopen(fd, "wb")
    try:
        with os_errors(target.name, "write"):
            yield stream, tmp
    finally:
        stream.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_writer(path) as stream:
        stream.write(data)


def write_many_atomic(files: Mapping[Path, bytes] | Iterable[tuple[Path, bytes]]) -> None:
    """Write several files so that either all of them appear or none does.

    `files` may be a generator of (path, data): each file is staged as it comes, so only one
    file's data is held at a time. Stream targets among them are written through as they come.
    The first file's lock guards the whole set.
    """
    items = files.items() if isinstance(files, Mapping) else files
    staged: list[tuple[str, OutputTarget]] = []
    lock: OutputLock | None = None
    try:
        for path, data in items:
            target = output_target(path)
            if target.stream:
                with os_errors(target.name, "write"), target.open_stream() as stream:
                    stream.write(data)
                continue
            if lock is None:
                lock = OutputLock(target).acquire()
            with os_errors(target.name, "write"):
                fd, tmp = tempfile.mkstemp(prefix=f".{target.path.name}.", suffix=".part", dir=target.folder)
                staged.append((tmp, target))
                with os.fdopen(fd, "wb") as stream:
                    stream.write(data)
        for tmp, target in staged:
            with os_errors(target.name, "write"):
                os.chmod(tmp, 0o644)
                os.replace(tmp, target.path)
        staged.clear()
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        if lock is not None:
            lock.release()
