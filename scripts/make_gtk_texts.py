"""Write the test texts of the scripts the test corpus lacks (tests/texts/).

The test corpus (`corpus/`) has no text in Bengali, Gurmukhi, Gujarati, Tamil, Telugu, Kannada,
Malayalam, Oriya, Sinhala, Myanmar, Armenian, Georgian or Greek, nor in Uyghur (Arabic script
with letters Arabic and Persian lack), and no Debian package ships prose in them; GTK 3's message
catalogues do, as its users read them. For each language this takes the translated messages
(`msgstr`) of `gtk30.mo` from Debian's libgtk-3-common that are written in the script alone: 30
to 200 characters, every letter and mark of the script's Unicode block, no other letters, no
placeholders or markup. It keeps the first 40 (Sinhala has 22) in the order of their English
`msgid`, one per line, so the same package gives the same files. The files are test fixtures
(shaping against HarfBuzz, line breaks against ICU, OCR), not benchmark inputs.

Usage: python scripts/make_gtk_texts.py [--locale-dir /usr/share/locale] [--dest tests/texts]
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DEST = REPO / "tests" / "texts"
CATALOGUE = "gtk30.mo"
PACKAGE = "libgtk-3-common"
MESSAGES = 40
SHORTEST, LONGEST = 30, 200

#: language (gettext locale) -> (language name, script, first and last code point of its block)
LANGUAGES: dict[str, tuple[str, str, int, int]] = {
    "bn": ("Bengali", "Bengali", 0x0980, 0x09FF),
    "pa": ("Punjabi", "Gurmukhi", 0x0A00, 0x0A7F),
    "gu": ("Gujarati", "Gujarati", 0x0A80, 0x0AFF),
    "ta": ("Tamil", "Tamil", 0x0B80, 0x0BFF),
    "te": ("Telugu", "Telugu", 0x0C00, 0x0C7F),
    "kn": ("Kannada", "Kannada", 0x0C80, 0x0CFF),
    "ml": ("Malayalam", "Malayalam", 0x0D00, 0x0D7F),
    "or": ("Odia", "Oriya", 0x0B00, 0x0B7F),
    "si": ("Sinhala", "Sinhala", 0x0D80, 0x0DFF),
    "my": ("Burmese", "Myanmar", 0x1000, 0x109F),
    "hy": ("Armenian", "Armenian", 0x0530, 0x058F),
    "ka": ("Georgian", "Georgian", 0x10A0, 0x10FF),
    "el": ("Greek", "Greek", 0x0370, 0x03FF),
    "ug": ("Uyghur", "Arabic", 0x0600, 0x06FF),
}
#: What a kept message may hold besides its script's letters and marks.
ALLOWED = set(" ,.;:?!()-'\"") | {"\u0964", "\u0965", "\u200c", "\u200d"}


def of_script(message: str, first: int, last: int) -> bool:
    """Whether a message is written in one script only (and needs no placeholder filled in)."""
    for char in message:
        if first <= ord(char) <= last:
            continue
        if char in ALLOWED or (unicodedata.category(char) == "Nd" and char.isascii()):
            continue
        return False
    return True


def catalogue_entries(path: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) of a GNU .mo catalogue in UTF-8, as gettext's file format lays them out:
    a header of five 32-bit words, then two tables of (length, offset), originals and
    translations. A context prefixes its msgid (`context\x04msgid`); of plural forms, the
    singular ones are kept. The header entry (empty msgid) is left out."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _, _, count, originals, translations = struct.unpack(f"{order}5I", data[:20])

    def string(table: int, index: int) -> str:
        length, offset = struct.unpack(f"{order}2I", data[table + 8 * index : table + 8 * index + 8])
        return data[offset : offset + length].decode("utf-8").split("\x00")[0]

    entries = [(string(originals, k), string(translations, k)) for k in range(count)]
    return [(msgid, msgstr) for msgid, msgstr in entries if msgid]


def messages(path: Path, first: int, last: int) -> list[str]:
    found = []
    for _, msgstr in sorted(catalogue_entries(path)):
        text = " ".join(msgstr.split())
        if SHORTEST <= len(text) <= LONGEST and of_script(text, first, last) and text not in found:
            found.append(text)
    return found[:MESSAGES]


def package_version() -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", PACKAGE], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locale-dir", type=Path, default=Path("/usr/share/locale"))
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args(argv)
    args.dest.mkdir(parents=True, exist_ok=True)
    version = package_version()
    rows = []
    for locale, (language, script, first, last) in LANGUAGES.items():
        source = args.locale_dir / locale / "LC_MESSAGES" / CATALOGUE
        if not source.is_file():
            raise SystemExit(f"make_gtk_texts: error: {source} missing (Debian package {PACKAGE})")
        kept = messages(source, first, last)
        name = f"{locale}_msgstr_gtk30.txt"
        text = "\n".join(kept) + "\n"
        tmp = args.dest / (name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.dest / name)
        rows.append(f"| {name} | {language} ({script}) | {len(kept)} | {len(text):,} |")
        print(f"{len(kept):>3} messages  {name}")
    readme = [
        "# Test texts of the scripts the test corpus lacks",
        "",
        "Written by `scripts/make_gtk_texts.py`: the translated messages of GTK 3 in each",
        f"language, from `/usr/share/locale/<lang>/LC_MESSAGES/{CATALOGUE}` of Debian's {PACKAGE}",
        f"{version}, that are written in the language's script alone, one per line (not continuous",
        "prose). Licence: LGPL-2+ (GTK and its translations; see /usr/share/doc/libgtk-3-common/copyright).",
        "They are test fixtures of pixtok, not covered by its MIT licence.",
        "",
        "| file | language (script) | messages | characters |",
        "|---|---|---:|---:|",
        *rows,
        "",
    ]
    tmp = args.dest / "README.md.tmp"
    tmp.write_text("\n".join(readme), encoding="utf-8")
    tmp.replace(args.dest / "README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
