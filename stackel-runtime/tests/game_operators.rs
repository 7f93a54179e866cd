//! The `Game` operators (H w, H^T v, B u, B^T v, (D^2 f1) dir, (D^2 phi) dir)
//! against independent references: central finite differences of the
//! gradients the games generate, and the adjoint identity <H w, v> = <w, H^T v>.
//! Run on every macro paper game and on a game with two followers (where H is
//! not symmetric), at random points.

use stackel_macros::stackel_game;
use stackel_runtime::Game;
use stackel_testkit::games::{
    Covariance3, Duopoly, LeaderThreeFollowerTwo, Torus, ZeroSumExample1,
};

stackel_game! {
    #[stackel(crate = stackel_runtime)]
    /// A leader and two followers playing simultaneously, couplings everywhere.
    game TwoFollowers {
        leader u: [2];
        follower v;
        follower w: [2];
        cost u = u[0]^2 + 0.5 * u[1]^2 + sin(u[0] * v) + u[1] * w[0] * w[1];
        cost v = v^2 * (1.0 + 0.1 * u[0]^2) - 0.5 * v * u[1] * w[0] + 0.2 * cos(v * w[1]);
        cost w = w[0]^2 + 2.0 * w[1]^2 + 0.3 * tanh(u[0] * w[0] + v * w[1]) + 0.2 * u[1]^3 * w[1];
    }
}

/// A small deterministic generator of uniform numbers in [-1, 1) (xorshift).
struct Uniform(u64);

impl Uniform {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// (f(x + h dir) - f(x - h dir)) / 2h for a vector-valued f.
fn directional(f: impl Fn(&[f64], &mut [f64]), x: &[f64], dir: &[f64], len: usize) -> Vec<f64> {
    let h = 1e-5;
    let xp: Vec<f64> = x.iter().zip(dir).map(|(a, d)| a + h * d).collect();
    let xm: Vec<f64> = x.iter().zip(dir).map(|(a, d)| a - h * d).collect();
    let (mut fp, mut fm) = (vec![0.0; len], vec![0.0; len]);
    f(&xp, &mut fp);
    f(&xm, &mut fm);
    fp.iter()
        .zip(&fm)
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect()
}

fn close(a: &[f64], b: &[f64], what: &str) {
    let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (k, (p, q)) in a.iter().zip(b).enumerate() {
        assert!(
            (p - q).abs() <= 1e-6 * scale,
            "{what}[{k}]: {p} vs finite difference {q}"
        );
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

fn random(rng: &mut Uniform, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.next()).collect()
}

/// Every operator of `g` at three random points.
fn check_operators<G: Game>(g: &G, seed: u64) {
    let (d1, d2, n) = (g.d1(), g.d2(), g.n());
    let mut rng = Uniform(0x9E37_79B9_7F4A_7C15 ^ seed);
    for _ in 0..3 {
        let x = random(&mut rng, n);
        let (u, w, v, lambda) = (
            random(&mut rng, d1),
            random(&mut rng, d2),
            random(&mut rng, d2),
            random(&mut rng, d2),
        );
        let along_x2: Vec<f64> = std::iter::repeat_n(0.0, d1)
            .chain(w.iter().copied())
            .collect();
        let along_x1: Vec<f64> = u
            .iter()
            .copied()
            .chain(std::iter::repeat_n(0.0, d2))
            .collect();
        let omega_f = |y: &[f64], out: &mut [f64]| g.d2f2(y, out);

        let mut hw = vec![0.0; d2];
        g.d22f2_mul(&x, &w, &mut hw);
        close(&hw, &directional(omega_f, &x, &along_x2, d2), "H w");
        let mut bu = vec![0.0; d2];
        g.d21f2_mul(&x, &u, &mut bu);
        close(&bu, &directional(omega_f, &x, &along_x1, d2), "B u");

        // Adjoints: <H w, v> = <w, H^T v>, <B u, v> = <u, B^T v>.
        let mut htv = vec![0.0; d2];
        g.d22f2_tmul(&x, &v, &mut htv);
        let mut hv_probe = vec![0.0; d2];
        g.d22f2_mul(&x, &w, &mut hv_probe);
        assert!(
            (dot(&hv_probe, &v) - dot(&w, &htv)).abs() <= 1e-10 * (1.0 + dot(&hv_probe, &v).abs())
        );
        let mut btv = vec![0.0; d1];
        g.d21f2_tmul(&x, &v, &mut btv);
        assert!((dot(&bu, &v) - dot(&u, &btv)).abs() <= 1e-10 * (1.0 + dot(&bu, &v).abs()));

        // (D^2 f1) dir = directional derivative of (D1 f1, D2 f1).
        let dir = random(&mut rng, n);
        let grad_f1 = |y: &[f64], out: &mut [f64]| {
            let (a, b) = out.split_at_mut(d1);
            g.d1f1(y, a);
            g.d2f1(y, b);
        };
        let mut hf1 = vec![0.0; n];
        g.f1_hvp(&x, &dir, &mut hf1);
        close(&hf1, &directional(grad_f1, &x, &dir, n), "(D^2 f1) dir");

        // (D^2 phi) dir = directional derivative of D phi = (B^T lambda, H^T lambda).
        let grad_phi = |y: &[f64], out: &mut [f64]| {
            let (a, b) = out.split_at_mut(d1);
            g.d21f2_tmul(y, &lambda, a);
            g.d22f2_tmul(y, &lambda, b);
        };
        let mut hphi = vec![0.0; n];
        g.phi_hvp(&x, &lambda, &dir, &mut hphi);
        close(&hphi, &directional(grad_phi, &x, &dir, n), "(D^2 phi) dir");
    }
}

#[test]
fn operators_of_the_paper_games_match_finite_differences() {
    check_operators(&Duopoly::default(), 1);
    check_operators(&Torus::default(), 2);
    check_operators(&ZeroSumExample1::default(), 3);
    check_operators(&Covariance3::default(), 4);
    check_operators(&LeaderThreeFollowerTwo, 5);
}

#[test]
fn operators_with_two_followers_use_the_unsymmetric_h() {
    // Two followers: H = D_{x2} omega_F is not symmetric, so H^T v != H v.
    let g = TwoFollowers;
    check_operators(&g, 6);
    let x = [0.3, -0.2, 0.7, 0.4, -0.9];
    let v = [1.0, -2.0, 0.5];
    let (mut hv, mut htv) = ([0.0f64; 3], [0.0f64; 3]);
    g.d22f2_mul(&x, &v, &mut hv);
    g.d22f2_tmul(&x, &v, &mut htv);
    let gap: f64 = hv.iter().zip(&htv).map(|(a, b)| (a - b).abs()).sum();
    assert!(gap > 1e-3, "H should not be symmetric here: {hv:?} {htv:?}");
}
