//! Arbitrary bytes through the parser: `parse_bytes` never panics, every
//! diagnostic's span lies within the text, and the parser's fast path agrees
//! with its reference, pest (`parse_reference`), spans and diagnostics
//! included. The same text is also parsed as a standalone expression.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_core::parse::{parse_bytes, parse_expr, parse_reference};

fuzz_target!(|data: &[u8]| {
    let parsed = parse_bytes("fuzz.policy", data);
    for d in &parsed.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= data.len(),
            "diagnostic span {:?} outside a {}-byte text: {}",
            d.span,
            data.len(),
            d.message
        );
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let reference = parse_reference("fuzz.policy", text);
        assert_eq!(format!("{parsed:?}"), format!("{reference:?}"), "the fast path and pest differ");
        if let Err(diags) = parse_expr("fuzz.expr", text) {
            for d in &diags {
                assert!(
                    d.span.start <= d.span.end && d.span.end <= data.len(),
                    "expression diagnostic span {:?} outside a {}-byte text: {}",
                    d.span,
                    data.len(),
                    d.message
                );
            }
        }
    }
});
