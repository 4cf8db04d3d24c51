"""Field visits: a visit sheet per visit and a route list per day.

The law (CN: two or more staff, identification, recording; everywhere: no entry without
consent) is not left to the template: if a rendered sheet lacks any item of the safety and
legality checklist, the standard checklist of its locale is appended.
"""

from __future__ import annotations

from typing import Any

from dunning.templating.formatting import format_local_datetime
from dunning.templating.sandbox import RenderError

# item -> (keywords any of which shows the template covers it, the line to add when it does not)
CHECKLIST: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "zh-CN": {
        "two_staff": (("两人", "二人", "两名"), "[ ] 外访人员不少于两人"),
        "identification": (("证件", "工作证"), "[ ] 外访人员均佩戴并出示工作证件"),
        "consent": (("同意",), "[ ] 未经客户同意不进入住所"),
        "recording": (("录音",), "[ ] 全程录音录像，开始时告知客户"),
    },
    "en-US": {
        "two_staff": (("two staff", "two members of staff"), "[ ] At least two staff attend together"),
        "identification": (("identification", "ID badge"), "[ ] Both staff show identification"),
        "consent": (("consent",), "[ ] Do not enter the home without the customer's consent"),
        "recording": (("record",), "[ ] The whole visit is recorded; tell the customer at the start"),
    },
}
CHECKLIST_TITLE = {"zh-CN": "合规检查（系统补充）", "en-US": "Safety and legality checklist (added)"}
CASE_FILE_LABEL = {"zh-CN": "客户档案：", "en-US": "Customer file: "}
ROUTE_COLUMNS = (
    "visit_date", "sequence", "action_id", "account_id", "postal_code", "address", "window_start", "window_end",
    "sheet",
)  # fmt: skip


def visit_sheet(context: dict[str, Any], sheet: str, template_file: str, case_link: str | None = None) -> str:
    """The visit sheet text with the full checklist guaranteed, and (``case_link``: relative
    to the sheet) a last line naming the customer's file."""
    account = context["account"]
    if not account["address"]:
        raise RenderError(template_file, None, "the account has no address to visit", account["id"])
    locale = context["locale"] if context["locale"] in CHECKLIST else "en-US"
    missing = [line for keys, line in CHECKLIST[locale].values() if not any(k.lower() in sheet.lower() for k in keys)]
    text = sheet.rstrip("\n") + "\n"
    if missing:
        text += f"\n{CHECKLIST_TITLE[locale]}\n" + "\n".join(missing) + "\n"
    if case_link is not None:
        text += f"\n{CASE_FILE_LABEL[locale]}{case_link}\n"
    return text


def route_row(context: dict[str, Any], sheet_file: str) -> list[str]:
    """One route-list row (sequence filled in when the day's route is sorted)."""
    account, action = context["account"], context["action"]
    return [
        action["not_before"].date().isoformat(),
        "",
        action["id"],
        account["id"],
        account["postal_code"],
        account["address"],
        format_local_datetime(action["not_before"], context["locale"]),
        format_local_datetime(action["not_after"], context["locale"]),
        sheet_file,
    ]
