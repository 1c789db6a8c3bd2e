"""What every text tokenizer offers: ids, a count, pieces to look at, and where it came from.

A `Tokenizer` wraps one real tokenizer library (or a plain baseline such as UTF-8 bytes). The
count is the number the rest of pixtok compares vision tokens against, so it is always exactly
the length of the ids that library itself produces for the whole text: no BOS/EOS, no chat
template, no special-token parsing.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import hashlib
import importlib.metadata
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from pixtok.errors import is_rust_panic
from pixtok.limits import check_unicode

_CHUNK = 1 << 20
#: Bytes past the expected position where `spans` still looks for a piece that did not match at once.
_SPAN_WINDOW = 64
_BYTE_ESCAPE = re.compile(r"\\x([0-9a-f]{2})|<0x([0-9A-F]{2})>")
T = TypeVar("T")


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks so a large vocabulary never sits twice in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def library_version(distribution: str | None) -> str | None:
    """The installed version of a distribution (`sentencepiece`, `tiktoken`, ...), or None."""
    if distribution is None:
        return None
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


_STDERR_LOCK = threading.RLock()


def without_panic_report(call: Callable[[], T]) -> T:
    """`call()`, with Rust's own report of a panic kept off stderr.

    Rust's panic hook writes "thread ... panicked at ..." (and a backtrace under RUST_BACKTRACE)
    straight to file descriptor 2 before PyO3 raises `PanicException`, so a caller that turns the
    panic into pixtok's one-line error would still leave several lines above it. File descriptor 2
    goes to a temporary file while `call` runs; what was written there is copied back to stderr
    afterwards unless `call` ended in a panic, whose message the caller's error repeats. Meant
    for rare calls such as loading a model, not for every text: it costs a file and a few
    system calls, and other threads' writes to stderr wait (or, after a panic, are dropped).
    Without a usable descriptor 2 (closed, or no `dup`), `call` simply runs.
    """
    with _STDERR_LOCK:
        try:
            if sys.stderr is not None:
                sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):
            return call()
        panicked = False
        try:
            with tempfile.TemporaryFile() as held:
                os.dup2(held.fileno(), 2)
                try:
                    return call()
                except BaseException as exc:
                    panicked = is_rust_panic(exc)
                    raise
                finally:
                    os.dup2(saved, 2)
                    if not panicked:
                        held.seek(0)
                        _write_all(2, held.read())
        finally:
            os.close(saved)


def _write_all(fd: int, data: bytes) -> None:
    """Write `data` to `fd`, as much as the descriptor takes; a failing stderr is not an error here."""
    with contextlib.suppress(OSError):
        while data:
            data = data[os.write(fd, data) :]


def byte_piece(data: bytes) -> str:
    """Show a token's bytes as text; bytes that are not whole UTF-8 characters appear as `\\xNN`.

    Byte-level BPE tokens often split a character (a Hangul syllable is three bytes), so a piece
    cannot always be decoded on its own; the escapes keep such pieces visible and distinct.
    """
    return data.decode("utf-8", errors="backslashreplace")


def piece_bytes(piece: str) -> bytes:
    """The text bytes a piece stands for: `▁` is a space, `\\xNN` (see `byte_piece`) and
    SentencePiece's byte-fallback `<0xNN>` are single bytes."""
    out = bytearray()
    last = 0
    for match in _BYTE_ESCAPE.finditer(piece):
        out += piece[last : match.start()].replace("\u2581", " ").encode("utf-8")
        out.append(int(match.group(1) or match.group(2), 16))
        last = match.end()
    out += piece[last:].replace("\u2581", " ").encode("utf-8")
    return bytes(out)


def char_spans(text: str, starts: Sequence[int], *, unit: str = "char") -> list[tuple[int, int]]:
    """Spans that tile `text`, one per token, from where each token starts.

    `starts` are character offsets (`unit="char"`) or UTF-8 byte offsets (`unit="byte"`); a
    byte offset inside a character counts as that character's start, as tiktoken's
    `decode_with_offsets` does, so a character split over several tokens belongs to the last
    of them and the others are empty. Starts are made non-decreasing, the first token starts
    at 0 and the last ends at `len(text)`.
    """
    length = len(text)
    offsets = np.asarray(starts, dtype=np.int64).reshape(-1)
    if not len(offsets):
        return []
    if unit == "byte":
        widths = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        widths = 1 + (widths >= 0x80) + (widths >= 0x800) + (widths >= 0x10000)
        char_of_byte = np.append(np.repeat(np.arange(length, dtype=np.int64), widths), length)
        offsets = char_of_byte[np.clip(offsets, 0, len(char_of_byte) - 1)]
    offsets = np.clip(np.maximum.accumulate(np.maximum(offsets, 0)), 0, length)
    offsets[0] = 0
    ends = np.append(offsets[1:], length)
    return list(zip(offsets.tolist(), ends.tolist(), strict=True))


#: The methods that take a text: each checks it first (see `Tokenizer.__init_subclass__`).
TEXT_METHODS = ("encode", "count", "pieces", "spans")


def _checking(method: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    """`method` refusing what is not valid text (`check_unicode`) before the library sees it."""
    if getattr(method, "_checks_text", False):
        return method

    @functools.wraps(method)
    def checked(self: Any, text: str, *args: Any, **kwargs: Any) -> Any:
        check_unicode(text)
        return method(self, text, *args, **kwargs)

    checked._checks_text = True  # type: ignore[attr-defined]
    return checked


class Tokenizer(abc.ABC):
    """A text tokenizer known to pixtok by name.

    Subclasses implement `encode` and `pieces`; `count` defaults to `len(encode(text))` and is
    overridden where the library can count without building a Python list of ids. `spans`
    works for every subclass from `pieces`, and is overridden where the library itself knows
    each token's offsets.

    Every one of those methods, in this class and in any subclass, first refuses anything but a
    str with `UsageError` ("decode bytes first"), and text that is not valid Unicode (a lone
    surrogate, as Python spells undecodable bytes) with pixtok's one-line `InputError`: the
    libraries would otherwise fail each their own way (a TypeError from tiktoken, a C++ cast
    error from SentencePiece, a UnicodeEncodeError, a silent U+FFFD), or count it.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in TEXT_METHODS:
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "__isabstractmethod__", False):
                setattr(cls, name, _checking(method))

    def __init__(
        self,
        name: str,
        *,
        kind: str,
        vocab_size: int | None,
        source: Path | None = None,
        sha256: str | None = None,
        library: str | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.vocab_size = vocab_size
        self.source = source
        self.library = library
        self._sha256 = sha256

    @abc.abstractmethod
    def encode(self, text: str) -> list[int]:
        """The token ids of the whole text, exactly as the library produces them."""

    def count(self, text: str) -> int:
        """How many tokens the text costs: always equal to `len(self.encode(text))`."""
        return len(self.encode(text))

    @abc.abstractmethod
    def pieces(self, text: str) -> list[str]:
        """The tokens as strings, one per id, for inspection."""

    @_checking
    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where each token lies in `text`: (start, end) character offsets, one pair per token.

        The spans tile the text (each starts where the previous ended, from 0 to `len(text)`), so
        text a tokenizer drops or adds (a dummy-prefix space, normalised whitespace) belongs to
        the token next to it, and a token that is only part of a character is empty. This default
        finds each piece's bytes (`piece_bytes`) in the text in order; a piece that cannot be
        found nearby (a normalising tokenizer changed the text) starts where the previous ended.
        """
        data = text.encode("utf-8")
        starts: list[int] = []
        position = 0
        for piece in self.pieces(text):
            wanted = piece_bytes(piece)
            # A leading space may be a dummy prefix the text does not hold: take the nearer match.
            forms = (wanted, wanted.lstrip(b" ")) if wanted.startswith(b" ") else (wanted,)
            matches = [
                (found, -len(form))
                for form in forms
                if (found := data.find(form, position, position + len(form) + _SPAN_WINDOW)) >= 0
            ]
            starts.append(position)
            if matches:
                found, length = min(matches)
                position = found - length
        return char_spans(text, starts, unit="byte")

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the model file, computed on first request (a 19 MB vocabulary takes a moment)."""
        if self._sha256 is None and self.source is not None:
            self._sha256 = file_sha256(self.source)
        return self._sha256

    def describe(self) -> dict[str, Any]:
        """Where the tokenizer came from, enough to reproduce a count elsewhere."""
        return {
            "name": self.name,
            "kind": self.kind,
            "vocab_size": self.vocab_size,
            "file": str(self.source) if self.source is not None else None,
            "sha256": self.sha256,
            "library": self.library,
            "library_version": library_version(self.library),
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} kind={self.kind} vocab_size={self.vocab_size}>"
