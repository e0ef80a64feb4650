//! Policy evaluation: compiles a checked policy into a [`Plan`] once, then
//! decides any number of applicants against it, with an explained trace.
//!
//! ```
//! use policy_eval::{DecideOptions, Engine, TraceLevel};
//! use policy_core::loader::MemoryLoader;
//!
//! let mut loader = MemoryLoader::new();
//! loader.add_policy("demo.policy", r#"
//! policy demo.training "示例"
//!   in_force 2021-01-01 .. 2021-12-31
//! input days: int in 0 .. 365 "培训天数"
//! benefit training "培训补贴" {
//!   payee training_institution
//!   require days >= 3 "不少于3天"
//!   amount scale days { first 10 at 150 yuan, then at 100 yuan }
//!   cap 4000 yuan
//! }
//! "#);
//! let engine = Engine::from_loader(&loader).map_err(|e| e.to_string())?;
//! let plan = engine.plan("demo.training").ok_or("no plan")?;
//! let facts = plan.facts_from_str(r#"{"days": 12}"#).map_err(|e| e.to_string())?;
//! let opts = DecideOptions { reference_date: "2021-06-01".parse().ok(), trace: TraceLevel::Full, ..Default::default() };
//! let decision = plan.decide(&facts, &opts).map_err(|e| e.to_string())?;
//! assert_eq!(decision.benefits[0].amount.map(|a| a.to_string()), Some("1700".to_string()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch;
mod build;
pub mod cases;
mod compiled;
pub mod coverage;
mod decide;
pub mod decision;
pub mod diff;
mod encode;
mod error;
pub mod facts;
mod halt;
mod interp;
mod jsonbytes;
mod plan;
mod reform;
mod render;
pub mod schema;
mod slots;
pub mod testing;
pub mod trace;
mod tracelog;
pub mod what_if;

pub use batch::{DecideIter, DEFAULT_CHUNK};
pub use decide::{DecideOptions, Decider};
pub use decision::{BenefitDecision, DateSource, Decision, OutputScalar, OutputValue, Status, Warning};
pub use error::{EvalError, FactError};
pub use facts::json::{Json, JsonError};
pub use facts::{FactSlot, FactValue, Facts, FactsBuilder};
pub use interp::{MAX_COMPILE_STEPS, MAX_DECISION_STEPS, MAX_EVAL_DEPTH, MAX_EVAL_STEPS};
pub use plan::Plan;
pub use render::render_text;
pub use trace::{Trace, TraceLevel};
pub use what_if::{what_if, WhatIf};

use policy_core::check::check_source;
use policy_core::loader::{DirLoader, Loader, MemoryLoader, Source};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// A set of compiled policies, keyed by id. `Send + Sync` with no global
/// state: one engine serves many threads.
#[derive(Debug, Default, Clone)]
pub struct Engine {
    plans: BTreeMap<String, Arc<Plan>>,
}

impl Engine {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads and compiles every policy under `dir`; trace nodes name source
    /// files relative to `dir` ([`Plan::set_source_roots`]).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, EvalError> {
        let loader = DirLoader::new(&[dir.as_ref()]);
        if let Some(problem) = loader.problems.first() {
            return Err(EvalError::Policy { name: dir.as_ref().display().to_string(), diagnostics: vec![load_diag(problem)] });
        }
        let ids: Vec<String> = loader.policies().map(|(id, _)| id.to_string()).collect();
        let mut engine = Engine::new();
        for id in ids {
            let source = loader.load_policy(&id).map_err(|e| EvalError::Policy { name: id.clone(), diagnostics: vec![load_diag(&e)] })?;
            let mut plan = compile(&source, &loader)?;
            plan.set_source_roots(&[dir.as_ref()]);
            engine.insert(plan);
        }
        Ok(engine)
    }

    /// Loads and compiles every policy under `dir` that can be: the engine
    /// serves the good policies, and [`PartialLoad::failures`] says which
    /// files or policies were left out and why (a loader problem: a file
    /// refused, too large, unreadable, a duplicate id, a walk cut at its
    /// limit; or a policy with errors, including one whose import is broken).
    /// [`Engine::from_dir`] is the all-or-nothing form.
    pub fn from_dir_partial(dir: impl AsRef<Path>) -> PartialLoad {
        let loader = DirLoader::new(&[dir.as_ref()]);
        let mut failures: Vec<LoadFailure> = loader
            .problems
            .iter()
            .map(|p| LoadFailure {
                name: problem_subject(p),
                error: EvalError::Policy { name: problem_subject(p), diagnostics: vec![load_diag(p)] },
            })
            .collect();
        // An id two files declare is served by neither: which one is meant is unknown.
        let duplicated: Vec<&str> = loader
            .problems
            .iter()
            .filter_map(|p| match p {
                policy_core::loader::LoadError::Duplicate { id, .. } => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let ids: Vec<String> = loader.policies().map(|(id, _)| id.to_string()).filter(|id| !duplicated.contains(&id.as_str())).collect();
        let mut engine = Engine::new();
        for id in ids {
            if let Err(error) = engine.load(&loader, &id) {
                failures.push(LoadFailure { name: id, error });
            }
        }
        PartialLoad { engine, failures }
    }

    /// Compiles every policy of an in-memory loader.
    pub fn from_loader(loader: &MemoryLoader) -> Result<Self, EvalError> {
        let ids: Vec<String> = loader.ids().map(String::from).collect();
        let mut engine = Engine::new();
        for id in ids {
            engine.load(loader, &id)?;
        }
        Ok(engine)
    }

    /// Loads, checks and compiles the policy `id` (its imports through the
    /// same loader) and adds it to the engine.
    pub fn load(&mut self, loader: &dyn Loader, id: &str) -> Result<Arc<Plan>, EvalError> {
        let source = loader.load_policy(id).map_err(|e| EvalError::Policy { name: id.to_string(), diagnostics: vec![load_diag(&e)] })?;
        Ok(self.insert(compile(&source, loader)?))
    }

    /// Adds a compiled plan (replacing one with the same id).
    pub fn insert(&mut self, plan: Plan) -> Arc<Plan> {
        let plan = Arc::new(plan);
        self.plans.insert(plan.policy().meta.id.clone(), plan.clone());
        plan
    }

    /// The compiled policy `id`.
    pub fn plan(&self, id: &str) -> Option<&Arc<Plan>> {
        self.plans.get(id)
    }

    /// The plans, by policy id, taken out of the engine (each `Arc` unique
    /// when no clone of the engine or plan is kept, so that a caller can
    /// still adjust a plan with `Arc::get_mut`, e.g.
    /// [`Plan::rename_source_files`]).
    pub fn into_plans(self) -> impl Iterator<Item = (String, Arc<Plan>)> {
        self.plans.into_iter()
    }

    /// Ids of the loaded policies.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.plans.keys().map(String::as_str)
    }

    /// Decides JSON facts against policy `id`.
    pub fn decide_json(&self, id: &str, facts: &str, opts: &DecideOptions) -> Result<Decision, EvalError> {
        let plan = self.plan(id).ok_or_else(|| EvalError::UnknownPolicy(id.to_string()))?;
        let facts = plan.facts_from_str(facts)?;
        plan.decide(&facts, opts)
    }
}

/// What [`Engine::from_dir_partial`] loaded, and what it left out.
#[derive(Debug, Clone)]
pub struct PartialLoad {
    /// The policies that compiled.
    pub engine: Engine,
    /// The files and policies left out, in the order found.
    pub failures: Vec<LoadFailure>,
}

/// One file or policy [`Engine::from_dir_partial`] left out.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadFailure {
    /// The policy id, or the path of a file the loader refused.
    pub name: String,
    /// Why (its diagnostics).
    pub error: EvalError,
}

/// The file (or id, or root) a loader problem is about.
fn problem_subject(p: &policy_core::loader::LoadError) -> String {
    use policy_core::loader::LoadError as L;
    match p {
        L::NotFound(id) => id.clone(),
        L::Duplicate { second, .. } => second.clone(),
        L::Io { path, .. } | L::Refused { path, .. } | L::TooLarge { path, .. } => path.clone(),
        L::TooManyEntries { root, .. } => root.clone(),
    }
}

/// Checks and compiles one policy source; the error carries every diagnostic.
pub fn compile(source: &Source, loader: &dyn Loader) -> Result<Plan, EvalError> {
    let checked = check_source(source, loader);
    match checked.policy {
        Some(policy) => Plan::compile(policy, checked.diagnostics),
        None => Err(EvalError::Policy { name: source.name.to_string(), diagnostics: checked.diagnostics }),
    }
}

fn load_diag(e: &policy_core::loader::LoadError) -> policy_core::diag::Diagnostic {
    let name: Arc<str> = Arc::from("(loader)");
    policy_core::diag::Diagnostic::error(policy_core::diag::codes::IMPORT_FAILED, &name, policy_core::ast::Span::default(), e.to_string())
}

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}
    #[test]
    fn engine_is_send_and_sync() {
        assert_send_sync::<super::Engine>();
        assert_send_sync::<super::Plan>();
        assert_send_sync::<super::Decision>();
    }
}
