//! End-point spectra for the GANs within the run's time budget. The
//! discriminator is small (d2 = 129), so D22f2 = H is formed from 129
//! products H e_j and decomposed densely (every eigenvalue), and
//! (H + eta I)^-1 is an LU solve; then
//!
//! - S u = D11f1 u - D12f1 (H + eta I)^-1 B u is the leader part of
//!   (D^2 f1)(u, -(H + eta I)^-1 B u): one B u and one f1 Hessian-vector
//!   product per application (restarted Arnoldi),
//! - J (u, w) = (D11f1 u + D12f1 w, B u + H w) (restarted Arnoldi),
//! - D11f1 u = the leader part of (D^2 f1)(u, 0) (Lanczos),
//!
//! with a fixed Krylov budget (basis, restarts); unconverged Ritz values are
//! flagged, not hidden. `stackel::equilibria::game_spectra` gives the same
//! numbers (its inner CG solves to 1e-13 for every S product, and its
//! default budget, cost minutes per point at this size).

use crate::common::ExperimentError;
use nalgebra::DMatrix;
use stackel::equilibria::{
    arnoldi_extremes, lanczos_extremes, symmetric_eigenvalues, BlockSpectrum, Eig, ExtremeOptions,
    Extremes, GameSpectra,
};
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

fn block(matrix: &'static str, dim: usize, e: Extremes) -> BlockSpectrum {
    BlockSpectrum {
        matrix,
        dim,
        smallest: e.smallest,
        largest: e.largest,
        scale: e.scale,
        converged: e.converged,
        residual: e.residual,
        applications: e.applications,
    }
}

/// The 6 smallest and 6 largest real parts of J, S, D11f1, D22f2 at `x`
/// (length N + ND: the parameters, then the data batch).
pub fn gan_spectra<G: Game>(g: &G, x: &[f64], b: &Budget) -> Result<GameSpectra, ExperimentError> {
    let (d1, d2, n) = (G::D1, G::D2, G::N);
    if x.len() != n + G::ND {
        return Err(ExperimentError::Other(format!(
            "spectra: state of length {}, want {}",
            x.len(),
            n + G::ND
        )));
    }
    let eo = ExtremeOptions {
        k: 6,
        basis: b.basis,
        max_restarts: b.restarts,
        tol: b.tol,
        seed: 1,
    };
    // H column by column, symmetrised against rounding.
    let mut h = DMatrix::<f64>::zeros(d2, d2);
    let (mut e, mut col) = (vec![0.0; d2], vec![0.0; d2]);
    for j in 0..d2 {
        e[j] = 1.0;
        g.d22f2_mul(x, &e, &mut col);
        e[j] = 0.0;
        for i in 0..d2 {
            h[(i, j)] = col[i];
        }
    }
    let h = (&h + h.transpose()) * 0.5;
    let mut hs = symmetric_eigenvalues(&h, "D22 f2")
        .map_err(|e| ExperimentError::Other(format!("spectra: {e}")))?;
    hs.sort_by(f64::total_cmp);
    let scale = hs
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    let eig = |re: &f64| Eig { re: *re, im: 0.0 };
    let d22f2 = BlockSpectrum {
        matrix: "D22 f2",
        dim: d2,
        smallest: hs.iter().take(6).map(eig).collect(),
        largest: hs[hs.len().saturating_sub(6)..].iter().map(eig).collect(),
        scale,
        converged: true,
        residual: 0.0,
        applications: d2,
    };
    let lu = (&h + DMatrix::identity(d2, d2) * b.eta).lu();
    let mut dir = vec![0.0; n];
    let mut out = vec![0.0; n];
    let mut bu = vec![0.0; d2];
    let hv = |dir: &[f64], out: &mut [f64]| g.f1_hvp(x, dir, out);
    let d11 = lanczos_extremes(
        d1,
        |u, o| {
            dir[..d1].copy_from_slice(u);
            dir[d1..].fill(0.0);
            hv(&dir, &mut out);
            o.copy_from_slice(&out[..d1]);
        },
        &eo,
    );
    let jac = arnoldi_extremes(
        n,
        |v, o| {
            hv(v, &mut out);
            o[..d1].copy_from_slice(&out[..d1]);
            g.d21f2_mul(x, &v[..d1], &mut bu);
            let mut hw = vec![0.0; d2];
            g.d22f2_mul(x, &v[d1..], &mut hw);
            for i in 0..d2 {
                o[d1 + i] = bu[i] + hw[i];
            }
        },
        &eo,
    );
    let mut singular = false;
    let schur = arnoldi_extremes(
        d1,
        |u, o| {
            g.d21f2_mul(x, u, &mut bu);
            let z = lu
                .solve(&nalgebra::DVector::from_column_slice(&bu))
                .unwrap_or_else(|| {
                    singular = true;
                    nalgebra::DVector::zeros(d2)
                });
            dir[..d1].copy_from_slice(u);
            for i in 0..d2 {
                dir[d1 + i] = -z[i];
            }
            hv(&dir, &mut out);
            o.copy_from_slice(&out[..d1]);
        },
        &eo,
    );
    Ok(GameSpectra {
        jacobian: block("J", n, jac),
        schur: block("S", d1, schur),
        d11f1: block("D11 f1", d1, d11),
        d22f2,
        inner_residual: if singular { f64::INFINITY } else { 0.0 },
        inner_converged: !singular,
        zero_tol: b.zero_tol,
    })
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
