"""``dunning handbook build|serve``: the policy handbook (an MkDocs site) from the compiled policy."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import click

from dunning.cli.errors import user_errors
from dunning.cli.params import (
    ACCOUNTS_SOURCE,
    accounts_end_option,
    history_option,
    out_option,
    period_options,
    repo_path,
)
from dunning.cli.params import as_of_option as shared_as_of
from dunning.errors import UserError

as_of_option = shared_as_of(
    required=False,
    help="Date the holiday calendar and build date are anchored on "
    "[default: the date of the policy's last commit; required outside git].",
)
repo_url_option = click.option(
    "--repo-url",
    envvar="DUNNING_REPO_URL",
    help="Web address of the policy repository; source links then point there "
    "[default: git's origin when it is a web host, else the handbook's own copies].",
)


def resolve_as_of(root: Path, as_of: date | None) -> date:
    """``--as-of``, else the committer date of HEAD (the same for the same revision)."""
    if as_of is not None:
        return as_of
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%cs"], capture_output=True, text=True, check=False
        )
    except OSError:
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip():
        return date.fromisoformat(done.stdout.strip())
    raise UserError(
        "no --as-of date and the policy is not in git",
        "pass the date the holiday calendar starts from: --as-of YYYY-MM-DD",
    )


@click.group("handbook")
def handbook_group() -> None:
    """Build or serve the policy handbook (MkDocs + Material)."""


@handbook_group.command("build")
@repo_path
@out_option(
    help="Output folder: the site goes to OUT/handbook, its Markdown to OUT/handbook-src "
    "(the rest of a dunning output there is kept).",
)
@as_of_option
@repo_url_option
@click.option("--quiet", "-q", is_flag=True, envvar="DUNNING_QUIET", help="Print only errors.")
@history_option(help="Contact history for a Results page (with --accounts, --from and --to)")
@click.option(
    "--accounts",
    type=ACCOUNTS_SOURCE,
    envvar="DUNNING_ACCOUNTS",
    help="Snapshot at the start of the Results period.",
)
@accounts_end_option("Snapshot at the end of the Results period (cure and roll rates).")
@period_options(required=False, what="the Results period")
@user_errors
def build_command(
    path: Path,
    out_dir: Path,
    as_of: date | None,
    repo_url: str | None,
    quiet: bool,
    history: Path | None,
    accounts: Path | None,
    accounts_end: Path | None,
    start: str | None,
    end: str | None,
) -> None:
    """Generate the handbook and build it with `mkdocs build --strict`. Exit 0 built, 1 policy
    errors, 2 usage error or a broken link. With --history, --accounts, --from and --to it has
    a Results page: rates by tier and strategy, experiments, weekly trends (small groups hidden)."""
    from dunning.errors import PolicyInvalid
    from dunning.extras import require
    from dunning.handbook import SITE_FOLDER, SOURCE_FOLDER, build_handbook
    from dunning.load.repository import find_root
    from dunning.outdir import OutputDir
    from dunning.validate import validation

    require("handbook")
    root = find_root(path)
    # validated once: the policy to build from and the review page's findings (a policy whose
    # semantic rules find errors still gets its handbook, which shows them)
    found = validation(root)
    policy = found.loaded.policy
    if policy is None:
        raise PolicyInvalid(list(found.loaded.problems))
    page = None
    results_inputs = (history, accounts, start, end)
    if any(v is not None for v in (*results_inputs, accounts_end)):
        if any(v is None for v in results_inputs):
            raise UserError(
                "a Results page needs --history, --accounts, --from and --to together",
                "give all four (and --accounts-end for cure and roll rates), or none",
            )
        from dunning.cli.review import parse_date
        from dunning.results import ReportRequest
        from dunning.results.report import handbook_page

        first, last = parse_date(start, "--from"), parse_date(end, "--to")
        assert history is not None and accounts is not None and first is not None and last is not None
        page = handbook_page(ReportRequest(policy, root, history, first, last, accounts, accounts_end))
    day = resolve_as_of(root, as_of)
    # the rest of a build's output (plans, messages) is carried over; only the handbook changes
    with OutputDir(out_dir, protect=(root,)).replace(
        keep=lambda name: name not in (SOURCE_FOLDER, SITE_FOLDER)
    ) as staging:
        build_handbook(policy, root, staging, day, repo_url, results_page=page, found=found)
    if not quiet:
        click.echo(f"handbook: {out_dir / SITE_FOLDER / 'index.html'}")


@handbook_group.command("serve")
@repo_path
@out_option(help="Where the generated Markdown goes (OUT/handbook-src).")
@as_of_option
@repo_url_option
@click.option(
    "--dev-addr", default="127.0.0.1:8000", show_default=True, envvar="DUNNING_DEV_ADDR", help="Address to serve on."
)
@user_errors
def serve_command(path: Path, out_dir: Path, as_of: date | None, repo_url: str | None, dev_addr: str) -> None:
    """Serve the handbook with live reload; pages are regenerated when a file under policies/,
    templates/ or site/ changes. Stop with Ctrl-C."""
    from dunning.handbook import SOURCE_FOLDER
    from dunning.handbook.serve import check_address, serve
    from dunning.load.repository import find_root
    from dunning.outdir import OutputDir

    root = find_root(path)
    day = resolve_as_of(root, as_of)
    check_address(dev_addr)  # a busy port is reported before any folder is claimed
    OutputDir(out_dir, protect=(root,)).claim(SOURCE_FOLDER)  # serve rewrites it in place, live
    serve(root, out_dir / SOURCE_FOLDER, day, dev_addr, repo_url)
