"""Text to runs: maximal stretches of one font, script, direction and language, each of which
HarfBuzz shapes in one call.

Every character gets a font from the chain (`FontChain.font_index`), a script (its ISO 15924
tag from `scripts.script_tag`), a bidi level and, for CJK text, a language. Characters of no
script (spaces, digits, punctuation) and combining marks follow HarfBuzz's and Pango's
itemisation: they join the run of the letters before them (or, at the start of a paragraph,
after them), in that run's font when it has them. Han, kana and Bopomofo form one script
group, so a Japanese or Chinese paragraph is one run: HarfBuzz then applies kerning and
proportional punctuation across kanji and kana as it does when shaping the paragraph whole.

Per-character properties are looked up in code point tables filled on first sight, so a text
costs a few vectorised gathers, not a Python step per character.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from pixtok.render.fonts import FontChain, needs_glyph
from pixtok.render.language import CJK_LANGUAGES, cjk_languages
from pixtok.render.scripts import COMMON, INHERITED, UNKNOWN, script_tag

_UNSEEN = 0xFFFF
# Flags of the per-character property table (above the 8-bit script index).
_MARK = 1 << 8  # a combining mark: stays in the font of the letter it follows
_INVISIBLE = 1 << 9  # shapes to nothing (controls, joiners, variation selectors)
_STRONG = 1 << 10  # a letter of some script
_SPACE = 1 << 11

#: Script tags by index in the property table; the first three are fixed.
_SCRIPTS: list[str] = [COMMON, INHERITED, UNKNOWN]
_SCRIPT_INDEX: dict[str, int] = {tag: i for i, tag in enumerate(_SCRIPTS)}
#: Scripts shaped as one run when they meet: Han, kana and Bopomofo share a font and its features.
CJK_GROUP = ("Hani", "Hira", "Kana", "Bopo")
_props: np.ndarray | None = None


def _property_table() -> np.ndarray:
    global _props
    if _props is None:
        _props = np.full(0x110000, _UNSEEN, dtype=np.uint16)
    return _props


def _describe(cp: int) -> int:
    char = chr(cp)
    tag = script_tag(char)
    index = _SCRIPT_INDEX.get(tag)
    if index is None:
        if len(_SCRIPTS) >= 255:
            tag, index = UNKNOWN, _SCRIPT_INDEX[UNKNOWN]
        else:
            index = _SCRIPT_INDEX[tag] = len(_SCRIPTS)
            _SCRIPTS.append(tag)
    flags = 0
    if unicodedata.category(char)[0] == "M":
        flags |= _MARK
    if not needs_glyph(char):
        flags |= _INVISIBLE
    if tag not in (COMMON, INHERITED):
        flags |= _STRONG
    if char.isspace():
        flags |= _SPACE
    return index | flags


def char_properties(cps: np.ndarray) -> np.ndarray:
    """Script index and flags of every code point (the table is filled as characters are met)."""
    table = _property_table()
    props = table[cps]
    unseen = props == _UNSEEN
    if unseen.any():
        for cp in np.unique(cps[unseen]).tolist():
            table[cp] = _describe(cp)
        props = table[cps]
    return props


def is_invisible(cps: np.ndarray) -> np.ndarray:
    """Which code points shape to nothing (controls, joiners, variation selectors)."""
    return (char_properties(cps) & _INVISIBLE) != 0


def is_mark(cps: np.ndarray) -> np.ndarray:
    """Which code points are combining marks (general category M)."""
    return (char_properties(cps) & _MARK) != 0


@dataclass(frozen=True)
class Runs:
    """Runs of a text, in logical order: [start, end) character offsets, and how each is shaped.

    A newline belongs to the run before it. `script` is None where HarfBuzz should guess it (letters of a
    script the tables do not name, or text with no letters at all); `language` is a BCP 47 tag
    or "" (HarfBuzz's default language system).
    """

    start: np.ndarray
    end: np.ndarray
    font: np.ndarray
    level: np.ndarray
    script: list[str | None]
    language: list[str]
    missing: dict[str, int]

    def __len__(self) -> int:
        return len(self.start)

    @property
    def languages(self) -> list[str]:
        """The languages the runs were shaped in, without the default."""
        return sorted({lang for lang in self.language if lang})


# Code points that start or join an emoji sequence (UTS #51): pictographs, regional indicators,
# keycap marks, variation selectors, ZWJ and tag characters.
_EMOJI_RANGES = ((0x2300, 0x2BFF), (0x1F000, 0x1FAFF), (0xE0020, 0xE007F), (0xFE0E, 0xFE0F))
_EMOJI_POINTS = (0x200D, 0x20E3, 0x3030, 0x303D, 0x3297, 0x3299)


def _may_hold_emoji(cps: np.ndarray) -> bool:
    if not len(cps) or int(cps.max()) < 0x200D:
        return False
    hit = np.isin(cps, _EMOJI_POINTS)
    for low, high in _EMOJI_RANGES:
        hit |= (cps >= low) & (cps <= high)
    return bool(hit.any())


def _previous(mask: np.ndarray) -> np.ndarray:
    return np.maximum.accumulate(np.where(mask, np.arange(len(mask)), -1))


def _following(mask: np.ndarray) -> np.ndarray:
    n = len(mask)
    return np.minimum.accumulate(np.where(mask, np.arange(n), n)[::-1])[::-1]


def _neighbour(mask: np.ndarray, paragraph: np.ndarray) -> np.ndarray:
    """For each position, the nearest position where `mask` holds in the same paragraph: the last
    one before it, else the first one after it; -1 when the paragraph has none."""
    n = len(mask)
    before = _previous(mask)
    after = _following(mask)
    ok_before = (before >= 0) & (paragraph[np.maximum(before, 0)] == paragraph)
    ok_after = (after < n) & (paragraph[np.minimum(after, n - 1)] == paragraph)
    return np.where(ok_before, before, np.where(ok_after, after, -1))


class Itemizer:
    """Cuts texts into runs for one font chain (which may grow between calls)."""

    def __init__(self, chain: FontChain) -> None:
        self.chain = chain
        self._fonts = np.full(0x110000, -2, dtype=np.int32)
        self._known_fonts = len(chain.fonts)
        self._covers: dict[tuple[int, int], bool] = {}

    def _base_fonts(self, text: str, cps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The chain's font for each character (-1: no font has it), and which characters are
        pinned to it. Texts that may hold emoji sequences ask the chain for every character, so
        that each sequence goes to one font whole; its characters are pinned there."""
        fonts = self._fonts_of(cps)
        if not _may_hold_emoji(cps):
            return fonts, np.zeros(len(cps), dtype=bool)
        chosen = np.asarray(self.chain.font_indices(text), dtype=np.int32)
        if len(self.chain.fonts) != self._known_fonts:
            fonts = self._fonts_of(cps)
        return chosen, chosen != fonts

    def _fonts_of(self, cps: np.ndarray) -> np.ndarray:
        """The chain's font for each code point (-1: no font has it)."""
        if len(self.chain.fonts) != self._known_fonts:
            # A grown chain may now have characters it lacked; earlier choices still stand.
            self._fonts[self._fonts == -1] = -2
            self._known_fonts = len(self.chain.fonts)
        fonts = self._fonts[cps]
        unseen = fonts == -2
        if unseen.any():
            for cp in np.unique(cps[unseen]).tolist():
                self._fonts[cp] = self.chain.font_index(chr(cp))
            fonts = self._fonts[cps]
            self._known_fonts = len(self.chain.fonts)
        return fonts

    def _covered(self, fonts: np.ndarray, cps: np.ndarray) -> np.ndarray:
        """Whether font fonts[i] has code point cps[i] (fonts of -1 have nothing)."""
        out = np.zeros(len(cps), dtype=bool)
        if not len(cps):
            return out
        pairs = (fonts.astype(np.int64) << 21) | cps.astype(np.int64)
        unique, inverse = np.unique(pairs, return_inverse=True)
        answers = np.empty(len(unique), dtype=bool)
        for k, pair in enumerate(unique.tolist()):
            font, cp = pair >> 21, pair & 0x1FFFFF
            found = self._covers.get((font, cp))
            if found is None:
                found = font >= 0 and cp in self.chain.fonts[font].coverage
                self._covers[(font, cp)] = found
            answers[k] = found
        return answers[inverse]

    def itemize(self, text: str, cps: np.ndarray, levels: np.ndarray, language: str | None) -> Runs:
        """The runs of a prepared text; `levels` are its bidi embedding levels, `language` the
        user's BCP 47 tag (None: inferred for CJK runs)."""
        n = len(cps)
        props = char_properties(cps)
        script = (props & 0xFF).astype(np.int16)
        strong = (props & _STRONG) != 0
        attached = (props & (_MARK | _INVISIBLE)) != 0
        newline = cps == 10
        paragraph = np.cumsum(newline) - newline

        # Fonts: letters take the chain's choice; characters of no script the font of the letters
        # around them when it has them (unless a user font claims them first); marks and
        # invisible characters the font of the character they follow.
        base, pinned = self._base_fonts(text, cps)
        font = base.copy()
        letters = strong & ~attached
        missing_letter = letters & (base < 0)
        if missing_letter.any():
            drawn = letters & (base >= 0)
            prev = _neighbour(drawn, paragraph)
            font = np.where(missing_letter, np.where(prev >= 0, base[np.maximum(prev, 0)], 0), font)
        common = ~strong & ~attached & ~newline & ~pinned
        if common.any():
            near = _neighbour(letters, paragraph)
            idx = np.flatnonzero(common & (near >= 0))
            candidate = font[near[idx]]
            covered = self._covered(candidate, cps[idx])
            user_first = (base[idx] >= 0) & (base[idx] < self.chain.user_count) & (base[idx] < candidate)
            take = covered & ~user_first
            font[idx[take]] = candidate[take]
        attached &= ~pinned
        if attached.any():
            owner = _previous(~attached & ~newline)
            idx = np.flatnonzero(attached & (owner >= 0))
            idx = idx[paragraph[owner[idx]] == paragraph[idx]]
            candidate = font[owner[idx]]
            invisible = (props[idx] & _INVISIBLE) != 0
            take = invisible | self._covered(candidate, cps[idx])
            font[idx[take]] = candidate[take]
        lacking = ((font < 0) | missing_letter) & ~newline
        missing: dict[str, int] = {}
        if lacking.any():
            visible = lacking & ((props & (_INVISIBLE | _SPACE)) == 0)
            for cp, count in zip(*np.unique(cps[visible], return_counts=True), strict=True):
                missing[chr(int(cp))] = int(count)
            unset = (font < 0) & ~newline
            owner = _previous((font >= 0) & ~newline)
            font = np.where(unset, np.where(owner >= 0, font[np.maximum(owner, 0)], 0), font)

        # Scripts: letters keep theirs; everything else takes that of the letters around it.
        near = _neighbour(strong, paragraph)
        resolved = np.where(strong, script, np.where(near >= 0, script[np.maximum(near, 0)], 0))
        group = resolved.copy()
        cjk = np.isin(resolved, [_SCRIPT_INDEX[t] for t in CJK_GROUP if t in _SCRIPT_INDEX])
        group[cjk] = -1
        if language is not None:
            lang_code = np.zeros(n, dtype=np.int8)
            languages = [language]
        else:
            lang_code = np.full(n, -1, dtype=np.int8)
            hangul = resolved == _SCRIPT_INDEX.get("Hang", -99)
            inferred = cjk | hangul
            if inferred.any():
                lang_code[inferred] = cjk_languages(cps, paragraph)[paragraph[inferred]]
            languages = list(CJK_LANGUAGES)

        # A newline joins the run before it (HarfBuzz shapes it to nothing), so consecutive
        # paragraphs in one font, script, direction and language are one run, one call.
        if newline.any():
            before = _previous(~newline)
            after = _following(~newline)
            near_nl = np.where(before >= 0, before, np.where(after < n, after, -1))
            idx = np.flatnonzero(newline & (near_nl >= 0))
            for column in (font, group, lang_code):
                column[idx] = column[near_nl[idx]]
            font[newline & (near_nl < 0)] = 0
            levels = levels.copy()
            levels[idx] = levels[near_nl[idx]]
        # Runs end wherever font, level, script group or language change.
        change = np.zeros(n, dtype=bool)
        if n:
            change[0] = True
            change[1:] = (
                (font[1:] != font[:-1])
                | (levels[1:] != levels[:-1])
                | (group[1:] != group[:-1])
                | (lang_code[1:] != lang_code[:-1])
            )
        starts = np.flatnonzero(change)
        ends = np.append(starts[1:], n)
        first_strong = _following(strong)
        scripts: list[str | None] = []
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            k = int(first_strong[a]) if a < n else n
            tag = _SCRIPTS[script[k]] if k < b else None
            scripts.append(None if tag == UNKNOWN else tag)
        codes = lang_code[starts].tolist()
        return Runs(
            start=starts.astype(np.int64),
            end=ends.astype(np.int64),
            font=font[starts].astype(np.int32),
            level=levels[starts].astype(np.int8),
            script=scripts,
            language=[languages[c] if c >= 0 else "" for c in codes],
            missing=missing,
        )
