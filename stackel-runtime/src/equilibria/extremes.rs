//! Extreme eigenvalues through operators: Lanczos for symmetric operators,
//! restarted Arnoldi for general ones, and the game's operators they run on
//! (J, J_S, D11 f1, D22 f2, the Stackelberg Hessian and the zero-sum Schur
//! complement), none of which forms a d x d block.
//!
//! Both methods build an orthonormal Krylov basis V_m of span{v, A v, ...,
//! A^(m-1) v} with full reorthogonalisation (two Gram-Schmidt passes), so
//! A V_m = V_m H_m + h_(m+1,m) v_(m+1) e_m^T; the eigenvalues theta of the
//! small H_m (tridiagonal for Lanczos) are the Ritz values, and a Ritz pair
//! (theta, V_m y) has residual |A V_m y - theta V_m y| = |h_(m+1,m)| |e_m^T y|
//! (|y| = 1). The wanted values are the k smallest and k largest by real
//! part; they are converged when each residual is <= tol S, S the largest
//! |theta| (the operator's scale). Otherwise the basis restarts from the real
//! part of the sum of the wanted Ritz vectors (explicit restart),
//! at most `max_restarts` times. A breakdown (h_(m+1,m) <= 1e-13 S) means
//! the basis spans an invariant subspace: its Ritz values are exact.
//!
//! One start vector sees each distinct eigenvalue once: a multiple
//! eigenvalue is reported once (the multiplicity is not resolved).

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use nalgebra::{Complex, DMatrix, DVector};
use serde::Serialize;

use super::classify::Eig;
use super::spectrum::eigenvalues;
use crate::game::Game;
use crate::krylov::{Krylov, KrylovOptions, Method, SolveReport};

/// Options of [`lanczos_extremes`] and [`arnoldi_extremes`].
///
/// Defaults: k = 4, basis 80, 30 restarts, tol 1e-10, seed 1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ExtremeOptions {
    /// How many of the smallest and of the largest (by real part) to find.
    pub k: usize,
    /// Basis size m before a restart (capped at n).
    pub basis: usize,
    /// Most restarts.
    pub max_restarts: usize,
    /// Converged when each wanted Ritz residual is <= tol S.
    pub tol: f64,
    /// Seed of the start vector.
    pub seed: u64,
}

impl Default for ExtremeOptions {
    fn default() -> Self {
        ExtremeOptions {
            k: 4,
            basis: 80,
            max_restarts: 30,
            tol: 1e-10,
            seed: 1,
        }
    }
}

/// The extreme eigenvalues found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Extremes {
    /// Up to k eigenvalues with the smallest real parts, ascending.
    pub smallest: Vec<Eig>,
    /// Up to k eigenvalues with the largest real parts, ascending.
    pub largest: Vec<Eig>,
    /// Every wanted Ritz residual reached tol S (or the basis was invariant).
    pub converged: bool,
    /// The largest wanted Ritz residual, relative to S.
    pub residual: f64,
    /// S: the largest |Ritz value|.
    pub scale: f64,
    /// Operator applications.
    pub applications: usize,
}

impl Extremes {
    /// The smallest real part (NaN when none found).
    pub fn min_re(&self) -> f64 {
        self.smallest.first().map_or(f64::NAN, |e| e.re)
    }
    /// The largest real part (NaN when none found).
    pub fn max_re(&self) -> f64 {
        self.largest.last().map_or(f64::NAN, |e| e.re)
    }
    /// Smallest and largest together, ascending by real part, without
    /// repeating the values both lists hold.
    pub fn all(&self) -> Vec<Eig> {
        let mut v = self.smallest.clone();
        for e in &self.largest {
            if !v.contains(e) {
                v.push(*e);
            }
        }
        v
    }
}

/// Deterministic start vector in [-1, 1)^n.
pub(crate) fn start_vector(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The k smallest and k largest eigenvalues of the symmetric operator
/// `apply` (v -> A v, size n) by Lanczos with full reorthogonalisation and
/// explicit restarts (module docs). Eigenvalues are real (`im` = 0).
pub fn lanczos_extremes(
    n: usize,
    apply: impl FnMut(&[f64], &mut [f64]),
    opts: &ExtremeOptions,
) -> Extremes {
    krylov_extremes(n, apply, opts, true)
}

/// The k eigenvalues with the smallest and the k with the largest real
/// parts of the operator `apply` (v -> A v, size n) by restarted Arnoldi
/// (module docs).
pub fn arnoldi_extremes(
    n: usize,
    apply: impl FnMut(&[f64], &mut [f64]),
    opts: &ExtremeOptions,
) -> Extremes {
    krylov_extremes(n, apply, opts, false)
}

/// A Ritz value with its vector's coordinates y in the basis (|y| = 1;
/// empty until computed).
struct Ritz {
    theta: Eig,
    y: Vec<Complex<f64>>,
}

/// Ritz values of the m x m matrix `h`, sorted by real part: symmetric
/// (tridiagonal part, with their vectors) or general (vectors left empty).
fn ritz_values(h: &DMatrix<f64>, symmetric: bool) -> Option<Vec<Ritz>> {
    let m = h.nrows();
    let mut v: Vec<Ritz> = if symmetric {
        let t = DMatrix::from_fn(m, m, |i, j| {
            if i == j || i + 1 == j || j + 1 == i {
                0.5 * (h[(i, j)] + h[(j, i)])
            } else {
                0.0
            }
        });
        let e = t.symmetric_eigen();
        (0..m)
            .map(|i| Ritz {
                theta: Eig {
                    re: e.eigenvalues[i],
                    im: 0.0,
                },
                y: e.eigenvectors
                    .column(i)
                    .iter()
                    .map(|v| Complex::new(*v, 0.0))
                    .collect(),
            })
            .collect()
    } else {
        eigenvalues(h, "Arnoldi Hessenberg")
            .ok()?
            .into_iter()
            .map(|theta| Ritz {
                theta,
                y: Vec::new(),
            })
            .collect()
    };
    v.sort_by(|a, b| {
        a.theta
            .re
            .total_cmp(&b.theta.re)
            .then(a.theta.im.total_cmp(&b.theta.im))
    });
    Some(v)
}

/// The vector y of a general Ritz value theta of `h`: inverse iteration on
/// (H - theta I) in complex arithmetic (three steps from a constant vector).
fn ritz_vector(h: &DMatrix<f64>, theta: Eig) -> Vec<Complex<f64>> {
    let m = h.nrows();
    let scale = h.norm().max(f64::MIN_POSITIVE);
    let shift = Complex::new(theta.re + 1e-12 * scale, theta.im);
    let a = DMatrix::from_fn(m, m, |i, j| {
        let d = if i == j {
            shift
        } else {
            Complex::new(0.0, 0.0)
        };
        Complex::new(h[(i, j)], 0.0) - d
    });
    let lu = a.lu();
    let mut y = DVector::from_element(m, Complex::new(1.0, 0.0));
    for _ in 0..3 {
        if let Some(z) = lu.solve(&y) {
            let nz = z.norm();
            if nz.is_finite() && nz > 0.0 {
                y = z / Complex::new(nz, 0.0);
            }
        }
    }
    y.iter().copied().collect()
}

fn krylov_extremes(
    n: usize,
    mut apply: impl FnMut(&[f64], &mut [f64]),
    opts: &ExtremeOptions,
    symmetric: bool,
) -> Extremes {
    let mut out = Extremes {
        smallest: Vec::new(),
        largest: Vec::new(),
        converged: false,
        residual: f64::INFINITY,
        scale: 0.0,
        applications: 0,
    };
    if n == 0 {
        out.converged = true;
        out.residual = 0.0;
        return out;
    }
    let m_max = opts.basis.clamp(1, n);
    let k = opts.k.max(1);
    let mut basis = vec![0.0; (m_max + 1) * n];
    let mut h = DMatrix::<f64>::zeros(m_max + 1, m_max);
    let mut start = start_vector(n, opts.seed);
    let mut w = vec![0.0; n];
    for _restart in 0..=opts.max_restarts {
        let nv = dot(&start, &start).sqrt();
        if !(nv > 0.0 && nv.is_finite()) {
            return out;
        }
        for i in 0..n {
            basis[i] = start[i] / nv;
        }
        h.fill(0.0);
        let mut m = 0;
        let mut invariant = false;
        let mut hmax: f64 = 0.0;
        while m < m_max {
            apply(&basis[m * n..(m + 1) * n], &mut w);
            out.applications += 1;
            if w.iter().any(|v| !v.is_finite()) {
                return out;
            }
            // two passes of classical Gram-Schmidt against the whole basis
            for _pass in 0..2 {
                for j in 0..=m {
                    let vj = &basis[j * n..(j + 1) * n];
                    let c = dot(&w, vj);
                    h[(j, m)] += c;
                    for i in 0..n {
                        w[i] -= c * vj[i];
                    }
                }
            }
            let beta = dot(&w, &w).sqrt();
            hmax = hmax.max(h.column(m).amax()).max(beta);
            h[(m + 1, m)] = beta;
            m += 1;
            if beta <= 1e-13 * hmax {
                invariant = true;
                break;
            }
            for i in 0..n {
                basis[m * n + i] = w[i] / beta;
            }
        }
        let hm = h.view((0, 0), (m, m)).into_owned();
        let Some(mut ritz) = ritz_values(&hm, symmetric) else {
            return out;
        };
        let scale = ritz
            .iter()
            .map(|r| r.theta.re.hypot(r.theta.im))
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE);
        let beta = h[(m, m - 1)];
        let wanted: Vec<usize> = if ritz.len() <= 2 * k {
            (0..ritz.len()).collect()
        } else {
            (0..k).chain(ritz.len() - k..ritz.len()).collect()
        };
        if !symmetric {
            for &i in &wanted {
                ritz[i].y = ritz_vector(&hm, ritz[i].theta);
            }
        }
        let resid = |r: &Ritz| {
            if invariant {
                0.0
            } else {
                beta * r.y[m - 1].norm() / scale
            }
        };
        let worst = wanted.iter().map(|&i| resid(&ritz[i])).fold(0.0, f64::max);
        out.smallest = ritz.iter().take(k).map(|r| r.theta).collect();
        out.largest = ritz
            .iter()
            .skip(ritz.len().saturating_sub(k))
            .map(|r| r.theta)
            .collect();
        out.residual = worst;
        out.scale = scale;
        if worst <= opts.tol || m == n {
            out.converged = true;
            out.residual = if m == n { 0.0 } else { worst };
            return out;
        }
        // restart from the real part of the wanted Ritz vectors
        start.fill(0.0);
        for &i in &wanted {
            let r = &ritz[i];
            for (j, yj) in r.y.iter().enumerate().take(m) {
                let c = yj.re + yj.im; // covers both members of a conjugate pair
                for t in 0..n {
                    start[t] += c * basis[j * n + t];
                }
            }
        }
    }
    out
}

/// The Krylov options of the inner solves (H + eta I) z = c in the
/// Stackelberg operators: GMRES(40) (CG with one follower), relative
/// tolerance 1e-13, at most 20 d2 + 100 iterations, from 0.
pub fn inner_solve_options() -> KrylovOptions {
    KrylovOptions {
        method: Method::Auto,
        max_iter: 0, // set per game in [`GameOperators::new`]
        tol: 1e-13,
        warm_start: false,
        truncated: false,
    }
}

/// The game's matrix-free operators at a point x with regularisation eta,
/// H = D22 f2, B = D21 f2, lambda = (H + eta I)^-T D2 f1,
/// phi = lambda^T omega_F (design.md "Math reference"):
///
/// - J (u, w) = (D11 f1 u + D12 f1 w, B u + H w) ([`Game::f1_hvp`],
///   [`Game::d21f2_mul`], [`Game::d22f2_mul`]);
/// - J_S (u, w) = (a - B^T (H + eta I)^-T c, B u + H w), where
///   (a, c) = (D^2 f1 - D^2 phi)(u, w) ([`Game::phi_hvp`]);
/// - the Stackelberg Hessian H_S u = the leader row of J_S at (u, Dr u),
///   Dr u = -(H + eta I)^-1 B u;
/// - the zero-sum Schur complement S u = D11 f1 u - D12 f1 (H + eta I)^-1 B u;
/// - D11 f1 u and H w alone.
///
/// Inner solves use [`inner_solve_options`]; each one's report is kept, and
/// [`GameOperators::solves_ok`] says whether all converged.
pub struct GameOperators<'a, G> {
    g: &'a G,
    x: &'a [f64],
    eta: f64,
    symmetric_h: bool,
    lambda: Vec<f64>,
    krylov: Krylov<f64>,
    opts: KrylovOptions,
    dir: Vec<f64>,
    t1: Vec<f64>,
    t2: Vec<f64>,
    z: Vec<f64>,
    c: Vec<f64>,
    failed_solves: usize,
    /// The worst inner-solve report.
    pub worst_solve: Option<SolveReport>,
}

impl<'a, G: Game> GameOperators<'a, G> {
    /// The operators at `x` (len N) with regularisation `eta`: solves for lambda.
    pub fn new(g: &'a G, x: &'a [f64], eta: f64) -> Self {
        let mut o = Self::without_lambda(g, x, eta);
        let mut rhs = vec![0.0; g.d2()];
        g.d2f1(x, &mut rhs);
        let mut lambda = vec![0.0; g.d2()];
        o.solve(true, &rhs, &mut lambda);
        o.lambda = lambda;
        o
    }

    /// The operators that do not need lambda (J, D11 f1, H, S), lambda = 0:
    /// skips the solve for lambda (whose failure would count in
    /// [`GameOperators::solves_ok`]).
    pub(crate) fn without_lambda(g: &'a G, x: &'a [f64], eta: f64) -> Self {
        let (d2, n) = (g.d2(), g.n());
        let symmetric_h = g.info().followers.len() <= 1;
        let opts = KrylovOptions {
            max_iter: (20 * d2 + 100) as u32,
            ..inner_solve_options()
        };
        GameOperators {
            g,
            x,
            eta,
            symmetric_h,
            lambda: vec![0.0; d2],
            krylov: Krylov::for_options(d2, &opts, symmetric_h),
            opts,
            dir: vec![0.0; n],
            t1: vec![0.0; n],
            t2: vec![0.0; n],
            z: vec![0.0; d2],
            c: vec![0.0; d2],
            failed_solves: 0,
            worst_solve: None,
        }
    }

    /// (H + eta I) z = c (or its transpose) by Krylov iterations, from 0.
    fn solve(&mut self, transpose: bool, c: &[f64], z: &mut [f64]) {
        let (g, x, eta) = (self.g, self.x, self.eta);
        let r = self.krylov.solve(
            &self.opts,
            self.symmetric_h,
            |v, out| {
                if transpose {
                    g.d22f2_tmul(x, v, out);
                } else {
                    g.d22f2_mul(x, v, out);
                }
                for (o, vi) in out.iter_mut().zip(v) {
                    *o += eta * vi;
                }
            },
            c,
            z,
        );
        if !r.converged {
            self.failed_solves += 1;
        }
        if self
            .worst_solve
            .is_none_or(|w| r.residual > w.residual || r.residual.is_nan())
        {
            self.worst_solve = Some(r);
        }
    }

    /// Whether every inner solve so far met its tolerance.
    pub fn solves_ok(&self) -> bool {
        self.failed_solves == 0
    }

    /// lambda = (H + eta I)^-T D2 f1.
    pub fn lambda(&self) -> &[f64] {
        &self.lambda
    }

    /// out = D11 f1 u (len d1).
    pub fn d11f1(&mut self, u: &[f64], out: &mut [f64]) {
        let d1 = self.g.d1();
        self.dir.fill(0.0);
        self.dir[..d1].copy_from_slice(u);
        self.g.f1_hvp(self.x, &self.dir, &mut self.t1);
        out.copy_from_slice(&self.t1[..d1]);
    }

    /// out = H w (len d2), H = D22 f2 (without eta).
    pub fn d22f2(&mut self, w: &[f64], out: &mut [f64]) {
        self.g.d22f2_mul(self.x, w, out);
    }

    /// out = J v (len N).
    pub fn jacobian(&mut self, v: &[f64], out: &mut [f64]) {
        let d1 = self.g.d1();
        self.g.f1_hvp(self.x, v, &mut self.t1);
        out[..d1].copy_from_slice(&self.t1[..d1]);
        self.follower_row(v, &mut out[d1..]);
    }

    /// out = B u + H w for v = (u, w).
    fn follower_row(&mut self, v: &[f64], out: &mut [f64]) {
        let d1 = self.g.d1();
        self.g.d21f2_mul(self.x, &v[..d1], out);
        self.g.d22f2_mul(self.x, &v[d1..], &mut self.z);
        for (o, z) in out.iter_mut().zip(&self.z) {
            *o += z;
        }
    }

    /// The leader row of J_S at v = (u, w): a - B^T (H + eta I)^-T c,
    /// (a, c) = (D^2 f1 - D^2 phi) v, into `out` (len d1).
    fn leader_row(&mut self, v: &[f64], out: &mut [f64]) {
        let d1 = self.g.d1();
        self.g.f1_hvp(self.x, v, &mut self.t1);
        self.g.phi_hvp(self.x, &self.lambda, v, &mut self.t2);
        for i in 0..self.t1.len() {
            self.t1[i] -= self.t2[i];
        }
        let c = std::mem::take(&mut self.c);
        let mut c = c;
        c.copy_from_slice(&self.t1[d1..]);
        let mut z = std::mem::take(&mut self.z);
        self.solve(true, &c, &mut z);
        self.g.d21f2_tmul(self.x, &z, out);
        for i in 0..d1 {
            out[i] = self.t1[i] - out[i];
        }
        self.c = c;
        self.z = z;
    }

    /// out = J_S v (len N).
    pub fn stackelberg_jacobian(&mut self, v: &[f64], out: &mut [f64]) {
        let d1 = self.g.d1();
        let (o1, o2) = out.split_at_mut(d1);
        self.leader_row(v, o1);
        self.follower_row(v, o2);
    }

    /// w = Dr u = -(H + eta I)^-1 B u into `self.dir[d1..]`, u into `self.dir[..d1]`.
    fn implicit_direction(&mut self, u: &[f64]) {
        let d1 = self.g.d1();
        let mut c = std::mem::take(&mut self.c);
        self.g.d21f2_mul(self.x, u, &mut c);
        let mut z = std::mem::take(&mut self.z);
        self.solve(false, &c, &mut z);
        self.dir[..d1].copy_from_slice(u);
        for (d, zi) in self.dir[d1..].iter_mut().zip(&z) {
            *d = -zi;
        }
        self.c = c;
        self.z = z;
    }

    /// out = H_S u = D1(Df1) u + D2(Df1) Dr u (len d1).
    pub fn stackelberg_hessian(&mut self, u: &[f64], out: &mut [f64]) {
        self.implicit_direction(u);
        let dir = std::mem::take(&mut self.dir);
        self.leader_row(&dir, out);
        self.dir = dir;
    }

    /// out = S u = D11 f1 u + D12 f1 Dr u (the zero-sum Schur complement
    /// D11 f - D12 f (D22 f)^-1 D21 f when f2 = -f1).
    pub fn schur_complement(&mut self, u: &[f64], out: &mut [f64]) {
        let d1 = self.g.d1();
        self.implicit_direction(u);
        self.g.f1_hvp(self.x, &self.dir, &mut self.t1);
        out.copy_from_slice(&self.t1[..d1]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equilibria::spectrum::symmetric_eigenvalues;

    fn matrix(n: usize, seed: u64) -> DMatrix<f64> {
        DMatrix::from_vec(n, n, start_vector(n * n, seed))
    }

    fn apply(a: &DMatrix<f64>) -> impl FnMut(&[f64], &mut [f64]) + '_ {
        move |v, out| out.copy_from_slice((a * DVector::from_column_slice(v)).as_slice())
    }

    #[test]
    fn lanczos_finds_the_extremes_of_symmetric_matrices() {
        for (n, seed) in [(10, 1), (150, 2), (400, 3)] {
            let r = matrix(n, seed);
            // eigenvalues spread on [-1, 1] plus a separated top and bottom
            let mut a = (&r + r.transpose()) / (2.0 * (n as f64).sqrt());
            a[(0, 0)] += 5.0;
            a[(1, 1)] -= 4.0;
            let want = symmetric_eigenvalues(&a, "A").unwrap();
            let opts = ExtremeOptions {
                k: 2,
                ..Default::default()
            };
            let e = lanczos_extremes(n, apply(&a), &opts);
            assert!(e.converged, "n = {n}: {e:?}");
            let s = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!((e.min_re() - want[0]).abs() <= 1e-8 * s, "n = {n}");
            assert!((e.max_re() - want[n - 1]).abs() <= 1e-8 * s, "n = {n}");
            // the two extreme gaps are wide: the second values match too
            assert!((e.largest[0].re - want[n - 2]).abs() <= 1e-6 * s, "n = {n}");
        }
    }

    #[test]
    fn arnoldi_finds_the_extreme_real_parts_of_general_matrices() {
        for (n, seed) in [(12, 4), (120, 5), (200, 6)] {
            let r = matrix(n, seed);
            let mut a = &r / (n as f64).sqrt();
            a[(0, 0)] += 4.0; // an outlier on the right
            a[(1, 1)] -= 3.0; // and one on the left
            let want = eigenvalues(&a, "A").unwrap();
            // the outliers are well separated; the bulk (a disk) is not
            let opts = ExtremeOptions {
                k: 1,
                ..Default::default()
            };
            let e = arnoldi_extremes(n, apply(&a), &opts);
            assert!(e.converged, "n = {n}: {e:?}");
            let s = want.iter().fold(0.0f64, |m, v| m.max(v.re.hypot(v.im)));
            assert!(
                (e.min_re() - want[0].re).abs() <= 1e-8 * s,
                "n = {n}: {e:?} {:?}",
                want[0]
            );
            assert!((e.max_re() - want[n - 1].re).abs() <= 1e-8 * s, "n = {n}");
            // every value found is an eigenvalue
            for f in e.all() {
                let d = want
                    .iter()
                    .map(|w| (w.re - f.re).hypot(w.im - f.im))
                    .fold(f64::INFINITY, f64::min);
                assert!(d <= 1e-6 * s, "n = {n}: {f:?} is not an eigenvalue");
            }
        }
    }

    #[test]
    fn a_starved_basis_reports_no_convergence() {
        let n = 200;
        let r = matrix(n, 8);
        let a = (&r + r.transpose()) / 2.0;
        let opts = ExtremeOptions {
            basis: 5,
            max_restarts: 1,
            ..Default::default()
        };
        let e = lanczos_extremes(n, apply(&a), &opts);
        assert!(!e.converged && e.residual > opts.tol);
        assert_eq!(e.applications, 10);
    }
}
