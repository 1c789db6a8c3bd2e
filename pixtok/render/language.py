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

# RFC 5646's langtag: language (with up to three extended language subtags), script, region,
# variants, extensions (`-u-ca-japanese`) and a private-use part (`-x-...`).
_TAG = re.compile(
    r"^(?P<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<rest>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*"
    r"(?:-x(?:-[a-z0-9]{1,8})+)?)$",
    re.IGNORECASE,
)
#: Tags RFC 5646 accepts whole: private use (`x-klingon`) and the grandfathered ones.
_WHOLE_TAG = re.compile(
    r"^(?:x(?:-[a-z0-9]{1,8})+|en-gb-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo"
    r"|pwn|tao|tay|tsu)|sgn-(?:be-fr|be-nl|ch-de)|art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu"
    r"|zh-hakka|zh-min|zh-min-nan|zh-xiang)$",
    re.IGNORECASE,
)

#: Language (and script) → Tesseract traineddata, for deriving the OCR language from `lang`.
TESSERACT_LANGUAGES: dict[str, str] = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por", "nl": "nld",
    "pl": "pol", "tr": "tur", "ru": "rus", "uk": "ukr", "bg": "bul", "el": "ell", "ar": "ara",
    "fa": "fas", "ur": "urd", "ug": "uig", "ps": "pus", "he": "heb", "hi": "hin", "mr": "mar",
    "ne": "nep", "bn": "ben", "as": "asm", "pa": "pan", "gu": "guj", "or": "ori", "ta": "tam",
    "te": "tel", "kn": "kan", "ml": "mal", "si": "sin", "am": "amh", "ti": "tir", "th": "tha",
    "lo": "lao", "km": "khm", "my": "mya", "ka": "kat", "hy": "hye",
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
    if _WHOLE_TAG.match(text):
        return text.lower()
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


#: Languages inference can give CJK runs, by index: the itemizer's compiled pass (`_itemize`)
#: gives Japanese 0, Korean 1, Simplified Chinese 2 and Traditional Chinese 3.
CJK_LANGUAGES = ("ja", "ko", "zh-Hans", "zh-Hant")
