//! Test support for stackel, not published: [`twins`] holds hand-written,
//! closed-form implementations of the paper's games (Cournot duopoly, torus,
//! example 1, covariance m = 3). They are the independent references of the
//! tests (generated blocks against closed forms) and the comparison column of
//! the speed benchmarks (macro game vs its hand-written twin).
#![warn(missing_docs)]

pub mod twins;
