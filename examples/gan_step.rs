//! Per-call cost of the mixture-of-Gaussians GAN (paper 4.3, example 2;
//! Appendix D.1 sizes: batch 256, latent 16, hidden 32), the
//! `stackel_game!` definition the paper's experiments use
//! (`stackel_testkit::games::DiamondGan`, tape form): the gradients, the operators a
//! Stackelberg step uses (H w for conjugate gradients, B^T v) and one whole
//! regularised Stackelberg direction (D1f1 - B^T (H + eta I)^-1 D2f1 with
//! 5 CG iterations), f32 and f64. Prints microseconds per call.
//!
//! `cargo run --release --example gan_step`

use stackel::prelude::*;
use stackel_testkit::games::DiamondGan;
use std::time::Instant;

fn time<F: FnMut()>(reps: usize, mut f: F) -> f64 {
    f();
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    t.elapsed().as_secs_f64() / reps as f64 * 1e6
}

fn run<T: stackel::Float>(label: &str) {
    let g = DiamondGan;
    let (d1, d2, n, nd) = (
        DiamondGan::D1,
        DiamondGan::D2,
        DiamondGan::N,
        DiamondGan::ND,
    );
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        T::of((s >> 11) as f64 / (1u64 << 53) as f64 * 0.4 - 0.2)
    };
    let x: Vec<T> = (0..n + nd).map(|_| next()).collect();
    let (mut a, mut b, mut w) = (
        vec![T::zero(); d1],
        vec![T::zero(); d2],
        vec![T::zero(); d2],
    );
    let v: Vec<T> = (0..d2).map(|_| next()).collect();
    let reps = 20;
    let t_d1f1 = time(reps, || g.d1f1(&x, &mut a));
    let t_d2f1 = time(reps, || g.d2f1(&x, &mut b));
    let t_d2f2 = time(reps, || g.d2f2(&x, &mut b));
    let t_h = time(reps, || g.d22f2_mul(&x, &v, &mut w));
    let t_bt = time(reps, || g.d21f2_tmul(&x, &v, &mut a));
    let t_cost = time(reps, || {
        std::hint::black_box(g.leader_cost(&x));
    });
    // One simultaneous-gradient direction: both players' own gradients,
    // omega = (D1f1, D2f2), one call sharing one forward pass.
    let mut om = vec![T::zero(); d1 + d2];
    let t_sim = time(reps, || g.omega(&x, &mut om));
    // One regularised Stackelberg direction: 5 CG iterations on (H + I) w = D2f1.
    let t_step = time(5, || {
        let mut r = vec![T::zero(); d2];
        g.d2f1(&x, &mut r);
        let mut lam = vec![T::zero(); d2];
        let mut p = r.clone();
        let mut hp = vec![T::zero(); d2];
        let dot = |u: &[T], v: &[T]| u.iter().zip(v).fold(T::zero(), |s, (a, b)| s + *a * *b);
        let mut rr = dot(&r, &r);
        for _ in 0..5 {
            g.d22f2_mul(&x, &p, &mut hp);
            for k in 0..d2 {
                hp[k] += p[k];
            }
            let alpha = rr / dot(&p, &hp);
            for k in 0..d2 {
                lam[k] += alpha * p[k];
                r[k] -= alpha * hp[k];
            }
            let rn = dot(&r, &r);
            for k in 0..d2 {
                p[k] = r[k] + rn / rr * p[k];
            }
            rr = rn;
        }
        g.d21f2_tmul(&x, &lam, &mut a);
        g.omega(&x, &mut om);
    });
    println!(
        "{label}: d1 = {d1}, d2 = {d2}, ND = {nd}; microseconds per call: cost {t_cost:.0}, d1f1 {t_d1f1:.0}, d2f1 {t_d2f1:.0}, d2f2 {t_d2f2:.0}, H w {t_h:.0}, B^T v {t_bt:.0}; one simultaneous direction (omega) {t_sim:.0}; one Stackelberg direction (omega + d2f1 + CG(5) + B^T lambda) {t_step:.0}"
    );
}

/// What the example checks: H = D22f2 is symmetric (u . H w = w . H u, a
/// property of forward over reverse, not of any one call) and the
/// Stackelberg direction is finite.
fn check() {
    let g = DiamondGan;
    let (d1, d2, n, nd) = (
        DiamondGan::D1,
        DiamondGan::D2,
        DiamondGan::N,
        DiamondGan::ND,
    );
    let x: Vec<f64> = (0..n + nd)
        .map(|k| ((k * 7919) % 1000) as f64 / 2500.0 - 0.2)
        .collect();
    let u: Vec<f64> = (0..d2)
        .map(|k| ((k * 31) % 17) as f64 / 17.0 - 0.5)
        .collect();
    let w: Vec<f64> = (0..d2)
        .map(|k| ((k * 13) % 11) as f64 / 11.0 - 0.5)
        .collect();
    let (mut hu, mut hw) = (vec![0.0; d2], vec![0.0; d2]);
    g.d22f2_mul(&x, &u, &mut hu);
    g.d22f2_mul(&x, &w, &mut hw);
    let (a, b): (f64, f64) = (
        u.iter().zip(&hw).map(|(p, q)| p * q).sum(),
        w.iter().zip(&hu).map(|(p, q)| p * q).sum(),
    );
    assert!(
        (a - b).abs() <= 1e-10 * (1.0 + a.abs()),
        "u.Hw = {a}, w.Hu = {b}"
    );
    let mut d = vec![0.0; d1];
    g.d21f2_tmul(&x, &hw, &mut d);
    assert!(d.iter().all(|v| v.is_finite()));
}

fn main() {
    check();
    run::<f32>("f32");
    run::<f64>("f64");
}
