"""Prompt files render, carry a version, and refuse missing variables (DESIGN rule 12)."""
from __future__ import annotations

import pytest

from lib.llm import prompts


@pytest.mark.parametrize("name", prompts.names())
def test_every_prompt_file_renders(name):
    prompt = prompts.load(name)
    assert prompt.version and prompt.variables
    rendered = prompt.render(**{variable: f"<<{variable}>>" for variable in prompt.variables})
    for variable in prompt.variables:
        assert f"<<{variable}>>" in rendered.system + rendered.user
    assert "{" not in (rendered.system + rendered.user).replace("{{", "")


def test_there_is_a_product_summary_prompt():
    prompt = prompts.load("product_summary")
    assert prompt.variables == {"facts_json", "unit", "manager_facts_json"}
    assert "3 to 5 bullets" in prompt.sections["user"] and "only the facts" in prompt.sections["system"]
    # orders and money go only into the managers-only lines, never into the paragraph and bullets
    assert "say nothing in them about orders, open demand, incoming purchases" in prompt.sections["system"]
    assert 'starts with "Orders: "' in prompt.sections["user"] and 'starts with "Value: "' in prompt.sections["user"]
    assert "<manager_facts>\n{manager_facts_json}\n</manager_facts>" in prompt.sections["user"]


def test_a_missing_or_unexpected_variable_raises():
    prompt = prompts.load("product_summary")
    with pytest.raises(prompts.PromptError, match="missing variables \\['manager_facts_json', 'unit'\\]"):
        prompt.render(facts_json="{}")
    with pytest.raises(prompts.PromptError, match="unexpected variables \\['colour'\\]"):
        prompt.render(facts_json="{}", unit="g", manager_facts_json="null", colour="red")


def test_values_are_inserted_verbatim():
    prompt = prompts.parse("t", "---\nversion: 2\n---\n## system\nUse {{braces}}.\n## user\nData: {data}\n")
    rendered = prompt.render(data="{unit} and {{x}}")
    assert (rendered.system, rendered.user, rendered.version) == ("Use {braces}.", "Data: {unit} and {{x}}", "2")


@pytest.mark.parametrize("text, problem", [
    ("no header\n## user\nx", "header"),
    ("---\ndescription: x\n---\n## user\nx", "no version"),
    ("---\nversion: 1\n---\n## system\nonly system", "no '## user'"),
    ("---\nversion: 1\n---\nstray\n## user\nx", "text before"),
    ("---\nversion: 1\n---\n## user\n{a.b}", "plain lower-case name"),
    ("---\nversion: 1\n---\n## user\n{unclosed", "unbalanced"),
])
def test_malformed_prompt_files_are_refused(text, problem):
    with pytest.raises(prompts.PromptError, match=problem):
        prompts.parse("bad", text)


def test_unknown_prompt_names_are_refused():
    with pytest.raises(prompts.PromptError):
        prompts.load("does_not_exist")
    with pytest.raises(prompts.PromptError):
        prompts.load("../etc/passwd")
