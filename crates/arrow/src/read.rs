//! Arrow values to facts: one row of a record batch becomes the engine's
//! [`Facts`] through the public builder, so a row is validated exactly as
//! the same applicant's JSON facts are.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowDictionaryKeyType, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, DictionaryArray};
use arrow_schema::DataType;
use chrono::NaiveDate;
use policy_core::checked::{CheckedPolicy, Type};
use policy_eval::{FactValue, Facts, Plan};
use rust_decimal::Decimal;

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01 (Arrow's day 0).
const UNIX_EPOCH_FROM_CE: i32 = 719_163;

/// The facts of row `row`: each non-null column is set on the plan's facts
/// builder (`columns` pairs a fact's name and type with its column). `Err`
/// is the message for the row: a value that cannot be read, or the engine's
/// fact errors.
pub fn row_facts(plan: &Plan, columns: &[(&str, &Type, &dyn Array)], row: usize) -> Result<Facts, String> {
    let mut builder = plan.facts();
    for (name, ty, array) in columns {
        match value_at(plan.policy(), *array, row, ty) {
            Ok(Some(v)) => builder = builder.set(name, v),
            Ok(None) => {}
            Err(e) => return Err(format!("fact `{name}`: {e}")),
        }
    }
    builder.build().map_err(|e| e.to_string())
}

/// The value at `row` (`None` for a null), read as a fact of type `ty`.
pub fn value_at(p: &CheckedPolicy, array: &dyn Array, row: usize, ty: &Type) -> Result<Option<FactValue>, String> {
    if row >= array.len() {
        return Err(format!("row {row} is past the end of the column"));
    }
    if array.is_null(row) {
        return Ok(None);
    }
    let v = match array.data_type() {
        DataType::Null => return Ok(None),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => {
            let Some(s) = text_at(array, row)? else { return Ok(None) };
            text_value(s, ty)?
        }
        DataType::Boolean => FactValue::Bool(array.as_boolean_opt().ok_or("not a Boolean array")?.value(row)),
        DataType::Int8 => FactValue::Int(array.as_primitive_opt::<Int8Type>().ok_or("bad array")?.value(row).into()),
        DataType::Int16 => FactValue::Int(array.as_primitive_opt::<Int16Type>().ok_or("bad array")?.value(row).into()),
        DataType::Int32 => FactValue::Int(array.as_primitive_opt::<Int32Type>().ok_or("bad array")?.value(row).into()),
        DataType::Int64 => FactValue::Int(array.as_primitive_opt::<Int64Type>().ok_or("bad array")?.value(row)),
        DataType::UInt8 => FactValue::Int(array.as_primitive_opt::<UInt8Type>().ok_or("bad array")?.value(row).into()),
        DataType::UInt16 => FactValue::Int(array.as_primitive_opt::<UInt16Type>().ok_or("bad array")?.value(row).into()),
        DataType::UInt32 => FactValue::Int(array.as_primitive_opt::<UInt32Type>().ok_or("bad array")?.value(row).into()),
        DataType::UInt64 => {
            let u = array.as_primitive_opt::<UInt64Type>().ok_or("bad array")?.value(row);
            FactValue::Int(i64::try_from(u).map_err(|_| format!("{u} is too large"))?)
        }
        DataType::Decimal128(_, scale) => {
            let raw = array.as_primitive_opt::<arrow_array::types::Decimal128Type>().ok_or("bad array")?.value(row);
            FactValue::Decimal(decimal_of(raw, *scale)?)
        }
        DataType::Date32 => {
            let days = array.as_primitive_opt::<arrow_array::types::Date32Type>().ok_or("bad array")?.value(row);
            FactValue::Date(date_of(days)?)
        }
        DataType::Date64 => {
            let ms = array.as_primitive_opt::<arrow_array::types::Date64Type>().ok_or("bad array")?.value(row);
            let days = i32::try_from(ms.div_euclid(86_400_000)).map_err(|_| format!("date {ms} ms is out of range"))?;
            FactValue::Date(date_of(days)?)
        }
        DataType::Struct(fields) => {
            let s = array.as_struct_opt().ok_or("not a Struct array")?;
            let def = match ty {
                Type::Record(r) => p.records.get(r.index()),
                _ => None,
            };
            let mut out = Vec::with_capacity(fields.len());
            for (f, child) in fields.iter().zip(s.columns()) {
                // The engine checks every field against the record's
                // declaration; its type here only reads text as a bool.
                let fty = def.and_then(|d| d.fields.iter().find(|x| x.0 == *f.name())).map(|x| &x.1).unwrap_or(&Type::Error);
                if let Some(v) = value_at(p, child.as_ref(), row, fty).map_err(|e| format!(".{}: {e}", f.name()))? {
                    out.push((f.name().clone(), v));
                }
            }
            FactValue::Record(out)
        }
        DataType::List(_) => {
            let l = array.as_list_opt::<i32>().ok_or("not a List array")?;
            list_values(p, l.value(row).as_ref(), ty)?
        }
        DataType::LargeList(_) => {
            let l = array.as_list_opt::<i64>().ok_or("not a LargeList array")?;
            list_values(p, l.value(row).as_ref(), ty)?
        }
        other => return Err(format!("columns of type {other} cannot hold facts")),
    };
    Ok(Some(v))
}

fn list_values(p: &CheckedPolicy, values: &dyn Array, ty: &Type) -> Result<FactValue, String> {
    let elem = match ty {
        Type::List(e) => e.as_ref(),
        _ => &Type::Error,
    };
    if values.len() > policy_eval::facts::MAX_LIST_LEN {
        return Err(format!("a list of {} elements (at most {} are read)", values.len(), policy_eval::facts::MAX_LIST_LEN));
    }
    let mut out = Vec::with_capacity(values.len());
    for i in 0..values.len() {
        match value_at(p, values, i, elem).map_err(|e| format!("[{i}]: {e}"))? {
            Some(v) => out.push(v),
            None => return Err(format!("[{i}]: a null element (lists hold values only)")),
        }
    }
    Ok(FactValue::List(out))
}

/// Text is handed over as JSON facts would carry it; only a bool fact
/// needs it read here (JSON facts take only `true`/`false` for a bool).
fn text_value(s: &str, ty: &Type) -> Result<FactValue, String> {
    Ok(match ty {
        Type::Bool => match s.trim() {
            "true" | "TRUE" | "True" => FactValue::Bool(true),
            "false" | "FALSE" | "False" => FactValue::Bool(false),
            other => return Err(format!("expected true or false, received \"{other}\"")),
        },
        _ => FactValue::Text(s.to_string()),
    })
}

fn text_at(array: &dyn Array, row: usize) -> Result<Option<&str>, String> {
    Ok(Some(match array.data_type() {
        DataType::Utf8 => array.as_string_opt::<i32>().ok_or("bad array")?.value(row),
        DataType::LargeUtf8 => array.as_string_opt::<i64>().ok_or("bad array")?.value(row),
        DataType::Utf8View => array.as_string_view_opt().ok_or("bad array")?.value(row),
        DataType::Dictionary(k, _) => {
            return match k.as_ref() {
                DataType::Int8 => dict_text::<Int8Type>(array, row),
                DataType::Int16 => dict_text::<Int16Type>(array, row),
                DataType::Int32 => dict_text::<Int32Type>(array, row),
                DataType::Int64 => dict_text::<Int64Type>(array, row),
                DataType::UInt8 => dict_text::<UInt8Type>(array, row),
                DataType::UInt16 => dict_text::<UInt16Type>(array, row),
                DataType::UInt32 => dict_text::<UInt32Type>(array, row),
                DataType::UInt64 => dict_text::<UInt64Type>(array, row),
                other => Err(format!("dictionary keys of type {other}")),
            }
        }
        other => return Err(format!("{other} is not text")),
    }))
}

fn dict_text<K: ArrowDictionaryKeyType>(array: &dyn Array, row: usize) -> Result<Option<&str>, String> {
    let d: &DictionaryArray<K> = array.as_any().downcast_ref().ok_or("bad dictionary array")?;
    let Some(key) = d.key(row) else { return Ok(None) };
    let values = d.values();
    if key >= values.len() {
        return Err(format!("dictionary key {key} is out of range"));
    }
    if values.is_null(key) {
        return Ok(None);
    }
    text_at(values.as_ref(), key)
}

/// An Arrow decimal (unscaled value and scale) as an exact decimal; an error
/// when it does not fit rust_decimal's 96 bits and 28 places.
pub fn decimal_of(raw: i128, scale: i8) -> Result<Decimal, String> {
    let out_of_range = || format!("the decimal {raw}e{} is out of the engine's range", -i32::from(scale));
    if scale >= 0 {
        Decimal::try_from_i128_with_scale(raw, u32::from(scale.unsigned_abs())).map_err(|_| out_of_range())
    } else {
        let factor = 10i128.checked_pow(u32::from(scale.unsigned_abs())).ok_or_else(out_of_range)?;
        let v = raw.checked_mul(factor).ok_or_else(out_of_range)?;
        Decimal::try_from_i128_with_scale(v, 0).map_err(|_| out_of_range())
    }
}

/// An Arrow Date32 (days since 1970-01-01) as a date.
pub fn date_of(days: i32) -> Result<NaiveDate, String> {
    days.checked_add(UNIX_EPOCH_FROM_CE)
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .ok_or_else(|| format!("the date {days} days from 1970-01-01 is out of range"))
}

/// A date as an Arrow Date32.
pub fn days_of(d: NaiveDate) -> i32 {
    chrono::Datelike::num_days_from_ce(&d) - UNIX_EPOCH_FROM_CE
}
