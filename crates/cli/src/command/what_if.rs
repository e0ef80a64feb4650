//! `policy what-if`: for each benefit the applicant does not get, the fact
//! changes that would make it eligible (each verified by deciding it), and
//! the facts still needed (`policy_eval::what_if`).

use super::eval::{parse_date, read_facts, OutputFormat};
use crate::support::files::load_plan;
use crate::support::io::{out, outln};
use crate::support::term::Term;
use crate::support::{plural, CliError, CmdResult};
use chrono::NaiveDate;
use policy_eval::what_if::{what_if, Change, WhatIf, REFERENCE_DATE};
use policy_eval::{DecideOptions, EvalError};
use serde_json::Value as Json;

/// Examples shown by `policy what-if --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy what-if datong.big_data_training_2022 --facts applicant.json
  policy what-if datong.big_data_training_2022 --facts applicant.json --benefit onjob_training --format json

Exit status: 0 when answered, 1 when the policy or the facts are unusable, 2 on bad arguments.";

/// Arguments of `policy what-if`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.policy` file or a policy id under `./policies`.
    #[arg(value_name = "POLICY")]
    pub policy: String,
    /// The facts as a JSON object: a file, or `-` for standard input.
    #[arg(long, value_name = "FILE|-")]
    pub facts: String,
    /// The decision's reference date (default: the `application_date` fact).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Only this benefit (repeatable; default: all).
    #[arg(long = "benefit", value_name = "ID")]
    pub benefits: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// Runs `policy what-if`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    let text = read_facts(&args.facts)?;
    let plan = load_plan(&args.policy, term)?;
    // The facts are checked by the same reader `policy eval` uses first, so
    // the problems are reported the same way.
    if let Err(EvalError::Facts(problems)) = plan.facts_from_str(&text) {
        return Err(super::eval::facts_error(&problems, &plan, term));
    }
    let facts: Json = serde_json::from_str(&text).map_err(|e| CliError::Failed(format!("the facts are not JSON: {e}")))?;
    let opts = DecideOptions { reference_date: args.as_of, benefits: args.benefits.clone(), ..Default::default() };
    let answer = what_if(&plan, &facts, &opts).map_err(|e| CliError::Failed(e.to_string()))?;
    match args.format {
        OutputFormat::Json => {
            let json = serde_json::to_string_pretty(&answer).map_err(|e| CliError::Failed(format!("cannot write JSON: {e}")))?;
            outln!("{json}");
        }
        OutputFormat::Text => out!("{}", render(&answer)),
    }
    Ok(true)
}

fn show(v: &Json) -> String {
    match v {
        Json::Null => "(not given)".into(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn change(c: &Change) -> String {
    let name = if c.fact == REFERENCE_DATE { "the reference date (--as-of)" } else { &c.fact };
    format!("{name}: {} → {}", show(&c.from), show(&c.to))
}

/// The answer as text.
pub fn render(w: &WhatIf) -> String {
    let mut s = String::new();
    if w.benefits.is_empty() {
        s.push_str("every benefit decided is eligible\n");
    }
    for b in &w.benefits {
        s.push_str(&format!("to qualify for {} {} (now {}):\n", b.id, b.label, b.status.as_str()));
        if b.options.is_empty() {
            s.push_str("  no change of the facts it reads was found that makes it eligible\n");
        }
        for o in &b.options {
            let amount = match (&o.amount, &o.amount_range) {
                (Some(a), _) => format!("{a} yuan"),
                (None, Some([lo, hi])) => format!("{lo}–{hi} yuan"),
                _ => "eligible".into(),
            };
            let changes: Vec<String> = o.changes.iter().map(change).collect();
            s.push_str(&format!("  - {}  ⇒ {amount}\n", changes.join("; ")));
        }
    }
    if !w.needed.is_empty() {
        s.push_str("facts still needed:\n");
        for n in &w.needed {
            s.push_str(&format!(
                "  - {} (decides {}: {})\n",
                n.fact,
                plural(n.benefits.len(), "benefit", "benefits"),
                n.benefits.join(", ")
            ));
        }
    }
    s.push_str(&format!("({} decisions explored)\n", w.decisions));
    s
}
