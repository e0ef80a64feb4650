"""Throughput of `policy.spark.decide` in Spark local mode, beside the
one-machine path, on a sampled population (docs/scale.md).

    python python/bench/spark_throughput.py --policies policies --rows 3000000 --cores 1 2

Writes the population once as Parquet (`Engine.sample`, seeded), then for
each measurement reads it and decides every row, timing the whole job:

* `decide_table`: the population read with pyarrow, decided in-process by
  `Engine.decide_table` (the engine's own threads, every core);
* `spark local[k]`: the Parquet file read by Spark with k cores and decided
  by `policy.spark.decide` (mapInArrow), written to Spark's `noop` sink so
  that every row is decided and nothing is collected.

Rows per second are wall-clock, best of --repeat runs. The machine's load
average is printed beside each figure: on a shared machine the figures are
only as quiet as it is.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

import pyarrow.parquet as pq

import policy

POLICY = "jiaxing.digital_training_2021"
AS_OF = "2021-10-15"


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def best(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policies", default="policies")
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--cores", type=int, nargs="*", default=[1, 2], help="Spark local[k] for each k (none: one machine only)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--batch", type=int, default=65536, help="spark.sql.execution.arrow.maxRecordsPerBatch")
    ap.add_argument("--dir", default=None, help="where the population goes (default: a temporary folder)")
    args = ap.parse_args()
    policies = str(pathlib.Path(args.policies).resolve())
    engine = policy.Engine(policies)
    work = pathlib.Path(args.dir or tempfile.mkdtemp(prefix="policy-spark-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"population-{args.rows}.parquet"
    if not path.exists():
        t = time.perf_counter()
        writer = None
        done = 0
        seed = 7
        while done < args.rows:
            k = min(1_000_000, args.rows - done)
            chunk = engine.sample(POLICY, k, seed=seed + done)
            writer = writer or pq.ParquetWriter(path, chunk.schema)
            writer.write_table(chunk)
            done += k
        writer.close()
        print(f"sampled {args.rows:,} applicants in {time.perf_counter() - t:.1f} s → {path}")

    def one_machine():
        table = pq.read_table(path)
        out = engine.decide_table(POLICY, table, as_of=AS_OF)
        assert out.num_rows == args.rows

    s = best(one_machine, args.repeat)
    threads = os.environ.get("RAYON_NUM_THREADS") or os.cpu_count()
    print(f"decide_table (one process, {threads} threads): {args.rows / s:,.0f} rows/s ({s:.1f} s; {load()})")

    if not args.cores:
        return
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    import policy.spark as policy_spark

    for k in args.cores:
        spark = (
            SparkSession.builder.master(f"local[{k}]")
            .appName(f"policy-bench-local-{k}")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(args.batch))
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        try:

            def run():
                df = spark.read.parquet(str(path))
                out = policy_spark.decide(df, POLICY, policies, as_of=AS_OF)
                out.write.format("noop").mode("overwrite").save()

            run()  # warm up: executors' Python workers and the engine compiled once
            s = best(run, args.repeat)
            print(f"spark local[{k}]: {args.rows / s:,.0f} rows/s ({s:.1f} s; {load()})")
        finally:
            spark.stop()


if __name__ == "__main__":
    main()
