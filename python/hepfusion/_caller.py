"""The ML functions that read an input, on a plain ``datafusion.SessionContext``.

Through datafusion-ffi 55 they would run that context's own scans (Parquet, CSV, datasets)
under hepfusion's tokio runtime with the wheel's tokio build, which crashes the interpreter.
So ``hepfusion.register`` registers them as Python table functions that receive the caller's
session: the caller runs the input query, and hepfusion reads the rows as an Arrow C stream.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterator, TypeVar

import pyarrow as pa

from . import _native

T = TypeVar("T")


def _off_the_runtime(fn: Callable[[], T]) -> T:
    """``fn()`` on a thread of its own. A table function is called while datafusion plans the
    calling query inside its tokio runtime, and a query started from that same thread would
    enter the runtime a second time (tokio forbids it)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as e:  # re-raised in the calling thread
            result["error"] = e

    thread = threading.Thread(target=run, name="hepfusion-input")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


class CallerSession:
    """The caller's session, as hepfusion's ML functions use it: plans and runs input queries.

    Rows come in the same order on every run (training passes over its input once per epoch
    and holds out the same rows each time): one target partition, partitions read in turn.
    The session handed to a table function holds its own copy of the configuration, so the
    caller's context keeps its setting.
    """

    def __init__(self, session: Any):
        self._session = session
        _off_the_runtime(
            lambda: session.sql("SET datafusion.execution.target_partitions = 1").collect()
        )

    def schema(self, sql: str) -> pa.RecordBatchReader:
        """The schema of ``sql``'s result, as an empty Arrow stream."""
        schema = _off_the_runtime(lambda: self._session.sql(sql).schema())
        return pa.RecordBatchReader.from_batches(schema, [])

    def run(self, sql: str) -> pa.RecordBatchReader:
        """``sql``'s rows as an Arrow stream, read by hepfusion from a thread of its own."""

        def start():
            df = self._session.sql(sql)
            return df.schema(), df.execute_stream_partitioned()

        schema, streams = _off_the_runtime(start)

        def batches() -> Iterator[pa.RecordBatch]:
            for stream in streams:
                for batch in stream:
                    yield pa.RecordBatch.from_arrays(batch.to_pyarrow().columns, schema=schema)

        return pa.RecordBatchReader.from_batches(schema, batches())


def table_function(name: str) -> Any:
    """Our table function ``name`` as a datafusion Python table function with the session."""
    import datafusion

    def call(*args: Any, session: Any) -> Any:
        exprs = [datafusion.Expr(a).alias(f"arg{i}") for i, a in enumerate(args)]
        values = (
            _off_the_runtime(lambda: session.sql("SELECT 1").select(*exprs).to_arrow_table())
            if exprs
            else pa.table({})
        )
        return _native.call_with_caller_session(name, values, CallerSession(session))

    return datafusion.udtf(call, name, with_session=True)
