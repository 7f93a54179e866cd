//! `equilibria::sensitivity` (implicit function theorem) against closed forms
//! and against central differences of re-solved equilibria (set_params,
//! solve again from the old equilibrium, difference).

mod eq_support;

use eq_support::{PerturbedQuadratic, QuadraticGame, Rng};
use nalgebra::DMatrix;
use stackel_runtime::autodiff::DualGame;
use stackel_runtime::equilibria::{
    find_critical_points, max_state_distance, sensitivity, wrap_angle, Field, FindOptions,
};
use stackel_runtime::Game;
use stackel_testkit::twins::{Duopoly, Torus, ZeroSumExample1};

/// The equilibrium of `field` reached from `x0` (which must converge).
fn solve<G: Game>(g: &G, field: Field, x0: &[f64]) -> Vec<f64> {
    let opts = FindOptions {
        tol: 1e-13,
        ..Default::default()
    };
    let found = find_critical_points(g, field, &[x0.to_vec()], &opts).unwrap();
    assert_eq!(found.points.len(), 1, "{found:?}");
    found.points[0].x.clone()
}

/// d x*/d theta by central differences of re-solved equilibria (n x NP).
fn fd_sensitivity<G: Game + Clone>(g: &G, field: Field, x: &[f64], h: f64) -> DMatrix<f64> {
    let mut p = vec![0.0; g.np()];
    g.params(&mut p);
    let angle = g.info().angle_mask();
    let mut out = DMatrix::zeros(g.n(), g.np());
    for k in 0..g.np() {
        let mut gp = g.clone();
        let mut q = p.clone();
        q[k] = p[k] + h;
        gp.set_params(&q);
        let xp = solve(&gp, field, x);
        q[k] = p[k] - h;
        gp.set_params(&q);
        let xm = solve(&gp, field, x);
        for i in 0..g.n() {
            let d = if angle[i] {
                wrap_angle(xp[i] - xm[i])
            } else {
                xp[i] - xm[i]
            };
            out[(i, k)] = d / (2.0 * h);
        }
    }
    out
}

fn assert_close(a: &DMatrix<f64>, b: &DMatrix<f64>, tol: f64, what: &str) {
    let scale = 1.0 + b.amax();
    assert!((a - b).amax() < tol * scale, "{what}: {a} vs {b}");
}

#[test]
fn duopoly_sensitivities_match_the_closed_forms() {
    let g = Duopoly::default();
    // q* = (a - 2 c1 + c2, a - 2 c2 + c1) / 3 at Nash; at Stackelberg
    // q1* = (a - 2 c1 + c2) / 2, q2* = (a - c2 - q1*) / 2.
    let nash = DMatrix::from_row_slice(2, 3, &[1.0, -2.0, 1.0, 1.0, 1.0, -2.0]) / 3.0;
    let stack = DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 0.5, 0.25, 0.5, -0.75]);
    let sn = sensitivity(&g, &g.nash(), Field::Simultaneous).unwrap();
    let ss = sensitivity(&g, &g.stackelberg(), Field::STACKELBERG).unwrap();
    assert_close(&sn, &nash, 1e-12, "Nash");
    assert_close(&ss, &stack, 1e-12, "Stackelberg");
    assert_close(
        &fd_sensitivity(&g, Field::Simultaneous, &g.nash(), 1e-3),
        &nash,
        1e-9,
        "Nash, re-solved",
    );
    assert_close(
        &fd_sensitivity(&g, Field::STACKELBERG, &g.stackelberg(), 1e-3),
        &stack,
        1e-9,
        "Stackelberg, re-solved",
    );
}

#[test]
fn torus_sensitivities_match_re_solved_equilibria() {
    let t = Torus::default();
    for (field, starts) in [
        (Field::Simultaneous, [[-0.78, 1.18], [1.57, -0.4]]),
        (Field::STACKELBERG, [[-0.53, 1.25], [1.31, -0.46]]),
    ] {
        for s in starts {
            let x = solve(&t, field, &s);
            assert!(max_state_distance(&x, &s, &[true, true]) < 0.01);
            let an = sensitivity(&t, &x, field).unwrap();
            let fd = fd_sensitivity(&t, field, &x, 1e-5);
            assert_close(&an, &fd, 1e-6, &format!("{field:?} at {x:?}"));
        }
    }
}

#[test]
fn zero_sum_example_1_attractor_sensitivity_matches_re_solved_equilibria() {
    let g = ZeroSumExample1::default();
    for field in [Field::Simultaneous, Field::STACKELBERG] {
        let x = solve(&g, field, &[-2.5, -2.3]);
        let an = sensitivity(&g, &x, field).unwrap();
        let fd = fd_sensitivity(&g, field, &x, 1e-5);
        assert_close(&an, &fd, 1e-6, &format!("{field:?}"));
    }
}

#[test]
fn non_quadratic_general_sum_sensitivities_match_re_solved_equilibria() {
    let mut rng = Rng::new(5);
    let mut checked = 0;
    for _ in 0..8 {
        let q = QuadraticGame::<2, 2>::random_general(&mut rng, 2.5, 2.5);
        let g = DualGame::new(PerturbedQuadratic::new(&mut rng, q, 0.3)).unwrap();
        for field in [
            Field::Simultaneous,
            Field::STACKELBERG,
            Field::Stackelberg { eta: 0.5 },
        ] {
            let opts = FindOptions {
                tol: 1e-13,
                ..Default::default()
            };
            let found = find_critical_points(&g, field, &[vec![0.0; 4]], &opts).unwrap();
            let Some(p) = found.points.first() else {
                continue;
            };
            let an = sensitivity(&g, &p.x, field).unwrap();
            let fd = fd_sensitivity(&g, field, &p.x, 1e-5);
            assert_close(&an, &fd, 1e-6, &format!("{field:?}"));
            checked += 1;
        }
    }
    assert!(checked >= 18, "only {checked} equilibria solved");
}
