"""The policy engine for Python: exact, explained decisions.

Three scales, one engine:

* one applicant: ``Engine("policies").decide("jiaxing.digital_training_2021", {...})``
* one machine: ``Engine("policies").decide_table(policy_id, pyarrow_table)``
* a cluster: ``policy.spark.decide(df, policy_id, "policies")``

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

__all__ = ["Engine", "PolicyError", "FactsError", "ColumnError"]


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
    ) -> _pa.Table:
        """Decides every row of a pyarrow Table (or RecordBatchReader, or a
        pandas/polars DataFrame, converted with ``pyarrow.table``).

        The columns are the policy's facts (see :meth:`fact_schema`); a null
        is a fact not supplied. ``keep`` names columns copied to the result
        (an applicant id). The result has those columns, ``error`` (why a row
        was not decided) and one struct column per benefit: ``status``,
        ``amount`` (decimal128(38, 10), exact), ``failed`` and ``missing``.

        Raises :class:`ColumnError` naming a column that does not fit.
        """
        if not isinstance(table, (_pa.Table, _pa.RecordBatchReader)):
            table = _pa.table(table)
        reader = self._native.decide_stream(
            policy_id,
            table,
            _date(as_of),
            list(benefits) if benefits else None,
            list(keep) if keep else None,
            plain_status,
        )
        return reader.read_all()

    def fact_schema(self, policy_id: str) -> _pa.Schema:
        """The canonical Arrow schema of a policy's facts."""
        return self._native.fact_schema(policy_id)
