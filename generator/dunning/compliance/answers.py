"""What the contact engine answers: a :class:`Reason` (code, rule, citation, words), a
:class:`Verdict` for one contact at one moment, and a :class:`Stop` that holds whatever the
time (a law stop, an opt-out, an unusable contact point, a policy exclusion)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

VerdictKind = Literal["allow", "suppress", "reschedule"]
StopEffect = Literal["exclude", "pause", "suppress"]


@dataclass(frozen=True)
class Reason:
    """Why a contact is refused (or an account stopped): a stable code, the rule behind it,
    its citation (a law, or the policy file and line) and a message in plain words."""

    code: str
    rule: str
    citation: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Plain data, keys in contract order."""
        return {"code": self.code, "rule": self.rule, "citation": self.citation, "message": self.message}


@dataclass(frozen=True)
class Verdict:
    """The engine's answer for one contact at one moment."""

    verdict: VerdictKind  # law and policy together
    legal_verdict: VerdictKind  # the law packs alone
    earliest: datetime | None  # first allowed moment when ``verdict`` is reschedule
    reasons: tuple[Reason, ...]

    @property
    def allowed(self) -> bool:
        """True when the contact may happen at the asked moment."""
        return self.verdict == "allow"


@dataclass(frozen=True)
class Stop:
    """Something that stops contact whatever the time: a law stop, an opt-out, an exclusion.

    ``effect`` exclude (no contact, account excluded), pause (no contact, account paused) or
    suppress (only ``channels``). ``channels`` empty means every channel. ``allow_purposes``
    are message purposes that stay allowed (e.g. the notices a cease request permits).
    """

    effect: StopEffect
    channels: tuple[str, ...]
    reason: Reason
    legal: bool
    allow_purposes: tuple[str, ...] = ()

    def blocks(self, channel: str, purpose: str | None = None) -> bool:
        """True when this stop refuses ``channel`` (for a message of ``purpose``)."""
        if self.channels and channel not in self.channels:
            return False
        return not (purpose is not None and purpose in self.allow_purposes)
