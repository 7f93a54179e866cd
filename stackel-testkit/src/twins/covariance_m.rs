//! The hand-written covariance game at any m, in closed matrix form, with
//! its operators (Hessian- and Jacobian-vector products) in closed form.

// Index loops over matrices read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use stackel_runtime::game::{BlockFormula, Game, GameInfo, ParamInfo, PlayerInfo};
use stackel_runtime::real::Real;

/// Covariance estimation with a quadratic discriminator (paper 4.3,
/// example 1; design.md "Covariance WGAN") for any m: leader V, follower W
/// (m x m, row-major), f = sum_ij W_ij (Sigma_ij - (V V^T)_ij), f1 = f,
/// f2 = -f + eta/2 |W|_F^2. Params flatten as (Sigma row-major, eta), the
/// order of `covariance_game!`. The dimension m is the const parameter `M`
/// (the `Game` trait's dimensions are associated constants).
///
/// Closed forms (matrices m x m, L the multiplier, (U, Z) a direction):
///
/// - D_V f1 = -(W + W^T) V, D_W f1 = Sigma - V V^T, D_W f2 = V V^T - Sigma + eta W;
/// - D11 f1 [(c,d),(e,f)] = -(W + W^T)_ce d_df, so D11 f1 U = -(W + W^T) U;
/// - D12 f1 Z = -(Z + Z^T) V, D21 f1 U = -(U V^T + V U^T), D22 f1 = 0;
/// - H = D22 f2 = eta I: H w = H^T w = eta w;
/// - B = D21 f2, B[(a,b),(c,d)] = d_ac V_bd + d_bc V_ad: B U = U V^T + V U^T,
///   B^T L = (L + L^T) V;
/// - phi = <L, D_W f2>: D11 phi U = (L + L^T) U, the other phi blocks 0.
///
/// Its Stackelberg equilibria: V V^T = Sigma, W = 0 (for Sigma positive
/// definite), where D_V f1 = 0, D_W f2 = 0.
#[derive(Clone, Debug, PartialEq)]
pub struct CovarianceM<const M: usize> {
    /// Target covariance Sigma (m x m row-major, symmetric).
    pub sigma: Vec<f64>,
    /// Follower's regularisation eta in f2 = -f1 + eta/2 |W|^2.
    pub eta: f64,
}

impl<const M: usize> Default for CovarianceM<M> {
    /// Sigma = I, eta = 0.6 (the macro game's default).
    fn default() -> Self {
        let mut sigma = vec![0.0; M * M];
        for a in 0..M {
            sigma[a * M + a] = 1.0;
        }
        CovarianceM { sigma, eta: 0.6 }
    }
}

impl<const M: usize> CovarianceM<M> {
    const SHAPE: &'static [usize] = &[M, M];
    const INFO: &'static GameInfo = &GameInfo {
        name: "CovarianceM",
        leader: PlayerInfo {
            name: "v",
            shape: Self::SHAPE,
            offset: 0,
            dim: M * M,
            angle: false,
            level: 0,
            parts: &[],
        },
        followers: &[PlayerInfo {
            name: "w",
            shape: Self::SHAPE,
            offset: M * M,
            dim: M * M,
            angle: false,
            level: 1,
            parts: &[],
        }],
        params: &[
            ParamInfo {
                name: "sigma",
                shape: Self::SHAPE,
                offset: 0,
                len: M * M,
            },
            ParamInfo {
                name: "eta",
                shape: &[],
                offset: M * M,
                len: 1,
            },
        ],
        zero_sum: false,
        form: stackel_runtime::Form::Unrolled,
        data: &[],
    };

    /// The game with target covariance `sigma` (m x m row-major) and `eta`.
    pub fn new(sigma: Vec<f64>, eta: f64) -> Self {
        assert_eq!(sigma.len(), M * M, "sigma must be m x m");
        CovarianceM { sigma, eta }
    }

    /// (V V^T)_ab.
    #[inline(always)]
    fn vvt<T: Real>(v: &[T], a: usize, b: usize) -> T {
        let mut s = T::zero();
        for k in 0..M {
            s += v[a * M + k] * v[b * M + k];
        }
        s
    }

    /// out = s (A + A^T) C, all m x m row-major.
    #[inline(always)]
    fn sym_times<T: Real>(a: &[T], c: &[T], s: T, out: &mut [T]) {
        for r in 0..M {
            for q in 0..M {
                let mut acc = T::zero();
                for j in 0..M {
                    acc += (a[r * M + j] + a[j * M + r]) * c[j * M + q];
                }
                out[r * M + q] = s * acc;
            }
        }
    }

    /// out = s (U V^T + V U^T).
    #[inline(always)]
    fn sym_outer<T: Real>(u: &[T], v: &[T], s: T, out: &mut [T]) {
        for a in 0..M {
            for b in 0..M {
                let mut acc = T::zero();
                for k in 0..M {
                    acc += u[a * M + k] * v[b * M + k] + v[a * M + k] * u[b * M + k];
                }
                out[a * M + b] = s * acc;
            }
        }
    }

    /// f = sum_ij W_ij (Sigma_ij - (V V^T)_ij).
    fn f<T: Real>(&self, x: &[T]) -> T {
        let (v, w) = (&x[..M * M], &x[M * M..2 * M * M]);
        let mut s = T::zero();
        for a in 0..M {
            for b in 0..M {
                s += w[a * M + b] * (T::of(self.sigma[a * M + b]) - Self::vvt(v, a, b));
            }
        }
        s
    }

    /// The flat index (a, b) -> a m + b, for block entries.
    #[inline(always)]
    fn ix(a: usize, b: usize) -> usize {
        a * M + b
    }
}

impl<const M: usize> CovarianceM<M> {
    /// Leader dimension d1 = m^2.
    pub const D1: usize = M * M;
    /// Follower dimension d2 = m^2.
    pub const D2: usize = M * M;
    /// Full state dimension 2 m^2.
    pub const N: usize = 2 * M * M;
    /// Flat params: sigma (m^2) and the regularisation.
    pub const NP: usize = M * M + 1;
}

impl<const M: usize> Game for CovarianceM<M> {
    #[inline]
    fn d1(&self) -> usize {
        M * M
    }
    #[inline]
    fn d2(&self) -> usize {
        M * M
    }
    #[inline]
    fn np(&self) -> usize {
        M * M + 1
    }

    fn info(&self) -> &'static GameInfo {
        Self::INFO
    }
    fn params(&self, out: &mut [f64]) {
        out[..M * M].copy_from_slice(&self.sigma);
        out[M * M] = self.eta;
    }
    fn set_params(&mut self, p: &[f64]) {
        self.sigma.copy_from_slice(&p[..M * M]);
        self.eta = p[M * M];
    }
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        self.f(x)
    }
    fn follower_cost<T: Real>(&self, _i: usize, x: &[T]) -> T {
        let w = &x[M * M..2 * M * M];
        let mut n2 = T::zero();
        for v in w {
            n2 += *v * *v;
        }
        -self.f(x) + T::of(self.eta / 2.0) * n2
    }
    /// D_V f1 = -(W + W^T) V.
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (v, w) = x[..2 * M * M].split_at(M * M);
        Self::sym_times(w, v, -T::one(), out);
    }
    /// D_W f1 = Sigma - V V^T.
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let v = &x[..M * M];
        for a in 0..M {
            for b in 0..M {
                out[a * M + b] = T::of(self.sigma[a * M + b]) - Self::vvt(v, a, b);
            }
        }
    }
    /// D_W f2 = V V^T - Sigma + eta W.
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (v, w) = x[..2 * M * M].split_at(M * M);
        let eta = T::of(self.eta);
        for a in 0..M {
            for b in 0..M {
                out[a * M + b] =
                    Self::vvt(v, a, b) - T::of(self.sigma[a * M + b]) + eta * w[a * M + b];
            }
        }
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (o1, o2) = out.split_at_mut(M * M);
        self.d1f1(x, o1);
        self.d2f2(x, o2);
    }
    /// D11 f1 [(c,d),(e,f)] = -(W + W^T)_ce d_df.
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d, w) = (M * M, &x[M * M..2 * M * M]);
        out[..d * d].fill(T::zero());
        for c in 0..M {
            for e in 0..M {
                let s = -(w[c * M + e] + w[e * M + c]);
                for q in 0..M {
                    out[Self::ix(c, q) * d + Self::ix(e, q)] = s;
                }
            }
        }
    }
    /// D12 f1 [(c,d),(a,b)] = -(d_ca V_bd + d_cb V_ad).
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d, v) = (M * M, &x[..M * M]);
        out[..d * d].fill(T::zero());
        for c in 0..M {
            for q in 0..M {
                for b in 0..M {
                    out[Self::ix(c, q) * d + Self::ix(c, b)] -= v[b * M + q];
                    out[Self::ix(c, q) * d + Self::ix(b, c)] -= v[b * M + q];
                }
            }
        }
    }
    fn d22f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..M * M * M * M].fill(T::zero());
    }
    /// H = eta I.
    fn d22f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        let d = M * M;
        out[..d * d].fill(T::zero());
        for k in 0..d {
            out[k * d + k] = T::of(self.eta);
        }
    }
    /// B[(a,b),(c,d)] = d_ac V_bd + d_bc V_ad.
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (d, v) = (M * M, &x[..M * M]);
        out[..d * d].fill(T::zero());
        for a in 0..M {
            for b in 0..M {
                for q in 0..M {
                    out[Self::ix(a, b) * d + Self::ix(a, q)] += v[b * M + q];
                    out[Self::ix(a, b) * d + Self::ix(b, q)] += v[a * M + q];
                }
            }
        }
    }
    /// D11 phi [(c,d),(e,f)] = (L + L^T)_ce d_df.
    fn d11phi<T: Real>(&self, _x: &[T], l: &[T], out: &mut [T]) {
        let d = M * M;
        out[..d * d].fill(T::zero());
        for c in 0..M {
            for e in 0..M {
                let s = l[c * M + e] + l[e * M + c];
                for q in 0..M {
                    out[Self::ix(c, q) * d + Self::ix(e, q)] = s;
                }
            }
        }
    }
    fn d12phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..M * M * M * M].fill(T::zero());
    }
    fn d21phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..M * M * M * M].fill(T::zero());
    }
    fn d22phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..M * M * M * M].fill(T::zero());
    }

    /// H w = eta w.
    fn d22f2_mul<T: Real>(&self, _x: &[T], w: &[T], out: &mut [T]) {
        let eta = T::of(self.eta);
        for (o, wi) in out[..M * M].iter_mut().zip(w) {
            *o = eta * *wi;
        }
    }
    /// H^T v = eta v.
    fn d22f2_tmul<T: Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
        self.d22f2_mul(x, v, out);
    }
    /// B U = U V^T + V U^T.
    fn d21f2_mul<T: Real>(&self, x: &[T], u: &[T], out: &mut [T]) {
        Self::sym_outer(u, &x[..M * M], T::one(), out);
    }
    /// B^T L = (L + L^T) V.
    fn d21f2_tmul<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        Self::sym_times(l, &x[..M * M], T::one(), out);
    }
    /// (D^2 f1)(U, Z) = (-(W + W^T) U - (Z + Z^T) V, -(U V^T + V U^T)).
    fn f1_hvp<T: Real>(&self, x: &[T], dir: &[T], out: &mut [T]) {
        let d = M * M;
        let (v, w) = x[..2 * d].split_at(d);
        let (u, z) = dir[..2 * d].split_at(d);
        let (top, bottom) = out[..2 * d].split_at_mut(d);
        Self::sym_times(w, u, -T::one(), top);
        Self::sym_times(z, v, -T::one(), bottom);
        for (t, b) in top.iter_mut().zip(bottom.iter()) {
            *t += *b;
        }
        Self::sym_outer(u, v, -T::one(), bottom);
    }
    /// (D^2 phi)(U, Z) = ((L + L^T) U, 0).
    fn phi_hvp<T: Real>(&self, _x: &[T], l: &[T], dir: &[T], out: &mut [T]) {
        let d = M * M;
        let (top, bottom) = out[..2 * d].split_at_mut(d);
        Self::sym_times(l, &dir[..d], T::one(), top);
        bottom.fill(T::zero());
    }

    fn d1p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..M * M * self.np()].fill(T::zero());
    }
    /// d(Sigma - V V^T)_ab / dSigma_cd = d_(ab),(cd); 0 for eta.
    fn d2p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        let np = self.np();
        out[..M * M * np].fill(T::zero());
        for k in 0..M * M {
            out[k * np + k] = T::one();
        }
    }
    /// -d_(ab),(cd) for Sigma, W_ab for eta.
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (np, d) = (self.np(), M * M);
        out[..d * np].fill(T::zero());
        for k in 0..d {
            out[k * np + k] = -T::one();
            out[k * np + d] = x[d + k];
        }
    }
    fn d1p_phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..M * M * self.np()].fill(T::zero());
    }
    /// D_W phi = eta L: the eta column is L.
    fn d2p_phi<T: Real>(&self, _x: &[T], l: &[T], out: &mut [T]) {
        let (np, d) = (self.np(), M * M);
        out[..d * np].fill(T::zero());
        for k in 0..d {
            out[k * np + d] = l[k];
        }
    }
    fn formulas(&self) -> Vec<BlockFormula> {
        vec![BlockFormula {
            block: "f1",
            shape: vec![],
            entries: vec!["f1 = sum(i, j) w[i,j]*(sigma[i,j] - sum(k) v[i,k]*v[j,k])".into()],
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check_against_finite_differences, points};
    use super::*;
    use crate::games::Covariance3 as MacroCovariance3;

    /// A game with a random symmetric sigma and eta = 0.45.
    fn random_game<const M: usize>(p: &[f64]) -> CovarianceM<M> {
        let mut sigma = vec![0.0; M * M];
        for a in 0..M {
            for b in 0..M {
                sigma[a * M + b] = 0.5 * (p[a * M + b] + p[b * M + a]);
            }
        }
        CovarianceM::new(sigma, 0.45)
    }

    fn block<G: Game>(g: &G, f: fn(&G, &[f64], &mut [f64]), x: &[f64], len: usize) -> Vec<f64> {
        let mut o = vec![0.0; len];
        f(g, x, &mut o);
        o
    }

    /// out = A v for a row-major r x c block.
    fn dense_mul(a: &[f64], r: usize, c: usize, v: &[f64], transpose: bool) -> Vec<f64> {
        if transpose {
            (0..c)
                .map(|j| (0..r).map(|i| a[i * c + j] * v[i]).sum())
                .collect()
        } else {
            (0..r)
                .map(|i| (0..c).map(|j| a[i * c + j] * v[j]).sum())
                .collect()
        }
    }

    fn close(what: &str, got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= tol * (1.0 + w.abs()),
                "{what}[{k}]: {g} vs {w}"
            );
        }
    }

    /// The six closed-form operators equal the products with the dense
    /// blocks (themselves checked against finite differences).
    fn check_operators_against_blocks<const M: usize>(g: &CovarianceM<M>, p: &[f64]) {
        let d = M * M;
        let n = 2 * d;
        let (x, l, u) = (&p[..n], &p[n..n + d], &p[n + d..n + 3 * d]);
        let h = block(g, CovarianceM::<M>::d22f2, x, d * d);
        let b = block(g, CovarianceM::<M>::d21f2, x, d * d);
        let mut o = vec![0.0; d];
        g.d22f2_mul(x, l, &mut o);
        close("H w", &o, &dense_mul(&h, d, d, l, false), 1e-12);
        g.d22f2_tmul(x, l, &mut o);
        close("H^T v", &o, &dense_mul(&h, d, d, l, true), 1e-12);
        g.d21f2_mul(x, &u[..d], &mut o);
        close("B u", &o, &dense_mul(&b, d, d, &u[..d], false), 1e-12);
        g.d21f2_tmul(x, l, &mut o);
        close("B^T v", &o, &dense_mul(&b, d, d, l, true), 1e-12);

        let mut hv = vec![0.0; n];
        g.f1_hvp(x, u, &mut hv);
        let a11 = block(g, CovarianceM::<M>::d11f1, x, d * d);
        let a12 = block(g, CovarianceM::<M>::d12f1, x, d * d);
        let a22 = block(g, CovarianceM::<M>::d22f1, x, d * d);
        let (uu, zz) = u.split_at(d);
        let top: Vec<f64> = dense_mul(&a11, d, d, uu, false)
            .iter()
            .zip(dense_mul(&a12, d, d, zz, false))
            .map(|(a, b)| a + b)
            .collect();
        let bottom: Vec<f64> = dense_mul(&a12, d, d, uu, true)
            .iter()
            .zip(dense_mul(&a22, d, d, zz, false))
            .map(|(a, b)| a + b)
            .collect();
        close("f1_hvp top", &hv[..d], &top, 1e-12);
        close("f1_hvp bottom", &hv[d..], &bottom, 1e-12);

        g.phi_hvp(x, l, u, &mut hv);
        let mut p11 = vec![0.0; d * d];
        g.d11phi(x, l, &mut p11);
        let mut p12 = vec![0.0; d * d];
        g.d12phi(x, l, &mut p12);
        let mut p21 = vec![0.0; d * d];
        g.d21phi(x, l, &mut p21);
        let mut p22 = vec![0.0; d * d];
        g.d22phi(x, l, &mut p22);
        let top: Vec<f64> = dense_mul(&p11, d, d, uu, false)
            .iter()
            .zip(dense_mul(&p12, d, d, zz, false))
            .map(|(a, b)| a + b)
            .collect();
        let bottom: Vec<f64> = dense_mul(&p21, d, d, uu, false)
            .iter()
            .zip(dense_mul(&p22, d, d, zz, false))
            .map(|(a, b)| a + b)
            .collect();
        close("phi_hvp top", &hv[..d], &top, 1e-12);
        close("phi_hvp bottom", &hv[d..], &bottom, 1e-12);

        // and against directional finite differences of the gradients
        let eps = 1e-6;
        let shifted = |s: f64| -> Vec<f64> { x.iter().zip(u).map(|(a, b)| a + s * b).collect() };
        let (xp, xm) = (shifted(eps), shifted(-eps));
        let fd = |f: &dyn Fn(&[f64]) -> Vec<f64>| -> Vec<f64> {
            f(&xp)
                .iter()
                .zip(f(&xm))
                .map(|(a, b)| (a - b) / (2.0 * eps))
                .collect()
        };
        let grad_f1 = |y: &[f64]| {
            let mut o = vec![0.0; n];
            g.d1f1(y, &mut o[..d]);
            g.d2f1(y, &mut o[d..]);
            o
        };
        g.f1_hvp(x, u, &mut hv);
        close("f1_hvp (finite differences)", &hv, &fd(&grad_f1), 1e-6);
        // the direction (u, 0): D_x2 omega_F w and D_x1 omega_F u
        let omega_f = |y: &[f64]| {
            let mut o = vec![0.0; d];
            g.d2f2(y, &mut o);
            o
        };
        let mut hw = vec![0.0; d];
        let mut bu = vec![0.0; d];
        g.d22f2_mul(x, zz, &mut hw);
        g.d21f2_mul(x, uu, &mut bu);
        let sum: Vec<f64> = hw.iter().zip(&bu).map(|(a, b)| a + b).collect();
        close("H w + B u (finite differences)", &sum, &fd(&omega_f), 1e-6);
    }

    #[test]
    fn covariance_m_matches_finite_differences_and_its_operators_match_its_blocks() {
        for (k, p) in points(4 * 4 + 2 * 4, 3).into_iter().enumerate() {
            let mut g = random_game::<2>(&p[12..]);
            g.eta = 0.2 + 0.3 * k as f64;
            check_against_finite_differences(&g, &p[..8], &p[8..12]);
        }
        for p in points(9 * 6, 3) {
            let g = random_game::<3>(&p[45..]);
            check_against_finite_differences(&g, &p[..18], &p[18..27]);
            check_operators_against_blocks(&g, &p);
        }
        for p in points(25 * 5, 2) {
            check_operators_against_blocks(&random_game::<5>(&p[..25]), &p);
        }
    }

    /// At m = 3 every method equals the macro-generated `Covariance3`'s.
    #[test]
    fn covariance_m3_equals_the_macro_game() {
        type C = CovarianceM<3>;
        for p in points(18 + 9 + 18 + 9, 4) {
            let mut mg = MacroCovariance3::default();
            let g = random_game::<3>(&p[45..]);
            let mut params = vec![0.0; 10];
            g.params(&mut params);
            mg.set_params(&params);
            assert_eq!(C::NP, MacroCovariance3::NP);
            let (x, l, dir) = (&p[..18], &p[18..27], &p[27..45]);
            let t = 1e-12;
            close("f1", &[g.leader_cost(x)], &[mg.leader_cost(x)], t);
            close("f2", &[g.follower_cost(0, x)], &[mg.follower_cost(0, x)], t);
            type M = MacroCovariance3;
            type BC = fn(&C, &[f64], &mut [f64]);
            type BM = fn(&M, &[f64], &mut [f64]);
            let pairs: [(&str, BC, BM, usize); 16] = [
                ("D1f1", C::d1f1, M::d1f1, 9),
                ("D2f1", C::d2f1, M::d2f1, 9),
                ("D2f2", C::d2f2, M::d2f2, 9),
                ("omega", C::omega, M::omega, 18),
                ("D11f1", C::d11f1, M::d11f1, 81),
                ("D12f1", C::d12f1, M::d12f1, 81),
                ("D22f1", C::d22f1, M::d22f1, 81),
                ("D22f2", C::d22f2, M::d22f2, 81),
                ("D21f2", C::d21f2, M::d21f2, 81),
                ("D1p_f1", C::d1p_f1, M::d1p_f1, 90),
                ("D2p_f1", C::d2p_f1, M::d2p_f1, 90),
                ("D2p_f2", C::d2p_f2, M::d2p_f2, 90),
                (
                    "H w",
                    |g, x, o| g.d22f2_mul(x, &x[9..], o),
                    |g, x, o| g.d22f2_mul(x, &x[9..], o),
                    9,
                ),
                (
                    "H^T v",
                    |g, x, o| g.d22f2_tmul(x, &x[..9], o),
                    |g, x, o| g.d22f2_tmul(x, &x[..9], o),
                    9,
                ),
                (
                    "B u",
                    |g, x, o| g.d21f2_mul(x, &x[9..], o),
                    |g, x, o| g.d21f2_mul(x, &x[9..], o),
                    9,
                ),
                (
                    "B^T v",
                    |g, x, o| g.d21f2_tmul(x, &x[9..], o),
                    |g, x, o| g.d21f2_tmul(x, &x[9..], o),
                    9,
                ),
            ];
            for (name, a, b, len) in pairs {
                close(name, &block(&g, a, x, len), &block(&mg, b, x, len), t);
            }
            type LC = fn(&C, &[f64], &[f64], &mut [f64]);
            type LM = fn(&M, &[f64], &[f64], &mut [f64]);
            let with_l: [(&str, LC, LM, usize); 6] = [
                ("D11phi", C::d11phi, M::d11phi, 81),
                ("D12phi", C::d12phi, M::d12phi, 81),
                ("D21phi", C::d21phi, M::d21phi, 81),
                ("D22phi", C::d22phi, M::d22phi, 81),
                ("D1p_phi", C::d1p_phi, M::d1p_phi, 90),
                ("D2p_phi", C::d2p_phi, M::d2p_phi, 90),
            ];
            for (name, a, b, len) in with_l {
                let (mut o1, mut o2) = (vec![0.0; len], vec![0.0; len]);
                a(&g, x, l, &mut o1);
                b(&mg, x, l, &mut o2);
                close(name, &o1, &o2, t);
            }
            let (mut o1, mut o2) = (vec![0.0; 18], vec![0.0; 18]);
            g.f1_hvp(x, dir, &mut o1);
            mg.f1_hvp(x, dir, &mut o2);
            close("f1_hvp", &o1, &o2, t);
            g.phi_hvp(x, l, dir, &mut o1);
            mg.phi_hvp(x, l, dir, &mut o2);
            close("phi_hvp", &o1, &o2, t);
        }
    }
}
