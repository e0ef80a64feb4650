//! `policy impact BASE NEW --population FILE`: what an amendment changes
//! over a population. The streaming comparison lives in
//! `policy_arrow::impact`; this module reads the arguments, loads both
//! versions as `policy diff` does, and prints the report.

use super::diff::load_version;
use crate::support::io::out;
use crate::support::term::Term;
use crate::support::{CliError, CmdResult};
use chrono::NaiveDate;
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use policy_arrow::files::{row_count, Format, DEFAULT_BATCH};
use policy_arrow::impact::file::impact_file;
use policy_arrow::impact::{ImpactOptions, ImpactRun, DEFAULT_EXAMPLES};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Examples shown by `policy impact --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy sample jiaxing.digital_training_2021 --n 100000 --seed 7 -o population.parquet
  policy impact jiaxing.digital_training_2021 amended.policy --population population.parquet --as-of 2021-10-15
  policy impact HEAD~1:policies/jiaxing/digital_training_2021.policy policies/jiaxing/digital_training_2021.policy --population p.parquet
  policy impact old.policy new.policy --population p.jsonl --format json -o impact.parquet

BASE and NEW are read as `policy diff` reads its versions: a `.policy` file, \
a policy id, or REV:PATH from git. Every applicant is decided by both; the \
report gives, per benefit, the status changes (base → new), the applicants \
whose amount changed, the total cost before and after (exact), the \
distribution of the changes, and the first applicants of each kind of change \
with both outcomes side by side. -o writes one row per applicant as Parquet: \
`row` (from 0), then a struct per benefit (status_before, status_after, \
amount_before, amount_after, delta, changed).";

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ImpactFormat {
    /// A readable report.
    #[default]
    Text,
    /// The report as JSON (money as decimal strings).
    Json,
}

/// Arguments of `policy impact`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version in force: a `.policy` file, a policy id, or `REV:PATH` read from git.
    #[arg(value_name = "BASE")]
    pub base: String,
    /// The amended version: a `.policy` file, a policy id, or `REV:PATH` read from git.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// The population: `.parquet`, `.csv` or `.jsonl` (as `policy eval --input` reads it).
    #[arg(long, value_name = "FILE")]
    pub population: String,
    /// The population's format when its extension does not say (parquet, csv, jsonl).
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub input_format: Option<Format>,
    /// The folder the base version's imports (and a policy id) resolve in.
    #[arg(long, value_name = "DIR")]
    pub base_root: Option<PathBuf>,
    /// The folder the new version's imports (and a policy id) resolve in.
    #[arg(long, value_name = "DIR")]
    pub new_root: Option<PathBuf>,
    /// The decisions' reference date (default: each applicant's `application_date`, when the policy has one).
    #[arg(long, value_name = "DATE", value_parser = super::eval::parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Compare only this benefit (repeatable; default: all of either version).
    #[arg(long = "benefit", value_name = "ID")]
    pub benefits: Vec<String>,
    /// Examples kept per kind of change.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_EXAMPLES)]
    pub examples: usize,
    /// Report format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ImpactFormat,
    /// Also write one row per applicant (before, after and change per benefit) to this Parquet file.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rows read and decided together (memory is bounded by it).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH)]
    pub batch_size: usize,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// Runs `policy impact`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    let format = args.input_format.or_else(|| Format::of_path(Path::new(&args.population))).ok_or_else(|| {
        CliError::Failed(format!(
            "cannot tell the format of the population `{}` from its extension: add --input-format parquet|csv|jsonl",
            args.population
        ))
    })?;
    if let Some(o) = &args.output {
        if Format::of_path(o) != Some(Format::Parquet) {
            return Err(CliError::Failed(format!("-o `{}`: the per-applicant impact is written as .parquet", o.display())));
        }
    }
    let base = load_version(&args.base, args.base_root.as_deref(), "base-root", term)?;
    let new = load_version(&args.new, args.new_root.as_deref(), "new-root", term)?;
    let opts = ImpactOptions {
        reference_date: args.as_of,
        benefits: args.benefits.clone(),
        examples: args.examples,
        parallel: true,
        keep: Vec::new(),
    };
    let run = ImpactRun::new(&base, &new, opts).map_err(|e| CliError::Failed(e.to_string()))?;
    let population = Path::new(&args.population);
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = match row_count(population, format) {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} applicants ({per_sec}, {eta} left)")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
            None => ProgressBar::new_spinner(),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        bar
    });
    let result = impact_file(run, (population, format), args.output.as_deref(), args.batch_size, |n| {
        if let Some(bar) = &bar {
            bar.set_position(n);
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let impact = result.map_err(|e| CliError::Failed(e.to_string()))?;
    match args.format {
        ImpactFormat::Text => out!("{}", impact.render_text()),
        ImpactFormat::Json => {
            let json =
                serde_json::to_string_pretty(&impact).map_err(|e| CliError::Failed(format!("cannot write the report as JSON: {e}")))?;
            out!("{json}\n");
        }
    }
    Ok(true)
}
