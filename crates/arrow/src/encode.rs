//! JSON facts to Arrow columns in the canonical schema: how `policy sample`
//! writes a population and how tests turn case files into record batches.
//! Numbers are read from their text, never through a float.

use crate::read::days_of;
use crate::schema::{data_type, fact_schema, facts_of, DECIMAL_PRECISION, DECIMAL_SCALE};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, DictionaryArray, Int64Array, ListArray, RecordBatch, StringArray, StructArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{Field, Fields};
use chrono::NaiveDate;
use policy_core::checked::{CheckedPolicy, Type};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;
use std::sync::Arc;

/// A record batch in [`fact_schema`] from JSON facts objects (one per row;
/// a key absent or null is a null cell). `Err` names the fact and row.
pub fn batch_from_json(p: &CheckedPolicy, rows: &[Value]) -> Result<RecordBatch, String> {
    let schema = Arc::new(fact_schema(p));
    let mut columns = Vec::new();
    for (name, ty) in facts_of(p) {
        let cells: Vec<Option<&Value>> = rows.iter().map(|r| r.get(name).filter(|v| !v.is_null())).collect();
        columns.push(array_of(p, ty, &cells).map_err(|e| format!("fact `{name}`: {e}"))?);
    }
    RecordBatch::try_new(schema, columns).map_err(|e| e.to_string())
}

/// A column of type [`data_type`]`(ty)` holding `cells`.
pub fn array_of(p: &CheckedPolicy, ty: &Type, cells: &[Option<&Value>]) -> Result<ArrayRef, String> {
    let at = |i: usize, e: String| format!("row {i}: {e}");
    Ok(match ty {
        Type::Bool => Arc::new(
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| c.map(|v| v.as_bool().ok_or_else(|| at(i, format!("expected true or false, received {v}")))).transpose())
                .collect::<Result<BooleanArray, _>>()?,
        ),
        Type::Int => Arc::new(
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    c.map(|v| {
                        number(v).and_then(|d| i64::try_from(d).ok()).ok_or_else(|| at(i, format!("expected a whole number, received {v}")))
                    })
                    .transpose()
                })
                .collect::<Result<Int64Array, _>>()?,
        ),
        Type::Decimal | Type::Money | Type::Percent | Type::Quantity(_) => {
            let percent = matches!(ty, Type::Percent);
            let raw = cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    c.map(|v| {
                        let d = if percent { percent_of(v) } else { number(v) };
                        d.ok_or_else(|| format!("expected a number, received {v}")).and_then(scaled).map_err(|e| at(i, e))
                    })
                    .transpose()
                })
                .collect::<Result<Vec<Option<i128>>, _>>()?;
            Arc::new(Decimal128Array::from(raw).with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE).map_err(|e| e.to_string())?)
        }
        Type::Date => Arc::new(
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    c.map(|v| {
                        v.as_str()
                            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                            .map(days_of)
                            .ok_or_else(|| at(i, format!("expected a date \"YYYY-MM-DD\", received {v}")))
                    })
                    .transpose()
                })
                .collect::<Result<Date32Array, _>>()?,
        ),
        Type::Duration | Type::Text | Type::EmptyList | Type::Error => Arc::new(
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| c.map(|v| v.as_str().ok_or_else(|| at(i, format!("expected text, received {v}")))).transpose())
                .collect::<Result<StringArray, _>>()?,
        ),
        Type::Enum(_) => {
            let texts = cells
                .iter()
                .enumerate()
                .map(|(i, c)| c.map(|v| v.as_str().ok_or_else(|| at(i, format!("expected a variant name, received {v}")))).transpose())
                .collect::<Result<Vec<Option<&str>>, _>>()?;
            Arc::new(texts.into_iter().collect::<DictionaryArray<Int32Type>>())
        }
        Type::Record(r) => {
            let def = p.records.get(r.index()).ok_or("an unknown record type")?;
            let mut children: Vec<ArrayRef> = Vec::new();
            let mut fields = Vec::new();
            for (name, fty, _) in &def.fields {
                let sub: Vec<Option<&Value>> = cells.iter().map(|c| c.and_then(|v| v.get(name)).filter(|v| !v.is_null())).collect();
                children.push(array_of(p, fty, &sub).map_err(|e| format!(".{name}: {e}"))?);
                fields.push(Field::new(name, data_type(p, fty), true));
            }
            for (i, c) in cells.iter().enumerate() {
                if let Some(v) = c {
                    if !v.is_object() {
                        return Err(at(i, format!("expected a {} record (an object), received {v}", def.name)));
                    }
                }
            }
            let nulls = NullBuffer::from(cells.iter().map(Option::is_some).collect::<Vec<bool>>());
            if fields.is_empty() {
                Arc::new(StructArray::new_empty_fields(cells.len(), Some(nulls)))
            } else {
                Arc::new(StructArray::try_new(Fields::from(fields), children, Some(nulls)).map_err(|e| e.to_string())?)
            }
        }
        Type::List(elem) => {
            let mut flat: Vec<Option<&Value>> = Vec::new();
            let mut lengths = Vec::with_capacity(cells.len());
            for (i, c) in cells.iter().enumerate() {
                match c {
                    None => lengths.push(0),
                    Some(v) => {
                        let xs = v.as_array().ok_or_else(|| at(i, format!("expected a list, received {v}")))?;
                        lengths.push(xs.len());
                        flat.extend(xs.iter().map(Some));
                    }
                }
            }
            let values = array_of(p, elem, &flat).map_err(|e| format!("[]: {e}"))?;
            let field = Arc::new(Field::new("item", data_type(p, elem), true));
            let nulls = NullBuffer::from(cells.iter().map(Option::is_some).collect::<Vec<bool>>());
            let offsets = OffsetBuffer::<i32>::from_lengths(lengths);
            Arc::new(ListArray::try_new(field, offsets, values, Some(nulls)).map_err(|e| e.to_string())?)
        }
    })
}

/// The exact number a JSON value holds (a number, or text holding one).
fn number(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => {
            let text = n.to_string();
            Decimal::from_str(&text).ok().or_else(|| Decimal::from_scientific(&text).ok())
        }
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

/// A percent as its fraction: `"70%"` is 0.7, a number is taken as written.
fn percent_of(v: &Value) -> Option<Decimal> {
    match v.as_str() {
        Some(s) if s.trim_end().ends_with('%') => {
            Decimal::from_str(s.trim().trim_end_matches('%').trim()).ok().and_then(|d| d.checked_div(Decimal::ONE_HUNDRED))
        }
        _ => number(v),
    }
}

/// A decimal as the unscaled value of a column of scale [`DECIMAL_SCALE`];
/// an error (never a rounding) when it has more places or is too large.
pub fn scaled(d: Decimal) -> Result<i128, String> {
    let d = d.normalize();
    let target = u32::from(DECIMAL_SCALE.unsigned_abs());
    let places = d.scale();
    if places > target {
        return Err(format!("{d} has more than {target} decimal places"));
    }
    let factor = 10i128.checked_pow(target - places).ok_or_else(|| format!("{d} is too large"))?;
    let v = d.mantissa().checked_mul(factor).ok_or_else(|| format!("{d} is too large"))?;
    if v.unsigned_abs() >= 10u128.pow(u32::from(DECIMAL_PRECISION)) {
        return Err(format!("{d} is too large for Decimal128({DECIMAL_PRECISION}, {DECIMAL_SCALE})"));
    }
    Ok(v)
}
