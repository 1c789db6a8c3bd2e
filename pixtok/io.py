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
  same file fail at once instead of interleaving with the first;
* `-` is standard output: the data is written there, as it is, instead of to a file named `-`
  (`./-` names such a file).

Temporary files are `.NAME.PID-XXXXXXXX.part`, named after the process that writes them: a run
that takes over the lock of a killed one (its lock file still names a process that is gone)
removes the parts that process left in the folder. Inside `deferred_outputs()` files are staged
but renamed into place only when the block ends without an error, so that a command can write
its summary to stdout first and a failure there leaves no output behind.

Operating-system errors (a full disk, a read-only folder, a name too long) become `OutputError`,
one line naming the path, never a traceback.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import io
import json
import os
import re
import stat
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pixtok.errors import InputError, LimitError, OutputBusyError, OutputError, UsageError
from pixtok.limits import (
    check_input_size,
    check_json_depth,
    check_text,
    printable,
    read_bounded,
)
from pixtok.limits import current as current_limits

try:
    import fcntl
except ImportError:  # not on Windows: outputs are then written without a lock
    fcntl = None  # type: ignore[assignment]

STDIO = "-"


# -- reading ---------------------------------------------------------------------------------------


def stdin_buffer() -> BinaryIO:
    """Standard input's binary stream, for reading '-'. When it is closed (`<&-`: Python then has
    no `sys.stdin` at all) reading it is refused with `InputError`, the one message every reader
    of '-' gives."""
    stream = sys.stdin
    buffer = getattr(stream, "buffer", None) if stream is not None else None
    if buffer is None:
        raise InputError(
            "standard input is closed; pipe the input in, or give a file (or the text) as an argument"
        )
    # A file redirected in (`< in.txt`) is an input like any other: no output may replace it.
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        note_input(os.fstat(buffer.fileno()))
    return buffer


def decode_text(
    data: bytes,
    errors: str = "strict",
    source: str = "<input>",
    *,
    replaceable: bool = True,
    line_limit: bool = True,
) -> str:
    """Decode UTF-8 bytes; invalid bytes raise an error naming the byte offset (or are replaced).

    The text is checked against the `line` limit, unless `line_limit=False`: a tokenizer.json
    saved without indentation is one line of megabytes, and a model's size is bounded by the
    `input` limit when it is read. `replaceable=False` is for files `--errors` does not apply to
    (a tokenizer model): the error then does not suggest it.
    """
    if errors not in ("strict", "replace"):
        raise UsageError(f"--errors must be 'strict' or 'replace', not {errors!r}")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        hint = "; use --errors replace to substitute U+FFFD" if replaceable else ""
        raise InputError(
            f"{source}: invalid UTF-8 at byte offset {exc.start} (byte 0x{data[exc.start]:02x}){hint}"
        ) from None
    if line_limit:
        check_text(text, source)
    return text


#: The files a command has read as inputs (device and inode), while one is tracking them (the
#: command line does, for each command): an output is never put in place over one of them.
_INPUTS_READ: contextvars.ContextVar[set[tuple[int, int]] | None] = contextvars.ContextVar(
    "pixtok_inputs_read", default=None
)


@contextlib.contextmanager
def guarded_inputs() -> Iterator[None]:
    """Within the block, refuse to write an output over a file the block has read as an input
    (`-o in.txt` for an input in.txt, or a link to it): the output would replace the data it
    was made from."""
    token = _INPUTS_READ.set(set())
    try:
        yield
    finally:
        _INPUTS_READ.reset(token)


def note_input(info: os.stat_result) -> None:
    """Remember a regular file read as an input (`guarded_inputs`)."""
    read = _INPUTS_READ.get()
    if read is not None and stat.S_ISREG(info.st_mode):
        read.add((info.st_dev, info.st_ino))


def is_input(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a file read as an input (see `guarded_inputs`)."""
    read = _INPUTS_READ.get()
    if not read:
        return False
    try:
        info = os.stat(path)
    except OSError:
        return False
    return (info.st_dev, info.st_ino) in read


def check_not_an_input(path: str | os.PathLike[str], name: str) -> None:
    """Refuse `path` as an output when it is a file read as an input (see `guarded_inputs`)."""
    if is_input(path):
        raise UsageError(f"{name}: is also an input, which the output would replace; write it elsewhere")


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file: the same path, or existing files that are one (through
    links, hard ones included). Two outputs so named would replace each other."""
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def unreachable(name: str) -> str | None:
    """Why a path that `os.path.exists` says is not there cannot be reached, when it is not
    that it is missing (a folder on its way that may not be searched, a name too long, a link
    loop), or None."""
    try:
        os.stat(name)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{shorten(printable(name))}: cannot read ({describe_os_error(exc)})"
    return None


def user_path(text: str | os.PathLike[str]) -> Path:
    """A path the user wrote, `~` and `~user` expanded; a UsageError where there is no such
    home folder (an unknown user, or no HOME)."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        home = str(text).split("/", 1)[0]
        raise UsageError(f"{shorten(str(text))}: there is no home folder {home} to expand") from None


#: What a tokenizer model file may hold at least, whatever the `input` limit: a user may lower
#: that limit below the size of the bundled models (the SentencePiece model is 493 KB), and the
#: largest models in use (a tokenizer.json of a 256K-piece vocabulary) take tens of megabytes.
MODEL_BYTES = 64 << 20


def check_path(path: str | os.PathLike[str], what: str = "a file path") -> str:
    """`path` as text; a UsageError naming `what` when no file can have that name: a NUL, or a
    lone surrogate that is not one of the file system's own escapes for undecodable bytes (the
    operating system's calls would raise a bare ValueError). A command line cannot pass either;
    a caller of the library can."""
    name = os.fspath(path)
    if not isinstance(name, str):
        return name
    if "\x00" in name:
        raise UsageError(f"{shorten(printable(name))}: {what} cannot hold a NUL character")
    try:
        os.fsencode(name)
    except UnicodeEncodeError:
        raise UsageError(f"{shorten(printable(name))}: {what} cannot hold a lone surrogate") from None
    return name


def read_bytes(path: str | os.PathLike[str], *, model: bool = False) -> bytes:
    """Read a file, or standard input for '-', with errors that say what went wrong.

    At most the `input` limit is read (a regular file larger than that is refused before
    reading); a tokenizer `model` file may take `MODEL_BYTES` under a lower limit.
    """
    if str(path) == STDIO:
        return read_bounded(stdin_buffer(), "<stdin>")
    name = shorten(printable(check_path(path)))
    try:
        with open(path, "rb") as stream:
            info = os.fstat(stream.fileno())
            note_input(info)
            if stat.S_ISDIR(info.st_mode):
                raise InputError(f"{name}: is a directory, not a file")
            if model and current_limits().input_bytes < MODEL_BYTES:
                data = stream.read(MODEL_BYTES + 1)
                if len(data) > MODEL_BYTES:
                    raise InputError(f"{name}: larger than {MODEL_BYTES >> 20} MiB, as no tokenizer model is")
                return data
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


def input_name(path: str | os.PathLike[str]) -> str:
    """How a message names an input: `<stdin>` for '-', else the path made printable."""
    return "<stdin>" if str(path) == STDIO else printable(os.fspath(path))


def read_text(path: str | os.PathLike[str], errors: str = "strict") -> str:
    """Read UTF-8 text from a file or from standard input ('-')."""
    return decode_text(read_bytes(path), errors=errors, source=input_name(path))


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
    name = check_path(path, "an output path")
    if not name:
        raise UsageError("the output path is empty; name a file")
    if name == STDIO:
        raise UsageError(
            "'-' is standard output, which cannot take this output; name a file (./- for one named -)"
        )
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
    check_not_an_input(real, shown)
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
    killed), and `release()` removes the lock file. A lock file that still names a process when
    it is taken over was left by a holder that was killed: the temporary parts that process
    left in the folder are removed then (`remove_stale_parts`).
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
            # A holder that released the lock removed its file first, so a pid still written
            # here belongs to one that was killed (SIGKILL, a power cut) while it held the lock.
            previous = os.read(fd, 32).decode("ascii", "replace").strip()
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        if previous.isdigit():
            remove_stale_parts(self.target.path, int(previous))
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


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, as another user's
        return True
    return True


#: A temporary part: `.NAME.PID-XXXXXXXX.part` (see `_part_prefix`); older runs wrote `.NAME.XXXXXXXX.part`.
_PART = re.compile(r"^\.(?P<name>.+)\.(?:(?P<pid>[0-9]+)-)?[a-z0-9_]{8}\.part$")


def _part_prefix(target: Path) -> str:
    """The name a temporary part of `target` starts with: hidden, the target's name, this process."""
    return f".{target.name}.{os.getpid()}-"


def remove_stale_parts(target: Path, dead: int) -> list[Path]:
    """Remove the temporary parts process `dead` left beside `target` when it was killed.

    Called by whoever takes over `target`'s lock from `dead`. Only parts named after that
    process go (any output's in the folder: a set of files is staged under its first file's
    lock), and only when no process of that id runs now; unnamed parts of older runs go when
    they are `target`'s own. Returns what was removed; errors are ignored (a part that cannot be
    removed is left as it was).
    """
    if dead == os.getpid() or process_alive(dead):
        return []
    removed: list[Path] = []
    with contextlib.suppress(OSError), os.scandir(target.parent) as entries:
        for entry in entries:
            match = _PART.match(entry.name)
            if match is None:
                continue
            pid = match["pid"]
            if (pid is not None and int(pid) == dead) or (pid is None and match["name"] == target.name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


# -- writing -------------------------------------------------------------------------------------


class _Deferred:
    """The files of one `deferred_outputs()` block: staged parts waiting to be renamed into place,
    the locks that guard them until then, and files to remove once they are in place."""

    def __init__(self) -> None:
        self.staged: dict[Path, tuple[str, OutputTarget]] = {}
        self.locks: dict[Path, OutputLock] = {}
        self.removals: list[Path] = []
        self.folders: list[Path] = []  # made by the block: removed again if it fails (when empty)

    def lock(self, target: OutputTarget) -> None:
        """Hold `target`'s lock until the block ends (once, however often it is written)."""
        if target.path not in self.locks:
            if len(self.locks) >= MAX_DEFERRED_LOCKS:
                self.commit()  # see MAX_DEFERRED_LOCKS
            self.locks[target.path] = OutputLock(target).acquire()

    def stage(self, tmp: str, target: OutputTarget) -> None:
        """`tmp` becomes `target` when the block commits (replacing a part staged before it)."""
        earlier = self.staged.pop(target.path, None)
        if earlier is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(earlier[0])
        self.staged[target.path] = (tmp, target)

    def commit(self) -> None:
        """Rename every staged part into place, then remove what was to go; release the locks."""
        try:
            for tmp, target in list(self.staged.values()):
                with os_errors(target.name, "write"):
                    os.chmod(tmp, 0o644)
                    check_not_an_input(target.path, target.name)
                    os.replace(tmp, target.path)
                del self.staged[target.path]
            for path in self.removals:
                if is_input(path):  # an input read after its removal was asked for
                    continue
                with os_errors(str(path), "remove"), contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            self.removals.clear()
            self.folders.clear()
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove every staged part and release the locks: nothing of the block appears (folders
        it made are removed too, when nothing else was put in them)."""
        for tmp, _ in self.staged.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self.staged.clear()
        self.removals.clear()
        for lock in self.locks.values():
            lock.release()
        self.locks.clear()
        for folder in reversed(self.folders):  # once the lock files in them are gone
            with contextlib.suppress(OSError):
                folder.rmdir()
        self.folders.clear()


#: Outputs held back by `deferred_outputs()` hold a lock (an open file) each until the block ends;
#: past this many the files staged so far are put in place early, so a run over thousands of
#: inputs cannot run out of file descriptors (only the last batch is then held back).
MAX_DEFERRED_LOCKS = 256

_DEFERRED: contextvars.ContextVar[_Deferred | None] = contextvars.ContextVar("pixtok_deferred", default=None)


@contextlib.contextmanager
def deferred_outputs() -> Iterator[None]:
    """Hold back every file the block writes (through `atomic_writer`, `write_many_atomic` and
    `remove_on_commit`) until the block ends, then put them all in place; if the block raises,
    none appears and nothing is removed.

    A command writes its files inside the block and its summary to stdout last in it: a summary
    that cannot be written (stdout on a full disk) then fails the run with no file left behind.
    Files are staged (written and fsynced) as they come and keep their locks until then; streams
    (devices, FIFOs, stdout) are written through. Blocks do not nest: an inner one joins the outer.
    """
    if _DEFERRED.get() is not None:
        yield
        return
    deferred = _Deferred()
    token = _DEFERRED.set(deferred)
    try:
        yield
    except BaseException:
        deferred.discard()
        raise
    else:
        deferred.commit()
    finally:
        _DEFERRED.reset(token)


def make_folder(path: str | os.PathLike[str]) -> None:
    """Create folder `path` and its missing parents; inside `deferred_outputs()`, a block that
    fails removes the ones it created again (those still empty), as it removes its files."""
    folder = Path(path)
    missing: list[Path] = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise _in_the_way(folder) from None
    deferred = _DEFERRED.get()
    if deferred is not None:
        deferred.folders.extend(reversed(missing))  # outermost first; discard removes innermost first


def _in_the_way(folder: Path) -> OSError:
    """Why a folder cannot be made where something of that name already is: a file, or a link
    that loops or leads nowhere (which `mkdir` calls alike "File exists")."""
    try:
        os.stat(folder)
    except FileNotFoundError:
        return OSError(errno.ENOENT, "a link to a path that does not exist")
    except OSError as exc:  # a link that loops
        return exc
    return OSError(errno.EEXIST, "a file of that name is in the way")


def remove_on_commit(path: str | os.PathLike[str]) -> None:
    """Remove `path` now, or inside `deferred_outputs()` once the block's files are in place;
    a file read as an input (see `guarded_inputs`) is never removed."""
    deferred = _DEFERRED.get()
    if deferred is not None:
        deferred.removals.append(Path(path))
        return
    if is_input(path):
        return
    with os_errors(os.fspath(path), "remove"), contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@contextlib.contextmanager
def stdout_writer() -> Iterator[BinaryIO]:
    """Standard output as a binary stream for `-o -`; it is flushed, never closed, and an
    operating-system error names `<stdout>`. A reader that went away (a broken pipe) is left to
    the command line, which stays quiet about it."""
    try:
        sys.stdout.flush()  # what was written as text before comes first
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"<stdout>: cannot write ({describe_os_error(exc)})") from None


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a binary stream whose content replaces `path` only if the block completes.

    `-` is standard output and a stream target (a device or FIFO) is written through instead;
    inside `deferred_outputs()` the file is put in place when that block ends. See the module
    docstring.
    """
    if os.fspath(path) == STDIO:
        with stdout_writer() as stream:
            yield stream
        return
    target = output_target(path)
    if target.stream:
        with os_errors(target.name, "write"), target.open_stream() as stream:
            yield stream
        return
    deferred = _DEFERRED.get()
    if deferred is not None:
        deferred.lock(target)
        with _staged(target, keep=True) as (stream, tmp):
            yield stream
            with os_errors(target.name, "write"):
                _finish(stream)
            deferred.stage(tmp, target)
        return
    with OutputLock(target), _staged(target) as (stream, tmp):
        yield stream
        with os_errors(target.name, "write"):
            _finish(stream)
            os.chmod(tmp, 0o644)
            check_not_an_input(target.path, target.name)
            os.replace(tmp, target.path)


def _finish(stream: BinaryIO) -> None:
    """Make a staged part durable and close it."""
    stream.flush()
    os.fsync(stream.fileno())
    stream.close()


@contextlib.contextmanager
def _staged(target: OutputTarget, *, keep: bool = False) -> Iterator[tuple[BinaryIO, str]]:
    """A temporary file beside the target, removed unless the block renamed it into place (or,
    with `keep`, unless the block completed: it is then handed over to be renamed later)."""
    with os_errors(target.name, "write"):
        fd, tmp = tempfile.mkstemp(prefix=_part_prefix(target.path), suffix=".part", dir=target.folder)
    stream = os.fdopen(fd, "wb")
    done = False
    try:
        with os_errors(target.name, "write"):
            yield stream, tmp
        done = keep
    finally:
        stream.close()
        if not done:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically (`-`: to standard output)."""
    with atomic_writer(path) as stream:
        stream.write(data)


def write_many_atomic(files: Mapping[Path, bytes] | Iterable[tuple[Path, bytes]]) -> None:
    """Write several files so that either all of them appear or none does.

    `files` may be a generator of (path, data): each file is staged as it comes, so only one
    file's data is held at a time. Stream targets among them are written through as they come.
    The first file's lock guards the whole set. Inside `deferred_outputs()` the set is put in
    place when that block ends.
    """
    items = files.items() if isinstance(files, Mapping) else files
    deferred = _DEFERRED.get()
    staged: list[tuple[str, OutputTarget]] = []
    lock: OutputLock | None = None
    locked = False
    try:
        for path, data in items:
            if os.fspath(path) == STDIO:
                raise UsageError(
                    "'-' is standard output, which cannot take one of several files; name a file"
                )
            target = output_target(path)
            if target.stream:
                with os_errors(target.name, "write"), target.open_stream() as stream:
                    stream.write(data)
                continue
            if not locked:
                locked = True
                if deferred is not None:
                    deferred.lock(target)
                else:
                    lock = OutputLock(target).acquire()
            with os_errors(target.name, "write"):
                fd, tmp = tempfile.mkstemp(
                    prefix=_part_prefix(target.path), suffix=".part", dir=target.folder
                )
                staged.append((tmp, target))
                with os.fdopen(fd, "wb") as stream:
                    stream.write(data)
        if deferred is not None:
            for tmp, target in staged:
                deferred.stage(tmp, target)
            staged.clear()
            return
        for tmp, target in staged:
            with os_errors(target.name, "write"):
                os.chmod(tmp, 0o644)
                check_not_an_input(target.path, target.name)
                os.replace(tmp, target.path)
        staged.clear()
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        if lock is not None:
            lock.release()
