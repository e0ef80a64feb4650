//! `policy serve`: the decision service and the trace viewer
//! (`crates/server`, `docs/service.md`).

use crate::support::diagnostics::{Reporter, Sources};
use crate::support::term::Term;
use crate::support::{plural, CliError, CmdResult};
use policy_eval::EvalError;
use policy_server::{App, Config, Limits};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Examples shown by `policy serve --help`.
pub const EXAMPLES: &str = "\
Examples:
  policy serve                                  # ./policies on http://127.0.0.1:8080/
  policy serve --policies policies --addr 127.0.0.1:9000 --watch
  policy serve --token-file /etc/policy/token   # decide and admin endpoints need the bearer token
  curl -s -X POST http://127.0.0.1:8080/v1/policies/datong.big_data_training_2022/decide \\
       -H 'content-type: application/json' -d @applicant.json

Open http://127.0.0.1:8080/ for the trace viewer; the API is described at /v1/openapi.json.
Exit status: 0 after a clean shutdown (SIGTERM or Ctrl-C), 1 when a policy does not \
check or the address cannot be bound, 2 on bad arguments.";

/// Arguments of `policy serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory of policies to serve (nothing outside it is read).
    #[arg(long, value_name = "DIR", default_value = "policies")]
    pub policies: PathBuf,
    /// The address to listen on.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Re-read changed policies; one that fails to check keeps the old plans serving.
    #[arg(long)]
    pub watch: bool,
    /// A file holding the bearer token that admin endpoints, and the decide endpoints unless --open-decide, need.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Keep the decide endpoints open when a token is set (admin endpoints still need it).
    #[arg(long, requires = "token_file")]
    pub open_decide: bool,
    /// Largest request body of one decision, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_body)]
    pub max_body: usize,
    /// Largest line of a batch, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_batch_line)]
    pub max_batch_line: usize,
    /// Per-request deadline, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub deadline_ms: u64,
    /// Requests handled at once (more wait for a slot up to --queue-wait-ms, then get 503).
    #[arg(long, value_name = "N", default_value_t = Limits::default().concurrency)]
    pub concurrency: usize,
    /// How long a request waits for a slot, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub queue_wait_ms: u64,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Log one line per request on standard error (default: on).
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    pub log: LogLevel,
}

/// `--log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogLevel {
    /// Nothing.
    Off,
    /// Failures only.
    Warn,
    /// One line per request.
    Info,
}

/// Runs `policy serve`.
pub fn run(args: &Args, term: Term) -> CmdResult {
    let level = match args.log {
        LogLevel::Off => None,
        LogLevel::Warn => Some(tracing::Level::WARN),
        LogLevel::Info => Some(tracing::Level::INFO),
    };
    if let Some(level) = level {
        let _ = tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).with_ansi(term.stderr).try_init();
    }
    let token = match &args.token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::Failed(format!("cannot read the token file `{}`: {}", path.display(), crate::support::files::io_message(&e)))
            })?;
            let token = text.trim().to_string();
            if token.len() < 16 {
                return Err(CliError::Failed(format!("the token in `{}` is shorter than 16 characters", path.display())));
            }
            Some(token)
        }
        None => None,
    };
    let config = Config {
        token,
        open_decide: args.open_decide,
        watch: args.watch,
        limits: Limits {
            max_body: args.max_body,
            max_batch_line: args.max_batch_line,
            deadline: Duration::from_millis(args.deadline_ms),
            concurrency: args.concurrency,
            queue_wait: Duration::from_millis(args.queue_wait_ms),
        },
        ..Config::new(&args.policies)
    };
    let app = match App::load(config) {
        Ok(app) => app,
        Err(EvalError::Policy { name, diagnostics }) => {
            let mut reporter = Reporter::for_error(term);
            let mut sources = Sources::new();
            reporter.report_all(&diagnostics, &mut sources);
            reporter.finish();
            let message = format!("`{name}` does not compile: {}", plural(reporter.errors, "error", "errors"));
            return Err(CliError::Coded {
                code: "policy_error",
                message,
                details: serde_json::json!({ "diagnostics": reporter.take_json() }),
                exit: 1,
            });
        }
        Err(e) => return Err(CliError::Failed(e.to_string())),
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(n) = args.threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = runtime.build().map_err(|e| CliError::Failed(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| CliError::Failed(format!("cannot listen on {}: {}", args.addr, crate::support::files::io_message(&e))))?;
        let addr = listener.local_addr().unwrap_or(args.addr);
        eprintln!("serving {} on http://{addr}/ (API: /v1/openapi.json)", plural(app.catalog().len(), "policy", "policies"));
        policy_server::serve(listener, app, policy_server::shutdown_signal())
            .await
            .map_err(|e| CliError::Failed(format!("the server stopped: {}", crate::support::files::io_message(&e))))
    })?;
    Ok(true)
}
