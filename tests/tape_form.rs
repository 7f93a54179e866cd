//! The tape form (lets kept as arrays, reverse mode, forward-over-reverse
//! operators) against independent references: the unrolled form of the
//! same DSL game (every block and operator, including the phi and param
//! blocks; the paper's games are in `tests/tape_form_agree.rs`), and, for a
//! small GAN with data inputs and player parts, central finite differences
//! and a hand-written twin differentiated by num-dual
//! (`autodiff::DualGame`).

use stackel::autodiff::{Costs, DualGame};
use stackel::prelude::*;
use stackel::{Form, GameInfo, PlayerInfo, Real};
use stackel_testkit::unit_point as point;

/// The same game compiled twice, in the tape form and unrolled.
macro_rules! two_forms {
    ($($form:literal $name:ident),*) => {$(
        stackel_game! {
            #[stackel(form = $form)]
            /// Two followers, a max reduction, powers and divisions.
            pub game $name {
                param a = 0.7;
                leader u: [3];
                follower y: [2];
                follower z;
                let s[i in 0..2] = sin(u[i]) * y[i] + a;
                let m = max(i in 0..2) s[i] + u[2];
                cost u = m^2 + sum(i in 0..3) u[i]^4 / (1.0 + z^2) + softplus(u[0] * z);
                cost y = sum(i in 0..2) (y[i] - s[i])^2 + y[0] * y[1] * z;
                cost z = (z - u[1])^2 * exp(0.1 * y[0]) + sqrt(1.0 + z^2) + relu(z - 0.2);
            }
        }
    )*};
}
two_forms!("tape" MixedTape, "unrolled" MixedUnrolled);

stackel_game! {
    /// A small GAN: 4 samples, latent dimension 2, 3 hidden units; the
    /// non-saturating generator cost and a discriminator with weight decay.
    pub game SmallGan {
        const B = 4;
        const Z = 2;
        const H = 3;
        data x: [B, 2];
        data z: [B, Z];
        leader gen { w1: [H, Z], b1: [H], w2: [2, H], b2: [2] };
        follower disc { v1: [H, 2], c1: [H], v2: [H], c2 };
        let h[b in 0..B, j in 0..H] = tanh(sum(i in 0..Z) w1[j, i] * z[b, i] + b1[j]);
        let g[b in 0..B, k in 0..2] = sum(i in 0..H) w2[k, i] * h[b, i] + b2[k];
        let dr[b in 0..B] = sum(j in 0..H) v2[j] * leaky_relu(sum(i in 0..2) v1[j, i] * x[b, i] + c1[j], 0.2) + c2;
        let df[b in 0..B] = sum(j in 0..H) v2[j] * leaky_relu(sum(i in 0..2) v1[j, i] * g[b, i] + c1[j], 0.2) + c2;
        let loss_d = -mean(b in 0..B) (log_sigmoid(dr[b]) + log_sigmoid(-df[b]));
        cost gen = -mean(b in 0..B) log_sigmoid(df[b]);
        cost disc = loss_d + 0.01 * sum(j in 0..H) v2[j]^2;
    }
}

/// `SmallGan` written by hand, for num-dual; the batch is a field.
struct GanTwin {
    batch: Vec<f64>,
}

static TWIN_INFO: GameInfo = GameInfo {
    name: "gan twin",
    leader: PlayerInfo {
        name: "gen",
        shape: &[17],
        offset: 0,
        dim: 17,
        angle: false,
        level: 0,
        parts: &[],
    },
    followers: &[PlayerInfo {
        name: "disc",
        shape: &[13],
        offset: 17,
        dim: 13,
        angle: false,
        level: 1,
        parts: &[],
    }],
    params: &[],
    zero_sum: false,
    form: Form::Unrolled,
    data: &[],
};

fn leaky<T: Real>(u: T) -> T {
    u.relu() - T::of(0.2) * (-u).relu()
}
fn log_sigmoid<T: Real>(u: T) -> T {
    -(-u).softplus()
}

impl GanTwin {
    /// (logits of the real samples, logits of the generated samples).
    fn logits<T: Real>(&self, s: &[T]) -> (Vec<T>, Vec<T>) {
        let (w1, b1, w2, b2) = (&s[0..6], &s[6..9], &s[9..15], &s[15..17]);
        let (v1, c1, v2, c2) = (&s[17..23], &s[23..26], &s[26..29], s[29]);
        let d = |p: [T; 2]| {
            let mut o = c2;
            for j in 0..3 {
                o += v2[j] * leaky(v1[2 * j] * p[0] + v1[2 * j + 1] * p[1] + c1[j]);
            }
            o
        };
        let (mut real, mut fake) = (Vec::new(), Vec::new());
        for b in 0..4 {
            let x = [T::of(self.batch[2 * b]), T::of(self.batch[2 * b + 1])];
            let z = [
                T::of(self.batch[8 + 2 * b]),
                T::of(self.batch[8 + 2 * b + 1]),
            ];
            let h: Vec<T> = (0..3)
                .map(|j| (w1[2 * j] * z[0] + w1[2 * j + 1] * z[1] + b1[j]).tanh())
                .collect();
            let g = [0, 1].map(|k| (0..3).fold(b2[k], |acc, i| acc + w2[3 * k + i] * h[i]));
            real.push(d(x));
            fake.push(d(g));
        }
        (real, fake)
    }
}

impl Costs for GanTwin {
    const D1: usize = 17;
    const D2: usize = 13;
    const NP: usize = 0;
    fn info(&self) -> &'static GameInfo {
        &TWIN_INFO
    }
    fn params(&self, _out: &mut [f64]) {}
    fn set_params(&mut self, _p: &[f64]) {}
    fn leader<T: Real>(&self, s: &[T], _p: &[T]) -> T {
        let (_, fake) = self.logits(s);
        -fake
            .into_iter()
            .map(log_sigmoid)
            .fold(T::zero(), |a, b| a + b)
            / T::of(4.0)
    }
    fn follower<T: Real>(&self, _i: usize, s: &[T], _p: &[T]) -> T {
        let (real, fake) = self.logits(s);
        let mut l = T::zero();
        for b in 0..4 {
            l += log_sigmoid(real[b]) + log_sigmoid(-fake[b]);
        }
        let decay = (26..29).fold(T::zero(), |a, j| a + s[j] * s[j]);
        -l / T::of(4.0) + T::of(0.01) * decay
    }
}

fn close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{k}]: {x} vs {y}"
        );
    }
}

/// Every block, operator and param block of `a` (with `xa`, which may
/// carry data) against `b` (at `xb`).
fn agree<A: Game, B: Game>(a: &A, b: &B, xa: &[f64], xb: &[f64], seed: u64, tol: f64) {
    let (d1, d2, n, np) = (a.d1(), a.d2(), a.n(), a.np());
    assert_eq!((d1, d2, np), (b.d1(), b.d2(), b.np()));
    let lambda = point(d2, seed + 1);
    let dir = point(n, seed + 2);
    close(&[a.leader_cost(xa)], &[b.leader_cost(xb)], tol, "f1");
    for i in 0..b.info().followers.len() {
        close(
            &[a.follower_cost(i, xa)],
            &[b.follower_cost(i, xb)],
            tol,
            "f2",
        );
    }
    macro_rules! block {
        ($m:ident, $len:expr) => {{
            let (mut u, mut v) = (vec![0.0; $len], vec![0.0; $len]);
            a.$m(xa, &mut u);
            b.$m(xb, &mut v);
            close(&u, &v, tol, stringify!($m));
        }};
        ($m:ident, $len:expr, lambda) => {{
            let (mut u, mut v) = (vec![0.0; $len], vec![0.0; $len]);
            a.$m(xa, &lambda, &mut u);
            b.$m(xb, &lambda, &mut v);
            close(&u, &v, tol, stringify!($m));
        }};
    }
    block!(d1f1, d1);
    block!(d2f1, d2);
    block!(d2f2, d2);
    block!(omega, n);
    block!(d11f1, d1 * d1);
    block!(d12f1, d1 * d2);
    block!(d22f1, d2 * d2);
    block!(d22f2, d2 * d2);
    block!(d21f2, d2 * d1);
    block!(d11phi, d1 * d1, lambda);
    block!(d12phi, d1 * d2, lambda);
    block!(d21phi, d2 * d1, lambda);
    block!(d22phi, d2 * d2, lambda);
    block!(d1p_f1, d1 * np);
    block!(d2p_f1, d2 * np);
    block!(d2p_f2, d2 * np);
    block!(d1p_phi, d1 * np, lambda);
    block!(d2p_phi, d2 * np, lambda);
    let (mut u, mut v) = (vec![0.0; n], vec![0.0; n]);
    a.f1_hvp(xa, &dir, &mut u);
    b.f1_hvp(xb, &dir, &mut v);
    close(&u, &v, tol, "f1_hvp");
    a.phi_hvp(xa, &lambda, &dir, &mut u);
    b.phi_hvp(xb, &lambda, &dir, &mut v);
    close(&u, &v, tol, "phi_hvp");
    let (mut u, mut v) = (vec![0.0; d2], vec![0.0; d2]);
    a.d22f2_mul(xa, &dir[d1..], &mut u);
    b.d22f2_mul(xb, &dir[d1..], &mut v);
    close(&u, &v, tol, "d22f2_mul");
    a.d22f2_tmul(xa, &lambda, &mut u);
    b.d22f2_tmul(xb, &lambda, &mut v);
    close(&u, &v, tol, "d22f2_tmul");
    a.d21f2_mul(xa, &dir[..d1], &mut u);
    b.d21f2_mul(xb, &dir[..d1], &mut v);
    close(&u, &v, tol, "d21f2_mul");
    let (mut u, mut v) = (vec![0.0; d1], vec![0.0; d1]);
    a.d21f2_tmul(xa, &lambda, &mut u);
    b.d21f2_tmul(xb, &lambda, &mut v);
    close(&u, &v, tol, "d21f2_tmul");
}

#[test]
fn tape_form_equals_unrolled_form_with_two_followers_and_reductions() {
    let (t, u) = (MixedTape::default(), MixedUnrolled::default());
    for seed in 0..4 {
        let x = point(MixedTape::N, 10 + seed);
        agree(&t, &u, &x, &x, seed, 1e-10);
    }
}

#[test]
fn small_gan_matches_its_num_dual_twin() {
    let g = SmallGan;
    assert_eq!((SmallGan::D1, SmallGan::D2, SmallGan::ND), (17, 13, 16));
    let info = g.info();
    assert_eq!(info.form, Form::Tape);
    assert_eq!(info.data.len(), 2);
    assert_eq!(
        (info.data[1].name, info.data[1].offset, info.data[1].len),
        ("z", 8, 8)
    );
    let parts: Vec<(&str, usize, usize)> = info
        .leader
        .parts
        .iter()
        .map(|p| (p.name, p.offset, p.len))
        .collect();
    assert_eq!(
        parts,
        [("w1", 0, 6), ("b1", 6, 3), ("w2", 9, 6), ("b2", 15, 2)]
    );
    for seed in 0..3 {
        let x = point(SmallGan::N + SmallGan::ND, 20 + seed);
        let twin = DualGame::new(GanTwin {
            batch: x[SmallGan::N..].to_vec(),
        })
        .unwrap();
        agree(&g, &twin, &x, &x[..SmallGan::N], seed, 1e-10);
    }
}

/// The operators of a direction on the followers reuse the generator's
/// layers while the point stays the same (`stackel::point_cache`): moved
/// by one latent entry (data) or one generator weight, and back, each
/// call still matches the twin at its own point.
#[test]
fn follower_operators_follow_the_point() {
    let g = SmallGan;
    let (n, d1, d2) = (SmallGan::N, SmallGan::D1, SmallGan::D2);
    let x0 = point(n + SmallGan::ND, 40);
    let mut by_z = x0.clone();
    by_z[n + 8] += 0.25;
    let mut by_w = x0.clone();
    by_w[0] -= 0.5;
    let v = point(d2, 41);
    for x in [&x0, &by_z, &x0, &by_w, &by_w, &x0] {
        let twin = DualGame::new(GanTwin {
            batch: x[n..].to_vec(),
        })
        .unwrap();
        let (mut u, mut w) = (vec![0.0; d2], vec![0.0; d2]);
        g.d22f2_tmul(x, &v, &mut u);
        twin.d22f2_tmul(&x[..n], &v, &mut w);
        close(&u, &w, 1e-10, "d22f2_tmul");
        g.d22f2_mul(x, &v, &mut u);
        twin.d22f2_mul(&x[..n], &v, &mut w);
        close(&u, &w, 1e-10, "d22f2_mul");
        let (mut u, mut w) = (vec![0.0; d1], vec![0.0; d1]);
        g.d21f2_tmul(x, &v, &mut u);
        twin.d21f2_tmul(&x[..n], &v, &mut w);
        close(&u, &w, 1e-10, "d21f2_tmul");
        // D2f1 reads the same memo: the same bits as the whole gradient
        // program, and the twin's value, at every point
        let (mut u, mut w) = (vec![0.0; d2], vec![0.0; d2]);
        g.d2f1(x, &mut u);
        twin.d2f1(&x[..n], &mut w);
        close(&u, &w, 1e-10, "d2f1");
        let mut whole = vec![0.0; n];
        g.__tape_gradient(2, 0, x, &mut whole);
        assert!(
            u.iter()
                .zip(&whole[d1..])
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "d2f1 from the shared lets against the whole gradient program"
        );
    }
}

#[test]
fn small_gan_gradients_and_hessian_products_match_finite_differences() {
    let g = SmallGan;
    let (d1, n) = (SmallGan::D1, SmallGan::N);
    let x = point(n + SmallGan::ND, 99);
    let h = 1e-6;
    let mut w = vec![0.0; n];
    g.omega(&x, &mut w);
    for k in 0..n {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[k] += h;
        xm[k] -= h;
        let f = |x: &[f64]| {
            if k < d1 {
                g.leader_cost(x)
            } else {
                g.follower_cost(0, x)
            }
        };
        let fd = (f(&xp) - f(&xm)) / (2.0 * h);
        assert!(
            (w[k] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
            "omega[{k}]: {} vs {fd}",
            w[k]
        );
    }
    // (D^2 f1) dir against the central difference of the gradient of f1.
    let dir = point(n, 7);
    let mut hv = vec![0.0; n];
    g.f1_hvp(&x, &dir, &mut hv);
    let grad = |x: &[f64]| {
        let (mut a, mut b) = (vec![0.0; d1], vec![0.0; n - d1]);
        g.d1f1(x, &mut a);
        g.d2f1(x, &mut b);
        a.extend(b);
        a
    };
    let (mut xp, mut xm) = (x.clone(), x.clone());
    for k in 0..n {
        xp[k] += h * dir[k];
        xm[k] -= h * dir[k];
    }
    let (gp, gm) = (grad(&xp), grad(&xm));
    for k in 0..n {
        let fd = (gp[k] - gm[k]) / (2.0 * h);
        assert!(
            (hv[k] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
            "f1_hvp[{k}]: {} vs {fd}",
            hv[k]
        );
    }
}

#[test]
fn the_data_part_of_x_is_read() {
    let g = SmallGan;
    let mut x = point(SmallGan::N + SmallGan::ND, 5);
    let before = g.follower_cost(0, &x);
    x[SmallGan::N] += 0.5;
    assert_ne!(before, g.follower_cost(0, &x));
}

/// The two copies of each tape program (`stackel::tiered`: plain, and
/// compiled for AVX2 and FMA) compute the same bits, in f32 and f64, for
/// the costs, the gradients and omega; the public methods run the copy the
/// CPU allows.
#[test]
fn both_simd_copies_compute_the_same_bits() {
    fn check<T: stackel::Float>() {
        let x: Vec<T> = point(SmallGan::N + SmallGan::ND, 31)
            .iter()
            .map(|&v| T::of(v))
            .collect();
        let p = SmallGan.__tape_params::<T>();
        let bits = |v: &[T]| v.iter().map(|t| t.re().to_bits()).collect::<Vec<_>>();
        let plain = SmallGan.__tape_cost_plain(1, &x, &p);
        let mut om = [vec![T::zero(); SmallGan::N], vec![T::zero(); SmallGan::N]];
        SmallGan.__tape_omega_plain(&x, &p, &mut om[0]);
        let mut g = [vec![T::zero(); SmallGan::N], vec![T::zero(); SmallGan::N]];
        SmallGan.__tape_grad_all_plain(0, &x, &p, &mut g[0]);
        let mut public = vec![T::zero(); SmallGan::N];
        SmallGan.omega(&x, &mut public);
        assert_eq!(bits(&public), bits(&om[0]), "omega: public against plain");
        if !stackel::tiered::avx2() {
            eprintln!("this CPU has no AVX2 and FMA: only the plain copy ran");
            return;
        }
        // SAFETY: avx2() checked that this CPU has AVX2 and FMA.
        let wide = unsafe { SmallGan.__tape_cost_avx2(1, &x, &p) };
        assert_eq!(plain.re().to_bits(), wide.re().to_bits());
        // SAFETY: as above.
        unsafe { SmallGan.__tape_omega_avx2(&x, &p, &mut om[1]) };
        assert_eq!(bits(&om[0]), bits(&om[1]), "omega");
        // SAFETY: as above.
        unsafe { SmallGan.__tape_grad_all_avx2(0, &x, &p, &mut g[1]) };
        assert_eq!(bits(&g[0]), bits(&g[1]), "gradient of the leader's cost");
        assert!(g[0].iter().any(|v| v.re() != 0.0));
    }
    check::<f32>();
    check::<f64>();
}
