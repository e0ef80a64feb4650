//! The checker's diagnostics as LSP diagnostics: the code links to its entry
//! in `docs/errors.md`, related spans point at the other declaration or the
//! suggested name, and a did-you-mean hint travels in `data` for the quick fix.

use crate::index::DefKind;
use crate::workspace::{path_uri, Analysis};
use lsp_types::{CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Url};
use policy_core::diag::{self, codes, Severity};
use std::path::Path;

/// The suggestion in a "did you mean `x`?" hint.
pub fn suggestion(help: &str) -> Option<&str> {
    let rest = help.strip_prefix("did you mean `")?;
    let end = rest.find('`')?;
    rest.get(..end)
}

/// `docs/errors.md` above a policy file, as a URI.
pub fn errors_doc(policy_path: &str) -> Option<Url> {
    let mut dir = Path::new(policy_path).parent();
    while let Some(d) = dir {
        let doc = d.join("docs").join("errors.md");
        if doc.is_file() {
            return path_uri(&doc);
        }
        dir = d.parent();
    }
    None
}

/// The diagnostics to publish for an analysed document.
pub fn to_lsp(a: &Analysis, uri: &Url) -> Vec<Diagnostic> {
    let file = &a.file;
    let docs = errors_doc(&file.name);
    let mut out = Vec::new();
    for d in &a.checked.diagnostics {
        let (range, prefix) = if *d.file == *file.name {
            (file.lines.range(&file.text, d.span.start, d.span.end), String::new())
        } else {
            // A diagnostic in an imported file: shown on the `use` that brings it in.
            let id = a.imports.iter().find(|(_, f)| *f.name == *d.file).map(|(id, _)| id.clone());
            let span = file
                .index
                .defs
                .iter()
                .find(|def| def.kind == DefKind::Alias && id.as_ref().is_some_and(|id| file.index.aliases.get(&def.name) == Some(id)))
                .map(|def| def.span)
                .unwrap_or_default();
            (file.lines.range(&file.text, span.start, span.end), format!("in `{}`: ", d.file))
        };
        let mut message = format!("{prefix}{}", d.message);
        if let Some(label) = &d.label {
            message.push_str(&format!("\n{label}"));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let mut related = Vec::new();
        let fix = d.help.as_deref().and_then(suggestion);
        if let (Some(name), true) = (fix, *d.file == *file.name) {
            if let Some(def) = file.index.lookup(name).or_else(|| file.index.clause(name)) {
                related.push(DiagnosticRelatedInformation {
                    location: Location { uri: uri.clone(), range: file.lines.range(&file.text, def.span.start, def.span.end) },
                    message: format!("`{name}` is declared here"),
                });
            }
        }
        if d.code == codes::DUPLICATE_NAME && *d.file == *file.name {
            let name = file.text.get(d.span.start..d.span.end).unwrap_or("");
            for def in file.index.defs.iter().filter(|def| def.name == name && def.span.start != d.span.start) {
                related.push(DiagnosticRelatedInformation {
                    location: Location { uri: uri.clone(), range: file.lines.range(&file.text, def.span.start, def.span.end) },
                    message: format!("`{name}` is also declared here"),
                });
            }
        }
        out.push(Diagnostic {
            range,
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(d.code.id.to_string())),
            code_description: docs.as_ref().map(|u| {
                let mut u = u.clone();
                u.set_fragment(Some(&d.code.id.to_ascii_lowercase()));
                CodeDescription { href: u }
            }),
            source: Some("policy".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags: None,
            data: fix.map(|f| serde_json::json!({ "replace": f })),
        });
    }
    out
}

/// The one-line summary of a code, for hover on a diagnostic code.
pub fn summary(code: &str) -> Option<&'static str> {
    diag::codes::ALL.iter().find(|c| c.id == code).map(|c| c.summary)
}
