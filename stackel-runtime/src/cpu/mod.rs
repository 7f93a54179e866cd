//! The CPU engine: how it runs a [`Plan`].
//!
//! Trajectories are cut into chunks (`Study::default_chunk`) that rayon spreads over
//! the cores; a chunk keeps its states in structure-of-arrays form and, per
//! step, makes one Philox pass and one Box-Muller pass over the whole chunk
//! (vectorised, AVX-512 or AVX2 chosen at run time: [`rng::simd_tier`]), then
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
//! With a matrix-free follower solve ([`crate::dynamics::FollowerSolver`]) the
//! small kernel is skipped, the step's scratch holds vectors only, and with
//! warm start a chunk keeps each trajectory's last multiplier lambda (d2
//! entries per trajectory), so results still do not depend on chunking. The
//! solves' iteration counts and residuals go into
//! [`StudyResult::follower_solves`]; a solve that misses its tolerance stops
//! its trajectory as [`Fate::NotConverged`].
//!
//! Its hot loops are here (the chunk runner's per-trajectory step), in the
//! noise pass [`rng::fill_normals_in`] and in the submodule `small` (the
//! small-state kernel); failures follow [`crate::plan`]'s contract.

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

mod batched;
mod small;

use crate::dynamics::{self, AdamCoefficients, AdamState, StepEvent, StepInputs, StepScratch};
use crate::game::Game;
use crate::plan::{beyond_guard, initial_state, Plan, StudyError};
use crate::real::Real;
use crate::record::{Fate, Recorder, StudyResult};
use crate::rng::{self, fill_normals_in, simd_tier, NoiseFloat, NoiseWords, Simd};
use crate::schedule::Optimizer;
use rayon::prelude::*;
use small::{small_failure, small_steps};

/// A plan's constants in the engine's precision `T`.
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
    /// The small-state kernel runs ([`Plan::uses_small_kernel`]).
    small: bool,
    /// Some sigma_i > 0 (else the noise pass is skipped: z stays 0).
    noisy: bool,
    simd: Simd,
}

impl<T: NoiseFloat> Prepared<T> {
    fn new<G: Game>(plan: &Plan<'_, G>, simd: Simd) -> Self {
        Prepared {
            n: plan.game.n(),
            dims: plan.dims(),
            sigma: plan.coordinate_sigma().into_iter().map(T::of).collect(),
            angle: plan.game.info().angle_mask(),
            bound: T::of(plan.divergence_bound),
            key: rng::seed_key(plan.seed),
            seed: plan.seed,
            steps: plan.steps,
            eta: T::of(plan.dynamics.eta),
            small: plan.uses_small_kernel(),
            noisy: plan.noisy(),
            simd: simd.min(simd_tier()),
        }
    }
}

/// A plan on the CPU engine in precision `T`, cut into chunks of `chunk`
/// trajectories (results do not depend on the chunk size).
pub(crate) struct CpuRun<'p, 'a, G, T> {
    plan: &'p Plan<'a, G>,
    prep: Prepared<T>,
    chunk: usize,
}

impl<'p, 'a, G: Game, T: NoiseFloat> CpuRun<'p, 'a, G, T> {
    /// The plan in precision `T`, with chunks of `chunk` trajectories and
    /// vector tier at most `simd`.
    pub(crate) fn new(plan: &'p Plan<'a, G>, chunk: usize, simd: Simd) -> Self {
        CpuRun {
            plan,
            prep: Prepared::new(plan, simd),
            chunk,
        }
    }

    /// The plan this run executes.
    pub(crate) fn plan(&self) -> &Plan<'a, G> {
        self.plan
    }

    /// Trajectories lo..hi, chunks spread over the rayon pool, merged.
    pub(crate) fn run_range(
        &self,
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
                let r = run_chunk(self.plan, &self.prep, s, cnt);
                if let Some(b) = bar {
                    b.inc(cnt as u64 * self.plan.steps.max(1));
                }
                r
            })
            .collect();
        Ok(StudyResult::merge(parts)?)
    }
}

/// Runs trajectories first..first + count for all steps.
fn run_chunk<G: Game, T: NoiseFloat>(
    plan: &Plan<'_, G>,
    p: &Prepared<T>,
    first: u64,
    count: usize,
) -> StudyResult {
    let (game, dynamics) = (plan.game, plan.dynamics);
    let init = &plan.init.resolve(game.info());
    let n = p.n;
    let best_response = dynamics.rule == dynamics::Rule::BestResponse;
    let adam_on = !matches!(dynamics.optimizer, Optimizer::Plain);

    let mut xs = vec![T::zero(); n * count];
    // x of a Game call: the state (first n entries) then the data (ND)
    let nd = game.nd();
    let mut xj = vec![T::zero(); n + nd];
    let mut data_buf = Vec::new();
    let mut prev = vec![T::zero(); n];
    let mut zj = vec![T::zero(); n];
    for j in 0..count {
        initial_state(init, p.seed, first + j as u64, &p.angle, &mut xj[..n]);
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
    let mut scratch = StepScratch::<T>::for_dynamics(game, dynamics);
    // matrix-free with warm start: each trajectory's last lambda (len d2)
    let d2 = game.d2();
    let warm = scratch.warm_starts();
    let mut lambdas = vec![T::zero(); if warm { d2 * count } else { 0 }];
    let mut gains = vec![T::zero(); n];
    let mut noise_words = NoiseWords::new(count);
    let mut z = vec![T::zero(); 2 * rng::pairs_per_state(n) * count];

    let mut rec = Recorder::<T>::new(plan.record, &p.angle, first, count, p.steps);
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
            gather(&xs, j, &mut xj[..n]);
            if rec.outside(&xj[..n]) {
                lock[j] = 1;
            }
        }
    }

    let small = p.small;
    let mut bad = vec![false; if small { count } else { 0 }];
    let mut batch = None;
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
                &mut batch,
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
            if nd > 0 {
                plan.fill_data(first + j as u64, k, &mut data_buf, &mut xj[n..]);
            }
            prev.copy_from_slice(&xj[..n]);
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
            if warm {
                scratch
                    .lambda_mut()
                    .copy_from_slice(&lambdas[j * d2..(j + 1) * d2]);
            }
            let event = dynamics::step(game, dynamics, &inp, &mut xj, st, &mut scratch);
            if warm {
                lambdas[j * d2..(j + 1) * d2].copy_from_slice(scratch.lambda_mut());
            }
            match event {
                StepEvent::Ok => {}
                StepEvent::NewtonFailed => newton[j] += 1,
                StepEvent::Singular => {
                    fates[j] = Fate::Singular { step: k };
                    active[j] = false;
                    continue;
                }
                StepEvent::NotConverged => {
                    fates[j] = Fate::NotConverged { step: k };
                    active[j] = false;
                    continue;
                }
            }
            if xj[..n].iter().any(|v| beyond_guard(*v)) {
                fates[j] = Fate::NonFinite { step: k };
                active[j] = false;
                xj[..n].copy_from_slice(&prev);
            } else if xj[..n].iter().any(|v| Real::abs(*v) > p.bound) {
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
            if active[j] && rec.outside(&xj[..n]) {
                lock[j] = k + 2;
            }
        }
        rec.take(k + 1, |j| active[j], |j, x| gather(&xs, j, x), count);
    }
    // best response: the reported follower is r(x1) of the final leader
    if best_response {
        for j in 0..count {
            if fates[j].is_finished() {
                gather(&xs, j, &mut xj[..n]);
                if nd > 0 {
                    // the response to the batch of step K (as if one more step)
                    plan.fill_data(first + j as u64, p.steps, &mut data_buf, &mut xj[n..]);
                }
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
    let solves = scratch.matrix_free().then(|| *scratch.solve_stats());
    plan.result::<T>(
        first,
        final_states,
        fates,
        newton,
        &lock,
        rec.finish(),
        solves,
    )
}
