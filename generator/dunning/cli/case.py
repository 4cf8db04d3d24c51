"""``dunning case``: one customer's file — who, the debt, every flag and contact, what was sent
and what is missing, the law's counters, the offer and the next actions."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from dunning.cli.errors import EXIT_OK, user_errors
from dunning.cli.params import accounts_file, as_of_option, history_option, horizon_option, repo_path
from dunning.errors import UserError


@click.command("case")
@click.argument("account_id")
@accounts_file
@as_of_option(help="The file's date (YYYY-MM-DD); never taken from the clock.")
@history_option()
@horizon_option(default=7, help="Show the actions planned for the next DAYS days.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "html", "json"]),
    default="text",
    show_default=True,
    envvar="DUNNING_CASE_FORMAT",
    help="text for a terminal, markdown or html to share, json for machines. [env: DUNNING_CASE_FORMAT]",
)
@repo_path
@user_errors
def case_command(
    account_id: str, accounts: Path, as_of: date, history: Path | None, horizon: int, fmt: str, path: Path
) -> None:
    """Print ACCOUNT_ID's customer file as of --as-of (contact points masked)."""
    from dunning.accounts.history.staging import read_history
    from dunning.accounts.read import read_accounts
    from dunning.plan.casefile import WRITERS, case_file
    from dunning.policy import require_policy

    policy = require_policy(path)
    events = read_history(history)
    for chunk in read_accounts(accounts, None, frozenset(policy.jurisdictions)):
        reject = next((r for r in chunk.rejects if r.account_id == account_id), None)
        account = next((a for a in chunk.accounts if a.account_id == account_id), None)
        if reject is not None and (account is None or reject.line < account.line):
            raise UserError(
                f"account {account_id} (line {reject.line}) is rejected: {reject.code} {reject.message}",
                hint="fix the snapshot row; a rejected account has no file",
            )
        if account is None:
            continue
        found = case_file(
            policy,
            account,
            events.events.get(account_id, ()),
            as_of,
            horizon=horizon,
            held=account_id in events.held,
            tracks_sent=events.tracks_sent,
        )
        sys.stdout.write(WRITERS[fmt](found))
        sys.exit(EXIT_OK)
    raise UserError(f"account {account_id!r} is not in {accounts}", hint="check the id and --accounts")
