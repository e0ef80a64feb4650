//! One fact's value against its declared type: scalars from their text
//! forms (numbers from their digits, dates, durations, percents, quantities
//! in a convertible unit), lists and records from a JSON tree, every limit
//! and every problem an error naming the fact ([`Raw`]: a value as the
//! readers hand it over, borrowed from the text where it stands).

use super::json::{self, Json, JsonError};
use super::scalar::{self, NumberError};
use super::{invalid_json, kind_of, MAX_FACT_DEPTH, MAX_LIST_LEN, MAX_TEXT_LEN};
use crate::decision::Warning;
use crate::error::FactError;
use crate::plan::Plan;
use chrono::{Datelike, NaiveDate};
use policy_core::checked::{Bounds, CheckedPolicy, Type, UnitId};
use policy_core::value::Value;
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::Arc;

impl Plan {
    /// Decodes a value read from JSON text or from a JSON tree.
    pub(super) fn decode_raw(
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
    pub(super) fn decode_scalar(
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
pub(super) enum Raw<'a> {
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
    pub(super) fn of(v: &'a Json) -> Self {
        match v {
            Json::Null => Raw::Null,
            Json::Bool(b) => Raw::Bool(*b),
            Json::Number(n) => Raw::Num(n),
            Json::String(s) => Raw::Str(Cow::Borrowed(s)),
            _ => Raw::Tree(v),
        }
    }

    /// A fact's value from its raw text (serde_json checked the syntax).
    pub(super) fn from_text(raw: &'a RawValue, path: &str) -> Result<Self, serde_json::Error> {
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

fn show_json(v: &Json) -> String {
    let s = v.to_text();
    if s.chars().count() > 60 {
        format!("{}… ({})", s.chars().take(60).collect::<String>(), kind_of(v))
    } else {
        s
    }
}
