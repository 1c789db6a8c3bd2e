"""The `openai` OCR engine against a real chat-completions server on loopback (tests/chat_server.py),
which reads the PNG it receives with Tesseract: reads, request shape, usage beside pixtok's
vision-token counts, retries, timeouts, the answer cache, concurrency, resume, and the API key's
absence from everything pixtok prints or writes. No test reaches another host.

Pages are small (640×160, three lines of 14 px text), so the server's Tesseract answers in a
fraction of a second; the whole module takes about 30 s on two cores.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import socket
from pathlib import Path

import httpx
import numpy as np
import pytest
from chat_server import TEMPLATE_TOKENS, ChatServer, qwen_image_tokens
from PIL import Image
from xattrs import keeps_user_xattrs

from pixtok import RenderConfig, ServerError, UsageError, render
from pixtok.encoders import get_encoder
from pixtok.measure.legibility import ocr_result
from pixtok.measure.ocr import get_ocr_engine
from pixtok.measure.prompts import GENERIC_PROMPT, OLMOCR_PROMPT, clean_answer, model_family
from pixtok.measure.vlm import AnswerCache, OpenAIEngine, ServerOptions, redact
from pixtok.output_files import png_bytes

QWEN = "Qwen/Qwen2.5-VL-7B-Instruct"
DEEPSEEK = "deepseek-ai/DeepSeek-OCR"
SECRET = "sk-test-7f3c9e1d-never-print-me"
PAGE = RenderConfig.from_preset("page-1024", page="640x160", size="14px", margin="8px")
#: PAGE as command-line flags.
PAGE_FLAGS = ("--preset", "page-1024", "--page", "640x160", "--size", "14px", "--margin", "8px")


@pytest.fixture(autouse=True)
def _environment(monkeypatch, tmp_path) -> None:
    """The server runs Tesseract: one OpenMP thread keeps it quick on a shared machine. Answers
    are cached under the test's folder, and no key from the caller's environment is sent."""
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-default"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture
def text(corpus_text) -> str:
    """Two small pages of the English corpus text."""
    raw = corpus_text("en_prose")[:480]
    return raw[: raw.rfind(" ")]


def options(server: ChatServer, tmp_path: Path, **changes) -> ServerOptions:
    values = {"url": server.url, "model": QWEN, "cache_dir": str(tmp_path / "cache"), "timeout": 30.0}
    return ServerOptions(**(values | changes))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- families, prompts and answers -------------------------------------------------------------------


def test_model_names_map_to_families_prompts_and_presets() -> None:
    assert model_family(DEEPSEEK).encoder == "deepseek-ocr-gundam"
    assert model_family(DEEPSEEK).prompt == "Free OCR."
    assert model_family("deepseek-ai/DeepSeek-OCR-2").encoder is None
    assert model_family(QWEN).encoder == "qwen2.5-vl" and model_family(QWEN).prompt == GENERIC_PROMPT
    assert model_family("Qwen/Qwen2-VL-2B-Instruct").encoder == "qwen2-vl"
    assert model_family("allenai/olmOCR-2-7B-1025-FP8").prompt == OLMOCR_PROMPT
    assert model_family("zai-org/GLM-4.1V-9B-Thinking").encoder == "glm-4.1v"
    assert model_family("PaddlePaddle/PaddleOCR-VL").prompt == "OCR:"
    assert model_family("my-own-model") is None
    for family in (model_family(n) for n in (DEEPSEEK, QWEN, "allenai/olmOCR-2-7B-1025", "pixtral-12b")):
        assert family.source and (family.encoder is None or get_encoder(family.encoder))


def test_answers_lose_their_markup_and_nothing_else() -> None:
    assert clean_answer("<think>the page shows</think><answer>Hello world</answer>") == "Hello world"
    assert clean_answer("<|begin_of_box|>Hi<|end_of_box|>") == "Hi"
    assert clean_answer("```text\nline one\nline two\n```") == "line one\nline two"
    assert clean_answer("Text<｜end▁of▁sentence｜>") == "Text"
    olmocr = model_family("allenai/olmOCR-2-7B-1025")
    yaml = "---\nprimary_language: en\nis_table: False\n---\nThe shell prompt"
    assert clean_answer(yaml, olmocr) == "The shell prompt"
    assert clean_answer("---\nnot front matter\n---\nkept", None).startswith("---")
    assert clean_answer("plain `code` and <b>tags</b>") == "plain `code` and <b>tags</b>"


def test_options_are_checked() -> None:
    good = {"url": "http://localhost:8000/v1", "model": QWEN}
    for bad in (
        {"url": "localhost:8000"},
        {"url": "ftp://host/v1"},
        {"model": " "},
        {"concurrency": 0},
        {"timeout": 0},
        {"retries": -1},
        {"max_tokens": 0},
        {"api_key_env": "NOT A NAME"},
        {"prompt": ""},
    ):
        with pytest.raises(UsageError):
            ServerOptions(**(good | bad))
    assert ServerOptions(**(good | {"url": "http://localhost:8000/v1/"})).url == "http://localhost:8000/v1"
    assert redact("https://user:pw@example.org:8443/v1") == "https://example.org:8443/v1"


# -- reading through the server -----------------------------------------------------------------------


@pytest.mark.slow
def test_pages_are_read_by_the_server_and_usage_is_set_beside_pixtok_counts(text, tmp_path) -> None:
    result = render(text, PAGE)
    assert result.page_count == 2
    with ChatServer() as server:
        report = ocr_result(result, text, "openai", server=options(server, tmp_path), include_text=True)
        chats = server.chat_requests()
    assert report["engine"]["name"] == "openai" and report["engine"]["model"] == QWEN
    assert report["segmentation"] == "page"
    # Real OCR of the pages that were sent: Tesseract reads 14 px DejaVu Sans almost perfectly.
    assert report["cer"] < 0.03, report
    assert all(p["text"] for p in report["pages"])
    # What was sent is the page: same PNG bytes, same pixels; the family's prompt, text first.
    assert len(chats) == 2
    assert sorted(c.png for c in chats) == sorted(png_bytes(page) for page in result.pages)
    for chat in chats:
        page = next(p for p in result.pages if png_bytes(p) == chat.png)
        assert np.array_equal(np.asarray(chat.image), page)
        assert chat.prompt == GENERIC_PROMPT and chat.order == ("text", "image")
        assert chat.body["model"] == QWEN and chat.body["temperature"] == 0
    # prompt_tokens as the server counted them; pixtok's qwen2.5-vl count of the same page
    # agrees with the server's own preprocessing, so what is left is the prompt and template.
    encoder = get_encoder("qwen2.5-vl")
    for page in report["pages"]:
        height, width = result.pages[page["page"] - 1].shape[:2]  # pages count from 1
        assert page["prompt_tokens"] == qwen_image_tokens(width, height) + TEMPLATE_TOKENS + 7
        assert page["vision_tokens"] == encoder.count(width, height).sequence_tokens
        assert page["prompt_minus_vision"] == TEMPLATE_TOKENS + len(GENERIC_PROMPT.split())
        assert page["completion_tokens"] == len(page["text"].split())
    usage = report["usage"]
    assert usage["prompt_minus_vision"] == [24, 24] and usage["encoder"] == "qwen2.5-vl"
    assert usage["prompt_tokens"] == sum(p["prompt_tokens"] for p in report["pages"])


@pytest.mark.slow
def test_a_mismatched_preset_shows_in_the_difference(text, tmp_path) -> None:
    """Checked against the wrong preset, the difference moves with the page size."""
    with ChatServer() as server:
        opts = options(server, tmp_path, encoder="deepseek-ocr-base", cache=False)
        small = ocr_result(render(text, PAGE), text, "openai", server=opts)
        large = ocr_result(render(text, PAGE.replace(page="900x300")), text, "openai", server=opts)
    assert small["usage"]["prompt_minus_vision"] != large["usage"]["prompt_minus_vision"]


def test_deepseek_gets_free_ocr_after_the_image(text, tmp_path) -> None:
    page = render(text, PAGE).pages[0]
    with ChatServer(models={DEEPSEEK: "deepseek"}) as server:
        engine = OpenAIEngine(options(server, tmp_path, model=DEEPSEEK))
        reading = engine.read_pages([page])[0]
        chat = server.chat_requests()[0]
    assert chat.order == ("image", "text") and chat.prompt == "Free OCR."
    # vLLM's DeepSeek-OCR processor (Gundam by default) spends 273 tokens on a page up to 640²,
    # and pixtok's deepseek-ocr-gundam preset says the same.
    assert reading.prompt_tokens - engine.vision_tokens(640, 160) == TEMPLATE_TOKENS + 2
    assert engine.vision_tokens(640, 160) == 273


def test_prompt_can_be_given(text, tmp_path) -> None:
    with ChatServer() as server:
        engine = OpenAIEngine(options(server, tmp_path, prompt="Transcribe.", cache=False))
        engine.read(render(text, PAGE).pages[0])
        assert server.chat_requests()[0].prompt == "Transcribe."


# -- the server's checks, and pixtok's answers to them ---------------------------------------------------


def test_the_test_server_rejects_bad_requests_as_openai_does(text) -> None:
    png = png_bytes(render(text, PAGE).pages[0])
    image = {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()},
    }
    good = {
        "model": QWEN,
        "messages": [{"role": "user", "content": [image, {"type": "text", "text": "Read."}]}],
    }
    with ChatServer(api_key=SECRET) as server:
        post = f"{server.url}/chat/completions"
        auth = {"Authorization": f"Bearer {SECRET}"}
        assert httpx.post(post, json=good).status_code == 401
        assert httpx.post(post, json=good, headers={"Authorization": "Bearer wrong"}).json()["error"][
            "code"
        ] == ("invalid_api_key")
        assert httpx.post(post, json=good | {"model": "other"}, headers=auth).status_code == 404
        assert httpx.post(post, content=b"{not json", headers=auth).status_code == 400
        no_image = {"model": QWEN, "messages": [{"role": "user", "content": "just text"}]}
        assert httpx.post(post, json=no_image, headers=auth).status_code == 400
        jpeg = {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}}
        bad_image = good | {"messages": [{"role": "user", "content": [jpeg, {"type": "text", "text": "x"}]}]}
        assert "data:image/png" in httpx.post(post, json=bad_image, headers=auth).json()["error"]["message"]
        assert httpx.post(post, json=good | {"max_tokens": 0}, headers=auth).status_code == 400
        answer = httpx.post(post, json=good, headers=auth, timeout=30).json()
        assert (
            answer["usage"]["prompt_tokens"] > 0 and "Console" in answer["choices"][0]["message"]["content"]
        )


def test_wrong_key_unknown_model_and_no_server_fail_with_one_line(run_cli, text, tmp_path) -> None:
    source = tmp_path / "a.txt"
    source.write_text(text, encoding="utf-8")
    common = ("ocr", source, *PAGE_FLAGS, "--ocr-model", QWEN, "--no-ocr-cache")
    with ChatServer(api_key=SECRET) as server:
        wrong = run_cli(*common, "--ocr-url", server.url, env={"OPENAI_API_KEY": "sk-wrong"})
        missing = run_cli(*common, "--ocr-url", server.url, env={"OPENAI_API_KEY": ""})
        model = run_cli(
            *common[:-3], "--ocr-model", "nope", "--ocr-url", server.url, env={"OPENAI_API_KEY": SECRET}
        )
        assert not server.chat_requests()
    assert wrong.exit_code == 1 and wrong.error_lines == [
        f"pixtok: error: {server.url} refused the request (401: Incorrect API key provided.); "
        "the key comes from $OPENAI_API_KEY"
    ]
    assert "sk-wrong" not in wrong.stderr
    assert missing.exit_code == 1 and "no key was sent: set $OPENAI_API_KEY" in missing.stderr
    assert model.exit_code == 2 and model.error_lines == [
        f"pixtok: error: {server.url} does not serve 'nope'; it serves: {QWEN}"
    ]
    port = closed_port()
    refused = run_cli(*common, "--ocr-url", f"http://127.0.0.1:{port}/v1")
    assert refused.exit_code == 1 and refused.exception is None
    assert refused.error_lines == [
        f"pixtok: error: cannot reach http://127.0.0.1:{port}/v1: connection refused"
    ]


def test_engine_flags_are_checked(run_cli, text, tmp_path) -> None:
    source = tmp_path / "a.txt"
    source.write_text(text, encoding="utf-8")
    cases = {
        ("--ocr-engine", "openai"): "--ocr-engine openai needs --ocr-url and --ocr-model",
        ("--ocr-url", "http://localhost:8000/v1"): "--ocr-url needs --ocr-model",
        ("--ocr-model", QWEN): "--ocr-model names a model on a server",
        (
            "--ocr-engine",
            "tesseract",
            "--ocr-url",
            "http://h/v1",
            "--ocr-model",
            QWEN,
        ): "is for --ocr-engine openai",
        ("--ocr-url", "localhost:8000", "--ocr-model", QWEN): "must be an http(s) URL",
        ("--ocr-url", "http://[::1", "--ocr-model", QWEN): "must be an http(s) URL",
        ("--ocr-url", "http://h:port/v1", "--ocr-model", QWEN): "must be an http(s) URL",
        ("--ocr-url", "http://h/v1", "--ocr-model", QWEN, "--ocr-concurrency", "0"): "--ocr-concurrency",
        ("--ocr-url", "http://h/v1", "--ocr-model", QWEN, "--ocr-api-key-env", "PIXTOK_NO_SUCH_KEY"): (
            "PIXTOK_NO_SUCH_KEY: that environment variable is not set"
        ),
    }
    for flags, message in cases.items():
        result = run_cli("ocr", source, *flags)
        assert result.exit_code == 2 and result.exception is None, (flags, result.stderr)
        assert len(result.error_lines) == 1 and message in result.stderr, (flags, result.stderr)
    no_ocr = run_cli("compare", source, "--ocr-url", "http://h/v1", "--ocr-model", QWEN)
    assert no_ocr.exit_code == 2 and "add --ocr" in no_ocr.stderr


@pytest.mark.slow
def test_report_reads_pages_through_the_server_and_marks_what_it_misread(run_cli, text, tmp_path) -> None:
    """`report --ocr-url` asks the server for each page and marks its errors; `compare
    --keep-ocr-text` keeps what the server read, so a report of those records marks them too."""
    source = tmp_path / "a.txt"
    source.write_text(text, encoding="utf-8")
    server_flags = ("--ocr", "--ocr-model", QWEN, "--ocr-cache", str(tmp_path / "cache"))
    with ChatServer() as server:
        direct = run_cli(
            "report",
            "a.txt",
            *PAGE_FLAGS,
            *server_flags,
            "--ocr-url",
            server.url,
            "-o",
            "direct.html",
            cwd=tmp_path,
        )
        kept = run_cli(
            "compare",
            "a.txt",
            *PAGE_FLAGS,
            *server_flags,
            "--ocr-url",
            server.url,
            "--keep-ocr-text",
            "-o",
            "runs.jsonl",
            cwd=tmp_path,
        )
        asked = len(server.chat_requests())
    assert direct.exit_code == 0 and kept.exit_code == 0, (direct.stderr, kept.stderr)
    assert asked == 2  # two pages; compare's second reading came from the answer cache
    (record,) = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert record["ocr"]["engine"] == "openai"
    assert [bool(p["text"]) for p in record["ocr"]["pages"]] == [True, True]
    later = run_cli("report", "runs.jsonl", *PAGE_FLAGS, "-o", "later.html", cwd=tmp_path)
    assert later.exit_code == 0, later.stderr
    for name in ("direct.html", "later.html"):
        html = (tmp_path / name).read_text(encoding="utf-8")
        assert html.count('class="ocr-text"') == 2, name
        assert "errors cannot be marked" not in html
    without = run_cli(
        "report", "a.txt", "--ocr-url", "http://h/v1", "--ocr-model", QWEN, "-o", "x.html", cwd=tmp_path
    )
    assert without.exit_code == 2 and "add --ocr" in without.stderr
    unread = run_cli("compare", "a.txt", "--keep-ocr-text", cwd=tmp_path)
    assert unread.exit_code == 2 and "add --ocr" in unread.stderr


# -- retries, timeouts, concurrency ------------------------------------------------------------------------


def test_429_and_500_are_retried_and_retry_after_is_waited(text, tmp_path) -> None:
    page = render(text, PAGE).pages[0]
    script = [(429, {"Retry-After": "1"}), (500, {})]
    with ChatServer(script=script) as server:
        engine = OpenAIEngine(options(server, tmp_path, cache=False), backoff=0.05)
        reading = engine.read_pages([page])[0]
        chats = server.chat_requests()
    assert [c.status for c in chats] == [429, 500, 200]
    assert "Console basics" in reading.text
    assert chats[1].at - chats[0].at >= 1.0  # the client waited what Retry-After asked


def test_retries_run_out_with_a_message_naming_the_url(text, tmp_path) -> None:
    page = render(text, PAGE).pages[0]
    with ChatServer(script=[(503, {})] * 3) as server:
        engine = OpenAIEngine(options(server, tmp_path, retries=2, cache=False), backoff=0.01)
        with pytest.raises(ServerError) as failure:
            engine.read(page)
        assert len(server.chat_requests()) == 3
    assert str(failure.value) == f"{server.url} answered 503: canned 503 (3 tries)"


def test_a_stalled_server_times_out(text, tmp_path) -> None:
    page = render(text, PAGE).pages[0]
    with ChatServer(stall=3.0) as server:
        engine = OpenAIEngine(options(server, tmp_path, timeout=0.3, retries=1, cache=False), backoff=0.01)
        with pytest.raises(ServerError) as failure:
            engine.read(page)
        assert len(server.chat_requests()) == 2
    assert str(failure.value) == f"{server.url} did not answer within 0.3 s (2 tries)"


@pytest.mark.slow
def test_requests_run_concurrently_up_to_the_bound(text, tmp_path) -> None:
    long_text = (text + " ") * 3
    result = render(long_text, PAGE)
    assert result.page_count >= 4
    with ChatServer(barrier=2) as server:
        report = ocr_result(
            result, long_text, "openai", server=options(server, tmp_path, concurrency=2, cache=False)
        )
        assert server.max_in_flight == 2  # the server held each request until a second one came
        assert len(server.chat_requests()) == result.page_count
    assert [p["page"] for p in report["pages"]] == list(range(1, result.page_count + 1))
    assert report["cer"] < 0.05


# -- the cache --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_second_run_makes_no_request_and_corrupt_entries_are_rewritten(text, tmp_path) -> None:
    result = render(text, PAGE)
    with ChatServer() as server:
        first = ocr_result(result, text, "openai", server=options(server, tmp_path))
        assert len(server.chat_requests()) == 2
        again = OpenAIEngine(options(server, tmp_path))
        second = ocr_result(result, text, "openai", server=options(server, tmp_path, timeout=29.0))
        assert len(server.chat_requests()) == 2  # every answer came from the cache
        assert second["pages"] == first["pages"]
        entries = sorted((tmp_path / "cache").rglob("*.json"))
        assert len(entries) == 2
        entries[0].write_text("{torn", encoding="utf-8")
        readings = again.read_pages(result.pages)
        assert len(server.chat_requests()) == 3
        rewritten = AnswerCache(tmp_path / "cache").get(entries[0].stem)
        assert rewritten is not None and clean_answer(rewritten["text"]) in {r.text for r in readings}
        # Another prompt is another question.
        OpenAIEngine(options(server, tmp_path, prompt="Transcribe the page.")).read(result.pages[0])
        assert len(server.chat_requests()) == 4
        # Without the cache every page is asked again, and nothing is written.
        OpenAIEngine(options(server, tmp_path / "none", cache=False)).read(result.pages[0])
        assert len(server.chat_requests()) == 5 and not (tmp_path / "none").exists()


def test_cache_entries_are_keyed_by_what_decides_the_answer(text, tmp_path) -> None:
    page = render(text, PAGE).pages[0]
    with ChatServer() as server:
        engine = OpenAIEngine(options(server, tmp_path))
        engine.read(page)
    (entry,) = (tmp_path / "cache").rglob("*.json")
    saved = json.loads(entry.read_text(encoding="utf-8"))
    assert saved["page_sha256"] == hashlib.sha256(png_bytes(page)).hexdigest()
    assert saved["model"] == QWEN and saved["prompt"] == GENERIC_PROMPT
    assert saved["params"] == {"max_tokens": 4096, "temperature": 0.0}
    assert "url" not in saved and server.url not in entry.read_text(encoding="utf-8")


# -- the command line, records and the key --------------------------------------------------------------


@pytest.mark.slow
def test_cli_reads_with_the_server_and_never_shows_the_key(run_cli, text, tmp_path) -> None:
    source = tmp_path / "a.txt"
    source.write_text(text, encoding="utf-8")
    env = {"OPENAI_API_KEY": SECRET, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    args = ("ocr", source, *PAGE_FLAGS, "--show-text")
    with ChatServer(api_key=SECRET) as server:
        served = ("--ocr-url", server.url, "--ocr-model", QWEN)
        as_json = run_cli(*args, *served, "--json", env=env)
        as_csv = run_cli(*args, *served, "--csv", env=env)
        assert len(server.chat_requests()) == 2  # the second run read the default cache
        assert {c.authorization for c in server.chat_requests()} == {f"Bearer {SECRET}"}
    assert as_json.exit_code == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    report = document["total"]
    assert document["options"]["engine"]["name"] == "openai"
    assert report["usage"]["prompt_minus_vision"] == [24, 24]
    assert report["cer"] < 0.03
    header = as_csv.stdout.splitlines()[0].split(",")
    assert header[:7] == ["input", "page", "cer", "cer_nospace", "wer", "chars", "char_errors"]
    assert {"prompt_tokens", "completion_tokens", "vision_tokens", "prompt_minus_vision"} <= set(header)
    cached = list((tmp_path / "xdg" / "pixtok" / "ocr").rglob("*.json"))
    assert len(cached) == 2
    for blob in [as_json.stdout, as_json.stderr, as_csv.stdout, *(p.read_text() for p in cached)]:
        assert SECRET not in blob


@pytest.mark.slow
def test_compare_records_resume_without_asking_twice(run_cli, corpus_text, tmp_path) -> None:
    """A resumed corpus run asks the server only for the records not yet written, and ends with
    the bytes of a clean run; the records carry usage and never the key."""
    words = corpus_text("en_prose").split()
    texts = [" ".join(words[i : i + 40]) for i in range(0, 120, 40)]
    lines = [json.dumps({"id": f"t{i}", "text": t}) for i, t in enumerate(texts)]
    (tmp_path / "two.jsonl").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    (tmp_path / "three.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {"OPENAI_API_KEY": SECRET}
    with ChatServer(api_key=SECRET) as server:
        common = (
            "--field", "text", "--id-field", "id", "-t", "cl100k", "-e", "qwen2.5-vl", "--no-density",
            "--preset", "page-1024", "--page", "640x160", "--size", "14px", "--margin", "8px",
            "--engine", "serial", "--ocr", "--ocr-url", server.url, "--ocr-model", QWEN, "--no-ocr-cache",
        )  # fmt: skip
        first = run_cli("compare", tmp_path / "two.jsonl", *common, "-o", tmp_path / "out.jsonl", env=env)
        assert first.exit_code == 0, first.stderr
        asked = len(server.chat_requests())
        resumed = run_cli(
            "compare", tmp_path / "three.jsonl", *common, "--ocr-concurrency", "1", "--ocr-timeout", "60",
            "-o", tmp_path / "out.jsonl", "--resume", env=env,
        )  # fmt: skip
        assert resumed.exit_code == 0, resumed.stderr
        pages_of_third = len(server.chat_requests()) - asked
        clean = run_cli("compare", tmp_path / "three.jsonl", *common, "-o", tmp_path / "clean.jsonl", env=env)
        assert clean.exit_code == 0, clean.stderr
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["input"] for r in records] == ["t0", "t1", "t2"]
    # Only the third record's pages are asked for; where the file system keeps no extended
    # attributes, the second is read again to check the saved records' options.
    checked = 0 if keeps_user_xattrs(tmp_path) else records[1]["ocr"]["pages_read"]
    assert pages_of_third == records[2]["ocr"]["pages_read"] + checked
    assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "clean.jsonl").read_bytes()
    for record in records:
        ocr = record["ocr"]
        assert ocr["engine"] == "openai" and ocr["engine_version"] == QWEN and ocr["cer"] < 0.05
        assert ocr["usage"]["prompt_minus_vision"] == [24, 24]
        assert all(p["prompt_tokens"] == p["vision_tokens"] + 24 for p in ocr["pages"])
    assert SECRET not in (tmp_path / "out.jsonl").read_text()


@pytest.mark.slow
def test_sweep_reads_with_the_server(run_cli, text, tmp_path) -> None:
    source = tmp_path / "a.txt"
    source.write_text(text, encoding="utf-8")
    with ChatServer() as server:
        result = run_cli(
            "sweep", source, "--preset", "page-1024", "--page", "640x200", "--vary", "size=12,16",
            "-t", "cl100k", "-e", "qwen2.5-vl", "--ocr", "--ocr-url", server.url, "--ocr-model", QWEN,
            "--json",
            env={"XDG_CACHE_HOME": str(tmp_path)},
        )  # fmt: skip
        assert len(server.chat_requests()) == 2
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [r["ocr"]["engine"] for r in report["records"]] == ["openai", "openai"]
    assert all(r["ocr"]["cer"] < 0.05 for r in report["records"])


def test_the_page_is_a_png_data_url_the_server_can_decode(text, tmp_path) -> None:
    """Colour pages travel as RGB PNGs, and what arrives is pixel for pixel what was rendered."""
    result = render(text, PAGE.replace(color_mode="RGB", foreground="#203060", background="#fffaf0"))
    with ChatServer() as server:
        OpenAIEngine(options(server, tmp_path, cache=False)).read(result.pages[0])
        received = server.chat_requests()[0]
    assert received.image.mode == "RGB"
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(received.png)).convert("RGB")), result.pages[0])


def test_the_openai_engine_is_built_once_per_server_and_key(tmp_path, monkeypatch) -> None:
    with ChatServer() as server:
        opts = options(server, tmp_path)
        first = get_ocr_engine("openai", opts)
        assert get_ocr_engine("openai", opts) is first
        assert len([r for r in server.requests if r.path == "/v1/models"]) == 1
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        assert get_ocr_engine("openai", opts) is not first
        assert server.requests[-1].authorization == f"Bearer {SECRET}"
    with pytest.raises(UsageError, match="needs --ocr-url"):
        get_ocr_engine("openai")


@pytest.mark.slow
def test_every_documented_command_runs(run_cli, tmp_path) -> None:
    """Each `$ pixtok` line of docs/vlm.md runs against the loopback server in place of the
    documented http://localhost:8000/v1."""
    from doc_examples import run_page

    doc = Path(__file__).resolve().parents[1] / "docs" / "vlm.md"
    with ChatServer(models={DEEPSEEK: "deepseek", QWEN: "qwen"}) as server:
        count = run_page(doc, run_cli, tmp_path, replace={"http://localhost:8000/v1": server.url})
        assert len(server.chat_requests()) >= count
    assert count >= 4
