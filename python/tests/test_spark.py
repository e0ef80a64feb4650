"""Spark local mode: a generated population in several partitions gets
exactly the decisions of the single-machine path (`Engine.decide_table`).

Skips when pyspark or Java is missing, except under CI=true, where a
missing tool is a failure."""

import decimal
import os
import random
import shutil
import sys

import pyarrow as pa
import pytest

import policy

POLICY = "jiaxing.digital_training_2021"
ROWS = int(os.environ.get("POLICY_SPARK_ROWS", "50000"))
PARTITIONS = 4


def _need(what: str, ok: bool) -> None:
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI=true")
    pytest.skip(f"{what} is not installed: the Spark test is skipped")


def population(n: int, seed: int) -> pa.Table:
    """Applicants on both sides of the policy's thresholds (32 lesson hours
    = 24 clock hours, 70% attendance, the 2021 window), some facts missing."""
    rnd = random.Random(seed)
    import datetime
    import decimal

    def maybe(v):
        return None if rnd.random() < 0.05 else v

    hours = [maybe(rnd.choice([0, 23, 24, 25, 47, 48, 49, 71, 72, 120, rnd.randint(0, 200)])) for _ in range(n)]
    attendance = [
        maybe(decimal.Decimal(rnd.choice(["0.69", "0.70", "0.71", "0.85", "1"])).quantize(decimal.Decimal("0.01"))) for _ in range(n)
    ]
    end = [maybe(datetime.date(2021, 1, 1) + datetime.timedelta(days=rnd.randint(-30, 400))) for _ in range(n)]
    # The policy's districts, and one it does not know (a row error).
    districts = ["nanhu", "xiuzhou", "jingkai", "jiashan", "pinghu", "haiyan", "haining", "tongxiang", "gangqu", "elsewhere"]
    return pa.table(
        {
            "id": pa.array(range(n), pa.int64()),
            "clock_hours": pa.array(hours, pa.int64()),
            "attendance": pa.array(attendance, pa.decimal128(5, 2)),
            "has_certificate": pa.array([maybe(rnd.random() < 0.8) for _ in range(n)], pa.bool_()),
            "training_end": pa.array(end, pa.date32()),
            "institution_district": pa.array([maybe(rnd.choice(districts)) for _ in range(n)], pa.string()),
            "designated_institution": pa.array([maybe(rnd.random() < 0.9) for _ in range(n)], pa.bool_()),
            "enterprise_employee": pa.array([maybe(rnd.random() < 0.5) for _ in range(n)], pa.bool_()),
        }
    )


def test_spark_decides_as_one_machine(policies_dir):
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession
    except ImportError:
        pyspark = None
    _need("pyspark", pyspark is not None)
    _need("java", shutil.which("java") is not None)
    import policy.spark

    # The executors' Python workers must be this interpreter (the venv with
    # the wheel and pyarrow), not whatever `python3` is on the PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    engine = policy.Engine(policies_dir)
    table = population(ROWS, seed=7)
    local = engine.decide_table(POLICY, table, as_of="2021-10-15", keep=["id"], plain_status=True)

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("policy-spark-test")
        .config("spark.sql.shuffle.partitions", str(PARTITIONS))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "5000")
        .getOrCreate()
    )
    try:
        try:
            df = spark.createDataFrame(table)  # Spark 4 takes a pyarrow Table
        except TypeError:
            df = spark.createDataFrame(table.to_pylist())
        df = df.repartition(PARTITIONS)
        assert df.rdd.getNumPartitions() == PARTITIONS
        out = policy.spark.decide(df, POLICY, policies_dir, as_of="2021-10-15", keep=["id"])
        rows = out.toArrow() if hasattr(out, "toArrow") else pa.Table.from_pandas(out.toPandas())
    finally:
        spark.stop()
    got = {r["id"]: r for r in rows.to_pylist()}
    want = {r["id"]: r for r in local.to_pylist()}
    assert len(got) == len(want) == ROWS
    statuses = set()
    for i, w in want.items():
        g = got[i]
        assert g["error"] == w["error"], i
        assert g["training_subsidy"] == w["training_subsidy"], i
        statuses.add(w["training_subsidy"]["status"])
    assert {"eligible", "ineligible", "undetermined", "not_applicable"} <= statuses


def test_spark_impact_sums_as_one_machine(policies_dir, tmp_path):
    """`policy.spark.impact` over a sampled population in several
    partitions: per applicant the same before/after as `Engine.impact`, and
    `impact_totals` (summed on the cluster, exact decimals) the same
    transitions and totals as the one-machine report."""
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession
    except ImportError:
        pyspark = None
    _need("pyspark", pyspark is not None)
    _need("java", shutil.which("java") is not None)
    import pathlib

    import policy.spark

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    src = pathlib.Path(policies_dir) / "jiaxing"
    dst = tmp_path / "policies" / "jiaxing"
    dst.mkdir(parents=True)
    text = (src / "digital_training_2021.policy").read_text(encoding="utf-8")
    (dst / "digital_training_2021.policy").write_text(text.replace("=> 800 yuan", "=> 900 yuan"), encoding="utf-8")
    (dst / "digital_training_2021.source.txt").write_bytes((src / "digital_training_2021.source.txt").read_bytes())
    amended = str(dst / "digital_training_2021.policy")

    engine = policy.Engine(policies_dir)
    n = min(ROWS, 20000)
    table = engine.sample(POLICY, n, seed=3).append_column("id", pa.array(range(n), pa.int64()))
    local = engine.impact(POLICY, amended, table, as_of="2021-10-15", keep=["id"], plain_status=True)

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("policy-spark-impact-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "3000")
        .getOrCreate()
    )
    try:
        try:
            df = spark.createDataFrame(table)
        except TypeError:
            df = spark.createDataFrame(table.to_pylist())
        df = df.repartition(PARTITIONS)
        out = policy.spark.impact(df, POLICY, amended, policies_dir, as_of="2021-10-15", keep=["id"])
        totals = policy.spark.impact_totals(out, "training_subsidy")
        rows = out.toArrow() if hasattr(out, "toArrow") else pa.Table.from_pandas(out.toPandas())
    finally:
        spark.stop()
    want = {r["id"]: r["training_subsidy"] for r in local.table.to_pylist()}
    got = {r["id"]: r["training_subsidy"] for r in rows.to_pylist()}
    assert got == want
    report = local.benefit("training_subsidy")
    assert totals["transitions"] == {(t["from"], t["to"]): t["count"] for t in report["transitions"]}
    assert totals["total_before"] == decimal.Decimal(report["total_before"])
    assert totals["total_after"] == decimal.Decimal(report["total_after"])
    assert totals["amount_changed"] == report["amount_changed"] > 0
