"""Typos: deterministic corruption, per-edit measurement, the two commands, and the docs' examples."""

from __future__ import annotations

import json
from pathlib import Path

import doc_examples
import pytest

from pixtok.errors import UsageError
from pixtok.measure.distance import pixel_distance, token_distance
from pixtok.measure.keyboards import get_layout
from pixtok.measure.typos import KINDS, Edit, EditMeter, apply_edits, corrupt, pick_edits, typo_report
from pixtok.render.config import RenderConfig
from pixtok.tokenizers import get_tokenizer

REPO = Path(__file__).resolve().parents[1]
TEXT = "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!"


def test_same_seed_same_typos_other_seed_other_typos() -> None:
    for kind in KINDS:
        first = corrupt(TEXT, rate=0.2, kind=kind, seed=11)
        again = corrupt(TEXT, rate=0.2, kind=kind, seed=11)
        other = corrupt(TEXT, rate=0.2, kind=kind, seed=12)
        assert first == again
        assert first.text != TEXT and other.text != first.text, kind


def test_rate_zero_changes_nothing_and_edits_rebuild_the_text() -> None:
    assert corrupt(TEXT, rate=0.0, seed=3).text == TEXT
    for kind in KINDS:
        result = corrupt(TEXT, rate=0.3, kind=kind, seed=5)
        assert apply_edits(TEXT, result.edits) == result.text
        positions = [e.position for e in result.edits]
        assert positions == sorted(positions)
        assert all(a.end <= b.position for a, b in zip(result.edits, result.edits[1:], strict=False))


def test_keyboard_typos_hit_a_neighbouring_key_on_the_same_layer() -> None:
    qwerty = get_layout("qwerty")
    result = corrupt(TEXT, rate=1.0, kind="keyboard", seed=0)
    letters = sum(c.isalpha() for c in TEXT)
    assert result.eligible == letters and len(result.edits) == letters
    for edit in result.edits:
        assert edit.before.isalpha()
        assert edit.after in qwerty.neighbours(edit.before)
        assert qwerty.position(edit.after).shifted == qwerty.position(edit.before).shifted
    # Only letters change: every other character stays where it was.
    assert len(result.text) == len(TEXT)
    assert all(new == old for old, new in zip(TEXT, result.text, strict=True) if not old.isalpha())


def test_keyboard_typos_follow_the_layout_and_skip_letters_it_lacks() -> None:
    russian = "Съешь же ещё этих мягких французских булок, да выпей чаю."
    assert corrupt(russian, rate=1.0, kind="keyboard", layout="qwerty").edits == ()
    result = corrupt(russian, rate=0.5, kind="keyboard", layout="jcuken", seed=2)
    jcuken = get_layout("jcuken")
    assert result.edits and all(e.after in jcuken.neighbours(e.before) for e in result.edits)


def test_substitute_and_insert_keep_script_and_case() -> None:
    mixed = "Привет World, как дела? Fine THANKS"
    for kind in ("substitute", "insert"):
        for edit in corrupt(mixed, rate=1.0, kind=kind, seed=4).edits:
            neighbour = edit.before or mixed[edit.position]
            assert edit.after.isalpha()
            assert edit.after.isupper() == neighbour.isupper()
            assert ("CYRILLIC" in _name(edit.after)) == ("CYRILLIC" in _name(neighbour))
            if kind == "substitute":
                assert edit.after != edit.before


def _name(char: str) -> str:
    import unicodedata

    return unicodedata.name(char)


def test_swap_drop_insert_shapes() -> None:
    swaps = corrupt(TEXT, rate=1.0, kind="swap", seed=0)
    assert all(e.after == e.before[::-1] and e.before[0] != e.before[1] for e in swaps.edits)
    assert len(swaps.text) == len(TEXT)
    drops = corrupt(TEXT, rate=0.25, kind="drop", seed=0)
    assert len(drops.text) == len(TEXT) - len(drops.edits)
    inserts = corrupt(TEXT, rate=0.25, kind="insert", seed=0)
    assert len(inserts.text) == len(TEXT) + len(inserts.edits)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate": 1.5}, "--rate"),
        ({"rate": -0.1}, "--rate"),
        ({"rate": 0.1, "kind": "shout"}, "--kind"),
        ({"rate": 0.1, "seed": -1}, "--seed"),
        ({"rate": 0.1, "layout": "nope"}, "unknown keyboard layout"),
    ],
)
def test_bad_options_are_usage_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        corrupt(TEXT, **options)  # type: ignore[arg-type]


def test_overlapping_or_stale_edits_are_refused() -> None:
    with pytest.raises(UsageError, match="overlap"):
        apply_edits("abcd", [Edit("swap", 0, "ab", "ba"), Edit("swap", 1, "bc", "cb")])
    with pytest.raises(UsageError, match="does not match"):
        Edit("drop", 0, "x", "").apply("abc")


def test_pick_edits_spreads_evenly_and_keeps_all_when_few() -> None:
    edits = corrupt(TEXT, rate=1.0, kind="drop").edits
    assert pick_edits(edits, None) == list(edits)
    picked = pick_edits(edits, 5)
    assert len(picked) == 5 and picked[0] == edits[0] and picked[-1] == edits[-1]


# -- measuring ------------------------------------------------------------------------------------

SMALL = RenderConfig.from_preset("page-1024", page="400x120", size="16px", margin="8px")


def test_each_edit_is_measured_alone_against_the_original() -> None:
    corruption = corrupt(TEXT, rate=0.08, kind="keyboard", seed=1)
    assert len(corruption.edits) >= 3
    report = typo_report(corruption, tokenizers=["cl100k", "mistral-spm"], config=SMALL, patch=16)
    assert len(report.effects) == len(corruption.edits)
    for effect in report.effects:
        alone = effect.edit.apply(TEXT)
        for name in ("cl100k", "mistral-spm"):
            assert effect.tokens[name] == token_distance(TEXT, alone, name)
        assert effect.patches["page"] == pixel_distance(TEXT, alone, SMALL).patches_differ
    rows = {(row["measure"], row["name"]): row for row in report.rows()}
    cl100k = [e.tokens["cl100k"].changed for e in report.effects]
    assert rows["tokens", "cl100k"]["mean"] == pytest.approx(sum(cl100k) / len(cl100k), abs=1e-4)
    assert rows["tokens", "cl100k"]["total"] == len(get_tokenizer("cl100k").encode(TEXT))
    page = rows["patches", "page"]
    assert page["total"] == (120 // 16 + 1) * (400 // 16)
    assert 0 < page["mean"] <= page["max"]
    everything = pixel_distance(TEXT, corruption.text, SMALL).patches_differ
    assert page["combined_per_edit"] == pytest.approx(everything / len(corruption.edits), abs=1e-4)


def test_the_encoder_view_is_measured_too() -> None:
    meter = EditMeter(TEXT, config=SMALL, encoders=["qwen2.5-vl"])
    grids = {g.name: g for g in meter.grids}
    assert grids["qwen2.5-vl"].patch == 14
    edit = corrupt(TEXT, rate=1.0, kind="keyboard", seed=0).edits[3]
    effect = meter.measure_edit(edit)
    assert (
        effect.patches["qwen2.5-vl"]
        == pixel_distance(TEXT, edit.apply(TEXT), SMALL, encoders=["qwen2.5-vl"])
        .encoders["qwen2.5-vl"]
        .differ
    )
    assert effect.patches["qwen2.5-vl"] > 0


def test_a_monospace_substitution_stays_local_while_proportional_text_reflows() -> None:
    line = "the middle of a line of text with more words after it"
    edit = Edit("keyboard", 4, "m", "n")
    mono = SMALL.replace(fonts=("DejaVu Sans Mono",), page="600x60")
    sans = SMALL.replace(page="600x60")
    local = EditMeter(line, config=mono).measure_edit(edit).patches["page"]
    reflow = EditMeter(line, config=sans).measure_edit(edit).patches["page"]
    assert 1 <= local <= 4
    assert reflow > 2 * local


# -- command line ---------------------------------------------------------------------------------


def test_typos_command_is_deterministic_and_writes_the_text(run_cli, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text(TEXT, encoding="utf-8")
    first = run_cli("typos", source, "--rate", "0.2", "--seed", "9")
    second = run_cli("typos", source, "--rate", "0.2", "--seed", "9", fresh_process=True)
    assert first.exit_code == 0 and first.stdout_bytes == second.stdout_bytes
    assert first.stdout == corrupt(TEXT, rate=0.2, seed=9).text
    piped = run_cli("typos", "-", "--rate", "0.2", "--seed", "9", stdin=TEXT)
    assert piped.stdout_bytes == first.stdout_bytes
    out = tmp_path / "typo.txt"
    written = run_cli("typos", source, "--rate", "0.2", "--seed", "9", "-o", out)
    assert written.exit_code == 0 and written.stdout == "" and out.read_bytes() == first.stdout_bytes


def test_typos_report_json(run_cli, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text(TEXT, encoding="utf-8")
    result = run_cli(
        "typos", source, "--rate", "0.1", "--seed", "1", "--report", "--json",
        "-t", "cl100k", "--page", "400x120", "--layout", "page",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["options"]["kind"] == "keyboard" and document["options"]["keyboard"] == "qwerty"
    assert document["options"]["render"]["layout"] == "page"
    assert document["total"]["edits"] == len(corrupt(TEXT, rate=0.1, seed=1).edits)
    assert [(m["measure"], m["name"]) for m in document["records"]] == [
        ("tokens", "cl100k"),
        ("patches", "page"),
    ]
    per_edit = run_cli(
        "typos", source, "--rate", "0.1", "--seed", "1", "--report", "--per-edit", "-t", "cl100k"
    )
    rows = [json.loads(line) for line in per_edit.stdout.splitlines()]
    assert len(rows) == document["total"]["edits"] and {
        "position",
        "before",
        "after",
        "tokens",
        "patches",
    } <= set(rows[0])


def test_distance_command_json_keys(run_cli) -> None:
    result = run_cli("distance", "Hello", "Hwllo", "--json", "-t", "cl100k,tekken", "--keyboard", "dvorak")
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)["records"]
    assert {"levenshtein", "keyboard", "tokens", "pixels"} <= set(record)
    assert set(record["tokens"]) == {"cl100k", "tekken"}
    assert record["keyboard"]["layout"] == "dvorak"
    assert record["pixels"]["patches_differ"] > 0


def test_distance_command_reads_files(run_cli, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Hello", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Hpllo", encoding="utf-8")
    result = run_cli("distance", tmp_path / "a.txt", tmp_path / "b.txt", "--no-pixels", "--json")
    (record,) = json.loads(result.stdout)["records"]
    assert record["levenshtein"] == 1 and "pixels" not in record
    assert record["input"] == {"a": str(tmp_path / "a.txt"), "b": str(tmp_path / "b.txt")}
    mixed = run_cli("distance", tmp_path / "a.txt", "Help", "--no-pixels", "--jsonl")
    assert json.loads(mixed.stdout)["input"] == {"a": str(tmp_path / "a.txt"), "b": "text"}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["distance", "a", "b", "--keyboard", "nope"], 2, "unknown keyboard layout"),
        (["distance", "/nonexistent/a", "b"], 1, "no such file"),
        (["distance", "a", "b", "--no-pixels", "-e", "qwen2.5-vl"], 2, "--no-pixels"),
        (["typos", "/nonexistent/in.txt"], 1, "no such file"),
        (["typos", "-", "--rate", "2"], 2, "--rate"),
        (["typos", "-", "--kind", "shout"], 2, "--kind"),
        (["typos", "-", "--per-edit"], 2, "--report"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(run_cli, args: list[str], code: int, message: str) -> None:
    result = run_cli(*args, stdin="Hello")
    assert result.exit_code == code and result.exception is None
    assert len(result.error_lines) == 1 and message in result.error_lines[0]


def test_a_text_with_no_letter_on_the_layout_warns(run_cli) -> None:
    result = run_cli("typos", "-", "--rate", "1", stdin="Привет")
    assert result.exit_code == 0 and result.stdout == "Привет"
    assert "no letter of the input is on the qwerty layout" in result.stderr


# -- docs -----------------------------------------------------------------------------------------

DOC = REPO / "docs" / "typos.md"


def test_docs_have_examples() -> None:
    examples, _ = doc_examples.parse(DOC.read_text(encoding="utf-8"))
    commands = [e.command for e in examples]
    assert len(commands) >= 6
    assert any(c.startswith("pixtok distance") for c in commands)
    assert any("pixtok typos" in c and "--report" in c for c in commands)


def test_docs_examples_run_and_print_what_the_docs_show(run_cli, tmp_path: Path) -> None:
    layouts = tmp_path / "docs" / "layouts"
    layouts.mkdir(parents=True)
    (layouts / "colemak.toml").write_bytes((REPO / "docs" / "layouts" / "colemak.toml").read_bytes())
    assert doc_examples.run_page(DOC, run_cli, tmp_path) >= 6
