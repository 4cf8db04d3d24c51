"""Render one chunk of plans: every scheduled or deferred action, each through its channel.

A chunk is rendered start to finish by one process (see :mod:`dunning.render.run`), which
writes the per-message files (emails, letters' archive copies, visit sheets, agency notes,
legal cases) into the staging directory itself and hands back the rows of the shared files
(sms.jsonl, the dialer list, the letters for the print batches, indexes) plus the sha256 of
every file it wrote. A template error for one action becomes a reject row and the
chunk goes on.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from dunning.accounts.model import Account
from dunning.policy.model import Policy
from dunning.render import agency as agency_channel
from dunning.render import calls, letter, sms, visits
from dunning.render import email as email_channel
from dunning.render.account_rows import RowAccount, RowReader, account_from_row
from dunning.render.cases import HUMAN_CHANNELS, case_link
from dunning.render.files import file_stem, write_bytes
from dunning.templating.context import build_context, narrow_parts
from dunning.templating.fill import Filler, reads
from dunning.templating.sandbox import MAX_OUTPUT, RenderError, TemplateSandbox, _scrub, _strings, is_html

RENDERABLE = frozenset({"scheduled", "deferred"})
# channels whose message may be rendered from a narrowed context (ChunkRenderer._narrow)
NARROW_CHANNELS = frozenset({"call", "sms", "email"})
# the account's keys a channel reads after its template (beside AccountRow.account_fields' own):
# a text's checks its jurisdiction, an email's To header its address and name
_NARROW_ACCOUNT = {"sms": frozenset({"jurisdiction"}), "email": frozenset({"email", "name"})}
EMAIL_FORMATS = ("eml", "mbox")
CHANNEL_ORDER = ("sms", "email", "letter", "call", "visit", "agency", "legal_review")
REJECT_COLUMNS = ("action_id", "account_id", "template", "line", "message")
# the CPU profile's entry for what every message shares: plan lines decoded, account rows converted
ACCOUNTS = "accounts"


def _channel_rank(channel: str) -> tuple[int, str]:
    # the channels in their usual order, anything else (rejected below) after them
    return (CHANNEL_ORDER.index(channel), "") if channel in CHANNEL_ORDER else (len(CHANNEL_ORDER), channel)


@dataclass(frozen=True)
class PrintedLetter:
    """A rendered letter on its way into a print batch (the parent groups and sorts them)."""

    posting_date: str
    jurisdiction: str
    paper: str
    postage: str
    postal_code: str
    action_id: str
    account_id: str
    address_block: str  # lines joined by "\n"
    locale: str
    template: str
    archive: str  # the archive copy's path under the output directory
    markup: bytes  # the Typst markup, UTF-8 (b"" without PDFs)

    def batch_key(self) -> tuple[str, str, str, str]:
        """(posting date, jurisdiction, paper, postage): one print batch."""
        return (self.posting_date, self.jurisdiction, self.paper, self.postage)


@dataclass
class ChunkResult:
    """What one chunk produced, in plan order."""

    sms: list[bytes] = field(default_factory=list)  # sms.jsonl records while rendering (then in sms_lines)
    calls: list[list[str]] = field(default_factory=list)  # dialer rows in calls.COLUMNS order (likewise)
    # with render_chunk(numbered=True): each row of ``calls`` and record of ``sms`` kept (not
    # serialized) and the position in the chunk's items of the plan line it came from
    call_items: list[int] = field(default_factory=list)
    sms_items: list[int] = field(default_factory=list)
    # the chunk's lines of sms.jsonl, calls.csv and calls.jsonl, serialized by the worker: the
    # parent, one process for all the chunks, only appends them
    sms_lines: bytes = b""
    calls_csv: bytes = b""
    calls_jsonl: bytes = b""
    emails: list[tuple[str, bytes]] = field(default_factory=list)  # (mbox batch, message) with --email-format mbox
    letters: list[PrintedLetter] = field(default_factory=list)
    routes: list[list[str]] = field(default_factory=list)
    agency: dict[str, list[list[str]]] = field(default_factory=dict)
    rejects: list[list[str]] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)  # accounts whose case file a person needs (with case files)
    rendered: dict[str, int] = field(default_factory=dict)
    cpu_ns: dict[str, int] = field(default_factory=dict)  # CPU time per channel (benchmarks only)


@dataclass
class ChunkRenderer:
    """Everything a process needs to render chunks: the policy, the sandbox, the staging root."""

    policy: Policy
    sandbox: TemplateSandbox
    out_root: Path  # files are written to out_root / "messages/…"
    pdf: bool = True
    email_format: str = "eml"
    case_files: bool = False  # link human-step files to messages/cases/ (build writes the case files)
    _readers: dict[tuple[str, ...], RowReader] = field(default_factory=dict, init=False, repr=False)
    _narrow_reads: dict[str, tuple[Filler, dict[str, frozenset[str] | None]] | None] = field(
        default_factory=dict, init=False, repr=False
    )

    def render_chunk(
        self,
        items: Sequence[tuple[bytes | str, Any]],
        columns: Sequence[str] | None = None,
        *,
        numbered: bool = False,
        skip: Mapping[int, str] | None = None,
    ) -> ChunkResult:
        """Render every renderable action of the plan lines in ``items`` (line, as bytes or text,
        and account row or None): a row is a mapping of column to text, or, with ``columns``, a
        tuple in that order.

        The chunk is rendered a channel at a time (each channel's messages in plan order; the
        rejects put back in plan order), so that the CPU clock is read twice per channel and
        chunk, not per message: a read of the process clock costs 1.5 µs idle and far more
        under load, as much as a whole SMS's templating. Each account's row is converted and
        its context parts built once, whatever the number of its messages.

        ``numbered``: the dialer rows are left in ``result.calls`` and the texts' records in
        ``result.sms``, each with its item's position in ``result.call_items`` or
        ``result.sms_items``, for a caller that merges them with messages rendered elsewhere
        (:mod:`dunning.render.columns`) before writing them in plan order. ``skip``: the
        channel of the message of an item (by its position) that was rendered there, left
        out here (the line's other messages are rendered as always)."""
        result = ChunkResult()
        started = time.process_time_ns()
        reader = self._row_reader(columns) if columns is not None else None
        pending: dict[str, list[tuple[int, dict[str, Any], dict[str, Any], Account | RowAccount, dict[str, Any]]]] = {}
        rejects: list[tuple[int, list[str]]] = []
        sequence = 0
        item_of: list[int] = []  # with numbered: each action's item (by its sequence number)
        for item, (line, row) in enumerate(items):
            plan = orjson.loads(line)
            actions = [a for a in plan.get("actions", ()) if a.get("status") in RENDERABLE]
            if not actions:
                continue
            human = any(a.get("channel") in HUMAN_CHANNELS for a in actions)
            if skip is not None and item in skip:
                actions = [a for a in actions if a.get("channel") != skip[item]]
            if numbered:
                item_of.extend([item] * len(actions))  # the sequence numbers of its actions, below
            if row is None:
                for action in actions:
                    missing = [action["id"], plan["account_id"], "", "", "the account is not in the accounts file"]
                    rejects.append((sequence, missing))
                    sequence += 1
                continue
            account = reader.row_account(row) if reader is not None else account_from_row(row)
            if self.case_files and human:
                result.cases.append(account.account_id)
            shared: dict[str, Any] = {}  # the context parts of this plan line, built once
            for action in actions:
                pending.setdefault(str(action.get("channel")), []).append((sequence, plan, action, account, shared))
                sequence += 1
        spent = time.process_time_ns()
        result.cpu_ns[ACCOUNTS] = spent - started
        for channel in sorted(pending, key=_channel_rank):
            started = spent
            if numbered and channel in ("call", "sms"):
                positions = result.call_items if channel == "call" else result.sms_items
                for number, plan, action, account, shared in pending[channel]:
                    reject = self._render_action(plan, action, account, result, shared)
                    if reject is not None:
                        rejects.append((number, reject))
                    else:
                        positions.append(item_of[number])
            else:
                for number, plan, action, account, shared in pending[channel]:
                    reject = self._render_action(plan, action, account, result, shared)
                    if reject is not None:
                        rejects.append((number, reject))
            if channel == "call" and result.calls and not numbered:
                result.calls_csv, result.calls_jsonl = calls.csv_bytes(result.calls), calls.jsonl_bytes(result.calls)
                result.calls = []
            elif channel == "sms" and result.sms and not numbered:
                result.sms_lines, result.sms = b"".join([line + b"\n" for line in result.sms]), []
            spent = time.process_time_ns()
            if channel in result.rendered:
                result.cpu_ns[channel] = spent - started
        rejects.sort(key=lambda numbered: numbered[0])
        result.rejects.extend(reject for _, reject in rejects)
        return result

    def _row_reader(self, columns: Sequence[str]) -> RowReader:
        key = tuple(columns)
        reader = self._readers.get(key)
        if reader is None:
            reader = self._readers[key] = RowReader(key)
        return reader

    def _template_file(self, action: Mapping[str, Any], locale: str) -> str:
        template = self.policy.templates.get(action["template"])
        if template is None:
            raise RenderError(action["template"], None, f"template id {action['template']!r} is not registered")
        file = template.files.get(locale)
        if file is None:
            raise RenderError(action["template"], None, f"template {template.id!r} has no {locale} file")
        return file

    def _render_action(
        self,
        plan: dict[str, Any],
        action: dict[str, Any],
        account: Account | RowAccount,
        result: ChunkResult,
        shared: dict[str, Any] | None = None,
    ) -> list[str] | None:
        """Render one action into ``result``; the reject row when it fails."""
        if (
            not shared
            and action.get("channel") in NARROW_CHANNELS
            and type(account) is RowAccount
            and self._narrow(plan, action, account, result)
        ):
            return None
        context: dict[str, Any] | None = None
        file = ""
        try:
            context = build_context(plan, action, account, self.policy, shared)
            file = self._template_file(action, context["locale"])
            channel = action["channel"]
            getattr(self, f"_{channel}")(context, action, file, result)
            result.rendered[channel] = result.rendered.get(channel, 0) + 1
        except RenderError as exc:
            return [action["id"], account.account_id, exc.template, str(exc.line or ""), exc.message]
        except Exception as exc:  # a bad plan line or value: reject the action, keep the batch going
            message = f"{type(exc).__name__}: {exc}"
            if context is not None:
                message = _scrub(message, _strings(context))
            return [action.get("id", ""), account.account_id, file, "", message]
        return None

    def _reads(self, file: str) -> tuple[Filler, dict[str, frozenset[str] | None]] | None:
        # a text template's filler and what it reads of the context, None when it has none
        if file in self._narrow_reads:
            return self._narrow_reads[file]
        filler = self.sandbox.filler(file) if self.sandbox.fill else None
        found = (filler, reads(filler.program)) if filler is not None else None
        self._narrow_reads[file] = found
        return found

    def _email_reads(self, file: str) -> tuple[Filler, dict[str, frozenset[str] | None]] | None:
        # what an email template's three blocks read together (a name read whole by one of them
        # is read whole), with its subject's filler; None when a block has no filler
        key = f"\x00email:{file}"  # no file name holds a NUL
        if key in self._narrow_reads:
            return self._narrow_reads[key]
        found: tuple[Filler, dict[str, frozenset[str] | None]] | None = None
        fillers = [
            self.sandbox.filler(file, html=is_html("email", block) and block != "subject", block=block)
            for block in (email_channel.BLOCKS if self.sandbox.fill else ())
        ]
        if fillers and all(filler is not None for filler in fillers):
            merged: dict[str, frozenset[str] | None] = {}
            for filler in fillers:
                assert filler is not None
                for name, keys in reads(filler.program).items():
                    had = merged.get(name, frozenset())
                    merged[name] = None if had is None or keys is None else had | keys
            assert fillers[0] is not None
            found = (fillers[0], merged)
        self._narrow_reads[key] = found
        return found

    def _narrow(self, plan: dict[str, Any], action: dict[str, Any], account: RowAccount, result: ChunkResult) -> bool:
        """A call, a text or an email whose account has no other message yet, from a context
        that holds only what its template and its record (or message) read (the ``account``
        object's ≈ 6 fields of 26 converted, the offer's schedule left out: ``narrow_parts``).
        True when it is rendered; False, with nothing added to ``result``, when anything
        stands in the way (no filled template or block, a value left out, any error, an
        output over the cap, a file that could not be written): the message is then rendered
        as every other is, the same bytes or the same reject."""
        channel = action["channel"]
        try:
            locale = str(action.get("locale") or plan.get("locale") or self.policy.default_locale)
            file = self._template_file(action, locale)
            found = self._email_reads(file) if channel == "email" else self._reads(file)
            if found is None:
                return False
            filler, read = found
            if channel != "call":  # a text's checks read the jurisdiction, an email the address and name
                keys = read.get("account", frozenset())
                if keys is None:
                    return False
                read = {**read, "account": keys | _NARROW_ACCOUNT[channel]}
            parts = narrow_parts(plan, account, self.policy, locale, read)
            if parts is None:
                return False
            context = build_context(plan, action, account, self.policy, {locale: parts})
            if channel == "email":
                email = self._narrow_email(context, file)
                if email is None:
                    return False
            else:
                text = filler.render(context)
                if len(text) > MAX_OUTPUT:
                    return False
                if channel == "call":
                    row = calls.call_row(context, text.strip("\n") + "\n", file)
                else:
                    line = orjson.dumps(sms.sms_record(context, text, file, self.policy.settings.sms_max_segments))
        except Exception:
            return False
        if channel == "email":
            assert email is not None
            if self.email_format == "mbox":
                result.emails.append(email)
            else:
                try:
                    self._write(result, f"messages/email/{file_stem(action['id'])}.eml", email[1])
                except Exception:  # the whole path writes it again, or rejects it, as always
                    return False
        elif channel == "call":
            result.calls.append(row)
        else:
            result.sms.append(line)
        result.rendered[channel] = result.rendered.get(channel, 0) + 1
        return True

    def _narrow_email(self, context: dict[str, Any], file: str) -> tuple[str, bytes] | None:
        """An email's (mbox batch, message) from its three blocks' filled templates (the memo
        shared, as ``_email`` shares it); None when a block has none or is over the cap."""
        memo: dict[int, Any] = {}
        parts = {}
        for block in email_channel.BLOCKS:
            filler = self.sandbox.filler(file, html=is_html("email", block) and block != "subject", block=block)
            if filler is None:
                return None
            text = filler.render(context, memo)
            if len(text) > MAX_OUTPUT:
                return None
            parts[block] = text
        data = email_channel.email_bytes(context, parts, file)
        return (email_channel.mbox_batch(context) if self.email_format == "mbox" else "", data)

    def _text(
        self,
        file: str,
        context: dict[str, Any],
        channel: str,
        block: str | None = None,
        memo: dict[int, Any] | None = None,
    ) -> str:
        # a letter's subject is plain text (letter_html escapes it); everything else by channel/block
        html = is_html(channel, block) and block != "subject"
        account_id = context["account"]["id"]
        return self.sandbox.render(file, context, html=html, block=block, account_id=account_id, memo=memo)

    def _write(self, result: ChunkResult, relative: str, data: bytes) -> str:
        result.files.append(write_bytes(self.out_root, relative, data))
        return relative

    def _sms(self, context: dict[str, Any], action: dict[str, Any], file: str, result: ChunkResult) -> None:
        text = self._text(file, context, "sms")
        record = sms.sms_record(context, text, file, self.policy.settings.sms_max_segments)
        result.sms.append(orjson.dumps(record))

    def _email(self, context: dict[str, Any], action: dict[str, Any], file: str, result: ChunkResult) -> None:
        memo: dict[int, Any] = {}  # the blocks' shared fields, computed once (the text and HTML bodies say the same)
        parts = {block: self._text(file, context, "email", block, memo) for block in email_channel.BLOCKS}
        data = email_channel.email_bytes(context, parts, file)
        if self.email_format == "mbox":
            result.emails.append((email_channel.mbox_batch(context), data))
        else:
            self._write(result, f"messages/email/{file_stem(action['id'])}.eml", data)

    def _letter(self, context: dict[str, Any], action: dict[str, Any], file: str, result: ChunkResult) -> None:
        memo: dict[int, Any] = {}
        subject = " ".join(self._text(file, context, "letter", "subject", memo).split())
        body = self._text(file, context, "letter", "body", memo)
        parts = letter.letter_parts(context, subject, body, file)
        stem = file_stem(action["id"])
        markup = b""
        if self.pdf:
            # typeset once, in its print batch, which also writes the archive copy (render/printing.py)
            archive = f"messages/letters/archive/{stem}.pdf"
            # not compressed: zlib's set-up alone was ≈ 20 µs a letter (≈ 1.1 kB of markup), and
            # the markup goes straight to the spool file, not into the parent's memory
            markup = letter.letter_markup(parts).encode("utf-8")
        else:
            archive = self._write(
                result, f"messages/letters/archive/{stem}.html", letter.letter_html(parts).encode("utf-8")
            )
        account = context["account"]
        template = self.policy.templates[action["template"]]
        result.letters.append(
            PrintedLetter(
                posting_date=parts.sent_on.isoformat(),
                jurisdiction=account["jurisdiction"],
                paper=parts.paper,
                postage=letter.postage_class(template.purpose, template.postage),
                postal_code=account["postal_code"],
                action_id=action["id"],
                account_id=account["id"],
                address_block="\n".join(parts.recipient),
                locale=parts.locale,
                template=action["template"],
                archive=archive,
                markup=markup,
            )
        )

    def _call(self, context: dict[str, Any], action: dict[str, Any], file: str, result: ChunkResult) -> None:
        script = self._text(file, context, "call").strip("\n") + "\n"
        result.calls.append(calls.call_row(context, script, file))

    def _visit(self, context: dict[str, Any], action: dict[str, Any], file: str, result: ChunkResult) -> None:
        link = case_link(context["account"]["id"]) if self.case_files else None
        sheet = visits.visit_sheet(context, self._text(file, context, "visit"), file, link)
        relative = f"messages/visits/{file_stem(action['id'])}.txt"
        self._write(result, relative, sheet.encode("utf-8"))
        result.routes.append(visits.route_row(context, relative))

    def _agency(self, context: dict[str, Any], action: dict[str, Any], file: str, result: ChunkResult) -> None:
        agency_id = action.get("agency") or ""
        agency = self.policy.agencies.get(agency_id)
        if agency is None:
            raise RenderError(file, None, f"agency {agency_id!r} is not in the policy", context["account"]["id"])
        note = self._text(file, agency_channel.minimised_context(context, agency), "agency")
        link = case_link(context["account"]["id"]) if self.case_files else None
        row = agency_channel.agency_row(context, agency, link)  # the link only where fields list case_file
        self._write(result, f"messages/agency/{agency.id}/{file_stem(action['id'])}.txt", note.encode("utf-8"))
        result.agency.setdefault(agency.id, []).append(row)

    def _legal_review(self, context: dict[str, Any], action: dict[str, Any], file: str, result: ChunkResult) -> None:
        note = self._text(file, context, "legal_review")
        link = case_link(context["account"]["id"]) if self.case_files else None
        case = agency_channel.legal_case(context, note, list(action.get("reasons") or ()), link)
        self._write(result, f"messages/legal_review/{file_stem(action['id'])}.txt", case.encode("utf-8"))
