"""Removing a folder dunning wrote (a previous output, a killed run's staging) with its
file deletions spread over threads.

A run into an existing ``--out`` deletes the previous output after the swap, before it
exits: tens of thousands of message files at 1M accounts. That removal waits on the disk,
not on the CPU: on this project's VM (ext4 without a journal, mounted with ``discard``),
47,400 files of a 1M Saturday output took 8.4 s of wall for 1.8 s of CPU through
:func:`shutil.rmtree`, one ``unlink`` after the other. The kernel takes the unlinks of
several threads at once (Python lets go of the GIL in each), so the waits overlap: 20,000
files took 0.5 s with 8 threads against 1.6-7.6 s with one, the same CPU (measured
2026-12-08, ``benchmarks/build_bench.py --replace`` shows a whole build's share).

It is :func:`shutil.rmtree`'s safe walk: every folder is opened relative to its parent's
descriptor with ``O_NOFOLLOW``, entries are removed relative to their folder's descriptor,
and a symbolic link is removed as a link, never followed, so a link planted in the folder
cannot make the removal reach outside it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

THREADS = 8  # 20,000 files, one run each (2026-12-08, load 1-2): 1 thread 1.6-7.6 s, 4 2.3, 8 0.5, 16 0.8
_SPREAD_FROM = 64  # a folder with fewer files is removed in the calling thread
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def remove_tree(folder: Path, *, ignore_errors: bool = False) -> None:
    """Remove ``folder`` and everything in it (not following links); the first error is
    raised once every deletion already handed to a thread has finished, unless
    ``ignore_errors``. A ``folder`` that is a link is refused as :func:`shutil.rmtree` does."""
    errors: list[OSError] = []
    with ThreadPoolExecutor(THREADS, thread_name_prefix="dunning-remove") as pool:

        def unlink_all(fd: int, names: list[str]) -> None:
            for name in names:
                try:
                    os.unlink(name, dir_fd=fd)
                except FileNotFoundError:
                    pass
                except OSError as error:
                    errors.append(error)

        def unlink_spread(fd: int, names: list[str]) -> None:
            if len(names) < _SPREAD_FROM:
                unlink_all(fd, names)
                return
            for done in [pool.submit(unlink_all, fd, names[k::THREADS]) for k in range(THREADS)]:
                done.result()

        try:
            top = os.open(folder, _DIR_FLAGS)
        except OSError as error:
            if ignore_errors:
                return
            if os.path.islink(folder):
                raise OSError(f"Cannot call remove_tree on a symbolic link: {folder}") from error
            raise
        try:
            _empty(top, unlink_spread, errors)
        finally:
            os.close(top)
        if not errors:
            try:
                os.rmdir(folder)
            except OSError as error:
                errors.append(error)
    if errors and not ignore_errors:
        raise errors[0]


def _empty(fd: int, unlink_spread: Callable[[int, list[str]], None], errors: list[OSError]) -> None:
    """Remove what the open folder ``fd`` holds: its files spread over the threads, its folders
    one after the other, depth first (a run's outputs hold a few dozen folders)."""
    files: list[str] = []
    folders: list[str] = []
    with os.scandir(fd) as entries:
        for entry in entries:
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            (folders if is_folder else files).append(entry.name)
    unlink_spread(fd, files)
    for name in folders:
        try:
            child = os.open(name, _DIR_FLAGS, dir_fd=fd)
        except OSError as error:
            errors.append(error)
            continue
        try:  # O_NOFOLLOW: a link swapped in since the scan is refused, not followed
            _empty(child, unlink_spread, errors)
        finally:
            os.close(child)
        try:
            os.rmdir(name, dir_fd=fd)
        except FileNotFoundError:
            pass
        except OSError as error:
            errors.append(error)
