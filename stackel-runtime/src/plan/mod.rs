//! A study's plan: what every engine takes and must reproduce.
//!
//! The plan is the resolved settings of one study (or shard) in one
//! precision: [`Plan`], built once from a [`Study`] by [`Study::plan`] (or
//! written out directly, e.g. by tests). It validates itself
//! ([`Plan::validate`]), resolves the per-coordinate noise
//! ([`Plan::coordinate_sigma`]) and the kernel choice
//! ([`Plan::uses_small_kernel`]), and builds the [`StudyResult`] of a batch
//! of trajectories (`Plan::result`); the CPU engine ([`crate::cpu`]) and
//! the GPU engine (`crate::gpu`, feature `gpu`) read nothing else about the study.
//!
//! # What an engine must reproduce (bit for bit in the same precision)
//!
//! - initial states: [`initial_state`] (Philox stream [`rng::STREAM_INIT`]);
//! - step k = 0..K-1: gamma_i,k = `T::of(schedule.gamma(k))` per player
//!   ([`Dynamics::gains`], computed in f64 then rounded), normals z_i of
//!   step k of (seed, trajectory, [`rng::STREAM_NOISE`]) as in [`crate::rng`],
//!   sigma_i = `T::of(sqrt(variance))` ([`Plan::coordinate_sigma`]), the
//!   field in the operation order of [`crate::dynamics::small_field`] (small
//!   games) or [`crate::dynamics::step`], x_i <- x_i - gamma_i (g_i + sigma_i z_i),
//!   then angle wrapping; no fused multiply-adds in the field and update
//!   (the rng's are explicit `mul_add`s, correctly rounded everywhere);
//! - a step whose field is singular, or whose new state has a non-finite entry
//!   (NaN or beyond [`overflow_guard`]) or one beyond the divergence bound,
//!   stops the trajectory
//!   ([`Fate`], the state kept as documented there);
//! - results carry [`Plan::fingerprint`] ([`Study::fingerprint_for`]) and merge with [`StudyResult::merge`].

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use crate::dynamics::{self, Dynamics, SolveStats};
use crate::game::{Game, GameInfo};
use crate::real::Real;
use crate::record::{Basins, DistanceSeries, Fate, Path, Record, StudyResult, Summary};
use crate::rng::{self, NoiseFloat};
use crate::schedule::Optimizer;
#[cfg(doc)]
use crate::study::Study;
mod validate;

use serde::{Deserialize, Serialize};
pub use validate::StudyError;

/// Initial states.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// Every trajectory starts at this point.
    Point(Vec<f64>),
    /// x_i = lo_i + (hi_i - lo_i) u_i, u_i uniform in (0, 1] (Philox stream [`rng::STREAM_INIT`]).
    Box {
        /// Lower corner.
        lo: Vec<f64>,
        /// Upper corner.
        hi: Vec<f64>,
    },
    /// x_i = mean_i + std_i z_i, z_i standard normal (stream [`rng::STREAM_INIT`]).
    Gaussian {
        /// Mean per coordinate.
        mean: Vec<f64>,
        /// Standard deviation per coordinate.
        std: Vec<f64>,
    },
    /// Trajectory t starts at `list[t % list.len()]`.
    List(Vec<Vec<f64>>),
    /// A user-defined distribution ([`Init::sample`]).
    Sample(rng::Sampler),
    /// PyTorch's default `Linear` init per player part ([`Init::kaiming_uniform`]).
    KaimingUniform,
}

impl Init {
    /// Trajectory t starts at `f(rng, x)`'s x, with `rng` the
    /// [`rng::PhiloxRng`] of (seed, t, [`rng::STREAM_INIT`]) (a `rand_core`
    /// generator: `rand_distr` samples from it), so studies stay reproducible
    /// across threads, shards and engines. `name` stands for the
    /// distribution in the study's fingerprint ([`rng::Sampler`]).
    ///
    /// ```
    /// use rand_distr::{Distribution, Exp};
    /// use stackel_runtime::{Dynamics, Init, Noise, Schedule, Study};
    /// use stackel_testkit::games::Duopoly; // the README's duopoly, written with stackel_game!
    ///
    /// let exp = Exp::new(0.1).unwrap(); // mean 10
    /// let init = Init::sample("exponential(0.1) quantities", move |rng, x| {
    ///     for v in x.iter_mut() {
    ///         *v = exp.sample(rng);
    ///     }
    /// });
    /// let study = Study::new(Duopoly::default(), Dynamics::simultaneous(Schedule::constant(0.1)))
    ///     .trajectories(4)
    ///     .steps(0)
    ///     .noise(Noise::none())
    ///     .init(init)
    ///     .seed(1);
    /// let (a, b) = (study.run::<f64>()?, study.run::<f64>()?);
    /// assert_eq!(a.final_states, b.final_states); // reproducible
    /// assert!(a.final_states.iter().all(|v| *v > 0.0));
    /// # Ok::<(), stackel_runtime::StudyError>(())
    /// ```
    pub fn sample(
        name: impl Into<String>,
        f: impl Fn(&mut rng::PhiloxRng, &mut [f64]) + Send + Sync + 'static,
    ) -> Self {
        Init::Sample(rng::Sampler::new(name, f))
    }
}

impl Init {
    /// PyTorch's default `Linear` initialisation, part by part
    /// ([`crate::game::PlayerInfo::parts`]): x_i ~ U(-b_i, b_i) with
    /// b = 1/sqrt(in) for a matrix part [out, in] and for a vector or scalar
    /// part right after it with `out` entries (its bias), b = 1/sqrt(len)
    /// for any other part (a player without parts is one part); drawn as
    /// [`Init::Box`] with corners -b, b (stream [`rng::STREAM_INIT`]).
    pub fn kaiming_uniform() -> Self {
        Init::KaimingUniform
    }

    /// This init with [`Init::KaimingUniform`] resolved into its box for `info`.
    pub fn resolve(&self, info: &GameInfo) -> Init {
        match self {
            Init::KaimingUniform => {
                let b = kaiming_bounds(info);
                Init::Box {
                    lo: b.iter().map(|v| -v).collect(),
                    hi: b,
                }
            }
            other => other.clone(),
        }
    }
}

/// The half-widths b_i of [`Init::kaiming_uniform`] for every state coordinate.
pub fn kaiming_bounds(info: &GameInfo) -> Vec<f64> {
    let mut b = Vec::new();
    for player in info.players() {
        if player.parts.is_empty() {
            b.extend(std::iter::repeat_n(
                1.0 / (player.dim.max(1) as f64).sqrt(),
                player.dim,
            ));
            continue;
        }
        let mut prev: Option<&[usize]> = None;
        for part in player.parts {
            let fan_in = match (part.shape, prev) {
                ([_, fan_in], _) => *fan_in,
                ([] | [_], Some([out, fan_in])) if *out == part.len => *fan_in,
                _ => part.len,
            };
            b.extend(std::iter::repeat_n(
                1.0 / (fan_in.max(1) as f64).sqrt(),
                part.len,
            ));
            prev = Some(part.shape);
        }
    }
    b
}

/// Additive Gaussian gradient noise w_i ~ N(0, variance_p) for player p.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    /// Empty: no noise; one entry: every player; else one per player (leader first).
    pub variances: Vec<f64>,
}

impl Noise {
    /// Deterministic dynamics.
    pub fn none() -> Self {
        Noise { variances: vec![] }
    }
    /// The same variance for every player.
    pub fn variance(v: f64) -> Self {
        Noise { variances: vec![v] }
    }
    /// One variance per player, leader first.
    pub fn per_player(v: Vec<f64>) -> Self {
        Noise { variances: v }
    }
}

/// The most steps a study may take: the RNG's step counter is 32 bits wide.
pub const MAX_STEPS: u64 = u32::MAX as u64;

/// One study's (or shard's) resolved settings in one precision, what every
/// engine takes ([`Study::plan`] builds it).
#[derive(Clone, Debug)]
pub struct Plan<'a, G> {
    /// The game.
    pub game: &'a G,
    /// The learning dynamics.
    pub dynamics: &'a Dynamics,
    /// Trajectories lo..hi (a shard).
    pub range: (u64, u64),
    /// Number of steps K.
    pub steps: u64,
    /// The gradient noise.
    pub noise: &'a Noise,
    /// The initial states.
    pub init: &'a Init,
    /// The study's seed (Philox key, [`rng::seed_key`]).
    pub seed: u64,
    /// What to record.
    pub record: &'a Record,
    /// A trajectory with some |x_i| above it is stopped as diverged.
    pub divergence_bound: f64,
    /// Whether the small-state kernel is used where it applies
    /// ([`Plan::uses_small_kernel`]; `Study::small_kernel`, default true).
    pub small_kernel: bool,
    /// The samplers bound to the game's data inputs, by name
    /// ([`Study::data`]; empty for a game without data).
    pub data: &'a [(String, crate::data::Sampler)],
    /// Copied into results: the study's identity ([`Study::fingerprint_for`]),
    /// so parts of any engine merge.
    pub fingerprint: String,
}

impl<G: Game> Plan<'_, G> {
    /// The dimension of every player, leader first.
    pub fn dims(&self) -> Vec<usize> {
        self.game.info().players().map(|p| p.dim).collect()
    }

    /// The noise standard deviation sigma_i = sqrt(variance_p) of every
    /// state coordinate i (p its player; one shared variance or one per player).
    pub fn coordinate_sigma(&self) -> Vec<f64> {
        let info = self.game.info();
        let mut sigma = Vec::with_capacity(self.game.n());
        for (p, player) in info.players().enumerate() {
            let v = match self.noise.variances.len() {
                0 => 0.0,
                1 => self.noise.variances[0],
                _ => self.noise.variances[p],
            };
            sigma.extend(std::iter::repeat_n(v.sqrt(), player.dim));
        }
        sigma
    }

    /// Whether some variance is nonzero (else no noise pass: z stays 0).
    pub fn noisy(&self) -> bool {
        self.noise.variances.iter().any(|v| *v != 0.0)
    }

    /// The Krylov options when the follower solve is matrix-free
    /// ([`crate::dynamics::FollowerSolver::resolve`]), None when dense.
    pub fn matrix_free(&self) -> Option<crate::krylov::KrylovOptions> {
        self.dynamics.follower_solver.resolve_for(self.game)
    }

    /// Whether the engines run the small-state kernel
    /// ([`dynamics::small_kernel_applies`], plain steps, dense follower
    /// solve, not switched off).
    pub fn uses_small_kernel(&self) -> bool {
        self.small_kernel
            && self.game.nd() == 0
            && self.matrix_free().is_none()
            && dynamics::small_kernel_applies(self.game, self.dynamics.rule)
            && matches!(self.dynamics.optimizer, Optimizer::Plain)
    }

    /// Fills `out` (len ND) with the data inputs of (trajectory, step):
    /// input i from its sampler's [`crate::data::DataStream`] of
    /// (seed, trajectory, step, i), drawn in f64 and rounded to `T`.
    /// `buf` is scratch of any length (resized to ND).
    pub fn fill_data<T: Real>(
        &self,
        trajectory: u64,
        step: u64,
        buf: &mut Vec<f64>,
        out: &mut [T],
    ) {
        let info = self.game.info();
        buf.resize(self.game.nd(), 0.0);
        for (i, d) in info.data.iter().enumerate() {
            if let Some((_, s)) = self.data.iter().find(|(n, _)| n == d.name) {
                crate::data::sample_batch(
                    s,
                    self.seed,
                    trajectory,
                    step,
                    i,
                    &mut buf[d.offset..d.offset + d.len],
                );
            }
        }
        for (o, v) in out.iter_mut().zip(buf.iter()) {
            *o = T::of(*v);
        }
    }

    /// The result of trajectories first..first + fates.len() in precision
    /// `T`: final states (trajectory-major), fates, Newton failures (empty
    /// unless best response), lock-in steps l_j (empty without a target;
    /// reported for finished trajectories with l_j <= K) and the recorder's
    /// paths and distances, and the matrix-free solves' statistics. Summary
    /// and warnings are filled on merging.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn result<T: NoiseFloat>(
        &self,
        first: u64,
        final_states: Vec<f64>,
        fates: Vec<Fate>,
        newton_failures: Vec<u32>,
        lock: &[u64],
        (paths, distance): (Vec<Path>, Option<DistanceSeries>),
        follower_solves: Option<SolveStats>,
    ) -> StudyResult {
        let info = self.game.info();
        let lock_in = lock
            .iter()
            .zip(&fates)
            .map(|(&l, f)| (f.is_finished() && l <= self.steps).then_some(l))
            .collect();
        StudyResult {
            fingerprint: self.fingerprint.clone(),
            first,
            count: fates.len() as u64,
            steps: self.steps,
            precision: std::any::type_name::<T>().to_string(),
            coordinates: (0..self.game.n())
                .map(|k| info.coordinate_name(k))
                .collect(),
            angle: info.angle_mask(),
            final_states,
            fates,
            newton_failures,
            lock_in,
            distance,
            paths,
            basins: self.record.basins.as_ref().map(|e| Basins {
                equilibria: e.clone(),
                assignment: Vec::new(),
                counts: Vec::new(),
            }),
            summary: Summary::default(),
            warnings: Vec::new(),
            follower_solves,
            nonfinite: Vec::new(),
        }
    }
}

/// Everything that identifies a study's results (hashed into its fingerprint).
#[derive(Serialize)]
pub(crate) struct Fingerprint<'a> {
    /// [`rng::STREAM_VERSION`]: a checkpoint written under another stream
    /// layout is not resumed.
    pub(crate) streams: u32,
    pub(crate) game: &'a str,
    pub(crate) params: Vec<f64>,
    pub(crate) dynamics: &'a Dynamics,
    pub(crate) trajectories: u64,
    pub(crate) steps: u64,
    pub(crate) noise: &'a Noise,
    pub(crate) init: &'a Init,
    pub(crate) seed: u64,
    pub(crate) record: &'a Record,
    pub(crate) divergence_bound: f64,
    pub(crate) precision: &'a str,
    /// The data samplers (omitted when there are none, so fingerprints of
    /// games without data are unchanged).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(crate) data: &'a [(String, crate::data::Sampler)],
}

impl Fingerprint<'_> {
    /// FNV-1a (64 bit) of the JSON text, as 16 hex digits.
    pub(crate) fn hash(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in text.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

/// The initial state of trajectory `t` in precision T (angles wrapped).
pub fn initial_state<T: NoiseFloat>(init: &Init, seed: u64, t: u64, angle: &[bool], out: &mut [T]) {
    match init {
        Init::Point(p) => {
            for (o, v) in out.iter_mut().zip(p) {
                *o = T::of(*v);
            }
        }
        Init::List(l) => {
            let p = &l[(t % l.len() as u64) as usize];
            for (o, v) in out.iter_mut().zip(p) {
                *o = T::of(*v);
            }
        }
        Init::Box { lo, hi } => {
            rng::uniforms_for(seed, t, rng::STREAM_INIT, out);
            for i in 0..out.len() {
                let (l, h) = (T::of(lo[i]), T::of(hi[i]));
                out[i] = l + (h - l) * out[i];
            }
        }
        Init::Gaussian { mean, std } => {
            rng::normals_for(seed, t, 0, rng::STREAM_INIT, out);
            for i in 0..out.len() {
                out[i] = T::of(mean[i]) + T::of(std[i]) * out[i];
            }
        }
        Init::KaimingUniform => {
            panic!("Init::KaimingUniform must be resolved against the game first (Init::resolve)")
        }
        Init::Sample(s) => {
            let mut x = vec![0.0; out.len()];
            s.state(seed, t, &mut x);
            for (o, v) in out.iter_mut().zip(&x) {
                *o = T::of(*v);
            }
        }
    }
    for (o, a) in out.iter_mut().zip(angle) {
        if *a {
            *o = dynamics::wrap_angle(*o);
        }
    }
}

/// The overflow guard of precision `T`: MAX / 2^20 (f32 3.2e32, f64
/// 1.7e302). A step that leaves some |x_i| above it (or NaN) is non-finite
/// ([`Fate::NonFinite`]), on both engines. A fixed bound far below overflow
/// makes the verdict independent of whether x_i - gamma g_i is computed as
/// one fused multiply-add or as a product that overflows first (GPU drivers
/// may contract a*b + c, WGSL cannot forbid it): with |x_i| <= guard before
/// the step, an overflowing product leaves |x_i - gamma g_i| >= MAX - guard
/// either way, far beyond the guard.
pub fn overflow_guard<T: NoiseFloat>() -> T {
    T::MAX * T::of(1.0 / 1_048_576.0)
}

/// NaN or beyond [`overflow_guard`]: the non-finite verdict.
pub(crate) fn beyond_guard<T: NoiseFloat>(v: T) -> bool {
    v.is_nan() || Real::abs(v) > overflow_guard::<T>()
}
