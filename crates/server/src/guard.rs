//! The layer around every request: a request id, a concurrency slot, the
//! deadline, the metrics and one log line.

use crate::error::{ApiError, ErrorCode};
use crate::App;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// Runs the request within a slot and the deadline.
pub async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = app.next_id.fetch_add(1, Ordering::Relaxed);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    app.metrics.request();
    let deadline = app.config.limits.deadline;
    let mut response = match tokio::time::timeout(deadline.min(app.config.limits.queue_wait), app.slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => {
            let r = match tokio::time::timeout(deadline.saturating_sub(start.elapsed()), next.run(req)).await {
                Ok(r) => r,
                Err(_) => ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "deadline_exceeded",
                    format!("the request did not finish within the deadline of {} ms", deadline.as_millis()),
                )
                .into_response(),
            };
            drop(permit);
            r
        }
        _ => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "every request slot stayed busy; try again later").into_response()
        }
    };
    let elapsed = start.elapsed();
    if path.ends_with("/decide") || path.ends_with("/what-if") {
        app.metrics.latency(elapsed);
    }
    let code = response.extensions().get::<ErrorCode>().map(|c| c.0);
    if let Some(code) = code {
        app.metrics.error(code);
    }
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert("x-request-id", v);
    }
    tracing::info!(
        id,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        error = code.unwrap_or(""),
        "request"
    );
    response
}
