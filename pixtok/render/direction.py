"""Bidirectional text (UAX #9): embedding levels per character, and visual reordering of a line.

Levels are resolved by a vectorised implementation of the Unicode Bidirectional Algorithm's
paragraph level (P2–P3), weak types (W1–W7), neutrals (N1–N2) and implicit levels (I1–I2),
run over a whole text at once. Paragraphs that use explicit embeddings, overrides or isolates
(which the vectorised form does not handle) go through python-bidi's reference implementation,
and the tests check that both agree on every paragraph they both handle. Reordering a line
(rule L2) is done on glyph arrays after line breaking, as the algorithm prescribes.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from bidi import algorithm as uba

# Strong right-to-left and Arabic-letter ranges (Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan,
# Mandaic, Arabic presentation forms, RTL explicit controls). Used as a fast pre-check.
_RTL = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\u200f\u202b\u202e\u2067\U00010800-\U00010fff\U0001e800-\U0001efff]"
)

BIDI_CLASSES = (
    "L", "R", "AL", "EN", "ES", "ET", "AN", "CS", "NSM", "BN", "B", "S", "WS", "ON",
    "LRE", "LRO", "RLE", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI",
)  # fmt: skip
_CODE = {name: i for i, name in enumerate(BIDI_CLASSES)}
L, R, AL, EN, ES, ET, AN, CS, NSM, BN, B, S, WS, ON = range(14)
_FIRST_EXPLICIT = _CODE["LRE"]
_CLASS_TABLE: dict[int, str] = {}


def has_rtl(text: str) -> bool:
    """Whether the text contains any right-to-left character (cheap test before running UBA)."""
    return _RTL.search(text) is not None


def bidi_classes(text: str) -> np.ndarray:
    """The Bidi_Class of every character as small integers (indices into BIDI_CLASSES)."""
    for char in set(text):
        if ord(char) not in _CLASS_TABLE:
            _CLASS_TABLE[ord(char)] = chr(_CODE.get(unicodedata.bidirectional(char), L))
    return np.frombuffer(text.translate(_CLASS_TABLE).encode("latin-1"), dtype=np.uint8)


def reference_levels(paragraph: str, base: str | None = None) -> tuple[int, np.ndarray]:
    """Base level and per-character levels of one paragraph, from python-bidi's reference code.

    Rule X9 removes embedding controls and boundary neutrals (ZWJ, ZWNJ, ...); they take the
    level of the character before them, as the algorithm's implementation notes suggest.
    """
    storage = uba.get_empty_storage()
    base_level = uba.PARAGRAPH_LEVELS[base] if base else uba.get_base_level(paragraph)
    storage["base_level"] = base_level
    storage["base_dir"] = ("L", "R")[base_level]
    uba.get_embedding_levels(paragraph, storage, False, False)
    uba.explicit_embed_and_overrides(storage, False)
    uba.resolve_weak_types(storage, False)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    kept = np.fromiter((c["level"] for c in storage["chars"]), dtype=np.int8, count=len(storage["chars"]))
    removed = np.fromiter((unicodedata.bidirectional(c) in uba.X9_REMOVED for c in paragraph), dtype=bool)
    levels = np.full(len(paragraph), base_level, dtype=np.int8)
    levels[~removed] = kept
    for i in np.flatnonzero(removed):
        if i:
            levels[i] = levels[i - 1]
    return base_level, levels


def _previous(mask: np.ndarray) -> np.ndarray:
    """For each position, the index of the last position at or before it where `mask` holds (-1: none)."""
    return np.maximum.accumulate(np.where(mask, np.arange(len(mask)), -1))


def _following(mask: np.ndarray) -> np.ndarray:
    """For each position, the index of the first position at or after it where `mask` holds (n: none)."""
    n = len(mask)
    return np.minimum.accumulate(np.where(mask, np.arange(n), n)[::-1])[::-1]


def text_levels(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Embedding level and paragraph base level of every character of a text (paragraphs split at
    newlines; a newline gets its paragraph's base level)."""
    n = len(text)
    if not has_rtl(text):
        zeros = np.zeros(n, dtype=np.int8)
        return zeros, zeros.copy()
    t = bidi_classes(text).astype(np.int16)
    # surrogatepass: a lone surrogate (text from undecodable bytes) is a code point like any other here
    newline = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == 10
    paragraph = np.cumsum(newline) - newline  # a newline belongs to the paragraph it ends
    starts = np.concatenate(([0], np.flatnonzero(newline) + 1))
    # P2–P3: the first strong character of each paragraph sets its direction.
    strong = (t == L) | (t == R) | (t == AL)
    first_strong = _following(strong)[np.minimum(starts, n - 1)] if n else starts
    valid = (first_strong < n) & (first_strong < np.append(starts[1:], n))
    base_of_paragraph = np.where(valid & (t[np.minimum(first_strong, n - 1)] != L), 1, 0).astype(np.int8)
    base = base_of_paragraph[paragraph]
    levels = _resolve(t, base, paragraph, newline)
    # Paragraphs the vectorised form does not cover go through the reference implementation.
    special = (t >= _FIRST_EXPLICIT) | ((t == B) & ~newline)
    if special.any():
        for p in np.unique(paragraph[special]):
            a, b = int(starts[p]), int(starts[p + 1] - 1) if p + 1 < len(starts) else n
            level, ref = reference_levels(text[a:b])
            levels[a:b] = ref
            base[a : b + (1 if b < n else 0)] = level
    return levels, base


def _resolve(t: np.ndarray, base: np.ndarray, paragraph: np.ndarray, newline: np.ndarray) -> np.ndarray:
    """W1–W7, N1–N2 and I1–I2 over a whole text at once (no explicit embeddings)."""
    n = len(t)
    index = np.arange(n)
    sos = np.where(base % 2 == 1, R, L)
    boundary = newline | (t == BN)  # never looked at as neighbours
    bn = t == BN

    def same_paragraph(idx: np.ndarray) -> np.ndarray:
        inside = (idx >= 0) & (idx < n)
        clipped = np.clip(idx, 0, n - 1)
        return inside & (paragraph[clipped] == paragraph) & ~newline[clipped]

    # W1: a non-spacing mark takes the type of the character before it (sos at the start).
    prev = _previous(~(t == NSM) & ~bn)
    ok = same_paragraph(prev)
    t = np.where(t == NSM, np.where(ok, t[np.maximum(prev, 0)], sos), t)
    # W2: European numbers after Arabic letters become Arabic numbers.
    prev = _previous((t == R) | (t == L) | (t == AL))
    last = np.where(same_paragraph(prev), t[np.maximum(prev, 0)], sos)
    t = np.where((t == EN) & (last == AL), AN, t)
    # W3
    t = np.where(t == AL, R, t)
    # W4: one separator between two numbers of the same kind joins them (ignoring BN).
    prev = _previous(~bn & (index >= 0))
    before = np.concatenate(([-1], prev[:-1]))
    after = np.concatenate((_following(~bn)[1:], [n]))
    left = np.where(same_paragraph(before), t[np.clip(before, 0, n - 1)], -1)
    right = np.where(same_paragraph(after), t[np.clip(after, 0, n - 1)], -1)
    en_sep = ((t == ES) | (t == CS)) & (left == EN) & (right == EN)
    an_sep = (t == CS) & (left == AN) & (right == AN)
    t = np.where(en_sep, EN, np.where(an_sep, AN, t))
    # W5: terminators next to a European number become European numbers.
    et = (t == ET) | (bn & False)
    if et.any():
        not_et = ~et & ~bn
        prev, nxt = _previous(not_et), _following(not_et)
        left = np.where(same_paragraph(prev), t[np.clip(prev, 0, n - 1)], -1)
        right = np.where(same_paragraph(nxt), t[np.clip(nxt, 0, n - 1)], -1)
        t = np.where(et & ((left == EN) | (right == EN)), EN, t)
    # W6
    t = np.where((t == ES) | (t == ET) | (t == CS), ON, t)
    # W7: European numbers after left-to-right text are left-to-right.
    prev = _previous((t == R) | (t == L))
    last = np.where(same_paragraph(prev), t[np.maximum(prev, 0)], sos)
    t = np.where((t == EN) & (last == L), L, t)
    # N1–N2: neutrals between two runs of the same direction take it; others the embedding's.
    neutral = ((t == B) | (t == S) | (t == WS) | (t == ON)) & ~newline
    if neutral.any():
        direction = np.where(t == L, L, R)
        settled = ~neutral & ~boundary
        prev, nxt = _previous(settled), _following(settled)
        left = np.where(same_paragraph(prev), direction[np.clip(prev, 0, n - 1)], sos)
        right = np.where(same_paragraph(nxt), direction[np.clip(nxt, 0, n - 1)], sos)
        t = np.where(neutral, np.where(left == right, left, sos), t)
    # I1–I2
    even = base % 2 == 0
    raised = np.where(
        even,
        np.where(t == R, 1, np.where((t == AN) | (t == EN), 2, 0)),
        np.where((t == L) | (t == EN) | (t == AN), 1, 0),
    )
    levels = (base + raised).astype(np.int8)
    levels[newline] = base[newline]
    # Boundary neutrals removed by X9 take the level of the character before them.
    if bn.any():
        prev = _previous(~bn)
        levels = np.where(
            bn, np.where(same_paragraph(prev), levels[np.maximum(prev, 0)], base), levels
        ).astype(np.int8)
    return levels


def visual_order(levels: np.ndarray) -> np.ndarray:
    """Permutation that puts items of one line in visual order (UAX #9 rule L2): from the highest
    level down to the lowest odd level, reverse every maximal run at that level or higher."""
    order = np.arange(len(levels))
    if len(levels) == 0 or int(levels.max()) == 0:
        return order
    current = levels.copy()
    highest = int(current.max())
    lowest_odd = int(current.min()) | 1
    for level in range(highest, lowest_odd - 1, -1):
        at_or_above = current >= level
        if not at_or_above.any():
            continue
        edges = np.flatnonzero(np.diff(np.concatenate(([0], at_or_above.view(np.int8), [0]))))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            order[start:stop] = order[start:stop][::-1]
            current[start:stop] = current[start:stop][::-1]
    return order


def visual_order_lines(levels: np.ndarray, line: np.ndarray) -> np.ndarray:
    """`visual_order` applied to every line of a text at once; `line` (non-decreasing) gives each
    item's line. From the highest level down to each line's lowest odd level, every maximal run
    at that level or higher within a line is reversed."""
    n = len(levels)
    order = np.arange(n)
    if n == 0 or int(levels.max()) == 0:
        return order
    starts = np.flatnonzero(np.concatenate(([True], line[1:] != line[:-1])))
    lowest_odd = (np.minimum.reduceat(levels, starts) | 1)[np.cumsum(np.isin(np.arange(n), starts)) - 1]
    same_line_as_next = np.append(line[1:] == line[:-1], False)
    current = levels.astype(np.int16)
    for level in range(int(levels.max()), int(lowest_odd.min()) - 1, -1):
        inside = (current >= level) & (level >= lowest_odd)
        if not inside.any():
            continue
        continues = inside & np.append(inside[1:], False) & same_line_as_next
        run_start = _previous(inside & ~np.concatenate(([False], continues[:-1])))
        run_end = _following(inside & ~continues)
        mirror = np.where(inside, run_start + run_end - np.arange(n), np.arange(n))
        order = order[mirror]
        current = current[mirror]
    return order
