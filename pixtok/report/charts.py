"""The report's charts: matplotlib figures saved as SVG and inlined, each with a table beside it
in the page (the numbers a chart shows are always also text).

SVGs are made reproducible (no date, a fixed hash salt, text kept as text rather than glyph
outlines) and their ids are prefixed per chart so that several can share one HTML page. Every
chart is readable without colour: bars carry hatching and value labels, the heat map prints its
values in the cells, and the Pareto front is a line with its own marker shape. Points of a sweep
carry an SVG <title>, which browsers show on hover.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from pixtok.errors import MissingDependencyError

SVG_NS = "http://www.w3.org/2000/svg"
_ID = re.compile(r'(id="|url\(#|href="#)')
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError(
            "the report's charts need matplotlib: pip install 'pixtok[plot]'"
        ) from None
    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "pixtok-report",
            "svg.fonttype": "none",
            "font.size": 9,
            "font.family": "sans-serif",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def _svg(figure: Any, prefix: str, titles: Mapping[str, str] | None = None) -> str:
    """The figure as an inline SVG element: reproducible, ids prefixed, `<title>`s added to the
    elements whose gid is a key of `titles`."""
    plt = _pyplot()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(figure)
    text = buffer.getvalue()
    text = _METADATA.sub("", text[text.index("<svg") :])
    if titles:
        ET.register_namespace("", SVG_NS)
        ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
        root = ET.fromstring(text)
        for element in root.iter(f"{{{SVG_NS}}}g"):
            title = titles.get(element.get("id", ""))
            if title is not None:
                node = ET.Element(f"{{{SVG_NS}}}title")
                node.text = title
                element.insert(0, node)
        text = ET.tostring(root, encoding="unicode")
    return _ID.sub(lambda m: m.group(1) + prefix + "-", text)


def bar_chart(
    prefix: str, title: str, groups: Sequence[tuple[str, Mapping[str, float | int]]], unit: str
) -> str:
    """Horizontal bars, one block per group (e.g. text tokens per tokenizer, vision tokens per
    encoder), each bar hatched by group and labelled with its value."""
    plt = _pyplot()
    labels: list[str] = []
    values: list[float] = []
    hatches: list[str] = []
    patterns = ("", "///", "...", "xx")
    for index, (_, items) in enumerate(groups):
        for name, value in items.items():
            labels.append(name)
            values.append(float(value or 0))
            hatches.append(patterns[index % len(patterns)])
    figure, axes = plt.subplots(figsize=(6.0, 0.32 * len(labels) + 0.9), dpi=100)
    positions = list(range(len(labels)))[::-1]
    bars = axes.barh(positions, values, color="#d9d9d9", edgecolor="#333333", linewidth=0.8)
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
    axes.set_yticks(positions, labels)
    for position, value in zip(positions, values, strict=True):
        axes.annotate(
            f"{value:,.0f}", (value, position), xytext=(3, 0), textcoords="offset points", va="center"
        )
    axes.set_xlabel(unit)
    axes.set_title(title, loc="left", fontsize=10)
    axes.margins(x=0.15)
    figure.tight_layout()
    return _svg(figure, prefix)


def heat_map(prefix: str, title: str, matrix: Mapping[str, Mapping[str, float | None]], label: str) -> str:
    """A tokenizer × encoder grid of values (compression), printed in every cell."""
    plt = _pyplot()
    import numpy as np

    rows = list(matrix)
    cols = list(next(iter(matrix.values()), {}))
    data = np.array([[np.nan if matrix[r][c] is None else float(matrix[r][c]) for c in cols] for r in rows])
    figure, axes = plt.subplots(figsize=(1.3 * len(cols) + 2.2, 0.5 * len(rows) + 1.6), dpi=100)
    image = axes.imshow(data, cmap="Greys", aspect="auto", vmin=0, vmax=max(np.nanmax(data), 1.0) * 1.6)
    axes.set_xticks(range(len(cols)), cols, rotation=20, ha="right")
    axes.set_yticks(range(len(rows)), rows)
    for i in range(len(rows)):
        for j in range(len(cols)):
            value = data[i, j]
            axes.text(
                j, i, "–" if np.isnan(value) else f"{value:.2f}×", ha="center", va="center", fontsize=10
            )
    figure.colorbar(image, ax=axes, label=label, shrink=0.8)
    axes.set_title(title, loc="left", fontsize=10)
    figure.tight_layout()
    return _svg(figure, prefix)


def sweep_chart(
    prefix: str,
    title: str,
    points: Sequence[Mapping[str, Any]],
    metric: str | None,
    pair: str,
) -> str:
    """Compression against the OCR error metric, one point per setting (hover: the setting),
    the Pareto front joined by a line. Without OCR, compression per setting."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    titles: dict[str, str] = {}
    if metric is not None:
        front = sorted(
            ((p["compression"], p["error"]) for p in points if p.get("pareto")), key=lambda xy: xy[0]
        )
        if front:
            axes.plot(*zip(*front, strict=True), color="#222222", linewidth=1.2, linestyle="--", zorder=1,
                      label="Pareto front")  # fmt: skip
        for index, point in enumerate(points):
            if point.get("compression") is None or point.get("error") is None:
                continue
            marker = "D" if point.get("pareto") else "o"
            (line,) = axes.plot(
                [point["compression"]], [point["error"]], marker=marker, markersize=7,
                color="#222222" if point.get("pareto") else "#999999", linestyle="none", zorder=2,
            )  # fmt: skip
            line.set_gid(f"point{index}")
            titles[f"point{index}"] = (
                f"{point['label']}: compression {point['compression']:.3g}×, {metric} {point['error']:.3g}"
            )
            axes.annotate(point["label"], (point["compression"], point["error"]), fontsize=7,
                          xytext=(4, 4), textcoords="offset points")  # fmt: skip
        axes.set_ylabel(f"OCR {metric} (lower is better)")
        axes.set_xlabel(f"compression {pair} (higher is better)")
        if front:
            axes.legend(loc="upper left", frameon=False)
    else:
        labels = [p["label"] for p in points]
        values = [p.get("compression") or 0.0 for p in points]
        bars = axes.bar(range(len(values)), values, color="#d9d9d9", edgecolor="#333333", hatch="///")
        for index, bar in enumerate(bars):
            bar.set_gid(f"point{index}")
            titles[f"point{index}"] = f"{labels[index]}: compression {values[index]:.3g}×"
        axes.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize=7)
        axes.set_ylabel(f"compression {pair}")
    axes.set_title(title, loc="left", fontsize=10)
    figure.tight_layout()
    return _svg(figure, prefix, titles)
