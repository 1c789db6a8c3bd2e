"""Bidirectional text (UAX #9): embedding levels per character, and visual reordering of a line.

Levels are resolved by an implementation of the Unicode Bidirectional Algorithm's paragraph
level (P2–P3), weak types (W1–W7), paired brackets (N0), neutrals (N1–N2) and implicit levels
(I1–I2) run over a whole text at once, each rule a compiled walk (`_bidi`); finding the bracket
pairs (BD16) is a walk over the brackets alone, here. Paragraphs that use explicit embeddings,
overrides or isolates (which this form does not handle) go through the full algorithm of the
`unicode-bidi` crate that python-bidi wraps, and the tests check that both agree on every
paragraph they both handle. Reordering a line (rule L2) is done on glyph arrays after line
breaking, as the algorithm prescribes.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from bidi import get_display
from bidi.mirror import MIRRORED

from pixtok.render import _bidi
from pixtok.render._bidi import implicit_levels, weak_types
from pixtok.render.text import codepoints

# Strong right-to-left and Arabic-letter ranges (Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan,
# Mandaic, Arabic presentation forms, RTL explicit controls): a text with no character in them is
# all left-to-right.
_RTL_RANGES = (
    (0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFE), (0x200F, 0x200F), (0x202B, 0x202B),
    (0x202E, 0x202E), (0x2067, 0x2067), (0x10800, 0x10FFF), (0x1E800, 0x1EFFF),
)  # fmt: skip
_RTL_LOW, _RTL_HIGH = (np.asarray(column, dtype=np.uint32) for column in zip(*_RTL_RANGES, strict=True))

BIDI_CLASSES = (
    "L", "R", "AL", "EN", "ES", "ET", "AN", "CS", "NSM", "BN", "B", "S", "WS", "ON",
    "LRE", "LRO", "RLE", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI",
)  # fmt: skip
_CODE = {name: i for i, name in enumerate(BIDI_CLASSES)}
L, R, AL, EN, ES, ET, AN, CS, NSM, BN, B, S, WS, ON = range(14)
_FIRST_EXPLICIT = _CODE["LRE"]
_UNSEEN_CLASS = 0xFF
#: Bidi_Class of every code point, filled as characters are met.
_CLASS_TABLE = np.full(0x110000, _UNSEEN_CLASS, dtype=np.uint8)
#: Paired brackets (UAX #9 BD14-BD16): opening and closing punctuation that mirrors, keyed by the
#: opening bracket in canonical form (U+2329 and U+3008 are one bracket).
_OPENING: dict[str, str] = {}
_CLOSING: dict[str, str] = {}
for _char, _mirror in MIRRORED.items():
    if unicodedata.category(_char) == "Ps":
        _OPENING[_char] = unicodedata.normalize("NFD", _char)
    elif unicodedata.category(_char) == "Pe" and unicodedata.category(_mirror) == "Ps":
        _CLOSING[_char] = unicodedata.normalize("NFD", _mirror)
_BRACKETS = re.compile("[" + re.escape("".join(_OPENING) + "".join(_CLOSING)) + "]")
#: BD16: pairing stops when more openers than this are pending.
_MAX_OPEN_BRACKETS = 63


def has_rtl(text: str, cps: np.ndarray | None = None) -> bool:
    """Whether the text contains any right-to-left character (cheap test before running UBA);
    `cps`, when given, are its code points (uint32, as `codepoints` gives them)."""
    if text.isascii():  # known without reading it
        return False
    cps = codepoints(text) if cps is None else cps
    return bool(_bidi.any_in_ranges(cps, _RTL_LOW, _RTL_HIGH))


def bidi_classes(text: str, cps: np.ndarray | None = None) -> np.ndarray:
    """The Bidi_Class of every character as small integers (indices into BIDI_CLASSES); `cps`,
    when given, are the text's code points."""
    cps = codepoints(text) if cps is None else cps
    classes = _CLASS_TABLE[cps]
    unseen = classes == _UNSEEN_CLASS
    if unseen.any():
        for cp in np.unique(cps[unseen]).tolist():
            _CLASS_TABLE[cp] = _CODE.get(unicodedata.bidirectional(chr(cp)), L)
        classes = _CLASS_TABLE[cps]
    return classes


#: Classes that rule X9 removes: embedding and override controls, and boundary neutrals.
_X9_REMOVED = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "BN"})
_LEVEL = re.compile(r"Level\(\s*(\d+),\s*\)")


def reference_levels(paragraph: str, base: str | None = None) -> tuple[int, np.ndarray]:
    """Base level and per-character levels of one paragraph, from the full Unicode Bidirectional
    Algorithm of the `unicode-bidi` crate (python-bidi's core): explicit embeddings, overrides
    and isolates included.

    python-bidi returns the levels it computed when asked with `debug=True` (one per UTF-8 byte);
    a character takes the level of its first byte. Rule X9 removes embedding controls and
    boundary neutrals (ZWJ, ZWNJ, ...); they take the level of the character before them, as the
    algorithm's implementation notes suggest. A lone surrogate (text decoded from bad bytes) is
    resolved as the left-to-right letter its class says it is.
    """
    clean = "".join("a" if 0xD800 <= ord(c) <= 0xDFFF else c for c in paragraph)
    info = get_display(clean, base_dir=base, debug=True)
    levels_part = info[info.index("levels: [") : info.index("paragraphs: [")]
    per_byte = np.fromiter((int(x) for x in _LEVEL.findall(levels_part)), dtype=np.int8)
    match = _LEVEL.search(info, info.index("paragraphs: ["))
    base_level = int(match.group(1)) if match else (1 if base == "R" else 0)
    widths = np.fromiter((len(c.encode("utf-8")) for c in clean), dtype=np.int64, count=len(clean))
    levels = per_byte[np.cumsum(widths) - widths] if len(clean) else np.zeros(0, dtype=np.int8)
    for i, char in enumerate(clean):
        if i and unicodedata.bidirectional(char) in _X9_REMOVED:
            levels[i] = levels[i - 1]
    return base_level, levels


def text_levels(text: str, cps: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Embedding level and paragraph base level of every character of a text (paragraphs split at
    newlines; a newline gets its paragraph's base level); `cps`, when given, are its code points."""
    n = len(text)
    if not has_rtl(text, cps):  # every level 0: one array for both, read-only
        zeros = _ltr_levels(n)
        return zeros, zeros
    # A lone surrogate (text from undecodable bytes) is a code point like any other here.
    cps = codepoints(text) if cps is None else cps
    t = bidi_classes(text, cps).astype(np.int16)
    paragraph, base, newline = _bidi.paragraph_levels(t, np.ascontiguousarray(cps, dtype=np.uint32))
    levels = _resolve(t, base, paragraph, newline.view(bool), _bracket_pairs(text, paragraph))
    # Paragraphs the vectorised form does not cover go through the reference implementation.
    special = (t >= _FIRST_EXPLICIT) | ((t == B) & ~newline.view(bool))
    if special.any():
        starts = np.concatenate(([0], np.flatnonzero(newline) + 1))
        for p in np.unique(paragraph[special]):
            a, b = int(starts[p]), int(starts[p + 1] - 1) if p + 1 < len(starts) else n
            level, ref = reference_levels(text[a:b])
            levels[a:b] = ref
            base[a : b + (1 if b < n else 0)] = level
    return levels, base


_LTR_LEVELS = np.zeros(0, dtype=np.int8)


def _ltr_levels(n: int) -> np.ndarray:
    """`n` zero levels, read-only: a view of one array kept for all texts (most have no
    right-to-left character, and a new array and its flag cost more than the view)."""
    global _LTR_LEVELS
    levels = _LTR_LEVELS  # one read: another thread may put a longer array in its place
    if len(levels) < n:
        levels = np.zeros(max(n, 2 * len(levels)), dtype=np.int8)
        levels.flags.writeable = False
        _LTR_LEVELS = levels
    return levels[:n]


def _bracket_pairs(text: str, paragraph: np.ndarray) -> list[tuple[int, int]]:
    """Bracket pairs of every paragraph by rule BD16, in the order of their opening brackets."""
    pairs: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    current = -1
    overflow = False
    for match in _BRACKETS.finditer(text):
        i, char = match.start(), match.group()
        if paragraph[i] != current:
            current, stack, overflow = int(paragraph[i]), [], False
        if overflow:
            continue
        if char in _OPENING:
            if len(stack) == _MAX_OPEN_BRACKETS:
                overflow = True
                continue
            stack.append((_OPENING[char], i))
            continue
        key = _CLOSING[char]
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth][0] == key:
                pairs.append((stack[depth][1], i))
                del stack[depth:]
                break
    pairs.sort()
    return pairs


def _resolve(
    t: np.ndarray,
    base: np.ndarray,
    paragraph: np.ndarray,
    newline: np.ndarray,
    pairs: list[tuple[int, int]] | None = None,
) -> np.ndarray:
    """W1–W7, N0–N2 and I1–I2 over a whole text at once (no explicit embeddings)."""
    original = np.ascontiguousarray(t, dtype=np.int16)
    base = np.ascontiguousarray(base, dtype=np.int8)
    paragraph = np.ascontiguousarray(paragraph, dtype=np.int64)
    newline = np.ascontiguousarray(newline, dtype=bool).view(np.uint8)
    resolved = weak_types(original, base, paragraph, newline)
    if pairs:  # N0: bracket pairs
        opening, closing = np.asarray(pairs, dtype=np.int64).reshape(-1, 2).T
        resolved = _bidi.paired_brackets(
            resolved, original, base, paragraph, np.ascontiguousarray(opening), np.ascontiguousarray(closing)
        )
    return implicit_levels(resolved, original, base, paragraph, newline)


def visual_order_lines(levels: np.ndarray, line: np.ndarray) -> np.ndarray:
    """The permutation that puts the items of every line in visual order (UAX #9 rule L2);
    `line` (non-decreasing) gives each item's line. From each line's highest level down to its
    lowest odd level, every maximal run at that level or higher within the line is reversed (one
    compiled walk, `_bidi`)."""
    return _bidi.visual_order_lines(
        np.ascontiguousarray(levels, dtype=np.int8), np.ascontiguousarray(line, dtype=np.int64)
    )
