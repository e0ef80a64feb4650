//! JSON read exactly, for facts and case files: numbers keep the text they
//! were written with (never a binary float), objects keep their keys in
//! order, and a key given twice in one object is an error naming it.
//!
//! serde_json (with `raw_value`) checks the syntax; each object and array is
//! then re-read from its own raw text, so the cost is the text's length times
//! its nesting depth, which [`MAX_JSON_DEPTH`] bounds. The alternative,
//! serde_json's `arbitrary_precision` feature, would change how every crate
//! of an embedder's build reads numbers (features unify); `raw_value` is
//! additive and changes nothing for anyone else.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::HashSet;

/// Deepest nesting of arrays and objects in facts or case-file JSON (facts
/// themselves allow [`super::MAX_FACT_DEPTH`]).
pub const MAX_JSON_DEPTH: usize = 32;

/// A JSON value read exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written (JSON number syntax).
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in the order written, each once.
    Object(Vec<(String, Json)>),
}

/// Why a JSON text was not read: where (a path such as `cases[2].expect`,
/// empty for the whole text) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Path of the offending value or key.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// The key given twice, when that is the error.
    pub duplicate: Option<String>,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl Json {
    /// Reads a JSON text exactly.
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| syntax("", &e))?;
        from_raw(raw.get(), "", 0)
    }

    /// The value of a serde_json tree. Such a tree has already kept only
    /// the last of duplicate keys and, without serde_json's
    /// `arbitrary_precision`, read fractional numbers as binary floats: its
    /// numbers are taken as serde_json prints them.
    pub fn from_value(v: &serde_json::Value) -> Json {
        match v {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(*b),
            serde_json::Value::Number(n) => Json::Number(n.to_string()),
            serde_json::Value::String(s) => Json::String(s.clone()),
            serde_json::Value::Array(xs) => Json::Array(xs.iter().map(Json::from_value).collect()),
            serde_json::Value::Object(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), Json::from_value(v))).collect()),
        }
    }

    /// The object's entries, when it is one.
    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The value of `key`, when this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object().and_then(|o| o.iter().find(|(k, _)| k == key).map(|(_, v)| v))
    }

    /// Whether it is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// Compact JSON text (numbers as written).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => out.push_str(&quote(s)),
            Json::Array(xs) => {
                out.push('[');
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    x.write(out);
                }
                out.push(']');
            }
            Json::Object(o) => {
                out.push('{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&quote(k));
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A string as a JSON string literal.
pub(crate) fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn syntax(path: &str, e: &serde_json::Error) -> JsonError {
    JsonError { path: path.to_string(), message: e.to_string(), duplicate: None }
}

/// `path.key`, or `key` at the top.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Reads one value from its raw text (already checked by serde_json).
pub(crate) fn from_raw(text: &str, path: &str, depth: usize) -> Result<Json, JsonError> {
    let text = text.trim_start();
    match text.as_bytes().first() {
        Some(b'n') => Ok(Json::Null),
        Some(b't') => Ok(Json::Bool(true)),
        Some(b'f') => Ok(Json::Bool(false)),
        Some(b'"') => serde_json::from_str::<String>(text).map(Json::String).map_err(|e| syntax(path, &e)),
        Some(b'[') | Some(b'{') if depth >= MAX_JSON_DEPTH => {
            Err(JsonError { path: path.to_string(), message: format!("nested deeper than {MAX_JSON_DEPTH} levels"), duplicate: None })
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| syntax(path, &e))?;
            items
                .iter()
                .enumerate()
                .map(|(i, x)| from_raw(x.get(), &format!("{path}[{i}]"), depth + 1))
                .collect::<Result<_, _>>()
                .map(Json::Array)
        }
        Some(b'{') => {
            let Entries(entries) = serde_json::from_str(text).map_err(|e| syntax(path, &e))?;
            if let Some(key) = first_duplicate(entries.iter().map(|(k, _)| k.as_str())) {
                return Err(duplicate(path, key));
            }
            entries
                .into_iter()
                .map(|(k, v)| Ok((k.clone(), from_raw(v.get(), &join(path, &k), depth + 1)?)))
                .collect::<Result<_, _>>()
                .map(Json::Object)
        }
        _ => Ok(Json::Number(text.trim_end().to_string())),
    }
}

/// The error for `key` given twice in the object at `path`.
pub(crate) fn duplicate(path: &str, key: &str) -> JsonError {
    JsonError {
        path: join(path, key),
        message: format!("duplicate key {} (a key may appear once in an object)", quote(key)),
        duplicate: Some(key.to_string()),
    }
}

/// The first key that appears a second time.
pub(crate) fn first_duplicate<'a>(keys: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = HashSet::new();
    keys.into_iter().find(|k| !seen.insert(*k))
}

/// An object's entries in order, duplicates kept, values raw.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    out.push((k, map.next_value::<&RawValue>()?));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_text_and_duplicates_are_named() {
        let j = Json::parse(r#"{"a": 0.79999999999999999999, "b": [1e-29, {"c": -0}]}"#).unwrap();
        assert_eq!(j.to_text(), r#"{"a":0.79999999999999999999,"b":[1e-29,{"c":-0}]}"#);
        let e = Json::parse(r#"{"a": 1, "b": {"x": 1, "x": 2}}"#).unwrap_err();
        assert_eq!(e.to_string(), r#"b.x: duplicate key "x" (a key may appear once in an object)"#);
        let e = Json::parse(r#"{"cases": [{}, {"expect": {"t": 1, "t": 2}}]}"#).unwrap_err();
        assert_eq!(e.path, "cases[1].expect.t");
        assert!(Json::parse("{\"a\": 1,}").is_err());
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert!(Json::parse(&deep).unwrap_err().message.contains("deeper than 32"));
    }
}
