"""Wrong calls are usage errors (exit 2, one line) before any record; wrong config values say which.

Config files with values of the wrong type, lengths with a sign, OCR options of compare, names
that fit and sweep resolve: each is checked when the call starts, so a corpus run never fails
every record alike for a mistake in the call.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pixtok import RenderConfig, render
from pixtok.errors import UsageError


def one_line(result, code: int) -> str:
    assert result.exception is None, result.traceback
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert len(result.error_lines) == 1 and result.error_lines[0].startswith("pixtok: error: "), result.stderr
    return result.error_lines[0]


@pytest.fixture
def texts(tmp_path: Path) -> list[Path]:
    paths = []
    for name, text in (("a.txt", "First text."), ("b.txt", "Second text.")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(tmp_path / name)
    return paths


WRONG_TYPES = [
    ("tab_size", "four", "'four'"),
    ("strip_height", 16.5, "strip_height must be a whole number"),
    ("fonts", 5, "fonts must be a font name or a list of them"),
    ("hscale", "wide", "hscale must be a number"),
    ("fallback", "yes", "fallback must be true or false"),
    ("size", None, "size must be text, a number or a list"),
    ("layout", 3, "layout must be text"),
]


@pytest.mark.parametrize(
    ("option", "value", "fragment", "kind"),
    [
        (*case, kind)
        for case in WRONG_TYPES
        for kind in ("toml", "json")
        if case[1] is not None or kind == "json"
    ],
)
def test_config_values_of_the_wrong_type(
    run_cli, texts, tmp_path: Path, option, value, fragment, kind
) -> None:
    config = tmp_path / f"bad.{kind}"
    if kind == "json":
        config.write_text(json.dumps({option: value}), encoding="utf-8")
    else:
        config.write_text(f"{option} = {json.dumps(value)}\n", encoding="utf-8")
    result = run_cli("render", texts[0], "--config", config, "-o", tmp_path / "out.png")
    assert fragment in one_line(result, 2)
    assert not (tmp_path / "out.png").exists()
    with pytest.raises(UsageError, match=fragment):
        RenderConfig.from_dict({option: value})


def test_letter_spacing_takes_a_sign_down_to_minus_the_size(run_cli, texts, tmp_path: Path) -> None:
    config = RenderConfig(letter_spacing="-5px")
    assert config.geometry().letter_spacing == -5.0
    narrow = render("spacing", config).pages[0]
    wide = render("spacing", RenderConfig()).pages[0]
    assert narrow.shape == wide.shape and not (narrow == wide).all()
    for flag in (["--letter-spacing=-5px"], ["--letter-spacing", "-5px"], ["--letter-spacing=-16px"]):
        out = tmp_path / "ls.png"
        result = run_cli("render", texts[0], *flag, "-o", out)
        assert result.exit_code == 0, result.stderr
    assert "--letter-spacing" in one_line(run_cli("render", texts[0], "--letter-spacing=-17px"), 2)
    for flag, value in (("--margin", "-1px"), ("--size", "-3px"), ("--indent", "-2px")):
        assert flag in one_line(run_cli("render", texts[0], f"{flag}={value}", "-o", out), 2)


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--ocr-engine", "bogus"], "unknown OCR engine 'bogus'"),
        (["--max-pages", "-1"], "--max-pages must be at least 1"),
        (["--max-pages", "0"], "--max-pages must be at least 1"),
    ],
)
def test_compare_ocr_options_are_usage_errors_before_any_record(
    run_cli, texts, tmp_path, flags, fragment
) -> None:
    out = tmp_path / "records.jsonl"
    result = run_cli("compare", *texts, "--ocr", *flags, "-o", out, "-q")
    assert fragment in one_line(result, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]  # no output, no journal


def test_fit_and_sweep_name_an_unknown_encoder(run_cli, texts) -> None:
    fit = run_cli("fit", texts[0], "-e", "bogus", "--budget", "100", "--no-ocr")
    assert "unknown encoder 'bogus'" in one_line(fit, 2)
    sweep = run_cli("sweep", texts[0], "-e", "bogus", "--vary", "size=8,9")
    assert "unknown encoder 'bogus'" in one_line(sweep, 2)
    tokenizer = run_cli("sweep", texts[0], "-t", "bogus", "--vary", "size=8,9")
    assert "bogus" in one_line(tokenizer, 2)
    ocr = run_cli("sweep", texts[0], "--ocr", "--ocr-engine", "bogus", "--vary", "size=8,9")
    assert "unknown OCR engine" in one_line(ocr, 2)


def test_fit_still_says_when_nothing_fits(run_cli, texts) -> None:
    result = run_cli("fit", texts[0], "-e", "qwen2.5-vl", "--budget", "1", "--no-ocr")
    assert "nothing fits in 1 qwen2.5-vl tokens" in one_line(result, 1)
