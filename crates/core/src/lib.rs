//! The policy language core: grammar, syntax tree, checker, formatter and
//! diagnostics.
//!
//! Text → [`parse`] → [`ast::PolicyFile`] → [`check`] → [`checked::CheckedPolicy`].
//! pest types never leave [`parse`]; nothing here renders diagnostics.

pub mod ast;
pub mod check;
pub mod checked;
pub mod diag;
pub mod fmt;
pub mod limits;
pub mod loader;
pub mod parse;
pub mod value;
