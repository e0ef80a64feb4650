//! Colour: only on a terminal, never when `NO_COLOR` is set, always when
//! `--color always` (or `CLICOLOR_FORCE`) asks for it.

use crate::support::io::errln;
use clap::ValueEnum;
use std::io::IsTerminal;

/// The `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Whether each output stream gets colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// Colour on stdout.
    pub stdout: bool,
    /// Colour on stderr.
    pub stderr: bool,
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

impl Term {
    /// Decides from the choice, the environment and whether each stream is a terminal.
    pub fn detect(choice: ColorChoice) -> Term {
        match choice {
            ColorChoice::Always => Term { stdout: true, stderr: true },
            ColorChoice::Never => Term { stdout: false, stderr: false },
            ColorChoice::Auto => {
                if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                    Term { stdout: false, stderr: false }
                } else if env_set("CLICOLOR_FORCE") {
                    Term { stdout: true, stderr: true }
                } else {
                    Term { stdout: std::io::stdout().is_terminal(), stderr: std::io::stderr().is_terminal() }
                }
            }
        }
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

/// Prints `error: message` to stderr.
pub fn print_error(term: Term, message: &str) {
    errln!("{}: {message}", paint(term.stderr, Style::Error, "error"));
}

/// Prints `warning: message` on stderr (as `check` prints a diagnostic's
/// severity).
pub fn print_warning(term: Term, message: &str) {
    errln!("{}: {message}", paint(term.stderr, Style::Unsure, "warning"));
}
