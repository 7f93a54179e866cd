//! The duopoly's learning dynamics (paper 4.1) against exact moments: with
//! affine fields x <- x - G_k (A x - b + w_k) the mean and covariance of x_K
//! follow m <- m - G (A m - b), C <- M C M^T + G S G (M = I - G A), so the
//! sample moments of many trajectories must match them within a few
//! standard errors.

use stackel_runtime::dynamics::Dynamics;
use stackel_runtime::engine::{Init, Noise, Study};
use stackel_runtime::record::{Fate, Record};
use stackel_runtime::schedule::{Optimizer, Schedule};
use stackel_testkit::twins::Duopoly;

const K0: f64 = 11.0;

/// Exact mean and covariance after `steps` steps from (10, 10).
fn exact_moments(
    a: [[f64; 2]; 2],
    b: [f64; 2],
    sched: [Schedule; 2],
    var: f64,
    steps: u64,
) -> ([f64; 2], [[f64; 2]; 2]) {
    let mut m = [10.0, 10.0];
    let mut c = [[0.0; 2]; 2];
    for k in 0..steps {
        let g = [sched[0].gamma(k), sched[1].gamma(k)];
        let f = [
            a[0][0] * m[0] + a[0][1] * m[1] - b[0],
            a[1][0] * m[0] + a[1][1] * m[1] - b[1],
        ];
        m = [m[0] - g[0] * f[0], m[1] - g[1] * f[1]];
        let mm = [
            [1.0 - g[0] * a[0][0], -g[0] * a[0][1]],
            [-g[1] * a[1][0], 1.0 - g[1] * a[1][1]],
        ];
        let mut nc = [[0.0; 2]; 2];
        for i in 0..2 {
            for j in 0..2 {
                for p in 0..2 {
                    for q in 0..2 {
                        nc[i][j] += mm[i][p] * c[p][q] * mm[j][q];
                    }
                }
            }
            nc[i][i] += g[i] * g[i] * var;
        }
        c = nc;
    }
    (m, c)
}

fn check(result: &stackel_runtime::StudyResult, m: [f64; 2], c: [[f64; 2]; 2], tol_sd: f64) {
    let s = &result.summary;
    assert_eq!(s.finished, s.trajectories);
    let n = s.finished as f64;
    for i in 0..2 {
        let se = (c[i][i] / n).sqrt();
        let z = (s.mean[i] - m[i]) / se;
        assert!(
            z.abs() < tol_sd,
            "coordinate {i}: mean {} exact {} z {z}",
            s.mean[i],
            m[i]
        );
        // sample variance: relative standard error about sqrt(2 / n)
        let rel = s.covariance[i * 2 + i] / c[i][i] - 1.0;
        assert!(
            rel.abs() < tol_sd * (2.0 / n).sqrt(),
            "coordinate {i}: variance ratio {rel}"
        );
    }
}

#[test]
fn two_timescale_stackelberg_ends_at_stackelberg_equilibrium() {
    let g = Duopoly::default();
    let sched = [
        Schedule::inverse_power(1.0).offset(K0).exponent(1.0),
        Schedule::inverse_power(1.0).offset(K0).exponent(2.0 / 3.0),
    ];
    let steps = 2000;
    let r = Study::new(g, Dynamics::two_timescale(sched[0], sched[1]))
        .trajectories(1500)
        .steps(steps)
        .noise(Noise::variance(10.0))
        .init(Init::Point(vec![10.0, 10.0]))
        .seed(1)
        .run::<f64>()
        .unwrap();
    assert!(r.warnings.is_empty());
    // omega_S = (1.5 q1 + q2 - 95, q1 + 2 q2 - 98)
    let (m, c) = exact_moments([[1.5, 1.0], [1.0, 2.0]], [95.0, 98.0], sched, 10.0, steps);
    check(&r, m, c, 5.0);
    let eq = g.stackelberg();
    assert!(
        (m[0] - eq[0]).abs() < 0.2 && (m[1] - eq[1]).abs() < 0.2,
        "{m:?}"
    );
    assert!((r.summary.mean[0] - 46.0).abs() < 0.3 && (r.summary.mean[1] - 26.0).abs() < 0.3);
}

#[test]
fn simultaneous_play_ends_at_nash_equilibrium() {
    let g = Duopoly::default();
    let s = Schedule::inverse_power(1.0).offset(K0).exponent(1.0);
    let steps = 2000;
    for f32_run in [false, true] {
        let study = Study::new(g, Dynamics::simultaneous(s))
            .trajectories(1500)
            .steps(steps)
            .noise(Noise::variance(10.0))
            .init(Init::Point(vec![10.0, 10.0]))
            .seed(2);
        let r = if f32_run {
            study.run::<f32>()
        } else {
            study.run::<f64>()
        }
        .unwrap();
        let (m, c) = exact_moments([[2.0, 1.0], [1.0, 2.0]], [95.0, 98.0], [s, s], 10.0, steps);
        check(&r, m, c, 5.0);
        let eq = g.nash();
        assert!(
            (r.summary.mean[0] - eq[0]).abs() < 0.3,
            "{:?}",
            r.summary.mean
        );
        assert!(
            (r.summary.mean[1] - eq[1]).abs() < 0.3,
            "{:?}",
            r.summary.mean
        );
    }
}

#[test]
fn best_response_follower_sits_on_implicit_map() {
    let g = Duopoly::default();
    let r = Study::new(
        g,
        Dynamics::best_response(Schedule::inverse_power(1.0).offset(K0).exponent(1.0)),
    )
    .trajectories(64)
    .steps(2000)
    .noise(Noise::variance(10.0))
    .init(Init::Box {
        lo: vec![0.0, 0.0],
        hi: vec![80.0, 80.0],
    })
    .run::<f64>()
    .unwrap();
    assert_eq!(r.summary.newton_failures, 0);
    for i in 0..64 {
        let x = r.final_state(i);
        // r(q1) = (a - c2 - q1) / 2
        assert!((x[1] - (98.0 - x[0]) / 2.0).abs() < 1e-9);
    }
    // leader: Df1 at (q1, r(q1)) is q1 - 46, so q1 <- q1 - g (q1 - 46 + w):
    // exact mean and variance of the uniform start on [0, 80] by recursion
    let (mut m, mut v) = (40.0, 80.0f64 * 80.0 / 12.0);
    for k in 0..2000 {
        let g = 1.0 / (k as f64 + K0);
        m -= g * (m - 46.0);
        v = (1.0 - g) * (1.0 - g) * v + g * g * 10.0;
    }
    let z = (r.summary.mean[0] - m) / (v / 64.0).sqrt();
    assert!(z.abs() < 5.0, "z = {z}");
    assert!((m - 46.0).abs() < 0.05);
}

#[test]
fn lola_reaches_its_closed_form_fixed_point() {
    // constant steps g1, g2: fixed point of (2q1 + q2 - 95 - g2 q1, q1 + 2 q2 - 98)
    let (g1, g2) = (0.05, 0.2);
    let r = Study::new(
        Duopoly::default(),
        Dynamics::lola(Schedule::constant(g1), Schedule::constant(g2)),
    )
    .trajectories(3)
    .steps(4000)
    .init(Init::List(vec![
        vec![0.0, 0.0],
        vec![60.0, 5.0],
        vec![10.0, 90.0],
    ]))
    .run::<f64>()
    .unwrap();
    // (2 - g2) q1 + q2 = 95, q1 + 2 q2 = 98
    let det = (2.0 - g2) * 2.0 - 1.0;
    let q1 = (95.0 * 2.0 - 98.0) / det;
    let q2 = ((2.0 - g2) * 98.0 - 95.0) / det;
    for i in 0..3 {
        let x = r.final_state(i);
        assert!(
            (x[0] - q1).abs() < 1e-9 && (x[1] - q2).abs() < 1e-9,
            "{x:?} vs {q1} {q2}"
        );
    }
}

#[test]
fn adam_without_noise_converges_to_nash() {
    let g = Duopoly::default();
    let r = Study::new(
        g,
        Dynamics::simultaneous(Schedule::geometric(0.5, 0.999)).optimizer(Optimizer::adam()),
    )
    .trajectories(4)
    .steps(6000)
    .init(Init::Gaussian {
        mean: vec![20.0, 20.0],
        std: vec![5.0, 5.0],
    })
    .run::<f64>()
    .unwrap();
    let eq = g.nash();
    for i in 0..4 {
        let x = r.final_state(i);
        assert!(
            (x[0] - eq[0]).abs() < 1e-3 && (x[1] - eq[1]).abs() < 1e-3,
            "{x:?}"
        );
    }
}

#[test]
fn diverging_trajectories_are_stopped_and_excluded() {
    // gamma = 1.2 > 2 / lambda_max(A) = 2/3: simultaneous play blows up.
    let r = Study::new(
        Duopoly::default(),
        Dynamics::simultaneous(Schedule::constant(1.2)),
    )
    .trajectories(10)
    .steps(500)
    .divergence_bound(1e6)
    .init(Init::Point(vec![10.0, 10.0]))
    .run::<f64>()
    .unwrap();
    assert_eq!(r.summary.diverged, 10);
    assert_eq!(r.summary.finished, 0);
    assert!(r.summary.mean.is_empty());
    for f in &r.fates {
        match f {
            Fate::Diverged { step } => assert!(*step > 5 && *step < 500),
            other => panic!("{other:?}"),
        }
    }
    // without the bound they run until overflow to infinity
    let r = Study::new(
        Duopoly::default(),
        Dynamics::simultaneous(Schedule::constant(1.2)),
    )
    .trajectories(2)
    .steps(5000)
    .divergence_bound(f64::INFINITY)
    .init(Init::Point(vec![10.0, 10.0]))
    .run::<f64>()
    .unwrap();
    assert_eq!(r.summary.non_finite, 2);
    assert!(r.final_states.iter().all(|v| v.is_finite()));
}

#[test]
fn lock_in_agrees_with_recorded_paths() {
    let steps = 400;
    let eps = 3.0;
    let r = Study::new(
        Duopoly::default(),
        Dynamics::two_timescale(
            Schedule::inverse_power(1.0).offset(K0).exponent(1.0),
            Schedule::inverse_power(1.0).offset(K0).exponent(2.0 / 3.0),
        ),
    )
    .trajectories(40)
    .steps(steps)
    .noise(Noise::variance(10.0))
    .init(Init::Box {
        lo: vec![30.0, 10.0],
        hi: vec![60.0, 40.0],
    })
    .record(
        Record::finals()
            .paths(1, None)
            .target(vec![46.0, 26.0], eps, 50),
    )
    .run::<f64>()
    .unwrap();
    let d = r.distance.as_ref().unwrap();
    assert_eq!(d.steps, vec![0, 50, 100, 150, 200, 250, 300, 350, 400]);
    let mut within = vec![0u64; d.steps.len()];
    for (j, p) in r.paths.iter().enumerate() {
        assert_eq!(p.steps.len() as u64, steps + 1);
        let dist: Vec<f64> = (0..=steps as usize)
            .map(|t| {
                ((p.states[2 * t] - 46.0).powi(2) + (p.states[2 * t + 1] - 26.0).powi(2)).sqrt()
            })
            .collect();
        let expect = (0..=steps).find(|&t| dist[t as usize..].iter().all(|&v| v <= eps));
        assert_eq!(r.lock_in[j], expect, "trajectory {j}");
        for (i, &t) in d.steps.iter().enumerate() {
            within[i] += (dist[t as usize] <= eps) as u64;
        }
    }
    assert_eq!(within, d.within);
    assert!(d.fraction_within()[8] > 0.9);
    assert!(d.mean()[8] < d.mean()[0]);
}
