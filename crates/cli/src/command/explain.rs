//! `policy explain CODE`: print one diagnostic's section of `docs/errors.md`
//! (embedded in the binary), as `rustc --explain` does.

use crate::support::io::out;
use crate::support::term::Term;
use crate::support::CliError;
use crate::support::CmdResult;
use policy_core::diag::codes;

/// Examples shown by `policy explain --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy explain C101
  policy explain r305

Exit status: 0 when the code is known, 2 when it is not (the known codes \
are listed).";

/// The page every section comes from.
const ERRORS_MD: &str = include_str!("../../../../docs/errors.md");

/// Arguments of `policy explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A diagnostic code, as printed in `error[C101]` (case does not matter).
    #[arg(value_name = "CODE")]
    pub code: String,
}

/// Runs `policy explain`.
pub fn run(args: &Args, _term: Term) -> CmdResult {
    let code = args.code.trim().to_ascii_uppercase();
    match section(ERRORS_MD, &code) {
        Some(text) => {
            out!("{text}");
            Ok(true)
        }
        None => {
            let known: Vec<&str> = codes::ALL.iter().map(|c| c.id).collect();
            Err(CliError::Trouble(format!("no diagnostic `{}`; the codes are: {}", args.code, known.join(", "))))
        }
    }
}

/// The `### CODE` section of `page`: its heading line and every line up to
/// the next `##`/`###` heading (headings inside code fences do not count),
/// with trailing blank lines dropped and one final newline.
pub fn section(page: &str, code: &str) -> Option<String> {
    if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let heading = format!("### {code}");
    let mut lines = page.lines();
    lines.by_ref().find(|l| l.trim_end() == heading)?;
    let mut out = vec![heading.as_str()];
    let mut in_fence = false;
    for line in lines {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence && (line.starts_with("## ") || line.starts_with("### ") || line.starts_with("# ")) {
            break;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    Some(out.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_code_has_a_section() {
        for c in codes::ALL {
            let s = section(ERRORS_MD, c.id).unwrap_or_else(|| panic!("no `### {}` in docs/errors.md", c.id));
            assert!(s.lines().count() > 2, "{}: {s}", c.id);
        }
    }

    #[test]
    fn a_section_stops_at_the_next_heading_not_at_a_comment_in_a_fence() {
        let page = "# T\n### A1\ntext\n```\n# not a heading\n### nor this\n```\nmore\n\n### A2\nnext\n## B\n";
        assert_eq!(section(page, "A1").unwrap(), "### A1\ntext\n```\n# not a heading\n### nor this\n```\nmore\n");
        assert_eq!(section(page, "A2").unwrap(), "### A2\nnext\n");
        assert_eq!(section(page, "A3"), None);
        assert_eq!(section(page, ""), None);
    }
}
