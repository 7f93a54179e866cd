//! Matrix-free spectra of a game at one point (paper, figures 5-6): the
//! `count` smallest and largest real parts of the eigenvalues of
//!
//! - J = [[D11 f1, D12 f1], [D21 f2, D22 f2]], the Jacobian of
//!   omega = (D1 f1, D2 f2), J (u, w) = (D11 f1 u + D12 f1 w, B u + H w)
//!   (restarted Arnoldi; J is not symmetric);
//! - S = D11 f1 - D12 f1 (H + eta I)^-1 B, the Schur complement, with
//!   H = D22 f2, B = D21 f2; each product solves (H + eta I) z = B u by
//!   CG / GMRES to relative residual 1e-13 (Arnoldi: S is symmetric only in
//!   zero-sum games; the worst inner residual is reported);
//! - D11 f1 (Lanczos) and D22 f2 (Lanczos for one follower; the stacked
//!   block of several followers is not symmetric: Arnoldi); up to
//!   `dense_follower_limit` followers' coordinates (256) H is formed from d2
//!   products instead, its spectrum taken densely and (H + eta I)^-1 an LU
//!   solve, so an S product is one B u and one (D^2 f1) product (a GAN's
//!   discriminator),
//!
//! all through the [`Game`] operator methods ([`Game::f1_hvp`],
//! [`Game::d21f2_mul`], [`Game::d22f2_mul`]); no block is formed.
//! [`game_spectra_dense`] forms the blocks and computes every eigenvalue, a
//! cross-check below [`DENSE_SPECTRA_LIMIT`].
//!
//! One Krylov start vector sees each distinct eigenvalue once, so both
//! paths report DISTINCT eigenvalues (the dense path merges values within
//! 1e-9 of its scale); a conjugate pair counts as two values.
//!
//! The verdict ([`GameSpectra::verdict`]), with tol the option `zero_tol`
//! and scale the matrix's largest |eigenvalue| found: a matrix is "> 0" when
//! its smallest real part exceeds tol * scale (eigenvalues within tol * scale
//! of 0 count as zero, as in a GAN leader Hessian's flat directions):
//!
//! - Nash: D11 f1 > 0 and D22 f2 > 0;
//! - non-Nash Stackelberg: S > 0 and D22 f2 > 0 but not D11 f1 > 0;
//! - neither otherwise.
//!
//! A game with data (`Game::nd` > 0) takes x of length N + ND: the spectra
//! are those at the data batch the caller wrote into x[N..].

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use std::fmt;

use nalgebra::{DMatrix, DVector};
use serde::Serialize;

use super::classify::Eig;
use super::extremes::{arnoldi_extremes, lanczos_extremes, ExtremeOptions, GameOperators};
use super::spectrum::{eigenvalues, symmetric_eigenvalues, SpectrumFailed};
use crate::game::Game;

/// Largest N for which [`game_spectra_dense`] forms the blocks.
pub const DENSE_SPECTRA_LIMIT: usize = 4000;

/// Options of [`game_spectra`].
///
/// Defaults: count 6, eta 0, zero_tol 1e-8, Krylov basis 160, 60 restarts,
/// Ritz tolerance 1e-9, seed 1, non-convergence is an error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SpectraOptions {
    /// How many of the smallest and of the largest real parts to report.
    pub count: usize,
    /// Regularisation of the inner solves, (H + eta I)^-1 in S.
    pub eta: f64,
    /// Verdict tolerance: |re| <= zero_tol * scale counts as zero.
    pub zero_tol: f64,
    /// Krylov basis size before a restart (capped at the dimension).
    pub basis: usize,
    /// Most restarts of Lanczos / Arnoldi.
    pub max_restarts: usize,
    /// Converged when each wanted Ritz residual is <= tol * scale.
    pub tol: f64,
    /// Seed of the Krylov start vector.
    pub seed: u64,
    /// Non-convergence (of an eigenvalue or an inner solve) is a
    /// [`SpectraError`]; when false it is only flagged in the result.
    pub require_convergence: bool,
    /// Up to this d2, H = D22 f2 is formed from d2 products H e_j: its
    /// spectrum is then dense (every eigenvalue) and (H + eta I)^-1 an LU
    /// solve, so an S product costs one B u and one (D^2 f1) product instead
    /// of an inner Krylov solve (a GAN's discriminator). Default
    /// [`crate::dynamics::DENSE_FOLLOWER_LIMIT`], as the dynamics' follower
    /// solve; 0 keeps everything matrix-free.
    pub dense_follower_limit: usize,
}

impl Default for SpectraOptions {
    fn default() -> Self {
        SpectraOptions {
            count: 6,
            eta: 0.0,
            zero_tol: 1e-8,
            basis: 160,
            max_restarts: 60,
            tol: 1e-9,
            seed: 1,
            require_convergence: true,
            dense_follower_limit: crate::dynamics::DENSE_FOLLOWER_LIMIT,
        }
    }
}

/// Why [`game_spectra`] gave no result.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SpectraError {
    /// x has the wrong length (want N + ND).
    #[error("state has length {got}, the game wants N + ND = {want}")]
    StateLength {
        /// N + ND.
        want: usize,
        /// x.len().
        got: usize,
    },
    /// Lanczos / Arnoldi did not reach the tolerance.
    #[error(
        "extreme eigenvalues of {matrix} did not converge: Ritz residual {residual:e} (relative)"
    )]
    NotConverged {
        /// Which matrix.
        matrix: &'static str,
        /// The worst wanted Ritz residual, relative to the scale.
        residual: f64,
    },
    /// An inner solve (H + eta I) z = c did not converge.
    #[error("an inner solve (D22 f2 + eta I) z = c did not converge: residual {residual:e}")]
    InnerSolve {
        /// The worst inner-solve residual.
        residual: f64,
    },
    /// The dense path was asked for a game above [`DENSE_SPECTRA_LIMIT`].
    #[error("dense spectra refused: N = {n} > {limit}")]
    TooLarge {
        /// N.
        n: usize,
        /// The limit.
        limit: usize,
    },
    /// (D22 f2 + eta I) is singular in the dense path.
    #[error("D22 f2 + eta I is singular")]
    Singular,
    /// A dense eigenvalue computation failed.
    #[error(transparent)]
    Spectrum(#[from] SpectrumFailed),
}

/// The extreme eigenvalues of one matrix.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlockSpectrum {
    /// `"J"`, `"S"`, `"D11 f1"` or `"D22 f2"`.
    pub matrix: &'static str,
    /// Its dimension.
    pub dim: usize,
    /// Up to `count` eigenvalues with the smallest real parts, ascending.
    pub smallest: Vec<Eig>,
    /// Up to `count` eigenvalues with the largest real parts, ascending.
    pub largest: Vec<Eig>,
    /// The largest |eigenvalue| found (the scale of the verdict tolerance).
    pub scale: f64,
    /// Whether every wanted Ritz value converged.
    pub converged: bool,
    /// The worst wanted Ritz residual, relative to `scale` (0 when dense).
    pub residual: f64,
    /// Operator applications (0 when dense).
    pub applications: usize,
}

impl BlockSpectrum {
    /// The smallest real part (NaN for an empty matrix).
    pub fn min_re(&self) -> f64 {
        self.smallest.first().map_or(f64::NAN, |e| e.re)
    }
    /// The largest real part (NaN for an empty matrix).
    pub fn max_re(&self) -> f64 {
        self.largest.last().map_or(f64::NAN, |e| e.re)
    }
    /// Every eigenvalue's real part exceeds `tol * scale` (an empty matrix
    /// is positive).
    pub fn positive(&self, tol: f64) -> bool {
        self.dim == 0 || self.min_re() > tol * self.scale
    }
}

/// The kind of a point, from the signs of its spectra.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PointKind {
    /// D11 f1 > 0 and D22 f2 > 0 (a differential Nash point).
    Nash,
    /// S > 0 and D22 f2 > 0, D11 f1 not > 0.
    NonNashStackelberg,
    /// Neither.
    Neither,
}

impl fmt::Display for PointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PointKind::Nash => "Nash",
            PointKind::NonNashStackelberg => "non-Nash Stackelberg",
            PointKind::Neither => "neither",
        })
    }
}

/// The spectra of J, S, D11 f1, D22 f2 at one point ([`game_spectra`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GameSpectra {
    /// The game Jacobian J.
    pub jacobian: BlockSpectrum,
    /// S = D11 f1 - D12 f1 (D22 f2 + eta I)^-1 D21 f2.
    pub schur: BlockSpectrum,
    /// D11 f1.
    pub d11f1: BlockSpectrum,
    /// D22 f2.
    pub d22f2: BlockSpectrum,
    /// The worst relative residual of the inner solves of S (0 when dense).
    pub inner_residual: f64,
    /// Every inner solve converged.
    pub inner_converged: bool,
    /// The verdict tolerance used (`SpectraOptions::zero_tol`).
    pub zero_tol: f64,
}

impl GameSpectra {
    /// Every eigenvalue and inner solve converged.
    pub fn converged(&self) -> bool {
        self.inner_converged
            && [&self.jacobian, &self.schur, &self.d11f1, &self.d22f2]
                .iter()
                .all(|b| b.converged)
    }

    /// Nash / non-Nash Stackelberg / neither (module docs), with the
    /// tolerance `zero_tol` relative to each matrix's scale.
    pub fn verdict(&self) -> PointKind {
        let t = self.zero_tol;
        if !self.d22f2.positive(t) {
            PointKind::Neither
        } else if self.d11f1.positive(t) {
            PointKind::Nash
        } else if self.schur.positive(t) {
            PointKind::NonNashStackelberg
        } else {
            PointKind::Neither
        }
    }
}

fn write_eigs(f: &mut fmt::Formatter<'_>, v: &[Eig]) -> fmt::Result {
    for e in v {
        if e.im == 0.0 {
            write!(f, " {:>11.4e}", e.re)?;
        } else {
            write!(
                f,
                " {:>11.4e}{}",
                e.re,
                if e.im > 0.0 { "+i" } else { "-i" }
            )?;
        }
    }
    Ok(())
}

impl fmt::Display for GameSpectra {
    /// One panel per matrix: the smallest and the largest real parts
    /// (a `+i`/`-i` marks a member of a complex pair), then the verdict.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in [&self.jacobian, &self.schur, &self.d11f1, &self.d22f2] {
            writeln!(
                f,
                "{:<7} ({} x {}){}",
                b.matrix,
                b.dim,
                b.dim,
                if b.converged { "" } else { "  NOT CONVERGED" }
            )?;
            write!(f, "  smallest re:")?;
            write_eigs(f, &b.smallest)?;
            writeln!(f)?;
            write!(f, "  largest re: ")?;
            write_eigs(f, &b.largest)?;
            writeln!(f)?;
        }
        writeln!(
            f,
            "inner solves: worst residual {:.2e}",
            self.inner_residual
        )?;
        write!(f, "verdict: {}", self.verdict())
    }
}

/// A Krylov result as a block spectrum, copies of one eigenvalue (found
/// again through rounding after its first Ritz value converged) merged like
/// the dense path's, so both report distinct values.
fn from_extremes(matrix: &'static str, dim: usize, e: super::extremes::Extremes) -> BlockSpectrum {
    let tol = 1e-9 * e.scale.max(f64::MIN_POSITIVE);
    let merge = |v: Vec<Eig>| {
        let mut out: Vec<Eig> = Vec::with_capacity(v.len());
        for x in v {
            if !out
                .iter()
                .any(|d| (x.re - d.re).abs() <= tol && (x.im - d.im).abs() <= tol)
            {
                out.push(x);
            }
        }
        out
    };
    BlockSpectrum {
        matrix,
        dim,
        smallest: merge(e.smallest),
        largest: merge(e.largest),
        scale: e.scale,
        converged: e.converged,
        residual: e.residual,
        applications: e.applications,
    }
}

fn check_len<G: Game>(g: &G, x: &[f64]) -> Result<(), SpectraError> {
    let want = g.n() + g.nd();
    if x.len() != want {
        return Err(SpectraError::StateLength { want, got: x.len() });
    }
    Ok(())
}

/// The `count` smallest and largest real parts of the eigenvalues of J, S,
/// D11 f1 and D22 f2 at `x` (len N + ND), matrix-free (module docs).
///
/// With `require_convergence` (the default), a Ritz value above the
/// tolerance or a failed inner solve is an error; otherwise the result's
/// `converged` flags say so.
pub fn game_spectra<G: Game>(
    g: &G,
    x: &[f64],
    opts: &SpectraOptions,
) -> Result<GameSpectra, SpectraError> {
    check_len(g, x)?;
    let (d1, d2, n) = (g.d1(), g.d2(), g.n());
    let eo = ExtremeOptions {
        k: opts.count.max(1),
        basis: opts.basis,
        max_restarts: opts.max_restarts,
        tol: opts.tol,
        seed: opts.seed,
    };
    let mut ops = GameOperators::without_lambda(g, x, opts.eta);
    let jacobian = from_extremes("J", n, arnoldi_extremes(n, |v, o| ops.jacobian(v, o), &eo));
    let d11f1 = from_extremes(
        "D11 f1",
        d1,
        lanczos_extremes(d1, |v, o| ops.d11f1(v, o), &eo),
    );
    if d2 <= opts.dense_follower_limit {
        let (d22f2, schur, singular) = dense_follower_route(g, x, opts, &eo)?;
        return finish(
            GameSpectra {
                jacobian,
                schur,
                d11f1,
                d22f2,
                inner_residual: if singular { f64::INFINITY } else { 0.0 },
                inner_converged: !singular,
                zero_tol: opts.zero_tol,
            },
            opts,
        );
    }
    let h = if g.info().followers.len() <= 1 {
        lanczos_extremes(d2, |v, o| ops.d22f2(v, o), &eo)
    } else {
        arnoldi_extremes(d2, |v, o| ops.d22f2(v, o), &eo)
    };
    let d22f2 = from_extremes("D22 f2", d2, h);
    let schur = from_extremes(
        "S",
        d1,
        arnoldi_extremes(d1, |v, o| ops.schur_complement(v, o), &eo),
    );
    let inner_residual = ops.worst_solve.map_or(0.0, |r| r.residual);
    let out = GameSpectra {
        jacobian,
        schur,
        d11f1,
        d22f2,
        inner_residual,
        inner_converged: ops.solves_ok(),
        zero_tol: opts.zero_tol,
    };
    finish(out, opts)
}

/// `out`, or the error `require_convergence` asks for.
fn finish(out: GameSpectra, opts: &SpectraOptions) -> Result<GameSpectra, SpectraError> {
    if opts.require_convergence {
        if !out.inner_converged {
            return Err(SpectraError::InnerSolve {
                residual: out.inner_residual,
            });
        }
        for b in [&out.jacobian, &out.schur, &out.d11f1, &out.d22f2] {
            if !b.converged {
                return Err(SpectraError::NotConverged {
                    matrix: b.matrix,
                    residual: b.residual,
                });
            }
        }
    }
    Ok(out)
}

/// D22 f2 and S with H formed (d2 <= `dense_follower_limit`): H from d2
/// products H e_j, every eigenvalue of it (symmetrised for one follower),
/// and S u = the leader part of (D^2 f1)(u, -(H + eta I)^-1 B u) by
/// restarted Arnoldi with an LU solve. The flag: H + eta I was singular.
fn dense_follower_route<G: Game>(
    g: &G,
    x: &[f64],
    opts: &SpectraOptions,
    eo: &ExtremeOptions,
) -> Result<(BlockSpectrum, BlockSpectrum, bool), SpectraError> {
    let (d1, d2, n) = (g.d1(), g.d2(), g.n());
    let mut h = DMatrix::<f64>::zeros(d2, d2);
    let (mut e, mut col) = (vec![0.0; d2], vec![0.0; d2]);
    for j in 0..d2 {
        e[j] = 1.0;
        g.d22f2_mul(x, &e, &mut col);
        e[j] = 0.0;
        h.set_column(j, &DVector::from_column_slice(&col));
    }
    let eigs = if g.info().followers.len() <= 1 {
        let sym = (&h + h.transpose()) * 0.5;
        symmetric_eigenvalues(&sym, "D22 f2")?
            .into_iter()
            .map(|re| Eig { re, im: 0.0 })
            .collect()
    } else {
        eigenvalues(&h, "D22 f2")?
    };
    let mut d22f2 = dense_block("D22 f2", eigs, opts.count);
    d22f2.applications = d2;
    let lu = (&h + DMatrix::identity(d2, d2) * opts.eta).lu();
    let (mut bu, mut dir, mut out) = (vec![0.0; d2], vec![0.0; n], vec![0.0; n]);
    let mut singular = false;
    let schur = arnoldi_extremes(
        d1,
        |u, o| {
            g.d21f2_mul(x, u, &mut bu);
            let z = lu
                .solve(&DVector::from_column_slice(&bu))
                .unwrap_or_else(|| {
                    singular = true;
                    DVector::zeros(d2)
                });
            dir[..d1].copy_from_slice(u);
            for i in 0..d2 {
                dir[d1 + i] = -z[i];
            }
            g.f1_hvp(x, &dir, &mut out);
            o.copy_from_slice(&out[..d1]);
        },
        eo,
    );
    Ok((d22f2, from_extremes("S", d1, schur), singular))
}

/// Sorted by real part, values within 1e-9 * scale merged, cut to the
/// `count` smallest and largest.
fn dense_block(matrix: &'static str, mut eigs: Vec<Eig>, count: usize) -> BlockSpectrum {
    let dim = eigs.len();
    eigs.sort_by(|a, b| a.re.total_cmp(&b.re).then(a.im.total_cmp(&b.im)));
    let scale = eigs
        .iter()
        .map(|e| e.re.hypot(e.im))
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut distinct: Vec<Eig> = Vec::with_capacity(dim);
    for e in eigs {
        let dup = distinct
            .iter()
            .rev()
            .take_while(|d| (e.re - d.re).abs() <= 1e-9 * scale)
            .any(|d| (e.im - d.im).abs() <= 1e-9 * scale);
        if !dup {
            distinct.push(e);
        }
    }
    let k = count.max(1);
    BlockSpectrum {
        matrix,
        dim,
        smallest: distinct.iter().take(k).copied().collect(),
        largest: distinct[distinct.len().saturating_sub(k)..].to_vec(),
        scale,
        converged: true,
        residual: 0.0,
        applications: 0,
    }
}

/// The same spectra as [`game_spectra`] from the dense blocks (every
/// eigenvalue by QR, then the distinct extremes): a cross-check and
/// baseline for N <= [`DENSE_SPECTRA_LIMIT`]. Only `count`, `eta` and
/// `zero_tol` of `opts` are used.
pub fn game_spectra_dense<G: Game>(
    g: &G,
    x: &[f64],
    opts: &SpectraOptions,
) -> Result<GameSpectra, SpectraError> {
    check_len(g, x)?;
    let (d1, d2, n) = (g.d1(), g.d2(), g.n());
    if n > DENSE_SPECTRA_LIMIT {
        return Err(SpectraError::TooLarge {
            n,
            limit: DENSE_SPECTRA_LIMIT,
        });
    }
    let row_major = |r: usize, c: usize, v: &[f64]| DMatrix::from_row_slice(r, c, v);
    let mut buf = vec![0.0; d1 * d1];
    g.d11f1(x, &mut buf);
    let a = row_major(d1, d1, &buf);
    let mut buf = vec![0.0; d1 * d2];
    g.d12f1(x, &mut buf);
    let c = row_major(d1, d2, &buf);
    let mut buf = vec![0.0; d2 * d1];
    g.d21f2(x, &mut buf);
    let b = row_major(d2, d1, &buf);
    let mut buf = vec![0.0; d2 * d2];
    g.d22f2(x, &mut buf);
    let h = row_major(d2, d2, &buf);
    let mut j = DMatrix::zeros(n, n);
    j.view_mut((0, 0), (d1, d1)).copy_from(&a);
    j.view_mut((0, d1), (d1, d2)).copy_from(&c);
    j.view_mut((d1, 0), (d2, d1)).copy_from(&b);
    j.view_mut((d1, d1), (d2, d2)).copy_from(&h);
    let hr = &h + DMatrix::identity(d2, d2) * opts.eta;
    let z = hr.lu().solve(&b).ok_or(SpectraError::Singular)?;
    let s = &a - &c * z;
    let real = |v: Vec<f64>| v.into_iter().map(|re| Eig { re, im: 0.0 }).collect();
    let k = opts.count;
    let d22 = if g.info().followers.len() <= 1 {
        real(symmetric_eigenvalues(&h, "D22 f2")?)
    } else {
        eigenvalues(&h, "D22 f2")?
    };
    Ok(GameSpectra {
        jacobian: dense_block("J", eigenvalues(&j, "J")?, k),
        schur: dense_block("S", eigenvalues(&s, "S")?, k),
        d11f1: dense_block("D11 f1", real(symmetric_eigenvalues(&a, "D11 f1")?), k),
        d22f2: dense_block("D22 f2", d22, k),
        inner_residual: 0.0,
        inner_converged: true,
        zero_tol: opts.zero_tol,
    })
}
