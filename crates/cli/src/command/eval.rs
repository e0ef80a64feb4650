//! `policy eval`: decide one applicant's facts against a policy and print
//! the decision with its explained trace; or, with `--facts-lines`, decide a
//! stream of applicants (JSON lines in, JSON lines out) in parallel chunks.

use crate::support::diagnostics::{more_line, ErrorFormat};
use crate::support::files::{io_message, load_plan};
use crate::support::io::{errln, out, outln};
use crate::support::term::{paint, print_error, print_warning, Style, Term};
use crate::support::{plural, CliError, CmdResult};
use chrono::NaiveDate;
use clap::ValueEnum;
use policy_eval::{render_text, DecideOptions, Decision, EvalError, Plan, Status, TraceLevel};
use rayon::prelude::*;
use std::io::{BufRead, IsTerminal, Read};
use std::time::{Duration, Instant};

/// Examples shown by `policy eval --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy eval policies/datong/big_data_training_2022.policy --facts applicant.json
  policy eval datong.big_data_training_2022 --facts applicant.json --format json
  cat applicant.json | policy eval datong.big_data_training_2022 --facts - --trace off
  policy eval policies/jinhua/digital_engineer_2024.policy --facts a.json --as-of 2024-06-01 --benefit training_subsidy
  policy eval jiaxing.digital_training_2021 --facts-lines applicants.jsonl > decisions.jsonl
  policy eval jiaxing.digital_training_2021 --input applicants.parquet --output decisions.parquet --as-of 2021-10-15

Exit status: 0 when decided, 1 when a benefit has a status named by --fail-on, \
or when the policy, the facts file or the facts \
themselves are unusable (each fact problem is printed; with --facts-lines, \
when any line failed), 2 on bad arguments.";

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
    #[arg(long, value_name = "FILE|-", required_unless_present_any = ["facts_lines", "input"], conflicts_with_all = ["facts_lines", "input"])]
    pub facts: Option<String>,
    /// Many applicants as JSON lines (one facts object per line): a file, or `-` for standard input.
    /// Prints one JSON decision per line, in input order; a line that fails prints
    /// `{"line": N, "error": …}` instead and the run goes on.
    #[arg(long, value_name = "FILE|-", conflicts_with = "input")]
    pub facts_lines: Option<String>,
    #[command(flatten)]
    pub table: super::eval_file::FileArgs,
    /// The decision's reference date (default: the `application_date` fact, when the policy has one).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Decide only this benefit (repeatable; default: all).
    #[arg(long = "benefit", value_name = "ID")]
    pub benefits: Vec<String>,
    /// Output format [default: text; --facts-lines always writes JSON lines].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// How much of the trace to include [default: full; off with --facts-lines].
    #[arg(long, value_enum)]
    pub trace: Option<TraceArg>,
    /// Exit 1 when any decided benefit has this status (repeatable, or a comma list);
    /// with --facts-lines, when any line's decision has it.
    #[arg(long = "fail-on", value_enum, value_delimiter = ',', value_name = "STATUS")]
    pub fail_on: Vec<FailOn>,
}

/// `--fail-on`: the statuses that make `policy eval` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// A requirement is not met, or an exclusion applies.
    Ineligible,
    /// A fact is missing or an evaluation error occurred.
    Undetermined,
}

impl FailOn {
    fn status(self) -> Status {
        match self {
            FailOn::Ineligible => Status::Ineligible,
            FailOn::Undetermined => Status::Undetermined,
        }
    }
}

/// The benefits of `decision` whose status is one of `fail_on`, as `id (status)`.
fn failing_benefits(decision: &Decision, fail_on: &[FailOn]) -> Vec<String> {
    decision
        .benefits
        .iter()
        .filter(|b| fail_on.iter().any(|f| f.status() == b.status))
        .map(|b| format!("`{}` ({})", b.id, b.status.as_str()))
        .collect()
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    policy_eval::facts::scalar::date(s).ok_or_else(|| format!("`{s}` is not a date (expected YYYY-MM-DD)"))
}

/// Runs `policy eval`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    if let Some(input) = &args.table.input {
        return super::eval_file::run(args, input, term);
    }
    let facts_arg = match (&args.facts, &args.facts_lines) {
        (_, Some(lines)) => return run_lines(args, lines, term),
        (Some(f), None) => f,
        // clap requires one of the two.
        (None, None) => return Err(CliError::Failed("no facts given (--facts or --facts-lines)".into())),
    };
    if facts_arg == "-" && args.policy == "-" {
        return Err(CliError::Trouble("the policy and the facts cannot both be read from standard input".into()));
    }
    let facts_text = read_facts(facts_arg)?;
    let plan = load_plan(&args.policy, term)?;
    let facts = match plan.facts_from_str(&facts_text) {
        Ok(f) => f,
        Err(EvalError::Facts(problems)) => return Err(facts_error(&problems, &plan, term)),
        Err(e) => return Err(CliError::Failed(e.to_string())),
    };
    let opts = DecideOptions { reference_date: args.as_of, benefits: args.benefits.clone(), trace: args.trace.unwrap_or_default().into() };
    let decision = plan.decide(&facts, &opts).map_err(|e| CliError::Failed(e.to_string()))?;
    // Warnings go to stderr in either format (the JSON decision also
    // carries the fact warnings in its `warnings`).
    for w in plan.option_warnings(&opts).iter().chain(&decision.warnings) {
        print_warning(term, &as_of_flag(&w.message));
    }
    match args.format.unwrap_or_default() {
        OutputFormat::Text => out!("{}", colorize(&render_text(&decision), term.stdout)),
        OutputFormat::Json => {
            let json =
                serde_json::to_string_pretty(&decision).map_err(|e| CliError::Failed(format!("cannot write the decision as JSON: {e}")))?;
            outln!("{json}");
        }
    }
    let failing = failing_benefits(&decision, &args.fail_on);
    if !failing.is_empty() {
        print_error(term, &format!("--fail-on: {}", failing.join(", ")));
        return Ok(false);
    }
    Ok(true)
}

/// The error for facts that do not fit: each problem printed for people (at
/// most `--max-errors` of them), and the error `invalid_facts` whose JSON
/// form (`--error-format json`) carries every problem in `details.problems`
/// (`fact`, `expected`, `received`), as the server's 422 does.
pub fn facts_error(problems: &[policy_eval::FactError], plan: &Plan, term: Term) -> CliError {
    if term.errors != ErrorFormat::Json {
        let shown = if term.max_errors == 0 { problems.len() } else { term.max_errors };
        for p in problems.iter().take(shown) {
            let what = if p.fact == "(facts)" { "facts".to_string() } else { format!("fact `{}`", p.fact) };
            print_error(term, &format!("{what}: expected {}, received {}", p.expected, p.received));
        }
        if let Some(line) = more_line((problems.len().saturating_sub(shown), 0)) {
            errln!("{line}");
        }
    }
    let n = plural(problems.len(), "problem", "problems");
    CliError::Coded {
        code: "invalid_facts",
        message: format!("the facts do not fit policy `{}` ({n})", plan.policy().meta.id),
        details: serde_json::json!({ "policy": &*plan.policy().meta.id, "problems": problems }),
        exit: 1,
    }
}

/// A warning about the reference date, naming the flag that gave it.
fn as_of_flag(message: &str) -> String {
    match message.strip_prefix("the reference date ") {
        Some(rest) => format!("--as-of {rest}"),
        None => message.to_string(),
    }
}

/// Lines read and decided together: each chunk is decoded and decided in
/// parallel by `Plan::decide_json_batch`, then written in input order.
const CHUNK: usize = policy_eval::DEFAULT_CHUNK;

/// `--facts-lines`: JSON lines in, JSON lines out, in input order.
fn run_lines(args: &Args, path: &str, term: Term) -> CmdResult {
    if args.format == Some(OutputFormat::Text) {
        use clap::CommandFactory;
        let mut cli = crate::command::Cli::command();
        cli.build();
        let message = "--facts-lines writes JSON lines; --format text cannot be used with it";
        match cli.find_subcommand_mut("eval") {
            Some(eval) => eval.error(clap::error::ErrorKind::ArgumentConflict, message).exit(),
            None => cli.error(clap::error::ErrorKind::ArgumentConflict, message).exit(),
        }
    }
    let mut input: Box<dyn BufRead> = if path == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file =
            std::fs::File::open(path).map_err(|e| CliError::Failed(format!("cannot read facts file `{path}`: {}", io_message(&e))))?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, file))
    };
    let plan = load_plan(&args.policy, term)?;
    if let Some(id) = args.benefits.iter().find(|id| !plan.policy().benefits.iter().any(|b| *b.id == ***id)) {
        return Err(CliError::Failed(EvalError::UnknownBenefit(id.clone()).to_string()));
    }
    let opts = DecideOptions {
        reference_date: args.as_of,
        benefits: args.benefits.clone(),
        trace: args.trace.map_or(TraceLevel::Off, Into::into),
    };
    // Said once for the run; each line's fact warnings are in its decision's `warnings`.
    for w in plan.option_warnings(&opts) {
        print_warning(term, &as_of_flag(&w.message));
    }
    let mut progress = Progress::new(std::io::stderr().is_terminal());
    let (mut line_no, mut failed, mut hit) = (0usize, 0usize, 0usize);
    loop {
        let (lines, eof) = read_chunk(&mut *input, &mut line_no, path)?;
        let texts: Vec<&str> = lines.iter().filter_map(|(_, l)| l.as_ref().ok().map(String::as_str)).collect();
        let mut decided = plan.decide_json_batch(&texts, &opts).into_iter();
        let results: Vec<(usize, Result<Decision, EvalError>)> = lines
            .iter()
            .map(|(n, line)| {
                let result = match line {
                    Ok(_) => decided.next().unwrap_or_else(|| Err(EvalError::Facts(Vec::new()))),
                    Err(problem) => Err(EvalError::Facts(vec![policy_eval::FactError {
                        fact: "(facts)".into(),
                        expected: "a JSON object on one line".into(),
                        received: problem.clone(),
                    }])),
                };
                (*n, result)
            })
            .collect();
        hit += results.iter().filter(|(_, r)| r.as_ref().is_ok_and(|d| !failing_benefits(d, &args.fail_on).is_empty())).count();
        // Writing a decision as JSON costs about as much as deciding it, so
        // the chunk is rendered in parallel too, then written in order.
        let rendered: Vec<Result<(Vec<u8>, bool), CliError>> = results
            .into_par_iter()
            .with_min_len(64)
            .map(|(n, result)| {
                let mut out = Vec::with_capacity(2048);
                let failed = write_result(&mut out, n, result, &plan)?;
                out.push(b'\n');
                Ok((out, failed))
            })
            .collect();
        let mut out = Vec::with_capacity(rendered.iter().map(|r| r.as_ref().map_or(0, |(b, _)| b.len())).sum());
        for r in rendered {
            let (bytes, line_failed) = r?;
            failed += usize::from(line_failed);
            out.extend_from_slice(&bytes);
        }
        write_stdout(&out);
        progress.update(line_no, failed, eof);
        if eof {
            break;
        }
    }
    if failed > 0 {
        print_error(
            term,
            &format!("{failed} of {} failed (each has a {{\"line\", \"error\"}} object in the output)", plural(line_no, "line", "lines")),
        );
    }
    if hit > 0 {
        let statuses: Vec<&str> = args.fail_on.iter().map(|f| f.status().as_str()).collect();
        print_error(term, &format!("--fail-on: {} decided a benefit {}", plural(hit, "line", "lines"), statuses.join(" or ")));
    }
    Ok(failed == 0 && hit == 0)
}

/// Writes bytes to stdout; on a closed pipe or another write error, exits
/// with 1 (as `support::io::write_out` does for text).
fn write_stdout(bytes: &[u8]) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(bytes).and_then(|()| stdout.flush()).is_err() {
        std::process::exit(1);
    }
}

/// Reads up to [`CHUNK`] lines: (line number, the line's text or why it is
/// not a facts line), and whether the input ended.
#[allow(clippy::type_complexity)]
fn read_chunk(input: &mut dyn BufRead, line_no: &mut usize, path: &str) -> Result<(Vec<(usize, Result<String, String>)>, bool), CliError> {
    let mut lines = Vec::with_capacity(CHUNK);
    let mut buf = Vec::new();
    while lines.len() < CHUNK {
        buf.clear();
        let read = input.read_until(b'\n', &mut buf).map_err(|e| {
            let from = if path == "-" { "standard input".to_string() } else { format!("`{path}`") };
            CliError::Failed(format!("cannot read facts lines from {from}: {}", io_message(&e)))
        })?;
        if read == 0 {
            return Ok((lines, true));
        }
        *line_no += 1;
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        let line = match String::from_utf8(std::mem::take(&mut buf)) {
            Ok(s) if s.trim().is_empty() => Err("an empty line".to_string()),
            Ok(s) => Ok(s),
            Err(_) => Err("a line that is not UTF-8".to_string()),
        };
        lines.push((*line_no, line));
    }
    Ok((lines, false))
}

/// Writes one line's decision, or its `{"line", "error"}` object; true when
/// the line failed.
fn write_result(out: &mut Vec<u8>, line: usize, result: Result<Decision, EvalError>, plan: &Plan) -> Result<bool, CliError> {
    let cannot = |e: serde_json::Error| CliError::Failed(format!("cannot write the decision as JSON: {e}"));
    match result {
        Ok(decision) => serde_json::to_writer(&mut *out, &decision).map_err(cannot).map(|()| false),
        Err(e) => {
            let (error, problems) = match e {
                EvalError::Facts(problems) => {
                    let error = match problems.as_slice() {
                        [p] if p.fact == "(facts)" => format!("facts: expected {}, received {}", p.expected, p.received),
                        _ => format!(
                            "the facts do not fit policy `{}` ({})",
                            plan.policy().meta.id,
                            plural(problems.len(), "problem", "problems")
                        ),
                    };
                    (error, problems)
                }
                other => (other.to_string(), Vec::new()),
            };
            serde_json::to_writer(&mut *out, &LineError { line, error, problems }).map_err(cannot).map(|()| true)
        }
    }
}

/// The output line of a line that failed.
#[derive(serde::Serialize)]
struct LineError {
    /// 1-based line number in the input.
    line: usize,
    /// One sentence.
    error: String,
    /// Each fact problem (empty when the failure is not about a fact).
    problems: Vec<policy_eval::FactError>,
}

/// A one-line counter on stderr, redrawn at most ten times a second, only
/// when stderr is a terminal.
struct Progress {
    on: bool,
    start: Instant,
    last: Option<Instant>,
}

impl Progress {
    fn new(on: bool) -> Self {
        Progress { on, start: Instant::now(), last: None }
    }

    fn update(&mut self, lines: usize, failed: usize, done: bool) {
        if !self.on || (!done && self.last.is_some_and(|t| t.elapsed() < Duration::from_millis(100))) {
            return;
        }
        self.last = Some(Instant::now());
        let secs = self.start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { format!(", {:.0} lines/s", lines as f64 / secs) } else { String::new() };
        let failed = if failed > 0 { format!(", {failed} failed") } else { String::new() };
        // `\r` back to the start of the line, `\x1b[K` clears what is left of it.
        crate::support::io::err!("\r\x1b[K{} decided{failed}{rate}{}", plural(lines, "line", "lines"), if done { "\n" } else { "" });
    }
}

/// Reads the facts file, or standard input for `-`.
pub fn read_facts(arg: &str) -> Result<String, CliError> {
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
