"""Run the shell examples of a Markdown page, the way a reader would type them.

Every line starting with `$ pixtok` in a ```console block is run in a scratch folder through the
real CLI entry point. The folder holds a few corpus files under short names (`en.txt`, `zh.txt`,
...) and any file the page declares with a named fence (```toml presets.toml). A command may be
fed by `echo TEXT |`, `cat FILE |` or `< FILE`. Lines after a command, up to the next `$` line,
are its expected output when the block is marked ```console exact (compared without leading
and trailing blank space).
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
#: Short names the docs use for corpus files.
CORPUS_FILES = {
    "en.txt": "en_prose_debian-reference.txt",
    "de.txt": "de_prose_debian-reference.txt",
    "fr.txt": "fr_prose_debian-reference.txt",
    "zh.txt": "zh-cn_prose_debian-reference.txt",
    "ja.txt": "ja_prose_debian-reference.txt",
    "ko.txt": "ko_prose_gnome-help.txt",
    "ar.txt": "ar_msgstr_gtk20-properties.txt",
    "fa.txt": "fa_prose_gnome-help.txt",
    "he.txt": "he_msgstr_gnome-gnu.txt",
    "hi.txt": "hi_prose_libreoffice-help.txt",
    "ru.txt": "ru_prose_debian-faq.txt",
    "th.txt": "th_wiki_openoffice.txt",
    "code.txt": "code_python_textwrap.py.txt",
}
_FENCE = re.compile(r"^```(\w+)(?:[ \t]+(\S+))?[ \t]*\n(.*?)^```", re.S | re.M)


@dataclass
class Example:
    command: str
    expected: list[str] = field(default_factory=list)
    exact: bool = False


def parse(markdown: str) -> tuple[list[Example], dict[str, str]]:
    """The `$ pixtok` examples of a page and the files it declares."""
    examples: list[Example] = []
    files: dict[str, str] = {}
    for language, label, body in _FENCE.findall(markdown):
        if language != "console":
            if label:
                files[label] = body
            continue
        current: Example | None = None
        for line in body.splitlines():
            if line.startswith("$ "):
                current = None
                if any(stage.strip().startswith("pixtok") for stage in line[2:].split(" | ")):
                    current = Example(line[2:], exact=label == "exact")
                    examples.append(current)
            elif current is not None:
                current.expected.append(line)
    return examples, files


def prepare_folder(folder: Path, files: dict[str, str], extra: dict[str, bytes] | None = None) -> None:
    for short, name in CORPUS_FILES.items():
        shutil.copyfile(CORPUS_DIR / name, folder / short)
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    for name, data in (extra or {}).items():
        (folder / name).write_bytes(data)


def split(command: str, folder: Path) -> tuple[list[str], bytes | None]:
    """(pixtok arguments, stdin bytes) for one example line; output pipes (`| jq`) are dropped."""
    stdin: bytes | None = None
    stages = [s.strip() for s in command.split(" | ")]
    while stages and not stages[0].startswith("pixtok"):
        feeder = shlex.split(stages.pop(0))
        if feeder[0] == "echo":
            stdin = (" ".join(feeder[1:]) + "\n").encode("utf-8")
        elif feeder[0] == "cat":
            stdin = b"".join((folder / name).read_bytes() for name in feeder[1:])
        else:
            raise AssertionError(f"unsupported feeder in docs example: {command}")
    words = shlex.split(stages[0])
    if "<" in words:
        at = words.index("<")
        stdin, words = (folder / words[at + 1]).read_bytes(), words[:at]
    assert words[0] == "pixtok", command
    return words[1:], stdin


def run_page(
    page: Path,
    run_cli,
    folder: Path,
    extra: dict[str, bytes] | None = None,
    replace: dict[str, str] | None = None,
) -> int:
    """Run every example of `page` in `folder` (with `extra` files beside the corpus ones);
    returns how many ran. `replace` swaps text in the commands before they run (a documented
    server URL for the test server's)."""
    examples, files = parse(page.read_text(encoding="utf-8"))
    prepare_folder(folder, files, extra)
    for example in examples:
        command = example.command
        for old, new in (replace or {}).items():
            command = command.replace(old, new)
        args, stdin = split(command, folder)
        result = run_cli(*args, stdin=stdin, cwd=folder)
        assert result.exception is None, f"{page.name}: `{example.command}`\n{result.traceback}"
        assert result.exit_code == 0, (
            f"{page.name}: `{example.command}` exited {result.exit_code}: {result.stderr}"
        )
        if example.exact:
            shown = "\n".join(example.expected).strip()
            assert result.stdout.strip() == shown, f"{page.name}: `{example.command}`:\n{result.stdout}"
    return len(examples)
