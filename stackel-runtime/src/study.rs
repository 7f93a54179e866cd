//! The study builder: reproducible batched Monte-Carlo studies of learning
//! dynamics, and the dispatch to an engine.
//!
//! A [`Study`] is a game, a [`Dynamics`], a number of trajectories N and steps
//! K, the noise, the initial states, a seed and what to [`Record`]. Running it
//! steps every trajectory independently; every random number comes from
//! Philox keyed by (seed, trajectory, step, stream) (see [`crate::rng`]), so
//! the result is bit-identical whatever the thread count, chunk size, shard
//! split or interruption.
//!
//! ```
//! use stackel_runtime::{Dynamics, Init, Noise, Record, Schedule, Study};
//!
//! stackel_macros::stackel_game! {
//!     // Users write `stackel::stackel_game!` (runtime path `::stackel`); the
//!     // runtime's own docs name the runtime crate directly.
//!     #[stackel(crate = stackel_runtime)]
//!     /// Cournot duopoly; firm 1 leads.
//!     pub game Duopoly {
//!         param a = 100.0;
//!         param c1 = 5.0;
//!         param c2 = 2.0;
//!         leader q1;
//!         follower q2;
//!         let price = a - q1 - q2;
//!         cost q1 = -(price - c1) * q1;
//!         cost q2 = -(price - c2) * q2;
//!     }
//! }
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
//! # Ok::<(), stackel_runtime::StudyError>(())
//! ```
//!
//! Running a study validates it, resolves it into a [`Plan`] (one per
//! precision) and hands the plan to the engine the study names: the CPU
//! engine ([`crate::cpu`], with checkpointing and a progress bar from
//! [`crate::checkpoint`]) or the GPU engine (`crate::gpu`, feature `gpu`).

use crate::checkpoint;
use crate::cpu::CpuRun;
use crate::data::Sampler;
use crate::dynamics::{self, Dynamics};
use crate::game::Game;
use crate::plan::{Fingerprint, Init, Noise, Plan, StudyError};
use crate::record::{Record, StudyResult};
use crate::rng::{self, NoiseFloat, Simd};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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

/// A Monte-Carlo study of a learning dynamics on a game; see the module docs
/// (an example with a macro game is there).
///
/// ```
/// use stackel_runtime::{Dynamics, Init, Noise, Schedule, Study};
/// use stackel_testkit::games::Duopoly; // the README's duopoly, written with stackel_game!
///
/// let study = Study::new(Duopoly::default(), Dynamics::simultaneous(Schedule::constant(0.2)))
///     .trajectories(50)
///     .steps(500)
///     .noise(Noise::none())
///     .init(Init::Point(vec![10.0, 10.0]))
///     .seed(1);
/// let r = study.run::<f64>()?;
/// // Without noise every trajectory ends at the Nash point (92/3, 101/3).
/// assert!((r.summary.mean[0] - 92.0 / 3.0).abs() < 1e-9);
/// assert!((r.summary.mean[1] - 101.0 / 3.0).abs() < 1e-9);
/// # Ok::<(), stackel_runtime::StudyError>(())
/// ```
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
    /// Set by [`Study::chunk_size`]; else [`Study::default_chunk`].
    chunk: Option<usize>,
    divergence_bound: f64,
    checkpoint: Option<(PathBuf, u64)>,
    progress: Option<bool>,
    small_kernel: bool,
    simd: Simd,
    data: Vec<(String, Sampler)>,
    trace_nonfinite: bool,
}

impl<G: Game> Study<G> {
    /// A study of `dynamics` on `game`: by default 1 trajectory, 1000 steps,
    /// no noise, all starting at the origin, seed 0, final states only.
    pub fn new(game: G, dynamics: Dynamics) -> Self {
        let n = game.n();
        Study {
            game,
            dynamics,
            trajectories: 1,
            steps: 1000,
            noise: Noise::none(),
            init: Init::Point(vec![0.0; n]),
            seed: 0,
            record: Record::finals(),
            engine: Engine::Cpu,
            shard: (0, 1),
            chunk: None,
            divergence_bound: 1e8,
            checkpoint: None,
            progress: None,
            small_kernel: true,
            simd: Simd::Avx512,
            data: Vec::new(),
            trace_nonfinite: false,
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
    /// The gradient noise (default none).
    pub fn noise(mut self, noise: Noise) -> Self {
        self.noise = noise;
        self
    }
    /// The initial states (default: all at the origin).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    /// The seed every random number is keyed by (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// What to record (default: final states only).
    pub fn record(mut self, record: Record) -> Self {
        self.record = record;
        self
    }
    /// The engine that runs the study (default CPU).
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
    /// Trajectories per chunk of work (default: [`Study::default_chunk`];
    /// results do not depend on it).
    pub fn chunk_size(mut self, c: usize) -> Self {
        self.chunk = Some(c);
        self
    }

    /// The chunk size unless set: 2048 trajectories; 1 for games with data
    /// inputs or more than 256 state entries (they step one trajectory at a
    /// time anyway, and one a chunk spreads few trajectories over all
    /// cores); and for games that prefer batches, 2 KiB of each state
    /// coordinate (256 trajectories in f64, 512 in f32), so that the
    /// batch's field inputs, written by the game and read back by the step,
    /// stay in the core's first-level cache.
    pub fn default_chunk<T: NoiseFloat>(&self) -> usize {
        if self.game.nd() > 0 || self.game.n() > 256 {
            1
        } else if self.game.prefers_batches() {
            2048 / std::mem::size_of::<T>()
        } else {
            2048
        }
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
    /// Draws data input `name` (a `data` declaration of the game) from
    /// `sampler` before every step; every data input must be bound once.
    pub fn data(mut self, name: impl Into<String>, sampler: Sampler) -> Self {
        self.data.push((name.into(), sampler));
        self
    }
    /// Trace every trajectory that becomes non-finite to the DSL source
    /// (default off): after the run, the blocks the dynamics evaluate are
    /// re-evaluated at its last finite state (with the data sample of the
    /// failing step) in the study's precision, and
    /// [`StudyResult::nonfinite`] reports the first non-finite entry and
    /// the subexpression where it was born ([`crate::nonfinite`]). Works
    /// with either engine (the trace runs on the CPU from the kept state);
    /// does not change the fingerprint.
    pub fn trace_nonfinite(mut self, on: bool) -> Self {
        self.trace_nonfinite = on;
        self
    }
    /// The game.
    pub fn game(&self) -> &G {
        &self.game
    }
    /// The dynamics.
    pub fn dynamics(&self) -> &Dynamics {
        &self.dynamics
    }
    /// The plan of this study (its shard) in precision `T`, what engines
    /// take: its settings and its fingerprint ([`Study::fingerprint_for`]).
    pub fn plan<T: NoiseFloat>(&self) -> Plan<'_, G> {
        self.plan_with(self.fingerprint_for::<T>())
    }

    fn plan_with(&self, fingerprint: String) -> Plan<'_, G> {
        Plan {
            game: &self.game,
            dynamics: &self.dynamics,
            range: self.range(),
            steps: self.steps,
            noise: &self.noise,
            init: &self.init,
            seed: self.seed,
            record: &self.record,
            divergence_bound: self.divergence_bound,
            small_kernel: self.small_kernel,
            data: &self.data,
            fingerprint,
        }
    }

    /// The noise standard deviation sigma_i of every state coordinate
    /// ([`Plan::coordinate_sigma`]).
    pub fn coordinate_sigma(&self) -> Vec<f64> {
        self.plan_with(String::new()).coordinate_sigma()
    }

    /// The fingerprint that results of this study in precision `T` carry
    /// (any engine must use it so that parts merge): FNV-1a of the game,
    /// its params, the dynamics, N, K, noise, init, seed, record, divergence
    /// bound, precision and the RNG's stream version.
    pub fn fingerprint_for<T: NoiseFloat>(&self) -> String {
        let mut params = vec![0.0; self.game.np()];
        self.game.params(&mut params);
        Fingerprint {
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
            precision: std::any::type_name::<T>(),
            data: &self.data,
        }
        .hash()
    }

    /// The trajectory range lo..hi of this study's shard:
    /// (index N / count, (index + 1) N / count).
    pub fn range(&self) -> (u64, u64) {
        let (i, c) = self.shard;
        let n = self.trajectories as u128;
        (
            (i as u128 * n / c as u128) as u64,
            ((i as u128 + 1) * n / c as u128) as u64,
        )
    }

    /// Warnings about the dynamics (e.g. gamma1 not o(gamma2), or levels of
    /// a staggered hierarchy on one timescale).
    pub fn warnings(&self) -> Vec<dynamics::Warning> {
        self.dynamics.warnings_for(&self.game)
    }

    /// Checks the configuration against the game: the study's own settings
    /// (trajectories, shard, chunk, checkpoint), then its plan ([`Plan::validate`]).
    pub fn validate(&self) -> Result<(), StudyError> {
        self.validate_own()?;
        self.plan_with(String::new()).validate()
    }

    /// The settings that do not reach the plan.
    fn validate_own(&self) -> Result<(), StudyError> {
        if self.trajectories == 0 {
            return Err(StudyError::ZeroTrajectories);
        }
        let (si, sc) = self.shard;
        if sc == 0 || si >= sc {
            return Err(StudyError::BadShard {
                index: si,
                count: sc,
            });
        }
        if self.chunk == Some(0) {
            return Err(StudyError::Zero { what: "chunk size" });
        }
        if let Some((_, b)) = &self.checkpoint {
            if *b == 0 {
                return Err(StudyError::Zero {
                    what: "checkpoint block",
                });
            }
        }
        Ok(())
    }

    /// Runs the study (or its shard) in precision `T` (f64 or f32; f32 is
    /// faster but late small steps can stall below half an ulp of the state).
    pub fn run<T: NoiseFloat>(&self) -> Result<StudyResult, StudyError> {
        self.validate_own()?;
        let plan = self.plan::<T>();
        plan.validate()?;
        let mut result = match self.engine {
            Engine::Cpu => self.run_cpu::<T>(&plan)?,
            #[cfg(feature = "gpu")]
            Engine::Gpu => crate::gpu::shared()?.run::<G, T>(&plan)?,
        };
        result.warnings = self.warnings();
        if self.trace_nonfinite {
            result.nonfinite = crate::nonfinite::trace_study::<G, T>(&plan, &result);
        }
        Ok(result)
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

    /// The CPU engine, with checkpoints and the progress bar.
    fn run_cpu<T: NoiseFloat>(&self, plan: &Plan<'_, G>) -> Result<StudyResult, StudyError> {
        let chunk = self.chunk.unwrap_or_else(|| self.default_chunk::<T>());
        let run = CpuRun::<G, T>::new(plan, chunk, self.simd);
        let (lo, hi) = plan.range;
        let bar = checkpoint::progress_bar(self.progress, hi - lo, self.steps);
        let result = match &self.checkpoint {
            None => run.run_range(lo, hi, bar.as_ref())?,
            Some((dir, block)) => checkpoint::run_checkpointed(&run, dir, *block, bar.as_ref())?,
        };
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        Ok(result)
    }
}

#[cfg(feature = "gpu")]
impl crate::gpu::GpuEngine {
    /// Runs a [`Study`] (validated first; checkpointing and the chunk size
    /// do not apply) on this GPU with the game's own WGSL module: the same
    /// result as `study.run::<T>()` up to rounding, with the same
    /// fingerprint, so shards of both engines merge.
    pub fn run_study<G: Game, T: NoiseFloat>(
        &self,
        study: &Study<G>,
    ) -> Result<StudyResult, crate::gpu::GpuError> {
        study
            .validate()
            .map_err(|e| crate::gpu::GpuError::Study(e.to_string()))?;
        self.run::<G, T>(&study.plan::<T>())
    }

    /// [`GpuEngine::run_study`](crate::gpu::GpuEngine::run_study) with an
    /// explicit game module `wgsl`.
    pub fn run_study_with_wgsl<G: Game, T: NoiseFloat>(
        &self,
        study: &Study<G>,
        wgsl: &str,
    ) -> Result<StudyResult, crate::gpu::GpuError> {
        study
            .validate()
            .map_err(|e| crate::gpu::GpuError::Study(e.to_string()))?;
        self.run_with_wgsl::<G, T>(&study.plan::<T>(), wgsl)
    }
}
