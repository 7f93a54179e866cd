//! Paper 4.2, figure 3: the location game on a torus. Zero sets of the
//! leader's first-order condition (D1 f1 for simultaneous play, the total
//! derivative Df1 for Stackelberg) and of D2 f2, sample paths, the
//! equilibria found and classified, and a Monte-Carlo study of basins and
//! lock-in.

use crate::common::{
    add_phase_path, lock_in_markdown, lock_in_panel, lock_in_study, single_path, ExperimentError,
};
use crate::games::Torus;
use crate::plot::{Figure, Panel, Series};
use crate::summary::{Row, Section};
use crate::Config;
use stackel::dynamics::Dynamics;
use stackel::engine::{Init, Noise, Study};
use stackel::equilibria::{
    grid_starts, ClassifyOptions, EquilibriumReport, Field, FindOptions, Verdict,
};
use stackel::schedule::Schedule;
use stackel::{Game, Workspace};
use std::f64::consts::PI;

/// Nash dynamics: gamma_k = 1/(k^(1/2) + 1) for both players.
pub fn nash_dynamics() -> Dynamics {
    Dynamics::simultaneous(
        Schedule::inverse_shifted_power(1.0)
            .exponent(0.5)
            .shift(1.0),
    )
}

/// Stackelberg: leader 1/(k + 1), follower 1/(k^(1/2) + 1).
pub fn stackelberg_dynamics() -> Dynamics {
    Dynamics::two_timescale(
        Schedule::inverse_shifted_power(1.0)
            .exponent(1.0)
            .shift(1.0),
        Schedule::inverse_shifted_power(1.0)
            .exponent(0.5)
            .shift(1.0),
    )
}

/// Variance of the gradient noise of the Monte-Carlo studies.
pub const NOISE_VARIANCE: f64 = 0.01;

/// Points of a grid over [-pi, pi)^2 where `f` changes sign between
/// neighbouring grid nodes: a sampled zero set.
fn zero_set(n: usize, f: &mut dyn FnMut(&[f64]) -> Option<f64>) -> Vec<(f64, f64)> {
    let h = 2.0 * PI / n as f64;
    let at = |i: usize| -PI + (i as f64 + 0.5) * h;
    let mut v = vec![None; n * n];
    for i in 0..n {
        for j in 0..n {
            v[i * n + j] = f(&[at(i), at(j)]);
        }
    }
    let mut pts = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let a = v[i * n + j];
            for (ii, jj) in [((i + 1) % n, j), (i, (j + 1) % n)] {
                if let (Some(a), Some(b)) = (a, v[ii * n + jj]) {
                    if (a > 0.0) != (b > 0.0) && (ii > i || jj > j) {
                        let t = a / (a - b);
                        let (x0, y0) = (at(i), at(j));
                        let (x1, y1) = (at(ii), at(jj));
                        pts.push((x0 + t * (x1 - x0), y0 + t * (y1 - y0)));
                    }
                }
            }
        }
    }
    pts
}

/// Equilibria of one kind found from a grid of starts, with their reports.
fn equilibria(g: &Torus, field: Field) -> Result<EquilibriumReport, ExperimentError> {
    let starts = grid_starts(&[(-PI, PI), (-PI, PI)], 24);
    EquilibriumReport::find(
        g,
        field,
        &starts,
        &FindOptions::default(),
        &ClassifyOptions::default(),
    )
    .map_err(|e| ExperimentError::Other(e.to_string()))
}

fn fmt_pt(x: &[f64]) -> String {
    format!(
        "({})",
        x.iter()
            .map(|v| format!("{v:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Runs the torus location game (paper 4.2) and returns its summary section.
pub fn run(cfg: &Config) -> Result<Section, ExperimentError> {
    let g = Torus::default();
    let mut sec = Section::new("Location game on a torus (paper 4.2, figure 3)");
    sec.setup = vec![
        format!(
            "f_i = -alpha_i cos(th_i - phi_i) + cos(th_i - th_-i), alpha = ({}, {}), phi = (pi/8, pi/8); angles wrap to [-pi, pi).",
            g.alpha[0], g.alpha[1]
        ),
        "Nash dynamics gamma_k = 1/(k^(1/2) + 1); Stackelberg gamma1 = 1/(k + 1), gamma2 = 1/(k^(1/2) + 1); noise N(0, 0.01).".into(),
    ];

    // Equilibria, found and classified with the generated derivatives.
    let nash_rep = equilibria(&g, Field::Simultaneous)?;
    let stack_rep = equilibria(&g, Field::STACKELBERG)?;
    let nash: Vec<_> = nash_rep
        .points
        .iter()
        .filter(|c| c.differential_nash == Verdict::Yes)
        .cloned()
        .collect();
    let stack: Vec<_> = stack_rep
        .points
        .iter()
        .filter(|c| c.differential_stackelberg == Verdict::Yes)
        .cloned()
        .collect();
    sec.text.push(format!(
        "Critical points of omega: {} found ({} differential Nash); of omega_S: {} found ({} differential Stackelberg). \
         Full tables in torus_equilibria.txt.",
        nash_rep.points.len(),
        nash.len(),
        stack_rep.points.len(),
        stack.len()
    ));
    std::fs::write(
        cfg.out.join("torus_equilibria.txt"),
        format!("{nash_rep}\n\n{stack_rep}\n"),
    )?;
    sec.figures.push("torus_equilibria.txt".into());

    let paper_nash = [[-0.78, 1.18], [1.57, -0.4]];
    let paper_stack = [[-0.53, 1.25], [1.31, -0.46]];
    let near = |set: &[stackel::equilibria::Classification], p: &[f64; 2]| {
        set.iter()
            .map(|c| {
                (
                    stackel::equilibria::max_state_distance(&c.x, p, &[true, true]),
                    c.clone(),
                )
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    for (kind, set, paper, paper_cost) in [
        ("Nash", &nash, &paper_nash, "(-0.77, -1.3)"),
        ("Stackelberg", &stack, &paper_stack, "(-0.81, -1.05)"),
    ] {
        for p in paper.iter() {
            match near(set, p) {
                Some((d, c)) => sec.rows.push(
                    Row::new(
                        format!("{kind} equilibrium near {}: point, costs", fmt_pt(p)),
                        format!("{}, costs {}", fmt_pt(&c.x), fmt_pt(&c.costs)),
                    )
                    .paper(format!("{}, costs {paper_cost}", fmt_pt(p)))
                    .reference(format!("distance to the paper's point {d:.3}"), d < 0.01)
                    .note(format!(
                        "stable for {} dynamics: {}",
                        kind,
                        if kind == "Nash" {
                            c.stable_simultaneous
                        } else {
                            c.stable_stackelberg
                        }
                    )),
                ),
                None => sec.rows.push(
                    Row::new(
                        format!("{kind} equilibrium near {}", fmt_pt(p)),
                        "not found",
                    )
                    .paper(fmt_pt(p))
                    .reference("-", false),
                ),
            }
        }
    }

    // Zero sets (figure 3 a-b).
    let mut ws = Workspace::<f64>::new(&g);
    let grid = cfg.size(100, 300, 600) as usize;
    let mut d1 = [0.0; 1];
    let z_d1f1 = zero_set(grid, &mut |x| {
        g.d1f1(x, &mut d1);
        Some(d1[0])
    });
    let z_df1 = zero_set(grid, &mut |x| {
        ws.total_leader_gradient(&g, x, 0.0, &mut d1)
            .ok()
            .map(|_| d1[0])
    });
    let z_d2f2 = zero_set(grid, &mut |x| {
        g.d2f2(x, &mut d1);
        Some(d1[0])
    });

    let starts = [
        [-2.5, -2.5],
        [2.5, 2.5],
        [-2.5, 2.5],
        [2.5, -2.5],
        [0.0, 0.0],
        [-1.5, 0.5],
        [2.0, 0.5],
        [0.5, -2.8],
    ];
    let k_paths = cfg.size(1_000, 5_000, 20_000);
    let noise = Noise::variance(NOISE_VARIANCE);
    let mut panels = Vec::new();
    let mut single = Vec::new();
    for (kind, dynamics, zero1, eqs) in [
        ("Nash", nash_dynamics(), &z_d1f1, &nash),
        ("Stackelberg", stackelberg_dynamics(), &z_df1, &stack),
    ] {
        let mut p = Panel::new(
            format!("{kind} dynamics: sample paths"),
            "theta1 (leader)",
            "theta2 (follower)",
        )
        .x_range(-PI, PI)
        .y_range(-PI, PI);
        p.series.push(Series::dots(
            if kind == "Nash" {
                "D1 f1 = 0"
            } else {
                "Df1 = 0"
            },
            zero1.clone(),
            6,
        ));
        p.series.push(Series::dots("D2 f2 = 0", z_d2f2.clone(), 4));
        for (i, s) in starts.iter().enumerate() {
            let path = single_path(
                &g,
                dynamics.clone(),
                s,
                k_paths,
                noise.clone(),
                cfg.seed + i as u64,
            )?;
            let pts: Vec<(f64, f64)> = path.iter().map(|x| (x[0], x[1])).collect();
            add_phase_path(
                &mut p,
                if i == 0 {
                    Some("sample paths".into())
                } else {
                    None
                },
                &pts,
                0,
            );
            if i == 0 {
                single.push((kind, path));
            }
        }
        p.series.push(Series::markers(
            format!("{kind} equilibria"),
            eqs.iter().map(|c| (c.x[0], c.x[1])).collect(),
            1,
        ));
        panels.push(p);
    }
    // (c-d) position and cost paths of one run.
    let mut pos = Panel::new("(c) positions along one run", "iteration k", "theta_i");
    let mut cost = Panel::new("(d) costs along one run", "iteration k", "f_i");
    for (c, (kind, path)) in single.iter().enumerate() {
        let th = |i: usize| {
            path.iter()
                .enumerate()
                .map(|(k, x)| (k as f64, x[i]))
                .collect::<Vec<_>>()
        };
        pos.series
            .push(Series::line(format!("theta1 {kind}"), th(0), 2 * c));
        pos.series
            .push(Series::line(format!("theta2 {kind}"), th(1), 2 * c + 1));
        let f1: Vec<_> = path
            .iter()
            .enumerate()
            .map(|(k, x)| (k as f64, g.leader_cost(x)))
            .collect();
        let f2: Vec<_> = path
            .iter()
            .enumerate()
            .map(|(k, x)| (k as f64, g.follower_cost(0, x)))
            .collect();
        cost.series
            .push(Series::line(format!("f1 {kind}"), f1, 2 * c));
        cost.series
            .push(Series::line(format!("f2 {kind}"), f2, 2 * c + 1));
    }
    panels.push(pos);
    panels.push(cost);
    let fig = Figure::new(
        "Location game on a torus (unfolded: opposite edges are identified)",
        panels,
        2,
    );
    for f in fig.save(&cfg.out, "torus")? {
        sec.figures
            .push(f.file_name().unwrap().to_string_lossy().into_owned());
    }

    // Monte-Carlo over uniform random starts: basins and lock-in.
    let n = cfg.seeds;
    let k_mc = cfg.size(1_000, 5_000, 50_000);
    let eps = 0.1;
    let mut mc_panels = Vec::new();
    let mut mc_data = Vec::new();
    for (kind, dynamics, eqs) in [
        ("Nash", nash_dynamics(), &nash),
        ("Stackelberg", stackelberg_dynamics(), &stack),
    ] {
        let study = Study::new(g, dynamics)
            .trajectories(n)
            .steps(k_mc)
            .noise(noise.clone())
            .init(Init::Box {
                lo: vec![-PI, -PI],
                hi: vec![PI, PI],
            })
            .seed(cfg.seed)
            .progress(cfg.progress);
        let named: Vec<(String, Vec<f64>)> = eqs
            .iter()
            .map(|c| (format!("{kind} {}", fmt_pt(&c.x)), c.x.clone()))
            .collect();
        if named.is_empty() {
            continue;
        }
        let (stats, _) = lock_in_study(study, &named, eps, (k_mc / 200).max(1))?;
        let total: f64 = stats.equilibria.iter().map(|e| e.fraction.value).sum();
        sec.rows.push(
            Row::new(
                format!("{kind} dynamics from uniform starts: fraction locked in to an equilibrium by k = {k_mc}"),
                format!("{total:.4}"),
            )
            .note(format!("{} runs, eps = {eps}; per-equilibrium fractions below", stats.trajectories)),
        );
        sec.text.push(format!(
            "**{kind} dynamics, Monte-Carlo.** {}",
            lock_in_markdown(&stats)
        ));
        mc_panels.push(lock_in_panel(&format!("{kind} dynamics"), &stats));
        mc_data.push(serde_json::json!({"dynamics": kind, "stats": stats}));
    }
    let fig = Figure::new(
        format!("Torus: empirical lock-in probability ({n} uniform starts, 95% CI)"),
        mc_panels,
        2,
    );
    for f in fig.save(&cfg.out, "torus_lock_in")? {
        sec.figures
            .push(f.file_name().unwrap().to_string_lossy().into_owned());
    }
    sec.data = serde_json::json!({
        "nash": nash, "stackelberg": stack, "monte_carlo": mc_data,
    });
    Ok(sec)
}
