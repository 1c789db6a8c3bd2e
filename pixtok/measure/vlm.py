"""Reading pages with a vision-language model behind an OpenAI-compatible chat-completions server.

vLLM, SGLang, llama.cpp's server, Ollama and TGI serve VLMs (DeepSeek-OCR, Qwen2.5-VL, GLM-4.1V,
olmOCR...) behind `POST {base}/chat/completions`. `OpenAIEngine` sends each page as a user
message holding the page (a `data:image/png;base64,...` URL) and a text prompt, and reads back the
answer and the server's `usage`: `prompt_tokens` counts what the model really spent on the image
(and the prompt around it), a check of pixtok's encoder presets against the serving engine.

Made for real servers:

- at most `concurrency` requests in flight (one `httpx.Client` with as many connections, and a
  thread per request);
- a deadline per request (`timeout` covers connecting, sending and the whole answer, so a
  server that drips its answer a byte at a time is cut off too), and a cap on the size of an
  answer; retries on 429, 5xx, timeouts and dropped connections, waiting
  `Retry-After` when the server sends one (up to `MAX_RETRY_AFTER`), otherwise exponential
  backoff with jitter (`BACKOFF_BASE` · 2^attempt, capped at `BACKOFF_CAP`, half of it random);
- before the first page, `GET {base}/models` checks that the server is there, takes the key and
  serves the model, so a typo fails at once with one line naming the URL;
- answers cached on disk, keyed by model, prompt, the PNG's SHA-256 and the generation
  parameters (not the URL: the same model elsewhere answers the same), so a second or resumed
  run does not pay twice. Entries are written atomically; an unreadable entry is ignored and
  written again.

The API key is read from an environment variable when the engine is built and goes only into
the `Authorization` header: never into options, reports, records, cache entries or messages.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import numpy as np

from pixtok.errors import MissingDependencyError, ServerError, UsageError
from pixtok.io import write_bytes_atomic
from pixtok.limits import MAX_COUNT
from pixtok.measure.ocr import PageReading
from pixtok.measure.prompts import GENERIC_PROMPT, clean_answer, model_family
from pixtok.output_files import png_bytes

DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_CONCURRENCY = 4
DEFAULT_TIMEOUT = 120.0
DEFAULT_RETRIES = 4
#: Longest answer asked for: a dense 1024² page of Chinese is about 3,000 tokens.
DEFAULT_MAX_TOKENS = 4096
#: Longest wait a Retry-After header is granted (seconds).
MAX_RETRY_AFTER = 60.0
#: Backoff before retry k (0-based) is BACKOFF_BASE·2^k seconds, capped, half of it random.
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
#: Statuses worth another try: rate limits, timeouts and server-side failures.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
#: The longest URL taken: what common servers and proxies accept in a request line (8 KiB).
MAX_URL_CHARS = 8192
#: Bytes an answer may take: a megabyte for the JSON around the text, and 256 bytes a token of
#: the longest answer asked for (twice the longest cl100k token JSON-escaped, 128 bytes; the
#: mean is 6.8).
ANSWER_BASE_BYTES = 1 << 20
ANSWER_BYTES_PER_TOKEN = 256
#: Bytes read of an error answer (its message is cut to 200 characters) and of the model list.
ERROR_BYTES = 64 << 10
MODELS_BYTES = 16 << 20
#: How often a request waiting on the server looks whether its batch was given up (seconds).
STOP_POLL = 0.25


# -- options --------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """Where answers are cached unless told otherwise: $XDG_CACHE_HOME/pixtok/ocr (~/.cache/...)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pixtok" / "ocr"


@dataclass(frozen=True)
class ServerOptions:
    """Where and how `OpenAIEngine` asks: server, model, prompt and how patiently.

    `url` is the base URL an OpenAI client takes (`http://gpu-box:8000/v1`); `prompt` None uses
    the model family's preset; `api_key_env` names the variable holding the key (unset: no key is
    sent, as local servers expect; a variable named explicitly must be set); `encoder` None takes
    the family's preset. `cache_dir` None is `default_cache_dir()`; `cache=False` neither reads
    nor writes it.
    """

    url: str
    model: str
    prompt: str | None = None
    api_key_env: str = DEFAULT_API_KEY_ENV
    concurrency: int = DEFAULT_CONCURRENCY
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    max_tokens: int = DEFAULT_MAX_TOKENS
    encoder: str | None = None
    cache: bool = True
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        _check_types(self)
        object.__setattr__(self, "url", _checked_url(self.url))
        if not self.model.strip():
            raise UsageError("--ocr-model must name the model the server serves")
        if self.prompt is not None and not self.prompt.strip():
            raise UsageError("--ocr-prompt must not be empty")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.api_key_env):
            raise UsageError(f"--ocr-api-key-env must name an environment variable, not {self.api_key_env!r}")
        if not 1 <= self.concurrency <= 1024:
            raise UsageError(f"--ocr-concurrency must be between 1 and 1024, not {self.concurrency}")
        if not 0 < self.timeout <= 86_400:
            raise UsageError(f"--ocr-timeout must be a positive number of seconds, not {self.timeout}")
        if not 0 <= self.retries <= 100:
            raise UsageError(f"--ocr-retries must be between 0 and 100, not {self.retries}")
        if not 1 <= self.max_tokens <= 1_000_000:
            raise UsageError(f"--ocr-max-tokens must be a positive number of tokens, not {self.max_tokens}")

    def record_settings(self) -> dict[str, Any]:
        """The options that decide what a record holds (model, prompt, answer length, encoder);
        where the server is and how patiently it is asked do not, so a resumed run may change them."""
        return {
            "model": self.model,
            "prompt": self.prompt,
            "max_tokens": self.max_tokens,
            "encoder": self.encoder,
        }


#: The type each option takes (an int where a count is meant: 2.5 requests cannot be in flight).
_OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "url": (str,),
    "model": (str,),
    "prompt": (str, type(None)),
    "api_key_env": (str,),
    "concurrency": (int,),
    "timeout": (int, float),
    "retries": (int,),
    "max_tokens": (int,),
    "encoder": (str, type(None)),
    "cache": (bool,),
    "cache_dir": (str, os.PathLike, type(None)),
}


def _check_types(options: ServerOptions) -> None:
    for name, types in _OPTION_TYPES.items():
        value = getattr(options, name)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            wanted = " or ".join("None" if t is type(None) else t.__name__ for t in types)
            raise UsageError(f"ServerOptions.{name} must be {wanted}, not {type(value).__name__}")


def _checked_url(url: str) -> str:
    """The base URL requests are made from (no fragment, no slash ending the path; a query is
    kept and sent with every request), or a UsageError for one no request could be sent to."""
    wrong = UsageError(f"--ocr-url must be an http(s) URL such as http://localhost:8000/v1, not {url!r}")
    text = url.strip()
    if len(text) > MAX_URL_CHARS:
        raise UsageError(f"--ocr-url is {len(text):,} characters long; at most {MAX_URL_CHARS:,} are taken")
    if any(not char.isprintable() or char.isspace() for char in text):
        raise wrong
    try:
        parts = urlsplit(text)
        hostname, _ = parts.hostname, parts.port
    except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
        raise wrong from None
    if hostname is None or parts.scheme.lower() not in ("http", "https"):
        raise wrong
    if ":" not in hostname:  # a name, not an IPv6 address: labels of 1-63 characters
        try:
            hostname.encode("idna")
        except UnicodeError:
            raise wrong from None
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), parts.query, ""))


def redact(url: str) -> str:
    """`url` without user, password and query (a query may carry a key), fit for reports and
    messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None and not parts.query:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", parts.fragment))


# -- usage beside pixtok's counts ------------------------------------------------------------------


def usage_record(reading: PageReading, vision_tokens: int | None) -> dict[str, Any]:
    """The server's usage for one page beside pixtok's count of the image's tokens.

    `vision_tokens` is the preset's `sequence_tokens` (image tokens with their row breaks and
    markers, as the model's sequence holds them); `prompt_minus_vision` is what the server counted
    beyond them: the prompt and chat template, the same on every page when the preset agrees with
    the serving engine.
    """
    difference = None
    if reading.prompt_tokens is not None and vision_tokens is not None:
        difference = reading.prompt_tokens - vision_tokens
    return {
        "prompt_tokens": reading.prompt_tokens,
        "completion_tokens": reading.completion_tokens,
        "vision_tokens": vision_tokens,
        "prompt_minus_vision": difference,
        "finish_reason": reading.finish_reason,
    }


def usage_total(pages: Sequence[dict[str, Any]], encoder: str | None) -> dict[str, Any]:
    """Usage over the pages sent: token sums, and the range of `prompt_minus_vision` (one value
    when the preset agrees with the server on every page)."""

    def total(key: str) -> int | None:
        values = [p[key] for p in pages if p.get(key) is not None]
        return int(sum(values)) if values else None

    differences = [p["prompt_minus_vision"] for p in pages if p.get("prompt_minus_vision") is not None]
    return {
        "encoder": encoder,
        "prompt_tokens": total("prompt_tokens"),
        "completion_tokens": total("completion_tokens"),
        "vision_tokens": total("vision_tokens"),
        "prompt_minus_vision": [min(differences), max(differences)] if differences else None,
        "truncated_pages": sum(1 for p in pages if p.get("finish_reason") == "length"),
    }


def combine_usage(totals: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several `usage_total`s as one: sums add up, the `prompt_minus_vision` range widens."""

    def total(key: str) -> int | None:
        values = [t[key] for t in totals if t.get(key) is not None]
        return int(sum(values)) if values else None

    ranges = [t["prompt_minus_vision"] for t in totals if t.get("prompt_minus_vision")]
    encoders = {t.get("encoder") for t in totals}
    return {
        "encoder": encoders.pop() if len(encoders) == 1 else None,
        "prompt_tokens": total("prompt_tokens"),
        "completion_tokens": total("completion_tokens"),
        "vision_tokens": total("vision_tokens"),
        "prompt_minus_vision": [min(r[0] for r in ranges), max(r[1] for r in ranges)] if ranges else None,
        "truncated_pages": sum(int(t.get("truncated_pages") or 0) for t in totals),
    }


# -- the cache ------------------------------------------------------------------------------------


class AnswerCache:
    """Answers on disk, one JSON file per key (`KEY[:2]/KEY.json`), written atomically."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry for `key`, or None when there is none or it cannot be read (then it is rewritten)."""
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("text"), str):
            return None
        for name in ("prompt_tokens", "completion_tokens"):
            if entry.get(name) is not None and not isinstance(entry[name], int):
                return None
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(path, json.dumps({"key": key, **entry}, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot write the OCR cache in {self.folder}: {exc.strerror or exc}") from None


# -- the engine -----------------------------------------------------------------------------------


def _printable(text: str) -> str:
    """`text` fit for one line of a terminal: whitespace runs become one space, and other
    characters that are not printable (escape sequences a server sends) become `?`."""
    return "".join(char if char.isprintable() else "?" for char in " ".join(text.split()))


def _valid_unicode(text: str) -> str:
    """`text` with every lone surrogate (JSON can escape one: `"\\ud800"`) as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _json(body: bytes) -> Any:
    """The JSON value of an answer's body (UTF-8, -16 or -32), or None when it holds none
    (nesting deeper than Python's parser goes counts as none)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _reason(exc: BaseException) -> str:
    """`[Errno 111] Connection refused` → `connection refused`."""
    text = str(exc) or type(exc).__name__
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text.splitlines()[0])
    return _printable(text[:1].lower() + text[1:])[:200]


def _error_message(response: Any, body: bytes) -> str:
    """The one-line message of an error answer (OpenAI's `{"error": {"message": ...}}` and
    others), from the first `ERROR_BYTES` of its body."""
    data = _json(body)
    message: Any = None
    if isinstance(data, dict):
        error = data.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        message = message or data.get("message") or data.get("detail")
    if not message:
        message = body.decode(response.encoding or "utf-8", "replace") or response.reason_phrase
    return _printable(str(message)[:1000])[:200]


def _retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (a number or an HTTP date), or None."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError):
            return None
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return value
    return None


def _decoded_body(response: Any, cap: int, url: str) -> bytes | None:
    """The body of a response, its Content-Encoding (gzip or deflate) undone as it arrives, or
    None once it passes `cap` bytes: no more is read or unpacked than that. (httpx's own decoders
    unpack a whole network chunk at once, and one layer after another: a few KB of nested gzip
    would unpack to gigabytes before a check after the chunk could stop it.) An encoding it
    does not undo, or more than one, is the server's error."""
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
        named = _label(", ".join(codings), 64) or "?"
        raise ServerError(f"{url} answered in an encoding pixtok does not read (Content-Encoding: {named})")
    coding = codings[0] if codings else None
    decoder = None if coding is None else zlib.decompressobj(zlib.MAX_WBITS | (16 if "gzip" in coding else 0))
    body = bytearray()
    try:
        for data in response.iter_raw():
            if decoder is None:
                body += data
            while decoder is not None and data and len(body) <= cap:
                try:
                    body += decoder.decompress(data, cap + 1 - len(body))
                except zlib.error:
                    if coding != "deflate" or body:
                        raise
                    # Deflate without its zlib wrapper, as some servers send it (httpx reads both).
                    decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                data = decoder.unconsumed_tail
            if len(body) > cap:
                return None
    except zlib.error as exc:
        raise ServerError(f"{url} sent a damaged {coding} answer ({exc})") from None
    return bytes(body)


def _label(value: Any, longest: int) -> str | None:
    """A short name a server gives (a model id, a finish reason), or None for anything else."""
    if isinstance(value, str) and value and len(value) <= longest and value.isprintable():
        return value
    return None


class _Requests(threading.local):
    """What the request a thread is making may take: its deadline (`time.monotonic()`), and the
    event that says its batch was given up. The connections' reads and writes ask it."""

    deadline = math.inf
    stop: threading.Event | None = None

    def left(self, timeout: float | None, expired: type[Exception]) -> float:
        """Seconds the next read or write may wait (the connection's own `timeout`, or less),
        or `expired` raised when the deadline has passed or the batch was given up."""
        left = self.deadline - time.monotonic()
        if timeout is not None:
            left = min(left, timeout)
        if left <= 0 or (self.stop is not None and self.stop.is_set()):
            raise expired("the request's deadline passed")
        return left


def _transport(httpx: Any, limits: Any, requests: _Requests) -> Any:
    """httpx's transport over a connection pool whose connections keep `requests`' deadlines.

    httpx's timeouts bound each connect, write and read, not a whole request: a server that
    sends a byte every few seconds never trips them. Here every read waits at most what is left
    of its thread's deadline, and no more than `STOP_POLL` at a time, so a request whose batch
    was given up ends within that. The pool is httpcore's, given these connections through its
    `network_backend` hook; httpx's `HTTPTransport` maps requests and errors as it always does.
    """
    import httpcore

    class Stream(httpcore.NetworkStream):
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            while True:
                left = requests.left(timeout, httpcore.ReadTimeout)
                try:
                    return self._inner.read(max_bytes, min(left, STOP_POLL))
                except httpcore.ReadTimeout:
                    if left <= STOP_POLL:
                        raise

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._inner.write(buffer, requests.left(timeout, httpcore.WriteTimeout))

        def close(self) -> None:
            self._inner.close()

        def start_tls(
            self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
        ) -> Any:
            left = requests.left(timeout, httpcore.ConnectTimeout)
            return Stream(self._inner.start_tls(ssl_context, server_hostname, left))

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    class Backend(httpcore.NetworkBackend):
        def __init__(self) -> None:
            self._inner = httpcore.SyncBackend()

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> Any:
            left = requests.left(timeout, httpcore.ConnectTimeout)
            return Stream(self._inner.connect_tcp(host, port, left, local_address, socket_options))

        def connect_unix_socket(
            self, path: str, timeout: float | None = None, socket_options: Any = None
        ) -> Any:
            left = requests.left(timeout, httpcore.ConnectTimeout)
            return Stream(self._inner.connect_unix_socket(path, left, socket_options))

        def sleep(self, seconds: float) -> None:
            self._inner.sleep(seconds)

    transport = httpx.HTTPTransport(limits=limits, trust_env=False)
    # The one private name used: the pool HTTPTransport sends through (httpx 0.27 and 0.28).
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=Backend(),
    )
    return transport


class OpenAIEngine:
    """An OCR engine that asks a VLM behind an OpenAI-compatible server to read each page."""

    name = "openai"
    #: The model reads whole pages: line boxes are not used.
    whole_pages = True

    def __init__(self, options: ServerOptions, *, backoff: float = BACKOFF_BASE) -> None:
        try:
            import httpx
        except ImportError:
            raise MissingDependencyError(
                "--ocr-engine openai needs httpx: pip install 'pixtok[vlm]'"
            ) from None
        self._httpx = httpx
        self.options = options
        self.url = redact(options.url)
        self.family = model_family(options.model)
        self.prompt = (
            options.prompt
            if options.prompt is not None
            else (self.family.prompt if self.family else GENERIC_PROMPT)
        )
        self.image_first = self.family.image_first if self.family else True
        self.encoder = options.encoder or (self.family.encoder if self.family else None)
        if self.encoder is not None:
            from pixtok.encoders import get_encoder

            self._vision = get_encoder(self.encoder)
        self.backoff = backoff
        self._key = os.environ.get(options.api_key_env) or None
        if self._key is None and options.api_key_env != DEFAULT_API_KEY_ENV:
            raise UsageError(f"--ocr-api-key-env {options.api_key_env}: that environment variable is not set")
        if self._key is not None and not self._key.isprintable():
            raise UsageError(f"the API key in ${options.api_key_env} holds characters a header cannot carry")
        self._cache = None
        if options.cache:
            self._cache = AnswerCache(options.cache_dir or default_cache_dir())
        parts = urlsplit(options.url)
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) + "/"
        # Only the encodings `_decoded_body` undoes within the answer's cap (not brotli or zstd,
        # which httpx would otherwise offer and unpack without a bound).
        headers = {"Accept-Encoding": "gzip, deflate"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        limits = httpx.Limits(
            max_connections=options.concurrency, max_keepalive_connections=options.concurrency
        )
        self._requests = _Requests()
        try:
            self._client = httpx.Client(
                base_url=base,
                params=parse_qsl(parts.query, keep_blank_values=True),  # ?api-version=..., on every request
                headers=headers,
                timeout=httpx.Timeout(options.timeout),
                transport=_transport(httpx, limits, self._requests),
                trust_env=False,
            )
            self._client.build_request("GET", "models")
        except (httpx.InvalidURL, ValueError):  # a host name IDNA refuses (`xn--`, say)
            raise UsageError(
                f"--ocr-url must be an http(s) URL such as http://localhost:8000/v1, not {self.url!r}"
            ) from None
        self._random = random.Random()
        self._random_lock = threading.Lock()
        #: The bytes a chat answer may take.
        self.answer_bytes = ANSWER_BASE_BYTES + ANSWER_BYTES_PER_TOKEN * options.max_tokens
        self.served_model = options.model
        self._check_server()

    # -- reports --

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.served_model,
            "model": self.options.model,
            "url": self.url,
            "family": self.family.name if self.family else None,
            "prompt": self.prompt,
            "encoder": self.encoder,
            "max_tokens": self.options.max_tokens,
            "temperature": 0.0,
        }

    def vision_tokens(self, width: int, height: int) -> int | None:
        """pixtok's count of the tokens the server's model spends on a width×height page."""
        if self.encoder is None:
            return None
        return self._vision.count(width, height).sequence_tokens

    # -- reading --

    def read(self, page: np.ndarray, lang: Any = None, lines: Any = None) -> str:
        """The text on `page` (the language and line boxes are not needed: the model reads it all)."""
        return self.read_pages([page])[0].text

    def read_pages(
        self, pages: Sequence[np.ndarray], progress: Callable[[int, int], None] | None = None
    ) -> list[PageReading]:
        """Read pages with at most `concurrency` requests in flight; results in page order.

        The first page that fails (after its retries) stops the rest and raises its error.
        """
        total = len(pages)
        if total == 0:
            return []
        #: Set when the batch stops early: its requests in flight end and its retries give up.
        stop = threading.Event()
        workers = min(self.options.concurrency, total)
        if workers == 1:
            readings = []
            for index, page in enumerate(pages):
                readings.append(self._read_one(page, stop))
                if progress is not None:
                    progress(index + 1, total)
            return readings
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pixtok-ocr")
        futures: list[Future[PageReading]] = []
        finished = False
        try:
            futures = [pool.submit(self._read_one, page, stop) for page in pages]
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()
                if progress is not None:
                    progress(done, total)
            finished = True
            return [future.result() for future in futures]
        finally:
            if not finished:  # a page failed, or Ctrl-C: the others end within STOP_POLL
                stop.set()
            pool.shutdown(wait=False, cancel_futures=True)

    def _cache_key(self, page_sha256: str) -> tuple[str, dict[str, Any]]:
        params = {"max_tokens": self.options.max_tokens, "temperature": 0.0}
        identity = {
            "model": self.options.model,
            "prompt": self.prompt,
            "image_first": self.image_first,
            "page_sha256": page_sha256,
            "params": params,
        }
        key = hashlib.sha256(json.dumps(identity, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        return key, identity

    def _read_one(self, page: np.ndarray, stop: threading.Event) -> PageReading:
        png = png_bytes(page)
        key, identity = self._cache_key(hashlib.sha256(png).hexdigest())
        entry = self._cache.get(key) if self._cache is not None else None
        if entry is None:
            answer = self._post(self._request(png), stop)
            entry = {**identity, **answer}
            if self._cache is not None:
                self._cache.put(key, entry)
        return PageReading(
            text=clean_answer(entry["text"], self.family),
            prompt_tokens=entry.get("prompt_tokens"),
            completion_tokens=entry.get("completion_tokens"),
            finish_reason=entry.get("finish_reason"),
        )

    def _request(self, png: bytes) -> bytes:
        import base64

        image = {
            "type": "image_url",
            "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode("ascii")},
        }
        text = {"type": "text", "text": self.prompt}
        body = {
            "model": self.options.model,
            "messages": [{"role": "user", "content": [image, text] if self.image_first else [text, image]}],
            "max_tokens": self.options.max_tokens,
            "temperature": 0.0,
        }
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    # -- HTTP --

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(BACKOFF_CAP, self.backoff * 2**attempt)
        with self._random_lock:
            return ceiling / 2 + self._random.uniform(0, ceiling / 2)

    def _send(
        self, method: str, path: str, cap: int, stop: threading.Event | None = None, **kwargs: Any
    ) -> tuple[Any, bytes | None]:
        """One request, within `timeout` from connecting to the last byte of its answer: the
        response and its body, or None for a body longer than `cap` bytes (no more is read)."""
        requests = self._requests
        requests.deadline, requests.stop = time.monotonic() + self.options.timeout, stop
        try:
            with self._client.stream(method, path, **kwargs) as response:
                return response, _decoded_body(response, cap, self.url)
        finally:
            requests.deadline, requests.stop = math.inf, None

    def _post(self, body: bytes, stop: threading.Event) -> dict[str, Any]:
        """POST a chat completion, retrying what is worth retrying; the answer's text and usage."""
        httpx = self._httpx
        tries = self.options.retries + 1
        failure = ""
        for attempt in range(tries):
            retry_after = None
            try:
                response, answer = self._send(
                    "POST", "chat/completions", self.answer_bytes, stop,
                    content=body, headers={"Content-Type": "application/json"},
                )  # fmt: skip
            except httpx.TimeoutException:
                failure = f"{self.url} did not answer within {self.options.timeout:g} s"
            except httpx.TransportError as exc:
                failure = f"cannot reach {self.url}: {_reason(exc)}"
            else:
                if response.status_code == 200:
                    if answer is None:
                        raise ServerError(f"{self.url} answered more than {self.answer_bytes:,} bytes")
                    return self._answer(answer)
                message = _error_message(response, (answer or b"")[:ERROR_BYTES])
                if response.status_code not in RETRY_STATUSES and response.status_code < 500:
                    raise self._refusal(response.status_code, message)
                failure = f"{self.url} answered {response.status_code}: {message}"
                retry_after = _retry_after(response.headers.get("retry-after"))
            if attempt + 1 < tries and stop.wait(self._wait(attempt, retry_after)):
                tries = attempt + 1  # the batch was given up: no more tries
                break
        raise ServerError(f"{failure} ({tries} {'try' if tries == 1 else 'tries'})")

    def _answer(self, body: bytes) -> dict[str, Any]:
        """The text, usage and finish reason of a chat completion's first choice. Its content is
        a string, a list of parts whose text parts are strings, or null: a model that spent its
        tokens elsewhere (reasoning, say) answers nothing, which reads as an empty page."""
        data = _json(body)
        choices = data.get("choices") if isinstance(data, dict) else None
        choice = choices[0] if isinstance(choices, list) and choices else None
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(data, dict) or not isinstance(choice, dict) or not isinstance(message, dict):
            raise self._not_a_completion()
        content = message.get("content")
        if isinstance(content, list):  # some servers answer in parts
            texts = [
                p.get("text") for p in content if isinstance(p, dict) and p.get("type", "text") == "text"
            ]
            if not all(isinstance(text, str) for text in texts):
                raise self._not_a_completion()
            content = "".join(texts)
        if content is not None and not isinstance(content, str):
            raise self._not_a_completion()
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        served = _label(data.get("model"), 256)
        if served is not None:
            self.served_model = served
        return {
            "text": _valid_unicode(content or ""),
            "prompt_tokens": _count(usage.get("prompt_tokens")),
            "completion_tokens": _count(usage.get("completion_tokens")),
            "finish_reason": _label(choice.get("finish_reason"), 64),
        }

    def _not_a_completion(self) -> ServerError:
        return ServerError(f"{self.url} answered with something that is not a chat completion")

    def _refusal(self, status: int, message: str) -> Exception:
        if status in (401, 403):
            where = (
                f"the key comes from ${self.options.api_key_env}"
                if self._key
                else f"no key was sent: set ${self.options.api_key_env} or name another variable "
                "with --ocr-api-key-env"
            )
            return ServerError(f"{self.url} refused the request ({status}: {message}); {where}")
        if status == 404:
            return UsageError(
                f"{self.url} has no chat completions for model {self.options.model!r} (404: {message})"
            )
        return ServerError(f"{self.url} refused the request ({status}: {message})")

    def _check_server(self) -> None:
        """GET /models: the server is there, takes the key and serves the model (when it lists models)."""
        httpx = self._httpx
        try:
            response, body = self._send("GET", "models", MODELS_BYTES)
        except httpx.TimeoutException:
            raise ServerError(f"{self.url} did not answer within {self.options.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise ServerError(f"cannot reach {self.url}: {_reason(exc)}") from None
        if response.status_code in (401, 403):
            raise self._refusal(response.status_code, _error_message(response, (body or b"")[:ERROR_BYTES]))
        if response.status_code != 200 or body is None:
            return  # not every server lists its models (or not in so many bytes): the first page tells
        data = _json(body)
        models = data.get("data") if isinstance(data, dict) else None
        if not isinstance(models, list):
            return
        listed = [m["id"] for m in models if isinstance(m, dict) and isinstance(m.get("id"), str)]
        if listed and self.options.model not in listed:
            shown = ", ".join(_printable(name)[:100] for name in listed[:10])
            more = " ..." if len(listed) > 10 else ""
            raise UsageError(f"{self.url} does not serve {self.options.model!r}; it serves: {shown}{more}")

    def close(self) -> None:
        self._client.close()


__all__ = [
    "DEFAULT_API_KEY_ENV",
    "AnswerCache",
    "OpenAIEngine",
    "ServerOptions",
    "combine_usage",
    "default_cache_dir",
    "redact",
    "usage_record",
    "usage_total",
]
