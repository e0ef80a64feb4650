//! `POST /v1/policies/{id}/decide-batch`: NDJSON facts in, NDJSON decisions
//! out, in input order, streamed. Memory stays bounded for any length: the
//! body is read a frame at a time, decided [`CHUNK`] lines at a time, and the
//! answer goes out through a channel of [`IN_FLIGHT`] chunks, so a slow
//! reader slows the reading of the body down instead of piling up output.

use crate::api::{authorize, expect_media, lookup};
use crate::error::ApiError;
use crate::openapi::Access;
use crate::App;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::BodyExt;
use policy_eval::{DecideOptions, EvalError, Plan, TraceLevel};
use serde_json::json;
use std::sync::Arc;

/// Lines decided together.
const CHUNK: usize = 256;
/// Chunks of output waiting for the client at most.
const IN_FLIGHT: usize = 2;

type Line = (usize, Result<String, ApiError>);

/// The handler.
pub async fn decide_batch(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, Access::Decide)?;
    let (id, entry) = lookup(&app, id)?;
    let opts = crate::query::decide_options(query.as_deref(), TraceLevel::Off)?;
    if let Some(b) = opts.benefits.iter().find(|b| !entry.plan.policy().benefits.iter().any(|x| *x.id == ***b)) {
        return Err(ApiError::from_eval(EvalError::UnknownBenefit(b.clone()), &id));
    }
    expect_media(&headers, &["application/x-ndjson", "application/jsonl", "application/json", "text/plain"])?;
    // The answer's status is sent before the lines are read, so an empty
    // body is found out first: wait for the first bytes.
    let mut body = body;
    let first = loop {
        match tokio::time::timeout(app.config.limits.deadline, body.frame()).await {
            Ok(Some(Ok(f))) => match f.into_data() {
                Ok(d) if !d.is_empty() => break d,
                _ => continue,
            },
            Ok(Some(Err(e))) => return Err(ApiError::bad_request(format!("cannot read the request body: {e}"))),
            Ok(None) => return Err(ApiError::bad_request("the batch is empty (send one facts object a line)")),
            Err(_) => {
                return Err(ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "deadline_exceeded",
                    format!("no data arrived for {} ms", app.config.limits.deadline.as_millis()),
                ))
            }
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(IN_FLIGHT);
    tokio::spawn(run(app, id, entry.plan, opts, first, body, tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let mut r = Body::from_stream(stream).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    Ok(r)
}

/// Reads, decides and sends until the body ends, fails or the client goes.
async fn run(
    app: Arc<App>,
    id: String,
    plan: Arc<Plan>,
    opts: DecideOptions,
    first: Bytes,
    mut body: Body,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let limits = app.config.limits.clone();
    let mut splitter = Splitter::new(limits.max_batch_line);
    splitter.push(&first);
    let opts = Arc::new(opts);
    loop {
        let frame = tokio::time::timeout(limits.deadline, body.frame()).await;
        let (data, end, failure) = match frame {
            Ok(Some(Ok(f))) => (f.into_data().unwrap_or_default(), false, None),
            Ok(None) => (Bytes::new(), true, None),
            Ok(Some(Err(e))) => (Bytes::new(), true, Some(ApiError::bad_request(format!("cannot read the request body: {e}")))),
            Err(_) => (
                Bytes::new(),
                true,
                Some(ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "deadline_exceeded",
                    format!("no data arrived for {} ms", limits.deadline.as_millis()),
                )),
            ),
        };
        splitter.push(&data);
        if end && failure.is_none() {
            splitter.finish();
        }
        while splitter.ready() >= CHUNK || (end && splitter.ready() > 0) {
            let lines = splitter.take(CHUNK);
            let out = decide_chunk(&app, &id, &plan, &opts, lines).await;
            if tx.send(Ok(out)).await.is_err() {
                return;
            }
        }
        if let Some(f) = failure {
            app.metrics.error(f.code);
            let mut line = serde_json::to_vec(&json!({ "error": f.body() })).unwrap_or_default();
            line.push(b'\n');
            let _ = tx.send(Ok(Bytes::from(line))).await;
            return;
        }
        if end {
            return;
        }
    }
}

/// Decides a chunk on the blocking pool and writes it as NDJSON.
async fn decide_chunk(app: &Arc<App>, id: &str, plan: &Arc<Plan>, opts: &Arc<DecideOptions>, lines: Vec<Line>) -> Bytes {
    let (app, id, plan, opts) = (app.clone(), id.to_string(), plan.clone(), opts.clone());
    let work = tokio::task::spawn_blocking(move || {
        let texts: Vec<&str> = lines.iter().filter_map(|(_, l)| l.as_ref().ok().map(String::as_str)).collect();
        let mut decided = plan.decide_json_batch(&texts, &opts).into_iter();
        let mut out = Vec::with_capacity(lines.len() * 512);
        let mut text = String::new();
        for (n, line) in &lines {
            let result = match line {
                Ok(_) => decided.next().unwrap_or_else(|| Err(EvalError::Facts(Vec::new()))).map_err(|e| ApiError::from_eval(e, &id)),
                Err(e) => Err(e.clone()),
            };
            let written = match result {
                Ok(d) => {
                    // The served plans name files by file name only (`Catalog::load`).
                    app.metrics.decision(&id, d.benefits.iter().map(|b| b.status.as_str()));
                    text.clear();
                    d.write_json(&mut text);
                    out.extend_from_slice(text.as_bytes());
                    Ok(())
                }
                Err(e) => {
                    app.metrics.error(e.code);
                    serde_json::to_writer(&mut out, &json!({ "line": n, "error": e.body() }))
                }
            };
            if written.is_err() {
                out.extend_from_slice(br#"{"error":{"code":"internal","message":"cannot write a decision","details":null}}"#);
            }
            out.push(b'\n');
        }
        Bytes::from(out)
    });
    work.await.unwrap_or_else(|e| {
        let body = json!({ "error": { "code": "internal", "message": format!("a batch worker stopped: {e}"), "details": null } });
        let mut v = serde_json::to_vec(&body).unwrap_or_default();
        v.push(b'\n');
        Bytes::from(v)
    })
}

/// Splits bytes into numbered lines, each at most `max` bytes; a longer
/// line becomes an error and its bytes are dropped as they come.
struct Splitter {
    max: usize,
    partial: Vec<u8>,
    /// The line being read is already too long.
    skipping: bool,
    line_no: usize,
    ready: std::collections::VecDeque<Line>,
}

impl Splitter {
    fn new(max: usize) -> Self {
        Splitter { max, partial: Vec::new(), skipping: false, line_no: 0, ready: std::collections::VecDeque::new() }
    }

    fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match data.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    let (head, rest) = data.split_at(i);
                    self.append(head);
                    self.end_line();
                    data = rest.get(1..).unwrap_or_default();
                }
                None => {
                    self.append(data);
                    data = &[];
                }
            }
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.skipping {
            return;
        }
        if self.partial.len() + bytes.len() > self.max {
            self.skipping = true;
            self.partial = Vec::new();
        } else {
            self.partial.extend_from_slice(bytes);
        }
    }

    fn end_line(&mut self) {
        self.line_no += 1;
        let line = if std::mem::take(&mut self.skipping) {
            Err(ApiError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "line_too_large",
                format!("the line is longer than the limit of {} bytes", self.max),
            )
            .with_details(json!({ "limit_bytes": self.max })))
        } else {
            let mut bytes = std::mem::take(&mut self.partial);
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            match String::from_utf8(bytes) {
                Ok(s) if s.trim().is_empty() => Err(ApiError::bad_request("an empty line (each line must be a facts object)")),
                Ok(s) => Ok(s),
                Err(_) => Err(ApiError::bad_request("the line is not UTF-8")),
            }
        };
        self.ready.push_back((self.line_no, line));
    }

    /// The body ended: a last line without a newline counts.
    fn finish(&mut self) {
        if self.skipping || !self.partial.is_empty() {
            self.end_line();
        }
    }

    fn ready(&self) -> usize {
        self.ready.len()
    }

    fn take(&mut self, n: usize) -> Vec<Line> {
        let n = n.min(self.ready.len());
        self.ready.drain(..n).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Splitter;

    fn lines(s: &mut Splitter) -> Vec<(usize, Result<String, &'static str>)> {
        s.take(usize::MAX).into_iter().map(|(n, l)| (n, l.map_err(|e| e.code))).collect()
    }

    #[test]
    fn splits_across_frames_and_limits_lines() {
        let mut s = Splitter::new(8);
        s.push(b"{\"a\":1}\n{\"b\"");
        s.push(b":2}\r\n\n0123456789abc\nx");
        s.finish();
        assert_eq!(
            lines(&mut s),
            vec![
                (1, Ok("{\"a\":1}".to_string())),
                (2, Ok("{\"b\":2}".to_string())),
                (3, Err("bad_request")),
                (4, Err("line_too_large")),
                (5, Ok("x".to_string())),
            ]
        );
    }

    #[test]
    fn a_trailing_newline_adds_no_line() {
        let mut s = Splitter::new(100);
        s.push(b"{}\n");
        s.finish();
        assert_eq!(lines(&mut s).len(), 1);
    }
}
