//! The experiment driver: for diamond and circle, one training per rule from
//! the same initialisation (figures 5 and 6), then the R-run study.

use super::coverage::mode_coverage;
use super::figures::{losses_panel, samples_panel, spectrum_panel};
use super::games::{CircleGan, DiamondGan};
use super::spectra::Budget;
use super::study::{kind_label, rule_study, RuleStudy};
use super::train::{self, Rule, Setting};
use crate::common::ExperimentError;
use crate::plot::{Figure, Panel, Series};
use crate::summary::{Row, Section};
use crate::Config;
use stackel::equilibria::GameSpectra;
use stackel::Game;

/// Default / full training lengths, study sizes and spectra budgets.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Sizes {
    /// Iterations of the single (figure) runs.
    pub steps: u64,
    /// Trainings per rule in the study.
    pub runs: u64,
    /// Iterations of each study training.
    pub study_steps: u64,
    /// Study trainings per rule whose end point is classified (spectra).
    pub verdicts: u64,
    /// Krylov budget of the figure runs' spectra.
    pub figure_budget: Budget,
    /// Krylov budget of the study's spectra.
    pub study_budget: Budget,
}

impl Sizes {
    /// The sizes for `cfg` (quick / default / full).
    pub fn of(cfg: &Config) -> Self {
        Sizes {
            steps: cfg.gan.steps.unwrap_or(cfg.size(6, DEFAULT_STEPS, 60_000)),
            runs: cfg.gan.runs.unwrap_or(cfg.size(4, 64, 128)),
            study_steps: cfg
                .gan
                .study_steps
                .unwrap_or(cfg.size(3, DEFAULT_STUDY_STEPS, 60_000)),
            verdicts: cfg.size(2, 4, 128).min(cfg.gan.runs.unwrap_or(u64::MAX)),
            figure_budget: if cfg.quick {
                train::budget(8, 0)
            } else if cfg.full {
                train::budget(160, 60)
            } else {
                train::budget(40, 2)
            },
            study_budget: if cfg.quick {
                train::budget(8, 0)
            } else if cfg.full {
                train::budget(80, 20)
            } else {
                train::budget(30, 1)
            },
        }
    }
}

/// Default iterations of the figure runs: enough for Stackelberg learning
/// to cover every mode of both mixtures (at 1000 it covered none of the
/// diamond's), while `--only mog` stays near a minute and a half on the
/// 2-core machine, inside the default run's 5-minute budget.
pub const DEFAULT_STEPS: u64 = 6_000;
/// Default iterations of each study training.
pub const DEFAULT_STUDY_STEPS: u64 = 100;

/// (name, real parts of the smallest, real parts of the largest) of J, S,
/// D11f1 and D22f2.
pub fn operators(sp: &GameSpectra) -> Vec<(String, Vec<f64>, Vec<f64>)> {
    [&sp.jacobian, &sp.schur, &sp.d11f1, &sp.d22f2]
        .iter()
        .map(|b| {
            let re = |v: &[stackel::equilibria::Eig]| v.iter().map(|e| e.re).collect();
            (b.matrix.replace(' ', ""), re(&b.smallest), re(&b.largest))
        })
        .collect()
}

/// The smallest real part of each matrix, in words.
pub fn describe(sp: &GameSpectra) -> String {
    let mins: Vec<String> = [&sp.jacobian, &sp.schur, &sp.d11f1, &sp.d22f2]
        .iter()
        .map(|b| format!("min Re {} {:.2e}", b.matrix.replace(' ', ""), b.min_re()))
        .collect();
    format!(
        "{}{}",
        mins.join(", "),
        if sp.converged() {
            ""
        } else {
            "; not all Ritz values converged"
        }
    )
}

/// The four spectrum panels (J, S, D11f1, D22f2) of one end point.
pub fn spectra_panels(title: &str, sp: &GameSpectra) -> Vec<Panel> {
    operators(sp)
        .into_iter()
        .map(|(name, smallest, largest)| {
            spectrum_panel(format!("{title}: {name}"), &smallest, &largest)
        })
        .collect()
}

/// One rule's figure run, evaluated.
struct Single {
    rule: Rule,
    /// (iteration, f1, f2) at every checkpoint on the evaluation batch.
    losses: Vec<(u64, f64, f64)>,
    /// (iteration, generated points) at three checkpoints.
    shots: Vec<(u64, Vec<[f64; 2]>)>,
    spectra: GameSpectra,
    covered: usize,
    high_quality: f64,
    seconds: f64,
}

fn single<G: Game + Clone>(
    game: &G,
    s: &Setting,
    rule: Rule,
    sizes: &Sizes,
    seed: u64,
) -> Result<Single, ExperimentError> {
    let steps = sizes.steps;
    let t = std::time::Instant::now();
    let every = (steps / 50).max(1);
    let path = train::path(game, s, rule, steps, every, seed)?;
    let seconds = t.elapsed().as_secs_f64();
    let batch = train::eval_batch(s, seed, 0);
    let z_plot = train::eval_latents(s, seed, 8); // 2048 points
    let z_cov = train::eval_latents(s, seed, 32); // 8192 points
    let losses = path
        .iter()
        .map(|(k, x)| {
            let (f1, f2) = train::losses(game, x, &batch);
            (*k, f1, f2)
        })
        .collect();
    let last = path.len() - 1;
    let shots = [0, last / 2, last]
        .iter()
        .map(|&i| (path[i].0, train::samples(s, &path[i].1, &z_plot)))
        .collect();
    let end = &path[last].1;
    let spectra = train::spectra(game, end, &batch, &sizes.figure_budget)?;
    let cov = mode_coverage(&train::samples(s, end, &z_cov), &s.mixture);
    Ok(Single {
        rule,
        losses,
        shots,
        spectra,
        covered: cov.covered,
        high_quality: cov.high_quality,
        seconds,
    })
}

/// Paper's verdict per (setting, rule) (figures 5 and 6 captions).
fn paper_verdict(s: &Setting, rule: Rule) -> &'static str {
    match (s.name, rule) {
        ("diamond", _) => "non-Nash Stackelberg (figure 5)",
        (_, Rule::Simultaneous) => "Nash (figure 6)",
        _ => "non-Nash Stackelberg (figure 6)",
    }
}

fn experiment<G: Game + Clone + Sync>(
    game: G,
    s: &Setting,
    cfg: &Config,
    sizes: Sizes,
    sec: &mut Section,
) -> Result<(serde_json::Value, Vec<RuleStudy>), ExperimentError> {
    let seed = cfg.seed;
    let mut runs = Vec::new();
    for rule in Rule::BOTH {
        eprintln!("[stackel-paper] mog {}: {} ...", s.name, rule.label());
        runs.push(single(&game, s, rule, &sizes, seed)?);
    }
    let mut panels = Vec::new();
    for r in &runs {
        for (k, pts) in &r.shots {
            panels.push(samples_panel(
                format!("{} {}: iteration {k}", s.name, r.rule.key()),
                &s.mixture,
                pts,
            ));
        }
        panels.push(losses_panel(
            format!("{} {}: losses", s.name, r.rule.key()),
            &r.losses,
        ));
        panels.extend(spectra_panels(
            &format!("{} {}", s.name, r.rule.key()),
            &r.spectra,
        ));
    }
    let fig = Figure::new(
        format!(
            "Mixture of Gaussians ({}, {} objective, lr {}): simultaneous gradient descent (rows 1-2) vs Stackelberg learning (rows 3-4), same initialisation",
            s.name, s.objective, s.lr
        ),
        panels,
        4,
    );
    for f in fig.save(&cfg.out, &format!("mog_{}", s.name))? {
        sec.figures
            .push(f.file_name().unwrap().to_string_lossy().into_owned());
    }
    let modes = s.mixture.means.len();
    for r in &runs {
        sec.rows.push(
            Row::new(
                format!(
                    "{}, {}: end point after {} iterations (spectra of J, S, D11f1, D22f2)",
                    s.name,
                    r.rule.label(),
                    sizes.steps
                ),
                format!(
                    "{} ({})",
                    kind_label(r.spectra.verdict()),
                    describe(&r.spectra)
                ),
            )
            .paper(paper_verdict(s, r.rule))
            .note(format!("training {:.1} s", r.seconds)),
        );
        sec.rows.push(Row::new(
            format!(
                "{}, {}: modes covered (of {modes}) / fraction within 3 sd of a mean (8192 generated points)",
                s.name,
                r.rule.label()
            ),
            format!("{} / {:.3}", r.covered, r.high_quality),
        ));
    }
    let mut studies = Vec::new();
    for rule in Rule::BOTH {
        eprintln!(
            "[stackel-paper] mog {}: study, {} x {} ...",
            s.name,
            sizes.runs,
            rule.label()
        );
        studies.push(rule_study(
            &game,
            s,
            rule,
            (sizes.runs, sizes.study_steps, seed),
            sizes.verdicts,
            &sizes.study_budget,
        )?);
    }
    for st in &studies {
        let kinds = st
            .kinds
            .iter()
            .map(|(k, e)| format!("{k} {e:.2}"))
            .collect::<Vec<_>>()
            .join("; ");
        sec.rows.push(
            Row::new(
                format!(
                    "{} study, {}: fraction of the classified trainings ending at each kind of point [95% Wilson CI]",
                    s.name, st.rule
                ),
                kinds,
            )
            .note(format!(
                "{} of {} trainings ({} iterations) classified by their spectra; {} failed (counted as neither)",
                st.classified, st.trajectories, st.steps, st.failed
            )),
        );
        sec.rows.push(Row::new(
            format!(
                "{} study, {}: trainings covering m = 0..{modes} modes; mean [95% CI]",
                s.name, st.rule
            ),
            format!(
                "{:?}; {}",
                st.coverage,
                st.mean_coverage.map_or("-".into(), |e| format!("{e:.2}"))
            ),
        ));
        sec.rows.push(Row::new(
            format!(
                "{} study, {}: throughput, training steps per second (all runs)",
                s.name, st.rule
            ),
            format!(
                "{:.0} ({} x {} steps in {:.1} s; evaluation {:.1} s)",
                st.steps_per_second, st.trajectories, st.steps, st.seconds, st.eval_seconds
            ),
        ));
    }
    let data = serde_json::json!({
        "setting": s,
        "runs": runs.iter().map(|r| serde_json::json!({
            "rule": r.rule.key(),
            "losses": r.losses,
            "verdict": kind_label(r.spectra.verdict()),
            "spectra": operators(&r.spectra),
            "modes_covered": r.covered,
            "high_quality": r.high_quality,
            "seconds": r.seconds,
        })).collect::<Vec<_>>(),
        "study": studies,
    });
    Ok((data, studies))
}

/// The study figure: per setting, the coverage distribution and the
/// fractions of kinds of end points (95% intervals dashed) of both rules.
fn study_figure(all: &[(Setting, Vec<RuleStudy>)]) -> Figure {
    let mut panels = Vec::new();
    for (s, studies) in all {
        let mut cov = Panel::new(
            format!(
                "{}: modes covered, {} trainings per rule",
                s.name, studies[0].trajectories
            ),
            "modes covered",
            "fraction of trainings",
        )
        .y_range(0.0, 1.0);
        let mut kinds = Panel::new(
            format!(
                "{}: end points (0 Nash, 1 non-Nash Stackelberg, 2 neither)",
                s.name
            ),
            "kind",
            "fraction [95% CI]",
        )
        .y_range(0.0, 1.0)
        .x_range(-0.5, 2.5);
        for (c, st) in studies.iter().enumerate() {
            let n = st.trajectories.max(1) as f64;
            cov.series.push(Series::line(
                st.rule,
                st.coverage
                    .iter()
                    .enumerate()
                    .map(|(m, &k)| (m as f64, k as f64 / n))
                    .collect(),
                c,
            ));
            let off = c as f64 * 0.1 - 0.05;
            kinds.series.push(Series::filled(
                st.rule,
                st.kinds
                    .iter()
                    .enumerate()
                    .map(|(i, (_, e))| (i as f64 + off, e.value))
                    .collect(),
                c,
            ));
            for (i, (_, e)) in st.kinds.iter().enumerate() {
                kinds.series.push(Series::dashed(
                    None,
                    vec![(i as f64 + off, e.lo), (i as f64 + off, e.hi)],
                    c,
                ));
            }
        }
        panels.push(cov);
        panels.push(kinds);
    }
    Figure::new(
        "Mixture-of-Gaussians GANs: R independent trainings per rule",
        panels,
        2,
    )
}

/// Runs the mixture-of-Gaussians experiments and returns the summary section.
pub fn run(cfg: &Config) -> Result<Section, ExperimentError> {
    let sizes = Sizes::of(cfg);
    let mut sec = Section::new(
        "Mixture-of-Gaussians GANs (paper 4.3 examples 2 and 3, figures 5 and 6, Appendix D.1)",
    );
    sec.setup = vec![
        "Generator (leader): 16-d standard normal latent, 2 hidden layers of 32 units; discriminator (follower): 1 hidden layer of 32 units, sigmoid output; batch 256 fresh real and latent samples per step (Philox streams keyed by seed, trajectory, step).".into(),
        "Diamond: 4 Gaussians at 1.5 (sin w, cos w), w = k pi/2, sigma^2 = 0.15; tanh; saturating objective; gamma = 1e-4. Circle: 8 Gaussians at (sin w, cos w), w = k pi/4, sigma^2 = 0.3; ReLU; non-saturating objective; gamma = 4e-4.".into(),
        "Adam (0.9, 0.999, 1e-8), gamma_{i,k} = gamma nu_i^k: nu1 = nu2 = 1 - 1e-7 (simultaneous), nu1 = 1 - 1e-5, nu2 = 1 - 1e-7 (Stackelberg, regularised implicit map eta = 1, 5 warm-started CG iterations, truncated); both rules from the same Kaiming-uniform initialisation (seed of the run).".into(),
        format!(
            "Lengths: figure runs {} iterations (the paper and --full: 60000); study {} trainings x {} iterations per rule, {} of them classified by their spectra (--full: 128 x 60000, all classified). The default is shortened to the time budget, so its end points are early-training points, not the paper's converged ones; --gan-steps, --gan-runs and --gan-study-steps set each length (e.g. --gan-steps 60000 for the paper's figure runs alone); --full takes hours (each figure row gives its training time; 60000 steps x 128 trainings x 2 rules is a many-core or cluster job: shard the study).",
            sizes.steps, sizes.runs, sizes.study_steps, sizes.verdicts
        ),
        format!(
            "Spectra: H = D22f2 formed from {} products and decomposed densely; S, J by restarted Arnoldi, D11f1 by Lanczos with basis {} and at most {} restarts (study: {} / {}); Ritz values that missed tolerance 1e-8 are flagged in the rows.",
            129,
            sizes.figure_budget.basis,
            sizes.figure_budget.restarts,
            sizes.study_budget.basis,
            sizes.study_budget.restarts
        ),
        "End points are classified from the 6 smallest and 6 largest real parts of the eigenvalues of J, S = D11f1 - D12f1 (D22f2)^-1 D21f2, D11f1 and D22f2, computed matrix-free on a fixed evaluation batch: Nash if D11f1 > 0 and D22f2 > 0; non-Nash Stackelberg if S > 0 and D22f2 > 0 but not D11f1 > 0; neither otherwise.".into(),
        "Mode coverage: a generated point belongs to its nearest mean when within 3 sd of it; a mode is covered when it gets at least 1/(2 x modes) of the points.".into(),
        "GPU: the GPU engine does not run tape-form games yet, so every training runs on the CPU engine.".into(),
    ];
    let mut data = serde_json::Map::new();
    let mut all = Vec::new();
    for s in [Setting::diamond(), Setting::circle()] {
        let (d, studies) = match s.name {
            "diamond" => experiment(DiamondGan, &s, cfg, sizes, &mut sec)?,
            _ => experiment(CircleGan, &s, cfg, sizes, &mut sec)?,
        };
        data.insert(s.name.into(), d);
        all.push((s, studies));
    }
    for f in study_figure(&all).save(&cfg.out, "mog_study")? {
        sec.figures
            .push(f.file_name().unwrap().to_string_lossy().into_owned());
    }
    data.insert(
        "sizes".into(),
        serde_json::to_value(sizes).unwrap_or_default(),
    );
    sec.data = serde_json::Value::Object(data);
    Ok(sec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GanLengths;

    /// The GAN lengths replace the mode's sizes where set, in every mode,
    /// and the study never classifies more trainings than it runs.
    #[test]
    fn gan_lengths_override_the_modes_sizes() {
        let d = Sizes::of(&Config::default());
        assert_eq!(
            (d.steps, d.runs, d.study_steps),
            (DEFAULT_STEPS, 64, DEFAULT_STUDY_STEPS)
        );
        for full in [false, true] {
            let cfg = Config {
                full,
                gan: GanLengths {
                    steps: Some(60_000),
                    runs: Some(2),
                    study_steps: Some(7),
                },
                ..Config::default()
            };
            let s = Sizes::of(&cfg);
            assert_eq!(
                (s.steps, s.runs, s.study_steps, s.verdicts),
                (60_000, 2, 7, 2)
            );
        }
        let cfg = Config {
            full: true,
            gan: GanLengths {
                steps: Some(100),
                ..GanLengths::default()
            },
            ..Config::default()
        };
        let s = Sizes::of(&cfg);
        assert_eq!((s.steps, s.runs, s.study_steps), (100, 128, 60_000));
    }
}
