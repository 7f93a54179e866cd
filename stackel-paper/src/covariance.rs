//! Paper 4.3, example 1, figure 4: learning a covariance matrix with a
//! Wasserstein GAN whose discriminator is quadratic. Simultaneous gradient
//! descent cycles; two-timescale Stackelberg learning converges.

use crate::common::{sampled_path, ExperimentError};
use crate::games::{Covariance25, Covariance3, Covariance9};
use crate::plot::{Figure, Panel, Series};
use crate::summary::{Row, Section};
use crate::Config;
use nalgebra::DMatrix;
use stackel::dynamics::Dynamics;
use stackel::engine::Noise;
use stackel::equilibria::symmetric_eigenvalues;
use stackel::rng;
use stackel::schedule::Schedule;
use stackel::Game;

/// gamma1 = 0.015 (1 - 1e-5)^k, gamma2 = 0.015 (1 - 1e-7)^k (paper figure 4).
fn schedules() -> (Schedule, Schedule) {
    (
        Schedule::geometric(0.015, 1.0 - 1e-5),
        Schedule::geometric(0.015, 1.0 - 1e-7),
    )
}

/// The deterministic two-timescale Stackelberg dynamics of figure 4.
pub fn stackelberg_dynamics() -> Dynamics {
    let (g1, g2) = schedules();
    Dynamics::two_timescale(g1, g2)
}

/// A deterministic symmetric positive definite Sigma = A A^T / m + 0.1 I with
/// A standard normal (Philox stream of `seed`), and a start V0 = B / sqrt(m)
/// (B standard normal), W0 = 0.
fn problem(m: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut z = vec![0.0f64; 2 * m * m];
    rng::normals_for::<f64>(seed, 0, 7, 0, &mut z);
    let a = DMatrix::from_row_slice(m, m, &z[..m * m]);
    let s = &a * a.transpose() / m as f64 + DMatrix::identity(m, m) * 0.1;
    let sigma = (0..m)
        .map(|i| (0..m).map(|j| s[(i, j)]).collect())
        .collect();
    let mut x0 = vec![0.0; 2 * m * m];
    for k in 0..m * m {
        x0[k] = z[m * m + k] / (m as f64).sqrt();
    }
    (sigma, x0)
}

/// `sigma` as the fixed-size param array of a game with M = `N`.
fn fixed<const N: usize>(sigma: &[Vec<f64>]) -> [[f64; N]; N] {
    std::array::from_fn(|i| std::array::from_fn(|j| sigma[i][j]))
}

/// Spectral norm of a symmetric matrix (largest |eigenvalue|; NaN when the
/// bounded eigenvalue iteration fails).
fn sym_norm(a: DMatrix<f64>) -> f64 {
    symmetric_eigenvalues(&a, "symmetric matrix")
        .map_or(f64::NAN, |e| e.iter().fold(0.0f64, |m, v| m.max(v.abs())))
}

/// (||Sigma - V V^T||_2, ||(W + W^T)/2||_2) at a flat state (V, W).
fn distances(m: usize, sigma: &[Vec<f64>], x: &[f64]) -> (f64, f64) {
    let v = DMatrix::from_row_slice(m, m, &x[..m * m]);
    let w = DMatrix::from_row_slice(m, m, &x[m * m..]);
    let s = DMatrix::from_fn(m, m, |i, j| sigma[i][j]);
    (
        sym_norm(s - &v * v.transpose()),
        sym_norm((&w + w.transpose()) * 0.5),
    )
}

/// (k, ||Sigma - VV^T||, ||sym W||, V00, W00) at one recorded step.
type Rec = (f64, f64, f64, f64, f64);

struct Run {
    m: usize,
    /// Records of simultaneous play and of Stackelberg learning.
    sim: Vec<Rec>,
    stack: Vec<Rec>,
}

impl Run {
    /// The points `pick` takes from each record, for both dynamics: labels
    /// "`what` simultaneous" / "`what` Stackelberg", colours c and c + 2.
    fn both(&self, what: &str, c: usize, pick: impl Fn(&Rec) -> (f64, f64)) -> [Series; 2] {
        let label = |rule: &str| format!("{what} {rule}").trim().to_string();
        [
            Series::line(
                label("simultaneous"),
                self.sim.iter().map(&pick).collect(),
                c,
            ),
            Series::line(
                label("Stackelberg"),
                self.stack.iter().map(&pick).collect(),
                c + 2,
            ),
        ]
    }
}

fn run_m<G: Game + Clone>(
    game: G,
    m: usize,
    sigma: &[Vec<f64>],
    x0: &[f64],
    steps: u64,
    seed: u64,
) -> Result<Run, ExperimentError> {
    let (g1, g2) = schedules();
    let every = (steps / 2000).max(1);
    let rec = |path: Vec<(u64, Vec<f64>)>| {
        path.iter()
            .map(|(k, x)| {
                let (dv, dw) = distances(m, sigma, x);
                (*k as f64, dv, dw, x[0], x[m * m])
            })
            .collect::<Vec<_>>()
    };
    let sim = sampled_path(
        &game,
        Dynamics::simultaneous(g1).schedules(vec![g1, g2]),
        x0,
        steps,
        Noise::none(),
        seed,
        every,
    )?;
    let stack = sampled_path(
        &game,
        stackelberg_dynamics(),
        x0,
        steps,
        Noise::none(),
        seed,
        every,
    )?;
    Ok(Run {
        m,
        sim: rec(sim),
        stack: rec(stack),
    })
}

/// Runs the covariance experiment (figure 4) and returns its summary section.
pub fn run(cfg: &Config) -> Result<Section, ExperimentError> {
    let mut sec = Section::new("Covariance estimation, WGAN with a quadratic discriminator (paper 4.3 example 1, figure 4)");
    let steps = cfg.size(2_000, 20_000, 100_000);
    sec.setup = vec![
        "f(V, W) = sum_ij W_ij (Sigma_ij - sum_k V_ik V_jk); leader V (generator) minimises f, follower W (discriminator) minimises -f + eta/2 sum W_ij^2, eta = m/5.".into(),
        "gamma1 = 0.015 (1 - 1e-5)^k, gamma2 = 0.015 (1 - 1e-7)^k, deterministic; simultaneous gradient descent uses the same two step sizes.".into(),
        format!("Sigma = A A^T/m + 0.1 I with A standard normal, V0 = B/sqrt(m) with B standard normal, W0 = 0 (the paper does not give its Sigma or start); {steps} iterations."),
        "m = 3 and 9 are compiled in the unrolled form; m = 25 (1250 variables, D22f2 625 x 625) in the loop form, whose Stackelberg steps solve for the implicit map matrix-free (conjugate gradients on D22f2^T v, warm-started; no 625 x 625 block is formed). --quick runs m = 3 and 9 only.".into(),
    ];
    let sizes: &[usize] = if cfg.quick { &[3, 9] } else { &[3, 9, 25] };
    let mut runs = Vec::new();
    for &m in sizes {
        let (sigma, x0) = problem(m, cfg.seed + m as u64);
        let eta = m as f64 / 5.0;
        let run = match m {
            3 => {
                let sigma_m = fixed(&sigma);
                run_m(
                    Covariance3 {
                        sigma: sigma_m,
                        eta,
                    },
                    m,
                    &sigma,
                    &x0,
                    steps,
                    cfg.seed,
                )?
            }
            9 => {
                let sigma_m = fixed(&sigma);
                run_m(
                    Covariance9 {
                        sigma: sigma_m,
                        eta,
                    },
                    m,
                    &sigma,
                    &x0,
                    steps,
                    cfg.seed,
                )?
            }
            _ => {
                let sigma_m = fixed(&sigma);
                run_m(
                    Covariance25 {
                        sigma: sigma_m,
                        eta,
                    },
                    m,
                    &sigma,
                    &x0,
                    steps,
                    cfg.seed,
                )?
            }
        };
        runs.push(run);
    }
    let mut panels = Vec::new();
    for r in &runs {
        let mut p = Panel::new(
            format!("m = {}: distance to equilibrium", r.m),
            "iteration k",
            "norm",
        )
        .log_y();
        // series in the order sim, sim, Stackelberg, Stackelberg (colours 0-3)
        let [a, b] = r.both("||Sigma - VV^T||", 0, |t| (t.0, t.1));
        let [c, d] = r.both("||(W+W^T)/2||", 1, |t| (t.0, t.2));
        p.series.extend([a, c, b, d]);
        panels.push(p);
    }
    for r in &runs {
        let mut p = Panel::new(
            format!("m = {}: first entries over time", r.m),
            "iteration k",
            "value",
        );
        let [a, b] = r.both("V[0,0]", 0, |t| (t.0, t.3));
        let [c, d] = r.both("W[0,0]", 1, |t| (t.0, t.4));
        p.series.extend([a, c, b, d]);
        panels.push(p);
    }
    for r in &runs {
        let mut p = Panel::new(
            format!("m = {}: (V[0,0], W[0,0]) phase plane", r.m),
            "V[0,0]",
            "W[0,0]",
        );
        p.series.extend(r.both("", 0, |t| (t.3, t.4)));
        panels.push(p);
    }
    let fig = Figure::new(
        "Covariance estimation: simultaneous gradient descent vs Stackelberg learning",
        panels,
        2,
    );
    for f in fig.save(&cfg.out, "covariance")? {
        sec.figures
            .push(f.file_name().unwrap().to_string_lossy().into_owned());
    }
    // First recorded iteration from which both norms stay below `tol`.
    let tol = 1e-3;
    let settle = |v: &[(f64, f64, f64, f64, f64)]| -> Option<f64> {
        let mut at = None;
        for t in v {
            if t.1 < tol && t.2 < tol {
                at.get_or_insert(t.0);
            } else {
                at = None;
            }
        }
        at
    };
    let show = |o: Option<f64>| {
        o.map(|k| format!("{k:.0}"))
            .unwrap_or_else(|| format!("not within {steps}"))
    };
    for r in &runs {
        let (s, t) = (r.sim.last().unwrap(), r.stack.last().unwrap());
        let (ks, kt) = (settle(&r.sim), settle(&r.stack));
        sec.rows.push(
            Row::new(
                format!("m = {}: iterations until ||Sigma - VV^T|| and ||(W+W^T)/2|| stay below {tol}: simultaneous / Stackelberg", r.m),
                format!("{} / {}", show(ks), show(kt)),
            )
            .paper("Stackelberg converges in fewer iterations (figure 4)")
            .reference("Stackelberg settles first", kt.is_some() && ks.is_none_or(|ks| kt.unwrap() < ks))
            .note("simultaneous play spirals (rotational Jacobian); the Stackelberg field cancels the rotation"),
        );
        sec.rows.push(Row::new(
            format!(
                "m = {}: both norms after {steps} iterations, simultaneous / Stackelberg",
                r.m
            ),
            format!("({:.1e}, {:.1e}) / ({:.1e}, {:.1e})", s.1, s.2, t.1, t.2),
        ));
    }
    sec.data = serde_json::json!(runs
        .iter()
        .map(|r| serde_json::json!({"m": r.m, "simultaneous": r.sim, "stackelberg": r.stack}))
        .collect::<Vec<_>>());
    Ok(sec)
}
