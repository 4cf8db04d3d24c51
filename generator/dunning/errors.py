"""The one exception hierarchy. ``UserError`` is printed by the CLI without a traceback."""

from __future__ import annotations


class DunningError(Exception):
    """Base of every error this package raises on purpose."""


class UserError(DunningError):
    """Bad input or usage that the user can fix: the CLI prints it (and the hint) and exits 2."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message

    def __reduce__(self) -> tuple[type[UserError], tuple[str, str]]:
        # raised in a worker process, it is pickled back to the parent: keep the hint
        return (type(self), (self.message, self.hint))


class PolicyInvalid(DunningError):
    """The policy has errors; ``problems`` says where. Stages after validate refuse to run."""

    def __init__(self, problems: list[object]) -> None:
        super().__init__(f"the policy has {len(problems)} problem(s); run `dunning validate`")
        self.problems = problems
