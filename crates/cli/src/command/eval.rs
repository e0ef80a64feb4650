//! `policy eval`: decide one applicant's facts against a policy and print
//! the decision with its explained trace.

use crate::support::files::{io_message, load_plan};
use crate::support::io::{out, outln};
use crate::support::term::{paint, print_error, Style, Term};
use crate::support::{plural, CliError, CmdResult};
use chrono::NaiveDate;
use clap::ValueEnum;
use policy_eval::{render_text, DecideOptions, EvalError, TraceLevel};
use std::io::Read;

/// Examples shown by `policy eval --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy eval policies/datong/big_data_training_2022.policy --facts applicant.json
  policy eval datong.big_data_training_2022 --facts applicant.json --format json
  cat applicant.json | policy eval datong.big_data_training_2022 --facts - --trace off
  policy eval policies/jinhua/digital_engineer_2024.policy --facts a.json --as-of 2024-06-01 --benefit training_subsidy

Exit status: 0 when decided, 1 when the policy, the facts file or the facts \
themselves are unusable (each fact problem is printed), 2 on bad arguments.";

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// The decision and its trace as an indented tree.
    #[default]
    Text,
    /// The decision as JSON (money as decimal strings).
    Json,
}

/// `--trace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TraceArg {
    /// No trace.
    Off,
    /// Benefits, conditions and amount steps.
    Summary,
    /// Everything, with the values read.
    #[default]
    Full,
}

impl From<TraceArg> for TraceLevel {
    fn from(t: TraceArg) -> Self {
        match t {
            TraceArg::Off => TraceLevel::Off,
            TraceArg::Summary => TraceLevel::Summary,
            TraceArg::Full => TraceLevel::Full,
        }
    }
}

/// Arguments of `policy eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.policy` file (imports resolve in its `policies/` tree) or a policy id under `./policies`.
    #[arg(value_name = "POLICY")]
    pub policy: String,
    /// The facts as a JSON object: a file, or `-` for standard input.
    #[arg(long, value_name = "FILE|-")]
    pub facts: String,
    /// The decision's reference date (default: the `application_date` fact, when the policy has one).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Decide only this benefit (repeatable; default: all).
    #[arg(long = "benefit", value_name = "ID")]
    pub benefits: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// How much of the trace to include.
    #[arg(long, value_enum, default_value_t)]
    pub trace: TraceArg,
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a date (expected YYYY-MM-DD)"))
}

/// Runs `policy eval`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    let facts_text = read_facts(&args.facts)?;
    let plan = load_plan(&args.policy, term)?;
    let facts = match plan.facts_from_str(&facts_text) {
        Ok(f) => f,
        Err(EvalError::Facts(problems)) => {
            for p in &problems {
                let what = if p.fact == "(facts)" { "facts".to_string() } else { format!("fact `{}`", p.fact) };
                print_error(term, &format!("{what}: expected {}, received {}", p.expected, p.received));
            }
            let n = plural(problems.len(), "problem", "problems");
            return Err(CliError::Failed(format!("the facts do not fit policy `{}` ({n})", plan.policy().meta.id)));
        }
        Err(e) => return Err(CliError::Failed(e.to_string())),
    };
    let opts = DecideOptions { reference_date: args.as_of, benefits: args.benefits.clone(), trace: args.trace.into() };
    let decision = plan.decide(&facts, &opts).map_err(|e| CliError::Failed(e.to_string()))?;
    match args.format {
        OutputFormat::Text => out!("{}", colorize(&render_text(&decision), term.stdout)),
        OutputFormat::Json => {
            let json =
                serde_json::to_string_pretty(&decision).map_err(|e| CliError::Failed(format!("cannot write the decision as JSON: {e}")))?;
            outln!("{json}");
        }
    }
    Ok(true)
}

fn read_facts(arg: &str) -> Result<String, CliError> {
    if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::Failed(format!("cannot read facts from standard input: {}", io_message(&e))))?;
        Ok(s)
    } else {
        std::fs::read_to_string(arg).map_err(|e| CliError::Failed(format!("cannot read facts file `{arg}`: {}", io_message(&e))))
    }
}

/// Colours the status marks at the start of the text trace's lines.
fn colorize(text: &str, on: bool) -> String {
    if !on {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        let style = match body.chars().next() {
            Some('✓') => Some(Style::Good),
            Some('✗') => Some(Style::Bad),
            Some('?') => Some(Style::Unsure),
            Some('–') | Some('·') => Some(Style::Dim),
            _ => None,
        };
        match (style, body.chars().next()) {
            (Some(style), Some(mark)) => {
                out.push_str(line.get(..indent).unwrap_or(""));
                out.push_str(&paint(true, style, &mark.to_string()));
                out.push_str(body.get(mark.len_utf8()..).unwrap_or(""));
            }
            _ => out.push_str(line),
        }
    }
    out
}
