"""PSS of a ``dunning build``'s process tree over time, by process role: where its peak comes from.

usage: python benchmarks/tree_timeline.py [--code GENERATOR_DIR] [--out CSV] [--label TEXT] -- COMMAND...

Runs COMMAND as :mod:`tree_peak` does (``PYTHONPATH=GENERATOR_DIR`` when given) and samples
every process of its tree (:func:`process_tree.pss_kib`) about every 100 ms. Each process is
given a role from the order in which a build starts them: the command itself (``parent``);
its first forked child (``handbook``: forked before plan); the processes spawned while the
first spawned ones live (``plan``); one spawned after every planning worker has ended, before
render's forked chunk workers (``rows``: the reader of the accounts' rows, in builds that render
after their plan); render's forked chunk workers (``render``); processes spawned after the
planning workers have ended and after render's chunk workers, if any (``print``: a build that
renders in its plan forks none); multiprocessing's resource tracker (``tracker``). Prints the tree's
peak with every process's share at that instant, each role's own peak and when each role was
present; ``--out`` writes the timeline (seconds, MiB a role, the total, processes sampled).
"""

from __future__ import annotations

import argparse
import os
import resource

from process_tree import pss_kib, run_watched, tree_figures

ROLES = ("parent", "handbook", "plan", "rows", "render", "print", "tracker")


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


class Roles:
    """Each process's role, decided after the run from the order in which processes were first
    seen and what each ran (see the module's docstring). A spawned process is a fork of its
    parent for the moment before it runs the new interpreter, so its command line is read
    again on the next samples rather than trusted once."""

    def __init__(self) -> None:
        self.first: dict[int, tuple[int, frozenset[int]]] = {}  # pid: (sample, pids alive then)
        self.last: dict[int, int] = {}  # pid: the last sample it was seen in
        self.command: dict[int, tuple[int, str]] = {}  # pid: (times read, its command line)
        self.parent: dict[int, int] = {}  # pid: its parent's
        self.of: dict[int, str] = {}

    def seen(self, number: int, alive: set[int]) -> None:
        for pid in alive:
            self.first.setdefault(pid, (number, frozenset(alive)))
            self.last[pid] = number
            times, line = self.command.get(pid, (0, ""))
            if times < 3:
                self.command[pid] = (times + 1, _cmdline(pid) or line)
            if pid not in self.parent:
                self.parent[pid] = _parent(pid)

    def decide(self, root: int) -> None:
        """Give each process seen its role; ``root``: the command's own process."""
        ordered = sorted(self.first, key=lambda p: (self.first[p][0], p))
        lines = {p: self.command[p][1] for p in ordered}
        spawned = {p for p in ordered if "multiprocessing" in lines[p] and "resource_tracker" not in lines[p]}
        forks = 0
        for pid in ordered:
            line = self.command[pid][1]
            if pid == root:
                role = "parent"
            elif "python" not in line and self.parent.get(pid) in self.of:
                # a program a process runs (the handbook's git, print's pdftotext): its role
                role = self.of[self.parent[pid]]
            elif "resource_tracker" in line:
                role = "tracker"
            elif pid in spawned:
                planning = [p for p, r in self.of.items() if r == "plan"]
                if "render" in self.of.values():
                    role = "print"
                elif planning and all(self.last[p] < self.first[pid][0] for p in planning):
                    # after the plan: the rows' reader when render's chunk workers follow (forked)
                    later = (p for p in ordered if self.first[p][0] > self.first[pid][0] and p not in spawned)
                    role = "rows" if any("resource_tracker" not in self.command[p][1] for p in later) else "print"
                else:
                    role = "plan"
            else:  # forked: the handbook first, then render's chunk workers
                forks += 1
                role = "handbook" if forks == 1 else "render"
            self.of[pid] = role


def timeline_parser(doc: str) -> argparse.ArgumentParser:
    """The options this timeline and :mod:`build_timeline` share; the command comes last."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--code", default=None, help="a generator/ folder to run the command with")
    parser.add_argument("--out", default=None, help="write the timeline to this CSV file")
    parser.add_argument("--label", default="run")
    parser.add_argument("--interval", type=float, default=0.1)
    return parser


def parsed(parser: argparse.ArgumentParser) -> tuple[argparse.Namespace, list[str]]:
    """The options and the command (what follows ``--``)."""
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    return args, args.command[1:] if args.command[:1] == ["--"] else args.command


def main() -> None:
    args, command = parsed(timeline_parser(__doc__ or ""))
    env = {**os.environ, "PYTHONPATH": args.code} if args.code else None
    load = os.getloadavg()[0]
    roles = Roles()
    samples: list[tuple[float, dict[int, int]]] = []

    def sample(root: int, now: float) -> None:
        seen = {pid: kib for pid, kib in tree_figures(root, pss_kib).items() if kib}
        roles.seen(len(samples), set(seen))
        samples.append((now, seen))

    ran = run_watched(command, sample, args.interval, env=env)
    wall, out, err = ran.wall_s, ran.stdout, ran.stderr
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the tree's, its processes all reaped
    roles.decide(ran.pid)

    def by_role(seen: dict[int, int]) -> dict[str, int]:
        sums = dict.fromkeys(ROLES, 0)
        for pid, kib in seen.items():
            sums[roles.of[pid]] += kib
        return sums

    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write("t," + ",".join(ROLES) + ",total,processes\n")
            for at, seen in samples:
                sums = by_role(seen)
                figures = ",".join(str(sums[role] // 1024) for role in ROLES)
                handle.write(f"{at:.2f},{figures},{sum(seen.values()) // 1024},{len(seen)}\n")
    peak_at, peak = max(samples, key=lambda s: sum(s[1].values()))
    ordered = sorted(peak.items(), key=lambda p: ROLES.index(roles.of[p[0]]))
    shares = ", ".join(f"{roles.of[pid]} {kib / 1024:.0f}" for pid, kib in ordered)
    print(
        f"{args.label}: exit {ran.returncode}, wall {wall:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s, "
        f"peak PSS of the tree {sum(peak.values()) / 1024:.0f} MiB at {peak_at:.1f} s ({shares}), "
        f"load {load:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    own = {role: max(by_role(seen)[role] for _, seen in samples) for role in ROLES}
    figures = ", ".join(f"{role} {own[role] / 1024:.0f}" for role in ROLES if own[role])
    print(f"  each role's peak (MiB, its processes summed): {figures}")
    present = []
    for role in ROLES:
        times = [at for at, seen in samples if any(roles.of[pid] == role for pid in seen)]
        if times:
            present.append(f"{role} {times[0]:.1f}-{times[-1]:.1f}")
    print("  present (s): " + ", ".join(present))
    if ran.returncode not in (0, 1):
        print(out[-2000:], err[-2000:])


if __name__ == "__main__":
    main()
