"""Copy the fonts pixtok ships from their packages and write their licences and README.

pixtok renders text with fonts inside the package (pixtok/fonts/) so that results do not depend
on what a machine has installed. This script is how that folder is (re)made on a Debian system:

1. copies DejaVu Sans and DejaVu Sans Mono (Debian fonts-dejavu-core), and Noto Naskh Arabic,
   Noto Sans Hebrew, Devanagari, Thai, Lao, Khmer, Bengali, Gurmukhi, Gujarati, Tamil, Telugu,
   Kannada and Malayalam (Debian fonts-noto-core), unmodified;
2. copies Noto Emoji, the monochrome (outline) emoji face, unmodified from the npm package
   @expo-google-fonts/noto-emoji (a copy of Google Fonts' static Regular instance; Debian ships
   only the colour bitmap Noto Color Emoji). It is fetched with `npm pack` at a pinned version
   and checked against a pinned SHA-256, or read from an unpacked copy given with --noto-emoji;
3. writes LICENSE-DejaVu.txt (the Bitstream Vera / Arev licence as embedded in DejaVuSans.ttf)
   and OFL.txt (SIL Open Font License 1.1 from the fonts-noto-cjk copyright file, with the
   copyright lines of every Noto file and of the packages they come from);
4. writes README.md: one row per file with family name, package version, licence, size,
   coverage and sha256.

Run scripts/make_cjk_subset.py first: the CJK subsets are built, not copied, and this script
only describes them. Fonts are sources at build time only: pixtok never reads them from the
system at run time. Usage: python scripts/copy_fonts.py [--dest DIR] [--noto-emoji DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DEST = REPO / "pixtok" / "fonts"
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
NOTO_DIR = Path("/usr/share/fonts/truetype/noto")
DOC_DIR = Path("/usr/share/doc")
CJK_SUBSETS = ("NotoSansCJK-Han.otf", "NotoSansCJK-Hangul.otf")


@dataclass(frozen=True)
class NpmFile:
    """A file inside an npm package, pinned by package version and by the file's SHA-256."""

    package: str
    version: str
    member: str  # path inside the package folder of the tarball
    sha256: str
    licence_member: str  # the package's licence file for this font


NOTO_EMOJI = NpmFile(
    "@expo-google-fonts/noto-emoji",
    "0.4.7",
    "400Regular/NotoEmoji_400Regular.ttf",
    "24aaa2a20c9c06ffe9bf04284bfd1f14376a329d10122f902abe2770817eb504",
    "LICENSE_FONT",
)


@dataclass(frozen=True)
class ShippedFont:
    """One font file of pixtok/fonts/ and where it comes from."""

    file: str
    source: Path | NpmFile | None  # None: built by scripts/make_cjk_subset.py
    package: str
    licence: str
    licence_file: str
    covers: str


def _noto(file: str, covers: str) -> ShippedFont:
    """An unmodified Noto font from Debian's fonts-noto-core."""
    return ShippedFont(file, NOTO_DIR / file, "fonts-noto-core", "SIL OFL 1.1", "OFL.txt", covers)


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
    _noto(
        "NotoNaskhArabic-Regular.ttf",
        "Arabic script: Arabic, Persian, Urdu letters, Arabic presentation forms",
    ),
    _noto("NotoSansHebrew-Regular.ttf", "Hebrew letters and points"),
    _noto("NotoSansDevanagari-Regular.ttf", "Devanagari (Hindi, Marathi, Nepali, Sanskrit) with conjuncts"),
    _noto("NotoSansThai-Regular.ttf", "Thai letters, vowels, tone marks and digits (U+0E01-0E5B)"),
    _noto("NotoSansLao-Regular.ttf", "Lao letters, vowels, tone marks and digits (U+0E81-0EDF)"),
    _noto(
        "NotoSansKhmer-Regular.ttf", "Khmer letters, subscript consonants (coeng), vowels, digits, symbols"
    ),
    _noto("NotoSansBengali-Regular.ttf", "Bengali-Assamese script (Bengali, Assamese) with conjuncts"),
    _noto("NotoSansGurmukhi-Regular.ttf", "Gurmukhi (Punjabi) letters, vowel signs, addak, digits"),
    _noto("NotoSansGujarati-Regular.ttf", "Gujarati letters, vowel signs and conjuncts, digits"),
    _noto("NotoSansTamil-Regular.ttf", "Tamil letters, vowel signs, pulli, digits and number signs"),
    _noto("NotoSansTelugu-Regular.ttf", "Telugu letters, vowel signs and conjuncts, digits"),
    _noto("NotoSansKannada-Regular.ttf", "Kannada letters, vowel signs and conjuncts, digits"),
    _noto(
        "NotoSansMalayalam-Regular.ttf", "Malayalam letters, vowel signs, chillu letters, conjuncts, digits"
    ),
    ShippedFont(
        "NotoEmoji-Regular.ttf",
        NOTO_EMOJI,
        f"npm {NOTO_EMOJI.package}",
        "SIL OFL 1.1",
        "OFL.txt",
        "Emoji as monochrome outlines: emoji presentation sequences, ZWJ sequences, skin-tone "
        "modifiers, flags, keycaps (docs/fonts.md)",
    ),
    ShippedFont(
        CJK_SUBSETS[0],
        None,
        "fonts-noto-cjk",
        "SIL OFL 1.1",
        "OFL.txt",
        "Subset of Noto Sans CJK SC: GB 2312 Hanzi (both levels), JIS X 0208 kanji (both levels) + Jōyō, "
        "Big5 common characters, KS X 1001 Hanja, kana, CJK punctuation and symbols, full/half-width forms; "
        "Japanese, Korean and Taiwan forms under locl (docs/fonts.md)",
    ),
    ShippedFont(
        CJK_SUBSETS[1],
        None,
        "fonts-noto-cjk",
        "SIL OFL 1.1",
        "OFL.txt",
        "Subset of Noto Sans CJK KR: all 11,172 Hangul syllables, conjoining and compatibility jamo "
        "(docs/fonts.md)",
    ),
)


def is_debian(font: ShippedFont) -> bool:
    """Whether the font comes from (or is built from) a Debian package."""
    return not isinstance(font.source, NpmFile)


def source_version(font: ShippedFont) -> str:
    """The version of the package a font comes from: dpkg's for Debian, the pinned one for npm."""
    if isinstance(font.source, NpmFile):
        return font.source.version
    return package_version(font.package)


def unpack_npm(spec: NpmFile, workdir: Path) -> Path:
    """Fetch a pinned npm package with `npm pack` and unpack it; the unpacked package folder."""
    if shutil.which("npm") is None:
        raise SystemExit(
            f"copy_fonts: error: npm is needed to fetch {spec.package}; or unpack "
            f"{spec.package}@{spec.version} yourself and pass its folder with --noto-emoji"
        )
    subprocess.run(
        ["npm", "pack", "--silent", "--pack-destination", str(workdir), f"{spec.package}@{spec.version}"],
        check=True,
        capture_output=True,
    )
    (tarball,) = workdir.glob("*.tgz")
    with tarfile.open(tarball) as archive:
        archive.extractall(workdir, filter="data")
    return workdir / "package"


def npm_member(spec: NpmFile, package_dir: Path) -> Path:
    """The pinned file inside an unpacked npm package, after checking its SHA-256."""
    path = package_dir / spec.member
    if not path.is_file():
        raise SystemExit(f"copy_fonts: error: {path} missing (npm package {spec.package}@{spec.version})")
    if sha256(path) != spec.sha256:
        raise SystemExit(
            f"copy_fonts: error: {path} has SHA-256 {sha256(path)}, expected {spec.sha256} "
            f"({spec.package}@{spec.version})"
        )
    return path


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


def ofl_file(dest: Path, emoji_package: Path) -> str:
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
    for package in sorted({font.package for font in noto if is_debian(font)}):
        lines.append(f"  {package} {package_version(package)}: {copyright_of_all_files(package)}")
    font_licence = (emoji_package / NOTO_EMOJI.licence_member).read_text(encoding="utf-8")
    lines += [
        "",
        f"npm package {NOTO_EMOJI.package} {NOTO_EMOJI.version} (licence 'MIT AND OFL-1.1': MIT for",
        "the package's JavaScript, OFL 1.1 for the font), file "
        f"{NOTO_EMOJI.licence_member}: {font_licence.splitlines()[0].strip()}",
        "",
        f"{CJK_SUBSETS[0]} and {CJK_SUBSETS[1]} are Modified Versions of Noto Sans CJK (faces",
        "'Noto Sans CJK SC' and 'Noto Sans CJK KR' of NotoSansCJK-Regular.ttc): subsets of their",
        "glyphs made with fontTools by scripts/make_cjk_subset.py, renamed 'Noto Sans CJK SC Han",
        "Subset' and 'Noto Sans CJK KR Hangul Subset'. They are distributed under this same licence.",
        "The other Noto files are unmodified copies.",
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
            f"| {font.file} | {family} | {origin}{font.package} {source_version(font)} "
            f"| {font.licence} ({font.licence_file}) | {size:,} | {font.covers} | `{sha256(path)}` |"
        )
    others = sorted(p.name for p in dest.iterdir() if p.suffix == ".txt")
    return "\n".join(
        [
            "# Fonts shipped with pixtok",
            "",
            "pixtok renders with these files so that results are the same on every machine. The table",
            "is written by `scripts/copy_fonts.py`; the two CJK subsets are built by",
            "`scripts/make_cjk_subset.py`. See docs/fonts.md for why each font is here and what the",
            "CJK subsets do and do not cover.",
            "",
            "| file | family (name table) | source (package + version) | licence | bytes | covers | sha256 |",
            "|---|---|---|---|---:|---|---|",
            *rows,
            "",
            f"Total font bytes: {total:,}.",
            "",
            f"Licence texts: {', '.join(others)}.",
            "",
        ]
    )


def copy_fonts(dest: Path, emoji_package: Path) -> None:
    """Copy the packaged fonts into dest and write the licence files and README.md."""
    dest.mkdir(parents=True, exist_ok=True)
    for built in CJK_SUBSETS:
        if not (dest / built).is_file():
            raise SystemExit(f"copy_fonts: error: {dest / built} missing; run scripts/make_cjk_subset.py")
    for font in FONTS:
        if font.source is None:
            continue
        if isinstance(font.source, NpmFile):
            source = npm_member(font.source, emoji_package)
        else:
            source = font.source
            if not source.is_file():
                raise SystemExit(f"copy_fonts: error: {source} missing (Debian package {font.package})")
        tmp = dest / (font.file + ".tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(dest / font.file)
    write_text(dest / "LICENSE-DejaVu.txt", dejavu_licence(dest))
    write_text(dest / "OFL.txt", ofl_file(dest, emoji_package))
    write_text(dest / "README.md", readme(dest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="folder to fill (pixtok/fonts)")
    parser.add_argument(
        "--noto-emoji",
        type=Path,
        help=f"unpacked {NOTO_EMOJI.package}@{NOTO_EMOJI.version} (default: fetch it with npm pack)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        emoji_package = args.noto_emoji or unpack_npm(NOTO_EMOJI, Path(work))
        copy_fonts(args.dest, emoji_package)
    for path in sorted(args.dest.iterdir()):
        print(f"{path.stat().st_size:>10,}  {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
