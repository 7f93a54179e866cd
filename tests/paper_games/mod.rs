//! The paper's games written once for the root tests and benchmarks
//! (`mod paper_games;` from `tests/`, `#[path]` from `benches/`).
#![allow(dead_code)]

use stackel::prelude::*;

stackel_game! {
    /// Cournot duopoly (paper 4.1); firm 1 leads.
    pub game Duopoly {
        param a = 100.0;
        param c1 = 5.0;
        param c2 = 2.0;
        leader q1;
        follower q2;
        let price = a - q1 - q2;
        cost q1 = -(price - c1) * q1;
        cost q2 = -(price - c2) * q2;
    }
}

stackel_game! {
    /// Location game on a torus (paper 4.2).
    pub game Torus {
        param alpha: [2] = [1.0, 1.3];
        param phi: [2] = [pi / 8.0, pi / 8.0];
        leader th1: angle;
        follower th2: angle;
        cost th1 = -alpha[0] * cos(th1 - phi[0]) + cos(th1 - th2);
        cost th2 = -alpha[1] * cos(th2 - phi[1]) + cos(th2 - th1);
    }
}

stackel_game! {
    /// Zero-sum example 1 (paper 2.2.1).
    pub game Example1 {
        param a = 0.15;
        param b = 0.25;
        leader x1;
        follower x2;
        let f = -exp(-0.01 * (x1^2 + x2^2)) * ((a * x1^2 + x2)^2 + (b * x2^2 + x1)^2);
        cost x1 = f;
        cost x2 = -f;
    }
}

stackel_game! {
    /// Covariance estimation (paper 4.3, example 1), M = 3.
    pub game Covariance {
        const M = 3;
        param sigma: [M, M] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
        param eta = 0.6;
        leader v: [M, M];
        follower w: [M, M];
        let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
        cost v = f;
        cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
    }
}
