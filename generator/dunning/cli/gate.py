"""``dunning gate REQUESTS.jsonl [PATH]``: the real-time contact gate."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import BinaryIO

import click

from dunning.cli.errors import EXIT_OK, user_errors
from dunning.cli.params import repo_path
from dunning.errors import UserError


@click.command("gate")
@click.argument("requests", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@repo_path
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=1,
    envvar="DUNNING_JOBS",
    show_default=True,
    help="Worker processes for a REQUESTS file (0 = one per CPU); stdin is answered line by line.",
)
@user_errors
def gate_command(requests: str, path: Path, jobs: int) -> None:
    """May we contact this person now, this way? Reads one JSON request per line from REQUESTS
    (`-` for stdin) and prints one JSON answer per line, in order: verdict and legal_verdict
    (allow, suppress or reschedule), earliest (the first allowed moment) and the reasons with
    their codes and citations. A malformed line is answered with verdict "error" and the
    stream goes on. Exit 0 once every line is answered, 1 when the policy has errors, 2 when
    REQUESTS cannot be read."""
    from dunning.compliance.gate import Gate, answer_batches, answer_lines, answer_parallel
    from dunning.policy import require_policy

    gate = Gate(require_policy(path))
    jobs = jobs or os.cpu_count() or 1
    out = sys.stdout.buffer
    if requests == "-":
        # interactive callers wait for each answer: flush line by line
        for answer in answer_lines(gate, sys.stdin.buffer):
            out.write(answer + b"\n")
            out.flush()
        sys.exit(EXIT_OK)
    try:
        handle: BinaryIO = open(requests, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UserError(f"cannot read {requests}: {exc.strerror}", "pass a JSON Lines file, or - for stdin") from exc
    with handle:
        answers = answer_parallel(gate, handle, jobs) if jobs > 1 else answer_batches(gate, handle)
        for answer in answers:
            out.write(answer + b"\n")
    out.flush()
    sys.exit(EXIT_OK)
