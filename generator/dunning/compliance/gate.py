"""The contact gate: one JSON request line in, one JSON answer line out.

A dialer or an agent's screen asks "may I contact this person now, this way?":

    {"account": {…account contract…}, "history": [{…history contract…}], "channel": "call",
     "at": "2026-11-02T20:59:00-05:00", "debt_id": "L-1", "content": "…", "purpose": "notice"}

and gets, on its own line and in the same order,

    {"verdict": "allow|suppress|reschedule", "legal_verdict": "…", "earliest": "ISO 8601|null",
     "reasons": [{"code", "rule", "citation", "message"}]}

A line that cannot be read gets ``{"verdict": "error", "message": "line N: …"}`` and the
stream goes on. Accounts are checked by the same per-record parser as the snapshot
(:func:`dunning.accounts.record.parse_record`), history events by the history reader's
:func:`dunning.accounts.history.parse_contact`; the decision is :meth:`ContactEngine.check`,
the same call the planner makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import orjson

from dunning.accounts.history import parse_contact
from dunning.accounts.model import HISTORY_CHANNELS, Account, Contact
from dunning.accounts.record import RowReject, parse_record
from dunning.compliance.engine import ContactEngine, Verdict
from dunning.errors import UserError
from dunning.policy.model import Policy

REQUEST_KEYS = ("account", "history", "planned", "channel", "at", "debt_id", "content", "purpose")


class BadRequest(Exception):
    """A request line that cannot be answered; the message says why (never account data)."""


class Gate:
    """Answers gate requests for one policy."""

    def __init__(self, policy: Policy, engine: ContactEngine | None = None) -> None:
        self.policy = policy
        self.engine = engine or ContactEngine(policy)
        self.jurisdictions = tuple(policy.jurisdictions)

    def answer(self, line: bytes | str, number: int) -> bytes:
        """The answer line (without newline) for request line ``number`` (1-based)."""
        try:
            verdict = self.decide(line, number)
        except BadRequest as exc:
            return orjson.dumps({"verdict": "error", "message": f"line {number}: {exc}"})
        return orjson.dumps(verdict_json(verdict))

    def decide(self, line: bytes | str, number: int) -> Verdict:
        """Parse one request and ask the engine; :class:`BadRequest` when it is malformed."""
        try:
            request = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"not valid JSON (column {exc.colno})") from None
        if not isinstance(request, dict):
            raise BadRequest("a request must be a JSON object")
        unknown = sorted(k for k in request if k not in REQUEST_KEYS)
        if unknown:
            raise BadRequest(f"unknown key(s) {', '.join(unknown)}; a request has {', '.join(REQUEST_KEYS)}")
        account = self._account(request.get("account"), number)
        channel = request.get("channel")
        if channel not in HISTORY_CHANNELS:
            raise BadRequest(f"channel must be one of {', '.join(HISTORY_CHANNELS)}")
        at = _moment(request.get("at"))
        history = self._contacts(request.get("history"), account, number, "history")
        planned = self._contacts(request.get("planned"), account, number, "planned")
        debt_id = _optional_text(request, "debt_id")
        purpose = _optional_text(request, "purpose")
        content = _optional_text(request, "content")
        return self.engine.check(
            account, channel, at, history, planned=planned, debt_id=debt_id, content=content, purpose=purpose
        )

    def _account(self, raw: Any, number: int) -> Account:
        if not isinstance(raw, dict):
            raise BadRequest("`account` must be an object with the account snapshot's columns")
        parsed = parse_record(raw, number, self.jurisdictions)
        if isinstance(parsed, RowReject):
            raise BadRequest(f"account rejected ({parsed.code}): {parsed.message}")
        return parsed

    def _contacts(self, raw: Any, account: Account, number: int, key: str) -> tuple[Contact, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise BadRequest(f"`{key}` must be a list of contact events")
        out = []
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                raise BadRequest(f"{key}[{i}] must be an object")
            row = item if item.get("account_id") else {**item, "account_id": account.account_id}
            try:
                out.append(parse_contact(row, f"{key}[{i}]"))
            except UserError as exc:
                raise BadRequest(exc.message) from None
        return tuple(out)


def _moment(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise BadRequest("`at` must be an ISO 8601 time with a UTC offset, e.g. 2026-11-02T20:59:00-05:00")
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"`at` {raw!r} is not an ISO 8601 time") from None
    if at.utcoffset() is None:
        raise BadRequest(f"`at` {raw!r} has no UTC offset; add one, e.g. -05:00 or +08:00")
    return at


def _optional_text(request: dict[str, Any], key: str) -> str | None:
    value = request.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"`{key}` must be a string")
    return value


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """The answer object, keys in contract order."""
    return {
        "verdict": verdict.verdict,
        "legal_verdict": verdict.legal_verdict,
        "earliest": verdict.earliest.isoformat(timespec="seconds") if verdict.earliest else None,
        "reasons": [r.as_dict() for r in verdict.reasons],
    }


def answer_lines(gate: Gate, lines: Iterable[bytes]) -> Iterator[bytes]:
    """One answer per input line (blank lines included, so answers stay aligned)."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield gate.answer(line, number)
        else:
            yield orjson.dumps({"verdict": "error", "message": f"line {number}: empty line, no request"})
