//! Total fields of every level, their implicit maps and the Jacobian of the
//! staggered field (formulas in the [`super`] module docs).

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use super::solve::{solve_in_place, transpose};
use super::{Hierarchy, HierarchyError};
use crate::game::Game;
use crate::real::Real;
use crate::tangent::Tangent;

/// Everything the total fields of a staggered game give at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct TotalFields<T> {
    /// The staggered field F (len N, the state's order): each player's
    /// total gradient through the implicit maps below it (own gradient on
    /// the deepest level).
    pub field: Vec<T>,
    /// Dr_{>L} for each level L above the deepest: the derivative of the
    /// joint implicit map of the levels below L, rows [`Hierarchy::below`]`(L)`,
    /// columns [`Hierarchy::upper`]`(L)`, row-major.
    pub implicit_maps: Vec<Vec<T>>,
    /// D G_{>0}: the Jacobian rows of the fields of levels 1.. (rows
    /// [`Hierarchy::below`]`(0)`, all N columns), by the adjoint formula.
    pub lower_jacobian: Vec<T>,
}

impl Hierarchy {
    /// The staggered field F(x) into `out` (len N).
    pub fn staggered_field<G: Game, T: Real>(
        &self,
        g: &G,
        x: &[T],
        out: &mut [T],
    ) -> Result<(), HierarchyError> {
        let t = self.total_fields(g, x)?;
        out[..self.n].copy_from_slice(&t.field);
        Ok(())
    }

    /// The total fields of every level at `x`, their implicit maps and the
    /// exact Jacobian rows of the lower levels' fields.
    pub fn total_fields<G: Game, T: Real>(
        &self,
        g: &G,
        x: &[T],
    ) -> Result<TotalFields<T>, HierarchyError> {
        let n = self.n;
        let k = self.levels();
        let np = self.spans.len();
        let mut grads = vec![vec![T::zero(); n]; np];
        let mut hess = vec![vec![T::zero(); n * n]; np];
        for p in 0..np {
            g.staggered_gradient(p, x, &mut grads[p])?;
            g.staggered_hessian(p, x, &mut hess[p])?;
        }
        let owner = self.owners();
        let mut field = vec![T::zero(); n];
        // G_{>L}: its rows (coordinates), values are in `field`, Jacobian rows.
        let mut rows: Vec<usize> = self.coords[k - 1].clone();
        let mut jac: Vec<T> = Vec::with_capacity(rows.len() * n);
        for &c in &rows {
            let p = owner[c];
            field[c] = grads[p][c];
            jac.extend_from_slice(&hess[p][c * n..(c + 1) * n]);
        }
        let mut implicit_maps = Vec::with_capacity(k - 1);
        for l in (0..k - 1).rev() {
            let m = rows.len();
            let eta = T::of(self.eta[l]);
            // A = D_{>L} G_{>L} + eta I (m x m).
            let mut a = vec![T::zero(); m * m];
            for r in 0..m {
                for (s, &c) in rows.iter().enumerate() {
                    a[r * m + s] = jac[r * n + c];
                }
                a[r * m + r] += eta;
            }
            let at = transpose(&a, m, m);
            // Dr_{>L} = -A^-1 D_{<=L} G_{>L}.
            let upper = self.upper(l);
            let mut dr = vec![T::zero(); m * upper.len()];
            for r in 0..m {
                for (s, &c) in upper.iter().enumerate() {
                    dr[r * upper.len() + s] = -jac[r * n + c];
                }
            }
            let mut work = a.clone();
            solve_in_place(&mut work, m, &mut dr, upper.len())
                .map_err(|_| HierarchyError::Singular { level: l })?;
            implicit_maps.push(dr);

            let new_rows = self.coords[l].clone();
            let mut new_jac = Vec::new();
            for &p in &self.players[l] {
                let (off, dp) = self.spans[p];
                // lambda = A^-T D_{>L} f_p, and when the Jacobian of g_p is
                // needed, Y = A^-T (D_{>L,:} f_p - D_{>L,:} phi) alongside.
                let mut lambda: Vec<T> = rows.iter().map(|&c| grads[p][c]).collect();
                let mut work = at.clone();
                solve_in_place(&mut work, m, &mut lambda, 1)
                    .map_err(|_| HierarchyError::Singular { level: l })?;
                for a in 0..dp {
                    let c = off + a;
                    let mut acc = grads[p][c];
                    for r in 0..m {
                        acc -= jac[r * n + c] * lambda[r];
                    }
                    field[c] = acc;
                }
                if l == 0 {
                    continue;
                }
                if l + 2 != k {
                    return Err(HierarchyError::TooDeep { levels: k });
                }
                // phi = lambda^T G_{>L}, G_{>L} the deepest players' own
                // gradients: D^2 phi = sum_q D^2 phi_q(lambda_q).
                let mut hphi = vec![T::zero(); n * n];
                let mut part = vec![T::zero(); n * n];
                for &q in &self.players[k - 1] {
                    let (qo, qd) = self.spans[q];
                    let lq: Vec<T> = (qo..qo + qd)
                        .map(|c| lambda[rows.iter().position(|&r| r == c).unwrap_or(0)])
                        .collect();
                    g.staggered_phi_hessian(q, x, &lq, &mut part)?;
                    for (h, v) in hphi.iter_mut().zip(&part) {
                        *h += *v;
                    }
                }
                let mut y = vec![T::zero(); m * n];
                for (r, &c) in rows.iter().enumerate() {
                    for j in 0..n {
                        y[r * n + j] = hess[p][c * n + j] - hphi[c * n + j];
                    }
                }
                let mut work = at.clone();
                solve_in_place(&mut work, m, &mut y, n)
                    .map_err(|_| HierarchyError::Singular { level: l })?;
                for a in 0..dp {
                    let c = off + a;
                    for j in 0..n {
                        let mut acc = hess[p][c * n + j] - hphi[c * n + j];
                        for r in 0..m {
                            acc -= jac[r * n + c] * y[r * n + j];
                        }
                        new_jac.push(acc);
                    }
                }
            }
            if l > 0 {
                // The rows of level l come first, players in level order,
                // which is the order of `coords[l]` (players ascend).
                new_jac.extend_from_slice(&jac);
                jac = new_jac;
                let mut r = new_rows;
                r.extend_from_slice(&rows);
                rows = r;
            }
        }
        implicit_maps.reverse();
        Ok(TotalFields {
            field,
            implicit_maps,
            lower_jacobian: jac,
        })
    }

    /// The exact Jacobian DF of the staggered field at `x` (N x N,
    /// row-major): F run on [`Tangent`] numbers, one direction per
    /// coordinate.
    pub fn jacobian<G: Game>(&self, g: &G, x: &[f64]) -> Result<Vec<f64>, HierarchyError> {
        let n = self.n;
        let mut jac = vec![0.0; n * n];
        let mut xt: Vec<Tangent<f64>> = x.iter().map(|&v| Tangent::new(v, 0.0)).collect();
        let mut f = vec![Tangent::new(0.0, 0.0); n];
        for j in 0..n {
            xt[j].d = 1.0;
            self.staggered_field(g, &xt, &mut f)?;
            xt[j].d = 0.0;
            for i in 0..n {
                jac[i * n + j] = f[i].d;
            }
        }
        Ok(jac)
    }

    /// The player owning each flat coordinate.
    fn owners(&self) -> Vec<usize> {
        let mut o = vec![0; self.n];
        for (p, &(off, d)) in self.spans.iter().enumerate() {
            o[off..off + d].fill(p);
        }
        o
    }
}
