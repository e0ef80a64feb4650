//! `policy completions SHELL`: the shell completion script (clap_complete),
//! generated from the command line's own definition, so it always knows
//! every subcommand and option.

use crate::support::io::out;
use crate::support::term::Term;
use crate::support::{CliError, CmdResult};
use clap::CommandFactory;
use clap_complete::Shell;

/// Examples shown by `policy completions --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy completions bash > ~/.local/share/bash-completion/completions/policy
  policy completions zsh > ~/.zfunc/_policy        (with fpath+=~/.zfunc before compinit)
  policy completions fish > ~/.config/fish/completions/policy.fish
  policy completions powershell >> $PROFILE
  policy completions elvish

Exit status: 0 on success, 2 on bad arguments.";

/// Arguments of `policy completions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// Runs `policy completions`: the script on stdout.
pub fn run(args: &Args, _term: Term) -> CmdResult {
    let mut command = crate::command::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "policy", &mut script);
    let text = String::from_utf8(script).map_err(|_| CliError::Failed("the completion script is not UTF-8".into()))?;
    out!("{text}");
    Ok(true)
}
