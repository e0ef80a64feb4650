//! Facts: the applicant's data, validated against the policy's declared
//! inputs and decoded into the plan's slots (one per input and external).

use crate::error::{EvalError, FactError};
use crate::plan::Plan;
use chrono::NaiveDate;
use policy_core::checked::{Bounds, Type};
use policy_core::value::{Duration, DurationUnit, Value};
use rust_decimal::Decimal;
use std::str::FromStr;
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
}

impl Facts {
    /// Facts with nothing supplied (defaults applied).
    pub fn empty(plan: &Plan) -> Self {
        let p = plan.policy();
        Facts {
            inputs: p.inputs.iter().map(|i| i.default.clone()).collect(),
            supplied: vec![false; p.inputs.len()],
            externals: vec![None; p.externals.len()],
        }
    }
}

/// A value handed to [`FactsBuilder::set`].
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
    fn to_json(&self) -> serde_json::Value {
        match self {
            FactValue::Bool(b) => serde_json::Value::Bool(*b),
            FactValue::Int(i) => serde_json::Value::from(*i),
            FactValue::Decimal(d) => serde_json::Value::String(d.to_string()),
            FactValue::Date(d) => serde_json::Value::String(d.to_string()),
            FactValue::Text(s) => serde_json::Value::String(s.clone()),
            FactValue::List(xs) => serde_json::Value::Array(xs.iter().map(FactValue::to_json).collect()),
            FactValue::Record(fs) => serde_json::Value::Object(fs.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }
}

/// Builds facts in Rust code, checked like JSON facts.
#[derive(Debug)]
pub struct FactsBuilder<'p> {
    plan: &'p Plan,
    map: serde_json::Map<String, serde_json::Value>,
}

impl<'p> FactsBuilder<'p> {
    pub(crate) fn new(plan: &'p Plan) -> Self {
        FactsBuilder { plan, map: serde_json::Map::new() }
    }
    /// Sets a fact (or an external) by name.
    pub fn set(mut self, name: &str, value: impl Into<FactValue>) -> Self {
        self.map.insert(name.to_string(), value.into().to_json());
        self
    }
    /// Validates and returns the facts.
    pub fn build(self) -> Result<Facts, EvalError> {
        self.plan.facts_from_json(&serde_json::Value::Object(self.map))
    }
}

impl Plan {
    /// Decodes and validates JSON facts: an object keyed by input (and
    /// external) name. Every problem is reported, not just the first.
    pub fn facts_from_json(&self, json: &serde_json::Value) -> Result<Facts, EvalError> {
        let mut facts = Facts::empty(self);
        let mut errors = Vec::new();
        let Some(obj) = json.as_object() else {
            return Err(EvalError::Facts(vec![FactError {
                fact: "(facts)".into(),
                expected: "a JSON object".into(),
                received: kind_of(json),
            }]));
        };
        let p = self.policy();
        let mut hints_left = MAX_FACT_HINTS;
        for (key, value) in obj {
            if value.is_null() {
                continue;
            }
            if let Some(&i) = self.input_slots.get(key.as_str()) {
                let Some(def) = p.inputs.get(i) else { continue };
                match self.decode(key, value, &def.ty, def.bounds.as_ref(), 0) {
                    Ok(v) => {
                        if let (Some(slot), Some(s)) = (facts.inputs.get_mut(i), facts.supplied.get_mut(i)) {
                            *slot = Some(v);
                            *s = true;
                        }
                    }
                    Err(e) => errors.extend(e),
                }
            } else if let Some(&i) = self.external_slots.get(key.as_str()) {
                let Some(def) = p.externals.get(i) else { continue };
                match self.decode(key, value, &def.ty, def.bounds.as_ref(), 0) {
                    Ok(v) => {
                        if let Some(slot) = facts.externals.get_mut(i) {
                            *slot = Some(v);
                        }
                    }
                    Err(e) => errors.extend(e),
                }
            } else {
                let names = p.inputs.iter().map(|i| i.name.as_str()).chain(p.externals.iter().map(|x| x.name.as_str()));
                let hint = if hints_left > 0 {
                    hints_left -= 1;
                    policy_core::check::did_you_mean(key, names).map(|h| format!(" ({h})")).unwrap_or_default()
                } else {
                    String::new()
                };
                errors.push(FactError {
                    fact: key.clone(),
                    expected: format!("a declared input{hint}"),
                    received: "an unknown fact".into(),
                });
            }
        }
        if errors.is_empty() {
            Ok(facts)
        } else {
            Err(EvalError::Facts(errors))
        }
    }

    /// Decodes facts from JSON text.
    pub fn facts_from_str(&self, json: &str) -> Result<Facts, EvalError> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
            EvalError::Facts(vec![FactError { fact: "(facts)".into(), expected: "valid JSON".into(), received: e.to_string() }])
        })?;
        self.facts_from_json(&value)
    }

    /// A builder for facts in Rust code.
    pub fn facts(&self) -> FactsBuilder<'_> {
        FactsBuilder::new(self)
    }

    fn decode(&self, path: &str, v: &serde_json::Value, ty: &Type, bounds: Option<&Bounds>, depth: usize) -> Result<Value, Vec<FactError>> {
        let p = self.policy();
        let fail = |expected: String| vec![FactError { fact: path.to_string(), expected, received: show_json(v) }];
        if depth > MAX_FACT_DEPTH {
            return Err(fail(format!("at most {MAX_FACT_DEPTH} levels of nesting")));
        }
        let value = match ty {
            Type::Bool => Value::Bool(v.as_bool().ok_or_else(|| fail("true or false".into()))?),
            Type::Int => {
                let d = number(v).ok_or_else(|| fail("a whole number".into()))?;
                if !d.fract().is_zero() {
                    return Err(fail("a whole number".into()));
                }
                Value::Num(d.trunc())
            }
            Type::Decimal | Type::Money | Type::Quantity(_) => {
                let what = match ty {
                    Type::Money => "an amount in yuan, e.g. \"1200.00\"".to_string(),
                    Type::Quantity(u) => format!("a number of {}", p.units.get(u.index()).map(|u| u.name.as_str()).unwrap_or("units")),
                    _ => "a number".into(),
                };
                Value::Num(number(v).ok_or_else(|| fail(what))?)
            }
            Type::Percent => {
                let d = match v {
                    serde_json::Value::String(s) if s.trim_end().ends_with('%') => {
                        Decimal::from_str(s.trim().trim_end_matches('%').trim()).ok().and_then(|d| d.checked_div(Decimal::ONE_HUNDRED))
                    }
                    _ => number(v),
                };
                Value::Num(d.ok_or_else(|| fail("a percent, e.g. \"70%\" (or the fraction 0.7)".into()))?)
            }
            Type::Date => {
                let s = v.as_str().ok_or_else(|| fail("a date \"YYYY-MM-DD\"".into()))?;
                Value::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| fail("a date \"YYYY-MM-DD\"".into()))?)
            }
            Type::Duration => {
                let s = v.as_str().ok_or_else(|| fail("a duration, e.g. \"12 months\"".into()))?;
                Value::Duration(parse_duration(s).ok_or_else(|| fail("a duration, e.g. \"12 months\"".into()))?)
            }
            Type::Text => {
                let s = v.as_str().ok_or_else(|| fail("text".into()))?;
                if s.chars().count() > MAX_TEXT_LEN {
                    return Err(fail(format!("text of at most {MAX_TEXT_LEN} characters")));
                }
                Value::Text(Arc::from(s))
            }
            Type::Enum(e) => {
                let def = p.enums.get(e.index());
                let names: Vec<&str> = def.map(|d| d.variants.iter().map(|v| v.0.as_str()).collect()).unwrap_or_default();
                let expected = || format!("one of {}", names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", "));
                let s = v.as_str().ok_or_else(|| fail(expected()))?;
                let i = names.iter().position(|n| *n == s).ok_or_else(|| fail(expected()))?;
                Value::Enum(u32::try_from(i).unwrap_or(0))
            }
            Type::Record(r) => {
                let def = p.records.get(r.index());
                let obj =
                    v.as_object().ok_or_else(|| fail(format!("a {} record (an object)", def.map(|d| d.name.as_str()).unwrap_or(""))))?;
                let mut errors = Vec::new();
                let mut fields = Vec::new();
                if let Some(def) = def {
                    for (name, fty, _) in &def.fields {
                        let fpath = format!("{path}.{name}");
                        match obj.get(name) {
                            Some(fv) if !fv.is_null() => match self.decode(&fpath, fv, fty, None, depth + 1) {
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
                    for key in obj.keys() {
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
                let arr = v.as_array().ok_or_else(|| fail("a list (an array)".into()))?;
                if arr.len() > MAX_LIST_LEN {
                    return Err(fail(format!("a list of at most {MAX_LIST_LEN} elements")));
                }
                let mut errors = Vec::new();
                let mut out = Vec::with_capacity(arr.len());
                for (i, x) in arr.iter().enumerate() {
                    match self.decode(&format!("{path}[{i}]"), x, elem, None, depth + 1) {
                        Ok(x) => out.push(x),
                        Err(e) => errors.extend(e),
                    }
                }
                if !errors.is_empty() {
                    return Err(errors);
                }
                Value::List(out.into())
            }
            Type::EmptyList | Type::Error => return Err(fail("nothing (this input's type failed to check)".into())),
        };
        if let (Some(b), Value::Num(d)) = (bounds, &value) {
            let low_ok = b.low.is_none_or(|l| *d >= l);
            let high_ok = b.high.is_none_or(|h| *d <= h);
            if !low_ok || !high_ok {
                let show = |x: Option<Decimal>| x.map(|x| self.show_num(x, ty)).unwrap_or_default();
                return Err(fail(format!("a value in {} .. {}", show(b.low), show(b.high))));
            }
        }
        Ok(value)
    }

    pub(crate) fn show_num(&self, d: Decimal, ty: &Type) -> String {
        crate::trace::show_value(self.policy(), &Value::Num(d), ty)
    }
}

fn number(v: &serde_json::Value) -> Option<Decimal> {
    match v {
        // serde_json prints the shortest text that reads back as the same
        // float, which is the text the client wrote for ordinary inputs.
        serde_json::Value::Number(n) => Decimal::from_str(&n.to_string()).ok().or_else(|| Decimal::from_scientific(&n.to_string()).ok()),
        serde_json::Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

fn parse_duration(s: &str) -> Option<Duration> {
    let mut parts = s.split_whitespace();
    let amount: i64 = parts.next()?.parse().ok()?;
    let unit = match parts.next()? {
        "day" | "days" => DurationUnit::Days,
        "month" | "months" => DurationUnit::Months,
        "year" | "years" => DurationUnit::Years,
        _ => return None,
    };
    Some(Duration { amount, unit })
}

fn kind_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a bool",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
    .into()
}

fn show_json(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}… ({})", s.chars().take(60).collect::<String>(), kind_of(v))
    } else {
        s
    }
}
