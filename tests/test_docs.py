"""Every example of README.md and docs/ runs as written, from a clone (`doc_examples.run_page`).

Most pages are run by the tests of what they document (test_compare.py runs docs/compare.md,
and so on); this file runs the others and checks that no page is left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from doc_examples import parse_steps, run_page

REPO = Path(__file__).resolve().parents[1]
#: Pages whose examples the tests of their subject run (test file → page).
RUN_ELSEWHERE = {
    "test_compare.py": "docs/compare.md",
    "test_parallel.py": "docs/corpus.md",
    "test_legibility.py": "docs/legibility.md",
    "test_render_docs.py": "docs/rendering.md",
    "test_typos.py": "docs/typos.md",
    "test_cli_tokens.py": "docs/tokenizers.md",
    "test_cli_patchify.py": "docs/patches.md",
    "test_font_docs.py": "docs/fonts.md",
    "test_limits_docs.py": "docs/limits.md",
    "test_study.py": "docs/study.md",
    "test_vlm.py": "docs/vlm.md",
    "test_report_docs.py": "docs/report.md",
}
RUN_HERE = ["README.md", "docs/density.md", "docs/conventions.md"]
#: Pages with nothing to run: their blocks are benchmark commands (run by hand, minutes each,
#: their figures in the page) or file listings.
NOTHING_TO_RUN = ["docs/performance.md", "docs/dependencies.md"]


@pytest.mark.parametrize("page", RUN_HERE)
def test_examples_run_as_written(run_cli, tmp_path: Path, page: str) -> None:
    steps, _ = parse_steps((REPO / page).read_text(encoding="utf-8"))
    assert steps, f"{page} has no example to run"
    run_page(REPO / page, run_cli, tmp_path)


def test_every_page_is_run_somewhere() -> None:
    pages = {"README.md", *(f"docs/{p.name}" for p in (REPO / "docs").glob("*.md"))}
    covered = {*RUN_ELSEWHERE.values(), *RUN_HERE, *NOTHING_TO_RUN, "docs/encoders.md"}
    assert pages == covered
    for test, page in RUN_ELSEWHERE.items():
        assert page.split("/")[-1] in (REPO / "tests" / test).read_text(encoding="utf-8"), (test, page)
    for page in NOTHING_TO_RUN:
        steps, _ = parse_steps((REPO / page).read_text(encoding="utf-8"))
        assert not steps, f"{page} has examples: run them"
