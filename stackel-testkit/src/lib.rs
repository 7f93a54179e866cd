//! Test support for stackel, not published.
//!
//! - [`games`]: the paper's games written once with `stackel_game!` (Cournot
//!   duopoly, torus, zero-sum example 1, covariance), the one definition the
//!   tests, the benchmarks and stackel-paper use;
//! - [`twins`]: hand-written, closed-form implementations of the same games.
//!   They are the independent references of the tests (generated blocks
//!   against closed forms) and the comparison column of the speed benchmarks
//!   (macro game vs its hand-written twin).
#![warn(missing_docs)]

pub mod games;
pub mod texts;
pub mod twins;

#[doc(hidden)]
pub use stackel_macros::stackel_game as __stackel_game;
