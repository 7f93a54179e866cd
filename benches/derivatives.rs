//! omega_S and J_S (through `Workspace::omega_s` / `stackelberg_jacobian`)
//! for the paper's games, three ways: the code `stackel_game!` generates,
//! the hand-derived closed forms in `stackel_testkit::twins`, and forward-mode
//! num-dual (dual / hyper-dual numbers) run through the same costs.
//!
//! `cargo bench --bench derivatives -- --warm-up-time 1 --measurement-time 2`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use num_dual::{Dual64, DualNum, HyperDual, HyperDual64};
use stackel::prelude::*;
use stackel::{BlockFormula, StackelbergParts};
use stackel_testkit::twins as reference;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use stackel_testkit::games::{
    Covariance3 as Covariance, Duopoly, Torus, ZeroSumExample1 as Example1,
};

/// Third-order forward mode (a hyper-dual number over dual numbers), for
/// the Hessian of phi = lambda^T D2 f2, a third derivative of f2.
#[derive(Clone, Copy, Debug)]
struct Third(HyperDual<Dual64>);

macro_rules! third_ops {
    ($($tr:ident $f:ident $atr:ident $af:ident),*) => {$(
        impl $tr for Third {
            type Output = Third;
            #[inline]
            fn $f(self, o: Third) -> Third {
                Third(self.0.$f(o.0))
            }
        }
        impl $atr for Third {
            #[inline]
            fn $af(&mut self, o: Third) {
                self.0 = self.0.$f(o.0);
            }
        }
    )*};
}
third_ops!(Add add AddAssign add_assign, Sub sub SubAssign sub_assign, Mul mul MulAssign mul_assign, Div div DivAssign div_assign);

impl Neg for Third {
    type Output = Third;
    fn neg(self) -> Third {
        Third(-self.0)
    }
}

impl Real for Third {
    fn of(x: f64) -> Self {
        Third(HyperDual::from(x))
    }
    fn re(self) -> f64 {
        self.0.re.re
    }
    fn exp(self) -> Self {
        Third(self.0.exp())
    }
    fn ln(self) -> Self {
        Third(self.0.ln())
    }
    fn sqrt(self) -> Self {
        Third(self.0.sqrt())
    }
    fn sin(self) -> Self {
        Third(self.0.sin())
    }
    fn cos(self) -> Self {
        Third(self.0.cos())
    }
    fn tan(self) -> Self {
        Third(self.0.tan())
    }
    fn tanh(self) -> Self {
        Third(self.0.tanh())
    }
    fn powi(self, n: i32) -> Self {
        Third(self.0.powi(n))
    }
    fn powf(self, e: Self) -> Self {
        (e * self.ln()).exp()
    }
    fn abs(self) -> Self {
        if self.re() < 0.0 {
            -self
        } else {
            self
        }
    }
}

/// Largest state the num-dual wrapper handles (stack buffers).
const MAX_N: usize = 32;

/// A game whose derivative blocks come from num-dual forward mode through
/// another game's costs: gradients by dual numbers (one pass per
/// coordinate), Hessians by hyper-dual numbers (one pass per entry pair),
/// phi Hessians by third-order numbers. Params are plain `f64` fields, so
/// the param blocks use central differences.
#[derive(Clone)]
struct ByDual<G>(G);

/// The state as numbers of type `D`, entry i seeded by `f(i, x_i)`.
fn seeded<D: Real>(x: &[f64], f: impl Fn(usize, f64) -> D) -> [D; MAX_N] {
    let mut out = [D::zero(); MAX_N];
    for (i, v) in x.iter().enumerate() {
        out[i] = f(i, *v);
    }
    out
}

impl<G: Game + Clone> ByDual<G> {
    /// Owner follower and own range of state entry k (k >= d1).
    fn follower_of(&self, k: usize) -> usize {
        self.0
            .info()
            .followers
            .iter()
            .position(|f| k >= f.offset && k < f.offset + f.dim)
            .expect("a follower entry")
    }
    /// d f / d x_k for the cost `who` (0 leader, i + 1 follower i).
    fn grad(&self, who: usize, x: &[f64], k: usize) -> f64 {
        let n = x.len();
        let xd = seeded(x, |i, v| Dual64::new(v, if i == k { 1.0 } else { 0.0 }));
        let c = if who == 0 {
            self.0.leader_cost(&xd[..n])
        } else {
            self.0.follower_cost(who - 1, &xd[..n])
        };
        c.eps
    }
    /// d^2 f / dx_j dx_k for the cost `who`.
    fn hess(&self, who: usize, x: &[f64], j: usize, k: usize) -> f64 {
        let n = x.len();
        let xh = seeded(x, |i, v| {
            HyperDual64::new(
                v,
                f64::from(u8::from(i == j)),
                f64::from(u8::from(i == k)),
                0.0,
            )
        });
        let c = if who == 0 {
            self.0.leader_cost(&xh[..n])
        } else {
            self.0.follower_cost(who - 1, &xh[..n])
        };
        c.eps1eps2
    }
    /// d^2 phi / dx_j dx_k with phi = sum_i lambda_i . D_{2^i} f_{2^i}: the
    /// third derivative of each follower's cost along its own lambda block.
    fn phi_hess(&self, x: &[f64], lambda: &[f64], j: usize, k: usize) -> f64 {
        let (d1, n) = (self.0.d1(), x.len());
        let mut total = 0.0;
        for (fi, f) in self.0.info().followers.iter().enumerate() {
            let xt = seeded(x, |i, v| {
                let dir = if i >= f.offset && i < f.offset + f.dim {
                    lambda[i - d1]
                } else {
                    0.0
                };
                Third(HyperDual::new(
                    Dual64::new(v, dir),
                    Dual64::from(f64::from(u8::from(i == j))),
                    Dual64::from(f64::from(u8::from(i == k))),
                    Dual64::from(0.0),
                ))
            });
            total += self.0.follower_cost(fi, &xt[..n]).0.eps1eps2.eps;
        }
        total
    }
    /// Block of second derivatives rows x cols (global state indices).
    fn block<T: Real>(
        &self,
        x: &[T],
        rows: std::ops::Range<usize>,
        cols: std::ops::Range<usize>,
        entry: impl Fn(&Self, &[f64], usize, usize) -> f64,
        out: &mut [T],
    ) {
        let xs = re(x);
        let n = x.len();
        let w = cols.len();
        for (a, r) in rows.enumerate() {
            for (b, c) in cols.clone().enumerate() {
                out[a * w + b] = T::of(entry(self, &xs[..n], r, c));
            }
        }
    }
    /// Central differences of `f` over the params (rows x NP).
    fn by_params(&self, rows: usize, f: impl Fn(&G) -> [f64; MAX_N], out: &mut [f64]) {
        let np = self.0.np();
        let mut p = [0.0; MAX_N];
        self.0.params(&mut p[..np]);
        for k in 0..np {
            let h = 1e-6 * (1.0 + p[k].abs());
            let mut g = self.0.clone();
            let mut q = p;
            q[k] += h;
            g.set_params(&q[..np]);
            let fp = f(&g);
            q[k] -= 2.0 * h;
            g.set_params(&q[..np]);
            let fm = f(&g);
            for r in 0..rows {
                out[r * np + k] = (fp[r] - fm[r]) / (2.0 * h);
            }
        }
    }
}

fn re<T: Real>(x: &[T]) -> [f64; MAX_N] {
    let mut out = [0.0; MAX_N];
    for (o, v) in out.iter_mut().zip(x) {
        *o = v.re();
    }
    out
}

fn to_t<T: Real>(v: &[f64], out: &mut [T]) {
    for (o, v) in out.iter_mut().zip(v) {
        *o = T::of(*v);
    }
}

impl<G: Game + Clone> Game for ByDual<G> {
    #[inline]
    fn d1(&self) -> usize {
        self.0.d1()
    }
    #[inline]
    fn d2(&self) -> usize {
        self.0.d2()
    }
    #[inline]
    fn np(&self) -> usize {
        self.0.np()
    }

    fn info(&self) -> &'static stackel::GameInfo {
        self.0.info()
    }
    fn params(&self, out: &mut [f64]) {
        self.0.params(out)
    }
    fn set_params(&mut self, p: &[f64]) {
        self.0.set_params(p)
    }
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        self.0.leader_cost(x)
    }
    fn follower_cost<T: Real>(&self, i: usize, x: &[T]) -> T {
        self.0.follower_cost(i, x)
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let xs = re(x);
        for (k, o) in out[..self.0.d1()].iter_mut().enumerate() {
            *o = T::of(self.grad(0, &xs[..x.len()], k));
        }
    }
    fn d2f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let xs = re(x);
        for (k, o) in out[..self.0.d2()].iter_mut().enumerate() {
            *o = T::of(self.grad(0, &xs[..x.len()], self.0.d1() + k));
        }
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let xs = re(x);
        for (k, o) in out[..self.0.d2()].iter_mut().enumerate() {
            let who = self.follower_of(self.0.d1() + k) + 1;
            *o = T::of(self.grad(who, &xs[..x.len()], self.0.d1() + k));
        }
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        let (a, b) = out.split_at_mut(self.0.d1());
        self.d1f1(x, a);
        self.d2f2(x, b);
    }
    fn d11f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.block(
            x,
            0..self.0.d1(),
            0..self.0.d1(),
            |s, x, j, k| s.hess(0, x, j, k),
            out,
        );
    }
    fn d12f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.block(
            x,
            0..self.0.d1(),
            self.0.d1()..self.0.n(),
            |s, x, j, k| s.hess(0, x, j, k),
            out,
        );
    }
    fn d22f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.block(
            x,
            self.0.d1()..self.0.n(),
            self.0.d1()..self.0.n(),
            |s, x, j, k| s.hess(0, x, j, k),
            out,
        );
    }
    fn d22f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.block(
            x,
            self.0.d1()..self.0.n(),
            self.0.d1()..self.0.n(),
            |s, x, j, k| s.hess(s.follower_of(j) + 1, x, j, k),
            out,
        );
    }
    fn d21f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.block(
            x,
            self.0.d1()..self.0.n(),
            0..self.0.d1(),
            |s, x, j, k| s.hess(s.follower_of(j) + 1, x, j, k),
            out,
        );
    }
    fn d11phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let l = re(l);
        self.block(
            x,
            0..self.0.d1(),
            0..self.0.d1(),
            |s, x, j, k| s.phi_hess(x, &l, j, k),
            out,
        );
    }
    fn d12phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let l = re(l);
        self.block(
            x,
            0..self.0.d1(),
            self.0.d1()..self.0.n(),
            |s, x, j, k| s.phi_hess(x, &l, j, k),
            out,
        );
    }
    fn d21phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let l = re(l);
        self.block(
            x,
            self.0.d1()..self.0.n(),
            0..self.0.d1(),
            |s, x, j, k| s.phi_hess(x, &l, j, k),
            out,
        );
    }
    fn d22phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let l = re(l);
        self.block(
            x,
            self.0.d1()..self.0.n(),
            self.0.d1()..self.0.n(),
            |s, x, j, k| s.phi_hess(x, &l, j, k),
            out,
        );
    }
    fn d1p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let xs = re(x);
        let mut o = [0.0; MAX_N * MAX_N];
        self.by_params(
            self.0.d1(),
            |g| re_grad(&ByDual(g.clone()), &xs[..x.len()], 0),
            &mut o,
        );
        to_t(&o[..self.0.d1() * self.0.np()], out);
    }
    fn d2p_f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        let xs = re(x);
        let mut o = [0.0; MAX_N * MAX_N];
        self.by_params(
            self.0.d2(),
            |g| re_grad(&ByDual(g.clone()), &xs[..x.len()], 1),
            &mut o,
        );
        to_t(&o[..self.0.d2() * self.0.np()], out);
    }
    fn d2p_f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        let xs = re(x);
        let mut o = [0.0; MAX_N * MAX_N];
        self.by_params(
            self.0.d2(),
            |g| re_grad(&ByDual(g.clone()), &xs[..x.len()], 2),
            &mut o,
        );
        to_t(&o[..self.0.d2() * self.0.np()], out);
    }
    fn d1p_phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let (xs, ls) = (re(x), re(l));
        let mut o = [0.0; MAX_N * MAX_N];
        self.by_params(
            self.0.d1(),
            |g| phi_grad(&ByDual(g.clone()), &xs[..x.len()], &ls, true),
            &mut o,
        );
        to_t(&o[..self.0.d1() * self.0.np()], out);
    }
    fn d2p_phi<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
        let (xs, ls) = (re(x), re(l));
        let mut o = [0.0; MAX_N * MAX_N];
        self.by_params(
            self.0.d2(),
            |g| phi_grad(&ByDual(g.clone()), &xs[..x.len()], &ls, false),
            &mut o,
        );
        to_t(&o[..self.0.d2() * self.0.np()], out);
    }
    fn formulas(&self) -> Vec<BlockFormula> {
        self.0.formulas()
    }
}

/// D1f1 (which 0), D2f1 (1) or D2f2 (2) by duals, as a fixed array.
fn re_grad<G: Game + Clone>(g: &ByDual<G>, x: &[f64], which: usize) -> [f64; MAX_N] {
    let mut o = [0.0; MAX_N];
    match which {
        0 => g.d1f1(x, &mut o[..g.d1()]),
        1 => g.d2f1(x, &mut o[..g.d2()]),
        _ => g.d2f2(x, &mut o[..g.d2()]),
    }
    o
}

/// D1 phi = B^T l (leader) or D2 phi = H^T l, from dual Hessians.
fn phi_grad<G: Game + Clone>(
    g: &ByDual<G>,
    x: &[f64],
    l: &[f64; MAX_N],
    leader: bool,
) -> [f64; MAX_N] {
    let (d1, d2) = (g.d1(), g.d2());
    let cols = if leader { d1 } else { d2 };
    let mut m = [0.0; MAX_N * MAX_N];
    if leader {
        g.d21f2(x, &mut m[..d2 * d1]);
    } else {
        g.d22f2(x, &mut m[..d2 * d2]);
    }
    let mut o = [0.0; MAX_N];
    for r in 0..d2 {
        for c in 0..cols {
            o[c] += m[r * cols + c] * l[r];
        }
    }
    o
}

/// Benchmarks omega_S and J_S of `g` at `x` under `label/which`.
fn bench_game<G: Game>(c: &mut Criterion, label: &str, which: &str, g: &G, x: &[f64]) {
    let n = g.n();
    let mut ws = Workspace::<f64>::new(g);
    let mut out = vec![0.0; n * n];
    // The derivative code alone: the fused inputs of one Stackelberg step.
    let (d1, d2) = (g.d1(), g.d2());
    let mut bufs = vec![0.0; 3 * d2 + d1 + d2 * d2 + d2 * d1];
    c.bench_function(&format!("parts/{label}/{which}"), |b| {
        b.iter(|| {
            let (a, rest) = bufs.split_at_mut(d1);
            let (b1, rest) = rest.split_at_mut(d2);
            let (b2, rest) = rest.split_at_mut(d2);
            let (h, rest) = rest.split_at_mut(d2 * d2);
            let (bb, _) = rest.split_at_mut(d2 * d1);
            g.stackelberg_parts(
                black_box(x),
                StackelbergParts {
                    d1f1: a,
                    d2f1: b1,
                    d2f2: b2,
                    d22f2: h,
                    d21f2: bb,
                },
            )
        })
    });
    c.bench_function(&format!("omega_s/{label}/{which}"), |b| {
        b.iter(|| ws.omega_s(g, black_box(x), 0.0, &mut out[..n]).unwrap())
    });
    c.bench_function(&format!("jacobian_s/{label}/{which}"), |b| {
        b.iter(|| {
            ws.stackelberg_jacobian(g, black_box(x), 0.0, &mut out)
                .unwrap()
        })
    });
}

/// J_S of `g` at `x`.
fn jacobian_s<G: Game>(g: &G, x: &[f64]) -> Vec<f64> {
    let mut ws = Workspace::<f64>::new(g);
    let mut out = vec![0.0; g.n() * g.n()];
    ws.stackelberg_jacobian(g, x, 0.0, &mut out).unwrap();
    out
}

fn all<G: Game + Clone, R: Game>(c: &mut Criterion, label: &str, g: G, r: R, x: &[f64]) {
    // The three ways compute the same J_S (so the timings compare like with like).
    let want = jacobian_s(&g, x);
    for (way, got) in [
        ("reference", jacobian_s(&r, x)),
        ("num_dual", jacobian_s(&ByDual(g.clone()), x)),
    ] {
        for (a, b) in got.iter().zip(&want) {
            assert!(
                (a - b).abs() <= 1e-8 * (1.0 + b.abs()),
                "{label}: {way} J_S {a} vs generated {b}"
            );
        }
    }
    bench_game(c, label, "generated", &g, x);
    bench_game(c, label, "reference", &r, x);
    bench_game(c, label, "num_dual", &ByDual(g), x);
}

fn derivatives(c: &mut Criterion) {
    all(
        c,
        "duopoly",
        Duopoly::default(),
        reference::Duopoly::default(),
        &[40.0, 30.0],
    );
    all(
        c,
        "torus",
        Torus::default(),
        reference::Torus::default(),
        &[0.4, -0.3],
    );
    all(
        c,
        "example1",
        Example1::default(),
        reference::ZeroSumExample1::default(),
        &[1.3, -0.7],
    );
    let x: Vec<f64> = (0..18).map(|k| ((k * 7 % 11) as f64 - 5.0) / 7.0).collect();
    all(
        c,
        "covariance3",
        Covariance::default(),
        reference::Covariance3::default(),
        &x,
    );
}

criterion_group!(benches, derivatives);
criterion_main!(benches);
