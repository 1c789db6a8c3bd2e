"""A chat-completions server that misbehaves: pixtok ends every request with one line of error,
in its time, without reading without end, and keeps nothing wrong in its cache.

`HostileServer` is a raw HTTP/1.1 server on loopback (a `socketserver` thread, no framework
between the bytes and the socket), so it can do what a broken or malicious server does: drip
its answer a byte at a time, send more than any answer needs, gzip a bomb, nest JSON deeper
than Python parses, put escape sequences in its error messages, or escape a lone surrogate.
"""

from __future__ import annotations

import gzip
import json
import socket
import socketserver
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chat_server import ChatServer

from pixtok import ServerError, UsageError
from pixtok.measure.ocr import get_ocr_engine
from pixtok.measure.vlm import AnswerCache, OpenAIEngine, ServerOptions, _retry_after, redact

MODEL = "test-model"
PAGE = np.full((40, 80), 255, dtype=np.uint8)
MODELS = json.dumps({"data": [{"id": MODEL}]}).encode()


def completion(content: Any, **choice: Any) -> bytes:
    return json.dumps({"choices": [{"message": {"content": content}, **choice}]}).encode()


#: (status, headers, body) or a function of the socket that writes the answer itself.
Answer = tuple[int, dict[str, str], bytes] | Callable[[Any], None]


class HostileServer:
    """Answers GET …/models and POST …/chat/completions with what the test gives (`models`,
    `chat`); `chat` may be a list, one answer per request in turn (the last one repeats)."""

    def __init__(self, chat: Answer | list[Answer], models: Answer = (200, {}, MODELS)) -> None:
        self.chat = chat if isinstance(chat, list) else [chat]
        self.models = models
        self.posts = 0
        self._posts_lock = threading.Lock()
        self.closed = threading.Event()  # set when the client hung up on a dripping answer
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock = self.request
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, rest = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(rest) < length:
                    rest += sock.recv(65536)
                if b" /v1/models" in head.split(b"\r\n")[0]:
                    answer = owner.models
                else:
                    with owner._posts_lock:
                        answer = owner.chat[min(owner.posts, len(owner.chat) - 1)]
                        owner.posts += 1
                try:
                    if callable(answer):
                        answer(sock)
                    else:
                        status, headers, body = answer
                        fields = {"Content-Type": "application/json", **headers}
                        lines = [f"HTTP/1.1 {status} X", *(f"{k}: {v}" for k, v in fields.items())]
                        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
                        sock.sendall("\r\n".join(lines).encode() + body)
                except OSError:
                    owner.closed.set()

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True
            block_on_close = False

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def drip(payload: bytes, every: float = 0.2, head: bool = False) -> Callable[[Any], None]:
    """An answer sent a byte every `every` seconds: the body after the headers, or (`head`) the
    headers too. Whole, it is a good answer: a client without a deadline would read it."""

    def send(sock: Any) -> None:
        header = f"HTTP/1.1 200 OK\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
        if not head:
            sock.sendall(header)
        for byte in (header if head else b"") + payload:
            sock.sendall(bytes([byte]))
            time.sleep(every)

    return send


def engine(server: HostileServer, tmp_path: Path, **changes: Any) -> OpenAIEngine:
    values = {"url": server.url, "model": MODEL, "retries": 0, "cache_dir": str(tmp_path / "cache")}
    return OpenAIEngine(ServerOptions(**(values | changes)))


# -- time and size ----------------------------------------------------------------------------------


@pytest.mark.parametrize("head", [False, True], ids=["body", "headers"])
def test_an_answer_dripped_a_byte_at_a_time_ends_at_the_timeout(head, tmp_path) -> None:
    """Each byte comes well within the timeout, so only a deadline over the whole answer ends it
    (the whole answer would take 4 s and read "Hello")."""
    with HostileServer(drip(completion("Hello"), every=4 / 40, head=head)) as server:
        reader = engine(server, tmp_path, timeout=1)
        with pytest.raises(ServerError, match=r"did not answer within 1 s \(1 try\)"):
            reader.read_pages([PAGE])
    with (
        HostileServer(completion("Hello"), models=drip(MODELS, every=4 / 20)) as server,
        pytest.raises(ServerError, match="did not answer within 1 s"),
    ):
        engine(server, tmp_path, timeout=1)


def test_an_answer_longer_than_any_completion_is_not_read_to_its_end(tmp_path) -> None:
    huge = b'{"choices": [{"message": {"content": "' + b"a" * (3 << 20) + b'"}}]}'
    bomb = gzip.compress(b" " * (64 << 20))  # 64 MB of spaces in 64 KB
    with HostileServer([(200, {}, huge), (200, {"Content-Encoding": "gzip"}, bomb)]) as server:
        reader = engine(server, tmp_path, max_tokens=16, cache=False)
        limit = f"{reader.answer_bytes:,}"
        for _ in range(2):
            with pytest.raises(ServerError, match=f"answered more than {limit} bytes"):
                reader.read_pages([PAGE])
    assert reader.answer_bytes == (1 << 20) + 256 * 16


def test_compressed_answers_are_unpacked_within_the_cap(tmp_path) -> None:
    """gzip and deflate (with or without its zlib wrapper) are read; a bomb is unpacked no
    further than the cap allows, and layered or unknown encodings are the server's error."""
    answer = completion("Hello")
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    good = [
        (200, {"Content-Encoding": "gzip"}, gzip.compress(answer)),
        (200, {"Content-Encoding": "deflate"}, zlib.compress(answer)),
        (200, {"Content-Encoding": "deflate"}, raw_deflate.compress(answer) + raw_deflate.flush()),
    ]
    with HostileServer(good) as server:
        reader = engine(server, tmp_path, cache=False)
        assert [reader.read_pages([PAGE])[0].text for _ in good] == ["Hello"] * 3
    bomb = gzip.compress(gzip.compress(b" " * (256 << 20)))  # 256 MB in two layers of 256 B
    refused = [
        (200, {"Content-Encoding": "gzip, gzip"}, bomb),
        (200, {"Content-Encoding": "br"}, answer),
        (200, {"Content-Encoding": "gzip"}, gzip.compress(b" " * (256 << 20))),
        (200, {"Content-Encoding": "gzip"}, b"\x1f\x8b\x08\x00 not gzip at all"),
    ]
    messages = [
        r"answered in an encoding pixtok does not read \(Content-Encoding: gzip, gzip\)",
        r"answered in an encoding pixtok does not read \(Content-Encoding: br\)",
        r"answered more than [0-9,]+ bytes",
        r"sent a damaged gzip answer",
    ]
    with HostileServer(refused) as server:
        reader = engine(server, tmp_path, cache=False)
        tracemalloc.start()
        try:
            for message in messages:
                with pytest.raises(ServerError, match=message):
                    reader.read_pages([PAGE])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 32 << 20, f"{peak:,} bytes at the peak"


def test_token_counts_no_float_holds_are_no_counts(tmp_path) -> None:
    """A usage count past 2**53 would overflow the ratios made from it: it is left out, as a
    negative or non-integer one is."""
    usage = {"prompt_tokens": 10**30, "completion_tokens": 2**53}
    body = json.dumps({"choices": [{"message": {"content": "Hi"}}], "usage": usage}).encode()
    with HostileServer((200, {}, body)) as server:
        (reading,) = engine(server, tmp_path, cache=False).read_pages([PAGE])
    assert (reading.text, reading.prompt_tokens, reading.completion_tokens) == ("Hi", None, 2**53)


def test_a_failed_page_stops_the_requests_still_in_flight(tmp_path) -> None:
    """One page is refused while the server holds the others: the batch fails with the refusal
    and its other requests end (their connections closed) instead of waiting for the server or
    the timeout. The refusal waits until the held requests have all arrived, so that they are in
    flight when it comes (a request not yet sent when the batch fails is never sent at all)."""
    held = threading.Semaphore(0)

    def hold(sock: Any) -> None:
        held.release()
        sock.settimeout(30)
        sock.recv(1)  # returns when the client closes the connection (or after 30 s)
        raise OSError("closed")

    def refuse(sock: Any) -> None:
        for _ in range(3):
            assert held.acquire(timeout=10), "the other pages were not sent together"
        body = b'{"error": {"message": "bad page"}}'
        head = f"HTTP/1.1 400 X\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        sock.sendall(head.encode() + body)

    with HostileServer([refuse, hold, hold, hold]) as server:
        reader = engine(server, tmp_path, concurrency=4, timeout=60, cache=False)
        pages = [np.full((40, 80), value, dtype=np.uint8) for value in (200, 210, 220, 230)]
        with pytest.raises(ServerError, match=r"refused the request \(400: bad page\)"):
            reader.read_pages(pages)
        assert server.closed.wait(10), "the held requests were not given up"
    workers = [t for t in threading.enumerate() if t.name.startswith("pixtok-ocr")]
    for thread in workers:
        thread.join(10)
    assert not any(t.is_alive() for t in workers)


# -- what an answer holds ------------------------------------------------------------------------------


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        b'{"choices": [{}]}',
        b'{"choices": [{"message": "Hello"}]}',
        completion(5),
        completion({"text": "Hello"}),
        completion([{"type": "text", "text": 5}]),
        completion([{"type": "text", "text": None}]),
    ],
    ids=["deep", "no-message", "message-str", "content-int", "content-dict", "part-int", "part-null"],
)
def test_what_is_not_a_chat_completion_fails_and_is_not_cached(body, tmp_path) -> None:
    with HostileServer([(200, {}, body), (200, {}, completion("Hello"))]) as server:
        reader = engine(server, tmp_path)
        with pytest.raises(ServerError, match="answered with something that is not a chat completion"):
            reader.read_pages([PAGE])
        assert reader.read_pages([PAGE])[0].text == "Hello"  # asked again: nothing was cached
        assert server.posts == 2


def test_a_lone_surrogate_reads_as_a_replacement_character_and_is_cached(tmp_path) -> None:
    body = b'{"choices": [{"message": {"content": "Hel\\ud800lo \\ud83d\\ude00"}}]}'
    with HostileServer((200, {}, body)) as server:
        reader = engine(server, tmp_path)
        assert reader.read_pages([PAGE])[0].text == "Hel\ufffdlo \U0001f600"
        assert reader.read_pages([PAGE])[0].text == "Hel\ufffdlo \U0001f600"
        assert server.posts == 1
    entries = list((tmp_path / "cache").rglob("*.json"))
    assert len(entries) == 1
    assert json.loads(entries[0].read_text(encoding="utf-8"))["text"] == "Hel\ufffdlo \U0001f600"


def test_an_answer_without_content_reads_as_an_empty_page(tmp_path) -> None:
    """A reasoning model that spends every token thinking answers `content: null`."""
    body = completion(None, finish_reason="length")
    with HostileServer((200, {}, body)) as server:
        reading = engine(server, tmp_path).read_pages([PAGE])[0]
    assert (reading.text, reading.finish_reason) == ("", "length")


def test_what_a_server_says_reaches_the_terminal_as_one_printable_line(tmp_path) -> None:
    message = json.dumps({"error": {"message": "bad \x1b[31mRED\x1b[0m\nthing"}}).encode()
    listing = json.dumps({"data": [{"id": 5}, {"id": ["x"]}, {"id": "other\nmodel\x1b[2J"}]}).encode()
    weird = json.dumps(
        {"model": "a\x1b[2J", "choices": [{"message": {"content": "Hi"}, "finish_reason": {"x": 1}}]}
    ).encode()
    with HostileServer([(400, {}, message), (200, {}, weird)]) as server:
        reader = engine(server, tmp_path, cache=False)
        with pytest.raises(ServerError) as refused:
            reader.read_pages([PAGE])
        reading = reader.read_pages([PAGE])[0]
    assert str(refused.value) == f"{server.url} refused the request (400: bad ?[31mRED?[0m thing)"
    assert (reading.text, reading.finish_reason, reader.served_model) == ("Hi", None, MODEL)
    with (
        HostileServer((200, {}, completion("Hi")), models=(200, {}, listing)) as server,
        pytest.raises(UsageError) as unserved,
    ):
        engine(server, tmp_path)
    assert str(unserved.value) == f"{server.url} does not serve {MODEL!r}; it serves: other model?[2J"


@pytest.mark.parametrize("status", [200, 500], ids=["models", "error"])
def test_deeply_nested_json_in_a_model_list_or_an_error_is_read_as_text(status, tmp_path) -> None:
    models = (200, {}, DEEP) if status == 200 else (200, {}, MODELS)
    with HostileServer((500, {}, DEEP), models=models) as server:
        reader = engine(server, tmp_path)  # a model list that cannot be read is not checked
        with pytest.raises(ServerError, match=r"answered 500: \[\[\[\["):
            reader.read_pages([PAGE])


def test_a_cache_entry_nested_too_deep_is_asked_again(tmp_path) -> None:
    cache = AnswerCache(tmp_path)
    path = tmp_path / "ab" / "abcd.json"
    path.parent.mkdir()
    path.write_bytes(DEEP)
    assert cache.get("abcd") is None


# -- retries -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "1e999"])
def test_a_retry_after_that_is_not_a_number_of_seconds_is_ignored(value) -> None:
    assert _retry_after(value) is None
    assert _retry_after("2") == 2.0 and _retry_after("1e9") == 60.0


# -- the URL and the options ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/v\x7f1",
        "http://127.0.0.1:1/v\t1",
        "http://127.0.0.1:1/v1\r\nX: y",
        "http://a..b/v1",
        "http://" + "x" * 64 + "/v1",
        "http://127.0.0.1:1/" + "v" * 9000,
    ],
    ids=["del", "tab", "header", "empty-label", "long-label", "long-url"],
)
def test_urls_no_request_can_be_sent_to_are_usage_errors(url) -> None:
    with pytest.raises(UsageError, match="--ocr-url"):
        ServerOptions(url=url, model=MODEL)


def test_a_host_name_idna_refuses_is_a_usage_error(tmp_path) -> None:
    with pytest.raises(UsageError, match="--ocr-url must be an http"):
        OpenAIEngine(ServerOptions(url="http://xn--/v1", model=MODEL, cache=False))


@pytest.mark.parametrize(
    "changes",
    [
        {"url": None},
        {"model": 5},
        {"prompt": 5},
        {"api_key_env": None},
        {"concurrency": 2.5},
        {"timeout": "5"},
        {"timeout": True},
        {"retries": 1.5},
        {"retries": None},
        {"max_tokens": 10.5},
        {"cache": "no"},
        {"cache_dir": 5},
    ],
    ids=lambda changes: next(iter(changes)) + "=" + repr(next(iter(changes.values()))),
)
def test_server_options_of_the_wrong_type_are_usage_errors(changes) -> None:
    name = next(iter(changes))
    with pytest.raises(UsageError, match=f"ServerOptions.{name} must be"):
        ServerOptions(**({"url": "http://localhost:8000/v1", "model": MODEL} | changes))


def test_a_query_in_the_url_is_sent_with_every_request_and_kept_out_of_messages(tmp_path) -> None:
    """Azure OpenAI wants `?api-version=...` on every request; a query may also carry a key."""
    with ChatServer(query="api-version=2024-02-01&key=s3cret") as server:
        url = server.url + "/?api-version=2024-02-01&key=s3cret"
        reader = OpenAIEngine(
            ServerOptions(url=url, model="Qwen/Qwen2.5-VL-7B-Instruct", cache=False, retries=0)
        )
        assert reader.read_pages([np.full((40, 80), 255, dtype=np.uint8)])[0].text == ""
        assert [(r.path, r.status) for r in server.requests] == [
            ("/v1/models", 200),
            ("/v1/chat/completions", 200),
        ]
        assert {r.query for r in server.requests} == {"api-version=2024-02-01&key=s3cret"}
    assert reader.url == redact(reader.options.url) == server.url
    assert reader.describe()["url"] == server.url


# -- corpus runs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine_name", ["serial", "process"])
def test_a_corpus_run_stops_at_once_when_the_server_cannot_be_used(run_cli, engine_name, tmp_path) -> None:
    """Before its first text, not after failing every text alike."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"text": f"text number {i}"}) + "\n" for i in range(6)))
    refused = (401, {}, b'{"error": {"message": "Incorrect API key provided."}}')
    with HostileServer(completion("x"), models=refused) as server:
        result = run_cli(
            "compare", corpus, "--ocr", "--ocr-url", server.url, "--ocr-model", MODEL, "--no-ocr-cache",
            "--engine", engine_name, "--jobs", "2", "-o", tmp_path / "records.jsonl",
        )  # fmt: skip
        assert server.posts == 0
    assert result.exit_code == 1 and result.exception is None
    assert result.error_lines == [
        f"pixtok: error: {server.url} refused the request (401: Incorrect API key provided.); "
        "no key was sent: set $OPENAI_API_KEY or name another variable with --ocr-api-key-env"
    ]
    assert not (tmp_path / "records.jsonl").exists()


def test_the_engine_of_a_server_that_failed_its_check_is_not_kept(tmp_path) -> None:
    refused = (401, {}, b'{"error": {"message": "no"}}')
    with HostileServer(completion("x"), models=refused) as server:
        options = ServerOptions(url=server.url, model=MODEL, cache=False)
        for _ in range(2):
            with pytest.raises(ServerError, match="refused the request"):
                get_ocr_engine("openai", options)


def test_a_study_stops_at_once_when_the_server_cannot_be_reached(run_cli, tmp_path) -> None:
    source = tmp_path / "long.txt"
    source.write_text("Hello world. This is a test of the study.\n" * 30, encoding="utf-8")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    result = run_cli(
        "study", "compression", source, "--excerpts", "3", "-e", "deepseek-ocr-tiny",
        "--ocr-url", url, "--ocr-model", MODEL, "-o", tmp_path / "study.jsonl",
    )  # fmt: skip
    assert result.exit_code == 1 and result.exception is None
    assert result.error_lines == [f"pixtok: error: cannot reach {url}: connection refused"]
    assert not (tmp_path / "study.jsonl").exists()
