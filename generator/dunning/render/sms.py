"""SMS channel: one JSON object per message in ``messages/sms.jsonl``, ready for a gateway.

Encoding and segment count come from :mod:`dunning.text.sms`, the same counter validate and
the handbook use, so the numbers agree everywhere.
"""

from __future__ import annotations

from typing import Any

from dunning.render.calls import window_end
from dunning.templating.sandbox import RenderError
from dunning.text import sms as sms_text


def require_disclosures(context: dict[str, Any], text: str, template_file: str) -> None:
    """Refuse a message that lacks what its jurisdiction requires in every text or email: the
    opt-out instruction, and in China the 【signature】 — validate checks the templates, this
    checks each message as sent (a template branch validate's personas did not take)."""
    account = context["account"]
    opt_out = context["compliance"].get("opt_out") or ""
    if opt_out and opt_out not in text:
        raise RenderError(template_file, None, "the message lacks the required opt-out instruction", account["id"])
    if context["action"]["channel"] == "sms" and account["jurisdiction"].split("-", 1)[0] == "CN":
        signature = context["company"]["sms_signature"]
        if f"【{signature}】" not in text:
            raise RenderError(template_file, None, f"a CN text must carry the 【{signature}】 signature", account["id"])


def sms_record(context: dict[str, Any], text: str, template_file: str, max_segments: int) -> dict[str, Any]:
    """The gateway record for one text (keys in a fixed order); RenderError when it cannot be sent."""
    account, action = context["account"], context["action"]
    text = text.strip()
    if not account["phone"]:
        raise RenderError(template_file, None, "the account has no phone number", account["id"])
    if not text:
        raise RenderError(template_file, None, "the text is empty", account["id"])
    require_disclosures(context, text, template_file)
    encoding, length, segments = sms_text.measure(text)
    if segments > max_segments:
        raise RenderError(
            template_file,
            None,
            f"the text is {segments} segments ({sms_text.describe(text)}); the policy allows {max_segments}",
            account["id"],
        )
    return {
        "action_id": action["id"],
        "account_id": account["id"],
        "recipient": account["phone"],
        "sender": context["company"]["sms_signature"],
        "text": text,
        "encoding": encoding,
        "length": length,
        "segments": segments,
        "not_before": window_end(action["not_before"])[0],
        "not_after": window_end(action["not_after"])[0],
        "template": action["template"],
        "locale": context["locale"],
    }
