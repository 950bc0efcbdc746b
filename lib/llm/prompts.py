"""Prompt files: `prompts/<name>.md`, versioned, with named placeholders (DESIGN rule 12).

A prompt file has a header and one section per chat message:

    ---
    version: 1
    description: What the prompt is for.
    ---
    ## system
    Instructions ... {unit} ...
    ## user
    The task ... {facts_json}

Placeholders are `{name}` (letters, digits, underscore); write `{{` and `}}`
for literal braces. `render` raises `PromptError` when a variable is missing
or unexpected, so a typo fails in tests instead of reaching the model. Values
are inserted as they are and never parsed again, so braces inside a value are
harmless. Files are read on each call (they are small); nothing is cached.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
SECTION = re.compile(r"^## (system|user)\s*$", re.MULTILINE)
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class PromptError(Exception):
    """A prompt file is malformed or was rendered with the wrong variables (a bug, not user input)."""


@dataclass(frozen=True)
class RenderedPrompt:
    name: str
    version: str
    system: str
    user: str


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    description: str
    sections: dict[str, str]

    @property
    def variables(self) -> frozenset[str]:
        """Every placeholder name used in any section."""
        return frozenset(name for text in self.sections.values() for name in _placeholders(self.name, text))

    def render(self, **values) -> RenderedPrompt:
        """Fill every placeholder; raise PromptError on a missing or unexpected variable."""
        missing = sorted(self.variables - values.keys())
        unexpected = sorted(values.keys() - self.variables)
        if missing or unexpected:
            raise PromptError(f"Prompt {self.name!r} v{self.version}: missing variables {missing}, "
                              f"unexpected variables {unexpected}")
        text = {key: body.format_map({k: str(v) for k, v in values.items()}) for key, body in self.sections.items()}
        return RenderedPrompt(self.name, self.version, text.get("system", ""), text["user"])


def _placeholders(prompt_name: str, text: str) -> list[str]:
    names = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        raise PromptError(f"Prompt {prompt_name!r} has unbalanced braces: {error}") from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not NAME.match(field) or spec or conversion:
            raise PromptError(f"Prompt {prompt_name!r}: placeholder {{{field}}} must be a plain lower-case name")
        names.append(field)
    return names


def _split_header(name: str, raw: str) -> tuple[dict[str, str], str]:
    match = re.match(r"\A---\n(.*?)\n---\n(.*)\Z", raw.replace("\r\n", "\n"), re.DOTALL)
    if not match:
        raise PromptError(f"Prompt {name!r} must start with a '---' header block")
    header = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise PromptError(f"Prompt {name!r}: header line {line!r} is not 'key: value'")
        header[key.strip()] = value.strip()
    if not header.get("version"):
        raise PromptError(f"Prompt {name!r} has no version in its header")
    return header, match.group(2)


def _sections(name: str, body: str) -> dict[str, str]:
    parts = SECTION.split(body)
    if parts[0].strip():
        raise PromptError(f"Prompt {name!r}: text before the first '## system' or '## user' heading")
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}
    if "user" not in sections:
        raise PromptError(f"Prompt {name!r} has no '## user' section")
    return sections


def parse(name: str, raw: str) -> Prompt:
    """Build a Prompt from a file's text, checking header, sections and placeholders."""
    header, body = _split_header(name, raw)
    prompt = Prompt(name=name, version=header["version"], description=header.get("description", ""),
                    sections=_sections(name, body))
    _ = prompt.variables  # validates every placeholder now
    return prompt


def load(name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    """The prompt `directory/<name>.md`; PromptError when it is missing or malformed."""
    if not NAME.match(name):
        raise PromptError(f"Bad prompt name {name!r}")
    path = directory / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"No prompt file {path}")
    return parse(name, path.read_text(encoding="utf-8"))


def names(directory: Path = PROMPTS_DIR) -> list[str]:
    """Names of every prompt file, sorted."""
    return sorted(path.stem for path in directory.glob("*.md"))
