//! The decision service: an HTTP API over `policy-eval` (versioned under
//! `/v1`, described by the OpenAPI document it serves) and the trace viewer,
//! a page for caseworkers, embedded in the binary.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = policy_server::Config::new("policies");
//! let app = policy_server::App::load(config)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! policy_server::serve(listener, app, policy_server::shutdown_signal()).await?;
//! # Ok(()) }
//! ```
//!
//! `docs/service.md` documents the API, the limits, access and reload.

mod api;
mod batch;
mod catalog;
mod error;
mod guard;
mod metrics;
pub mod openapi;
mod query;
mod viewer;
mod watch;

pub use api::hide_paths;
pub use catalog::{Catalog, PolicyEntry};
pub use error::ApiError;

use axum::routing::{get, post, MethodRouter};
use axum::Router;
use openapi::EndpointId;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The limits a server enforces on every request (`docs/service.md`, *Limits*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body of a single decision or what-if, in bytes.
    pub max_body: usize,
    /// Largest line of a batch body, in bytes (the batch itself is unbounded:
    /// it is streamed).
    pub max_batch_line: usize,
    /// Per-request deadline: from the request's arrival until its response
    /// head (a batch's body: the longest wait for the next line).
    pub deadline: Duration,
    /// Requests handled at once; more wait for a slot up to `queue_wait`,
    /// then get `503 overloaded`.
    pub concurrency: usize,
    /// How long a request waits for a slot.
    pub queue_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 1 << 20,
            max_batch_line: 256 << 10,
            deadline: Duration::from_secs(10),
            concurrency: 512,
            queue_wait: Duration::from_secs(1),
        }
    }
}

/// How to run a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory of policies served (nothing outside it is read).
    pub policies: PathBuf,
    /// Re-read changed policies (polling the directory every `watch_every`).
    pub watch: bool,
    /// How often `watch` looks at the directory.
    pub watch_every: Duration,
    /// The bearer token that admin endpoints (and, unless `open_decide`,
    /// the decide endpoints) need; `None`: admin endpoints are disabled.
    pub token: Option<String>,
    /// Whether the decide endpoints are open even when a token is set.
    pub open_decide: bool,
    /// Limits.
    pub limits: Limits,
}

impl Config {
    /// Defaults for serving `policies`.
    pub fn new(policies: impl Into<PathBuf>) -> Self {
        Config {
            policies: policies.into(),
            watch: false,
            watch_every: Duration::from_secs(1),
            token: None,
            open_decide: false,
            limits: Limits::default(),
        }
    }
}

/// The running service's shared state: the catalog of plans (swapped whole
/// on reload; a request keeps the `Arc` it started with), metrics and
/// configuration.
#[derive(Debug)]
pub struct App {
    config: Config,
    catalog: RwLock<Arc<Catalog>>,
    metrics: metrics::Metrics,
    slots: Arc<tokio::sync::Semaphore>,
    next_id: AtomicU64,
}

impl App {
    /// Loads every policy under `config.policies` (`Engine::from_dir`: one
    /// policy that fails to check fails the load).
    pub fn load(config: Config) -> Result<Arc<App>, policy_eval::EvalError> {
        let catalog = Catalog::load(&config.policies)?;
        Ok(Arc::new(App {
            slots: Arc::new(tokio::sync::Semaphore::new(config.limits.concurrency.max(1))),
            catalog: RwLock::new(Arc::new(catalog)),
            metrics: metrics::Metrics::default(),
            next_id: AtomicU64::new(1),
            config,
        }))
    }

    /// The catalog now serving.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Re-reads the policy directory. When every policy checks, the new
    /// catalog replaces the old one at once; otherwise the old one keeps
    /// serving and remembers the diagnostics (shown by `/v1/policies/{id}`).
    pub fn reload(&self) -> catalog::ReloadReport {
        let old = self.catalog();
        let (next, report) = old.reloaded(&self.config.policies);
        *self.catalog.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        report
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// The router: the API under `/v1`, `/healthz`, `/metrics` and the viewer.
pub fn router(app: Arc<App>) -> Router {
    let mut r = Router::new();
    for endpoint in openapi::ENDPOINTS {
        r = r.route(endpoint.path, method_router(endpoint.id));
    }
    r.merge(viewer::routes())
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard::guard))
        .with_state(app)
}

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting and lets the requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if app.config.watch {
        watch::spawn(app.clone());
    }
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(addr = ?addr, policies = app.catalog().len(), "serving");
    axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// The handler of an endpoint (here, above `api` and `batch`, which
/// share `api`'s request checks).
fn method_router(id: EndpointId) -> MethodRouter<Arc<App>> {
    match id {
        EndpointId::Healthz => get(api::healthz),
        EndpointId::Metrics => get(api::metrics),
        EndpointId::OpenApi => get(api::openapi),
        EndpointId::Policies => get(api::policies),
        EndpointId::Policy => get(api::policy),
        EndpointId::Schema => get(api::schema),
        EndpointId::Document => get(api::document),
        EndpointId::Decide => post(api::decide),
        EndpointId::DecideBatch => post(batch::decide_batch),
        EndpointId::WhatIf => post(api::what_if),
        EndpointId::Reload => post(api::reload),
    }
}
