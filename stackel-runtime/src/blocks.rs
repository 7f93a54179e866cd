//! Composing a game's derivative blocks into the quantities the dynamics and
//! the classification need, exactly (design.md, "Math reference"):
//!
//! - H = D22 f2 + eta I, B = D21 f2;
//! - implicit-map Jacobian Dr = -H^-1 B;
//! - total leader gradient Df1 = D1 f1 - B^T H^-T D2 f1 (= D1 f1 - D1 phi with
//!   lambda = H^-T D2 f1);
//! - omega = (D1 f1, D2 f2), omega_S = (Df1, D2 f2);
//! - J = [[D11 f1, D12 f1], [B, D22 f2]];
//! - J_S = [[D1(Df1), D2(Df1)], [B, D22 f2]] with
//!   D_j(Df1) = D1j f1 - D1j phi - B^T H^-T (D2j f1 - D2j phi);
//! - the leader's Stackelberg Hessian D1(Df1) + D2(Df1) Dr.
//!
//! eta = 0 is the exact form; eta > 0 is the regularisation of appendix C.

use crate::game::{Game, StackelbergParts};
use crate::linalg::{mat_t_vec, matmul, Lu, Singular};
use crate::real::Float;

/// Reusable buffers for composing blocks of one game (allocate once per
/// thread, then every call is allocation-free).
#[derive(Clone, Debug)]
pub struct Workspace<T> {
    d1: usize,
    d2: usize,
    pub(crate) d1f1: Vec<T>,
    pub(crate) d2f1: Vec<T>,
    pub(crate) d2f2: Vec<T>,
    pub(crate) h: Vec<T>,
    pub(crate) b: Vec<T>,
    pub(crate) lambda: Vec<T>,
    lu: Lu<T>,
    tmp: Vec<T>,
    // second-order scratch, d_j <= d1 + d2
    m: Vec<T>,
    d1j_f1: Vec<T>,
    d1j_phi: Vec<T>,
    d2j_f1: Vec<T>,
    d2j_phi: Vec<T>,
    bty: Vec<T>,
    // D12 f1, and the two block columns of the leader's row of J_S
    d12f1: Vec<T>,
    row1: Vec<T>,
    row2: Vec<T>,
    dr: Vec<T>,
}

impl<T: Float> Workspace<T> {
    /// Buffers sized for game `G`.
    pub fn new<G: Game>() -> Self {
        let (d1, d2) = (G::D1, G::D2);
        let dm = d1.max(d2).max(G::NP).max(1);
        Workspace {
            d1,
            d2,
            d1f1: vec![T::zero(); d1],
            d2f1: vec![T::zero(); d2],
            d2f2: vec![T::zero(); d2],
            h: vec![T::zero(); d2 * d2],
            b: vec![T::zero(); d2 * d1],
            lambda: vec![T::zero(); d2],
            lu: Lu::new(d2),
            tmp: vec![T::zero(); d2.max(d1)],
            m: vec![T::zero(); d2 * dm],
            d1j_f1: vec![T::zero(); d1 * dm],
            d1j_phi: vec![T::zero(); d1 * dm],
            d2j_f1: vec![T::zero(); d2 * dm],
            d2j_phi: vec![T::zero(); d2 * dm],
            bty: vec![T::zero(); d1 * dm],
            d12f1: vec![T::zero(); d1 * d2],
            row1: vec![T::zero(); d1 * d1],
            row2: vec![T::zero(); d1 * d2],
            dr: vec![T::zero(); d2 * d1],
        }
    }

    /// Leader dimension d1.
    pub fn leader_dim(&self) -> usize {
        self.d1
    }
    /// Stacked follower dimension d2.
    pub fn follower_dim(&self) -> usize {
        self.d2
    }

    /// lambda = H^-T D2 f1 from the fused parts; leaves D1 f1, D2 f1, D2 f2,
    /// H (with eta), B and the LU of H in the workspace.
    fn fused<G: Game>(&mut self, g: &G, x: &[T], eta: T) -> Result<(), Singular> {
        g.stackelberg_parts(
            x,
            StackelbergParts {
                d1f1: &mut self.d1f1,
                d2f1: &mut self.d2f1,
                d2f2: &mut self.d2f2,
                d22f2: &mut self.h,
                d21f2: &mut self.b,
            },
        );
        let d2 = self.d2;
        if eta != T::zero() {
            for i in 0..d2 {
                self.h[i * d2 + i] += eta;
            }
        }
        self.lu.factor(&self.h)?;
        self.lambda.copy_from_slice(&self.d2f1);
        self.lu.solve_transpose(&mut self.lambda);
        Ok(())
    }

    /// Df1 = D1 f1 - B^T (D22 f2 + eta I)^-T D2 f1 (len d1).
    pub fn total_leader_gradient<G: Game>(
        &mut self,
        g: &G,
        x: &[T],
        eta: T,
        out: &mut [T],
    ) -> Result<(), Singular> {
        self.fused(g, x, eta)?;
        mat_t_vec(&self.b, &self.lambda, self.d2, self.d1, out);
        for (o, d) in out.iter_mut().zip(&self.d1f1) {
            *o = *d - *o;
        }
        Ok(())
    }

    /// omega_S = (Df1, D2 f2) (len d1 + d2).
    pub fn omega_s<G: Game>(
        &mut self,
        g: &G,
        x: &[T],
        eta: T,
        out: &mut [T],
    ) -> Result<(), Singular> {
        let d1 = self.d1;
        let (o1, o2) = out.split_at_mut(d1);
        self.total_leader_gradient(g, x, eta, o1)?;
        o2.copy_from_slice(&self.d2f2);
        Ok(())
    }

    /// Dr = -(D22 f2 + eta I)^-1 D21 f2 (d2 x d1), the implicit map's Jacobian.
    pub fn implicit_map_jacobian<G: Game>(
        &mut self,
        g: &G,
        x: &[T],
        eta: T,
        out: &mut [T],
    ) -> Result<(), Singular> {
        self.fused(g, x, eta)?;
        for (o, b) in out.iter_mut().zip(&self.b) {
            *o = -*b;
        }
        self.lu.solve_columns(out, self.d1, &mut self.tmp);
        Ok(())
    }

    /// J = [[D11 f1, D12 f1], [D21 f2, D22 f2]] ((d1 + d2)^2, row-major).
    pub fn jacobian<G: Game>(&mut self, g: &G, x: &[T], out: &mut [T]) {
        let (d1, d2) = (self.d1, self.d2);
        let n = d1 + d2;
        g.d11f1(x, &mut self.d1j_f1[..d1 * d1]);
        g.d12f1(x, &mut self.m[..d1 * d2]);
        g.d21f2(x, &mut self.b);
        g.d22f2(x, &mut self.h);
        for i in 0..d1 {
            out[i * n..i * n + d1].copy_from_slice(&self.d1j_f1[i * d1..(i + 1) * d1]);
            out[i * n + d1..(i + 1) * n].copy_from_slice(&self.m[i * d2..(i + 1) * d2]);
        }
        for i in 0..d2 {
            let r = (d1 + i) * n;
            out[r..r + d1].copy_from_slice(&self.b[i * d1..(i + 1) * d1]);
            out[r + d1..r + n].copy_from_slice(&self.h[i * d2..(i + 1) * d2]);
        }
    }

    /// Both block columns of the leader's row of J_S, D1(Df1) into `row1`
    /// (d1 x d1) and D2(Df1) into `row2` (d1 x d2), assuming `fused` has run.
    fn leader_row<G: Game>(&mut self, g: &G, x: &[T]) {
        g.d12f1(x, &mut self.d12f1);
        let mut row = std::mem::take(&mut self.row1);
        self.leader_row_block(g, x, 1, &mut row);
        self.row1 = row;
        let mut row = std::mem::take(&mut self.row2);
        self.leader_row_block(g, x, 2, &mut row);
        self.row2 = row;
    }

    /// D_j(Df1) for block column j (1 leader, 2 followers), into `out`
    /// (d1 x d_j), assuming `fused` has run (lambda, B and the LU are set)
    /// and `d12f1` holds D12 f1.
    fn leader_row_block<G: Game>(&mut self, g: &G, x: &[T], j: usize, out: &mut [T]) {
        let (d1, d2) = (self.d1, self.d2);
        let dj = if j == 1 { d1 } else { d2 };
        let lam = &self.lambda;
        let (d1j_f1, d1j_phi) = (&mut self.d1j_f1[..d1 * dj], &mut self.d1j_phi[..d1 * dj]);
        let (d2j_f1, d2j_phi) = (&mut self.d2j_f1[..d2 * dj], &mut self.d2j_phi[..d2 * dj]);
        if j == 1 {
            g.d11f1(x, d1j_f1);
            g.d11phi(x, lam, d1j_phi);
            // D21 f1 = (D12 f1)^T
            for a in 0..d2 {
                for c in 0..d1 {
                    d2j_f1[a * d1 + c] = self.d12f1[c * d2 + a];
                }
            }
            g.d21phi(x, lam, d2j_phi);
        } else {
            d1j_f1.copy_from_slice(&self.d12f1);
            g.d12phi(x, lam, d1j_phi);
            g.d22f1(x, d2j_f1);
            g.d22phi(x, lam, d2j_phi);
        }
        // M = D2j f1 - D2j phi; Y = H^-T M
        let m = &mut self.m[..d2 * dj];
        for ((mm, a), b) in m.iter_mut().zip(d2j_f1.iter()).zip(d2j_phi.iter()) {
            *mm = *a - *b;
        }
        for c in 0..dj {
            for i in 0..d2 {
                self.tmp[i] = m[i * dj + c];
            }
            self.lu.solve_transpose(&mut self.tmp[..d2]);
            for i in 0..d2 {
                m[i * dj + c] = self.tmp[i];
            }
        }
        // B^T Y (d1 x dj)
        let bty = &mut self.bty[..d1 * dj];
        for v in bty.iter_mut() {
            *v = T::zero();
        }
        for a in 0..d2 {
            for r in 0..d1 {
                let bar = self.b[a * d1 + r];
                if bar != T::zero() {
                    for c in 0..dj {
                        bty[r * dj + c] += bar * m[a * dj + c];
                    }
                }
            }
        }
        for k in 0..d1 * dj {
            out[k] = d1j_f1[k] - d1j_phi[k] - bty[k];
        }
    }

    /// J_S = [[D1(Df1), D2(Df1)], [D21 f2, D22 f2]] ((d1 + d2)^2, row-major).
    pub fn stackelberg_jacobian<G: Game>(
        &mut self,
        g: &G,
        x: &[T],
        eta: T,
        out: &mut [T],
    ) -> Result<(), Singular> {
        let (d1, d2) = (self.d1, self.d2);
        let n = d1 + d2;
        self.fused(g, x, eta)?;
        self.leader_row(g, x);
        for i in 0..d1 {
            out[i * n..i * n + d1].copy_from_slice(&self.row1[i * d1..(i + 1) * d1]);
            out[i * n + d1..(i + 1) * n].copy_from_slice(&self.row2[i * d2..(i + 1) * d2]);
        }
        // second block row: exact B and D22 f2 (no eta)
        g.d22f2(x, &mut self.h);
        for i in 0..d2 {
            let r = (d1 + i) * n;
            out[r..r + d1].copy_from_slice(&self.b[i * d1..(i + 1) * d1]);
            out[r + d1..r + n].copy_from_slice(&self.h[i * d2..(i + 1) * d2]);
        }
        Ok(())
    }

    /// The leader's Stackelberg Hessian D1(Df1) + D2(Df1) Dr (d1 x d1); in a
    /// zero-sum game the Schur complement D11 f - D12 f (D22 f)^-1 D21 f.
    pub fn stackelberg_hessian<G: Game>(
        &mut self,
        g: &G,
        x: &[T],
        eta: T,
        out: &mut [T],
    ) -> Result<(), Singular> {
        let (d1, d2) = (self.d1, self.d2);
        self.fused(g, x, eta)?;
        self.leader_row(g, x);
        // Dr = -H^-1 B (the LU is still of H + eta I)
        for (r, b) in self.dr.iter_mut().zip(&self.b) {
            *r = -*b;
        }
        self.lu.solve_columns(&mut self.dr, d1, &mut self.tmp);
        matmul(&self.row2, &self.dr, d1, d2, d1, out);
        for (o, a) in out[..d1 * d1].iter_mut().zip(&self.row1) {
            *o += *a;
        }
        Ok(())
    }

    /// The last lambda = H^-T D2 f1 computed (len d2).
    pub fn lambda(&self) -> &[T] {
        &self.lambda
    }
}
