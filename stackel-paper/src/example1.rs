//! Paper 2.2.1, example 1, figure 1: in the zero-sum game (f, -f) with
//! f = -exp(-0.01 |x|^2) ((a x1^2 + x2)^2 + (b x2^2 + x1)^2), simultaneous
//! gradient play is attracted to points that are not Nash equilibria but are
//! differential Stackelberg equilibria.

use crate::common::{
    add_phase_path, lock_in_markdown, lock_in_panel, lock_in_study, single_path, ExperimentError,
};
use crate::games::ZeroSumExample1;
use crate::plot::{Figure, Panel, Series};
use crate::summary::{Row, Section};
use crate::Config;
use stackel::dynamics::Dynamics;
use stackel::engine::{Init, Noise, Study};
use stackel::equilibria::{
    grid_starts, max_state_distance, Classification, ClassifyOptions, EquilibriumReport, Field,
    FindOptions, Verdict,
};
use stackel::schedule::Schedule;

/// The box the figure and the Monte-Carlo starts cover.
pub const BOX: f64 = 4.0;

/// Deterministic simultaneous gradient play with a constant step (figure 1).
pub fn figure_dynamics() -> Dynamics {
    Dynamics::simultaneous(Schedule::constant(0.05))
}

/// Noisy simultaneous gradient play with decaying steps (the Monte-Carlo study):
/// gamma_k = 0.5 / (k^0.7 + 1), noise N(0, 0.01).
pub fn noisy_dynamics() -> Dynamics {
    Dynamics::simultaneous(
        Schedule::inverse_shifted_power(0.5)
            .exponent(0.7)
            .shift(1.0),
    )
}
/// Variance of the gradient noise of the Monte-Carlo studies.
pub const NOISE_VARIANCE: f64 = 0.01;

fn label(c: &Classification) -> &'static str {
    if c.differential_nash == Verdict::Yes {
        "differential Nash"
    } else if c.non_nash_attractor == Verdict::Yes && c.differential_stackelberg == Verdict::Yes {
        "non-Nash attractor, differential Stackelberg"
    } else if c.non_nash_attractor == Verdict::Yes {
        "non-Nash attractor, not Stackelberg"
    } else {
        "unstable critical point"
    }
}

fn fmt_pt(x: &[f64]) -> String {
    format!(
        "({})",
        x.iter()
            .map(|v| format!("{v:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Runs zero-sum example 1 (paper 2.2.1, figure 1) and returns its summary section.
pub fn run(cfg: &Config) -> Result<Section, ExperimentError> {
    let g = ZeroSumExample1::default();
    let mut sec = Section::new(
        "Zero-sum example 1: non-Nash attractors that are Stackelberg (paper 2.2.1, figure 1)",
    );
    sec.setup = vec![
        format!("f = -exp(-0.01 (x1^2 + x2^2)) ((a x1^2 + x2)^2 + (b x2^2 + x1)^2), (f1, f2) = (f, -f), a = {}, b = {}; x1 leads.", g.a, g.b),
        format!("Figure: deterministic simultaneous gradient play, gamma = 0.05, from a grid of starts in [-{BOX}, {BOX}]^2."),
        "Critical points of omega found by Newton from a 40 x 40 grid over [-8, 8]^2 and classified with the generated J, J_S and Hessians.".into(),
    ];
    let opts = ClassifyOptions::default();
    let rep = EquilibriumReport::find(
        &g,
        Field::Simultaneous,
        &grid_starts(&[(-8.0, 8.0), (-8.0, 8.0)], 40),
        &FindOptions::default(),
        &opts,
    )
    .map_err(|e| ExperimentError::Other(e.to_string()))?;
    std::fs::write(cfg.out.join("example1_equilibria.txt"), format!("{rep}\n"))?;
    sec.figures.push("example1_equilibria.txt".into());
    let points = rep.points.clone();
    let attractors: Vec<&Classification> = points
        .iter()
        .filter(|c| c.stable_simultaneous == Verdict::Yes)
        .collect();
    let nn_stack: Vec<&Classification> = attractors
        .iter()
        .copied()
        .filter(|c| {
            c.non_nash_attractor == Verdict::Yes && c.differential_stackelberg == Verdict::Yes
        })
        .collect();
    sec.rows.push(
        Row::new(
            "critical points of omega found / stable for simultaneous play",
            format!("{} / {}", points.len(), attractors.len()),
        )
        .note(format!(
            "{} failed solves reported in example1_equilibria.txt",
            rep.failures.len()
        )),
    );
    sec.rows.push(
        Row::new(
            "non-Nash attractors of simultaneous play that are differential Stackelberg",
            format!("{}", nn_stack.len()),
        )
        .paper("2 (figure 1)")
        .reference("at least 2", nn_stack.len() >= 2),
    );
    for c in &nn_stack {
        let schur = c.spectra.stackelberg_hessian.clone().unwrap_or_default();
        sec.rows.push(
            Row::new(format!("non-Nash attractor {}", fmt_pt(&c.x)), format!(
                "spec D11f1 = {}, spec D22f2 (= -D22 f) = {}, Schur complement = {}",
                fmt_pt(&c.spectra.d11f1),
                fmt_pt(&c.spectra.d22f2.iter().map(|e| e.re).collect::<Vec<_>>()),
                fmt_pt(&schur)
            ))
            .note("leader Hessian not positive definite, follower's and Schur complement positive: Stackelberg, not Nash"),
        );
    }

    // Figure 1: trajectories from a grid of starts, coloured by the class of their end point.
    let steps = cfg.size(2_000, 5_000, 20_000);
    let per = cfg.size(4, 7, 9) as usize;
    let mut panel = Panel::new(
        "simultaneous gradient play (colour: class of the end point)",
        "x1 (leader)",
        "x2 (follower)",
    );
    let classes = [
        "differential Nash",
        "non-Nash attractor, differential Stackelberg",
        "non-Nash attractor, not Stackelberg",
        "unstable critical point",
    ];
    let mut labelled = [false; 5];
    let mut end_counts = [0usize; 5];
    for s in grid_starts(&[(-BOX, BOX), (-BOX, BOX)], per) {
        let path = single_path(&g, figure_dynamics(), &s, steps, Noise::none(), cfg.seed)?;
        let end = path.last().unwrap();
        let near = points
            .iter()
            .map(|c| (max_state_distance(&c.x, end, &[false, false]), c))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let class = match near {
            Some((d, c)) if d < 1e-3 => classes.iter().position(|k| *k == label(c)).unwrap_or(4),
            _ => 4,
        };
        end_counts[class] += 1;
        let pts: Vec<(f64, f64)> = path.iter().map(|x| (x[0], x[1])).collect();
        let l = if labelled[class] {
            None
        } else {
            labelled[class] = true;
            Some(format!(
                "paths to: {}",
                classes
                    .get(class)
                    .copied()
                    .unwrap_or("no critical point (left the box or unfinished)")
            ))
        };
        add_phase_path(&mut panel, l, &pts, class);
    }
    for (i, k) in classes.iter().enumerate() {
        let pts: Vec<(f64, f64)> = points
            .iter()
            .filter(|c| label(c) == *k)
            .map(|c| (c.x[0], c.x[1]))
            .collect();
        if !pts.is_empty() {
            panel
                .series
                .push(Series::markers(format!("critical point: {k}"), pts, i));
        }
    }
    let mut fig = Figure::new("Zero-sum example 1 (a = 0.15, b = 0.25)", vec![panel], 1);
    fig.panel_size = (1000, 800);
    for f in fig.save(&cfg.out, "example1")? {
        sec.figures
            .push(f.file_name().unwrap().to_string_lossy().into_owned());
    }
    sec.rows.push(Row::new(
        format!(
            "grid paths ending at: {} / {} / {} / {} / elsewhere",
            classes[0], classes[1], classes[2], classes[3]
        ),
        format!(
            "{} / {} / {} / {} / {}",
            end_counts[0], end_counts[1], end_counts[2], end_counts[3], end_counts[4]
        ),
    ));

    // Monte-Carlo: noisy simultaneous play from uniform starts.
    let n = cfg.seeds;
    let k_mc = cfg.size(1_000, 5_000, 50_000);
    let eps = 0.1;
    let study = Study::new(g, noisy_dynamics())
        .trajectories(n)
        .steps(k_mc)
        .noise(Noise::variance(NOISE_VARIANCE))
        .init(Init::Box {
            lo: vec![-BOX, -BOX],
            hi: vec![BOX, BOX],
        })
        .seed(cfg.seed)
        .divergence_bound(1e3)
        .progress(cfg.progress);
    let named: Vec<(String, Vec<f64>)> = attractors
        .iter()
        .map(|c| (format!("{} {}", label(c), fmt_pt(&c.x)), c.x.clone()))
        .collect();
    let mut mc_data = serde_json::Value::Null;
    if !named.is_empty() {
        let (stats, _) = lock_in_study(study, &named, eps, (k_mc / 200).max(1))?;
        let to_nn: f64 = stats
            .equilibria
            .iter()
            .zip(&attractors)
            .filter(|(_, c)| c.differential_nash != Verdict::Yes)
            .map(|(e, _)| e.fraction.value)
            .sum();
        sec.rows.push(
            Row::new(
                format!("noisy simultaneous play from uniform starts in [-{BOX}, {BOX}]^2: fraction locked in to a non-Nash attractor"),
                format!("{to_nn:.4}"),
            )
            .note(format!("{} runs, gamma_k = 0.5/(k^0.7 + 1), noise N(0, {NOISE_VARIANCE}), eps = {eps}, k = {k_mc}", n)),
        );
        sec.text
            .push(format!("**Monte-Carlo.** {}", lock_in_markdown(&stats)));
        let fig = Figure::new(
            format!("Example 1: empirical lock-in probability ({n} uniform starts, 95% CI)"),
            vec![lock_in_panel("noisy simultaneous play", &stats)],
            1,
        );
        for f in fig.save(&cfg.out, "example1_lock_in")? {
            sec.figures
                .push(f.file_name().unwrap().to_string_lossy().into_owned());
        }
        mc_data = serde_json::json!(stats);
    }
    sec.data = serde_json::json!({"critical_points": points, "monte_carlo": mc_data});
    Ok(sec)
}
