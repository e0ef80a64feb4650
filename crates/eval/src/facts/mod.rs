//! Facts: the applicant's data, validated against the policy's declared
//! inputs and decoded into the plan's slots (one per input and external).
//!
//! The contract (`docs/trace.md`, "Facts"; `policy schema` states the same):
//! JSON read exactly ([`json`]: numbers from their text, a key given twice is
//! an error), scalars in their documented text forms ([`scalar`]), every
//! exceeded limit an error naming the fact.
//!
//! Here: [`Facts`], the typed builder and setting by slot, and the readers'
//! entry points on [`Plan`]; `decode.rs` one value against its declared type;
//! `scan.rs` the fast path from JSON text; `seed.rs` the reference reader
//! (serde_json key by key).

mod decode;
pub mod json;
pub mod scalar;
mod scan;
mod seed;

pub use decode::convertible_units;
use decode::Raw;

pub(crate) use crate::slots::SlotIndex;
use crate::slots::{Seen, Slot};

use crate::decision::Warning;
use crate::error::{EvalError, FactError};
use crate::plan::Plan;
use chrono::NaiveDate;
use json::{Json, JsonError};
use policy_core::checked::Type;
use policy_core::value::Value;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::sync::Arc;

/// Longest list fact accepted (elements).
pub const MAX_LIST_LEN: usize = 100_000;
/// Longest text fact accepted (characters).
pub const MAX_TEXT_LEN: usize = 10_000;
/// Deepest nesting of lists and records in a fact.
pub const MAX_FACT_DEPTH: usize = 8;
/// Unknown facts that get a "did you mean" hint (each hint compares the key
/// with every declared name: 100,000 unknown keys took seconds).
pub const MAX_FACT_HINTS: usize = 100;

/// Validated facts for one plan: a value (or nothing) per input and external.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub(crate) inputs: Vec<Option<Value>>,
    pub(crate) supplied: Vec<bool>,
    pub(crate) externals: Vec<Option<Value>>,
    /// What was accepted but may not be what the client meant (a percent
    /// given as a bare number of 1 or more); carried into the decision.
    pub(crate) warnings: Vec<Warning>,
}

impl Facts {
    /// Facts with nothing supplied (defaults applied).
    pub fn empty(plan: &Plan) -> Self {
        let p = plan.policy();
        Facts {
            inputs: p.inputs.iter().map(|i| i.default.clone()).collect(),
            supplied: vec![false; p.inputs.len()],
            externals: vec![None; p.externals.len()],
            warnings: Vec::new(),
        }
    }

    /// Makes these the empty facts of `plan` ([`Facts::empty`]), keeping
    /// the buffers.
    fn reset(&mut self, plan: &Plan) {
        let p = plan.policy();
        self.inputs.clear();
        self.inputs.extend(p.inputs.iter().map(|i| i.default.clone()));
        self.supplied.clear();
        self.supplied.resize(p.inputs.len(), false);
        self.externals.clear();
        self.externals.resize(p.externals.len(), None);
        self.warnings.clear();
    }

    /// Makes these the empty facts of `plan` again ([`Facts::empty`]),
    /// keeping their buffers: for a loop that sets facts by slot.
    pub fn clear(&mut self, plan: &Plan) {
        self.reset(plan);
    }

    /// Sets one fact through a slot resolved once by name
    /// ([`Plan::fact_slot`]), checked as the same value given in JSON would
    /// be (type, bounds, enum variant, limits); setting it again replaces
    /// it. No name is looked up and no JSON is built for a scalar. Errors:
    /// the value does not fit the declaration, or the slot or these facts
    /// belong to another plan.
    pub fn set(&mut self, plan: &Plan, slot: FactSlot, value: impl Into<FactValue>) -> Result<(), EvalError> {
        let p = plan.policy();
        let mine = slot.plan == plan.identity() && self.inputs.len() == p.inputs.len() && self.externals.len() == p.externals.len();
        let name = match slot.slot {
            Slot::Input(i) => p.inputs.get(i).map(|d| d.name.as_str()),
            Slot::External(i) => p.externals.get(i).map(|d| d.name.as_str()),
            Slot::Unknown => None,
        };
        let (Some(name), true) = (name, mine) else {
            return Err(EvalError::Facts(vec![FactError {
                fact: name.unwrap_or("(slot)").to_string(),
                expected: format!("a slot and facts of policy `{}`", p.meta.id),
                received: "another policy's".into(),
            }]));
        };
        let declared_date = match slot.slot {
            Slot::Input(i) => p.inputs.get(i).is_some_and(|d| d.ty == Type::Date),
            Slot::External(i) => p.externals.get(i).is_some_and(|d| d.ty == Type::Date),
            Slot::Unknown => false,
        };
        let value = value.into();
        let owned;
        let raw = match &value {
            FactValue::Bool(b) => Raw::Bool(*b),
            FactValue::Int(i) => Raw::Exact(Decimal::from(*i)),
            FactValue::Decimal(d) => Raw::Exact(*d),
            // Given for another type, a date is its text (as by name).
            FactValue::Date(d) if declared_date => Raw::Day(*d),
            FactValue::Date(d) => Raw::Str(Cow::Owned(d.format("%Y-%m-%d").to_string())),
            FactValue::Text(t) => Raw::Str(Cow::Borrowed(t)),
            FactValue::List(_) | FactValue::Record(_) => {
                owned = value.to_json();
                Raw::Tree(&owned)
            }
        };
        let mut errors = Vec::new();
        let mut hints = 0;
        plan.store(self, name, slot.slot, raw, &mut errors, &mut hints);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(EvalError::Facts(errors))
        }
    }

    /// The warnings decoding gave (also in every decision made with these facts).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// Where one input or external goes in the facts of one plan
/// ([`Plan::fact_slot`], [`Facts::set`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactSlot {
    slot: Slot,
    plan: usize,
}

/// A value handed to [`FactsBuilder::set`] or [`Facts::set`].
#[derive(Debug, Clone, PartialEq)]
pub enum FactValue {
    /// A bool.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// An exact decimal (money, percent as a fraction, quantities).
    Decimal(Decimal),
    /// A date.
    Date(NaiveDate),
    /// Text, an enum variant name, or `"70%"`.
    Text(String),
    /// A list.
    List(Vec<FactValue>),
    /// A record: (field, value).
    Record(Vec<(String, FactValue)>),
}

macro_rules! fact_from {
    ($($t:ty => $v:ident),*) => {$(impl From<$t> for FactValue { fn from(x: $t) -> Self { FactValue::$v(x.into()) } })*};
}
fact_from!(bool => Bool, i64 => Int, i32 => Int, u32 => Int, Decimal => Decimal, NaiveDate => Date, String => Text, &str => Text);

impl FactValue {
    fn to_json(&self) -> Json {
        match self {
            FactValue::Bool(b) => Json::Bool(*b),
            FactValue::Int(i) => Json::Number(i.to_string()),
            // A decimal goes as its exact digits.
            FactValue::Decimal(d) => Json::Number(d.to_string()),
            FactValue::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
            FactValue::Text(s) => Json::String(s.clone()),
            FactValue::List(xs) => Json::Array(xs.iter().map(FactValue::to_json).collect()),
            FactValue::Record(fs) => Json::Object(fs.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }
}

/// Builds facts in Rust code, checked like JSON facts.
#[derive(Debug)]
pub struct FactsBuilder<'p> {
    plan: &'p Plan,
    map: Vec<(String, Json)>,
}

impl<'p> FactsBuilder<'p> {
    pub(crate) fn new(plan: &'p Plan) -> Self {
        FactsBuilder { plan, map: Vec::new() }
    }
    /// Sets a fact (or an external) by name; setting it again replaces it.
    pub fn set(mut self, name: &str, value: impl Into<FactValue>) -> Self {
        let value = value.into().to_json();
        match self.map.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.map.push((name.to_string(), value)),
        }
        self
    }
    /// Validates and returns the facts.
    pub fn build(self) -> Result<Facts, EvalError> {
        self.plan.facts_from_exact(&Json::Object(self.map))
    }
}

/// The error for a JSON text that is not read at all.
fn invalid_json(e: &JsonError) -> FactError {
    match &e.duplicate {
        Some(key) => FactError { fact: e.path.clone(), expected: "each key once".into(), received: format!("{} twice", json::quote(key)) },
        None if e.path.is_empty() => FactError { fact: "(facts)".into(), expected: "valid JSON".into(), received: e.message.clone() },
        None => FactError { fact: e.path.clone(), expected: "valid JSON".into(), received: e.message.clone() },
    }
}

impl Plan {
    /// Decodes and validates facts given as a serde_json tree: an object
    /// keyed by input (and external) name. Every problem is reported, not
    /// just the first.
    ///
    /// A serde_json tree has already kept only the last of duplicate keys,
    /// and (without serde_json's `arbitrary_precision`) holds fractional
    /// numbers as binary floats, so `0.79999999999999999999` arrives as 0.8:
    /// for JSON text use [`Plan::facts_from_str`], which reads it exactly, and
    /// in trees give decimals as strings (`"0.8"`).
    pub fn facts_from_json(&self, json: &serde_json::Value) -> Result<Facts, EvalError> {
        self.facts_from_exact(&Json::from_value(json))
    }

    /// Decodes and validates facts read exactly ([`Json::parse`]).
    pub fn facts_from_exact(&self, json: &Json) -> Result<Facts, EvalError> {
        let mut facts = Facts::empty(self);
        let mut errors = Vec::new();
        let Some(obj) = json.as_object() else {
            return Err(EvalError::Facts(vec![FactError {
                fact: "(facts)".into(),
                expected: "a JSON object".into(),
                received: kind_of(json).into(),
            }]));
        };
        let mut hints_left = MAX_FACT_HINTS;
        let mut seen = Seen::new(self.policy().inputs.len(), self.policy().externals.len());
        for (key, value) in obj {
            let slot = self.slot_of(key);
            if seen.again(slot, key) {
                errors.push(invalid_json(&json::duplicate("", key)));
                continue;
            }
            self.store(&mut facts, key, slot, Raw::of(value), &mut errors, &mut hints_left);
        }
        if errors.is_empty() {
            Ok(facts)
        } else {
            Err(EvalError::Facts(errors))
        }
    }

    /// Decodes facts from JSON text straight into the plan's slots: the
    /// object is read key by key (no JSON tree of the whole text), a scalar
    /// fact is decoded from the text where it stands (a number from its
    /// digits), and a list or record, plainly written and free of errors,
    /// straight into its value (else through a [`Json`] tree). A
    /// key given twice, at any depth, is an error naming it. The result, and
    /// every error, is what [`Json::parse`] then [`Plan::facts_from_exact`]
    /// give for the same text (errors in the order the facts are written).
    pub fn facts_from_str(&self, json: &str) -> Result<Facts, EvalError> {
        let mut facts = Facts::empty(self);
        self.facts_from_str_into(json, &mut facts)?;
        Ok(facts)
    }

    /// [`Plan::facts_from_str`] into `facts`, whose buffers are reused (a
    /// service deciding one applicant after another allocates nothing for
    /// scalar facts once warm). `facts` is reset first, whatever it held
    /// and whichever plan made it; on an error its contents are unspecified
    /// (but still facts of this plan).
    pub fn facts_from_str_into(&self, json: &str, facts: &mut Facts) -> Result<(), EvalError> {
        facts.reset(self);
        let mut errors = Vec::new();
        if scan::scan(self, json, facts, &mut errors).is_some() {
            return if errors.is_empty() { Ok(()) } else { Err(EvalError::Facts(errors)) };
        }
        facts.reset(self);
        errors.clear();
        self.facts_from_str_serde(json, facts)
    }

    /// The reference reader behind [`Plan::facts_from_str`]: serde_json,
    /// key by key, for any text, lists and records through a [`Json`] tree
    /// (the fast path in `facts/scan.rs` answers for plainly written facts,
    /// lists and records read against their declared types, declines the
    /// rest, and must agree with this one). Public for the differential
    /// tests and fuzz targets.
    #[doc(hidden)]
    pub fn facts_from_str_reference(&self, json: &str) -> Result<Facts, EvalError> {
        let mut facts = Facts::empty(self);
        self.facts_from_str_serde(json, &mut facts)?;
        Ok(facts)
    }

    /// Whether the fast path reads `json` itself (rather than declining to
    /// the reference reader). For tests: the fast path must not silently
    /// stop answering.
    #[doc(hidden)]
    pub fn facts_fast_path_reads(&self, json: &str) -> bool {
        let mut facts = Facts::empty(self);
        scan::scan(self, json, &mut facts, &mut Vec::new()).is_some()
    }

    /// Stores one fact's decoded value in its slot, or records why not.
    fn store(&self, facts: &mut Facts, key: &str, slot: Slot, value: Raw<'_>, errors: &mut Vec<FactError>, hints_left: &mut usize) {
        let p = self.policy();
        // `null` is an absent fact, but only for a declared one: an unknown
        // key is an error whatever its value.
        if matches!(value, Raw::Null) && slot != Slot::Unknown {
            return;
        }
        if let Slot::Input(i) = slot {
            let Some(def) = p.inputs.get(i) else { return };
            match self.decode_raw(key, value, &def.ty, def.bounds.as_ref(), 0, &mut facts.warnings) {
                Ok(v) => {
                    if let (Some(slot), Some(s)) = (facts.inputs.get_mut(i), facts.supplied.get_mut(i)) {
                        *slot = Some(v);
                        *s = true;
                    }
                }
                Err(e) => errors.extend(e),
            }
        } else if let Slot::External(i) = slot {
            let Some(def) = p.externals.get(i) else { return };
            match self.decode_raw(key, value, &def.ty, def.bounds.as_ref(), 0, &mut facts.warnings) {
                Ok(v) => {
                    if let Some(slot) = facts.externals.get_mut(i) {
                        *slot = Some(v);
                    }
                }
                Err(e) => errors.extend(e),
            }
        } else {
            let names = p.inputs.iter().map(|i| i.name.as_str()).chain(p.externals.iter().map(|x| x.name.as_str()));
            let hint = if *hints_left > 0 {
                *hints_left -= 1;
                policy_core::check::did_you_mean(key, names).map(|h| format!(" ({h})")).unwrap_or_default()
            } else {
                String::new()
            };
            errors.push(FactError {
                fact: key.to_string(),
                expected: format!("a declared input{hint}"),
                received: "an unknown fact".into(),
            });
        }
    }

    /// Where a fact name goes.
    fn slot_of(&self, key: &str) -> Slot {
        self.slot_index.get(key)
    }

    /// The slot of the input or external `name`, for [`Facts::set`]:
    /// resolved once, used for every applicant.
    pub fn fact_slot(&self, name: &str) -> Option<FactSlot> {
        match self.slot_of(name) {
            Slot::Unknown => None,
            slot => Some(FactSlot { slot, plan: self.identity() }),
        }
    }

    /// Tells plans apart for [`FactSlot`]s: the address of the policy
    /// identity they share with their decisions (stable while the plan
    /// lives, however the plan is moved).
    fn identity(&self) -> usize {
        Arc::as_ptr(&self.shared.policy) as usize
    }

    /// A builder for facts in Rust code.
    pub fn facts(&self) -> FactsBuilder<'_> {
        FactsBuilder::new(self)
    }
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use crate::cases::CaseFile;
    use crate::{Engine, EvalError};
    use std::path::Path;

    /// Errors as a sorted list: the text decoder reports them in the order
    /// the facts are written, the tree decoder in key order.
    fn sorted(r: Result<crate::Facts, EvalError>) -> Result<crate::Facts, Vec<String>> {
        r.map_err(|e| match e {
            EvalError::Facts(errors) => {
                let mut v: Vec<String> =
                    errors.iter().map(|e| format!("{}: expected {}, received {}", e.fact, e.expected, e.received)).collect();
                v.sort();
                v
            }
            other => vec![other.to_string()],
        })
    }

    /// Decoding straight from text gives what decoding the parsed tree gives,
    /// for every golden case of every bundled policy and for each of them
    /// spoilt in several ways (wrong types, unknown keys, escapes, nulls).
    #[test]
    fn text_decoder_equals_tree_decoder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
        let engine = Engine::from_dir(&root).unwrap();
        let mut compared = 0;
        for entry in walk(&root) {
            let text = std::fs::read_to_string(&entry).unwrap();
            let cf = CaseFile::parse(&text).unwrap();
            let plan = engine.plan(&cf.policy).unwrap();
            for case in &cf.cases {
                let mut variants = vec![case.facts.to_string()];
                if let Some(obj) = case.facts.as_object() {
                    for (k, v) in obj {
                        for replacement in [
                            serde_json::json!(null),
                            serde_json::json!(true),
                            serde_json::json!(-1),
                            serde_json::json!(1.5),
                            serde_json::json!("x\"y\\u00e9"),
                            serde_json::json!([1, "a"]),
                            serde_json::json!({"a": 1}),
                            serde_json::json!(1e300),
                            serde_json::json!("70%"),
                        ] {
                            let mut o = obj.clone();
                            o.insert(k.clone(), replacement);
                            variants.push(serde_json::Value::Object(o).to_string());
                        }
                        let mut o = obj.clone();
                        o.insert(format!("{k}_typo"), v.clone());
                        variants.push(serde_json::Value::Object(o).to_string());
                        // The key twice, a number beyond f64, a list with a record given a key twice.
                        let text = serde_json::Value::Object(obj.clone()).to_string();
                        let body = text.trim_start_matches('{');
                        variants.push(format!("{{{}: {}, {body}", serde_json::Value::String(k.clone()), v));
                        for raw in ["0.79999999999999999999", "1e-29", "[{\"a\": 1, \"a\": 2}]", "{\"a\": {\"b\": 1, \"b\": 1}}"] {
                            variants.push(format!("{{{}: {raw}, {body}", serde_json::Value::String(k.clone())));
                        }
                    }
                }
                variants.extend(["[1, 2]", "3", "\"s\"", "null", "true", "{", "{} x", "{\"a\\u0062\": 1}"].map(str::to_string));
                for t in &variants {
                    let tree = match super::Json::parse(t) {
                        Ok(v) => plan.facts_from_exact(&v),
                        Err(e) => Err(EvalError::Facts(vec![super::invalid_json(&e)])),
                    };
                    assert_eq!(sorted(plan.facts_from_str(t)), sorted(tree), "{} {}: {t}", cf.policy, case.name);
                    compared += 1;
                }
            }
        }
        assert!(compared > 2000, "{compared}");
    }

    fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.to_string_lossy().ends_with(".cases.json") {
                out.push(p);
            }
        }
        out.sort();
        out
    }
}
