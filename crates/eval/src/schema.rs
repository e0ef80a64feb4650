//! The JSON Schema (draft 2020-12) of a policy's facts: one property per
//! input and external, none required, with types, ranges, enum variants
//! (and their labels as `x-enum-labels`), units (`x-unit`), defaults, and the
//! facts each benefit may read (`x-facts-by-benefit`; those of the benefits
//! it reads with `amount_of` included), and the outputs each benefit's
//! decision reports (`x-outputs-by-benefit`, `x-outputs` for one benefit:
//! id, type, label). Used by `policy schema` and by the server's
//! `/v1/policies/{id}/schema`.

use crate::facts::{MAX_LIST_LEN, MAX_TEXT_LEN};
use policy_core::checked::{Bounds, CheckedPolicy, Type};
use policy_core::value::{DurationUnit, Value};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value as Json};

/// Decimal text, optionally signed, as the facts decoder reads it.
const DECIMAL_PATTERN: &str = r"^\s*[+-]?[0-9]+(\.[0-9]+)?\s*$";
/// A whole number as text (`"12"`, `"12.0"`).
const INT_PATTERN: &str = r"^\s*[+-]?[0-9]+(\.0+)?\s*$";
/// `"70%"`, `"12.5 %"`.
const PERCENT_PATTERN: &str = r"^\s*[+-]?[0-9]+(\.[0-9]+)?\s*%\s*$";
/// `"12 months"`.
const DURATION_PATTERN: &str = r"^\s*-?[0-9]{1,18}\s+(day|days|month|months|year|years)\s*$";
/// `"2021-06-01"` (the `format` then checks the calendar).
const DATE_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

/// The facts each benefit may read: the inputs and externals its
/// expressions read, and the `application_date` input when the benefit has
/// no `dated_by` (its default reference date).
fn facts_by_benefit(p: &CheckedPolicy) -> Vec<(String, Vec<String>)> {
    let has_application_date = p.inputs.iter().any(|i| i.name == "application_date");
    crate::diff::facts_read_by_benefit(p)
        .into_iter()
        .map(|(id, mut facts)| {
            if has_application_date && p.benefits.iter().any(|b| *b.id == *id && b.dated_by.is_none()) {
                facts.insert("application_date".into());
            }
            (id, facts.into_iter().collect())
        })
        .collect()
}

/// The schema of the facts `p` accepts: one property per input and
/// external, none required (a decision is made on whatever facts are
/// given; a benefit that needs a missing one is undetermined and lists it),
/// `null` allowed for each (it counts as absent). With `benefit`, only the
/// facts that benefit may read.
pub fn facts_schema(p: &CheckedPolicy, benefit: Option<&str>) -> Node {
    let by_benefit = facts_by_benefit(p);
    let wanted: Option<&Vec<String>> = benefit.and_then(|id| by_benefit.iter().find(|(b, _)| b == id).map(|(_, f)| f));
    let keep = |name: &str| wanted.is_none_or(|w| w.iter().any(|f| f == name));
    let mut properties = Obj::new();
    for input in p.inputs.iter().filter(|i| keep(&i.name)) {
        let mut s = Obj::new();
        if let Some(label) = &input.label {
            s.put("description", Json::String(label.clone()));
        }
        s.extend(nullable(type_schema(p, &input.ty, input.bounds.as_ref())));
        if let Some(d) = &input.default {
            s.put("default", value_json(p, d, &input.ty));
        }
        properties.put(&input.name, Node::Object(s));
    }
    for ext in p.externals.iter().filter(|x| keep(&x.name)) {
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
        s.extend(nullable(type_schema(p, &ext.ty, ext.bounds.as_ref())));
        properties.put(&ext.name, Node::Object(s));
    }
    let mut root = Obj::new();
    root.put("$schema", json!("https://json-schema.org/draft/2020-12/schema"));
    match benefit {
        Some(id) => root.put("title", json!(format!("Facts for {} / {id}", p.meta.id))),
        None => root.put("title", json!(format!("Facts for {}", p.meta.id))),
    }
    let mut description = p.meta.title.clone();
    if !p.meta.documents.is_empty() {
        description.push_str(&format!(" ({})", p.meta.documents.join(" / ")));
    }
    match benefit.and_then(|id| p.benefits.iter().find(|b| *b.id == *id)) {
        Some(b) => description.push_str(&format!(
            ": the facts benefit `{}` ({}) may read; none is required, and a missing one it needs leaves it undetermined, listed as missing",
            b.id, b.label
        )),
        None => description.push_str(
            ": every fact is optional (a benefit that needs a missing one is undetermined and lists it); x-facts-by-benefit says which facts each benefit may read",
        ),
    }
    root.put("description", Json::String(description));
    root.put("type", json!("object"));
    root.put("properties", Node::Object(properties));
    root.put("additionalProperties", json!(false));
    if benefit.is_none() {
        let map: Obj = by_benefit.into_iter().map(|(id, facts)| (id, Json::from(facts))).collect();
        root.put("x-facts-by-benefit", Node::Object(map));
    }
    // The values each benefit's decision reports besides its amount.
    let outputs = |b: &policy_core::checked::BenefitDef| -> Json {
        b.outputs
            .iter()
            .map(|o| json!({"id": &*o.id, "type": crate::trace::type_label(p, &o.ty), "label": o.label.as_deref()}))
            .collect::<Vec<_>>()
            .into()
    };
    match benefit {
        Some(id) => {
            if let Some(b) = p.benefits.iter().find(|b| *b.id == *id && !b.outputs.is_empty()) {
                root.put("x-outputs", outputs(b));
            }
        }
        None if p.benefits.iter().any(|b| !b.outputs.is_empty()) => {
            let map: Obj = p.benefits.iter().filter(|b| !b.outputs.is_empty()).map(|b| (b.id.to_string(), outputs(b))).collect();
            root.put("x-outputs-by-benefit", Node::Object(map));
        }
        None => {}
    }
    Node::Object(root)
}

/// A top-level property's schema that also takes `null` (absent).
fn nullable(mut s: Obj) -> Obj {
    if let Some(Node::Value(t)) = s.get("type").cloned() {
        let mut types: Vec<Json> = match t {
            Json::Array(ts) => ts,
            other => vec![other],
        };
        types.push(json!("null"));
        s.put("type", Json::Array(types));
    }
    if let Some(Node::Value(Json::Array(mut vs))) = s.get("enum").cloned() {
        vs.push(Json::Null);
        s.put("enum", Json::Array(vs));
    }
    s
}

fn type_schema(p: &CheckedPolicy, ty: &Type, bounds: Option<&Bounds>) -> Obj {
    let mut s = Obj::new();
    match ty {
        Type::Bool => {
            s.put("type", json!("boolean"));
        }
        Type::Int => {
            s.put("type", json!(["integer", "string"]));
            s.put("pattern", json!(INT_PATTERN));
        }
        Type::Decimal | Type::Money => {
            s.put("type", json!(["string", "number"]));
            s.put("pattern", json!(DECIMAL_PATTERN));
            if matches!(ty, Type::Money) {
                s.put("x-unit", json!("yuan"));
            }
        }
        Type::Quantity(u) => {
            s.put("type", json!(["string", "number"]));
            let own = p.units.get(u.index()).map(|u| u.name.clone()).unwrap_or_default();
            let others: Vec<String> = crate::facts::convertible_units(p, *u).iter().map(|(n, _, _)| n.to_string()).collect();
            let names: Vec<String> = std::iter::once(&own).chain(&others).map(|n| n.replace('.', r"\.")).collect();
            s.put("pattern", json!(format!(r"^\s*[+-]?[0-9]+(\.[0-9]+)?(\s+({}))?\s*$", names.join("|"))));
            s.put("x-unit", Json::String(own.clone()));
            let mut comment = format!("a number of {own}, or a string \"N {own}\"");
            if !others.is_empty() {
                s.put("x-convertible-units", Json::from(others.clone()));
                comment.push_str(&format!(
                    ", or \"N {}\" converted as the policy declares (refused when the conversion is not exact)",
                    others.join("\" / \"N ")
                ));
            }
            s.put("$comment", Json::String(comment));
        }
        Type::Percent => {
            s.put("type", json!(["string", "number"]));
            s.put("pattern", json!(PERCENT_PATTERN));
            s.put(
                "$comment",
                json!("a percent string such as \"70%\" (the % is required), or a bare number giving the fraction (0.7 is 70%; a bare number of 1 or more is accepted with a warning)"),
            );
        }
        Type::Date => {
            s.put("type", json!("string"));
            s.put("pattern", json!(DATE_PATTERN));
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
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
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
