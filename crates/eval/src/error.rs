//! Errors of the evaluation crate.

use policy_core::diag::Diagnostic;

/// Why an engine, a plan or a decision could not be produced.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The policy has errors; the diagnostics say which.
    #[error("policy `{name}` has {} error(s)", diagnostics.iter().filter(|d| d.is_error()).count())]
    Policy {
        /// The policy (file name or id).
        name: String,
        /// All diagnostics, errors and warnings.
        diagnostics: Vec<Diagnostic>,
    },
    /// No policy with that id is loaded.
    #[error("no policy `{0}` is loaded")]
    UnknownPolicy(String),
    /// The facts do not fit the policy's declared inputs.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Facts(Vec<FactError>),
    /// A benefit id passed in the options does not exist.
    #[error("policy has no benefit `{0}`")]
    UnknownBenefit(String),
    /// A parameter override names no parameter of the policy.
    #[error("policy has no parameter `{0}`")]
    UnknownParameter(String),
}

/// One problem with one fact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("fact `{fact}`: expected {expected}, received {received}")]
pub struct FactError {
    /// The fact (JSON key path, e.g. `history[2].year`).
    pub fact: String,
    /// What the policy declares.
    pub expected: String,
    /// What was received.
    pub received: String,
}
