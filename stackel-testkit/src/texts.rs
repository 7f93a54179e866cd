//! The paper games of [`crate::games`] as DSL text, written exactly as inside
//! their `stackel_game!`: the inputs of run-time compilation (`stackel-jit`),
//! whose tests hold the text's code to the macro's, bit for bit.

/// [`crate::games::Duopoly`] as text.
pub const DUOPOLY: &str = "game Duopoly {
    param a = 100.0;  param c1 = 5.0;  param c2 = 2.0;
    leader q1;  follower q2;
    let price = a - q1 - q2;
    cost q1 = -(price - c1) * q1;
    cost q2 = -(price - c2) * q2;
}";
/// [`crate::games::Torus`] as text.
pub const TORUS: &str = "game Torus {
    param alpha: [2] = [1.0, 1.3];
    param phi: [2] = [pi / 8.0, pi / 8.0];
    leader th1: angle;  follower th2: angle;
    cost th1 = -alpha[0] * cos(th1 - phi[0]) + cos(th1 - th2);
    cost th2 = -alpha[1] * cos(th2 - phi[1]) + cos(th2 - th1);
}";
/// [`crate::games::ZeroSumExample1`] as text.
pub const EXAMPLE1: &str = "game ZeroSumExample1 {
    param a = 0.15;  param b = 0.25;
    leader x1;  follower x2;
    let f = -exp(-0.01 * (x1^2 + x2^2)) * ((a * x1^2 + x2)^2 + (b * x2^2 + x1)^2);
    cost x1 = f;
    cost x2 = -f;
}";
/// [`crate::games::Covariance3`] as text.
pub const COVARIANCE3: &str = "game Covariance3 {
    const M = 3;
    param sigma: [M, M] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    param eta = 0.6;
    leader v: [M, M];  follower w: [M, M];
    let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
    cost v = f;
    cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
}";
