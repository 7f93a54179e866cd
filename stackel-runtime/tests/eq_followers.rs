//! Several followers playing simultaneously (appendix F.2): the Stackelberg
//! equilibrium found from omega_S is checked against the leader's reduced
//! cost F(u) = f1(u, r(u)), with r(u) the followers' Nash equilibrium solved
//! directly from omega_F; gradient and Hessian of F by finite differences.

mod eq_support;

use eq_support::fd_jacobian;
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use stackel_runtime::autodiff::{Costs, DualGame};
use stackel_runtime::equilibria::{
    classify, find_critical_points, sensitivity, Field, FindOptions, Verdict,
};
use stackel_runtime::{Game, GameInfo, Real};

/// Leader u in R^2; followers v in R and w in R^2; params (k, m).
#[derive(Clone)]
struct Market([f64; 2]);

impl Costs for Market {
    const D1: usize = 2;
    const D2: usize = 3;
    const NP: usize = 2;
    fn info(&self) -> &'static GameInfo {
        &eq_support::LEADER_AND_TWO_FOLLOWERS
    }
    fn params(&self, out: &mut [f64]) {
        out.copy_from_slice(&self.0)
    }
    fn set_params(&mut self, p: &[f64]) {
        self.0.copy_from_slice(p)
    }
    fn leader<T: Real>(&self, x: &[T], p: &[T]) -> T {
        let (u0, u1, v, w0, w1) = (x[0], x[1], x[2], x[3], x[4]);
        (u0 - p[0]).powi(2)
            + T::of(0.5) * (u1 + T::of(0.5)).powi(2)
            + T::of(0.3) * (u0 * v).sin()
            + T::of(0.2) * u1 * w0 * w1
            + T::of(0.4) * u0 * w0
            + T::of(0.3) * u1 * v
    }
    fn follower<T: Real>(&self, i: usize, x: &[T], p: &[T]) -> T {
        let (u0, u1, v, w0, w1) = (x[0], x[1], x[2], x[3], x[4]);
        if i == 0 {
            v * v * (T::one() + T::of(0.1) * u0 * u0) - T::of(0.5) * v * u1 * w0
                + T::of(0.2) * (v * w1).cos()
                + T::of(0.6) * v * u0
        } else {
            w0 * w0
                + p[1] * w1 * w1
                + T::of(0.3) * (u0 * w0 + v * w1).tanh()
                + T::of(0.2) * u1.powi(3) * w1
                + T::of(0.5) * w0 * u1
                - T::of(0.4) * w1 * u0
        }
    }
}

/// The followers' Nash equilibrium r(u): Newton on omega_F(u, .) = 0 with
/// H = D_{x2} omega_F, from `y0`.
fn followers_response<G: Game>(g: &G, u: &[f64], y0: &[f64]) -> Vec<f64> {
    let (d1, d2) = (g.d1(), g.d2());
    let mut x: Vec<f64> = u.iter().chain(y0).copied().collect();
    let (mut f, mut h) = (vec![0.0; d2], vec![0.0; d2 * d2]);
    for _ in 0..100 {
        g.d2f2(&x, &mut f);
        if f.iter().all(|v| v.abs() < 1e-14) {
            break;
        }
        g.d22f2(&x, &mut h);
        let step = DMatrix::from_row_slice(d2, d2, &h)
            .lu()
            .solve(&DVector::from_column_slice(&f))
            .unwrap();
        for a in 0..d2 {
            x[d1 + a] -= step[a];
        }
    }
    x[d1..].to_vec()
}

#[test]
fn stackelberg_equilibrium_with_two_followers_matches_the_reduced_leader_cost() {
    let g = DualGame::new(Market([1.0, 0.8])).unwrap();
    let opts = FindOptions::default();
    let found = find_critical_points(&g, Field::STACKELBERG, &[vec![0.0; 5]], &opts).unwrap();
    assert_eq!(found.points.len(), 1, "{found:?}");
    let x = found.points[0].x.clone();
    let c = classify(&g, &x, &Default::default()).unwrap();
    assert_eq!(c.costs.len(), 3);
    assert_eq!(c.spectra.follower_own.len(), 2);
    assert_eq!(c.spectra.d22f2.len(), 3);
    assert_eq!(c.differential_stackelberg, Verdict::Yes, "{c:#?}");

    // F(u) = f1(u, r(u)) with r from the followers' own field
    let y_star = x[2..].to_vec();
    let reduced = |u: &[f64]| {
        let y = followers_response(&g, u, &y_star);
        let z: Vec<f64> = u.iter().chain(&y).copied().collect();
        g.leader_cost(&z)
    };
    assert!(followers_response(&g, &x[..2], &y_star)
        .iter()
        .zip(&y_star)
        .all(|(a, b)| (a - b).abs() < 1e-12));
    let h = 1e-4;
    let grad = fd_jacobian(&x[..2], 1, h, |u, out| out[0] = reduced(u));
    assert!(grad.iter().all(|v| v.abs() < 1e-7), "dF/du = {grad:?}");
    let hess = fd_jacobian(&x[..2], 2, h, |u, out| {
        let g1 = fd_jacobian(u, 1, h, |uu, o| o[0] = reduced(uu));
        out.copy_from_slice(&g1);
    });
    let hm = DMatrix::from_row_slice(2, 2, &hess);
    let mut eig: Vec<f64> =
        SymmetricEigen::try_new((&hm + hm.transpose()) * 0.5, f64::EPSILON, 10_000)
            .expect("symmetric QR converges")
            .eigenvalues
            .iter()
            .copied()
            .collect();
    eig.sort_by(f64::total_cmp);
    let ours = c.spectra.stackelberg_hessian.as_ref().unwrap();
    for (a, b) in ours.iter().zip(&eig) {
        assert!(
            (a - b).abs() < 1e-4 * (1.0 + b.abs()),
            "{ours:?} vs {eig:?}"
        );
    }
}

#[test]
fn sensitivity_with_two_followers_matches_re_solved_equilibria() {
    let g = DualGame::new(Market([1.0, 0.8])).unwrap();
    let opts = FindOptions {
        tol: 1e-13,
        ..Default::default()
    };
    for field in [Field::Simultaneous, Field::STACKELBERG] {
        let x = find_critical_points(&g, field, &[vec![0.0; 5]], &opts)
            .unwrap()
            .points[0]
            .x
            .clone();
        let an = sensitivity(&g, &x, field).unwrap();
        let h = 1e-5;
        for k in 0..2 {
            let mut xs = Vec::new();
            for s in [1.0, -1.0] {
                let mut p = [1.0, 0.8];
                p[k] += s * h;
                let gp = DualGame::new(Market(p)).unwrap();
                xs.push(
                    find_critical_points(&gp, field, std::slice::from_ref(&x), &opts)
                        .unwrap()
                        .points[0]
                        .x
                        .clone(),
                );
            }
            for i in 0..5 {
                let fd = (xs[0][i] - xs[1][i]) / (2.0 * h);
                assert!(
                    (an[(i, k)] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                    "{field:?} d x{i}/d p{k}: {} vs {fd}",
                    an[(i, k)]
                );
            }
        }
    }
}
