//! The `stackel_game!` compiler as a plain library.
//!
//! Data flows one way: DSL tokens -> [`ast`] (with spans, [`parse`]) ->
//! checked [`model::GameModel`] ([`check`]) -> hash-consed expression DAG
//! ([`dag`]) -> derivative DAGs ([`diff`]) -> simplified ([`simplify`]) ->
//! one bundle of CSE'd [`ir`] programs, [`lower::Lowered`] ([`lower`]) ->
//! three independent emitters reading the bundle: formulas ([`formula`]),
//! WGSL ([`emit_wgsl`]) and Rust ([`emit_rust`]). No emitter calls another or
//! calls back into [`lower`]; [`back_end`] runs them and hands the formulas
//! and the WGSL text to the Rust emitter as data. The proc-macro crate is a
//! thin shell around [`expand`].

#![warn(missing_docs)]
pub mod ast;
pub mod check;
pub mod dag;
pub mod diff;
pub mod emit_rust;
pub mod emit_wgsl;
pub mod error;
pub mod formula;
pub mod indexed;
pub mod ir;
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

/// The back end: checked model -> generated Rust. Parses the
/// `#[stackel(..)]` options, lowers once, then runs each emitter on the
/// bundle.
pub fn back_end(model: &model::GameModel) -> Result<TokenStream, Errors> {
    let options = emit_rust::Options::of(&model.attrs)?;
    let lowered = lower::lower_game(model)?;
    let formulas = formula::block_formulas(model, &lowered);
    let wgsl = emit_wgsl::emit(&lowered);
    Ok(emit_rust::emit(model, &options, &lowered, &formulas, &wgsl))
}

/// The whole compiler: DSL tokens -> generated Rust, or all the errors found.
pub fn compile(tokens: TokenStream) -> Result<TokenStream, Errors> {
    back_end(&front_end(tokens)?)
}

/// What `stackel_game!` expands to: the generated code, or one
/// `compile_error!` per error at its span.
pub fn expand(tokens: TokenStream) -> TokenStream {
    match compile(tokens) {
        Ok(code) => code,
        Err(errors) => errors.to_compile_errors(),
    }
}
