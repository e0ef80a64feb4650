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
        let mut hints_left = MAX_FACT_HINTS;
        for (key, value) in obj {
            self.store(&mut facts, key, Raw::of(value), &mut errors, &mut hints_left);
        }
        if errors.is_empty() {
            Ok(facts)
        } else {
            Err(EvalError::Facts(errors))
        }
    }

    /// Decodes facts from JSON text straight into the plan's slots: the
    /// object is read key by key (no JSON tree of the whole text), and a
    /// scalar fact is decoded from the text where it stands; only lists,
    /// records and values in error pass through a `serde_json::Value`. The
    /// result, and every error, is what [`Plan::facts_from_json`] gives for
    /// the same text (errors in the order the facts are written).
    pub fn facts_from_str(&self, json: &str) -> Result<Facts, EvalError> {
        let mut errors = Vec::new();
        let mut de = serde_json::Deserializer::from_str(json);
        let read = serde::de::DeserializeSeed::deserialize(FactsSeed { plan: self, errors: &mut errors }, &mut de).and_then(|facts| {
            de.end()?;
            Ok(facts)
        });
        match read {
            Ok(Some(facts)) if errors.is_empty() => Ok(facts),
            Ok(_) => Err(EvalError::Facts(errors)),
            Err(e) => {
                Err(EvalError::Facts(vec![FactError { fact: "(facts)".into(), expected: "valid JSON".into(), received: e.to_string() }]))
            }
        }
    }

    /// Stores one fact's decoded value in its slot, or records why not.
    fn store(&self, facts: &mut Facts, key: &str, value: Raw<'_>, errors: &mut Vec<FactError>, hints_left: &mut usize) {
        if matches!(value, Raw::Null) {
            return;
        }
        let p = self.policy();
        if let Some(&i) = self.input_slots.get(key) {
            let Some(def) = p.inputs.get(i) else { return };
            match self.decode_raw(key, value, &def.ty, def.bounds.as_ref(), 0) {
                Ok(v) => {
                    if let (Some(slot), Some(s)) = (facts.inputs.get_mut(i), facts.supplied.get_mut(i)) {
                        *slot = Some(v);
                        *s = true;
                    }
                }
                Err(e) => errors.extend(e),
            }
        } else if let Some(&i) = self.external_slots.get(key) {
            let Some(def) = p.externals.get(i) else { return };
            match self.decode_raw(key, value, &def.ty, def.bounds.as_ref(), 0) {
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

    /// A builder for facts in Rust code.
    pub fn facts(&self) -> FactsBuilder<'_> {
        FactsBuilder::new(self)
    }

    /// Decodes a value read from JSON text or from a JSON tree.
    fn decode_raw(&self, path: &str, v: Raw<'_>, ty: &Type, bounds: Option<&Bounds>, depth: usize) -> Result<Value, Vec<FactError>> {
        match v {
            Raw::Tree(t) => self.decode(path, t, ty, bounds, depth),
            Raw::Owned(t) => self.decode(path, &t, ty, bounds, depth),
            scalar => match self.decode_scalar(path, &scalar, ty, bounds) {
                Some(r) => r,
                // A scalar where a list or record belongs: the tree path reports it.
                None => self.decode(path, &scalar.to_json(), ty, bounds, depth),
            },
        }
    }

    /// Decodes a JSON tree (lists and records; scalars go to [`Self::decode_scalar`]).
    pub(crate) fn decode(
        &self,
        path: &str,
        v: &serde_json::Value,
        ty: &Type,
        bounds: Option<&Bounds>,
        depth: usize,
    ) -> Result<Value, Vec<FactError>> {
        let p = self.policy();
        let fail = |expected: String| vec![FactError { fact: path.to_string(), expected, received: show_json(v) }];
        if depth > MAX_FACT_DEPTH {
            return Err(fail(format!("at most {MAX_FACT_DEPTH} levels of nesting")));
        }
        if let Some(r) = self.decode_scalar(path, &Raw::of(v), ty, bounds) {
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
            _ => return Err(fail("nothing (this input's type failed to check)".into())),
        };
        Ok(value)
    }

    /// Decodes a scalar-typed fact (`None` for lists and records), checking
    /// its declared bounds.
    fn decode_scalar(&self, path: &str, v: &Raw<'_>, ty: &Type, bounds: Option<&Bounds>) -> Option<Result<Value, Vec<FactError>>> {
        let p = self.policy();
        let fail = |expected: String| vec![FactError { fact: path.to_string(), expected, received: show_json(&v.to_json()) }];
        let value = (|| {
            Ok(Some(match ty {
                Type::Bool => Value::Bool(v.as_bool().ok_or_else(|| fail("true or false".into()))?),
                Type::Int => {
                    let d = v.number().ok_or_else(|| fail("a whole number".into()))?;
                    if !d.fract().is_zero() {
                        return Err(fail("a whole number".into()));
                    }
                    Value::Num(d.trunc())
                }
                Type::Decimal | Type::Money | Type::Quantity(_) => {
                    let what = || match ty {
                        Type::Money => "an amount in yuan, e.g. \"1200.00\"".to_string(),
                        Type::Quantity(u) => format!("a number of {}", p.units.get(u.index()).map(|u| u.name.as_str()).unwrap_or("units")),
                        _ => "a number".into(),
                    };
                    Value::Num(v.number().ok_or_else(|| fail(what()))?)
                }
                Type::Percent => {
                    let d = match v.as_str() {
                        Some(s) if s.trim_end().ends_with('%') => {
                            Decimal::from_str(s.trim().trim_end_matches('%').trim()).ok().and_then(|d| d.checked_div(Decimal::ONE_HUNDRED))
                        }
                        _ => v.number(),
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
                return Some(Err(fail(format!("a value in {} .. {}", show(b.low), show(b.high)))));
            }
        }
        Some(Ok(value))
    }

    pub(crate) fn show_num(&self, d: Decimal, ty: &Type) -> String {
        crate::trace::show_value(self.policy(), &Value::Num(d), ty)
    }
}

/// A JSON value as facts decoding reads it: scalars borrowed from the text
/// (or from a tree) where they stand, anything else as a tree.
#[derive(Debug)]
enum Raw<'a> {
    Null,
    Bool(bool),
    Num(serde_json::Number),
    /// Text borrowed from the input.
    Str(&'a str),
    /// Text that had escapes, unescaped.
    Text(String),
    /// A list or record inside a tree.
    Tree(&'a serde_json::Value),
    /// A list or record read from text.
    Owned(serde_json::Value),
}

impl<'a> Raw<'a> {
    fn of(v: &'a serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Raw::Null,
            serde_json::Value::Bool(b) => Raw::Bool(*b),
            serde_json::Value::Number(n) => Raw::Num(n.clone()),
            serde_json::Value::String(s) => Raw::Str(s),
            _ => Raw::Tree(v),
        }
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
            Raw::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The exact decimal of a number, or of a string holding one.
    fn number(&self) -> Option<Decimal> {
        match self {
            Raw::Num(n) => {
                if let Some(i) = n.as_i64() {
                    return Some(Decimal::from(i));
                }
                if let Some(u) = n.as_u64() {
                    return Some(Decimal::from(u));
                }
                // serde_json prints the shortest text that reads back as the
                // same float, which is the text the client wrote for
                // ordinary inputs.
                let text = n.to_string();
                Decimal::from_str(&text).ok().or_else(|| Decimal::from_scientific(&text).ok())
            }
            _ => self.as_str().and_then(|s| Decimal::from_str(s.trim()).ok()),
        }
    }

    /// The value as a JSON tree (for messages and the tree decoder).
    fn to_json(&self) -> serde_json::Value {
        match self {
            Raw::Null => serde_json::Value::Null,
            Raw::Bool(b) => serde_json::Value::Bool(*b),
            Raw::Num(n) => serde_json::Value::Number(n.clone()),
            Raw::Str(s) => serde_json::Value::String((*s).to_string()),
            Raw::Text(s) => serde_json::Value::String(s.clone()),
            Raw::Tree(t) => (*t).clone(),
            Raw::Owned(t) => t.clone(),
        }
    }
}

/// Reads the facts object key by key into a plan's slots; `None` (with the
/// error recorded) when the text is not an object.
struct FactsSeed<'p, 'e> {
    plan: &'p Plan,
    errors: &'e mut Vec<FactError>,
}

impl<'de> serde::de::DeserializeSeed<'de> for FactsSeed<'_, '_> {
    type Value = Option<Facts>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<Facts>, D::Error> {
        d.deserialize_any(self)
    }
}

impl FactsSeed<'_, '_> {
    fn not_an_object<E>(self, received: &str) -> Result<Option<Facts>, E> {
        self.errors.push(FactError { fact: "(facts)".into(), expected: "a JSON object".into(), received: received.into() });
        Ok(None)
    }
}

impl<'de> serde::de::Visitor<'de> for FactsSeed<'_, '_> {
    type Value = Option<Facts>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object of facts")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Option<Facts>, A::Error> {
        let mut facts = Facts::empty(self.plan);
        let mut hints_left = MAX_FACT_HINTS;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value_seed(RawSeed)?;
            self.plan.store(&mut facts, &key, value, self.errors, &mut hints_left);
        }
        Ok(Some(facts))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Facts>, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        self.not_an_object("an array")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<Facts>, E> {
        self.not_an_object("a bool")
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<Facts>, E> {
        self.not_an_object("a number")
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<Facts>, E> {
        self.not_an_object("a number")
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<Facts>, E> {
        self.not_an_object("a number")
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<Facts>, E> {
        self.not_an_object("a string")
    }
    fn visit_unit<E>(self) -> Result<Option<Facts>, E> {
        self.not_an_object("null")
    }
}

/// A fact's name, borrowed from the text unless it had escapes.
struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = std::borrow::Cow<'de, str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed {
    type Value = std::borrow::Cow<'de, str>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a fact name")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Borrowed(s))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(s.to_string()))
    }
}

/// A fact's value: scalars as they stand, lists and objects as a tree.
struct RawSeed;

impl<'de> serde::de::DeserializeSeed<'de> for RawSeed {
    type Value = Raw<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Raw<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RawSeed {
    type Value = Raw<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Raw<'de>, E> {
        Ok(Raw::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Raw<'de>, E> {
        Ok(Raw::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Raw<'de>, E> {
        Ok(Raw::Num(i.into()))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Raw<'de>, E> {
        Ok(Raw::Num(u.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<Raw<'de>, E> {
        serde_json::Number::from_f64(x).map(Raw::Num).ok_or_else(|| E::custom("a number that is not finite"))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Raw<'de>, E> {
        Ok(Raw::Str(s))
    }
    fn visit_str<E>(self, s: &str) -> Result<Raw<'de>, E> {
        Ok(Raw::Text(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Raw<'de>, E> {
        Ok(Raw::Text(s))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Raw<'de>, A::Error> {
        serde::Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(Raw::Owned)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Raw<'de>, A::Error> {
        serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Raw::Owned)
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
            let cf: CaseFile = serde_json::from_str(&text).unwrap();
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
                    }
                }
                variants.extend(["[1, 2]", "3", "\"s\"", "null", "true", "{", "{} x", "{\"a\\u0062\": 1}"].map(str::to_string));
                for t in &variants {
                    let tree = match serde_json::from_str::<serde_json::Value>(t) {
                        Ok(v) => plan.facts_from_json(&v),
                        Err(e) => Err(EvalError::Facts(vec![crate::FactError {
                            fact: "(facts)".into(),
                            expected: "valid JSON".into(),
                            received: e.to_string(),
                        }])),
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
