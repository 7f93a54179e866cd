//! End-point spectra for the GANs within the run's time budget:
//! `stackel::equilibria::game_spectra` with a fixed Krylov budget and
//! non-convergence flagged, not an error. The discriminator is small
//! (d2 = 129, under the dense-follower limit), so D22f2 = H is formed from
//! 129 products and (H + eta I)^-1 is an LU solve: an S product costs one
//! B u and one f1 Hessian-vector product.

use crate::common::ExperimentError;
use stackel::equilibria::{game_spectra, GameSpectra, SpectraOptions};
use stackel::Game;

/// Krylov budget and verdict tolerance.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Budget {
    /// Basis size before a restart.
    pub basis: usize,
    /// Most restarts.
    pub restarts: usize,
    /// Ritz tolerance relative to the scale.
    pub tol: f64,
    /// eta of S (0: the paper's S of J's own blocks).
    pub eta: f64,
    /// Verdict tolerance: |re| <= zero_tol * scale counts as zero.
    pub zero_tol: f64,
}

/// The 6 smallest and 6 largest real parts of J, S, D11f1, D22f2 at `x`
/// (length N + ND: the parameters, then the data batch).
pub fn gan_spectra<G: Game>(g: &G, x: &[f64], b: &Budget) -> Result<GameSpectra, ExperimentError> {
    let opts = SpectraOptions {
        count: 6,
        eta: b.eta,
        zero_tol: b.zero_tol,
        basis: b.basis,
        max_restarts: b.restarts,
        tol: b.tol,
        require_convergence: false,
        ..SpectraOptions::default()
    };
    game_spectra(g, x, &opts).map_err(|e| ExperimentError::Other(format!("spectra: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackel::equilibria::{game_spectra_dense, SpectraOptions};
    use stackel::prelude::*;

    stackel_game! {
        /// A small GAN (4 samples, latent 2, 3 hidden units, tanh), small
        /// enough for dense spectra.
        pub game TinyGan {
            const B = 4;  const Z = 2;  const H = 3;
            data x: [B, 2];
            data z: [B, Z];
            leader gen { w1: [H, Z], b1: [H], w2: [2, H], b2: [2] };
            follower disc { v1: [H, 2], c1: [H], v2: [H], c2 };
            let h[b in 0..B, j in 0..H] = tanh(sum(i in 0..Z) w1[j, i] * z[b, i] + b1[j]);
            let g[b in 0..B, k in 0..2] = sum(i in 0..H) w2[k, i] * h[b, i] + b2[k];
            let dr[b in 0..B] = sum(j in 0..H) v2[j] * tanh(sum(i in 0..2) v1[j, i] * x[b, i] + c1[j]) + c2;
            let df[b in 0..B] = sum(j in 0..H) v2[j] * tanh(sum(i in 0..2) v1[j, i] * g[b, i] + c1[j]) + c2;
            let loss_d = -mean(b in 0..B) (log_sigmoid(dr[b]) + log_sigmoid(-df[b]));
            cost gen = -mean(b in 0..B) log_sigmoid(df[b]);
            cost disc = loss_d + 0.5 * (sum(j in 0..H) v2[j]^2 + c2^2);
        }
    }

    #[test]
    fn matches_the_dense_spectra_of_a_small_gan() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let x: Vec<f64> = (0..TinyGan::N + TinyGan::ND)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
            })
            .collect();
        let ours = gan_spectra(
            &TinyGan,
            &x,
            &Budget {
                basis: 60,
                restarts: 10,
                tol: 1e-10,
                eta: 0.0,
                zero_tol: 1e-8,
            },
        )
        .unwrap();
        let dense = game_spectra_dense(
            &TinyGan,
            &x,
            &SpectraOptions {
                count: 6,
                ..SpectraOptions::default()
            },
        )
        .unwrap();
        assert!(ours.converged());
        for (a, b) in [
            (&ours.jacobian, &dense.jacobian),
            (&ours.schur, &dense.schur),
            (&ours.d11f1, &dense.d11f1),
            (&ours.d22f2, &dense.d22f2),
        ] {
            let scale = b.scale.max(1e-12);
            for (u, v) in [(&a.smallest, &b.smallest), (&a.largest, &b.largest)] {
                assert_eq!(u.len(), v.len(), "{}", a.matrix);
                for (p, q) in u.iter().zip(v.iter()) {
                    assert!(
                        (p.re - q.re).abs() < 1e-7 * scale,
                        "{}: {} vs {}",
                        a.matrix,
                        p.re,
                        q.re
                    );
                }
            }
        }
        assert_eq!(ours.verdict(), dense.verdict());
    }
}
