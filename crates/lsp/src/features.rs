//! Request dispatch: the capabilities the server announces and, for each
//! request, its handler.

use crate::server::Server;
use crate::{complete, hints, hover, lens, nav, symbols, tokens};
use lsp_server::{Connection, Message, Notification, Request};
use lsp_types::notification::{Notification as _, ShowMessage};
use lsp_types::request::Request as _;
use lsp_types::request::*;
use lsp_types::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;

/// Why a request got no result.
#[derive(Debug)]
pub enum Failure {
    /// The method is not one the server handles.
    Unknown(String),
    /// The params did not decode, or the request cannot be done (the message says why).
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
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["\"".into(), ".".into(), " ".into(), "{".into()]),
            ..Default::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions { prepare_provider: Some(true), work_done_progress_options: Default::default() })),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(SemanticTokensOptions {
            legend: tokens::legend(),
            full: Some(SemanticTokensFullOptions::Bool(true)),
            range: None,
            work_done_progress_options: Default::default(),
        })),
        inlay_hint_provider: Some(OneOf::Left(true)),
        code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![lens::RUN_CASES.into(), lens::DECIDE_EXAMPLE.into()],
            ..Default::default()
        }),
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
pub fn dispatch(s: &mut Server, conn: &Connection, req: Request) -> Result<Value, Failure> {
    match req.method.as_str() {
        HoverRequest::METHOD => Ok(json(hover_request(s, params(req)?))),
        Formatting::METHOD => Ok(json(format_request(s, params(req)?))),
        GotoDefinition::METHOD => {
            let p: GotoDefinitionParams = params(req)?;
            let tp = p.text_document_position_params;
            let Some(a) = s.ws.analysis(&tp.text_document.uri) else { return Ok(Value::Null) };
            let locs = nav::definition(&a, &tp.text_document.uri, nav::offset(&a, tp.position));
            Ok(if locs.is_empty() { Value::Null } else { json(GotoDefinitionResponse::Array(locs)) })
        }
        References::METHOD => {
            let p: ReferenceParams = params(req)?;
            let tp = p.text_document_position;
            let Some(a) = s.ws.analysis(&tp.text_document.uri) else { return Ok(Value::Null) };
            let at = nav::offset(&a, tp.position);
            Ok(json(nav::references(&mut s.ws, &a, &tp.text_document.uri, at, p.context.include_declaration)))
        }
        PrepareRenameRequest::METHOD => {
            let p: TextDocumentPositionParams = params(req)?;
            let Some(a) = s.ws.analysis(&p.text_document.uri) else { return Ok(Value::Null) };
            Ok(json(nav::prepare_rename(&a, nav::offset(&a, p.position)).map(PrepareRenameResponse::Range)))
        }
        Rename::METHOD => {
            let p: RenameParams = params(req)?;
            let tp = p.text_document_position;
            let Some(a) = s.ws.analysis(&tp.text_document.uri) else { return Ok(Value::Null) };
            let at = nav::offset(&a, tp.position);
            nav::rename(&mut s.ws, &a, &tp.text_document.uri, at, &p.new_name).map(json).map_err(Failure::BadParams)
        }
        Completion::METHOD => {
            let p: CompletionParams = params(req)?;
            let tp = p.text_document_position;
            let Some(a) = s.ws.analysis(&tp.text_document.uri) else { return Ok(Value::Null) };
            // Complete against the text as typed, even when it no longer parses.
            let at = nav::offset(&a, tp.position);
            Ok(json(CompletionResponse::Array(complete::complete(&a, at))))
        }
        DocumentSymbolRequest::METHOD => {
            let p: DocumentSymbolParams = params(req)?;
            let Some(a) = s.ws.analysis(&p.text_document.uri) else { return Ok(Value::Null) };
            Ok(json(DocumentSymbolResponse::Nested(symbols::document_symbols(&a.file))))
        }
        WorkspaceSymbolRequest::METHOD => {
            let p: WorkspaceSymbolParams = params(req)?;
            Ok(json(symbols::workspace_symbols(&mut s.ws, &p.query)))
        }
        SemanticTokensFullRequest::METHOD => {
            let p: SemanticTokensParams = params(req)?;
            let Some(a) = s.ws.analysis(&p.text_document.uri) else { return Ok(Value::Null) };
            Ok(json(SemanticTokensResult::Tokens(SemanticTokens { result_id: None, data: tokens::tokens(&a) })))
        }
        InlayHintRequest::METHOD => {
            let p: InlayHintParams = params(req)?;
            let Some(a) = s.ws.analysis(&p.text_document.uri) else { return Ok(Value::Null) };
            let (start, end) = (nav::offset(&a, p.range.start), nav::offset(&a, p.range.end));
            Ok(json(hints::hints(&a.file, start, end)))
        }
        CodeLensRequest::METHOD => {
            let p: CodeLensParams = params(req)?;
            let Some(a) = s.ws.analysis(&p.text_document.uri) else { return Ok(Value::Null) };
            Ok(json(lens::lenses(&s.ws, &a, &p.text_document.uri)))
        }
        ExecuteCommand::METHOD => {
            let p: ExecuteCommandParams = params(req)?;
            let uri: Url = p
                .arguments
                .first()
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .ok_or_else(|| Failure::BadParams("the command takes the document's URI".into()))?;
            let (result, message) = lens::execute(&mut s.ws, &p.command, &uri).map_err(Failure::BadParams)?;
            let failed = result.get("failed").and_then(Value::as_u64).is_some_and(|n| n > 0);
            let typ = if failed { MessageType::ERROR } else { MessageType::INFO };
            let note = Notification::new(ShowMessage::METHOD.into(), ShowMessageParams { typ, message });
            let _ = conn.sender.send(Message::Notification(note));
            Ok(result)
        }
        CodeActionRequest::METHOD => {
            let p: CodeActionParams = params(req)?;
            Ok(json(quick_fixes(&p)))
        }
        m => Err(Failure::Unknown(m.to_string())),
    }
}

/// "Replace with `x`" for each did-you-mean diagnostic in the request's context.
fn quick_fixes(p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    for d in &p.context.diagnostics {
        let Some(new) = d.data.as_ref().and_then(|v| v.get("replace")).and_then(Value::as_str) else { continue };
        let edit = TextEdit { range: d.range, new_text: new.to_string() };
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Replace with `{new}`"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![d.clone()]),
            edit: Some(WorkspaceEdit { changes: Some(HashMap::from([(p.text_document.uri.clone(), vec![edit])])), ..Default::default() }),
            is_preferred: Some(true),
            ..Default::default()
        }));
    }
    out
}

fn hover_request(s: &mut Server, p: HoverParams) -> Option<Hover> {
    let pos = p.text_document_position_params;
    let a = s.ws.analysis(&pos.text_document.uri)?;
    let at = a.file.lines.offset(&a.file.text, pos.position);
    let (span, target) = a.file.index.target_at(at)?;
    let (f, def) = hover::resolve(&a, &target)?;
    let mut md = hover::def_markdown(&a, f, def)?;
    if let Some(row) = hover::table_row_at(&a, at) {
        md = format!("{row}\n\n---\n\n{md}");
    }
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
