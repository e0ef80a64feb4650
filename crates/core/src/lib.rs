//! The policy language core: grammar, syntax tree, checker, formatter and
//! diagnostics.
//!
//! Text → [`parse`] → [`ast::PolicyFile`] → [`check`] → [`checked::CheckedPolicy`].
//! pest types never leave [`parse`]; nothing here renders diagnostics.

// pest is used without its `std` feature (which only adds a native stack
// probe on every rule call; `parse`'s pre-scan bounds nesting instead), and
// its derive then names `alloc`.
extern crate alloc;

pub mod ast;
pub mod check;
pub mod checked;
pub mod diag;
pub mod fmt;
pub mod lexical;
pub mod limits;
pub mod loader;
pub mod parse;
pub mod value;
