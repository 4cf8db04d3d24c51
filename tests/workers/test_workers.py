"""dunning.workers: the one pool every stage runs its chunks on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from dunning import workers
from dunning.errors import UserError
from dunning.workers import SMALL_WORK, WorkerCrashed, Workers, resolve_jobs
from process_support import ctrl_c_on

from . import workers_support as support


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})


@pytest.mark.usefixtures("two_cores")
def test_jobs_are_capped_by_the_cores_and_small_work_runs_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    assert workers.cap() == 2
    assert resolve_jobs(None, SMALL_WORK - 1) == 1
    assert resolve_jobs(0, SMALL_WORK - 1) == 1
    assert resolve_jobs(None, SMALL_WORK) == 2
    assert resolve_jobs(None) == 2  # a stream: size unknown
    assert resolve_jobs(1, 10 * SMALL_WORK) == 1
    assert resolve_jobs(2, 1) == 2  # asked for: obeyed even for a small input
    assert resolve_jobs(64, 1) == 2
    assert resolve_jobs(2, chunks=1) == resolve_jobs(None, 10 * SMALL_WORK, chunks=1) == 1  # nothing to share
    assert resolve_jobs(None, 10 * SMALL_WORK, chunks=5) == 2
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(32)))
    assert resolve_jobs(None, SMALL_WORK) == workers.MAX_JOBS == 8
    assert resolve_jobs(16) == 8


@pytest.mark.parametrize("start", ["fork", "spawn", "forkserver"])
def test_results_come_in_input_order_from_workers_set_up_by_the_initializer(
    start: Literal["fork", "spawn", "forkserver"],
) -> None:
    with Workers(2, start=start, initializer=support.remember, initargs=("w",)) as pool:
        assert list(pool.map(support.label, range(20), window=3)) == [f"w{n}" for n in range(20)]
        pids = set(pool.map(support.pid_of, range(8)))
    assert os.getpid() not in pids


def test_one_job_runs_in_this_process_with_the_initializer_or_the_local_function() -> None:
    with Workers(1, initializer=support.remember, initargs=("here-",)) as pool:
        assert list(pool.map(support.label, [1, 2])) == ["here-1", "here-2"]
        assert list(pool.map(support.label, [3], local=lambda n: f"local{n}")) == ["local3"]
        assert set(pool.map(support.pid_of, range(3))) == {os.getpid()}


def test_separate_runs_even_one_job_in_a_worker_process() -> None:
    with Workers(1, separate=True, max_tasks_per_child=1) as pool:
        pids = list(pool.map(support.pid_of, range(3)))
    assert os.getpid() not in pids
    assert len(set(pids)) == 3  # a fresh process per task


@pytest.mark.parametrize(
    ("start", "recycled"), [("spawn", False), ("spawn", True), ("fork", False), ("forkserver", True)]
)
def test_a_worker_ends_without_its_teardown_but_with_its_atexit_functions(
    tmp_path: Path, start: Literal["fork", "spawn", "forkserver"], recycled: bool
) -> None:
    # a spawned worker ends with os._exit (workers._exit_now), after its atexit functions;
    # the same when it is replaced after its tasks (max_tasks_per_child). A forked one ends as
    # multiprocessing ends it, with os._exit and none: they would be the parent's too
    options = {"separate": True, "max_tasks_per_child": 1} if recycled else {}
    with Workers(2, start=start, **options) as pool:  # type: ignore[arg-type]
        pids = set(pool.map(support.mark_at_exit, [str(tmp_path)] * 4))
    assert os.getpid() not in pids
    expected = sorted(f"exited-{pid}" for pid in pids) if start != "fork" else []
    assert sorted(p.name for p in tmp_path.iterdir()) == expected


def test_a_fork_server_imports_what_it_preloads_once_and_is_waited_for_when_the_pool_closes() -> None:
    # print workers come from a fork server that imported their modules: each is a fork of
    # it (the module is there before the task imports it), and the server is stopped and
    # reaped with the pool, so that its CPU time and its workers' count in this process's
    from multiprocessing import forkserver

    with Workers(2, start="forkserver", separate=True, max_tasks_per_child=1, preload=("json.tool",)) as pool:
        found = list(pool.map(support.has_module, ["json.tool"] * 4))
        server = getattr(forkserver._forkserver, "_forkserver_pid", None)
        assert server is not None
    assert found == [True] * 4
    assert getattr(forkserver._forkserver, "_forkserver_pid", None) is None
    with pytest.raises(ChildProcessError):
        os.waitpid(server, os.WNOHANG)  # already reaped


def test_launch_starts_every_worker_before_the_first_task_without_a_thread_and_puts_the_variables_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # dunning build starts its planning workers before it validates, and then forks the
    # handbook's process: no thread may run in this process by then, and the variables the
    # workers start with are not the handbook's
    import threading

    monkeypatch.delenv("DUNNING_TEST_LAUNCHED", raising=False)
    threads = threading.active_count()
    with Workers(2, initializer=support.remember, initargs=("w",), env={"DUNNING_TEST_LAUNCHED": "yes"}) as pool:
        assert os.environ["DUNNING_TEST_LAUNCHED"] == "yes"
        executor = pool._executor
        assert executor is not None and len(executor._processes) == 0  # a spawn pool starts them with tasks
        assert pool.launch() is True
        launched = {process.pid for process in executor._processes.values()}
        assert len(launched) == 2
        assert "DUNNING_TEST_LAUNCHED" not in os.environ
        assert threading.active_count() == threads
        assert pool.launch() is False  # started already
        assert list(pool.map(support.variable, ["DUNNING_TEST_LAUNCHED"] * 4)) == ["yes"] * 4
        assert set(pool.map(support.pid_of, range(6))) <= launched
        assert list(pool.map(support.label, range(3))) == ["w0", "w1", "w2"]
    assert "DUNNING_TEST_LAUNCHED" not in os.environ
    with Workers(1) as alone, Workers(2, start="fork") as forked:
        assert (alone.launch(), forked.launch()) == (False, False)  # in this process; forked on entry


def test_a_fork_server_pool_launched_in_the_background_lets_this_process_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # dunning build asks the server for its planning workers and validates meanwhile: launch
    # returns before the server has forked them, with the variables put back (the server read
    # them as it started; the workers inherit them), and started() waits for the thread
    import threading

    monkeypatch.delenv("DUNNING_TEST_LAUNCHED", raising=False)
    threads = threading.active_count()
    with Workers(2, start="forkserver", preload=("json.tool",), env={"DUNNING_TEST_LAUNCHED": "yes"}) as pool:
        assert pool.launch(background=True, bare=True) is True
        assert pool._launching is not None  # a thread asks the server for the workers
        assert "DUNNING_TEST_LAUNCHED" not in os.environ
        pool.started()
        assert threading.active_count() == threads  # the launch's thread has ended
        executor = pool._executor
        assert executor is not None
        launched = {process.pid for process in executor._processes.values()}
        assert len(launched) == 2
        assert pool.launch() is False  # started already
        assert list(pool.map(support.variable, ["DUNNING_TEST_LAUNCHED"] * 4)) == ["yes"] * 4
        assert set(pool.map(support.pid_of, range(6))) <= launched
        assert list(pool.map(support.has_module, ["json.tool"])) == [True]
    with Workers(2, env={"DUNNING_TEST_LAUNCHED": "yes"}) as spawned:  # a spawn pool: started at once
        assert spawned.launch(background=True) is True
        assert spawned._launching is None and "DUNNING_TEST_LAUNCHED" not in os.environ


def test_a_background_launch_that_fails_raises_in_started_and_map_and_close_still_ends_the_pool() -> None:
    with Workers(2, start="forkserver") as pool:
        executor = pool._executor
        assert executor is not None

        def broken() -> None:
            raise OSError(24, "Too many open files")

        executor._launch_processes = broken  # type: ignore[attr-defined]
        assert pool.launch(background=True) is True
        with pytest.raises(OSError, match="Too many open files"):
            pool.started()
        pool.started()  # raised once
    with Workers(2, start="forkserver") as pool:
        executor = pool._executor
        assert executor is not None
        executor._launch_processes = broken  # type: ignore[attr-defined]
        assert pool.launch(background=True) is True
        with pytest.raises(OSError, match="Too many open files"):
            list(pool.map(abs, [-1]))
    with Workers(2, start="forkserver") as pool:  # closed while launching: waits for it, ends all
        assert pool.launch(background=True) is True
        pool.close(stop=True)
        assert pool._launching is None and pool._executor is None


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_user_error_keeps_its_message_and_hint_and_comes_after_the_results_before_it(jobs: int) -> None:
    seen: list[int] = []
    with pytest.raises(UserError) as caught, Workers(jobs, start="fork") as pool:
        for result in pool.map(support.fail_at_three, range(10)):
            seen.append(result)
    assert (caught.value.message, caught.value.hint) == ("line 3: bad chunk", "fix line 3")
    assert seen == [0, 1, 2]


def test_an_initializer_error_reaches_the_parent_with_its_hint() -> None:
    with pytest.raises(UserError) as caught, Workers(2, initializer=support.refuse, initargs=("x",)) as pool:
        list(pool.map(support.label, range(4)))
    assert (caught.value.message, caught.value.hint) == ("cannot start with 'x'", "fix the prefix")


def test_an_error_in_the_input_is_raised_after_the_chunks_read_before_it() -> None:
    def chunks() -> Iterator[int]:
        yield from range(3)
        raise UserError("accounts.csv:4: cut short", "re-export the file")

    seen: list[int] = []
    with pytest.raises(UserError, match="cut short"), Workers(2, start="fork") as pool:
        seen.extend(pool.map(support.fail_at_three, chunks()))
    assert seen == [0, 1, 2]


def test_a_worker_that_dies_is_a_clear_error_not_a_hang() -> None:
    started = time.monotonic()
    seen: list[int] = []
    with pytest.raises(WorkerCrashed) as caught, Workers(2, start="fork") as pool:
        seen.extend(pool.map(support.die_at_three, range(10)))
    assert time.monotonic() - started < 30
    assert caught.value.message == workers.CRASHED
    assert caught.value.hint == workers.CRASH_HINT
    assert isinstance(caught.value, UserError)  # the CLI prints it without a traceback


def test_an_error_in_the_parent_stops_the_workers_at_once() -> None:
    with pytest.raises(KeyError), Workers(2, start="fork") as pool:
        assert pool._executor is not None
        processes = list((pool._executor._processes or {}).values())
        for _ in pool.map(support.nap, [0, 60, 60, 60]):
            started = time.monotonic()
            raise KeyError("the parent failed while the workers were busy")
    assert time.monotonic() - started < 10
    assert all(not p.is_alive() for p in processes)


def test_a_spawned_worker_stopped_mid_chunk_runs_its_atexit_functions(tmp_path: Path) -> None:
    # the parent stops its workers with SIGTERM on an error, Ctrl-C or its own SIGTERM: a
    # spawned one then still runs its atexit functions (a print worker removes its fonts
    # folder there; SIGTERM's default left one in the temporary folder per stopped worker)
    jobs = [(str(tmp_path), 0)] + [(str(tmp_path), 60)] * 3
    with pytest.raises(KeyError), Workers(2, start="spawn") as pool:
        for _ in pool.map(support.mark_and_nap, jobs):
            deadline = time.monotonic() + 60
            while len(list(tmp_path.glob("napping-*"))) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)  # until both workers are inside a chunk
            assert pool._executor is not None
            processes = list((pool._executor._processes or {}).values())
            started = time.monotonic()
            raise KeyError("the parent failed while the workers were busy")
    assert time.monotonic() - started < 10
    assert len(processes) == 2
    assert [p.exitcode for p in processes] == [128 + signal.SIGTERM] * 2
    expected = sorted(f"{what}-{p.pid}" for p in processes for what in ("exited", "napping"))
    assert sorted(p.name for p in tmp_path.iterdir()) == expected


def test_ctrl_c_ends_the_run_and_its_workers(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, sys
            from dunning.workers import Workers
            sys.path.insert(0, sys.argv[1])
            from workers import workers_support as support
            with Workers(2, start="fork") as pool:
                print(" ".join(str(p.pid) for p in pool._executor._processes.values()), flush=True)
                for _ in pool.map(support.nap, [60] * 4):
                    pass
            """
        ),
        encoding="utf-8",
    )
    tests = str(Path(__file__).resolve().parents[1])
    run = subprocess.Popen(
        [sys.executable, str(script), tests],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_on,
    )
    assert run.stdout is not None
    children = [int(p) for p in run.stdout.readline().split()]
    assert len(children) == 2
    time.sleep(0.5)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=30)
    assert run.returncode == -signal.SIGINT  # how Python ends on an uncaught KeyboardInterrupt
    assert err.rstrip().endswith("KeyboardInterrupt")
    for pid in children:
        with pytest.raises(ProcessLookupError):  # gone, and reaped by the run
            os.kill(pid, 0)


@pytest.mark.parametrize("start", ["spawn", "fork"])
def test_a_task_beside_gives_its_value_or_its_error_with_the_hint(start: Literal["spawn", "fork"]) -> None:
    beside = workers.Beside(support.pid_of, 0, start=start)
    pid = beside.result()
    assert isinstance(pid, int) and pid != os.getpid()
    failing = workers.Beside(support.fail_at_three, 3, start=start)
    with pytest.raises(UserError) as raised:
        failing.result()
    assert (raised.value.message, raised.value.hint) == ("line 3: bad chunk", "fix line 3")


def test_a_task_beside_whose_process_dies_raises_worker_crashed() -> None:
    with pytest.raises(WorkerCrashed) as raised:
        workers.Beside(support.die_at_three, 3).result()
    assert (raised.value.message, raised.value.hint) == (workers.CRASHED, workers.CRASH_HINT)


def test_stopping_a_task_beside_ends_its_process_at_once() -> None:
    beside = workers.Beside(support.nap, 60, start="fork")
    started = time.monotonic()
    beside.stop()
    assert time.monotonic() - started < 10
    assert not beside._process.is_alive()
    beside.stop()  # stopping twice is harmless


@pytest.mark.parametrize("kill", [False, True])
def test_a_fork_server_killed_at_close_gets_sigterm_after_its_workers_and_is_reaped(
    kill: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the planning workers' server imported polars and the planner: asked to exit, its
    # interpreter's teardown held the plan's end 0.25-0.36 s; ended with SIGTERM instead, once
    # its workers have exited (and been reaped by it), and reaped by this process
    from multiprocessing import forkserver

    real = os.kill
    sent: list[tuple[int, int]] = []

    def spy(pid: int, signum: int) -> None:
        sent.append((pid, signum))
        real(pid, signum)

    with Workers(2, start="forkserver", kill_server=kill) as pool:
        assert list(pool.map(support.label, range(4))) == ["None0", "None1", "None2", "None3"]
        server = getattr(forkserver._forkserver, "_forkserver_pid", None)
        assert server is not None
        monkeypatch.setattr(os, "kill", spy)
    monkeypatch.undo()
    assert sent == ([(server, signal.SIGTERM)] if kill else [])
    assert getattr(forkserver._forkserver, "_forkserver_pid", None) is None
    with pytest.raises(ChildProcessError):
        os.waitpid(server, os.WNOHANG)  # already reaped


def test_without_main_a_spawned_worker_does_not_run_the_main_script_again(tmp_path: Path) -> None:
    # the `dunning` console script imports the whole CLI: a planning worker needs none of it.
    # The script notes each run of it as a spawned process's main module (__mp_main__)
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from dunning.workers import Workers, without_main
            if __name__ == "__mp_main__":
                with open(sys.argv[1], "a", encoding="utf-8") as marks:
                    marks.write("ran\\n")
            if __name__ == "__main__":
                for hidden in (True, False):
                    with Workers(2) as pool:
                        if hidden:
                            with without_main():
                                pool.launch()
                        else:
                            pool.launch()
                        assert sorted(pool.map(abs, [-1, -2, -3])) == [1, 2, 3]
                    assert sys.modules["__main__"].__spec__ is None
                    with open(sys.argv[1], "a", encoding="utf-8") as marks:
                        marks.write(f"hidden {hidden}\\n")
            """
        ),
        encoding="utf-8",
    )
    marks = tmp_path / "marks"
    run = subprocess.run(
        [sys.executable, str(script), str(marks)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (run.returncode, run.stderr) == (0, "")
    assert marks.read_text(encoding="utf-8") == "hidden True\nran\nran\nhidden False\n"
