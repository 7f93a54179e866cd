//! Reproducible batched Monte-Carlo studies of learning dynamics.
//!
//! A [`Study`] is a game, a [`Dynamics`], a number of trajectories N and steps
//! K, the noise, the initial states, a seed and what to [`Record`]. Running it
//! steps every trajectory independently; every random number comes from
//! Philox keyed by (seed, trajectory, step, stream) (see [`crate::rng`]), so
//! the result is bit-identical whatever the thread count, chunk size, shard
//! split or interruption.
//!
//! ```
//! use stackel_runtime::engine::{Init, Noise, Study};
//! use stackel_runtime::dynamics::Dynamics;
//! use stackel_runtime::record::Record;
//! use stackel_testkit::twins::Duopoly;
//! use stackel_runtime::schedule::Schedule;
//!
//! let dynamics = Dynamics::two_timescale(
//!     Schedule::inverse_power(1.0).offset(11.0).exponent(1.0),       // leader 1/(k + 11)
//!     Schedule::inverse_power(1.0).offset(11.0).exponent(2.0 / 3.0), // follower (k + 11)^(-2/3)
//! );
//! let result = Study::new(Duopoly::default(), dynamics)
//!     .trajectories(200)
//!     .steps(2000)
//!     .noise(Noise::variance(10.0))
//!     .init(Init::Box { lo: vec![0.0, 0.0], hi: vec![60.0, 60.0] })
//!     .seed(7)
//!     .record(Record::finals().target(vec![46.0, 26.0], 2.0, 100))
//!     .run::<f64>()?;
//! assert_eq!(result.summary.finished, 200);
//! let m = &result.summary.mean;
//! assert!((m[0] - 46.0).abs() < 1.0 && (m[1] - 26.0).abs() < 1.0);
//! # Ok::<(), stackel_runtime::engine::StudyError>(())
//! ```
//!
//! # How the CPU engine runs
//!
//! Trajectories are cut into chunks (default 2048) that rayon spreads over
//! the cores; a chunk keeps its states in structure-of-arrays form and, per
//! step, makes one Philox pass and one Box-Muller pass over the whole chunk
//! (vectorised, AVX-512 or AVX2 chosen at run time: [`simd_tier`]), then
//! calls [`crate::dynamics::step`] per trajectory on its gathered state.
//! Small games (d1 + d2 <= 8, d2 <= 2, plain steps, not best response) take a
//! faster path: after the two noise passes, one pass of
//! [`crate::dynamics::small_field`] and the update that the compiler
//! vectorises across trajectories. With one follower coordinate its results
//! equal the general step's bit for bit; with two, its closed-form 2 x 2
//! solve may round differently from the general LU solve. Either way the
//! path depends only on the game and the dynamics, never on threads, chunks
//! or shards.
//!
//! # What another engine must reproduce (bit for bit in the same precision)
//!
//! - initial states: [`initial_state`] (Philox stream [`rng::STREAM_INIT`]);
//! - step k = 0..K-1: gamma_i,k = `T::of(schedule.gamma(k))` per player
//!   ([`Dynamics::gains`], computed in f64 then rounded), normals z_i of
//!   step k of (seed, trajectory, [`rng::STREAM_NOISE`]) as in [`crate::rng`],
//!   sigma_i = `T::of(sqrt(variance))` ([`Study::coordinate_sigma`]), the
//!   field in the operation order of [`crate::dynamics::small_field`] (small
//!   games) or [`crate::dynamics::step`], x_i <- x_i - gamma_i (g_i + sigma_i z_i),
//!   then angle wrapping; no fused multiply-adds in the field and update
//!   (the rng's are explicit `mul_add`s, correctly rounded everywhere);
//! - a step whose field is singular, or whose new state has a non-finite entry
//!   (NaN or beyond [`overflow_guard`]) or one beyond the divergence bound,
//!   stops the trajectory
//!   ([`Fate`], the state kept as documented there);
//! - results carry [`Study::fingerprint_for`] and merge with [`StudyResult::merge`].

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use crate::dynamics::{
    self, AdamCoefficients, AdamState, Dynamics, StepEvent, StepInputs, StepScratch,
};
use crate::game::Game;
use crate::real::Real;
use crate::record::{Fate, MergeError, Record, Recorder, StudyResult, Summary};
use crate::rng::{self, NoiseFloat};
use crate::schedule::{Optimizer, ScheduleError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::path::{Path as FsPath, PathBuf};

/// Initial states.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// Every trajectory starts at this point.
    Point(Vec<f64>),
    /// x_i = lo_i + (hi_i - lo_i) u_i, u_i uniform in (0, 1] (Philox stream [`rng::STREAM_INIT`]).
    Box { lo: Vec<f64>, hi: Vec<f64> },
    /// x_i = mean_i + std_i z_i, z_i standard normal (stream [`rng::STREAM_INIT`]).
    Gaussian { mean: Vec<f64>, std: Vec<f64> },
    /// Trajectory t starts at `list[t % list.len()]`.
    List(Vec<Vec<f64>>),
    /// A user-defined distribution ([`Init::sample`]).
    Sample(rng::Sampler),
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
    /// use stackel_runtime::engine::{Init, Noise, Study};
    /// use stackel_runtime::{dynamics::Dynamics, schedule::Schedule};
    /// use stackel_testkit::twins::Duopoly;
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
    /// # Ok::<(), stackel_runtime::engine::StudyError>(())
    /// ```
    pub fn sample(
        name: impl Into<String>,
        f: impl Fn(&mut rng::PhiloxRng, &mut [f64]) + Send + Sync + 'static,
    ) -> Self {
        Init::Sample(rng::Sampler::new(name, f))
    }
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

/// Which engine runs a study. Further engines (GPU) plug in here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Engine {
    /// All CPU cores of the current rayon pool.
    #[default]
    Cpu,
    /// The wgpu GPU engine (feature `gpu`, see [`crate::gpu`]): the same
    /// streams, schedules and update order, one trajectory per invocation.
    /// Checkpointing and chunk sizes do not apply to it.
    #[cfg(feature = "gpu")]
    Gpu,
}

/// An invalid study, or an I/O failure of checkpointing.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// The GPU engine failed (no adapter, unsupported rule, device error...).
    #[cfg(feature = "gpu")]
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
    #[error("a study needs at least one trajectory")]
    ZeroTrajectories,
    #[error("{steps} steps exceed the 2^32 - 1 that the RNG counter allows")]
    TooManySteps { steps: u64 },
    #[error("{what} has dimension {got}, the game's state has {expected}")]
    Dimension {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("initial box has lo[{index}] = {lo} > hi[{index}] = {hi} or a non-finite bound")]
    BadBox { index: usize, lo: f64, hi: f64 },
    #[error("{what} must be finite and >= 0, got {value}")]
    Negative { what: &'static str, value: f64 },
    #[error("{what} must be finite, got {value}")]
    NotFinite { what: &'static str, value: f64 },
    #[error("an explicit list of initial states must not be empty")]
    EmptyList,
    #[error("expected {expected} {what} (or one shared), got {got}")]
    PerPlayer {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("bad step-size schedule of player {player}: {source}")]
    Schedule {
        player: usize,
        source: ScheduleError,
    },
    #[error("bad optimiser: {0}")]
    Optimizer(String),
    #[error("{what} must be >= 1")]
    Zero { what: &'static str },
    #[error("shard {index} of {count} is not a valid shard")]
    BadShard { index: u64, count: u64 },
    #[error("basins need at least one equilibrium")]
    NoEquilibria,
    #[error("nothing to resume: {}", match dir { Some(d) => format!("no checkpoint manifest in {}", d.display()), None => "no checkpoint folder set".into() })]
    NothingToResume { dir: Option<PathBuf> },
    #[error("checkpoint folder {dir} belongs to a different study")]
    CheckpointMismatch { dir: PathBuf },
    #[error("checkpoint I/O on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("checkpoint file {path}: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Merge(#[from] MergeError),
}

/// Everything that identifies a study's results (hashed into its fingerprint).
#[derive(Serialize)]
struct Fingerprint<'a> {
    /// [`rng::STREAM_VERSION`]: a checkpoint written under another stream
    /// layout is not resumed.
    streams: u32,
    game: &'a str,
    params: Vec<f64>,
    dynamics: &'a Dynamics,
    trajectories: u64,
    steps: u64,
    noise: &'a Noise,
    init: &'a Init,
    seed: u64,
    record: &'a Record,
    divergence_bound: f64,
    precision: &'a str,
}

/// A study's settings besides the game and the dynamics ([`Study::settings`]).
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    pub trajectories: u64,
    pub steps: u64,
    pub noise: &'a Noise,
    pub init: &'a Init,
    pub seed: u64,
    pub record: &'a Record,
    pub engine: Engine,
    /// (index, count)
    pub shard: (u64, u64),
    pub chunk: usize,
    pub divergence_bound: f64,
    /// Whether the small-state kernel is used where it applies
    /// ([`crate::dynamics::small_kernel_applies`]; default true).
    pub small_kernel: bool,
}

/// A Monte-Carlo study of a learning dynamics on a game; see the module docs.
#[derive(Clone, Debug)]
pub struct Study<G> {
    game: G,
    dynamics: Dynamics,
    trajectories: u64,
    steps: u64,
    noise: Noise,
    init: Init,
    seed: u64,
    record: Record,
    engine: Engine,
    shard: (u64, u64),
    chunk: usize,
    divergence_bound: f64,
    checkpoint: Option<(PathBuf, u64)>,
    progress: Option<bool>,
    small_kernel: bool,
    simd: Simd,
}

impl<G: Game> Study<G> {
    /// A study of `dynamics` on `game`: by default 1 trajectory, 1000 steps,
    /// no noise, all starting at the origin, seed 0, final states only.
    pub fn new(game: G, dynamics: Dynamics) -> Self {
        Study {
            game,
            dynamics,
            trajectories: 1,
            steps: 1000,
            noise: Noise::none(),
            init: Init::Point(vec![0.0; G::N]),
            seed: 0,
            record: Record::finals(),
            engine: Engine::Cpu,
            shard: (0, 1),
            chunk: 2048,
            divergence_bound: 1e8,
            checkpoint: None,
            progress: None,
            small_kernel: true,
            simd: Simd::Avx512,
        }
    }
    /// Number of trajectories N.
    pub fn trajectories(mut self, n: u64) -> Self {
        self.trajectories = n;
        self
    }
    /// Number of steps K.
    pub fn steps(mut self, k: u64) -> Self {
        self.steps = k;
        self
    }
    pub fn noise(mut self, noise: Noise) -> Self {
        self.noise = noise;
        self
    }
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    pub fn record(mut self, record: Record) -> Self {
        self.record = record;
        self
    }
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }
    /// Compute only shard `index` of `count` (trajectories
    /// index N / count .. (index + 1) N / count); see [`StudyResult::merge`].
    pub fn shard(mut self, index: u64, count: u64) -> Self {
        self.shard = (index, count);
        self
    }
    /// Trajectories per chunk of work (default 2048; results do not depend on it).
    pub fn chunk_size(mut self, c: usize) -> Self {
        self.chunk = c;
        self
    }
    /// A trajectory with some |x_i| above `bound` is stopped as diverged (default 1e8).
    pub fn divergence_bound(mut self, bound: f64) -> Self {
        self.divergence_bound = bound;
        self
    }
    /// Stream finished blocks of `block` trajectories to `dir`; running the
    /// same study again with the same folder resumes where it stopped.
    pub fn checkpoint(mut self, dir: impl Into<PathBuf>, block: u64) -> Self {
        self.checkpoint = Some((dir.into(), block));
        self
    }
    /// Force the progress bar on or off (default: on for long runs when
    /// stderr is a terminal).
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = Some(on);
        self
    }
    /// Use the stack-array kernel for small games (default true); false
    /// forces the general per-trajectory [`dynamics::step`] (for tests that
    /// compare the two).
    #[doc(hidden)]
    pub fn small_kernel(mut self, on: bool) -> Self {
        self.small_kernel = on;
        self
    }
    /// Highest vector tier the CPU engine may use (default: the best the
    /// CPU has; results are the same in every tier, see [`Simd`]).
    pub fn simd(mut self, tier: Simd) -> Self {
        self.simd = tier;
        self
    }
    /// The game.
    pub fn game(&self) -> &G {
        &self.game
    }
    /// The dynamics.
    pub fn dynamics_ref(&self) -> &Dynamics {
        &self.dynamics
    }
    /// Every other setting, for engines and reports.
    pub fn settings(&self) -> Settings<'_> {
        Settings {
            trajectories: self.trajectories,
            steps: self.steps,
            noise: &self.noise,
            init: &self.init,
            seed: self.seed,
            record: &self.record,
            engine: self.engine,
            shard: self.shard,
            chunk: self.chunk,
            divergence_bound: self.divergence_bound,
            small_kernel: self.small_kernel,
        }
    }
    /// The noise standard deviation sigma_i of every state coordinate.
    pub fn coordinate_sigma(&self) -> Vec<f64> {
        let info = self.game.info();
        let mut sigma = Vec::with_capacity(G::N);
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
    /// The fingerprint that results of this study in precision `T` carry
    /// (any engine must use it so that parts merge).
    pub fn fingerprint_for<T: NoiseFloat>(&self) -> String {
        self.fingerprint(std::any::type_name::<T>())
    }

    /// The trajectory range lo..hi of this study's shard.
    pub fn range(&self) -> (u64, u64) {
        let (i, c) = self.shard;
        let n = self.trajectories as u128;
        (
            (i as u128 * n / c as u128) as u64,
            ((i as u128 + 1) * n / c as u128) as u64,
        )
    }

    /// Warnings about the dynamics (e.g. gamma1 not o(gamma2)).
    pub fn warnings(&self) -> Vec<dynamics::Warning> {
        self.dynamics.warnings()
    }

    /// Checks the configuration against the game.
    pub fn validate(&self) -> Result<(), StudyError> {
        let n = G::N;
        let info = self.game.info();
        let players = 1 + info.followers.len();
        let dim = |what, v: &Vec<f64>| {
            if v.len() != n {
                Err(StudyError::Dimension {
                    what,
                    expected: n,
                    got: v.len(),
                })
            } else if let Some(&bad) = v.iter().find(|x| !x.is_finite()) {
                Err(StudyError::NotFinite { what, value: bad })
            } else {
                Ok(())
            }
        };
        if self.trajectories == 0 {
            return Err(StudyError::ZeroTrajectories);
        }
        if self.steps > u32::MAX as u64 {
            return Err(StudyError::TooManySteps { steps: self.steps });
        }
        let (si, sc) = self.shard;
        if sc == 0 || si >= sc {
            return Err(StudyError::BadShard {
                index: si,
                count: sc,
            });
        }
        if self.chunk == 0 {
            return Err(StudyError::Zero { what: "chunk size" });
        }
        if let Some((_, b)) = &self.checkpoint {
            if *b == 0 {
                return Err(StudyError::Zero {
                    what: "checkpoint block",
                });
            }
        }
        if self.divergence_bound.is_nan() || self.divergence_bound <= 0.0 {
            return Err(StudyError::Negative {
                what: "divergence bound",
                value: self.divergence_bound,
            });
        }
        match &self.init {
            Init::Point(p) => dim("initial point", p)?,
            Init::Box { lo, hi } => {
                dim("initial box lo", lo)?;
                dim("initial box hi", hi)?;
                for i in 0..n {
                    if lo[i] > hi[i] {
                        return Err(StudyError::BadBox {
                            index: i,
                            lo: lo[i],
                            hi: hi[i],
                        });
                    }
                }
            }
            Init::Gaussian { mean, std } => {
                dim("initial mean", mean)?;
                dim("initial standard deviation", std)?;
                if let Some(&s) = std.iter().find(|s| **s < 0.0) {
                    return Err(StudyError::Negative {
                        what: "initial standard deviation",
                        value: s,
                    });
                }
            }
            Init::List(l) => {
                if l.is_empty() {
                    return Err(StudyError::EmptyList);
                }
                for p in l {
                    dim("initial state", p)?;
                }
            }
            Init::Sample(s) => {
                let mut x = vec![0.0; n];
                s.state(self.seed, self.range().0, &mut x);
                if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
                    return Err(StudyError::NotFinite {
                        what: "sampled initial state",
                        value: v,
                    });
                }
            }
        }
        let v = &self.noise.variances;
        if v.len() > 1 && v.len() != players {
            return Err(StudyError::PerPlayer {
                what: "noise variances",
                expected: players,
                got: v.len(),
            });
        }
        for &x in v {
            if !(x.is_finite() && x >= 0.0) {
                return Err(StudyError::Negative {
                    what: "noise variance",
                    value: x,
                });
            }
        }
        let s = &self.dynamics.schedules;
        if s.len() != 2 && s.len() != players {
            return Err(StudyError::PerPlayer {
                what: "step-size schedules (leader, then followers)",
                expected: players,
                got: s.len(),
            });
        }
        for (player, sch) in s.iter().enumerate() {
            sch.validate()
                .map_err(|source| StudyError::Schedule { player, source })?;
        }
        self.dynamics
            .optimizer
            .validate()
            .map_err(StudyError::Optimizer)?;
        if !(self.dynamics.eta.is_finite() && self.dynamics.eta >= 0.0) {
            return Err(StudyError::Negative {
                what: "regularisation eta",
                value: self.dynamics.eta,
            });
        }
        if self.dynamics.newton.max_iter == 0 {
            return Err(StudyError::Zero {
                what: "Newton iterations",
            });
        }
        let tol = self.dynamics.newton.tol;
        if !(tol.is_finite() && tol >= 0.0) {
            return Err(StudyError::Negative {
                what: "Newton tolerance",
                value: tol,
            });
        }
        if let Some(p) = &self.record.paths {
            if p.every == 0 {
                return Err(StudyError::Zero {
                    what: "path thinning",
                });
            }
        }
        if let Some(t) = &self.record.target {
            dim("target", &t.point)?;
            if t.every == 0 {
                return Err(StudyError::Zero {
                    what: "distance thinning",
                });
            }
            if !(t.eps.is_finite() && t.eps >= 0.0) {
                return Err(StudyError::Negative {
                    what: "lock-in radius",
                    value: t.eps,
                });
            }
        }
        if let Some(eqs) = &self.record.basins {
            if eqs.is_empty() {
                return Err(StudyError::NoEquilibria);
            }
            for e in eqs {
                dim("equilibrium", e)?;
            }
        }
        Ok(())
    }

    fn fingerprint(&self, precision: &str) -> String {
        let mut params = vec![0.0; G::NP];
        self.game.params(&mut params);
        let f = Fingerprint {
            streams: rng::STREAM_VERSION,
            game: self.game.info().name,
            params,
            dynamics: &self.dynamics,
            trajectories: self.trajectories,
            steps: self.steps,
            noise: &self.noise,
            init: &self.init,
            seed: self.seed,
            record: &self.record,
            divergence_bound: self.divergence_bound,
            precision,
        };
        let text = serde_json::to_string(&f).unwrap_or_default();
        // FNV-1a, 64 bit
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in text.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{h:016x}")
    }

    /// Runs the study (or its shard) in precision `T` (f64 or f32; f32 is
    /// faster but late small steps can stall below half an ulp of the state).
    pub fn run<T: NoiseFloat>(&self) -> Result<StudyResult, StudyError> {
        self.validate()?;
        match self.engine {
            Engine::Cpu => self.run_cpu::<T>(),
            #[cfg(feature = "gpu")]
            Engine::Gpu => {
                let spec = crate::gpu::StudySpec::from_study::<T>(self);
                let mut r = crate::gpu::shared()?.run::<G, T>(&spec)?;
                r.warnings = self.warnings();
                Ok(r)
            }
        }
    }

    /// Like [`Study::run`], but fails unless a checkpoint folder with blocks of
    /// this very study exists: finishes an interrupted run.
    pub fn resume<T: NoiseFloat>(&self) -> Result<StudyResult, StudyError> {
        self.validate()?;
        let Some((dir, _)) = &self.checkpoint else {
            return Err(StudyError::NothingToResume { dir: None });
        };
        if !dir.join("manifest.json").exists() {
            return Err(StudyError::NothingToResume {
                dir: Some(dir.clone()),
            });
        }
        self.run::<T>()
    }

    fn run_cpu<T: NoiseFloat>(&self) -> Result<StudyResult, StudyError> {
        let precision = std::any::type_name::<T>();
        let prep = Prepared::<T>::new(self, precision);
        let (lo, hi) = self.range();
        let total = (hi - lo) as u128 * self.steps as u128;
        let show = self
            .progress
            .unwrap_or_else(|| total >= 200_000_000 && std::io::stderr().is_terminal());
        let bar = if show {
            let b = indicatif::ProgressBar::new((hi - lo) * self.steps.max(1));
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:40}] {percent}% eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            Some(b)
        } else {
            None
        };
        let mut result = match &self.checkpoint {
            None => self.run_range(&prep, lo, hi, bar.as_ref())?,
            Some((dir, block)) => {
                self.run_checkpointed(&prep, lo, hi, dir, *block, bar.as_ref())?
            }
        };
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        result.warnings = self.warnings();
        Ok(result)
    }

    fn run_range<T: NoiseFloat>(
        &self,
        prep: &Prepared<T>,
        lo: u64,
        hi: u64,
        bar: Option<&indicatif::ProgressBar>,
    ) -> Result<StudyResult, StudyError> {
        let c = self.chunk as u64;
        let starts: Vec<u64> = (lo..hi).step_by(c as usize).collect();
        let parts: Vec<StudyResult> = starts
            .into_par_iter()
            .map(|s| {
                let cnt = (hi - s).min(c) as usize;
                let r = run_chunk(&self.game, &self.dynamics, &self.init, prep, s, cnt);
                if let Some(b) = bar {
                    b.inc(cnt as u64 * self.steps.max(1));
                }
                r
            })
            .collect();
        Ok(StudyResult::merge(parts)?)
    }

    fn run_checkpointed<T: NoiseFloat>(
        &self,
        prep: &Prepared<T>,
        lo: u64,
        hi: u64,
        dir: &FsPath,
        block: u64,
        bar: Option<&indicatif::ProgressBar>,
    ) -> Result<StudyResult, StudyError> {
        let io = |path: &FsPath| {
            let path = path.to_path_buf();
            move |source| StudyError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let manifest = dir.join("manifest.json");
        let want = serde_json::json!({ "fingerprint": prep.fingerprint, "block": block });
        if manifest.exists() {
            let text = std::fs::read_to_string(&manifest).map_err(io(&manifest))?;
            let have: serde_json::Value =
                serde_json::from_str(&text).map_err(|source| StudyError::Json {
                    path: manifest.clone(),
                    source,
                })?;
            if have != want {
                return Err(StudyError::CheckpointMismatch {
                    dir: dir.to_path_buf(),
                });
            }
        } else {
            write_atomic(&manifest, want.to_string().as_bytes()).map_err(io(&manifest))?;
        }
        let mut parts = Vec::new();
        let mut s = lo;
        while s < hi {
            let e = (s + block).min(hi);
            let path = dir.join(format!("block-{s:020}.json"));
            let done = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| StudyResult::from_json(&t).ok())
                .filter(|r| r.fingerprint == prep.fingerprint && r.first == s && r.count == e - s);
            let part = match done {
                Some(r) => {
                    if let Some(b) = bar {
                        b.inc((e - s) * self.steps.max(1));
                    }
                    r
                }
                None => {
                    let r = self.run_range(prep, s, e, bar)?;
                    let json = r.to_json().map_err(|source| StudyError::Json {
                        path: path.clone(),
                        source,
                    })?;
                    write_atomic(&path, json.as_bytes()).map_err(io(&path))?;
                    r
                }
            };
            parts.push(part);
            s = e;
        }
        Ok(StudyResult::merge(parts)?)
    }
}

/// Writes `path` via a temporary file and a rename, so a killed run never
/// leaves a half-written file under the final name.
fn write_atomic(path: &FsPath, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// A study's constants in the engine's precision.
struct Prepared<T> {
    n: usize,
    dims: Vec<usize>,
    sigma: Vec<T>,
    angle: Vec<bool>,
    bound: T,
    key: [u32; 2],
    seed: u64,
    steps: u64,
    eta: T,
    record: Record,
    fingerprint: String,
    precision: String,
    coordinates: Vec<String>,
    small_kernel: bool,
    /// Some sigma_i > 0 (else the noise pass is skipped: z stays 0).
    noisy: bool,
    simd: Simd,
}

impl<T: NoiseFloat> Prepared<T> {
    fn new<G: Game>(s: &Study<G>, precision: &str) -> Self {
        let info = s.game.info();
        let dims: Vec<usize> = info.players().map(|p| p.dim).collect();
        let sigma = s.coordinate_sigma().into_iter().map(T::of).collect();
        Prepared {
            n: G::N,
            dims,
            sigma,
            angle: info.angle_mask(),
            bound: T::of(s.divergence_bound),
            key: rng::seed_key(s.seed),
            seed: s.seed,
            steps: s.steps,
            eta: T::of(s.dynamics.eta),
            record: s.record.clone(),
            fingerprint: s.fingerprint(precision),
            precision: precision.to_string(),
            coordinates: (0..G::N).map(|k| info.coordinate_name(k)).collect(),
            small_kernel: s.small_kernel,
            noisy: s.noise.variances.iter().any(|v| *v > 0.0),
            simd: s.simd.min(simd_tier()),
        }
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

/// The uniform numerators ([`NoiseFloat::numerators`]) of one Philox block
/// for a chunk of trajectories, structure of arrays, and the block they
/// hold: the noise pass reuses them when a step's first pair lies in the
/// block the previous step computed last (f32 states with an odd number of
/// pairs per step, e.g. two coordinates: one block per two steps). The cache
/// changes only the work, never a number.
#[derive(Clone, Debug)]
pub struct NoiseWords<T: NoiseFloat> {
    numerators: Vec<T::Numerator>,
    /// (key, first trajectory, count, block) of `numerators`.
    holds: Option<([u32; 2], u64, usize, u64)>,
}

impl<T: NoiseFloat> NoiseWords<T> {
    /// Scratch for chunks of up to `count` trajectories.
    pub fn new(count: usize) -> Self {
        NoiseWords {
            numerators: vec![T::Numerator::default(); 2 * T::PAIRS_PER_BLOCK * count],
            holds: None,
        }
    }
}

/// Fills the `n` standard normals (rounded up to even) of step `step` of
/// trajectories first..first + count into `z` (row r, normal r of every
/// trajectory: z[r * count + j]). Per Box-Muller pair q of the step: the
/// Philox pass of its block into `nw` (unless `nw` holds it already), then
/// Box-Muller of that pair's half ([`crate::rng`]'s stream mapping).
#[inline(always)]
fn fill_normals_generic<T: NoiseFloat>(
    key: [u32; 2],
    step: u32,
    first: u64,
    count: usize,
    n: usize,
    nw: &mut NoiseWords<T>,
    z: &mut [T],
) {
    // uniforms per block: one row of numerators each
    let rows = 2 * T::PAIRS_PER_BLOCK;
    if nw.numerators.len() < rows * count {
        nw.numerators.resize(rows * count, T::Numerator::default());
        nw.holds = None;
    }
    let pairs = rng::pairs_per_state(n);
    let (m0, rest) = nw.numerators[..rows * count].split_at_mut(count);
    let (m1, rest) = rest.split_at_mut(count);
    let (m2, m3) = rest.split_at_mut(if rows == 4 { count } else { 0 });
    for q in 0..pairs {
        let (b, half) = rng::pair_position::<T>(step as u64 * pairs as u64 + q as u64);
        let tag = Some((key, first, count, b));
        if nw.holds != tag {
            // runs of trajectories with one high word: the counter's words
            // 0, 2, 3 are then loop-invariant, and so are the products of
            // Philox's first rounds that depend on them alone
            let mut j0 = 0;
            while j0 < count {
                let t0 = first + j0 as u64;
                let run = (count - j0).min(((1u64 << 32) - (t0 & 0xffff_ffff)) as usize);
                let [c0, lo, hi, c3] = rng::block_counter(b, t0, rng::STREAM_NOISE);
                let end = j0 + run;
                let counter = |j: usize| [c0, lo.wrapping_add(j as u32), hi, c3];
                if rows == 2 {
                    for (j, (a0, a1)) in m0[j0..end].iter_mut().zip(&mut m1[j0..end]).enumerate() {
                        let m = T::numerators(rng::philox4x32_10(counter(j), key));
                        (*a0, *a1) = (m[0], m[1]);
                    }
                } else {
                    for (j, (((a0, a1), a2), a3)) in m0[j0..end]
                        .iter_mut()
                        .zip(&mut m1[j0..end])
                        .zip(&mut m2[j0..end])
                        .zip(&mut m3[j0..end])
                        .enumerate()
                    {
                        let m = T::numerators(rng::philox4x32_10(counter(j), key));
                        (*a0, *a1, *a2, *a3) = (m[0], m[1], m[2], m[3]);
                    }
                }
                j0 = end;
            }
            nw.holds = tag;
        }
        let (ra, rb) = z[2 * q * count..(2 * q + 2) * count].split_at_mut(count);
        let (ma, mb) = if half == 0 {
            (&*m0, &*m1)
        } else {
            (&*m2, &*m3)
        };
        for j in 0..count {
            let (za, zb) = rng::box_muller_of::<T>(ma[j], mb[j]);
            ra[j] = za;
            rb[j] = zb;
        }
    }
}

/// The vector instruction sets the CPU engine's hot loops are compiled for,
/// chosen at run time. Every tier computes the same results (the compiler
/// never contracts a multiply and an add; the rng's explicit `mul_add`s are
/// correctly rounded on every tier, in software where the CPU has no FMA);
/// only the speed differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    /// The target's baseline.
    Baseline,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-512 (F, DQ, VL) with AVX2 and FMA.
    Avx512,
}

/// The tier this CPU runs ([`Simd`]).
pub fn simd_tier() -> Simd {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        let avx512 = std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512vl");
        if avx2 && avx512 {
            return Simd::Avx512;
        }
        if avx2 {
            return Simd::Avx2;
        }
    }
    Simd::Baseline
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fill_normals_avx2<T: NoiseFloat>(
    key: [u32; 2],
    step: u32,
    first: u64,
    count: usize,
    n: usize,
    nw: &mut NoiseWords<T>,
    z: &mut [T],
) {
    fill_normals_generic(key, step, first, count, n, nw, z)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn fill_normals_avx512<T: NoiseFloat>(
    key: [u32; 2],
    step: u32,
    first: u64,
    count: usize,
    n: usize,
    nw: &mut NoiseWords<T>,
    z: &mut [T],
) {
    fill_normals_generic(key, step, first, count, n, nw, z)
}

/// The noise pass of one step for a chunk of trajectories: the `n`
/// standard normals (rounded up to even) of trajectories first..first +
/// count at `step`, row r of `z` (len >= `(n + 1) / 2 * 2 * count`) holding
/// normal r of every trajectory (z[r * count + j]); `nw` is the chunk's
/// Philox scratch, kept from step to step. Runs the best [`Simd`] tier of
/// the CPU (same results in every tier). Also the bare-RNG ceiling of
/// benchmarks.
pub fn fill_normals<T: NoiseFloat>(
    key: [u32; 2],
    step: u32,
    first: u64,
    count: usize,
    n: usize,
    nw: &mut NoiseWords<T>,
    z: &mut [T],
) {
    fill_normals_in(simd_tier(), key, step, first, count, n, nw, z)
}

/// [`fill_normals`] in vector tier `tier` (lowered to what the CPU has).
#[allow(clippy::too_many_arguments)]
pub fn fill_normals_in<T: NoiseFloat>(
    tier: Simd,
    key: [u32; 2],
    step: u32,
    first: u64,
    count: usize,
    n: usize,
    nw: &mut NoiseWords<T>,
    z: &mut [T],
) {
    match tier.min(simd_tier()) {
        // SAFETY: simd_tier checked that the CPU has the enabled features.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { fill_normals_avx512(key, step, first, count, n, nw, z) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { fill_normals_avx2(key, step, first, count, n, nw, z) },
        _ => fill_normals_generic(key, step, first, count, n, nw, z),
    }
}

/// One plain step of every running trajectory of a chunk with the
/// small-state kernel ([`dynamics::small_field`]): x_i <- x_i - gamma_i
/// (g_i + sigma_i z_i), angles wrapped; a trajectory whose step is singular,
/// not finite or beyond the bound is left unmoved and flagged in `bad`.
/// Runs the best [`Simd`] tier of the CPU (same results in every tier).
#[allow(clippy::too_many_arguments)]
fn small_steps<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    p: &Prepared<T>,
    gains: &[T],
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    match p.simd {
        // SAFETY: Prepared::simd is at most simd_tier(), which checked the CPU.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx512 => unsafe { small_steps_avx512(game, rule, p, gains, z, xs, active, bad) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 => unsafe { small_steps_avx2(game, rule, p, gains, z, xs, active, bad) },
        _ => small_steps_generic(game, rule, p, gains, z, xs, active, bad),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn small_steps_avx512<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    p: &Prepared<T>,
    gains: &[T],
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    small_steps_generic(game, rule, p, gains, z, xs, active, bad)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn small_steps_avx2<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    p: &Prepared<T>,
    gains: &[T],
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    small_steps_generic(game, rule, p, gains, z, xs, active, bad)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn small_steps_generic<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    p: &Prepared<T>,
    gains: &[T],
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    use dynamics::Rule::*;
    let c = SmallConsts::new(p, gains);
    // one loop per (rule, angles) so that each is branch-free and vectorises
    match (rule, c.any_angle) {
        (Simultaneous, false) => small_loop(game, Simultaneous, false, &c, z, xs, active, bad),
        (Simultaneous, true) => small_loop(game, Simultaneous, true, &c, z, xs, active, bad),
        (TwoTimescale, false) => small_loop(game, TwoTimescale, false, &c, z, xs, active, bad),
        (TwoTimescale, true) => small_loop(game, TwoTimescale, true, &c, z, xs, active, bad),
        (Lola, false) => small_loop(game, Lola, false, &c, z, xs, active, bad),
        (Lola, true) => small_loop(game, Lola, true, &c, z, xs, active, bad),
        (BestResponse, _) => unreachable!("the small kernel excludes best response"),
    }
}

/// A step's constants for the small kernel, in fixed-size arrays.
struct SmallConsts<T> {
    gains: [T; dynamics::SMALL_N],
    sigma: [T; dynamics::SMALL_N],
    angle: [bool; dynamics::SMALL_N],
    any_angle: bool,
    gamma2: T,
    eta: T,
    bound: T,
}

impl<T: NoiseFloat> SmallConsts<T> {
    fn new(p: &Prepared<T>, gains: &[T]) -> Self {
        let mut c = SmallConsts {
            gains: [T::zero(); dynamics::SMALL_N],
            sigma: [T::zero(); dynamics::SMALL_N],
            angle: [false; dynamics::SMALL_N],
            any_angle: p.angle.iter().any(|a| *a),
            gamma2: gains[p.dims[0]],
            eta: p.eta,
            // |v| <= bound also rejects NaN, infinities and the overflow guard
            bound: if p.bound < overflow_guard::<T>() {
                p.bound
            } else {
                overflow_guard::<T>()
            },
        };
        let n = p.n;
        c.gains[..n].copy_from_slice(&gains[..n]);
        c.sigma[..n].copy_from_slice(&p.sigma[..n]);
        c.angle[..n].copy_from_slice(&p.angle[..n]);
        c
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn small_loop<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    any_angle: bool,
    c: &SmallConsts<T>,
    z: &[T],
    xs: &mut [T],
    active: &[bool],
    bad: &mut [bool],
) {
    let n = G::N;
    let count = active.len();
    // the unchecked reads and writes below index i * count + j, i < n, j < count
    assert!(n <= dynamics::SMALL_N && xs.len() == n * count && z.len() >= n * count);
    assert!(bad.len() == count);
    for j in 0..count {
        // SAFETY: j < count and the lengths asserted above.
        let (xn, ok_field, x) = unsafe { small_update(game, rule, any_angle, c, z, xs, j, count) };
        let mut ok = ok_field & active[j];
        for v in &xn[..n] {
            ok &= Real::abs(*v) <= c.bound;
        }
        for i in 0..n {
            // SAFETY: i < n and j < count, and xs.len() == n * count (asserted above).
            unsafe { *xs.get_unchecked_mut(i * count + j) = if ok { xn[i] } else { x[i] } };
        }
        bad[j] = active[j] & !ok;
    }
}

/// The small-kernel step of trajectory j: (new state, field not singular, old state).
///
/// # Safety
/// j < count, xs.len() >= G::N count and z.len() >= G::N count.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn small_update<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    any_angle: bool,
    c: &SmallConsts<T>,
    z: &[T],
    xs: &[T],
    j: usize,
    count: usize,
) -> ([T; dynamics::SMALL_N], bool, [T; dynamics::SMALL_N]) {
    let n = G::N;
    let mut x = [T::zero(); dynamics::SMALL_N];
    for i in 0..n {
        // SAFETY: i < n, j < count, xs.len() >= n * count (the caller's contract).
        x[i] = unsafe { *xs.get_unchecked(i * count + j) };
    }
    let mut f = [T::zero(); dynamics::SMALL_N];
    let ok = dynamics::small_field(game, rule, c.eta, c.gamma2, &x[..n], &mut f);
    let mut xn = x;
    for i in 0..n {
        // SAFETY: as above, z.len() >= n * count.
        let zi = unsafe { *z.get_unchecked(i * count + j) };
        xn[i] = x[i] - c.gains[i] * (f[i] + c.sigma[i] * zi);
    }
    if any_angle {
        for i in 0..n {
            if c.angle[i] {
                xn[i] = dynamics::wrap_angle(xn[i]);
            }
        }
    }
    (xn, ok, x)
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
fn beyond_guard<T: NoiseFloat>(v: T) -> bool {
    v.is_nan() || Real::abs(v) > overflow_guard::<T>()
}

/// Why a flagged small-kernel step failed, and the state to keep.
#[allow(clippy::too_many_arguments)]
fn small_failure<G: Game, T: NoiseFloat>(
    game: &G,
    rule: dynamics::Rule,
    p: &Prepared<T>,
    gains: &[T],
    z: &[T],
    xs: &[T],
    j: usize,
    k: u64,
) -> (Fate, [T; dynamics::SMALL_N]) {
    let c = SmallConsts::new(p, gains);
    let count = xs.len() / G::N;
    assert!(j < count && z.len() >= G::N * count);
    // SAFETY: asserted just above.
    let (xn, ok, x) = unsafe { small_update(game, rule, c.any_angle, &c, z, xs, j, count) };
    if !ok {
        (Fate::Singular { step: k }, x)
    } else if xn[..G::N].iter().any(|v| beyond_guard(*v)) {
        (Fate::NonFinite { step: k }, x)
    } else {
        (Fate::Diverged { step: k }, xn)
    }
}

/// Runs trajectories first..first + count for all steps.
fn run_chunk<G: Game, T: NoiseFloat>(
    game: &G,
    dynamics: &Dynamics,
    init: &Init,
    p: &Prepared<T>,
    first: u64,
    count: usize,
) -> StudyResult {
    let n = p.n;
    let best_response = dynamics.rule == dynamics::Rule::BestResponse;
    let adam_on = !matches!(dynamics.optimizer, Optimizer::Plain);

    let mut xs = vec![T::zero(); n * count];
    let mut xj = vec![T::zero(); n];
    let mut prev = vec![T::zero(); n];
    let mut zj = vec![T::zero(); n];
    for j in 0..count {
        initial_state(init, p.seed, first + j as u64, &p.angle, &mut xj);
        for i in 0..n {
            xs[i * count + j] = xj[i];
        }
    }
    let (mut ms, mut vs) = if adam_on {
        (vec![T::zero(); n * count], vec![T::zero(); n * count])
    } else {
        (Vec::new(), Vec::new())
    };
    let (mut mj, mut vj) = (vec![T::zero(); n], vec![T::zero(); n]);
    let mut fates = vec![Fate::Finished; count];
    let mut active = vec![true; count];
    let mut newton = vec![0u32; if best_response { count } else { 0 }];
    let mut scratch = StepScratch::<T>::new::<G>();
    let mut gains = vec![T::zero(); n];
    let mut noise_words = NoiseWords::new(count);
    let mut z = vec![T::zero(); 2 * rng::pairs_per_state(n) * count];

    let mut rec = Recorder::<T>::new(&p.record, &p.angle, first, count, p.steps);
    let mut lock = vec![0u64; if rec.has_target() { count } else { 0 }];
    // trajectory j's state, gathered from the structure-of-arrays chunk
    let gather = |xs: &[T], j: usize, x: &mut [T]| {
        for (i, xi) in x.iter_mut().enumerate() {
            *xi = xs[i * count + j];
        }
    };
    rec.take(0, |j| active[j], |j, x| gather(&xs, j, x), count);
    if rec.has_target() {
        for j in 0..count {
            gather(&xs, j, &mut xj);
            if rec.outside(&xj) {
                lock[j] = 1;
            }
        }
    }

    let small = p.small_kernel && dynamics::small_kernel_applies::<G>(dynamics.rule) && !adam_on;
    let mut bad = vec![false; if small { count } else { 0 }];
    for k in 0..p.steps {
        dynamics.gains(k, &p.dims, &mut gains);
        let adam = AdamCoefficients::<T>::at(&dynamics.optimizer, k);
        if p.noisy {
            fill_normals_in(
                p.simd,
                p.key,
                k as u32,
                first,
                count,
                n,
                &mut noise_words,
                &mut z,
            );
        }
        if small {
            small_steps(
                game,
                dynamics.rule,
                p,
                &gains,
                &z,
                &mut xs,
                &active,
                &mut bad,
            );
            // failures are rare: a branch-free scan first
            if bad.iter().fold(false, |acc, b| acc | *b) {
                for j in (0..count).filter(|&j| bad[j]) {
                    let (fate, x) = small_failure(game, dynamics.rule, p, &gains, &z, &xs, j, k);
                    fates[j] = fate;
                    active[j] = false;
                    for i in 0..n {
                        xs[i * count + j] = x[i];
                    }
                }
            }
            if rec.has_target() {
                for j in (0..count).filter(|&j| active[j]) {
                    gather(&xs, j, &mut xj);
                    if rec.outside(&xj) {
                        lock[j] = k + 2;
                    }
                }
            }
            rec.take(k + 1, |j| active[j], |j, x| gather(&xs, j, x), count);
            continue;
        }
        for j in 0..count {
            if !active[j] {
                continue;
            }
            for i in 0..n {
                xj[i] = xs[i * count + j];
                zj[i] = z[i * count + j];
            }
            prev.copy_from_slice(&xj);
            let st = if adam_on {
                for i in 0..n {
                    mj[i] = ms[i * count + j];
                    vj[i] = vs[i * count + j];
                }
                Some(AdamState {
                    m: &mut mj,
                    v: &mut vj,
                })
            } else {
                None
            };
            let inp = StepInputs {
                k,
                gains: &gains,
                sigma: &p.sigma,
                z: &zj,
                angle: &p.angle,
                eta: p.eta,
                adam,
            };
            match dynamics::step(game, dynamics, &inp, &mut xj, st, &mut scratch) {
                StepEvent::Ok => {}
                StepEvent::NewtonFailed => newton[j] += 1,
                StepEvent::Singular => {
                    fates[j] = Fate::Singular { step: k };
                    active[j] = false;
                    continue;
                }
            }
            if xj.iter().any(|v| beyond_guard(*v)) {
                fates[j] = Fate::NonFinite { step: k };
                active[j] = false;
                xj.copy_from_slice(&prev);
            } else if xj.iter().any(|v| Real::abs(*v) > p.bound) {
                fates[j] = Fate::Diverged { step: k };
                active[j] = false;
            }
            for i in 0..n {
                xs[i * count + j] = xj[i];
            }
            if adam_on {
                for i in 0..n {
                    ms[i * count + j] = mj[i];
                    vs[i * count + j] = vj[i];
                }
            }
            if active[j] && rec.outside(&xj) {
                lock[j] = k + 2;
            }
        }
        rec.take(k + 1, |j| active[j], |j, x| gather(&xs, j, x), count);
    }
    // best response: the reported follower is r(x1) of the final leader
    if best_response {
        for j in 0..count {
            if fates[j].is_finished() {
                gather(&xs, j, &mut xj);
                if !dynamics::best_response(game, &dynamics.newton, &mut xj, &mut scratch) {
                    newton[j] += 1;
                }
                for i in 0..n {
                    xs[i * count + j] = xj[i];
                }
            }
        }
    }

    let mut final_states = vec![0.0; n * count];
    for j in 0..count {
        for i in 0..n {
            final_states[j * n + i] = xs[i * count + j].re();
        }
    }
    let lock_in = lock
        .iter()
        .zip(&fates)
        .map(|(&l, f)| (f.is_finished() && l <= p.steps).then_some(l))
        .collect();
    let (paths, distance) = rec.finish();
    StudyResult {
        fingerprint: p.fingerprint.clone(),
        first,
        count: count as u64,
        steps: p.steps,
        precision: p.precision.clone(),
        coordinates: p.coordinates.clone(),
        angle: p.angle.clone(),
        final_states,
        fates,
        newton_failures: newton,
        lock_in,
        distance,
        paths,
        basins: p.record.basins.as_ref().map(|e| crate::record::Basins {
            equilibria: e.clone(),
            assignment: Vec::new(),
            counts: Vec::new(),
        }),
        summary: Summary::default(),
        warnings: Vec::new(),
    }
}
