"""Acknowledged findings: inline and policy-level, listed once with their reason, never
failing --strict; stale and malformed acknowledgements reported; --min-level; NO_COLOR."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.report import wants_color

DATA = Path(__file__).resolve().parent / "data"
REASON = (
    "Massachusetts allows two calls or texts in seven days (209 CMR 18.14(1)(d)); for US-MA accounts the planner "
    "defers the third contact of these weeks to the next allowed day. We keep one cadence for every state rather "
    "than a separate Massachusetts strategy (decided with compliance, 2026-11)."
)


def validate(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", str(repo), *args])
    return result.exit_code, result.output


def inline_only(repo: Path) -> Path:
    """The example with its policy-level acknowledgement replaced by two inline ones: a
    comment alone on the line above the step, and one at the end of the step's line."""
    (repo / "policies" / "acknowledgements.yaml").unlink()
    strategies = repo / "policies" / "strategies.yaml"
    lines = strategies.read_text(encoding="utf-8").splitlines()
    assert lines[38] == "      - day: 10" and lines[68] == "      - day: 32"
    lines[68] += "  # dunning: ignore[L002] the MA team calls on its own cadence"
    lines.insert(38, "      # dunning: ignore[L002,P110] MA accounts: the third contact waits a day")
    strategies.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return repo


def test_the_example_lists_its_acknowledgement_once(example_root: Path) -> None:
    code, output = validate(example_root, "--format", "text", "--strict")
    assert code == 0
    assert output == (
        "acknowledged:\n"
        "  L002 policies/strategies.yaml:39:9, 69:9, 100:9, 172:9\n"
        f"      = {REASON} (policies/acknowledgements.yaml:6)\n"
        "0 error(s), 0 warning(s), 0 note(s), 4 acknowledged\n"
    )


def test_inline_acknowledgements(example_copy: Path) -> None:
    code, output = validate(inline_only(example_copy), "--format", "json")
    doc = json.loads(output)
    assert code == 0
    assert [(p["file"], p["line"], p["code"], p["level"]) for p in doc["problems"]] == [
        ("policies/strategies.yaml", 101, "L002", "info"),
        ("policies/strategies.yaml", 173, "L002", "info"),
    ]
    assert [(a["line"], a["code"], a["reason"], a["acknowledged_at"]) for a in doc["acknowledged"]] == [
        (40, "L002", "MA accounts: the third contact waits a day", "policies/strategies.yaml:39"),
        (70, "L002", "the MA team calls on its own cadence", "policies/strategies.yaml:70"),
    ]
    assert doc["counts"] == {"error": 0, "warning": 0, "info": 2, "acknowledged": 2}


def test_acknowledged_warnings_do_not_fail_strict(example_copy: Path) -> None:
    # a gap before tier 'early' makes its day-8 steps (the US notice, the text) unreachable: P110
    tiers = example_copy / "policies" / "tiers.yaml"
    tiers.write_text(tiers.read_text(encoding="utf-8").replace("{min: 8, max: 30}", "{min: 9, max: 30}"))
    code, output = validate(example_copy, "--format", "text", "--strict", "--min-level", "warning")
    assert code == 1 and "policies/strategies.yaml:36:14: warning P110 step sms@8 of strategy 'early'" in output
    acknowledgements = example_copy / "policies" / "acknowledgements.yaml"
    acknowledgements.write_text(
        acknowledgements.read_text(encoding="utf-8")
        + "  - code: P101\n    reason: day 8 is the grace day of the new card product\n"
        + '  - code: P110\n    contains: "@8 of strategy"\n    reason: the day-8 steps go with the gap\n',
        encoding="utf-8",
    )
    code, output = validate(example_copy, "--format", "text", "--strict")
    assert code == 0, output
    # the gap also moves the L002 overruns of strategy 'early' out of its tier's days
    assert output == (
        "acknowledged:\n"
        "  P110 policies/strategies.yaml:27:14, 36:14, 160:14, 169:14\n"
        "      = the day-8 steps go with the gap (policies/acknowledgements.yaml:16)\n"
        "  L002 policies/strategies.yaml:69:9, 100:9\n"
        f"      = {REASON} (policies/acknowledgements.yaml:6)\n"
        "  P101 policies/tiers.yaml:10:5\n"
        "      = day 8 is the grace day of the new card product (policies/acknowledgements.yaml:14)\n"
        "0 error(s), 0 warning(s), 0 note(s), 7 acknowledged\n"
    )


def test_a_stale_acknowledgement_is_reported(example_copy: Path) -> None:
    strategies = example_copy / "policies" / "strategies.yaml"
    # the MA overrun of strategy 'early' goes when its calls are every 7 days
    text = strategies.read_text(encoding="utf-8")
    strategies.write_text(
        text.replace("template: call-early\n        every: 4", "template: call-early\n        every: 7")
    )
    inline = inline_only(example_copy)
    code, output = validate(inline, "--format", "text", "--strict")
    assert code == 1
    assert output.startswith(
        "policies/strategies.yaml:39:7: warning A001 acknowledgement of L002, P110 matches no finding\n"
        "      = hint: remove it: the finding it accepted is gone (or moved: acknowledge it where it is now)\n"
    )


def test_min_level(example_copy: Path) -> None:
    (example_copy / "policies" / "acknowledgements.yaml").unlink()
    code, output = validate(example_copy, "--format", "text")
    assert (code, output.count(" info L002 "), output.splitlines()[-1]) == (0, 4, "0 error(s), 0 warning(s), 4 note(s)")
    code, output = validate(example_copy, "--format", "text", "--min-level", "warning")
    assert (code, output) == (0, "0 error(s), 0 warning(s), 0 note(s)\n")
    result = CliRunner().invoke(
        main, ["validate", str(example_copy), "--format", "text"], env={"DUNNING_MIN_LEVEL": "error"}
    )
    assert (result.exit_code, result.output) == (0, "0 error(s), 0 warning(s), 0 note(s)\n")


def test_sarif_marks_acknowledged_results_as_suppressed(example_root: Path) -> None:
    code, output = validate(example_root, "--format", "sarif")
    doc = json.loads(output)
    jsonschema.validate(doc, json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")))
    results = doc["runs"][0]["results"]
    assert code == 0 and [r["ruleId"] for r in results] == ["L002"] * 4
    assert results[0]["suppressions"] == [{"kind": "external", "status": "accepted", "justification": REASON}]


def test_github_summary_lists_each_acknowledgement_once(
    example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, output = validate(example_root, "--format", "github")
    assert code == 0 and "::" not in output  # nothing annotated
    assert output.splitlines()[0].startswith(
        "acknowledged L002 at policies/strategies.yaml:39:9, policies/strategies.yaml:69:9, "
    )
    assert summary.read_text(encoding="utf-8") == (
        "## dunning validate: ✅ policy is valid\n\n**0 error(s), 0 warning(s), 0 note(s), 4 acknowledged**\n\n"
        "Acknowledged:\n\n| Findings | Code | Reason |\n| --- | --- | --- |\n"
        "| `policies/strategies.yaml:39:9`<br>`policies/strategies.yaml:69:9`<br>`policies/strategies.yaml:100:9`"
        f"<br>`policies/strategies.yaml:172:9` | L002 | {REASON} (`policies/acknowledgements.yaml:6`) |\n\n"
    )


class Tty:
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("environ", "color"),
    [({}, True), ({"NO_COLOR": "1"}, False), ({"NO_COLOR": ""}, True), ({"TERM": "dumb"}, False)],
)
def test_colour_follows_no_color_and_term(environ: dict[str, str], color: bool) -> None:
    assert wants_color(Tty(), environ) is color  # type: ignore[arg-type]
    assert wants_color(sys.stdin if not sys.stdin.isatty() else open(os.devnull), environ) is False  # noqa: SIM115


@pytest.mark.parametrize(("extra", "escapes"), [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)])
def test_colour_on_a_terminal(example_copy: Path, extra: dict[str, str], escapes: bool) -> None:
    tiers = example_copy / "policies" / "tiers.yaml"
    tiers.write_text(tiers.read_text(encoding="utf-8").replace("{min: 8, max: 30}", "{min: 9, max: 30}"))
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM", "GITHUB_ACTIONS")} | extra
    done = subprocess.run(
        [sys.executable, "-c", "from dunning.cli import main; main()", "validate", str(example_copy)],
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env={"TERM": "xterm", **env},
        check=False,
    )
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end is closed: all read
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    assert done.returncode == 0
    text = data.decode("utf-8")
    assert ("\x1b[33mwarning\x1b[0m P110" in text) is escapes
    assert ("policies/strategies.yaml:36:14: warning P110" in text) is not escapes
