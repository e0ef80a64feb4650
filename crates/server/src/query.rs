//! The query string of the decide endpoints: `trace`, `as_of`, `benefit`
//! (repeatable, or comma-separated). Unknown keys are an error, so a typo
//! is not silently ignored.

use crate::error::ApiError;
use chrono::NaiveDate;
use policy_eval::{DecideOptions, TraceLevel};

/// Most benefits one query names.
const MAX_BENEFITS: usize = 64;

/// Reads the options; `default_trace` applies when `trace` is absent.
pub fn decide_options(raw: Option<&str>, default_trace: TraceLevel) -> Result<DecideOptions, ApiError> {
    let pairs: Vec<(String, String)> = match raw {
        None | Some("") => Vec::new(),
        Some(q) => serde_urlencoded::from_str(q).map_err(|e| ApiError::bad_request(format!("the query string is malformed: {e}")))?,
    };
    let mut opts = DecideOptions { trace: default_trace, ..Default::default() };
    let mut seen_trace = false;
    let mut seen_date = false;
    for (key, value) in pairs {
        match key.as_str() {
            "trace" => {
                if std::mem::replace(&mut seen_trace, true) {
                    return Err(ApiError::bad_request("`trace` is given twice"));
                }
                opts.trace = match value.as_str() {
                    "off" => TraceLevel::Off,
                    "summary" => TraceLevel::Summary,
                    "full" => TraceLevel::Full,
                    _ => return Err(ApiError::bad_request(format!("`trace` must be off, summary or full, not `{}`", clip(&value)))),
                };
            }
            "as_of" => {
                if std::mem::replace(&mut seen_date, true) {
                    return Err(ApiError::bad_request("`as_of` is given twice"));
                }
                let date = NaiveDate::parse_from_str(&value, "%Y-%m-%d")
                    .map_err(|_| ApiError::bad_request(format!("`as_of` must be a date YYYY-MM-DD, not `{}`", clip(&value))))?;
                opts.reference_date = Some(date);
            }
            "benefit" => {
                for b in value.split(',').map(str::trim).filter(|b| !b.is_empty()) {
                    if opts.benefits.len() >= MAX_BENEFITS {
                        return Err(ApiError::bad_request(format!("more than {MAX_BENEFITS} benefits named")));
                    }
                    opts.benefits.push(b.to_string());
                }
            }
            other => {
                return Err(ApiError::bad_request(format!("unknown query parameter `{}` (expected trace, as_of, benefit)", clip(other))))
            }
        }
    }
    Ok(opts)
}

/// At most 60 characters of user text in a message.
fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_option() {
        let o = decide_options(Some("trace=summary&as_of=2024-06-01&benefit=a,b&benefit=c"), TraceLevel::Full).unwrap();
        assert_eq!(o.trace, TraceLevel::Summary);
        assert_eq!(o.reference_date, NaiveDate::from_ymd_opt(2024, 6, 1));
        assert_eq!(o.benefits, ["a", "b", "c"]);
        assert_eq!(decide_options(None, TraceLevel::Full).unwrap().trace, TraceLevel::Full);
    }

    #[test]
    fn rejects_bad_values() {
        for q in ["trace=loud", "as_of=2024-13-01", "as_of=x", "x=1", "trace=off&trace=full", "%ZZ=1"] {
            let e = decide_options(Some(q), TraceLevel::Off).unwrap_err();
            assert_eq!(e.code, "bad_request", "{q}");
        }
    }
}
