"""Output directories: where a run writes, and the rules that keep it from destroying anything else.

Every stage that writes a folder (plan, render, build, the handbook) goes through
:class:`OutputDir`:

- **Refusals.** ``/``, the home directory, the current directory (and their ancestors), the
  policy repository, any folder of it holding policy files (``policies/``, ``templates/``,
  ``site/``, ``.git``), a file, a symbolic link, and an existing non-empty folder that does
  not carry the marker are refused with a :class:`~dunning.errors.UserError` (exit 2) before
  anything is written.
- **Marker.** Every output carries :data:`MARKER`, a small JSON file (schema version and the
  top-level entries dunning wrote). A marked folder holding an entry the marker does not
  list is refused too: only what dunning wrote is ever replaced.
- **Lock.** ``.<name>.dunning-lock`` next to the output, held with ``flock`` for the whole
  run (and removed at its end): a second run into the same folder exits 2 at once instead
  of mixing its files in.
- **Staging.** A run writes into ``.<name>.dunning-staging`` next to the output (fixed names,
  so the next run removes what a killed run left there: only such folders, only when they
  carry the marker), owner-only (folders 0700, files 0600, umask 077 while staging).
- **Swap.** The finished staging folder replaces the output in one step: on Linux
  ``renameat2(RENAME_EXCHANGE)``, so ``--out`` always holds either the complete previous or
  the complete new output. Elsewhere (or on a file system without it) the output is renamed
  aside to ``.<name>.dunning-old`` and the staging folder renamed in: between the two
  renames ``--out`` does not exist, and the next run puts the previous output back if a kill
  fell in that window. ``docs/security.md`` says what each guarantee covers.

Tests make the process signal itself at its N-th file-system step with
``DUNNING_TEST_SIGNAL_AT_STEP=N:KILL`` (or ``N:STOP``) and force the rename fallback with
``DUNNING_TEST_SWAP=rename``; nothing else reads these variables.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from dunning.errors import UserError
from dunning.modes import DIR_MODE, FILE_MODE
from dunning.remove import remove_tree

MARKER = ".dunning-output"
MARKER_SCHEMA = 1
POLICY_FOLDERS = ("policies", "templates", "site", ".git")
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


# ---------------------------------------------------------------------------- small helpers
def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write all of ``data`` to the descriptor ``fd`` (a write may take part of it)."""
    with memoryview(data) as view:
        done = 0
        while done < len(view):
            with view[done:] as rest:
                done += os.write(fd, rest)


def append_hashed(source: Path, pieces: Sequence[tuple[int | None, int, Any]]) -> None:
    """Append the bytes of ``source``, a file only this run writes (a worker's run or its
    chunk's lines, just written: in the page cache), to other files, each piece's added to a
    digest on the way. ``pieces``: (length, or None for the rest of the file; the target's
    descriptor; a hashlib digest), one after the other from the file's start.

    Read through one buffer, not mapped: mapped, 300 MB of 5 MB files took 0.24-0.31 s
    against 0.44-0.74 s in a process of one thread, but in the build's process (four
    threads, two busy workers beside it) appending the 1M plan's runs took 0.72-1.03 s
    against 0.58-0.86 s read (1M Saturday builds alternated, load 7-12): unmapping a file
    interrupts every core the process's threads ran on, which a virtual machine pays dearly."""
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    with source.open("rb", buffering=0) as handle:
        for length, target, digest in pieces:
            left = -1 if length is None else length
            while left:
                got = handle.readinto(view if left < 0 else view[: min(left, len(view))])
                if not got:
                    break
                with view[:got] as block:
                    digest.update(block)
                    write_all(target, block)
                left = left - got if left > 0 else left
    view.release()


def open_private(path: Path, mode: str = "wb", **kwargs: Any) -> IO[Any]:
    """Open ``path`` for writing, created owner-only (0600) whatever the umask: these files
    hold debtors' personal data. ``mode`` is ``"wb"``, ``"w"`` or ``"ab"``; ``kwargs`` go to
    :func:`open` (encoding, newline)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    return os.fdopen(fd, mode, **kwargs)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new owner-only file ``path`` (replaced if it exists)."""
    with open_private(path) as handle:
        handle.write(data)


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) owner-only, 0700 explicitly (not via the umask)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)


# ---------------------------------------------------------------------------- test hook
_steps = 0


def mark(what: str) -> None:
    """With ``DUNNING_MARKS=FILE``, append the wall clock, this process's id and ``what`` to FILE
    (one line): the moments ``benchmarks/build_timeline.py`` shows beside the processes' CPU.
    Kept out of the output directory, whose bytes must not depend on the clock."""
    target = os.environ.get("DUNNING_MARKS")
    if target:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            write_all(fd, f"{time.time():.4f} {os.getpid()} {what}\n".encode())
        finally:
            os.close(fd)


def step(what: str) -> None:
    """Mark one file-system step of a run (``what`` names it for the reader). Tests make the
    process signal itself at step N (``DUNNING_TEST_SIGNAL_AT_STEP=N:KILL``) to show that
    ``--out`` is whole at every instant; otherwise this only counts (and :func:`mark`s it)."""
    global _steps
    _steps += 1
    mark(what)
    hook = os.environ.get("DUNNING_TEST_SIGNAL_AT_STEP", "")
    number, _, name = hook.partition(":")
    if number.isdigit() and int(number) == _steps:
        sys.stdout.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), getattr(signal, f"SIG{name or 'KILL'}"))


# ---------------------------------------------------------------------------- the marker
def _marker_bytes(entries: list[str]) -> bytes:
    data = {"schema_version": MARKER_SCHEMA, "written_by": "dunning", "entries": sorted(entries)}
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def read_marker(folder: Path) -> list[str] | None:
    """The entries the marker of ``folder`` lists, or None when it carries no marker.

    A marker that is not dunning's, or from a newer schema, is a :class:`UserError`."""
    path = folder / MARKER
    if not path.is_file() or path.is_symlink():
        return None
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("written_by") != "dunning":
        raise UserError(f"{path} is not a dunning output marker", f"move {folder} away or choose another --out")
    if data.get("schema_version") != MARKER_SCHEMA:
        raise UserError(
            f"{folder} was written by another version of dunning (marker schema {data.get('schema_version')})",
            f"choose another --out, or remove {folder} yourself if it may go",
        )
    entries = data.get("entries")
    return [str(e) for e in entries] if isinstance(entries, list) else []


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _remove_tree(path: Path) -> None:
    """Remove a staging or old folder (only ever called on those fixed names)."""
    if path.is_dir() and not path.is_symlink():
        remove_tree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _rename_exchange(parent_fd: int, first: str, second: str) -> bool:
    """Swap two names in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False when this
    system or file system cannot, and the caller falls back to two renames."""
    if os.environ.get("DUNNING_TEST_SWAP") == "rename" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # a libc without it (glibc before 2.28, musl before 1.2.?)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(parent_fd, os.fsencode(first), parent_fd, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), second)


# ---------------------------------------------------------------------------- the output
class OutputDir:
    """The folder a run publishes into (``--out``, or ``render --plans DIR``).

    ``protect`` are folders the output must never be or contain: the policy repository (its
    policy folders are refused as outputs too)."""

    def __init__(self, path: Path, *, protect: tuple[Path, ...] = ()) -> None:
        self.given = path
        absolute = Path(os.path.abspath(path))
        self.path = absolute.parent.resolve() / absolute.name if absolute.name else absolute
        self.protect = tuple(Path(os.path.abspath(p)).resolve() for p in protect)
        parent, name = self.path.parent, self.path.name
        self.staging = parent / f".{name}.dunning-staging"
        self.old = parent / f".{name}.dunning-old"
        self.lock_path = parent / f".{name}.dunning-lock"

    # ------------------------------------------------------------------ refusals
    def _refuse(self, why: str, hint: str) -> UserError:
        env = os.environ.get("DUNNING_OUT")
        if env:
            hint += f" (DUNNING_OUT is set to {env!r})"
        return UserError(f"refusing to write into {self.given}: {why}", hint)

    def check_location(self) -> None:
        """Refuse a place no output may go, whatever it holds: ``/``, home, the current
        directory, the policy repository and its policy folders, a symbolic link."""
        path = self.path
        another = "choose a new or empty folder for --out"
        if not path.name or path == Path(path.anchor):
            raise self._refuse("it is the root of the file system", another)
        home = Path.home().resolve()
        if _is_within(home, path):
            raise self._refuse("it is the home directory" if path == home else "it holds the home directory", another)
        cwd = Path.cwd().resolve()
        if _is_within(cwd, path):
            what = "it is the current directory" if path == cwd else "it holds the current directory"
            raise self._refuse(what, another + ", e.g. --out out")
        for root in self.protect:
            if _is_within(root, path):
                raise self._refuse(
                    "it is the policy repository" if path == root else "it holds the policy repository", another
                )
            for folder in POLICY_FOLDERS:
                if _is_within(path, root / folder):
                    where = "is" if path == root / folder else "is inside"
                    raise self._refuse(f"it {where} the policy's {folder}/ folder", another + ", e.g. out")
        if path.is_symlink():
            raise self._refuse("it is a symbolic link", "give the real folder it points to, or a new folder")

    def check(self) -> list[str] | None:
        """Refuse an output that could hold anything but dunning's own files (see the module
        docstring); the entries of its marker, or None when it does not exist or is empty."""
        self.check_location()
        path = self.path
        another = "choose a new or empty folder for --out"
        if not path.exists():
            return None
        if not path.is_dir():
            raise self._refuse("it is a file", another)
        present = sorted(os.listdir(path))
        if not present:
            return None
        entries = read_marker(path)
        if entries is None:
            shown = ", ".join(present[:3]) + (", …" if len(present) > 3 else "")
            raise self._refuse(
                f"it holds files dunning did not write ({shown}; no {MARKER} marker)",
                another + ", or move its contents away",
            )
        foreign = [name for name in present if name != MARKER and name not in entries]
        if foreign:
            shown = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
            raise self._refuse(f"it holds files dunning did not write ({shown})", "move them out of the folder first")
        return entries

    # ------------------------------------------------------------------ lock and leftovers
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold ``.<name>.dunning-lock`` (flock) for the run; a second run exits 2 at once.

        The lock file is removed when the run ends (while still held); a run that locked a
        file already unlinked that way sees its inode differ from the path's and tries again,
        so two runs never both hold a lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise UserError(
                    f"another dunning run is writing {self.given} right now (it holds {self.lock_path})",
                    "wait for it to finish and run again; runs into different --out folders can run at once",
                ) from None
            try:
                same = os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.lock_path)
            os.close(fd)  # releases the lock

    def _clean_leftovers(self) -> None:
        """Remove what a killed run left next to the output: only the fixed names, only when
        they carry the marker (an empty staging folder is one killed before its marker). A
        previous output renamed aside with no output in its place goes back first."""
        if self.old.is_dir() and not self.path.exists() and read_marker(self.old) is not None:
            os.rename(self.old, self.path)  # a kill fell between the fallback's two renames
        for leftover in (self.staging, self.old):
            if not (leftover.exists() or leftover.is_symlink()):
                continue
            ours = leftover.is_dir() and not leftover.is_symlink()
            if ours and (not os.listdir(leftover) or read_marker(leftover) is not None):
                _remove_tree(leftover)
                continue
            raise UserError(
                f"{leftover} is in the way and was not left there by dunning",
                "move it away; dunning stages its output under that name",
            )

    # ------------------------------------------------------------------ the run
    @contextlib.contextmanager
    def replace(self, keep: Callable[[str], bool] | None = None) -> Iterator[Path]:
        """Stage a new output and make it visible in one swap when the block ends without an
        error; on an error (or a kill) the output stays as it was.

        Yields the staging folder. ``keep(name)``: the top-level entries of the current
        output to carry over (hard links, never rewritten in place) when a stage rewrites
        only part of a folder (render in a plan folder, the handbook in a build's output)."""
        self.check_location()  # before the lock file is made next to it
        with self._locked():
            self._clean_leftovers()
            entries = self.check()
            step("locked and cleaned")
            previous = os.umask(0o077)  # for what third-party writers (MkDocs, WeasyPrint) create
            try:
                os.mkdir(self.staging, DIR_MODE)
                # from here on an error, Ctrl-C or SIGTERM removes the staging folder, also
                # one that arrives before the caller's block or after it (a kill leaves it
                # for the next run's clean-up)
                try:
                    os.chmod(self.staging, DIR_MODE)
                    write_private(self.staging / MARKER, _marker_bytes([]))
                    step("staging created")
                    if keep is not None and entries:
                        for name in entries:
                            if keep(name) and (self.path / name).exists():
                                _link_tree(self.path / name, self.staging / name)
                        step("kept entries linked")
                    yield self.staging
                    names = [n for n in os.listdir(self.staging) if n != MARKER]
                    write_private(self.staging / (MARKER + ".new"), _marker_bytes(names))
                    os.replace(self.staging / (MARKER + ".new"), self.staging / MARKER)
                    step("staging complete")
                except BaseException:
                    shutil.rmtree(self.staging, ignore_errors=True)
                    raise
            finally:
                os.umask(previous)
            self._swap()

    def claim(self, *names: str) -> None:
        """Mark the output as dunning's for a writer that works in place (``handbook serve``
        rewrites ``OUT/handbook-src`` on every change): the same refusals as a staged run,
        then the folder is created owner-only if missing and its marker lists ``names``."""
        self.check_location()
        with self._locked():
            self._clean_leftovers()
            entries = self.check() or []
            make_private_dir(self.path)
            write_private(self.path / (MARKER + ".new"), _marker_bytes(sorted({*entries, *names})))
            os.replace(self.path / (MARKER + ".new"), self.path / MARKER)

    def _swap(self) -> None:
        parent_fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            staging, final, old = self.staging.name, self.path.name, self.old.name
            if not self.path.exists():
                os.rename(staging, final, src_dir_fd=parent_fd, dst_dir_fd=parent_fd)
                step("output renamed in")
                return
            if _rename_exchange(parent_fd, staging, final):
                _remove_previous(self.staging)  # now the previous output
                return
            # two renames: --out is missing in between; the next run restores it if killed there
            try:
                with _signals_held():
                    os.rename(final, old, src_dir_fd=parent_fd, dst_dir_fd=parent_fd)
                    step("previous output renamed aside")
                    os.rename(staging, final, src_dir_fd=parent_fd, dst_dir_fd=parent_fd)
            finally:
                if not self.staging.exists():  # the new output is in: also when a held signal acts
                    _remove_previous(self.old)
        finally:
            os.close(parent_fd)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done, then act as they would have (only a
    kill can stop it midway). Python runs signal handlers in the main thread whichever thread
    the signal reaches, so the handlers are swapped rather than the signals masked."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    saved: dict[int, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is not None:  # None: set outside Python, left alone
            saved[signum] = handler
            signal.signal(signum, lambda number, frame: arrived.append(number))
    try:
        yield
    finally:
        for held, handler in saved.items():
            signal.signal(held, handler)
    for number in arrived:
        signal.raise_signal(number)


def _remove_previous(folder: Path) -> None:
    """Delete the previous output once the new one is in place. The new output is published by
    then, so Ctrl-C or SIGTERM arriving during the delete (seconds for a large output) lets it
    finish before the run stops: the old personal data does not stay next to the output."""
    try:
        step("output in place")
        remove_tree(folder)
    except BaseException:
        with _signals_held():  # a second Ctrl-C does not cut this one short either
            remove_tree(folder, ignore_errors=True)
        raise
    step("previous output removed")


def _link_tree(source: Path, target: Path) -> None:
    """Carry ``source`` over into the staging folder as hard links (a copy where the file
    system has none): no file is written twice, and none is ever rewritten in place."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:
            shutil.copy2(src, dst, follow_symlinks=False)

    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, copy_function=link)
    else:
        link(str(source), str(target))


__all__ = [
    "MARKER",
    "OutputDir",
    "make_private_dir",
    "mark",
    "open_private",
    "read_marker",
    "sha256_file",
    "step",
    "write_private",
]
