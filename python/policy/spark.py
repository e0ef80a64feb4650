"""Deciding a Spark DataFrame: each executor decides its own partitions
with the columnar path, through ``mapInArrow`` (Arrow batches in and out, no
row-by-row Python).

The executors need the ``policy-engine`` wheel installed and the policies
folder at the same path (ship it with ``--files``/``--archives`` or a shared
file system); see docs/scale.md.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence

import pyarrow as pa

from . import Engine

__all__ = ["decide", "output_schema", "impact", "impact_schema", "impact_totals"]

_ENGINES: dict = {}


def _engine(policies_dir: str) -> Engine:
    # One engine per executor process and folder: compiled once, reused by
    # every partition the process decides.
    e = _ENGINES.get(policies_dir)
    if e is None:
        e = Engine(policies_dir)
        _ENGINES[policies_dir] = e
    return e


def output_schema(policy_id: str, policies_dir: str, input_schema: pa.Schema, keep: Sequence[str] = ()) -> pa.Schema:
    """The Arrow schema of the decisions of rows with ``input_schema``."""
    empty = input_schema.empty_table()
    return _engine(policies_dir).decide_table(policy_id, empty, keep=list(keep), plain_status=True).schema


def decide(
    df: Any,
    policy_id: str,
    policies_dir: str,
    *,
    as_of: Optional[str] = None,
    keep: Sequence[str] = (),
    benefits: Optional[Sequence[str]] = None,
) -> Any:
    """Decides every row of a Spark DataFrame whose columns are the policy's
    facts (plus ``keep`` columns copied through); returns a DataFrame of
    decisions: the kept columns, ``error``, and a struct per benefit
    (``status`` string, ``amount`` decimal(38,10), ``failed``, ``missing``).
    """
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    keep = list(keep)
    benefits = list(benefits) if benefits else None
    arrow_in = to_arrow_schema(df.schema)
    arrow_out = output_schema(policy_id, policies_dir, arrow_in, keep)
    spark_out = from_arrow_schema(arrow_out)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        engine = _engine(policies_dir)
        for batch in batches:
            table = engine.decide_table(
                policy_id, pa.Table.from_batches([batch]), as_of=as_of, keep=keep, benefits=benefits, plain_status=True
            )
            if table.schema != arrow_out:
                # Spark may hand string columns as large_string; the kept
                # columns go back as the schema declared them.
                table = table.cast(arrow_out)
            for out in table.to_batches():
                yield out

    return df.mapInArrow(run, spark_out)


def impact_schema(base: str, new: str, policies_dir: str, input_schema: pa.Schema, keep: Sequence[str] = ()) -> pa.Schema:
    """The Arrow schema of :func:`impact`'s rows for input rows with ``input_schema``."""
    empty = input_schema.empty_table()
    result = _engine(policies_dir).impact(base, new, empty, keep=list(keep), examples=0, plain_status=True)
    return result.table.drop_columns(["row"]).schema


def impact(
    df: Any,
    base: str,
    new: str,
    policies_dir: str,
    *,
    as_of: Optional[str] = None,
    keep: Sequence[str] = (),
    benefits: Optional[Sequence[str]] = None,
) -> Any:
    """Decides every row of a Spark DataFrame with two versions of a policy
    (``base`` and ``new``: policy ids under ``policies_dir``, or paths to
    ``.policy`` files present on every executor); returns a DataFrame with
    one row per applicant: the ``keep`` columns, then per benefit a struct
    ``status_before``, ``status_after`` (strings), ``amount_before``,
    ``amount_after``, ``delta`` (decimal(38,10), exact) and ``changed``.
    :func:`impact_totals` sums it up per benefit.
    """
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    keep = list(keep)
    benefits = list(benefits) if benefits else None
    arrow_in = to_arrow_schema(df.schema)
    arrow_out = impact_schema(base, new, policies_dir, arrow_in, keep)
    spark_out = from_arrow_schema(arrow_out)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        engine = _engine(policies_dir)
        for batch in batches:
            result = engine.impact(
                base, new, pa.Table.from_batches([batch]), as_of=as_of, keep=keep, benefits=benefits, examples=0, plain_status=True
            )
            table = result.table.drop_columns(["row"])
            if table.schema != arrow_out:
                table = table.cast(arrow_out)
            for out in table.to_batches():
                yield out

    return df.mapInArrow(run, spark_out)


def impact_totals(impact_df: Any, benefit: str) -> dict:
    """Sums :func:`impact`'s rows for one benefit on the cluster: applicants
    per (status before, status after), total amount before and after
    (exact decimal sums), applicants whose amount changed. Returns a dict
    with ``transitions`` {(from, to): count}, ``total_before``,
    ``total_after`` (``decimal.Decimal``) and ``amount_changed``."""
    from pyspark.sql import functions as F

    b = F.col(benefit)
    rows = (
        impact_df.groupBy(b["status_before"].alias("from"), b["status_after"].alias("to"))
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(b["amount_before"]).alias("before"),
            F.sum(b["amount_after"]).alias("after"),
            F.sum(F.when(b["changed"] & (b["status_before"] == b["status_after"]), 1).otherwise(0)).alias("amount_changed"),
        )
        .collect()
    )
    import decimal

    zero = decimal.Decimal(0)
    return {
        "transitions": {(r["from"] or "none", r["to"] or "none"): r["n"] for r in rows},
        "total_before": sum((r["before"] or zero for r in rows), zero),
        "total_after": sum((r["after"] or zero for r in rows), zero),
        "amount_changed": sum(r["amount_changed"] for r in rows),
    }
