//! Pieces every experiment shares: running one recorded trajectory, Monte-Carlo
//! lock-in statistics over basins, and helpers for plotting angle paths.

use crate::plot::{Panel, Series};
use crate::stats::{self, Estimate};
use serde::Serialize;
use stackel::dynamics::Dynamics;
use stackel::engine::{Init, Noise, Study, StudyError};
use stackel::record::{Fate, Record, StudyResult};
use stackel::Game;

/// Everything an experiment can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    #[error(transparent)]
    /// A study was misconfigured or failed.
    Study(#[from] StudyError),
    #[error(transparent)]
    /// A figure could not be drawn.
    Plot(#[from] crate::plot::PlotError),
    #[error(transparent)]
    /// An output file could not be written.
    Io(#[from] std::io::Error),
    #[error("{0}")]
    /// Anything else, said in words.
    Other(String),
}

/// One trajectory from `x0`, recorded after every step: `(steps, states)`.
pub fn single_path<G: Game + Clone>(
    game: &G,
    dynamics: Dynamics,
    x0: &[f64],
    steps: u64,
    noise: Noise,
    seed: u64,
) -> Result<Vec<Vec<f64>>, ExperimentError> {
    let path = sampled_path(game, dynamics, x0, steps, noise, seed, 1)?;
    Ok(path.into_iter().map(|(_, x)| x).collect())
}

/// Like [`single_path`], keeping the state every `every` steps (and after
/// the last) only, each with the number of steps done: what a long run of a
/// large game can hold in memory.
pub fn sampled_path<G: Game + Clone>(
    game: &G,
    dynamics: Dynamics,
    x0: &[f64],
    steps: u64,
    noise: Noise,
    seed: u64,
    every: u64,
) -> Result<Vec<(u64, Vec<f64>)>, ExperimentError> {
    let r = Study::new(game.clone(), dynamics)
        .trajectories(1)
        .steps(steps)
        .noise(noise)
        .init(Init::Point(x0.to_vec()))
        .seed(seed)
        .record(Record::finals().paths(every, None))
        .run::<f64>()?;
    first_path(&r)
}

/// The first recorded path of `r`: (steps done, state) pairs.
pub fn first_path(r: &StudyResult) -> Result<Vec<(u64, Vec<f64>)>, ExperimentError> {
    let p = r
        .paths
        .first()
        .ok_or_else(|| ExperimentError::Other("the study recorded no path".into()))?;
    let d = r.dim();
    Ok(p.steps
        .iter()
        .zip(p.states.chunks(d))
        .map(|(k, s)| (*k, s.to_vec()))
        .collect())
}

/// Splits a path of angle coordinates into pieces that do not jump across the
/// [-pi, pi) boundary (so plotted lines do not cross the whole torus).
pub fn split_at_wraps(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![vec![]];
    for w in points.windows(2) {
        out.last_mut().unwrap().push(w[0]);
        if (w[1].0 - w[0].0).abs() > std::f64::consts::PI
            || (w[1].1 - w[0].1).abs() > std::f64::consts::PI
        {
            out.push(vec![]);
        }
    }
    if let Some(p) = points.last() {
        out.last_mut().unwrap().push(*p);
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Adds a path to a phase-plane panel, split at wraps; only the first piece
/// gets the legend label.
pub fn add_phase_path(panel: &mut Panel, label: Option<String>, pts: &[(f64, f64)], color: usize) {
    for (i, piece) in split_at_wraps(pts).into_iter().enumerate() {
        let s = match (&label, i) {
            (Some(l), 0) => Series::line(l.clone(), piece, color),
            _ => Series::unlabelled_line(piece, color),
        };
        panel.series.push(s);
    }
}

/// Monte-Carlo statistics of where trajectories end and when they lock in.
#[derive(Clone, Debug, Serialize)]
pub struct LockInStats {
    /// Trajectories run.
    pub trajectories: u64,
    /// Trajectories that did not finish (NaN, diverged, singular).
    pub failed: u64,
    /// One entry per equilibrium, in the order given.
    pub equilibria: Vec<EquilibriumStats>,
    /// Finished trajectories whose end point is not within eps of any equilibrium.
    pub elsewhere: Estimate,
    /// Lock-in radius (distance to the equilibrium).
    pub eps: f64,
}

/// Per equilibrium: how many trajectories reached it and how fast.
#[derive(Clone, Debug, Serialize)]
pub struct EquilibriumStats {
    /// Name of the equilibrium (as in the paper).
    pub name: String,
    /// Its location.
    pub point: Vec<f64>,
    /// Fraction of all trajectories that locked in to it.
    pub fraction: Estimate,
    /// Median, 10% and 90% quantiles of the lock-in step among those.
    pub median_lock_in: Option<Estimate>,
    /// 10% quantile of the lock-in step.
    pub q10_lock_in: Option<Estimate>,
    /// 90% quantile of the lock-in step.
    pub q90_lock_in: Option<Estimate>,
    /// Empirical P(locked in by step n) among all trajectories, at `n_grid`.
    pub n_grid: Vec<u64>,
    /// P(locked in by step n) for each n of `n_grid`.
    pub lock_in_probability: Vec<Estimate>,
}

/// Runs `study` once per equilibrium with that equilibrium as the lock-in
/// target (same seeds, so the same trajectories), and assigns each
/// trajectory to the equilibrium it locked in to (within `eps`, staying
/// there to the end). Returns the statistics and the first run's result.
pub fn lock_in_study<G: Game + Clone>(
    study: Study<G>,
    equilibria: &[(String, Vec<f64>)],
    eps: f64,
    every: u64,
) -> Result<(LockInStats, Vec<StudyResult>), ExperimentError> {
    let mut results = Vec::new();
    for (_, p) in equilibria {
        let r = study
            .clone()
            .record(Record::finals().target(p.clone(), eps, every))
            .run::<f64>()?;
        results.push(r);
    }
    let n = results[0].count;
    let steps = results[0].steps;
    let failed = results[0]
        .fates
        .iter()
        .filter(|f| !matches!(f, Fate::Finished))
        .count() as u64;
    // Log-spaced grid of steps 1..=steps (lock-in happens early and late).
    let n_grid: Vec<u64> = {
        let mut g: Vec<u64> = (0..=60)
            .map(|i| (steps as f64).powf(i as f64 / 60.0).round().max(1.0) as u64)
            .collect();
        g.dedup();
        g
    };
    let mut assigned = 0u64;
    let mut eq_stats = Vec::new();
    for ((name, point), r) in equilibria.iter().zip(&results) {
        let mut locks: Vec<f64> = r.lock_in.iter().flatten().map(|&s| s as f64).collect();
        locks.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assigned += locks.len() as u64;
        let lock_in_probability = n_grid
            .iter()
            .map(|&m| stats::proportion(locks.iter().filter(|&&s| s <= m as f64).count() as u64, n))
            .collect();
        eq_stats.push(EquilibriumStats {
            name: name.clone(),
            point: point.clone(),
            fraction: stats::proportion(locks.len() as u64, n),
            median_lock_in: stats::quantile(&locks, 0.5),
            q10_lock_in: stats::quantile(&locks, 0.1),
            q90_lock_in: stats::quantile(&locks, 0.9),
            n_grid: n_grid.clone(),
            lock_in_probability,
        });
    }
    let finished = n - failed;
    Ok((
        LockInStats {
            trajectories: n,
            failed,
            elsewhere: stats::proportion(finished.saturating_sub(assigned), n),
            equilibria: eq_stats,
            eps,
        },
        results,
    ))
}

/// The lock-in probability curves as a figure panel.
pub fn lock_in_panel(title: &str, s: &LockInStats) -> Panel {
    let mut p = Panel::new(
        title,
        "step n (log scale)",
        "P(locked in within eps by step n)",
    )
    .y_range(0.0, 1.0)
    .log_x();
    for (i, e) in s.equilibria.iter().enumerate() {
        let pts = |f: fn(&Estimate) -> f64| -> Vec<(f64, f64)> {
            e.n_grid
                .iter()
                .zip(&e.lock_in_probability)
                .map(|(&n, est)| (n as f64, f(est)))
                .collect()
        };
        p.series.push(Series::line(
            format!("{} (dashed: 95% CI)", e.name),
            pts(|e| e.value),
            i,
        ));
        p.series.push(Series::dashed(None, pts(|e| e.lo), i));
        p.series.push(Series::dashed(None, pts(|e| e.hi), i));
    }
    p
}

/// Markdown table of lock-in statistics.
pub fn lock_in_markdown(s: &LockInStats) -> String {
    let mut t = format!(
        "Monte-Carlo over {} trajectories (eps = {}): {} failed; fraction ending elsewhere {:.4}.\n\n",
        s.trajectories, s.eps, s.failed, s.elsewhere
    );
    t.push_str("| equilibrium | point | fraction locked in [95% CI] | median lock-in step [95% CI] | 10% / 90% quantile |\n|---|---|---|---|---|\n");
    for e in &s.equilibria {
        let fmt_opt =
            |o: &Option<Estimate>| o.map(|e| format!("{e:.0}")).unwrap_or_else(|| "-".into());
        t.push_str(&format!(
            "| {} | ({}) | {:.4} | {} | {} / {} |\n",
            e.name,
            e.point
                .iter()
                .map(|v| format!("{v:.3}"))
                .collect::<Vec<_>>()
                .join(", "),
            e.fraction,
            fmt_opt(&e.median_lock_in),
            e.q10_lock_in
                .map(|e| format!("{:.0}", e.value))
                .unwrap_or_else(|| "-".into()),
            e.q90_lock_in
                .map(|e| format!("{:.0}", e.value))
                .unwrap_or_else(|| "-".into()),
        ));
    }
    t
}
