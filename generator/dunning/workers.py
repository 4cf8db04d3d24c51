"""Worker processes for every stage: how many, and one ordered map over them.

Plan, render, the gate and review's impact and forecast all cut their input into chunks and
work on them in parallel. They share this module so that they share its rules:

* **How many** (:func:`resolve_jobs`): an explicit ``--jobs N`` (or ``DUNNING_JOBS``, which
  the CLI reads into the same option) is taken as asked, the default (``None`` or 0) is one
  per core; both are capped at :func:`cap`: the cores this process may run on, and never
  more than :data:`MAX_JOBS` (each worker holds its own compiled policy and chunks in
  flight), nor more than there are chunks when the stage knows their number.
* **Small inputs run in this process**: by default, work below :data:`SMALL_WORK` runs
  without workers: starting one (a fresh interpreter, polars and the compiled policy) costs
  more than it saves. A stage states its work in *planning bytes*: the bytes of account
  snapshot planned once cost one each; a stage whose unit costs more converts (see each
  caller). An explicit ``--jobs`` is obeyed even for small inputs.
* **Results in input order** (:meth:`Workers.map`): whatever the number of workers, so
  outputs are byte-identical across ``--jobs``. At most ``window`` chunks are in flight, so
  memory holds a few chunks, never the input. The input is read by a feeder thread, so a
  caller streaming from a pipe (the gate on stdin) gets each answer while the next request
  has not arrived yet.
* **Errors cross the pipe intact**: an exception raised in a worker (or by its initializer)
  is raised in the parent at that chunk's place in the order; a :class:`UserError` keeps its
  message and hint. A worker that dies (killed, out of memory) raises :class:`WorkerCrashed`
  instead of leaving the parent waiting. On any error, and on Ctrl-C, the workers are
  stopped before the error goes on.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import multiprocessing.util
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from importlib.machinery import ModuleSpec
from multiprocessing import get_context
from multiprocessing.connection import Connection
from types import FrameType, TracebackType
from typing import Any, Generic, Literal, TypeVar

from dunning.errors import UserError

T = TypeVar("T")
R = TypeVar("R")

MAX_JOBS = 8
# Below this much work one process is faster than starting workers: a spawned worker takes
# ≈ 0.3–0.5 s to import polars and compile the policy, the time one process plans ≈ 4 MiB of
# snapshot in (≈ 20k accounts).
SMALL_WORK = 4 << 20


def cap() -> int:
    """The most workers a stage starts: the cores this process may use, at most MAX_JOBS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_JOBS))


def resolve_jobs(jobs: int | None, work: int | None = None, chunks: int | None = None) -> int:
    """The number of workers to use (1: run in this process).

    ``jobs``: what the user asked for (``None`` or 0: the default). ``work``: the input's
    size in planning bytes, ``None`` when not known in advance (a stream): then the default
    is one per core. ``chunks``: how many chunks the work is cut into, when known: a worker
    more than there are chunks would have nothing to do."""
    if jobs:
        wanted = max(1, min(jobs, cap()))
    elif work is not None and work < SMALL_WORK:
        wanted = 1
    else:
        wanted = cap()
    return max(1, min(wanted, chunks)) if chunks is not None else wanted


class WorkerCrashed(UserError):
    """A worker process ended without an answer (killed, or out of memory)."""


CRASHED = "a worker process stopped without finishing its chunk (killed, or out of memory?)"
CRASH_HINT = "run again; if it recurs, pass a smaller --jobs (each worker holds its own chunks)"


class _End:
    """The feeder read the whole input."""


class _Failed:
    """The feeder's input raised ``error``: it goes on in the parent at its place."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class Workers:
    """``jobs`` worker processes (none when ``jobs`` is 1), used as a context manager.

    ``start``: ``spawn`` (a fresh interpreter; ``initializer(*initargs)`` builds what it
    needs), ``fork`` (the workers inherit this process as it is when the ``with`` block is
    entered: they are all started then, before the caller reads anything it should not copy
    into them) or ``forkserver`` (a worker is as a spawned one, but forked from a server
    process that imported the modules ``preload`` names once, instead of a fresh interpreter
    that imports them again: for pools that start many short-lived workers; the server is
    stopped, and waited for, when the pool closes). ``separate``: the tasks run in worker
    processes even for one job (each task needs a process of its own: pair it with
    ``max_tasks_per_child=1``). ``env``: variables set while workers start (they read them
    when they import their libraries). ``kill_server``: a fork server is ended with SIGTERM
    when the pool closes (its workers have exited and been reaped then), not asked to exit:
    an interpreter that imported polars and the planner takes 0.25–0.36 s of wall to tear
    itself down, while the caller waits (for a server with nothing to clean up)."""

    def __init__(
        self,
        jobs: int,
        *,
        start: Literal["spawn", "fork", "forkserver"] = "spawn",
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
        separate: bool = False,
        max_tasks_per_child: int | None = None,
        env: dict[str, str] | None = None,
        preload: tuple[str, ...] = (),
        kill_server: bool = False,
    ) -> None:
        self.jobs = max(1, jobs)
        if start == "forkserver" and "forkserver" not in multiprocessing.get_all_start_methods():
            start = "spawn"  # pragma: no cover - Windows: the same workers, each a fresh interpreter
        self.start = start
        self.preload = preload
        self.kill_server = kill_server
        self.initializer, self.initargs = initializer, initargs
        self.in_process = self.jobs == 1 and not separate
        self.max_tasks_per_child = max_tasks_per_child
        self.env = env or {}
        self._saved: dict[str, str | None] = {}
        self._executor: ProcessPoolExecutor | None = None
        self._initialized = False
        self._launching: threading.Thread | None = None  # launch(background=True)'s
        self._launch_error: BaseException | None = None

    def __enter__(self) -> Workers:
        if self.in_process:
            return self
        for name, value in self.env.items():
            self._saved[name] = os.environ.get(name)
            os.environ[name] = value
        context = get_context(self.start)
        if self.start == "forkserver":
            _stop_forkserver()  # one that runs already imported other modules (or none)
            context.set_forkserver_preload(["concurrent.futures.process", __name__, *self.preload])
        self._executor = ProcessPoolExecutor(
            self.jobs,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self.initializer, self.initargs, self.start != "fork"),
            max_tasks_per_child=self.max_tasks_per_child,
        )
        if self.start == "fork":
            # the first task forks every worker: now, not when the caller has read more
            try:
                self._executor.submit(_ready).result()
            except BaseException:
                self.close(stop=True)
                raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close(stop=error is not None)

    def launch(self, *, background: bool = False, bare: bool = False) -> bool:
        """Start every worker process now, before the first task (a ``spawn`` or
        ``forkserver`` pool starts one as each task is submitted), and put back the variables
        of ``env``: the workers have read them. No thread of the executor starts in this
        process (its manager starts with the first task), so it may still fork. True when the
        processes were started; False when there were none to start (one job in this process,
        a fork pool, started already) or this Python has no way to (``_launch_processes``,
        which every ProcessPoolExecutor since Python 3.9 has, is not public). ``bare``: the
        workers do not run this process's main script (:func:`without_main`).

        ``background`` (a ``forkserver`` pool): the server is started now, with ``env``, and
        the workers are asked of it by a thread, so that this process goes on: a worker is
        forked only once the server has imported what ``preload`` names (≈ 0.5 s for the
        planner and polars), and ``dunning build`` imported its stages and validated in the
        meantime instead of waiting. :meth:`started` waits for that thread; the pool's own
        calls do, and a caller that forks (the handbook's process) calls it first."""
        executor = self._executor
        launch = getattr(executor, "_launch_processes", None)
        if executor is None or self.start == "fork" or launch is None:
            return False
        if getattr(executor, "_executor_manager_thread", None) is not None or executor._processes:
            return False

        def start_workers() -> None:
            with without_main() if bare else contextlib.nullcontext():
                launch()

        if not background or self.start != "forkserver":
            start_workers()
            self._restore_env()
            return True
        from multiprocessing import forkserver

        forkserver.ensure_running()  # the server reads env as it starts; its forks inherit it
        self._restore_env()
        self._launching = threading.Thread(target=self._launch_in_thread, args=(start_workers,), name="dunning-launch")
        self._launching.start()
        return True

    def _launch_in_thread(self, start_workers: Callable[[], None]) -> None:
        try:
            start_workers()
        except BaseException as error:  # raised in the caller's thread by started()
            self._launch_error = error

    def started(self) -> None:
        """Wait until a launch in the background (:meth:`launch`) has started the workers;
        its error, if it failed, is raised here. Nothing to wait for otherwise."""
        launching, self._launching = self._launching, None
        if launching is not None:
            launching.join()
        error, self._launch_error = self._launch_error, None
        if error is not None:
            raise error

    def close(self, *, stop: bool = False) -> None:
        """Wait for the workers to exit, or with ``stop`` end them first (an error, Ctrl-C)."""
        launching, self._launching, self._launch_error = self._launching, None, None
        if launching is not None:  # its error, if any, does not matter now: the workers end
            launching.join()
        executor, self._executor = self._executor, None
        try:
            if executor is not None:
                if stop:
                    # terminated, not waited for: a worker may be minutes into its chunk
                    processes = list((executor._processes or {}).values())
                    for process in processes:
                        process.terminate()
                    executor.shutdown(wait=True, cancel_futures=True)
                    for process in processes:
                        process.join()
                else:
                    executor.shutdown(wait=True)
                if self.start == "forkserver":
                    _stop_forkserver(kill=self.kill_server)
        finally:
            self._restore_env()

    def _restore_env(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()

    def map(
        self,
        task: Callable[[T], R],
        args: Iterable[T],
        *,
        window: int | None = None,
        local: Callable[[T], R] | None = None,
    ) -> Iterator[R]:
        """``task(arg)`` for every arg, results in the order of ``args``.

        ``task`` must be a module-level function (it is sent to the workers by name). In this
        process ``local`` is called instead when given (it may use what this process already
        holds, such as a compiled policy); otherwise ``initializer(*initargs)`` runs once here
        first. ``window``: chunks in flight at most (default two per worker)."""
        if self.in_process:
            if local is None:
                if not self._initialized and self.initializer is not None:
                    self.initializer(*self.initargs)
                self._initialized = True
                local = task
            for arg in args:
                yield local(arg)
            return
        assert self._executor is not None, "use Workers in a with block"
        self.started()
        yield from self._ordered(self._executor, task, args, window or 2 * self.jobs)

    def _ordered(
        self, executor: ProcessPoolExecutor, task: Callable[[T], R], args: Iterable[T], window: int
    ) -> Iterator[R]:
        submitted: queue.Queue[Future[R] | _End | _Failed] = queue.Queue()
        slots = threading.Semaphore(window)
        stopped = threading.Event()

        def feed() -> None:
            try:
                for arg in args:
                    while not slots.acquire(timeout=0.2):
                        if stopped.is_set():
                            return
                    if stopped.is_set():
                        return
                    submitted.put(executor.submit(_run_task, task, arg))
            except BaseException as error:  # raised in the parent, in order
                submitted.put(_Failed(error))
            else:
                submitted.put(_End())

        # a daemon: on a pipe it may wait for input that never comes after the parent fails
        feeder = threading.Thread(target=feed, name="dunning-workers-feed", daemon=True)
        feeder.start()
        try:
            while True:
                item = submitted.get()
                if isinstance(item, _End):
                    break
                if isinstance(item, _Failed):
                    raise item.error
                try:
                    result = item.result()
                except BrokenProcessPool:
                    raise WorkerCrashed(CRASHED, CRASH_HINT) from None
                slots.release()
                yield result
        finally:
            stopped.set()
            # the futures still queued are not waited for: close(stop=True) ends their workers
            while True:
                try:
                    left = submitted.get_nowait()
                except queue.Empty:
                    break
                if isinstance(left, Future):
                    left.cancel()


class Beside(Generic[R]):
    """``task(*args)`` in a process of its own, started now, while this process goes on with
    something else; :meth:`result` waits for its value (its exception is raised there, a
    :class:`UserError` with its hint), :meth:`stop` ends it if it was not waited for.

    For a stage's part that needs nothing from the work it runs beside (the handbook beside
    plan and render, the case files beside render's chunks). ``start``: ``fork`` inherits
    this process as it is (never after polars has run here: its thread pool does not survive
    a fork), ``spawn`` starts a fresh interpreter (``task`` and ``args`` are pickled)."""

    def __init__(
        self, task: Callable[..., R], *args: Any, start: Literal["spawn", "fork"] = "spawn", name: str = "dunning"
    ) -> None:
        context = get_context("fork") if start == "fork" else get_context("spawn")
        self._answer, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_beside, args=(send, task, args), name=name, daemon=True)
        self._process.start()
        send.close()
        self._done = False

    def result(self) -> R:
        """The task's value, once it has finished."""
        try:
            ok, value = self._answer.recv()
        except EOFError:  # it died without a word: killed, or out of memory
            ok, value = False, WorkerCrashed(CRASHED, CRASH_HINT)
        self._process.join()
        self._answer.close()
        self._done = True
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def stop(self) -> None:
        """End the process (unless :meth:`result` took its value) and wait for it to exit."""
        if self._done:
            return
        self._done = True
        self._process.terminate()
        self._process.join()
        self._answer.close()


@contextlib.contextmanager
def without_main() -> Iterator[None]:
    """While it is open, the processes a spawn pool starts do not run the parent's main script.

    A spawned process runs the parent's ``__main__`` script as ``__mp_main__`` before it
    takes a task (multiprocessing's "safe importing of the main module"); the ``dunning``
    console script imports the whole CLI (click and the command's module). A pool whose
    initializer and tasks are functions of dunning's own modules needs nothing from it: the
    main module is shown to multiprocessing as a package's ``__main__``, which a spawned
    process skips. A main module that has a spec already (``python -m …``) is left as it is.
    Open it around the calls that start processes (:meth:`Workers.launch`)."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    main.__spec__ = ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None


def _stop_forkserver(*, kill: bool = False) -> None:
    """Stop multiprocessing's fork server, if one runs, and wait for it to exit (once its
    workers have; with ``kill``, SIGTERM first: it ends without tearing its interpreter
    down). Otherwise it lives until this process exits and is never waited for: its CPU time
    and its workers' would count in no parent's (``getrusage``, ``time``), and it would hold
    its memory beside the stages that follow. multiprocessing has no public call
    for this; its own tests use ``_stop``, which exists since Python 3.4."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    pid = getattr(server, "_forkserver_pid", None)
    if stop is not None and pid is not None:
        if kill:
            os.kill(pid, signal.SIGTERM)  # waited for by stop()
        stop()


def _beside(send: Connection, task: Callable[..., Any], args: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops this process itself
    try:
        answer: tuple[bool, Any] = (True, task(*args))
    except BaseException as error:  # raised in the parent by result()
        answer = (False, error)
    try:
        send.send(answer)
    finally:
        send.close()


# ---------------------------------------------------------------------------- in the worker
_FAILED_START: BaseException | None = None


def _start_worker(initializer: Callable[..., object] | None, initargs: tuple[Any, ...], spawned: bool) -> None:
    # An initializer's exception would only be logged by the executor, and the pool broken
    # without its message; kept, it is raised by the first task instead, and so reaches the
    # parent with its message and hint.
    global _FAILED_START
    # Ctrl-C reaches the whole process group: the parent stops the workers itself (a worker
    # interrupted on its own would print a traceback, and might be between two tasks)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if spawned:  # last of multiprocessing's exit work (results sent, finalizers run): see _exit_now
        multiprocessing.util.Finalize(None, _exit_now, exitpriority=-(1 << 30))
        # the parent ends its workers with SIGTERM on an error, Ctrl-C or its own SIGTERM
        signal.signal(signal.SIGTERM, _terminated)
    if initializer is None:
        return
    try:
        initializer(*initargs)
    except Exception as error:  # raised again by every task of this worker
        _FAILED_START = error


def _terminated(signum: int, frame: FrameType | None) -> None:
    """A spawned worker stopped by its parent: its ``atexit`` functions run (a print worker
    removes a fonts folder it made itself) and it ends with the code a SIGTERM gives, without unwinding
    the task it was in (nothing of it is wanted)."""
    global _EXIT_CODE
    _EXIT_CODE = 128 + signum
    _exit_now()


_EXIT_CODE = 0


def _exit_now() -> None:
    """End a spawned worker without tearing its interpreter down: the executor has its last
    result and nothing in the worker is left to save, but freeing what it holds (the compiled
    policy, polars, the planner's and renderer's caches) took 0.3-0.4 s at 100k accounts that
    the parent waited for, with nothing else to do, before plan's end. Its ``atexit``
    functions do run: a print worker removes a fonts folder it made there; a fork server's
    worker also runs those the server registered, so the server's fonts folder is removed only
    by the server (:mod:`dunning.render.typeset`, ``_remove_own``). Not for a forked worker:
    multiprocessing ends it with ``os._exit`` already, and its ``atexit`` functions are the
    parent's, which must not run in it (they would remove the parent's scratch folders)."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_EXIT_CODE)  # run again by the atexit functions above: multiprocessing's own calls it


def _run_task(task: Callable[[T], R], arg: T) -> R:
    if _FAILED_START is not None:
        raise _FAILED_START
    return task(arg)


def _ready() -> None:
    """A task that does nothing (it makes a forking pool start its workers)."""


__all__ = ["MAX_JOBS", "SMALL_WORK", "Beside", "WorkerCrashed", "Workers", "cap", "resolve_jobs", "without_main"]
