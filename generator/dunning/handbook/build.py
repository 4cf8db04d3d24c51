"""Run MkDocs on a generated folder: strict, reproducible, warnings turned into a clear error."""

from __future__ import annotations

import gc
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from dunning.errors import UserError
from dunning.handbook.search_words import narrowed_words

# young objects (allocations less deallocations) before the collector runs while a handbook builds
GC_THRESHOLD = 10_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """While the handbook builds: what the process held before (in ``dunning build``'s forked
    process: the compiled policy, validate's findings, every imported module) goes to the
    collector's permanent generation, and the young generation is collected every
    GC_THRESHOLD objects instead of every 700. MkDocs, Markdown and Jinja allocate millions of
    short-lived objects (element trees, token streams, compiled template code) that
    reference counting frees, and the default threshold ran ≈ 130 young and a dozen older
    collections a build over them, and walked (and wrote into, unsharing its pages from the
    parent) everything inherited. Cycles are still collected, once the threshold is passed.
    The collector's state is put back after (``serve`` builds again and again in one process);
    a caller that had frozen objects itself keeps them frozen (and what the build froze with
    them, all of it alive when it started)."""
    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if not frozen_before:
            gc.unfreeze()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _build_date(as_of: date) -> Iterator[None]:
    """MkDocs stamps the sitemap (and its gzip header) with the build date: make it the as-of
    date (``SOURCE_DATE_EPOCH``), so the same policy gives the same bytes on any day."""
    epoch = str(int(datetime.combine(as_of, time(0, 0), UTC).timestamp()))
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


@contextmanager
def _captured_warnings() -> Iterator[_Collect]:
    logger = logging.getLogger("mkdocs")
    handler = _Collect()
    old_propagate, old_level = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False  # MkDocs' INFO chatter stays out of our output
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = old_propagate, old_level


def _quiet_jieba() -> Any:
    """Material's search segments Chinese with jieba when it is installed (the handbook extra
    brings it): without it 催收 matches no page. jieba logs its dictionary loading at DEBUG to
    stderr as it is imported; only its warnings belong in dunning's output. (jieba 0.42 also
    imports setuptools' deprecated pkg_resources when present, which warns; it works without.)
    Returns the module, or None when it is not installed."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
            import jieba
    except ImportError:  # search still works, word by word only for the Latin scripts
        return None
    jieba.setLogLevel(logging.WARNING)
    return jieba


def mkdocs_build(src_dir: Path, site_dir: Path, as_of: date) -> None:
    """``mkdocs build --strict`` of ``src_dir/mkdocs.yml`` into ``site_dir`` (in-process).

    A warning (a broken link or anchor, a page missing from the nav) fails the build with a
    :class:`UserError` listing every warning.
    """
    from dunning.extras import require

    require("handbook")
    jieba = _quiet_jieba()
    from mkdocs.commands import build as mkdocs_commands
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, MkDocsException

    # absolute: MkDocs resolves a relative site_dir against the folder of mkdocs.yml, which put
    # `--out out`'s site in out/handbook-src/out/handbook
    config_file, site = os.path.abspath(src_dir / "mkdocs.yml"), os.path.abspath(site_dir)
    words = narrowed_words(jieba, src_dir) if jieba is not None else nullcontext()
    with _build_date(as_of), _captured_warnings() as warnings, words:
        try:
            config = load_config(config_file=config_file, site_dir=site, strict=True)
            mkdocs_commands.build(config)
        except (Abort, MkDocsException) as exc:
            detail = "\n".join(f"  {m}" for m in warnings.messages) or f"  {exc}"
            raise UserError(
                f"the handbook did not build (mkdocs --strict):\n{detail}",
                f"the generated sources are in {src_dir}; a link in site/ may point at a page that does not exist",
            ) from None
