//! The impact of an amendment over a population (`policy impact BASE NEW
//! --population FILE`): every applicant is decided by both versions and,
//! per benefit, the run counts status changes (from → to), amount changes,
//! the total cost before and after (exact), the distribution of the
//! per-applicant change in amount, and keeps the first few applicants of
//! each kind of change as examples, shown as `policy diff` shows its
//! witnesses (both versions' outcomes side by side).
//!
//! The run streams: [`ImpactRun`] takes batches (Arrow record batches, or
//! JSON lines) one at a time and holds only counts, a bounded histogram and
//! a bounded number of examples, so memory does not grow with the
//! population.
//!
//! - [`histogram`]: the bounded distribution of the changes.
//! - [`render`]: the report for people.

pub mod histogram;
pub mod render;

use crate::decide::{BatchDecider, BatchOptions, RowResult};
use crate::read::value_at;
use crate::schema::{facts_of, DECIMAL_PRECISION, DECIMAL_SCALE};
use crate::Error;
use arrow_array::{ArrayRef, BooleanArray, Decimal128Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use chrono::NaiveDate;
use histogram::DeltaHistogram;
use policy_core::checked::Type;
use policy_eval::decision::BenefitDecision;
use policy_eval::diff::Witness;
use policy_eval::{DecideOptions, Decision, FactValue, Plan, Status, TraceLevel};
use rust_decimal::Decimal;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Examples kept per kind of change, by default.
pub const DEFAULT_EXAMPLES: usize = 3;

/// How an impact run decides.
#[derive(Debug, Clone, Default)]
pub struct ImpactOptions {
    /// The reference date (default: each applicant's `application_date`,
    /// when the policy has one).
    pub reference_date: Option<NaiveDate>,
    /// Only these benefits (default: all of either version).
    pub benefits: Vec<String>,
    /// Examples kept per kind of change.
    pub examples: usize,
    /// Decide the rows of a batch on rayon's threads.
    pub parallel: bool,
    /// Input columns that are facts of neither version, allowed and
    /// ignored (an applicant id to copy to the per-applicant output).
    pub keep: Vec<String>,
}

/// The impact of an amendment, per benefit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Impact {
    /// The base version's policy id.
    pub base_policy: String,
    /// The new version's policy id.
    pub new_policy: String,
    /// Applicants read.
    pub applicants: u64,
    /// Applicants whose facts the base version refused.
    pub base_errors: u64,
    /// Applicants whose facts the new version refused.
    pub new_errors: u64,
    /// Per benefit: the new version's in declaration order, then the base's
    /// benefits the new version dropped.
    pub benefits: Vec<BenefitImpact>,
}

/// One benefit's impact.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenefitImpact {
    /// Benefit id.
    pub id: String,
    /// Applicants per (status before, status after), every pair met
    /// (unchanged ones included); `none` when the version lacks the
    /// benefit or refused the facts.
    pub transitions: Vec<Transition>,
    /// Applicants whose status changed.
    pub status_changed: u64,
    /// Applicants whose status stayed but whose amount changed.
    pub amount_changed: u64,
    /// Applicants whose decision is the same in status and amount.
    pub unchanged: u64,
    /// Total amount before (exact; `None` once it overflowed).
    #[serde(with = "policy_eval::decision::opt_money")]
    pub total_before: Option<Decimal>,
    /// Total amount after.
    #[serde(with = "policy_eval::decision::opt_money")]
    pub total_after: Option<Decimal>,
    /// `total_after - total_before`.
    #[serde(with = "policy_eval::decision::opt_money")]
    pub total_change: Option<Decimal>,
    /// The distribution of the per-applicant change in amount (after −
    /// before, a missing amount counting as 0), over the applicants whose
    /// amount changed.
    pub changes: DeltaHistogram,
    /// The first applicants of each kind of change.
    pub examples: Vec<Example>,
}

/// A (before, after) status pair and how many applicants have it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Transition {
    /// Status under the base version (`none`: no decision).
    pub from: &'static str,
    /// Status under the new version.
    pub to: &'static str,
    /// Applicants.
    pub count: u64,
}

/// One applicant of a kind of change.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Example {
    /// The kind: `eligible → ineligible`, `eligible: amount up`, ….
    pub kind: String,
    /// The applicant's row in the population (from 0).
    pub row: u64,
    /// The facts and both versions' outcomes, as `policy diff` shows a witness.
    pub witness: Witness,
}

/// One applicant's decision of one benefit under both versions (the
/// per-applicant output of `policy impact -o`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// Row in the population (from 0).
    pub row: u64,
    /// Benefit index in [`Impact::benefits`].
    pub benefit: usize,
    /// Status before (`None`: no decision).
    pub before: Option<Status>,
    /// Status after.
    pub after: Option<Status>,
    /// Amount before.
    pub amount_before: Option<Decimal>,
    /// Amount after.
    pub amount_after: Option<Decimal>,
}

impl Pair {
    /// After − before, a missing amount counting as 0; `None` on overflow.
    pub fn delta(&self) -> Option<Decimal> {
        self.amount_after.unwrap_or_default().checked_sub(self.amount_before.unwrap_or_default())
    }

    /// Whether the status or the amount changed.
    pub fn changed(&self) -> bool {
        self.before != self.after || self.amount_before != self.amount_after
    }
}

#[derive(Debug)]
struct Acc {
    id: String,
    transitions: BTreeMap<(u8, u8), u64>,
    amount_changed: u64,
    unchanged: u64,
    total_before: Option<Decimal>,
    total_after: Option<Decimal>,
    changes: DeltaHistogram,
    examples: Vec<Example>,
    examples_per_kind: BTreeMap<String, usize>,
}

const STATUS_ORDER: [Option<Status>; 5] =
    [Some(Status::Eligible), Some(Status::Ineligible), Some(Status::NotApplicable), Some(Status::Undetermined), None];

fn status_key(s: Option<Status>) -> u8 {
    STATUS_ORDER.iter().position(|x| *x == s).and_then(|i| u8::try_from(i).ok()).unwrap_or(4)
}

fn status_name(k: u8) -> &'static str {
    STATUS_ORDER.get(usize::from(k)).copied().flatten().map(Status::as_str).unwrap_or("none")
}

/// An impact run: feed it the population batch by batch, then
/// [`ImpactRun::finish`].
#[derive(Debug)]
pub struct ImpactRun<'p> {
    base: BatchDecider<'p>,
    new: BatchDecider<'p>,
    opts: ImpactOptions,
    rows: u64,
    base_errors: u64,
    new_errors: u64,
    accs: Vec<Acc>,
}

impl<'p> ImpactRun<'p> {
    /// A run comparing `base` with `new`. `Err` when a benefit asked for is
    /// in neither version.
    pub fn new(base: &'p Plan, new: &'p Plan, opts: ImpactOptions) -> Result<Self, Error> {
        let has = |p: &Plan, id: &str| p.policy().benefits.iter().any(|b| *b.id == *id);
        if let Some(id) = opts.benefits.iter().find(|id| !has(base, id) && !has(new, id)) {
            return Err(Error::Eval(policy_eval::EvalError::UnknownBenefit(id.clone())));
        }
        let mut ids: Vec<String> = new.policy().benefits.iter().map(|b| b.id.to_string()).collect();
        ids.extend(
            base.policy().benefits.iter().map(|b| b.id.to_string()).filter(|id| !new.policy().benefits.iter().any(|b| *b.id == **id)),
        );
        ids.retain(|id| opts.benefits.is_empty() || opts.benefits.contains(id));
        let decider = |p: &'p Plan, other: &Plan| {
            // A column the other version reads is ignored, not refused:
            // an amendment may add or drop an input.
            let mut keep: Vec<String> = facts_of(other.policy())
                .map(|(n, _)| n)
                .filter(|n| !facts_of(p.policy()).any(|(m, _)| m == *n))
                .map(str::to_string)
                .collect();
            keep.extend(opts.keep.iter().cloned());
            let benefits = ids.iter().filter(|id| has(p, id)).cloned().collect::<Vec<_>>();
            let decide = DecideOptions { reference_date: opts.reference_date, benefits, trace: TraceLevel::Off };
            BatchDecider::new(p, BatchOptions { decide, keep, plain_status: false, parallel: opts.parallel, row_only: false })
        };
        let base_d = decider(base, new)?;
        let new_d = decider(new, base)?;
        let accs = ids
            .into_iter()
            .map(|id| Acc {
                id,
                transitions: BTreeMap::new(),
                amount_changed: 0,
                unchanged: 0,
                total_before: Some(Decimal::ZERO),
                total_after: Some(Decimal::ZERO),
                changes: DeltaHistogram::default(),
                examples: Vec::new(),
                examples_per_kind: BTreeMap::new(),
            })
            .collect();
        Ok(ImpactRun { base: base_d, new: new_d, opts, rows: 0, base_errors: 0, new_errors: 0, accs })
    }

    /// Applicants added so far.
    pub fn applicants(&self) -> u64 {
        self.rows
    }

    /// The columns of `batch` named by [`ImpactOptions::keep`], with their fields.
    pub fn kept(&self, batch: &RecordBatch) -> Vec<(Field, ArrayRef)> {
        let schema = batch.schema();
        self.opts.keep.iter().filter_map(|k| Some((schema.field_with_name(k).ok()?.clone(), batch.column_by_name(k)?.clone()))).collect()
    }

    /// The benefit ids compared, in report order.
    pub fn benefits(&self) -> Vec<&str> {
        self.accs.iter().map(|a| a.id.as_str()).collect()
    }

    /// Decides a record batch (columns: facts of either version, plus any
    /// `extra` columns to ignore) with both versions and adds it.
    pub fn add_batch(&mut self, batch: &RecordBatch) -> Result<Vec<Pair>, Error> {
        let base = self.base.decide_facts(self.base.facts(batch)?);
        let new = self.new.decide_facts(self.new.facts(batch)?);
        let policy = self.base.plan().policy();
        let other = self.new.plan().policy();
        let facts_of_row = |row: usize| -> BTreeMap<String, Json> {
            let mut out = BTreeMap::new();
            for (name, ty) in facts_of(policy).chain(facts_of(other).filter(|(n, _)| !facts_of(policy).any(|(m, _)| m == *n))) {
                let v = batch
                    .column_by_name(name)
                    .and_then(|c| value_at(policy, c.as_ref(), row, ty).or_else(|_| value_at(other, c.as_ref(), row, ty)).ok().flatten())
                    .map(|v| fact_json(&v, ty))
                    .unwrap_or(Json::Null);
                out.insert(name.to_string(), v);
            }
            out
        };
        Ok(self.add(&base, &new, &facts_of_row))
    }

    /// Decides JSON lines (one facts object a line) with both versions and adds them.
    pub fn add_lines<S: AsRef<str>>(&mut self, lines: &[S]) -> Vec<Pair> {
        let side = |d: &BatchDecider<'_>| {
            let facts = lines.iter().map(|l| d.plan().facts_from_str(l.as_ref()).map_err(|e| e.to_string())).collect();
            d.decide_facts(facts)
        };
        let (base, new) = (side(&self.base), side(&self.new));
        let facts_of_row = |row: usize| -> BTreeMap<String, Json> {
            let text = lines.get(row).map(|l| l.as_ref()).unwrap_or("{}");
            match policy_eval::facts::json::Json::parse(text) {
                Ok(policy_eval::facts::json::Json::Object(entries)) => entries.iter().map(|(k, v)| (k.clone(), exact_json(v))).collect(),
                _ => BTreeMap::from([("(line)".to_string(), Json::String(text.to_string()))]),
            }
        };
        self.add(&base, &new, &facts_of_row)
    }

    fn add(&mut self, base: &[RowResult], new: &[RowResult], facts_of_row: &dyn Fn(usize) -> BTreeMap<String, Json>) -> Vec<Pair> {
        let mut pairs = Vec::with_capacity(base.len() * self.accs.len());
        let limit = self.opts.examples;
        for (i, (b, n)) in base.iter().zip(new).enumerate() {
            let row = self.rows;
            self.rows += 1;
            self.base_errors += u64::from(b.is_err());
            self.new_errors += u64::from(n.is_err());
            let find = |r: &'_ RowResult, id: &str| -> Option<BenefitDecision> {
                r.as_ref().ok().and_then(|d| d.benefits.iter().find(|x| *x.id == *id)).cloned()
            };
            for (bi, acc) in self.accs.iter_mut().enumerate() {
                let (before, after) = (find(b, &acc.id), find(n, &acc.id));
                let pair = Pair {
                    row,
                    benefit: bi,
                    before: before.as_ref().map(|x| x.status),
                    after: after.as_ref().map(|x| x.status),
                    amount_before: before.as_ref().and_then(|x| x.amount),
                    amount_after: after.as_ref().and_then(|x| x.amount),
                };
                *acc.transitions.entry((status_key(pair.before), status_key(pair.after))).or_insert(0) += 1;
                if let Some(a) = pair.amount_before {
                    acc.total_before = acc.total_before.and_then(|t| t.checked_add(a));
                }
                if let Some(a) = pair.amount_after {
                    acc.total_after = acc.total_after.and_then(|t| t.checked_add(a));
                }
                let kind = if pair.before != pair.after {
                    Some(format!("{} → {}", status_name(status_key(pair.before)), status_name(status_key(pair.after))))
                } else if pair.amount_before != pair.amount_after {
                    acc.amount_changed += 1;
                    let up = pair.amount_after.unwrap_or_default() > pair.amount_before.unwrap_or_default();
                    Some(format!("{}: amount {}", status_name(status_key(pair.after)), if up { "up" } else { "down" }))
                } else {
                    acc.unchanged += 1;
                    None
                };
                if pair.amount_before != pair.amount_after {
                    acc.changes.add(pair.delta());
                }
                if let Some(kind) = kind {
                    let seen = acc.examples_per_kind.entry(kind.clone()).or_insert(0);
                    if *seen < limit {
                        *seen += 1;
                        let side = |r: &'_ RowResult| -> Result<Decision, String> { r.clone() };
                        let (bd, nd) = (side(b), side(n));
                        let witness = Witness::from_decisions(
                            facts_of_row(i),
                            self.opts.reference_date,
                            bd.as_ref().map_err(String::as_str),
                            nd.as_ref().map_err(String::as_str),
                        );
                        acc.examples.push(Example { kind, row, witness });
                    }
                }
                pairs.push(pair);
            }
        }
        pairs
    }

    /// The impact of every applicant added.
    pub fn finish(self) -> Impact {
        let benefits = self
            .accs
            .into_iter()
            .map(|mut a| {
                a.changes.finish();
                let transitions: Vec<Transition> =
                    a.transitions.iter().map(|((f, t), n)| Transition { from: status_name(*f), to: status_name(*t), count: *n }).collect();
                let status_changed = a.transitions.iter().filter(|((f, t), _)| f != t).map(|(_, n)| *n).sum();
                let total_change = a.total_before.zip(a.total_after).and_then(|(b, n)| n.checked_sub(b));
                BenefitImpact {
                    id: a.id,
                    transitions,
                    status_changed,
                    amount_changed: a.amount_changed,
                    unchanged: a.unchanged,
                    total_before: a.total_before,
                    total_after: a.total_after,
                    total_change,
                    changes: a.changes,
                    examples: a.examples,
                }
            })
            .collect();
        Impact {
            base_policy: self.base.plan().policy().meta.id.clone(),
            new_policy: self.new.plan().policy().meta.id.clone(),
            applicants: self.rows,
            base_errors: self.base_errors,
            new_errors: self.new_errors,
            benefits,
        }
    }
}

/// The schema of [`pairs_batch`]: `row` (from 0 in the population), the
/// kept columns, then a struct per benefit: `status_before`,
/// `status_after`, `amount_before`, `amount_after`, `delta` (after −
/// before, a missing amount counting as 0) and `changed`.
pub fn pairs_schema(benefits: &[&str], kept: &[Field], plain_status: bool) -> SchemaRef {
    let mut fields = vec![Field::new("row", DataType::UInt64, false)];
    fields.extend(kept.iter().cloned());
    for b in benefits {
        fields.push(Field::new(*b, DataType::Struct(pair_fields(plain_status)), false));
    }
    Arc::new(Schema::new(fields))
}

fn pair_fields(plain_status: bool) -> Fields {
    let status = if plain_status { DataType::Utf8 } else { DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8)) };
    let money = DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE);
    Fields::from(vec![
        Field::new("status_before", status.clone(), true),
        Field::new("status_after", status, true),
        Field::new("amount_before", money.clone(), true),
        Field::new("amount_after", money.clone(), true),
        Field::new("delta", money, true),
        Field::new("changed", DataType::Boolean, false),
    ])
}

/// The pairs of one batch ([`ImpactRun::add_batch`]'s, in its order: row
/// by row, benefit by benefit) as one row per applicant in
/// [`pairs_schema`]; `kept` are the batch's kept columns.
pub fn pairs_batch(pairs: &[Pair], benefits: &[&str], kept: &[(Field, ArrayRef)], plain_status: bool) -> Result<RecordBatch, Error> {
    use arrow_array::types::Int8Type;
    use arrow_array::{DictionaryArray, Int8Array, StructArray};
    let status = |of: &[&Pair], f: &dyn Fn(&Pair) -> Option<Status>| -> Result<ArrayRef, Error> {
        if plain_status {
            return Ok(Arc::new(of.iter().map(|p| f(p).map(Status::as_str)).collect::<StringArray>()));
        }
        let keys: Int8Array =
            of.iter().map(|p| f(p).and_then(|s| crate::STATUSES.iter().position(|x| *x == s)).and_then(|i| i8::try_from(i).ok())).collect();
        let values: ArrayRef = Arc::new(crate::STATUSES.iter().map(|s| Some(s.as_str())).collect::<StringArray>());
        Ok(Arc::new(DictionaryArray::<Int8Type>::try_new(keys, values)?))
    };
    let money = |of: &[&Pair], f: &dyn Fn(&Pair) -> Option<Decimal>| -> Result<ArrayRef, Error> {
        let raw: Vec<Option<i128>> = of.iter().map(|p| f(p).map(crate::encode::scaled).transpose()).collect::<Result<_, _>>()?;
        Ok(Arc::new(Decimal128Array::from(raw).with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE)?))
    };
    let first: Vec<&Pair> = pairs.iter().filter(|p| p.benefit == 0).collect();
    let mut columns: Vec<ArrayRef> = vec![Arc::new(first.iter().map(|p| p.row).collect::<UInt64Array>())];
    columns.extend(kept.iter().map(|(_, a)| a.clone()));
    for bi in 0..benefits.len() {
        let of: Vec<&Pair> = pairs.iter().filter(|p| p.benefit == bi).collect();
        let children: Vec<ArrayRef> = vec![
            status(&of, &|p| p.before)?,
            status(&of, &|p| p.after)?,
            money(&of, &|p| p.amount_before)?,
            money(&of, &|p| p.amount_after)?,
            money(&of, &|p| p.delta())?,
            Arc::new(of.iter().map(|p| Some(p.changed())).collect::<BooleanArray>()),
        ];
        columns.push(Arc::new(StructArray::try_new(pair_fields(plain_status), children, None)?));
    }
    let fields: Vec<Field> = kept.iter().map(|(f, _)| f.clone()).collect();
    Ok(RecordBatch::try_new(pairs_schema(benefits, &fields, plain_status), columns)?)
}

/// A fact read from a column, as JSON facts would carry it (decimals and
/// percents as exact text).
fn fact_json(v: &FactValue, ty: &Type) -> Json {
    match v {
        FactValue::Bool(b) => Json::Bool(*b),
        FactValue::Int(i) => Json::from(*i),
        FactValue::Decimal(d) if matches!(ty, Type::Percent) => Json::String(policy_core::value::percent_string(*d)),
        FactValue::Decimal(d) => Json::String(d.normalize().to_string()),
        FactValue::Date(d) => Json::String(d.to_string()),
        FactValue::Text(s) => Json::String(s.clone()),
        FactValue::List(xs) => {
            let elem = match ty {
                Type::List(e) => e.as_ref(),
                _ => &Type::Error,
            };
            Json::Array(xs.iter().map(|x| fact_json(x, elem)).collect())
        }
        FactValue::Record(fields) => Json::Object(fields.iter().map(|(k, x)| (k.clone(), fact_json(x, &Type::Error))).collect()),
    }
}

/// An exactly read JSON value for display: whole numbers as numbers, other
/// numbers as their text (never through a float).
fn exact_json(v: &policy_eval::facts::json::Json) -> Json {
    use policy_eval::facts::json::Json as J;
    match v {
        J::Null => Json::Null,
        J::Bool(b) => Json::Bool(*b),
        J::Number(n) => n.parse::<i64>().map(Json::from).unwrap_or_else(|_| Json::String(n.clone())),
        J::String(s) => Json::String(s.clone()),
        J::Array(xs) => Json::Array(xs.iter().map(exact_json).collect()),
        J::Object(kv) => Json::Object(kv.iter().map(|(k, x)| (k.clone(), exact_json(x))).collect()),
    }
}

#[cfg(feature = "files")]
pub mod file;
