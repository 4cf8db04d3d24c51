"""Mutation-test one module of ``dunning`` against its tests, with mutmut 3 (``make mutate``).

mutmut 3 expects the code under ``./``, ``src/`` or ``source/`` and names each mutant after
the file's path, so it cannot run in this repository's ``generator/`` layout as it is. This
wrapper lays out a scratch copy of the tracked files in ``.mutate/<module>/`` with the package
under ``src/dunning``, writes a ``[tool.mutmut]`` section that mutates only ``MODULE`` and
runs only the chosen tests, runs ``mutmut run`` there and prints the score: killed / all,
then again with the equivalent mutants listed in ``tools/mutation_equivalents.toml`` set
aside. The survivors are printed with their diffs (``--show``).

Usage (from the repository root; ``make mutate MODULE=dunning/compliance/windows.py``)::

    python tools/mutate.py dunning/compliance/windows.py [--tests tests/compliance/test_windows.py ...]

Without ``--tests`` the tests are the test files that import the module (by its dotted
name), which is how docs/testing.md measured the recorded scores.

``--only NAME ...`` runs only the named mutants (as a run prints them; ``*`` matches any
text) and counts only them: the survivors of a long run checked again after new tests,
without running the mutants already killed (a test added cannot revive one).
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.toml"
# mutmut's verdicts (``mutmut results --all true``) that count as killed
KILLED = {"killed", "timeout", "caught by type check", "segfault"}


def tests_importing(dotted: str) -> list[str]:
    """The test files that import ``dotted`` (``from dunning.x import`` or ``import dunning.x``)."""
    package, _, name = dotted.rpartition(".")
    pattern = re.compile(
        rf"^\s*(from\s+{re.escape(dotted)}\s+import|import\s+{re.escape(dotted)}\b|"
        rf"from\s+{re.escape(package)}\s+import\s+(\([^)]*\b{re.escape(name)}\b|[^\n]*\b{re.escape(name)}\b))",
        re.MULTILINE,
    )
    found = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if pattern.search(path.read_text(encoding="utf-8")):
            found.append(str(path.relative_to(ROOT)))
    return found


def lay_out(scratch: Path) -> None:
    """A copy of the tracked (and new, not ignored) files with ``generator/dunning`` moved to ``src/dunning``."""
    if scratch.exists():
        shutil.rmtree(scratch)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    for name in listed.decode().split("\0"):
        if not name or not (ROOT / name).is_file():
            continue
        target = scratch / ("src/" + name.removeprefix("generator/") if name.startswith("generator/") else name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


# What the fork server imports before it forks a process per mutant (mutmut's
# ``forkserver_warmup = "import"``): the slow imports every test pays, none of which starts a
# thread. Not polars: importing it starts jemalloc's background threads and polars' own, and
# a process forked while one of them holds a lock waits on it forever (see write_config).
PRELOAD = ("pytest", "hypothesis", "click.testing", "dunning.cli", "dunning.compliance.engine", "dunning.plan.decide")
PRELOAD_FILE = "mutate_preload.txt"


def write_config(scratch: Path, module: str, tests: list[str]) -> None:
    """The ``[tool.mutmut]`` section. mutmut runs the tests in its ``mutants/`` copy, which
    holds only the source and ``tests/`` unless told: the example policy, templates and the
    rest the tests read are copied there too.

    Each mutant's tests run in a process forked from mutmut's fork server, not from mutmut's
    own process (``process_isolation = "forkserver"``): by default mutmut forks from the
    process that ran the whole test selection once to record which test calls what, and
    once a test has used polars (every test that runs the CLI, the gate or reads a CSV) that
    process has polars' thread pool, its tokio runtime and jemalloc's background threads
    running. A child forked while one of them held a lock (an allocator lock, most often)
    inherits the lock but not the thread that would release it, and waits on it at 0 % CPU
    until mutmut's timeout, which mutmut then counts as a kill. The fork server imports only
    :data:`PRELOAD` (checked to start no thread, :func:`check_preload`), so every mutant's
    process starts with one thread and its polars is its own."""
    quoted = ", ".join(f'"{t}"' for t in tests)
    (scratch / PRELOAD_FILE).write_text("\n".join(PRELOAD) + "\n", encoding="utf-8")
    others = sorted(p.name for p in scratch.iterdir() if p.name not in {"src", "tests", "pyproject.toml"})
    copied = ", ".join(f'"{name}"' for name in others)
    with (scratch / "pyproject.toml").open("a", encoding="utf-8") as out:
        out.write(
            "\n[tool.mutmut]\n"
            'source_paths = ["src"]\n'
            f'only_mutate = ["src/{module}"]\n'
            f"pytest_add_cli_args_test_selection = [{quoted}]\n"
            f"also_copy = [{copied}]\n"
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly"]\n'
            'process_isolation = "forkserver"\n'
            'forkserver_warmup = "import"\n'
            f'preload_modules_file = "{PRELOAD_FILE}"\n'
        )


def check_preload(scratch: Path, env: dict[str, str]) -> None:
    """Fail before the run if importing :data:`PRELOAD` starts a thread (or polars): the fork
    server would hand it, and any lock it holds, to every mutant's process."""
    probe = (
        "import importlib, os, sys\n"
        f"for name in {PRELOAD!r}: importlib.import_module(name)\n"
        "threads = len(os.listdir('/proc/self/task')) if os.path.isdir('/proc/self/task') else 1\n"
        "sys.exit(f'threads: {threads}, polars imported: {\"polars\" in sys.modules}' "
        "if threads > 1 or 'polars' in sys.modules else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=scratch, env={**env, "PYTHONPATH": str(scratch / "src")}, text=True
    )
    if done.returncode:
        raise SystemExit(f"tools/mutate.py: PRELOAD is not safe to fork from ({done.returncode}); shorten it")


def results(scratch: Path, env: dict[str, str]) -> dict[str, str]:
    """mutant name → verdict, for every mutant of the run."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=scratch,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    verdicts = {}
    for line in out.splitlines():
        name, sep, verdict = line.strip().partition(": ")
        if sep and "__mutmut_" in name:
            verdicts[name] = verdict.strip()
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", help="the module's path under generator/, e.g. dunning/compliance/windows.py")
    parser.add_argument("--tests", nargs="*", help="test files or node ids (default: the tests importing it)")
    parser.add_argument(
        "--deselect",
        nargs="*",
        default=[],
        help="test node ids to leave out (those that run dunning in another process never see a mutant)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--show", action="store_true", help="print the diff of every surviving mutant")
    parser.add_argument(
        "--only", nargs="+", metavar="MUTANT", help="run and count only these mutants (`*` matches any text)"
    )
    args = parser.parse_args()

    module = args.module.removeprefix("generator/")
    if not (ROOT / "generator" / module).is_file():
        parser.error(f"no module generator/{module}")
    dotted = module.removesuffix(".py").replace("/", ".")
    tests = args.tests or tests_importing(dotted)
    if not tests:
        parser.error(f"no test imports {dotted}; name them with --tests")

    scratch = ROOT / ".mutate" / dotted
    lay_out(scratch)
    write_config(scratch, module, [*tests, *(f"--deselect={node}" for node in args.deselect)])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    check_preload(scratch, env)
    print(f"mutating {module} against {len(tests)} test file(s): {' '.join(tests)}", flush=True)
    subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs), *(args.only or [])],
        cwd=scratch,
        env=env,
        check=True,
    )

    verdicts = results(scratch, env)
    equivalent = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")).get(module, {})
    if args.only:
        chosen = args.only

        def named(name: str) -> bool:
            return any(fnmatch.fnmatchcase(name, pattern) for pattern in chosen)

        verdicts = {n: v for n, v in verdicts.items() if named(n)}
        equivalent = {n: why for n, why in equivalent.items() if named(n)}
    stale = sorted(set(equivalent) - set(verdicts))
    killed = sum(v in KILLED for v in verdicts.values())
    survived = sorted(n for n, v in verdicts.items() if v not in KILLED)
    set_aside = [n for n in survived if n in equivalent]
    total = len(verdicts)
    timeouts = sum(v == "timeout" for v in verdicts.values())
    print(f"\n{module}: {total} mutants, {killed} killed: {100 * killed / total:.1f} %")
    if timeouts:  # counted as killed; a hang (not an endless loop) would show here first
        print(f"of the killed, {timeouts} by timeout: read them (mutmut show NAME) before trusting the score")
    if total - len(set_aside):
        score = 100 * killed / (total - len(set_aside))
        print(f"after {len(set_aside)} equivalent mutant(s) set aside: {score:.1f} %")
    for name in survived:
        mark = "equivalent" if name in equivalent else verdicts[name]
        print(f"  {mark}: {name}")
        if args.show and name not in equivalent:
            shown = subprocess.run(
                [sys.executable, "-m", "mutmut", "show", name], cwd=scratch, env=env, capture_output=True, text=True
            )
            print(shown.stdout)
    for name in stale:
        print(f"  listed as equivalent but not generated (the source changed?): {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
