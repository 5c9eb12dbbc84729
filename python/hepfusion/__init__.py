"""hepfusion: SQL over CERN ROOT files, particle-list functions and the SparkDLTrigger pipeline,
on Apache DataFusion.

Two ways to use it from Python:

* ``hepfusion.SessionContext()`` runs hepfusion's own Rust session: every function, lambdas
  with ``p.pt``, named arguments (``epochs => 5``), ROOT files over HTTP and S3. Results come back
  as Arrow (``.to_arrow_table()``, ``.to_pandas()``, ``.to_awkward()``, or ``pyarrow.table(df)``).
* ``hepfusion.register(ctx)`` adds what can cross DataFusion's FFI to a
  ``datafusion.SessionContext`` (the ``datafusion`` package, version 55): ``STORED AS ROOT``,
  ``read_root``, the scalar, aggregate and ML table functions. Lambda functions cannot cross
  (DataFusion 55 has no FFI for them); see python/README.md for the table.
"""

from __future__ import annotations

import re
import sys
import warnings
from typing import Any, Callable, Mapping

import pyarrow as pa

from . import _caller, _native
from ._native import HepfusionError, HepfusionWarning, RootTableFactory, __version__

__all__ = [
    "DataFrame",
    "HepfusionError",
    "HepfusionWarning",
    "RootTableFactory",
    "SessionContext",
    "config",
    "lambda_functions",
    "register",
    "set_progress",
    "sql",
]


class DataFrame:
    """The result of one SQL statement; the query runs when its rows are asked for.

    Ctrl-C while it runs cancels the query (a training leaves the model registry as it was).
    """

    def __init__(self, native: _native.DataFrame):
        self._df = native

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """Streams the record batches as the query produces them (Arrow PyCapsule interface)."""
        return self._df.__arrow_c_stream__(requested_schema)

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(self._df.schema())

    def to_arrow_table(self) -> pa.Table:
        return pa.table(self._df.collect())

    def to_pandas(self, **kwargs: Any):
        """A pandas DataFrame; lists of particles become arrays of dicts (see ``to_awkward``)."""
        return self.to_arrow_table().to_pandas(**kwargs)

    def to_awkward(self):
        """An awkward Array of records: the natural shape of events with particle lists."""
        import awkward as ak

        return ak.from_arrow(self.to_arrow_table())

    def to_pylist(self) -> list[dict[str, Any]]:
        return self.to_arrow_table().to_pylist()

    def count(self) -> int:
        return self._df.count()

    def show(self, limit: int = 20) -> None:
        print(self._df.to_string(limit))

    def explain(self) -> str:
        return self._df.explain()

    def __repr__(self) -> str:
        return repr(self._df)


class SessionContext:
    """hepfusion's Rust session: ROOT tables, every function, the ML table functions.

    ``model_dir``: where ``train_classifier`` keeps models (default ``$HEPFUSION_MODEL_DIR``,
    else ``./models``); ``target_partitions``: threads per query (default: every core).
    """

    def __init__(self, model_dir: str | None = None, target_partitions: int | None = None):
        self._ctx = _native.SessionContext(
            None if model_dir is None else str(model_dir), target_partitions
        )

    def sql(self, query: str) -> DataFrame:
        """Plans one SQL statement; DDL and SET take effect at once."""
        return DataFrame(self._ctx.sql(query))

    def run_script(self, script: str, variables: Mapping[str, object] | None = None) -> DataFrame:
        """Runs every statement of ``script`` (``${name}`` / ``${name:-default}`` replaced from
        ``variables``); returns the last one's result."""
        vars_ = {k: str(v) for k, v in (variables or {}).items()}
        return DataFrame(self._ctx.run_script(script, vars_))

    def run_file(self, path: str, variables: Mapping[str, object] | None = None) -> DataFrame:
        with open(path, encoding="utf-8") as f:
            return self.run_script(f.read(), variables)

    def register(self, name: str, data: Any) -> None:
        """Registers Arrow data as table ``name``: a pyarrow Table or RecordBatchReader, a
        pandas DataFrame, or anything with ``__arrow_c_stream__``."""
        if not hasattr(data, "__arrow_c_stream__"):
            data = pa.table(data)
        self._ctx.register_arrow(name, data)

    def deregister(self, name: str) -> None:
        self._ctx.deregister_table(name)

    def tables(self) -> list[str]:
        return self._ctx.table_names()


_default_context: SessionContext | None = None


def sql(query: str) -> DataFrame:
    """Runs ``query`` in a process-wide ``hepfusion.SessionContext``."""
    global _default_context
    if _default_context is None:
        _default_context = SessionContext()
    return _default_context.sql(query)


def config(base: Any = None) -> Any:
    """A ``datafusion.SessionConfig`` for ROOT data: unquoted names kept as written (ROOT branch
    names are mixed case: ``nJet``, ``MET_pt``, Delphes' ``PT``; DataFusion lower-cases them by
    default) and the information schema on. ``base`` is a config to start from.

    ``datafusion.SessionContext(hepfusion.config())``, then ``hepfusion.register(ctx)``.
    """
    import datafusion

    base = base if base is not None else datafusion.SessionConfig()
    return base.set("datafusion.sql_parser.enable_ident_normalization", "false").with_information_schema(True)


def register(ctx: Any) -> None:
    """Registers on a ``datafusion.SessionContext`` everything that can cross the FFI:
    ``STORED AS ROOT``, ``read_root``, the scalar and aggregate functions, and the ML table
    functions. Lambda functions (``lambda_functions()``) need ``hepfusion.SessionContext``:
    a query on ``ctx`` that calls one fails with an error that says so.

    A context that lower-cases unquoted names (DataFusion's default) gets a
    ``HepfusionWarning`` with the fix: ``datafusion.SessionContext(hepfusion.config())``.
    """
    import datafusion

    ctx.register_table_factory("ROOT", RootTableFactory())
    for f in _native.scalar_functions():
        ctx.register_udf(datafusion.udf(f))
    for f in _native.aggregate_functions():
        ctx.register_udaf(datafusion.udaf(f))
    for f in _native.table_functions():
        if f.reads_input:
            # The caller's session runs the input (see _caller: not through the FFI).
            ctx.register_udtf(_caller.table_function(f.name))
        else:
            ctx.register_udtf(datafusion.udtf(f, f.name))
    _explain_lambda_errors(ctx)
    if _lower_cases_names(ctx):
        warnings.warn(
            "this datafusion.SessionContext lower-cases unquoted names (nJet becomes njet), but ROOT "
            "branch names are mixed case: create it as datafusion.SessionContext(hepfusion.config()), "
            "or SET datafusion.sql_parser.enable_ident_normalization = false",
            HepfusionWarning,
            stacklevel=2,
        )


def _lower_cases_names(ctx: Any) -> bool:
    """Whether ``ctx`` normalises unquoted identifiers (planned only, nothing runs)."""
    return ctx.sql("SELECT 1 AS MixedCase").schema().names == ["mixedcase"]


def _explain_lambda_errors(ctx: Any) -> None:
    """Makes ``ctx.sql`` say why a query with a lambda function fails. DataFusion 55's FFI
    carries no higher-order functions, so ``filter(xs, x -> x > 30)`` reaches the planner as an
    unknown function (``Invalid function 'filter'``) or a stray ``->`` (``No field named x``)."""
    plain_sql = ctx.sql
    calls = re.compile(r"\b(" + "|".join(map(re.escape, _native.lambda_functions())) + r")\s*\(", re.IGNORECASE)

    def sql(query: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return plain_sql(query, *args, **kwargs)
        except Exception as e:
            used = sorted({m.group(1).lower() for m in calls.finditer(query)}) if "->" in query else []
            if not used:
                raise
            names = ", ".join(used)
            raise HepfusionError(
                f"{names}: lambda functions need hepfusion.SessionContext(); DataFusion 55's FFI, "
                f"through which hepfusion.register() adds functions to a datafusion.SessionContext, "
                f"cannot carry higher-order functions (DataFusion said: {e})"
            ) from e

    ctx.sql = sql


def lambda_functions() -> list[str]:
    """Functions that take lambdas; they work only in ``hepfusion.SessionContext``."""
    return sorted(_native.lambda_functions())


def set_progress(callback: Callable[[dict], None] | None | str = "auto") -> None:
    """Where training progress goes. ``callback(update)`` receives dicts with ``model``,
    ``epoch``, ``epochs``, ``rows``, ``rows_per_epoch``, ``loss`` and ``epoch_done`` (the
    epoch's summary line at its end, else None); ``None`` turns reports off; ``"auto"`` (the
    default) prints a one-line bar where stderr is no terminal (Jupyter), since the Rust bar
    draws only on a terminal.
    """
    if callback == "auto":
        callback = None if sys.stderr.isatty() else _TextProgress()
    _native.set_progress(callback)


class _TextProgress:
    """A one-line progress bar for notebooks and logs: redrawn in place, the epoch's summary
    left behind when the epoch ends."""

    def __init__(self) -> None:
        self._width = 0

    def _draw(self, line: str, end: str) -> None:
        print("\r" + line.ljust(self._width), end=end, file=sys.stderr, flush=True)
        self._width = 0 if end else len(line)

    def __call__(self, u: dict) -> None:
        if u["epoch_done"] is not None:
            self._draw(f"{u['model']}: {u['epoch_done']}", "\n")
            return
        total = max(u["rows_per_epoch"], 1)
        filled = int(30 * min(u["rows"], total) / total)
        self._draw(
            f"{u['model']} epoch {u['epoch']}/{u['epochs']} [{'=' * filled:<30}] "
            f"{u['rows']}/{u['rows_per_epoch']} rows loss {u['loss']:.4f}",
            "",
        )


set_progress()
