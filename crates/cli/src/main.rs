//! The `policy` command: check, fmt, eval, test, schema and diff policies.

mod command;
mod support;

use clap::Parser;
use std::process::ExitCode;
use support::term::{print_coded, Term};
use support::CliError;

fn main() -> ExitCode {
    let cli = command::Cli::parse();
    support::files::set_root_arg(cli.root.clone());
    let term = Term::detect(cli.color, cli.error_format, cli.max_errors);
    let null = serde_json::Value::Null;
    match command::run(&cli, term) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(CliError::Failed(message)) => {
            print_coded(term, "failed", &message, &null);
            ExitCode::from(1)
        }
        Err(CliError::Coded { code, message, details, exit }) => {
            print_coded(term, code, &message, &details);
            ExitCode::from(exit)
        }
        Err(CliError::Trouble(message)) => {
            print_coded(term, "trouble", &message, &null);
            ExitCode::from(2)
        }
    }
}
