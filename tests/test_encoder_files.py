"""Encoder definition files: --encoders on every command that takes -e, $PIXTOK_ENCODERS, and the
errors a user meets (a path given to -e, a broken file, a name clash)."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from pixtok.encoders import Registry, get_encoder, load_encoders
from pixtok.encoders.registry import user_encoder_files
from pixtok.errors import UsageError

#: A model added without Python: a 32-px-patch encoder on 448-px tiles with a thumbnail.
DEFINITION = textwrap.dedent(
    """
    [[encoder]]
    name = "tiles-32"
    patch = 32
    resize = "tiles"
    tile = 448
    max_tiles = 6
    thumbnail = true
    image_tokens = 2
    source = "a test definition: 448-px tiles of 14×14 patches of 32 px"
    """
)
#: Commands that take -e, each with the arguments that make it run on a tiny text.
COMMANDS = {
    "compare": ["compare", "-"],
    "sweep": ["sweep", "-", "--vary", "size=12,14"],
    "fit": ["fit", "-", "--budget", "100000", "--no-ocr"],
    "distance": ["distance", "cat", "cot"],
    "typos": ["typos", "-", "--report"],
    "encoders": ["encoders"],
}


@pytest.fixture
def definition(tmp_path: Path) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(DEFINITION, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_that_takes_e_reads_encoders_files(run_cli, definition, command):
    args = [*COMMANDS[command], "--encoders", definition, "-e", "tiles-32", "--json"]
    result = run_cli(*args, stdin="The quick brown fox jumps over the lazy dog.\n")
    assert result.exit_code == 0, result.stderr
    assert "tiles-32" in result.stdout


def test_patchify_reads_encoders_files(run_cli, definition, tmp_path):
    from PIL import Image

    image = tmp_path / "page.png"
    Image.new("L", (595, 842), 255).save(image)
    result = run_cli("patchify", image, "--encoders", definition, "-e", "tiles-32", "--json")
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)["records"]
    # 595×842 → 2×3 tiles + thumbnail, each (448/32)² = 196 tokens
    assert record["vision"]["tiles-32"]["tokens"] == 7 * 196


def test_compare_workers_know_presets_from_files(run_cli, definition, tmp_path):
    # Two inputs and --jobs 2 run on spawned worker processes, which start with the built-ins only.
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Pixels or tokens? " * 40, encoding="utf-8")
    result = run_cli(
        "compare", tmp_path / "a.txt", tmp_path / "b.txt", "--jobs", "2", "--encoders", definition,
        "-e", "tiles-32", "-t", "bytes", "--jsonl", "--no-density",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 2 and all(r["vision"]["tiles-32"]["tokens"] > 0 for r in records)


def test_a_path_given_to_e_points_to_encoders(run_cli, definition):
    result = run_cli("compare", "-", "-e", str(definition), stdin="hello")
    assert result.exit_code == 2
    assert result.error_lines == [
        f"pixtok: error: '{definition}' looks like a file, not an encoder name: load definition files "
        f"with --encoders {definition} (load_encoders() in Python), then name their presets with -e"
    ]


def test_a_broken_definition_file_is_one_line(run_cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[encoder]]\nname = "x"\npatch = 14\nsoruce = "typo"\n', encoding="utf-8")
    result = run_cli("encoders", "--encoders", path)
    assert result.exit_code == 1
    assert result.error_lines == [
        f"pixtok: error: {path}: encoder #1: unknown key 'soruce' in encoder 'x'; did you mean 'source'?"
    ]


def test_more_tiles_than_any_model_reads_is_refused_at_once(run_cli, tmp_path):
    """Choosing among the layouts of n tiles takes time that grows with n: a definition of
    10,000 tiles had every command that read it run for minutes."""
    path = tmp_path / "many.toml"
    path.write_text(DEFINITION.replace("max_tiles = 6", "max_tiles = 10000"), encoding="utf-8")
    result = run_cli("encoders", "--encoders", path)
    assert result.exit_code == 1
    assert result.error_lines == [
        f"pixtok: error: {path}: encoder #1: encoder 'tiles-32': max_tiles must be at most 1,024, not 10,000"
    ]


@pytest.mark.parametrize("low", [1, 2, 5, 9])
def test_tile_layouts_are_internvls_own_set_in_its_own_order(low):
    """InternVL's `find_closest_aspect_ratio` breaks ties by the order of its set of layouts:
    the set pixtok makes is that set, iterated in the same order."""
    from pixtok.encoders.resize import _tile_layouts

    for high in range(low, 64):
        internvl = {
            (i, j)
            for n in range(low, high + 1)
            for i in range(1, n + 1)
            for j in range(1, n + 1)
            if low <= i * j <= high
        }
        assert list(_tile_layouts(low, high)) == list(internvl)


def test_a_definition_may_not_take_a_builtin_name(run_cli, tmp_path):
    """The message names the file, and a file with a clash registers none of its presets."""
    path = tmp_path / "clash.toml"
    mine = '[[encoder]]\nname = "mine-first"\npatch = 16\nsource = "mine"\n'
    path.write_text(
        mine + '[[encoder]]\nname = "qwen2.5-vl"\npatch = 14\nsource = "mine"\n', encoding="utf-8"
    )
    result = run_cli("encoders", "--encoders", path)
    assert result.exit_code == 2
    said = f"{path} defines 'qwen2.5-vl', already taken by another preset; give it another name"
    assert result.stderr == f"pixtok: error: {said}\n"
    with pytest.raises(UsageError, match=r"clash\.toml defines 'qwen2\.5-vl'"):
        load_encoders(path)
    with pytest.raises(UsageError, match="unknown encoder 'mine-first'"):
        get_encoder("mine-first")


def test_user_folder_from_the_environment(tmp_path, definition):
    folder = tmp_path / "encoders"
    folder.mkdir()
    (folder / "mine.toml").write_text(DEFINITION, encoding="utf-8")
    (folder / "notes.txt").write_text("not a definition", encoding="utf-8")
    assert user_encoder_files({"PIXTOK_ENCODERS": str(folder)}) == [folder / "mine.toml"]
    assert user_encoder_files({"PIXTOK_ENCODERS": f"{definition}{os.pathsep}{folder}"}) == [
        definition,
        folder / "mine.toml",
    ]
    assert user_encoder_files({}) == []


def test_registry_reads_the_environment_folder(tmp_path, monkeypatch):
    folder = tmp_path / "encoders"
    folder.mkdir()
    (folder / "mine.toml").write_text(DEFINITION, encoding="utf-8")
    monkeypatch.setenv("PIXTOK_ENCODERS", str(folder))
    registry = Registry()
    assert "tiles-32" in registry.names() and registry.get("tiles-32").count(595, 842).tiles == 7
    monkeypatch.setenv("PIXTOK_ENCODERS", str(tmp_path / "missing"))
    with pytest.raises(Exception, match="neither a file nor a folder"):
        Registry().names()


def test_a_user_folder_works_from_the_command_line(run_cli, tmp_path):
    folder = tmp_path / "encoders"
    folder.mkdir()
    (folder / "mine.toml").write_text(DEFINITION, encoding="utf-8")
    result = run_cli(
        "encoders", "-e", "tiles-32", "--size", "595x842", "--json",
        env={"PIXTOK_ENCODERS": str(folder)}, fresh_process=True,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (entry,) = json.loads(result.stdout)["records"]
    assert entry["counts"]["595x842"]["tokens"] == 7 * 196


@pytest.mark.parametrize("glyph", ["W", "i"])
def test_compare_of_one_glyph_with_defaults_succeeds(run_cli, glyph):
    # A one-glyph page is tiny ("i": 23×31 px); the old processor rule refused a side under 28.
    result = run_cli("compare", "-", "--json", stdin=glyph)
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)["records"]
    assert min(record["width"], record["height"]) < 56  # rounds to one 28-px multiple or none
    expected = get_encoder("qwen2.5-vl").count(record["width"], record["height"])
    assert record["vision"]["qwen2.5-vl"]["tokens"] == expected.tokens == 6  # the min-pixels path: 2×3


def test_a_file_defining_one_name_twice_differently_registers_nothing(tmp_path):
    path = tmp_path / "twice.toml"
    one = '[[encoder]]\nname = "twice-x"\npatch = 14\nsource = "mine"\n'
    path.write_text(one + one.replace("14", "16"), encoding="utf-8")
    registry = Registry()
    with pytest.raises(UsageError, match=r"twice\.toml defines 'twice-x' twice, differently"):
        registry.load_file(path)
    assert "twice-x" not in registry.names()
    path.write_text(one + one, encoding="utf-8")  # the same preset twice is the same preset
    assert [e.name for e in registry.load_file(path)] == ["twice-x", "twice-x"]
