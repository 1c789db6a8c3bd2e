"""tests/texts: GTK 3's messages in the scripts the corpus lacks, as `scripts/make_gtk_texts.py` writes them.

The catalogue reader is checked against Python's own `gettext`; the files are checked to be in
their script alone, and to be what the script writes from the installed catalogues when the
installed GTK is the one they came from.
"""

from __future__ import annotations

import functools
import gettext
import importlib.util
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
TEXTS_DIR = REPO / "tests" / "texts"
SCRIPT = REPO / "scripts" / "make_gtk_texts.py"
LOCALES = Path("/usr/share/locale")


@functools.cache
def make_gtk_texts() -> ModuleType:
    """scripts/make_gtk_texts.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_gtk_texts", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def recorded_version() -> str:
    found = re.search(r"libgtk-3-common\s+(\S+),", (TEXTS_DIR / "README.md").read_text(encoding="utf-8"))
    assert found, "tests/texts/README.md names the package version the texts came from"
    return found.group(1)


def installed_version() -> str | None:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", "libgtk-3-common"], capture_output=True, text=True
    )
    return out.stdout.strip() or None


@pytest.mark.parametrize("locale", sorted(make_gtk_texts().LANGUAGES))
def test_files_hold_up_to_forty_messages_in_their_script_alone(locale: str) -> None:
    _, script, first, last = make_gtk_texts().LANGUAGES[locale]
    lines = (TEXTS_DIR / f"{locale}_msgstr_gtk30.txt").read_text(encoding="utf-8").splitlines()
    assert 20 <= len(lines) <= 40 and len(set(lines)) == len(lines)
    for line in lines:
        assert 30 <= len(line) <= 200
        letters = [c for c in line if unicodedata.category(c)[0] in "LM"]
        assert letters and all(first <= ord(c) <= last for c in letters), line
        assert all(unicodedata.name(c).startswith(script.upper()) for c in letters), line


def test_catalogue_reader_agrees_with_python_gettext() -> None:
    catalogue = LOCALES / "ta" / "LC_MESSAGES" / "gtk30.mo"
    if not catalogue.is_file():
        pytest.skip(f"{catalogue} not installed (Debian package libgtk-3-common)")
    entries = make_gtk_texts().catalogue_entries(catalogue)
    with catalogue.open("rb") as handle:
        reference = gettext.GNUTranslations(handle)
    assert len(entries) > 1000
    for msgid, msgstr in entries:
        context, _, plain = msgid.rpartition("\x04")
        expected = reference.pgettext(context, plain) if context else reference.gettext(plain)
        assert msgstr == expected, msgid


def test_texts_rebuild_byte_identical(tmp_path: Path) -> None:
    installed = installed_version()
    if installed is None:
        pytest.skip("libgtk-3-common is not installed: no catalogues to rebuild the texts from")
    if installed != recorded_version():
        pytest.skip(f"the texts came from libgtk-3-common {recorded_version()}, installed is {installed}")
    subprocess.run([sys.executable, str(SCRIPT), "--dest", str(tmp_path)], check=True, capture_output=True)
    for path in sorted(TEXTS_DIR.iterdir()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
