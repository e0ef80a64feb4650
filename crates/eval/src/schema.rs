//! The JSON Schema (draft 2020-12) of a policy's facts: one property per
//! input and external, with types, ranges, enum variants (and their labels
//! as `x-enum-labels`), units (`x-unit`) and defaults. Used by `policy
//! schema` and by the server's `/v1/policies/{id}/schema`.

use crate::facts::{MAX_LIST_LEN, MAX_TEXT_LEN};
use policy_core::checked::{Bounds, CheckedPolicy, Type};
use policy_core::value::{DurationUnit, Value};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value as Json};

/// Decimal text, optionally signed, as the facts decoder reads it.
const DECIMAL_PATTERN: &str = r"^\s*[+-]?[0-9]+(\.[0-9]+)?\s*$";
/// `"70%"`, `"12.5 %"`.
const PERCENT_PATTERN: &str = r"^\s*[+-]?[0-9]+(\.[0-9]+)?\s*%\s*$";
/// `"12 months"`.
const DURATION_PATTERN: &str = r"^\s*-?[0-9]+\s+(day|days|month|months|year|years)\s*$";

/// The schema of the facts `p` accepts: one property per input and external.
pub fn facts_schema(p: &CheckedPolicy) -> Node {
    let mut properties = Obj::new();
    let mut required = Vec::new();
    for input in &p.inputs {
        let mut s = Obj::new();
        if let Some(label) = &input.label {
            s.put("description", Json::String(label.clone()));
        }
        s.extend(type_schema(p, &input.ty, input.bounds.as_ref()));
        match &input.default {
            Some(d) => {
                s.put("default", value_json(p, d, &input.ty));
            }
            None => required.push(Json::String(input.name.clone())),
        }
        properties.put(&input.name, Node::Object(s));
    }
    for ext in &p.externals {
        let mut s = Obj::new();
        let mut description = ext.label.clone();
        if let Some((authority, _)) = &ext.set_by {
            description.push_str(&format!(" (external: set by {authority})"));
        } else if let Some(instrument) = &ext.defined_in {
            description.push_str(&format!(" (external: defined in {instrument})"));
        } else {
            description.push_str(" (external)");
        }
        s.put("description", Json::String(description));
        s.extend(type_schema(p, &ext.ty, ext.bounds.as_ref()));
        properties.put(&ext.name, Node::Object(s));
    }
    let mut root = Obj::new();
    root.put("$schema", json!("https://json-schema.org/draft/2020-12/schema"));
    root.put("title", json!(format!("Facts for {}", p.meta.id)));
    let mut description = p.meta.title.clone();
    if !p.meta.documents.is_empty() {
        description.push_str(&format!(" ({})", p.meta.documents.join(" / ")));
    }
    root.put("description", Json::String(description));
    root.put("type", json!("object"));
    root.put("properties", Node::Object(properties));
    root.put("required", Json::Array(required));
    root.put("additionalProperties", json!(false));
    Node::Object(root)
}

fn type_schema(p: &CheckedPolicy, ty: &Type, bounds: Option<&Bounds>) -> Obj {
    let mut s = Obj::new();
    match ty {
        Type::Bool => {
            s.put("type", json!("boolean"));
        }
        Type::Int => {
            s.put("type", json!("integer"));
        }
        Type::Decimal | Type::Money | Type::Quantity(_) => {
            s.put("type", json!(["string", "number"]));
            s.put("pattern", json!(DECIMAL_PATTERN));
            let unit = match ty {
                Type::Money => Some("yuan".to_string()),
                Type::Quantity(u) => p.units.get(u.index()).map(|u| u.name.clone()),
                _ => None,
            };
            if let Some(unit) = unit {
                s.put("x-unit", Json::String(unit));
            }
        }
        Type::Percent => {
            s.put("type", json!(["string", "number"]));
            s.put("pattern", json!(PERCENT_PATTERN));
            s.put("$comment", json!("a percent string such as \"70%\", or a number giving the fraction (0.7)"));
        }
        Type::Date => {
            s.put("type", json!("string"));
            s.put("format", json!("date"));
        }
        Type::Duration => {
            s.put("type", json!("string"));
            s.put("pattern", json!(DURATION_PATTERN));
        }
        Type::Text => {
            s.put("type", json!("string"));
            s.put("maxLength", json!(MAX_TEXT_LEN));
        }
        Type::Enum(e) => {
            s.put("type", json!("string"));
            if let Some(def) = p.enums.get(e.index()) {
                s.put("enum", def.variants.iter().map(|v| Json::String(v.0.clone())).collect::<Json>());
                let labels: Obj = def
                    .variants
                    .iter()
                    .filter_map(|(name, label)| label.as_ref().map(|l| (name.clone(), Json::String(l.clone()))))
                    .collect();
                if !labels.is_empty() {
                    s.put("x-enum-labels", Node::Object(labels));
                }
            }
        }
        Type::Record(r) => {
            s.put("type", json!("object"));
            if let Some(def) = p.records.get(r.index()) {
                let mut props = Obj::new();
                for (name, fty, label) in &def.fields {
                    let mut f = Obj::new();
                    if let Some(label) = label {
                        f.put("description", Json::String(label.clone()));
                    }
                    f.extend(type_schema(p, fty, None));
                    props.put(name, Node::Object(f));
                }
                s.put("properties", Node::Object(props));
                s.put("required", def.fields.iter().map(|f| Json::String(f.0.clone())).collect::<Json>());
            }
            s.put("additionalProperties", json!(false));
        }
        Type::List(elem) => {
            s.put("type", json!("array"));
            s.put("items", Node::Object(type_schema(p, elem, None)));
            s.put("maxItems", json!(MAX_LIST_LEN));
        }
        Type::EmptyList | Type::Error => {}
    }
    if let Some(b) = bounds {
        if let Some(low) = b.low {
            s.put("minimum", number(low));
        }
        if let Some(high) = b.high {
            s.put("maximum", number(high));
        }
    }
    s
}

/// A decimal as a JSON number: an integer when it is whole.
fn number(d: Decimal) -> Json {
    if d.fract().is_zero() {
        if let Some(i) = d.to_i64() {
            return json!(i);
        }
    }
    d.to_f64().and_then(serde_json::Number::from_f64).map(Json::Number).unwrap_or_else(|| Json::String(d.to_string()))
}

/// A default value as facts would give it.
fn value_json(p: &CheckedPolicy, v: &Value, ty: &Type) -> Json {
    match (v, ty) {
        (Value::Bool(b), _) => json!(b),
        (Value::Num(d), Type::Int) => number(*d),
        (Value::Num(d), Type::Percent) => json!(policy_core::value::percent_string(*d)),
        (Value::Num(d), Type::Money) => json!(policy_core::value::money_string(*d)),
        (Value::Num(d), _) => json!(d.normalize().to_string()),
        (Value::Date(d), _) => json!(d.to_string()),
        (Value::Duration(d), _) => {
            let unit = match d.unit {
                DurationUnit::Days => "days",
                DurationUnit::Months => "months",
                DurationUnit::Years => "years",
            };
            json!(format!("{} {unit}", d.amount))
        }
        (Value::Text(t), _) => json!(t.as_ref()),
        (Value::Enum(i), Type::Enum(e)) => {
            p.enums.get(e.index()).and_then(|def| def.variants.get(*i as usize)).map(|v| json!(v.0)).unwrap_or(Json::Null)
        }
        (Value::Enum(i), _) => json!(i),
        (Value::Record(fields), Type::Record(r)) => match p.records.get(r.index()) {
            Some(def) => Json::Object(
                def.fields.iter().zip(fields.iter()).map(|((name, fty, _), fv)| (name.clone(), value_json(p, fv, fty))).collect(),
            ),
            None => Json::Null,
        },
        (Value::List(xs), Type::List(elem)) => xs.iter().map(|x| value_json(p, x, elem)).collect(),
        _ => Json::Null,
    }
}

/// A JSON value whose objects keep their keys in insertion order (the
/// workspace's serde_json sorts object keys).
#[derive(Debug, Clone)]
pub enum Node {
    /// A plain value.
    Value(Json),
    /// An object, keys in order.
    Object(Obj),
}

/// An ordered JSON object.
#[derive(Debug, Clone, Default)]
pub struct Obj(Vec<(String, Node)>);

impl Obj {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `key` (replacing an earlier value).
    pub fn put(&mut self, key: &str, value: impl Into<Node>) {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_string(), value)),
        }
    }
    /// Appends every key of `other`.
    pub fn extend(&mut self, other: Obj) {
        for (k, v) in other.0 {
            self.put(&k, v);
        }
    }
    /// Whether it has no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Into<Node>> FromIterator<(String, V)> for Obj {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        Obj(iter.into_iter().map(|(k, v)| (k, v.into())).collect())
    }
}

impl From<Json> for Node {
    fn from(v: Json) -> Self {
        Node::Value(v)
    }
}

impl From<Obj> for Node {
    fn from(o: Obj) -> Self {
        Node::Object(o)
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Value(v) => v.serialize(s),
            Node::Object(o) => {
                let mut m = s.serialize_map(Some(o.0.len()))?;
                for (k, v) in &o.0 {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}
