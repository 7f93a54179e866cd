//! The records of one chunk of trajectories, taken while a study runs (both
//! engines): thinned paths, the distance series, and lock-in, with the
//! distance to the target measured by [`l2_state_distance`] in the study's
//! precision.

use super::{record_times, to_fixed, DistanceSeries, Path, Record};
use crate::metric::l2_state_distance;

/// The records of one chunk of trajectories taken while a study runs, shared
/// by the CPU and GPU engines: thinned paths, the distance series, and the
/// distance to the target (in the study's precision, angles wrapped) that
/// also decides lock-in.
pub(crate) struct Recorder<T> {
    angle: Vec<bool>,
    target: Option<(Vec<T>, T)>,
    path_times: Vec<u64>,
    path_next: usize,
    dist_times: Vec<u64>,
    dist_next: usize,
    paths: Vec<Path>,
    distance: Option<DistanceSeries>,
    buf: Vec<T>,
}

impl<T: crate::real::Float> Recorder<T> {
    /// For trajectories first..first + count of a study of `steps` steps.
    pub(crate) fn new(
        record: &Record,
        angle: &[bool],
        first: u64,
        count: usize,
        steps: u64,
    ) -> Self {
        let target = record.target.as_ref();
        let path_count = record.paths.as_ref().map_or(0, |s| {
            let end = s.first.unwrap_or(u64::MAX);
            end.saturating_sub(first).min(count as u64) as usize
        });
        Recorder {
            angle: angle.to_vec(),
            target: target.map(|t| (t.point.iter().map(|v| T::of(*v)).collect(), T::of(t.eps))),
            path_times: record
                .paths
                .as_ref()
                .map(|s| record_times(s.every, steps))
                .unwrap_or_default(),
            path_next: 0,
            dist_times: target
                .map(|t| record_times(t.every, steps))
                .unwrap_or_default(),
            dist_next: 0,
            paths: (0..path_count)
                .map(|j| Path {
                    trajectory: first + j as u64,
                    steps: Vec::new(),
                    states: Vec::new(),
                })
                .collect(),
            distance: target.map(|t| DistanceSeries::empty(t, steps)),
            buf: vec![T::zero(); angle.len()],
        }
    }

    /// Whether the study records a lock-in target.
    pub(crate) fn has_target(&self) -> bool {
        self.target.is_some()
    }

    /// Is x farther than eps from the target (false without a target)?
    pub(crate) fn outside(&self, x: &[T]) -> bool {
        match &self.target {
            Some((t, eps)) => l2_state_distance(x, t, &self.angle) > *eps,
            None => false,
        }
    }

    /// The record times of paths and distances, merged (sorted, unique).
    #[cfg(feature = "gpu")]
    pub(crate) fn times(&self) -> Vec<u64> {
        let mut t: Vec<u64> = self
            .path_times
            .iter()
            .chain(&self.dist_times)
            .copied()
            .collect();
        t.sort_unstable();
        t.dedup();
        t
    }

    /// Takes the records due after `t` steps: `running(j)` says whether
    /// trajectory j still runs, `state(j, x)` writes its state into x.
    pub(crate) fn take(
        &mut self,
        t: u64,
        running: impl Fn(usize) -> bool,
        state: impl Fn(usize, &mut [T]),
        count: usize,
    ) {
        if self.path_times.get(self.path_next) == Some(&t) {
            let mut x = std::mem::take(&mut self.buf);
            for (j, path) in self.paths.iter_mut().enumerate() {
                if running(j) {
                    state(j, &mut x);
                    path.steps.push(t);
                    path.states.extend(x.iter().map(|v| v.re()));
                }
            }
            self.buf = x;
            self.path_next += 1;
        }
        if self.dist_times.get(self.dist_next) != Some(&t) {
            return;
        }
        let (Some((target, eps)), Some(ds)) = (&self.target, self.distance.as_mut()) else {
            return;
        };
        let r = self.dist_next;
        let mut x = std::mem::take(&mut self.buf);
        for j in (0..count).filter(|&j| running(j)) {
            state(j, &mut x);
            let d = l2_state_distance(&x, target, &self.angle).re();
            ds.active[r] += 1;
            if d <= eps.re() {
                ds.within[r] += 1;
            }
            ds.max[r] = ds.max[r].max(d);
            ds.sum[r] += to_fixed(d);
            ds.sum_sq[r] += to_fixed(d * d);
        }
        self.buf = x;
        self.dist_next += 1;
    }

    /// The paths and the distance series.
    pub(crate) fn finish(self) -> (Vec<Path>, Option<DistanceSeries>) {
        (self.paths, self.distance)
    }
}
