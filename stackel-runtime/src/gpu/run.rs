//! A study on the GPU engine: the plan's constants, its batches, their
//! buffers and the dispatches of their steps.
//!
//! Buffers of a batch (bindings 0..5 of the study layout): `config` (the
//! dispatch header, then per coordinate its player and angle flag),
//! `constants` (params, sigma, bound, eta, Adam's betas and eps, target,
//! lock-in radius, Newton tolerance), `schedule` (per step the players'
//! gains and Adam's bias corrections), `states` (trajectory-major),
//! `adam_moments` (m and v; for the loop-form kernel its per-trajectory work
//! area, [`kernel::loops`]) and `status` ([`ST_WORDS`] per trajectory: fate,
//! step, lock-in step, Newton failures; [`LOOP_WORDS`] for the loop-form
//! kernel, with the follower solves' statistics).

use super::kernel::loops::{LoopSpec, LOOP_WORDS};
use super::kernel::{self, KernelSpec, CFG_HEADER, ST_WORDS, WORKGROUP};
use super::profile::{Phase, Phases};
use super::readback::{scalar_bytes, states_from, BatchEnd};
use super::{precision_of, GpuEngine, GpuError, Precision};
use crate::dynamics::AdamCoefficients;
use crate::dynamics::Rule;
use crate::game::Form;
use crate::game::Game;
use crate::krylov::Method;
use crate::plan::{initial_state, Plan, MAX_STEPS};
use crate::record::{Recorder, StudyResult};
use crate::rng::NoiseFloat;
use crate::schedule::Optimizer;

impl GpuEngine {
    /// Runs a study on the game's own WGSL module ([`Game::wgsl`]).
    pub fn run<G: Game, T: NoiseFloat>(&self, plan: &Plan<'_, G>) -> Result<StudyResult, GpuError> {
        let wgsl = plan.game.wgsl().ok_or(GpuError::NoWgsl {
            game: plan.game.info().name,
        })?;
        self.run_with_wgsl::<G, T>(plan, wgsl)
    }

    /// Runs a study with an explicit game module `wgsl` (which must describe
    /// the same game as `plan.game`; see `emit_wgsl`).
    pub fn run_with_wgsl<G: Game, T: NoiseFloat>(
        &self,
        plan: &Plan<'_, G>,
        wgsl: &str,
    ) -> Result<StudyResult, GpuError> {
        let prec = precision_of::<T>();
        self.precision_ok(prec)?;
        let dynamics = plan.dynamics;
        if dynamics.rule == Rule::Staggered {
            return Err(GpuError::Unsupported(format!(
                "staggered play (Rule::Staggered) for {}: the GPU engine has no kernel for \
                 the staggered hierarchy; run it on Engine::Cpu",
                plan.game.info().name
            )));
        }
        if plan.check_steps().is_err() {
            return Err(GpuError::Unsupported(format!(
                "{} steps (the RNG counter allows {MAX_STEPS})",
                plan.steps
            )));
        }
        let info = plan.game.info();
        if info.form == Form::Tape || plan.game.nd() > 0 {
            return Err(GpuError::Unsupported(format!(
                "the tape-form game {} (data inputs, player parts or kept lets): the GPU engine \
                 has no WGSL for the tape form yet; run it on Engine::Cpu",
                info.name
            )));
        }
        let kind = if info.form == Form::Loops {
            Kind::Loops(loop_spec(plan, prec, self.options.loop_workgroup)?)
        } else {
            if plan.matrix_free().is_some() && dynamics.rule != Rule::Simultaneous {
                return Err(GpuError::Unsupported(format!(
                    "a matrix-free follower solve for the unrolled game {} (its module keeps \
                     the state in private arrays): force FollowerSolver::Dense, or compile the \
                     game with form = \"loops\"",
                    info.name
                )));
            }
            Kind::Unrolled(KernelSpec {
                small: plan.uses_small_kernel(),
                precision: prec,
                rule: dynamics.rule,
                adam: !matches!(dynamics.optimizer, Optimizer::Plain),
                noise: plan.noisy(),
                d1: plan.game.d1(),
                d2: plan.game.d2(),
                np: plan.game.np(),
                players: plan.dims().len(),
            })
        };
        let n = plan.game.n();
        let dims = plan.dims();
        let mut ph = Phases::start();
        let src = match &kind {
            Kind::Unrolled(k) => kernel::study_kernel(k, wgsl),
            Kind::Loops(k) => kernel::loops_kernel(k, wgsl),
        };
        let pipeline = self.pipeline(src, 0)?;
        ph.lap(Phase::Pipeline);

        // Per-coordinate constants in precision T, as the CPU engine prepares them.
        let t = |v: f64| T::of(v).re();
        let sigma: Vec<f64> = plan.coordinate_sigma().into_iter().map(t).collect();
        let mut player_of = Vec::with_capacity(n);
        for (p, &d) in dims.iter().enumerate() {
            player_of.extend(std::iter::repeat_n(p as u32, d));
        }
        let angle = info.angle_mask();
        let mut params = vec![0.0; plan.game.np().max(1)];
        plan.game.params(&mut params[..plan.game.np()]);
        let (b1, b2, aeps) = match dynamics.optimizer {
            Optimizer::Adam { beta1, beta2, eps } => (t(beta1), t(beta2), t(eps)),
            Optimizer::Plain => (0.0, 0.0, 0.0),
        };
        let target = plan.record.target.as_ref();
        let target_t: Vec<T> = match target {
            Some(tg) => {
                if tg.point.len() != n {
                    return Err(GpuError::Dimension {
                        what: "target",
                        expected: n,
                        got: tg.point.len(),
                    });
                }
                tg.point.iter().map(|v| T::of(*v)).collect()
            }
            None => vec![T::zero(); n],
        };
        let eps_t = T::of(target.map_or(0.0, |tg| tg.eps));
        let mut constants: Vec<f64> = params.iter().map(|v| t(*v)).collect();
        constants.extend(&sigma);
        constants.extend([t(plan.divergence_bound), t(dynamics.eta), b1, b2, aeps]);
        constants.extend(target_t.iter().map(|v| v.re()));
        constants.push(eps_t.re());
        constants.push(t(dynamics.newton.tol));
        let constants = self.storage("stackel constants", &scalar_bytes(prec, constants));

        // The largest per-trajectory buffer: the state, Adam's 2n moments,
        // or the loop-form kernel's work area.
        let per_traj = (kind.work(n).max(2 * n) * prec.size()).max(4 * kind.words()) as u64;
        let cap = ((self.max_binding / per_traj) as usize).clamp(1, self.options.max_batch.max(1));
        let (lo, hi) = plan.range;
        let mut parts = Vec::new();
        let mut first = lo;
        while first < hi {
            let count = ((hi - first) as usize).min(cap);
            parts.push(self.run_batch::<G, T>(
                plan,
                &pipeline,
                &constants,
                &mut ph,
                Batch {
                    first,
                    count,
                    n,
                    dims: &dims,
                    player_of: &player_of,
                    angle: &angle,
                    prec,
                    work: kind.work(n),
                    words: kind.words(),
                    per_workgroup: matches!(&kind, Kind::Loops(k) if k.workgroup),
                },
            )?);
            first += count as u64;
        }
        let mut result = StudyResult::merge(parts).map_err(|e| GpuError::Device(e.to_string()))?;
        result.warnings = dynamics.warnings();
        ph.lap(Phase::Merge);
        ph.report(hi - lo, plan.steps);
        Ok(result)
    }

    /// Steps per dispatch for an `n`-coordinate game: at most
    /// [`GpuOptions::steps_per_dispatch`](super::GpuOptions::steps_per_dispatch),
    /// and on a CPU adapter (lavapipe) few enough that the kernel's main
    /// function stays under llvmpipe's loop limit: its per-coordinate loops
    /// (the previous state, the finiteness test, the update, the noise, the
    /// wrap) run about 5n trips a step, so a dispatch takes at most
    /// `LIMIT / 2 / (8 n + 16)` steps (half the limit, 8n for 5n). Without
    /// the cap a study of 162 coordinates went wrong after about 100 steps:
    /// every coordinate loop ran one trip.
    pub(crate) fn steps_per_dispatch(&self, n: usize) -> u64 {
        let seg = self.options.steps_per_dispatch.max(1) as u64;
        if self.info.device_type == wgpu::DeviceType::Cpu {
            let cap = super::LLVMPIPE_LOOP_TRIPS / 2 / (8 * n as u64 + 16);
            seg.min(cap.max(1))
        } else {
            seg
        }
    }

    /// One batch: initial states on the host, buffers, the dispatches (one
    /// per segment of steps, ending at every record time), read-backs at
    /// record times, and the batch's result.
    fn run_batch<G: Game, T: NoiseFloat>(
        &self,
        plan: &Plan<'_, G>,
        pipeline: &wgpu::ComputePipeline,
        constants: &wgpu::Buffer,
        ph: &mut Phases,
        b: Batch<'_>,
    ) -> Result<StudyResult, GpuError> {
        let (n, count, first, prec) = (b.n, b.count, b.first, b.prec);
        let steps = plan.steps;
        let dynamics = plan.dynamics;
        let target = plan.record.target.as_ref();
        let mut rec = Recorder::<T>::new(plan.record, b.angle, first, count, steps);

        // initial states and lock-in flags, exactly as the CPU engine
        let mut states0 = vec![T::zero(); n * count];
        let words = b.words;
        let mut status0 = vec![0u32; words * count];
        {
            use rayon::prelude::*;
            let init = plan.init.resolve(plan.game.info());
            states0
                .par_chunks_mut(n)
                .enumerate()
                .for_each(|(j, x)| initial_state(&init, plan.seed, first + j as u64, b.angle, x));
        }
        if target.is_some() {
            for j in 0..count {
                if rec.outside(&states0[j * n..(j + 1) * n]) {
                    status0[words * j + 2] = 1;
                }
            }
        }
        ph.lap(Phase::HostInit);
        let states = self.storage(
            "stackel states",
            &scalar_bytes(prec, states0.iter().map(|v| v.re())),
        );
        let moments_len = (b.work * count).max(1);
        let adam_moments = self.storage(
            "stackel adam moments",
            &scalar_bytes(prec, vec![0.0; moments_len]),
        );
        let status = self.storage("stackel status", bytemuck::cast_slice(&status0));
        let seg_max = self.steps_per_dispatch(n);
        let row = b.dims.len() + 2;
        let schedule = self.storage(
            "stackel schedule",
            &vec![0u8; seg_max.min(steps.max(1)) as usize * row * prec.size()],
        );
        let mut config_words: Vec<u32> = vec![0; CFG_HEADER];
        config_words.extend(b.player_of);
        config_words.extend(b.angle.iter().map(|&a| a as u32));
        let config = self.storage("stackel config", bytemuck::cast_slice(&config_words));
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.layouts[0],
            entries: &[
                &config,
                constants,
                &schedule,
                &states,
                &adam_moments,
                &status,
            ]
            .iter()
            .enumerate()
            .map(|(i, buf)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: buf.as_entire_binding(),
            })
            .collect::<Vec<_>>(),
        });
        // one workgroup per trajectory, or one invocation
        let (gx, gy) = self.grid(count as u64 * if b.per_workgroup { WORKGROUP as u64 } else { 1 });
        let key = crate::rng::seed_key(plan.seed);
        ph.lap(Phase::Upload);

        // trajectory j of a status array read back (trajectory-major) is running
        let running = |status: &[u32], j: usize| status[words * j] == kernel::FATE_RUNNING;
        let state = |xs: &[T], j: usize, x: &mut [T]| x.copy_from_slice(&xs[j * n..(j + 1) * n]);
        rec.take(
            0,
            |j| running(&status0, j),
            |j, x| state(&states0, j, x),
            count,
        );

        // segment ends: every record time and every seg_max steps
        let record_times = rec.times();
        let mut ends: Vec<u64> = record_times
            .iter()
            .copied()
            .chain((1..=steps.div_ceil(seg_max)).map(|i| (i * seg_max).min(steps)))
            .filter(|&t| t > 0)
            .collect();
        ends.sort_unstable();
        ends.dedup();
        let mut k0 = 0u64;
        let mut last: Option<(Vec<T>, Vec<u32>)> = None;
        for &k1 in &ends {
            let mut table = Vec::with_capacity((k1 - k0) as usize * row);
            for k in k0..k1 {
                for p in 0..b.dims.len() {
                    table.push(T::of(dynamics.schedule_of(p).gamma(k)).re());
                }
                match AdamCoefficients::<T>::at(&dynamics.optimizer, k) {
                    Some(c) => table.extend([c.bias1.re(), c.bias2.re()]),
                    None => table.extend([1.0, 1.0]),
                }
            }
            self.queue
                .write_buffer(&schedule, 0, &scalar_bytes(prec, table));
            let f = first;
            let head = [
                count as u32,
                f as u32,
                (f >> 32) as u32,
                k0 as u32,
                (k1 - k0) as u32,
                key[0],
                key[1],
                target.is_some() as u32,
                dynamics.newton.max_iter,
            ];
            self.queue
                .write_buffer(&config, 0, bytemuck::cast_slice(&head));
            let mut enc = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &bind_group, &[]);
                pass.dispatch_workgroups(gx, gy, 1);
            }
            self.queue.submit([enc.finish()]);
            let wants_record = record_times.binary_search(&k1).is_ok() || k1 == steps;
            if wants_record {
                if ph.on {
                    // profiling only: the GPU's time apart from the copy back
                    let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
                    ph.lap(Phase::Gpu);
                }
                let back = self.read_back(&[&states, &status])?;
                ph.lap(Phase::ReadBack);
                let states_back: Vec<T> = states_from(prec, &back[0], n * count);
                let status_back: Vec<u32> =
                    bytemuck::cast_slice::<u8, u32>(&back[1])[..words * count].to_vec();
                rec.take(
                    k1,
                    |j| running(&status_back, j),
                    |j, x| state(&states_back, j, x),
                    count,
                );
                last = Some((states_back, status_back));
            }
            k0 = k1;
        }
        let (states, status) = last.unwrap_or((states0, status0));
        let result = BatchEnd {
            first,
            states,
            status,
            words,
        }
        .result(plan, rec);
        ph.lap(Phase::HostFinish);
        Ok(result)
    }
}

/// One batch of trajectories and the study's constants in precision T.
struct Batch<'a> {
    first: u64,
    count: usize,
    n: usize,
    dims: &'a [usize],
    player_of: &'a [u32],
    angle: &'a [bool],
    prec: Precision,
    /// Scalars of binding 4 per trajectory (Adam's moments, or the
    /// loop-form kernel's work area).
    work: usize,
    /// Status words per trajectory.
    words: usize,
    /// One trajectory per workgroup.
    per_workgroup: bool,
}

/// Which study kernel runs a plan.
enum Kind {
    /// The unrolled game module, state in private arrays.
    Unrolled(KernelSpec),
    /// The loop-form game module, vectors in the work area.
    Loops(LoopSpec),
}

impl Kind {
    /// Scalars of binding 4 per trajectory.
    fn work(&self, n: usize) -> usize {
        match self {
            Kind::Unrolled(k) if k.adam => 2 * n,
            Kind::Unrolled(_) => 0,
            Kind::Loops(k) => kernel::loops::work_len(k.d1, k.d2),
        }
    }
    /// Status words per trajectory.
    fn words(&self) -> usize {
        match self {
            Kind::Unrolled(_) => ST_WORDS,
            Kind::Loops(_) => LOOP_WORDS,
        }
    }
}

/// The loop-form kernel's shape for `plan`, or what it does not run:
/// rules other than simultaneous gradient play and two-timescale
/// Stackelberg, a dense follower solve, Krylov methods other than
/// conjugate gradients.
fn loop_spec<G: Game>(
    plan: &Plan<'_, G>,
    precision: Precision,
    workgroup: bool,
) -> Result<LoopSpec, GpuError> {
    let dynamics = plan.dynamics;
    let name = plan.game.info().name;
    let krylov = match (dynamics.rule, plan.matrix_free()) {
        (Rule::Simultaneous, mf) => mf.unwrap_or_default(),
        (Rule::TwoTimescale, Some(o)) => {
            let symmetric = plan.game.info().followers.len() <= 1;
            let method = o.method.resolve(symmetric);
            if method != Method::Cg {
                return Err(GpuError::Unsupported(format!(
                    "the {method:?} follower solve of the loop-form game {name} (the GPU's \
                     matrix-free solve is conjugate gradients: FollowerSolver::conjugate_gradient)"
                )));
            }
            o
        }
        (Rule::TwoTimescale, None) => {
            return Err(GpuError::Unsupported(format!(
                "a dense follower solve for the loop-form game {name} (the loop-form kernel \
                 is matrix-free: use FollowerSolver::Auto or conjugate_gradient)"
            )))
        }
        (rule, _) => {
            return Err(GpuError::Unsupported(format!(
                "{rule:?} for the loop-form game {name} (the loop-form kernel runs \
                 Simultaneous and TwoTimescale)"
            )))
        }
    };
    Ok(LoopSpec {
        precision,
        rule: dynamics.rule,
        adam: !matches!(dynamics.optimizer, Optimizer::Plain),
        noise: plan.noisy(),
        d1: plan.game.d1(),
        d2: plan.game.d2(),
        np: plan.game.np(),
        players: plan.dims().len(),
        krylov,
        workgroup,
    })
}
