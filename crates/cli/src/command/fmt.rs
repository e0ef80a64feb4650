//! `policy fmt`: rewrite policies in canonical form, or with `--check` list
//! the files that are not.

use crate::support::diagnostics::{Reporter, Sources};
use crate::support::files::{collect, io_message, is_policy};
use crate::support::io::{errln, out, outln};
use crate::support::term::{paint, print_error, Style, Term};
use crate::support::{plural, CliError, CmdResult};
use policy_core::diag::Diagnostic;
use policy_core::fmt::format_source;
use similar::{ChangeTag, TextDiff};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Examples shown by `policy fmt --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy fmt policies/
  policy fmt policies/datong/big_data_training_2022.policy
  policy fmt --check policies/
  policy fmt - < draft.policy > formatted.policy

Files are rewritten atomically (a temporary file in the same folder, then \
renamed over the original), keeping their line endings (CRLF stays CRLF). \
`-` formats standard input to standard output.
Exit status: 0 when every file is (or now is) formatted, 1 when --check finds \
an unformatted file or a file cannot be read or parsed, 2 on bad arguments.";

/// Lines of diff shown per file with `--check`.
const MAX_DIFF_LINES: usize = 40;

/// Arguments of `policy fmt`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not write: list the files that are not formatted, with a short diff, and exit 1 if any.
    #[arg(long)]
    pub check: bool,
    /// Policy files, or directories searched recursively for `.policy` files;
    /// `-` (alone) formats standard input to standard output.
    #[arg(required = true, value_name = "PATH|-")]
    pub paths: Vec<PathBuf>,
}

/// Runs `policy fmt`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        if args.paths.len() > 1 {
            return Err(CliError::Trouble("`-` (standard input) cannot be given with other paths".into()));
        }
        return run_stdin(args.check, term);
    }
    let collected = collect(&args.paths, is_policy);
    let mut ok = true;
    for (path, why) in &collected.problems {
        print_error(term, &format!("cannot read `{}`: {why}", path.display()));
        ok = false;
    }
    let mut reporter = Reporter::new(term.errors, term);
    let mut sources = Sources::new();
    let mut changed = 0usize;
    for file in &collected.files {
        let name = file.display().to_string();
        let text = match std::fs::read(file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    print_error(term, &format!("`{name}` is not valid UTF-8"));
                    ok = false;
                    continue;
                }
            },
            Err(e) => {
                print_error(term, &format!("cannot read `{name}`: {}", io_message(&e)));
                ok = false;
                continue;
            }
        };
        let formatted = match format_keeping_line_ends(&name, &text) {
            Ok(f) => f,
            Err((diagnostics, parsed)) => {
                sources.add(&name, &parsed);
                reporter.report_all(&diagnostics, &mut sources);
                ok = false;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if args.check {
            outln!("{}", paint(term.stdout, Style::Bold, &format!("would reformat {name}")));
            out!("{}", short_diff(&text, &formatted, term.stdout));
        } else if let Err(e) = write_file(file, &formatted) {
            print_error(term, &format!("cannot write `{name}`: {}", io_message(&e)));
            ok = false;
        }
    }
    reporter.finish();
    let total = collected.files.len();
    if total == 0 {
        if collected.problems.is_empty() {
            print_error(term, "no .policy files found");
        }
        return Ok(false);
    }
    if args.check {
        if changed > 0 {
            errln!("{changed} of {} would be reformatted", plural(total, "file", "files"));
        } else {
            errln!("{} already formatted", plural(total, "file", "files"));
        }
        Ok(ok && changed == 0)
    } else {
        errln!("formatted {changed} of {}", plural(total, "file", "files"));
        Ok(ok)
    }
}

/// `policy fmt -`: standard input formatted to standard output (with
/// `--check`, nothing but the diff and the exit status).
fn run_stdin(check: bool, term: Term) -> CmdResult {
    let name = "<stdin>";
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes).map_err(|e| CliError::Failed(format!("cannot read standard input: {}", io_message(&e))))?;
    let text = String::from_utf8(bytes).map_err(|_| CliError::Failed("standard input is not valid UTF-8".into()))?;
    match format_keeping_line_ends(name, &text) {
        Ok(formatted) if check => {
            if formatted == text {
                return Ok(true);
            }
            outln!("{}", paint(term.stdout, Style::Bold, &format!("would reformat {name}")));
            out!("{}", short_diff(&text, &formatted, term.stdout));
            Ok(false)
        }
        Ok(formatted) => {
            out!("{formatted}");
            Ok(true)
        }
        Err((diagnostics, parsed)) => {
            let mut sources = Sources::new();
            sources.add(name, &parsed);
            let mut reporter = Reporter::new(term.errors, term);
            reporter.report_all(&diagnostics, &mut sources);
            reporter.finish();
            Ok(false)
        }
    }
}

/// Formats `text`, keeping its line endings: a text whose first line ends
/// in CRLF is formatted as LF and written back with CRLF. On a parse error,
/// the diagnostics and the text they point into.
fn format_keeping_line_ends(name: &str, text: &str) -> Result<String, (Vec<Diagnostic>, String)> {
    let crlf = text.find('\n').is_some_and(|i| text.as_bytes().get(i.wrapping_sub(1)) == Some(&b'\r'));
    if !crlf {
        return format_source(name, text).map_err(|d| (d, text.to_string()));
    }
    let lf = text.replace("\r\n", "\n");
    match format_source(name, &lf) {
        Ok(f) => Ok(f.replace('\n', "\r\n")),
        Err(d) => Err((d, lf)),
    }
}

/// Replaces `path` atomically: the text goes to a temporary file in the same
/// folder (with the original's permissions), which is then renamed over it,
/// so a reader never sees half a file and a failed write leaves it intact.
fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let permissions = std::fs::metadata(path)?.permissions();
    let mut tmp = tempfile::Builder::new().prefix(".policy-fmt-").suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.as_file().set_permissions(permissions)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A unified diff with 2 lines of context, at most [`MAX_DIFF_LINES`] lines.
fn short_diff(old: &str, new: &str, color: bool) -> String {
    let diff = TextDiff::from_lines(old, new);
    let mut lines: Vec<String> = Vec::new();
    let mut unified = diff.unified_diff();
    let unified = unified.context_radius(2);
    for hunk in unified.iter_hunks() {
        lines.push(paint(color, Style::Info, &hunk.header().to_string()));
        for change in hunk.iter_changes() {
            let text = change.value().trim_end_matches('\n');
            let line = match change.tag() {
                ChangeTag::Delete => paint(color, Style::Bad, &format!("-{text}")),
                ChangeTag::Insert => paint(color, Style::Good, &format!("+{text}")),
                ChangeTag::Equal => format!(" {text}"),
            };
            lines.push(line);
        }
    }
    let mut out = String::new();
    let total = lines.len();
    for line in lines.iter().take(MAX_DIFF_LINES) {
        out.push_str(line);
        out.push('\n');
    }
    if total > MAX_DIFF_LINES {
        out.push_str(&format!("… {} more diff lines\n", total - MAX_DIFF_LINES));
    }
    out
}
