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
//! The follower solve and Df1 are [`crate::field`]'s, with the LU kept here
//! for the Jacobians' further solves.

use crate::field::{follower_solve, leader_gradient_from_lambda};
use crate::game::{Game, SecondOrderParts, StackelbergParts};
use crate::linalg::{matmul, Lu, Singular};
use crate::real::Float;

/// Reusable buffers for composing blocks of one game (allocate once per
/// thread, then every call is allocation-free).
///
/// With H = D22 f2 + eta I and B = D21 f2 (outputs row-major; every method
/// returns `Result<(), Singular>`, `Err` when H is numerically singular):
///
/// | method | computes |
/// |---|---|
/// | [`jacobian`](Self::jacobian) | J = [[D11 f1, D12 f1], [B, D22 f2]] (never fails) |
/// | [`implicit_map_jacobian`](Self::implicit_map_jacobian) | Dr = -H^-1 B |
/// | [`total_leader_gradient`](Self::total_leader_gradient) | Df1 = D1 f1 - B^T H^-T D2 f1 |
/// | [`omega_s`](Self::omega_s) | omega_S = (Df1, D2 f2) |
/// | [`stackelberg_jacobian`](Self::stackelberg_jacobian) | J_S = [[D1(Df1), D2(Df1)], [B, D22 f2]], D_j(Df1) = D1j f1 - D1j phi - B^T H^-T (D2j f1 - D2j phi), phi = lambda^T D2 f2, lambda = H^-T D2 f1 |
/// | [`stackelberg_hessian`](Self::stackelberg_hessian) | D1(Df1) + D2(Df1) Dr (zero-sum: D11 f - D12 f (D22 f)^-1 D21 f) |
///
/// ```
/// use stackel_runtime::blocks::Workspace;
/// use stackel_testkit::games::Duopoly; // the README's duopoly, written with stackel_game!
///
/// let g = Duopoly::default();
/// let mut ws = Workspace::<f64>::new(&g);
/// let x = [46.0, 26.0]; // the Stackelberg point: q1 = (a - 2 c1 + c2) / 2, q2 = r(q1)
/// let (mut j, mut dr, mut h) = ([0.0; 4], [0.0], [0.0]);
/// ws.jacobian(&g, &x, &mut j).unwrap();
/// assert_eq!(j, [2.0, 1.0, 1.0, 2.0]);
/// ws.implicit_map_jacobian(&g, &x, 0.0, &mut dr).unwrap(); // r(q1) = (98 - q1) / 2
/// assert_eq!(dr, [-0.5]);
/// ws.stackelberg_hessian(&g, &x, 0.0, &mut h).unwrap();
/// assert!((h[0] - 1.0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct Workspace<T> {
    d1: usize,
    d2: usize,
    pub(crate) d1f1: Vec<T>,
    pub(crate) d2f2: Vec<T>,
    pub(crate) h: Vec<T>,
    pub(crate) b: Vec<T>,
    pub(crate) lambda: Vec<T>,
    lu: Lu<T>,
    tmp: Vec<T>,
    // second-order blocks (from `Game::second_order_parts`) and scratch
    m: Vec<T>,
    d11f1: Vec<T>,
    d12f1: Vec<T>,
    d22f1: Vec<T>,
    h_exact: Vec<T>,
    b_exact: Vec<T>,
    phi11: Vec<T>,
    phi12: Vec<T>,
    phi21: Vec<T>,
    phi22: Vec<T>,
    // the two block columns of the leader's row of J_S, and Dr
    row1: Vec<T>,
    row2: Vec<T>,
    dr: Vec<T>,
}

impl<T: Float> Workspace<T> {
    /// Buffers sized for game `G`.
    pub fn new<G: Game>(g: &G) -> Self {
        let (d1, d2) = (g.d1(), g.d2());
        let dm = d1.max(d2).max(g.np()).max(1);
        Workspace {
            d1,
            d2,
            d1f1: vec![T::zero(); d1],
            d2f2: vec![T::zero(); d2],
            h: vec![T::zero(); d2 * d2],
            b: vec![T::zero(); d2 * d1],
            lambda: vec![T::zero(); d2],
            lu: Lu::new(d2),
            tmp: vec![T::zero(); d2.max(d1)],
            m: vec![T::zero(); d2 * dm],
            d11f1: vec![T::zero(); d1 * d1],
            d12f1: vec![T::zero(); d1 * d2],
            d22f1: vec![T::zero(); d2 * d2],
            h_exact: vec![T::zero(); d2 * d2],
            b_exact: vec![T::zero(); d2 * d1],
            phi11: vec![T::zero(); d1 * d1],
            phi12: vec![T::zero(); d1 * d2],
            phi21: vec![T::zero(); d2 * d1],
            phi22: vec![T::zero(); d2 * d2],
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

    /// lambda = H^-T D2 f1 from the fused parts; leaves D1 f1, D2 f2, H
    /// (with eta), B and the LU of H in the workspace.
    fn fused<G: Game>(&mut self, g: &G, x: &[T], eta: T) -> Result<(), Singular> {
        let mut d2f2 = std::mem::take(&mut self.d2f2);
        let r = self.fused_into(g, x, eta, &mut d2f2);
        self.d2f2 = d2f2;
        r
    }

    /// [`Workspace::fused`] with D2 f2 written to `d2f2`; D2 f1 is written
    /// straight into `lambda` and solved in place.
    fn fused_into<G: Game>(
        &mut self,
        g: &G,
        x: &[T],
        eta: T,
        d2f2: &mut [T],
    ) -> Result<(), Singular> {
        g.stackelberg_parts(
            x,
            StackelbergParts {
                d1f1: &mut self.d1f1,
                d2f1: &mut self.lambda,
                d2f2,
                d22f2: &mut self.h,
                d21f2: &mut self.b,
            },
        );
        // LU even for d2 = 1 (`CLOSED = 0`): the Jacobians reuse the factors.
        follower_solve::<T, 0>(&mut self.h, eta, &mut self.lambda, Some(&mut self.lu))
    }

    /// Df1 = D1 f1 - B^T lambda into `out`, after `fused`.
    fn leader_gradient_from_fused(&self, out: &mut [T]) {
        leader_gradient_from_lambda(&self.d1f1, &self.b, &self.lambda, &mut out[..self.d1]);
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
        self.leader_gradient_from_fused(out);
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
        let (o1, o2) = out.split_at_mut(self.d1);
        self.fused_into(g, x, eta, &mut o2[..self.d2])?;
        self.leader_gradient_from_fused(o1);
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
        self.implicit_map_from_fused(out);
        Ok(())
    }

    /// Dr = -H^-1 B (d2 x d1) into `out`, after `fused` (the LU is of H + eta I).
    fn implicit_map_from_fused(&mut self, out: &mut [T]) {
        for (o, b) in out.iter_mut().zip(&self.b) {
            *o = -*b;
        }
        self.lu.solve_columns(out, self.d1, &mut self.tmp);
    }

    /// J = [[D11 f1, D12 f1], [D21 f2, D22 f2]] ((d1 + d2)^2, row-major).
    ///
    /// J inverts nothing, so this never fails; it returns `Result` like its
    /// siblings so that callers treat every block the same way (`?`).
    pub fn jacobian<G: Game>(&mut self, g: &G, x: &[T], out: &mut [T]) -> Result<(), Singular> {
        g.d11f1(x, &mut self.d11f1);
        g.d12f1(x, &mut self.d12f1);
        g.d21f2(x, &mut self.b_exact);
        g.d22f2(x, &mut self.h_exact);
        let blocks = [&self.d11f1, &self.d12f1, &self.b_exact, &self.h_exact];
        assemble(self.d1, self.d2, blocks, out);
        Ok(())
    }

    /// Both block columns of the leader's row of J_S, D1(Df1) into `row1`
    /// (d1 x d1) and D2(Df1) into `row2` (d1 x d2), assuming `fused` has run
    /// (lambda, B and the LU of H + eta I are set). Every second-order block
    /// comes from one fused call; the exact D22 f2 lands in `h_exact`.
    fn leader_row<G: Game>(&mut self, g: &G, x: &[T]) {
        let (d1, d2) = (self.d1, self.d2);
        g.second_order_parts(
            x,
            &self.lambda,
            SecondOrderParts {
                d11f1: &mut self.d11f1,
                d12f1: &mut self.d12f1,
                d22f1: &mut self.d22f1,
                d22f2: &mut self.h_exact,
                d21f2: &mut self.b_exact,
                d11phi: &mut self.phi11,
                d12phi: &mut self.phi12,
                d21phi: &mut self.phi21,
                d22phi: &mut self.phi22,
            },
        );
        // j = 1: D11 f1 - D11 phi - B^T H^-T (D21 f1 - D21 phi), D21 f1 = D12 f1^T.
        for a in 0..d2 {
            for c in 0..d1 {
                self.m[a * d1 + c] = self.d12f1[c * d2 + a] - self.phi21[a * d1 + c];
            }
        }
        let mut row = std::mem::take(&mut self.row1);
        self.finish_row_block(d1, &mut row);
        for ((o, f), p) in row.iter_mut().zip(&self.d11f1).zip(&self.phi11) {
            *o = *f - *p - *o;
        }
        self.row1 = row;
        // j = 2: D12 f1 - D12 phi - B^T H^-T (D22 f1 - D22 phi).
        for ((mm, f), p) in self.m[..d2 * d2]
            .iter_mut()
            .zip(&self.d22f1)
            .zip(&self.phi22)
        {
            *mm = *f - *p;
        }
        let mut row = std::mem::take(&mut self.row2);
        self.finish_row_block(d2, &mut row);
        for ((o, f), p) in row.iter_mut().zip(&self.d12f1).zip(&self.phi12) {
            *o = *f - *p - *o;
        }
        self.row2 = row;
    }

    /// With M = D2j f1 - D2j phi (d2 x dj) in `m`: writes B^T H^-T M
    /// (d1 x dj) into `out`.
    fn finish_row_block(&mut self, dj: usize, out: &mut [T]) {
        let (d1, d2) = (self.d1, self.d2);
        let m = &mut self.m[..d2 * dj];
        for c in 0..dj {
            for i in 0..d2 {
                self.tmp[i] = m[i * dj + c];
            }
            self.lu.solve_transpose(&mut self.tmp[..d2]);
            for i in 0..d2 {
                m[i * dj + c] = self.tmp[i];
            }
        }
        let out = &mut out[..d1 * dj];
        out.fill(T::zero());
        for a in 0..d2 {
            for r in 0..d1 {
                let bar = self.b[a * d1 + r];
                if bar != T::zero() {
                    for c in 0..dj {
                        out[r * dj + c] += bar * m[a * dj + c];
                    }
                }
            }
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
        self.fused(g, x, eta)?;
        self.leader_row(g, x);
        // second block row: exact B and D22 f2 (no eta)
        let blocks = [&self.row1, &self.row2, &self.b, &self.h_exact];
        assemble(self.d1, self.d2, blocks, out);
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
        let mut dr = std::mem::take(&mut self.dr);
        self.implicit_map_from_fused(&mut dr);
        self.dr = dr;
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

/// The block matrix [[a, b], [c, d]] ((d1 + d2)^2, row-major) from its
/// row-major blocks a (d1 x d1), b (d1 x d2), c (d2 x d1), d (d2 x d2).
fn assemble<T: Float>(d1: usize, d2: usize, [a, b, c, d]: [&Vec<T>; 4], out: &mut [T]) {
    let n = d1 + d2;
    for i in 0..d1 {
        out[i * n..i * n + d1].copy_from_slice(&a[i * d1..(i + 1) * d1]);
        out[i * n + d1..(i + 1) * n].copy_from_slice(&b[i * d2..(i + 1) * d2]);
    }
    for i in 0..d2 {
        let r = (d1 + i) * n;
        out[r..r + d1].copy_from_slice(&c[i * d1..(i + 1) * d1]);
        out[r + d1..r + n].copy_from_slice(&d[i * d2..(i + 1) * d2]);
    }
}
