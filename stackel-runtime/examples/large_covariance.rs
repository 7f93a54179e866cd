//! Measures the matrix-free Stackelberg path on the covariance game at
//! growing m (d1 = d2 = m^2), against the dense path, in one process:
//!
//! 1. one two-timescale Stackelberg step (f64, one trajectory): dense (LU on
//!    the d2 x d2 block D22 f2 + eta I, the d2 x d1 block D21 f2 formed) vs
//!    matrix-free (5 warm-started CG iterations, truncated: the paper's
//!    appendix C), at m = 3, 5, 9, 15, 25, 40, and the fitted growth
//!    exponent p of step time ~ m^p;
//! 2. the extreme real parts of spec(J_S) by Arnoldi through operators vs
//!    dense nalgebra eigenvalues of the formed J_S (the bounded routine of
//!    `classify`), at m = 9 and 25, at a random point and at an equilibrium
//!    (there also vs the closed form).
//!
//! Run: `cargo run --release -p stackel-runtime --example large_covariance`.
//! Times vary with the machine; the ratios are what this prints for.

use std::time::Instant;

use nalgebra::DMatrix;
use stackel_runtime::blocks::Workspace;
use stackel_runtime::dynamics::{self, Dynamics, FollowerSolver, StepInputs, StepScratch};
use stackel_runtime::equilibria::{arnoldi_extremes, eigenvalues, ExtremeOptions, GameOperators};
use stackel_runtime::game::Game;
use stackel_runtime::schedule::Schedule;
use stackel_testkit::twins::CovarianceM;

/// Deterministic uniforms in [-1, 1).
fn uniforms(seed: u64, count: usize) -> Vec<f64> {
    stackel_testkit::unit_point(count, seed)
}

/// A game with a random SPD sigma and a point with random V, small W.
fn setup<const M: usize>() -> (CovarianceM<M>, Vec<f64>) {
    let a = DMatrix::from_vec(M, M, uniforms(M as u64, M * M));
    let sigma = &a * a.transpose() / M as f64 + DMatrix::identity(M, M);
    let g = CovarianceM::<M>::new(sigma.as_slice().to_vec(), 0.6);
    let mut x = uniforms(M as u64 + 1, 2 * M * M);
    for w in &mut x[M * M..] {
        *w *= 0.1;
    }
    (g, x)
}

/// Seconds per step of `dynamics` on game `g` from `x` (repeated until 0.3 s
/// have passed, at least 3 steps).
fn time_step<G: Game>(g: &G, dynamics: &Dynamics, x0: &[f64]) -> f64 {
    let n = g.n();
    let mut s = StepScratch::<f64>::for_dynamics(g, dynamics);
    let (zeros, angle) = (vec![0.0; n], vec![false; n]);
    let mut gains = vec![0.0; n];
    dynamics.gains(0, &[g.d1(), g.d2()], &mut gains);
    let mut x = x0.to_vec();
    let mut step = |k: u64, x: &mut [f64]| {
        let inp = StepInputs {
            k,
            gains: &gains,
            sigma: &zeros,
            z: &zeros,
            angle: &angle,
            eta: dynamics.eta,
            adam: None,
        };
        let e = dynamics::step(g, dynamics, &inp, x, None, &mut s);
        assert_eq!(e, dynamics::StepEvent::Ok);
    };
    step(0, &mut x); // warm-up (and the first warm start)
    let t = Instant::now();
    let mut reps = 0u64;
    while reps < 3 || t.elapsed().as_secs_f64() < 0.3 {
        step(reps + 1, &mut x);
        reps += 1;
    }
    t.elapsed().as_secs_f64() / reps as f64
}

fn steps<const M: usize>(rows: &mut Vec<(usize, f64, f64)>) {
    let (g, x) = setup::<M>();
    let base = Dynamics::two_timescale(
        Schedule::inverse_power(0.01).offset(10.0).exponent(1.0),
        Schedule::inverse_power(0.05)
            .offset(10.0)
            .exponent(2.0 / 3.0),
    );
    let dense = base.clone().follower_solver(FollowerSolver::Dense);
    let paper = base.follower_solver(
        FollowerSolver::conjugate_gradient(5)
            .warm_start(true)
            .truncated(true),
    );
    let td = time_step(&g, &dense, &x);
    let tm = time_step(&g, &paper, &x);
    println!(
        "m = {M:>2}  d1 = d2 = {:>4}   dense {:>11.3e} s   matrix-free {:>11.3e} s   dense / matrix-free = {:>9.1}",
        M * M,
        td,
        tm,
        td / tm
    );
    rows.push((M, td, tm));
}

/// Least-squares slope of log t against log m.
fn exponent(ms: &[usize], ts: &[f64]) -> f64 {
    let xs: Vec<f64> = ms.iter().map(|m| (*m as f64).ln()).collect();
    let ys: Vec<f64> = ts.iter().map(|t| t.ln()).collect();
    let k = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / k, ys.iter().sum::<f64>() / k);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    sxy / sxx
}

/// The extreme real parts of spec(J_S) at `x`: Arnoldi through operators,
/// against the dense spectrum of the formed J_S (the bounded routine that
/// `classify` uses) and, when given, against the closed form `exact`.
fn spectra<const M: usize>(g: &CovarianceM<M>, x: &[f64], label: &str, exact: Option<(f64, f64)>) {
    let n = g.n();
    let t = Instant::now();
    let mut ops = GameOperators::new(g, x, 0.0);
    let opts = ExtremeOptions {
        k: 2,
        ..Default::default()
    };
    let e = arnoldi_extremes(n, |v, o| ops.stackelberg_jacobian(v, o), &opts);
    let tm = t.elapsed().as_secs_f64();
    println!(
        "m = {M:>2}  n = {n:>4}  {label}: Arnoldi [{:.10e}, {:.10e}] in {tm:.3e} s ({} products, converged {})",
        e.min_re(),
        e.max_re(),
        e.applications,
        e.converged,
    );
    assert!(e.converged, "Arnoldi did not converge");
    if let Some((lo, hi)) = exact {
        let err = (e.min_re() - lo).abs().max((e.max_re() - hi).abs()) / hi.abs();
        println!("    closed form [{lo:.10e}, {hi:.10e}]: relative difference {err:.1e}");
        assert!(err < 1e-8, "Arnoldi disagrees with the closed form");
    }
    let t = Instant::now();
    let mut ws = Workspace::<f64>::new(g);
    let mut js = vec![0.0; n * n];
    ws.stackelberg_jacobian(g, x, 0.0, &mut js).unwrap();
    let dense = eigenvalues(&DMatrix::from_row_slice(n, n, &js), "J_S");
    let td = t.elapsed().as_secs_f64();
    match dense {
        Ok(dense) => {
            let scale = dense.iter().fold(0.0f64, |s, v| s.max(v.re.hypot(v.im)));
            let (lo, hi) = (dense[0].re, dense[n - 1].re);
            let err = (e.min_re() - lo).abs().max((e.max_re() - hi).abs()) / scale;
            println!(
                "    dense nalgebra [{lo:.10e}, {hi:.10e}] in {td:.3e} s: relative difference {err:.1e}; dense / Arnoldi time = {:.1}",
                td / tm
            );
            assert!(err < 1e-8, "Arnoldi disagrees with the dense spectrum");
        }
        Err(err) => println!(
            "    dense nalgebra: {err} after {td:.3e} s (dense / Arnoldi time > {:.1})",
            td / tm
        ),
    }
}

/// CovarianceM at the equilibrium V = Q (orthogonal), Sigma = I, W = 0 and
/// the closed-form extremes of spec(J_S) = {0, eta, roots of
/// t^2 - (4/eta + eta) t + 8} (see the runtime test mf_spectra).
fn equilibrium<const M: usize>() -> (CovarianceM<M>, Vec<f64>, (f64, f64)) {
    let eta = 0.6;
    let g = CovarianceM::<M>::new(DMatrix::<f64>::identity(M, M).as_slice().to_vec(), eta);
    let q = DMatrix::from_vec(M, M, uniforms(5, M * M)).qr().q();
    let mut x = vec![0.0; 2 * M * M];
    for a in 0..M {
        for b in 0..M {
            x[a * M + b] = q[(a, b)];
        }
    }
    let s = 4.0 / eta + eta;
    (g, x, (0.0, (s + (s * s - 32.0).sqrt()) / 2.0))
}

fn main() {
    println!("One two-timescale Stackelberg step of CovarianceM (f64), dense LU vs 5 warm-started CG iterations:");
    let mut rows = Vec::new();
    steps::<3>(&mut rows);
    steps::<5>(&mut rows);
    steps::<9>(&mut rows);
    steps::<15>(&mut rows);
    steps::<25>(&mut rows);
    steps::<40>(&mut rows);
    let ms: Vec<usize> = rows.iter().map(|r| r.0).collect();
    let (td, tm): (Vec<f64>, Vec<f64>) = rows.iter().map(|r| (r.1, r.2)).unzip();
    let big = ms.iter().position(|m| *m >= 9).unwrap_or(0);
    println!(
        "fitted step time ~ m^p over m = {:?}: dense p = {:.2}, matrix-free p = {:.2} (m >= 9: dense {:.2}, matrix-free {:.2})",
        ms,
        exponent(&ms, &td),
        exponent(&ms, &tm),
        exponent(&ms[big..], &td[big..]),
        exponent(&ms[big..], &tm[big..]),
    );
    println!("Extreme real parts of spec(J_S), Arnoldi through operators vs dense nalgebra:");
    let (g, x) = setup::<9>();
    spectra(&g, &x, "random point", None);
    let (g, x, exact) = equilibrium::<9>();
    spectra(&g, &x, "equilibrium", Some(exact));
    let (g, x, exact) = equilibrium::<25>();
    spectra(&g, &x, "equilibrium", Some(exact));
    let (g, x) = setup::<25>();
    spectra(&g, &x, "random point", None);
}
