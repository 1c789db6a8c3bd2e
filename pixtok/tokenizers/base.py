"""What every text tokenizer offers: ids, a count, pieces to look at, and where it came from.

A `Tokenizer` wraps one real tokenizer library (or a plain baseline such as UTF-8 bytes). The
count is the number the rest of pixtok compares vision tokens against, so it is always exactly
the length of the ids that library itself produces for the whole text: no BOS/EOS, no chat
template, no special-token parsing.
"""

from __future__ import annotations

import abc
import hashlib
import importlib.metadata
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


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


def byte_piece(data: bytes) -> str:
    """Show a token's bytes as text; bytes that are not whole UTF-8 characters appear as `\\xNN`.

    Byte-level BPE tokens often split a character (a Hangul syllable is three bytes), so a piece
    cannot always be decoded on its own; the escapes keep such pieces visible and distinct.
    """
    return data.decode("utf-8", errors="backslashreplace")


class Tokenizer(abc.ABC):
    """A text tokenizer known to pixtok by name.

    Subclasses implement `encode` and `pieces`; `count` defaults to `len(encode(text))` and is
    overridden where the library can count without building a Python list of ids.
    """

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
