"""Options shared by several commands, each with its ``DUNNING_*`` environment variable."""

from __future__ import annotations

from pathlib import Path

import click

repo_path = click.argument(
    "path",
    required=False,
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DUNNING_PATH",
)
quiet = click.option("--quiet", "-q", is_flag=True, envvar="DUNNING_QUIET", help="Print only errors.")
accounts_file = click.option(
    "--accounts",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DUNNING_ACCOUNTS",
    help="Account snapshot (CSV, JSON Lines or Parquet).",
)
jobs_option = click.option(
    "--jobs",
    "-j",
    "--workers",  # the name render and build used first; still accepted
    "jobs",
    type=click.IntRange(min=0, max=64),
    default=None,
    envvar=["DUNNING_JOBS", "DUNNING_WORKERS"],
    # 0 is the default, as `dunning gate --jobs 0` is one per CPU: one DUNNING_JOBS serves all
    callback=lambda _ctx, _param, value: value or None,
    help="Worker processes (default, or 0: one per core for large inputs, one for small).",
)
max_reject_rate = click.option(
    "--max-reject-rate",
    type=click.FloatRange(min=0.0, max=1.0),
    default=0.5,
    show_default=True,
    envvar="DUNNING_MAX_REJECT_RATE",
    help="Fail (exit 1, outputs kept) when more than this share of the accounts is rejected; 1 never fails.",
)
