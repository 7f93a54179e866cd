//! Is f32 enough for the paper's games? The precision audit of every game
//! (each block's f32 error against f64 over the experiment's box) and the
//! step at which an f32 study of each experiment's dynamics stalls
//! (`stackel::precision`).

use crate::common::ExperimentError;
use crate::games::{Covariance3, Duopoly, Torus, ZeroSumExample1};
use crate::summary::{Row, Section};
use crate::{covariance, duopoly, example1, torus, Config};
use stackel::dynamics::Dynamics;
use stackel::engine::Noise;
use stackel::equilibria::{grid_starts, ClassifyOptions, EquilibriumReport, Field, FindOptions};
use stackel::precision::{audit, stall_steps, AuditOptions, PrecisionAudit, StallReport};
use stackel::Game;
use std::f64::consts::PI;

/// Steps searched for a stall: far beyond any run.
const HORIZON: u64 = 1 << 50;

fn audit_row(a: &PrecisionAudit) -> Row {
    let w = a.worst().expect("the audit evaluated some block");
    Row::new(
        format!("{}: f32 error of the blocks", a.game),
        format!(
            "worst {} (at {}): p90 {:.1e} ({:.1} bits lost), max {:.1e} ({:.1} bits)",
            w.block,
            w.stats.worst_entry,
            w.stats.p90,
            w.stats.p90_bits(),
            w.stats.max,
            w.stats.max_bits()
        ),
    )
    .note(match a.cancellations.first() {
        Some(c) => format!(
            "{}; most cancelling: `{}` (median {:.1} bits, max {:.1})",
            a.trust(),
            c.text,
            c.median_bits,
            c.max_bits
        ),
        None => a.trust().to_string(),
    })
}

fn stall_row(game: &str, what: &str, r: &StallReport, steps: u64, a: &PrecisionAudit) -> Row {
    let measured = match r.first_stall() {
        Some((c, k)) => format!(
            "{} = {:.4} stalls at k = {k} (gamma_k x median step {:.2e} < ulp/2 = {:.1e})",
            c.coordinate, c.value, c.median_step, c.half_ulp
        ),
        None => format!("no coordinate stalls within {:.0e} steps", r.horizon as f64),
    };
    Row::new(format!("{game}, {what}: f32 stall"), measured).note(format!(
        "{steps} steps run by default: {}",
        a.trust_with(r, steps)
    ))
}

fn stable_point<G: Game>(
    g: &G,
    field: Field,
    lo: f64,
    hi: f64,
) -> Result<Vec<f64>, ExperimentError> {
    let rep = EquilibriumReport::find(
        g,
        field,
        &grid_starts(&[(lo, hi), (lo, hi)], 16),
        &FindOptions::default(),
        &ClassifyOptions::default(),
    )
    .map_err(|e| ExperimentError::Other(e.to_string()))?;
    // the stable point nearest the origin (inside the experiment's box)
    let stable = |c: &stackel::equilibria::Classification| match field {
        Field::Simultaneous => c.stable_simultaneous.is_yes(),
        _ => c.stable_stackelberg.is_yes(),
    };
    rep.points
        .iter()
        .filter(|c| stable(c))
        .min_by(|a, b| norm(&a.x).total_cmp(&norm(&b.x)))
        .map(|c| c.x.clone())
        .ok_or_else(|| ExperimentError::Other(format!("no stable point of {field:?} found")))
}

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum()
}

fn stalls<G: Game>(
    g: &G,
    dynamics: &Dynamics,
    noise: &Noise,
    x: &[f64],
) -> Result<StallReport, ExperimentError> {
    stall_steps(g, dynamics, noise, x, HORIZON).map_err(|e| ExperimentError::Other(e.to_string()))
}

fn audited<G: Game>(
    g: &G,
    lo: f64,
    hi: f64,
    samples: usize,
) -> Result<PrecisionAudit, ExperimentError> {
    let n = g.n();
    audit(
        g,
        &AuditOptions::new(vec![lo; n], vec![hi; n]).samples(samples),
    )
    .map_err(|e| ExperimentError::Other(e.to_string()))
}

/// Runs the audit and the stall analysis of the paper's games.
pub fn run(cfg: &Config) -> Result<Section, ExperimentError> {
    let samples = cfg.size(64, 512, 4096) as usize;
    let mut sec = Section::new("Precision: are f32 studies of the paper's games trustworthy?");
    sec.setup = vec![
        format!("Each block (D1f1 .. D22phi) and both fields (omega, omega_S) evaluated in f32 and in f64 at {samples} points uniform in the experiment's box, the point rounded to f32 first; error = |b32 - b64|_inf / |b64|_inf, bits lost = log2(error / 2^-24)."),
        "Verdict: trustworthy when every block keeps 16 of f32's 24 bits at the 90th percentile, marginal at 10 to 16, else untrustworthy; with a run length, also untrustworthy when the state stalls within the run.".into(),
        "Stall: coordinate i stops moving once gamma_i,k m_i < ulp_f32(x_i)/2, m_i the median of |g_i(x) + sigma_i z| (more than half the steps round to no change); analysed at the point each experiment converges to (for the deterministic covariance runs, at a start).".into(),
    ];

    let d = Duopoly::default();
    let a = audited(&d, 0.0, 90.0, samples)?;
    sec.rows.push(audit_row(&a));
    let noise = Noise::variance(duopoly::NOISE_VARIANCE);
    let k_duopoly = cfg.size(1_000, 10_000, 100_000);
    let (a0, c1, c2) = (d.a, d.c1, d.c2);
    let nash = [(a0 - 2.0 * c1 + c2) / 3.0, (a0 - 2.0 * c2 + c1) / 3.0];
    let q1s = (a0 - 2.0 * c1 + c2) / 2.0;
    let stack = [q1s, (a0 - c2 - q1s) / 2.0];
    let r = stalls(&d, &duopoly::nash_dynamics(), &noise, &nash)?;
    sec.rows.push(stall_row(
        "duopoly",
        "Nash dynamics at the Nash point",
        &r,
        k_duopoly,
        &a,
    ));
    let r = stalls(&d, &duopoly::stackelberg_dynamics(), &noise, &stack)?;
    sec.rows.push(stall_row(
        "duopoly",
        "Stackelberg dynamics at (46, 26)",
        &r,
        k_duopoly,
        &a,
    ));

    let t = Torus::default();
    let a = audited(&t, -PI, PI, samples)?;
    sec.rows.push(audit_row(&a));
    let noise = Noise::variance(torus::NOISE_VARIANCE);
    let k_torus = cfg.size(1_000, 5_000, 50_000);
    let x = stable_point(&t, Field::Simultaneous, -PI, PI)?;
    let r = stalls(&t, &torus::nash_dynamics(), &noise, &x)?;
    sec.rows.push(stall_row(
        "torus",
        "Nash dynamics at a stable Nash point",
        &r,
        k_torus,
        &a,
    ));
    let x = stable_point(&t, Field::STACKELBERG, -PI, PI)?;
    let r = stalls(&t, &torus::stackelberg_dynamics(), &noise, &x)?;
    sec.rows.push(stall_row(
        "torus",
        "Stackelberg dynamics at a stable Stackelberg point",
        &r,
        k_torus,
        &a,
    ));

    let e = ZeroSumExample1::default();
    let a = audited(&e, -example1::BOX, example1::BOX, samples)?;
    sec.rows.push(audit_row(&a));
    let x = stable_point(&e, Field::Simultaneous, -example1::BOX, example1::BOX)?;
    let r = stalls(
        &e,
        &example1::noisy_dynamics(),
        &Noise::variance(example1::NOISE_VARIANCE),
        &x,
    )?;
    sec.rows.push(stall_row(
        "example 1",
        "noisy simultaneous play at a stable point",
        &r,
        cfg.size(1_000, 5_000, 50_000),
        &a,
    ));

    let c = Covariance3::default();
    let a = audited(&c, -1.0, 1.0, samples)?;
    sec.rows.push(audit_row(&a));
    let mut x0 = vec![0.0; Covariance3::N];
    for i in 0..3 {
        x0[i * 3 + i] = 0.5;
    }
    let r = stalls(&c, &covariance::stackelberg_dynamics(), &Noise::none(), &x0)?;
    sec.rows.push(stall_row(
        "covariance m = 3",
        "Stackelberg dynamics from V = I/2, W = 0",
        &r,
        cfg.size(2_000, 20_000, 100_000),
        &a,
    ));
    Ok(sec)
}
