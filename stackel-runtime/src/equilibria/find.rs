//! Critical points of omega or omega_S from many starts (damped Newton with
//! a Levenberg-Marquardt fallback), deduplicated.

use std::collections::BTreeMap;

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use serde::Serialize;

use super::{EquilibriumError, Field};
use crate::blocks::Workspace;
use crate::game::Game;
use crate::metric::{max_state_distance, wrap_angle};

/// Settings of [`find_critical_points`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindOptions {
    /// A solve has converged when max_i |F_i(x)| <= `tol` (absolute).
    pub tol: f64,
    /// Newton / Levenberg-Marquardt iterations per start.
    pub max_iter: usize,
    /// A point with residual <= `tol` is accepted only when the Newton step
    /// there is also small, max_i |d_i| <= `step_tol * (1 + max_i |x_i|)`:
    /// this rejects flat regions where |F| is tiny but x is far from a root.
    pub step_tol: f64,
    /// Two solutions are the same point when their (angle-aware) max-norm
    /// distance is <= `dedup_tol * (1 + max_i |x_i|)`.
    pub dedup_tol: f64,
    /// The box of interest, one `(lo, hi)` per state entry (angles compared
    /// after wrapping to [-pi, pi)); `None` accepts every point. Converged
    /// points outside it are dropped (and counted in
    /// [`Found::dropped_outside`]) unless `keep_outside` is set.
    pub bounds: Option<Vec<(f64, f64)>>,
    /// Keep points outside `bounds`, tagged [`CriticalPoint::outside`].
    pub keep_outside: bool,
}

impl Default for FindOptions {
    fn default() -> Self {
        FindOptions {
            tol: 1e-10,
            step_tol: 1e-6,
            max_iter: 100,
            dedup_tol: 1e-6,
            bounds: None,
            keep_outside: false,
        }
    }
}

/// One distinct critical point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CriticalPoint {
    /// The point (angles wrapped to [-pi, pi)).
    pub x: Vec<f64>,
    /// max_i |F_i(x)| of the sought field at `x`.
    pub residual: f64,
    /// Iterations of the solve that produced `x`.
    pub iterations: usize,
    /// How many starts converged to this point.
    pub hits: usize,
    /// Index of the first start that converged here.
    pub first_start: usize,
    /// The point lies outside [`FindOptions::bounds`] (only kept when
    /// [`FindOptions::keep_outside`] is set).
    pub outside: bool,
}

/// Why a solve failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum FailureReason {
    /// D22 f2 (+ eta I) was singular where omega_S was needed.
    SingularFollowerHessian,
    /// |F| <= `tol` but the Jacobian of F is singular there, so the point is
    /// not certified as a root (e.g. a region where the costs are flat).
    SingularJacobian,
    /// Neither a Newton nor a Levenberg-Marquardt step reduced |F|.
    NoDescent,
    /// `max_iter` iterations without reaching `tol`.
    MaxIterations,
    /// The field became NaN or infinite.
    NonFinite,
}

impl std::fmt::Display for FailureReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FailureReason::SingularFollowerHessian => "singular follower Hessian",
            FailureReason::SingularJacobian => "singular Jacobian at a small residual",
            FailureReason::NoDescent => "no descent step",
            FailureReason::MaxIterations => "iteration limit",
            FailureReason::NonFinite => "non-finite field",
        })
    }
}

/// A failed solve, kept for the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failure {
    /// Index of the start.
    pub start: usize,
    /// Why it failed.
    pub reason: FailureReason,
    /// Where the solve stopped.
    pub x: Vec<f64>,
    /// max_i |F_i| there (NaN when it could not be evaluated).
    pub residual: f64,
}

/// The result of [`find_critical_points`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Found {
    /// The field whose zeros were sought.
    pub field: Field,
    /// Number of starts tried.
    pub starts: usize,
    /// Distinct critical points, in order of the first start reaching them.
    pub points: Vec<CriticalPoint>,
    /// Every failed solve.
    pub failures: Vec<Failure>,
    /// Converged solves that ended outside [`FindOptions::bounds`] and were
    /// dropped (0 when `keep_outside` is set).
    pub dropped_outside: usize,
}

impl Found {
    /// Number of failed solves per reason.
    pub fn failure_counts(&self) -> BTreeMap<FailureReason, usize> {
        let mut m = BTreeMap::new();
        for f in &self.failures {
            *m.entry(f.reason).or_insert(0) += 1;
        }
        m
    }
}

/// A regular grid of `per_dim` points per coordinate over the box given by
/// one `(lo, hi)` pair per state entry (`per_dim^n` starts; the box's
/// midpoint when `per_dim` is 1).
pub fn grid_starts(bounds: &[(f64, f64)], per_dim: usize) -> Vec<Vec<f64>> {
    let k = per_dim.max(1);
    let coord = |(lo, hi): (f64, f64), i: usize| {
        if k == 1 {
            0.5 * (lo + hi)
        } else {
            lo + (hi - lo) * i as f64 / (k - 1) as f64
        }
    };
    (0..k.pow(bounds.len() as u32))
        .map(|mut idx| {
            bounds
                .iter()
                .map(|&b| {
                    let i = idx % k;
                    idx /= k;
                    coord(b, i)
                })
                .collect()
        })
        .collect()
}

/// `count` points uniform in the box given by one `(lo, hi)` pair per state
/// entry, reproducible from `seed` (splitmix64).
pub fn random_starts(bounds: &[(f64, f64)], count: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut s = seed;
    let mut next = move || {
        s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..count)
        .map(|_| bounds.iter().map(|(a, b)| a + (b - a) * next()).collect())
        .collect()
}

/// Starts from the flat, row-major final states of a Monte-Carlo study
/// (`dim` entries per trajectory, e.g. `StudyResult::final_states`); rows
/// with a non-finite entry (trajectories that blew up) are skipped.
///
/// ```
/// use stackel_runtime::equilibria::starts_from_states;
///
/// let s = starts_from_states(&[1.0, 2.0, f64::NAN, 0.0, 3.0, 4.0], 2).unwrap();
/// assert_eq!(s, vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
/// assert!(starts_from_states(&[1.0, 2.0, 3.0], 2).is_err());
/// ```
pub fn starts_from_states(flat: &[f64], dim: usize) -> Result<Vec<Vec<f64>>, EquilibriumError> {
    if dim == 0 || !flat.len().is_multiple_of(dim) {
        return Err(EquilibriumError::Ragged {
            len: flat.len(),
            dim,
        });
    }
    Ok(flat
        .chunks(dim)
        .filter(|r| r.iter().all(|v| v.is_finite()))
        .map(<[f64]>::to_vec)
        .collect())
}

/// Evaluates a field and its Jacobian for one game.
pub(crate) struct FieldEval<'g, G> {
    pub(crate) g: &'g G,
    pub(crate) field: Field,
    pub(crate) ws: Workspace<f64>,
    pub(crate) angle: Vec<bool>,
}

impl<'g, G: Game> FieldEval<'g, G> {
    pub(crate) fn new(g: &'g G, field: Field) -> Self {
        FieldEval {
            g,
            field,
            ws: Workspace::new(g),
            angle: g.info().angle_mask(),
        }
    }

    /// F(x); `Err` when D22 f2 + eta I is singular.
    pub(crate) fn value(&mut self, x: &[f64], out: &mut [f64]) -> Result<(), FailureReason> {
        match self.field {
            Field::Simultaneous => {
                self.g.omega(x, out);
                Ok(())
            }
            Field::Stackelberg { eta } => self
                .ws
                .omega_s(self.g, x, eta, out)
                .map_err(|_| FailureReason::SingularFollowerHessian),
        }
    }

    /// DF(x) (n x n, row-major).
    pub(crate) fn jacobian(&mut self, x: &[f64], out: &mut [f64]) -> Result<(), FailureReason> {
        match self.field {
            Field::Simultaneous => self
                .ws
                .jacobian(self.g, x, out)
                .map_err(|_| FailureReason::SingularJacobian),
            Field::Stackelberg { eta } => self
                .ws
                .stackelberg_jacobian(self.g, x, eta, out)
                .map_err(|_| FailureReason::SingularFollowerHessian),
        }
    }

    fn wrap(&self, x: &mut [f64]) {
        for (v, &a) in x.iter_mut().zip(&self.angle) {
            if a {
                *v = wrap_angle(*v);
            }
        }
    }
}

fn norm_inf(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| {
        if x.is_nan() || m.is_nan() {
            f64::NAN
        } else {
            m.max(x.abs())
        }
    })
}

fn norm2_sq(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

enum Outcome {
    Converged {
        x: Vec<f64>,
        residual: f64,
        iterations: usize,
    },
    Failed(Failure),
}

/// Damped Newton on F(x) = 0 with backtracking on |F|^2 (Armijo), and
/// Levenberg-Marquardt steps d = -(DF^T DF + mu I)^-1 DF^T F with growing mu
/// when the Newton direction does not exist or does not descend.
fn solve<G: Game>(
    ev: &mut FieldEval<'_, G>,
    start: usize,
    x0: &[f64],
    opts: &FindOptions,
) -> Outcome {
    let n = x0.len();
    let mut x = x0.to_vec();
    ev.wrap(&mut x);
    let mut f = vec![0.0; n];
    let mut ft = vec![0.0; n];
    let mut jac = vec![0.0; n * n];
    let mut xt = vec![0.0; n];
    let fail = |reason, x: &[f64], residual| {
        Outcome::Failed(Failure {
            start,
            reason,
            x: x.to_vec(),
            residual,
        })
    };
    if let Err(r) = ev.value(&x, &mut f) {
        return fail(r, &x, f64::NAN);
    }
    let mut it = 0;
    loop {
        let r = norm_inf(&f);
        if !r.is_finite() {
            return fail(FailureReason::NonFinite, &x, r);
        }
        if let Err(reason) = ev.jacobian(&x, &mut jac) {
            return fail(reason, &x, r);
        }
        let jm = DMatrix::from_row_slice(n, n, &jac);
        let fv = DVector::from_column_slice(&f);
        let newton = jm
            .clone()
            .lu()
            .solve(&(-&fv))
            .filter(|d| d.iter().all(|v| v.is_finite()));
        if r <= opts.tol {
            let scale = 1.0 + norm_inf(&x);
            match &newton {
                Some(d) if d.amax() <= opts.step_tol * scale => {
                    return Outcome::Converged {
                        x,
                        residual: r,
                        iterations: it,
                    }
                }
                Some(_) => {}
                None => return fail(FailureReason::SingularJacobian, &x, r),
            }
        }
        if it == opts.max_iter {
            return fail(FailureReason::MaxIterations, &x, r);
        }
        let phi = norm2_sq(&f);
        let mut accepted = false;
        // Newton direction with backtracking.
        if let Some(d) = newton {
            let mut alpha = 1.0;
            for _ in 0..40 {
                for i in 0..n {
                    xt[i] = x[i] + alpha * d[i];
                }
                ev.wrap(&mut xt);
                if ev.value(&xt, &mut ft).is_ok() && norm2_sq(&ft) <= (1.0 - 1e-4 * alpha) * phi {
                    accepted = true;
                    break;
                }
                alpha *= 0.5;
            }
        }
        // Levenberg-Marquardt fallback.
        if !accepted {
            let jtj = jm.transpose() * &jm;
            let jtf = jm.transpose() * &fv;
            let scale = jtj.diagonal().amax().max(f64::MIN_POSITIVE);
            let mut mu = 1e-8 * scale;
            for _ in 0..20 {
                let mut a = jtj.clone();
                for i in 0..n {
                    a[(i, i)] += mu;
                }
                if let Some(d) = a.cholesky().map(|c| c.solve(&(-&jtf))) {
                    for i in 0..n {
                        xt[i] = x[i] + d[i];
                    }
                    ev.wrap(&mut xt);
                    if ev.value(&xt, &mut ft).is_ok() && norm2_sq(&ft) < phi {
                        accepted = true;
                        break;
                    }
                }
                mu *= 10.0;
            }
        }
        if !accepted {
            return fail(FailureReason::NoDescent, &x, r);
        }
        std::mem::swap(&mut x, &mut xt);
        std::mem::swap(&mut f, &mut ft);
        it += 1;
    }
}

/// Critical points of `field` for game `g`, solved from every start in
/// `starts` (each of length d1 + d2; e.g. [`grid_starts`], [`random_starts`]
/// or the end points of a Monte-Carlo study) in parallel, then deduplicated
/// (angle-aware for angle players). Failed solves are reported in
/// [`Found::failures`], not dropped.
///
/// ```
/// use std::f64::consts::PI;
/// use stackel_runtime::equilibria::{classify, find_critical_points, grid_starts, Field};
/// use stackel_testkit::games::Torus; // the paper's torus game, written with stackel_game!
///
/// let t = Torus::default(); // both players are angles
/// let starts = grid_starts(&[(-PI, PI), (-PI, PI)], 8);
/// let found = find_critical_points(&t, Field::Simultaneous, &starts, &Default::default()).unwrap();
/// // every start either reached a point or is reported as a failure
/// let hits: usize = found.points.iter().map(|p| p.hits).sum();
/// assert_eq!(hits + found.failures.len(), 64);
/// let nash: Vec<_> = found
///     .points
///     .iter()
///     .filter(|p| classify(&t, &p.x, &Default::default()).unwrap().differential_nash.is_yes())
///     .collect();
/// assert_eq!(nash.len(), 2); // the paper's (-0.78, 1.18) and (1.57, -0.40)
/// assert!(nash.iter().all(|p| p.x.iter().all(|v| (-PI..PI).contains(v))));
/// ```
pub fn find_critical_points<G: Game>(
    g: &G,
    field: Field,
    starts: &[Vec<f64>],
    opts: &FindOptions,
) -> Result<Found, EquilibriumError> {
    let n = g.n();
    for (index, s) in starts.iter().enumerate() {
        if s.len() != n {
            return Err(EquilibriumError::Dimension {
                index,
                expected: n,
                got: s.len(),
            });
        }
        if s.iter().any(|v| !v.is_finite()) {
            return Err(EquilibriumError::NonFinite { index });
        }
    }
    if let Some(b) = &opts.bounds {
        if b.len() != n
            || b.iter()
                .any(|(lo, hi)| lo.is_nan() || hi.is_nan() || lo > hi)
        {
            return Err(EquilibriumError::Bounds {
                expected: n,
                got: b.len(),
            });
        }
    }
    let inside = |x: &[f64]| {
        opts.bounds
            .as_ref()
            .is_none_or(|b| x.iter().zip(b).all(|(v, (lo, hi))| (*lo..=*hi).contains(v)))
    };
    let mut dropped_outside = 0;
    let outcomes: Vec<Outcome> = starts
        .par_iter()
        .enumerate()
        .map_init(
            || FieldEval::new(g, field),
            |ev, (i, s)| solve(ev, i, s, opts),
        )
        .collect();
    let angle = g.info().angle_mask();
    let mut points: Vec<CriticalPoint> = Vec::new();
    let mut failures = Vec::new();
    for (start, o) in outcomes.into_iter().enumerate() {
        match o {
            Outcome::Failed(f) => failures.push(f),
            Outcome::Converged {
                x,
                residual,
                iterations,
            } => {
                let outside = !inside(&x);
                if outside && !opts.keep_outside {
                    dropped_outside += 1;
                    continue;
                }
                let scale = 1.0 + norm_inf(&x);
                match points
                    .iter_mut()
                    .find(|p| max_state_distance(&p.x, &x, &angle) <= opts.dedup_tol * scale)
                {
                    Some(p) => {
                        p.hits += 1;
                        if residual < p.residual {
                            (p.x, p.residual, p.iterations) = (x, residual, iterations);
                        }
                    }
                    None => points.push(CriticalPoint {
                        x,
                        residual,
                        iterations,
                        hits: 1,
                        first_start: start,
                        outside,
                    }),
                }
            }
        }
    }
    Ok(Found {
        field,
        starts: starts.len(),
        points,
        failures,
        dropped_outside,
    })
}
