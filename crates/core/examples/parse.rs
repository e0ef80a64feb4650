//! Parses `.policy` files and prints their syntax diagnostics (a development aid;
//! `policy check` is the real tool).

fn main() {
    let mut failed = false;
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                failed = true;
                continue;
            }
        };
        let parsed = policy_core::parse::parse_bytes(&path, &bytes);
        let text = String::from_utf8_lossy(&bytes);
        for d in &parsed.diagnostics {
            let (line, col) = d.line_col(&text);
            eprintln!("{path}:{line}:{col}: {}[{}]: {}", if d.is_error() { "error" } else { "warning" }, d.code.id, d.message);
            failed = true;
        }
        if parsed.diagnostics.is_empty() {
            println!("{path}: ok ({} items)", parsed.file.map(|f| f.items.len()).unwrap_or(0));
        }
    }
    std::process::exit(i32::from(failed));
}
