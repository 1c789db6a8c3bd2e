"""A real chat-completions server on loopback for the tests: it reads the pages it receives with
Tesseract, as a VLM server would answer with its model.

`ChatServer` runs `http.server.ThreadingHTTPServer` in a thread on 127.0.0.1 (an ephemeral port)
and speaks the part of OpenAI's API that pixtok uses:

- `GET /v1/models` lists the served models;
- `POST /v1/chat/completions` checks the request as vLLM and OpenAI do (bearer key, JSON body,
  a served model name, a messages list whose user message holds one `image_url` part with a
  `data:image/png;base64,` URL of a real PNG and a text part, sane `max_tokens`/`temperature`),
  answering 400/401/404 with OpenAI-style error bodies, then runs Tesseract (`eng`, one text
  block) on the decoded image and answers with the text and a `usage` block.

`usage.prompt_tokens` is what a serving engine counts: the image's tokens, computed here from
the model's own preprocessing written out independently of pixtok (Qwen2.5-VL's smart resize as
transformers' `Qwen2VLImageProcessor` does it; DeepSeek-OCR's token layout as vLLM's
`DeepseekOCRProcessor.tokenize_with_images` builds it for a page up to 640×640), plus a fixed
count for the chat template and the prompt's words. `completion_tokens` is the answer's words.

Behaviours for the retry tests: `script` is a list of canned answers (`(status, headers)`) used
before real ones; `stall` makes chat requests hang for that many seconds. Every request is logged
(`requests`), and `max_in_flight` counts concurrent chat requests; with `barrier=n`, chat requests
wait (up to 5 s) until n are in flight, which shows whether a client really sends n at once.
With `query`, every request must carry that query string, as Azure OpenAI's `api-version`.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytesseract
from PIL import Image

#: Tokens a chat template adds around one user message (role markers, BOS, generation prompt).
TEMPLATE_TOKENS = 17
#: Fixed token counts of two model families' image sequences.
QWEN_FACTOR, QWEN_MIN_PIXELS, QWEN_MAX_PIXELS = 28, 4 * 28 * 28, 16384 * 28 * 28


def qwen_image_tokens(width: int, height: int) -> int:
    """Qwen2.5-VL's image tokens plus <|vision_start|>/<|vision_end|>, after transformers'
    `smart_resize` (qwen2_vl/image_processing_qwen2_vl.py) with the published pixel budget."""
    factor = QWEN_FACTOR
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > QWEN_MAX_PIXELS:
        beta = math.sqrt((height * width) / QWEN_MAX_PIXELS)
        h_bar = math.floor(height / beta / factor) * factor
        w_bar = math.floor(width / beta / factor) * factor
    elif h_bar * w_bar < QWEN_MIN_PIXELS:
        beta = math.sqrt(QWEN_MIN_PIXELS / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return (h_bar // factor) * (w_bar // factor) + 2


def deepseek_image_tokens(width: int, height: int) -> int:
    """vLLM's DeepSeek-OCR sequence for an image up to 640×640 (Gundam: no tiles, the 1024² global
    view): (16 + 1)·16 image tokens with a newline per row, and one view separator."""
    if width > 640 or height > 640:
        raise AssertionError("the test server counts DeepSeek-OCR pages up to 640×640 only")
    queries = math.ceil((1024 // 16) / 4)
    return (queries + 1) * queries + 1


IMAGE_TOKENS = {"qwen": qwen_image_tokens, "deepseek": deepseek_image_tokens}


@dataclass
class Logged:
    """One request as the server saw it."""

    method: str
    path: str
    at: float
    authorization: str | None
    query: str = ""
    status: int = 0
    body: dict[str, Any] | None = None
    image: Image.Image | None = None
    png: bytes | None = None
    prompt: str | None = None
    order: tuple[str, ...] = ()


@dataclass
class ChatServer:
    """See the module docstring. Use as a context manager; `url` is the base URL (…/v1)."""

    models: dict[str, str] = field(default_factory=lambda: {"Qwen/Qwen2.5-VL-7B-Instruct": "qwen"})
    api_key: str | None = None
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    stall: float = 0.0
    barrier: int = 0
    #: A query every request must carry (Azure OpenAI's `api-version=...`), None: any.
    query: str | None = None
    requests: list[Logged] = field(default_factory=list)
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._in_flight = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def chat_requests(self) -> list[Logged]:
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    def __enter__(self) -> ChatServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                owner._handle(self, "GET")

            def do_POST(self) -> None:
                owner._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # a stalled answer must not hold up the test's end
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    # -- answering --

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path, _, query = handler.path.partition("?")
        logged = Logged(method, path, time.monotonic(), handler.headers.get("Authorization"), query)
        with self._lock:
            self.requests.append(logged)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        status, headers, body = self._answer(handler, method, raw, logged)
        logged.status = status
        data = json.dumps(body).encode("utf-8")
        try:
            handler.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def _answer(
        self, handler: BaseHTTPRequestHandler, method: str, raw: bytes, logged: Logged
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        if self.api_key is not None and handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {}, _error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        if self.query is not None and logged.query != self.query:
            return 404, {}, _error(f"Resource not found: {handler.path}", "NotFoundError", 404)
        if method == "GET" and logged.path == "/v1/models":
            return 200, {}, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]}
        if method != "POST" or logged.path != "/v1/chat/completions":
            return 404, {}, _error(f"Not Found: {method} {handler.path}", "NotFoundError", 404)
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self._arrived.notify_all()
            if self.barrier:
                self._arrived.wait_for(lambda: self._in_flight >= self.barrier, timeout=5)
        try:
            if self.stall:
                time.sleep(self.stall)
            with self._lock:
                canned = self.script.pop(0) if self.script else None
            if canned is not None:
                status, headers = canned
                return status, headers, _error(f"canned {status}", "server_error", status)
            return self._complete(raw, logged)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _complete(self, raw: bytes, logged: Logged) -> tuple[int, dict[str, str], dict[str, Any]]:
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {}, _error("The request body is not valid JSON.", "BadRequestError", 400)
        if not isinstance(body, dict):
            return 400, {}, _error("The request body must be a JSON object.", "BadRequestError", 400)
        logged.body = body
        model = body.get("model")
        if model not in self.models:
            return 404, {}, _error(f"The model `{model}` does not exist.", "NotFoundError", 404, "model")
        problem = _check_options(body)
        if problem:
            return 400, {}, _error(problem, "BadRequestError", 400)
        parsed = _user_parts(body.get("messages"))
        if isinstance(parsed, str):
            return 400, {}, _error(parsed, "BadRequestError", 400, "messages")
        png, prompt, order = parsed
        try:
            image = Image.open(io.BytesIO(png))
            image.load()
        except OSError:
            return 400, {}, _error("The image could not be decoded.", "BadRequestError", 400, "messages")
        logged.png, logged.image, logged.prompt, logged.order = png, image, prompt, order
        text = pytesseract.image_to_string(image, lang="eng", config="--psm 6").strip()
        width, height = image.size
        prompt_tokens = (
            IMAGE_TOKENS[self.models[model]](width, height) + TEMPLATE_TOKENS + len(prompt.split())
        )
        completion_tokens = len(text.split())
        max_tokens = body.get("max_tokens")
        finish = "length" if isinstance(max_tokens, int) and completion_tokens > max_tokens else "stop"
        return (
            200,
            {},
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "model": model,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )


def _error(message: str, kind: str, code: Any, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _check_options(body: dict[str, Any]) -> str | None:
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (
        not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1
    ):
        return "max_tokens must be a positive integer."
    temperature = body.get("temperature")
    if temperature is not None and (not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2):
        return "temperature must be a number between 0 and 2."
    return None


def _user_parts(messages: Any) -> tuple[bytes, str, tuple[str, ...]] | str:
    """(PNG bytes, prompt text, part order) of the one user message, or what is wrong with it."""
    if not isinstance(messages, list) or not messages:
        return "messages must be a non-empty list."
    users = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant"):
            return "each message needs a role of system, user or assistant."
        if not isinstance(message.get("content"), (str, list)):
            return "each message needs a content string or list of parts."
        if message["role"] == "user":
            users.append(message)
    if len(users) != 1 or not isinstance(users[0]["content"], list):
        return "expected one user message whose content is a list of parts."
    images, texts, order = [], [], []
    for part in users[0]["content"]:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "image_url" and isinstance(part.get("image_url"), dict):
            images.append(part["image_url"].get("url"))
            order.append("image")
        elif kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
            order.append("text")
        else:
            return f"unsupported content part: {json.dumps(part)[:80]}"
    if len(images) != 1 or not texts:
        return "expected exactly one image_url part and a text part."
    url = images[0]
    prefix = "data:image/png;base64,"
    if not isinstance(url, str) or not url.startswith(prefix):
        return "image_url must be a data:image/png;base64 URL."
    try:
        png = base64.b64decode(url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        return "the image data is not valid base64."
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        return "the image data is not a PNG."
    return png, "\n".join(texts), tuple(order)
