"""Run MkDocs on a generated folder: strict, reproducible, warnings turned into a clear error."""

from __future__ import annotations

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
