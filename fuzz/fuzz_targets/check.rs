//! Arbitrary bytes as a policy through the checker, with every bundled
//! policy (the Zhejiang one among them) available to `use` and the fuzzed
//! policy itself loadable by its id. Never panics; a checked policy comes
//! only with no errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_core::check::check_source;
use policy_core::diag::Diagnostic;
use policy_fuzz::{source, FuzzLoader};

fuzz_target!(|data: &[u8]| {
    let src = source(data);
    let loader = FuzzLoader::new(&src);
    let checked = check_source(&src, &loader);
    let errors = checked.diagnostics.iter().filter(|d| Diagnostic::is_error(d)).count();
    if checked.policy.is_some() {
        assert_eq!(errors, 0, "a checked policy with errors: {:?}", checked.diagnostics);
    } else if !checked.files.is_empty() {
        // The file parsed (it is listed), so a missing policy needs an error.
        assert!(errors > 0, "no policy and no error");
    }
    for d in &checked.diagnostics {
        if let Some(f) = checked.files.iter().find(|f| f.name == d.file) {
            assert!(
                d.span.start <= d.span.end && d.span.end <= f.text.len(),
                "span {:?} outside `{}` ({} bytes): {}",
                d.span,
                d.file,
                f.text.len(),
                d.message
            );
        }
    }
});
