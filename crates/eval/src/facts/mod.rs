//! Facts: the applicant's data, validated against the policy's declared
//! inputs and decoded into the plan's slots (one per input and external).
//!
//! The contract (`docs/trace.md`, "Facts"; `policy schema` states the same):
//! JSON read exactly ([`json`]: numbers from their text, a key given twice is
//! an error), scalars in their documented text forms ([`scalar`]), every
//! exceeded limit an error naming the fact.

pub mod json;
pub mod scalar;
mod scan;

pub(crate) use crate::slots::SlotIndex;
use crate::slots::{Seen, Slot};

use crate::decision::Warning;
use crate::error::{EvalError, FactError};
use crate::plan::Plan;
use chrono::{Datelike, NaiveDate};
use json::{Json, JsonError};
use policy_core::checked::{Bounds, CheckedPolicy, Type, UnitId};
use policy_core::value::Value;
use rust_decimal::Decimal;
use scalar::NumberError;
use serde_json::value::RawValue;
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

    fn facts_from_str_serde(&self, json: &str, facts: &mut Facts) -> Result<(), EvalError> {
        let mut errors = Vec::new();
        let mut de = serde_json::Deserializer::from_str(json);
        let read = serde::de::DeserializeSeed::deserialize(FactsSeed { plan: self, facts, errors: &mut errors }, &mut de).and_then(|ok| {
            de.end()?;
            Ok(ok)
        });
        match read {
            Ok(Some(())) if errors.is_empty() => Ok(()),
            Ok(_) => Err(EvalError::Facts(errors)),
            Err(e) => {
                Err(EvalError::Facts(vec![FactError { fact: "(facts)".into(), expected: "valid JSON".into(), received: e.to_string() }]))
            }
        }
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

    /// Decodes a value read from JSON text or from a JSON tree.
    fn decode_raw(
        &self,
        path: &str,
        v: Raw<'_>,
        ty: &Type,
        bounds: Option<&Bounds>,
        depth: usize,
        warnings: &mut Vec<Warning>,
    ) -> Result<Value, Vec<FactError>> {
        match v {
            Raw::Tree(t) => self.decode(path, t, ty, bounds, depth, warnings),
            Raw::Owned(t) => self.decode(path, &t, ty, bounds, depth, warnings),
            Raw::Bad(e) => Err(vec![invalid_json(&e)]),
            Raw::Decoded(v) => Ok(v),
            scalar => match self.decode_scalar(path, &scalar, ty, bounds, warnings) {
                Some(r) => r,
                // A scalar where a list or record belongs: the tree path reports it.
                None => self.decode(path, &scalar.to_json(), ty, bounds, depth, warnings),
            },
        }
    }

    /// Decodes a JSON tree (lists and records; scalars go to [`Self::decode_scalar`]).
    pub(crate) fn decode(
        &self,
        path: &str,
        v: &Json,
        ty: &Type,
        bounds: Option<&Bounds>,
        depth: usize,
        warnings: &mut Vec<Warning>,
    ) -> Result<Value, Vec<FactError>> {
        let p = self.policy();
        let fail = |expected: String| vec![FactError { fact: path.to_string(), expected, received: show_json(v) }];
        if depth > MAX_FACT_DEPTH {
            return Err(fail(format!("at most {MAX_FACT_DEPTH} levels of nesting")));
        }
        if let Some(r) = self.decode_scalar(path, &Raw::of(v), ty, bounds, warnings) {
            return r;
        }
        let value = match ty {
            Type::Record(r) => {
                let def = p.records.get(r.index());
                let obj =
                    v.as_object().ok_or_else(|| fail(format!("a {} record (an object)", def.map(|d| d.name.as_str()).unwrap_or(""))))?;
                let mut errors = Vec::new();
                let mut fields = Vec::new();
                if let Some(def) = def {
                    for (name, fty, _) in &def.fields {
                        let fpath = format!("{path}.{name}");
                        match v.get(name) {
                            Some(fv) if !fv.is_null() => match self.decode(&fpath, fv, fty, None, depth + 1, warnings) {
                                Ok(x) => fields.push(x),
                                Err(e) => errors.extend(e),
                            },
                            _ => errors.push(FactError {
                                fact: fpath,
                                expected: "a value (record fields are required)".into(),
                                received: "nothing".into(),
                            }),
                        }
                    }
                    for (key, _) in obj {
                        if !def.fields.iter().any(|f| f.0 == *key) {
                            errors.push(FactError {
                                fact: format!("{path}.{key}"),
                                expected: format!(
                                    "one of the fields {}",
                                    def.fields.iter().map(|f| f.0.as_str()).collect::<Vec<_>>().join(", ")
                                ),
                                received: "an unknown field".into(),
                            });
                        }
                    }
                }
                if !errors.is_empty() {
                    return Err(errors);
                }
                Value::Record(fields.into())
            }
            Type::List(elem) => {
                let Json::Array(arr) = v else { return Err(fail("a list (an array)".into())) };
                if arr.len() > MAX_LIST_LEN {
                    return Err(fail(format!("a list of at most {MAX_LIST_LEN} elements")));
                }
                let mut errors = Vec::new();
                let mut out = Vec::with_capacity(arr.len());
                for (i, x) in arr.iter().enumerate() {
                    match self.decode(&format!("{path}[{i}]"), x, elem, None, depth + 1, warnings) {
                        Ok(x) => out.push(x),
                        Err(e) => errors.extend(e),
                    }
                }
                if !errors.is_empty() {
                    return Err(errors);
                }
                Value::List(out.into())
            }
            _ => return Err(fail("nothing (this input's type failed to check)".into())),
        };
        Ok(value)
    }

    /// Decodes a scalar-typed fact (`None` for lists and records), checking
    /// its declared bounds.
    fn decode_scalar(
        &self,
        path: &str,
        v: &Raw<'_>,
        ty: &Type,
        bounds: Option<&Bounds>,
        warnings: &mut Vec<Warning>,
    ) -> Option<Result<Value, Vec<FactError>>> {
        let p = self.policy();
        let fail = |expected: String| vec![FactError { fact: path.to_string(), expected, received: show_json(&v.to_json()) }];
        // A number's limit, or what was expected.
        let number = |what: &dyn Fn() -> String| {
            v.number().map_err(|e| match e {
                NumberError::Syntax => fail(what()),
                limit => fail(limit.limit().to_string()),
            })
        };
        let mut bare_percent = false;
        let value = (|| {
            Ok(Some(match ty {
                Type::Bool => Value::Bool(v.as_bool().ok_or_else(|| fail("true or false".into()))?),
                Type::Int => {
                    let d = number(&|| "a whole number".into())?;
                    if d.scale() == 0 {
                        // Whole already (the usual case): `trunc` would give `d`.
                        Value::Num(d)
                    } else if !d.fract().is_zero() {
                        return Err(fail("a whole number".into()));
                    } else {
                        Value::Num(d.trunc())
                    }
                }
                Type::Decimal | Type::Money => {
                    let what = || match ty {
                        Type::Money => "an amount in yuan, e.g. \"1200.00\"".to_string(),
                        _ => "a number".into(),
                    };
                    Value::Num(number(&what)?)
                }
                Type::Quantity(u) => Value::Num(self.quantity(v, *u).map_err(fail)?),
                Type::Percent => {
                    let what = || PERCENT_EXPECTED.to_string();
                    let d = match v {
                        Raw::Num(_) | Raw::Exact(_) => {
                            let d = number(&what)?;
                            bare_percent = d.abs() >= Decimal::ONE;
                            d
                        }
                        _ => {
                            let s = v.as_str().ok_or_else(|| fail(what()))?;
                            let digits = s.trim_end().strip_suffix('%').ok_or_else(|| fail(what()))?;
                            let d = scalar::text_number(digits).map_err(|e| match e {
                                NumberError::Syntax => fail(what()),
                                limit => fail(limit.limit().to_string()),
                            })?;
                            scalar::percent_fraction(d).map_err(|e| fail(e.limit().to_string()))?
                        }
                    };
                    Value::Num(d)
                }
                Type::Date => match v {
                    // What its text would give: four-digit years only.
                    Raw::Day(d) if (0..=9999).contains(&d.year()) => Value::Date(*d),
                    _ => {
                        let s = v.as_str().ok_or_else(|| fail("a date \"YYYY-MM-DD\"".into()))?;
                        Value::Date(scalar::date(s).ok_or_else(|| fail("a date \"YYYY-MM-DD\"".into()))?)
                    }
                },
                Type::Duration => {
                    let s = v.as_str().ok_or_else(|| fail("a duration, e.g. \"12 months\"".into()))?;
                    Value::Duration(scalar::duration(s).ok_or_else(|| fail("a duration, e.g. \"12 months\"".into()))?)
                }
                Type::Text => {
                    let s = v.as_str().ok_or_else(|| fail("text".into()))?;
                    // No more characters than bytes: count them only when it may matter.
                    if s.len() > MAX_TEXT_LEN && s.chars().count() > MAX_TEXT_LEN {
                        return Err(fail(format!("text of at most {MAX_TEXT_LEN} characters")));
                    }
                    Value::Text(Arc::from(s))
                }
                Type::Enum(e) => {
                    let variants = p.enums.get(e.index()).map(|d| d.variants.as_slice()).unwrap_or(&[]);
                    let expected = || format!("one of {}", variants.iter().map(|n| format!("\"{}\"", n.0)).collect::<Vec<_>>().join(", "));
                    let s = v.as_str().ok_or_else(|| fail(expected()))?;
                    let i = variants.iter().position(|n| n.0 == s).ok_or_else(|| fail(expected()))?;
                    Value::Enum(u32::try_from(i).unwrap_or(0))
                }
                _ => return Ok(None),
            }))
        })();
        let value = match value {
            Ok(Some(x)) => x,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        if let (Some(b), Value::Num(d)) = (bounds, &value) {
            let low_ok = b.low.is_none_or(|l| *d >= l);
            let high_ok = b.high.is_none_or(|h| *d <= h);
            if !low_ok || !high_ok {
                let show = |x: Option<Decimal>| x.map(|x| self.show_num(x, ty)).unwrap_or_default();
                let note = if bare_percent { BARE_PERCENT_NOTE } else { "" };
                return Some(Err(fail(format!("a value in {} .. {}{note}", show(b.low), show(b.high)))));
            }
        }
        if let (true, Value::Num(d)) = (bare_percent, &value) {
            let shown = v.to_json().to_text();
            warnings.push(Warning {
                fact: Some(path.to_string()),
                message: format!(
                    "fact `{path}`: the bare number {shown} is read as a fraction, {}; write \"{shown}%\" if {shown} percent is meant",
                    self.show_num(*d, ty)
                ),
            });
        }
        Some(Ok(value))
    }

    /// A quantity: a number of the input's unit, or `"N unit"` in the unit
    /// itself or in one the policy declares a conversion with (converted
    /// exactly, or refused).
    fn quantity(&self, v: &Raw<'_>, unit: UnitId) -> Result<Decimal, String> {
        let p = self.policy();
        let own = p.units.get(unit.index()).map(|u| u.name.as_str()).unwrap_or("units");
        let others = convertible_units(p, unit);
        let expected = || {
            let mut s = format!("a number of {own}");
            if !others.is_empty() {
                let names: Vec<String> = others.iter().map(|(n, _, _)| format!("\"N {n}\"")).collect();
                s.push_str(&format!(" (or \"N {own}\", {})", names.join(", ")));
            }
            s
        };
        let limit = |e: NumberError| if e == NumberError::Syntax { expected() } else { e.limit().to_string() };
        if let Some(s) = v.as_str() {
            let t = s.trim();
            if let Some((num, name)) = t.rsplit_once(|c: char| c.is_whitespace()) {
                let d = scalar::text_number(num).map_err(limit)?;
                if name == own {
                    return Ok(d);
                }
                let (_, from, to) = others.iter().find(|(n, _, _)| *n == name).ok_or_else(expected)?;
                // d × to / from, exactly.
                let scaled = d.checked_mul(*to).ok_or_else(|| NumberError::Range.limit().to_string())?;
                let q = scaled.checked_div(*from).ok_or_else(|| NumberError::Range.limit().to_string())?;
                if q.checked_mul(*from) != Some(scaled) {
                    return Err(format!("{} (\"{t}\" is not a whole number of 1/10^28 {own})", expected()));
                }
                return Ok(q.normalize());
            }
        }
        v.number().map_err(limit)
    }

    pub(crate) fn show_num(&self, d: Decimal, ty: &Type) -> String {
        crate::trace::show_value(self.policy(), &Value::Num(d), ty)
    }
}

/// What a percent fact takes.
const PERCENT_EXPECTED: &str = "a percent, e.g. \"70%\" (a bare number is the fraction: 0.7 is 70%)";
/// Said when a bare number for a percent is out of range.
const BARE_PERCENT_NOTE: &str = " (a bare number is the fraction: 0.85 is 85%; write \"85%\" for a percent)";

/// The units a quantity of `unit` may be given in through a declared
/// conversion: (name, count of it, equal count of `unit`).
pub fn convertible_units(p: &CheckedPolicy, unit: UnitId) -> Vec<(&str, Decimal, Decimal)> {
    let mut out = Vec::new();
    for c in &p.conversions {
        let (other, other_count, own_count) = if c.to == unit && c.from != unit {
            (c.from, c.from_count, c.to_count)
        } else if c.from == unit && c.to != unit {
            (c.to, c.to_count, c.from_count)
        } else {
            continue;
        };
        if let Some(u) = p.units.get(other.index()) {
            if !out.iter().any(|(n, _, _)| *n == u.name.as_str()) {
                out.push((u.name.as_str(), other_count, own_count));
            }
        }
    }
    out
}

/// A JSON value as facts decoding reads it: scalars borrowed from the text
/// (or from a tree) where they stand, anything else as a tree.
#[derive(Debug)]
enum Raw<'a> {
    Null,
    Bool(bool),
    /// A number's text.
    Num(&'a str),
    /// Text, borrowed from the input unless it had escapes.
    Str(Cow<'a, str>),
    /// A list or record inside a tree.
    Tree(&'a Json),
    /// A list or record read from text.
    Owned(Json),
    /// A list or record that could not be read (a key twice, too deep).
    Bad(JsonError),
    /// A number given as a decimal (the typed API): read as the same
    /// number written in JSON would be.
    Exact(Decimal),
    /// A date given as a date (the typed API): read as its `YYYY-MM-DD`
    /// text would be.
    Day(NaiveDate),
    /// A list or record the fast path (`facts/scan.rs`) read from text and
    /// decoded against the fact's declared type, exactly as the reference
    /// decodes its tree: stored as it is.
    Decoded(Value),
}

impl<'a> Raw<'a> {
    fn of(v: &'a Json) -> Self {
        match v {
            Json::Null => Raw::Null,
            Json::Bool(b) => Raw::Bool(*b),
            Json::Number(n) => Raw::Num(n),
            Json::String(s) => Raw::Str(Cow::Borrowed(s)),
            _ => Raw::Tree(v),
        }
    }

    /// A fact's value from its raw text (serde_json checked the syntax).
    fn from_text(raw: &'a RawValue, path: &str) -> Result<Self, serde_json::Error> {
        let text = raw.get().trim();
        Ok(match text.as_bytes().first() {
            Some(b'n') => Raw::Null,
            Some(b't') => Raw::Bool(true),
            Some(b'f') => Raw::Bool(false),
            Some(b'"') => match text.get(1..text.len() - 1) {
                Some(inner) if !inner.contains('\\') => Raw::Str(Cow::Borrowed(inner)),
                _ => Raw::Str(Cow::Owned(serde_json::from_str::<String>(text)?)),
            },
            Some(b'[') | Some(b'{') => match json::from_raw(text, path, 1) {
                Ok(j) => Raw::Owned(j),
                Err(e) => Raw::Bad(e),
            },
            _ => Raw::Num(text),
        })
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Raw::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Raw::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The exact decimal of a number, or of a string holding one.
    fn number(&self) -> Result<Decimal, NumberError> {
        match self {
            Raw::Num(n) => scalar::json_number(n),
            Raw::Exact(d) => Ok(*d),
            Raw::Str(s) => scalar::text_number(s),
            _ => Err(NumberError::Syntax),
        }
    }

    /// The value as a JSON tree (for messages and the tree decoder).
    fn to_json(&self) -> Json {
        match self {
            Raw::Null => Json::Null,
            Raw::Bool(b) => Json::Bool(*b),
            Raw::Num(n) => Json::Number((*n).to_string()),
            Raw::Exact(d) => Json::Number(d.to_string()),
            Raw::Day(d) => Json::String(d.format("%Y-%m-%d").to_string()),
            Raw::Str(s) => Json::String(s.to_string()),
            Raw::Tree(t) => (*t).clone(),
            Raw::Owned(t) => t.clone(),
            // Never shown: `decode_raw` stores a decoded value as it is.
            Raw::Bad(_) | Raw::Decoded(_) => Json::Null,
        }
    }
}

/// Reads the facts object key by key into a plan's slots; `None` (with the
/// error recorded) when the text is not an object.
struct FactsSeed<'p, 'e> {
    plan: &'p Plan,
    /// Empty facts of `plan`, filled in.
    facts: &'e mut Facts,
    errors: &'e mut Vec<FactError>,
}

impl<'de> serde::de::DeserializeSeed<'de> for FactsSeed<'_, '_> {
    type Value = Option<()>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<()>, D::Error> {
        d.deserialize_any(self)
    }
}

impl FactsSeed<'_, '_> {
    fn not_an_object<E>(self, received: &str) -> Result<Option<()>, E> {
        self.errors.push(FactError { fact: "(facts)".into(), expected: "a JSON object".into(), received: received.into() });
        Ok(None)
    }
}

impl<'de> serde::de::Visitor<'de> for FactsSeed<'_, '_> {
    type Value = Option<()>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object of facts")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Option<()>, A::Error> {
        use serde::de::Error;
        let facts = self.facts;
        let mut hints_left = MAX_FACT_HINTS;
        let mut seen = Seen::new(self.plan.policy().inputs.len(), self.plan.policy().externals.len());
        // A key given twice (here or inside a value) or a value nested too
        // deep makes the text unreadable, as for [`Json::parse`]: that one
        // error is reported, a repeated fact name before anything inside.
        let mut unreadable: Option<(bool, FactError)> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let raw: &'de RawValue = map.next_value()?;
            let slot = self.plan.slot_of(&key);
            if seen.again(slot, &key) {
                if !matches!(unreadable, Some((true, _))) {
                    unreadable = Some((true, invalid_json(&json::duplicate("", &key))));
                }
                continue;
            }
            if unreadable.is_some() {
                continue;
            }
            match Raw::from_text(raw, &key).map_err(A::Error::custom)? {
                Raw::Bad(e) => unreadable = Some((false, invalid_json(&e))),
                value => self.plan.store(facts, &key, slot, value, self.errors, &mut hints_left),
            }
        }
        if let Some((_, e)) = unreadable {
            self.errors.clear();
            self.errors.push(e);
            return Ok(None);
        }
        Ok(Some(()))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Option<()>, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        self.not_an_object("an array")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<()>, E> {
        self.not_an_object("a bool")
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<()>, E> {
        self.not_an_object("a number")
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<()>, E> {
        self.not_an_object("a number")
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<()>, E> {
        self.not_an_object("a number")
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<()>, E> {
        self.not_an_object("a string")
    }
    fn visit_unit<E>(self) -> Result<Option<()>, E> {
        self.not_an_object("null")
    }
}

/// A fact's name, borrowed from the text unless it had escapes.
struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a fact name")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_string()))
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

fn show_json(v: &Json) -> String {
    let s = v.to_text();
    if s.chars().count() > 60 {
        format!("{}… ({})", s.chars().take(60).collect::<String>(), kind_of(v))
    } else {
        s
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
