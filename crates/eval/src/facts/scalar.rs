//! The text forms of scalar facts, read exactly as `docs/trace.md` (Facts)
//! and `policy schema` state them: decimals from their digits (never through
//! a binary float, never rounded), dates as exactly `YYYY-MM-DD`, durations
//! as `"12 months"`.

use chrono::NaiveDate;
use policy_core::value::{Duration, DurationUnit};
use rust_decimal::Decimal;

/// Most significant digits of a decimal fact (and most digits after the
/// point); rust_decimal holds 28 to 29, so 28 is the documented limit.
pub const MAX_DIGITS: usize = 28;

/// Why a number was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// Not a number in the accepted form.
    Syntax,
    /// More than [`MAX_DIGITS`] significant digits.
    Digits,
    /// More than [`MAX_DIGITS`] digits after the decimal point.
    Places,
    /// 10^28 or more in magnitude.
    Range,
}

impl NumberError {
    /// What the limit is, for messages.
    pub fn limit(self) -> &'static str {
        match self {
            NumberError::Syntax => "",
            NumberError::Digits => "a number of at most 28 significant digits",
            NumberError::Places => "a number of at most 28 digits after the decimal point",
            NumberError::Range => "a number less than 10^28 in magnitude",
        }
    }
}

/// A JSON number literal (serde_json checked its syntax), exactly.
pub fn json_number(text: &str) -> Result<Decimal, NumberError> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.bytes().position(|b| b == b'e' || b == b'E') {
        Some(i) => (rest.get(..i).unwrap_or(""), Some(rest.get(i + 1..).unwrap_or(""))),
        None => (rest, None),
    };
    let exp = match exponent {
        None => 0,
        Some(e) => {
            let (neg, digits) = match e.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, e.strip_prefix('+').unwrap_or(e)),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(NumberError::Syntax);
            }
            // Beyond 10^6 the value is out of range (or, negative, has too
            // many places) unless it is zero, which `exact` sees first.
            let magnitude: i64 = digits.trim_start_matches('0').parse().unwrap_or(0).min(1_000_000);
            let magnitude = if digits.trim_start_matches('0').len() > 7 { 1_000_000 } else { magnitude };
            if neg {
                -magnitude
            } else {
                magnitude
            }
        }
    };
    let (int, frac) = split_point(mantissa)?;
    exact(negative, int, frac, exp)
}

/// A decimal written in a string: optional surrounding white space, an
/// optional sign, digits, optionally a point and digits (no exponent).
pub fn text_number(text: &str) -> Result<Decimal, NumberError> {
    let t = text.trim();
    let (negative, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, t.get(1..).unwrap_or("")),
        Some(b'+') => (false, t.get(1..).unwrap_or("")),
        _ => (false, t),
    };
    let (int, frac) = split_point(rest)?;
    exact(negative, int, frac, 0)
}

/// `digits` or `digits.digits`.
fn split_point(s: &str) -> Result<(&str, &str), NumberError> {
    let (int, frac) = match s.bytes().position(|b| b == b'.') {
        Some(i) => match (s.get(..i), s.get(i + 1..)) {
            (Some(int), Some(frac)) if !frac.is_empty() => (int, frac),
            _ => return Err(NumberError::Syntax),
        },
        None => (s, ""),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumberError::Syntax);
    }
    Ok((int, frac))
}

/// `±int.frac × 10^exp` as a decimal, keeping the written scale where it
/// fits (`"1200.00"` stays 1200.00) and never rounding. Allocates nothing.
fn exact(negative: bool, int: &str, frac: &str, exp: i64) -> Result<Decimal, NumberError> {
    if exp == 0 && int.len() + frac.len() <= 18 {
        short(negative, int, frac)
    } else {
        general(negative, int, frac, exp)
    }
}

/// [`exact`] for at most 18 digits and no exponent: nothing to drop and
/// nothing out of range, so the digits are the mantissa and the written
/// places the scale, as [`general`] gives (zero included), in one pass.
fn short(negative: bool, int: &str, frac: &str) -> Result<Decimal, NumberError> {
    let m = int.bytes().chain(frac.bytes()).fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    let m = if negative { -m } else { m };
    Decimal::try_from_i128_with_scale(i128::from(m), u32::try_from(frac.len()).unwrap_or(u32::MAX)).map_err(|_| NumberError::Range)
}

/// [`exact`] for any number of digits and any exponent.
fn general(negative: bool, int: &str, frac: &str, exp: i64) -> Result<Decimal, NumberError> {
    let digits = || int.bytes().chain(frac.bytes());
    let total = int.len() + frac.len();
    let lead = digits().take_while(|b| *b == b'0').count();
    let mut scale = i64::try_from(frac.len()).unwrap_or(i64::MAX) - exp;
    if lead == total {
        return Ok(Decimal::new(0, u32::try_from(scale.clamp(0, 28)).unwrap_or(0)));
    }
    let max = MAX_DIGITS as i64;
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let mut len = as_i64(total - lead);
    // Trailing zeros after the point carry no value: drop them where the
    // written form would not fit.
    let trailing = as_i64(digits().rev().take_while(|b| *b == b'0').count());
    let excess = (len - max).max(scale - max).max(0);
    let drop = excess.min(trailing).min(scale.max(0));
    len -= drop;
    scale -= drop;
    if len - scale.min(len) > max || (scale < 0 && len - scale > max) {
        return Err(NumberError::Range);
    }
    if len > max {
        return Err(NumberError::Digits);
    }
    if scale > max {
        return Err(NumberError::Places);
    }
    let take = usize::try_from(len).unwrap_or(0);
    let mut m: i128 = digits().skip(lead).take(take).fold(0i128, |acc, b| acc * 10 + i128::from(b - b'0'));
    if scale < 0 {
        m = m
            .checked_mul(10i128.checked_pow(u32::try_from(-scale).unwrap_or(u32::MAX)).ok_or(NumberError::Range)?)
            .ok_or(NumberError::Range)?;
        scale = 0;
    }
    let m = if negative { -m } else { m };
    Decimal::try_from_i128_with_scale(m, u32::try_from(scale).unwrap_or(u32::MAX)).map_err(|_| NumberError::Range)
}

/// Exactly `YYYY-MM-DD`, a real calendar day.
pub fn date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10 && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if !shape {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    NaiveDate::from_ymd_opt(i32::try_from(n(0..4)?).ok()?, n(5..7)?, n(8..10)?)
}

/// `"12 months"`: optional white space, an optional `-`, 1 to 18 digits,
/// white space, `day(s)`, `month(s)` or `year(s)`, optional white space.
pub fn duration(s: &str) -> Option<Duration> {
    let mut parts = s.split_whitespace();
    let amount = parts.next()?;
    let digits = amount.strip_prefix('-').unwrap_or(amount);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: i64 = amount.parse().ok()?;
    let unit = match parts.next()? {
        "day" | "days" => DurationUnit::Days,
        "month" | "months" => DurationUnit::Months,
        "year" | "years" => DurationUnit::Years,
        _ => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Duration { amount, unit })
}

/// Multiplies by 1/100 exactly (a percent to its fraction).
pub fn percent_fraction(d: Decimal) -> Result<Decimal, NumberError> {
    let d = if d.scale() + 2 > 28 { d.normalize() } else { d };
    Decimal::try_from_i128_with_scale(d.mantissa(), d.scale() + 2).map_err(|_| NumberError::Places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn json_numbers_are_exact_or_refused() {
        assert_eq!(json_number("0.79999999999999999999"), Ok(dec("0.79999999999999999999")));
        assert_ne!(json_number("0.79999999999999999999"), Ok(dec("0.8")));
        assert_eq!(json_number("1200.00").map(|d| d.to_string()), Ok("1200.00".into()));
        assert_eq!(json_number("1.5e3"), Ok(dec("1500")));
        assert_eq!(json_number("15E-1"), Ok(dec("1.5")));
        assert_eq!(json_number("-0"), Ok(Decimal::ZERO));
        assert_eq!(json_number("0e99999999999999999999"), Ok(Decimal::ZERO));
        assert_eq!(json_number("-1e-29"), Err(NumberError::Places));
        assert_eq!(json_number("1e-28"), Ok(dec("0.0000000000000000000000000001")));
        assert_eq!(json_number("1e28"), Err(NumberError::Range));
        assert_eq!(json_number("9999999999999999999999999999"), Ok(dec("9999999999999999999999999999")));
        assert_eq!(json_number("1e300"), Err(NumberError::Range));
        assert_eq!(json_number("1e99999999999999999999"), Err(NumberError::Range));
        assert_eq!(json_number("1e-99999999999999999999"), Err(NumberError::Places));
        assert_eq!(json_number("79.99999999999999999999999999999"), Err(NumberError::Digits));
        // Trailing zeros carry no value: dropped where needed.
        assert_eq!(json_number("1.00000000000000000000000000000000"), Ok(dec("1")));
        assert_eq!(json_number("100000000000000000000000000000e-2"), Ok(dec("1000000000000000000000000000")));
    }

    /// The short path of `exact` (at most 18 digits, no exponent) gives
    /// what the general one gives, scale included, zeros and signs alike.
    #[test]
    fn short_numbers_take_the_general_paths_value() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits: String = (0..1 + x % 18).map(|i| char::from(b'0' + ((x >> (i * 3)) % 10) as u8)).collect();
            let point = (x >> 40) as usize % digits.len();
            let sign = if x & (1 << 60) != 0 { "-" } else { "" };
            let text = match point {
                0 => format!("{sign}{digits}"),
                p => format!("{sign}{}.{}", &digits[..p], &digits[p..]),
            };
            let (int, frac) = split_point(text.strip_prefix('-').unwrap_or(&text)).unwrap();
            let a = short(sign == "-", int, frac);
            let b = general(sign == "-", int, frac, 0);
            assert_eq!(
                a.map(|d| (d.scale(), d.mantissa(), d.is_sign_negative())),
                b.map(|d| (d.scale(), d.mantissa(), d.is_sign_negative())),
                "{text}"
            );
            assert_eq!(json_number(&text), a, "{text}");
        }
    }

    #[test]
    fn text_numbers_follow_the_documented_form() {
        assert_eq!(text_number(" +12.50 "), Ok(dec("12.50")));
        for bad in ["", "1.", ".5", "1e3", "1_000", "0x10", "--1", "1 000", "NaN", "١٢"] {
            assert_eq!(text_number(bad), Err(NumberError::Syntax), "{bad}");
        }
        assert_eq!(text_number("79.99999999999999999999999999999"), Err(NumberError::Digits));
    }

    #[test]
    fn dates_are_exactly_yyyy_mm_dd() {
        assert_eq!(date("2021-06-01"), NaiveDate::from_ymd_opt(2021, 6, 1));
        for bad in ["2021-6-1", " 2021-06-01", "2021-06-01 ", "+10000-01-01", "2021-02-30", "2021/06/01", "20210601", "２０２１-06-01"]
        {
            assert_eq!(date(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        /// Every decimal of at most 28 digits reads back exactly, with its
        /// scale, from its text and from the same digits with an exponent;
        /// one more digit is refused, never rounded.
        #[test]
        fn decimals_read_back_exactly(m in -9_999_999_999_999_999_999_999_999_999i128..=9_999_999_999_999_999_999_999_999_999i128, scale in 0u32..=28) {
            let d = Decimal::from_i128_with_scale(m, scale);
            let text = d.to_string();
            proptest::prop_assert_eq!(text_number(&text), Ok(d));
            proptest::prop_assert_eq!(text_number(&text).map(|x| x.scale()), Ok(scale));
            proptest::prop_assert_eq!(json_number(&text), Ok(d));
            proptest::prop_assert_eq!(json_number(&format!("{m}e-{scale}")), Ok(d));
            proptest::prop_assert_eq!(json_number(&format!("{m}0E-{}", scale + 1)), Ok(d));
            if m.unsigned_abs() >= 1_000_000_000_000_000_000_000_000_000 {
                // 28 significant digits: one more non-zero digit is too many.
                let longer = format!("{text}{}", if scale == 0 { ".1" } else { "1" });
                proptest::prop_assert!(text_number(&longer).is_err(), "{}", longer);
            }
        }
    }

    #[test]
    fn durations_and_percents() {
        assert_eq!(duration(" 12 months "), Some(Duration { amount: 12, unit: DurationUnit::Months }));
        for bad in ["+12 months", "12", "12 weeks", "12 months ago", "1234567890123456789 days"] {
            assert_eq!(duration(bad), None, "{bad}");
        }
        assert_eq!(percent_fraction(dec("85")), Ok(dec("0.85")));
        assert_eq!(percent_fraction(dec("0.000000000000000000000000001")), Err(NumberError::Places));
        assert_eq!(percent_fraction(dec("1.0000000000000000000000000000")), Ok(dec("0.01")));
    }
}
