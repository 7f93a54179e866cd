//! The hand-written covariance game at m = 3.

use stackel_runtime::game::{
    BlockFormula, Game, GameInfo, ParamInfo, PlayerInfo, StackelbergParts,
};
use stackel_runtime::real::Real;

use super::scalar_param;

/// Covariance estimation with a quadratic discriminator (paper 4.3,
/// example 1) at M = 3: leader V, follower W (3 x 3, row-major),
/// f = sum_ij W_ij (Sigma_ij - (V V^T)_ij), f1 = f, f2 = -f + eta/2 |W|^2.
///
/// D_V f1 = -(W + W^T) V, D_W f1 = Sigma - V V^T, D_W f2 = V V^T - Sigma + eta W,
/// H = eta I, B[(a,b),(c,d)] = d_ac V_bd + d_bc V_ad, D_V D_V phi = (L + L^T) (x) I.
/// Params flatten as (Sigma row-major, eta).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Covariance3 {
    /// Target covariance Sigma (3 x 3, symmetric).
    pub sigma: [[f64; 3]; 3],
    /// Follower's regularization eta in f2 = -f1 + eta/2 |W|^2.
    pub eta: f64,
}

impl Default for Covariance3 {
    /// Sigma = I, eta = m / 5 with m = 3.
    fn default() -> Self {
        Covariance3 {
            sigma: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            eta: 0.6,
        }
    }
}

const fn matrix_player(name: &'static str, offset: usize) -> PlayerInfo {
    PlayerInfo {
        name,
        shape: &[3, 3],
        offset,
        dim: 9,
        angle: false,
        level: if offset == 0 { 0 } else { 1 },
        parts: &[],
    }
}

static COVARIANCE3_INFO: GameInfo = GameInfo {
    name: "Covariance3",
    leader: matrix_player("v", 0),
    followers: &[matrix_player("w", 9)],
    params: &[
        ParamInfo {
            name: "sigma",
            shape: &[3, 3],
            offset: 0,
            len: 9,
        },
        scalar_param("eta", 9),
    ],
    zero_sum: false,
    form: stackel_runtime::Form::Unrolled,
    data: &[],
};

impl Covariance3 {
    /// (V V^T)_ab.
    #[inline(always)]
    fn vvt<T: Real>(v: &[T], a: usize, b: usize) -> T {
        v[a * 3] * v[b * 3] + v[a * 3 + 1] * v[b * 3 + 1] + v[a * 3 + 2] * v[b * 3 + 2]
    }
    /// f = sum_ij W_ij (Sigma_ij - (V V^T)_ij).
    fn f<T: Real>(&self, x: &[T]) -> T {
        let (v, w) = (&x[..9], &x[9..18]);
        let mut s = T::zero();
        for a in 0..3 {
            for b in 0..3 {
                s += w[a * 3 + b] * (T::of(self.sigma[a][b]) - Self::vvt(v, a, b));
            }
        }
        s
    }
    /// D_V f1 = -(W + W^T) V.
    #[inline(always)]
    fn leader_gradient<T: Real>(x: &[T], out: &mut [T]) {
        let (v, w) = (&x[..9], &x[9..18]);
        for a in 0..3 {
            for b in 0..3 {
                let mut s = T::zero();
                for j in 0..3 {
                    s += (w[a * 3 + j] + w[j * 3 + a]) * v[j * 3 + b];
                }
                out[a * 3 + b] = -s;
            }
        }
    }
    /// D_W f2 = V V^T - Sigma + eta W (and D_W f1 = -(D_W f2 - eta W)).
    #[inline(always)]
    fn follower_fields<T: Real>(&self, x: &[T], d2f1: Option<&mut [T]>, d2f2: &mut [T]) {
        let (v, w) = (&x[..9], &x[9..18]);
        let eta = T::of(self.eta);
        let mut g1 = [T::zero(); 9];
        for a in 0..3 {
            for b in 0..3 {
                let r = T::of(self.sigma[a][b]) - Self::vvt(v, a, b);
                g1[a * 3 + b] = r;
                d2f2[a * 3 + b] = eta * w[a * 3 + b] - r;
            }
        }
        if let Some(out) = d2f1 {
            out[..9].copy_from_slice(&g1);
        }
    }
    /// B[(a,b),(c,d)] = d_ac V_bd + d_bc V_ad.
    #[inline(always)]
    fn b_block<T: Real>(x: &[T], out: &mut [T]) {
        let v = &x[..9];
        out[..81].fill(T::zero());
        for a in 0..3 {
            for b in 0..3 {
                for d in 0..3 {
                    out[(a * 3 + b) * 9 + a * 3 + d] += v[b * 3 + d];
                    out[(a * 3 + b) * 9 + b * 3 + d] += v[a * 3 + d];
                }
            }
        }
    }
}

impl Game for Covariance3 {
    #[inline]
    fn d1(&self) -> usize {
        9
    }
    #[inline]
    fn d2(&self) -> usize {
        9
    }
    #[inline]
    fn np(&self) -> usize {
        10
    }

    fn info(&self) -> &'static GameInfo {
        &COVARIANCE3_INFO
    }
    fn params(&self, out: &mut [f64]) {
        for a in 0..3 {
            out[a * 3..a * 3 + 3].copy_from_slice(&self.sigma[a]);
        }
        out[9] = self.eta;
    }
    fn set_params(&mut self, p: &[f64]) {
        for a in 0..3 {
            self.sigma[a].copy_from_slice(&p[a * 3..a * 3 + 3]);
        }
        self.eta = p[9];
    }
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        self.f(x)
    }
    fn follower_cost<T: Real>(&self, _i: usize, x: &[T]) -> T {
        let w = &x[9..18];
        let mut sq = T::zero();
        for e in w {
            sq += *e * *e;
        }
        -self.f(x) + T::of(self.eta / 2.0) * sq
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        Self::leader_gradient(x, out);
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let v = &x[..9];
        for a in 0..3 {
            for b in 0..3 {
                out[a * 3 + b] = T::of(self.sigma[a][b]) - Self::vvt(v, a, b);
            }
        }
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.follower_fields(x, None, out);
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (a, b) = out.split_at_mut(9);
        Self::leader_gradient(x, a);
        self.follower_fields(x, None, b);
    }
    /// D11 f1[(a,b),(c,d)] = -(W + W^T)_ac d_bd.
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let w = &x[9..18];
        out[..81].fill(T::zero());
        for a in 0..3 {
            for c in 0..3 {
                let s = -(w[a * 3 + c] + w[c * 3 + a]);
                for b in 0..3 {
                    out[(a * 3 + b) * 9 + c * 3 + b] = s;
                }
            }
        }
    }
    /// D12 f1[(a,b),(c,d)] = -(d_ac V_db + d_ad V_cb).
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let v = &x[..9];
        out[..81].fill(T::zero());
        for a in 0..3 {
            for b in 0..3 {
                for d in 0..3 {
                    out[(a * 3 + b) * 9 + a * 3 + d] -= v[d * 3 + b];
                    out[(a * 3 + b) * 9 + d * 3 + a] -= v[d * 3 + b];
                }
            }
        }
    }
    fn d22f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
    }
    fn d22f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
        for k in 0..9 {
            out[k * 10] = T::of(self.eta);
        }
    }
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        Self::b_block(x, out);
    }
    fn stackelberg_parts<T: Real>(&self, x: &[T], out: StackelbergParts<'_, T>) {
        Self::leader_gradient(x, out.d1f1);
        self.follower_fields(x, Some(out.d2f1), out.d2f2);
        self.d22f2(x, out.d22f2);
        Self::b_block(x, out.d21f2);
    }
    /// D11 phi[(c,d),(e,f)] = (L + L^T)_ce d_df.
    fn d11phi<T: Real>(&self, _x: &[T], l: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
        for c in 0..3 {
            for e in 0..3 {
                let s = l[c * 3 + e] + l[e * 3 + c];
                for d in 0..3 {
                    out[(c * 3 + d) * 9 + e * 3 + d] = s;
                }
            }
        }
    }
    fn d12phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
    }
    fn d21phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
    }
    fn d22phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..81].fill(T::zero());
    }
    fn d1p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..90].fill(T::zero());
    }
    /// d(Sigma - V V^T)_ab / dSigma_cd = d_(ab),(cd).
    fn d2p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..90].fill(T::zero());
        for k in 0..9 {
            out[k * 10 + k] = T::one();
        }
    }
    /// -d_(ab),(cd) for Sigma, W_ab for eta.
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[..90].fill(T::zero());
        for k in 0..9 {
            out[k * 10 + k] = -T::one();
            out[k * 10 + 9] = x[9 + k];
        }
    }
    fn d1p_phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..90].fill(T::zero());
    }
    /// D2 phi = eta L: the eta column is L.
    fn d2p_phi<T: Real>(&self, _x: &[T], l: &[T], out: &mut [T]) {
        out[..90].fill(T::zero());
        for k in 0..9 {
            out[k * 10 + 9] = l[k];
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
