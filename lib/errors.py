"""Domain errors with messages a user understands.

Pages catch `LoupeError` and show `str(error)`; anything else propagates.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping


class LoupeError(Exception):
    """Base of every error the app shows to a user as a sentence."""


class NotFound(LoupeError):
    """The record does not exist, or the viewer may not see it (we never say which)."""


class PermissionDenied(LoupeError):
    """The viewer's role or location does not allow this action."""


class ValidationFailed(LoupeError):
    """Input was rejected; `problems` lists every problem found, field by field."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]

    @classmethod
    def listing(cls, what: str, problems: Mapping[str, str] | Iterable[str]) -> ValidationFailed:
        """One error that says `what` was not done, then every problem once, each as a sentence.

        `problems` is a list of messages or a field → message mapping (its messages are used).
        """
        messages = list(dict.fromkeys(problems.values() if isinstance(problems, Mapping) else problems))
        return cls(f"{what} " + " ".join(f"{message}." for message in messages), messages)


class InsufficientStock(LoupeError):
    """A stock change would drive quantity or weight below zero."""


class ConfigurationError(LoupeError):
    """A deployment setting is missing or malformed."""


class ExternalServiceError(LoupeError):
    """An outside service (the LLM endpoint) failed; nothing was stored."""


class WorkspaceExists(LoupeError):
    """A workspace was to be created in a database that already has one (or has users)."""


class WorkspaceBusy(LoupeError):
    """The database stayed locked by other work past a short wait; nothing was written."""


class DatabaseUnavailable(LoupeError):
    """The database server could not be reached (stopped, restarting, network down); nothing was written."""
