//! Formatter soundness: when the bytes parse without errors, the canonical
//! form re-parses to an equal tree, keeps every comment, and formatting it
//! again changes nothing (`policy_core::fmt::check`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_core::diag::Diagnostic;
use policy_core::fmt;
use policy_core::parse::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = parse("fuzz.policy", text);
    if parsed.diagnostics.iter().any(Diagnostic::is_error) {
        return;
    }
    let Some(file) = parsed.file else { return };
    let formatted = fmt::format(&file, text);
    if let Err(e) = fmt::check(&file, text, &formatted) {
        panic!("unsound formatting: {e}\n--- input\n{text}\n--- formatted\n{formatted}");
    }
    // The public entry point agrees. It parses the text once more (a tenth
    // of the target's time, as much as the round trip check itself), so one
    // input in eight (by length) checks it.
    if data.len() % 8 == 0 {
        assert_eq!(fmt::format_source("fuzz.policy", text).ok().as_deref(), Some(formatted.as_str()));
    }
});
