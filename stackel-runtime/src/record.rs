//! What a study records and returns: final states, each trajectory's fate,
//! thinned paths, the distance to a target over time (aggregated exactly, so
//! that results do not depend on how trajectories were split), lock-in
//! steps, basins; and their CSV/JSON forms. `recorder` takes the records
//! while a study runs; this file holds what it returns.

// Index loops over coupled arrays read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

use crate::dynamics::{SolveStats, Warning};
pub use crate::metric::l2_state_distance;
use crate::metric::wrap_angle;
use serde::{Deserialize, Serialize};
use std::io::Write;

mod recorder;
pub(crate) use recorder::Recorder;

/// What to record besides the final states (which are always kept).
///
/// ```
/// use stackel_runtime::{Dynamics, Noise, Record, Schedule, Study};
/// use stackel_testkit::games::Duopoly; // the README's duopoly, written with stackel_game!
///
/// let record = Record::finals()
///     .paths(100, Some(2)) // the states of trajectories 0 and 1 every 100 steps
///     .target(vec![46.0, 26.0], 1.0, 100); // distance to the Stackelberg point
/// let r = Study::new(Duopoly::default(), Dynamics::simultaneous(Schedule::constant(0.1)))
///     .trajectories(8)
///     .steps(1000)
///     .noise(Noise::none())
///     .record(record)
///     .run::<f64>()?;
/// assert_eq!(r.paths.len(), 2);
/// assert_eq!(r.paths[0].steps.first(), Some(&0));
/// assert!(r.distance.is_some());
/// # Ok::<(), stackel_runtime::StudyError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Record states after every `every`-th step (and after the last step).
    pub paths: Option<PathSpec>,
    /// Distance to a target point over time and the lock-in step.
    pub target: Option<TargetSpec>,
    /// Classify final states by the nearest of these equilibria.
    pub basins: Option<Vec<Vec<f64>>>,
}

/// Thinned paths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathSpec {
    /// Record after every `every`-th step (and after the last).
    pub every: u64,
    /// Only trajectories with index < `first` (all when None).
    pub first: Option<u64>,
}

/// Distance to a target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetSpec {
    /// The target point x* (len d1 + d2).
    pub point: Vec<f64>,
    /// Lock-in radius.
    pub eps: f64,
    /// Aggregate the distance after every `every`-th step (and after the last).
    pub every: u64,
}

impl Record {
    /// Final states only.
    pub fn finals() -> Self {
        Record::default()
    }
    /// Also record paths every `every` steps, for the first `first` trajectories (all if None).
    pub fn paths(mut self, every: u64, first: Option<u64>) -> Self {
        self.paths = Some(PathSpec { every, first });
        self
    }
    /// Also track the distance to `point` (aggregated every `every` steps) and
    /// the step after which each trajectory stays within `eps` of it.
    pub fn target(mut self, point: Vec<f64>, eps: f64, every: u64) -> Self {
        self.target = Some(TargetSpec { point, eps, every });
        self
    }
    /// Also assign each final state to the nearest of `equilibria`.
    pub fn basins(mut self, equilibria: Vec<Vec<f64>>) -> Self {
        self.basins = Some(equilibria);
        self
    }
}

/// The times (number of steps done) at which a thinned record is taken:
/// 0, every, 2 every, ... and `steps`.
pub fn record_times(every: u64, steps: u64) -> Vec<u64> {
    let mut t: Vec<u64> = (0..=steps).step_by(every.max(1) as usize).collect();
    if t.last() != Some(&steps) {
        t.push(steps);
    }
    t
}

/// How a trajectory ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fate {
    /// Ran all steps.
    Finished,
    /// |x_i| exceeded the divergence bound after step `step` (state kept).
    Diverged {
        /// The step after which it happened.
        step: u64,
    },
    /// Step `step` produced NaN or a value beyond the overflow guard
    /// ([`crate::engine::overflow_guard`], MAX / 2^20; the state before it is kept).
    NonFinite {
        /// The step that produced it.
        step: u64,
    },
    /// The follower Hessian (+ eta I) was singular at step `step`.
    Singular {
        /// The step at which it happened.
        step: u64,
    },
    /// The matrix-free follower solve missed its tolerance after its
    /// iteration cap at step `step` ([`crate::dynamics::FollowerSolver`];
    /// the state before the step is kept).
    NotConverged {
        /// The step at which it happened.
        step: u64,
    },
}

impl Fate {
    /// Whether the trajectory ran all steps.
    pub fn is_finished(&self) -> bool {
        matches!(self, Fate::Finished)
    }
}

/// One recorded path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Path {
    /// Index of the trajectory in the study.
    pub trajectory: u64,
    /// Number of steps done at each record.
    pub steps: Vec<u64>,
    /// States, row-major (steps.len() x dim).
    pub states: Vec<f64>,
}

/// Fixed-point scale of the exact distance sums: values are clamped to
/// 2^60 and stored as floor(v 2^32) in u128, so sums are associative.
pub const FIXED_SCALE: f64 = 4_294_967_296.0;
const FIXED_CLAMP: f64 = 1_152_921_504_606_846_976.0;

/// floor(min(v, 2^60) 2^32).
#[inline]
pub fn to_fixed(v: f64) -> u128 {
    (v.min(FIXED_CLAMP) * FIXED_SCALE) as u128
}

mod u128_str {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[u128], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| x.to_string()))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u128>, D::Error> {
        let v: Vec<String> = Vec::deserialize(d)?;
        v.iter()
            .map(|s| s.parse().map_err(serde::de::Error::custom))
            .collect()
    }
}

/// Distance to the target over time, over the trajectories still running.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistanceSeries {
    /// The target point x*.
    pub target: Vec<f64>,
    /// The lock-in radius.
    pub eps: f64,
    /// Number of steps done at each record.
    pub steps: Vec<u64>,
    /// Trajectories still running at each record.
    pub active: Vec<u64>,
    /// Of those, how many were within eps.
    pub within: Vec<u64>,
    /// Largest distance.
    pub max: Vec<f64>,
    /// Exact fixed-point sums of the distance d ([`to_fixed`]).
    #[serde(with = "u128_str")]
    pub sum: Vec<u128>,
    /// Exact fixed-point sums of d^2 ([`to_fixed`]).
    #[serde(with = "u128_str")]
    pub sum_sq: Vec<u128>,
}

impl DistanceSeries {
    pub(crate) fn empty(target: &TargetSpec, steps: u64) -> Self {
        let t = record_times(target.every, steps);
        let m = t.len();
        DistanceSeries {
            target: target.point.clone(),
            eps: target.eps,
            steps: t,
            active: vec![0; m],
            within: vec![0; m],
            max: vec![0.0; m],
            sum: vec![0; m],
            sum_sq: vec![0; m],
        }
    }
    /// Adds another part's counts (exact, order-independent).
    pub(crate) fn absorb(&mut self, o: &DistanceSeries) {
        for i in 0..self.steps.len() {
            self.active[i] += o.active[i];
            self.within[i] += o.within[i];
            self.max[i] = self.max[i].max(o.max[i]);
            self.sum[i] += o.sum[i];
            self.sum_sq[i] += o.sum_sq[i];
        }
    }
    /// Mean distance at each record (NaN when no trajectory is running).
    pub fn mean(&self) -> Vec<f64> {
        (0..self.steps.len())
            .map(|i| self.sum[i] as f64 / FIXED_SCALE / self.active[i] as f64)
            .collect()
    }
    /// Root-mean-square distance at each record.
    pub fn rms(&self) -> Vec<f64> {
        (0..self.steps.len())
            .map(|i| (self.sum_sq[i] as f64 / FIXED_SCALE / self.active[i] as f64).sqrt())
            .collect()
    }
    /// Fraction of running trajectories within eps at each record.
    pub fn fraction_within(&self) -> Vec<f64> {
        (0..self.steps.len())
            .map(|i| self.within[i] as f64 / self.active[i] as f64)
            .collect()
    }
}

/// Final states by nearest equilibrium (angle-aware distance).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Basins {
    /// The equilibria whose basins are counted.
    pub equilibria: Vec<Vec<f64>>,
    /// Per trajectory: index of the nearest equilibrium (None if it did not finish).
    pub assignment: Vec<Option<usize>>,
    /// Finished trajectories per equilibrium.
    pub counts: Vec<u64>,
}

/// Above this state dimension the summary keeps no covariance matrix
/// (dim^2 entries: 8 MiB at dim = 1024).
pub const SUMMARY_COVARIANCE_LIMIT: usize = 1024;

/// Counts and moments over the trajectories that finished.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Trajectories run.
    pub trajectories: u64,
    /// Of those, how many ran all steps ([`Fate::Finished`]).
    pub finished: u64,
    /// How many diverged ([`Fate::Diverged`]).
    pub diverged: u64,
    /// How many became non-finite ([`Fate::NonFinite`]).
    pub non_finite: u64,
    /// How many met a singular follower Hessian ([`Fate::Singular`]).
    pub singular: u64,
    /// How many stopped on a matrix-free follower solve that did not
    /// converge ([`Fate::NotConverged`]).
    #[serde(default)]
    pub not_converged: u64,
    /// Best-response Newton failures over all trajectories and steps.
    pub newton_failures: u64,
    /// Mean of the finished final states (empty if none finished); for angle
    /// coordinates the circular mean atan2(sum sin x, sum cos x).
    pub mean: Vec<f64>,
    /// Their sample covariance, row-major dim x dim (n - 1 denominator;
    /// empty above [`SUMMARY_COVARIANCE_LIMIT`] coordinates, where it would
    /// be the one O(dim^2) object of a matrix-free study;
    /// deviations of angle coordinates wrapped to [-pi, pi); empty if fewer
    /// than two finished).
    pub covariance: Vec<f64>,
}

/// Everything a study (or one shard of it) produced.
///
/// Shards of one study merge into exactly the result of the whole study:
///
/// ```
/// use stackel_runtime::{Dynamics, Noise, Schedule, Study, StudyResult};
/// use stackel_testkit::games::Duopoly; // the README's duopoly, written with stackel_game!
///
/// let study = Study::new(Duopoly::default(), Dynamics::simultaneous(Schedule::constant(0.1)))
///     .trajectories(100)
///     .steps(200)
///     .noise(Noise::variance(1.0))
///     .seed(3);
/// let whole = study.run::<f64>()?;
/// let shards = (0..3)
///     .map(|i| study.clone().shard(i, 3).run::<f64>())
///     .collect::<Result<Vec<_>, _>>()?;
/// let merged = StudyResult::merge(shards).unwrap();
/// assert_eq!(merged.final_states, whole.final_states);
/// assert_eq!(merged.summary, whole.summary);
/// # Ok::<(), stackel_runtime::StudyError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyResult {
    /// Fingerprint of the study configuration (shards of one study share it).
    pub fingerprint: String,
    /// Trajectories first..first + count.
    pub first: u64,
    /// Number of trajectories in this result.
    pub count: u64,
    /// Steps per trajectory.
    pub steps: u64,
    /// "f32" or "f64".
    pub precision: String,
    /// Names of the state coordinates.
    pub coordinates: Vec<String>,
    /// Per-coordinate: is it an angle?
    pub angle: Vec<bool>,
    /// Final states, row-major (count x dim), in f64 whatever the precision.
    pub final_states: Vec<f64>,
    /// How each trajectory ended.
    pub fates: Vec<Fate>,
    /// Best-response Newton failures per trajectory (empty for other rules).
    pub newton_failures: Vec<u32>,
    /// Per trajectory: the first step count after which it stays within eps of
    /// the target (empty without a target).
    pub lock_in: Vec<Option<u64>>,
    /// The distance to the target over time (with a target).
    pub distance: Option<DistanceSeries>,
    /// The thinned paths (with [`Record::paths`]).
    pub paths: Vec<Path>,
    /// The basins of the given equilibria (with [`Record::basins`]).
    pub basins: Option<Basins>,
    /// Counts and moments.
    pub summary: Summary,
    /// Warnings about the dynamics ([`crate::Dynamics::warnings`]).
    pub warnings: Vec<Warning>,
    /// Iterations and residuals of the matrix-free follower solves (None
    /// on the dense path): mean/max iterations, max residual, misses.
    #[serde(default)]
    pub follower_solves: Option<SolveStats>,
    /// With [`crate::Study::trace_nonfinite`]: for every trajectory that
    /// became non-finite ([`Fate::NonFinite`]), in trajectory order, where
    /// the NaN or infinity was born ([`crate::nonfinite`]). Empty otherwise.
    #[serde(default)]
    pub nonfinite: Vec<TrajectoryTrace>,
}

/// A non-finite trajectory's trace ([`StudyResult::nonfinite`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryTrace {
    /// The trajectory's number.
    pub trajectory: u64,
    /// The step that produced the non-finite state.
    pub step: u64,
    /// The first non-finite block entry at the last finite state (the
    /// trajectory's final state) and the subexpression behind it; `None`
    /// when every block entry the dynamics evaluate is finite there (the
    /// step overflowed, or the linear algebra produced it).
    pub trace: Option<crate::nonfinite::NonFiniteTrace>,
}

impl StudyResult {
    /// State dimension.
    pub fn dim(&self) -> usize {
        self.coordinates.len()
    }
    /// Final state of trajectory `first + i`.
    pub fn final_state(&self, i: usize) -> &[f64] {
        let d = self.dim();
        &self.final_states[i * d..(i + 1) * d]
    }

    /// Recomputes the summary and basins from the per-trajectory data, in
    /// trajectory order (so equal data give bit-identical results).
    pub(crate) fn finalize(&mut self, equilibria: Option<&Vec<Vec<f64>>>) {
        let d = self.dim();
        let mut s = Summary {
            trajectories: self.count,
            finished: 0,
            diverged: 0,
            non_finite: 0,
            singular: 0,
            not_converged: 0,
            newton_failures: self.newton_failures.iter().map(|&v| v as u64).sum(),
            mean: vec![0.0; d],
            covariance: vec![
                0.0;
                if d <= SUMMARY_COVARIANCE_LIMIT {
                    d * d
                } else {
                    0
                }
            ],
        };
        for f in &self.fates {
            match f {
                Fate::Finished => s.finished += 1,
                Fate::Diverged { .. } => s.diverged += 1,
                Fate::NonFinite { .. } => s.non_finite += 1,
                Fate::Singular { .. } => s.singular += 1,
                Fate::NotConverged { .. } => s.not_converged += 1,
            }
        }
        let done = || (0..self.count as usize).filter(|&i| self.fates[i].is_finished());
        // angle coordinates: circular mean atan2(sum sin, sum cos) and wrapped deviations
        let (mut sin_sum, mut cos_sum) = (vec![0.0; d], vec![0.0; d]);
        for i in done() {
            for (a, v) in self.final_state(i).iter().enumerate() {
                if self.angle[a] {
                    sin_sum[a] += v.sin();
                    cos_sum[a] += v.cos();
                } else {
                    s.mean[a] += v;
                }
            }
        }
        let nf = s.finished as f64;
        for a in 0..d {
            s.mean[a] = if self.angle[a] {
                sin_sum[a].atan2(cos_sum[a])
            } else {
                s.mean[a] / nf
            };
        }
        if s.finished == 0 {
            s.mean.clear();
        }
        let dev = |x: &[f64], a: usize, mean: &[f64]| {
            let v = x[a] - mean[a];
            if self.angle[a] {
                wrap_angle(v)
            } else {
                v
            }
        };
        let with_covariance = d <= SUMMARY_COVARIANCE_LIMIT;
        for i in done().filter(|_| with_covariance) {
            let x = self.final_state(i);
            for a in 0..d {
                for b in 0..d {
                    s.covariance[a * d + b] += dev(x, a, &s.mean) * dev(x, b, &s.mean);
                }
            }
        }
        for c in &mut s.covariance {
            *c /= nf - 1.0;
        }
        if s.finished < 2 {
            s.covariance.clear();
        }
        self.summary = s;
        if let Some(eqs) = equilibria {
            let mut counts = vec![0u64; eqs.len()];
            let assignment = (0..self.count as usize)
                .map(|i| {
                    if !self.fates[i].is_finished() {
                        return None;
                    }
                    let x = self.final_state(i);
                    let best = eqs
                        .iter()
                        .map(|e| l2_state_distance(x, e, &self.angle))
                        .enumerate()
                        .fold(
                            (0, f64::INFINITY),
                            |b, (j, dj)| if dj < b.1 { (j, dj) } else { b },
                        )
                        .0;
                    counts[best] += 1;
                    Some(best)
                })
                .collect();
            self.basins = Some(Basins {
                equilibria: eqs.clone(),
                assignment,
                counts,
            });
        }
    }

    /// Joins consecutive parts (shards or checkpoint blocks) of one study
    /// into the result of the whole range; bit-identical to a single run.
    pub fn merge(mut parts: Vec<StudyResult>) -> Result<StudyResult, MergeError> {
        parts.sort_by_key(|p| p.first);
        let mut it = parts.into_iter();
        let mut acc = it.next().ok_or(MergeError::Empty)?;
        for p in it {
            if p.fingerprint != acc.fingerprint {
                return Err(MergeError::DifferentStudies);
            }
            if p.first != acc.first + acc.count {
                return Err(MergeError::Gap {
                    expected: acc.first + acc.count,
                    found: p.first,
                });
            }
            acc.count += p.count;
            acc.final_states.extend(p.final_states);
            acc.fates.extend(p.fates);
            acc.newton_failures.extend(p.newton_failures);
            acc.lock_in.extend(p.lock_in);
            acc.paths.extend(p.paths);
            acc.nonfinite.extend(p.nonfinite);
            if let (Some(a), Some(b)) = (acc.follower_solves.as_mut(), p.follower_solves.as_ref()) {
                a.absorb(b);
            }
            if let (Some(a), Some(b)) = (acc.distance.as_mut(), p.distance.as_ref()) {
                a.absorb(b);
            }
        }
        let eqs = acc.basins.as_ref().map(|b| b.equilibria.clone());
        acc.finalize(eqs.as_ref());
        Ok(acc)
    }

    /// Writes one CSV row per trajectory: index, fate, fate step, the final
    /// coordinates, then lock-in step, basin and Newton failures where recorded.
    pub fn write_csv<W: Write>(&self, mut w: W) -> std::io::Result<()> {
        write!(w, "trajectory,fate,fate_step")?;
        for c in &self.coordinates {
            write!(w, ",{c}")?;
        }
        let lock = !self.lock_in.is_empty();
        let newton = !self.newton_failures.is_empty();
        if lock {
            write!(w, ",lock_in")?;
        }
        if self.basins.is_some() {
            write!(w, ",basin")?;
        }
        if newton {
            write!(w, ",newton_failures")?;
        }
        writeln!(w)?;
        let opt = |v: Option<u64>| v.map(|s| s.to_string()).unwrap_or_default();
        for i in 0..self.count as usize {
            let (name, step) = match self.fates[i] {
                Fate::Finished => ("finished", None),
                Fate::Diverged { step } => ("diverged", Some(step)),
                Fate::NonFinite { step } => ("non_finite", Some(step)),
                Fate::Singular { step } => ("singular", Some(step)),
                Fate::NotConverged { step } => ("not_converged", Some(step)),
            };
            write!(w, "{},{},{}", self.first + i as u64, name, opt(step))?;
            for v in self.final_state(i) {
                write!(w, ",{v:?}")?;
            }
            if lock {
                write!(w, ",{}", opt(self.lock_in[i]))?;
            }
            if let Some(b) = &self.basins {
                write!(w, ",{}", opt(b.assignment[i].map(|v| v as u64)))?;
            }
            if newton {
                write!(w, ",{}", self.newton_failures[i])?;
            }
            writeln!(w)?;
        }
        Ok(())
    }

    /// Writes the recorded paths as CSV: trajectory, steps, coordinates.
    pub fn write_paths_csv<W: Write>(&self, mut w: W) -> std::io::Result<()> {
        write!(w, "trajectory,steps")?;
        for c in &self.coordinates {
            write!(w, ",{c}")?;
        }
        writeln!(w)?;
        let d = self.dim();
        for p in &self.paths {
            for (r, s) in p.steps.iter().enumerate() {
                write!(w, "{},{}", p.trajectory, s)?;
                for v in &p.states[r * d..(r + 1) * d] {
                    write!(w, ",{v:?}")?;
                }
                writeln!(w)?;
            }
        }
        Ok(())
    }

    /// The whole result as JSON (f64 values round-trip exactly).
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(self)
    }
    /// Parses [`StudyResult::to_json`] output.
    pub fn from_json(s: &str) -> serde_json::Result<StudyResult> {
        serde_json::from_str(s)
    }
}

/// Parts that cannot be merged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// No parts were given.
    #[error("nothing to merge")]
    Empty,
    /// The parts' fingerprints differ.
    #[error("the parts come from different studies (fingerprints differ)")]
    DifferentStudies,
    /// The parts' trajectory ranges are not consecutive.
    #[error("the parts are not consecutive: expected trajectory {expected}, found {found}")]
    Gap {
        /// The next trajectory index the merge needed.
        expected: u64,
        /// The first trajectory of the part found instead.
        found: u64,
    },
}
