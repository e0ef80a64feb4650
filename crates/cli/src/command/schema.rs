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
  policy schema datong.big_data_training_2022 --benefit order_training
  policy schema - < draft.policy

Exit status: 0 on success, 1 when the policy cannot be read or does not \
compile or has no such benefit, 2 on bad arguments.";

/// Arguments of `policy schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.policy` file, a policy id (looked up in --root, or the nearest `policies/` folder in the
    /// working directory or its parents), or `-` to read the policy from standard input.
    #[arg(value_name = "POLICY|-")]
    pub policy: String,
    /// The schema of the facts this benefit may read (only those properties).
    #[arg(long, value_name = "ID")]
    pub benefit: Option<String>,
}

/// Runs `policy schema`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    let plan = load_plan(&args.policy, term)?;
    let p = plan.policy();
    if let Some(id) = &args.benefit {
        if !p.benefits.iter().any(|b| *b.id == **id) {
            let ids: Vec<&str> = p.benefits.iter().map(|b| &*b.id).collect();
            return Err(CliError::Failed(format!("no benefit `{id}` in policy `{}` (benefits: {})", p.meta.id, ids.join(", "))));
        }
    }
    let schema = facts_schema(p, args.benefit.as_deref());
    let text = serde_json::to_string_pretty(&schema).map_err(|e| CliError::Failed(format!("cannot write the schema: {e}")))?;
    outln!("{text}");
    Ok(true)
}
