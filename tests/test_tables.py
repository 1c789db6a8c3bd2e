"""Terminal tables fit any width without breaking a word (pixtok/cli/tables.py).

The commands' own tables are checked at 80 and 120 columns in a real terminal by
tests/test_conventions.py; here one wide table goes through every width from 30 to 200.
"""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from pixtok.cli.tables import pieces, print_rows, wrap_header

HEADER = [
    "input",
    "chars",
    "pages",
    "non-blank patches",
    "mistral-spm tokens",
    "cl100k tokens",
    "deepseek-ocr-base vision tokens",
    "qwen2.5-vl vision tokens",
    "glm-4.1v vision tokens",
]
ROWS = [
    ["en_prose_debian-reference.txt", "11914", "5", "3785", "3265", "2697", "1280", "2835", "2835"],
    ["total", "17304", "10", "6631", "7555", "6420", "2560", "5502", "5502"],
]


def test_headers_wrap_at_spaces_and_after_hyphens() -> None:
    assert pieces("deepseek-ocr-base vision tokens") == [
        ["deepseek-", "ocr-", "base"],
        ["vision"],
        ["tokens"],
    ]
    assert wrap_header("deepseek-ocr-base vision tokens", 10) == "deepseek-\nocr-base\nvision\ntokens"
    assert wrap_header("non-blank patches", 17) == "non-blank patches"
    assert wrap_header("mistral-spm", 4) == "mistral-\nspm"  # a piece wider than the column stays whole


def printed(width: int) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    print_rows(console, HEADER, ROWS, title="counts")
    return console.export_text()


_RULE = re.compile(r"^[\s━─┡┩╇┼┿╋┣┫]+$")


def header_tokens(table_text: str) -> list[str]:
    """The words of the header rows of every table printed: the rows above each header rule,
    back to the table's top edge, the bottom edge of the table above, or a blank line (a
    borderless table's title comes with them)."""
    tokens: list[str] = []
    lines = table_text.splitlines()
    for index, line in enumerate(lines):
        if line.strip() and _RULE.match(line):
            start = index - 1
            while start >= 0 and lines[start].strip() and not lines[start].startswith(("┏", "┌", "└")):
                start -= 1
            for header in lines[start + 1 : index]:
                tokens.extend(t for t in re.split(r"[\s┃│]+", header) if t)
    return tokens


def whole_pieces(words: set[str]) -> set[str]:
    """Every run of consecutive pieces of the words (what a header may show on one line)."""
    return {
        "".join(p[i:j])
        for word in words
        if (p := [piece for part in pieces(word) for piece in part])
        for i in range(len(p))
        for j in range(i + 1, len(p) + 1)
    }


@pytest.mark.parametrize("width", range(30, 201, 5))
def test_every_width_fits_and_keeps_every_header_word_whole(width: int) -> None:
    text = printed(width)
    assert max(len(line) for line in text.splitlines()) <= width, text
    allowed = whole_pieces({word for header in HEADER for word in header.split()}) | {
        "counts",
        "counts,",
        "continued",
    }
    tokens = header_tokens(text)
    assert tokens and all(token in allowed for token in tokens), (width, tokens, text)
    for row in ROWS:
        for cell in row[1:]:
            assert cell in text  # values are never folded
