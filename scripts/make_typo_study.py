"""The typo study in docs/typos.md: what one keyboard typo changes, in text tokens and in vision patches.

For an English and a Russian text of the test corpus, typos are drawn with `pixtok.typos.corrupt`
(keyboard kind, QWERTY for English, ЙЦУКЕН for Russian, rate 0.02 per letter, seed 0). Each typo is
applied alone to the original text and measured with `pixtok.typos.typo_report`: text tokens
changed (ids removed + ids added) per tokenizer, and patches whose pixels change on the page grid
(16 px) and on the views of two vision encoders. Rendering uses the glyph preset, once with
DejaVu Sans (proportional) and once with DejaVu Sans Mono (every glyph one advance wide).
A second table gives every typo kind on the English text.

Writes docs/images/typos/typo-study.png and the tables between the study markers of
docs/typos.md; prints the tables. Run from the repository root:

    python scripts/make_typo_study.py
"""

from __future__ import annotations

import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pixtok.io import write_bytes_atomic  # noqa: E402
from pixtok.measure.typos import KINDS, corrupt, typo_report  # noqa: E402
from pixtok.render.config import RenderConfig  # noqa: E402

CORPUS = REPO / "corpus"
DOC = REPO / "docs" / "typos.md"
FIGURE = REPO / "docs" / "images" / "typos" / "typo-study.png"
START, END = "<!-- typo-study:start -->", "<!-- typo-study:end -->"

TOKENIZERS = ("mistral-spm", "cl100k", "tekken")
ENCODERS = ("qwen2.5-vl", "deepseek-ocr-base")
RATE, SEED = 0.02, 0
FONTS = {"DejaVu Sans": (), "DejaVu Sans Mono": ("DejaVu Sans Mono",)}


@dataclass(frozen=True)
class Text:
    label: str
    file: str
    layout: str


TEXTS = (
    Text("English", "en_prose_debian-reference.txt", "qwerty"),
    Text("Russian", "ru_prose_debian-faq.txt", "jcuken"),
)


def measure(text: str, layout: str, kind: str, config: RenderConfig) -> tuple[dict[str, dict], dict]:
    corruption = corrupt(text, rate=RATE, kind=kind, layout=layout, seed=SEED)
    report = typo_report(corruption, tokenizers=TOKENIZERS, config=config, patch=16, encoders=ENCODERS)
    return {row["name"]: row for row in report.rows()}, report.header()


def grid_label(name: str) -> str:
    return "page, 16 px" if name == "page" else name


def main() -> None:
    glyph = RenderConfig.from_preset("glyph")
    results: list[tuple[str, str, dict[str, dict], dict]] = []
    for item in TEXTS:
        text = (CORPUS / item.file).read_text(encoding="utf-8")
        for font, fonts in FONTS.items():
            rows, header = measure(text, item.layout, "keyboard", glyph.replace(fonts=fonts))
            results.append((item.label, font, rows, header))

    grids = ("page", *ENCODERS)
    lines = [
        "| text | font | typos | "
        + " | ".join(f"tokens `{t}`" for t in TOKENIZERS)
        + " | "
        + " | ".join(f"patches `{grid_label(g)}`" for g in grids)
        + " |",
        "|---|---|--:|" + "--:|" * (len(TOKENIZERS) + len(grids)),
    ]
    for label, font, rows, header in results:
        cells = [f"{rows[t]['mean']:.2f} ({rows[t]['median']:g})" for t in TOKENIZERS] + [
            f"{rows[g]['mean']:.1f} ({rows[g]['median']:g})" for g in grids
        ]
        lines.append(f"| {label} | {font} | {header['measured']} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "Totals for scale (original text, glyph preset, DejaVu Sans): "
        + "; ".join(
            f"{label}: "
            + ", ".join(f"{rows[t]['total']} `{t}` tokens" for t in TOKENIZERS)
            + ", "
            + ", ".join(f"{rows[g]['total']} `{grid_label(g)}` patches" for g in grids)
            for label, font, rows, _ in results
            if font == "DejaVu Sans"
        )
        + "."
    )
    main_table = "\n".join(lines)

    english = (CORPUS / TEXTS[0].file).read_text(encoding="utf-8")
    kind_lines = [
        "| kind | typos | tokens `cl100k` | tokens `mistral-spm` "
        "| patches `page, 16 px` | patches `qwen2.5-vl` |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for kind in KINDS:
        rows, header = measure(english, "qwerty", kind, glyph)
        kind_lines.append(
            f"| {kind} | {header['measured']} | {rows['cl100k']['mean']:.2f} | "
            f"{rows['mistral-spm']['mean']:.2f} | {rows['page']['mean']:.1f} | "
            f"{rows['qwen2.5-vl']['mean']:.1f} |"
        )
    kind_table = "\n".join(kind_lines)

    write_bytes_atomic(FIGURE, figure(results, grids))
    section = (
        f"{START}\n\nChanged per keyboard typo, mean (median); rate {RATE}, seed {SEED}, glyph preset:\n\n"
        f"{main_table}\n\n"
        f"Every kind of typo on the English text (DejaVu Sans, glyph preset):\n\n{kind_table}\n\n"
        f"![Tokens and patches changed per keyboard typo](images/typos/{FIGURE.name})\n\n{END}"
    )
    doc = DOC.read_text(encoding="utf-8")
    if START not in doc or END not in doc:
        raise SystemExit(f"{DOC}: the markers {START} and {END} are missing")
    doc = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: section, doc, flags=re.S)
    write_bytes_atomic(DOC, doc.encode("utf-8"))
    print(main_table)
    print()
    print(kind_table)


def figure(results: list[tuple[str, str, dict[str, dict], dict]], grids: tuple[str, ...]) -> bytes:
    """Grouped bars: tokens changed per tokenizer and patches changed per grid, per text and font."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    measures = [("tokens", t) for t in TOKENIZERS] + [("patches", g) for g in grids]
    labels = [
        f"{name}\n(tokens)" if kind == "tokens" else f"{grid_label(name)}\n(patches)"
        for kind, name in measures
    ]
    fig, ax = plt.subplots(figsize=(10, 4.2), dpi=100)
    width = 0.8 / len(results)
    x = np.arange(len(measures))
    colours = ["#1f5fa8", "#7fb0e6", "#b3462f", "#eba48f"]
    for i, (label, font, rows, _) in enumerate(results):
        values = [rows[name]["mean"] for _, name in measures]
        ax.bar(
            x + (i - (len(results) - 1) / 2) * width,
            values,
            width,
            label=f"{label}, {font}",
            color=colours[i % len(colours)],
        )
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("changed per typo (mean)")
    ax.set_title("One keyboard typo: text tokens changed vs vision patches changed (glyph preset)")
    ax.axvline(len(TOKENIZERS) - 0.5, color="grey", linewidth=0.8)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


if __name__ == "__main__":
    main()
