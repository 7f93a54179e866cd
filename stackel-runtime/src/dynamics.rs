//! Learning dynamics (design.md "Update rules", paper sections 2-4): the
//! update rule, its per-player schedules and optimiser, and the one-trajectory
//! step that every engine performs in exactly this order:
//!
//! 1. (best response only) x2 <- r(x1) by damped Newton on D2 f2 = 0;
//! 2. the field g(x): omega = (D1 f1, D2 f2) for simultaneous play,
//!    omega_S = (Df1, D2 f2) for two-timescale play,
//!    (Df1, -) with the follower at r(x1) for best response,
//!    (D1 f1 - gamma2,k D21f2^T D2 f1, D2 f2) for LOLA;
//! 3. per coordinate i: g_i <- g_i + sigma_i z_i (z standard normal, see
//!    [`crate::rng`]), then x_i <- x_i - gamma_i,k g_i (plain) or the Adam step;
//! 4. angle coordinates wrap to [-pi, pi): x <- x - 2 pi floor((x + pi) / 2 pi).
//!
//! Df1 = D1 f1 - D21f2^T (D22 f2 + eta I)^-T D2 f1 (the total leader gradient,
//! regularised when eta > 0).

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use crate::game::{Game, StackelbergParts};
use crate::linalg::Lu;
use crate::real::Float;
use crate::schedule::{Optimizer, Schedule};
use serde::{Deserialize, Serialize};

/// Which learning rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    /// Simultaneous gradient play ("Nash dynamics"): x_i <- x_i - gamma_i (D_i f_i + w_i).
    Simultaneous,
    /// Two-timescale Stackelberg learning (paper eqs 8-9).
    TwoTimescale,
    /// Stackelberg learning with a best-responding follower (paper eq 7).
    BestResponse,
    /// LOLA (paper 2.2.2): the leader anticipates one follower gradient step.
    Lola,
}

/// Damped Newton iteration for the follower's best response x2 = r(x1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Newton {
    /// Most Newton iterations per step.
    pub max_iter: u32,
    /// Converged when |D2 f2|_inf <= tol or the Newton step is below
    /// tol (1 + |x2|_inf) (relative tolerances are floored at 4 eps).
    pub tol: f64,
}

impl Default for Newton {
    fn default() -> Self {
        Newton {
            max_iter: 30,
            tol: 1e-10,
        }
    }
}

/// A learning dynamics: rule, per-player step sizes, optimiser, regularisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dynamics {
    pub rule: Rule,
    /// One schedule per player, leader first; a single follower schedule is
    /// shared by all followers.
    pub schedules: Vec<Schedule>,
    pub optimizer: Optimizer,
    /// Regularisation eta of (D22 f2 + eta I) in the total leader gradient.
    pub eta: f64,
    pub newton: Newton,
}

/// A warning about a dynamics that runs but may not mean what it says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum Warning {
    /// Two-timescale Stackelberg learning needs gamma1,k = o(gamma2,k).
    #[error("leader schedule {leader:?} is not o(follower schedule {follower:?}): the follower does not move on the faster timescale that two-timescale Stackelberg learning assumes")]
    TimescaleNotSeparated {
        leader: Schedule,
        follower: Schedule,
    },
}

impl Dynamics {
    fn with(rule: Rule, schedules: Vec<Schedule>) -> Self {
        Dynamics {
            rule,
            schedules,
            optimizer: Optimizer::Plain,
            eta: 0.0,
            newton: Newton::default(),
        }
    }
    /// Simultaneous gradient play, every player on `gamma`.
    pub fn simultaneous(gamma: Schedule) -> Self {
        Self::with(Rule::Simultaneous, vec![gamma, gamma])
    }
    /// Two-timescale Stackelberg learning, leader on `leader`, follower(s) on `follower`.
    pub fn two_timescale(leader: Schedule, follower: Schedule) -> Self {
        Self::with(Rule::TwoTimescale, vec![leader, follower])
    }
    /// Stackelberg learning with the follower best-responding exactly.
    pub fn best_response(leader: Schedule) -> Self {
        Self::with(Rule::BestResponse, vec![leader, leader])
    }
    /// LOLA with leader on `leader`, follower gradient play on `follower`.
    pub fn lola(leader: Schedule, follower: Schedule) -> Self {
        Self::with(Rule::Lola, vec![leader, follower])
    }
    /// Per-player schedules (leader first, then each follower).
    pub fn schedules(mut self, s: Vec<Schedule>) -> Self {
        self.schedules = s;
        self
    }
    /// Regularisation eta >= 0 of the total leader gradient.
    pub fn eta(mut self, eta: f64) -> Self {
        self.eta = eta;
        self
    }
    /// The optimiser turning noisy gradients into steps.
    pub fn optimizer(mut self, o: Optimizer) -> Self {
        self.optimizer = o;
        self
    }
    /// Newton options of the best response.
    pub fn newton(mut self, n: Newton) -> Self {
        self.newton = n;
        self
    }

    /// The schedule of player `p` (0 = leader); the last one for players
    /// beyond the list. Panics on an empty list, which [`crate::Study`]
    /// rejects before running.
    pub fn schedule_of(&self, p: usize) -> &Schedule {
        &self.schedules[p.min(self.schedules.len().saturating_sub(1))]
    }

    /// Warnings for this dynamics (empty when it is as the paper intends).
    pub fn warnings(&self) -> Vec<Warning> {
        let mut w = Vec::new();
        if self.rule == Rule::TwoTimescale && self.schedules.len() >= 2 {
            for f in &self.schedules[1..] {
                if !self.schedules[0].is_little_o_of(f) {
                    w.push(Warning::TimescaleNotSeparated {
                        leader: self.schedules[0],
                        follower: *f,
                    });
                }
            }
        }
        w
    }

    /// Per-coordinate step sizes gamma_i,k for the players' dimensions `dims`
    /// (leader first), written into `out` (len sum of dims).
    pub fn gains<T: Float>(&self, k: u64, dims: &[usize], out: &mut [T]) {
        let mut o = 0;
        for (p, &d) in dims.iter().enumerate() {
            let g = T::of(self.schedule_of(p).gamma(k));
            out[o..o + d].fill(g);
            o += d;
        }
    }
}

/// What one step did to a trajectory beyond moving it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepEvent {
    Ok,
    /// The follower Hessian (plus eta I) was singular: the trajectory stops.
    Singular,
    /// The best-response Newton iteration did not converge this step (counted,
    /// the trajectory goes on from the best iterate).
    NewtonFailed,
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
}

impl<T: Float> StepScratch<T> {
    /// Buffers for game `G`.
    pub fn new<G: Game>() -> Self {
        let (d1, d2) = (G::D1, G::D2);
        let z = T::zero();
        StepScratch {
            d1,
            d2,
            grad: vec![z; d1 + d2],
            d1f1: vec![z; d1],
            d2f1: vec![z; d2],
            d2f2: vec![z; d2],
            h: vec![z; d2 * d2],
            b: vec![z; d2 * d1],
            lambda: vec![z; d2],
            trial: vec![z; d1 + d2],
            lu: Lu::new(d2),
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

/// Df1 = D1 f1 - B^T (H + eta I)^-T D2 f1 into `s.grad[..d1]`, also leaving
/// D2 f2 in `s.d2f2`. Err when H + eta I is singular.
#[inline(always)]
fn total_leader_gradient<G: Game, T: Float>(
    g: &G,
    x: &[T],
    eta: T,
    s: &mut StepScratch<T>,
) -> Result<(), ()> {
    let (d1, d2) = (s.d1, s.d2);
    s.stackelberg_parts(g, x);
    if d2 == 1 {
        let h = s.h[0] + eta;
        if h == T::zero() || !h.is_finite() {
            return Err(());
        }
        let lambda = s.d2f1[0] / h;
        for i in 0..d1 {
            s.grad[i] = s.d1f1[i] - s.b[i] * lambda;
        }
        return Ok(());
    }
    if eta != T::zero() {
        for i in 0..d2 {
            s.h[i * d2 + i] += eta;
        }
    }
    s.lu.factor(&s.h).map_err(|_| ())?;
    s.lambda.copy_from_slice(&s.d2f1);
    s.lu.solve_transpose(&mut s.lambda);
    for i in 0..d1 {
        let mut acc = T::zero();
        for a in 0..d2 {
            acc += s.b[a * d1 + i] * s.lambda[a];
        }
        s.grad[i] = s.d1f1[i] - acc;
    }
    Ok(())
}

fn inf_norm<T: Float>(v: &[T]) -> T {
    v.iter().fold(T::zero(), |m, a| m.max(Real::abs(*a)))
}
use crate::real::Real;

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
        g.d22f2(x, &mut s.h);
        if s.lu.factor(&s.h).is_err() {
            return false;
        }
        s.lambda.copy_from_slice(&s.d2f2);
        s.lu.solve(&mut s.lambda);
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
    pub m: &'a mut [T],
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
    pub beta1: T,
    pub beta2: T,
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

/// x - 2 pi floor((x + pi) / 2 pi), in [-pi, pi).
#[inline(always)]
pub fn wrap_angle<T: Float>(x: T) -> T {
    let tau = T::of(std::f64::consts::TAU);
    let pi = T::of(std::f64::consts::PI);
    let w = x - tau * ((x + pi) / tau).floor();
    // rounding can land exactly on pi
    if w >= pi {
        w - tau
    } else {
        w
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
            if total_leader_gradient(g, x, inp.eta, s).is_err() {
                return StepEvent::Singular;
            }
            s.grad[d1..].copy_from_slice(&s.d2f2);
            n
        }
        Rule::BestResponse => {
            if !best_response(g, &dynamics.newton, x, s) {
                event = StepEvent::NewtonFailed;
            }
            if total_leader_gradient(g, x, inp.eta, s).is_err() {
                return StepEvent::Singular;
            }
            d1
        }
        Rule::Lola => {
            s.stackelberg_parts(g, x);
            let gamma2 = inp.gains[d1.min(n - 1)];
            for i in 0..d1 {
                let mut acc = T::zero();
                for a in 0..d2 {
                    acc += s.b[a * d1 + i] * (gamma2 * s.d2f1[a]);
                }
                s.grad[i] = s.d1f1[i] - acc;
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

/// Largest state (d1 + d2) of the small-state kernel [`small_field`].
pub const SMALL_N: usize = 8;

/// Whether [`small_field`] handles game `G` under `rule`: d1 + d2 <= 8,
/// d2 <= 2, and a rule without the best-response Newton solve.
pub fn small_kernel_applies<G: Game>(rule: Rule) -> bool {
    G::N <= SMALL_N && G::D2 <= 2 && G::D2 >= 1 && rule != Rule::BestResponse
}

/// The field g(x) of `rule` for a small game, in stack arrays (no
/// allocation, loops of constant length): the same formulas as [`step`],
/// with (H + eta I)^-T D2 f1 solved in closed form (d2 = 1: lambda =
/// D2f1 / h; d2 = 2: Cramer's rule on H^T). Returns false when H + eta I is
/// singular (h or det is 0 or not finite). `gamma2` is the follower's
/// gamma_k (LOLA only).
#[inline(always)]
pub fn small_field<G: Game, T: Float>(
    g: &G,
    rule: Rule,
    eta: T,
    gamma2: T,
    x: &[T],
    out: &mut [T; SMALL_N],
) -> bool {
    let (d1, d2) = (G::D1, G::D2);
    if rule == Rule::Simultaneous {
        g.omega(x, &mut out[..d1 + d2]);
        return true;
    }
    let z = T::zero();
    let mut d1f1 = [z; SMALL_N];
    let mut d2f1 = [z; 2];
    let mut d2f2 = [z; 2];
    let mut h = [z; 4];
    let mut b = [z; 2 * SMALL_N];
    g.stackelberg_parts(
        x,
        StackelbergParts {
            d1f1: &mut d1f1[..d1],
            d2f1: &mut d2f1[..d2],
            d2f2: &mut d2f2[..d2],
            d22f2: &mut h[..d2 * d2],
            d21f2: &mut b[..d2 * d1],
        },
    );
    let mut ok = true;
    let mut lambda = [z; 2];
    if rule == Rule::Lola {
        // leader: D1 f1 - gamma2 B^T D2 f1
        lambda[0] = gamma2 * d2f1[0];
        if d2 == 2 {
            lambda[1] = gamma2 * d2f1[1];
        }
    } else if d2 == 1 {
        let hh = h[0] + eta;
        ok = hh != z && hh.is_finite();
        lambda[0] = d2f1[0] / hh;
    } else {
        let (h00, h01, h10, h11) = (h[0] + eta, h[1], h[2], h[3] + eta);
        let det = h00 * h11 - h01 * h10;
        ok = det != z && det.is_finite();
        lambda[0] = (h11 * d2f1[0] - h10 * d2f1[1]) / det;
        lambda[1] = (h00 * d2f1[1] - h01 * d2f1[0]) / det;
    }
    for i in 0..d1 {
        let mut acc = b[i] * lambda[0];
        if d2 == 2 {
            acc += b[d1 + i] * lambda[1];
        }
        out[i] = d1f1[i] - acc;
    }
    out[d1] = d2f2[0];
    if d2 == 2 {
        out[d1 + 1] = d2f2[1];
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::Workspace;
    use crate::game::{BlockFormula, GameInfo, PlayerInfo};

    /// A local Cournot duopoly (a = 100, c1 = 5, c2 = 2, no parameters):
    /// f1 = -(95 - q1 - q2) q1, f2 = -(98 - q1 - q2) q2. The hand-written twins
    /// live in the stackel-testkit crate, which unit tests cannot use.
    struct Duopoly;

    const fn player(name: &'static str, offset: usize) -> PlayerInfo {
        PlayerInfo {
            name,
            shape: &[],
            offset,
            dim: 1,
            angle: false,
        }
    }
    static INFO: GameInfo = GameInfo {
        name: "Duopoly",
        leader: player("q1", 0),
        followers: &[player("q2", 1)],
        params: &[],
        zero_sum: false,
    };

    impl Game for Duopoly {
        const D1: usize = 1;
        const D2: usize = 1;
        const NP: usize = 0;
        fn info(&self) -> &'static GameInfo {
            &INFO
        }
        fn params(&self, _: &mut [f64]) {}
        fn set_params(&mut self, _: &[f64]) {}
        fn leader_cost<T: Real>(&self, x: &[T]) -> T {
            -(T::of(95.0) - x[0] - x[1]) * x[0]
        }
        fn follower_cost<T: Real>(&self, _: usize, x: &[T]) -> T {
            -(T::of(98.0) - x[0] - x[1]) * x[1]
        }
        fn d1f1<T: Real>(&self, x: &[T], o: &mut [T]) {
            o[0] = T::of(2.0) * x[0] + x[1] - T::of(95.0);
        }
        fn d2f1<T: Real>(&self, x: &[T], o: &mut [T]) {
            o[0] = x[0];
        }
        fn d2f2<T: Real>(&self, x: &[T], o: &mut [T]) {
            o[0] = x[0] + T::of(2.0) * x[1] - T::of(98.0);
        }
        fn omega<T: Real>(&self, x: &[T], o: &mut [T]) {
            self.d1f1(x, &mut o[..1]);
            self.d2f2(x, &mut o[1..]);
        }
        fn d11f1<T: Real>(&self, _: &[T], o: &mut [T]) {
            o[0] = T::of(2.0);
        }
        fn d12f1<T: Real>(&self, _: &[T], o: &mut [T]) {
            o[0] = T::of(1.0);
        }
        fn d22f1<T: Real>(&self, _: &[T], o: &mut [T]) {
            o[0] = T::of(0.0);
        }
        fn d22f2<T: Real>(&self, _: &[T], o: &mut [T]) {
            o[0] = T::of(2.0);
        }
        fn d21f2<T: Real>(&self, _: &[T], o: &mut [T]) {
            o[0] = T::of(1.0);
        }
        fn d11phi<T: Real>(&self, _: &[T], _: &[T], o: &mut [T]) {
            o[0] = T::of(0.0);
        }
        fn d12phi<T: Real>(&self, _: &[T], _: &[T], o: &mut [T]) {
            o[0] = T::of(0.0);
        }
        fn d21phi<T: Real>(&self, _: &[T], _: &[T], o: &mut [T]) {
            o[0] = T::of(0.0);
        }
        fn d22phi<T: Real>(&self, _: &[T], _: &[T], o: &mut [T]) {
            o[0] = T::of(0.0);
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

    #[test]
    fn total_leader_gradient_matches_workspace() {
        let g = Duopoly;
        let mut s = StepScratch::<f64>::new::<Duopoly>();
        let mut ws = Workspace::<f64>::new::<Duopoly>();
        for x in [[10.0, 10.0], [46.0, 26.0], [-3.0, 70.5]] {
            for eta in [0.0, 0.3] {
                total_leader_gradient(&g, &x, eta, &mut s).unwrap();
                let mut r = [0.0];
                ws.total_leader_gradient(&g, &x, eta, &mut r).unwrap();
                assert!((s.grad[0] - r[0]).abs() < 1e-12, "{x:?} {eta}");
            }
        }
    }

    #[test]
    fn best_response_solves_follower_condition() {
        let g = Duopoly;
        let mut s = StepScratch::<f64>::new::<Duopoly>();
        let mut x = [40.0, -500.0];
        assert!(best_response(&g, &Newton::default(), &mut x, &mut s));
        // r(q1) = (a - c2 - q1) / 2
        assert!((x[1] - (98.0 - 40.0) / 2.0).abs() < 1e-12);
        assert_eq!(x[0], 40.0);
    }

    #[test]
    fn angles_wrap_into_half_open_interval() {
        use std::f64::consts::PI;
        for v in [PI, -PI, 3.0 * PI + 0.1, -7.5, 0.25, 1e3] {
            let w = wrap_angle(v);
            assert!((-PI..PI).contains(&w), "{v} -> {w}");
            let k = ((v - w) / (2.0 * PI)).round();
            assert!((v - w - 2.0 * PI * k).abs() < 1e-9);
        }
    }

    #[test]
    fn timescale_warning_only_when_not_separated() {
        let k = Schedule::inverse_power(1.0).offset(1.0).exponent(1.0);
        let k23 = Schedule::inverse_power(1.0).offset(1.0).exponent(2.0 / 3.0);
        assert!(Dynamics::two_timescale(k, k23).warnings().is_empty());
        assert_eq!(Dynamics::two_timescale(k23, k).warnings().len(), 1);
        assert!(Dynamics::simultaneous(k).warnings().is_empty());
    }
}
