"""A portfolio big enough for the Results page to show figures: 15 accounts in `reminder`
(3 days past due on 2026-11-01) and 15 in `mid` (40 days), all CN, with a history in which
every reminder account got one SMS that was delivered and every mid account one unanswered
call, five of them a right-party contact on a second call. In the end snapshot the reminder
accounts are gone (cured) and the mid ones unchanged (40 → 69 days: rolled into `late`)."""

from __future__ import annotations

from pathlib import Path

HEADER = "account_id,jurisdiction,currency,overdue_amount,due_date,phone\n"


def write_portfolio(folder: Path) -> tuple[Path, Path, Path]:
    """(start, end, history) CSV files in ``folder``."""
    start, end, history = folder / "start.csv", folder / "end.csv", folder / "history.csv"
    reminder = [f"R{i:02d}" for i in range(15)]
    mid = [f"M{i:02d}" for i in range(15)]
    rows = [f"{a},CN,CNY,300.00,2026-10-29,+86138000001{i:02d}" for i, a in enumerate(reminder)]
    rows += [f"{a},CN,CNY,900.00,2026-09-22,+86138000002{i:02d}" for i, a in enumerate(mid)]
    start.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    end.write_text(HEADER + "\n".join(r for r in rows if r.startswith("M")) + "\n", encoding="utf-8")
    events = ["account_id,at,event,channel"]
    for a in reminder:
        events += [f"{a},2026-11-02T10:00:00+08:00,sent,sms", f"{a},2026-11-02T10:01:00+08:00,delivered,sms"]
    for i, a in enumerate(mid):
        events.append(f"{a},2026-11-09T10:00:00+08:00,no_answer,call")
        if i < 5:
            events.append(f"{a},2026-11-10T10:00:00+08:00,right_party_contact,call")
    history.write_text("\n".join(events) + "\n", encoding="utf-8")
    return start, end, history
