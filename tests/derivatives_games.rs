//! Games beyond the paper's through the real macro: several followers
//! (stacked omega_F, non-symmetric H), vector and matrix players, every DSL
//! function with random coefficients. Every block against num-dual and
//! finite differences, J_S against finite differences of omega_S.

mod derivatives_common;

use derivatives_common::{check_game, check_stackelberg_jacobian, Rng};
use stackel::prelude::*;

stackel_game! {
    /// A vector leader and two scalar followers coupled through each other.
    pub game TwoFollowers {
        param a = 0.7;
        leader x: [2];
        follower y;
        follower z;
        cost x = (x[0] - 1)^2 + x[0] * y + x[1] * z + 0.5 * x[1]^2 + sin(x[0] * z);
        cost y = y^2 + 0.3 * y * z + x[0] * y - a * y + 0.1 * y^4;
        cost z = 2 * z^2 + 0.5 * z * y^2 + exp(0.1 * x[1] * z) - x[0] * x[1] * z;
    }
}

stackel_game! {
    /// Every function and operator of the DSL, with coefficients drawn at run time.
    pub game Mixed {
        param c: [10];
        leader u: [2];
        follower v: [2];
        cost u = c[0] * u[0]^2 + c[1] * tanh(u[0] * v[0]) + c[2] * sigmoid(u[1] - v[1])
            + softplus(c[3] * u[0]) + c[4] * ln(1 + u[1]^2) + c[5] * sqrt(1 + v[0]^2)
            + (1 + u[1]^2)^(0.5 * v[1]) + abs(u[0] - v[0]) + relu(u[1] * v[0])
            + min(u[0], v[1]) * max(u[1], v[0]) + u[0] / (2 + cos(v[1]));
        cost v = sum(i in 0..2) (1 + c[6]^2) * v[i]^2 + c[7] * u[0] * v[0] * v[1]
            + cos(u[1] * v[1]) + c[8] * tan(0.3 * v[0]) + exp(c[9] * v[1] * u[0]) / 3
            + sum(i in 0..2, j in 0..2) (i + 1) * u[i] * v[j]^3 / 10;
    }
}

#[test]
fn two_followers_blocks_are_exact() {
    let g = TwoFollowers::default();
    let mut rng = Rng(21);
    for _ in 0..6 {
        let x = rng.vec(4, -1.5, 1.5);
        let l = rng.vec(2, -1.0, 1.0);
        check_game(&g, &x, &l, 1e-10, 1e-6);
        check_stackelberg_jacobian(&g, &x, 1e-5);
    }
    // H is the Jacobian of the stacked field (D_y f_y, D_z f_z) w.r.t. (y, z):
    // not symmetric (0.3 vs y).
    let mut h = [0.0; 4];
    g.d22f2(&[0.0, 0.0, 2.0, 0.0], &mut h);
    assert_eq!(h[1], 0.3);
    assert_eq!(h[2], 2.0);
    let info = g.info();
    assert_eq!(info.followers.len(), 2);
    assert_eq!((info.followers[1].name, info.followers[1].offset), ("z", 3));
}

#[test]
fn mixed_functions_blocks_are_exact_for_random_coefficients() {
    let mut rng = Rng(22);
    for _ in 0..6 {
        let mut c = [0.0; 10];
        for v in &mut c {
            *v = rng.uniform(-1.0, 1.0);
        }
        let g = Mixed { c };
        let x = rng.vec(4, -1.0, 1.0);
        let l = rng.vec(2, -1.0, 1.0);
        check_game(&g, &x, &l, 1e-9, 1e-5);
        check_stackelberg_jacobian(&g, &x, 1e-4);
    }
}
