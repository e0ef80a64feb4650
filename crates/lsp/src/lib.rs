//! A language server for `.policy` files, on the synchronous `lsp-server`
//! and `lsp-types` crates (the pair rust-analyzer uses: no async runtime).
//!
//! Everything it says comes from the same parser, checker and formatter as
//! the `policy` command: diagnostics as you type (debounced per document),
//! hover with the quoted sentence, navigation into imported policies and the
//! source document, completion, symbols, formatting, rename across the
//! policy and its golden cases, semantic tokens, inlay hints and code lenses
//! that run the golden cases. `policy lsp` starts it on stdio.

pub mod complete;
pub mod diagnostics;
pub mod features;
pub mod hints;
pub mod hover;
pub mod index;
pub mod lens;
pub mod nav;
pub mod server;
pub mod symbols;
pub mod text;
pub mod tokens;
pub mod workspace;

pub use server::serve;

/// Runs the server on stdin/stdout until the client exits.
pub fn run_stdio() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (conn, io) = lsp_server::Connection::stdio();
    serve(&conn)?;
    drop(conn);
    io.join()?;
    Ok(())
}
