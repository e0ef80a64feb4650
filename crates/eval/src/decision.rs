//! The decision: per benefit its status, amount, payee, failed conditions,
//! outcomes and missing facts, plus an audit envelope. Serialises to JSON
//! with money as decimal strings (`docs/trace.md` specifies every field).
//!
//! Names, labels and citations are `Arc<str>` shared with the plan, so
//! building a decision copies no text; with [`crate::Decider`] the vectors are
//! reused too and a decision with the trace off allocates nothing.

use crate::trace::{Trace, TraceLevel};
use chrono::NaiveDate;
use policy_core::checked::{Citation, Payee};
use policy_core::value::Value;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Version of the JSON shape of [`Decision`] and [`Trace`].
pub const SCHEMA_VERSION: u32 = 1;

/// The outcome of deciding one applicant against one policy.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    /// Version of this JSON shape.
    pub schema_version: u32,
    /// Which policy decided, exactly (audit envelope).
    pub policy: Arc<PolicyRef>,
    /// The engine that decided.
    pub engine_version: Arc<str>,
    /// The reference date used.
    pub reference_date: Option<NaiveDate>,
    /// One entry per benefit decided, in declaration order.
    pub benefits: Vec<BenefitDecision>,
    /// What the engine accepted but the client may not have meant: a
    /// percent fact given as a bare number of 1 or more (read as a
    /// fraction), a reference date that no benefit decided uses. Absent
    /// from the JSON when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<Warning>,
    /// The explained trace, when asked for.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace: Option<Trace>,
}

/// A warning attached to a decision (see [`Decision::warnings`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Warning {
    /// The fact it is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fact: Option<String>,
    /// One sentence.
    pub message: String,
}

/// Identity of the policy text that decided.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicyRef {
    /// Policy id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Document numbers.
    pub documents: Vec<String>,
    /// Author-given version.
    pub version: Option<String>,
    /// The policy this one amends, when it is an amendment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amends: Option<String>,
    /// SHA-256 over the policy's text and its imports.
    pub content_hash: String,
}

/// A benefit's status. The three kinds of "no" are kept apart: not in scope,
/// not eligible (a requirement failed or an exclusion applied), and could not
/// decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Qualifies.
    Eligible,
    /// A requirement is not met, or an exclusion applies.
    Ineligible,
    /// Out of scope (an `applies_when` is false, or not in force on the date).
    NotApplicable,
    /// Could not decide: a fact is missing or an evaluation error occurred.
    Undetermined,
}

impl Status {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Eligible => "eligible",
            Status::Ineligible => "ineligible",
            Status::NotApplicable => "not_applicable",
            Status::Undetermined => "undetermined",
        }
    }
}

/// Why a condition is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// A `require` was false.
    Require,
    /// An `exclude` was true.
    Exclude,
    /// An `applies_when` was false.
    Scope,
    /// A table had no row for the keys.
    NoRow,
    /// No tier matched.
    NoTier,
    /// The benefit's date is outside the policy's in-force window.
    NotInForce,
    /// No rule version covers the benefit's date.
    NoVersion,
}

/// A condition that decided against the applicant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    /// Stable id.
    pub id: Arc<str>,
    /// Kind.
    pub kind: FailureKind,
    /// Human label or reason.
    pub label: Arc<str>,
    /// Citation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub citation: Option<Citation>,
}

/// A non-money outcome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    /// What.
    pub label: Arc<str>,
    /// Citation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub citation: Option<Citation>,
    /// Facts not given on which it depends: the outcome applies only for
    /// some of their values (its `when` could not be decided). Empty when it
    /// applies outright.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub depends_on: Vec<Arc<str>>,
}

/// A reported date.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Deadline {
    /// What it is.
    pub label: Arc<str>,
    /// The day.
    pub date: NaiveDate,
    /// Citation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub citation: Option<Citation>,
}

/// A computed value a benefit reports (`output`): not money paid.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutputValue {
    /// Stable id.
    pub id: Arc<str>,
    /// Label.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub label: Option<Arc<str>>,
    /// Its type as the policy names it: `bool`, `int`, `decimal`, `money`,
    /// `percent`, `date`, `text`, an enum's or a unit's name.
    #[serde(rename = "type")]
    pub ty: Arc<str>,
    /// The value: a JSON boolean for `bool`; otherwise a string: numbers
    /// exact in their digits (money with two places, a percent as its
    /// fraction, `0.2`), a date `YYYY-MM-DD`, an enum's variant name.
    pub value: OutputScalar,
    /// Citation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub citation: Option<Citation>,
}

/// An output's value in JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum OutputScalar {
    /// A `bool` output.
    Bool(bool),
    /// Any other output, as text.
    Text(String),
}

impl std::fmt::Display for OutputScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputScalar::Bool(b) => write!(f, "{b}"),
            OutputScalar::Text(t) => f.write_str(t),
        }
    }
}

/// An amount the authority sets within bounds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AmountRange {
    /// Lowest.
    #[serde(with = "crate::decision::money")]
    pub low: Decimal,
    /// Highest.
    #[serde(with = "crate::decision::money")]
    pub high: Decimal,
    /// Who fixes the figure (shared with the plan).
    pub set_by: Arc<str>,
    /// The criteria it applies (shared with the plan).
    pub criteria: Arc<[Arc<str>]>,
}

/// Which date decided the benefit, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DateUsed {
    /// The day.
    pub date: NaiveDate,
    /// Where the date came from.
    pub source: DateSource,
    /// The policy's reason for this date.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub label: Option<Arc<str>>,
}

/// Where a benefit's date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateSource {
    /// The decision's reference date.
    Reference,
    /// The benefit's own `dated_by` expression.
    DatedBy,
}

/// The decision on one benefit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BenefitDecision {
    /// Stable id.
    pub id: Arc<str>,
    /// Label.
    pub label: Arc<str>,
    /// Status.
    pub status: Status,
    /// Exact amount (eligible only), as a decimal string in JSON.
    #[serde(with = "crate::decision::opt_money", skip_serializing_if = "Option::is_none", default)]
    pub amount: Option<Decimal>,
    /// Range, when an authority sets the amount and the caller did not give it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub amount_range: Option<AmountRange>,
    /// `year` for "per year" amounts.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub period: Option<Arc<str>>,
    /// Who is paid.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payee: Option<Payee>,
    /// The date that decided versions and windows.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date: Option<DateUsed>,
    /// The rule version used (its first day).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<NaiveDate>,
    /// Every condition that decided against (all of them).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub failed: Vec<Failure>,
    /// Facts still needed (undetermined only).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub missing: Vec<Arc<str>>,
    /// Evaluation errors (undetermined only).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<String>,
    /// Titles and other non-money outcomes.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub entitlements: Vec<Outcome>,
    /// Documents the applicant must provide.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub documents: Vec<Outcome>,
    /// Dates to observe.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub deadlines: Vec<Deadline>,
    /// Computed values the benefit reports (eligible only), in the order
    /// the policy declares them.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub outputs: Vec<OutputValue>,
    /// The benefit's citation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub citation: Option<Citation>,
}

impl BenefitDecision {
    /// A decision on `b` not yet made.
    pub(crate) fn empty(b: &policy_core::checked::BenefitDef) -> Self {
        BenefitDecision {
            id: b.id.clone(),
            label: b.label.clone(),
            status: Status::Undetermined,
            amount: None,
            amount_range: None,
            period: b.period.clone(),
            payee: b.payee,
            date: None,
            version: None,
            failed: Vec::new(),
            missing: Vec::new(),
            errors: Vec::new(),
            entitlements: Vec::new(),
            documents: Vec::new(),
            deadlines: Vec::new(),
            outputs: Vec::new(),
            citation: b.cite.clone(),
        }
    }

    /// Makes this a decision on `b` not yet made, keeping the vectors'
    /// capacity (and the shared text when it is already `b`'s).
    pub(crate) fn reset(&mut self, b: &policy_core::checked::BenefitDef) {
        if !Arc::ptr_eq(&self.id, &b.id) {
            self.id = b.id.clone();
            self.label = b.label.clone();
            self.period = b.period.clone();
            self.citation = b.cite.clone();
        }
        self.status = Status::Undetermined;
        self.amount = None;
        self.amount_range = None;
        self.payee = b.payee;
        self.date = None;
        self.version = None;
        self.failed.clear();
        self.missing.clear();
        crate::halt::park_texts(&mut self.errors);
        clear_outcomes(&mut self.entitlements);
        clear_outcomes(&mut self.documents);
        self.deadlines.clear();
        clear_outputs(&mut self.outputs);
    }
}

/// Empties a list of outputs, parking each one's text for the next
/// (`halt.rs`).
pub(crate) fn clear_outputs(list: &mut Vec<OutputValue>) {
    for o in list.drain(..) {
        if let OutputScalar::Text(t) = o.value {
            crate::halt::park_text(t);
        }
    }
}

/// Empties a list of outcomes, parking each `depends_on` list's capacity
/// for the next outcome that depends on missing facts (`halt.rs`), so that
/// a reused decision lists them without allocating.
pub(crate) fn clear_outcomes(list: &mut Vec<Outcome>) {
    for o in list.drain(..) {
        crate::halt::park(o.depends_on);
    }
}

/// Serde for `Decimal` as a money string (`"1200.00"`).
pub mod money {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::str::FromStr;

    /// Writes `"1200.00"`.
    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&policy_core::value::money_string(*v))
    }
    /// Reads a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s = String::deserialize(d)?;
        Decimal::from_str(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde for `Option<Decimal>` as a money string (`"1200.00"`).
pub mod opt_money {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::str::FromStr;

    /// Writes `"1200.00"`.
    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&policy_core::value::money_string(*d)),
            None => s.serialize_none(),
        }
    }
    /// Reads a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| Decimal::from_str(&s).map_err(serde::de::Error::custom)).transpose()
    }
}

/// What to decide and how much to explain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecideOptions {
    /// The decision's reference date; default: the `application_date` fact
    /// when the policy declares one.
    pub reference_date: Option<NaiveDate>,
    /// Benefit ids to decide; empty means all.
    pub benefits: Vec<String>,
    /// Trace level.
    pub trace: TraceLevel,
}

/// An output's value in the decision's JSON: a boolean, or exact text
/// (written into a parked `String`; a reused decision's outputs park their
/// text again: [`crate::decision::clear_outputs`]).
pub(crate) fn output_scalar(p: &policy_core::checked::CheckedPolicy, value: &Value, ty: &policy_core::checked::Type) -> OutputScalar {
    use policy_core::checked::Type;
    let mut out = crate::halt::text();
    match (value, ty) {
        (Value::Bool(b), _) => return OutputScalar::Bool(*b),
        (Value::Num(d), Type::Money) => policy_core::value::push_plain(&mut out, *d, 2),
        (Value::Num(d), _) => policy_core::value::push_plain(&mut out, *d, 0),
        (Value::Text(t), _) => out.push_str(t),
        (Value::Enum(i), Type::Enum(e)) => match p.enums.get(e.index()).and_then(|e| e.variants.get(*i as usize)) {
            Some((n, _)) => out.push_str(n),
            None => {
                use std::fmt::Write;
                let _ = write!(out, "#{i}");
            }
        },
        (other, ty) => crate::trace::push_value(&mut out, p, other, ty),
    }
    OutputScalar::Text(out)
}
