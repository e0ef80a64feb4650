//! `policy eval --input FILE --output FILE`: a population in a file
//! (Parquet, CSV or JSON lines) decided in batches and written as Parquet or
//! JSON lines, with a summary at the end. The columnar work lives in
//! `policy-arrow`; this module only reads the arguments.

use crate::support::files::load_plan;
use crate::support::term::Term;
use crate::support::{CliError, CmdResult};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use policy_arrow::files::{decide_file, row_count, Format, DEFAULT_BATCH};
use policy_arrow::{BatchDecider, BatchOptions};
use policy_eval::{DecideOptions, TraceLevel};
use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

/// The file arguments of `policy eval`.
#[derive(Debug, clap::Args)]
pub struct FileArgs {
    /// A population to decide: `.parquet`, `.csv` (header row; cells read as JSON facts text) or `.jsonl`.
    #[arg(long, value_name = "FILE", requires = "output")]
    pub input: Option<String>,
    /// Where the decisions go: `.parquet` (one row per applicant: kept columns, `error`, a struct per benefit) or `.jsonl`.
    #[arg(long, value_name = "FILE", requires = "input")]
    pub output: Option<String>,
    /// The input's format when its extension does not say (parquet, csv, jsonl).
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub input_format: Option<Format>,
    /// The output's format when its extension does not say (parquet, jsonl).
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub output_format: Option<Format>,
    /// A column of the input that is not a fact, copied to the output (an applicant id; repeatable).
    #[arg(long = "keep", value_name = "COLUMN")]
    pub keep: Vec<String>,
    /// Rows read, decided and written together (memory is bounded by it).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH)]
    pub batch_size: usize,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn format_of(path: &str, given: Option<Format>, which: &str) -> Result<Format, CliError> {
    given.or_else(|| Format::of_path(Path::new(path))).ok_or_else(|| {
        CliError::Failed(format!("cannot tell the format of {which} `{path}` from its extension: add --{which}-format parquet|csv|jsonl"))
    })
}

/// Runs `policy eval --input … --output …`.
pub fn run(args: &super::eval::Args, input: &str, term: Term) -> CmdResult {
    let t = &args.table;
    let Some(output) = &t.output else { return Err(CliError::Failed("--input needs --output".into())) };
    let in_fmt = format_of(input, t.input_format, "input")?;
    let out_fmt = format_of(output, t.output_format, "output")?;
    if out_fmt == Format::Csv {
        return Err(CliError::Failed("decisions are written as .parquet or .jsonl, not CSV".into()));
    }
    let plan = load_plan(&args.policy, term)?;
    let opts = BatchOptions {
        decide: DecideOptions { reference_date: args.as_of, benefits: args.benefits.clone(), trace: TraceLevel::Off },
        keep: t.keep.clone(),
        plain_status: false,
        parallel: true,
        row_only: false,
    };
    let decider = BatchDecider::new(&plan, opts).map_err(|e| CliError::Failed(e.to_string()))?;
    let start = Instant::now();
    // A progress bar on a terminal only: piped or redirected stderr gets
    // the summary alone.
    let bar = if std::io::stderr().is_terminal() {
        let total = row_count(Path::new(input), in_fmt);
        let bar = match total {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} applicants ({per_sec}, {eta} left)")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {pos} applicants ({per_sec})").unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        Some(bar)
    } else {
        None
    };
    let result = decide_file(&decider, (Path::new(input), in_fmt), (Path::new(output), out_fmt), t.batch_size, |s| {
        if let Some(bar) = &bar {
            bar.set_position(s.rows);
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = result.map_err(|e| CliError::Failed(e.to_string()))?;
    let secs = start.elapsed().as_secs_f64();
    eprint!("{}", summary.render());
    if secs > 0.0 {
        eprintln!("  in {secs:.2} s ({:.0} applicants/s)", summary.rows as f64 / secs);
    }
    Ok(summary.errors == 0)
}
