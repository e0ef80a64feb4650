//! `policy diff`: compare two versions of a policy — structure, and the
//! decisions of golden cases under both — using `policy_eval::diff`.

use crate::support::files::{collect, is_cases, load_plan};
use crate::support::io::out;
use crate::support::term::Term;
use crate::support::{CliError, CmdResult};
use clap::ValueEnum;
use policy_eval::cases::CaseFile;
use std::path::PathBuf;

/// Examples shown by `policy diff --help`.
pub const EXAMPLES: &str = "\
Examples:
  git show HEAD~1:policies/datong/big_data_training_2022.policy > /tmp/old.policy
  policy diff /tmp/old.policy policies/datong/big_data_training_2022.policy
  policy diff /tmp/old.policy policies/datong/big_data_training_2022.policy --cases policies/datong
  policy diff old.policy new.policy --format json

Exit status: 0 when the two versions are equivalent, 1 when they differ (or \
either cannot be read or does not compile), 2 on bad arguments.";

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum DiffFormat {
    /// A readable report.
    #[default]
    Text,
    /// The report as JSON.
    Json,
}

/// Arguments of `policy diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The old version: a `.policy` file or a policy id under `./policies`.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The new version: a `.policy` file or a policy id under `./policies`.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// A directory (or file) of `*.cases.json` whose facts are decided under both versions.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: DiffFormat,
}

/// Runs `policy diff`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    let old = load_plan(&args.old, term)?;
    let new = load_plan(&args.new, term)?;
    let ids = [old.policy().meta.id.clone(), new.policy().meta.id.clone()];
    let mut cases: Vec<(String, CaseFile)> = Vec::new();
    if let Some(dir) = &args.cases {
        let collected = collect(std::slice::from_ref(dir), is_cases);
        if let Some((path, why)) = collected.problems.first() {
            return Err(CliError::Failed(format!("cannot read `{}`: {why}", path.display())));
        }
        for file in &collected.files {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(file)
                .map_err(|e| CliError::Failed(format!("cannot read `{name}`: {}", crate::support::files::io_message(&e))))?;
            let case_file = CaseFile::parse(&text).map_err(|e| CliError::Failed(format!("`{name}` is not a case file: {e}")))?;
            if ids.contains(&case_file.policy) {
                cases.push((name, case_file));
            }
        }
    }
    let report = policy_eval::diff::diff(&old, &new, &cases);
    match args.format {
        DiffFormat::Text => {
            let text = report.render_text();
            out!("{text}");
            if !text.is_empty() && !text.ends_with('\n') {
                out!("\n");
            }
        }
        DiffFormat::Json => {
            let json =
                serde_json::to_string_pretty(&report).map_err(|e| CliError::Failed(format!("cannot write the report as JSON: {e}")))?;
            out!("{json}\n");
        }
    }
    Ok(report.equivalent())
}
