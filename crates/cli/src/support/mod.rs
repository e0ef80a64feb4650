//! What the subcommands share: terminal colour, diagnostic rendering, file
//! discovery and policy loading, and the error type commands return.

pub mod diagnostics;
pub mod files;
pub mod git;
pub mod io;
pub mod term;

use std::fmt;

/// How a command ended when it could not do its work at all.
#[derive(Debug)]
pub enum CliError {
    /// The command failed (exit 1): a missing file, a policy that does not
    /// compile, facts that do not fit. The message is printed as `error: …`.
    Failed(String),
    /// Trouble (exit 2), for commands whose exit 1 is an answer (`diff`:
    /// 0 equivalent, 1 different, 2 trouble, as GNU diff).
    Trouble(String),
    /// A failure (exit 1) with a code and details for `--error-format json`
    /// (`{"error": {"code", "message", "details"}}` on stdout), such as
    /// `invalid_facts` with every fact problem, or `policy_error` with the
    /// policy's diagnostics. People see the message (the details, when they
    /// matter to people, were printed already).
    Coded {
        /// Stable code: `invalid_facts`, `policy_error`.
        code: &'static str,
        /// One sentence.
        message: String,
        /// Machine-readable details.
        details: serde_json::Value,
        /// Exit status: 1, or 2 for trouble (`diff`).
        exit: u8,
    },
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Failed(m) | CliError::Trouble(m) | CliError::Coded { message: m, .. } => f.write_str(m),
        }
    }
}

/// What a command returns: `Ok(true)` success (exit 0), `Ok(false)` a
/// negative answer such as failing tests or unformatted files (exit 1).
pub type CmdResult = Result<bool, CliError>;

/// "1 error", "2 errors".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}
