//! `policy lsp`: the language server (crate `policy-lsp`) on stdin/stdout,
//! for editors (docs/editors.md).

use crate::support::term::Term;
use crate::support::{CliError, CmdResult};

/// Examples shown by `policy lsp --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy lsp

Speaks the Language Server Protocol on stdin/stdout until the editor exits it.
Set the editor's client to start `policy lsp` for `*.policy` files (docs/editors.md).";

/// Arguments of `policy lsp`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Accepted for editors that pass it (the server always uses stdio).
    #[arg(long)]
    pub stdio: bool,
}

/// Runs `policy lsp`.
pub fn run(_args: &Args, _term: Term) -> CmdResult {
    policy_lsp::run_stdio().map_err(|e| CliError::Failed(format!("language server: {e}")))?;
    Ok(true)
}
