//! Staggered Stackelberg points: found by damped Newton on the staggered
//! field F (its Jacobian exact, on tangent numbers) and classified. A
//! differential staggered Stackelberg point has F = 0, every implicit map
//! below a level defined (D_{>L} G_{>L} + eta_L I nonsingular) and, for every
//! player i on level L, the Hessian of its cost along the implicit maps below,
//! S_i = D_i g_i + D_{>L} g_i Dr_{>L}[:, i], positive definite (the deepest
//! level: its own Hessian D_ii f_i). It is stable under the N-timescale
//! dynamics' field when spec(DF) lies in the open right half plane.

use super::solve::solve_in_place;
use super::{Hierarchy, HierarchyError};
use crate::equilibria::{eigenvalues, symmetric_eigenvalues, Eig, SpectrumFailed};
use crate::game::Game;
use nalgebra::DMatrix;

/// A point found by [`find_staggered`].
#[derive(Clone, Debug, PartialEq)]
pub struct StaggeredPoint {
    /// The state (len N).
    pub x: Vec<f64>,
    /// |F(x)|_inf at `x`.
    pub residual: f64,
    /// Newton iterations taken.
    pub iterations: usize,
}

/// The classification of a point of a staggered game.
#[derive(Clone, Debug, PartialEq)]
pub struct StaggeredReport {
    /// |F(x)|_inf.
    pub residual: f64,
    /// Per player (0 the leader): its level and the eigenvalues (ascending)
    /// of the symmetric part of S_i, its Hessian along the implicit maps below.
    pub second_order: Vec<(usize, Vec<f64>)>,
    /// Eigenvalues of DF, the Jacobian of the staggered field.
    pub jacobian_spectrum: Vec<Eig>,
    /// The exact Jacobian DF (N x N, row-major).
    pub jacobian: Vec<f64>,
}

impl StaggeredReport {
    /// Every level's second-order condition holds: each S_i positive definite.
    pub fn second_order_holds(&self) -> bool {
        self.second_order
            .iter()
            .all(|(_, e)| e.first().is_some_and(|v| *v > 0.0))
    }
    /// A differential staggered Stackelberg point: |F|_inf <= `tol` and every
    /// second-order condition.
    pub fn is_staggered_stackelberg(&self, tol: f64) -> bool {
        self.residual <= tol && self.second_order_holds()
    }
    /// Stable under the staggered field: spec(DF) in the open right half plane.
    pub fn is_stable(&self) -> bool {
        self.jacobian_spectrum.iter().all(|e| e.re > 0.0)
    }
}

/// Why a staggered point could not be classified.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ClassifyError {
    /// The hierarchy's algebra failed (singular implicit map, not generated).
    #[error(transparent)]
    Hierarchy(#[from] HierarchyError),
    /// An eigenvalue routine failed.
    #[error(transparent)]
    Spectrum(#[from] SpectrumFailed),
}

impl Hierarchy {
    /// Classifies `x`: residual, every level's second-order condition along
    /// the implicit maps below it, and the spectrum of DF.
    pub fn classify<G: Game>(&self, g: &G, x: &[f64]) -> Result<StaggeredReport, ClassifyError> {
        let n = self.n;
        let t = self.total_fields(g, x)?;
        let jac = self.jacobian(g, x)?;
        let residual = t.field.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let level_of = |p: usize| (0..self.levels()).find(|&l| self.players[l].contains(&p));
        let mut second_order = Vec::new();
        for p in 0..self.spans.len() {
            let l = level_of(p).unwrap_or(0);
            let (off, dp) = self.spans[p];
            let mut s = DMatrix::<f64>::zeros(dp, dp);
            for a in 0..dp {
                for b in 0..dp {
                    s[(a, b)] = jac[(off + a) * n + off + b];
                }
            }
            if l + 1 < self.levels() {
                // + D_{>L} g_i Dr_{>L}[:, i]
                let below = self.below(l);
                let upper = self.upper(l);
                let dr = &t.implicit_maps[l];
                for a in 0..dp {
                    for b in 0..dp {
                        let col = upper.iter().position(|&c| c == off + b).unwrap_or(0);
                        let mut acc = 0.0;
                        for (r, &c) in below.iter().enumerate() {
                            acc += jac[(off + a) * n + c] * dr[r * upper.len() + col];
                        }
                        s[(a, b)] += acc;
                    }
                }
            }
            second_order.push((l, symmetric_eigenvalues(&s, "S_i")?));
        }
        let jacobian_spectrum = eigenvalues(&DMatrix::from_row_slice(n, n, &jac), "DF")?;
        Ok(StaggeredReport {
            residual,
            second_order,
            jacobian_spectrum,
            jacobian: jac,
        })
    }
}

/// Damped Newton on the staggered field from `start`: x <- x - alpha DF^-1 F
/// (DF exact, [`Hierarchy::jacobian`]) with alpha halved until |F|_inf
/// decreases. Stops when |F|_inf <= `tol`, after `max_iter` iterations, or
/// when no step decreases |F|_inf; the point's `residual` tells which (a
/// converged point has residual <= `tol`). Angles are not wrapped. `Err`
/// when the algebra fails at an iterate (singular DF or implicit map).
pub fn find_staggered<G: Game>(
    h: &Hierarchy,
    g: &G,
    start: &[f64],
    tol: f64,
    max_iter: usize,
) -> Result<StaggeredPoint, HierarchyError> {
    let n = h.n;
    let mut x = start[..n].to_vec();
    let mut f = vec![0.0; n];
    h.staggered_field(g, &x, &mut f)?;
    let norm = |f: &[f64]| f.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut res = norm(&f);
    let mut it = 0;
    while it < max_iter && res > tol {
        it += 1;
        let mut jac = h.jacobian(g, &x)?;
        let mut step = f.clone();
        solve_in_place(&mut jac, n, &mut step, 1)
            .map_err(|_| HierarchyError::Singular { level: usize::MAX })?;
        let mut alpha = 1.0;
        let mut improved = false;
        for _ in 0..40 {
            let trial: Vec<f64> = x.iter().zip(&step).map(|(a, s)| a - alpha * s).collect();
            let mut ft = vec![0.0; n];
            if h.staggered_field(g, &trial, &mut ft).is_ok() && norm(&ft) < res {
                x = trial;
                f = ft;
                res = norm(&f);
                improved = true;
                break;
            }
            alpha *= 0.5;
        }
        if !improved {
            break;
        }
    }
    Ok(StaggeredPoint {
        x,
        residual: res,
        iterations: it,
    })
}
