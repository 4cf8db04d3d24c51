"""dunning.plan.pool: the planning workers started first, forked from a server that imported their modules."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from dunning.plan.pool import BUILD_PRELOAD, WORKER_MALLOC_CONF, build_pool


def test_importing_the_planning_workers_modules_starts_no_polars_compute_thread() -> None:
    # the server forks the workers after importing these modules: no polars query may run on
    # import (its compute pool's threads, and their locks, would not survive the fork); the
    # threads importing polars starts are jemalloc's background ones (its fork handlers take
    # their locks) and polars' spill cleaner, idle (its compute threads, started by a query,
    # take the process's name, as the main thread has)
    script = textwrap.dedent(
        f"""
        import os
        import importlib
        for name in ("dunning.plan.chunk", *{BUILD_PRELOAD!r}):
            importlib.import_module(name)
        names = sorted(open(f"/proc/self/task/{{t}}/comm").read().strip() for t in os.listdir("/proc/self/task"))
        print(len([n for n in names if n not in ("jemalloc_bg_thd", "polars-ooc-clea")]))
        """
    )
    env = {**os.environ, "POLARS_MAX_THREADS": "1", "_RJEM_MALLOC_CONF": WORKER_MALLOC_CONF}
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert (run.returncode, run.stdout) == (0, "1\n")  # the main thread alone


def test_the_build_pool_is_two_forks_of_a_server_that_preloaded_the_planner_and_renders_fused_modules(
    example_root: Path,
) -> None:
    from multiprocessing import forkserver

    pool = build_pool(example_root, example_root / "examples" / "accounts.csv", 2)
    assert pool is not None
    try:
        assert (pool.start, pool.preload, pool.kill_server) == (
            "forkserver",
            ("dunning.plan.chunk", *BUILD_PRELOAD),
            True,
        )
        assert BUILD_PRELOAD == ("dunning.render.fused", "dunning.render.columns")
        pool.started()  # asked of the server in the background
        assert pool._executor is not None and len(pool._executor._processes) == 2  # launched
        server = getattr(forkserver._forkserver, "_forkserver_pid", None)
        assert server is not None
    finally:
        pool.close(stop=True)
    assert getattr(forkserver._forkserver, "_forkserver_pid", None) is None
    assert build_pool(example_root, example_root / "examples" / "accounts.csv", 1) is None
    assert build_pool(example_root, example_root / "examples" / "accounts.csv", None) is None  # small: this process
