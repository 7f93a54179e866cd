//! Per-call time of the loop form against the unrolled form for the
//! covariance game at m = 9 (both forms compiled here), and the loop form
//! alone at m = 25 (the unrolled form does not fit there): omega, the
//! operators H w and B^T v, and one dense D22f2 built from the operator.
//! Ratios are against the unrolled game in the same process.
//!
//! `cargo run --release --example loop_form_speed` (rustc of the m = 9
//! unrolled game takes a while).

use stackel::prelude::*;
use std::hint::black_box;
use std::time::Instant;

stackel_testkit::covariance_game!(crate = [stackel], Unrolled9, 9, "m = 9, unrolled.");

macro_rules! loops {
    ($name:ident, $m:literal) => {
        stackel_testkit::covariance_game!(
            crate = [stackel],
            $name,
            $m,
            "The covariance game in the loop form.",
            form = "loops"
        );
    };
}
loops!(Loops9, 9);
loops!(Loops25, 25);

/// Mean seconds per call of `f` over about 0.3 s.
fn time(mut f: impl FnMut()) -> f64 {
    let mut reps = 1usize;
    loop {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        let s = t.elapsed().as_secs_f64();
        if s > 0.3 {
            return s / reps as f64;
        }
        reps *= 2;
    }
}

/// (omega, H w, B^T v, dense D22f2) seconds per call.
fn measure<G: Game>(g: &G) -> [f64; 4] {
    let (d1, d2) = (g.d1(), g.d2());
    let x: Vec<f64> = (0..d1 + d2)
        .map(|k| ((k * 7919) % 13) as f64 / 13.0 - 0.5)
        .collect();
    let w: Vec<f64> = (0..d2)
        .map(|k| ((k * 104729) % 11) as f64 / 11.0 - 0.5)
        .collect();
    let mut o = vec![0.0; d1 + d2];
    let mut o2 = vec![0.0; d2];
    let mut o1 = vec![0.0; d1];
    let mut h = vec![0.0; d2 * d2];
    [
        time(|| g.omega(black_box(&x), black_box(&mut o))),
        time(|| g.d22f2_mul(black_box(&x), black_box(&w), black_box(&mut o2))),
        time(|| g.d21f2_tmul(black_box(&x), black_box(&w), black_box(&mut o1))),
        time(|| g.d22f2(black_box(&x), black_box(&mut h))),
    ]
}

/// sigma = I.
fn identity<const M: usize>() -> [[f64; M]; M] {
    let mut s = [[0.0; M]; M];
    for (i, row) in s.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    s
}

fn main() {
    let names = ["omega", "H w", "B^T v", "dense D22f2"];
    let u = measure(&Unrolled9 {
        sigma: identity(),
        eta: 0.6,
    });
    let l = measure(&Loops9 {
        sigma: identity(),
        eta: 0.6,
    });
    println!("covariance m = 9: per call, loop form vs unrolled form");
    for k in 0..4 {
        println!(
            "  {:12} unrolled {:>10.3} us   loops {:>10.3} us   loops/unrolled {:>6.2}",
            names[k],
            u[k] * 1e6,
            l[k] * 1e6,
            l[k] / u[k]
        );
    }
    let l25 = measure(&Loops25 {
        sigma: identity(),
        eta: 0.6,
    });
    println!("covariance m = 25, loop form (no unrolled form at this size):");
    for k in 0..4 {
        println!(
            "  {:12} {:>10.3} us   (x{:.1} the m = 9 loop form; (25/9)^3 = 21.4)",
            names[k],
            l25[k] * 1e6,
            l25[k] / l[k]
        );
    }
}
