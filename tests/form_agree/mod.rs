//! The battery shared by `tests/loop_form.rs` and `tests/tape_form_agree.rs`:
//! every method of a generated game in the loop or tape form against the
//! same game unrolled, and its operators against products of the unrolled
//! dense blocks.

use stackel::prelude::*;
use stackel::{Form, SecondOrderParts, StackelbergParts};

/// A deterministic pseudo-random stream in [-1, 1).
pub struct Lcg(pub u64);
impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
    pub fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * g.abs().max(w.abs()).max(1.0),
            "{what}[{k}]: generated {g} vs unrolled {w}"
        );
    }
}

/// `m` (rows x cols) times `v`.
fn matvec(m: &[f64], rows: usize, v: &[f64]) -> Vec<f64> {
    let cols = v.len();
    (0..rows)
        .map(|r| (0..cols).map(|c| m[r * cols + c] * v[c]).sum())
        .collect()
}

/// `m^T v` for `m` rows x cols.
fn tmatvec(m: &[f64], cols: usize, v: &[f64]) -> Vec<f64> {
    (0..cols)
        .map(|c| (0..v.len()).map(|r| m[r * cols + c] * v[r]).sum())
        .collect()
}

/// Every method of `l` (a game in `form`) against `u` (unrolled) at random
/// points, with the same params (`p`, or `u`'s defaults), to relative `tol`.
pub fn agree<L: Game, U: Game>(
    mut l: L,
    mut u: U,
    p: Option<Vec<f64>>,
    seed: u64,
    form: Form,
    tol: f64,
) {
    let (d1, d2, np) = (u.d1(), u.d2(), u.np());
    let n = d1 + d2;
    assert_eq!((l.d1(), l.d2(), l.np()), (d1, d2, np));
    let (li, ui) = (l.info(), u.info());
    assert_eq!(li.form, form);
    assert_eq!(ui.form, Form::Unrolled);
    assert_eq!(li.leader, ui.leader);
    assert_eq!(li.followers, ui.followers);
    assert_eq!(li.params, ui.params);
    assert_eq!(li.zero_sum, ui.zero_sum);
    match form {
        Form::Loops => assert!(
            l.wgsl().is_some_and(|w| w.contains("fn game_h_tmul")),
            "the loop-form WGSL module (emit_wgsl_loops)"
        ),
        _ => assert!(l.wgsl().is_none(), "no GPU module in the tape form"),
    }
    let mut params = vec![0.0; np];
    u.params(&mut params);
    let mut lp = vec![0.0; np];
    l.params(&mut lp);
    assert_eq!(lp, params, "the same defaults");
    if let Some(p) = p {
        l.set_params(&p);
        u.set_params(&p);
    }
    let mut rng = Lcg(seed);
    for _ in 0..4 {
        let (x, lambda, dir) = (rng.vec(n), rng.vec(d2), rng.vec(n));
        assert_close("f1", &[l.leader_cost(&x)], &[u.leader_cost(&x)], tol);
        for i in 0..li.followers.len() {
            assert_close(
                "f2",
                &[l.follower_cost(i, &x)],
                &[u.follower_cost(i, &x)],
                tol,
            );
        }
        type Plain<G> = fn(&G, &[f64], &mut [f64]);
        let plain: [(&str, usize, Plain<L>, Plain<U>); 14] = [
            ("d1f1", d1, L::d1f1, U::d1f1),
            ("d2f1", d2, L::d2f1, U::d2f1),
            ("d2f2", d2, L::d2f2, U::d2f2),
            ("omega", n, L::omega, U::omega),
            ("d11f1", d1 * d1, L::d11f1, U::d11f1),
            ("d12f1", d1 * d2, L::d12f1, U::d12f1),
            ("d22f1", d2 * d2, L::d22f1, U::d22f1),
            ("d22f2", d2 * d2, L::d22f2, U::d22f2),
            ("d21f2", d2 * d1, L::d21f2, U::d21f2),
            ("d1p_f1", d1 * np, L::d1p_f1, U::d1p_f1),
            ("d2p_f1", d2 * np, L::d2p_f1, U::d2p_f1),
            ("d2p_f2", d2 * np, L::d2p_f2, U::d2p_f2),
            (
                "d22f2_mul(e_0)",
                d2,
                |g, x, o| g.d22f2_mul(x, &unit(g.d2()), o),
                |g, x, o| g.d22f2_mul(x, &unit(g.d2()), o),
            ),
            (
                "d21f2_mul(e_0)",
                d2,
                |g, x, o| g.d21f2_mul(x, &unit(g.d1()), o),
                |g, x, o| g.d21f2_mul(x, &unit(g.d1()), o),
            ),
        ];
        let mut blocks = std::collections::HashMap::new();
        for (name, len, fl, fu) in plain {
            let (mut a, mut b) = (vec![f64::NAN; len], vec![f64::NAN; len]);
            fl(&l, &x, &mut a);
            fu(&u, &x, &mut b);
            assert_close(name, &a, &b, tol);
            blocks.insert(name, b);
        }
        type WithLambda<G> = fn(&G, &[f64], &[f64], &mut [f64]);
        let phi: [(&str, usize, WithLambda<L>, WithLambda<U>); 6] = [
            ("d11phi", d1 * d1, L::d11phi, U::d11phi),
            ("d12phi", d1 * d2, L::d12phi, U::d12phi),
            ("d21phi", d2 * d1, L::d21phi, U::d21phi),
            ("d22phi", d2 * d2, L::d22phi, U::d22phi),
            ("d1p_phi", d1 * np, L::d1p_phi, U::d1p_phi),
            ("d2p_phi", d2 * np, L::d2p_phi, U::d2p_phi),
        ];
        for (name, len, fl, fu) in phi {
            let (mut a, mut b) = (vec![f64::NAN; len], vec![f64::NAN; len]);
            fl(&l, &x, &lambda, &mut a);
            fu(&u, &x, &lambda, &mut b);
            assert_close(name, &a, &b, tol);
            blocks.insert(name, b);
        }
        // the generated operators against products of the dense unrolled blocks
        let (du, dw) = dir.split_at(d1);
        let mut out = vec![f64::NAN; d2];
        l.d22f2_mul(&x, dw, &mut out);
        assert_close("H w", &out, &matvec(&blocks["d22f2"], d2, dw), tol);
        l.d22f2_tmul(&x, &lambda, &mut out);
        assert_close("H^T v", &out, &tmatvec(&blocks["d22f2"], d2, &lambda), tol);
        l.d21f2_mul(&x, du, &mut out);
        assert_close("B u", &out, &matvec(&blocks["d21f2"], d2, du), tol);
        let mut out1 = vec![f64::NAN; d1];
        l.d21f2_tmul(&x, &lambda, &mut out1);
        assert_close("B^T v", &out1, &tmatvec(&blocks["d21f2"], d1, &lambda), tol);
        let (mut a, mut b) = (vec![f64::NAN; n], vec![f64::NAN; n]);
        l.f1_hvp(&x, &dir, &mut a);
        u.f1_hvp(&x, &dir, &mut b);
        assert_close("f1_hvp", &a, &b, tol);
        l.phi_hvp(&x, &lambda, &dir, &mut a);
        u.phi_hvp(&x, &lambda, &dir, &mut b);
        assert_close("phi_hvp", &a, &b, tol);
        // the fused parts (trait defaults in the generated forms)
        let mut s = [d1, d2, d2, d2 * d2, d2 * d1].map(|k| vec![f64::NAN; k]);
        let mut t = s.clone();
        let parts = StackelbergParts::from_buffers;
        l.stackelberg_parts(&x, parts(&mut s));
        u.stackelberg_parts(&x, parts(&mut t));
        for (a, b) in s.iter().zip(&t) {
            assert_close("stackelberg_parts", a, b, tol);
        }
        let sizes = [
            d1 * d1,
            d1 * d2,
            d2 * d2,
            d2 * d2,
            d2 * d1,
            d1 * d1,
            d1 * d2,
            d2 * d1,
            d2 * d2,
        ];
        let mut s = sizes.map(|k| vec![f64::NAN; k]);
        let mut t = s.clone();
        fn second(s: &mut [Vec<f64>; 9]) -> SecondOrderParts<'_, f64> {
            let [a, b, c, d, e, f, g, h, i] = s;
            SecondOrderParts {
                d11f1: a,
                d12f1: b,
                d22f1: c,
                d22f2: d,
                d21f2: e,
                d11phi: f,
                d12phi: g,
                d21phi: h,
                d22phi: i,
            }
        }
        l.second_order_parts(&x, &lambda, second(&mut s));
        u.second_order_parts(&x, &lambda, second(&mut t));
        for (a, b) in s.iter().zip(&t) {
            assert_close("second_order_parts", a, b, tol);
        }
        // f32 runs the same loops
        let x32: Vec<f32> = x.iter().map(|v| *v as f32).collect();
        let mut o32 = vec![0.0f32; n];
        l.omega(&x32, &mut o32);
        let mut o64 = vec![0.0; n];
        u.omega(&x, &mut o64);
        for (a, b) in o32.iter().zip(&o64) {
            assert!(
                (f64::from(*a) - b).abs() <= 1e-4 * b.abs().max(1.0),
                "f32 omega"
            );
        }
    }
}

pub fn unit(n: usize) -> Vec<f64> {
    let mut e = vec![0.0; n];
    e[0] = 1.0;
    e
}

/// The paper's games and a shifted-indices game with two followers, in the
/// forced form `$form` (and the shifted game also unrolled, as
/// `ShiftedUnrolled`); the unrolled paper games are `stackel_testkit::games`.
macro_rules! battery_games {
    ($form:literal, $shifted:ident) => {
        stackel_testkit::covariance_game!(
            crate = [stackel],
            Covariance3,
            3,
            "Covariance m = 3 in the forced form.",
            sigma = [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
            form = $form
        );

        stackel::stackel_game! {
            #[stackel(form = $form)]
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
            #[stackel(form = $form)]
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
            #[stackel(form = $form)]
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
            #[stackel(form = $form)]
            /// Shifted and constant indices, two followers of different shapes,
            /// sums a loop does not depend on (hoisted), min/max/abs.
            pub game $shifted
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
            /// The shifted-indices game unrolled.
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
    };
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

/// The battery's tests for games defined by `battery_games!` and
/// `tensor_games!` in the forced form `$form`, compared at relative `$tol`.
macro_rules! battery_tests {
    ($form:expr, $tol:expr, $shifted:ident, $two_layer:ident, $reduce:ident) => {
        #[test]
        fn covariance_m3_matches_unrolled() {
            let mut rng = Lcg(7);
            let mut p = rng.vec(10);
            p[9] = 0.6;
            agree(
                Covariance3::default(),
                unrolled::Covariance3::default(),
                Some(p),
                1,
                $form,
                $tol,
            );
            agree(
                Covariance3::default(),
                unrolled::Covariance3::default(),
                None,
                2,
                $form,
                $tol,
            );
        }

        #[test]
        fn duopoly_torus_and_example1_match_unrolled() {
            assert!(ZeroSumExample1::default().info().zero_sum);
            agree(
                Duopoly::default(),
                unrolled::Duopoly::default(),
                None,
                3,
                $form,
                $tol,
            );
            agree(
                Torus::default(),
                unrolled::Torus::default(),
                None,
                4,
                $form,
                $tol,
            );
            agree(
                ZeroSumExample1::default(),
                unrolled::ZeroSumExample1::default(),
                Some(vec![0.3, -0.2]),
                5,
                $form,
                $tol,
            );
        }

        #[test]
        fn shifted_indices_two_followers_and_hoisted_sums_match_unrolled() {
            assert_eq!(ShiftedUnrolled::default().info().form, Form::Unrolled);
            for seed in 10..14 {
                agree(
                    $shifted::default(),
                    ShiftedUnrolled::default(),
                    None,
                    seed,
                    $form,
                    $tol,
                );
            }
        }

        #[test]
        fn forced_games_pass_the_independent_derivative_checks() {
            let mut rng = Lcg(21);
            for _ in 0..2 {
                let x = rng.vec(18);
                let l = rng.vec(9);
                check_game(&Covariance3::default(), &x, &l, 1e-10, 1e-6);
                check_stackelberg_jacobian(&Covariance3::default(), &x, 1e-5);
                let x = rng.vec(17);
                let l = rng.vec(13);
                check_game(&$shifted::default(), &x, &l, 1e-10, 1e-5);
                check_stackelberg_jacobian(&$shifted::default(), &x, 1e-5);
            }
        }

        #[test]
        fn tensor_lets_and_reductions_match_unrolled() {
            for seed in 30..33 {
                agree(
                    $two_layer::default(),
                    TwoLayerUnrolled::default(),
                    None,
                    seed,
                    $form,
                    $tol,
                );
                // Random points: no two terms of a max/min tie (probability zero).
                agree(
                    $reduce::default(),
                    ReduceUnrolled::default(),
                    None,
                    seed,
                    $form,
                    $tol,
                );
            }
        }
    };
}
