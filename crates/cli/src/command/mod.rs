//! The command line: one module per subcommand.

pub mod check;
pub mod completions;
pub mod diff;
pub mod eval;
pub mod eval_file;
pub mod explain;
pub mod fmt;
pub mod impact;
pub mod lsp;
pub mod sample;
pub mod schema;
pub mod serve;
pub mod test;
pub mod what_if;

use crate::support::diagnostics::ErrorFormat;
use crate::support::term::{ColorChoice, Term};
use crate::support::CmdResult;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  policy check policies/
  policy fmt --check policies/
  policy eval datong.big_data_training_2022 --facts applicant.json
  policy test
  policy schema datong.big_data_training_2022
  policy explain C101
  policy diff old.policy policies/datong/big_data_training_2022.policy --cases policies/datong
  policy sample jiaxing.digital_training_2021 --n 1000000 --seed 7 -o population.parquet
  policy impact jiaxing.digital_training_2021 amended.policy --population population.parquet
  policy lsp
  policy what-if datong.big_data_training_2022 --facts applicant.json
  policy serve --policies policies --addr 127.0.0.1:8080
  policy completions bash > ~/.local/share/bash-completion/completions/policy

Run `policy <COMMAND> --help` for each command's options and examples.";

/// Check, format, evaluate and test policy-as-code files.
#[derive(Debug, Parser)]
#[command(name = "policy", version, about = "Check, format, evaluate and test policy-as-code files", after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    /// When to colour the output: `auto` colours on a terminal unless NO_COLOR, CLICOLOR=0 or TERM=dumb is set.
    #[arg(long, value_enum, default_value_t, global = true, value_name = "WHEN")]
    pub color: ColorChoice,
    /// How to print diagnostics and errors: `human` (stderr), `short` (`file:line:col: error[CODE]: message`,
    /// one per line on stderr) or `json` (on stdout: one object per diagnostic, one line each;
    /// other errors as `{"error": {"code", "message", "details"}}`).
    #[arg(long, value_enum, default_value_t, global = true, value_name = "FORMAT")]
    pub error_format: ErrorFormat,
    /// Print at most N diagnostics (human and short formats), then how many more there were; 0: no limit.
    #[arg(long, default_value_t = 100, global = true, value_name = "N")]
    pub max_errors: usize,
    /// The policy folder that policy ids and `use` imports resolve in [default: the nearest `policies/`
    /// folder in the working directory or one of its parents].
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check policies for errors and warnings (parse, names, types, tiers, citations, assertions).
    #[command(after_help = check::EXAMPLES)]
    Check(check::Args),
    /// Format policies in place, or list the unformatted ones with --check.
    #[command(after_help = fmt::EXAMPLES)]
    Fmt(fmt::Args),
    /// Decide an applicant's facts against a policy and explain the decision.
    #[command(after_help = eval::EXAMPLES)]
    Eval(eval::Args),
    /// Run golden case files (*.cases.json), check their golden traces, report failing cases.
    #[command(after_help = test::EXAMPLES)]
    Test(test::Args),
    /// Explain a diagnostic code (`policy explain C101`): its section of docs/errors.md.
    #[command(after_help = explain::EXAMPLES)]
    Explain(explain::Args),
    /// Print the JSON Schema (draft 2020-12) of a policy's facts.
    #[command(after_help = schema::EXAMPLES)]
    Schema(schema::Args),
    /// Compare two versions of a policy: changes, applicants decided differently, golden cases that change.
    #[command(after_help = diff::EXAMPLES)]
    Diff(diff::Args),
    /// Draw a synthetic population from a policy's declarations, weighted toward its thresholds.
    #[command(after_help = sample::EXAMPLES)]
    Sample(sample::Args),
    /// What an amendment changes over a population: status changes, amounts, total cost, examples.
    #[command(after_help = impact::EXAMPLES)]
    Impact(impact::Args),
    /// Start the language server on stdio, for editors (docs/editors.md).
    #[command(after_help = lsp::EXAMPLES)]
    Lsp(lsp::Args),
    /// Serve the decision API and the trace viewer over HTTP.
    #[command(after_help = serve::EXAMPLES)]
    Serve(serve::Args),
    /// What would make each benefit eligible: fact changes (each verified), and the facts still needed.
    #[command(name = "what-if", after_help = what_if::EXAMPLES)]
    WhatIf(what_if::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = completions::EXAMPLES)]
    Completions(completions::Args),
}

/// Runs the command.
pub fn run(cli: &Cli, term: Term) -> CmdResult {
    match &cli.command {
        Command::Check(a) => check::run(a, term),
        Command::Fmt(a) => fmt::run(a, term),
        Command::Eval(a) => eval::run(a, term),
        Command::Test(a) => test::run(a, term),
        Command::Explain(a) => explain::run(a, term),
        Command::Schema(a) => schema::run(a, term),
        Command::Diff(a) => diff::run(a, term),
        Command::Sample(a) => sample::run(a, term),
        Command::Impact(a) => impact::run(a, term),
        Command::Lsp(a) => lsp::run(a, term),
        Command::Serve(a) => serve::run(a, term),
        Command::WhatIf(a) => what_if::run(a, term),
        Command::Completions(a) => completions::run(a, term),
    }
}
