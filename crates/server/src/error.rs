//! API errors: always JSON `{code, message, details}`, with a status that
//! says whose fault it is (4xx: the request; 503: the server is busy or the
//! deadline passed). Bad input is never a 500.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use policy_eval::{EvalError, FactError};
use serde_json::{json, Value};

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code (`docs/service.md`, *Errors*).
    pub code: &'static str,
    /// One sentence.
    pub message: String,
    /// Structured details (every fact problem, every diagnostic…).
    pub details: Value,
}

impl ApiError {
    /// An error without details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), details: Value::Null }
    }

    /// With details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404 `unknown_policy`.
    pub fn unknown_policy(id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "unknown_policy", format!("no policy `{id}` is served")).with_details(json!({ "policy": id }))
    }

    /// 413 `body_too_large`.
    pub fn too_large(limit: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", format!("the request body is larger than the limit of {limit} bytes"))
            .with_details(json!({ "limit_bytes": limit }))
    }

    /// The error of a decision that could not be made, for policy `id`.
    pub fn from_eval(e: EvalError, id: &str) -> Self {
        match e {
            EvalError::Facts(problems) => facts_error(&problems, id),
            EvalError::UnknownBenefit(b) => {
                Self::new(StatusCode::BAD_REQUEST, "unknown_benefit", format!("policy `{id}` has no benefit `{b}`"))
                    .with_details(json!({ "benefit": b }))
            }
            EvalError::UnknownPolicy(p) => Self::unknown_policy(&p),
            EvalError::UnknownParameter(p) => {
                Self::new(StatusCode::BAD_REQUEST, "unknown_parameter", format!("policy `{id}` has no parameter `{p}`"))
                    .with_details(json!({ "parameter": p }))
            }
            EvalError::Policy { name, diagnostics } => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "policy_error",
                format!("policy `{name}` cannot decide ({} diagnostics)", diagnostics.len()),
            ),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        json!({ "code": self.code, "message": self.message, "details": self.details })
    }
}

/// 422 `invalid_facts`: every problem, in the order written (as the CLI
/// prints them).
fn facts_error(problems: &[FactError], id: &str) -> ApiError {
    let message = match problems {
        [p] if p.fact == "(facts)" => format!("facts: expected {}, received {}", p.expected, p.received),
        _ => format!("the facts do not fit policy `{id}` ({} problem{})", problems.len(), if problems.len() == 1 { "" } else { "s" }),
    };
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_facts", message).with_details(json!({ "problems": problems }))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut r = (self.status, body).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r.extensions_mut().insert(ErrorCode(self.code));
        r
    }
}

/// Marks a response as an error, for the metrics and the log.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);
