//! Learning dynamics (design.md "Update rules", paper sections 2-4): the
//! update rule, its per-player schedules and optimiser, and the one-trajectory
//! step that every engine performs in exactly this order:
//!
//! 1. (best response only) x2 <- r(x1) by damped Newton on D2 f2 = 0;
//! 2. the field g(x): omega = (D1 f1, D2 f2) for simultaneous play,
//!    omega_S = (Df1, D2 f2) for two-timescale play,
//!    (Df1, -) with the follower at r(x1) for best response,
//!    (D1 f1 - gamma2,k D21f2^T D2 f1, D2 f2) for LOLA,
//!    every player's total gradient through the levels below it for
//!    staggered play ([`crate::hierarchy`]);
//! 3. per coordinate i: g_i <- g_i + sigma_i z_i (z standard normal, see
//!    [`crate::rng`]), then x_i <- x_i - gamma_i,k g_i (plain) or the Adam step;
//! 4. angle coordinates wrap to [-pi, pi): x <- x - 2 pi floor((x + pi) / 2 pi).
//!
//! Df1 = D1 f1 - D21f2^T (D22 f2 + eta I)^-T D2 f1 (the total leader gradient,
//! regularised when eta > 0), defined once in [`crate::field`].
//!
//! This file describes a dynamics (rule, schedules, optimiser, Newton
//! options, warnings); `step` performs one step of one trajectory and
//! `small` is the CPU engine's small-state field.

use crate::real::Float;
use crate::schedule::{Optimizer, Schedule};
use serde::{Deserialize, Serialize};

mod small;
mod solver;
mod step;

pub use crate::metric::wrap_angle;
pub use small::{
    small_field, small_field_from_parts, small_kernel_applies, small_kernel_fits, SMALL_N,
};
pub use solver::{FollowerSolver, SolveStats, DENSE_FOLLOWER_LIMIT};
pub use step::{
    best_response, step, AdamCoefficients, AdamState, StepEvent, StepInputs, StepScratch,
};

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
    /// N-timescale staggered Stackelberg learning (appendix F.1) for a game
    /// with levels (`follower z after y;`): every player steps along its
    /// total gradient through the implicit maps of all levels below it
    /// ([`crate::hierarchy`]), x_i <- x_i - gamma_i,k (g_i + w_i), with
    /// gamma at level L = o(gamma at level L + 1). CPU engine only.
    Staggered,
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
///
/// ```
/// use stackel_runtime::{Dynamics, Rule, Schedule};
///
/// // Two-timescale Stackelberg learning: gamma1 = 1/(k + 11) = o(gamma2 = (k + 11)^(-2/3)).
/// let d = Dynamics::two_timescale(
///     Schedule::inverse_power(1.0).offset(11.0).exponent(1.0),
///     Schedule::inverse_power(1.0).offset(11.0).exponent(2.0 / 3.0),
/// )
/// .eta(0.1); // the leader uses the regularised implicit map (D22 f2 + 0.1 I)^-1
/// assert_eq!(d.rule, Rule::TwoTimescale);
/// assert!(d.schedule_of(0).is_little_o_of(d.schedule_of(1)));
/// assert_eq!(d.schedule_of(0).gamma(0), 1.0 / 11.0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dynamics {
    /// The learning rule.
    pub rule: Rule,
    /// One schedule per player, leader first; a single follower schedule is
    /// shared by all followers.
    pub schedules: Vec<Schedule>,
    /// How a noisy gradient becomes a step (plain or Adam).
    pub optimizer: Optimizer,
    /// Regularisation eta of (D22 f2 + eta I) in the total leader gradient.
    pub eta: f64,
    /// Newton options of the best response x2 = r(x1).
    pub newton: Newton,
    /// Dense or matrix-free follower solve ([`FollowerSolver`]; default
    /// `Auto`: dense below [`DENSE_FOLLOWER_LIMIT`] for unrolled games).
    #[serde(default, skip_serializing_if = "FollowerSolver::is_auto")]
    pub follower_solver: FollowerSolver,
    /// [`Rule::Staggered`]: eta_L per level (the leader's first; one per
    /// level, or one per level above the deepest); empty: `eta` at every level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub level_etas: Vec<f64>,
}

/// A warning about a dynamics that runs but may not mean what it says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum Warning {
    /// Two-timescale Stackelberg learning needs gamma1,k = o(gamma2,k).
    #[error("leader schedule {leader:?} is not o(follower schedule {follower:?}): the follower does not move on the faster timescale that two-timescale Stackelberg learning assumes")]
    TimescaleNotSeparated {
        /// The leader's schedule gamma1,k.
        leader: Schedule,
        /// The follower's schedule gamma2,k.
        follower: Schedule,
    },
    /// Staggered play needs gamma at level L = o(gamma at every level below).
    #[error("player {upper}'s schedule {upper_schedule:?} (level {upper_level}) is not o(player {lower}'s schedule {lower_schedule:?} (level {lower_level})): the levels of the staggered hierarchy are not on separated timescales")]
    LevelsNotSeparated {
        /// The player above (0 the leader).
        upper: usize,
        /// Its level.
        upper_level: usize,
        /// Its schedule.
        upper_schedule: Schedule,
        /// The player below.
        lower: usize,
        /// Its level.
        lower_level: usize,
        /// Its schedule.
        lower_schedule: Schedule,
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
            follower_solver: FollowerSolver::Auto,
            level_etas: Vec::new(),
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
    /// N-timescale staggered Stackelberg learning ([`Rule::Staggered`]), one
    /// schedule per player in declaration order (leader first); a player on
    /// level L should be o() of every player below it.
    pub fn staggered(schedules: Vec<Schedule>) -> Self {
        Self::with(Rule::Staggered, schedules)
    }
    /// [`Rule::Staggered`]: the regularisation eta_L of each level (see
    /// [`crate::hierarchy::Hierarchy::with_etas`]).
    pub fn level_etas(mut self, etas: Vec<f64>) -> Self {
        self.level_etas = etas;
        self
    }
    /// The hierarchy of `g` with this dynamics' regularisations
    /// ([`Dynamics::level_etas`], else `eta` at every level).
    pub fn hierarchy<G: crate::game::Game>(
        &self,
        g: &G,
    ) -> Result<crate::hierarchy::Hierarchy, crate::hierarchy::HierarchyError> {
        let h = crate::hierarchy::Hierarchy::of(g)?;
        if self.level_etas.is_empty() {
            let k = h.levels();
            h.with_etas(&vec![self.eta; k])
        } else {
            h.with_etas(&self.level_etas)
        }
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
    /// How the follower's linear systems are solved: dense LU, or
    /// matrix-free Krylov iterations, e.g. the paper's
    /// `FollowerSolver::conjugate_gradient(5).warm_start(true).truncated(true)`.
    pub fn follower_solver(mut self, s: FollowerSolver) -> Self {
        self.follower_solver = s;
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

    /// [`Dynamics::warnings`], and for [`Rule::Staggered`] on game `g`: a
    /// warning for each pair of players on levels L < L' whose schedules are
    /// not gamma_L = o(gamma_L').
    pub fn warnings_for<G: crate::game::Game>(&self, g: &G) -> Vec<Warning> {
        let mut w = self.warnings();
        if self.rule != Rule::Staggered {
            return w;
        }
        let Ok(h) = crate::hierarchy::Hierarchy::of(g) else {
            return w;
        };
        for l in 0..h.levels() {
            for m in l + 1..h.levels() {
                for &p in h.players_at(l) {
                    for &q in h.players_at(m) {
                        let (sp, sq) = (*self.schedule_of(p), *self.schedule_of(q));
                        if !sp.is_little_o_of(&sq) {
                            w.push(Warning::LevelsNotSeparated {
                                upper: p,
                                upper_level: l,
                                upper_schedule: sp,
                                lower: q,
                                lower_level: m,
                                lower_schedule: sq,
                            });
                        }
                    }
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

#[cfg(test)]
mod tests {
    use super::step::total_leader_gradient;
    use super::*;
    use crate::blocks::Workspace;
    use crate::game::Game;
    use crate::game::{BlockFormula, GameInfo, PlayerInfo};
    use crate::real::Real;

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
            level: if offset == 0 { 0 } else { 1 },
            parts: &[],
        }
    }
    static INFO: GameInfo = GameInfo {
        name: "Duopoly",
        leader: player("q1", 0),
        followers: &[player("q2", 1)],
        params: &[],
        zero_sum: false,
        form: crate::game::Form::Unrolled,
        data: &[],
    };

    impl Game for Duopoly {
        #[inline]
        fn d1(&self) -> usize {
            1
        }
        #[inline]
        fn d2(&self) -> usize {
            1
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
        let mut s = StepScratch::<f64>::new(&g);
        let mut ws = Workspace::<f64>::new(&g);
        for x in [[10.0, 10.0], [46.0, 26.0], [-3.0, 70.5]] {
            for eta in [0.0, 0.3] {
                total_leader_gradient(&g, &x, eta, &mut s).unwrap();
                let mut r = [0.0];
                ws.total_leader_gradient(&g, &x, eta, &mut r).unwrap();
                assert!((s.field()[0] - r[0]).abs() < 1e-12, "{x:?} {eta}");
            }
        }
    }

    /// d2 = 1: the small kernel's closed form and the general step's path
    /// are the same arithmetic (one [`crate::field`] solve), bit for bit.
    #[test]
    fn small_field_equals_general_path_for_one_follower() {
        let g = Duopoly;
        let mut s = StepScratch::<f64>::new(&g);
        for x in [[10.0, 10.0], [46.0, 26.0], [-3.0, 70.5], [1e-3, -7.25]] {
            for eta in [0.0, 0.3, -2.0] {
                let mut small = [0.0; SMALL_N];
                let ok = small_field(&g, Rule::TwoTimescale, eta, 0.0, &x, &mut small);
                let general = total_leader_gradient(&g, &x, eta, &mut s);
                assert_eq!(ok, general.is_ok(), "{x:?} {eta}");
                if ok {
                    assert_eq!(small[0].to_bits(), s.field()[0].to_bits(), "{x:?} {eta}");
                }
            }
        }
    }

    #[test]
    fn best_response_solves_follower_condition() {
        let g = Duopoly;
        let mut s = StepScratch::<f64>::new(&g);
        let mut x = [40.0, -500.0];
        assert!(best_response(&g, &Newton::default(), &mut x, &mut s));
        // r(q1) = (a - c2 - q1) / 2
        assert!((x[1] - (98.0 - 40.0) / 2.0).abs() < 1e-12);
        assert_eq!(x[0], 40.0);
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
