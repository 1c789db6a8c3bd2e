"""Reading inputs and writing outputs safely; no domain logic lives here.

Outputs are written atomically: data goes to a temporary file in the target's folder, which is
renamed over the target only once complete, so an interrupted or failed run never leaves a
half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pixtok.errors import InputError, UsageError

STDIO = "-"


def decode_text(data: bytes, errors: str = "strict", source: str = "<input>") -> str:
    """Decode UTF-8 bytes; invalid bytes raise an error naming the byte offset (or are replaced)."""
    if errors not in ("strict", "replace"):
        raise UsageError(f"--errors must be 'strict' or 'replace', not {errors!r}")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: invalid UTF-8 at byte offset {exc.start} "
            f"(byte 0x{data[exc.start]:02x}); use --errors replace to substitute U+FFFD"
        ) from None


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a file, or standard input for '-', with errors that say what went wrong."""
    if str(path) == STDIO:
        return sys.stdin.buffer.read()
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a file")
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except PermissionError:
        raise InputError(f"{p}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None


def read_text(path: str | os.PathLike[str], errors: str = "strict") -> str:
    """Read UTF-8 text from a file or from standard input ('-')."""
    name = "<stdin>" if str(path) == STDIO else str(path)
    return decode_text(read_bytes(path), errors=errors, source=name)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a binary stream whose content replaces `path` only if the block completes."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{target}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_writer(path) as stream:
        stream.write(data)


def write_many_atomic(files: dict[Path, bytes]) -> None:
    """Write several files so that either all of them appear or none does."""
    staged: list[tuple[str, Path]] = []
    try:
        for target, data in files.items():
            folder = target.parent if str(target.parent) else Path(".")
            if not folder.is_dir():
                raise UsageError(f"{target}: folder {folder} does not exist")
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
        for tmp, target in staged:
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        staged.clear()
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
