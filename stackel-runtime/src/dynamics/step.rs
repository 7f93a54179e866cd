//! One step of one trajectory, in the order of the [`super`] module docs:
//! the per-thread scratch, the best-response Newton solve, the field of
//! each rule (through [`crate::field`]) and the plain or Adam update.

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use super::solver::SolveStats;
use super::{Dynamics, Newton, Rule};
use crate::field;
use crate::game::{Game, StackelbergParts};
use crate::hierarchy::Hierarchy;
use crate::krylov::{Krylov, KrylovOptions};
use crate::linalg::{Lu, Singular};
use crate::metric::wrap_angle;
use crate::real::{Float, Real};
use crate::schedule::Optimizer;

/// What one step did to a trajectory beyond moving it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepEvent {
    /// The step was taken as the rule says.
    Ok,
    /// The follower Hessian (plus eta I) was singular: the trajectory stops.
    Singular,
    /// The best-response Newton iteration did not converge this step (counted,
    /// the trajectory goes on from the best iterate).
    NewtonFailed,
    /// The matrix-free follower solve missed its tolerance after its
    /// iteration cap (not truncated): the trajectory stops.
    NotConverged,
}

/// The matrix-free follower solve's buffers (vectors only, no block).
#[derive(Clone, Debug)]
struct MatrixFree<T> {
    opts: KrylovOptions,
    /// One follower: H = D22 f2 is a Hessian, symmetric.
    symmetric: bool,
    krylov: Krylov<T>,
    /// B^T lambda (len d1).
    bt_lambda: Vec<T>,
}

/// Per-thread buffers of [`step`]; allocation-free after construction.
#[derive(Clone, Debug)]
pub struct StepScratch<T> {
    d1: usize,
    d2: usize,
    grad: Vec<T>,
    d1f1: Vec<T>,
    d2f1: Vec<T>,
    d2f2: Vec<T>,
    h: Vec<T>,
    b: Vec<T>,
    lambda: Vec<T>,
    trial: Vec<T>,
    lu: Lu<T>,
    mf: Option<MatrixFree<T>>,
    stats: SolveStats,
    /// [`Rule::Staggered`]: the game's levels (`None` for other rules, or
    /// when the game has none; the plan's validation reports that).
    hierarchy: Option<Hierarchy>,
}

impl<T: Float> StepScratch<T> {
    /// Buffers for game `G` on the dense path.
    pub fn new<G: Game>(g: &G) -> Self {
        Self::build(g, None, false)
    }

    /// Buffers for game `g` under `dynamics`: dense, or, when
    /// [`Dynamics::follower_solver`] resolves to matrix-free for `g`, vectors
    /// and a Krylov workspace only (no d2 x d2 or d2 x d1 buffer).
    pub fn for_dynamics<G: Game>(g: &G, dynamics: &Dynamics) -> Self {
        let symmetric = g.info().followers.len() <= 1;
        let mut s = Self::build(g, dynamics.follower_solver.resolve_for(g), symmetric);
        if dynamics.rule == Rule::Staggered {
            s.hierarchy = dynamics.hierarchy(g).ok();
        }
        s
    }

    /// Whether the follower solve is matrix-free.
    pub fn matrix_free(&self) -> bool {
        self.mf.is_some()
    }

    /// Whether solves start from the lambda left in [`StepScratch::lambda_mut`]
    /// (matrix-free with warm start): the engine keeps it per trajectory.
    pub fn warm_starts(&self) -> bool {
        self.mf.as_ref().is_some_and(|m| m.opts.warm_start)
    }

    /// The multiplier lambda (len d2): the start of the next warm-started
    /// solve, the solution after it.
    pub fn lambda_mut(&mut self) -> &mut [T] {
        &mut self.lambda
    }

    /// The statistics of the matrix-free solves since construction.
    pub fn solve_stats(&self) -> &SolveStats {
        &self.stats
    }

    fn build<G: Game>(g: &G, mf: Option<KrylovOptions>, symmetric: bool) -> Self {
        let (d1, d2) = (g.d1(), g.d2());
        let z = T::zero();
        let dense = mf.is_none();
        let block = |len: usize| vec![z; if dense { len } else { 0 }];
        StepScratch {
            d1,
            d2,
            grad: vec![z; d1 + d2],
            d1f1: vec![z; d1],
            d2f1: vec![z; d2],
            d2f2: vec![z; d2],
            h: block(d2 * d2),
            b: block(d2 * d1),
            lambda: vec![z; d2],
            // the full slice a Game method reads: the state and the data entries
            trial: vec![z; d1 + d2 + g.nd()],
            lu: Lu::new(if dense { d2 } else { 0 }),
            mf: mf.map(|opts| MatrixFree {
                opts,
                symmetric,
                krylov: Krylov::for_options(d2, &opts, symmetric),
                bt_lambda: vec![z; d1],
            }),
            stats: SolveStats::default(),
            hierarchy: None,
        }
    }

    /// The field of the last step (len d1 + d2).
    pub fn field(&self) -> &[T] {
        &self.grad
    }

    /// D1 f1, D2 f1, D2 f2, D22 f2 (in `h`) and D21 f2 (in `b`) at x.
    fn stackelberg_parts<G: Game>(&mut self, g: &G, x: &[T]) {
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
    }
}

/// Why the follower solve failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SolveFailure {
    /// Dense: H + eta I singular.
    Singular,
    /// Matrix-free: the tolerance was missed (not truncated).
    NotConverged,
}

impl From<Singular> for SolveFailure {
    fn from(_: Singular) -> Self {
        SolveFailure::Singular
    }
}

impl SolveFailure {
    fn event(self) -> StepEvent {
        match self {
            SolveFailure::Singular => StepEvent::Singular,
            SolveFailure::NotConverged => StepEvent::NotConverged,
        }
    }
}

/// Df1 = D1 f1 - B^T (H + eta I)^-T D2 f1 into `s.grad[..d1]`, also leaving
/// D2 f2 in `s.d2f2`: dense ([`dense_total_leader_gradient`]) or matrix-free
/// ([`matrix_free_total_leader_gradient`]) as the scratch was built.
#[inline(always)]
pub(super) fn total_leader_gradient<G: Game, T: Float>(
    g: &G,
    x: &[T],
    eta: T,
    s: &mut StepScratch<T>,
) -> Result<(), SolveFailure> {
    if s.mf.is_some() {
        matrix_free_total_leader_gradient(g, x, eta, s)
    } else {
        Ok(dense_total_leader_gradient(g, x, eta, s)?)
    }
}

/// Matrix-free: lambda solves (H^T + eta I) lambda = D2 f1 by Krylov
/// iterations on [`Game::d22f2_tmul`] (warm-started from `s.lambda` when the
/// options say so), then Df1 = D1 f1 - [`Game::d21f2_tmul`](lambda). Records
/// the solve in the scratch's statistics; Err when it missed the tolerance
/// and the options are not truncated.
fn matrix_free_total_leader_gradient<G: Game, T: Float>(
    g: &G,
    x: &[T],
    eta: T,
    s: &mut StepScratch<T>,
) -> Result<(), SolveFailure> {
    let d1 = s.d1;
    own_gradients(g, x, s);
    g.d2f1(x, &mut s.d2f1);
    let mf = s.mf.as_mut().expect("matrix-free scratch");
    let report = mf.krylov.solve(
        &mf.opts,
        mf.symmetric,
        |v, out| {
            g.d22f2_tmul(x, v, out);
            for (o, vi) in out.iter_mut().zip(v) {
                *o += eta * *vi;
            }
        },
        &s.d2f1,
        &mut s.lambda,
    );
    s.stats.add(&report);
    if !report.converged && !mf.opts.truncated {
        return Err(SolveFailure::NotConverged);
    }
    g.d21f2_tmul(x, &s.lambda, &mut mf.bt_lambda);
    for i in 0..d1 {
        s.grad[i] = s.d1f1[i] - mf.bt_lambda[i];
    }
    Ok(())
}

/// D1 f1 and D2 f2 into the scratch from one [`Game::omega`] call (the
/// same values as `d1f1` and `d2f2`; a tape-form game shares one forward
/// pass between them).
#[inline(always)]
fn own_gradients<G: Game, T: Float>(g: &G, x: &[T], s: &mut StepScratch<T>) {
    let d1 = s.d1;
    g.omega(x, &mut s.grad);
    s.d1f1.copy_from_slice(&s.grad[..d1]);
    s.d2f2.copy_from_slice(&s.grad[d1..]);
}

/// Dense: the [`crate::field`] path (closed form for d2 = 1, LU above).
/// Err when H + eta I is singular.
#[inline(always)]
fn dense_total_leader_gradient<G: Game, T: Float>(
    g: &G,
    x: &[T],
    eta: T,
    s: &mut StepScratch<T>,
) -> Result<(), Singular> {
    let d1 = s.d1;
    s.stackelberg_parts(g, x);
    s.lambda.copy_from_slice(&s.d2f1);
    field::total_leader_gradient::<T, 1>(
        &s.d1f1,
        &s.b,
        &mut s.h,
        eta,
        &mut s.lambda,
        Some(&mut s.lu),
        &mut s.grad[..d1],
    )
}

fn inf_norm<T: Float>(v: &[T]) -> T {
    v.iter().fold(T::zero(), |m, a| m.max(Real::abs(*a)))
}

/// x2 <- r(x1): damped Newton on D2 f2(x1, .) = 0 warm-started at the current
/// x2. Returns false when it did not converge (x keeps the best iterate).
pub fn best_response<G: Game, T: Float>(
    g: &G,
    newton: &Newton,
    x: &mut [T],
    s: &mut StepScratch<T>,
) -> bool {
    let (d1, d2) = (s.d1, s.d2);
    let rtol = T::of(newton.tol).max(T::of(4.0) * T::EPS);
    let atol = T::of(newton.tol);
    g.d2f2(x, &mut s.d2f2);
    let mut norm = inf_norm(&s.d2f2);
    for _ in 0..newton.max_iter {
        if !norm.is_finite() {
            return false;
        }
        if norm <= atol {
            return true;
        }
        if let Some(mf) = s.mf.as_mut() {
            // D22 f2 dx = D2 f2 from dx = 0, through H w
            let opts = KrylovOptions {
                warm_start: false,
                ..mf.opts
            };
            let xs: &[T] = x;
            let r = mf.krylov.solve(
                &opts,
                mf.symmetric,
                |v, out| g.d22f2_mul(xs, v, out),
                &s.d2f2,
                &mut s.lambda,
            );
            s.stats.add(&r);
            if !r.converged && !opts.truncated {
                return false;
            }
        } else {
            g.d22f2(x, &mut s.h);
            if s.lu.factor(&s.h).is_err() {
                return false;
            }
            s.lambda.copy_from_slice(&s.d2f2);
            s.lu.solve(&mut s.lambda);
        }
        let small = inf_norm(&s.lambda) <= rtol * (T::one() + inf_norm(&x[d1..]));
        let mut alpha = T::one();
        let mut accepted = false;
        for _ in 0..30 {
            s.trial.copy_from_slice(x);
            for a in 0..d2 {
                s.trial[d1 + a] = x[d1 + a] - alpha * s.lambda[a];
            }
            g.d2f2(&s.trial, &mut s.d2f1);
            let tn = inf_norm(&s.d2f1);
            if tn.is_finite() && tn < norm {
                x.copy_from_slice(&s.trial);
                s.d2f2.copy_from_slice(&s.d2f1);
                norm = tn;
                accepted = true;
                break;
            }
            alpha *= T::of(0.5);
        }
        if small {
            return true;
        }
        if !accepted {
            return false;
        }
    }
    norm <= atol
}

/// Per-trajectory optimiser state: Adam's first and second moments.
pub struct AdamState<'a, T> {
    /// First moments m_i <- beta1 m_i + (1 - beta1) g_i.
    pub m: &'a mut [T],
    /// Second moments v_i <- beta2 v_i + (1 - beta2) g_i^2.
    pub v: &'a mut [T],
}

/// Everything one step of one trajectory needs besides the state.
pub struct StepInputs<'a, T> {
    /// Step number k.
    pub k: u64,
    /// gamma_i,k per coordinate (see [`Dynamics::gains`]).
    pub gains: &'a [T],
    /// sigma_i per coordinate (noise standard deviation).
    pub sigma: &'a [T],
    /// Standard normals z_i of this (trajectory, step).
    pub z: &'a [T],
    /// Angle coordinates (wrapped to [-pi, pi)).
    pub angle: &'a [bool],
    /// eta in precision T.
    pub eta: T,
    /// Adam's bias corrections (1 - b1^(k+1), 1 - b2^(k+1)) and parameters.
    pub adam: Option<AdamCoefficients<T>>,
}

/// Adam's coefficients at one step.
#[derive(Clone, Copy, Debug)]
pub struct AdamCoefficients<T> {
    /// Decay of the first moment.
    pub beta1: T,
    /// Decay of the second moment.
    pub beta2: T,
    /// eps in x_i <- x_i - gamma_i m^_i / (sqrt(v^_i) + eps).
    pub eps: T,
    /// 1 - beta1^(k+1)
    pub bias1: T,
    /// 1 - beta2^(k+1)
    pub bias2: T,
}

impl<T: Float> AdamCoefficients<T> {
    /// The coefficients of step k, or None for plain steps.
    pub fn at(opt: &Optimizer, k: u64) -> Option<Self> {
        match *opt {
            Optimizer::Plain => None,
            Optimizer::Adam { beta1, beta2, eps } => Some(AdamCoefficients {
                beta1: T::of(beta1),
                beta2: T::of(beta2),
                eps: T::of(eps),
                bias1: T::of(1.0 - beta1.powf(k as f64 + 1.0)),
                bias2: T::of(1.0 - beta2.powf(k as f64 + 1.0)),
            }),
        }
    }
}

/// One step of `rule` on one trajectory `x` (len d1 + d2), in the order of
/// the module docs.
#[inline(always)]
pub fn step<G: Game, T: Float>(
    g: &G,
    dynamics: &Dynamics,
    inp: &StepInputs<'_, T>,
    x: &mut [T],
    adam: Option<AdamState<'_, T>>,
    s: &mut StepScratch<T>,
) -> StepEvent {
    let (d1, d2) = (s.d1, s.d2);
    let n = d1 + d2;
    let mut event = StepEvent::Ok;
    let update_to = match dynamics.rule {
        Rule::Simultaneous => {
            g.omega(x, &mut s.grad);
            n
        }
        Rule::TwoTimescale => {
            if let Err(e) = total_leader_gradient(g, x, inp.eta, s) {
                return e.event();
            }
            s.grad[d1..].copy_from_slice(&s.d2f2);
            n
        }
        Rule::BestResponse => {
            if !best_response(g, &dynamics.newton, x, s) {
                event = StepEvent::NewtonFailed;
            }
            if let Err(e) = total_leader_gradient(g, x, inp.eta, s) {
                return e.event();
            }
            d1
        }
        Rule::Staggered => {
            // Every player's total gradient (allocates: see crate::hierarchy).
            let ok = s
                .hierarchy
                .as_ref()
                .is_some_and(|h| h.staggered_field(g, x, &mut s.grad).is_ok());
            if !ok {
                return StepEvent::Singular;
            }
            n
        }
        Rule::Lola => {
            // D1 f1 - gamma2 B^T D2 f1: the leader gradient with lambda = gamma2 D2 f1
            let gamma2 = inp.gains[d1.min(n - 1)];
            if s.mf.is_some() {
                own_gradients(g, x, s);
                g.d2f1(x, &mut s.d2f1);
                let mf = s.mf.as_mut().expect("matrix-free scratch");
                for (l, d) in s.lambda.iter_mut().zip(&s.d2f1) {
                    *l = gamma2 * *d;
                }
                g.d21f2_tmul(x, &s.lambda, &mut mf.bt_lambda);
                for i in 0..d1 {
                    s.grad[i] = s.d1f1[i] - mf.bt_lambda[i];
                }
            } else {
                s.stackelberg_parts(g, x);
                for (l, d) in s.lambda.iter_mut().zip(&s.d2f1) {
                    *l = gamma2 * *d;
                }
                field::leader_gradient_from_lambda(&s.d1f1, &s.b, &s.lambda, &mut s.grad[..d1]);
            }
            s.grad[d1..].copy_from_slice(&s.d2f2);
            n
        }
    };
    match (inp.adam, adam) {
        (Some(c), Some(st)) => {
            let one = T::one();
            for i in 0..update_to {
                let gi = s.grad[i] + inp.sigma[i] * inp.z[i];
                st.m[i] = c.beta1 * st.m[i] + (one - c.beta1) * gi;
                st.v[i] = c.beta2 * st.v[i] + (one - c.beta2) * gi * gi;
                let mh = st.m[i] / c.bias1;
                let vh = st.v[i] / c.bias2;
                x[i] -= inp.gains[i] * mh / (vh.sqrt() + c.eps);
            }
        }
        _ => {
            for i in 0..update_to {
                x[i] -= inp.gains[i] * (s.grad[i] + inp.sigma[i] * inp.z[i]);
            }
        }
    }
    for i in 0..n {
        if inp.angle[i] {
            x[i] = wrap_angle(x[i]);
        }
    }
    event
}
