"""``dunning gate REQUESTS.jsonl [PATH]``: the real-time contact gate."""

from __future__ import annotations

import sys
from io import BufferedReader
from pathlib import Path
from typing import BinaryIO, cast

import click

from dunning.cli.errors import EXIT_OK, user_errors
from dunning.cli.params import jobs_option_for, repo_path
from dunning.errors import UserError


@click.command("gate")
@click.argument("requests", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@repo_path
@jobs_option_for(
    default=1,
    help=(
        "Worker processes (0: one per core for large inputs, one for small). "
        "On stdin each answer still comes as soon as its line is answered."
    ),
)
@user_errors
def gate_command(requests: str, path: Path, jobs: int) -> None:
    """May we contact this person now, this way? Reads one JSON request per line from REQUESTS
    (`-` for stdin) and prints one JSON answer per line, in order: verdict and legal_verdict
    (allow, suppress or reschedule), earliest (the first allowed moment) and the reasons with
    their codes and citations. A malformed line is answered with verdict "error" and the
    stream goes on. Exit 0 once every line is answered, 1 when the policy has errors (anything
    `dunning validate` reports as an error), 2 when REQUESTS cannot be read."""
    from dunning.compliance.gate import Gate, answer_batches, answer_lines, answer_parallel, arrivals, chunks, gate_jobs
    from dunning.validate import require_valid_policy

    gate = Gate(require_valid_policy(path))
    jobs = gate_jobs(jobs, requests)
    out = sys.stdout.buffer
    if requests == "-":
        # interactive callers wait for each answer: flush as soon as one is known (with
        # workers, a batch holds the lines that had arrived, one when the caller waits)
        if jobs > 1:
            for answers in answer_parallel(gate, arrivals(cast(BufferedReader, sys.stdin.buffer)), jobs):
                out.write(b"".join(a + b"\n" for a in answers))
                out.flush()
        else:
            for answer in answer_lines(gate, sys.stdin.buffer):
                out.write(answer + b"\n")
                out.flush()
        sys.exit(EXIT_OK)
    try:
        handle: BinaryIO = open(requests, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UserError(f"cannot read {requests}: {exc.strerror}", "pass a JSON Lines file, or - for stdin") from exc
    with handle:
        if jobs > 1:
            for answers in answer_parallel(gate, chunks(handle), jobs):
                out.write(b"".join(a + b"\n" for a in answers))
        else:
            for answer in answer_batches(gate, handle):
                out.write(answer + b"\n")
    out.flush()
    sys.exit(EXIT_OK)
