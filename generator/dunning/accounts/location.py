"""Where an account snapshot or a contact history lives, and how it reaches the readers.

``--accounts`` and ``--history`` take, besides a CSV, JSON Lines or Parquet file:

* ``-``: standard input (CSV, or JSON Lines when the first character is ``{``);
* a gzip or zstd compressed CSV or JSON Lines file (``accounts.csv.gz``, ``history.jsonl.zst``);
* a Parquet dataset directory, hive-partitioned or not (``snapshot/country=CN/part-0.parquet``);
* a SQLite database: ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``, with
  ``?table=NAME`` (default: ``accounts`` or ``history``) or ``?query=SELECT …``, opened read-only;
* a PostgreSQL database: ``postgresql://[user@]host[:port]/dbname?table=NAME`` (or ``?query=``),
  read through ADBC's libpq driver in Arrow batches (the ``postgres`` extra). The password
  never goes on the command line: libpq takes it from ``PGPASSWORD``, ``~/.pgpass`` or a
  service file, as psql does; a location with a password is refused.

Each is copied, in batches and without holding it all in memory, into one file of a format
the readers know, in a private scratch folder that the command removes when it ends: JSON
Lines (a dataset folder's or PostgreSQL's snapshot as Parquet, which their extras bring). So
every source goes through the same contract checks, rejects and reconciliation as a file,
and a row's ``line`` in rejects.csv is its position in the source (the header is line 1
only for CSV).
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from dunning.errors import UserError

Kind = Literal["accounts", "history"]
BATCH_ROWS = 100_000
_PARQUET = (".parquet", ".pq")
_COPY_BLOCK = 1 << 20


def is_plain_file(value: str, kind: Kind = "accounts") -> bool:
    """True when ``value`` names a file the ``kind`` reader opens itself (no copy needed)."""
    if value == "-" or value.startswith(("sqlite:", "postgresql:", "postgres:")):
        return False
    path = Path(value)
    copied = (".gz", ".zst", *(_PARQUET if kind == "history" else ()))
    return not path.is_dir() and path.suffix.lower() not in copied


def materialize(value: str, kind: Kind, scratch: Path, stdin: BinaryIO | None = None) -> Path:
    """A file the ``kind`` reader knows holding the data at ``value`` (``value`` itself when it
    is a plain file); copies go into ``scratch``, which the caller removes afterwards."""
    if value == "-":
        return _from_stdin(stdin if stdin is not None else sys.stdin.buffer, scratch, kind)
    if value.startswith("sqlite:"):
        return _from_sqlite(value, kind, scratch)
    if value.startswith(("postgresql:", "postgres:")):
        return _from_postgres(value, kind, scratch)
    path = Path(value)
    # the history reader reads text (CSV, JSON Lines): a Parquet history file is copied as
    # one part of a dataset is
    if path.is_dir() or (kind == "history" and path.suffix.lower() in _PARQUET and path.is_file()):
        return _from_dataset(path, kind, scratch)
    suffix = path.suffix.lower()
    if suffix in (".gz", ".zst"):
        return _decompressed(path, suffix, scratch)
    return path


def _from_stdin(stream: BinaryIO, scratch: Path, kind: Kind) -> Path:
    head = stream.read(_COPY_BLOCK)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    first = stripped[:1]
    target = scratch / f"stdin-{kind}.{'jsonl' if first == b'{' else 'csv'}"
    with target.open("wb") as out:
        out.write(head)
        shutil.copyfileobj(stream, out, _COPY_BLOCK)
    return target


def _decompressed(path: Path, suffix: str, scratch: Path) -> Path:
    inner = Path(path.stem)  # accounts.csv.gz -> accounts.csv
    if inner.suffix.lower() not in (".csv", ".jsonl", ".ndjson"):
        raise UserError(
            f"{path}: a compressed input must be CSV or JSON Lines (name it .csv{suffix} or .jsonl{suffix})",
            hint="Parquet compresses itself: give the .parquet file",
        )
    target = scratch / inner.name
    try:
        with path.open("rb") as raw, target.open("wb") as out:
            if suffix == ".gz":
                with gzip.GzipFile(fileobj=raw) as unpacked:
                    shutil.copyfileobj(unpacked, out, _COPY_BLOCK)
            else:
                import zstandard

                zstandard.ZstdDecompressor().copy_stream(raw, out)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file", hint="check the path") from None
    except (OSError, EOFError) as exc:
        raise UserError(f"{path}: cannot decompress it ({exc})") from None
    except Exception as exc:  # zstandard.ZstdError: a damaged or truncated file
        raise UserError(f"{path}: cannot decompress it ({type(exc).__name__}: {exc})") from None
    return target


def _from_dataset(path: Path, kind: Kind, scratch: Path) -> Path:
    import polars as pl

    from dunning.extras import require

    require("parquet")
    folder = path.is_dir()
    files = sorted(p for p in path.rglob("*.parquet") if p.is_file()) if folder else [path]
    if not files:
        raise UserError(f"{path}: a folder given as input must hold Parquet files (a dataset); it has none")
    try:
        frame = pl.scan_parquet(files, hive_partitioning=folder, hive_schema=None)
        if kind == "accounts":
            target = scratch / "dataset.parquet"
            frame.sink_parquet(target)
        else:
            target = scratch / "dataset.jsonl"
            frame.select(pl.all().cast(pl.String)).sink_ndjson(target)
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path}: cannot read it as a Parquet dataset: {first}") from None
    return target


def sqlite_source(value: str, kind: Kind) -> tuple[Path, str]:
    """The database file and the SELECT of a ``sqlite:`` location (a table name is quoted)."""
    parts = urlsplit(value)
    if parts.scheme != "sqlite" or parts.netloc:
        raise UserError(
            f"{value.split('?', 1)[0]}: not a SQLite location",
            hint="write sqlite:///relative/path.db or sqlite:////absolute/path.db, then ?table=NAME or ?query=SELECT …",
        )
    raw = unquote(parts.path)
    path = Path(raw[1:] if raw.startswith("/") else raw)
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(options) - {"table", "query"})
    if unknown or len(options.get("table", [])) > 1 or len(options.get("query", [])) > 1 or len(options) > 1:
        raise UserError(f"sqlite:///{path}: give ?table=NAME or ?query=SELECT … (one of them, once)")
    if "query" in options:
        query = options["query"][0].strip()
        if not query.lower().startswith(("select", "with")):
            raise UserError(f"sqlite:///{path}: the query must be a SELECT", hint="the database is read, never written")
        return path, query
    return path, _select(options.get("table", [kind])[0])


def _select(table: str) -> str:
    """``SELECT * FROM "schema"."table"``: each dotted part quoted, so a name cannot inject SQL."""
    return "SELECT * FROM " + ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))


def _sqlite_batches(path: Path, query: str) -> Iterator[tuple[list[str], list[tuple[object, ...]]]]:
    if not path.is_file():
        raise UserError(f"{path}: no such SQLite database", hint="check the sqlite:/// path (three slashes, then it)")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise UserError(f"{path}: cannot open the database ({exc})") from None
    try:
        cursor = connection.execute(query)
        columns = [d[0] for d in cursor.description or ()]
        rows = cursor.fetchmany(BATCH_ROWS)
        yield columns, rows  # even with no rows: the columns decide whether it meets the contract
        while rows := cursor.fetchmany(BATCH_ROWS):
            yield columns, rows
    except sqlite3.Error as exc:
        raise UserError(f"{path}: the query failed ({exc})", hint="check the table name or the SELECT") from None
    finally:
        connection.close()


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 120.0 from a REAL column is the amount 120
    return str(value)


def _from_sqlite(value: str, kind: Kind, scratch: Path) -> Path:
    # JSON Lines, which the core reads (a snapshot as Parquet would need the parquet extra);
    # an empty cell is left out, as an empty CSV cell reads
    path, query = sqlite_source(value, kind)
    target = scratch / f"sqlite-{kind}.jsonl"
    with target.open("wb") as out:
        for names, rows in _sqlite_batches(path, query):
            for row in rows:
                record = {c: t for c, v in zip(names, row, strict=True) if (t := _text(v)) is not None}
                out.write(orjson.dumps(record) + b"\n")
    return target


def postgres_source(value: str, kind: Kind) -> tuple[str, str, str]:
    """The libpq connection URI (without ``table``/``query``), the SELECT, and the location as
    it may be shown in a message (no user, no password)."""
    from urllib.parse import urlencode, urlunsplit

    parts = urlsplit(value)
    shown = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"
    if parts.password is not None:
        raise UserError(
            f"{shown}: the location holds a password",
            hint="never put it on the command line: set PGPASSWORD or use ~/.pgpass (libpq reads both)",
        )
    options = parse_qs(parts.query, keep_blank_values=True)
    ours = {k: options.pop(k) for k in ("table", "query") if k in options}
    if len(ours) > 1 or any(len(v) > 1 for v in ours.values()):
        raise UserError(f"{shown}: give ?table=NAME or ?query=SELECT … (one of them, once)")
    if "query" in ours:
        query = ours["query"][0].strip()
        if not query.lower().startswith(("select", "with")):
            raise UserError(f"{shown}: the query must be a SELECT", hint="the database is read, never written")
    else:
        query = _select(ours.get("table", [kind])[0])
    uri = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(options, doseq=True), ""))
    return uri, query, shown


def _from_postgres(value: str, kind: Kind, scratch: Path) -> Path:
    from dunning.extras import require

    require("postgres")
    import adbc_driver_manager
    import adbc_driver_postgresql.dbapi as postgres
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    uri, query, shown = postgres_source(value, kind)
    target = scratch / ("postgres-accounts.parquet" if kind == "accounts" else "postgres-history.jsonl")
    try:
        with postgres.connect(uri) as connection, connection.cursor() as cursor:
            cursor.execute(query)
            reader = cursor.fetch_record_batch()
            text = pa.schema([(name, pa.string()) for name in reader.schema.names])
            if kind == "accounts":
                # one Parquet file written batch by batch as the rows arrive (a row group per
                # batch), uncompressed: it is read once, by this run, and compressing and then
                # merging parts took as long as the fetch itself. A batch is written in a
                # thread while the next one is fetched (both let go of the GIL).
                with pq.ParquetWriter(target, text, **_SCRATCH_PARQUET) as writer, ThreadPoolExecutor(1) as pool:
                    pending: Future[None] | None = None
                    for batch in reader:
                        converted = _as_text(batch, text)
                        if pending is not None:
                            pending.result()
                        pending = pool.submit(writer.write_batch, converted)
                    if pending is not None:
                        pending.result()
            else:
                with target.open("wb") as out:  # an empty cell is left out, as from SQLite
                    for batch in reader:
                        frame = pl.from_arrow(_as_text(batch, text))
                        assert isinstance(frame, pl.DataFrame)
                        for row in frame.iter_rows(named=True):
                            out.write(orjson.dumps({k: v for k, v in row.items() if v is not None}) + b"\n")
    except (adbc_driver_manager.Error, OSError) as exc:  # libpq's message names no password
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(
            f"{shown}: cannot read it ({first})", hint="check the server, the table or the SELECT"
        ) from None
    return target


# the scratch copy of a database table: read once, by this run, so written for speed (no
# compression, no dictionaries, no statistics), not for size
_SCRATCH_PARQUET: dict[str, Any] = {"compression": "none", "use_dictionary": False, "write_statistics": False}


def _as_text(batch: Any, text: Any) -> Any:
    """``batch`` with every column as Arrow text: text columns as they come, the others
    written as polars writes them (numbers, dates and times as the CSV export has them)."""
    import polars as pl
    import pyarrow as pa

    columns = []
    for column in batch.columns:
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            series = pl.from_arrow(column)
            assert isinstance(series, pl.Series)
            column = series.cast(pl.String).to_arrow()
        columns.append(column.cast(pa.string()))
    return pa.RecordBatch.from_arrays(columns, schema=text)
