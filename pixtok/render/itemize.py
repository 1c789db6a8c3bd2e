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

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np

from pixtok.render.fonts import Font, FontChain, needs_glyph
from pixtok.render.language import CJK_LANGUAGES, cjk_languages
from pixtok.render.scripts import COMMON, INHERITED, UNKNOWN, script_tag

_UNSEEN = 0xFFFF
# Flags of the per-character property table (above the 8-bit script index).
_MARK = 1 << 8  # a combining mark: stays in the font of the letter it follows
_INVISIBLE = 1 << 9  # shapes to nothing (controls, joiners, variation selectors)
_STRONG = 1 << 10  # a letter of some script
_SPACE = 1 << 11
_EMOJI = 1 << 12  # may start or join an emoji sequence

#: Script tags by index in the property table; the first three are fixed.
_SCRIPTS: list[str] = [COMMON, INHERITED, UNKNOWN]
_SCRIPT_INDEX: dict[str, int] = {tag: i for i, tag in enumerate(_SCRIPTS)}
#: Scripts shaped as one run when they meet: Han, kana and Bopomofo share a font and its features.
CJK_GROUP = ("Hani", "Hira", "Kana", "Bopo")
_props: np.ndarray | None = None

# Code points that start or join an emoji sequence (UTS #51): pictographs, regional indicators,
# keycap marks, variation selectors, ZWJ and tag characters.
_EMOJI_RANGES = ((0x2300, 0x2BFF), (0x1F000, 0x1FAFF), (0xE0020, 0xE007F), (0xFE0E, 0xFE0F))
_EMOJI_POINTS = (0x200D, 0x20E3, 0x3030, 0x303D, 0x3297, 0x3299)


_BMP = 0x10000


@functools.lru_cache(maxsize=64)
def bmp_coverage(font: Font) -> np.ndarray:
    """Which code points of the Basic Multilingual Plane a font has, as a lookup table."""
    table = np.zeros(_BMP, dtype=bool)
    table[np.fromiter((cp for cp in font.coverage if cp < _BMP), dtype=np.int64)] = True
    return table


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
    if cp in _EMOJI_POINTS or any(low <= cp <= high for low, high in _EMOJI_RANGES):
        flags |= _EMOJI
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


def _previous(mask: np.ndarray) -> np.ndarray:
    return np.maximum.accumulate(np.where(mask, np.arange(len(mask)), -1))


def _following(mask: np.ndarray) -> np.ndarray:
    n = len(mask)
    return np.minimum.accumulate(np.where(mask, np.arange(n), n)[::-1])[::-1]


def _neighbour(mask: np.ndarray, paragraph: np.ndarray | None) -> np.ndarray:
    """For each position, the nearest position where `mask` holds in the same paragraph: the last
    one before it, else the first one after it; -1 when the paragraph has none (`paragraph`
    None: the text is one paragraph)."""
    n = len(mask)
    before = _previous(mask)
    after = _following(mask)
    if paragraph is None:
        return np.where(before >= 0, before, np.where(after < n, after, -1))
    ok_before = (before >= 0) & (paragraph[np.maximum(before, 0)] == paragraph)
    ok_after = (after < n) & (paragraph[np.minimum(after, n - 1)] == paragraph)
    return np.where(ok_before, before, np.where(ok_after, after, -1))


class Itemizer:
    """Cuts texts into runs for one font chain (which may grow between calls)."""

    def __init__(self, chain: FontChain) -> None:
        self.chain = chain
        self._fonts = np.full(0x110000, -2, dtype=np.int32)
        self._known_fonts = len(chain.fonts)
        self._coverage = np.zeros((0, _BMP), dtype=bool)  # per font: which BMP code points it has

    def _base_fonts(self, text: str, cps: np.ndarray, props: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The chain's font for each character (-1: no font has it), and which characters are
        pinned to it. Texts that may hold emoji sequences ask the chain for every character, so
        that each sequence goes to one font whole; its characters are pinned there."""
        fonts = self._fonts_of(cps)
        if not (props & _EMOJI).any():
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
        if len(self._coverage) != len(self.chain.fonts):
            self._coverage = np.stack([bmp_coverage(font) for font in self.chain.fonts])
        valid = fonts >= 0
        bmp = cps < _BMP
        out = np.zeros(len(cps), dtype=bool)
        inside = valid & bmp
        out[inside] = self._coverage[fonts[inside], cps[inside]]
        for k in np.flatnonzero(valid & ~bmp).tolist():  # beyond the BMP: rare, asked one by one
            out[k] = int(cps[k]) in self.chain.fonts[int(fonts[k])].coverage
        return out

    def itemize(self, text: str, cps: np.ndarray, levels: np.ndarray, language: str | None) -> Runs:
        """The runs of a prepared text; `levels` are its bidi embedding levels, `language` the
        user's BCP 47 tag (None: inferred for CJK runs)."""
        n = len(cps)
        props = char_properties(cps)
        newline = cps == 10
        paragraphs = bool(newline.any())
        paragraph = np.cumsum(newline) - newline if paragraphs else None
        strong = (props & _STRONG) != 0
        # A newline is no mark of the letter before it: it joins runs below.
        attached = ((props & (_MARK | _INVISIBLE)) != 0) & ~newline
        font, missing, one_font = self._choose_fonts(text, cps, props, strong, attached, newline, paragraph)
        script = (props & 0xFF).astype(np.int16)
        resolved, one_script = _resolved_scripts(script, strong, paragraph, newline)
        cjk = _cjk_scripts()[resolved]
        group = np.where(cjk, -1, resolved)
        if language is not None:
            lang_code = np.zeros(n, dtype=np.int8)
            languages = [language]
        else:
            lang_code = np.full(n, -1, dtype=np.int8)
            inferred = cjk | (resolved == _SCRIPT_INDEX.get("Hang", -99))
            if inferred.any():
                para = paragraph if paragraph is not None else np.zeros(n, dtype=np.int64)
                lang_code[inferred] = cjk_languages(cps, para)[para[inferred]]
            languages = list(CJK_LANGUAGES)
        codes = lang_code[~newline] if paragraphs else lang_code
        if one_font and one_script and len(codes) and not levels.any() and (codes == codes[0]).all():
            # One font, one script, one direction and one language: the text is one run.
            tag = _SCRIPTS[int(script[strong][0])] if strong.any() else COMMON
            code = int(codes[0])
            return Runs(
                start=np.zeros(1, dtype=np.int64),
                end=np.full(1, n, dtype=np.int64),
                font=np.full(1, one_font[0], dtype=np.int32),
                level=np.zeros(1, dtype=np.int8),
                script=[None if tag in (COMMON, UNKNOWN) else tag],
                language=[languages[code] if code >= 0 else ""],
                missing=missing,
            )

        # A newline joins the run before it (HarfBuzz shapes it to nothing), so consecutive
        # paragraphs in one font, script, direction and language are one run, one call.
        if paragraphs:
            before = _previous(~newline)
            near_nl = np.where(before >= 0, before, _following(~newline))
            near_nl[near_nl >= n] = -1
            idx = np.flatnonzero(newline & (near_nl >= 0))
            source = near_nl[idx]
            for column in (font, group, lang_code):
                column[idx] = column[source]
            font[newline & (near_nl < 0)] = 0
            if levels.any():
                levels = levels.copy()
                levels[idx] = levels[source]
        # Runs end wherever font, level, script group or language change.
        change = np.empty(n, dtype=bool)
        if n:
            change[0] = True
            np.not_equal(font[1:], font[:-1], out=change[1:])
            change[1:] |= group[1:] != group[:-1]
            if levels.any():
                change[1:] |= levels[1:] != levels[:-1]
            if language is None:
                change[1:] |= lang_code[1:] != lang_code[:-1]
        starts = np.flatnonzero(change)
        ends = np.append(starts[1:], n)
        # The script of a run is that of its first letter.
        strong_at = np.flatnonzero(strong)
        first = np.append(strong_at, n)[np.searchsorted(strong_at, starts)]
        tags = [_SCRIPTS[k] for k in script[np.minimum(first, max(n - 1, 0))].tolist()] if n else []
        scripts = [
            None if k >= b or tag == UNKNOWN else tag
            for k, b, tag in zip(first.tolist(), ends.tolist(), tags, strict=True)
        ]
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

    def _choose_fonts(
        self,
        text: str,
        cps: np.ndarray,
        props: np.ndarray,
        strong: np.ndarray,
        attached: np.ndarray,
        newline: np.ndarray,
        paragraph: np.ndarray | None,
    ) -> tuple[np.ndarray, dict[str, int], tuple[int, ...]]:
        """The font of every character (newlines aside), the characters no font has, and the
        font (in a 1-tuple) when one font has every character.

        Letters take the chain's choice; characters of no script (spaces, digits, punctuation)
        the font of the letters around them when it has them (unless a user font claims them
        first); marks and invisible characters the font of the character they follow."""
        base, pinned = self._base_fonts(text, cps, props)
        drawn = base[~newline]
        if not pinned.any() and len(drawn) and drawn[0] >= 0 and (drawn == drawn[0]).all():
            return base, {}, (int(drawn[0]),)  # one font has every character: every rule gives it
        font = base.copy()
        letters = strong & ~attached
        missing_letter = letters & (base < 0)
        if missing_letter.any():
            prev = _neighbour(letters & (base >= 0), paragraph)
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
            if paragraph is not None:
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
        return font, missing, ()


@functools.cache
def _cjk_script_table(known: int) -> np.ndarray:
    return np.asarray([tag in CJK_GROUP for tag in _SCRIPTS[:known]] + [False] * (256 - known))


def _cjk_scripts() -> np.ndarray:
    """Which script indices are of the CJK group (a table over the indices met so far)."""
    return _cjk_script_table(len(_SCRIPTS))


def _resolved_scripts(
    script: np.ndarray, strong: np.ndarray, paragraph: np.ndarray | None, newline: np.ndarray
) -> tuple[np.ndarray, bool]:
    """Letters keep their script; everything else takes that of the letters around it (the last
    one before it in its paragraph, else the first one after it; none: COMMON, index 0). And
    whether every character gets the same one (newlines, which join the run before them, left
    aside)."""
    of_letters = script[strong]
    if not len(of_letters):
        return np.zeros(len(script), dtype=np.int16), True
    if (of_letters == of_letters[0]).all():  # one script: every paragraph with a letter has it
        if paragraph is None:
            return np.full(len(script), of_letters[0], dtype=np.int16), True
        has_letter = (np.bincount(paragraph, weights=strong) > 0)[paragraph]
        resolved = np.where(has_letter, of_letters[0], 0).astype(np.int16)
        return resolved, bool((has_letter | newline).all())
    near = _neighbour(strong, paragraph)
    resolved = np.where(strong, script, np.where(near >= 0, script[np.maximum(near, 0)], 0))
    return resolved.astype(np.int16), False
