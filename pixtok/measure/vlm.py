"""Reading pages with a vision-language model behind an OpenAI-compatible chat-completions server.

vLLM, SGLang, llama.cpp's server, Ollama and TGI serve VLMs (DeepSeek-OCR, Qwen2.5-VL, GLM-4.1V,
olmOCR...) behind `POST {base}/chat/completions`. `OpenAIEngine` sends each page as a user
message holding the page (a `data:image/png;base64,...` URL) and a text prompt, and reads back the
answer and the server's `usage`: `prompt_tokens` counts what the model really spent on the image
(and the prompt around it), a check of pixtok's encoder presets against the serving engine.

Made for real servers:

- at most `concurrency` requests in flight (one `httpx.Client` with as many connections, and a
  thread per request);
- a timeout per request; retries on 429, 5xx, timeouts and dropped connections, waiting
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
import os
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from pixtok.errors import MissingDependencyError, ServerError, UsageError
from pixtok.io import write_bytes_atomic
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
        try:
            parts = urlsplit(self.url.strip())
            hostname, _ = parts.hostname, parts.port
        except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
            hostname = None
        if hostname is None or parts.scheme not in ("http", "https"):
            raise UsageError(
                f"--ocr-url must be an http(s) URL such as http://localhost:8000/v1, not {self.url!r}"
            )
        object.__setattr__(self, "url", self.url.strip().rstrip("/"))
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


def redact(url: str) -> str:
    """`url` without user and password, fit for reports and messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


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
        except (OSError, ValueError):
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


def _reason(exc: BaseException) -> str:
    """`[Errno 111] Connection refused` → `connection refused`."""
    text = str(exc) or type(exc).__name__
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text.splitlines()[0])
    return text[:1].lower() + text[1:]


def _error_message(response: Any) -> str:
    """The one-line message of an error answer (OpenAI's `{"error": {"message": ...}}` and others)."""
    try:
        data = response.json()
    except ValueError:
        data = None
    message: Any = None
    if isinstance(data, dict):
        error = data.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        message = message or data.get("message") or data.get("detail")
    if not message:
        message = response.text or response.reason_phrase
    return " ".join(str(message).split())[:200]


def _retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (a number or an HTTP date), or None."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


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
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        self._client = httpx.Client(
            base_url=options.url + "/",
            headers=headers,
            timeout=httpx.Timeout(options.timeout),
            limits=httpx.Limits(
                max_connections=options.concurrency, max_keepalive_connections=options.concurrency
            ),
            trust_env=False,
        )
        self._random = random.Random()
        self._random_lock = threading.Lock()
        #: Set when a batch of pages stops early: pending retries give up instead of waiting.
        self._stop = threading.Event()
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
        workers = min(self.options.concurrency, total)
        if workers == 1:
            readings = []
            for index, page in enumerate(pages):
                readings.append(self._read_one(page))
                if progress is not None:
                    progress(index + 1, total)
            return readings
        self._stop.clear()
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pixtok-ocr")
        futures: list[Future[PageReading]] = []
        finished = False
        try:
            futures = [pool.submit(self._read_one, page) for page in pages]
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()
                if progress is not None:
                    progress(done, total)
            finished = True
            return [future.result() for future in futures]
        finally:
            if not finished:  # a page failed, or Ctrl-C: the others stop retrying
                self._stop.set()
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

    def _read_one(self, page: np.ndarray) -> PageReading:
        png = png_bytes(page)
        key, identity = self._cache_key(hashlib.sha256(png).hexdigest())
        entry = self._cache.get(key) if self._cache is not None else None
        if entry is None:
            answer = self._post(self._request(png))
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

    def _post(self, body: bytes) -> dict[str, Any]:
        """POST a chat completion, retrying what is worth retrying; the answer's text and usage."""
        httpx = self._httpx
        tries = self.options.retries + 1
        failure = ""
        for attempt in range(tries):
            retry_after = None
            try:
                response = self._client.post(
                    "chat/completions", content=body, headers={"Content-Type": "application/json"}
                )
            except httpx.TimeoutException:
                failure = f"{self.url} did not answer within {self.options.timeout:g} s"
            except httpx.TransportError as exc:
                failure = f"cannot reach {self.url}: {_reason(exc)}"
            else:
                if response.status_code == 200:
                    return self._answer(response)
                if response.status_code not in RETRY_STATUSES and response.status_code < 500:
                    raise self._refusal(response)
                failure = f"{self.url} answered {response.status_code}: {_error_message(response)}"
                retry_after = _retry_after(response.headers.get("retry-after"))
            if attempt + 1 < tries and self._stop.wait(self._wait(attempt, retry_after)):
                tries = attempt + 1  # the batch was given up: no more tries
                break
        raise ServerError(f"{failure} ({tries} {'try' if tries == 1 else 'tries'})")

    def _answer(self, response: Any) -> dict[str, Any]:
        try:
            data = response.json()
            choice = data["choices"][0]
            message = choice.get("message") or {}
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise ServerError(f"{self.url} answered with something that is not a chat completion") from None
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # some servers answer in parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        if isinstance(data.get("model"), str) and data["model"]:
            self.served_model = data["model"]
        return {
            "text": content if isinstance(content, str) else "",
            "prompt_tokens": _count(usage.get("prompt_tokens")),
            "completion_tokens": _count(usage.get("completion_tokens")),
            "finish_reason": choice.get("finish_reason") if isinstance(choice, dict) else None,
        }

    def _refusal(self, response: Any) -> Exception:
        status, message = response.status_code, _error_message(response)
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
            response = self._client.get("models")
        except httpx.TimeoutException:
            raise ServerError(f"{self.url} did not answer within {self.options.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise ServerError(f"cannot reach {self.url}: {_reason(exc)}") from None
        if response.status_code in (401, 403):
            raise self._refusal(response)
        if response.status_code != 200:
            return  # not every server lists its models; the first page will tell
        try:
            listed = [m["id"] for m in response.json()["data"] if isinstance(m, dict) and "id" in m]
        except (ValueError, KeyError, TypeError):
            return
        if listed and self.options.model not in listed:
            shown = ", ".join(listed[:10]) + (" ..." if len(listed) > 10 else "")
            raise UsageError(f"{self.url} does not serve {self.options.model!r}; it serves: {shown}")

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
