//! Shared helpers of the `eq_*` tests: a seeded generator, random games
//! (hand-written quadratics and non-quadratic [`DualGame`]s), finite
//! differences.
//!
//! Why one file of ~700 lines: it is a library of independent test
//! fixtures (each game or helper stands alone) included by every `eq_*`
//! test binary through one `mod eq_support;`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Mutex;

use stackel_runtime::autodiff::Costs;
use stackel_runtime::{BlockFormula, Game, GameInfo, ParamInfo, PlayerInfo, Real};

/// splitmix64: a small seeded generator for reproducible random games.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
    /// Uniform integer in lo..=hi.
    pub fn int(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }
}

/// `&'static GameInfo` for a leader of dim `d1`, one follower of dim `d2`
/// and `np` scalar params named p0, p1, ... (leaked once per layout).
pub fn info_for(d1: usize, d2: usize, np: usize, zero_sum: bool) -> &'static GameInfo {
    type Layouts = HashMap<(usize, usize, usize, bool), &'static GameInfo>;
    static CACHE: Mutex<Option<Layouts>> = Mutex::new(None);
    let mut guard = CACHE.lock().unwrap();
    let map = guard.get_or_insert_with(HashMap::new);
    map.entry((d1, d2, np, zero_sum)).or_insert_with(|| {
        let shape = |d: usize| -> &'static [usize] {
            if d == 1 {
                &[]
            } else {
                Box::leak(vec![d].into_boxed_slice())
            }
        };
        let followers = Box::leak(Box::new([PlayerInfo {
            name: "y",
            shape: shape(d2),
            offset: d1,
            dim: d2,
            angle: false,
            level: 1,
            parts: &[],
        }]));
        let params: Vec<ParamInfo> = (0..np)
            .map(|k| ParamInfo {
                name: Box::leak(format!("p{k}").into_boxed_str()),
                shape: &[],
                offset: k,
                len: 1,
            })
            .collect();
        Box::leak(Box::new(GameInfo {
            name: if zero_sum {
                "random zero-sum"
            } else {
                "random"
            },
            leader: PlayerInfo {
                name: "x",
                shape: shape(d1),
                offset: 0,
                dim: d1,
                angle: false,
                level: 0,
                parts: &[],
            },
            followers,
            params: Box::leak(params.into_boxed_slice()),
            zero_sum,
            form: stackel_runtime::Form::Unrolled,
            data: &[],
        }))
    })
}

/// A random symmetric n x n matrix (row-major) with entries in [-1, 1] plus
/// `shift` on the diagonal.
pub fn random_symmetric(rng: &mut Rng, n: usize, shift: f64) -> Vec<f64> {
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            let v = rng.uniform(-1.0, 1.0);
            a[i * n + j] = v;
            a[j * n + i] = v;
        }
        a[i * n + i] += shift;
    }
    a
}

/// Quadratic game f_i = 1/2 x^T A_i x + b_i^T x (N = D1 + D2, A_i symmetric
/// N x N, row-major); zero-sum when A_2 = -A_1 and b_2 = -b_1. Hand-written
/// derivatives; phi's blocks vanish (third derivatives are zero). No params.
#[derive(Clone, Debug)]
pub struct QuadraticGame<const D1: usize, const D2: usize> {
    pub a1: Vec<f64>,
    pub b1: Vec<f64>,
    pub a2: Vec<f64>,
    pub b2: Vec<f64>,
    pub zero_sum: bool,
}

impl<const D1: usize, const D2: usize> QuadraticGame<D1, D2> {
    const NN: usize = D1 + D2;

    /// Random zero-sum game: f1 = f, f2 = -f, the diagonal blocks of A
    /// shifted by `s1` (leader) and `-s2` (follower).
    pub fn random_zero_sum(rng: &mut Rng, s1: f64, s2: f64) -> Self {
        let n = Self::NN;
        let mut a = random_symmetric(rng, n, 0.0);
        for i in 0..n {
            a[i * n + i] += if i < D1 { s1 } else { -s2 };
        }
        let b: Vec<f64> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
        QuadraticGame {
            a2: a.iter().map(|v| -v).collect(),
            b2: b.iter().map(|v| -v).collect(),
            a1: a,
            b1: b,
            zero_sum: true,
        }
    }

    /// Random general-sum game; the leader's own block shifted by `s1`, the
    /// follower's own block by `s2`.
    pub fn random_general(rng: &mut Rng, s1: f64, s2: f64) -> Self {
        let n = Self::NN;
        let mut a1 = random_symmetric(rng, n, 0.0);
        let mut a2 = random_symmetric(rng, n, 0.0);
        for i in 0..D1 {
            a1[i * n + i] += s1;
        }
        for i in D1..n {
            a2[i * n + i] += s2;
        }
        QuadraticGame {
            a1,
            a2,
            b1: (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect(),
            b2: (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect(),
            zero_sum: false,
        }
    }

    fn quad<T: Real>(a: &[f64], b: &[f64], x: &[T]) -> T {
        let n = Self::NN;
        let mut s = T::zero();
        for i in 0..n {
            let mut ax = T::zero();
            for j in 0..n {
                ax += T::of(a[i * n + j]) * x[j];
            }
            s += x[i] * (T::of(0.5) * ax + T::of(b[i]));
        }
        s
    }
    /// Rows `rows` of A x + b.
    fn grad<T: Real>(a: &[f64], b: &[f64], x: &[T], rows: std::ops::Range<usize>, out: &mut [T]) {
        let n = Self::NN;
        for (o, i) in out.iter_mut().zip(rows) {
            let mut s = T::of(b[i]);
            for j in 0..n {
                s += T::of(a[i * n + j]) * x[j];
            }
            *o = s;
        }
    }
    fn block<T: Real>(
        a: &[f64],
        rows: std::ops::Range<usize>,
        cols: std::ops::Range<usize>,
        out: &mut [T],
    ) {
        let n = Self::NN;
        let w = cols.len();
        for (r, i) in rows.enumerate() {
            for (c, j) in cols.clone().enumerate() {
                out[r * w + c] = T::of(a[i * n + j]);
            }
        }
    }
}

impl<const D1: usize, const D2: usize> Game for QuadraticGame<D1, D2> {
    #[inline]
    fn d1(&self) -> usize {
        D1
    }
    #[inline]
    fn d2(&self) -> usize {
        D2
    }
    #[inline]
    fn np(&self) -> usize {
        0
    }

    fn info(&self) -> &'static GameInfo {
        info_for(D1, D2, 0, self.zero_sum)
    }
    fn params(&self, _out: &mut [f64]) {}
    fn set_params(&mut self, _p: &[f64]) {}
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        Self::quad(&self.a1, &self.b1, x)
    }
    fn follower_cost<T: Real>(&self, _i: usize, x: &[T]) -> T {
        Self::quad(&self.a2, &self.b2, x)
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        Self::grad(&self.a1, &self.b1, x, 0..D1, out)
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        Self::grad(&self.a1, &self.b1, x, D1..D1 + D2, out)
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        Self::grad(&self.a2, &self.b2, x, D1..D1 + D2, out)
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (o1, o2) = out.split_at_mut(D1);
        self.d1f1(x, o1);
        self.d2f2(x, o2);
    }
    fn d11f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        Self::block(&self.a1, 0..D1, 0..D1, out)
    }
    fn d12f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        Self::block(&self.a1, 0..D1, D1..D1 + D2, out)
    }
    fn d22f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        Self::block(&self.a1, D1..D1 + D2, D1..D1 + D2, out)
    }
    fn d22f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        Self::block(&self.a2, D1..D1 + D2, D1..D1 + D2, out)
    }
    fn d21f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        Self::block(&self.a2, D1..D1 + D2, 0..D1, out)
    }
    fn d11phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out.iter_mut().for_each(|o| *o = T::zero())
    }
    fn d12phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out.iter_mut().for_each(|o| *o = T::zero())
    }
    fn d21phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out.iter_mut().for_each(|o| *o = T::zero())
    }
    fn d22phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out.iter_mut().for_each(|o| *o = T::zero())
    }
    fn d1p_f1<T: Real>(&self, _x: &[T], _out: &mut [T]) {}
    fn d2p_f1<T: Real>(&self, _x: &[T], _out: &mut [T]) {}
    fn d2p_f2<T: Real>(&self, _x: &[T], _out: &mut [T]) {}
    fn d1p_phi<T: Real>(&self, _x: &[T], _l: &[T], _out: &mut [T]) {}
    fn d2p_phi<T: Real>(&self, _x: &[T], _l: &[T], _out: &mut [T]) {}
    fn formulas(&self) -> Vec<BlockFormula> {
        Vec::new()
    }
}

/// A non-quadratic game for [`DualGame`]: a quadratic game plus smooth
/// perturbations eps * (sin(c . x) + 0.5 cos(d . x) + x_0^3 / 6 ...), one
/// leader of dim `d1`, one follower of dim `d2`, the perturbation strength
/// and one linear coefficient per player as params (NP = 3:
/// p0 = eps, p1 shifts b1[0], p2 shifts b2[d1]).
#[derive(Clone, Debug)]
pub struct PerturbedQuadratic<const D1: usize, const D2: usize> {
    pub q: QuadraticGame<D1, D2>,
    /// Frequencies of the sin/cos perturbations (len N each), per player.
    pub c: [Vec<f64>; 2],
    pub d: [Vec<f64>; 2],
    pub p: [f64; 3],
}

impl<const D1: usize, const D2: usize> PerturbedQuadratic<D1, D2> {
    pub fn new(rng: &mut Rng, q: QuadraticGame<D1, D2>, eps: f64) -> Self {
        let n = D1 + D2;
        let mut v = || (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<f64>>();
        let c0 = v();
        let d0 = v();
        let (c1, d1) = if q.zero_sum {
            (c0.clone(), d0.clone())
        } else {
            (v(), v())
        };
        PerturbedQuadratic {
            q,
            c: [c0, c1],
            d: [d0, d1],
            p: [eps, 0.0, 0.0],
        }
    }

    fn pert<T: Real>(c: &[f64], d: &[f64], x: &[T]) -> T {
        let mut u = T::zero();
        let mut w = T::zero();
        for i in 0..x.len() {
            u += T::of(c[i]) * x[i];
            w += T::of(d[i]) * x[i];
        }
        u.sin() + T::of(0.5) * w.cos() + x[0] * x[0] * x[x.len() - 1] / T::of(6.0)
    }
}

impl<const D1: usize, const D2: usize> Costs for PerturbedQuadratic<D1, D2> {
    const D1: usize = D1;
    const D2: usize = D2;
    const NP: usize = 3;
    fn info(&self) -> &'static GameInfo {
        info_for(D1, D2, 3, self.q.zero_sum)
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&self.p)
    }
    fn set_params(&mut self, p: &[f64]) {
        self.p.copy_from_slice(p)
    }
    fn leader<T: Real>(&self, x: &[T], p: &[T]) -> T {
        QuadraticGame::<D1, D2>::quad(&self.q.a1, &self.q.b1, x)
            + p[0] * Self::pert(&self.c[0], &self.d[0], x)
            + p[1] * x[0]
            + if self.q.zero_sum {
                -p[2] * x[D1]
            } else {
                T::zero()
            }
    }
    fn follower<T: Real>(&self, _i: usize, x: &[T], p: &[T]) -> T {
        if self.q.zero_sum {
            -self.leader(x, p)
        } else {
            QuadraticGame::<D1, D2>::quad(&self.q.a2, &self.q.b2, x)
                + p[0] * Self::pert(&self.c[1], &self.d[1], x)
                + p[2] * x[D1]
        }
    }
}

/// Central difference of the vector function `f` (len m) at `x` along each
/// coordinate: returns the m x n Jacobian, row-major.
pub fn fd_jacobian(x: &[f64], m: usize, h: f64, mut f: impl FnMut(&[f64], &mut [f64])) -> Vec<f64> {
    let n = x.len();
    let mut jac = vec![0.0; m * n];
    let (mut fp, mut fm) = (vec![0.0; m], vec![0.0; m]);
    let mut xp = x.to_vec();
    for j in 0..n {
        xp[j] = x[j] + h;
        f(&xp, &mut fp);
        xp[j] = x[j] - h;
        f(&xp, &mut fm);
        xp[j] = x[j];
        for i in 0..m {
            jac[i * n + j] = (fp[i] - fm[i]) / (2.0 * h);
        }
    }
    jac
}

/// max |a - b| / max(1, max |b|).
pub fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

/// The sub-block `rows` x `cols` of a row-major matrix with `width` columns.
pub fn sub(
    m: &[f64],
    width: usize,
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
) -> Vec<f64> {
    rows.flat_map(|r| cols.clone().map(move |c| m[r * width + c]))
        .collect()
}

/// Layout of the test games with a leader u in R^2 and two followers, v in R
/// and w in R^2, and params (k, m).
pub static LEADER_AND_TWO_FOLLOWERS: GameInfo = GameInfo {
    name: "leader and two followers",
    leader: PlayerInfo {
        name: "u",
        shape: &[2],
        offset: 0,
        dim: 2,
        angle: false,
        level: 0,
        parts: &[],
    },
    followers: &[
        PlayerInfo {
            name: "v",
            shape: &[],
            offset: 2,
            dim: 1,
            angle: false,
            level: 1,
            parts: &[],
        },
        PlayerInfo {
            name: "w",
            shape: &[2],
            offset: 3,
            dim: 2,
            angle: false,
            level: 1,
            parts: &[],
        },
    ],
    params: &[
        ParamInfo {
            name: "k",
            shape: &[],
            offset: 0,
            len: 1,
        },
        ParamInfo {
            name: "m",
            shape: &[],
            offset: 1,
            len: 1,
        },
    ],
    zero_sum: false,
    form: stackel_runtime::Form::Unrolled,
    data: &[],
};

/// `&'static GameInfo` of the covariance game at size `m`: leader `v` and
/// follower `w`, both m x m, params `sigma` (m x m) and `eta`.
pub fn covariance_info(m: usize) -> &'static GameInfo {
    static CACHE: Mutex<Option<HashMap<usize, &'static GameInfo>>> = Mutex::new(None);
    let mut guard = CACHE.lock().unwrap();
    let map = guard.get_or_insert_with(HashMap::new);
    map.entry(m).or_insert_with(|| {
        let shape: &'static [usize] = Box::leak(vec![m, m].into_boxed_slice());
        let player = |name, offset| PlayerInfo {
            name,
            shape,
            offset,
            dim: m * m,
            angle: false,
            level: if offset == 0 { 0 } else { 1 },
            parts: &[],
        };
        let followers = Box::leak(Box::new([player("w", m * m)]));
        let params = Box::leak(Box::new([
            ParamInfo {
                name: "sigma",
                shape,
                offset: 0,
                len: m * m,
            },
            ParamInfo {
                name: "eta",
                shape: &[],
                offset: m * m,
                len: 1,
            },
        ]));
        Box::leak(Box::new(GameInfo {
            name: "covariance",
            leader: player("v", 0),
            followers,
            params,
            zero_sum: false,
            form: stackel_runtime::Form::Unrolled,
            data: &[],
        }))
    })
}

/// The covariance game of paper 4.3 (example 1) at size M, hand-written:
/// f = sum_ab W_ab (Sigma_ab - (V V^T)_ab), f1 = f, f2 = -f + eta/2 |W|^2
/// (V, W row-major, leader V). Its equilibria under both fields form
/// continuous orbits V V^T = Sigma, W = 0 (V -> V Q for orthogonal Q).
///
/// D_V f1 = -(W + W^T) V, D_W f2 = V V^T - Sigma + eta W, D11 f1 =
/// -(W + W^T) (x) I, D12 f1[(a,b),(c,d)] = -(d_ac V_db + d_ad V_cb),
/// D22 f2 = eta I, B[(a,b),(c,d)] = d_ac V_bd + d_bc V_ad,
/// D11 phi = (L + L^T) (x) I.
#[derive(Clone, Debug, PartialEq)]
pub struct Covariance<const M: usize> {
    /// Sigma, row-major.
    pub sigma: Vec<f64>,
    pub eta: f64,
}

impl<const M: usize> Covariance<M> {
    pub fn new(sigma: Vec<f64>, eta: f64) -> Self {
        assert_eq!(sigma.len(), M * M);
        Covariance { sigma, eta }
    }
    fn vvt<T: Real>(v: &[T], a: usize, b: usize) -> T {
        let mut s = T::zero();
        for k in 0..M {
            s += v[a * M + k] * v[b * M + k];
        }
        s
    }
    fn f<T: Real>(&self, x: &[T]) -> T {
        let (v, w) = (&x[..M * M], &x[M * M..]);
        let mut s = T::zero();
        for a in 0..M {
            for b in 0..M {
                s += w[a * M + b] * (T::of(self.sigma[a * M + b]) - Self::vvt(v, a, b));
            }
        }
        s
    }
    /// An equilibrium V V^T = Sigma, W = 0 with V = chol(Sigma) Q for the
    /// rotation Q = exp(theta K), K the skew matrix with K[0][1] = 1.
    pub fn equilibrium(&self, theta: f64) -> Vec<f64> {
        let l = nalgebra::DMatrix::from_row_slice(M, M, &self.sigma)
            .cholesky()
            .expect("Sigma is positive definite")
            .l();
        let mut q = nalgebra::DMatrix::<f64>::identity(M, M);
        if M >= 2 {
            q[(0, 0)] = theta.cos();
            q[(1, 1)] = theta.cos();
            q[(0, 1)] = -theta.sin();
            q[(1, 0)] = theta.sin();
        }
        let v = l * q;
        let mut x = vec![0.0; 2 * M * M];
        for a in 0..M {
            for b in 0..M {
                x[a * M + b] = v[(a, b)];
            }
        }
        x
    }
}

impl<const M: usize> Game for Covariance<M> {
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
        covariance_info(M)
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
        let mut sq = T::zero();
        for e in &x[M * M..2 * M * M] {
            sq += *e * *e;
        }
        -self.f(x) + T::of(self.eta / 2.0) * sq
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (v, w) = (&x[..M * M], &x[M * M..]);
        for a in 0..M {
            for b in 0..M {
                let mut s = T::zero();
                for j in 0..M {
                    s += (w[a * M + j] + w[j * M + a]) * v[j * M + b];
                }
                out[a * M + b] = -s;
            }
        }
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        for a in 0..M {
            for b in 0..M {
                out[a * M + b] = T::of(self.sigma[a * M + b]) - Self::vvt(&x[..M * M], a, b);
            }
        }
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        for a in 0..M {
            for b in 0..M {
                out[a * M + b] = T::of(self.eta) * x[M * M + a * M + b]
                    - (T::of(self.sigma[a * M + b]) - Self::vvt(&x[..M * M], a, b));
            }
        }
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (a, b) = out.split_at_mut(M * M);
        self.d1f1(x, a);
        self.d2f2(x, b);
    }
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let w = &x[M * M..];
        let d = M * M;
        out[..d * d].fill(T::zero());
        for a in 0..M {
            for c in 0..M {
                let s = -(w[a * M + c] + w[c * M + a]);
                for b in 0..M {
                    out[(a * M + b) * d + c * M + b] = s;
                }
            }
        }
    }
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let v = &x[..M * M];
        let d = M * M;
        out[..d * d].fill(T::zero());
        for a in 0..M {
            for b in 0..M {
                for e in 0..M {
                    out[(a * M + b) * d + a * M + e] -= v[e * M + b];
                    out[(a * M + b) * d + e * M + a] -= v[e * M + b];
                }
            }
        }
    }
    fn d22f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..M * M * M * M].fill(T::zero());
    }
    fn d22f2<T: Real>(&self, _x: &[T], out: &mut [T]) {
        let d = M * M;
        out[..d * d].fill(T::zero());
        for k in 0..d {
            out[k * d + k] = T::of(self.eta);
        }
    }
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let v = &x[..M * M];
        let d = M * M;
        out[..d * d].fill(T::zero());
        for a in 0..M {
            for b in 0..M {
                for e in 0..M {
                    out[(a * M + b) * d + a * M + e] += v[b * M + e];
                    out[(a * M + b) * d + b * M + e] += v[a * M + e];
                }
            }
        }
    }
    fn d11phi<T: Real>(&self, _x: &[T], l: &[T], out: &mut [T]) {
        let d = M * M;
        out[..d * d].fill(T::zero());
        for c in 0..M {
            for e in 0..M {
                let s = l[c * M + e] + l[e * M + c];
                for k in 0..M {
                    out[(c * M + k) * d + e * M + k] = s;
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
    fn d1p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        out[..M * M * (M * M + 1)].fill(T::zero());
    }
    fn d2p_f1<T: Real>(&self, _x: &[T], out: &mut [T]) {
        let np = M * M + 1;
        out[..M * M * np].fill(T::zero());
        for k in 0..M * M {
            out[k * np + k] = T::one();
        }
    }
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let np = M * M + 1;
        out[..M * M * np].fill(T::zero());
        for k in 0..M * M {
            out[k * np + k] = -T::one();
            out[k * np + M * M] = x[M * M + k];
        }
    }
    fn d1p_phi<T: Real>(&self, _x: &[T], _l: &[T], out: &mut [T]) {
        out[..M * M * (M * M + 1)].fill(T::zero());
    }
    fn d2p_phi<T: Real>(&self, _x: &[T], l: &[T], out: &mut [T]) {
        let np = M * M + 1;
        out[..M * M * np].fill(T::zero());
        for k in 0..M * M {
            out[k * np + M * M] = l[k];
        }
    }
    fn formulas(&self) -> Vec<BlockFormula> {
        Vec::new()
    }
}
