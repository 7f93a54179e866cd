//! `Game::params` / `Game::set_params` of generated games: the flat order is
//! the declaration order, each array row-major, in both code forms (the
//! methods copy whole rows, so a transposed or shifted copy would show here).

use stackel::Game;

stackel_testkit::covariance_game!(
    crate = [::stackel],
    Loops4,
    4,
    "m = 4, loop form.",
    form = "loops"
);
stackel_testkit::covariance_game!(
    crate = [::stackel],
    Unrolled4,
    4,
    "m = 4, unrolled.",
    form = "unrolled"
);

stackel::stackel_game! {
    /// A scalar, a vector and a matrix param, in that order.
    pub game Mixed {
        param a = 1.0;
        param b: [3] = [2.0, 3.0, 4.0];
        param c: [2, 3] = [[5, 6, 7], [8, 9, 10]];
        leader x;
        follower y;
        cost x = a * x^2 + b[2] * x * y + c[1, 0] * x;
        cost y = y^2 - c[0, 2] * x * y;
    }
}

#[test]
fn flat_params_are_declaration_order_row_major() {
    let mut g = Mixed::default();
    let mut p = [0.0; 10];
    g.params(&mut p);
    assert_eq!(p, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
    let q: Vec<f64> = (0..10).map(|k| -(k as f64) - 0.5).collect();
    g.set_params(&q);
    assert_eq!(
        (g.a, g.b, g.c),
        (
            -0.5,
            [-1.5, -2.5, -3.5],
            [[-4.5, -5.5, -6.5], [-7.5, -8.5, -9.5]]
        )
    );
    g.params(&mut p);
    assert_eq!(p.to_vec(), q);
}

#[test]
fn covariance_params_round_trip_in_both_forms() {
    let q: Vec<f64> = (0..17).map(|k| k as f64 * 0.25 - 1.0).collect();
    let mut l = Loops4 {
        sigma: [[0.0; 4]; 4],
        eta: 0.0,
    };
    let mut u = Unrolled4 {
        sigma: [[0.0; 4]; 4],
        eta: 0.0,
    };
    l.set_params(&q);
    u.set_params(&q);
    for i in 0..4 {
        for j in 0..4 {
            assert_eq!(l.sigma[i][j], q[i * 4 + j]);
            assert_eq!(u.sigma[i][j], q[i * 4 + j]);
        }
    }
    assert_eq!((l.eta, u.eta), (q[16], q[16]));
    let (mut pl, mut pu) = ([0.0; 17], [0.0; 17]);
    l.params(&mut pl);
    u.params(&mut pu);
    assert_eq!((pl.to_vec(), pu.to_vec()), (q.clone(), q));
}
