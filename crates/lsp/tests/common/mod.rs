//! A minimal LSP client over the server's stdio, as an editor drives it:
//! Content-Length framed JSON-RPC, requests answered by id, notifications
//! kept for the test to read.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

pub fn uri(rel: &str) -> String {
    format!("file://{}", workspace().join(rel).display())
}

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications received and not yet taken.
    pub notes: VecDeque<Value>,
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse::<usize>().ok();
        }
    }
    let mut buf = vec![0u8; len?];
    r.read_exact(&mut buf).ok()?;
    serde_json::from_slice(&buf).ok()
}

impl Client {
    /// Starts the server binary and completes the handshake.
    pub fn start(root: &str) -> Client {
        Client::start_with(root, json!({ "debounceMs": 0 }))
    }

    /// Starts the server with the given `initializationOptions`.
    pub fn start_with(root: &str, options: Value) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_policy-lsp"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start policy-lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(m) = read_message(&mut r) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        let mut c = Client { child, stdin, rx, next_id: 1, notes: VecDeque::new() };
        let init = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "capabilities": {},
                "initializationOptions": options
            }),
        );
        assert!(init["capabilities"].is_object(), "{init}");
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: &Value) {
        let body = serde_json::to_string(v).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its result (panics on an error response).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let resp = self.request_raw(method, params);
        if let Some(e) = resp.get("error") {
            panic!("{method} failed: {e}");
        }
        resp["result"].clone()
    }

    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let m = self.rx.recv().expect("server closed its output");
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                return m;
            }
            if m.get("method").is_some() && m.get("id").is_some() {
                // A request from the server (none expected): answer with null.
                let rid = m["id"].clone();
                self.send(&json!({ "jsonrpc": "2.0", "id": rid, "result": null }));
                continue;
            }
            self.notes.push_back(m);
        }
    }

    /// Waits for the next `publishDiagnostics` for `uri` and returns its diagnostics.
    pub fn diagnostics(&mut self, uri: &str) -> Value {
        loop {
            if let Some(i) = self.notes.iter().position(|n| n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri) {
                let n = self.notes.remove(i).unwrap();
                return n["params"]["diagnostics"].clone();
            }
            let m = self.rx.recv().expect("server closed its output");
            self.notes.push_back(m);
        }
    }

    pub fn open(&mut self, rel: &str) -> (String, String) {
        let text = std::fs::read_to_string(workspace().join(rel)).unwrap();
        let u = uri(rel);
        self.notify("textDocument/didOpen", json!({ "textDocument": { "uri": u, "languageId": "policy", "version": 1, "text": text } }));
        (u, text)
    }

    pub fn change(&mut self, uri: &str, version: i64, range: Value, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [ { "range": range, "text": text } ] }),
        );
    }

    /// Shuts the server down and checks that it exits cleanly.
    pub fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "server exited with {status}");
    }
}

/// The LSP position (line, UTF-16 column) of the `nth` occurrence of `needle` in `text`, plus `offset` chars.
pub fn pos(text: &str, needle: &str, nth: usize, offset: usize) -> Value {
    let at = text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("`{needle}` not found")).0;
    let p = pos_of(text, at);
    json!({ "line": p["line"], "character": p["character"].as_u64().unwrap() as usize + offset })
}

/// The LSP position of byte `at` in `text`.
pub fn pos_of(text: &str, at: usize) -> Value {
    let before = &text[..at];
    let line = before.matches('\n').count();
    let col: usize = before.rsplit('\n').next().unwrap().chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": col })
}

/// A JSON value as pretty text with the workspace path replaced by `$ROOT`.
pub fn redact(v: &Value) -> String {
    let root = workspace().display().to_string();
    serde_json::to_string_pretty(v).unwrap().replace(&root, "$ROOT")
}
