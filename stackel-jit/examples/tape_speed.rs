//! The paper's diamond GAN (games/mog_diamond.stk, tape form: data inputs,
//! players made of parts) as a `DynGame` beside the same game compiled by
//! `stackel_game!` (`stackel_testkit::games::DiamondGan`), side by side in
//! one process: microseconds per call of the costs, the gradients and the
//! operators a Stackelberg step uses, and the ratio DynGame / macro, f32 and
//! f64 (median of 5 rounds, interleaved). The results are asserted equal.
//!
//! `cargo run --release -p stackel-jit --example tape_speed -- [reps]`

use stackel_jit::DynGame;
use stackel_runtime::{Game, Real};
use stackel_testkit::games::DiamondGan;
use stackel_testkit::point;
use stackel_testkit::texts::MOG_DIAMOND;
use std::time::Instant;

/// Median seconds per call of `f` over 5 rounds of `reps` calls.
fn per_call(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..reps {
                f();
            }
            s.elapsed().as_secs_f64() / reps as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

/// One row per method: (name, DynGame s/call, macro s/call).
fn rows<T: Real>(g: &DynGame, m: &DiamondGan, reps: usize) -> Vec<(&'static str, f64, f64)> {
    let (d1, d2, n, nd) = (g.d1(), g.d2(), g.n(), g.nd());
    let x: Vec<T> = point(n + nd, 3).iter().map(|&v| T::of(v * 0.3)).collect();
    let v: Vec<T> = point(d2, 4).iter().map(|&v| T::of(v)).collect();
    let z = T::zero();
    let mut out = vec![z; n];
    let mut out2 = vec![z; n];
    let mut rows = Vec::new();
    macro_rules! row {
        ($name:expr, $g:ident => $call:expr) => {{
            let a = {
                let $g = g;
                per_call(reps, || {
                    $call;
                })
            };
            let b = {
                let $g = m;
                per_call(reps, || {
                    $call;
                })
            };
            rows.push(($name, a, b));
        }};
    }
    row!("leader cost", h => std::hint::black_box(h.leader_cost(&x)));
    row!("d1f1", h => h.d1f1(&x, &mut out[..d1]));
    row!("d2f2", h => h.d2f2(&x, &mut out[..d2]));
    row!("omega", h => h.omega(&x, &mut out[..n]));
    row!("H w", h => h.d22f2_mul(&x, &v, &mut out[..d2]));
    row!("B^T v", h => h.d21f2_tmul(&x, &v, &mut out[..d1]));
    g.d21f2_tmul(&x, &v, &mut out[..d1]);
    m.d21f2_tmul(&x, &v, &mut out2[..d1]);
    assert!(out[..d1]
        .iter()
        .zip(&out2[..d1])
        .all(|(a, b)| a.re().to_bits() == b.re().to_bits()));
    rows
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let t = Instant::now();
    let g = DynGame::from_dsl("mog_diamond.stk", MOG_DIAMOND).expect("the diamond GAN compiles");
    println!(
        "diamond GAN from text: d1 = {}, d2 = {}, ND = {}, built in {:.1} ms ({:?} form)",
        g.d1(),
        g.d2(),
        g.nd(),
        t.elapsed().as_secs_f64() * 1e3,
        g.info().form
    );
    let m = DiamondGan;
    for (label, rows) in [
        ("f32", rows::<f32>(&g, &m, reps)),
        ("f64", rows::<f64>(&g, &m, reps)),
    ] {
        println!("{label}: method | DynGame us | macro us | DynGame / macro");
        for (name, a, b) in rows {
            println!(
                "  {name:12} | {:10.0} | {:8.0} | {:6.1}x",
                a * 1e6,
                b * 1e6,
                a / b
            );
        }
    }
}
