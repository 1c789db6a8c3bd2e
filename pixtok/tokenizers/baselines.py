"""Baselines with no learned vocabulary: UTF-8 bytes, Unicode code points, whitespace words.

They bound what a learned tokenizer can do: bytes are what a byte-level model (ByT5) reads,
code points what a character model reads, and words are the unit people quote text lengths in.
"""

from __future__ import annotations

from pixtok.tokenizers.base import Tokenizer, byte_piece, char_spans

UNICODE_CODE_POINTS = 0x110000
"""Code points U+0000..U+10FFFF (The Unicode Standard, section 2.4 "Code Points and Characters")."""


class BytesTokenizer(Tokenizer):
    """One token per UTF-8 byte; ids are the byte values 0..255."""

    def __init__(self, name: str = "bytes") -> None:
        super().__init__(name, kind="baseline", vocab_size=256)

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def count(self, text: str) -> int:
        return len(text.encode("utf-8"))

    def pieces(self, text: str) -> list[str]:
        return [byte_piece(bytes([value])) for value in text.encode("utf-8")]

    def spans(self, text: str) -> list[tuple[int, int]]:
        return char_spans(text, range(len(text.encode("utf-8"))), unit="byte")


class CharsTokenizer(Tokenizer):
    """One token per Unicode code point; ids are the code points."""

    def __init__(self, name: str = "chars") -> None:
        super().__init__(name, kind="baseline", vocab_size=UNICODE_CODE_POINTS)

    def encode(self, text: str) -> list[int]:
        return [ord(char) for char in text]

    def count(self, text: str) -> int:
        return len(text)

    def pieces(self, text: str) -> list[str]:
        return list(text)

    def spans(self, text: str) -> list[tuple[int, int]]:
        return [(index, index + 1) for index in range(len(text))]


class WordsTokenizer(Tokenizer):
    """One token per run of non-whitespace characters (`str.split()`, Unicode whitespace).

    A word list has no fixed vocabulary, so `vocab_size` is None and the ids number the distinct
    words of each text in order of first appearance (0, 1, 2, ...): equal words get equal ids
    within one call, nothing more. Scripts written without spaces (Chinese, Japanese, Thai) have
    very few "words" by this measure; that is the point of showing it next to real tokenizers.
    """

    def __init__(self, name: str = "words") -> None:
        super().__init__(name, kind="baseline", vocab_size=None)

    def encode(self, text: str) -> list[int]:
        numbering: dict[str, int] = {}
        return [numbering.setdefault(word, len(numbering)) for word in text.split()]

    def count(self, text: str) -> int:
        return len(text.split())

    def pieces(self, text: str) -> list[str]:
        return text.split()
