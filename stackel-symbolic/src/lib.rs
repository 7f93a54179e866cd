//! The `stackel_game!` compiler as a plain library.
//!
//! Data flows one way: DSL tokens -> [`ast`] (with spans, [`parse`]) ->
//! checked [`model::GameModel`] ([`check`]) -> hash-consed expression DAG
//! ([`dag`]) -> derivative DAGs ([`diff`]) -> simplified ([`simplify`]) ->
//! CSE'd straight-line [`ir`] ([`lower`]) -> emitted Rust ([`emit_rust`]) and
//! WGSL ([`emit_wgsl`]). The proc-macro crate is a thin shell around
//! [`expand`].

#![warn(missing_docs)]
pub mod ast;
pub mod check;
pub mod dag;
pub mod diff;
// emit_rust and lower are being restructured into one lowered bundle and
// independent emitters (a separate change); their few undocumented items are
// documented there.
#[allow(missing_docs)]
pub mod emit_rust;
pub mod emit_wgsl;
pub mod error;
pub mod formula;
pub mod ir;
#[allow(missing_docs)]
pub mod lower;
pub mod model;
pub mod parse;
pub mod simplify;

pub use error::Errors;
use proc_macro2::TokenStream;

/// Parses and checks a game: DSL tokens -> checked model.
pub fn front_end(tokens: TokenStream) -> Result<model::GameModel, Errors> {
    let ast = parse::parse_game(tokens)?;
    check::check_game(&ast)
}

/// The whole compiler: DSL tokens -> generated Rust, or all the errors found.
pub fn compile(tokens: TokenStream) -> Result<TokenStream, Errors> {
    let model = front_end(tokens)?;
    emit_rust::generate(&model)
}

/// What `stackel_game!` expands to: the generated code, or one
/// `compile_error!` per error at its span.
pub fn expand(tokens: TokenStream) -> TokenStream {
    match compile(tokens) {
        Ok(code) => code,
        Err(errors) => errors.to_compile_errors(),
    }
}
