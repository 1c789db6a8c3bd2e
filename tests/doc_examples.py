"""Run the examples of a Markdown page, the way a reader would: its shell lines and its Python.

The page's blocks run in order, in a scratch folder holding the corpus texts it names: the short
names the docs use (`en.txt`, `zh.txt`, ...), and any `corpus/NAME` path it mentions (as the
README's examples, which run from a clone, do), plus any file the page declares with a named
fence (```toml presets.toml).

- Every line starting with `$ pixtok` in a ```console block runs through the real CLI entry
  point. A command may be fed by `echo TEXT |`, `cat FILE |` or `< FILE`; output pipes (`| jq`)
  are dropped. Lines after a command, up to the next `$` line, are its expected output when the
  block is marked ```console exact (compared without leading and trailing blank space).
- Every ```python block runs as a script of its own (`python example.py` in a new interpreter,
  in the same folder, after the blocks above it), and must exit 0.

Other fences (```sh setup steps for a cluster, ```text output, ```toml files) are not run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO / "corpus"
#: Short names the docs use for corpus files.
CORPUS_FILES = {
    "en.txt": "en_prose_debian-reference.txt",
    "de.txt": "de_prose_debian-reference.txt",
    "fr.txt": "fr_prose_debian-reference.txt",
    "zh.txt": "zh-cn_prose_debian-reference.txt",
    "zh-tw.txt": "zh-tw_prose_debian-reference.txt",
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
_CORPUS_PATH = re.compile(r"corpus/([\w.-]+\.txt)")


@dataclass
class Example:
    command: str
    expected: list[str] = field(default_factory=list)
    exact: bool = False


@dataclass
class Script:
    """A ```python block, run as a script."""

    source: str
    number: int


def parse_steps(markdown: str) -> tuple[list[Example | Script], dict[str, str]]:
    """The page's runnable blocks in order (shell examples and Python scripts), and its files."""
    steps: list[Example | Script] = []
    files: dict[str, str] = {}
    for language, label, body in _FENCE.findall(markdown):
        if language == "python" and not label:
            steps.append(Script(body, sum(isinstance(s, Script) for s in steps) + 1))
            continue
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
                    steps.append(current)
            elif current is not None:
                current.expected.append(line)
    return steps, files


def parse(markdown: str) -> tuple[list[Example], dict[str, str]]:
    """The `$ pixtok` examples of a page and the files it declares."""
    steps, files = parse_steps(markdown)
    return [s for s in steps if isinstance(s, Example)], files


def prepare_folder(
    folder: Path, files: dict[str, str], extra: dict[str, bytes] | None = None, markdown: str = ""
) -> None:
    for short, name in CORPUS_FILES.items():
        shutil.copyfile(CORPUS_DIR / name, folder / short)
    for name in sorted(set(_CORPUS_PATH.findall(markdown))):
        if (CORPUS_DIR / name).is_file():  # a page may also name a corpus/ folder of its own
            (folder / "corpus").mkdir(exist_ok=True)
            shutil.copyfile(CORPUS_DIR / name, folder / "corpus" / name)
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
    words = shlex.split(stages[0], comments=True)
    if "<" in words:
        at = words.index("<")
        stdin, words = (folder / words[at + 1]).read_bytes(), words[:at]
    assert words[0] == "pixtok", command
    return words[1:], stdin


def run_script(page: Path, script: Script, folder: Path, replace: dict[str, str] | None = None) -> None:
    """Run one Python block as `python example-N.py` in `folder`, with this checkout's pixtok
    (and `replace` applied to its source, as to the shell lines)."""
    source = script.source
    for old, new in (replace or {}).items():
        source = source.replace(old, new)
    path = folder / f"{page.stem}-example-{script.number}.py"
    path.write_text(source, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, path.name],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{page.name}: Python example {script.number} failed:\n{done.stderr}"


def run_page(
    page: Path,
    run_cli,
    folder: Path,
    extra: dict[str, bytes] | None = None,
    replace: dict[str, str] | None = None,
) -> int:
    """Run every example of `page` in `folder` (with `extra` files beside the corpus ones), shell
    lines and Python blocks in page order; returns how many shell examples ran. `replace` swaps
    text in the commands and scripts before they run (a documented server URL for the test
    server's)."""
    markdown = page.read_text(encoding="utf-8")
    steps, files = parse_steps(markdown)
    prepare_folder(folder, files, extra, markdown)
    ran = 0
    for step in steps:
        if isinstance(step, Script):
            run_script(page, step, folder, replace)
            continue
        command = step.command
        for old, new in (replace or {}).items():
            command = command.replace(old, new)
        args, stdin = split(command, folder)
        result = run_cli(*args, stdin=stdin, cwd=folder)
        assert result.exception is None, f"{page.name}: `{step.command}`\n{result.traceback}"
        failed = f"{page.name}: `{step.command}` exited {result.exit_code}: {result.stderr}"
        assert result.exit_code == 0, failed
        if step.exact:
            shown = "\n".join(step.expected).strip()
            assert result.stdout.strip() == shown, f"{page.name}: `{step.command}`:\n{result.stdout}"
        ran += 1
    return ran
