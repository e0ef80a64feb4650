//! The policy language core: grammar, syntax tree, checker, formatter and
//! diagnostics.
//!
//! Text → [`parse`] → [`ast::PolicyFile`] → [`check`] → [`checked::CheckedPolicy`].

pub mod ast;
pub mod diag;
pub mod limits;
pub mod parse;
