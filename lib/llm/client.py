"""The LLM client: the only module that imports `openai` (DESIGN rule 12).

Talks to any server that speaks the OpenAI chat-completions API: OpenAI,
Azure OpenAI (its `/openai/v1/` endpoint), Ollama, vLLM, LM Studio, ...,
configured by OPENAI_API_KEY, OPENAI_BASE_URL and LOUPE_LLM_MODEL
(`lib.config.Settings`).

Every SDK failure becomes an `LlmError` (an `ExternalServiceError`) whose
message tells a user what happened and what to check. Policy:
- one timeout per attempt (LOUPE_LLM_TIMEOUT, default 20 s);
- at most one retry, and only where a second try can help quickly: a refused
  or dropped connection, 429 and 5xx. A timeout is not retried: the user has
  already waited the full timeout once.
- the reply is capped in tokens (request) and characters (here).

`openai` is imported lazily, so a server with AI summaries off never loads it.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from lib.config import Settings
from lib.errors import ConfigurationError, ExternalServiceError

MAX_REPLY_TOKENS = 1000
MAX_REPLY_CHARS = 4000
TRUNCATION_MARK = " … [reply cut at 4000 characters]"
RETRY_PAUSE_SECONDS = 0.5
NO_KEY_PLACEHOLDER = "not-needed"  # local servers ignore the key, the SDK insists on one


class LlmError(ExternalServiceError):
    """The endpoint failed. `reason` is one of: timeout, connection, auth,
    forbidden, not_found, rate_limit, server, rejected, malformed, empty."""

    def __init__(self, message: str, *, reason: str, status: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Completion:
    """One successful reply with its token usage."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    usage_estimated: bool  # True when the server did not report usage
    truncated: bool


def missing_settings(settings: Settings) -> list[str]:
    """Names of the deployment settings still needed before the LLM can be called."""
    missing = [] if settings.llm_model else ["LOUPE_LLM_MODEL"]
    if not (settings.openai_api_key or settings.openai_base_url):
        missing.append("OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL (for a local or other server)")
    return missing


def not_configured_message(settings: Settings) -> str:
    """A sentence saying which settings to set; empty when the endpoint is configured."""
    missing = missing_settings(settings)
    if not missing:
        return ""
    return ("No AI endpoint is configured. Set " + " and ".join(missing)
            + " in the environment or .streamlit/secrets.toml, then restart the app. "
            "See docs/ai-summaries.md.")


def endpoint_label(settings: Settings) -> str:
    """Where requests go, for screens and messages (never the key)."""
    if not settings.openai_base_url:
        return "https://api.openai.com/v1"
    parts = urlsplit(settings.openai_base_url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def is_openai_service(settings: Settings) -> bool:
    """True for OpenAI itself or Azure OpenAI (they want `max_completion_tokens`)."""
    host = urlsplit(endpoint_label(settings)).hostname or ""
    return host == "api.openai.com" or host.endswith(".openai.azure.com")


def credits_for(tokens: int) -> int:
    """Reference 3.8.1: 1 credit per 1,000 tokens, rounded up, at least 1 per request (every AI feature)."""
    return max(1, math.ceil(max(tokens, 0) / 1000))


def estimate_tokens(text: str) -> int:
    """Rough token count (about 4 characters a token) for servers that report no usage."""
    return math.ceil(len(text) / 4)


class LlmClient:
    """A chat-completions client for the configured endpoint."""

    def __init__(self, settings: Settings):
        message = not_configured_message(settings)
        if message:
            raise ConfigurationError(message)
        import openai

        self.settings = settings
        self.model = settings.llm_model
        self._openai = openai
        self._sdk = openai.OpenAI(api_key=settings.openai_api_key or NO_KEY_PLACEHOLDER,
                                  base_url=settings.openai_base_url or None,
                                  timeout=settings.llm_timeout_seconds, max_retries=0)

    def complete(self, *, system: str, user: str) -> Completion:
        """Send one system + user message pair; return the reply or raise LlmError."""
        try:
            response = self._create(system, user)
        except LlmError as error:
            if error.reason not in ("connection", "rate_limit", "server"):
                raise
            time.sleep(RETRY_PAUSE_SECONDS)
            response = self._create(system, user)
        return self._completion(response, system + user)

    def _create(self, system: str, user: str):
        limit = "max_completion_tokens" if is_openai_service(self.settings) else "max_tokens"
        try:
            return self._sdk.chat.completions.create(
                model=self.model, messages=[{"role": "system", "content": system},
                                            {"role": "user", "content": user}],
                **{limit: MAX_REPLY_TOKENS})
        except self._openai.OpenAIError as error:
            raise self._mapped(error) from None
        except ValueError as error:  # the body was not JSON
            raise _malformed(str(error)) from None

    def _mapped(self, error) -> LlmError:
        """Translate an SDK exception into an LlmError with a clear message."""
        openai, where = self._openai, endpoint_label(self.settings)
        if isinstance(error, openai.APITimeoutError):
            return LlmError(f"The AI endpoint at {where} did not answer within "
                            f"{self.settings.llm_timeout_seconds:g} s. Try again later, or raise "
                            "LOUPE_LLM_TIMEOUT for a slow local model.", reason="timeout")
        if isinstance(error, openai.APIConnectionError):
            return LlmError(f"Cannot connect to the AI endpoint at {where} (connection refused or dropped). "
                            "Check OPENAI_BASE_URL and that the server is running.", reason="connection")
        if isinstance(error, openai.APIResponseValidationError):
            return _malformed(error.message)
        if isinstance(error, openai.APIStatusError):
            return _status_error(error.status_code, _detail(error), where, self.model)
        return _malformed(str(error))

    def _completion(self, response, prompt_text: str) -> Completion:
        choices = getattr(response, "choices", None)
        if not isinstance(choices, list):
            raise _malformed("the reply has no list of choices")
        if not choices:
            raise LlmError("The AI endpoint returned an empty reply (no choices). Try again.", reason="empty")
        message = getattr(choices[0], "message", None)
        content = getattr(message, "content", None)
        if content is not None and not isinstance(content, str):
            raise _malformed("the reply text is not a string")
        text = (content or "").strip()
        if not text:
            raise LlmError("The AI endpoint returned an empty reply. Try again.", reason="empty")
        truncated = len(text) > MAX_REPLY_CHARS
        if truncated:
            text = text[:MAX_REPLY_CHARS].rstrip() + TRUNCATION_MARK
        return _with_usage(text, getattr(response, "usage", None), getattr(response, "model", None) or self.model,
                           prompt_text, truncated)


def _with_usage(text: str, usage, model: str, prompt_text: str, truncated: bool) -> Completion:
    prompt = _count(getattr(usage, "prompt_tokens", None))
    completion = _count(getattr(usage, "completion_tokens", None))
    total = _count(getattr(usage, "total_tokens", None)) or (prompt + completion)
    estimated = total == 0
    if estimated:
        prompt, completion = estimate_tokens(prompt_text), estimate_tokens(text)
        total = prompt + completion
    return Completion(text=text, model=str(model)[:120], prompt_tokens=prompt, completion_tokens=completion,
                      total_tokens=total, usage_estimated=estimated, truncated=truncated)


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _detail(error) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        text = inner.get("message") if isinstance(inner, dict) else inner
    else:
        text = getattr(error, "message", "") or ""
    return " ".join(str(text or "").split())[:200]


def _status_error(status: int, detail: str, where: str, model: str) -> LlmError:
    suffix = f" ({detail})" if detail else ""
    if status == 401:
        return LlmError(f"The AI endpoint rejected the API key (HTTP 401). Check OPENAI_API_KEY.{suffix}",
                        reason="auth", status=status)
    if status == 403:
        return LlmError(f"The API key may not use this model or endpoint (HTTP 403).{suffix}",
                        reason="forbidden", status=status)
    if status == 404:
        return LlmError(f"The AI endpoint at {where} does not know model {model!r} or the address is wrong "
                        f"(HTTP 404). Check LOUPE_LLM_MODEL and OPENAI_BASE_URL.{suffix}",
                        reason="not_found", status=status)
    if status == 429:
        return LlmError("The AI endpoint is rate-limiting requests or the account's quota is used up (HTTP 429). "
                        f"Wait a minute and try again.{suffix}", reason="rate_limit", status=status)
    if status >= 500:
        return LlmError(f"The AI endpoint had a server error (HTTP {status}). Try again later.{suffix}",
                        reason="server", status=status)
    return LlmError(f"The AI endpoint refused the request (HTTP {status}).{suffix}", reason="rejected",
                    status=status)


def _malformed(detail: str) -> LlmError:
    return LlmError("The AI endpoint sent a reply that is not a valid chat completion. Check that "
                    f"OPENAI_BASE_URL points at an OpenAI-compatible API (…/v1). ({detail[:200]})",
                    reason="malformed")


def client_for(settings: Settings) -> LlmClient:
    """A client for the configured endpoint; ConfigurationError says what to set."""
    return LlmClient(settings)
