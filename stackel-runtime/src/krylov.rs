//! Matrix-free Krylov solvers for A x = b, A given only as a product
//! v -> A v (a closure writing into a slice): conjugate gradients for
//! symmetric positive definite A, BiCGSTAB and restarted GMRES for general A.
//!
//! All three stop when the relative residual |b - A x|_2 <= tol |b|_2 or
//! after `max_iter` iterations (an iteration is one CG step, one BiCGSTAB
//! step with its two products, or one GMRES inner step) and report what
//! they reached ([`SolveReport`]). The residual they report is the one the
//! method updates (CG's and BiCGSTAB's recursive residual, GMRES's
//! least-squares residual), which equals the true residual in exact
//! arithmetic. With `warm_start` the iteration starts from the x passed in
//! (the previous step's solution in the dynamics); otherwise from x = 0.
//!
//! A [`Krylov`] workspace holds every buffer: after [`Krylov::new`] no solve
//! allocates.

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use crate::real::{Float, Real};
use serde::{Deserialize, Serialize};

/// Which Krylov method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// CG when A is symmetric (one follower: H = D22 f2 is a Hessian),
    /// GMRES(30) otherwise.
    Auto,
    /// Conjugate gradients: A symmetric positive definite.
    Cg,
    /// BiCGSTAB: general A, two products per iteration, short recurrences.
    BiCgStab,
    /// GMRES restarted every `restart` iterations: general A, memory
    /// (restart + 1) n.
    Gmres {
        /// Basis size before a restart (>= 1).
        restart: usize,
    },
}

/// The restart length of GMRES under [`Method::Auto`].
pub const AUTO_GMRES_RESTART: usize = 30;

impl Method {
    /// The concrete method for an operator that is (or is not) symmetric.
    pub fn resolve(self, symmetric: bool) -> Method {
        match self {
            Method::Auto if symmetric => Method::Cg,
            Method::Auto => Method::Gmres {
                restart: AUTO_GMRES_RESTART,
            },
            Method::Gmres { restart } => Method::Gmres {
                restart: restart.max(1),
            },
            m => m,
        }
    }
}

/// Options of a Krylov solve.
///
/// Defaults: [`Method::Auto`], `max_iter` 200, `tol` 1e-10 (relative
/// residual), `warm_start` true, `truncated` false.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct KrylovOptions {
    /// The method.
    pub method: Method,
    /// Most iterations per solve.
    pub max_iter: u32,
    /// Converged when |b - A x|_2 <= tol |b|_2.
    pub tol: f64,
    /// Start from the x passed in (else from 0).
    pub warm_start: bool,
    /// A truncated solve: exactly up to `max_iter` iterations, its result
    /// used whether or not it reached `tol` (the paper's 5 warm-started CG
    /// iterations, appendix C). Otherwise a solve that misses `tol` is a
    /// failure of the trajectory.
    pub truncated: bool,
}

impl Default for KrylovOptions {
    fn default() -> Self {
        KrylovOptions {
            method: Method::Auto,
            max_iter: 200,
            tol: 1e-10,
            warm_start: true,
            truncated: false,
        }
    }
}

/// What one solve reached.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SolveReport {
    /// Iterations done.
    pub iterations: u32,
    /// Final relative residual |b - A x|_2 / |b|_2 (0 when b = 0).
    pub residual: f64,
    /// `residual <= tol` (and finite).
    pub converged: bool,
}

/// Buffers of the Krylov solvers for systems of size n (see the module docs).
#[derive(Clone, Debug)]
pub struct Krylov<T> {
    n: usize,
    restart: usize,
    r: Vec<T>,
    p: Vec<T>,
    q: Vec<T>,
    s: Vec<T>,
    t: Vec<T>,
    r0: Vec<T>,
    // GMRES: basis (restart + 1) x n, Hessenberg (restart + 1) x restart,
    // Givens rotations and the rotated right-hand side.
    basis: Vec<T>,
    hess: Vec<T>,
    cs: Vec<T>,
    sn: Vec<T>,
    g: Vec<T>,
    y: Vec<T>,
}

fn dot<T: Float>(a: &[T], b: &[T]) -> T {
    let mut s = T::zero();
    for i in 0..a.len() {
        s += a[i] * b[i];
    }
    s
}

/// `r > limit`, or r NaN: the iteration goes on.
fn above<T: Float>(r: T, limit: T) -> bool {
    !matches!(
        r.partial_cmp(&limit),
        Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
    )
}

fn norm<T: Float>(a: &[T]) -> T {
    dot(a, a).sqrt()
}

impl<T: Float> Krylov<T> {
    /// Buffers for size `n`; GMRES buffers for `gmres_restart` (0: none, then
    /// a GMRES solve panics).
    pub fn new(n: usize, gmres_restart: usize) -> Self {
        let z = T::zero();
        let m = gmres_restart;
        Krylov {
            n,
            restart: m,
            r: vec![z; n],
            p: vec![z; n],
            q: vec![z; n],
            s: vec![z; n],
            t: vec![z; n],
            r0: vec![z; n],
            basis: vec![z; if m > 0 { (m + 1) * n } else { 0 }],
            hess: vec![z; (m + 1) * m],
            cs: vec![z; m],
            sn: vec![z; m],
            g: vec![z; m + 1],
            y: vec![z; m],
        }
    }

    /// Buffers for `opts` resolved for a (non-)symmetric operator of size n.
    pub fn for_options(n: usize, opts: &KrylovOptions, symmetric: bool) -> Self {
        match opts.method.resolve(symmetric) {
            Method::Gmres { restart } => Self::new(n, restart),
            _ => Self::new(n, 0),
        }
    }

    /// System size n.
    pub fn dim(&self) -> usize {
        self.n
    }

    /// Solves A x = b with `opts` (method resolved by `symmetric`); `x` is
    /// the start when `opts.warm_start`, else it is overwritten by 0 first.
    pub fn solve(
        &mut self,
        opts: &KrylovOptions,
        symmetric: bool,
        apply: impl FnMut(&[T], &mut [T]),
        b: &[T],
        x: &mut [T],
    ) -> SolveReport {
        if !opts.warm_start {
            x.fill(T::zero());
        }
        let tol = T::of(opts.tol);
        match opts.method.resolve(symmetric) {
            Method::Cg => self.cg(apply, b, x, tol, opts.max_iter),
            Method::BiCgStab => self.bicgstab(apply, b, x, tol, opts.max_iter),
            Method::Gmres { restart } => self.gmres(apply, b, x, tol, opts.max_iter, restart),
            Method::Auto => unreachable!("resolved above"),
        }
    }

    /// r <- b - A x; returns (|b|, |r|).
    fn initial_residual(
        &mut self,
        apply: &mut impl FnMut(&[T], &mut [T]),
        b: &[T],
        x: &[T],
    ) -> (T, T) {
        apply(x, &mut self.r);
        for i in 0..self.n {
            self.r[i] = b[i] - self.r[i];
        }
        (norm(b), norm(&self.r))
    }

    fn report(rel: T, tol: T, iterations: u32) -> SolveReport {
        SolveReport {
            iterations,
            residual: rel.re(),
            converged: rel.is_finite() && rel <= tol,
        }
    }

    /// Conjugate gradients (A symmetric positive definite): from r = b - A x,
    /// p = r: alpha = r.r / p.Ap, x += alpha p, r -= alpha Ap,
    /// beta = r'.r' / r.r, p = r' + beta p. Exact after n steps in exact
    /// arithmetic.
    pub fn cg(
        &mut self,
        mut apply: impl FnMut(&[T], &mut [T]),
        b: &[T],
        x: &mut [T],
        tol: T,
        max_iter: u32,
    ) -> SolveReport {
        let n = self.n;
        let (bn, mut rn) = self.initial_residual(&mut apply, b, x);
        if bn == T::zero() {
            x.fill(T::zero());
            return Self::report(T::zero(), tol, 0);
        }
        self.p.copy_from_slice(&self.r);
        let mut rr = rn * rn;
        let mut it = 0;
        while it < max_iter && above(rn, tol * bn) {
            apply(&self.p, &mut self.q);
            let pq = dot(&self.p, &self.q);
            if pq == T::zero() || !pq.is_finite() {
                break;
            }
            let alpha = rr / pq;
            for i in 0..n {
                x[i] += alpha * self.p[i];
                self.r[i] -= alpha * self.q[i];
            }
            let rr_new = dot(&self.r, &self.r);
            let beta = rr_new / rr;
            for i in 0..n {
                self.p[i] = self.r[i] + beta * self.p[i];
            }
            rr = rr_new;
            rn = rr.sqrt();
            it += 1;
        }
        Self::report(rn / bn, tol, it)
    }

    /// BiCGSTAB (van der Vorst): general A, shadow residual r0 = b - A x0.
    pub fn bicgstab(
        &mut self,
        mut apply: impl FnMut(&[T], &mut [T]),
        b: &[T],
        x: &mut [T],
        tol: T,
        max_iter: u32,
    ) -> SolveReport {
        let n = self.n;
        let z = T::zero();
        let (bn, mut rn) = self.initial_residual(&mut apply, b, x);
        if bn == z {
            x.fill(z);
            return Self::report(z, tol, 0);
        }
        self.r0.copy_from_slice(&self.r);
        self.p.fill(z);
        self.q.fill(z); // q = A p
        let (mut rho, mut alpha, mut omega) = (T::one(), T::one(), T::one());
        let mut it = 0;
        while it < max_iter && above(rn, tol * bn) {
            let rho_new = dot(&self.r0, &self.r);
            if rho_new == z || omega == z || !rho_new.is_finite() {
                break;
            }
            let beta = (rho_new / rho) * (alpha / omega);
            rho = rho_new;
            for i in 0..n {
                self.p[i] = self.r[i] + beta * (self.p[i] - omega * self.q[i]);
            }
            apply(&self.p, &mut self.q);
            let r0q = dot(&self.r0, &self.q);
            if r0q == z || !r0q.is_finite() {
                break;
            }
            alpha = rho / r0q;
            for i in 0..n {
                self.s[i] = self.r[i] - alpha * self.q[i];
            }
            it += 1;
            let sn = norm(&self.s);
            if sn <= tol * bn {
                for i in 0..n {
                    x[i] += alpha * self.p[i];
                }
                self.r.copy_from_slice(&self.s);
                rn = sn;
                break;
            }
            apply(&self.s, &mut self.t);
            let tt = dot(&self.t, &self.t);
            omega = if tt == z {
                z
            } else {
                dot(&self.t, &self.s) / tt
            };
            for i in 0..n {
                x[i] += alpha * self.p[i] + omega * self.s[i];
                self.r[i] = self.s[i] - omega * self.t[i];
            }
            rn = norm(&self.r);
        }
        Self::report(rn / bn, tol, it)
    }

    /// GMRES(m): Arnoldi with modified Gram-Schmidt, Givens rotations on the
    /// Hessenberg matrix, the least-squares update at the end of each cycle
    /// or on convergence; restarts from the true residual.
    pub fn gmres(
        &mut self,
        mut apply: impl FnMut(&[T], &mut [T]),
        b: &[T],
        x: &mut [T],
        tol: T,
        max_iter: u32,
        restart: usize,
    ) -> SolveReport {
        let n = self.n;
        let z = T::zero();
        let m = restart.min(self.restart);
        assert!(
            m >= 1,
            "Krylov::gmres: workspace built without GMRES buffers"
        );
        let (bn, mut rn) = self.initial_residual(&mut apply, b, x);
        if bn == z {
            x.fill(z);
            return Self::report(z, tol, 0);
        }
        let mut it = 0u32;
        while it < max_iter && above(rn, tol * bn) && rn.is_finite() {
            // v0 = r / |r|
            let beta = rn;
            for i in 0..n {
                self.basis[i] = self.r[i] / beta;
            }
            self.g.fill(z);
            self.g[0] = beta;
            let mut k = 0;
            while k < m && it < max_iter {
                let (head, tail) = self.basis.split_at_mut((k + 1) * n);
                let w = &mut tail[..n];
                apply(&head[k * n..(k + 1) * n], w);
                for j in 0..=k {
                    let vj = &head[j * n..(j + 1) * n];
                    let h = dot(w, vj);
                    self.hess[j * m + k] = h;
                    for i in 0..n {
                        w[i] -= h * vj[i];
                    }
                }
                let hn = norm(w);
                self.hess[(k + 1) * m + k] = hn;
                if hn != z {
                    for v in w.iter_mut() {
                        *v /= hn;
                    }
                }
                // previous rotations, then a new one zeroing h[k+1, k]
                for j in 0..k {
                    let (a, c) = (self.hess[j * m + k], self.hess[(j + 1) * m + k]);
                    self.hess[j * m + k] = self.cs[j] * a + self.sn[j] * c;
                    self.hess[(j + 1) * m + k] = -self.sn[j] * a + self.cs[j] * c;
                }
                let (a, c) = (self.hess[k * m + k], self.hess[(k + 1) * m + k]);
                let den = (a * a + c * c).sqrt();
                let (cs, sn) = if den == z {
                    (T::one(), z)
                } else {
                    (a / den, c / den)
                };
                self.cs[k] = cs;
                self.sn[k] = sn;
                self.hess[k * m + k] = den;
                self.hess[(k + 1) * m + k] = z;
                self.g[k + 1] = -sn * self.g[k];
                self.g[k] = cs * self.g[k];
                rn = Real::abs(self.g[k + 1]);
                k += 1;
                it += 1;
                if rn <= tol * bn || hn == z {
                    break;
                }
            }
            // y = R^-1 g, x += V y
            for i in (0..k).rev() {
                let mut s = self.g[i];
                for j in i + 1..k {
                    s -= self.hess[i * m + j] * self.y[j];
                }
                self.y[i] = s / self.hess[i * m + i];
            }
            for j in 0..k {
                let yj = self.y[j];
                for i in 0..n {
                    x[i] += yj * self.basis[j * n + i];
                }
            }
            // the true residual for the next cycle (and the report)
            let (_, r) = self.initial_residual(&mut apply, b, x);
            rn = r;
        }
        Self::report(rn / bn, tol, it)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{DMatrix, DVector};

    /// Deterministic uniforms in [-1, 1) (the extreme-eigenvalue solver's
    /// start vectors).
    fn uniforms(seed: u64, count: usize) -> Vec<f64> {
        crate::equilibria::extremes::start_vector(count, seed)
    }

    /// A random SPD matrix Q Q^T / n + shift I.
    fn spd(n: usize, shift: f64, seed: u64) -> DMatrix<f64> {
        let q = DMatrix::from_vec(n, n, uniforms(seed, n * n));
        &q * q.transpose() / n as f64 + DMatrix::identity(n, n) * shift
    }

    /// A random non-symmetric, well-conditioned matrix: 2 I + R / sqrt(n).
    fn general(n: usize, seed: u64) -> DMatrix<f64> {
        let r = DMatrix::from_vec(n, n, uniforms(seed, n * n));
        DMatrix::identity(n, n) * 2.0 + r / (n as f64).sqrt()
    }

    fn run(
        a: &DMatrix<f64>,
        opts: KrylovOptions,
        symmetric: bool,
        seed: u64,
    ) -> (SolveReport, f64) {
        let n = a.nrows();
        let b = DVector::from_vec(uniforms(seed + 100, n));
        let want = a.clone().lu().solve(&b).unwrap();
        let mut k = Krylov::<f64>::for_options(n, &opts, symmetric);
        let mut x = vec![0.0; n];
        let rep = k.solve(
            &opts,
            symmetric,
            |v, out| {
                let y = a * DVector::from_column_slice(v);
                out.copy_from_slice(y.as_slice());
            },
            b.as_slice(),
            &mut x,
        );
        let err = (DVector::from_vec(x) - &want).norm() / want.norm();
        // the reported residual is the true one
        (rep, err)
    }

    #[test]
    fn cg_matches_dense_lu_on_spd_systems() {
        for (n, seed) in [(5, 1), (40, 2), (120, 3)] {
            let a = spd(n, 0.5, seed);
            let opts = KrylovOptions {
                method: Method::Cg,
                tol: 1e-12,
                max_iter: 1000,
                ..Default::default()
            };
            let (rep, err) = run(&a, opts, true, seed);
            assert!(rep.converged && rep.residual <= 1e-12, "{rep:?}");
            // |x - x*| / |x*| <= cond(A) * residual; cond <= (max + 0.5) / 0.5
            assert!(err < 1e-9, "n = {n}: {err}");
        }
    }

    /// CG is exact after at most n steps: with a budget of n iterations it
    /// reaches the rounding level on a well-conditioned n x n system.
    #[test]
    fn cg_is_exact_in_n_steps() {
        for n in [3usize, 8, 16] {
            let a = spd(n, 1.0, 7 + n as u64);
            let opts = KrylovOptions {
                method: Method::Cg,
                tol: 0.0,
                max_iter: n as u32,
                ..Default::default()
            };
            let (rep, err) = run(&a, opts, true, 9);
            assert_eq!(rep.iterations, n as u32);
            assert!(
                rep.residual < 1e-11 && err < 1e-11,
                "n = {n}: {rep:?} {err}"
            );
        }
        // eigenvalues {1, 2, 3} with multiplicity: 3 distinct values, 3 steps
        let n = 12;
        let q = spd(n, 0.0, 5).symmetric_eigen().eigenvectors;
        let d = DMatrix::from_diagonal(&DVector::from_fn(n, |i, _| 1.0 + (i % 3) as f64));
        let a = &q * d * q.transpose();
        let opts = KrylovOptions {
            method: Method::Cg,
            tol: 1e-12,
            max_iter: 50,
            ..Default::default()
        };
        let (rep, err) = run(&a, opts, true, 4);
        assert!(rep.converged && rep.iterations <= 4, "{rep:?}");
        assert!(err < 1e-11);
    }

    #[test]
    fn bicgstab_and_gmres_match_dense_lu_on_general_systems() {
        for (n, seed) in [(6, 11), (50, 12), (150, 13)] {
            let a = general(n, seed);
            assert!((&a - a.transpose()).norm() > 1.0, "non-symmetric");
            for method in [
                Method::BiCgStab,
                Method::Gmres { restart: 10 },
                Method::Gmres { restart: 200 },
                Method::Auto,
            ] {
                let opts = KrylovOptions {
                    method,
                    tol: 1e-11,
                    max_iter: 2000,
                    ..Default::default()
                };
                let (rep, err) = run(&a, opts, false, seed);
                assert!(rep.converged, "{method:?} n = {n}: {rep:?}");
                assert!(err < 1e-8, "{method:?} n = {n}: {err}");
            }
        }
    }

    /// Full GMRES (restart >= n) is exact in at most n iterations.
    #[test]
    fn full_gmres_is_exact_in_n_steps() {
        let n = 20;
        let a = general(n, 21);
        let opts = KrylovOptions {
            method: Method::Gmres { restart: n },
            tol: 1e-13,
            max_iter: n as u32,
            ..Default::default()
        };
        let (rep, err) = run(&a, opts, false, 3);
        assert!(
            rep.iterations <= n as u32 && rep.residual < 1e-12,
            "{rep:?}"
        );
        assert!(err < 1e-11);
    }

    #[test]
    fn warm_start_from_the_solution_takes_no_iteration_and_cold_start_ignores_x() {
        let n = 30;
        let a = spd(n, 0.5, 31);
        let b: Vec<f64> = uniforms(32, n);
        let x_star = a.clone().lu().solve(&DVector::from_vec(b.clone())).unwrap();
        let apply = |v: &[f64], out: &mut [f64]| {
            out.copy_from_slice((&a * DVector::from_column_slice(v)).as_slice())
        };
        let mut k = Krylov::<f64>::new(n, 0);
        let warm = KrylovOptions {
            method: Method::Cg,
            tol: 1e-8,
            ..Default::default()
        };
        let mut x = x_star.as_slice().to_vec();
        let rep = k.solve(&warm, true, apply, &b, &mut x);
        assert_eq!(rep.iterations, 0);
        let cold = KrylovOptions {
            warm_start: false,
            ..warm
        };
        let rep_cold = k.solve(&cold, true, apply, &b, &mut x);
        let mut x0 = vec![123.0; n];
        let rep_cold2 = k.solve(&cold, true, apply, &b, &mut x0);
        assert!(rep_cold.iterations > 5);
        assert_eq!(rep_cold, rep_cold2);
        assert_eq!(x, x0);
    }

    #[test]
    fn capped_solves_report_non_convergence_and_f32_works() {
        let n = 60;
        let a = spd(n, 0.01, 41);
        let opts = KrylovOptions {
            method: Method::Cg,
            tol: 1e-12,
            max_iter: 3,
            ..Default::default()
        };
        let (rep, _) = run(&a, opts, true, 1);
        assert_eq!(rep.iterations, 3);
        assert!(!rep.converged && rep.residual > 1e-12);

        // f32: converges to its own precision level
        let b: Vec<f32> = uniforms(42, n).iter().map(|v| *v as f32).collect();
        let a32 = spd(n, 1.0, 43).map(|v| v as f32);
        let mut k = Krylov::<f32>::new(n, 0);
        let mut x = vec![0.0f32; n];
        let opts = KrylovOptions {
            method: Method::Cg,
            tol: 1e-5,
            ..Default::default()
        };
        let rep = k.solve(
            &opts,
            true,
            |v, out| out.copy_from_slice((&a32 * DVector::from_column_slice(v)).as_slice()),
            &b,
            &mut x,
        );
        assert!(rep.converged, "{rep:?}");
        let r = DVector::from_vec(b.clone()) - &a32 * DVector::from_vec(x);
        assert!(r.norm() <= 2e-5 * DVector::from_vec(b).norm());
    }
}
