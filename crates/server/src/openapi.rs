//! The endpoint table and the OpenAPI 3.1 document built from it. The
//! router is built from the same table ([`ENDPOINTS`]), so a route cannot
//! exist without its description, nor the other way round
//! (`tests/api.rs` also checks every documented status code is produced).

use serde_json::{json, Map, Value};

/// Which handler an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointId {
    /// `GET /healthz`
    Healthz,
    /// `GET /metrics`
    Metrics,
    /// `GET /v1/openapi.json`
    OpenApi,
    /// `GET /v1/policies`
    Policies,
    /// `GET /v1/policies/{id}`
    Policy,
    /// `GET /v1/policies/{id}/schema`
    Schema,
    /// `GET /v1/policies/{id}/document`
    Document,
    /// `POST /v1/policies/{id}/decide`
    Decide,
    /// `POST /v1/policies/{id}/decide-batch`
    DecideBatch,
    /// `POST /v1/policies/{id}/what-if`
    WhatIf,
    /// `POST /v1/admin/reload`
    Reload,
}

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Open,
    /// Anyone when the server runs without a token or with `--open-decide`;
    /// otherwise the bearer token.
    Decide,
    /// Always the bearer token (disabled when the server has none).
    Admin,
}

/// Request body of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// None.
    None,
    /// A facts object (JSON).
    Facts,
    /// NDJSON: one facts object a line.
    FactsLines,
}

/// One endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// Handler.
    pub id: EndpointId,
    /// HTTP method (lower case, as OpenAPI spells it).
    pub method: &'static str,
    /// Path, with `{id}` for the policy id.
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Access.
    pub access: Access,
    /// Whether it takes the decide query options.
    pub decide_query: bool,
    /// Request body.
    pub body: Body,
    /// Success: (status, media type, schema).
    pub ok: (u16, &'static str, &'static str),
    /// Error statuses it can answer.
    pub errors: &'static [u16],
}

/// Every endpoint.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        id: EndpointId::Healthz,
        method: "get",
        path: "/healthz",
        summary: "Liveness: 200 while the server accepts requests",
        access: Access::Open,
        decide_query: false,
        body: Body::None,
        ok: (200, "application/json", "Health"),
        errors: &[],
    },
    Endpoint {
        id: EndpointId::Metrics,
        method: "get",
        path: "/metrics",
        summary: "Prometheus text: requests, decisions by policy and status, errors by code, decide latency histogram",
        access: Access::Open,
        decide_query: false,
        body: Body::None,
        ok: (200, "text/plain", "Text"),
        errors: &[],
    },
    Endpoint {
        id: EndpointId::OpenApi,
        method: "get",
        path: "/v1/openapi.json",
        summary: "This document",
        access: Access::Open,
        decide_query: false,
        body: Body::None,
        ok: (200, "application/json", "Any"),
        errors: &[],
    },
    Endpoint {
        id: EndpointId::Policies,
        method: "get",
        path: "/v1/policies",
        summary: "The policies served: id, title, version, in-force window, benefits, content hash",
        access: Access::Open,
        decide_query: false,
        body: Body::None,
        ok: (200, "application/json", "PolicyList"),
        errors: &[],
    },
    Endpoint {
        id: EndpointId::Policy,
        method: "get",
        path: "/v1/policies/{id}",
        summary: "One policy: declarations (facts, enums, units, benefits), clause map, warnings, diagnostics of a failed reload",
        access: Access::Open,
        decide_query: false,
        body: Body::None,
        ok: (200, "application/json", "PolicyDetail"),
        errors: &[404],
    },
    Endpoint {
        id: EndpointId::Schema,
        method: "get",
        path: "/v1/policies/{id}/schema",
        summary: "The JSON Schema (draft 2020-12) of the policy's facts (as `policy schema` prints it)",
        access: Access::Open,
        decide_query: false,
        body: Body::None,
        ok: (200, "application/json", "Any"),
        errors: &[404],
    },
    Endpoint {
        id: EndpointId::Document,
        method: "get",
        path: "/v1/policies/{id}/document",
        summary: "The source document the policy quotes (its `source` file), for showing quotes in context",
        access: Access::Open,
        decide_query: false,
        body: Body::None,
        ok: (200, "application/json", "Document"),
        errors: &[404],
    },
    Endpoint {
        id: EndpointId::Decide,
        method: "post",
        path: "/v1/policies/{id}/decide",
        summary: "Decide one applicant: facts in, the decision (with its trace, default full) out",
        access: Access::Decide,
        decide_query: true,
        body: Body::Facts,
        ok: (200, "application/json", "Decision"),
        errors: &[400, 401, 404, 413, 415, 422, 503],
    },
    Endpoint {
        id: EndpointId::DecideBatch,
        method: "post",
        path: "/v1/policies/{id}/decide-batch",
        summary: "Decide many applicants: NDJSON facts in, NDJSON decisions out (streamed, in input order; trace default off); a line that fails gives {line, error}",
        access: Access::Decide,
        decide_query: true,
        body: Body::FactsLines,
        ok: (200, "application/x-ndjson", "Text"),
        errors: &[400, 401, 404, 415, 503],
    },
    Endpoint {
        id: EndpointId::WhatIf,
        method: "post",
        path: "/v1/policies/{id}/what-if",
        summary: "What would make each benefit eligible: per benefit not eligible, sets of fact changes (each verified, with the amount), and the facts still needed, ranked",
        access: Access::Decide,
        decide_query: true,
        body: Body::Facts,
        ok: (200, "application/json", "WhatIf"),
        errors: &[400, 401, 404, 413, 415, 422, 503],
    },
    Endpoint {
        id: EndpointId::Reload,
        method: "post",
        path: "/v1/admin/reload",
        summary: "Re-read the policy directory now; a policy that fails to check keeps the old plans serving",
        access: Access::Admin,
        decide_query: false,
        body: Body::None,
        ok: (200, "application/json", "ReloadReport"),
        errors: &[401, 403],
    },
];

/// The OpenAPI document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let mut op = Map::new();
        op.insert("summary".into(), json!(e.summary));
        op.insert("operationId".into(), json!(format!("{:?}", e.id)));
        let mut params = Vec::new();
        if e.path.contains("{id}") {
            params.push(json!({"name": "id", "in": "path", "required": true, "description": "policy id, e.g. datong.big_data_training_2022", "schema": {"type": "string"}}));
        }
        if e.decide_query {
            params.push(json!({"name": "trace", "in": "query", "required": false, "description": "how much trace to include (default: full for decide, off for batches)", "schema": {"type": "string", "enum": ["off", "summary", "full"]}}));
            params.push(json!({"name": "as_of", "in": "query", "required": false, "description": "the reference date (default: the application_date fact)", "schema": {"type": "string", "format": "date"}}));
            params.push(json!({"name": "benefit", "in": "query", "required": false, "description": "decide only these benefits (repeatable or comma-separated)", "schema": {"type": "string"}}));
        }
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        match e.body {
            Body::None => {}
            Body::Facts => {
                op.insert(
                    "requestBody".into(),
                    json!({"required": true, "description": "the facts: a JSON object, keys as in the policy's schema", "content": {"application/json": {"schema": {"type": "object"}}}}),
                );
            }
            Body::FactsLines => {
                op.insert(
                    "requestBody".into(),
                    json!({"required": true, "description": "one facts object a line (NDJSON; also accepted as text/plain)", "content": {
                        "application/x-ndjson": {"schema": {"type": "string", "minLength": 1}},
                        "text/plain": {"schema": {"type": "string", "minLength": 1}}
                    }}),
                );
            }
        }
        let mut responses = Map::new();
        let (status, media, schema) = e.ok;
        responses.insert(
            status.to_string(),
            json!({"description": "success", "content": {media: {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}}),
        );
        for s in e.errors {
            responses.insert(
                s.to_string(),
                json!({"description": error_description(*s), "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
            );
        }
        op.insert("responses".into(), Value::Object(responses));
        match e.access {
            Access::Open => {}
            Access::Decide => {
                op.insert("security".into(), json!([{}, {"bearer": []}]));
            }
            Access::Admin => {
                op.insert("security".into(), json!([{"bearer": []}]));
            }
        }
        let entry = paths.entry(e.path.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(e.method.to_string(), Value::Object(op));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "policy decision service",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Decides applicants against policy-as-code files and explains each decision with a trace quoting the source document. docs/service.md documents limits, access and reload."
        },
        "paths": Value::Object(paths),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas()
        }
    })
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "bad_request, unknown_benefit: the query or body is malformed",
        401 => "unauthorized: the bearer token is missing or wrong",
        403 => "admin_disabled: the server runs without a token",
        404 => "unknown_policy",
        413 => "body_too_large",
        415 => "unsupported_media_type",
        422 => "invalid_facts: every fact problem in details.problems",
        503 => "overloaded, deadline_exceeded",
        _ => "error",
    }
}

/// The component schemas.
fn schemas() -> Value {
    let money = json!({"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$"});
    let date = json!({"type": "string", "format": "date"});
    // A computed output of a benefit (`output`): a boolean, or exact text.
    let output = json!({
        "type": "object",
        "required": ["id", "type", "value"],
        "properties": {
            "id": {"type": "string"},
            "label": {"type": "string"},
            "type": {"type": "string"},
            "value": {"type": ["string", "boolean"]},
            "citation": {"type": "object"}
        }
    });
    json!({
        "Any": {},
        "Text": {"type": "string"},
        "Health": {"type": "object", "required": ["status", "policies"], "properties": {"status": {"type": "string"}, "policies": {"type": "integer"}}},
        "Error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}}
        },
        "PolicySummary": {
            "type": "object",
            "required": ["id", "title", "documents", "content_hash", "benefits"],
            "properties": {
                "id": {"type": "string"}, "title": {"type": "string"},
                "documents": {"type": "array", "items": {"type": "string"}},
                "version": {"type": ["string", "null"]},
                "amends": {"type": ["string", "null"]},
                "in_force_from": {"anyOf": [date, {"type": "null"}]},
                "in_force_until": {"anyOf": [date, {"type": "null"}]},
                "content_hash": {"type": "string"},
                "benefits": {"type": "array", "items": {"type": "object", "required": ["id", "label"], "properties": {"id": {"type": "string"}, "label": {"type": "string"}}}}
            }
        },
        "PolicyList": {"type": "object", "required": ["policies"], "properties": {"policies": {"type": "array", "items": {"$ref": "#/components/schemas/PolicySummary"}}}},
        "PolicyDetail": {
            "type": "object",
            "required": ["policy", "facts", "clauses", "warnings", "reload_errors"],
            "properties": {
                "policy": {"$ref": "#/components/schemas/PolicySummary"},
                "facts": {"type": "array", "items": {"type": "object"}},
                "clauses": {"type": "array", "items": {"type": "object"}},
                "warnings": {"type": "array", "items": {"type": "object"}},
                "reload_errors": {"type": "array", "items": {"type": "object"}}
            }
        },
        "Document": {"type": "object", "required": ["name", "text"], "properties": {"name": {"type": "string"}, "text": {"type": "string"}}},
        "Decision": {
            "type": "object",
            "required": ["schema_version", "policy", "engine_version", "benefits"],
            "properties": {
                "schema_version": {"type": "integer"},
                "policy": {"type": "object", "required": ["id", "content_hash"]},
                "engine_version": {"type": "string"},
                "reference_date": {"anyOf": [date, {"type": "null"}]},
                "benefits": {"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "label", "status"],
                    "properties": {
                        "id": {"type": "string"}, "label": {"type": "string"},
                        "status": {"type": "string", "enum": ["eligible", "ineligible", "not_applicable", "undetermined"]},
                        "amount": money,
                        "missing": {"type": "array", "items": {"type": "string"}},
                        "outputs": {"type": "array", "items": output}
                    }
                }},
                "trace": {"type": "object"}
            }
        },
        "WhatIf": {
            "type": "object",
            "required": ["benefits", "needed", "decisions"],
            "properties": {
                "benefits": {"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "label", "status", "options"],
                    "properties": {
                        "id": {"type": "string"}, "label": {"type": "string"},
                        "status": {"type": "string", "enum": ["eligible", "ineligible", "not_applicable", "undetermined"]},
                        "options": {"type": "array", "items": {
                            "type": "object",
                            "required": ["changes"],
                            "properties": {
                                "changes": {"type": "array", "items": {"type": "object", "required": ["fact", "from", "to"], "properties": {"fact": {"type": "string"}, "from": {}, "to": {}}}},
                                "amount": money,
                                "amount_range": {"type": "array", "items": money}
                            }
                        }}
                    }
                }},
                "needed": {"type": "array", "items": {"type": "object", "required": ["fact", "benefits"], "properties": {"fact": {"type": "string"}, "benefits": {"type": "array", "items": {"type": "string"}}}}},
                "decisions": {"type": "integer"}
            }
        },
        "ReloadReport": {
            "type": "object",
            "required": ["swapped", "policies", "changed", "errors"],
            "properties": {"swapped": {"type": "boolean"}, "policies": {"type": "array"}, "changed": {"type": "array"}, "errors": {"type": "array"}}
        }
    })
}
