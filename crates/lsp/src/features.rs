//! Request dispatch: the capabilities the server announces and, for each
//! request, its handler.

use crate::hover;
use crate::server::Server;
use lsp_server::{Connection, Request};
use lsp_types::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a request got no result.
#[derive(Debug)]
pub enum Failure {
    /// The method is not one the server handles.
    Unknown(String),
    /// The params did not decode.
    BadParams(String),
}

/// What the server can do.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..Default::default()
    }
}

fn params<P: DeserializeOwned>(req: Request) -> Result<P, Failure> {
    serde_json::from_value(req.params).map_err(|e| Failure::BadParams(e.to_string()))
}

fn json<T: serde::Serialize>(v: T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Answers one request.
pub fn dispatch(s: &mut Server, _conn: &Connection, req: Request) -> Result<Value, Failure> {
    use lsp_types::request::{Formatting, HoverRequest, Request as _};
    match req.method.as_str() {
        HoverRequest::METHOD => Ok(json(hover_request(s, params(req)?))),
        Formatting::METHOD => Ok(json(format_request(s, params(req)?))),
        m => Err(Failure::Unknown(m.to_string())),
    }
}

fn hover_request(s: &mut Server, p: HoverParams) -> Option<Hover> {
    let pos = p.text_document_position_params;
    let a = s.ws.analysis(&pos.text_document.uri)?;
    let at = a.file.lines.offset(&a.file.text, pos.position);
    let (span, target) = a.file.index.target_at(at)?;
    let (f, def) = hover::resolve(&a, &target)?;
    let md = hover::def_markdown(&a, f, def)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: md }),
        range: Some(a.file.lines.range(&a.file.text, span.start, span.end)),
    })
}

fn format_request(s: &mut Server, p: DocumentFormattingParams) -> Option<Vec<TextEdit>> {
    let doc = s.ws.docs.get(&p.text_document.uri)?;
    let formatted = policy_core::fmt::format_source(&doc.name, &doc.text).ok()?;
    if formatted == doc.text {
        return Some(Vec::new());
    }
    let lines = crate::text::LineIndex::new(&doc.text);
    Some(vec![TextEdit { range: lines.range(&doc.text, 0, doc.text.len()), new_text: formatted }])
}
