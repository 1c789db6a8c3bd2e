"""Text to runs: maximal stretches of one font, script, direction and language, each of which
HarfBuzz shapes in one call.

Every character gets a font from the chain (`FontChain.font_index`), a script (its ISO 15924
tag from `scripts.script_tag`), a bidi level and, for CJK text, a language. Characters of no
script (spaces, digits, punctuation) and combining marks follow HarfBuzz's and Pango's
itemisation: they join the run of the letters before them (or, at the start of a paragraph,
after them), in that run's font when it has them. Han, kana and Bopomofo form one script
group, so a Japanese or Chinese paragraph is one run: HarfBuzz then applies kerning and
proportional punctuation across kanji and kana as it does when shaping the paragraph whole.

Per-character properties and fonts are looked up in code point tables. The properties of every
code point ship with pixtok, made for the version of the Unicode database of the Python it runs
on (a text's first render then describes none of its characters; under another version the
table is filled as characters are met); fonts are decided for a block of code points at a time
as texts meet them. The rules above run as one compiled pass over the characters (`_itemize`),
which reads the tables itself when they already describe every character of a text.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import regex

from pixtok.render._itemize import (
    ItemizeRules,
    decide_blocks,
    gather_fonts,
    gather_properties,
    itemize_known,
    itemize_pass,
)
from pixtok.render.fonts import Font, FontChain, bmp_font_scripts, needs_glyph
from pixtok.render.language import _HANGUL_EDGES, _KANA_EDGES, CJK_LANGUAGES, han_forms
from pixtok.render.scripts import COMMON, INHERITED, SCRIPT_TAGS, UNKNOWN, script_tag

_UNSEEN = 0xFFFF
# Flags of the per-character property table (above the 8-bit script index).
_MARK = 1 << 8  # a combining mark: stays in the font of the letter it follows
_INVISIBLE = 1 << 9  # shapes to nothing (controls, joiners, variation selectors)
_STRONG = 1 << 10  # a letter of some script
_SPACE = 1 << 11
_EMOJI = 1 << 12  # may start or join an emoji sequence
_SIMPLIFIED = 1 << 13  # a Han character only Simplified Chinese writes (language.han_forms)
_TRADITIONAL = 1 << 14  # a Han character only Traditional Chinese writes

#: Script tags by index in the property table: every tag `script_tag` gives (the compiled pass
#: takes Common and Inherited to be 0 and 1).
_SCRIPTS: tuple[str, ...] = (COMMON, INHERITED, UNKNOWN, *dict.fromkeys(SCRIPT_TAGS.values()))
_SCRIPT_INDEX: dict[str, int] = {tag: i for i, tag in enumerate(_SCRIPTS)}
_UNKNOWN_INDEX = _SCRIPT_INDEX[UNKNOWN]
#: Scripts shaped as one run when they meet: Han, kana and Bopomofo share a font and its features.
CJK_GROUP = ("Hani", "Hira", "Kana", "Bopo")
_props: np.ndarray | None = None

# Code points that start or join an emoji sequence (UTS #51): pictographs, regional indicators,
# keycap marks, variation selectors, ZWJ and tag characters. Of the symbols of U+2300-U+2BFF
# only the Extended_Pictographic ones can (the others, as box drawing or mathematical angle
# brackets, are in no sequence `fonts.emoji_sequences` finds).
_EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0xE0020, 0xE007F), (0xFE0E, 0xFE0F))
_PICTOGRAPHIC_SYMBOLS = (0x2300, 0x2BFF)
_EXTENDED_PICTOGRAPHIC = regex.compile(r"\p{Extended_Pictographic}")
_EMOJI_POINTS = (0x200D, 0x20E3, 0x3030, 0x303D, 0x3297, 0x3299)


_BMP = 0x10000
# Entries of the per-code-point font table that are no font index yet.
_UNASKED = -2  # never looked up (in the BMP: its block not decided yet)
# No font of the chain had it when last looked up, and the system's fonts, or fonts the chain
# has gained since, may: the chain (which remembers its answer) is asked when it is met.
_ASK_CHAIN = -3
_NONE_PINNED = np.zeros(0, dtype=np.uint8)


@functools.lru_cache(maxsize=64)
def bmp_coverage(font: Font) -> np.ndarray:
    """Which code points of the Basic Multilingual Plane a font has, as a lookup table."""
    table = np.zeros(_BMP, dtype=bool)
    table[np.fromiter((cp for cp in font.coverage if cp < _BMP), dtype=np.int64)] = True
    return table


#: The property table of every code point, as `_describe` gives it, for one version of Python's
#: Unicode database (`unicodedata.unidata_version`), made by scripts/make_properties.py.
PROPERTIES_FILE = "properties-unicode-{}.npz"


def _property_table() -> np.ndarray:
    """Script index and flags of every code point: the table shipped for this Python's version
    of the Unicode database, or, for another version, a table filled as characters are met."""
    global _props
    if _props is None:
        _props = _shipped_properties(unicodedata.unidata_version)
        if _props is None:
            _props = np.full(0x110000, _UNSEEN, dtype=np.uint16)
    return _props


def _shipped_properties(version: str) -> np.ndarray | None:
    """The shipped property table for a version of the Unicode database (None: none shipped,
    or one whose script indices are not this pixtok's: it is then filled as characters are met)."""
    source = resources.files("pixtok").joinpath("data", PROPERTIES_FILE.format(version))
    if not source.is_file():
        return None
    with source.open("rb") as stream, np.load(stream) as saved:
        table = np.array(saved["table"], dtype=np.uint16)
        scripts = tuple(saved["scripts"].tolist())
    return table if scripts == _SCRIPTS and len(table) == 0x110000 else None


def _describe(cps: list[int]) -> np.ndarray:
    """Script index and flags of each code point, as the property table holds them.

    scripts/make_properties.py calls it with every code point to make the shipped table; under
    a Unicode version no table ships for, `_properties` calls it with all the code points a text
    brings that the table lacks, at once.
    """
    simplified, traditional = han_forms()
    first_symbol, last_symbol = _PICTOGRAPHIC_SYMBOLS
    script_index = _SCRIPT_INDEX
    values = np.empty(len(cps), dtype=np.uint16)
    for k, cp in enumerate(cps):
        char = chr(cp)
        category = unicodedata.category(char)
        tag = script_tag(char, category)
        flags = script_index[tag]
        if category[0] == "M":
            flags |= _MARK
        if not needs_glyph(char, category):
            flags |= _INVISIBLE
        if tag != COMMON and tag != INHERITED:
            flags |= _STRONG
        if char.isspace():
            flags |= _SPACE
        if (
            cp in _EMOJI_POINTS
            or any(low <= cp <= high for low, high in _EMOJI_RANGES)
            or (first_symbol <= cp <= last_symbol and _EXTENDED_PICTOGRAPHIC.match(char))
        ):
            flags |= _EMOJI
        if char in simplified:
            flags |= _SIMPLIFIED
        elif char in traditional:
            flags |= _TRADITIONAL
        values[k] = flags
    return values


def char_properties(cps: np.ndarray) -> np.ndarray:
    """Script index and flags of every code point (the table is filled as characters are met)."""
    return _properties(cps)[0]


def _properties(cps: np.ndarray) -> tuple[np.ndarray, int]:
    """Script index and flags of every code point, and the flags any of them has."""
    table = _property_table()
    codes = np.ascontiguousarray(cps, dtype=np.uint32)
    props, unseen, flags = gather_properties(table, codes, _UNSEEN)
    if unseen:
        new = np.unique(codes[props == _UNSEEN])
        table[new] = _describe(new.tolist())
        props, _, flags = gather_properties(table, codes, _UNSEEN)
    return props, flags


def character_table() -> tuple[np.ndarray, int, int]:
    """The per-code-point property table as it stands, the flag of characters that shape to
    nothing, and the entry of code points not described yet: for compiled passes that read it."""
    return _property_table(), _INVISIBLE, _UNSEEN


def is_mark(cps: np.ndarray) -> np.ndarray:
    """Which code points are combining marks (general category M)."""
    return (char_properties(cps) & _MARK) != 0


@dataclass
class Runs:
    """Runs of a text, in logical order: [start, end) character offsets, and how each is shaped.

    A newline belongs to the run before it. `script` is that of the run's first letter (in a run
    with none, of the letter its characters took their script from), None where HarfBuzz should
    guess it (letters of a script the tables do not name, or a paragraph with no letters at all);
    `language` is a BCP 47 tag or "" (HarfBuzz's default language system).
    """

    start: np.ndarray
    end: np.ndarray
    font: np.ndarray
    level: np.ndarray
    script: list[str | None]
    language: list[str]
    missing: dict[str, int]
    #: The languages the runs are shaped in, without the default (line breaking and the result
    #: both ask).
    languages: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.languages = sorted(set(self.language).difference(("",)))

    def __len__(self) -> int:
        return len(self.start)


class Itemizer:
    """Cuts texts into runs for one font chain (which may grow between calls)."""

    def __init__(self, chain: FontChain) -> None:
        self.chain = chain
        self._fonts = np.full(0x110000, _UNASKED, dtype=np.int32)
        self._known_fonts = len(chain.fonts)
        self._coverage = np.zeros((0, _BMP), dtype=np.uint8)  # per font: which BMP code points it has
        self._rules_made: tuple[tuple[str | None, int, int], ItemizeRules] | None = None
        self._block_rule_made: tuple[int, tuple[Any, ...]] | None = None

    def _base_fonts(self, text: str, cps: np.ndarray, emoji: bool) -> tuple[np.ndarray, np.ndarray]:
        """The chain's font for each character (-1: no font has it), and which characters are
        pinned to it (empty: none). Texts that may hold emoji sequences ask the chain for every
        character, so that each sequence goes to one font whole; its characters are pinned there."""
        fonts = self._fonts_of(cps)
        if not emoji:
            return fonts, _NONE_PINNED
        chosen = np.asarray(self.chain.font_indices(text), dtype=np.int32)
        if len(self.chain.fonts) != self._known_fonts:
            fonts = self._fonts_of(cps)
        return chosen, (chosen != fonts).view(np.uint8)

    def _fonts_of(self, cps: np.ndarray) -> np.ndarray:
        """The chain's font for each code point (-1: no font has it)."""
        if len(self.chain.fonts) != self._known_fonts:
            # The chain remembers what it found for each character, and asks it no more.
            self._fonts[self._fonts == -1] = _ASK_CHAIN
            self._known_fonts = len(self.chain.fonts)
        fonts, unresolved = gather_fonts(self._fonts, cps)
        if unresolved:  # the chain's rule, compiled, for the blocks of the BMP met first here
            decide_blocks(*self._block_rule(), self._fonts, cps)
            fonts, unresolved = gather_fonts(self._fonts, cps)
        if unresolved:  # beyond the BMP, or none of the fonts had it: the chain says
            for cp in np.unique(cps[fonts < -1]).tolist():
                self._fonts[cp] = self.chain.font_index(chr(cp))
            fonts, _ = gather_fonts(self._fonts, cps)
            self._known_fonts = len(self.chain.fonts)
        return fonts

    def _block_rule(self) -> tuple[Any, ...]:
        """The chain's rule as `decide_blocks` takes it (made again only when the chain has
        grown: a new text of a script meets blocks not decided yet every few texts)."""
        chain = self.chain
        made = self._block_rule_made
        if made is None or made[0] != len(chain.fonts):
            none = _ASK_CHAIN if chain.system_fonts else -1
            preferred = (bmp_font_scripts(), chain.preferred_by_script())
            rule = (self._coverage_table(), *preferred, chain.user_count, none, _UNASKED)
            made = self._block_rule_made = (len(chain.fonts), rule)
        return made[1]

    def _coverage_table(self) -> np.ndarray:
        """Per font of the chain, which code points of the Basic Multilingual Plane it has."""
        if len(self._coverage) != len(self.chain.fonts):
            self._coverage = np.stack([bmp_coverage(font) for font in self.chain.fonts]).view(np.uint8)
        return self._coverage

    def _covers_beyond(self, font: int, cp: int) -> bool:
        """Whether font `font` has a code point beyond the Basic Multilingual Plane."""
        return cp in self.chain.fonts[font].coverage

    def itemize(self, text: str, cps: np.ndarray, levels: np.ndarray, language: str | None) -> Runs:
        """The runs of a prepared text; `cps` are its code points (uint32, as `codepoints` gives
        them), `levels` its bidi embedding levels (int8, as `text_levels` gives them),
        `language` the user's BCP 47 tag (None: inferred for CJK runs)."""
        result = None
        if len(self.chain.fonts) == self._known_fonts:
            # Every character seen before and no emoji: the compiled pass reads the tables itself.
            tables = (_property_table(), _UNSEEN, self._fonts)
            result = itemize_known(*tables, cps, levels, self._rules(language))
        if result is None:
            props, flags = _properties(cps)
            base, pinned = self._base_fonts(text, cps, bool(flags & _EMOJI))
            result = itemize_pass(cps, props, base, pinned, levels, self._rules(language))
        start, end, font, level, script, lang, lacking = result
        if len(start) and int((end - start).max()) > MAX_RUN_CHARS:
            start, end, font, level, script, lang = _split_long_runs(
                text, cps, (start, end, font, level, script, lang)
            )
        missing: dict[str, int] = {}
        if lacking:
            for cp, count in zip(*np.unique(cps[lacking], return_counts=True), strict=True):
                missing[chr(int(cp))] = int(count)
        return Runs(
            start=start, end=end, font=font, level=level, script=script, language=lang, missing=missing
        )

    def _rules(self, language: str | None) -> ItemizeRules:
        """What the compiled pass needs beyond the text: made again only when the user's
        language or the chain's fonts have changed since the last text."""
        key = (language, len(self.chain.fonts))
        cached = self._rules_made  # one read and one write: a thread never sees another's key
        if cached is None or cached[0] != key:
            cached = self._rules_made = (key, self._make_rules(language))
        return cached[1]

    def _make_rules(self, language: str | None) -> ItemizeRules:
        return ItemizeRules(
            self._coverage_table(),
            self._covers_beyond,
            self.chain.user_count,
            _cjk_scripts(),
            _SCRIPT_INDEX["Hang"],
            language is not None,
            _KANA_EDGES,
            _HANGUL_EDGES,
            _script_names(),
            (language,) if language is not None else CJK_LANGUAGES,
        )


#: The longest run shaped in one HarfBuzz call. HarfBuzz refuses a buffer of much more than
#: 2**19 characters (HarfBuzz 15 shaping one Latin paragraph of 540,000 characters fails; of
#: 450,000 succeeds); longer runs are cut into pieces of at most this many.
MAX_RUN_CHARS = 1 << 16


def _split_long_runs(text: str, cps: np.ndarray, columns: tuple[Any, ...]) -> tuple[Any, ...]:
    """Cut every run longer than MAX_RUN_CHARS into pieces shaped one call each, after a space
    where the last half of a piece has one (only kerning across that space could then differ
    from one call's shaping), else at a grapheme boundary (no letter is split from its marks).
    HarfBuzz still sees the characters around each piece as context."""
    from pixtok.render.breaking import grapheme_boundaries

    start, end, font, level, script, lang = columns
    pieces: list[tuple[int, int, int]] = []  # (start, end, run)
    for run, (a, b) in enumerate(zip(start.tolist(), end.tolist(), strict=True)):
        while b - a > MAX_RUN_CHARS:
            low, high = a + MAX_RUN_CHARS // 2, a + MAX_RUN_CHARS
            spaces = np.flatnonzero(cps[low - 1 : high - 1] == 0x20)
            if len(spaces):
                cut = low + int(spaces[-1])
            else:
                bounds = grapheme_boundaries(text[low:high])[:-1]  # the window's end is no boundary
                cut = low + int(bounds[-1]) if len(bounds) else high
            pieces.append((a, cut, run))
            a = cut
        pieces.append((a, b, run))
    index = np.asarray([run for _, _, run in pieces], dtype=np.int64)
    return (
        np.asarray([a for a, _, _ in pieces], dtype=start.dtype),
        np.asarray([b for _, b, _ in pieces], dtype=end.dtype),
        font[index],
        level[index],
        [script[k] for k in index.tolist()],
        [lang[k] for k in index.tolist()],
    )


@functools.cache
def _cjk_scripts() -> np.ndarray:
    """Which script indices are of the CJK group, over all 256 a table entry can hold."""
    cjk = [tag in CJK_GROUP for tag in _SCRIPTS] + [False] * (256 - len(_SCRIPTS))
    return np.asarray(cjk, dtype=np.uint8)


@functools.cache
def _script_names() -> list[str | None]:
    """The script tag of each script index, None where HarfBuzz should guess it."""
    return [None if k == _UNKNOWN_INDEX else tag for k, tag in enumerate(_SCRIPTS)]
