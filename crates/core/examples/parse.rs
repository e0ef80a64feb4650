//! Parses and checks `.policy` files, printing their diagnostics (a development
//! aid; `policy check` is the real tool). Imports are found under `policies/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

fn main() {
    let mut failed = false;
    let loader = policy_core::loader::DirLoader::new(&["policies"]);
    for path in std::env::args().skip(1) {
        let src = match policy_core::loader::read_source(std::path::Path::new(&path)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                failed = true;
                continue;
            }
        };
        let checked = policy_core::check::check_source(&src, &loader);
        for d in &checked.diagnostics {
            let text = checked.files.iter().find(|f| f.name == d.file).map(|f| f.text.to_string()).unwrap_or_default();
            let (line, col) = d.line_col(&text);
            let kind = if d.is_error() { "error" } else { "warning" };
            eprintln!("{}:{line}:{col}: {kind}[{}]: {}", d.file, d.code.id, d.message);
            if let Some(h) = &d.help {
                eprintln!("    help: {h}");
            }
            failed |= d.is_error();
        }
        if let Some(p) = &checked.policy {
            println!("{path}: ok ({} inputs, {} benefits)", p.inputs.len(), p.benefits.len());
        }
    }
    std::process::exit(i32::from(failed));
}
