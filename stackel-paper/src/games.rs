//! The paper's games, written as math. Each `stackel_game!` is differentiated
//! at compile time; nothing here is derived by hand.

use stackel::prelude::*;

stackel_game! {
    /// Cournot duopoly (paper 4.1): firm 1 leads; f_i = -(A - q1 - q2 - c_i) q_i.
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
    /// Location game on a torus (paper 4.2):
    /// f_i = -alpha_i cos(th_i - phi_i) + cos(th_i - th_-i).
    pub game Torus {
        param alpha1 = 1.0;
        param alpha2 = 1.3;
        param phi1 = pi / 8.0;
        param phi2 = pi / 8.0;
        leader th1: angle;
        follower th2: angle;
        cost th1 = -alpha1 * cos(th1 - phi1) + cos(th1 - th2);
        cost th2 = -alpha2 * cos(th2 - phi2) + cos(th2 - th1);
    }
}

stackel_game! {
    /// Zero-sum example 1 (paper 2.2.1, figure 1):
    /// f = -exp(-0.01 (x1^2 + x2^2)) ((a x1^2 + x2)^2 + (b x2^2 + x1)^2), (f1, f2) = (f, -f).
    pub game ZeroSumExample1 {
        param a = 0.15;
        param b = 0.25;
        leader x1;
        follower x2;
        let f = -exp(-0.01 * (x1^2 + x2^2)) * ((a * x1^2 + x2)^2 + (b * x2^2 + x1)^2);
        cost x1 = f;
        cost x2 = -f;
    }
}

macro_rules! covariance_game {
    ($name:ident, $m:literal, $doc:literal) => {
        stackel_game! {
            #[doc = $doc]
            pub game $name {
                const M = $m;
                param sigma: [M, M];
                param eta = 0.6;
                leader v: [M, M];
                follower w: [M, M];
                let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
                cost v = f;
                cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
            }
        }
    };
}

covariance_game!(
    Covariance3,
    3,
    "Covariance estimation with a quadratic discriminator, m = 3 (paper 4.3, example 1)."
);
covariance_game!(
    Covariance9,
    9,
    "Covariance estimation with a quadratic discriminator, m = 9 (paper 4.3, example 1)."
);
