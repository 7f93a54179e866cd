//! What comes back from the GPU: scalars of the kernel's precision as
//! host values, and a batch's final states and status words as its
//! [`StudyResult`] (fates, Newton failures, lock-in steps, the best
//! response's final follower).

use super::kernel;
use super::Precision;
use crate::dynamics::{self, Rule, SolveStats, StepScratch};
use crate::game::Game;
use crate::plan::Plan;
use crate::record::{Fate, Recorder, StudyResult};
use crate::rng::NoiseFloat;

/// Scalars of precision `p` as bytes (values already rounded to `p`).
pub(super) fn scalar_bytes(p: Precision, v: impl IntoIterator<Item = f64>) -> Vec<u8> {
    match p {
        Precision::F32 => {
            let v: Vec<f32> = v.into_iter().map(|x| x as f32).collect();
            bytemuck::cast_slice(&v).to_vec()
        }
        Precision::F64 => {
            let v: Vec<f64> = v.into_iter().collect();
            bytemuck::cast_slice(&v).to_vec()
        }
    }
}

/// The first `len` scalars of precision `p` in `b`, as `T` (one pass).
pub(super) fn states_from<T: NoiseFloat>(p: Precision, b: &[u8], len: usize) -> Vec<T> {
    match p {
        Precision::F32 => b
            .chunks_exact(4)
            .take(len)
            .map(|c| T::of(f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64))
            .collect(),
        Precision::F64 => b
            .chunks_exact(8)
            .take(len)
            .map(|c| {
                T::of(f64::from_le_bytes([
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                ]))
            })
            .collect(),
    }
}

/// Bytes of precision `p` back to f64 values.
pub(super) fn scalars_from(p: Precision, b: &[u8]) -> Vec<f64> {
    match p {
        Precision::F32 => b
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
            .collect(),
        Precision::F64 => b
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
    }
}

/// A batch's last read-back: trajectories first.. with their states
/// (trajectory-major) and their [`kernel::ST_WORDS`] status words each (fate, step,
/// lock-in step, Newton failures).
pub(super) struct BatchEnd<T> {
    pub(super) first: u64,
    pub(super) states: Vec<T>,
    pub(super) status: Vec<u32>,
    /// Status words per trajectory ([`kernel::ST_WORDS`], or the loop-form
    /// kernel's [`kernel::loops::LOOP_WORDS`] with the follower solves'
    /// statistics).
    pub(super) words: usize,
}

impl<T: NoiseFloat> BatchEnd<T> {
    /// The batch's result, as the CPU engine reports it: for best response,
    /// the per-step Newton failures from the kernel and, for a finished
    /// trajectory, the follower r(x1) of its final leader (solved here by
    /// the CPU's own code, one more failure if that solve fails).
    pub(super) fn result<G: Game>(self, plan: &Plan<'_, G>, rec: Recorder<T>) -> StudyResult {
        let BatchEnd {
            first,
            mut states,
            status,
            words,
        } = self;
        let n = plan.game.n();
        let count = status.len() / words;
        let dynamics = plan.dynamics;
        let mut newton_failures = Vec::new();
        if dynamics.rule == Rule::BestResponse {
            let mut scratch = StepScratch::<T>::new(plan.game);
            for j in 0..count {
                let mut failures = status[words * j + 3];
                if status[words * j] == kernel::FATE_RUNNING {
                    let x = &mut states[j * n..(j + 1) * n];
                    if !dynamics::best_response(plan.game, &dynamics.newton, x, &mut scratch) {
                        failures += 1;
                    }
                }
                newton_failures.push(failures);
            }
        }
        let fates: Vec<Fate> = (0..count)
            .map(|j| {
                let step = status[words * j + 1] as u64;
                match status[words * j] {
                    kernel::FATE_DIVERGED => Fate::Diverged { step },
                    kernel::FATE_NON_FINITE => Fate::NonFinite { step },
                    kernel::FATE_SINGULAR => Fate::Singular { step },
                    kernel::FATE_NOT_CONVERGED => Fate::NotConverged { step },
                    _ => Fate::Finished,
                }
            })
            .collect();
        // empty without a target, as the CPU engine leaves it
        let lock: Vec<u64> = match plan.record.target {
            Some(_) => (0..count).map(|j| status[words * j + 2] as u64).collect(),
            None => Vec::new(),
        };
        let final_states = states.iter().map(|v| v.re()).collect();
        // the loop-form kernel's follower solves, summed as the CPU engine
        // does (present whenever the study's solve is matrix-free)
        let solves =
            (words == kernel::loops::LOOP_WORDS && plan.matrix_free().is_some()).then(|| {
                let mut s = SolveStats::default();
                for j in 0..count {
                    let w = &status[words * j..words * (j + 1)];
                    s.solves += w[4] as u64;
                    s.iterations += w[5] as u64;
                    s.max_iterations = s.max_iterations.max(w[6]);
                    s.not_converged += w[7] as u64;
                    let r = f32::from_bits(w[3]) as f64;
                    if r > s.max_residual || r.is_nan() {
                        s.max_residual = r;
                    }
                }
                s
            });
        plan.result::<T>(
            first,
            final_states,
            fates,
            newton_failures,
            &lock,
            rec.finish(),
            solves,
        )
    }
}
