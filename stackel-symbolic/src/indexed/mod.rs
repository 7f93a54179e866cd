//! The indexed compiler: games whose size is in their indices, not in
//! their expressions (the loop form).
//!
//! The checked model's expressions are built as indexed expressions
//! ([`expr`], [`build`]) with sums and index variables kept symbolic. They
//! are differentiated at the index level ([`diff`]: the gradient by a
//! player gains free output indices, `d/dP[a, b] P[e1, e2] = delta(e1, a)
//! delta(e2, b)`), and the deltas collapse with the sums that bind their
//! indices ([`resolve`]). For example, for `f = sum_k v[i,k] v[j,k]`,
//! `d f / d v[a, b] = delta(i, a) v[j, b] + delta(j, a) v[i, b]`. The
//! operators the matrix-free Stackelberg update needs are directional
//! derivatives of those gradients ([`game`]); no second-order object is
//! built. [`eval`] interprets the result (the tests' reference), [`print`](mod@print)
//! writes it as text, and `emit_rust::loops` emits it as Rust loops.

pub mod build;
pub mod diff;
pub mod eval;
pub mod expr;
pub mod game;
pub mod kernel;
pub mod print;
pub mod resolve;
pub mod schedule;

pub use eval::{Interpreter, Point};
pub use game::{IndexedGame, Part, Vector};
