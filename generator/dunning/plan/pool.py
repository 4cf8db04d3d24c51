"""The planning workers of a run started before it imports anything else (``dunning build``).

A spawned worker takes ≈ 0.6 s of a core to import polars, the planner and render's fused
modules; the build's process, before it can hand out a chunk, imports its stages (≈ 0.3 s)
and validates. Started first, from this module (which imports neither polars nor the
planner), the workers load while the build's process does: the cores are not idle for the
build's imports. The worker's side (:func:`dunning.plan.chunk.preload_worker`) is imported
only in the workers.
"""

from __future__ import annotations

import os
from pathlib import Path

from dunning.outdir import mark
from dunning.workers import Workers, resolve_jobs

# jemalloc's options for the planning workers: freed pages go back to the system within 0.2 s
# (see dunning.plan.build._plan_in_pool). Within 1 s a 1M plan without history faulted ≈ half as many pages in
# again (≈ 1.2 s less system time), but the tree's peak rose where the budgets are tight,
# measured one after the other on a quiet machine (2026-12-07, load 2-3, tree_peak.py): 200k
# accounts with 2M history events 432 -> 471 MiB (issue 15: ≤ 500 MB = 477 MiB), a 1M
# Saturday build 543/553 -> 552/561 MiB (571 once in build_bench; issue 18: ≤ 600 MB).
# One arena: a worker's Python thread, polars' compute thread and its async thread (the CSV
# writer) each had an arena of their own, and pages one thread freed could not serve
# another's next allocation: fetched from the system again. One process planning 10k-row
# chunks of the 1M bench (2026-12-08, load 4-6): 3.9-4.6k -> 2.2-2.7k minor faults and
# 15.5-20.4 -> 12.4-15.9 ms of system time a chunk, maximum RSS 215-218 -> 206-210 MiB
WORKER_MALLOC_CONF = "dirty_decay_ms:200,muzzy_decay_ms:0,narenas:1"

# what `dunning build`'s planning workers render their chunks with (dunning.render.fused's
# follower), loaded as they start: named here for the build, which starts them before it
# imports its stages (plan itself does not import render)
BUILD_PRELOAD = ("dunning.render.fused", "dunning.render.columns")


def worker_env() -> dict[str, str]:
    """The variables the planning workers start with (they read them as they load polars)."""
    # one polars thread per worker: the workers already use every core, and each extra
    # thread costs memory (POLARS_MAX_THREADS is read when a worker imports polars)
    threads = {"POLARS_MAX_THREADS": os.environ.get("POLARS_MAX_THREADS") or "1"}
    # polars' allocator (jemalloc) keeps freed pages ≈ 10 s for reuse: a worker between two
    # chunks kept its last chunk's history frames, so the two workers' peaks added up on top
    # of each other's leftovers; given back within 0.2 s (read when a worker loads polars).
    # At once (a decay of 0) every page a chunk frees is faulted in again by its next
    # allocation: 200k accounts with 2M history events spent ≈ 5 s of system time on it,
    # ≈ 2.2 s with 0.2 s, ≈ 1.8 s with 1 s (WORKER_MALLOC_CONF). Always ours: polars sets this
    # variable when a process imports it (to its 0.5 s / 1 s decay; `dunning build`'s has by
    # now) and appends the inherited value to its own, so "the variable, or ours" was polars'
    threads["_RJEM_MALLOC_CONF"] = WORKER_MALLOC_CONF
    return threads


def planning_pool(policy_path: Path, accounts: Path, jobs: int | None, preload: tuple[str, ...] = ()) -> Workers | None:
    """The planning workers of a run, entered and started now, before the run's inputs are
    settled (``dunning build`` starts them before it imports its stages and validates the
    policy): each loads its modules (and those ``preload`` names: a follower's) and compiles
    the policy while this process goes on, and gets the run's inputs with its first chunk
    (:func:`dunning.plan.build.write_plans`'s ``pool``). None when the run plans in this
    process (see :func:`dunning.workers.resolve_jobs`). The caller closes it
    (``close(stop=True)`` when unused)."""
    workers = resolve_jobs(jobs, accounts.stat().st_size if accounts.is_file() else 0)
    if workers == 1:
        return None
    mark("plan pool")
    # Forked from a server that imported the planner, polars and render's modules once: two
    # spawned workers imported them each (≈ 0.45 s of a core apiece, with the build's process
    # importing its own beside them on two cores), the forks are ready ≈ 0.1 s after the
    # server is. Safe to fork: importing them runs no polars query, so polars' compute pool
    # does not exist yet in the server (its threads then: jemalloc's background ones, whose
    # locks jemalloc's fork handlers take, and polars' idle spill cleaner; a test keeps it so);
    # the allocator's and polars' variables are read by the server, which the workers inherit.
    # The server is ended with SIGTERM once its workers are (Workers' kill_server): it holds
    # nothing to clean up, and its interpreter's teardown took 0.25-0.36 s of the plan's end.
    pool = Workers(
        workers,
        start="forkserver",
        preload=("dunning.plan.chunk", *preload),
        initializer=_preload_worker,
        initargs=(policy_path, preload),
        env=worker_env(),
        kill_server=True,
    )
    pool.__enter__()
    try:
        # the workers need nothing of the `dunning` script (their tasks are the planner's
        # functions): not run again in each (the whole CLI, ≈ 30-100 ms of a core, `bare`).
        # Asked of the server in the background: it forks them only once it has imported the
        # planner, polars and render's modules (≈ 0.5 s), and this process meanwhile imports
        # its stages and validates instead of waiting (the first chunk went out ≈ 0.5 s after
        # the workers were ready); map() and the build, before it forks the handbook's process,
        # wait for it (Workers.started)
        pool.launch(background=True, bare=True)
    except BaseException:
        pool.close(stop=True)
        raise
    return pool


def build_pool(policy_path: Path, accounts: Path, jobs: int | None) -> Workers | None:
    """``dunning build``'s planning workers, started (:func:`planning_pool` with render's fused
    modules): the build's first step, before the CLI imports the stages (≈ 0.3 s), so that
    the workers load while it does."""
    return planning_pool(policy_path, accounts, jobs, preload=BUILD_PRELOAD)


def _preload_worker(policy_path: Path, modules: tuple[str, ...]) -> None:
    from dunning.plan.chunk import preload_worker

    preload_worker(policy_path, modules)
