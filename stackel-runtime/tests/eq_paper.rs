//! The paper's games: equilibria found by `equilibria::find_critical_points`,
//! classified by `equilibria::classify`, and checked against closed forms
//! and independent computations (global best responses, finite differences).

use std::f64::consts::PI;

use stackel_runtime::equilibria::{
    classify, find_critical_points, grid_starts, max_state_distance, wrap_angle, EquilibriumReport,
    Field, FindOptions, Verdict,
};
use stackel_runtime::Game;
use stackel_testkit::twins::{Duopoly, Torus, ZeroSumExample1};

#[test]
fn duopoly_nash_and_stackelberg_are_found_and_classified() {
    let g = Duopoly::default();
    let starts = grid_starts(&[(0.0, 100.0), (0.0, 100.0)], 4);
    let opts = FindOptions::default();
    let nash =
        EquilibriumReport::find(&g, Field::Simultaneous, &starts, &opts, &Default::default())
            .unwrap();
    assert_eq!(nash.points.len(), 1, "{nash}");
    assert_eq!(nash.hits, vec![16]);
    let p = &nash.points[0];
    assert!((p.x[0] - 92.0 / 3.0).abs() < 1e-9 && (p.x[1] - 101.0 / 3.0).abs() < 1e-9);
    assert_eq!(p.differential_nash, Verdict::Yes);
    assert_eq!(p.stable_simultaneous, Verdict::Yes);
    assert_eq!(p.differential_stackelberg, Verdict::No);
    assert_eq!(p.non_nash_attractor, Verdict::No);
    // costs are minus the profits (a - q1 - q2 - c_i) q_i
    let (q1, q2) = (92.0 / 3.0, 101.0 / 3.0);
    assert!((p.costs[0] + (100.0 - q1 - q2 - 5.0) * q1).abs() < 1e-9);
    assert!((p.costs[1] + (100.0 - q1 - q2 - 2.0) * q2).abs() < 1e-9);
    assert!((p.costs[0] + 940.44).abs() < 0.01 && (p.costs[1] + 1133.44).abs() < 0.01);

    let st = EquilibriumReport::find(&g, Field::STACKELBERG, &starts, &opts, &Default::default())
        .unwrap();
    assert_eq!(st.points.len(), 1, "{st}");
    let p = &st.points[0];
    assert!((p.x[0] - 46.0).abs() < 1e-9 && (p.x[1] - 26.0).abs() < 1e-9);
    assert_eq!(p.differential_stackelberg, Verdict::Yes);
    assert_eq!(p.stable_stackelberg, Verdict::Yes);
    assert_eq!(p.differential_nash, Verdict::No);
    assert!((p.costs[0] + 1058.0).abs() < 1e-9 && (p.costs[1] + 676.0).abs() < 1e-9);
    // J_S = [[1.5, 1], [1, 2]]: eigenvalues (7 +- sqrt(17)) / 4; Stackelberg
    // Hessian d^2/dq1^2 f1(q1, r(q1)) = 1.
    let js = p.spectra.j_s.as_ref().unwrap();
    assert!((js[0].re - (7.0 - 17f64.sqrt()) / 4.0).abs() < 1e-12);
    assert!((js[1].re - (7.0 + 17f64.sqrt()) / 4.0).abs() < 1e-12);
    assert!((p.spectra.stackelberg_hessian.as_ref().unwrap()[0] - 1.0).abs() < 1e-12);
}

/// Follower's global best response on the torus: f2 = -|c| cos(th2 - arg c)
/// with c = alpha2 e^{i phi2} - e^{i th1}, so BR2(th1) = arg c (and likewise
/// for the leader).
fn best_response(alpha: f64, phi: f64, other: f64) -> f64 {
    (alpha * phi.sin() - other.sin()).atan2(alpha * phi.cos() - other.cos())
}

/// Nash equilibria as fixed points of th1 = BR1(BR2(th1)) and Stackelberg
/// equilibria as local minima of th1 -> f1(th1, BR2(th1)), both by a fine
/// scan of th1 and bisection / golden-section refinement.
fn torus_equilibria_by_best_responses(t: &Torus) -> (Vec<[f64; 2]>, Vec<[f64; 2]>) {
    let br2 = |th1: f64| best_response(t.alpha[1], t.phi[1], th1);
    let br1 = |th2: f64| best_response(t.alpha[0], t.phi[0], th2);
    let gap = |th1: f64| wrap_angle(br1(br2(th1)) - th1);
    let reduced = |th1: f64| t.leader_cost(&[th1, br2(th1)]);
    let n = 4000;
    let at = |k: usize| -PI + 2.0 * PI * k as f64 / n as f64;
    let mut nash = Vec::new();
    let mut stack = Vec::new();
    for k in 0..n {
        let (a, b) = (at(k), at(k + 1));
        let (ga, gb) = (gap(a), gap(b));
        // a sign change of the continuous branch (not a jump of the wrap)
        if ga * gb <= 0.0 && ga.abs() < 1.0 && gb.abs() < 1.0 {
            let (mut lo, mut hi) = (a, b);
            for _ in 0..200 {
                let m = 0.5 * (lo + hi);
                if gap(lo) * gap(m) <= 0.0 {
                    hi = m
                } else {
                    lo = m
                }
            }
            let th1 = 0.5 * (lo + hi);
            nash.push([th1, br2(th1)]);
        }
        let c = at(k + 1);
        if reduced(c) < reduced(at(k)) && reduced(c) < reduced(at(k + 2)) {
            let (mut lo, mut hi) = (at(k), at(k + 2));
            let r = (5f64.sqrt() - 1.0) / 2.0;
            for _ in 0..200 {
                let (m1, m2) = (hi - r * (hi - lo), lo + r * (hi - lo));
                if reduced(m1) < reduced(m2) {
                    hi = m2
                } else {
                    lo = m1
                }
            }
            let th1 = wrap_angle(0.5 * (lo + hi));
            stack.push([th1, br2(th1)]);
        }
    }
    (nash, stack)
}

fn same_set(found: &[Vec<f64>], reference: &[[f64; 2]], tol: f64) -> bool {
    found.len() == reference.len()
        && reference.iter().all(|r| {
            found
                .iter()
                .any(|x| max_state_distance(x, r, &[true, true]) < tol)
        })
}

#[test]
fn torus_has_the_papers_two_nash_and_two_stackelberg_equilibria() {
    let t = Torus::default();
    let (nash_ref, stack_ref) = torus_equilibria_by_best_responses(&t);
    assert_eq!(nash_ref.len(), 2, "{nash_ref:?}");
    assert_eq!(stack_ref.len(), 2, "{stack_ref:?}");

    let starts = grid_starts(&[(-PI, PI), (-PI, PI)], 12);
    let opts = FindOptions::default();
    let sim = EquilibriumReport::find(&t, Field::Simultaneous, &starts, &opts, &Default::default())
        .unwrap();
    // every found point lies in [-pi, pi)^2
    assert!(sim
        .points
        .iter()
        .all(|p| p.x.iter().all(|v| (-PI..PI).contains(v))));
    let nash: Vec<Vec<f64>> = sim
        .points
        .iter()
        .filter(|p| p.differential_nash == Verdict::Yes)
        .map(|p| p.x.clone())
        .collect();
    assert!(
        same_set(&nash, &nash_ref, 1e-8),
        "{sim}\nreference {nash_ref:?}"
    );
    let st = EquilibriumReport::find(&t, Field::STACKELBERG, &starts, &opts, &Default::default())
        .unwrap();
    let stack: Vec<Vec<f64>> = st
        .points
        .iter()
        .filter(|p| p.differential_stackelberg == Verdict::Yes)
        .map(|p| p.x.clone())
        .collect();
    assert!(
        same_set(&stack, &stack_ref, 1e-8),
        "{st}\nreference {stack_ref:?}"
    );

    // The paper (4.2), to its two decimals: Nash (-0.78, 1.18), (1.57, -0.4)
    // with costs (-0.77, -1.3); Stackelberg (-0.53, 1.25), (1.31, -0.46) with
    // costs (-0.81, -1.05); "each equilibrium is a stable equilibrium".
    let paper_nash = [[-0.78, 1.18], [1.57, -0.40]];
    let paper_stack = [[-0.53, 1.25], [1.31, -0.46]];
    for (pts, paper, costs, stable) in [
        (&sim, paper_nash, [-0.77, -1.3], true),
        (&st, paper_stack, [-0.81, -1.05], false),
    ] {
        for q in paper {
            let p = pts
                .points
                .iter()
                .find(|p| max_state_distance(&p.x, &q, &[true, true]) < 0.01)
                .unwrap_or_else(|| panic!("no equilibrium near {q:?}:\n{pts}"));
            assert!((p.costs[0] - costs[0]).abs() < 0.01 && (p.costs[1] - costs[1]).abs() < 0.01);
            if stable {
                assert_eq!(p.stable_simultaneous, Verdict::Yes);
            } else {
                assert_eq!(p.stable_stackelberg, Verdict::Yes);
            }
        }
    }
    // the leader gains from moving first
    let leader_nash = sim
        .points
        .iter()
        .find(|p| p.differential_nash.is_yes())
        .unwrap()
        .costs[0];
    let leader_stack = st
        .points
        .iter()
        .find(|p| p.differential_stackelberg.is_yes())
        .unwrap()
        .costs[0];
    assert!(leader_stack < leader_nash);
}

#[test]
fn angle_players_are_deduplicated_across_the_seam() {
    let t = Torus::default();
    // starts around one Nash equilibrium shifted by whole turns
    let (nash_ref, _) = torus_equilibria_by_best_responses(&t);
    let q = nash_ref[0];
    let starts: Vec<Vec<f64>> = [-2.0, 0.0, 2.0]
        .iter()
        .map(|k| vec![q[0] + k * PI + 1e-3, q[1] - k * PI])
        .collect();
    let found =
        find_critical_points(&t, Field::Simultaneous, &starts, &FindOptions::default()).unwrap();
    assert_eq!(found.points.len(), 1, "{found:?}");
    assert_eq!(found.points[0].hits, 3);
    assert!(max_state_distance(&found.points[0].x, &q, &[true, true]) < 1e-8);
}

/// Central second differences of the zero-sum cost f at x.
fn fd_hessian(g: &ZeroSumExample1, x: [f64; 2], h: f64) -> [[f64; 2]; 2] {
    let f = |a: f64, b: f64| g.leader_cost(&[a, b]);
    let fxx = (f(x[0] + h, x[1]) - 2.0 * f(x[0], x[1]) + f(x[0] - h, x[1])) / (h * h);
    let fyy = (f(x[0], x[1] + h) - 2.0 * f(x[0], x[1]) + f(x[0], x[1] - h)) / (h * h);
    let fxy = (f(x[0] + h, x[1] + h) - f(x[0] + h, x[1] - h) - f(x[0] - h, x[1] + h)
        + f(x[0] - h, x[1] - h))
        / (4.0 * h * h);
    [[fxx, fxy], [fxy, fyy]]
}

#[test]
fn zero_sum_example_1_has_non_nash_attractors_that_are_differential_stackelberg() {
    let g = ZeroSumExample1::default();
    let starts = grid_starts(&[(-6.0, 6.0), (-6.0, 6.0)], 13);
    let sim = EquilibriumReport::find(
        &g,
        Field::Simultaneous,
        &starts,
        &FindOptions::default(),
        &Default::default(),
    )
    .unwrap();
    let attractors: Vec<_> = sim
        .points
        .iter()
        .filter(|p| {
            p.non_nash_attractor == Verdict::Yes && p.differential_stackelberg == Verdict::Yes
        })
        .collect();
    assert!(attractors.len() >= 2, "{sim}");
    for p in &attractors {
        // independent check by finite differences of f: J = [[fxx, fxy],
        // [-fxy, -fyy]] has positive trace and determinant (stable), the
        // leader's fxx is not > 0 (non-Nash) while -fyy > 0, and the Schur
        // complement fxx - fxy^2 / fyy is > 0 (differential Stackelberg).
        let [[fxx, fxy], [_, fyy]] = fd_hessian(&g, [p.x[0], p.x[1]], 1e-4);
        assert!(fxx - fyy > 0.0 && -fxx * fyy + fxy * fxy > 0.0, "{p:?}");
        assert!(fxx < 0.0 && -fyy > 0.0, "{p:?}");
        assert!(fxx - fxy * fxy / fyy > 0.0, "{p:?}");
        let schur = p.spectra.stackelberg_hessian.as_ref().unwrap()[0];
        assert!((schur - (fxx - fxy * fxy / fyy)).abs() < 1e-5 * (1.0 + schur.abs()));
        // and they are stable critical points of the Stackelberg dynamics too
        // (Corollary 1); Df1 = 0 there since D2 f1 = -D2 f2 = 0.
        let c = classify(&g, &p.x, &Default::default()).unwrap();
        assert_eq!(c.stable_stackelberg, Verdict::Yes);
    }
    // Started near them (as from the end points of a Monte-Carlo study), the
    // Stackelberg field's solver returns to the same points.
    let near: Vec<Vec<f64>> = attractors
        .iter()
        .map(|p| vec![p.x[0] + 0.05, p.x[1] - 0.05])
        .collect();
    let st = find_critical_points(&g, Field::STACKELBERG, &near, &FindOptions::default()).unwrap();
    assert_eq!(st.points.len(), attractors.len());
    for (q, p) in st.points.iter().zip(&attractors) {
        assert!(max_state_distance(&q.x, &p.x, &[false, false]) < 1e-8);
    }
}
