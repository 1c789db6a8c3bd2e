"""Sweeps over render options, the Pareto front, fitting a token budget, and the commands."""

from __future__ import annotations

import json

import pytest

from pixtok import RenderConfig, UsageError
from pixtok.compare import CompareOptions
from pixtok.sweep import (
    Axis,
    SweepOptions,
    configurations,
    fit,
    pareto_front,
    parse_axis,
    plot_sweep,
    sweep,
    sweep_figure,
)


def excerpt(text: str, chars: int) -> str:
    cut = text[:chars]
    return cut[: max(cut.rfind(" "), chars // 2)]


def options(
    base: RenderConfig, *axes: str, ocr: bool = False, encoders=("deepseek-ocr-base",)
) -> SweepOptions:
    compare = CompareOptions(render=base, tokenizers=("cl100k",), encoders=tuple(encoders))
    return SweepOptions(compare=compare, axes=tuple(parse_axis(a) for a in axes), ocr=ocr)


def test_axes_parse_ranges_and_lists() -> None:
    assert parse_axis("size=8:16:2") == Axis("size", ("8", "10", "12", "14", "16"))
    assert parse_axis("size=8px:12px:2px").values == ("8px", "10px", "12px")
    assert parse_axis("size=9pt:10pt:0.5pt").values == ("9pt", "9.5pt", "10pt")
    assert parse_axis("dpi=72,96,120") == Axis("dpi", (72.0, 96.0, 120.0))
    fonts = parse_axis('font="DejaVu Sans","DejaVu Sans Mono"')
    assert fonts.field == "fonts" and fonts.values == (("DejaVu Sans",), ("DejaVu Sans Mono",))
    assert fonts.name == "font"
    assert parse_axis("margin=8px,16px;4px").values == ("8px,16px", "4px")
    assert parse_axis("line-height=1.0,1.2").field == "line_height"
    assert parse_axis("patch_size=14,16").values == (14, 16)


@pytest.mark.parametrize(
    "spec",
    ["size", "colour=1,2", "size=16:8:2", "size=8:16:0", "size=8px:16pt:2px", "patch_size=1.5", "size=a,,b"],
)
def test_bad_axes_are_usage_errors(spec: str) -> None:
    with pytest.raises(UsageError):
        parse_axis(spec)


def test_configurations_are_the_product_and_bad_ones_are_named() -> None:
    grid = configurations(RenderConfig(), [parse_axis("size=8,12"), parse_axis("page=512,1024")])
    assert [values for values, _ in grid] == [
        {"size": "8", "page": "512"},
        {"size": "8", "page": "1024"},
        {"size": "12", "page": "512"},
        {"size": "12", "page": "1024"},
    ]
    assert grid[1][1] == RenderConfig(size="8", page="1024")
    with pytest.raises(UsageError, match="margin=600px"):
        configurations(RenderConfig(page="512"), [parse_axis("margin=8px,600px")])
    with pytest.raises(UsageError):
        configurations(RenderConfig(), [parse_axis("size=1:3000:1")])


def test_pareto_front() -> None:
    points = [(1.0, 0.01), (2.0, 0.02), (2.0, 0.05), (3.0, 0.5), (0.5, 0.01), (None, 0.0), (4.0, None)]
    assert pareto_front(points) == [True, True, False, True, False, False, False]
    assert pareto_front([(1.0, 0.1), (1.0, 0.1)]) == [True, True]


def test_compression_falls_as_text_grows(corpus_text) -> None:
    text = corpus_text("en_prose")[:6000]
    report = sweep(text, options(RenderConfig.from_preset("page-1024", page="1024x1024"), "size=8:20:4"))
    records = report["records"]
    tokens = [r["vision"]["deepseek-ocr-base"]["tokens"] for r in records]
    assert tokens == sorted(tokens) and tokens[0] < tokens[-1]
    ratios = [r["compression_primary"] for r in records]
    assert ratios == sorted(ratios, reverse=True)
    assert all(r["compression_primary"] == r["compression"]["cl100k"]["deepseek-ocr-base"] for r in records)
    assert "pareto" not in records[0] and report["ocr"] is False


@pytest.mark.slow
def test_error_does_not_fall_as_text_shrinks(corpus_text, tmp_path) -> None:
    """Across a size sweep, smaller text never reads back clearly better than text half again as
    large (a 0.5 point allowance for single-error noise), and the smallest reads worst."""
    text = excerpt(corpus_text("en_prose"), 600)
    report = sweep(
        text, options(RenderConfig.from_preset("page-1024", page="768x320"), "size=5,7,10,15", ocr=True)
    )
    records = report["records"]
    sizes = [r["font_size_px"] for r in records]
    cer = [r["ocr"]["cer_nospace"] for r in records]
    for i, small in enumerate(sizes):
        for j, large in enumerate(sizes):
            if large >= 1.4 * small:
                assert cer[i] >= cer[j] - 0.005, (sizes, cer)
    assert cer[0] > cer[-1] and cer[0] > 0.02
    front = [r for r in records if r["pareto"]]
    assert front and all(r["ocr"]["cer"] <= records[0]["ocr"]["cer"] or r is records[0] for r in front)
    assert_legend_covers_no_point(report)
    out = tmp_path / "sweep.png"
    plot_sweep(report, str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = out.read_bytes()
    plot_sweep(report, str(out))
    assert out.read_bytes() == first


def assert_legend_covers_no_point(report: dict) -> None:
    """The plot's legend lies outside the axes (so over no point) and inside the figure."""
    import matplotlib.pyplot as plt

    figure = sweep_figure(report)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    (axes,) = figure.axes
    legend = axes.get_legend().get_window_extent(renderer)
    plot_area = axes.get_window_extent(renderer)
    assert legend.y0 >= plot_area.y1 and legend.overlaps(figure.bbox) and legend.y1 <= figure.bbox.y1
    points = axes.transData.transform(
        [(r["compression_primary"], 100 * (1 - r["ocr"]["cer"])) for r in report["records"]]
    )
    assert not any(legend.contains(x, y) for x, y in points)
    plt.close(figure)


def test_the_plot_legend_covers_no_point() -> None:
    # Points in every corner of the plot, where a legend inside the axes would have to sit on one.
    corners = [(1.0, 0.0), (1.0, 0.5), (4.0, 0.0), (4.0, 0.5), (2.5, 0.25)]
    records = [
        {"config": {"size": f"{i}px"}, "compression_primary": c, "ocr": {"cer": e}, "pareto": i % 2 == 0}
        for i, (c, e) in enumerate(corners)
    ]
    report = {
        "ocr": True,
        "primary": {"tokenizer": "cl100k", "encoder": "qwen2.5-vl", "metric": "cer"},
        "records": records,
    }
    assert_legend_covers_no_point(report)


def test_fit_says_when_nothing_fits(corpus_text) -> None:
    text = corpus_text("en_prose")
    report = fit(
        text, 10, "deepseek-ocr-base", options(RenderConfig.from_preset("page-1024", page="1024x1024"))
    )
    assert report["fits"] is False
    assert report["fewest_tokens"] > 10 and "size" in report["fewest_config"]


def test_fit_takes_the_largest_size_within_budget_without_ocr(corpus_text) -> None:
    text = corpus_text("en_prose")[:5000]
    base = options(RenderConfig.from_preset("page-1024", page="1024x1024"))
    report = fit(text, 512, "deepseek-ocr-base", base, candidates=1)
    assert report["fits"] and report["vision_tokens"] <= 512
    # One size larger no longer fits.
    size = report["font_size_px"]
    larger = fit(
        text,
        512,
        "deepseek-ocr-base",
        options(RenderConfig.from_preset("page-1024", page="1024x1024"), f"size={size + 1:g}"),
    )
    assert larger["fits"] is False
    assert report["record"]["vision"]["deepseek-ocr-base"]["tokens"] == report["vision_tokens"]


@pytest.mark.slow
def test_fit_with_ocr_reads_its_candidates(corpus_text) -> None:
    text = excerpt(corpus_text("en_prose"), 900)
    report = fit(
        text,
        256,
        "deepseek-ocr-base",
        options(RenderConfig.from_preset("page-1024", page="1024x512"), "size=6,8,12", ocr=True),
        candidates=2,
    )
    assert report["fits"] and len(report["ocr_tried"]) == 2
    best = min(t["cer"] for t in report["ocr_tried"])
    assert report["record"]["ocr"]["cer"] == best


def test_sweep_cli_outputs_and_errors(run_cli, tmp_path, corpus_text) -> None:
    source = tmp_path / "en.txt"
    source.write_text(corpus_text("en_prose")[:3000], encoding="utf-8")
    out = run_cli("sweep", source, "--vary", "size=8,12", "-t", "cl100k", "-e", "deepseek-ocr-base", "--csv")
    assert out.exit_code == 0, out.stderr
    header = out.stdout.splitlines()[0].split(",")
    assert "config.size" in header and "compression.cl100k.deepseek-ocr-base" in header
    assert len(out.stdout.splitlines()) == 3
    document = json.loads(run_cli("sweep", source, "--vary", "size=8,12", "--json").stdout)
    assert document["options"]["axes"] == {"size": ["8", "12"]} and len(document["records"]) == 2
    assert [r["config"] for r in document["records"]] == [{"size": "8"}, {"size": "12"}]
    assert run_cli("sweep", source, "--vary", "nope=1").exit_code == 2
    assert run_cli("sweep", source, "--plot", tmp_path / "x.png").exit_code == 2
    assert not (tmp_path / "x.png").exists()


def test_fit_cli(run_cli, tmp_path, corpus_text) -> None:
    source = tmp_path / "en.txt"
    source.write_text(corpus_text("en_prose"), encoding="utf-8")
    none = run_cli("fit", source, "--budget", "10", "-e", "deepseek-ocr-base", "--no-ocr")
    assert none.exit_code == 1 and none.exception is None
    assert none.error_lines[0].startswith("pixtok: error: nothing fits in 10 deepseek-ocr-base tokens")
    good = run_cli("fit", source, "--budget", "2000", "-e", "deepseek-ocr-base", "--no-ocr", "--json")
    assert good.exit_code == 0, good.stderr
    document = json.loads(good.stdout)
    (chosen,) = document["records"]
    assert document["total"]["fits"] and chosen["vision_tokens"] <= 2000
    assert chosen["vision"]["deepseek-ocr-base"]["tokens"] == chosen["vision_tokens"]
    assert run_cli("fit", source, "--budget", "100").exit_code == 2  # no encoder


@pytest.mark.parametrize(
    ("plot", "message"),
    [
        ("r.jsonl", "is both --plot and -o, and one would replace the other; write the plot elsewhere"),
        ("plots/", "ends in '/', which names a folder; name a file"),
        ("a.txt", "is also an input, which the output would replace; write it elsewhere"),
    ],
)
def test_sweep_refuses_a_plot_path_that_cannot_take_the_plot(
    run_cli, tmp_path, plot: str, message: str
) -> None:
    """The records replaced the plot written at the same path (exit 0), and `plots/` was
    written as a file named `plots`."""
    (tmp_path / "a.txt").write_text("Hello world\n", encoding="utf-8")
    result = run_cli(
        "sweep", "a.txt", "--vary", "size=8,10", "-t", "cl100k", "-e", "qwen2.5-vl", "--ocr",
        "--ocr-engine", "tesseract", "-o", "r.jsonl", "--plot", plot, cwd=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 2 and result.exception is None, result.stderr
    assert result.error_lines == [f"pixtok: error: {plot}: {message}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "Hello world\n"


#: What `pixtok ocr --ocr-engine tesseract --ocr-lang eng+` says, exit 2.
NOT_JOINED = "--ocr-lang must name Tesseract models joined by '+', such as eng or eng+rus, not 'eng+'"


@pytest.mark.parametrize(
    ("command", "lang", "message"),
    [
        ("sweep", "eng+", NOT_JOINED),
        ("sweep", "../../etc/passwd", "--ocr-lang '../../etc/passwd': give a script ("),
        ("fit", "eng+", NOT_JOINED),
    ],
)
def test_a_bad_ocr_language_is_a_usage_error_before_any_configuration(
    run_cli, tmp_path, command: str, lang: str, message: str
) -> None:
    """It was reported per configuration, after every one was rendered: `no configuration could
    be measured: --ocr-lang must ...`, exit 1."""
    (tmp_path / "a.txt").write_text("Hello world\n", encoding="utf-8")
    extra = ("--vary", "size=8,10", "--ocr") if command == "sweep" else ("--budget", "100")
    result = run_cli(
        command, tmp_path / "a.txt", *extra, "-t", "cl100k", "-e", "qwen2.5-vl",
        "--ocr-engine", "tesseract", "--ocr-lang", lang,
    )  # fmt: skip
    assert result.exit_code == 2 and result.exception is None, result.stderr
    assert len(result.error_lines) == 1 and result.error_lines[0].startswith(f"pixtok: error: {message}")
    assert result.stdout == ""
