"""The installed fonts fontconfig lists for a set of characters: a reference for the system
fallback that does not go through pixtok (tests/test_font_chain.py, tests/test_render_shaping.py)."""

from __future__ import annotations

import subprocess


def fontconfig_files_with(chars: str) -> set[tuple[str, int]]:
    """(file, face index) of every installed font that fontconfig says has all of `chars`."""
    charset = " ".join(f"{ord(c):x}" for c in sorted(set(chars)))
    out = subprocess.run(
        ["fc-list", "--format=%{file}\t%{index}\n", "--", f":charset={charset}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {(line.split("\t")[0], int(line.split("\t")[1])) for line in out.splitlines() if "\t" in line}
