"""`Engine.sample`, `Engine.impact` and pandas/polars tables.

The impact of a raised figure over a sampled population is what deciding
every applicant with both versions (`Engine.decide`, one dict at a time)
gives; pandas and polars DataFrames decide as the pyarrow Table they come
from, with exact decimals both ways. pandas, polars and matplotlib tests
skip when the library is missing, except under CI=true, where a missing
library is a failure."""

import collections
import decimal
import importlib
import os
import pathlib
import subprocess
import sys

import pyarrow as pa
import pytest

import policy

POLICY = "jiaxing.digital_training_2021"
BENEFIT = "training_subsidy"
AS_OF = "2021-10-15"
ROOT = pathlib.Path(__file__).resolve().parents[2]


def _need(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{module} is required under CI=true")
        pytest.skip(f"{module} is not installed")


@pytest.fixture(scope="module")
def engine(policies_dir):
    return policy.Engine(policies_dir)


@pytest.fixture(scope="module")
def amended(tmp_path_factory, policies_dir):
    """An amended copy of the notice: the 800 yuan tier raised to 900."""
    root = tmp_path_factory.mktemp("amended") / "policies" / "jiaxing"
    root.mkdir(parents=True)
    src = pathlib.Path(policies_dir) / "jiaxing"
    text = (src / "digital_training_2021.policy").read_text(encoding="utf-8")
    raised = text.replace("=> 800 yuan", "=> 900 yuan")
    assert raised != text
    (root / "digital_training_2021.policy").write_text(raised, encoding="utf-8")
    (root / "digital_training_2021.source.txt").write_bytes((src / "digital_training_2021.source.txt").read_bytes())
    return str(root / "digital_training_2021.policy")


def _facts(row):
    out = {}
    for k, v in row.items():
        if v is None:
            continue
        if k == "attendance":
            # A percent column holds the fraction; as a dict fact it is text.
            v = format(decimal.Decimal(v) * 100, "f") + "%"
        out[k] = v
    return out


def test_sample_is_deterministic_and_typed(engine):
    a = engine.sample(POLICY, 2000, seed=4)
    assert a.equals(engine.sample(POLICY, 2000, seed=4))
    assert not a.equals(engine.sample(POLICY, 2000, seed=5))
    assert a.schema == engine.fact_schema(POLICY)
    assert a.num_rows == 2000


def test_impact_equals_deciding_every_applicant(engine, amended):
    population = engine.sample(POLICY, 3000, seed=2).append_column("id", pa.array(range(3000), pa.int64()))
    impact = engine.impact(POLICY, amended, population, as_of=AS_OF, keep=["id"], examples=2)
    base = engine
    new_text = pathlib.Path(amended)
    transitions = collections.Counter()
    before = after = decimal.Decimal(0)
    changed = 0
    rows = population.to_pylist()
    # The new version is the file; decide it through a second engine over its folder.
    new_engine = policy.Engine(str(new_text.parent.parent))
    for row in rows:
        facts = _facts({k: v for k, v in row.items() if k != "id"})
        b = base.decide(POLICY, facts, as_of=AS_OF)["benefits"][0]
        n = new_engine.decide(POLICY, facts, as_of=AS_OF)["benefits"][0]
        transitions[(b["status"], n["status"])] += 1
        ab, an = decimal.Decimal(b.get("amount") or 0), decimal.Decimal(n.get("amount") or 0)
        before += ab
        after += an
        changed += ab != an
    got = impact.benefit(BENEFIT)
    assert {(t["from"], t["to"]): t["count"] for t in got["transitions"]} == dict(transitions)
    assert decimal.Decimal(got["total_before"]) == before
    assert decimal.Decimal(got["total_after"]) == after
    assert impact.total_change(BENEFIT) == after - before > 0
    assert got["amount_changed"] == changed > 0
    assert got["changes"]["buckets"] == [{"low": "100.00", "count": changed}]
    assert 0 < len(got["examples"]) <= 2
    assert "eligible 800.00  eligible 900.00" in impact.text
    # One row per applicant, the id kept, the deltas adding up exactly.
    table = impact.table
    assert table.column("id").to_pylist() == list(range(3000))
    deltas = [r[BENEFIT]["delta"] for r in table.select([BENEFIT]).to_pylist()]
    assert sum(deltas, decimal.Decimal(0)) == after - before


def test_pandas_in_pandas_out_with_exact_decimals(engine):
    pd = _need("pandas")
    population = engine.sample(POLICY, 1500, seed=8)
    df = population.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert all(isinstance(x, decimal.Decimal) for x in df["attendance"].dropna())
    out = engine.decide_table(POLICY, df, as_of=AS_OF)
    assert isinstance(out, pd.DataFrame)
    want = engine.decide_table(POLICY, population, as_of=AS_OF, plain_status=True).to_pylist()
    assert len(out) == len(want)
    for got, w in zip(out[BENEFIT], want):
        assert got["status"] == w[BENEFIT]["status"]
        assert got["amount"] == w[BENEFIT]["amount"]
        assert got["amount"] is None or isinstance(got["amount"], decimal.Decimal)
    # Asked for pyarrow: a Table.
    assert isinstance(engine.decide_table(POLICY, df, as_of=AS_OF, to="pyarrow"), pa.Table)
    # A pandas DataFrame built by hand, money as Decimal objects.
    hand = pd.DataFrame(
        {
            "clock_hours": [decimal.Decimal("24"), decimal.Decimal("23.99")],
            "attendance": [decimal.Decimal("0.85"), decimal.Decimal("0.85")],
            "has_certificate": [True, True],
            "training_end": pd.to_datetime(["2021-09-30", "2021-09-30"]).date,
            "institution_district": ["nanhu", "nanhu"],
            "designated_institution": [True, True],
            "enterprise_employee": [True, True],
        }
    )
    out = engine.decide_table(POLICY, hand, as_of=AS_OF)
    assert [x["status"] for x in out[BENEFIT]] == ["eligible", "ineligible"]
    assert out[BENEFIT][0]["amount"] == decimal.Decimal("800")


def test_polars_in_polars_out_with_exact_decimals(engine):
    pl = _need("polars")
    population = engine.sample(POLICY, 1500, seed=9)
    df = pl.from_arrow(population)
    out = engine.decide_table(POLICY, df, as_of=AS_OF)
    assert isinstance(out, pl.DataFrame)
    amount = {f.name: f.dtype for f in out.schema[BENEFIT].fields}["amount"]
    assert amount == pl.Decimal(38, 10), amount
    want = engine.decide_table(POLICY, population, as_of=AS_OF, plain_status=True).to_pylist()
    got = out.to_arrow().to_pylist()
    assert [g[BENEFIT]["status"] for g in got] == [w[BENEFIT]["status"] for w in want]
    assert [g[BENEFIT]["amount"] for g in got] == [w[BENEFIT]["amount"] for w in want]


def test_impact_of_a_pandas_population_is_a_pandas_table(engine, amended):
    pd = _need("pandas")
    df = engine.sample(POLICY, 500, seed=1).to_pandas()
    impact = engine.impact(POLICY, amended, df, as_of=AS_OF)
    assert isinstance(impact.table, pd.DataFrame)
    total = sum((r["delta"] for r in impact.table[BENEFIT]), decimal.Decimal(0))
    assert total == impact.total_change(BENEFIT)


def test_an_unknown_version_is_a_policy_error(engine):
    with pytest.raises(policy.PolicyError, match="nope"):
        engine.impact(POLICY, "nope", engine.sample(POLICY, 3))


def test_the_impact_plot_example_writes_a_png(tmp_path, policies_dir):
    _need("matplotlib")
    out = tmp_path / "impact.png"
    script = ROOT / "python" / "examples" / "impact_plot.py"
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run(
        [sys.executable, str(script), "--policies", policies_dir, "--n", "20000", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert "total cost:" in r.stdout
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
