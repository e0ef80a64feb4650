//! The message loop: the `initialize` handshake, then requests answered in
//! order and document changes applied at once. Diagnostics are debounced
//! per document: a change marks the document dirty, and it is checked when
//! no further change to it arrived for the debounce delay (or before any
//! request about it is answered, so answers always reflect the latest text).

use crate::workspace::Workspace;
use crate::{diagnostics, features};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::{InitializeParams, PublishDiagnosticsParams, Url};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long after the last keystroke diagnostics are computed, unless the
/// client sets `initializationOptions.debounceMs`.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(150);

/// The longest debounce delay a client may set (an hour).
pub const MAX_DEBOUNCE_MS: u64 = 3_600_000;

/// Server state.
pub struct Server {
    /// Documents and files.
    pub ws: Workspace,
    debounce: Duration,
    dirty: HashMap<Url, Instant>,
}

/// Runs the server on a connection until the client shuts it down.
pub fn serve(conn: &Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let caps = serde_json::to_value(features::capabilities())?;
    let params = conn.initialize(caps)?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let mut roots: Vec<PathBuf> = Vec::new();
    for f in params.workspace_folders.iter().flatten() {
        if let Ok(p) = f.uri.to_file_path() {
            roots.push(p);
        }
    }
    #[allow(deprecated)]
    if roots.is_empty() {
        if let Some(p) = params.root_uri.as_ref().and_then(|u| u.to_file_path().ok()) {
            roots.push(p);
        }
    }
    let debounce = params
        .initialization_options
        .as_ref()
        .and_then(|o| o.get("debounceMs"))
        .and_then(serde_json::Value::as_u64)
        .map(|ms| Duration::from_millis(ms.min(MAX_DEBOUNCE_MS)))
        .unwrap_or(DEFAULT_DEBOUNCE);
    let mut server = Server { ws: Workspace::new(roots), debounce, dirty: HashMap::new() };
    let mut shutting_down = false;
    loop {
        let next_due = server.dirty.values().min().map(|t| *t + server.debounce);
        let msg = match next_due {
            Some(due) => match conn.receiver.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(m) => Some(m),
                Err(e) if e.is_timeout() => None,
                Err(_) => return Ok(()),
            },
            None => match conn.receiver.recv() {
                Ok(m) => Some(m),
                Err(_) => return Ok(()),
            },
        };
        match msg {
            None => server.flush_due(conn, false)?,
            Some(Message::Request(req)) => {
                // After `shutdown`, only `exit` is expected; a repeated
                // `shutdown` (Neovim 0.7 sends one per stop) is answered again.
                let resp = if req.method == "shutdown" {
                    shutting_down = true;
                    Response::new_ok(req.id, ())
                } else if shutting_down {
                    Response::new_err(req.id, ErrorCode::InvalidRequest as i32, "the server is shutting down".into())
                } else {
                    server.handle_request(conn, req)
                };
                conn.sender.send(Message::Response(resp))?;
            }
            Some(Message::Notification(n)) => {
                if n.method == "exit" {
                    return Ok(());
                }
                server.handle_notification(conn, n)?;
            }
            Some(Message::Response(_)) => {}
        }
    }
}

type SendResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

impl Server {
    /// Publishes diagnostics of the documents whose debounce delay has passed (all dirty ones when `all`).
    fn flush_due(&mut self, conn: &Connection, all: bool) -> SendResult {
        let now = Instant::now();
        let due: Vec<Url> = self.dirty.iter().filter(|(_, t)| all || **t + self.debounce <= now).map(|(u, _)| u.clone()).collect();
        for uri in due {
            self.dirty.remove(&uri);
            self.publish(conn, &uri)?;
        }
        Ok(())
    }

    /// Checks a document and publishes its diagnostics.
    pub fn publish(&mut self, conn: &Connection, uri: &Url) -> SendResult {
        let Some(a) = self.ws.analyze(uri) else { return Ok(()) };
        let version = self.ws.docs.get(uri).map(|d| d.version);
        let params = PublishDiagnosticsParams { uri: uri.clone(), diagnostics: diagnostics::to_lsp(&a, uri), version };
        conn.sender.send(Message::Notification(Notification::new(PublishDiagnostics::METHOD.into(), params)))?;
        Ok(())
    }

    fn handle_notification(&mut self, conn: &Connection, n: Notification) -> SendResult {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams = serde_json::from_value(n.params)?;
                let uri = p.text_document.uri;
                self.ws.open(uri.clone(), p.text_document.text, p.text_document.version);
                self.dirty.remove(&uri);
                self.publish(conn, &uri)?;
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams = serde_json::from_value(n.params)?;
                let uri = p.text_document.uri;
                if let Some(doc) = self.ws.docs.get_mut(&uri) {
                    for c in p.content_changes {
                        crate::text::apply_change(&mut doc.text, c.range, &c.text);
                    }
                    doc.version = p.text_document.version;
                    doc.analysis = None;
                    self.dirty.insert(uri, Instant::now());
                }
            }
            DidSaveTextDocument::METHOD | DidChangeWatchedFiles::METHOD => {
                self.ws.rescan();
                for d in self.ws.docs.values_mut() {
                    d.analysis = None;
                }
                let open: Vec<Url> = self.ws.docs.keys().cloned().collect();
                for uri in open {
                    self.dirty.insert(uri, Instant::now());
                }
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams = serde_json::from_value(n.params)?;
                self.ws.docs.remove(&p.text_document.uri);
                self.dirty.remove(&p.text_document.uri);
                let params = PublishDiagnosticsParams { uri: p.text_document.uri, diagnostics: Vec::new(), version: None };
                conn.sender.send(Message::Notification(Notification::new(PublishDiagnostics::METHOD.into(), params)))?;
            }
            _ => {}
        }
        Ok(())
    }

    fn handle_request(&mut self, conn: &Connection, req: Request) -> Response {
        // Answers reflect the latest text: a pending check runs now.
        if let Err(e) = self.flush_due(conn, true) {
            return Response::new_err(req.id, ErrorCode::InternalError as i32, e.to_string());
        }
        let id = req.id.clone();
        // The handlers do not panic (the workspace lints forbid it and
        // tests/prefixes.rs exercises them on broken text); should one in a
        // dependency do so anyway, the request fails and the server lives on.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| features::dispatch(self, conn, req)));
        let Ok(result) = result else {
            return Response::new_err(id, ErrorCode::InternalError as i32, "internal error while answering this request".into());
        };
        match result {
            Ok(v) => Response::new_ok(id, v),
            Err(features::Failure::Unknown(m)) => Response::new_err(id, ErrorCode::MethodNotFound as i32, format!("unknown method {m}")),
            Err(features::Failure::BadParams(m)) => Response::new_err(id, ErrorCode::InvalidParams as i32, m),
        }
    }
}
