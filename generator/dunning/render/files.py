"""File names and hashed writes shared by the channel renderers."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from dunning.modes import DIR_MODE, FILE_MODE

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_stem(action_id: str) -> str:
    """A file-system-safe, collision-free name for an action's file.

    Action ids are built from account ids, which are arbitrary input text; anything outside
    ``[A-Za-z0-9._-]`` is replaced, and then a short hash of the real id keeps two ids that
    differ only in replaced characters apart.
    """
    safe = _UNSAFE.sub("_", action_id).lstrip(".") or "_"
    if safe != action_id:
        safe = f"{safe[:150]}-{hashlib.sha256(action_id.encode('utf-8')).hexdigest()[:10]}"
    return safe


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def write_bytes(root: Path, relative: str, data: bytes) -> tuple[str, str]:
    """Write ``data`` to ``root/relative`` (owner-only: messages hold personal data) and return
    ``(relative, sha256)`` for the manifest.

    Plain descriptors rather than file objects: a large render writes one file per email,
    script and sheet, and the buffered file object's set-up was a third of each write."""
    path = os.path.join(root, relative)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, FILE_MODE)
    except FileNotFoundError:  # the folder usually exists: one syscall, not three
        os.makedirs(os.path.dirname(path), DIR_MODE, exist_ok=True)
        fd = os.open(path, flags, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    return relative, sha256_bytes(data)
