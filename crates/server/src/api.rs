//! The handlers of the `/v1` API, `/healthz` and `/metrics`.

use crate::catalog::{file_name, DiagnosticJson, PolicyEntry};
use crate::error::ApiError;
use crate::openapi::Access;
use crate::App;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::BodyExt;
use policy_eval::{Plan, TraceLevel};
use serde_json::{json, Value};
use std::sync::Arc;

/// A JSON answer.
pub fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut r = (status, body).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        Err(e) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("cannot write the answer as JSON: {e}")).into_response()
        }
    }
}

/// 404 for any path the API does not have.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint (see /v1/openapi.json)")
}

/// 405 for a path that exists with another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not take that method (see /v1/openapi.json)")
}

/// Checks the bearer token an endpoint needs.
pub fn authorize(app: &App, headers: &HeaderMap, access: Access) -> Result<(), ApiError> {
    let token = match (&app.config.token, access) {
        (_, Access::Open) => return Ok(()),
        (None, Access::Decide) => return Ok(()),
        (Some(_), Access::Decide) if app.config.open_decide => return Ok(()),
        (None, Access::Admin) => {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "admin_disabled", "admin endpoints need the server to run with --token-file"))
        }
        (Some(t), _) => t,
    };
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(g) if constant_time_eq(g.trim().as_bytes(), token.as_bytes()) => Ok(()),
        _ => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "this endpoint needs `Authorization: Bearer <token>`")),
    }
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The policy id of the path, and its entry in the catalog now serving.
pub fn lookup(app: &App, id: Result<Path<String>, PathRejection>) -> Result<(String, PolicyEntry), ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(format!("the path is malformed: {}", e.body_text())))?;
    match app.catalog().get(&id) {
        Some(entry) => Ok((id, entry.clone())),
        None => Err(ApiError::unknown_policy(&id)),
    }
}

/// Rejects a body that says it is something other than JSON (none is fine).
pub fn expect_media(headers: &HeaderMap, accepted: &[&str]) -> Result<(), ApiError> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else { return Ok(()) };
    let ct = ct.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if accepted.iter().any(|a| *a == ct) || ct.ends_with("+json") && accepted.contains(&"application/json") {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("the body must be {}", accepted.join(" or ")),
        )
        .with_details(json!({ "received": ct })))
    }
}

/// Reads a whole body of at most `limit` bytes.
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(ApiError::too_large(limit)),
        Err(e) => Err(ApiError::bad_request(format!("cannot read the request body: {e}"))),
    }
}

pub(crate) async fn healthz(State(app): State<Arc<App>>) -> Response {
    json_response(StatusCode::OK, &json!({ "status": "ok", "policies": app.catalog().len() }))
}

pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut r = app.metrics.render().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}

pub(crate) async fn openapi() -> Response {
    json_response(StatusCode::OK, &crate::openapi::document())
}

/// id, title, version, window, benefits, hash.
fn summary(plan: &Plan) -> Value {
    let p = plan.policy();
    json!({
        "id": p.meta.id,
        "title": p.meta.title,
        "documents": p.meta.documents,
        "issuer": p.meta.issuer,
        "region": p.meta.region,
        "version": p.meta.version,
        "amends": p.meta.amends,
        "in_force_from": p.meta.in_force_from,
        "in_force_until": p.meta.in_force_until,
        "content_hash": p.meta.content_hash,
        "benefits": p.benefits.iter().map(|b| json!({ "id": &*b.id, "label": &*b.label, "citation": b.cite })).collect::<Vec<_>>(),
    })
}

pub(crate) async fn policies(State(app): State<Arc<App>>) -> Response {
    let catalog = app.catalog();
    let list: Vec<Value> = catalog.iter().map(|(_, e)| summary(&e.plan)).collect();
    json_response(StatusCode::OK, &json!({ "policies": list, "unattached_errors": catalog.unattached }))
}

pub(crate) async fn policy(State(app): State<Arc<App>>, id: Result<Path<String>, PathRejection>) -> Result<Response, ApiError> {
    let (_, entry) = lookup(&app, id)?;
    let plan = &entry.plan;
    let p = plan.policy();
    let facts: Vec<Value> = p
        .inputs
        .iter()
        .map(|i| {
            json!({
                "name": i.name, "kind": "input", "type": p.type_name(&i.ty), "label": i.label,
                "required": i.default.is_none(),
                "min": i.bounds.as_ref().and_then(|b| b.low).map(|d| d.to_string()),
                "max": i.bounds.as_ref().and_then(|b| b.high).map(|d| d.to_string()),
            })
        })
        .chain(
            p.externals
                .iter()
                .map(|x| json!({ "name": x.name, "kind": "external", "type": p.type_name(&x.ty), "label": x.label, "required": false })),
        )
        .collect();
    let clauses: Vec<Value> = p
        .clauses
        .iter()
        .map(|c| json!({ "number": c.number, "title": c.title, "quote": c.quote, "not_computable": c.not_computable, "cited": c.cited }))
        .collect();
    let warnings: Vec<DiagnosticJson> =
        plan.warnings().iter().map(|d| DiagnosticJson::new(d, p.files.iter().find(|f| *f.name == *d.file).map(|f| &*f.text))).collect();
    let enums: Vec<Value> = p
        .enums
        .iter()
        .map(|e| json!({ "name": e.name, "label": e.label, "variants": e.variants.iter().map(|(n, l)| json!({"name": n, "label": l})).collect::<Vec<_>>() }))
        .collect();
    let units: Vec<Value> = p.units.iter().map(|u| json!({ "name": u.name, "label": u.label })).collect();
    let files: Vec<String> = p.files.iter().map(|f| file_name(&f.name)).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "policy": summary(plan),
            "files": files,
            "facts": facts,
            "enums": enums,
            "units": units,
            "clauses": clauses,
            "warnings": warnings,
            "reload_errors": entry.reload_errors,
        }),
    ))
}

pub(crate) async fn schema(State(app): State<Arc<App>>, id: Result<Path<String>, PathRejection>) -> Result<Response, ApiError> {
    let (_, entry) = lookup(&app, id)?;
    Ok(json_response(StatusCode::OK, &policy_eval::schema::facts_schema(entry.plan.policy(), None)))
}

pub(crate) async fn document(State(app): State<Arc<App>>, id: Result<Path<String>, PathRejection>) -> Result<Response, ApiError> {
    let (id, entry) = lookup(&app, id)?;
    match &entry.document {
        Some(doc) => Ok(json_response(StatusCode::OK, &json!({ "name": doc.0, "text": doc.1 }))),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "no_document", format!("policy `{id}` names no readable source document"))),
    }
}

/// What `decide` and `what-if` both read, in the order they check it: the
/// caller's right, the policy, the query's options, the body as JSON text and
/// the facts in it (read by the plan's facts reader, so that both endpoints
/// refuse the same bodies with the same errors).
struct FactsRequest {
    id: String,
    entry: PolicyEntry,
    opts: policy_eval::DecideOptions,
    text: String,
    facts: policy_eval::Facts,
}

async fn facts_request(
    app: &App,
    id: Result<Path<String>, PathRejection>,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
    default_trace: TraceLevel,
) -> Result<FactsRequest, ApiError> {
    authorize(app, headers, Access::Decide)?;
    let (id, entry) = lookup(app, id)?;
    let opts = crate::query::decide_options(query, default_trace)?;
    expect_media(headers, &["application/json"])?;
    let bytes = read_body(headers, body, app.config.limits.max_body).await?;
    let text = String::from_utf8(Vec::from(bytes))
        .map_err(|e| ApiError::bad_request(format!("the body is not UTF-8 (at byte {})", e.utf8_error().valid_up_to())))?;
    let facts = entry.plan.facts_from_str(&text).map_err(|e| ApiError::from_eval(e, &id))?;
    Ok(FactsRequest { id, entry, opts, text, facts })
}

pub(crate) async fn decide(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let FactsRequest { id, entry, opts, facts, .. } = facts_request(&app, id, query.as_deref(), &headers, body, TraceLevel::Full).await?;
    // The trace is recorded as an event log and written straight from it
    // (the plans name files by file name only: `Catalog::load`), without
    // building the tree: the bytes serde would write of the decision with
    // its trace, faster.
    let mut decider = entry.plan.decider();
    let decision = decider.decide_logged(&facts, &opts).map_err(|e| ApiError::from_eval(e, &id))?;
    app.metrics.decision(&id, decision.benefits.iter().map(|b| b.status.as_str()));
    let mut body = String::with_capacity(1024);
    decider.write_json(&mut body);
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(r)
}

pub(crate) async fn what_if(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // The facts reader of `decide` first: the same answer to the same facts.
    let FactsRequest { id, entry, opts, text, .. } = facts_request(&app, id, query.as_deref(), &headers, body, TraceLevel::Off).await?;
    let facts: Value = serde_json::from_str(&text).map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    let plan = entry.plan.clone();
    let answer = tokio::task::spawn_blocking(move || policy_eval::what_if(&plan, &facts, &opts))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("the search stopped: {e}")))?
        .map_err(|e| ApiError::from_eval(e, &id))?;
    Ok(json_response(StatusCode::OK, &answer))
}

/// Trace nodes name their policy file by its path on the server; the API
/// shows only the file name (the server's layout is nobody's business).
/// The served plans are renamed so at load (`Catalog::load`); this renames
/// a decision decided elsewhere (the engine's, to compare with the API's).
pub fn hide_paths(decision: &mut policy_eval::Decision) {
    let Some(trace) = decision.trace.as_mut() else { return };
    let mut stack: Vec<&mut policy_eval::trace::TraceNode> = trace.benefits.iter_mut().collect();
    while let Some(node) = stack.pop() {
        if let Some(source) = node.source.as_mut() {
            let name = file_name(&source.file);
            if name != source.file {
                std::sync::Arc::make_mut(source).file = name;
            }
        }
        stack.extend(node.children.iter_mut());
    }
}

pub(crate) async fn reload(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&app, &headers, Access::Admin)?;
    let worker = app.clone();
    let report = tokio::task::spawn_blocking(move || worker.reload())
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("the reload stopped: {e}")))?;
    Ok(json_response(StatusCode::OK, &report))
}
