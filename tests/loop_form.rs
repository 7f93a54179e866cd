//! The loop form end to end through `stackel_game!`: the covariance game
//! (m = 3), the torus, example 1 and the duopoly forced to
//! `#[stackel(form = "loops")]` against the same games in the unrolled
//! form (stackel_testkit::games): every `Game` method agrees to 1e-12 at
//! random points, and the generated operators agree with products of the
//! dense blocks. The loop games also pass the paper games' independent
//! checks (num-dual through the generated loops, finite differences, J_S).

mod derivatives_common;
mod form_agree;

use derivatives_common::{check_game, check_stackelberg_jacobian};
use form_agree::{agree, Lcg};
use stackel::prelude::*;
use stackel::Form;
use stackel_testkit::games as unrolled;

stackel_testkit::covariance_game!(
    crate = [stackel],
    Covariance3,
    3,
    "Covariance m = 3 in the loop form.",
    sigma = [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    form = "loops"
);

stackel::stackel_game! {
    #[stackel(form = "loops")]
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

stackel::stackel_game! {
    #[stackel(form = "loops")]
    pub game Torus {
        param alpha: [2] = [1.0, 1.3];
        param phi: [2] = [pi / 8.0, pi / 8.0];
        leader th1: angle;
        follower th2: angle;
        cost th1 = -alpha[0] * cos(th1 - phi[0]) + cos(th1 - th2);
        cost th2 = -alpha[1] * cos(th2 - phi[1]) + cos(th2 - th1);
    }
}

stackel::stackel_game! {
    #[stackel(form = "loops")]
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

stackel::stackel_game! {
    #[stackel(form = "loops")]
    /// Shifted and constant indices, two followers of different shapes,
    /// sums a loop does not depend on (hoisted), min/max/abs.
    pub game ShiftedLoops
    {
        param a: [4] = [0.5, -0.3, 1.2, 0.7];
        param b = 1.5;
        leader u: [4];
        follower w: [4, 3];
        follower z;
        cost u = sum(i in 0..3) (u[i + 1] - u[i])^2 * a[i] + u[0] * w[2, 1] * z
            + sum(i in 1..4, j in 0..3) w[i, j] * u[i - 1] * (i + 1)
            + sum(i in 0..4) tanh(u[i] * z + sum(k in 0..4) u[k]^2) * sum(k in 1..3) u[k] * k;
        cost w = sum(i in 0..4, j in 0..3) (w[i, j] - u[i] * b)^2 + max(w[0, 0], u[1]) * z
            + sum(i in 0..3, j in 0..2) w[i + 1, j + 1] * w[i, j] * exp(sum(k in 0..4) a[k] * u[k]);
        cost z = (z - sum(i in 0..4) sin(u[i]))^2 + b * z * w[3, 2] + abs(z) * softplus(u[3]);
    }
}

stackel::stackel_game! {
    /// [`ShiftedLoops`] unrolled.
    pub game ShiftedUnrolled
    {
        param a: [4] = [0.5, -0.3, 1.2, 0.7];
        param b = 1.5;
        leader u: [4];
        follower w: [4, 3];
        follower z;
        cost u = sum(i in 0..3) (u[i + 1] - u[i])^2 * a[i] + u[0] * w[2, 1] * z
            + sum(i in 1..4, j in 0..3) w[i, j] * u[i - 1] * (i + 1)
            + sum(i in 0..4) tanh(u[i] * z + sum(k in 0..4) u[k]^2) * sum(k in 1..3) u[k] * k;
        cost w = sum(i in 0..4, j in 0..3) (w[i, j] - u[i] * b)^2 + max(w[0, 0], u[1]) * z
            + sum(i in 0..3, j in 0..2) w[i + 1, j + 1] * w[i, j] * exp(sum(k in 0..4) a[k] * u[k]);
        cost z = (z - sum(i in 0..4) sin(u[i]))^2 + b * z * w[3, 2] + abs(z) * softplus(u[3]);
    }
}

#[test]
fn covariance_m3_loop_form_matches_unrolled() {
    let mut rng = Lcg(7);
    let mut p = rng.vec(10);
    p[9] = 0.6;
    agree(
        Covariance3::default(),
        unrolled::Covariance3::default(),
        Some(p),
        1,
        Form::Loops,
        1e-12,
    );
    agree(
        Covariance3::default(),
        unrolled::Covariance3::default(),
        None,
        2,
        Form::Loops,
        1e-12,
    );
}

#[test]
fn duopoly_torus_and_example1_loop_forms_match_unrolled() {
    assert!(ZeroSumExample1::default().info().zero_sum);
    agree(
        Duopoly::default(),
        unrolled::Duopoly::default(),
        None,
        3,
        Form::Loops,
        1e-12,
    );
    agree(
        Torus::default(),
        unrolled::Torus::default(),
        None,
        4,
        Form::Loops,
        1e-12,
    );
    agree(
        ZeroSumExample1::default(),
        unrolled::ZeroSumExample1::default(),
        Some(vec![0.3, -0.2]),
        5,
        Form::Loops,
        1e-12,
    );
}

#[test]
fn shifted_indices_two_followers_and_hoisted_sums_match_unrolled() {
    assert_eq!(ShiftedUnrolled::default().info().form, Form::Unrolled);
    for seed in 10..14 {
        agree(
            ShiftedLoops::default(),
            ShiftedUnrolled::default(),
            None,
            seed,
            Form::Loops,
            1e-12,
        );
    }
}

#[test]
fn loop_games_pass_the_independent_derivative_checks() {
    let mut rng = Lcg(21);
    for _ in 0..2 {
        let x = rng.vec(18);
        let l = rng.vec(9);
        check_game(&Covariance3::default(), &x, &l, 1e-10, 1e-6);
        check_stackelberg_jacobian(&Covariance3::default(), &x, 1e-5);
        let x = rng.vec(17);
        let l = rng.vec(13);
        check_game(&ShiftedLoops::default(), &x, &l, 1e-10, 1e-5);
        check_stackelberg_jacobian(&ShiftedLoops::default(), &x, 1e-5);
    }
}

#[test]
fn loop_form_formulas_keep_the_indices() {
    let f = Covariance3::default().formulas();
    let d1f1 = f
        .iter()
        .find(|b| b.block == "D1f1")
        .expect("a D1f1 formula");
    assert_eq!(d1f1.shape, vec![9]);
    let text = &d1f1.entries[0];
    assert!(text.starts_with("D1f1(v)[a,b] = "), "{text}");
    assert!(text.contains("sum(") && text.contains("w[a,"), "{text}");
    let all: Vec<String> = f
        .iter()
        .flat_map(|b| {
            std::iter::once(format!("{} {:?}", b.block, b.shape)).chain(b.entries.iter().cloned())
        })
        .collect();
    insta::assert_snapshot!("covariance_loop_formulas", all.join("\n"));
}

macro_rules! tensor_games {
    ($($form:literal $two_layer:ident $reduce:ident),*) => {$(
        stackel::stackel_game! {
            #[stackel(form = $form)]
            /// A two-layer tanh model written with tensor lets (`tests/dsl_tensor.rs`).
            pub game $two_layer {
                const B = 3;
                const Z = 2;
                const H = 3;
                param z: [B, Z] = [[0.5, -1], [0.25, 0.75], [-0.5, 0.3]];
                param y: [B] = [0.1, -0.2, 0.4];
                leader w1: [H, Z];
                follower w2: [H];
                let h[b in 0..B, j in 0..H] = tanh(sum(i in 0..Z) w1[j, i] * z[b, i] + 0.1 * j);
                let out[b in 0..B] = sum(j in 0..H) w2[j] * h[b, j];
                let step[k in 1..H] = h[0, k] - h[0, k - 1];
                cost w1 = mean(b in 0..B) (out[b] - y[b])^2 + sum(k in 0..H - 1) step[k + 1]^2;
                cost w2 = mean(b in 0..B) (out[b] - y[b])^2 + 0.5 * sum(j in 0..H) w2[j]^2
                    + 0.1 * sum(j in 0..H) w2[j] * h[1, j]^2;
            }
        }
        stackel::stackel_game! {
            #[stackel(form = $form)]
            /// Every reduction, with one and two binders (`tests/dsl_tensor.rs`).
            pub game $reduce {
                param c: [3] = [1, 1, 1];
                leader x: [3];
                follower v: [2, 3];
                cost x = max(i in 0..3) x[i] * c[i] + min(i in 0..3) (x[i] - v[0, i])
                    + mean(i in 0..3) x[i]^2 - 2 * max(i in 0..2, j in 1..=2) v[i, j] * x[j];
                cost v = mean(i in 0..2, j in 0..3) v[i, j]^2 + x[0] * min(j in 0..3) (v[1, j] + x[j])
                    + x[1] * max(i in 0..2) v[i, 0]^3;
            }
        }
    )*};
}
tensor_games!("loops" TwoLayerLoops ReduceLoops, "unrolled" TwoLayerUnrolled ReduceUnrolled);

#[test]
fn tensor_lets_and_reductions_in_the_loop_form_match_unrolled() {
    for seed in 30..33 {
        agree(
            TwoLayerLoops::default(),
            TwoLayerUnrolled::default(),
            None,
            seed,
            Form::Loops,
            1e-12,
        );
        // Random points: no two terms of a max/min tie (probability zero).
        agree(
            ReduceLoops::default(),
            ReduceUnrolled::default(),
            None,
            seed,
            Form::Loops,
            1e-12,
        );
    }
}
