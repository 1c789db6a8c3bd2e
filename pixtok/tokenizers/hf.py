"""Hugging Face `tokenizer.json` files through the `tokenizers` library (the optional `hf` extra).

Counts are taken with `add_special_tokens=False`, so a template's [CLS]/[SEP] or <s> is not
added, and with truncation and padding switched off even when the file turns them on: pixtok
measures the text, not a model's input window.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from pixtok.errors import InputError, MissingDependencyError
from pixtok.io import decode_text, read_bytes
from pixtok.tokenizers.base import Tokenizer, char_spans

INSTALL_HINT = "pip install 'pixtok[hf]'"


def require_tokenizers() -> Any:
    """Import the `tokenizers` library or say how to install it."""
    try:
        import tokenizers
    except ImportError:
        raise MissingDependencyError(
            f"hf: tokenizers need the Hugging Face 'tokenizers' library: {INSTALL_HINT}"
        ) from None
    return tokenizers


class HuggingFaceTokenizer(Tokenizer):
    """A `tokenizers.Tokenizer` loaded from a tokenizer.json file."""

    def __init__(
        self, name: str, tokenizer: Any, *, source: Path | None = None, sha256: str | None = None
    ) -> None:
        tokenizer.no_truncation()
        tokenizer.no_padding()
        super().__init__(
            name,
            kind="huggingface",
            vocab_size=tokenizer.get_vocab_size(with_added_tokens=True),
            source=source,
            sha256=sha256,
            library="tokenizers",
        )
        self.tokenizer = tokenizer

    @classmethod
    def from_file(cls, name: str, path: str | os.PathLike[str]) -> HuggingFaceTokenizer:
        """Load a tokenizer.json; a missing or malformed file raises InputError with one line."""
        tokenizers = require_tokenizers()
        data = read_bytes(path, model=True)
        text = decode_text(data, source=str(path))
        try:
            tokenizer = tokenizers.Tokenizer.from_str(text)
        except Exception as exc:  # the library raises a bare Exception for any parse error
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise InputError(f"{path}: not a Hugging Face tokenizer.json ({reason})") from None
        return cls(name, tokenizer, source=Path(path).resolve(), sha256=hashlib.sha256(data).hexdigest())

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def count(self, text: str) -> int:
        # len() of the native Encoding: no Python list of ids is built.
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def pieces(self, text: str) -> list[str]:
        return self.tokenizer.encode(text, add_special_tokens=False).tokens

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Offsets from the library's `Encoding.offsets` (character offsets in the input)."""
        offsets = self.tokenizer.encode(text, add_special_tokens=False).offsets
        return char_spans(text, [start for start, _ in offsets])
