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

/// A deterministic test point: `n` entries uniform in [-2, 2), from an
/// xorshift stream seeded by `seed` (the same seed, the same point).
pub fn point(n: usize, seed: u64) -> Vec<f64> {
    scaled_point(n, seed, 2.0)
}

/// [`point`] in [-1, 1) (the same stream, halved).
pub fn unit_point(n: usize, seed: u64) -> Vec<f64> {
    scaled_point(n, seed, 1.0)
}

fn scaled_point(n: usize, seed: u64, half_width: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 * (2.0 * half_width) - half_width
        })
        .collect()
}
