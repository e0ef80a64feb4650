//! Column names and Arrow types derived from a policy's declarations: the
//! canonical schema a population is written in, and the check that an
//! incoming column can be read as the fact of the same name.

use arrow_schema::{DataType, Field, Fields, Schema};
use policy_core::checked::{CheckedPolicy, Type};
use std::sync::Arc;

/// Precision of every decimal column (money, decimals, percents, quantities).
pub const DECIMAL_PRECISION: u8 = 38;
/// Scale of every decimal column this crate writes: ten places, enough for
/// any amount a policy computes from fen and percents; an amount that needs
/// more is an error for its row, never rounded.
pub const DECIMAL_SCALE: i8 = 10;

/// The canonical Arrow type of a fact of type `ty`.
pub fn data_type(p: &CheckedPolicy, ty: &Type) -> DataType {
    match ty {
        Type::Bool => DataType::Boolean,
        Type::Int => DataType::Int64,
        Type::Decimal | Type::Money | Type::Percent | Type::Quantity(_) => DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
        Type::Date => DataType::Date32,
        Type::Duration | Type::Text | Type::EmptyList | Type::Error => DataType::Utf8,
        Type::Enum(_) => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        Type::Record(r) => DataType::Struct(record_fields(p, r.index())),
        Type::List(elem) => DataType::List(Arc::new(Field::new("item", data_type(p, elem), true))),
    }
}

fn record_fields(p: &CheckedPolicy, r: usize) -> Fields {
    p.records
        .get(r)
        .map(|def| def.fields.iter().map(|(name, ty, _)| Field::new(name, data_type(p, ty), true)).collect())
        .unwrap_or_default()
}

/// Every fact the policy reads (its inputs, then its externals) with its
/// declared type, in declaration order.
pub fn facts_of(p: &CheckedPolicy) -> impl Iterator<Item = (&str, &Type)> {
    p.inputs.iter().map(|i| (i.name.as_str(), &i.ty)).chain(p.externals.iter().map(|x| (x.name.as_str(), &x.ty)))
}

/// The canonical schema of a population for this policy: one nullable
/// column per input and external (a null is a fact not supplied).
pub fn fact_schema(p: &CheckedPolicy) -> Schema {
    Schema::new(facts_of(p).map(|(name, ty)| Field::new(name, data_type(p, ty), true)).collect::<Vec<_>>())
}

/// What a column of a fact of type `ty` may hold, for messages.
pub fn describe(p: &CheckedPolicy, ty: &Type) -> String {
    let scalar = "or Utf8 text as in JSON facts";
    match ty {
        Type::Bool => format!("Boolean ({scalar}: \"true\"/\"false\")"),
        Type::Int => format!("an integer type ({scalar})"),
        Type::Decimal | Type::Money | Type::Percent | Type::Quantity(_) => {
            format!("Decimal128 or an integer type ({scalar}; floats are refused: they are not exact)")
        }
        Type::Date => format!("Date32 or Date64 ({scalar}: \"YYYY-MM-DD\")"),
        Type::Duration => "Utf8 text, e.g. \"12 months\"".into(),
        Type::Text => "Utf8 or a dictionary of Utf8".into(),
        Type::Enum(e) => {
            let variants = p.enums.get(e.index()).map(|d| d.variants.iter().map(|v| v.0.as_str()).collect::<Vec<_>>().join(", "));
            format!("Utf8 or a dictionary of Utf8 holding one of {}", variants.unwrap_or_default())
        }
        Type::Record(r) => {
            let name = p.records.get(r.index()).map(|d| d.name.as_str()).unwrap_or("");
            format!("a Struct of the {name} record's fields")
        }
        Type::List(_) => "a List".into(),
        Type::EmptyList | Type::Error => "nothing (this fact's type failed to check)".into(),
    }
}

fn is_text(dt: &DataType) -> bool {
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(k, v) => k.is_dictionary_key_type() && is_text(v),
        _ => false,
    }
}

fn is_int(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
    )
}

/// Whether a column of type `dt` can be read as a fact of type `ty`; on
/// `Err`, the path inside the column that does not fit (empty for the
/// column itself) and what it should be.
pub fn check_type(p: &CheckedPolicy, dt: &DataType, ty: &Type) -> Result<(), (String, String)> {
    let fits = match (ty, dt) {
        (_, DataType::Null) => true,
        (Type::Record(_) | Type::List(_) | Type::EmptyList | Type::Error, _) if is_text(dt) => false,
        (_, _) if is_text(dt) => true,
        (Type::Bool, DataType::Boolean) => true,
        (Type::Int, d) => is_int(d) || matches!(d, DataType::Decimal128(..)),
        (Type::Decimal | Type::Money | Type::Percent | Type::Quantity(_), d) => is_int(d) || matches!(d, DataType::Decimal128(..)),
        (Type::Date, DataType::Date32 | DataType::Date64) => true,
        (Type::Record(r), DataType::Struct(fields)) => {
            let Some(def) = p.records.get(r.index()) else { return Err((String::new(), describe(p, ty))) };
            for f in fields {
                match def.fields.iter().find(|d| d.0 == *f.name()) {
                    None => {
                        let names = def.fields.iter().map(|d| d.0.as_str()).collect::<Vec<_>>().join(", ");
                        return Err((format!(".{}", f.name()), format!("no such field (the {} record has {names})", def.name)));
                    }
                    Some((_, fty, _)) => {
                        check_type(p, f.data_type(), fty).map_err(|(path, want)| (format!(".{}{path}", f.name()), want))?
                    }
                }
            }
            true
        }
        (Type::List(elem), DataType::List(f) | DataType::LargeList(f)) => {
            check_type(p, f.data_type(), elem).map_err(|(path, want)| (format!("[]{path}"), want))?;
            true
        }
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err((String::new(), format!("{} (found {dt})", describe(p, ty))))
    }
}
