//! Beyond the paper's single runs: R independent trainings per rule (seeds
//! differ in initialisation and data), run as ONE study per rule (the
//! engine spreads trajectories over all cores); per rule, the fraction
//! ending at a Nash point, a non-Nash Stackelberg point or neither (Wilson
//! 95% intervals), the mode-coverage distribution and the throughput.

use super::coverage::{mode_coverage, Coverage};
use super::spectra::Budget;
use super::train::{self, Rule, Setting};
use crate::common::ExperimentError;
use crate::stats::{self, Estimate};
use serde::Serialize;
use stackel::equilibria::PointKind;
use stackel::record::Fate;
use stackel::Game;

/// The three kinds of end point, in the order the summary lists them.
pub const KINDS: [PointKind; 3] = [
    PointKind::Nash,
    PointKind::NonNashStackelberg,
    PointKind::Neither,
];

/// A kind of point in words.
pub fn kind_label(k: PointKind) -> &'static str {
    match k {
        PointKind::Nash => "Nash",
        PointKind::NonNashStackelberg => "non-Nash Stackelberg",
        PointKind::Neither => "neither",
    }
}

/// One rule's R-run study.
#[derive(Clone, Debug, Serialize)]
pub struct RuleStudy {
    /// The rule's short name.
    pub rule: &'static str,
    /// Trainings run.
    pub trajectories: u64,
    /// Training steps each.
    pub steps: u64,
    /// Trainings that did not finish (NaN, divergence); counted as "neither".
    pub failed: u64,
    /// Trainings whose end point was classified (the verdict subsample
    /// plus the failed ones).
    pub classified: u64,
    /// (kind, fraction of the classified trainings, 95% Wilson interval).
    pub kinds: Vec<(String, Estimate)>,
    /// `coverage[m]` = trainings whose generator covers exactly m modes.
    pub coverage: Vec<u64>,
    /// Mean number of modes covered (95% interval).
    pub mean_coverage: Option<Estimate>,
    /// Seconds of the training study alone.
    pub seconds: f64,
    /// Training steps per second, total over all trainings.
    pub steps_per_second: f64,
    /// Seconds of the evaluation (spectra and coverage of every run).
    pub eval_seconds: f64,
}

/// Per trained run: its verdict (None when not computed) and coverage;
/// None when the training failed.
type Outcome = Option<(Option<PointKind>, Coverage)>;

/// Runs `r` trainings of `rule` and classifies each end point.
/// The spectra (verdicts) are computed for the first `verdicts` trainings
/// (a random subsample: seeds are independent) within `budget`; coverage
/// for all.
pub fn rule_study<G: Game + Clone + Sync>(
    game: &G,
    setting: &Setting,
    rule: Rule,
    (r, steps, seed): (u64, u64, u64),
    verdicts: u64,
    budget: &Budget,
) -> Result<RuleStudy, ExperimentError> {
    let t = std::time::Instant::now();
    let res = train::study(game.clone(), setting, rule, r, steps, seed).run::<f64>()?;
    let seconds = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let batch = train::eval_batch(setting, seed, 0);
    let z = train::eval_latents(setting, seed, 16);
    let runs: Vec<(usize, bool)> = (0..res.count as usize)
        .map(|i| (i, matches!(res.fates[i], Fate::Finished)))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut outcomes: Vec<Outcome> = vec![None; runs.len()];
    let chunk = runs.len().div_ceil(threads).max(1);
    std::thread::scope(|s| -> Result<(), ExperimentError> {
        let handles: Vec<_> = runs
            .chunks(chunk)
            .zip(outcomes.chunks_mut(chunk))
            .map(|(rs, outs)| {
                let (res, batch, z) = (&res, &batch, &z);
                s.spawn(move || -> Result<(), ExperimentError> {
                    for (&(i, ok), out) in rs.iter().zip(outs.iter_mut()) {
                        if !ok {
                            continue;
                        }
                        let x = res.final_state(i);
                        let kind = if (i as u64) < verdicts {
                            Some(train::spectra(game, x, batch, budget)?.verdict())
                        } else {
                            None
                        };
                        let cov = mode_coverage(&train::samples(setting, x, z), &setting.mixture);
                        *out = Some((kind, cov));
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| ExperimentError::Other("an evaluation thread panicked".into()))??;
        }
        Ok(())
    })?;
    let eval_seconds = t.elapsed().as_secs_f64();
    Ok(summarise(
        rule,
        r,
        steps,
        &outcomes,
        seconds,
        eval_seconds,
        setting.mixture.means.len(),
    ))
}

/// The statistics of a list of outcomes (a failed run is "neither" and covers 0 modes).
fn summarise(
    rule: Rule,
    r: u64,
    steps: u64,
    outcomes: &[Outcome],
    seconds: f64,
    eval_seconds: f64,
    modes: usize,
) -> RuleStudy {
    let failed = outcomes.iter().filter(|o| o.is_none()).count() as u64;
    // classified: failed runs (neither) and runs with a computed verdict
    let kinds_of: Vec<PointKind> = outcomes
        .iter()
        .filter_map(|o| match o {
            None => Some(PointKind::Neither),
            Some((k, _)) => *k,
        })
        .collect();
    let n = kinds_of.len() as u64;
    let kinds = KINDS
        .iter()
        .map(|&k| {
            let c = kinds_of.iter().filter(|&&kk| kk == k).count() as u64;
            (kind_label(k).to_string(), stats::proportion(c, n))
        })
        .collect();
    let mut coverage = vec![0u64; modes + 1];
    let mut covered = Vec::new();
    for o in outcomes {
        let m = o.as_ref().map_or(0, |(_, c)| c.covered);
        coverage[m] += 1;
        covered.push(m as f64);
    }
    RuleStudy {
        rule: rule.key(),
        trajectories: r,
        steps,
        failed,
        classified: n,
        kinds,
        coverage,
        mean_coverage: stats::mean(&covered),
        seconds,
        steps_per_second: (r * steps) as f64 / seconds.max(1e-9),
        eval_seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cov(covered: usize) -> Coverage {
        Coverage {
            counts: vec![],
            total: 0,
            covered,
            high_quality: 0.0,
        }
    }

    #[test]
    fn summary_counts_kinds_among_classified_runs_with_wilson_intervals() {
        // 10 runs: 4 classified (3 Nash, 1 non-Nash Stackelberg), 1 failed
        // (neither), 5 unclassified; coverage 4, 4, 2, 3, 0 (failed), 1 x 5
        let mut o: Vec<Outcome> = vec![
            Some((Some(PointKind::Nash), cov(4))),
            Some((Some(PointKind::Nash), cov(4))),
            Some((Some(PointKind::Nash), cov(2))),
            Some((Some(PointKind::NonNashStackelberg), cov(3))),
            None,
        ];
        o.extend((0..5).map(|_| Some((None, cov(1)))));
        let s = summarise(Rule::Stackelberg, 10, 7, &o, 2.0, 0.5, 4);
        assert_eq!((s.classified, s.failed), (5, 1));
        let want = [3u64, 1, 1];
        for ((name, e), (k, w)) in s.kinds.iter().zip(KINDS.iter().zip(want)) {
            assert_eq!(name, kind_label(*k));
            assert_eq!(*e, stats::proportion(w, 5));
        }
        // Wilson 95% for 3 of 5: [0.2307, 0.8824]
        let e = s.kinds[0].1;
        assert!(
            (e.lo - 0.2307).abs() < 1e-4 && (e.hi - 0.8824).abs() < 1e-4,
            "{e:?}"
        );
        assert_eq!(s.coverage, vec![1, 5, 1, 1, 2]);
        assert!((s.mean_coverage.unwrap().value - 1.8).abs() < 1e-12);
        assert!((s.steps_per_second - 35.0).abs() < 1e-12);
    }
}
