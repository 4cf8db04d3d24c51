"""Write a :class:`~dunning.review.simulate.Forecast`: CSV tables, ``summary.json``, charts
(PNG and SVG) and a handbook page.

Charts use matplotlib with the Agg backend (no display needed). The SVG is made
byte-stable: a fixed ``svg.hashsalt`` (element ids) and no ``Date`` metadata; the PNG
carries no software version. Same forecast → same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from dunning.policy.model import Policy
from dunning.review.simulate import STATUSES, Forecast
from dunning.text.cells import csv_writer

SCHEMA_VERSION = 1
CHANNEL_COLUMNS = ("day", "channel", "scheduled", "deferred", "suppressed", "contacts_made")
TIER_COLUMNS = ("day", "tier", "active", "paused", "excluded")


def _csv(header: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def channel_rows(forecast: Forecast) -> list[list[Any]]:
    """Per day and channel: actions by status (on their due day) and contacts made that day."""
    return [
        [day, ch, *(forecast.actions[(day, ch, s)] for s in STATUSES), forecast.load[(day, ch)]]
        for day in forecast.day_list
        for ch in forecast.channels()
    ]


def tier_rows(forecast: Forecast, policy: Policy) -> list[list[Any]]:
    """Per day and tier: accounts planned active, paused and excluded."""
    return [
        [day, tier, *(forecast.tiers[(day, tier, s)] for s in ("active", "paused", "excluded"))]
        for day in forecast.day_list
        for tier in forecast.tier_ids(policy)
    ]


def summary(forecast: Forecast, cure_rate: object, seed: int) -> dict[str, Any]:
    """The run's totals and peaks."""
    return {
        "schema_version": SCHEMA_VERSION,
        "from": forecast.start.isoformat(),
        "days": forecast.days,
        "accounts_in": forecast.accounts_in,
        "rejected": forecast.rejected,
        "simulated": forecast.accounts_in - forecast.rejected,
        "cure_rate": None if cure_rate is None else str(cure_rate),
        "seed": seed,
        "cured": sum(forecast.cured.values()),
        "actions": {
            ch: {s: sum(forecast.actions[(d, ch, s)] for d in forecast.day_list) for s in STATUSES}
            for ch in forecast.channels()
        },
        "contacts_made": {ch: sum(forecast.load[(d, ch)] for d in forecast.day_list) for ch in forecast.channels()},
        "peak": forecast.peaks(),
    }


def holidays_in(forecast: Forecast, policy: Policy) -> dict[str, list[str]]:
    """Public holidays among the simulated days in the policy's calendars: ISO day → sorted
    ``"CN: National Day"`` labels (each jurisdiction of each timetable, as the planner reads it)."""
    from dunning.compliance.calendar import DayKind, calendar_key, day_kind, holiday_name

    found: dict[str, set[str]] = {}
    for timetable in policy.timetables:
        for jurisdiction in timetable.jurisdictions:
            key = calendar_key(timetable.holidays, jurisdiction)
            for iso in forecast.day_list:
                day = date.fromisoformat(iso)
                if day_kind(key, day) is DayKind.HOLIDAY:
                    found.setdefault(iso, set()).add(f"{jurisdiction}: {holiday_name(key, day)}")
    return {iso: sorted(labels) for iso, labels in sorted(found.items())}


def _day_marks(ax: Any, days: list[str], holidays: Mapping[str, list[str]]) -> None:
    """Grey bands behind weekends, red behind public holidays; ticks read ``Sat 11-28``."""
    for i, iso in enumerate(days):
        day = date.fromisoformat(iso)
        if iso in holidays:
            ax.axvspan(i - 0.5, i + 0.5, color="#f4c7c3", zorder=0, lw=0)
        elif day.weekday() >= 5:
            ax.axvspan(i - 0.5, i + 0.5, color="#e8e8e8", zorder=0, lw=0)
    step = max(1, len(days) // 16)
    ticks = list(range(0, len(days), step))
    labels = [f"{date.fromisoformat(days[i]).strftime('%a')} {days[i][5:]}" for i in ticks]
    ax.set_xticks(ticks, labels, rotation=45, ha="right", fontsize=10)
    ax.set_xlim(-0.5, len(days) - 0.5)


def _legend(ax: Any, holidays: Mapping[str, list[str]], columns: int) -> None:
    from matplotlib.patches import Patch

    handles, _labels = ax.get_legend_handles_labels()
    handles += [Patch(color="#e8e8e8", label="weekend")]
    if holidays:
        handles += [Patch(color="#f4c7c3", label="public holiday")]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        ncol=min(columns + 2, 5),
        fontsize=11,
        frameon=False,
    )


def _figures(forecast: Forecast, policy: Policy) -> dict[str, Any]:
    from dunning.extras import require

    require("charts")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "dunning-forecast"
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller and font-independent
    matplotlib.rcParams["font.size"] = 11  # the page shows the 10-inch chart at ~760 px: keep it legible
    days = forecast.day_list
    x = list(range(len(days)))
    holidays = holidays_in(forecast, policy)
    figures: dict[str, Any] = {}

    fig, ax = plt.subplots(figsize=(10, 5.2), dpi=100)
    bottom = [0] * len(days)
    for ch in forecast.channels():
        values = [forecast.load[(d, ch)] for d in days]
        ax.bar(x, values, bottom=bottom, label=ch, width=0.8, zorder=2)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("Contacts made per day, by channel")
    ax.set_ylabel("contacts")
    _day_marks(ax, days, holidays)
    _legend(ax, holidays, len(forecast.channels()))
    fig.tight_layout()
    figures["load"] = fig

    fig, ax = plt.subplots(figsize=(10, 5.2), dpi=100)
    tiers = forecast.tier_ids(policy)
    series = [[sum(forecast.tiers[(d, t, s)] for s in ("active", "paused", "excluded")) for d in days] for t in tiers]
    if tiers:
        ax.stackplot(x, *series, labels=tiers, zorder=2)
    ax.set_title("Accounts per tier")
    ax.set_ylabel("accounts")
    _day_marks(ax, days, holidays)
    _legend(ax, holidays, len(tiers))
    fig.tight_layout()
    figures["tiers"] = fig
    return figures


def chart_bytes(forecast: Forecast, policy: Policy) -> dict[str, bytes]:
    """``load.png``, ``load.svg``, ``tiers.png``, ``tiers.svg`` as bytes (deterministic)."""
    import matplotlib.pyplot as plt

    out: dict[str, bytes] = {}
    for name, fig in _figures(forecast, policy).items():
        for fmt, metadata in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt, metadata=metadata)
            out[f"{name}.{fmt}"] = buffer.getvalue()
        plt.close(fig)
    return out


def write_forecast(
    forecast: Forecast, policy: Policy, out: Path, cure_rate: object = None, seed: int = 0
) -> dict[str, Any]:
    """Write ``channels.csv``, ``tiers.csv``, ``summary.json`` and the charts into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    data = summary(forecast, cure_rate, seed)
    files = {
        "channels.csv": _csv(CHANNEL_COLUMNS, channel_rows(forecast)),
        "tiers.csv": _csv(TIER_COLUMNS, tier_rows(forecast, policy)),
        "summary.json": orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n",
        **chart_bytes(forecast, policy),
    }
    for name, content in files.items():
        tmp = out / f".{name}.tmp"
        tmp.write_bytes(content)
        tmp.replace(out / name)
    return data


def _holiday_note(forecast: Forecast, policy: Policy) -> list[str]:
    """Under the chart: what the grey and red bands are, and which holidays fall in the days."""
    holidays = holidays_in(forecast, policy)
    note = "Grey bands are weekends, red bands public holidays"
    if not holidays:
        return [f"{note} (none in these days).", ""]
    listed = "; ".join(f"{day} ({', '.join(labels)})" for day, labels in holidays.items())
    return [f"{note}: {listed}.", ""]


def forecast_markdown(forecast: Forecast, policy: Policy, chart_dir: str = "forecast") -> str:
    """The handbook page: what the policy makes operations do in the coming days.

    ``chart_dir`` is where the page finds ``load.svg`` and ``tiers.svg`` (relative to the page)."""
    data = summary(forecast, None, 0)
    peak = data["peak"]
    lines = [
        "# Forecast",
        "",
        f"The policy projected over {forecast.days} days from {forecast.start.isoformat()} on "
        f"{data['simulated']} accounts, assuming nobody pays. Every planned contact counts against the "
        "frequency caps of the days after it.",
        "",
        f"![Contacts made per day]({chart_dir}/load.svg)",
        "",
        *_holiday_note(forecast, policy),
        "| channel | scheduled | deferred | suppressed | contacts made | peak day | peak contacts |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for ch in forecast.channels():
        counts = data["actions"][ch]
        lines.append(
            f"| {ch} | {counts['scheduled']} | {counts['deferred']} | {counts['suppressed']} | "
            f"{data['contacts_made'][ch]} | {peak[ch]['day']} | {peak[ch]['contacts']} |"
        )
    lines += [
        "",
        f"Busiest day: **{peak['all']['day']}** with {peak['all']['contacts']} contacts.",
        "",
        f"![Accounts per tier]({chart_dir}/tiers.svg)",
        "",
        "Deferred: moved to a later allowed day by a cap, a weekend, a holiday or a blackout. "
        "Suppressed: not made within the look-ahead (a stop, an opt-out, a cap with no room).",
        "",
    ]
    return "\n".join(lines)


def forecast_files(
    policy: Policy,
    accounts: Path,
    start: date,
    days: int,
    history: Path | None = None,
    chart_dir: str = "forecast",
) -> dict[str, bytes]:
    """For ``dunning build --forecast-days N``: the handbook's forecast page and its charts as
    ``{relative path: bytes}`` (``forecast.md``, ``forecast/load.svg`` …), to be placed (or
    served as generated files) by the handbook; nothing is written."""
    from dunning.review.simulate import simulate

    forecast = simulate(policy, accounts, start, days, history)
    files = {f"{chart_dir}/{name}": data for name, data in chart_bytes(forecast, policy).items()}
    files["forecast.md"] = forecast_markdown(forecast, policy, chart_dir).encode("utf-8")
    return files


def build_forecast_page(
    policy: Policy, accounts: Path, start: date, days: int, docs_dir: Path, history: Path | None = None
) -> Path:
    """Write :func:`forecast_files` under ``docs_dir``; returns the page's path."""
    for name, data in forecast_files(policy, accounts, start, days, history).items():
        (docs_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (docs_dir / name).write_bytes(data)
    return docs_dir / "forecast.md"


__all__ = ["build_forecast_page", "chart_bytes", "forecast_files", "forecast_markdown", "write_forecast"]
