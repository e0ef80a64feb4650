//! Runtime values and the exact operations on them: checked decimal
//! arithmetic, date arithmetic by PRC Civil Code arts. 201–202, rounding,
//! scales and unit conversion. Shared by the checker (constants) and the
//! evaluator.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use std::sync::Arc;

/// A runtime value. Every numeric type (int, decimal, money, percent,
/// quantities) is an exact [`Decimal`]; the static type says how to show it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// `true` / `false`
    Bool(bool),
    /// Any number.
    Num(Decimal),
    /// A calendar day.
    Date(NaiveDate),
    /// A length of time.
    Duration(Duration),
    /// Text.
    Text(Arc<str>),
    /// An enum variant, by index within its enum.
    Enum(u32),
    /// A record's fields, in declaration order.
    Record(Arc<[Value]>),
    /// A list.
    List(Arc<[Value]>),
}

/// Units of a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    /// Calendar days.
    Days,
    /// Calendar months (Civil Code art. 202 at month ends).
    Months,
    /// Years: twelve months.
    Years,
}

/// `12 months`, `10 days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Duration {
    /// How many.
    pub amount: i64,
    /// Of what.
    pub unit: DurationUnit,
}

/// Why an operation could not produce a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// A result does not fit in 28 significant digits.
    #[error("arithmetic overflow in `{0}`")]
    Overflow(&'static str),
    /// Division by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// A date outside the supported calendar.
    #[error("date out of range: {0}")]
    DateOutOfRange(String),
    /// `min`, `max` or `avg` of an empty list.
    #[error("`{0}` of an empty list")]
    EmptyAggregate(&'static str),
    /// `round` with places outside 0..=28.
    #[error("cannot round to {0} places (0 to 28 allowed)")]
    BadPlaces(Decimal),
    /// A value of the wrong shape reached an operation (a checker bug).
    #[error("internal type error: expected {0}")]
    Shape(&'static str),
}

/// Result of a value operation.
pub type ValueResult<T> = Result<T, ValueError>;

impl Value {
    /// The number inside, or a shape error.
    pub fn num(&self) -> ValueResult<Decimal> {
        match self {
            Value::Num(d) => Ok(*d),
            _ => Err(ValueError::Shape("a number")),
        }
    }
    /// The bool inside, or a shape error.
    pub fn bool(&self) -> ValueResult<bool> {
        match self {
            Value::Bool(b) => Ok(*b),
            _ => Err(ValueError::Shape("a bool")),
        }
    }
    /// The date inside, or a shape error.
    pub fn date(&self) -> ValueResult<NaiveDate> {
        match self {
            Value::Date(d) => Ok(*d),
            _ => Err(ValueError::Shape("a date")),
        }
    }
    /// The list inside, or a shape error.
    pub fn list(&self) -> ValueResult<&Arc<[Value]>> {
        match self {
            Value::List(l) => Ok(l),
            _ => Err(ValueError::Shape("a list")),
        }
    }
}

/// Compares two numbers; the same as `a.cmp(b)`, with a fast path for the
/// common case of equal scales (`0.85` against `0.70`, `32` against `48`),
/// where the mantissas order the values.
#[inline]
pub fn cmp_num(a: &Decimal, b: &Decimal) -> std::cmp::Ordering {
    if a.scale() == b.scale() {
        a.mantissa().cmp(&b.mantissa())
    } else {
        a.cmp(b)
    }
}

/// `a + b`, checked.
pub fn add(a: Decimal, b: Decimal) -> ValueResult<Decimal> {
    a.checked_add(b).ok_or(ValueError::Overflow("+"))
}
/// `a - b`, checked.
pub fn sub(a: Decimal, b: Decimal) -> ValueResult<Decimal> {
    a.checked_sub(b).ok_or(ValueError::Overflow("-"))
}
/// `a * b`, checked.
pub fn mul(a: Decimal, b: Decimal) -> ValueResult<Decimal> {
    a.checked_mul(b).ok_or(ValueError::Overflow("*"))
}
/// `a / b`, checked; zero divisor is an error.
pub fn div(a: Decimal, b: Decimal) -> ValueResult<Decimal> {
    if b.is_zero() {
        return Err(ValueError::DivisionByZero);
    }
    a.checked_div(b).ok_or(ValueError::Overflow("/"))
}

/// Converts `v` of a unit where `from_count` of it equal `to_count` of the
/// target: `v × to_count / from_count`, multiplying first so that results
/// which are terminating decimals are exact.
pub fn convert(v: Decimal, from_count: Decimal, to_count: Decimal) -> ValueResult<Decimal> {
    div(mul(v, to_count)?, from_count)
}

/// Adds a duration to a date. Months follow PRC Civil Code art. 202: the
/// corresponding day of the target month, or its last day when it has none
/// (2024-01-31 + 1 month = 2024-02-29; 2024-02-29 + 12 months = 2025-02-28).
pub fn date_add(date: NaiveDate, d: Duration, negate: bool) -> ValueResult<NaiveDate> {
    let out_of_range = || ValueError::DateOutOfRange(format!("{date} {} {} {:?}", if negate { "-" } else { "+" }, d.amount, d.unit));
    let amount = if negate { d.amount.checked_neg().ok_or_else(out_of_range)? } else { d.amount };
    match d.unit {
        DurationUnit::Days => {
            date.checked_add_signed(chrono::TimeDelta::try_days(amount).ok_or_else(out_of_range)?).ok_or_else(out_of_range)
        }
        DurationUnit::Months => add_months(date, amount).ok_or_else(out_of_range),
        DurationUnit::Years => add_months(date, amount.checked_mul(12).ok_or_else(out_of_range)?).ok_or_else(out_of_range),
    }
}

/// Adds (or subtracts, when negative) whole months, Civil Code style.
pub fn add_months(date: NaiveDate, months: i64) -> Option<NaiveDate> {
    let m = u32::try_from(months.unsigned_abs()).ok()?;
    if months >= 0 {
        date.checked_add_months(Months::new(m))
    } else {
        date.checked_sub_months(Months::new(m))
    }
}

/// Age in full years on `on` for someone born on `birth`: the number of
/// anniversaries reached, each computed by [`add_months`] (so a 29 February
/// birthday falls on 28 February in common years).
pub fn age(birth: NaiveDate, on: NaiveDate) -> ValueResult<i64> {
    if on < birth {
        return Ok(0);
    }
    let mut years = i64::from(on.year()) - i64::from(birth.year());
    while years > 0 {
        match add_months(birth, years * 12) {
            Some(anniversary) if anniversary <= on => break,
            _ => years -= 1,
        }
    }
    Ok(years.max(0))
}

/// Days from `a` to `b`.
pub fn days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    (b - a).num_days()
}

/// Rounding modes for `round(x, places, mode)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoundMode {
    /// Half away from zero (the default).
    HalfUp,
    /// Half to even (banker's).
    HalfEven,
    /// Toward zero.
    Down,
    /// Away from zero.
    Up,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceiling,
}

impl RoundMode {
    /// Parses a mode name as written in policies.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "half_up" => RoundMode::HalfUp,
            "half_even" => RoundMode::HalfEven,
            "down" => RoundMode::Down,
            "up" => RoundMode::Up,
            "floor" => RoundMode::Floor,
            "ceiling" => RoundMode::Ceiling,
            _ => return None,
        })
    }
    /// All mode names.
    pub const NAMES: &'static [&'static str] = &["half_up", "half_even", "down", "up", "floor", "ceiling"];
}

/// Rounds to `places` decimal places.
pub fn round(x: Decimal, places: Decimal, mode: RoundMode) -> ValueResult<Decimal> {
    use rust_decimal::prelude::ToPrimitive;
    let p =
        places.to_u32().filter(|p| *p <= 28 && places.fract().is_zero() && places >= Decimal::ZERO).ok_or(ValueError::BadPlaces(places))?;
    let strategy = match mode {
        RoundMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        RoundMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        RoundMode::Down => RoundingStrategy::ToZero,
        RoundMode::Up => RoundingStrategy::AwayFromZero,
        RoundMode::Floor => RoundingStrategy::ToNegativeInfinity,
        RoundMode::Ceiling => RoundingStrategy::ToPositiveInfinity,
    };
    Ok(x.round_dp_with_strategy(p, strategy))
}

/// One band's share of a scale: how much of the subject fell in it, and what it earned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleSlice {
    /// The part of the subject in this band.
    pub quantity: Decimal,
    /// The band's rate.
    pub rate: Decimal,
    /// `quantity × rate`.
    pub earned: Decimal,
}

/// Spreads `subject` over bands `(width, rate)` in order, then `rest` rate
/// beyond them; returns each slice and the total. A subject at or below zero
/// earns nothing.
pub fn scale(subject: Decimal, bands: &[(Decimal, Decimal)], rest: Option<Decimal>) -> ValueResult<(Vec<ScaleSlice>, Decimal)> {
    let mut slices = Vec::with_capacity(bands.len() + 1);
    let total = scale_into(subject, bands, rest, Some(&mut slices))?;
    Ok((slices, total))
}

/// [`scale`]'s total, the slices pushed to `slices` only when given (an
/// evaluation without a trace needs none, and allocates nothing).
pub fn scale_into(
    subject: Decimal,
    bands: &[(Decimal, Decimal)],
    rest: Option<Decimal>,
    mut slices: Option<&mut Vec<ScaleSlice>>,
) -> ValueResult<Decimal> {
    let mut remaining = subject.max(Decimal::ZERO);
    let mut total = Decimal::ZERO;
    for &(width, rate) in bands {
        let quantity = remaining.min(width.max(Decimal::ZERO));
        let earned = mul(quantity, rate)?;
        total = add(total, earned)?;
        remaining = sub(remaining, quantity)?;
        if let Some(out) = slices.as_deref_mut() {
            out.push(ScaleSlice { quantity, rate, earned });
        }
    }
    if let Some(rate) = rest {
        let earned = mul(remaining, rate)?;
        total = add(total, earned)?;
        if let Some(out) = slices {
            out.push(ScaleSlice { quantity: remaining, rate, earned });
        }
    }
    Ok(total)
}

/// Appends a day as chrono's `Display` writes it (`2021-09-30`: four
/// digits for years 0..=9999, a sign otherwise), without a formatter for
/// the common years.
pub fn push_date(out: &mut String, d: NaiveDate) {
    let (y, m, day) = (d.year(), d.month(), d.day());
    match u32::try_from(y) {
        Ok(y) if y <= 9999 => {
            let digit = |x: u32| b'0' + (x % 10) as u8;
            let bytes = [
                digit(y / 1000),
                digit(y / 100),
                digit(y / 10),
                digit(y),
                b'-',
                digit(m / 10),
                digit(m),
                b'-',
                digit(day / 10),
                digit(day),
            ];
            out.push_str(std::str::from_utf8(&bytes).unwrap_or_default());
        }
        _ => {
            use std::fmt::Write as _;
            let _ = write!(out, "{d}");
        }
    }
}

/// A day as text (see [`push_date`]).
pub fn date_string(d: NaiveDate) -> String {
    let mut out = String::with_capacity(10);
    push_date(&mut out, d);
    out
}

/// Money as JSON and text show it: at least two decimal places.
pub fn money_string(d: Decimal) -> String {
    let mut out = String::with_capacity(16);
    push_plain(&mut out, d, 2);
    out
}

/// A percent as people write it: `0.7` → `70%`.
pub fn percent_string(d: Decimal) -> String {
    let mut out = String::with_capacity(8);
    push_percent(&mut out, d);
    out
}

/// Appends a percent as [`percent_string`] writes it.
pub fn push_percent(out: &mut String, d: Decimal) {
    match d.checked_mul(Decimal::ONE_HUNDRED) {
        Some(p) => {
            push_plain(out, p, 0);
            out.push('%');
        }
        None => push_plain(out, d, 0),
    }
}

/// Appends `d` in plain notation with trailing fraction zeros removed
/// (`d.normalize()`), then padded to at least `min_scale` fraction digits:
/// `push_plain(_, 12.50, 0)` writes `12.5`, `push_plain(_, 1200, 2)` writes
/// `1200.00`. The same text as `Decimal`'s `Display` after `normalize` (and
/// `rescale`), written without a formatter or a second allocation; zero is
/// never negative.
pub fn push_plain(out: &mut String, d: Decimal, min_scale: u32) {
    let mut m = d.mantissa().unsigned_abs();
    let mut scale = d.scale();
    while scale > min_scale && m.is_multiple_of(10) {
        m /= 10;
        scale -= 1;
    }
    if m != 0 && d.is_sign_negative() {
        out.push('-');
    }
    // A u128 has at most 39 digits; the mantissa (96 bits) at most 29.
    let mut digits = [b'0'; 40];
    let mut n = 0;
    loop {
        if let Some(slot) = digits.get_mut(n) {
            // `m % 10` is below 10, so the cast is exact.
            *slot = b'0' + (m % 10) as u8;
        }
        n += 1;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    let scale = scale as usize;
    // The integer part: the digits above the fraction, or `0`.
    if n <= scale {
        out.push('0');
    } else {
        for i in (scale..n).rev() {
            out.push(char::from(digits.get(i).copied().unwrap_or(b'0')));
        }
    }
    let shown = scale.max(min_scale as usize);
    if shown > 0 {
        out.push('.');
        for i in (0..scale).rev() {
            out.push(char::from(digits.get(i).copied().unwrap_or(b'0')));
        }
        for _ in scale..shown {
            out.push('0');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::from_str(s).unwrap()
    }
    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn months(n: i64) -> Duration {
        Duration { amount: n, unit: DurationUnit::Months }
    }

    /// `push_date` writes what chrono's `Display` writes, every day of the
    /// calendar's edges and a sweep through the common years.
    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        let mut days = vec![NaiveDate::MIN, NaiveDate::MAX, d("0000-01-01"), d("9999-12-31")];
        days.extend(NaiveDate::from_ymd_opt(-1, 12, 31));
        days.extend(NaiveDate::from_ymd_opt(10000, 1, 1));
        let mut x = d("0001-01-01");
        while x < d("9999-12-31") {
            days.push(x);
            x = x + chrono::Days::new(997);
        }
        for day in days {
            assert_eq!(date_string(day), day.to_string());
        }
    }

    #[test]
    fn month_arithmetic_follows_civil_code() {
        assert_eq!(date_add(d("2024-01-31"), months(1), false).unwrap(), d("2024-02-29"));
        assert_eq!(date_add(d("2023-01-31"), months(1), false).unwrap(), d("2023-02-28"));
        assert_eq!(date_add(d("2024-02-29"), months(12), false).unwrap(), d("2025-02-28"));
        assert_eq!(date_add(d("2024-02-29"), months(48), false).unwrap(), d("2028-02-29"));
        assert_eq!(date_add(d("2024-03-31"), months(1), true).unwrap(), d("2024-02-29"));
        assert_eq!(date_add(d("2023-05-10"), months(12), false).unwrap(), d("2024-05-10"));
        assert_eq!(date_add(d("2024-02-29"), Duration { amount: 1, unit: DurationUnit::Years }, false).unwrap(), d("2025-02-28"));
        assert_eq!(date_add(d("2021-12-31"), Duration { amount: 1, unit: DurationUnit::Days }, false).unwrap(), d("2022-01-01"));
    }

    #[test]
    fn date_overflow_is_an_error() {
        assert!(date_add(d("2024-01-01"), months(i64::MAX), false).is_err());
        assert!(date_add(d("2024-01-01"), Duration { amount: i64::MIN, unit: DurationUnit::Days }, true).is_err());
        assert!(date_add(NaiveDate::MAX, Duration { amount: 1, unit: DurationUnit::Days }, false).is_err());
    }

    #[test]
    fn age_in_full_years() {
        assert_eq!(age(d("2008-05-10"), d("2024-05-09")).unwrap(), 15);
        assert_eq!(age(d("2008-05-10"), d("2024-05-10")).unwrap(), 16);
        assert_eq!(age(d("2008-02-29"), d("2024-02-28")).unwrap(), 15);
        assert_eq!(age(d("2008-02-29"), d("2024-02-29")).unwrap(), 16);
        assert_eq!(age(d("2007-02-28"), d("2023-02-27")).unwrap(), 15);
        assert_eq!(age(d("2008-02-29"), d("2023-02-28")).unwrap(), 15);
        assert_eq!(age(d("2008-02-29"), d("2023-02-27")).unwrap(), 14);
        assert_eq!(age(d("2030-01-01"), d("2024-01-01")).unwrap(), 0);
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(add(Decimal::MAX, Decimal::ONE), Err(ValueError::Overflow("+")));
        assert_eq!(div(Decimal::ONE, Decimal::ZERO), Err(ValueError::DivisionByZero));
        assert_eq!(mul(Decimal::MAX, dec("2")), Err(ValueError::Overflow("*")));
        assert_eq!(dec("0.1") + dec("0.2"), dec("0.3"));
    }

    #[test]
    fn conversion_is_exact_where_possible() {
        assert_eq!(convert(dec("24"), dec("3"), dec("4")).unwrap(), dec("32"));
        let c = convert(dec("25"), dec("3"), dec("4")).unwrap();
        assert!(c >= dec("32") && c < dec("33.34"));
        assert_eq!(convert(dec("32"), dec("4"), dec("3")).unwrap(), dec("24"));
    }

    #[test]
    fn scale_spreads_over_bands() {
        let bands = [(dec("10"), dec("150"))];
        assert_eq!(scale(dec("10"), &bands, Some(dec("100"))).unwrap().1, dec("1500"));
        assert_eq!(scale(dec("11"), &bands, Some(dec("100"))).unwrap().1, dec("1600"));
        assert_eq!(scale(dec("36"), &bands, Some(dec("100"))).unwrap().1, dec("4100"));
        assert_eq!(scale(dec("25"), &[(dec("20"), dec("100"))], None).unwrap().1, dec("2000"));
        assert_eq!(scale(dec("-3"), &bands, Some(dec("100"))).unwrap().1, dec("0"));
    }

    #[test]
    fn rounding_modes() {
        assert_eq!(round(dec("2.345"), dec("2"), RoundMode::HalfUp).unwrap(), dec("2.35"));
        assert_eq!(round(dec("2.345"), dec("2"), RoundMode::HalfEven).unwrap(), dec("2.34"));
        assert_eq!(round(dec("-2.345"), dec("2"), RoundMode::Down).unwrap(), dec("-2.34"));
        assert_eq!(round(dec("2.341"), dec("2"), RoundMode::Ceiling).unwrap(), dec("2.35"));
        assert!(round(dec("1"), dec("29"), RoundMode::HalfUp).is_err());
        assert!(round(dec("1"), dec("-1"), RoundMode::HalfUp).is_err());
        assert!(round(dec("1"), dec("1.5"), RoundMode::HalfUp).is_err());
    }

    #[test]
    fn display() {
        assert_eq!(money_string(dec("1200")), "1200.00");
        assert_eq!(money_string(dec("33.333")), "33.333");
        assert_eq!(percent_string(dec("0.70")), "70%");
    }

    #[test]
    fn cmp_num_agrees_with_decimal_cmp() {
        let edge = ["0", "-0", "0.00", "-0.00", "1", "-1", "0.70", "0.7", "0.85", "32", "32.000", "79228162514264337593543950335"];
        for a in edge {
            for b in edge {
                let (a, b) = (dec(a), dec(b));
                assert_eq!(cmp_num(&a, &b), a.cmp(&b), "{a} vs {b}");
            }
        }
    }

    /// `Decimal`'s own text after `normalize`, padded with fraction zeros
    /// (`rescale` did that before, but cannot past 28 digits in all).
    fn plain_by_display(d: Decimal, min_scale: u32) -> String {
        let mut text = d.normalize().to_string();
        let scale = d.normalize().scale();
        if scale < min_scale {
            if scale == 0 {
                text.push('.');
            }
            text.extend(std::iter::repeat_n('0', (min_scale - scale) as usize));
        }
        text
    }

    #[test]
    fn plain_text_of_decimals() {
        assert_eq!(money_string(dec("1200")), "1200.00");
        assert_eq!(money_string(dec("-0.00")), "0.00");
        assert_eq!(money_string(dec("0.005")), "0.005");
        assert_eq!(money_string(dec("-1000.10")), "-1000.10");
        assert_eq!(percent_string(dec("0.005")), "0.5%");
        assert_eq!(percent_string(dec("1")), "100%");
        let max = Decimal::MAX;
        assert_eq!(percent_string(max), max.to_string());
        for (d, min) in
            [("0", 0), ("-0", 0), ("12.50", 0), ("0.0001", 0), ("79228162514264337593543950335", 2), ("-7.9228162514264337593543950335", 0)]
        {
            let mut out = String::new();
            push_plain(&mut out, dec(d), min);
            assert_eq!(out, plain_by_display(dec(d), min), "{d}");
        }
    }

    proptest::proptest! {
        #[test]
        fn push_plain_agrees_with_display(m in proptest::prelude::any::<i128>(), scale in 0u32..=28, min_scale in 0u32..=4) {
            let m = m % 79_228_162_514_264_337_593_543_950_336i128;
            let d = Decimal::from_i128_with_scale(m, scale);
            let mut out = String::new();
            push_plain(&mut out, d, min_scale);
            proptest::prop_assert_eq!(out, plain_by_display(d, min_scale));
        }

        #[test]
        fn cmp_num_agrees_with_decimal_cmp_on_any_pair(
            (m1, s1) in (proptest::prelude::any::<i64>(), 0u32..=28),
            (m2, s2) in (proptest::prelude::any::<i64>(), 0u32..=28),
            same_scale in proptest::prelude::any::<bool>(),
        ) {
            let a = Decimal::new(m1, s1);
            let b = Decimal::new(m2, if same_scale { s1 } else { s2 });
            proptest::prop_assert_eq!(cmp_num(&a, &b), a.cmp(&b));
            proptest::prop_assert_eq!(cmp_num(&a, &a), std::cmp::Ordering::Equal);
        }
    }
}
