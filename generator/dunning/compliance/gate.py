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
:func:`dunning.accounts.history.rows.parse_contact`; the decision is :meth:`ContactEngine.check`,
the same call the planner makes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, Protocol

import orjson

from dunning.accounts import events as ev
from dunning.accounts.events import HISTORY_CHANNELS
from dunning.accounts.history.rows import parse_contact
from dunning.accounts.model import Account, Contact
from dunning.accounts.record import RowReject, parse_record
from dunning.compliance.engine import ContactEngine, Verdict
from dunning.errors import UserError
from dunning.policy.model import Policy
from dunning.workers import Workers, resolve_jobs

BATCH = 16384
PARALLEL_CHUNK = 1024  # ≈ 0.1 s of work: the last chunk keeps one worker busy alone
ACCOUNT_SHAPE = "`account` must be an object with the account snapshot's columns"
REQUEST_KEYS = ("account", "history", "planned", "channel", "at", "debt_id", "content", "purpose")
# Python's dates end with the years 1 and 9999; the engine converts a moment into every
# candidate zone and searches 60 days ahead, so a moment must keep a year's margin.
YEARS = (2, 9998)


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
            if not line.strip():
                raise BadRequest("empty line, no request")
            verdict = self.decide(line, number)
        except BadRequest as exc:
            return orjson.dumps({"verdict": "error", "message": f"line {number}: {exc}"})
        return orjson.dumps(verdict_json(verdict))

    def decide(self, line: bytes | str, number: int) -> Verdict:
        """Parse one request and ask the engine; :class:`BadRequest` when it is malformed."""
        request = _request(line)
        return self._decide(request, self._account(request.get("account"), number))

    def _decide(self, request: dict[str, Any], account: Account) -> Verdict:
        channel = request.get("channel")
        if channel not in HISTORY_CHANNELS:
            raise BadRequest(f"channel must be one of {', '.join(HISTORY_CHANNELS)}")
        at = _moment(request.get("at"))
        history = self._contacts(request.get("history"), account, "history")
        planned = self._contacts(request.get("planned"), account, "planned")
        debt_id = _optional_text(request, "debt_id")
        purpose = _optional_text(request, "purpose")
        content = _optional_text(request, "content")
        return self.engine.check(
            account, channel, at, history, planned=planned, debt_id=debt_id, content=content, purpose=purpose
        )

    def answer_batch(self, lines: Sequence[bytes], first: int) -> list[bytes]:
        """Answers for consecutive request lines numbered from ``first`` (a worker's unit).

        Each line is answered on its own, exactly as on stdin: a columnar account check
        (polars, as the snapshot reader does) was tried here and cost more than it saved —
        ``parse_record`` is a few µs per account and polars alone is 0.3 s of start-up.
        """
        return [self.answer(line, number) for number, line in enumerate(lines, start=first)]

    def _account(self, raw: Any, number: int) -> Account:
        if not isinstance(raw, dict):
            raise BadRequest(ACCOUNT_SHAPE)
        # the itemization is notice content, not a contact-time fact: a dialer need not send it
        parsed = parse_record(raw, number, self.jurisdictions, itemization=False)
        if isinstance(parsed, RowReject):
            raise BadRequest(f"account rejected ({parsed.code}): {parsed.message}")
        return parsed

    def _contacts(self, raw: Any, account: Account, key: str) -> tuple[Contact, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise BadRequest(f"`{key}` must be a list of contact events")
        out = []
        owner = account.account_id
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                raise BadRequest(f"{key}[{i}] must be an object")
            contact = _contact_fast(item, owner)
            if contact is None:
                row = item if item.get("account_id") else {**item, "account_id": owner}
                try:
                    contact = parse_contact(row, f"{key}[{i}]")
                except UserError as exc:
                    raise BadRequest(exc.message) from None
                if not YEARS[0] <= contact.at.year <= YEARS[1]:
                    raise BadRequest(f"{key}[{i}]: at {contact.at.isoformat()} is {_OUT_OF_RANGE}")
            out.append(contact)
        return tuple(out)


def _request(line: bytes | str) -> dict[str, Any]:
    try:
        request = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        # a request is one line: JSON cut short is found on the newline that ends it, which
        # orjson counts as column 1 of a next line; name the column after the request's end
        column = exc.colno
        if exc.lineno > 1:
            text = line if isinstance(line, str) else line.decode("utf-8", errors="replace")
            column = len(text.rstrip("\r\n")) + 1
        raise BadRequest(f"not valid JSON (column {column})") from None
    if not isinstance(request, dict):
        raise BadRequest("a request must be a JSON object")
    if not _REQUEST_KEY_SET.issuperset(request):
        unknown = sorted(k for k in request if k not in REQUEST_KEYS)
        raise BadRequest(f"unknown key(s) {', '.join(unknown)}; a request has {', '.join(REQUEST_KEYS)}")
    return request


_REQUEST_KEY_SET = frozenset(REQUEST_KEYS)
_OUT_OF_RANGE = f"outside the years {YEARS[0]}–{YEARS[1]} the engine can search"
_CONTACT_KEYS = frozenset(("account_id", "at", "channel", "outcome", "event", "debt_id", "phone"))
_CHANNELS = frozenset(HISTORY_CHANNELS)
# words whose event is complete with a channel alone (the others need the full reader)
_OUTCOMES = {w: ev.canonical(w) for w in (*ev.EVENTS, *ev.ALIASES) if ev.canonical(w) in ev.NEEDS_CHANNEL}
for _word in ev.NEEDS:
    _OUTCOMES.pop(_word, None)


def _contact_fast(item: dict[str, Any], account_id: str) -> Contact | None:
    """A well-formed history event without the general reader's text clean-up; None when the
    event needs :func:`parse_contact` (which gives the exact message for a bad one, or whose
    result the caller refuses: a year out of range)."""
    at_text, channel = item.get("at"), item.get("channel")
    word = item.get("event") if "event" in item else item.get("outcome")
    try:
        outcome = _OUTCOMES.get(word)  # type: ignore[arg-type]
        if channel not in _CHANNELS or outcome is None or ("event" in item and "outcome" in item):
            return None
        at = datetime.fromisoformat(at_text)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # not a string (a list is not even hashable), not a time
        return None
    if at.tzinfo is None or not YEARS[0] <= at.year <= YEARS[1]:  # fromisoformat: fixed offset or none
        return None
    if len(item) == 3:  # the usual event: exactly at, channel and outcome
        debt = phone = ""
        owner = account_id
    else:
        if not _CONTACT_KEYS.issuperset(item):
            return None
        debt, phone, owner = item.get("debt_id", ""), item.get("phone", ""), item.get("account_id") or account_id
        if not (type(debt) is str and type(phone) is str and type(owner) is str):
            return None
        if debt != debt.strip() or phone != phone.strip() or owner != owner.strip():
            return None
    # A frozen dataclass's __init__ writes every field through object.__setattr__; a request
    # brings a dozen events, so the gate fills Contact's slots through their descriptors: the
    # same object (a test compares them) at a third of the cost. Contact has no __post_init__.
    contact: Contact = _new(Contact)
    _set_account_id(contact, owner)
    _set_at(contact, at)
    _set_channel(contact, channel)
    _set_outcome(contact, outcome)
    _set_debt_id(contact, debt)
    _set_phone(contact, phone)
    for setter, value in _DEFAULTS:
        setter(contact, value)
    return contact


_new = object.__new__
_SLOTS = [getattr(Contact, name).__set__ for name in ("account_id", "at", "channel", "outcome", "debt_id", "phone")]
_set_account_id, _set_at, _set_channel, _set_outcome, _set_debt_id, _set_phone = _SLOTS
_DEFAULTS = [
    (getattr(Contact, f.name).__set__, f.default)
    for f in fields(Contact)
    if f.name not in ("account_id", "at", "channel", "outcome", "debt_id", "phone")
]


def _moment(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise BadRequest("`at` must be an ISO 8601 time with a UTC offset, e.g. 2026-11-02T20:59:00-05:00")
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"`at` {raw!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:  # fromisoformat gives a fixed offset or none at all
        raise BadRequest(f"`at` {raw!r} has no UTC offset; add one, e.g. -05:00 or +08:00")
    if not YEARS[0] <= at.year <= YEARS[1]:
        raise BadRequest(f"`at` {raw!r} is {_OUT_OF_RANGE}")
    return at


def _optional_text(request: dict[str, Any], key: str) -> str | None:
    value = request.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"`{key}` must be a string")
    return value


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """The answer object, keys in contract order (reasons as Reason dataclasses, which orjson
    writes field by field)."""
    return {
        "verdict": verdict.verdict,
        "legal_verdict": verdict.legal_verdict,
        "earliest": verdict.earliest.isoformat(timespec="seconds") if verdict.earliest else None,
        "reasons": verdict.reasons,  # orjson writes a dataclass's fields in order, like Reason.as_dict
    }


def answer_lines(gate: Gate, lines: Iterable[bytes]) -> Iterator[bytes]:
    """One answer per input line, each as soon as its line is read (blank lines included,
    so answers stay aligned): for interactive callers on stdin."""
    for number, line in enumerate(lines, start=1):
        yield gate.answer(line, number)


def answer_batches(gate: Gate, lines: Iterable[bytes], size: int = BATCH) -> Iterator[bytes]:
    """The same answers as :func:`answer_lines`, ``size`` lines at a time (for files)."""
    for first, batch in chunks(lines, size):
        yield from gate.answer_batch(batch, first)


class Pipe(Protocol):
    """What :func:`arrivals` reads: ``sys.stdin.buffer`` (a buffered reader) or alike."""

    def read1(self, size: int = ..., /) -> bytes: ...


_WORKER: Gate | None = None


def _start_worker(root: str) -> None:
    global _WORKER
    from pathlib import Path

    from dunning.policy import require_policy

    _WORKER = Gate(require_policy(Path(root)))


def _answer_chunk(chunk: tuple[int, list[bytes]]) -> list[bytes]:
    assert _WORKER is not None
    first, lines = chunk
    return _WORKER.answer_batch(lines, first)


def chunks(lines: Iterable[bytes], size: int = PARALLEL_CHUNK) -> Iterator[tuple[int, list[bytes]]]:
    batch: list[bytes] = []
    first = 1
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield first, batch
            first += len(batch)
            batch = []
    if batch:
        yield first, batch


def arrivals(stream: Pipe, size: int = PARALLEL_CHUNK, read: int = 1 << 16) -> Iterator[tuple[int, list[bytes]]]:
    """The lines of ``stream`` in batches of those already arrived (at most ``size``), each
    with the number of its first line.

    ``read1`` returns what a pipe holds without waiting for more, so a caller that sends one
    request and waits for its answer gets a batch of one line, while a stream that arrives
    faster than it is answered is cut into full batches for the workers. A last line without
    a newline is a line; every other keeps its newline, as when a file is read line by line.
    """
    first = 1
    rest = b""
    pending: list[bytes] = []  # pieces of a line longer than one read (joined once, not per read)
    while True:
        data = stream.read1(read)
        if not data:
            break
        if b"\n" not in data:
            pending.append(data)
            continue
        if pending:
            data = b"".join(pending) + data
            pending.clear()
        lines = (rest + data).split(b"\n")
        rest = lines.pop()
        # each line keeps its newline, as when a file is read line by line: an error's
        # column (JSON that ends early) counts it
        lines = [line + b"\n" for line in lines]
        for start in range(0, len(lines), size):
            batch = lines[start : start + size]
            yield first, batch
            first += len(batch)
    rest += b"".join(pending)
    if rest:
        yield first, [rest]


def answer_parallel(gate: Gate, batches: Iterable[tuple[int, list[bytes]]], jobs: int) -> Iterator[list[bytes]]:
    """The answers of each batch (numbered lines, see :func:`chunks` and :func:`arrivals`)
    from ``jobs`` worker processes (:mod:`dunning.workers`), batch by batch in input order;
    a batch is answered as soon as it has arrived, before the next one is read.

    Where the platform can fork, the workers are forked from this process and share its
    loaded policy and engine (nothing in the gate starts a thread that a fork could copy
    mid-flight); elsewhere they are spawned and load the policy from its root themselves.
    Batches of a file are small so that two workers finish together.
    """
    import multiprocessing

    global _WORKER
    if "fork" in multiprocessing.get_all_start_methods():
        _WORKER = gate
        pool = Workers(jobs, start="fork")
    else:  # pragma: no cover - Windows
        pool = Workers(jobs, initializer=_start_worker, initargs=(str(gate.policy.root),))
    try:
        with pool:
            yield from pool.map(_answer_chunk, batches, local=lambda batch: gate.answer_batch(batch[1], batch[0]))
    finally:
        _WORKER = None


def gate_jobs(jobs: int | None, requests: str) -> int:
    """Workers for ``dunning gate`` (:func:`dunning.workers.resolve_jobs`; 0: the default).
    A request costs about twice what planning its bytes of account does: it brings its
    history, and is checked at its moment in every candidate zone."""
    work: int | None = None
    if requests != "-":  # stdin: a stream of unknown length
        try:
            work = 2 * os.stat(requests).st_size
        except OSError:  # reported when the file is opened
            work = 0
    return resolve_jobs(jobs, work)
