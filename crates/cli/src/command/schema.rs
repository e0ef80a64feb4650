//! `policy schema`: the JSON Schema (draft 2020-12) of a policy's facts.

use crate::support::files::load_plan;
use crate::support::io::outln;
use crate::support::term::Term;
use crate::support::{CliError, CmdResult};
use policy_eval::schema::facts_schema;

/// Examples shown by `policy schema --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy schema policies/datong/big_data_training_2022.policy
  policy schema jiaxing.digital_training_2021 > facts.schema.json

Exit status: 0 on success, 1 when the policy cannot be read or does not \
compile, 2 on bad arguments.";

/// Arguments of `policy schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.policy` file or a policy id under `./policies`.
    #[arg(value_name = "POLICY")]
    pub policy: String,
}

/// Runs `policy schema`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    let plan = load_plan(&args.policy, term)?;
    let schema = facts_schema(plan.policy());
    let text = serde_json::to_string_pretty(&schema).map_err(|e| CliError::Failed(format!("cannot write the schema: {e}")))?;
    outln!("{text}");
    Ok(true)
}
