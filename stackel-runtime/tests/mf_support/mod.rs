//! A quadratic test game with a follower Hessian whose spectrum is spread
//! (so that Krylov solves take many iterations), for the matrix-free tests.
//!
//! f1 = 1/2 |x1|^2 + x1^T C x2 + 1/2 x2^T E x2, f2 = 1/2 x2^T Q x2 + x2^T P x1:
//! D1 f1 = x1 + C x2, D2 f1 = C^T x1 + E x2, D2 f2 = Q x2 + P x1,
//! D11 f1 = I, D12 f1 = C, D22 f1 = E, H = Q (SPD, eigenvalues 1..kappa),
//! B = P; omega_F is linear, so every phi block is 0.

#![allow(dead_code, clippy::needless_range_loop)]

use stackel_runtime::game::{BlockFormula, Form, Game, GameInfo, PlayerInfo};
use stackel_runtime::real::Real;

pub const QD1: usize = 4;
pub const QD2: usize = 24;

static INFO: GameInfo = GameInfo {
    name: "QuadraticSpread",
    leader: PlayerInfo {
        name: "x",
        shape: &[QD1],
        offset: 0,
        dim: QD1,
        angle: false,
        level: 0,
        parts: &[],
    },
    followers: &[PlayerInfo {
        name: "y",
        shape: &[QD2],
        offset: QD1,
        dim: QD2,
        angle: false,
        level: 1,
        parts: &[],
    }],
    params: &[],
    zero_sum: false,
    form: Form::Unrolled,
    data: &[],
};

/// Deterministic uniforms in [-1, 1).
pub fn uniforms(seed: u64, count: usize) -> Vec<f64> {
    stackel_testkit::unit_point(count, seed)
}

#[derive(Clone, Debug)]
pub struct QuadraticSpread {
    /// C (d1 x d2).
    pub c: Vec<f64>,
    /// E (d2 x d2, symmetric).
    pub e: Vec<f64>,
    /// Q (d2 x d2, SPD).
    pub q: Vec<f64>,
    /// P (d2 x d1).
    pub p: Vec<f64>,
}

impl QuadraticSpread {
    /// Q = U diag(1 .. kappa) U^T with a random orthogonal U.
    pub fn new(kappa: f64, seed: u64) -> Self {
        let n = QD2;
        let a = nalgebra::DMatrix::from_vec(n, n, uniforms(seed, n * n));
        let u = a.qr().q();
        let d = nalgebra::DMatrix::from_diagonal(&nalgebra::DVector::from_fn(n, |i, _| {
            1.0 + (kappa - 1.0) * i as f64 / (n - 1) as f64
        }));
        let q = &u * d * u.transpose();
        let q = (&q + q.transpose()) * 0.5;
        let r = nalgebra::DMatrix::from_vec(n, n, uniforms(seed + 1, n * n));
        let e = (&r + r.transpose()) * 0.1;
        let row_major = |m: &nalgebra::DMatrix<f64>| m.transpose().as_slice().to_vec();
        QuadraticSpread {
            c: uniforms(seed + 2, QD1 * QD2)
                .iter()
                .map(|v| 0.3 * v)
                .collect(),
            e: row_major(&e),
            q: row_major(&q),
            p: uniforms(seed + 3, QD2 * QD1),
        }
    }
}

fn mv<T: Real>(a: &[f64], r: usize, c: usize, v: &[T], out: &mut [T], add: bool) {
    for i in 0..r {
        let mut s = if add { out[i] } else { T::zero() };
        for j in 0..c {
            s += T::of(a[i * c + j]) * v[j];
        }
        out[i] = s;
    }
}

fn mtv<T: Real>(a: &[f64], r: usize, c: usize, v: &[T], out: &mut [T], add: bool) {
    for j in 0..c {
        let mut s = if add { out[j] } else { T::zero() };
        for i in 0..r {
            s += T::of(a[i * c + j]) * v[i];
        }
        out[j] = s;
    }
}

fn fill<T: Real>(a: &[f64], out: &mut [T]) {
    for (o, v) in out.iter_mut().zip(a) {
        *o = T::of(*v);
    }
}

impl Game for QuadraticSpread {
    #[inline]
    fn d1(&self) -> usize {
        QD1
    }
    #[inline]
    fn d2(&self) -> usize {
        QD2
    }
    #[inline]
    fn np(&self) -> usize {
        0
    }
    fn info(&self) -> &'static GameInfo {
        &INFO
    }
    fn params(&self, _: &mut [f64]) {}
    fn set_params(&mut self, _: &[f64]) {}
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        let (x1, x2) = x.split_at(QD1);
        let mut cx2 = [T::zero(); QD1];
        mv(&self.c, QD1, QD2, x2, &mut cx2, false);
        let mut ex2 = [T::zero(); QD2];
        mv(&self.e, QD2, QD2, x2, &mut ex2, false);
        let mut s = T::zero();
        for i in 0..QD1 {
            s += T::of(0.5) * x1[i] * x1[i] + x1[i] * cx2[i];
        }
        for i in 0..QD2 {
            s += T::of(0.5) * x2[i] * ex2[i];
        }
        s
    }
    fn follower_cost<T: Real>(&self, _: usize, x: &[T]) -> T {
        let (x1, x2) = x.split_at(QD1);
        let mut qx2 = [T::zero(); QD2];
        mv(&self.q, QD2, QD2, x2, &mut qx2, false);
        let mut px1 = [T::zero(); QD2];
        mv(&self.p, QD2, QD1, x1, &mut px1, false);
        let mut s = T::zero();
        for i in 0..QD2 {
            s += T::of(0.5) * x2[i] * qx2[i] + x2[i] * px1[i];
        }
        s
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[..QD1].copy_from_slice(&x[..QD1]);
        mv(&self.c, QD1, QD2, &x[QD1..], out, true);
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        mtv(&self.c, QD1, QD2, &x[..QD1], out, false);
        mv(&self.e, QD2, QD2, &x[QD1..], out, true);
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        mv(&self.q, QD2, QD2, &x[QD1..], out, false);
        mv(&self.p, QD2, QD1, &x[..QD1], out, true);
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (a, b) = out.split_at_mut(QD1);
        self.d1f1(x, a);
        self.d2f2(x, b);
    }
    fn d11f1<T: Real>(&self, _: &[T], out: &mut [T]) {
        out[..QD1 * QD1].fill(T::zero());
        for i in 0..QD1 {
            out[i * QD1 + i] = T::one();
        }
    }
    fn d12f1<T: Real>(&self, _: &[T], out: &mut [T]) {
        fill(&self.c, out);
    }
    fn d22f1<T: Real>(&self, _: &[T], out: &mut [T]) {
        fill(&self.e, out);
    }
    fn d22f2<T: Real>(&self, _: &[T], out: &mut [T]) {
        fill(&self.q, out);
    }
    fn d21f2<T: Real>(&self, _: &[T], out: &mut [T]) {
        fill(&self.p, out);
    }
    fn d11phi<T: Real>(&self, _: &[T], _: &[T], out: &mut [T]) {
        out[..QD1 * QD1].fill(T::zero());
    }
    fn d12phi<T: Real>(&self, _: &[T], _: &[T], out: &mut [T]) {
        out[..QD1 * QD2].fill(T::zero());
    }
    fn d21phi<T: Real>(&self, _: &[T], _: &[T], out: &mut [T]) {
        out[..QD2 * QD1].fill(T::zero());
    }
    fn d22phi<T: Real>(&self, _: &[T], _: &[T], out: &mut [T]) {
        out[..QD2 * QD2].fill(T::zero());
    }
    fn d1p_f1<T: Real>(&self, _: &[T], _: &mut [T]) {}
    fn d2p_f1<T: Real>(&self, _: &[T], _: &mut [T]) {}
    fn d2p_f2<T: Real>(&self, _: &[T], _: &mut [T]) {}
    fn d1p_phi<T: Real>(&self, _: &[T], _: &[T], _: &mut [T]) {}
    fn d2p_phi<T: Real>(&self, _: &[T], _: &[T], _: &mut [T]) {}
    fn formulas(&self) -> Vec<BlockFormula> {
        Vec::new()
    }
}
