"""The policy engine for Python: exact, explained decisions.

Three scales, one engine:

* one applicant: ``Engine("policies").decide("jiaxing.digital_training_2021", {...})``
* one machine: ``Engine("policies").decide_table(policy_id, table)`` (a
  pyarrow Table, or a pandas or polars DataFrame)
* a cluster: ``policy.spark.decide(df, policy_id, "policies")``

And the cost of an amendment over a population, exactly:
``Engine("policies").impact(base, new, table)`` (``policy.spark.impact`` on
a cluster); ``Engine.sample`` draws a population weighted toward a
policy's thresholds.

Money and decimals are exact: pass them as ``decimal.Decimal`` or text
(``"1200.50"``, ``"70%"``) in dicts, as Arrow ``decimal128`` in tables. Floats
are refused in tables (they are not exact); in dicts a float is read from the
shortest text that round-trips.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import json as _json
from typing import Any, Dict, List, Optional, Sequence

import pyarrow as _pa

from ._native import ColumnError, FactsError, PolicyError
from ._native import Engine as _NativeEngine

__all__ = ["Engine", "Impact", "PolicyError", "FactsError", "ColumnError"]


def _encode(value: Any) -> str:
    """Facts as JSON text, exactly: a Decimal is written as a JSON number
    with its own digits (`Decimal("0.85")` is `0.85`, a fraction for a
    percent, as a JSON number would be), never through a float; a date as
    `"YYYY-MM-DD"`."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, _decimal.Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot pass {value} as a fact")
        return format(value, "f")
    if isinstance(value, (int, float)):
        return _json.dumps(value)
    if isinstance(value, str):
        return _json.dumps(value, ensure_ascii=False)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return '"' + value.isoformat()[:10] + '"'
    if isinstance(value, dict):
        return "{" + ", ".join(_json.dumps(str(k), ensure_ascii=False) + ": " + _encode(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_encode(v) for v in value) + "]"
    raise TypeError(f"cannot pass {type(value).__name__} as a fact")


def _date(as_of: Optional[Any]) -> Optional[str]:
    if as_of is None:
        return None
    if isinstance(as_of, (_dt.date, _dt.datetime)):
        return as_of.isoformat()[:10]
    return str(as_of)


def _kind(table: Any) -> str:
    """Which library a table comes from: ``pyarrow``, ``pandas`` or ``polars``."""
    if isinstance(table, (_pa.Table, _pa.RecordBatchReader, _pa.RecordBatch)):
        return "pyarrow"
    module = type(table).__module__.split(".")[0]
    if module in ("pandas", "polars"):
        return module
    return "pyarrow"


def _to_arrow(table: Any) -> Any:
    """A pyarrow Table or RecordBatchReader from a pyarrow, pandas or polars
    table. Pandas goes through ``pa.Table.from_pandas`` (``decimal.Decimal``
    objects become decimal128, exactly; the index is dropped); polars
    through ``DataFrame.to_arrow`` (its Decimal columns are decimal128)."""
    if isinstance(table, (_pa.Table, _pa.RecordBatchReader)):
        return table
    if isinstance(table, _pa.RecordBatch):
        return _pa.Table.from_batches([table])
    kind = _kind(table)
    if kind == "pandas":
        return _pa.Table.from_pandas(table, preserve_index=False)
    if kind == "polars":
        return table.to_arrow()
    return _pa.table(table)


def _batches(table: Any) -> Any:
    """The schema and an iterator of record batches of a table of any kind
    (handed to the engine one by one, zero copy)."""
    t = _to_arrow(table)
    if isinstance(t, _pa.RecordBatchReader):
        return t.schema, iter(t)
    return t.schema, iter(t.to_batches())


def _from_arrow(table: _pa.Table, to: str) -> Any:
    """The result in the library asked for: pyarrow (as is), pandas
    (decimals as ``decimal.Decimal`` objects, structs as dicts), or polars
    (decimals as ``pl.Decimal``)."""
    if to == "pyarrow":
        return table
    if to == "pandas":
        return table.to_pandas()
    if to == "polars":
        import polars as pl

        return pl.from_arrow(table)
    raise ValueError(f"to={to!r}: expected 'pyarrow', 'pandas' or 'polars'")


class Impact:
    """The impact of an amendment over a population (:meth:`Engine.impact`).

    * ``report``: per benefit, the status changes (``transitions``: from →
      to with a count), ``amount_changed``, ``total_before``/``total_after``/
      ``total_change`` (exact decimal text), the distribution of the
      per-applicant changes (``changes``: buckets and quantiles) and
      ``examples`` (applicants with both versions' outcomes);
    * ``table``: one row per applicant: ``row``, the kept columns, and per
      benefit a struct ``status_before``, ``status_after``,
      ``amount_before``, ``amount_after``, ``delta`` (decimal128, exact),
      ``changed``;
    * ``text``: the report as ``policy impact`` prints it.
    """

    def __init__(self, report: Dict[str, Any], text: str, table: Any) -> None:
        self.report = report
        self.text = text
        self.table = table

    def benefit(self, benefit_id: str) -> Dict[str, Any]:
        """One benefit's part of the report."""
        for b in self.report["benefits"]:
            if b["id"] == benefit_id:
                return b
        raise KeyError(benefit_id)

    def total_change(self, benefit_id: str) -> Optional[_decimal.Decimal]:
        """The change in a benefit's total cost (new − base), exactly."""
        v = self.benefit(benefit_id)["total_change"]
        return None if v is None else _decimal.Decimal(v)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<Impact {self.report['base_policy']} → {self.report['new_policy']}: {self.report['applicants']} applicants>"


class Engine:
    """The compiled policies of a folder (``.policy`` files and their imports).

    Raises :class:`PolicyError` when a policy does not compile.
    """

    def __init__(self, policies_dir: str) -> None:
        self._dir = str(policies_dir)
        self._native = _NativeEngine(self._dir)

    @property
    def policies_dir(self) -> str:
        """The folder the policies were loaded from."""
        return self._dir

    def policies(self) -> List[str]:
        """The ids of the loaded policies."""
        return list(self._native.policies())

    def decide(
        self,
        policy_id: str,
        facts: Dict[str, Any],
        *,
        as_of: Optional[Any] = None,
        benefits: Optional[Sequence[str]] = None,
        trace: bool = False,
    ) -> Dict[str, Any]:
        """Decides one applicant; the decision as a dict (money as decimal text).

        Raises :class:`FactsError` when the facts do not fit the policy and
        :class:`PolicyError` for an unknown policy or benefit.
        """
        text = _encode(facts)
        out = self._native.decide_json(policy_id, text, _date(as_of), list(benefits) if benefits else None, trace)
        return _json.loads(out)

    def decide_table(
        self,
        policy_id: str,
        table: Any,
        *,
        as_of: Optional[Any] = None,
        benefits: Optional[Sequence[str]] = None,
        keep: Optional[Sequence[str]] = None,
        plain_status: bool = False,
        to: Optional[str] = None,
    ) -> Any:
        """Decides every row of a table: a pyarrow Table (or
        RecordBatchReader), a pandas DataFrame or a polars DataFrame.

        The columns are the policy's facts (see :meth:`fact_schema`); a null
        is a fact not supplied. Money and decimals must be exact: decimal128
        in Arrow, ``decimal.Decimal`` objects in pandas (``pa.Table.from_pandas``
        makes them decimal128), ``pl.Decimal`` in polars; floats are refused.
        ``keep`` names columns copied to the result (an applicant id). The
        result has those columns, ``error`` (why a row was not decided) and
        one struct column per benefit: ``status``, ``amount``
        (decimal128(38, 10), exact), ``failed`` and ``missing``.

        The result is of the input's kind (pyarrow in, pyarrow out; pandas
        in, pandas out with ``decimal.Decimal`` amounts; polars in, polars
        out), or of ``to`` (``"pyarrow"``, ``"pandas"``, ``"polars"``).

        Raises :class:`ColumnError` naming a column that does not fit.
        """
        out_kind = to or _kind(table)
        schema, batches = _batches(table)
        reader = self._native.decide_stream(
            policy_id,
            schema,
            batches,
            _date(as_of),
            list(benefits) if benefits else None,
            list(keep) if keep else None,
            plain_status or out_kind != "pyarrow",
        )
        return _from_arrow(reader.read_all(), out_kind)

    def impact(
        self,
        base: str,
        new: str,
        table: Any,
        *,
        as_of: Optional[Any] = None,
        benefits: Optional[Sequence[str]] = None,
        keep: Optional[Sequence[str]] = None,
        examples: int = 3,
        plain_status: bool = False,
        to: Optional[str] = None,
    ) -> Impact:
        """What an amendment changes over a population: every row of
        ``table`` (pyarrow, pandas or polars, as :meth:`decide_table` takes
        it) is decided by ``base`` and by ``new``, each a policy id of this
        engine or a path to a ``.policy`` file (an amended copy).

        Returns an :class:`Impact`: the report (status changes, amount
        changes, exact totals before and after, the distribution of the
        changes, examples with both outcomes side by side, as ``policy
        impact`` gives them) and the per-applicant table (of the input's
        kind, or of ``to``); statuses as dictionary-encoded strings in
        pyarrow unless ``plain_status``.
        """
        out_kind = to or _kind(table)
        schema, batches = _batches(table)
        report, text, reader = self._native.impact_stream(
            str(base),
            str(new),
            schema,
            batches,
            _date(as_of),
            list(benefits) if benefits else None,
            list(keep) if keep else None,
            int(examples),
            plain_status or out_kind != "pyarrow",
        )
        return Impact(_json.loads(report), text, _from_arrow(reader.read_all(), out_kind))

    def sample(self, policy_id: str, n: int, *, seed: int = 0, to: str = "pyarrow") -> Any:
        """``n`` synthetic applicants drawn from a policy's declarations,
        weighted toward its thresholds (``policy sample``); the same seed
        gives the same applicants. A pyarrow Table in the policy's
        canonical schema (or pandas/polars with ``to``)."""
        reader = self._native.sample_stream(policy_id, int(n), int(seed))
        return _from_arrow(reader.read_all(), to)

    def fact_schema(self, policy_id: str) -> _pa.Schema:
        """The canonical Arrow schema of a policy's facts."""
        return self._native.fact_schema(policy_id)
