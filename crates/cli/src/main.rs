//! The `policy` command: check, fmt, eval, test, schema and diff policies.

mod command;
mod support;

use clap::Parser;
use std::process::ExitCode;
use support::term::{print_error, Term};
use support::CliError;

fn main() -> ExitCode {
    let cli = command::Cli::parse();
    let term = Term::detect(cli.color);
    match command::run(&cli, term) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(CliError::Failed(message)) => {
            print_error(term, &message);
            ExitCode::from(1)
        }
        Err(CliError::Trouble(message)) => {
            print_error(term, &message);
            ExitCode::from(2)
        }
    }
}
