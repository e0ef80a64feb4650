//! Printing without panics: `println!` panics when stdout is a closed pipe
//! (`policy eval … | head`); these stop quietly instead.

use std::io::Write;

/// Writes to stdout; on a closed pipe or other write error, exits with 1.
pub fn write_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).is_err() {
        std::process::exit(1);
    }
}

/// Writes to stderr, ignoring errors (there is nowhere left to report them).
pub fn write_err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
}

/// `println!` to stdout without panicking.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::support::io::write_out(&format!("{}\n", format_args!($($arg)*))) };
}

/// `print!` to stdout without panicking.
macro_rules! out {
    ($($arg:tt)*) => { $crate::support::io::write_out(&format!($($arg)*)) };
}

/// `eprintln!` without panicking.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::support::io::write_err(&format!("{}\n", format_args!($($arg)*))) };
}

/// `eprint!` without panicking.
macro_rules! err {
    ($($arg:tt)*) => { $crate::support::io::write_err(&format!($($arg)*)) };
}

pub(crate) use {err, errln, out, outln};
