//! The paper's games written once with `stackel_game!`, for the tests, the
//! benchmarks and stackel-paper: nothing here is derived by hand. Their
//! hand-written twins of the same names are in [`crate::twins`].
//!
//! The games name the runtime through `stackel_runtime` (the macro's
//! `#[stackel(crate = ..)]` option), so the runtime's own tests can use them;
//! they implement the same [`stackel_runtime::Game`] that `stackel::Game`
//! re-exports.

use stackel_macros::stackel_game;

stackel_game! {
    #[stackel(crate = stackel_runtime)]
    /// Cournot duopoly (paper 4.1): firm 1 leads; f_i = -(a - q1 - q2 - c_i) q_i.
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
    #[stackel(crate = stackel_runtime)]
    /// Location game on a torus (paper 4.2):
    /// f_i = -alpha_i cos(th_i - phi_i) + cos(th_i - th_-i).
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
    #[stackel(crate = stackel_runtime)]
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

/// Defines the covariance game of the paper (4.3, example 1) for one m:
/// f = sum_ij w_ij (sigma_ij - (V V^T)_ij), f1 = f, f2 = -f + eta/2 |W|_F^2.
///
/// `covariance_game!(crate = [PATH], NAME, M, "doc")`, optionally followed by
/// `sigma = [[..], ..]` (the default of the param sigma; zero without it)
/// and/or `form = "loops"` (or `"unrolled"`: the code form, forced; else the
/// compiler's size rule picks it).
/// stackel-paper instantiates m = 9 with it: compiling that size takes rustc
/// 10-20 s, so it is not built here for every test.
#[macro_export]
macro_rules! covariance_game {
    (crate = [$($krate:tt)+], $name:ident, $m:literal, $doc:literal $(, sigma = $sigma:tt)? $(, form = $form:literal)?) => {
        $crate::__stackel_game! {
            #[stackel(crate = $($krate)+)]
            $(#[stackel(form = $form)])?
            #[doc = $doc]
            pub game $name {
                const M = $m;
                param sigma: [M, M] $(= $sigma)?;
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
    crate = [stackel_runtime],
    Covariance3,
    3,
    "Covariance estimation with a quadratic discriminator, m = 3 (paper 4.3, example 1); sigma defaults to I.",
    sigma = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
);

stackel_game! {
    #[stackel(crate = stackel_runtime)]
    /// A quadratic game of five coordinates (three leader, two follower): the
    /// GPU tests' and benchmark's workload with three pairs of normals per
    /// step (in f32 a Philox block is shared across steps at odd steps).
    pub game LeaderThreeFollowerTwo {
        leader x: [3];
        follower y: [2];
        cost x = (x[0] - 1.0)^2 + (x[1] + 0.5)^2 + x[2]^2 + x[0] * y[0] + 0.5 * x[2] * y[1];
        cost y = (y[0] - x[1])^2 + (y[1] - 0.3 * x[0])^2 + 0.2 * y[0] * y[1];
    }
}

// The mixture-of-Gaussians GANs of paper 4.3 (examples 2 and 3), Appendix
// D.1 sizes: batch 256, latent 16, hidden 32; tape form (data inputs and
// player parts).

stackel_game! {
    #[stackel(crate = stackel_runtime)]
    /// Diamond (paper 4.3, example 2): tanh hidden activations, the
    /// saturating objective: the discriminator minimises its cross-entropy
    /// loss_d = -mean_b (log sigma(D(x_b)) + log sigma(-D(G(z_b)))), the
    /// generator maximises it (f1 = -loss_d).
    pub game DiamondGan {
        const B = 256;  const Z = 16;  const H = 32;
        data x: [B, 2];
        data z: [B, Z];
        leader gen { w1: [H, Z], b1: [H], w2: [H, H], b2: [H], w3: [2, H], b3: [2] };
        follower disc { v1: [H, 2], c1: [H], v2: [H], c2 };
        let h1[b in 0..B, j in 0..H] = tanh(sum(i in 0..Z) w1[j, i] * z[b, i] + b1[j]);
        let h2[b in 0..B, j in 0..H] = tanh(sum(i in 0..H) w2[j, i] * h1[b, i] + b2[j]);
        let g[b in 0..B, k in 0..2] = sum(i in 0..H) w3[k, i] * h2[b, i] + b3[k];
        let hr[b in 0..B, j in 0..H] = tanh(sum(i in 0..2) v1[j, i] * x[b, i] + c1[j]);
        let hf[b in 0..B, j in 0..H] = tanh(sum(i in 0..2) v1[j, i] * g[b, i] + c1[j]);
        let dr[b in 0..B] = sum(j in 0..H) v2[j] * hr[b, j] + c2;
        let df[b in 0..B] = sum(j in 0..H) v2[j] * hf[b, j] + c2;
        let loss_d = -mean(b in 0..B) (log_sigmoid(dr[b]) + log_sigmoid(-df[b]));
        cost gen = -loss_d;
        cost disc = loss_d;
    }
}

stackel_game! {
    #[stackel(crate = stackel_runtime)]
    /// Circle (paper 4.3, example 3): ReLU hidden activations, the
    /// non-saturating objective: the discriminator minimises
    /// loss_d = -mean_b (log sigma(D(x_b)) + log sigma(-D(G(z_b)))), the
    /// generator minimises -mean_b log sigma(D(G(z_b))).
    pub game CircleGan {
        const B = 256;  const Z = 16;  const H = 32;
        data x: [B, 2];
        data z: [B, Z];
        leader gen { w1: [H, Z], b1: [H], w2: [H, H], b2: [H], w3: [2, H], b3: [2] };
        follower disc { v1: [H, 2], c1: [H], v2: [H], c2 };
        let h1[b in 0..B, j in 0..H] = relu(sum(i in 0..Z) w1[j, i] * z[b, i] + b1[j]);
        let h2[b in 0..B, j in 0..H] = relu(sum(i in 0..H) w2[j, i] * h1[b, i] + b2[j]);
        let g[b in 0..B, k in 0..2] = sum(i in 0..H) w3[k, i] * h2[b, i] + b3[k];
        let hr[b in 0..B, j in 0..H] = relu(sum(i in 0..2) v1[j, i] * x[b, i] + c1[j]);
        let hf[b in 0..B, j in 0..H] = relu(sum(i in 0..2) v1[j, i] * g[b, i] + c1[j]);
        let dr[b in 0..B] = sum(j in 0..H) v2[j] * hr[b, j] + c2;
        let df[b in 0..B] = sum(j in 0..H) v2[j] * hf[b, j] + c2;
        let loss_d = -mean(b in 0..B) (log_sigmoid(dr[b]) + log_sigmoid(-df[b]));
        cost gen = -mean(b in 0..B) log_sigmoid(df[b]);
        cost disc = loss_d;
    }
}

stackel_game! {
    #[stackel(crate = stackel_runtime)]
    /// Three-firm Cournot chain (appendix F.1): firm 1 leads firm 2, who
    /// leads firm 3; f_i = -(a - q1 - q2 - q3 - c_i) q_i. The staggered point
    /// is q1 = (a + 2 c2 + c3 - 4 c1) / 2, q2 = (a - q1 - 2 c2 + c3) / 2,
    /// q3 = (a - q1 - q2 - c3) / 2: (43.5, 27.75, 12.875).
    pub game ChainOligopoly {
        param a = 100.0;
        param c1 = 5.0;
        param c2 = 2.0;
        param c3 = 3.0;
        leader q1;
        follower q2;
        follower q3 after q2;
        let price = a - q1 - q2 - q3;
        cost q1 = -(price - c1) * q1;
        cost q2 = -(price - c2) * q2;
        cost q3 = -(price - c3) * q3;
    }
}

stackel_game! {
    #[stackel(crate = stackel_runtime)]
    /// The same three firms with firms 2 and 3 moving simultaneously after
    /// firm 1 (appendix F.2): q1 = (a + c2 + c3 - 3 c1) / 2,
    /// q2 = (a - q1 - 2 c2 + c3) / 3, q3 = (a - q1 - 2 c3 + c2) / 3: (45, 18, 17).
    pub game TreeOligopoly {
        param a = 100.0;
        param c1 = 5.0;
        param c2 = 2.0;
        param c3 = 3.0;
        leader q1;
        follower q2;
        follower q3;
        let price = a - q1 - q2 - q3;
        cost q1 = -(price - c1) * q1;
        cost q2 = -(price - c2) * q2;
        cost q3 = -(price - c3) * q3;
    }
}
