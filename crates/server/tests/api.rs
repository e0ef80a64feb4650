//! The API against a server on a random loopback port: every endpoint, every
//! error code, the limits, access, and path tricks.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::{policies_dir, request, Server};
use policy_eval::cases::CaseFile;
use policy_eval::{DecideOptions, Engine, TraceLevel};
use policy_server::openapi::ENDPOINTS;
use policy_server::{Config, Limits};
use serde_json::{json, Value};

const DATONG: &str = "datong.big_data_training_2022";

fn example() -> Vec<u8> {
    std::fs::read(policies_dir().join("datong/big_data_training_2022.example.json")).unwrap()
}

#[tokio::test]
async fn health_metrics_and_openapi() {
    let s = Server::bundled().await;
    let h = s.get("/healthz").await;
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["status"], "ok");
    assert!(h.header("x-request-id").is_some());

    let doc = s.get("/v1/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    // Every endpoint of the table is documented and routed.
    for e in ENDPOINTS {
        assert!(doc["paths"][e.path][e.method].is_object(), "{} {} undocumented", e.method, e.path);
        let path = e.path.replace("{id}", DATONG);
        let r = s.send(&e.method.to_uppercase(), &path, &[], b"").await;
        assert_ne!(r.code_or_none().as_deref(), Some("not_found"), "{} {path} not routed", e.method);
        assert_ne!(r.status, 405, "{} {path}", e.method);
    }

    s.post(&format!("/v1/policies/{DATONG}/decide"), &example()).await;
    s.post(&format!("/v1/policies/{DATONG}/decide"), b"[]").await;
    let m = s.get("/metrics").await;
    assert_eq!(m.status, 200);
    let text = m.text();
    assert!(text.contains(&format!("policy_decisions_total{{policy=\"{DATONG}\",status=\"eligible\"}}")), "{text}");
    // The loop above posted an empty body to each endpoint taking facts
    // (decide, what-if): each is an invalid_facts, plus the `[]` above.
    let facts_endpoints = ENDPOINTS.iter().filter(|e| e.body == policy_server::openapi::Body::Facts).count();
    assert!(text.contains(&format!("policy_errors_total{{code=\"invalid_facts\"}} {}", facts_endpoints + 1)), "{text}");
    assert!(text.contains(&format!("policy_decide_seconds_count {}", facts_endpoints + 2)), "{text}");
}

trait CodeOrNone {
    fn code_or_none(&self) -> Option<String>;
}
impl CodeOrNone for common::Reply {
    fn code_or_none(&self) -> Option<String> {
        serde_json::from_slice::<Value>(&self.body).ok().and_then(|v| v["code"].as_str().map(String::from))
    }
}

#[tokio::test]
async fn policies_detail_schema_and_document() {
    let s = Server::bundled().await;
    let engine = Engine::from_dir(policies_dir()).unwrap();
    let list = s.get("/v1/policies").await.json();
    let ids: Vec<&str> = list["policies"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, engine.ids().collect::<Vec<_>>());
    for id in engine.ids() {
        let plan = engine.plan(id).unwrap();
        let d = s.get(&format!("/v1/policies/{id}")).await;
        assert_eq!(d.status, 200);
        let d = d.json();
        assert_eq!(d["policy"]["content_hash"], plan.policy().meta.content_hash.as_str());
        assert_eq!(d["clauses"].as_array().unwrap().len(), plan.policy().clauses.len());
        assert_eq!(d["reload_errors"], json!([]));
        let schema = s.get(&format!("/v1/policies/{id}/schema")).await.json();
        assert_eq!(schema, serde_json::to_value(policy_eval::schema::facts_schema(plan.policy(), None)).unwrap());
        let doc = s.get(&format!("/v1/policies/{id}/document")).await;
        assert_eq!(doc.status, 200, "{id}");
        // Every quote the policy makes is in its document (whitespace aside).
        let text: String = doc.json()["text"].as_str().unwrap().chars().filter(|c| !c.is_whitespace()).collect();
        for c in &plan.policy().clauses {
            if let Some(q) = &c.quote {
                let q: String = q.chars().filter(|c| !c.is_whitespace()).collect();
                assert!(text.contains(&q), "{id} {}: quote not in the document", c.number);
            }
        }
    }
}

/// The API decides exactly as the engine does, for every golden case.
#[tokio::test]
async fn decide_agrees_with_the_engine_on_every_golden_case() {
    let s = Server::bundled().await;
    let engine = Engine::from_dir(policies_dir()).unwrap();
    let mut n = 0;
    for region in std::fs::read_dir(policies_dir()).unwrap() {
        for f in std::fs::read_dir(region.unwrap().path()).unwrap() {
            let path = f.unwrap().path();
            if !path.to_string_lossy().ends_with(".cases.json") {
                continue;
            }
            let file: CaseFile = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let plan = engine.plan(&file.policy).unwrap();
            for case in &file.cases {
                for trace in ["off", "summary", "full"] {
                    let level = match trace {
                        "off" => TraceLevel::Off,
                        "summary" => TraceLevel::Summary,
                        _ => TraceLevel::Full,
                    };
                    let opts = DecideOptions { reference_date: case.as_of, trace: level, ..Default::default() };
                    let facts = serde_json::to_vec(&case.facts).unwrap();
                    let want = plan.facts_from_str(std::str::from_utf8(&facts).unwrap()).and_then(|f| plan.decide(&f, &opts));
                    let mut url = format!("/v1/policies/{}/decide?trace={trace}", file.policy);
                    if let Some(d) = case.as_of {
                        url.push_str(&format!("&as_of={d}"));
                    }
                    let got = s.post(&url, &facts).await;
                    match want {
                        Ok(mut d) => {
                            assert_eq!(got.status, 200, "{} {}: {}", file.policy, case.name, got.text());
                            assert!(!got.text().contains(env!("CARGO_MANIFEST_DIR")), "a server path in the answer");
                            policy_server::hide_paths(&mut d);
                            assert_eq!(got.json(), serde_json::to_value(&d).unwrap(), "{} {}", file.policy, case.name);
                        }
                        Err(_) => assert_eq!(got.status, 422, "{} {}", file.policy, case.name),
                    }
                    n += 1;
                }
            }
        }
    }
    assert!(n > 100, "only {n} decisions compared");
}

#[tokio::test]
async fn decide_options_select_benefits_and_date() {
    let s = Server::bundled().await;
    let url = format!("/v1/policies/{DATONG}/decide?trace=off&benefit=order_training&as_of=2023-06-01");
    let d = s.post(&url, &example()).await.json();
    assert_eq!(d["benefits"].as_array().unwrap().len(), 1);
    assert_eq!(d["benefits"][0]["id"], "order_training");
    assert_eq!(d["reference_date"], "2023-06-01");
    assert!(d.get("trace").is_none());
    // The audit envelope names the policy hash used.
    assert!(d["policy"]["content_hash"].as_str().unwrap().len() >= 32);
}

#[tokio::test]
async fn every_error_is_json_with_its_code() {
    let s = Server::bundled().await;
    let decide = format!("/v1/policies/{DATONG}/decide");
    let cases: Vec<(common::Reply, u16, &str)> = vec![
        (s.post("/v1/policies/nope/decide", b"{}").await, 404, "unknown_policy"),
        (s.get("/v1/policies/nope").await, 404, "unknown_policy"),
        (s.get("/v1/policies/nope/schema").await, 404, "unknown_policy"),
        (s.get("/nothing/here").await, 404, "not_found"),
        (s.send("DELETE", &decide, &[], b"").await, 405, "method_not_allowed"),
        (s.post(&format!("{decide}?trace=loud"), &example()).await, 400, "bad_request"),
        (s.post(&format!("{decide}?as_of=2023-02-30"), &example()).await, 400, "bad_request"),
        (s.post(&format!("{decide}?colour=red"), &example()).await, 400, "bad_request"),
        (s.post(&format!("{decide}?benefit=no_such"), &example()).await, 400, "unknown_benefit"),
        (s.send("POST", &decide, &[("content-type", "text/csv")], &example()).await, 415, "unsupported_media_type"),
        (s.post(&decide, b"\xff\xfe").await, 400, "bad_request"),
        (s.post(&decide, b"").await, 422, "invalid_facts"),
        (s.post(&decide, b"{").await, 422, "invalid_facts"),
        (s.post(&decide, b"[1,2]").await, 422, "invalid_facts"),
        (s.post(&decide, b"{\"training_days\": \"many\", \"no_such_fact\": 1, \"daily_checkin\": 3}").await, 422, "invalid_facts"),
        (s.send("POST", "/v1/admin/reload", &[], b"").await, 403, "admin_disabled"),
    ];
    for (i, (r, status, code)) in cases.iter().enumerate() {
        assert_eq!(r.status, *status, "case {i}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"), "case {i}");
        let v = r.json();
        assert_eq!(v["code"], *code, "case {i}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "case {i}");
        assert!(v.get("details").is_some(), "case {i}");
    }
    // Every fact problem is listed, as the engine lists them.
    let many = &cases[14].0.json();
    let problems = many["details"]["problems"].as_array().unwrap();
    let facts: Vec<&str> = problems.iter().map(|p| p["fact"].as_str().unwrap()).collect();
    for f in ["training_days", "no_such_fact", "daily_checkin"] {
        assert!(facts.contains(&f), "{f} not in {facts:?}");
    }
}

#[tokio::test]
async fn no_file_outside_the_catalog_is_ever_read() {
    let s = Server::bundled().await;
    for id in [
        "..%2F..%2FCargo.toml",
        "..%2f..%2f..%2fetc%2fpasswd",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "datong%2Fbig_data_training_2022.policy",
        "..",
        "%00",
        "datong.big_data_training_2022%00",
        "datong.big_data_training_2022.policy",
        "%2Fetc%2Fpasswd",
        "C:%5Cwindows%5Cwin.ini",
    ] {
        for suffix in ["", "/schema", "/document"] {
            let r = s.get(&format!("/v1/policies/{id}{suffix}")).await;
            assert_ne!(r.status, 200, "{id}{suffix}");
            assert!(!r.text().contains("root:"), "{id}{suffix}");
            assert!(!r.text().contains("[workspace]"), "{id}{suffix}");
        }
    }
    for path in ["/v1/policies/../../Cargo.toml", "/../../etc/passwd", "/assets/../../Cargo.toml", "/assets/%2e%2e/Cargo.toml"] {
        let r = s.get(path).await;
        assert!(r.status == 404 || r.status == 400, "{path}: {}", r.status);
        assert!(!r.text().contains("[workspace]"), "{path}");
    }
}

#[tokio::test]
async fn body_size_limit() {
    let limits = Limits { max_body: 1000, ..Limits::default() };
    let s = Server::start(Config { limits, ..Config::new(policies_dir()) }).await;
    let decide = format!("/v1/policies/{DATONG}/decide");
    let big = format!("{{\"padding_is_not_a_fact\": \"{}\"}}", "x".repeat(2000));
    let r = s.post(&decide, big.as_bytes()).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.code(), "body_too_large");
    assert_eq!(r.json()["details"]["limit_bytes"], 1000);
    // Chunked, without a length: the limit still holds.
    let mut stream = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    use tokio::io::AsyncWriteExt;
    let head = format!(
        "POST {decide} HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..4 {
        let chunk = "y".repeat(400);
        let _ = stream.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes()).await;
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let r = common::read_reply(&mut stream).await;
    assert_eq!(r.status, 413);
    // Just under the limit is decided.
    let r = s.post(&decide, &example()).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn tokens_guard_decide_and_admin() {
    let token = "0123456789abcdef-test-token";
    let s = Server::start(Config { token: Some(token.into()), ..Config::new(policies_dir()) }).await;
    let decide = format!("/v1/policies/{DATONG}/decide");
    let r = s.post(&decide, &example()).await;
    assert_eq!((r.status, r.code()), (401, "unauthorized".to_string()));
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let bearer = format!("Bearer {token}");
    let wrong = "Bearer 0123456789abcdef-test-tokeN".to_string();
    let ok = s.send("POST", &decide, &[("authorization", &bearer), ("content-type", "application/json")], &example()).await;
    assert_eq!(ok.status, 200);
    let bad = s.send("POST", &decide, &[("authorization", &wrong)], &example()).await;
    assert_eq!(bad.status, 401);
    let batch = s.send("POST", &format!("/v1/policies/{DATONG}/decide-batch"), &[], &example()).await;
    assert_eq!(batch.status, 401);
    assert_eq!(s.send("POST", "/v1/admin/reload", &[], b"").await.status, 401);
    let reload = s.send("POST", "/v1/admin/reload", &[("authorization", &bearer)], b"").await;
    assert_eq!(reload.status, 200);
    assert_eq!(reload.json()["swapped"], true);
    // Reading endpoints stay open.
    assert_eq!(s.get("/v1/policies").await.status, 200);

    let open = Server::start(Config { token: Some(token.into()), open_decide: true, ..Config::new(policies_dir()) }).await;
    assert_eq!(open.post(&decide, &example()).await.status, 200);
    assert_eq!(open.send("POST", "/v1/admin/reload", &[], b"").await.status, 401);
}

#[tokio::test]
async fn batch_streams_decisions_in_order_with_line_errors() {
    let limits = Limits { max_batch_line: 4096, ..Limits::default() };
    let s = Server::start(Config { limits, ..Config::new(policies_dir()) }).await;
    let engine = Engine::from_dir(policies_dir()).unwrap();
    let plan = engine.plan(DATONG).unwrap();
    let good = String::from_utf8(example()).unwrap().replace('\n', "");
    let mut body = String::new();
    let n = 1000;
    for i in 0..n {
        match i % 100 {
            7 => body.push_str("{\"training_days\": \"x\"}"),
            8 => body.push_str(&format!("{{\"pad\": \"{}\"}}", "z".repeat(5000))),
            9 => {}
            _ => body.push_str(&good),
        }
        body.push('\n');
    }
    let r =
        s.send("POST", &format!("/v1/policies/{DATONG}/decide-batch"), &[("content-type", "application/x-ndjson")], body.as_bytes()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    let want = serde_json::to_value(plan.decide(&plan.facts_from_str(&good).unwrap(), &DecideOptions::default()).unwrap()).unwrap();
    let lines: Vec<Value> = r.text().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), n);
    for (i, l) in lines.iter().enumerate() {
        match i % 100 {
            7 => assert_eq!((l["line"].as_u64(), l["error"]["code"].as_str()), (Some(i as u64 + 1), Some("invalid_facts"))),
            8 => assert_eq!(l["error"]["code"], "line_too_large"),
            9 => assert_eq!(l["error"]["code"], "bad_request"),
            _ => assert_eq!(*l, want, "line {}", i + 1),
        }
    }
    let empty = s.send("POST", &format!("/v1/policies/{DATONG}/decide-batch"), &[], b"").await;
    assert_eq!((empty.status, empty.code()), (400, "bad_request".to_string()));
    let bad = s.send("POST", &format!("/v1/policies/{DATONG}/decide-batch?benefit=nope"), &[], b"{}").await;
    assert_eq!((bad.status, bad.code()), (400, "unknown_benefit".to_string()));
}

#[tokio::test]
async fn a_slow_body_meets_the_deadline() {
    let limits = Limits { deadline: std::time::Duration::from_millis(300), ..Limits::default() };
    let s = Server::start(Config { limits, ..Config::new(policies_dir()) }).await;
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!("POST /v1/policies/{DATONG}/decide HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncontent-length: 100\r\n\r\n{{");
    stream.write_all(head.as_bytes()).await.unwrap();
    let r = common::read_reply(&mut stream).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.code(), "deadline_exceeded");
}

#[tokio::test]
async fn a_full_server_answers_overloaded() {
    let limits = Limits {
        deadline: std::time::Duration::from_millis(1000),
        queue_wait: std::time::Duration::from_millis(100),
        concurrency: 1,
        ..Limits::default()
    };
    let s = Server::start(Config { limits, ..Config::new(policies_dir()) }).await;
    use tokio::io::AsyncWriteExt;
    // One request holds the only slot by sending its body slowly.
    let mut slow = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!("POST /v1/policies/{DATONG}/decide HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncontent-length: 100\r\n\r\n{{");
    slow.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let r = s.get("/healthz").await;
    assert_eq!((r.status, r.code()), (503, "overloaded".to_string()));
    let _ = common::read_reply(&mut slow).await;
    // Once it is gone, the slot is free again.
    assert_eq!(s.get("/healthz").await.status, 200);
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight() {
    let mut s = Server::bundled().await;
    use tokio::io::AsyncWriteExt;
    let body = example();
    let mut stream = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /v1/policies/{DATONG}/decide?trace=off HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let done = s.shutdown();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // New connections are refused once shutdown began…
    assert!(tokio::net::TcpStream::connect(s.addr).await.is_err() || !done.is_finished());
    // …while the request in flight completes.
    stream.write_all(&body[10..]).await.unwrap();
    let r = common::read_reply(&mut stream).await;
    assert_eq!(r.status, 200, "{}", r.text());
    tokio::time::timeout(std::time::Duration::from_secs(10), done).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn raw_request_helper_reads_content_length_answers() {
    let s = Server::bundled().await;
    let r = request(s.addr, "GET", "/healthz", &[], b"").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn what_if_answers_as_the_engine_does() {
    let s = Server::bundled().await;
    let engine = Engine::from_dir(policies_dir()).unwrap();
    let plan = engine.plan(DATONG).unwrap();
    let facts: Value = serde_json::from_slice(&example()).unwrap();
    let want = policy_eval::what_if(plan, &facts, &DecideOptions::default()).unwrap();
    let r = s.post(&format!("/v1/policies/{DATONG}/what-if"), &example()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), serde_json::to_value(&want).unwrap());
    let onjob = r.json()["benefits"].as_array().unwrap().iter().find(|b| b["id"] == "onjob_training").cloned().unwrap();
    assert_eq!(onjob["options"][0]["amount"], "300.00");

    let bad = s.post(&format!("/v1/policies/{DATONG}/what-if"), b"{\"training_days\": \"x\"}").await;
    assert_eq!((bad.status, bad.code()), (422, "invalid_facts".to_string()));
    let bad = s.post(&format!("/v1/policies/{DATONG}/what-if?benefit=nope"), &example()).await;
    assert_eq!((bad.status, bad.code()), (400, "unknown_benefit".to_string()));
}

/// A request's query, headers and body.
type Case = (&'static str, &'static [(&'static str, &'static str)], Vec<u8>);

/// `decide` and `what-if` read a request the same way (one preamble): every
/// request one refuses, the other refuses with the same status and body.
#[tokio::test]
async fn decide_and_what_if_refuse_the_same_requests() {
    let s = Server::bundled().await;
    const JSON: &[(&str, &str)] = &[("content-type", "application/json")];
    let cases: Vec<Case> = vec![
        ("", JSON, b"".to_vec()),
        ("", JSON, b"[]".to_vec()),
        ("", JSON, b"{\"training_days\": \"x\"}".to_vec()),
        ("", JSON, vec![b'{', 0xff, 0xfe, b'}']),
        ("", &[("content-type", "text/csv")], example()),
        ("?benefit=nope", JSON, example()),
        ("?trace=loud", JSON, example()),
    ];
    for (query, headers, body) in &cases {
        let mut answers = Vec::new();
        for ep in ["decide", "what-if"] {
            let r = s.send("POST", &format!("/v1/policies/{DATONG}/{ep}{query}"), headers, body).await;
            assert!((400..500).contains(&r.status), "{ep}{query}: {} {}", r.status, r.text());
            answers.push((r.status, r.json()));
        }
        assert_eq!(answers[0], answers[1], "{query} {headers:?} {:?}", String::from_utf8_lossy(body));
    }
    // An unknown policy: the same refusal from both.
    let a = s.post("/v1/policies/nope/decide", &example()).await;
    let b = s.post("/v1/policies/nope/what-if", &example()).await;
    assert_eq!((a.status, a.json()), (b.status, b.json()));
    assert_eq!(a.status, 404);
}

/// Deep nesting, huge numbers, odd bytes and random garbage: always a 4xx
/// (or a batch line error), never a 500, and the server stays up.
#[tokio::test]
async fn hostile_bodies_are_4xx_never_500() {
    let s = Server::bundled().await;
    let mut bodies: Vec<Vec<u8>> = vec![
        "[".repeat(100_000).into_bytes(),
        format!("{{\"prior_certs\": {}{}}}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)).into_bytes(),
        b"{\"training_days\": 1e999999}".to_vec(),
        b"{\"training_days\": 99999999999999999999999999999999999999}".to_vec(),
        b"{\"training_days\": -0.0000000000000000000000000000001}".to_vec(),
        b"{\"class_employment_rate\": \"1e308%\"}".to_vec(),
        b"{\"class_start_date\": \"+275760-09-13\"}".to_vec(),
        b"{\"trainee_group\": \"\\u0000\\ud800\"}".to_vec(),
        b"{\"training_days\": 1, \"training_days\": 2}".to_vec(),
        b"\xef\xbb\xbf{}".to_vec(),
        b"null".to_vec(),
        b"{}{}".to_vec(),
    ];
    // Random bytes from a fixed-seed generator: the same inputs every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for n in 0..50 {
        let mut b = Vec::new();
        for _ in 0..(n * 13 % 300) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.push((x >> 32) as u8);
        }
        bodies.push(b);
    }
    for (i, body) in bodies.iter().enumerate() {
        for ep in ["decide", "what-if", "decide-batch"] {
            let r = s.post(&format!("/v1/policies/{DATONG}/{ep}"), body).await;
            assert!(r.status < 500, "body {i} on {ep}: {} {}", r.status, r.text());
            if r.status != 200 {
                assert!(r.code().len() > 2, "body {i} on {ep}");
            } else if ep == "decide-batch" {
                for line in r.text().lines() {
                    let v: Value = serde_json::from_str(line).unwrap();
                    assert!(v.get("error").is_some() || v.get("benefits").is_some(), "body {i}: {line}");
                }
            }
        }
    }
    assert_eq!(s.get("/healthz").await.status, 200);
}
