"""Corpus runs: the same records whatever the engine and the number of jobs; failures recorded,
not fatal; bounded work in flight; resumable, atomic output; totals and group-by summaries."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from doc_examples import run_page
from xattrs import keeps_user_xattrs

from pixtok.compare import CompareOptions, summarize
from pixtok.corpus.aggregate import Totals
from pixtok.corpus.batch import EngineOptions, MeasureTask, measure_corpus
from pixtok.corpus.inputs import Record, iter_records
from pixtok.corpus.parallel import run_records
from pixtok.corpus.runlog import journal_path
from pixtok.errors import UsageError
from pixtok.render.config import RenderConfig

LANGS = ("en", "de", "ru", "zh-cn", "ja", "ko", "ar", "hi")
#: Light options: one tokenizer, one encoder, small pages, so that every test stays quick.
FLAGS = ["-t", "cl100k", "-e", "qwen2.5-vl", "--preset", "page-1024", "--page", "384x384", "--size", "12px"]
OPTIONS = CompareOptions(
    render=RenderConfig.from_dict({"preset": "page-1024", "page": "384x384", "size": "12px"}),
    tokenizers=("cl100k",),
    encoders=("qwen2.5-vl",),
)


@pytest.fixture(scope="module")
def corpus_jsonl(corpus_dir: Path, tmp_path_factory) -> Path:
    """A small JSON Lines corpus: two snippets per language, and one record that cannot be read."""
    path = tmp_path_factory.mktemp("corpus") / "wiki.jsonl"
    lines = []
    for lang in LANGS:
        (source,) = sorted(corpus_dir.glob(f"{lang}_*.txt"))
        text = source.read_text(encoding="utf-8")
        for part in range(2):
            row = {"id": f"{lang}-{part}", "lang": lang, "text": text[part * 700 : part * 700 + 700]}
            lines.append(json.dumps(row, ensure_ascii=False).encode())
        if lang == "ru":  # line 7: not UTF-8, so not even its id can be read
            lines.append(b'{"id": "broken", "lang": "ru", "text": "caf\xe9"}')
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(scope="module")
def dask_address():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def stop_after(count: int) -> Callable[..., None]:
    """An `on_progress` callback that interrupts the run (as Ctrl-C does) once `count` records
    are done."""
    done = 0

    def stop(n: int, resumed: bool = False) -> None:
        nonlocal done
        done += n
        if done == count:
            raise KeyboardInterrupt

    return stop


def records_of(path: Path) -> list[Record]:
    from pixtok.corpus.inputs import CorpusOptions

    return list(iter_records([path], CorpusOptions(id_field="id", keep=("lang",))))


def test_results_are_identical_for_every_engine_and_job_count(corpus_jsonl: Path, dask_address) -> None:
    records = records_of(corpus_jsonl)
    task = MeasureTask(OPTIONS)
    runs = {
        "serial": list(run_records(records, task, engine="serial", id_key="input", keep=("lang",))),
        "process-1": list(
            run_records(records, task, engine="process", jobs=1, id_key="input", keep=("lang",))
        ),
        "process-2": list(
            run_records(records, task, engine="process", jobs=2, id_key="input", keep=("lang",))
        ),
        "dask": list(
            run_records(records, task, engine="dask", scheduler=dask_address, id_key="input", keep=("lang",))
        ),
    }
    reference = runs["serial"]
    assert [r["input"] for r in reference] == [r.id for r in records]
    for name, results in runs.items():
        assert results == reference, name
    broken = next(r for r in reference if r["input"] == f"{corpus_jsonl}:7")
    assert broken["lang"] is None and set(broken) == {"input", "lang", "error"}
    assert "invalid UTF-8" in broken["error"]
    measured = [r for r in reference if "error" not in r]
    assert len(measured) == 2 * len(LANGS)
    assert all(r["tokens"]["cl100k"] > 0 and r["vision"]["qwen2.5-vl"]["tokens"] > 0 for r in measured)


def test_a_record_with_no_font_for_its_script_fails_alone(corpus_dir: Path) -> None:
    latin_only = CompareOptions(
        render=RenderConfig.from_dict({"page": "384x384", "fonts": ["DejaVu Sans"], "fallback": False}),
        tokenizers=("cl100k",),
        encoders=("qwen2.5-vl",),
    )
    texts = {lang: next(corpus_dir.glob(f"{lang}_*.txt")).read_text(encoding="utf-8")[:400] for lang in LANGS}
    records = [Record(lang, text) for lang, text in texts.items()]
    strict = list(run_records(records, MeasureTask(latin_only, strict_glyphs=True), jobs=2, id_key="input"))
    failed = {r["input"]: r["error"] for r in strict if "error" in r}
    assert set(failed) == {"zh-cn", "ja", "ko", "hi"}  # DejaVu Sans has Latin, Cyrillic and Arabic
    assert all("no glyph in any font" in message and "U+" in message for message in failed.values())
    assert all("Traceback" not in message for message in failed.values())
    counted = list(run_records(records, MeasureTask(latin_only), engine="serial", id_key="input"))
    assert all("error" not in r for r in counted)
    assert {r["input"] for r in counted if r["missing_glyphs"]} == set(failed)


def test_a_worker_that_cannot_be_built_stops_the_run(corpus_jsonl: Path, tmp_path: Path) -> None:
    records = records_of(corpus_jsonl)
    options = CompareOptions(tokenizers=("no-such-tokenizer",), encoders=("qwen2.5-vl",))
    for jobs in (1, 2):
        with pytest.raises(UsageError, match="unknown tokenizer"):
            list(run_records(records, MeasureTask(options), jobs=jobs))
    with pytest.raises(UsageError, match="unknown tokenizer"):
        measure_corpus(records, options, output=tmp_path / "out.jsonl", engine=EngineOptions(jobs=2))
    assert list(tmp_path.iterdir()) == []  # no output, and no empty journal left behind


def test_work_in_flight_is_bounded() -> None:
    """The pool pulls only a few chunks ahead of the results it has given back."""
    pulled = 0

    def endless():
        nonlocal pulled
        for i in itertools.count():
            pulled += 1
            yield Record(f"r{i}", f"record {i} " * 20)

    results = run_records(endless(), MeasureTask(OPTIONS), jobs=2)
    first = next(results)
    assert first["id"] == "r0" and "error" not in first
    assert pulled <= 2 * 2 * 16 + 16 + 2  # window of chunks + the chunk being filled + the peek
    results.close()


def test_chunked_totals_equal_one_summary(corpus_jsonl: Path) -> None:
    results = list(
        run_records(records_of(corpus_jsonl), MeasureTask(OPTIONS), engine="serial", id_key="input")
    )
    totals = Totals(summarize, group_by=None, fold_every=3)
    for result in results:
        totals.add(result)
    assert totals.total() == summarize(results)
    assert totals.failed == 1 and totals.records == len(results)
    assert totals.failure_summary().startswith(
        f"1 of {len(results)} records failed (first: {corpus_jsonl}:7: "
    )


# -- CLI: outputs, resume, failures ---------------------------------------------------------------


def compare(run_cli, *args, **kwargs):
    return run_cli("compare", *args, *FLAGS, "--id-field", "id", **kwargs)


def test_jobs_and_engines_write_byte_identical_files(
    run_cli, corpus_jsonl: Path, tmp_path: Path, dask_address
) -> None:
    outputs = {}
    for name, flags in {
        "one": ["--jobs", "1"],
        "two": ["--jobs", "2"],
        "dask": ["--engine", "dask", "--scheduler", dask_address],
    }.items():
        target = tmp_path / f"{name}.jsonl"
        result = compare(run_cli, corpus_jsonl, "-o", target, *flags)
        assert result.exit_code == 1, result.stderr  # the broken record
        offset = corpus_jsonl.read_bytes().index(b"caf\xe9") + 3
        assert result.error_lines == [
            f"pixtok: error: 1 of 17 records failed (first: {corpus_jsonl}:7: invalid UTF-8 at file "
            f"byte offset {offset} (byte 0xe9); use --errors replace to substitute U+FFFD); "
            "each failed record is written with an error field"
        ]
        assert result.stdout == ""  # piped: the records are in the file, and stdout shows nothing
        outputs[name] = target.read_bytes()
    assert outputs["one"] == outputs["two"] == outputs["dask"]
    lines = [json.loads(line) for line in outputs["one"].splitlines()]
    assert [r["input"] for r in lines][:3] == ["en-0", "en-1", "de-0"] and len(lines) == 17
    assert sum("error" in r for r in lines) == 1


def test_resume_after_an_interruption_gives_the_clean_run(corpus_jsonl: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean.jsonl"
    measure_corpus(records_of(corpus_jsonl), OPTIONS, output=clean, engine=EngineOptions(jobs=1))

    target = tmp_path / "resumed.jsonl"
    target.write_text("an older output\n", encoding="utf-8")

    with pytest.raises(KeyboardInterrupt):
        measure_corpus(
            records_of(corpus_jsonl),
            OPTIONS,
            output=target,
            engine=EngineOptions(jobs=2),
            on_progress=stop_after(5),
        )
    # Interrupted: the old output is untouched, the journal holds the first records in order.
    assert target.read_text(encoding="utf-8") == "an older output\n"
    journal = journal_path(target)
    saved = journal.read_bytes().splitlines(keepends=True)
    assert len(saved) == 5 and b"".join(saved) == b"".join(clean.read_bytes().splitlines(True)[:5])
    with open(journal, "ab") as stream:  # a crash may tear the last line
        stream.write(b'{"input": "de-1", "ch')

    progress: list[tuple[int, bool]] = []
    totals = measure_corpus(
        records_of(corpus_jsonl),
        OPTIONS,
        output=target,
        resume=True,
        engine=EngineOptions(jobs=2),
        on_progress=lambda n, resumed=False: progress.append((n, resumed)),
    )
    assert progress == [(5, True)] + [(1, False)] * 12  # the torn sixth record is measured again
    assert target.read_bytes() == clean.read_bytes()
    assert not journal.exists()
    assert totals.records == 17 and totals.failed == 1
    every = [json.loads(line) for line in clean.read_bytes().splitlines()]
    assert totals.total() == summarize(every)

    # Resuming a complete output re-measures only its last record (to check it) and changes nothing.
    again = measure_corpus(records_of(corpus_jsonl), OPTIONS, output=target, resume=True)
    assert target.read_bytes() == clean.read_bytes() and again.total() == totals.total()


def test_resume_refuses_other_options_or_other_input(corpus_jsonl: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"

    with pytest.raises(KeyboardInterrupt):
        measure_corpus(records_of(corpus_jsonl), OPTIONS, output=target, on_progress=stop_after(3))
    other = CompareOptions(render=OPTIONS.render, tokenizers=("cl100k",), encoders=("glm-4.1v",))
    with pytest.raises(UsageError, match="other options"):
        measure_corpus(records_of(corpus_jsonl), other, output=target, resume=True)
    with pytest.raises(UsageError, match="input changed"):
        measure_corpus(records_of(corpus_jsonl)[1:], OPTIONS, output=target, resume=True)
    assert not target.exists()


def test_a_complete_output_is_resumed_only_with_the_options_that_made_it(
    corpus_jsonl: Path, tmp_path: Path
) -> None:
    """A complete output keeps its options' signature (an extended attribute); one that lost it
    (copied elsewhere) is checked by measuring its last record again. Either way, a resume with
    other options is refused and leaves the output as it was, and one with the same options
    measures what the input gained and ends as a clean run does."""
    records = records_of(corpus_jsonl)
    clean = tmp_path / "clean.jsonl"
    measure_corpus(records, OPTIONS, output=clean, engine=EngineOptions(jobs=1))
    other = CompareOptions(render=OPTIONS.render, tokenizers=("chars",), encoders=OPTIONS.encoders)
    kept = tmp_path / "kept.jsonl"
    measure_corpus(records[:4], OPTIONS, output=kept, engine=EngineOptions(jobs=1))
    copied = tmp_path / "copied.jsonl"
    copied.write_bytes(kept.read_bytes())  # a copy: no extended attribute
    remeasured = "saved record 4 is not what these options make"
    kept_refusal = "other options" if keeps_user_xattrs(tmp_path) else remeasured
    for target, refusal in ((kept, kept_refusal), (copied, remeasured)):
        before = target.read_bytes()
        with pytest.raises(UsageError, match=refusal):
            measure_corpus(records, other, output=target, resume=True, engine=EngineOptions(jobs=1))
        assert target.read_bytes() == before and not journal_path(target).exists()
        measure_corpus(records, OPTIONS, output=target, resume=True, engine=EngineOptions(jobs=1))
        assert target.read_bytes() == clean.read_bytes()


def test_a_journal_without_its_sidecar_is_checked_by_measuring_again(
    corpus_jsonl: Path, tmp_path: Path
) -> None:
    records = records_of(corpus_jsonl)
    clean = tmp_path / "clean.jsonl"
    measure_corpus(records, OPTIONS, output=clean, engine=EngineOptions(jobs=1))
    target = tmp_path / "out.jsonl"

    with pytest.raises(KeyboardInterrupt):
        measure_corpus(
            records, OPTIONS, output=target, on_progress=stop_after(3), engine=EngineOptions(jobs=1)
        )
    journal = journal_path(target)
    journal.with_name(journal.name + ".json").unlink()
    saved = journal.read_bytes()
    other = CompareOptions(render=OPTIONS.render, tokenizers=("chars",), encoders=OPTIONS.encoders)
    for _ in range(2):  # refused alike again: the refusal vouches for nothing
        with pytest.raises(UsageError, match="saved record 3 is not what these options make"):
            measure_corpus(records, other, output=target, resume=True, engine=EngineOptions(jobs=1))
        assert journal.read_bytes() == saved and not target.exists()
    progress: list[tuple[int, bool]] = []
    measure_corpus(
        records, OPTIONS, output=target, resume=True, engine=EngineOptions(jobs=1),
        on_progress=lambda n, resumed=False: progress.append((n, resumed)),
    )  # fmt: skip
    assert progress[0] == (2, True)  # the third is measured again, and counted once
    assert sum(n for n, _ in progress) == len(records)
    assert target.read_bytes() == clean.read_bytes()


def test_the_output_of_another_command_is_not_resumed(run_cli, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello there", encoding="utf-8")
    (tmp_path / "b.txt").write_text("more text", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run_cli("tokens", "a.txt", "-t", "cl100k", "-o", out, cwd=tmp_path).exit_code == 0
    before = out.read_bytes()
    resumed = run_cli(
        "compare", "a.txt", "b.txt", "-t", "cl100k", "-q", "--engine", "serial", "-o", out, "--resume",
        cwd=tmp_path,
    )  # fmt: skip
    assert resumed.exit_code == 2
    assert resumed.error_lines == [
        f"pixtok: error: {out}: saved record 1 is not what these options make of it (it was made with "
        "other options, or by another command); run without --resume to start over"
    ]
    assert out.read_bytes() == before


def test_group_by_totals_in_every_format(run_cli, corpus_jsonl: Path, tmp_path: Path) -> None:
    target = tmp_path / "records.jsonl"
    result = compare(run_cli, corpus_jsonl, "-o", target, "--group-by", "lang", "-j", "1")
    assert result.exit_code == 1
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert all(r["lang"] == r["input"].rsplit("-", 1)[0] for r in records if "error" not in r)
    in_file = tmp_path / "records.json"
    assert compare(run_cli, corpus_jsonl, "-o", in_file, "--group-by", "lang", "-j", "1").exit_code == 1
    document = json.loads(in_file.read_text(encoding="utf-8"))
    assert document["records"] == records
    groups = {g["lang"]: g for g in document["total"]["groups"]}
    assert sorted(groups) == sorted(LANGS)
    for lang, group in groups.items():
        members = [r for r in records if r["lang"] == lang and "error" not in r]
        expected = summarize(members, f"lang={lang}")
        assert group["inputs"] == len(members) == 2
        assert group["tokens"] == expected["tokens"] and group["compression"] == expected["compression"]
    assert document["total"]["inputs"] == 16
    assert sum(g["tokens"]["cl100k"] for g in groups.values()) == document["total"]["tokens"]["cl100k"]

    csv_out = compare(run_cli, corpus_jsonl, "--group-by", "lang", "--csv", "-j", "1")
    rows = csv_out.stdout.splitlines()
    assert rows[0].startswith("input,lang,")
    assert len(rows) == 1 + 17  # one row per record: totals are not rows

    streamed = compare(run_cli, corpus_jsonl, "--group-by", "lang", "--json", "-j", "1")
    full = json.loads(streamed.stdout)
    assert list(full) == ["records", "total", "options"]
    assert full["records"] == records and full["total"] == document["total"]


def test_jsonl_on_stdin_and_quiet_stderr(run_cli, corpus_jsonl: Path) -> None:
    data = corpus_jsonl.read_bytes()
    result = run_cli("compare", *FLAGS, "--field", "text", "--jsonl", "-j", "1", stdin=data)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["input"] for r in lines][:2] == ["-:1", "-:2"] and len(lines) == 17
    # Not a terminal: no progress bar, only the one-line failure summary.
    assert len(result.error_lines) == 1 and result.exit_code == 1


def test_a_clean_corpus_exits_zero_and_keeps_single_input_output(run_cli, corpus_dir: Path, tmp_path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    for lang in ("en", "ko"):
        source = next(corpus_dir.glob(f"{lang}_*.txt"))
        (folder / f"{lang}.txt").write_text(source.read_text(encoding="utf-8")[:900], encoding="utf-8")
    result = run_cli("compare", folder, *FLAGS, "--json", "--quiet")
    assert result.exit_code == 0 and result.stderr == ""
    document = json.loads(result.stdout)
    assert [Path(r["input"]).name for r in document["records"]] == ["en.txt", "ko.txt"]
    single = run_cli("compare", folder / "en.txt", *FLAGS, "--json")
    assert json.loads(single.stdout)["records"] == document["records"][:1]


def test_bad_corpus_flags_are_usage_errors(run_cli, corpus_jsonl: Path, tmp_path: Path) -> None:
    for args, message in (
        (["--jobs", "0"], "--jobs"),
        (["--engine", "spark"], "--engine"),
        (["--scheduler", "tcp://x:1", "--engine", "process"], "--scheduler"),
        (["--resume"], "--resume needs --output"),
    ):
        result = run_cli("compare", corpus_jsonl, *args)
        assert result.exit_code == 2, (args, result.stderr)
        assert len(result.error_lines) == 1 and message in result.error_lines[0]


def test_docs_examples_run(run_cli, tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
    assert run_page(repo / "docs" / "corpus.md", run_cli, tmp_path) >= 6
    assert len(list((tmp_path / "shards").glob("shard-*.tar"))) >= 2
