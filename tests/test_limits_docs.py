"""docs/limits.md tells the truth: its commands run, its refusals are the lines pixtok prints,
and its table names every limit with the default pixtok has.

```console blocks run through `doc_examples.run_page`; each `$ pixtok ...` line of a ```shell
block must fail with exactly the `pixtok: error:` line that follows it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from doc_examples import parse, run_page

from pixtok import limits

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "limits.md"
_SHELL = re.compile(r"^```shell\n(.*?)^```", re.S | re.M)


def refusals() -> list[tuple[str, str]]:
    """(command, expected error line) pairs of the page's ```shell blocks."""
    pairs = []
    for block in _SHELL.findall(DOC.read_text(encoding="utf-8")):
        lines = block.strip().splitlines()
        pairs.extend(zip(lines[::2], lines[1::2], strict=True))
    return pairs


def test_the_page_runs_and_its_refusals_are_what_pixtok_says(run_cli, tmp_path: Path) -> None:
    assert run_page(DOC, run_cli, tmp_path) >= 3
    pairs = refusals()
    assert len(pairs) >= 2
    for command, expected in pairs:
        assert command.startswith("$ pixtok "), command
        result = run_cli(*shlex.split(command[2:])[1:], cwd=tmp_path)
        assert result.exception is None, result.traceback
        assert result.exit_code != 0 and result.error_lines == [expected], (command, result.stderr)


def test_every_limit_is_in_the_table_with_its_default() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z-]+)` \|[^|]*\| ([^|]+) \|", text, re.M)}
    assert set(rows) == set(limits.FLAG_NAMES)
    defaults = limits.Limits()
    assert rows["input"].strip() == f"{defaults.input_bytes >> 20} MiB"
    assert rows["line"].strip() == f"{defaults.line_chars:,}"
    assert rows["page-pixels"].startswith(f"{defaults.page_pixels:,}")
    assert rows["image-pixels"].strip() == f"{defaults.image_pixels:,}"
    assert rows["json-depth"].strip() == str(defaults.json_depth)


def test_the_readme_links_the_page() -> None:
    assert "[docs/limits.md](docs/limits.md)" in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_page_has_console_examples() -> None:
    examples, _ = parse(DOC.read_text(encoding="utf-8"))
    assert any("--limit" in example.command for example in examples)
