//! The columnar path (facts as Arrow columns, decisions as Arrow columns)
//! gives, row for row, the decision `Plan::decide` gives for the same facts
//! as JSON: over every golden case of the bundled policies, decided at every
//! reference date their case file uses, and over each case with one fact
//! left out (a null cell), so missing facts are compared too; the outputs
//! a benefit reports are compared as typed columns (the tax-benefit example
//! under `examples/` declares outputs of several types). The column kernels
//! are on: the rows they decide must equal the row path's too, and how many
//! rows they decide is checked, so the fast path cannot be bypassed silently.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int64Type, Int8Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use policy_arrow::encode::batch_from_json;
use policy_arrow::read::decimal_of;
use policy_arrow::{BatchDecider, BatchOptions};
use policy_eval::cases::CaseFile;
use policy_eval::{DecideOptions, Engine, Plan};
use std::path::{Path, PathBuf};

fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            case_files(&p, out);
        } else if p.to_string_lossy().ends_with(".cases.json") {
            out.push(p);
        }
    }
}

/// One row of the decisions batch, read back: per benefit (status, amount,
/// failed ids, missing, outputs reported as (id, exact text)), or the row's
/// error.
type Row = Result<Vec<(String, Option<String>, Option<String>, Vec<String>, Vec<String>, Vec<(String, String)>)>, String>;

/// The outputs column of a benefit, read back as (id, text) for the values
/// present in `row`.
fn outputs(s: &arrow_array::StructArray, row: usize) -> Vec<(String, String)> {
    let Some(o) = s.column_by_name("outputs") else { return Vec::new() };
    let o = o.as_struct();
    let mut out = Vec::new();
    for (field, col) in o.fields().iter().zip(o.columns()) {
        if !col.is_valid(row) {
            continue;
        }
        let text = match field.data_type() {
            DataType::Boolean => col.as_boolean().value(row).to_string(),
            DataType::Int64 => col.as_primitive::<Int64Type>().value(row).to_string(),
            DataType::Date32 => col.as_primitive::<Date32Type>().value_as_date(row).expect("a date").format("%Y-%m-%d").to_string(),
            DataType::Utf8 => col.as_string::<i32>().value(row).to_string(),
            other => panic!("output `{}` has the unexpected type {other}", field.name()),
        };
        out.push((field.name().clone(), text));
    }
    out
}

fn strings(a: &dyn Array, row: usize) -> Vec<String> {
    let l = a.as_list::<i32>().value(row);
    let s = l.as_string::<i32>();
    (0..s.len()).map(|i| s.value(i).to_string()).collect()
}

fn read_rows(batch: &RecordBatch, benefits: &[String]) -> Vec<Row> {
    let error = batch.column_by_name("error").expect("error column");
    (0..batch.num_rows())
        .map(|row| {
            if error.is_valid(row) {
                return Err(error.as_string::<i32>().value(row).to_string());
            }
            Ok(benefits
                .iter()
                .map(|b| {
                    let s = batch.column_by_name(b).expect("benefit column").as_struct();
                    let status = s.column_by_name("status").expect("status").as_dictionary::<Int8Type>();
                    let status_text = status.key(row).map(|k| status.values().as_string::<i32>().value(k).to_string());
                    let amount = s.column_by_name("amount").expect("amount").as_primitive::<Decimal128Type>();
                    let amount = amount
                        .is_valid(row)
                        .then(|| decimal_of(amount.value(row), amount.scale()).expect("decimal").normalize().to_string());
                    let failed = strings(s.column_by_name("failed").expect("failed").as_ref(), row);
                    let missing = strings(s.column_by_name("missing").expect("missing").as_ref(), row);
                    (b.clone(), status_text, amount, failed, missing, outputs(s, row))
                })
                .collect())
        })
        .collect()
}

fn row_path(plan: &Plan, facts: &serde_json::Value, opts: &DecideOptions, benefits: &[String]) -> Row {
    let facts = plan.facts_from_json(facts).map_err(|e| e.to_string())?;
    let d = plan.decide(&facts, opts).map_err(|e| e.to_string())?;
    Ok(benefits
        .iter()
        .map(|b| {
            let x = d.benefits.iter().find(|x| *x.id == **b).expect("benefit decided");
            (
                b.clone(),
                Some(x.status.as_str().to_string()),
                x.amount.map(|a| a.normalize().to_string()),
                x.failed.iter().map(|f| f.id.to_string()).collect(),
                x.missing.iter().map(|m| m.to_string()).collect(),
                x.outputs.iter().map(|o| (o.id.to_string(), o.value.to_string())).collect(),
            )
        })
        .collect())
}

#[test]
fn columnar_decisions_equal_row_decisions_on_every_golden_case() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut compared = 0usize;
    let mut errors_compared = 0usize;
    let mut outputs_compared = 0usize;
    let mut kernel_rows = 0usize;
    for root in [policies(), examples] {
        let engine = Engine::from_dir(&root).expect("policies load");
        let mut files = Vec::new();
        case_files(&root, &mut files);
        assert!(!files.is_empty(), "the case files under {} are found", root.display());
        for file in files {
            let text = std::fs::read_to_string(&file).expect("case file");
            let cases: CaseFile = serde_json::from_str(&text).expect("case file parses");
            let plan = engine.plan(&cases.policy).expect("case policy loaded");
            let benefits: Vec<String> = plan.policy().benefits.iter().map(|b| b.id.to_string()).collect();
            // Each case, then each case with one of its facts left out.
            let mut rows: Vec<serde_json::Value> = Vec::new();
            for c in &cases.cases {
                rows.push(c.facts.clone());
                if let Some(obj) = c.facts.as_object() {
                    for key in obj.keys() {
                        let mut less = obj.clone();
                        less.remove(key);
                        rows.push(serde_json::Value::Object(less));
                    }
                }
            }
            let batch = batch_from_json(plan.policy(), &rows).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let mut dates: Vec<_> = cases.cases.iter().map(|c| c.as_of).collect();
            dates.sort();
            dates.dedup();
            for as_of in dates {
                for parallel in [false, true] {
                    let opts = BatchOptions {
                        decide: DecideOptions { reference_date: as_of, ..Default::default() },
                        parallel,
                        ..Default::default()
                    };
                    let decider = BatchDecider::new(plan, opts.clone()).expect("decider");
                    let (out, fast) = decider.decide_counted(&batch, None).expect("batch decided");
                    kernel_rows += fast;
                    if cases.policy == "jiaxing.digital_training_2021" {
                        // Every row with all its facts decides in the kernels.
                        let inputs = plan.policy().inputs.len();
                        let whole = rows.iter().filter(|r| r.as_object().is_some_and(|o| o.len() == inputs)).count();
                        assert!(whole >= 20, "{whole} rows with every fact");
                        assert!(fast >= whole, "{}: the kernels decided {fast} rows as of {as_of:?}", file.display());
                    }
                    assert_eq!(out.num_rows(), rows.len());
                    let columnar = read_rows(&out, &benefits);
                    for (i, facts) in rows.iter().enumerate() {
                        let want = row_path(plan, facts, &opts.decide, &benefits);
                        let got = columnar.get(i).expect("row");
                        match (&want, got) {
                            (Err(_), Err(_)) => errors_compared += 1,
                            _ => assert_eq!(got, &want, "{} row {i} as of {as_of:?}: {facts}", file.display()),
                        }
                        if let Ok(b) = &want {
                            outputs_compared += b.iter().map(|x| x.5.len()).sum::<usize>();
                        }
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared > 500, "compared {compared} rows");
    assert!(outputs_compared > 100, "compared {outputs_compared} outputs");
    assert!(kernel_rows > 100, "the kernels decided {kernel_rows} rows");
    let _ = errors_compared;
}
