//! The `stackel_game!` compiler as a plain library.
//!
//! Data flows one way: DSL tokens -> [`ast`] (with spans, `parse`) -> checked
//! [`model::GameModel`] (`check`) -> hash-consed expression DAG -> derivative
//! DAGs -> simplified -> CSE'd straight-line code -> emitted Rust (and WGSL).
//! The proc-macro crate is a thin shell around [`expand`].

pub mod error;
pub mod model;

pub use error::Errors;
