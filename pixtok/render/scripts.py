"""Which writing system a text is in, and which OCR language model reads it.

OCR engines are trained per script (RapidOCR's PP-OCRv4 model reads Chinese and Latin) or per
language (Tesseract's traineddata files), so reading a rendered page back needs to know what
the page should say. The classifier counts letters by the script in their Unicode character
name (LATIN, CYRILLIC, CJK, HIRAGANA, ...), which needs no data beyond `unicodedata`, and picks
the dominant one. The same names give each character the ISO 15924 script tag HarfBuzz shapes
a run in (`script_tag`). Persian and Arabic share a script; Persian is told apart by the letters only
Persian uses (پ چ ژ گ and the Persian forms of kaf and yeh), because reading Persian with the
Arabic model costs a lot of accuracy (on the test corpus: CER 2.7 % with `fas`, 20.6 % with
`ara`, Tesseract 5.3, 16 px).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

#: Unicode name prefixes → script keys.
_NAME_SCRIPTS: dict[str, str] = {
    "LATIN": "latin",
    "CYRILLIC": "cyrillic",
    "GREEK": "greek",
    "ARABIC": "arabic",
    "HEBREW": "hebrew",
    "DEVANAGARI": "devanagari",
    "BENGALI": "bengali",
    "GURMUKHI": "gurmukhi",
    "GUJARATI": "gujarati",
    "ORIYA": "oriya",
    "TAMIL": "tamil",
    "TELUGU": "telugu",
    "KANNADA": "kannada",
    "MALAYALAM": "malayalam",
    "SINHALA": "sinhala",
    "THAI": "thai",
    "LAO": "lao",
    "KHMER": "khmer",
    "MYANMAR": "myanmar",
    "ETHIOPIC": "ethiopic",
    "GEORGIAN": "georgian",
    "ARMENIAN": "armenian",
    "CJK": "han",
    "HIRAGANA": "kana",
    "KATAKANA": "kana",
    "HALFWIDTH": "kana",
    "HANGUL": "hangul",
}

#: Unicode name prefixes → ISO 15924 script tags (what HarfBuzz takes as a buffer's script). A
#: prefix is a name's first word, or its first two where scripts share a first word (TAI LE,
#: TAI THAM, TAI VIET); the two-word prefixes are looked up first.
SCRIPT_TAGS: dict[str, str] = {
    "LATIN": "Latn", "GREEK": "Grek", "COPTIC": "Copt", "CYRILLIC": "Cyrl", "ARMENIAN": "Armn",
    "HEBREW": "Hebr", "ARABIC": "Arab", "SYRIAC": "Syrc", "THAANA": "Thaa", "NKO": "Nkoo",
    "SAMARITAN": "Samr", "MANDAIC": "Mand", "DEVANAGARI": "Deva", "BENGALI": "Beng",
    "GURMUKHI": "Guru", "GUJARATI": "Gujr", "ORIYA": "Orya", "TAMIL": "Taml", "TELUGU": "Telu",
    "KANNADA": "Knda", "MALAYALAM": "Mlym", "SINHALA": "Sinh", "THAI": "Thai", "LAO": "Laoo",
    "TIBETAN": "Tibt", "MYANMAR": "Mymr", "GEORGIAN": "Geor", "HANGUL": "Hang", "ETHIOPIC": "Ethi",
    "CHEROKEE": "Cher", "CANADIAN": "Cans", "OGHAM": "Ogam", "RUNIC": "Runr", "KHMER": "Khmr",
    "MONGOLIAN": "Mong", "HIRAGANA": "Hira", "KATAKANA": "Kana", "KATAKANA-HIRAGANA": "Kana",
    "BOPOMOFO": "Bopo", "CJK": "Hani", "IDEOGRAPHIC": "Hani", "YI": "Yiii", "TAGALOG": "Tglg",
    "BALINESE": "Bali", "JAVANESE": "Java", "SUNDANESE": "Sund", "TIFINAGH": "Tfng", "VAI": "Vaii",
    "LIMBU": "Limb", "TAI LE": "Tale", "TAI THAM": "Lana", "TAI VIET": "Tavt", "BUGINESE": "Bugi",
    "CHAM": "Cham", "OL": "Olck",
}  # fmt: skip
#: Characters of no one script (digits, punctuation, symbols, spaces, controls).
COMMON = "Zyyy"
#: Marks that take the script of the letter they follow.
INHERITED = "Zinh"
#: Letters of a script the table above does not name (HarfBuzz guesses it from the text).
UNKNOWN = "Zzzz"


def script_tag(char: str, category: str | None = None) -> str:
    """The ISO 15924 script of a character as HarfBuzz wants it: a script's tag for letters and
    the marks named after a script, `Zinh` for other marks, `Zyyy` for everything of no script.
    `category` is the character's general category, where the caller has it already."""
    category = category or unicodedata.category(char)
    if category[0] not in "LM":
        return COMMON
    name = unicodedata.name(char, "")
    for prefix in ("FULLWIDTH ", "HALFWIDTH "):
        name = name.removeprefix(prefix)
    word, _, rest = name.partition(" ")
    tag = SCRIPT_TAGS.get(f"{word} {rest.partition(' ')[0]}") or SCRIPT_TAGS.get(word)
    if tag is not None:
        return tag
    if category[0] == "M":
        return INHERITED
    return COMMON if word.startswith("MODIFIER") else UNKNOWN


#: Letters that Persian writes and Arabic does not (peh, tcheh, jeh, gaf, keheh, Farsi yeh).
PERSIAN_LETTERS = frozenset("پچژگکی")


@dataclass(frozen=True)
class OcrLanguage:
    """What an OCR engine needs to know to read a text: its language model and direction."""

    script: str
    tesseract: str  # traineddata name(s), "+"-joined as Tesseract takes them
    rapidocr: bool  # whether RapidOCR's bundled PP-OCRv4 (Chinese + Latin) model reads it
    rtl: bool = False

    @property
    def primary(self) -> str:
        """The main traineddata (without the added `eng`)."""
        return self.tesseract.split("+")[0]


#: Script key → (Tesseract traineddata, read by RapidOCR, right to left).
SCRIPT_LANGUAGES: dict[str, tuple[str, bool, bool]] = {
    "latin": ("eng", True, False),
    "han": ("chi_sim", True, False),
    "japanese": ("jpn", False, False),
    "hangul": ("kor", False, False),
    "cyrillic": ("rus", False, False),
    "greek": ("ell", False, False),
    "arabic": ("ara", False, True),
    "persian": ("fas", False, True),
    "hebrew": ("heb", False, True),
    "devanagari": ("hin", False, False),
    "bengali": ("ben", False, False),
    "gurmukhi": ("pan", False, False),
    "gujarati": ("guj", False, False),
    "oriya": ("ori", False, False),
    "tamil": ("tam", False, False),
    "telugu": ("tel", False, False),
    "kannada": ("kan", False, False),
    "malayalam": ("mal", False, False),
    "sinhala": ("sin", False, False),
    "thai": ("tha", False, False),
    "lao": ("lao", False, False),
    "khmer": ("khm", False, False),
    "myanmar": ("mya", False, False),
    "ethiopic": ("amh", False, False),
    "georgian": ("kat", False, False),
    "armenian": ("hye", False, False),
}

#: Tesseract traineddata name → script key, for `--ocr-lang` given as a Tesseract code.
TESSERACT_SCRIPTS: dict[str, str] = {lang: script for script, (lang, _, _) in SCRIPT_LANGUAGES.items()}
TESSERACT_SCRIPTS.update({"chi_tra": "han", "ukr": "cyrillic", "bul": "cyrillic", "urd": "arabic"})
TESSERACT_SCRIPTS.update({"uig": "arabic", "pus": "arabic"})
TESSERACT_SCRIPTS.update({"mar": "devanagari", "nep": "devanagari", "asm": "bengali", "tir": "ethiopic"})
TESSERACT_SCRIPTS.update({code: "latin" for code in ("deu", "fra", "spa", "ita", "por", "nld", "pol", "tur")})


def char_script(char: str) -> str | None:
    """The script key of one character, or None for digits, punctuation, symbols and spaces."""
    if not char.isalpha():
        return None
    try:
        name = unicodedata.name(char)
    except ValueError:
        return None
    first = name.split(" ", 1)[0]
    if first in ("FULLWIDTH",):
        return "latin" if "LATIN" in name else None
    return _NAME_SCRIPTS.get(first)


def script_counts(text: str) -> Counter[str]:
    """Letters of `text` per script key."""
    counts: Counter[str] = Counter()
    for char, n in Counter(text).items():
        script = char_script(char)
        if script is not None:
            counts[script] += n
    return counts


def detect_script(text: str) -> str:
    """The script key an OCR model for `text` should be trained on.

    Kana anywhere beside Han (at least 5 % of letters) means Japanese; Arabic script with Persian
    letters (at least 2 % of its letters) means Persian. A text without letters counts as Latin
    (digits and punctuation are read by every model).
    """
    counts = script_counts(text)
    if not counts:
        return "latin"
    letters = sum(counts.values())
    if counts["kana"] >= 0.05 * letters:
        return "japanese"
    counts.pop("kana", None)
    if not counts:
        return "japanese"
    script = max(sorted(counts), key=lambda s: counts[s])
    # Latin words inside Chinese prose (commands, names) are common: a third of the letters of a
    # Chinese technical text can be Latin while Han carries the text.
    if script == "latin" and counts["han"] >= 0.25 * letters:
        script = "han"
    if script == "arabic":
        persian = sum(n for c, n in Counter(text).items() if c in PERSIAN_LETTERS)
        if persian >= 0.02 * counts["arabic"]:
            script = "persian"
    return script


def ocr_language(text: str, lang: str | None = None, language: str | None = None) -> OcrLanguage:
    """The OCR language for `text`: from `lang` (a script key or Tesseract codes), else from
    `language` (the BCP 47 tag the text was rendered in: ja → jpn, zh-Hans → chi_sim, th → tha),
    else detected from the text.

    Texts in another script that carry Latin words too (at least 2 % of their letters) get
    Tesseract's English model added (`rus+eng`), as technical prose often does.
    """
    from pixtok.errors import UsageError
    from pixtok.render.language import tesseract_language

    if not lang and language:
        derived = tesseract_language(language)
        if derived is not None:
            script = TESSERACT_SCRIPTS.get(derived, "other")
            tess = _with_latin(derived, text, script)
            rapid = script in ("latin", "han") and derived in ("eng", "chi_sim")
            return OcrLanguage(script, tess, rapid, script in ("arabic", "persian", "hebrew"))
    if lang:
        key = lang.strip().lower()
        if key in SCRIPT_LANGUAGES:
            script = key
            tess, rapid, rtl = SCRIPT_LANGUAGES[key]
            return OcrLanguage(script, _with_latin(tess, text, script), rapid, rtl)
        primary = key.split("+")[0]
        script = TESSERACT_SCRIPTS.get(primary)
        if script is None:
            known = ", ".join(sorted(SCRIPT_LANGUAGES))
            if not all(part.replace("_", "").isalnum() for part in key.split("+")):
                raise UsageError(f"--ocr-lang {lang!r}: give a script ({known}) or Tesseract codes (rus+eng)")
            script = "other"
        rapid = script in ("latin", "han") and primary in ("eng", "chi_sim")
        return OcrLanguage(script, key, rapid, script in ("arabic", "persian", "hebrew"))
    script = detect_script(text)
    tess, rapid, rtl = SCRIPT_LANGUAGES.get(script, ("eng", True, False))
    return OcrLanguage(script, _with_latin(tess, text, script), rapid, rtl)


def _with_latin(tess: str, text: str, script: str) -> str:
    if script == "latin" or "+" in tess:
        return tess
    counts = script_counts(text)
    letters = sum(counts.values())
    if letters and counts["latin"] >= 0.02 * letters:
        return f"{tess}+eng"
    return tess


__all__ = [
    "COMMON",
    "INHERITED",
    "PERSIAN_LETTERS",
    "SCRIPT_LANGUAGES",
    "SCRIPT_TAGS",
    "UNKNOWN",
    "OcrLanguage",
    "char_script",
    "detect_script",
    "ocr_language",
    "script_counts",
    "script_tag",
]
