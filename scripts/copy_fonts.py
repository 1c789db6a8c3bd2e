"""Copy the fonts pixtok ships from their Debian packages and write their licences and README.

pixtok renders text with fonts inside the package (pixtok/fonts/) so that results do not depend
on what a machine has installed. This script is how that folder is (re)made on a Debian system:

1. copies DejaVu Sans, DejaVu Sans Mono, Noto Naskh Arabic, Noto Sans Hebrew and Noto Sans
   Devanagari from fonts-dejavu-core / fonts-noto-core, unmodified;
2. writes LICENSE-DejaVu.txt (the Bitstream Vera / Arev licence as embedded in DejaVuSans.ttf)
   and OFL.txt (SIL Open Font License 1.1 from the fonts-noto-cjk copyright file, with the
   copyright lines of every Noto file and of the Debian packages);
3. writes README.md: one row per file with family name, package version, licence, size,
   coverage and sha256.

Run scripts/make_cjk_subset.py first: the CJK subset is built, not copied, and this script
only describes it. Usage: python scripts/copy_fonts.py [--dest DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DEST = REPO / "pixtok" / "fonts"
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
NOTO_DIR = Path("/usr/share/fonts/truetype/noto")
DOC_DIR = Path("/usr/share/doc")
CJK_SUBSET = "NotoSansCJK-Subset.otf"


@dataclass(frozen=True)
class ShippedFont:
    """One font file of pixtok/fonts/ and where it comes from."""

    file: str
    source: Path | None  # None: built by scripts/make_cjk_subset.py
    package: str
    licence: str
    licence_file: str
    covers: str


FONTS = (
    ShippedFont(
        "DejaVuSans.ttf",
        DEJAVU_DIR / "DejaVuSans.ttf",
        "fonts-dejavu-core",
        "Bitstream Vera + Arev (permissive); DejaVu changes public domain",
        "LICENSE-DejaVu.txt",
        "Latin, Greek, Cyrillic, IPA, general punctuation, arrows, mathematical operators "
        "(ℕ ≡ ≤ ∸ ∀ → ⊥ ⊤ ⟨ ⟩), box drawing; the default proportional face",
    ),
    ShippedFont(
        "DejaVuSansMono.ttf",
        DEJAVU_DIR / "DejaVuSansMono.ttf",
        "fonts-dejavu-core",
        "Bitstream Vera (permissive); DejaVu changes public domain",
        "LICENSE-DejaVu.txt",
        "Latin, Greek, Cyrillic, arrows, mathematical operators, box drawing; monospaced, for code",
    ),
    ShippedFont(
        "NotoNaskhArabic-Regular.ttf",
        NOTO_DIR / "NotoNaskhArabic-Regular.ttf",
        "fonts-noto-core",
        "SIL OFL 1.1",
        "OFL.txt",
        "Arabic script: Arabic, Persian, Urdu letters, Arabic presentation forms",
    ),
    ShippedFont(
        "NotoSansHebrew-Regular.ttf",
        NOTO_DIR / "NotoSansHebrew-Regular.ttf",
        "fonts-noto-core",
        "SIL OFL 1.1",
        "OFL.txt",
        "Hebrew letters and points",
    ),
    ShippedFont(
        "NotoSansDevanagari-Regular.ttf",
        NOTO_DIR / "NotoSansDevanagari-Regular.ttf",
        "fonts-noto-core",
        "SIL OFL 1.1",
        "OFL.txt",
        "Devanagari (Hindi, Marathi, Nepali, Sanskrit) with conjuncts",
    ),
    ShippedFont(
        CJK_SUBSET,
        None,
        "fonts-noto-cjk",
        "SIL OFL 1.1",
        "OFL.txt",
        "Subset of Noto Sans CJK SC: GB 2312 level-1 Hanzi, JIS X 0208 level-1 kanji + all Jōyō kanji, "
        "KS X 1001 Hangul syllables, kana, CJK punctuation, full/half-width forms (docs/fonts.md)",
    ),
)


def package_version(package: str) -> str:
    """Installed version of a Debian package, as dpkg-query reports it."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not result.stdout:
        raise SystemExit(f"copy_fonts: error: Debian package {package} is not installed")
    return result.stdout


def deb822_paragraphs(path: Path) -> list[dict[str, str]]:
    """Paragraphs of a machine-readable debian/copyright file, continuation lines kept as-is."""
    paragraphs: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if current:
                paragraphs.append(current)
            current, key = {}, ""
        elif line[0] in " \t" and key:
            current[key] += "\n" + line
        else:
            key, _, value = line.partition(":")
            current[key] = value.strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def unfold(value: str) -> list[str]:
    """Continuation lines of a deb822 field as plain text lines ('.' lines become blank)."""
    lines = value.split("\n")[1:]
    return ["" if line.strip() == "." else line[1:] if line.startswith(" ") else line for line in lines]


def copyright_of_all_files(package: str) -> str:
    """The Copyright field of the 'Files: *' paragraph of a package's copyright file."""
    for paragraph in deb822_paragraphs(DOC_DIR / package / "copyright"):
        if paragraph.get("Files") == "*":
            first, *rest = paragraph["Copyright"].split("\n")
            return "; ".join(part.strip() for part in [first, *rest] if part.strip())
    raise SystemExit(f"copy_fonts: error: no 'Files: *' paragraph in {package}'s copyright file")


def ofl_text() -> str:
    """The SIL Open Font License 1.1 as Debian ships it for fonts-noto-cjk."""
    for paragraph in deb822_paragraphs(DOC_DIR / "fonts-noto-cjk" / "copyright"):
        if "Files" not in paragraph and paragraph.get("License", "").startswith("SIL-1.1"):
            return "\n".join(unfold(paragraph["License"])).strip() + "\n"
    raise SystemExit("copy_fonts: error: no SIL-1.1 licence text in fonts-noto-cjk's copyright file")


def name_string(path: Path, name_id: int) -> str:
    """A name-table string of a font file (English, Windows platform preferred)."""
    font = TTFont(str(path), lazy=True)
    try:
        return font["name"].getDebugName(name_id) or ""
    finally:
        font.close()


def write_text(path: Path, text: str) -> None:
    """Write text atomically (temporary file + rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def dejavu_licence(dest: Path) -> str:
    """LICENSE-DejaVu.txt: the licence text DejaVu embeds in DejaVuSans.ttf (name ID 13)."""
    embedded = name_string(dest / "DejaVuSans.ttf", 13).replace("\r\n", "\n").rstrip()
    return (
        "DejaVu fonts shipped in pixtok/fonts/: DejaVuSans.ttf, DejaVuSansMono.ttf (unmodified)\n"
        f"Source: Debian package fonts-dejavu-core {package_version('fonts-dejavu-core')}\n"
        f"Debian copyright statement: {copyright_of_all_files('fonts-dejavu-core')}\n"
        "\n"
        "The licence below is the text the DejaVu project embeds in DejaVuSans.ttf\n"
        "(name table, license description, name ID 13).\n"
        "\n" + embedded + "\n"
    )


def ofl_file(dest: Path) -> str:
    """OFL.txt: copyright lines of each Noto file and package, then the OFL 1.1 text."""
    noto = [font for font in FONTS if font.licence_file == "OFL.txt"]
    lines = [
        "Noto fonts shipped in pixtok/fonts/ are licensed under the SIL Open Font License, Version 1.1.",
        "",
        "Copyright notices as embedded in each file (name table, name ID 0):",
    ]
    for font in noto:
        notice = " ".join(name_string(dest / font.file, 0).split())
        lines.append(f"  {font.file}: {notice}")
    lines += ["", "Debian copyright statements:"]
    for package in sorted({font.package for font in noto}):
        lines.append(f"  {package} {package_version(package)}: {copyright_of_all_files(package)}")
    lines += [
        "",
        f"{CJK_SUBSET} is a Modified Version of Noto Sans CJK SC (face 'Noto Sans CJK SC' of",
        "NotoSansCJK-Regular.ttc): a subset of its glyphs made with fontTools by",
        "scripts/make_cjk_subset.py, renamed 'Noto Sans CJK SC Subset'. It is distributed under",
        "this same licence. The other Noto files are unmodified copies.",
        "",
        "",
    ]
    return "\n".join(lines) + ofl_text()


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def readme(dest: Path) -> str:
    """README.md of pixtok/fonts/: what each file is, where from, licence, size, checksum."""
    rows = []
    total = 0
    for font in FONTS:
        path = dest / font.file
        size = path.stat().st_size
        total += size
        family = name_string(path, 16) or name_string(path, 1)
        origin = "built by scripts/make_cjk_subset.py from " if font.source is None else ""
        rows.append(
            f"| {font.file} | {family} | {origin}{font.package} {package_version(font.package)} "
            f"| {font.licence} ({font.licence_file}) | {size:,} | {font.covers} | `{sha256(path)}` |"
        )
    others = sorted(p.name for p in dest.iterdir() if p.suffix == ".txt")
    return "\n".join(
        [
            "# Fonts shipped with pixtok",
            "",
            "pixtok renders with these files so that results are the same on every machine. The table",
            "is written by `scripts/copy_fonts.py`; the CJK subset is built by",
            "`scripts/make_cjk_subset.py`. See docs/fonts.md for why each font is here and what the",
            "CJK subset does and does not cover.",
            "",
            "| file | family (name table) | source (Debian package + version) | licence | bytes | covers "
            "| sha256 |",
            "|---|---|---|---|---:|---|---|",
            *rows,
            "",
            f"Total font bytes: {total:,}.",
            "",
            f"Licence texts: {', '.join(others)}.",
            "",
        ]
    )


def copy_fonts(dest: Path) -> None:
    """Copy the Debian fonts into dest and write the licence files and README.md."""
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / CJK_SUBSET).is_file():
        raise SystemExit(f"copy_fonts: error: {dest / CJK_SUBSET} missing; run scripts/make_cjk_subset.py")
    for font in FONTS:
        if font.source is None:
            continue
        if not font.source.is_file():
            raise SystemExit(f"copy_fonts: error: {font.source} missing (Debian package {font.package})")
        tmp = dest / (font.file + ".tmp")
        shutil.copyfile(font.source, tmp)
        tmp.replace(dest / font.file)
    write_text(dest / "LICENSE-DejaVu.txt", dejavu_licence(dest))
    write_text(dest / "OFL.txt", ofl_file(dest))
    write_text(dest / "README.md", readme(dest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="folder to fill (pixtok/fonts)")
    args = parser.parse_args(argv)
    copy_fonts(args.dest)
    for path in sorted(args.dest.iterdir()):
        print(f"{path.stat().st_size:>10,}  {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
