"""The Python binding decides as the engine does: one applicant as a dict,
a pyarrow Table row for row the same as one dict per row, errors as Python
exceptions."""

import decimal
import itertools
import json

import pyarrow as pa
import pytest

import policy
from conftest import case_files


@pytest.fixture(scope="module")
def engine(policies_dir):
    return policy.Engine(policies_dir)


def test_every_golden_case_decides_as_expected(engine):
    checked = 0
    for cf in case_files():
        for case in cf["cases"]:
            d = engine.decide(cf["policy"], case["facts"], as_of=case.get("as_of"))
            by_id = {b["id"]: b for b in d["benefits"]}
            for benefit, want in case["expect"].items():
                got = by_id[benefit]
                assert got["status"] == want["status"], (cf["policy"], case["name"], benefit)
                if "amount" in want:
                    assert decimal.Decimal(got["amount"]) == decimal.Decimal(want["amount"]), (case["name"], benefit)
                checked += 1
    assert checked > 50


def _row_view(decision, benefits):
    by_id = {b["id"]: b for b in decision["benefits"]}
    out = []
    for b in benefits:
        x = by_id[b]
        amount = x.get("amount")
        out.append(
            (
                x["status"],
                None if amount is None else decimal.Decimal(amount).normalize(),
                [f["id"] for f in x.get("failed", [])],
                list(x.get("missing", [])),
            )
        )
    return out


def _table_view(row, benefits):
    out = []
    for b in benefits:
        x = row[b]
        amount = x["amount"]
        out.append((x["status"], None if amount is None else amount.normalize(), list(x["failed"]), list(x["missing"])))
    return out


def test_decide_table_equals_decide_per_row_on_every_golden_case(engine):
    files = 0
    rows_compared = 0
    for cf in case_files():
        pid = cf["policy"]
        cases = sorted(cf["cases"], key=lambda c: c.get("as_of") or "")
        for as_of, group in itertools.groupby(cases, key=lambda c: c.get("as_of")):
            group = list(group)
            # pyarrow takes the columns from the first row: give every row
            # every key (None where a case leaves a fact out).
            keys = list(dict.fromkeys(k for c in group for k in c["facts"]))
            facts = [{k: c["facts"].get(k) for k in keys} for c in group]
            # A column whose cases mix JSON types (24 and "23.25") goes as
            # text, which the engine reads as it reads JSON facts.
            for k in keys:
                kinds = {type(f[k]) for f in facts if f[k] is not None}
                if len(kinds) > 1 and not kinds & {dict, list}:
                    for f in facts:
                        if f[k] is not None and not isinstance(f[k], str):
                            f[k] = json.dumps(f[k])
            table = pa.Table.from_pylist(facts)
            table = table.append_column("case", pa.array([c["name"] for c in group]))
            out = engine.decide_table(pid, table, as_of=as_of, keep=["case"]).to_pylist()
            assert len(out) == len(group)
            for row, case in zip(out, group):
                assert row["case"] == case["name"]
                single = engine.decide(pid, case["facts"], as_of=as_of)
                benefits = [b["id"] for b in single["benefits"]]
                assert row["error"] is None, row["error"]
                assert _table_view(row, benefits) == _row_view(single, benefits), (pid, case["name"])
                rows_compared += 1
        files += 1
    assert files >= 5 and rows_compared > 50


def test_money_as_decimal_and_dates_as_date(engine):
    import datetime

    facts = {
        "clock_hours": 24,
        "attendance": decimal.Decimal("0.85"),
        "has_certificate": True,
        "training_end": datetime.date(2021, 9, 30),
        "institution_district": "nanhu",
        "designated_institution": True,
        "enterprise_employee": True,
    }
    d = engine.decide("jiaxing.digital_training_2021", facts, as_of=datetime.date(2021, 10, 15))
    assert d["benefits"][0]["status"] == "eligible"
    assert decimal.Decimal(d["benefits"][0]["amount"]) == 800


def test_fact_schema_is_typed_from_the_declarations(engine):
    schema = engine.fact_schema("jiaxing.digital_training_2021")
    assert schema.field("attendance").type == pa.decimal128(38, 10)
    assert schema.field("training_end").type == pa.date32()
    assert schema.field("has_certificate").type == pa.bool_()


def test_errors_are_exceptions(engine):
    with pytest.raises(policy.PolicyError, match="no policy `nope`"):
        engine.decide("nope", {})
    with pytest.raises(policy.FactsError, match="clock_hours"):
        engine.decide("jiaxing.digital_training_2021", {"clock_hours": "many"})
    with pytest.raises(policy.ColumnError, match="column `clock_hourz`"):
        engine.decide_table("jiaxing.digital_training_2021", pa.table({"clock_hourz": [1]}))
    with pytest.raises(policy.ColumnError, match="column `attendance`"):
        engine.decide_table("jiaxing.digital_training_2021", pa.table({"attendance": pa.array([0.5], pa.float64())}))
    with pytest.raises(policy.PolicyError):
        policy.Engine("/nonexistent/policies")


def test_a_row_whose_facts_do_not_fit_says_why(engine):
    t = pa.table({"clock_hours": pa.array([24, -5], pa.int64())})
    out = engine.decide_table("jiaxing.digital_training_2021", t, as_of="2021-10-15").to_pylist()
    assert out[0]["error"] is None
    assert "clock_hours" in out[1]["error"]
    assert out[1]["training_subsidy"]["status"] is None


def test_decide_table_equals_decide_per_row_on_a_generated_population(engine):
    from test_spark import POLICY, population

    table = population(3000, seed=11)
    out = engine.decide_table(POLICY, table, as_of="2021-10-15", keep=["id"]).to_pylist()
    errors = 0
    for facts, row in zip(table.to_pylist(), out):
        ident = facts.pop("id")
        assert row["id"] == ident
        facts = {k: v for k, v in facts.items() if v is not None}
        try:
            single = engine.decide(POLICY, facts, as_of="2021-10-15")
        except policy.FactsError as e:
            errors += 1
            assert row["error"] is not None and "institution_district" in str(e)
            continue
        assert row["error"] is None
        assert _table_view(row, ["training_subsidy"]) == _row_view(single, ["training_subsidy"]), facts
    assert 0 < errors < len(out) // 5


def test_decimals_are_passed_with_their_own_digits():
    # A Decimal never goes through a float: its digits reach the engine as
    # a JSON number, exactly (0.79999999999999999999 is not 80 %).
    from decimal import Decimal
    import datetime
    text = policy._encode({"rate": Decimal("0.79999999999999999999"), "day": datetime.date(2021, 6, 1), "n": 3, "ok": True, "x": None})
    assert text == '{"rate": 0.79999999999999999999, "day": "2021-06-01", "n": 3, "ok": true, "x": null}'
