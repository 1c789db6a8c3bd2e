"""Languages: BCP 47 tags as users give them, the language a CJK run is inferred to be in, and the
OCR model that reads a language.

The language of a run decides glyph forms: HarfBuzz applies a font's `locl` feature for the
buffer's language, which is how Noto Sans CJK draws 語 or 直 in their Japanese, Chinese or Korean
forms, and ICU's line breaker takes it as its locale. Without a `lang` option, Han, kana and
Hangul runs get a language inferred from their paragraph: kana means Japanese, Hangul Korean,
and Han alone the document's language (Japanese if the document has kana, Korean if it has
Hangul, else Chinese). Chinese is Traditional (`zh-Hant`) when the document has more characters
that only Traditional Chinese writes (們 這 國) than characters that only Simplified Chinese
writes (们 这 国), else Simplified (`zh-Hans`); the two lists come from the Unicode Han database
(`han_forms`). Runs in other scripts get none (HarfBuzz's default language system), which is
what the bundled fonts are designed for.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import numpy as np

from pixtok.errors import UsageError

_TAG = re.compile(
    r"^(?P<language>[a-z]{2,3})(?:-(?P<script>[a-z]{4}))?(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<rest>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)$",
    re.IGNORECASE,
)

#: Language (and script) → Tesseract traineddata, for deriving the OCR language from `lang`.
TESSERACT_LANGUAGES: dict[str, str] = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por", "nl": "nld",
    "pl": "pol", "tr": "tur", "ru": "rus", "uk": "ukr", "bg": "bul", "el": "ell", "ar": "ara",
    "fa": "fas", "ur": "urd", "he": "heb", "hi": "hin", "mr": "mar", "ne": "nep", "bn": "ben",
    "ta": "tam", "th": "tha", "lo": "lao", "km": "khm", "my": "mya", "ka": "kat", "hy": "hye",
    "ja": "jpn", "ko": "kor", "zh": "chi_sim", "zh-Hans": "chi_sim", "zh-Hant": "chi_tra",
}  # fmt: skip
# Regions whose Chinese is written in traditional characters by default.
_TRADITIONAL_REGIONS = ("TW", "HK", "MO")

#: Kana, Hangul and Han code point ranges, for inferring the language of CJK text.
_KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
_HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7AF), (0xD7B0, 0xD7FF))


def normalize_language(tag: str) -> str:
    """A BCP 47 tag in its canonical case (`zh-hans` → `zh-Hans`, `pt_br` → `pt-BR`); a tag that
    is not one is a UsageError that says what is expected."""
    text = str(tag).strip().replace("_", "-")
    match = _TAG.match(text)
    if not match:
        raise UsageError(
            f"--lang {tag!r} is not a BCP 47 language tag; give one such as ja, zh-Hans, zh-Hant, ko or th"
        )
    parts = [match["language"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    if match["rest"]:
        parts.append(match["rest"][1:].lower())
    return "-".join(parts)


def tesseract_language(tag: str) -> str | None:
    """The Tesseract traineddata for a BCP 47 tag (`ja` → `jpn`, `zh-TW` → `chi_tra`), if known."""
    normal = normalize_language(tag)
    parts = normal.split("-")
    language = parts[0]
    if language == "zh":
        traditional = "Hant" in parts or any(r in parts for r in _TRADITIONAL_REGIONS)
        return "chi_tra" if traditional else "chi_sim"
    return TESSERACT_LANGUAGES.get(language)


def _edges(ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    return np.asarray([edge for low, high in ranges for edge in (low, high + 1)], dtype=np.int64)


_KANA_EDGES, _HANGUL_EDGES = _edges(_KANA), _edges(_HANGUL)


def _within(cps: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Which code points fall in the sorted ranges whose [start, end) edges are given."""
    return np.searchsorted(edges, cps, side="right") % 2 == 1


@functools.cache
def han_forms() -> tuple[frozenset[str], frozenset[str]]:
    """The Han characters that only Simplified Chinese writes, and those that only Traditional
    Chinese writes (pixtok/data/han_forms.txt, derived from Unihan by scripts/make_han_forms.py)."""
    lists = {}
    text = resources.files("pixtok").joinpath("data", "han_forms.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, characters = line.split("\t")
            lists[name] = frozenset(characters)
    return lists["simplified"], lists["traditional"]


def cjk_languages(cps: np.ndarray, paragraph: np.ndarray) -> np.ndarray:
    """The inferred language of each paragraph's CJK runs, as indices into CJK_LANGUAGES.

    `paragraph` numbers each character's paragraph (ascending from 0). A paragraph with
    kana is Japanese and one with Hangul Korean; one with Han alone takes the document's
    language (Japanese with kana anywhere, else Korean with Hangul anywhere, else Chinese:
    Traditional when more of its characters are Traditional only than Simplified only).
    """
    count = int(paragraph[-1]) + 1 if len(paragraph) else 0
    kana = np.bincount(paragraph, weights=_within(cps, _KANA_EDGES), minlength=count) > 0
    hangul = np.bincount(paragraph, weights=_within(cps, _HANGUL_EDGES), minlength=count) > 0
    document = JAPANESE if kana.any() else KOREAN if hangul.any() else chinese_standard(cps)
    return np.where(kana, JAPANESE, np.where(hangul, KOREAN, document)).astype(np.int8)


def chinese_standard(cps: np.ndarray) -> int:
    """TRADITIONAL_CHINESE when more of the characters are written only in Traditional Chinese
    than only in Simplified Chinese, else CHINESE (Simplified: a tie, or neither, included)."""
    simplified, traditional = han_forms()
    characters = "".join(map(chr, np.asarray(cps).tolist()))
    simplified_count = sum(1 for c in characters if c in simplified)
    traditional_count = sum(1 for c in characters if c in traditional)
    return TRADITIONAL_CHINESE if traditional_count > simplified_count else CHINESE


#: Languages inference can give CJK runs, by index.
CJK_LANGUAGES = ("ja", "ko", "zh-Hans", "zh-Hant")
JAPANESE, KOREAN, CHINESE, TRADITIONAL_CHINESE = 0, 1, 2, 3
