"""Bad input through the library and the command line: pixtok's own error, one clear line.

Each call here used to escape as a raw Python error (OverflowError, TypeError, AttributeError,
KeyError, a numpy ValueError) or to say something misleading. Through the library it must raise
`UsageError` (a wrong option or argument) or `InputError` (unusable data) with a message naming
the option or field and what is accepted; through the CLI it must be one `pixtok: error:` line
on stderr with the matching exit code (2 for usage, 1 for data), never a traceback.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

import pixtok
from pixtok import limits
from pixtok.compare import CompareOptions, Comparer, compare_text, record_problem, summarize
from pixtok.errors import InputError, UsageError
from pixtok.patches import grid_shape, patchify
from pixtok.render.config import RenderConfig, length_to_px
from pixtok.report.records import read_records_file
from pixtok.sweep import parse_axis

HUGE = int("1" * 400)  # a whole number no float holds


def one_error_line(result, code: int) -> str:
    """The single `pixtok: error:` line of a refused call (no traceback, the exit code given)."""
    assert result.exception is None, result.traceback
    assert "Traceback" not in result.stderr, result.stderr
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert len(result.error_lines) == 1 and result.error_lines[0].startswith("pixtok: error: "), result.stderr
    return result.error_lines[0]


# -- 1. line height: a pitch of less than a pixel is refused, not an overflow ----------------------


@pytest.mark.parametrize("value", [1e-20, 1e-9, "1e-300", "0.5px", "1e-20px", 1e5, "9000px"])
def test_a_line_height_out_of_range_is_a_usage_error(value) -> None:
    with pytest.raises(UsageError, match=r"--line-height: lines must be 1 to 8192 px apart"):
        pixtok.render("a\nb", line_height=value)


def test_line_heights_at_the_ends_of_the_range_render() -> None:
    assert RenderConfig(line_height="1px").geometry().line_height == 1
    assert RenderConfig(line_height="8192px").geometry().line_height == 8192
    assert pixtok.render("a\nb", line_height="1px").page_count == 1


def test_a_config_file_with_a_vanishing_line_height_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tiny.json"
    path.write_text('{"line_height": 1e-300}', encoding="utf-8")
    with pytest.raises(UsageError, match="--line-height"):
        RenderConfig.from_file(path)


def test_cli_refuses_a_tiny_line_height(run_cli, tmp_path: Path) -> None:
    line = one_error_line(run_cli("render", "a\nb", "--line-height", "1e-20", cwd=tmp_path), 2)
    assert "--line-height" in line and "1 to 8192 px" in line


# -- 2. numbers too large for a float, or for str() ---------------------------------------------


def test_a_huge_hscale_is_a_usage_error_naming_the_range() -> None:
    with pytest.raises(UsageError, match=r"hscale must be between 0\.1 and 10"):
        pixtok.render("hi", hscale=10**400)
    with pytest.raises(UsageError, match=r"hscale must be between 0\.1 and 10"):
        RenderConfig.from_dict({"hscale": HUGE})
    with pytest.raises(UsageError, match=r"--hscale: horizontal scale must be between 0\.1 and 10"):
        RenderConfig(hscale=1e300)


def test_a_size_of_5000_digits_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"size must be a font size between 1 and 2048 px.*5001 digits"):
        pixtok.render("hi", size=10**5000)


@pytest.mark.parametrize(
    ("option", "value", "phrase"),
    [
        ("tab_size", 10**5000, "between 1 and 64 spaces"),
        ("tab_size", "9" * 5000, "between 1 and 64 spaces"),
        ("fallback", 10**5000, "true or false"),
        ("margin", 10**30, "below 2**63"),
        ("dpi", 10**400, "between 1 and 2400"),
        ("patch_size", 10**400, "between 1 and 1024 px"),
        ("size", "1e400px", "too large a length"),
        ("page", "1e9", "at most 16,777,216 px"),
    ],
    ids=["tab-size-int", "tab-size-digits", "fallback", "margin", "dpi", "patch-size", "size", "page"],
)
def test_out_of_range_numbers_in_any_option_are_usage_errors(option: str, value, phrase: str) -> None:
    with pytest.raises(UsageError) as caught:
        RenderConfig(**{option: value})
    assert phrase in str(caught.value) and len(str(caught.value)) < 300


def test_cli_config_file_with_a_400_digit_hscale(run_cli, tmp_path: Path) -> None:
    (tmp_path / "wide.json").write_text(f'{{"hscale": {HUGE}}}', encoding="utf-8")
    line = one_error_line(run_cli("render", "hi", "--config", "wide.json", cwd=tmp_path), 2)
    assert "hscale" in line and "0.1 and 10" in line


# -- 3. exponents in lengths and sweep ranges ---------------------------------------------------


@pytest.mark.parametrize(("value", "px"), [("1e1", 10), ("1E1px", 10), ("2.5e-1in", 18), ("+1.5e+1pt", 15)])
def test_lengths_in_scientific_notation(value: str, px: float) -> None:
    assert length_to_px(value, 72) == pytest.approx(px)


def test_size_in_scientific_notation_is_range_checked() -> None:
    assert RenderConfig(size="1e1").geometry().size == 10
    with pytest.raises(UsageError, match="--size: font size must be between 1 and 2048 px"):
        RenderConfig.from_dict({"size": 1e-300})


def test_cli_size_1e1_renders(run_cli, tmp_path: Path) -> None:
    result = run_cli("render", "hi", "--size", "1e1", "--json", "-o", "page.png", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["records"][0]["font_size_px"] == 10


def test_sweep_ranges_take_exponents_and_say_what_is_wrong() -> None:
    assert parse_axis("size=1e1:2e1:5").values == ("10", "15", "20")
    with pytest.raises(UsageError, match="the step must be positive"):
        parse_axis("size=8:16:-1")
    with pytest.raises(UsageError, match="more than 2000 values"):
        parse_axis("size=8:16:1e-9999999")


def test_cli_vary_with_a_negative_step(run_cli, tmp_path: Path) -> None:
    line = one_error_line(run_cli("sweep", "hi", "--vary", "size=8:16:-1", cwd=tmp_path), 2)
    assert "step must be positive" in line


# -- 4. limits far past any input --------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    ["9223372036854775807", "99999999999999999999999999TiB", "9" * 5000],
    ids=["maxsize", "TiB", "digits"],
)
def test_a_limit_past_the_ceiling_is_the_ceiling(amount: str) -> None:
    assert limits.parse_limits([f"input={amount}"]).input_bytes == limits.MAX_LIMIT
    assert limits.Limits(input_bytes=2**70).input_bytes == limits.MAX_LIMIT


def test_amounts_are_exact() -> None:
    assert limits.parse_amount("1.5G") == 1_500_000_000
    assert limits.parse_amount("12345678901234567") == 12345678901234567  # no float rounding
    assert limits.parse_amount("0.5KiB") == 512


class _Recording(io.BytesIO):
    """A stream that remembers how many bytes each read asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(size if size is not None else -1)
        return super().read(size)


def test_a_raised_input_limit_reads_a_small_input_without_asking_for_the_limit() -> None:
    stream = _Recording(b"hello")
    with limits.using(input_bytes=limits.MAX_LIMIT):
        assert limits.read_bounded(stream) == b"hello"
    assert max(stream.asked) <= 1 << 30


def test_cli_huge_input_limits_are_no_limit(run_cli, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("hi\n", encoding="utf-8")
    result = run_cli(
        "--limit", "input=9223372036854775807", "render", "f.txt", "-o", "page.png", "--json", cwd=tmp_path
    )
    assert result.exception is None and result.exit_code == 0, result.stderr
    result = run_cli("--limit", "input=99999999999999999999999999TiB", "tokens", "hi", "--json", cwd=tmp_path)
    assert result.exception is None and result.exit_code == 0, result.stderr


# -- 5. the Python API --------------------------------------------------------------------------


def test_unknown_options_are_usage_errors_everywhere() -> None:
    for call in (
        lambda: pixtok.render("hi", bogus=1),
        lambda: RenderConfig().replace(bogus=1),
        lambda: RenderConfig(bogus=1),
        lambda: RenderConfig.from_dict({"bogus": 1}),
    ):
        with pytest.raises(UsageError, match=r"unknown render option\(s\) bogus; valid: .*line_height"):
            call()


@pytest.mark.parametrize(
    ("values", "phrase"), [(None, "mapping"), ([], "mapping"), ({1: 2}, "names must be text")]
)
def test_from_dict_wants_a_mapping_of_names(values, phrase: str) -> None:
    with pytest.raises(UsageError, match=phrase):
        RenderConfig.from_dict(values)


def test_from_preset_wants_a_name() -> None:
    with pytest.raises(UsageError, match="render preset is named by text"):
        RenderConfig.from_preset(None)


def test_numpy_numbers_are_numbers() -> None:
    config = RenderConfig(dpi=np.int64(72), hscale=np.float32(0.5), strip_height=np.int32(8))
    assert (config.dpi, config.hscale, config.strip_height) == (72, 0.5, 8)
    assert type(config.dpi) is int and type(config.strip_height) is int
    assert pixtok.render("hi", dpi=np.int64(72)).page_count == 1
    assert CompareOptions(patch=np.int64(14)).patch == 14


@pytest.mark.parametrize("text", [None, b"bytes", 5])
def test_compare_text_wants_a_str(text) -> None:
    with pytest.raises(UsageError, match=r"expected text \(a str\)"):
        compare_text(text)


def test_one_tokenizer_name_is_one_name() -> None:
    options = CompareOptions(tokenizers="cl100k", encoders="qwen2.5-vl,glm-4.1v")
    assert options.tokenizers == ("cl100k",) and options.encoders == ("qwen2.5-vl", "glm-4.1v")
    assert CompareOptions(tokenizers=["cl100k"]).tokenizers == ("cl100k",)  # hashable again
    assert Comparer(CompareOptions(tokenizers="cl100k", encoders=())).tokenizers.keys() == {"cl100k"}


@pytest.mark.parametrize(
    ("options", "phrase"),
    [
        ({"patch": "16"}, "--patch must be a whole number of pixels from 1 to 1024"),
        ({"patch": None}, "--patch must be a whole number of pixels from 1 to 1024"),
        ({"patch": 10**400}, "--patch must be a whole number of pixels from 1 to 1024"),
        ({"render": {}}, "render must be a RenderConfig"),
        ({"tokenizers": [1]}, "tokenizers must be names"),
        ({"encoders": 5}, "encoders must be a name"),
        ({"density": "yes"}, "density must be true or false"),
    ],
)
def test_compare_options_of_the_wrong_type(options: dict, phrase: str) -> None:
    with pytest.raises(UsageError, match=phrase):
        CompareOptions(**options)


def test_compare_options_none_is_the_default() -> None:
    assert CompareOptions(render=None) == CompareOptions()
    assert CompareOptions(tokenizers=None, encoders=None) == CompareOptions()


def test_a_stride_past_the_page_is_one_patch() -> None:
    page = np.full((40, 40), 255, dtype=np.uint8)
    page[3, 3] = 0
    grid = patchify(page, 8, stride=2**70)
    assert (grid.rows, grid.cols, grid.nonblank_count) == (1, 1, 1)
    assert grid.patches.shape == (1, 1, 8, 8)
    # A patch that would start past the edge is not counted (it would hold only padding).
    assert grid_shape(40, 40, 8, stride=30) == (2, 2)
    assert grid_shape(40, 40, 8, stride=4) == (9, 9) and grid_shape(41, 41, 8) == (6, 6)


def test_summarize_names_the_record_and_the_field() -> None:
    with pytest.raises(InputError, match="record 1: chars is missing"):
        summarize([{}])
    good = Comparer(CompareOptions(tokenizers=("cl100k",), encoders=("qwen2.5-vl",))).measure(
        "Some text.", "a"
    )
    with pytest.raises(InputError, match=r"record 2: chars must be a whole number >= 0, not inf"):
        summarize([good, {**good, "chars": float("inf")}])
    with pytest.raises(InputError, match=r"record 2: tokens\.cl100k is missing"):
        summarize([good, {**good, "tokens": {}}])
    assert record_problem(good) is None and summarize([good, good])["chars"] == 2 * good["chars"]


# -- 6. records files with missing or mistyped fields -----------------------------------------


BAD_RECORDS = {
    "missing-chars": (
        {"input": "x", "tokens": {"a": "b"}, "vision": {"q": {"tokens": "z"}}},
        "chars is missing",
    ),
    "vision-null": (
        {"input": "x", "chars": "a", "tokens": {"a": None}, "vision": None},
        "chars must be a whole number >= 0, not 'a'",
    ),
    "chars-infinite": ('{"input": "x", "chars": 1e400, "tokens": {"a": 1}, "vision": {}}', "not inf"),
}


@pytest.mark.parametrize("kind", list(BAD_RECORDS))
def test_report_lists_a_bad_record_as_failed(run_cli, tmp_path: Path, kind: str) -> None:
    row, phrase = BAD_RECORDS[kind]
    text = row if isinstance(row, str) else json.dumps(row)
    (tmp_path / "rec.json").write_text('{"records": [' + text + "]}", encoding="utf-8")
    line = one_error_line(run_cli("report", "rec.json", "-o", "r.html", cwd=tmp_path), 1)
    assert "1 of 1 records failed" in line and "rec.json: record 1: " in line and phrase in line
    assert (tmp_path / "r.html").is_file()


def test_report_keeps_the_good_records_of_a_file_with_bad_ones(run_cli, tmp_path: Path) -> None:
    good = Comparer(CompareOptions(tokenizers=("cl100k",), encoders=("qwen2.5-vl",))).measure(
        "Some text.", "good"
    )
    rows = [
        json.dumps(good),
        json.dumps(
            {
                **good,
                "input": "bad",
                "vision": {"qwen2.5-vl": {**good["vision"]["qwen2.5-vl"], "tiles": None}},
            }
        ),
        json.dumps({**good, "input": "other", "tokens": {"o200k": 3}}),
        json.dumps({**good, "input": "good2"}),
    ]
    (tmp_path / "rec.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    loaded = read_records_file(str(tmp_path / "rec.jsonl"))
    assert ["error" in r for r in loaded.records] == [False, True, True, False]
    assert (
        "line 2: vision.qwen2.5-vl.tiles must be a whole number >= 0, not None" in loaded.records[1]["error"]
    )
    assert "line 3: tokens.cl100k is missing" in loaded.records[2]["error"]
    line = one_error_line(run_cli("report", "rec.jsonl", "-o", "r.html", cwd=tmp_path), 1)
    assert "2 of 4 records failed (first: bad: " in line
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'data-input="good2"' in html or "good2" in html


def test_a_bad_stored_total_makes_the_file_unusable(run_cli, tmp_path: Path) -> None:
    good = Comparer(CompareOptions(tokenizers=("cl100k",), encoders=("qwen2.5-vl",))).measure(
        "Some text.", "good"
    )
    document = {"records": [good], "total": {**summarize([good]), "pages": "many"}}
    (tmp_path / "rec.json").write_text(json.dumps(document), encoding="utf-8")
    line = one_error_line(run_cli("report", "rec.json", "-o", "r.html", cwd=tmp_path), 1)
    assert "the total" in line and "pages must be a whole number" in line
