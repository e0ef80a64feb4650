//! The reference reader of facts in JSON text: serde_json, key by key, into
//! a plan's slots (a fact's value as [`Raw`]: a scalar where it stands, a
//! list or record through a [`json::Json`] tree), behind
//! [`Plan::facts_from_str`] whenever the fast path (`scan.rs`) declines.

use super::json;
use super::{invalid_json, Facts, Raw, MAX_FACT_HINTS};
use crate::error::{EvalError, FactError};
use crate::plan::Plan;
use crate::slots::Seen;
use serde_json::value::RawValue;
use std::borrow::Cow;

impl Plan {
    /// Reads `json` into `facts` (empty facts of this plan) with serde_json.
    pub(super) fn facts_from_str_serde(&self, json: &str, facts: &mut Facts) -> Result<(), EvalError> {
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
