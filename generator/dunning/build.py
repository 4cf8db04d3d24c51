"""The build stage: validate → plan → render → handbook on one compiled policy, published in one step.

The handbook reads the compiled policy and nothing a run plans or renders (it holds no account
data), so when the build may use more than one process it is built by a forked process of its
own beside plan and render, and waited for after render: on 2 cores it fills the gaps where
one core waits (plan's start, the render parent's tail). The bytes are the same either way.

Each stage writes into the same staging folder (:class:`dunning.outdir.OutputDir`), and the
result replaces ``--out`` in one swap at the end: a reader of ``--out`` sees the complete
previous build or the complete new one, never plans next to missing messages. The policy is
loaded and compiled once, by validate, and that compiled policy is what every later stage
uses.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from dunning.outdir import OutputDir, mark, step
from dunning.plan.build import PlanInputs, Summary, write_plans
from dunning.plan.pool import build_pool
from dunning.policy import Loaded
from dunning.problems import Problem, has_errors
from dunning.render.cases import CaseRequest
from dunning.render.run import SUMMARY, RenderSummary, check_email_format, render_into, write_manifest
from dunning.validate import Validation, validation
from dunning.workers import Beside, Workers, resolve_jobs

if TYPE_CHECKING:
    from dunning.acknowledge import Acknowledged
    from dunning.render.fused import FusedRender


@dataclass(frozen=True)
class BuildRequest:
    """What ``dunning build`` was asked for (its options, paths as the user gave them)."""

    policy_path: Path
    accounts: Path
    as_of: date
    out: Path
    history: Path | None = None
    horizon: int | None = None
    jobs: int | None = None
    pdf: bool = True
    handbook: bool = True
    forecast_days: int | None = None
    max_reject_rate: float = 1.0  # the share of rejected accounts above which the build stops after plan
    email_format: str = "eml"  # eml: a file per email; mbox: one mbox per send date
    render_progress: bool = False  # render's progress bars (accounts, print batches) on stderr


@dataclass
class BuildResult:
    """What each stage gave; ``stopped`` names the stage that stopped the build (or is empty)."""

    loaded: Loaded
    problems: list[Problem]
    stopped: str = ""
    plans: Summary | None = None
    render: RenderSummary | None = None
    site: Path | None = None
    notes: list[str] = field(default_factory=list)


def run_build(
    request: BuildRequest,
    *,
    strict: bool = False,
    on_findings: Callable[[list[Problem], list[Acknowledged]], None] = lambda _problems, _acknowledged: None,
    on_stage: Callable[[str], None] = lambda _name: None,
    progress: Any = None,
    pool: Workers | None = None,
    pool_started: bool = False,
) -> BuildResult:
    """Run the stages in order; stop at validate errors (nothing written), at a plan that
    rejected more than ``max_reject_rate`` of the accounts (the plan's files published, no
    messages) or at messages that failed to render (plans, messages and manifest published
    without the handbook).

    ``on_findings`` gets validate's open and acknowledged findings before anything else runs; ``on_stage(name)`` is
    told each later stage as it starts (the CLI names it when one fails); ``progress`` gets
    the plan's ``update(n)``. With ``pool_started`` the caller started the planning workers
    already (``pool``, :func:`~dunning.plan.pool.build_pool`; None when the run plans in this
    process), and they are this function's to close from then on; otherwise it starts them
    first (each loads its modules and render's and compiles the policy, ≈ 0.6 s of a core,
    while this process validates, instead of after it with a core idle)."""
    on_stage("validate")
    if not pool_started:
        pool = build_pool(request.policy_path, request.accounts, request.jobs)
    try:
        mark("validate")
        found = validation(request.policy_path)
        mark("validated")
        loaded, problems = found.loaded, found.problems
        on_findings(problems, found.acknowledged)
        result = BuildResult(loaded, problems)
        if loaded.policy is None or has_errors(problems, strict=strict):
            result.stopped = "validate"
            return result
        policy = loaded.policy
        output = OutputDir(request.out, protect=(Path(policy.root),))
        on_stage("out")  # the output folder's checks and lock
        if pool is not None:
            pool.started()  # the handbook's process is forked next: no thread of the launch then
        with output.replace() as staging:
            beside = _handbook_beside(request, policy, staging, found)
            try:
                _stages(request, policy, staging, result, beside, on_stage, progress, found, pool)
            finally:
                if beside is not None and result.site is None:  # a stage stopped or failed before it
                    _stop_handbook(beside, staging)
    finally:
        if pool is not None:
            pool.close(stop=True)  # ended already, unless the build stopped before its plan
    mark("published")
    return result


def _stages(
    request: BuildRequest,
    policy: Any,
    staging: Path,
    result: BuildResult,
    beside: Beside[Path] | None,
    on_stage: Callable[[str], None],
    progress: Any,
    found: Validation,
    pool: Workers | None = None,
) -> None:
    """plan → render → handbook → manifest into ``staging``, as :func:`run_build` describes;
    ``pool``: the planning workers, started (:func:`~dunning.plan.pool.build_pool`)."""
    inputs = PlanInputs(request.policy_path, request.accounts, request.as_of, request.history, request.horizon or 0)
    cases = CaseRequest(request.as_of, request.history, request.horizon or 0)
    check_email_format(request.email_format)
    fused = _fused(request, policy, staging, cases)
    on_stage("plan")
    try:
        result.plans = write_plans(
            inputs,
            staging,
            jobs=request.jobs,
            progress=progress,
            policy=policy,
            following=fused,
            hashed=True,
            pool=pool if fused is not None else None,
        )
    except BaseException:
        if fused is not None:
            fused.output.close()
        raise
    step("plans written")
    if fused is not None and (not fused.valid or result.plans.over_reject_rate(request.max_reject_rate)):
        fused.discard()  # rendered again below, or not published
        fused = None
    if result.plans.over_reject_rate(request.max_reject_rate):
        # published as `dunning plan` would leave it (rejects.csv says why), no messages
        result.stopped = "plan"
        return
    on_stage("render")
    mark("render's finish")
    if fused is not None:
        summary = orjson.loads((staging / SUMMARY).read_bytes())
        rendered = fused.finish(summary, request.accounts, workers=request.jobs, progress=request.render_progress)
    else:
        rendered = render_into(
            staging,
            request.policy_path,
            request.accounts,
            policy=policy,
            workers=request.jobs,
            pdf=request.pdf,
            manifest=False,
            email_format=request.email_format,
            progress=request.render_progress,
            cases=cases,
        )
    result.render = rendered
    if rendered.failed:
        result.stopped = "render"
    elif request.handbook:
        on_stage("handbook")
        result.site = beside.result() if beside is not None else _handbook(request, policy, staging, found)
        step("handbook built")
    on_stage("manifest")
    mark("manifest")
    rendered.known.update(result.plans.hashes)  # plans.jsonl and actions.csv, hashed as they were written
    write_manifest(policy, staging, rendered)  # last: it lists every file, the handbook's too
    step("manifest written")


def _fused(request: BuildRequest, policy: Any, staging: Path, cases: CaseRequest) -> FusedRender | None:
    """The render done by the plan's processes, chunk by chunk as they plan
    (:mod:`dunning.render.fused`); None when the build renders after the plan instead: when
    the plan runs in this process (a small snapshot) but render would use workers."""
    from dunning.render.fused import FusedRender

    size = request.accounts.stat().st_size if request.accounts.is_file() else 0
    if resolve_jobs(request.jobs, size) == 1 and resolve_jobs(request.jobs) > 1:
        return None
    return FusedRender(staging, policy, pdf=request.pdf, email_format=request.email_format, cases=cases)


def _handbook_beside(request: BuildRequest, policy: Any, staging: Path, found: Validation) -> Beside[Path] | None:
    """The handbook's process, started (see the module's docstring); None when the handbook is
    built after render instead: not asked for, one process only (``--jobs 1``), or a forecast
    page (the forecast reads the accounts with polars, which must not run in a forked
    process). Forked before plan, it inherits the compiled policy and nothing else of size."""
    if not request.handbook or request.forecast_days is not None or resolve_jobs(request.jobs) == 1:
        return None
    return Beside(_handbook, request, policy, staging, found, start="fork", name="dunning-handbook")


def _stop_handbook(beside: Beside[Path], staging: Path) -> None:
    """End a handbook process that was not waited for and remove what it wrote: a build stopped
    at plan or render publishes no handbook."""
    from dunning.handbook import SITE_FOLDER, SOURCE_FOLDER

    beside.stop()
    for folder in (SITE_FOLDER, SOURCE_FOLDER):
        shutil.rmtree(staging / folder, ignore_errors=True)


def _handbook(request: BuildRequest, policy: Any, staging: Path, found: Validation) -> Path:
    from dunning.handbook import SITE_FOLDER, build_handbook

    extra: dict[str, bytes] = {}
    if request.forecast_days is not None:
        from dunning.review.forecast import forecast_files

        extra = forecast_files(policy, request.accounts, request.as_of, request.forecast_days, request.history)
    mark("handbook")
    build_handbook(policy, request.policy_path, staging, request.as_of, extra_pages=extra, found=found)
    mark("handbook built")
    return request.out / SITE_FOLDER
