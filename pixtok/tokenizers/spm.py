"""SentencePiece models (`.model` files): Mistral's 32k vocabulary and any model a user trains.

The count is the length of `SentencePieceProcessor.encode(text)` on the whole text. Encoding line
by line would be faster to batch but gives different numbers: SentencePiece adds its dummy-prefix
`▁` at the start of every input and the Mistral model spells a newline as the byte token
`<0x0A>`, so per-line counts drift from whole-text counts (by about 9% on an English manual chapter).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import sentencepiece

from pixtok.errors import InputError
from pixtok.io import read_bytes
from pixtok.tokenizers.base import Tokenizer, char_spans

_INTERNAL_PREFIX = re.compile(
    r"^(?:INTERNAL|Internal|INVALID_ARGUMENT|NOT_FOUND):\s*(?:\S+\.cc\(\d+\)\s*\[[^\]]*\]\s*)?"
)


def sentencepiece_message(exc: BaseException) -> str:
    """SentencePiece's error text without its C++ source location (`src/x.cc(109) [check]`)."""
    lines = str(exc).strip().splitlines()
    return _INTERNAL_PREFIX.sub("", lines[0]).strip() if lines else ""


class SentencePieceTokenizer(Tokenizer):
    """A loaded SentencePiece model; ids and pieces exactly as `sentencepiece` gives them."""

    def __init__(
        self,
        name: str,
        processor: sentencepiece.SentencePieceProcessor,
        *,
        source: Path | None = None,
        sha256: str | None = None,
    ) -> None:
        super().__init__(
            name,
            kind="sentencepiece",
            vocab_size=processor.vocab_size(),
            source=source,
            sha256=sha256,
            library="sentencepiece",
        )
        self.processor = processor

    @classmethod
    def from_file(cls, name: str, path: str | os.PathLike[str]) -> SentencePieceTokenizer:
        """Load a `.model` file; a missing or corrupt file raises InputError with one line."""
        data = read_bytes(path, model=True)
        if not data:  # SentencePiece would parse it as a model without pieces: "unk is not defined"
            raise InputError(f"{path}: the file is empty, not a SentencePiece model")
        processor = sentencepiece.SentencePieceProcessor()
        try:
            processor.LoadFromSerializedProto(data)
        except (RuntimeError, OSError) as exc:
            reason = sentencepiece_message(exc) or "cannot parse it"
            raise InputError(f"{path}: not a SentencePiece model ({reason})") from None
        return cls(name, processor, source=Path(path).resolve(), sha256=hashlib.sha256(data).hexdigest())

    def encode(self, text: str) -> list[int]:
        return self.processor.encode(text, out_type=int)

    def pieces(self, text: str) -> list[str]:
        return self.processor.encode(text, out_type=str)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Offsets from SentencePiece's own proto output: each piece's `begin` in the input bytes."""
        proto = self.processor.encode(text, out_type="proto")
        return char_spans(text, [piece.begin for piece in proto.pieces], unit="byte")
