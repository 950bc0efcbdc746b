"""lib.llm against a real chat-completions server on 127.0.0.1 (tests/fake_llm.py)."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from lib.llm import client as llm
from lib.config import Settings, load_settings
from lib.errors import ConfigurationError, ExternalServiceError
from tests.fake_llm import Behaviour, fake_llm, refused_url  # noqa: F401  (fixture)

PROJECT = Path(__file__).resolve().parent.parent
BASE = Settings(database_url="sqlite://", data_dir=Path("."), cookie_secret="x" * 32, cookie_expiry_days=1,
                openai_api_key="sk-test", openai_base_url=None, llm_model="fake-model", llm_timeout_seconds=1.0)


def client(url: str, **changes) -> llm.LlmClient:
    return llm.client_for(replace(BASE, openai_base_url=url, **changes))


def test_a_reply_comes_back_with_text_model_and_usage(fake_llm):
    fake_llm.reply = "  Stock is steady.  "
    completion = client(fake_llm.url).complete(system="You summarise.", user="Facts: {}")
    assert completion == llm.Completion(text="Stock is steady.", model="fake-model", prompt_tokens=900,
                                        completion_tokens=250, total_tokens=1150, usage_estimated=False,
                                        truncated=False)
    (request,) = fake_llm.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.body["messages"] == [{"role": "system", "content": "You summarise."},
                                        {"role": "user", "content": "Facts: {}"}]
    assert request.body["max_tokens"] == llm.MAX_REPLY_TOKENS and "temperature" not in request.body


def test_a_local_server_needs_no_api_key(fake_llm):
    client(fake_llm.url, openai_api_key=None).complete(system="s", user="u")
    assert fake_llm.requests[0].headers["authorization"] == f"Bearer {llm.NO_KEY_PLACEHOLDER}"


def test_openai_and_azure_get_max_completion_tokens():
    assert llm.is_openai_service(replace(BASE, openai_base_url=None))
    assert llm.is_openai_service(replace(BASE, openai_base_url="https://acme.openai.azure.com/openai/v1/"))
    assert not llm.is_openai_service(replace(BASE, openai_base_url="http://localhost:11434/v1"))


def test_missing_settings_are_named_and_nothing_is_sent(fake_llm):
    with pytest.raises(ConfigurationError, match="LOUPE_LLM_MODEL"):
        client(fake_llm.url, llm_model=None)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY .* or OPENAI_BASE_URL"):
        llm.client_for(replace(BASE, openai_api_key=None, openai_base_url=None))
    assert fake_llm.requests == []
    assert llm.not_configured_message(BASE) == ""


def test_settings_come_from_the_environment(tmp_path):
    settings = load_settings({"LOUPE_DATA_DIR": str(tmp_path), "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
                              "LOUPE_LLM_MODEL": "llama3.2", "LOUPE_LLM_TIMEOUT": "5"}, tmp_path / "none.toml")
    assert settings.llm_configured and settings.llm_timeout_seconds == 5
    assert llm.endpoint_label(settings) == "http://127.0.0.1:11434/v1"


def test_a_timeout_is_reported_and_not_retried(fake_llm):
    fake_llm.default = Behaviour(delay=3)
    with pytest.raises(llm.LlmError) as raised:
        client(fake_llm.url, llm_timeout_seconds=0.5).complete(system="s", user="u")
    assert raised.value.reason == "timeout" and "did not answer within 0.5 s" in str(raised.value)
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize("status, reason, words", [
    (500, "server", "server error (HTTP 500)"),
    (503, "server", "server error (HTTP 503)"),
    (429, "rate_limit", "rate-limiting"),
])
def test_retryable_errors_are_retried_once(fake_llm, status, reason, words):
    fake_llm.default = Behaviour(status=status)
    with pytest.raises(llm.LlmError) as raised:
        client(fake_llm.url).complete(system="s", user="u")
    assert raised.value.reason == reason and raised.value.status == status and words in str(raised.value)
    assert len(fake_llm.requests) == 2


def test_one_retry_can_recover(fake_llm):
    fake_llm.behaviours = [Behaviour(status=502)]
    assert client(fake_llm.url).complete(system="s", user="u").text == fake_llm.reply
    assert len(fake_llm.requests) == 2


@pytest.mark.parametrize("status, reason, words", [
    (401, "auth", "Check OPENAI_API_KEY"),
    (403, "forbidden", "HTTP 403"),
    (404, "not_found", "Check LOUPE_LLM_MODEL and OPENAI_BASE_URL"),
    (400, "rejected", "refused the request (HTTP 400)"),
])
def test_client_errors_are_not_retried(fake_llm, status, reason, words):
    fake_llm.default = Behaviour(status=status)
    with pytest.raises(llm.LlmError) as raised:
        client(fake_llm.url).complete(system="s", user="u")
    assert raised.value.reason == reason and words in str(raised.value)
    assert len(fake_llm.requests) == 1


def test_connection_refused_says_where_and_what_to_check():
    url = refused_url()
    with pytest.raises(ExternalServiceError) as raised:
        client(url).complete(system="s", user="u")
    assert raised.value.reason == "connection"
    assert url in str(raised.value) and "OPENAI_BASE_URL" in str(raised.value)


@pytest.mark.parametrize("behaviour, reason", [
    (Behaviour(body="<html>gateway</html>"), "malformed"),
    (Behaviour(body='{"id": "x"}'), "malformed"),
    (Behaviour(body='{"choices": [{"message": {"content": 42}}]}'), "malformed"),
    (Behaviour(choices=False), "empty"),
    (Behaviour(text=""), "empty"),
    (Behaviour(body='{"choices": [{"index": 0}]}'), "empty"),
], ids=["html", "no-choices", "content-not-text", "empty-choices", "empty-text", "no-message"])
def test_malformed_and_empty_replies(fake_llm, behaviour, reason):
    fake_llm.default = behaviour
    with pytest.raises(llm.LlmError) as raised:
        client(fake_llm.url).complete(system="s", user="u")
    assert raised.value.reason == reason
    assert len(fake_llm.requests) == 1


def test_an_enormous_reply_is_cut(fake_llm):
    fake_llm.reply = "x" * 100_000
    completion = client(fake_llm.url).complete(system="s", user="u")
    assert completion.truncated and len(completion.text) == llm.MAX_REPLY_CHARS + len(llm.TRUNCATION_MARK)


def test_missing_usage_is_estimated(fake_llm):
    fake_llm.default = Behaviour(usage=None)
    completion = client(fake_llm.url).complete(system="s" * 400, user="u" * 400)
    assert completion.usage_estimated and completion.prompt_tokens == 200 and completion.total_tokens > 200


def test_only_lib_llm_imports_openai():
    importers = []
    for path in PROJECT.glob("**/*.py"):
        if ".venv" in path.parts or "site-packages" in path.parts:
            continue
        if re.search(r"^\s*(import openai|from openai\b)", path.read_text(errors="replace"), re.MULTILINE):
            importers.append(path.relative_to(PROJECT).as_posix())
    assert importers == ["lib/llm/client.py"]
