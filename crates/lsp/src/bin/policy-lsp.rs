//! `policy-lsp`: the language server on stdio (the same as `policy lsp`).

fn main() -> std::process::ExitCode {
    match policy_lsp::run_stdio() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("policy-lsp: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
