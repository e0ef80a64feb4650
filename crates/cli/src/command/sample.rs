//! `policy sample`: a synthetic population drawn from a policy's
//! declarations, weighted toward its thresholds, deterministic for a seed.
//! The drawing lives in `policy_arrow::sample`; this module reads the
//! arguments and shows progress on a terminal.

use crate::support::files::load_plan;
use crate::support::term::Term;
use crate::support::{CliError, CmdResult};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use policy_arrow::files::{Format, DEFAULT_BATCH};
use std::io::IsTerminal;
use std::path::Path;

/// Examples shown by `policy sample --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy sample jiaxing.digital_training_2021 --n 1000000 --seed 7 -o population.parquet
  policy sample policies/jinhua/digital_engineer_2024.policy --n 1000 -o population.jsonl
  policy eval jiaxing.digital_training_2021 --input population.parquet --output decisions.parquet

Each fact takes the values `policy diff` explores: every constant it is \
compared against in conditions, tiers and tables, with the values just \
below and just above (both sides of every boundary), every enum variant, \
values between neighbouring thresholds, and sometimes none (absent). The \
same policy, --n and --seed give the same file, byte for byte.";

/// Arguments of `policy sample`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.policy` file or a policy id under `./policies`.
    #[arg(value_name = "POLICY")]
    pub policy: String,
    /// How many applicants.
    #[arg(long, value_name = "N")]
    pub n: u64,
    /// The seed of the generator.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Where the population goes: `.parquet`, `.jsonl` or `.csv`.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: String,
    /// The output's format when its extension does not say (parquet, csv, jsonl).
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub format: Option<Format>,
    /// Applicants held in memory at a time.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH)]
    pub batch_size: usize,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// Runs `policy sample`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    let format = args.format.or_else(|| Format::of_path(Path::new(&args.output))).ok_or_else(|| {
        CliError::Failed(format!("cannot tell the format of `{}` from its extension: add --format parquet|csv|jsonl", args.output))
    })?;
    let plan = load_plan(&args.policy, term)?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(args.n).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} applicants ({per_sec})").unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        bar
    });
    let result = policy_arrow::sample::write_sample(&plan, args.n, args.seed, (Path::new(&args.output), format), args.batch_size, |n| {
        if let Some(bar) = &bar {
            bar.set_position(n);
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    result.map_err(|e| CliError::Failed(e.to_string()))?;
    eprintln!("{} applicants drawn for `{}` (seed {}) → {}", args.n, plan.policy().meta.id, args.seed, args.output);
    Ok(true)
}
