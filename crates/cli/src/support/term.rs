//! How output is printed: colour (only on a terminal, never when `NO_COLOR`
//! is set, nor (unless forced) when `CLICOLOR=0` or `TERM=dumb`; always when
//! `--color always` (or `CLICOLOR_FORCE`) asks for it), the global
//! `--error-format` and `--max-errors`, and errors that are not diagnostics.

use crate::support::diagnostics::{one_line, ErrorFormat};
use crate::support::io::{errln, outln};
use clap::ValueEnum;
use std::io::IsTerminal;

/// The `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal, unless `NO_COLOR` is set, `CLICOLOR=0` or `TERM=dumb`.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Whether each output stream gets colour, and how errors are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// Colour on stdout.
    pub stdout: bool,
    /// Colour on stderr.
    pub stderr: bool,
    /// `--error-format`: diagnostics and errors for people, one line each, or JSON on stdout.
    pub errors: ErrorFormat,
    /// `--max-errors`: diagnostics printed before the rest are only counted (0: no limit).
    pub max_errors: usize,
}

/// What `--color auto` decides from the environment, before looking at
/// whether each stream is a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AutoColor {
    /// No colour at all.
    Off,
    /// Colour even off a terminal.
    Forced,
    /// Colour on a terminal.
    OnTerminal,
}

/// The environment's say, in the order of <https://no-color.org> and
/// <https://bixense.com/clicolors/>: `NO_COLOR` (non-empty) turns colour
/// off; else `CLICOLOR_FORCE` (set, not `0`) turns it on; else `CLICOLOR=0`
/// or `TERM=dumb` (a terminal that cannot show it) turns it off.
fn auto_color(var: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> AutoColor {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty() && v != "0");
    if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        AutoColor::Off
    } else if set("CLICOLOR_FORCE") {
        AutoColor::Forced
    } else if var("CLICOLOR").is_some_and(|v| v == "0") || var("TERM").is_some_and(|v| v == "dumb") {
        AutoColor::Off
    } else {
        AutoColor::OnTerminal
    }
}

impl Term {
    /// Decides colour from the choice, the environment and whether each
    /// stream is a terminal; errors in `errors`, at most `max_errors` shown.
    pub fn detect(choice: ColorChoice, errors: ErrorFormat, max_errors: usize) -> Term {
        let (stdout, stderr) = match choice {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto => match auto_color(&|name| std::env::var_os(name)) {
                AutoColor::Off => (false, false),
                AutoColor::Forced => (true, true),
                AutoColor::OnTerminal => (std::io::stdout().is_terminal(), std::io::stderr().is_terminal()),
            },
        };
        // JSON errors go to stdout, which then carries no colour.
        let stdout = stdout && errors != ErrorFormat::Json;
        Term { stdout, stderr, errors, max_errors }
    }
}

/// ANSI styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Bold red.
    Error,
    /// Green.
    Good,
    /// Red.
    Bad,
    /// Yellow.
    Unsure,
    /// Dimmed.
    Dim,
    /// Bold.
    Bold,
    /// Cyan.
    Info,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Error => "1;31",
            Style::Good => "32",
            Style::Bad => "31",
            Style::Unsure => "33",
            Style::Dim => "2",
            Style::Bold => "1",
            Style::Info => "36",
        }
    }
}

/// `text` in `style` when `on`, else unchanged.
pub fn paint(on: bool, style: Style, text: &str) -> String {
    if on {
        format!("\x1b[{}m{text}\x1b[0m", style.code())
    } else {
        text.to_string()
    }
}

/// Prints an error that is not a diagnostic: `error: message` on stderr
/// (`--error-format short`: on one line), or with `--error-format json` the
/// object `{"error": {"code": "failed", "message": …, "details": null}}` on
/// one line of stdout.
pub fn print_error(term: Term, message: &str) {
    print_coded(term, "failed", message, &serde_json::Value::Null);
}

/// [`print_error`] with a code and details for `--error-format json`
/// (people see the message only).
pub fn print_coded(term: Term, code: &str, message: &str, details: &serde_json::Value) {
    match term.errors {
        ErrorFormat::Human => errln!("{}: {message}", paint(term.stderr, Style::Error, "error")),
        ErrorFormat::Short => errln!("error: {}", one_line(message)),
        ErrorFormat::Json => outln!("{}", error_json(code, message, details)),
    }
}

/// The JSON error object: `{"error": {"code", "message", "details"}}` (the
/// shape of the server's error bodies).
pub fn error_json(code: &str, message: &str, details: &serde_json::Value) -> String {
    serde_json::json!({ "error": { "code": code, "message": message, "details": details } }).to_string()
}

/// Prints `warning: message` on stderr (as `check` prints a diagnostic's
/// severity; on one line with `--error-format short`).
pub fn print_warning(term: Term, message: &str) {
    match term.errors {
        ErrorFormat::Short => errln!("warning: {}", one_line(message)),
        _ => errln!("{}: {message}", paint(term.stderr, Style::Unsure, "warning")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> AutoColor {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        auto_color(&|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.into()))
    }

    #[test]
    fn the_environment_decides_in_order() {
        assert_eq!(with(&[]), AutoColor::OnTerminal);
        assert_eq!(with(&[("TERM", "xterm-256color"), ("CLICOLOR", "1")]), AutoColor::OnTerminal);
        assert_eq!(with(&[("TERM", "dumb")]), AutoColor::Off);
        assert_eq!(with(&[("CLICOLOR", "0")]), AutoColor::Off);
        assert_eq!(with(&[("TERM", "dumb"), ("CLICOLOR_FORCE", "1")]), AutoColor::Forced);
        assert_eq!(with(&[("CLICOLOR", "0"), ("CLICOLOR_FORCE", "1")]), AutoColor::Forced);
        assert_eq!(with(&[("CLICOLOR_FORCE", "0"), ("TERM", "dumb")]), AutoColor::Off);
        assert_eq!(with(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]), AutoColor::Off);
        assert_eq!(with(&[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]), AutoColor::Forced);
    }
}
