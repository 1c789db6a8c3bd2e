"""docs/fonts.md tells the truth: its command lines run, it names every shipped font file with
its true size, and the coverage figures it states are those of the committed files.

The `$ pixtok ...` lines of its ```console blocks run through `doc_examples.run_page` in a
temporary folder with the corpus copies and the files its named blocks define.
"""

from __future__ import annotations

import re
from pathlib import Path

from doc_examples import parse, run_page

from pixtok.render.fonts import BUNDLED, FONT_DIR

DOC = Path(__file__).resolve().parents[1] / "docs" / "fonts.md"


def test_every_documented_command_runs(run_cli, tmp_path: Path) -> None:
    assert run_page(DOC, run_cli, tmp_path) >= 5


def test_the_page_has_examples() -> None:
    examples, _ = parse(DOC.read_text(encoding="utf-8"))
    commands = " ".join(e.command for e in examples)
    assert "--no-system-fonts" in commands and "pixtok fonts" in commands


def test_every_shipped_file_is_listed_with_its_size() -> None:
    text = DOC.read_text(encoding="utf-8")
    for entry in BUNDLED:
        size = entry.path.stat().st_size
        (row,) = [line for line in text.splitlines() if line.startswith(f"| `{entry.file}` |")]
        assert f"| {size:,} |" in row, (entry.file, size)
    total = sum(p.stat().st_size for p in FONT_DIR.iterdir() if p.suffix in (".ttf", ".otf"))
    megabytes = re.search(r"The fonts take ([\d.]+) MB in total", text)
    assert megabytes and float(megabytes.group(1)) == round(total / 1e6, 1)


def test_python_examples_run() -> None:
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.S | re.M)
    assert blocks
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})
