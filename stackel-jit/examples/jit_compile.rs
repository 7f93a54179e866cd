//! How long run-time compilation takes, and how fast its code runs beside
//! the macro's, side by side in one process: the duopoly and the covariance
//! game at m = 9 (paper 4.3), every program a `Game` needs (17 blocks, both
//! costs, omega, the fused Stackelberg and second-order parts), in f64.
//!
//! `cargo run --release -p stackel-jit --example jit_compile`

use stackel_jit::{DynGame, JitPrograms, Precision};
use stackel_runtime::{Game, StackelbergParts};
use stackel_symbolic::ir::Program;
use stackel_symbolic::lower::lower_game;
use stackel_testkit::texts::DUOPOLY;
use std::str::FromStr;
use std::time::Instant;

stackel_testkit::covariance_game!(
    crate = [stackel_runtime],
    Covariance9,
    9,
    "The covariance game at m = 9, compiled by the macro (the comparison column).",
    sigma = [
        [1, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 1, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 1, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 1, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 1, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 1]
    ]
);

fn covariance(m: usize) -> String {
    let mut rows = Vec::new();
    for i in 0..m {
        let row: Vec<&str> = (0..m).map(|j| if i == j { "1" } else { "0" }).collect();
        rows.push(format!("[{}]", row.join(", ")));
    }
    format!(
        "game Covariance {{
            const M = {m};
            param sigma: [M, M] = [{}];
            param eta = 0.6;
            leader v: [M, M];  follower w: [M, M];
            let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
            cost v = f;
            cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
        }}",
        rows.join(", ")
    )
}

/// Milliseconds to parse, check and lower `text`, to JIT every program in
/// f64, and to build the whole `DynGame` (both precisions in parallel, the
/// batched programs, the WGSL module, the formulas).
fn compile(text: &str) -> (f64, f64, f64, DynGame, usize) {
    let t = Instant::now();
    let model =
        stackel_symbolic::front_end(proc_macro2::TokenStream::from_str(text).unwrap()).unwrap();
    let l = lower_game(&model).unwrap();
    let front = t.elapsed().as_secs_f64() * 1e3;
    let mut programs: Vec<&Program> = vec![&l.field.stackelberg_parts];
    programs.extend(l.blocks.iter());
    programs.extend([&l.leader_cost, &l.field.omega, &l.second_order_parts]);
    programs.extend(l.follower_costs.iter());
    let size: usize = programs.iter().map(|p| p.size()).sum();
    let t = Instant::now();
    JitPrograms::compile(&programs, Precision::F64).unwrap();
    let jit = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let game = DynGame::from_dsl("game.stk", text).unwrap();
    (front, jit, t.elapsed().as_secs_f64() * 1e3, game, size)
}

/// Nanoseconds per call of `f`, the median of 5 rounds.
fn ns_per_call(mut f: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..5)
        .map(|_| {
            let reps = 20_000;
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() * 1e9 / reps as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[2]
}

fn side_by_side<G: Game>(name: &str, g: &G, jit: &DynGame) {
    let (d1, d2) = (g.d1(), g.d2());
    let x: Vec<f64> = (0..g.n()).map(|i| 0.1 + 0.37 * (i as f64).sin()).collect();
    let mut ja = [d1, d2, d2, d2 * d2, d2 * d1].map(|k| vec![0.0; k]);
    let mut ma = ja.clone();
    // black_box: neither side may be hoisted out of the timing loop
    let t_jit = ns_per_call(|| {
        jit.stackelberg_parts(
            std::hint::black_box(&x),
            StackelbergParts::from_buffers(&mut ja),
        );
        std::hint::black_box(&mut ja);
    });
    let t_macro = ns_per_call(|| {
        g.stackelberg_parts(
            std::hint::black_box(&x),
            StackelbergParts::from_buffers(&mut ma),
        );
        std::hint::black_box(&mut ma);
    });
    assert_eq!(ja, ma, "run-time and compile-time code agree");
    println!(
        "{name}: Stackelberg parts per call: JIT {t_jit:.0} ns, macro {t_macro:.0} ns (JIT at {:.2}x the macro's speed)",
        t_macro / t_jit
    );
}

fn main() {
    let (front, jit_ms, whole, duopoly, size) = compile(DUOPOLY);
    println!(
        "duopoly: front end + lowering {front:.2} ms, JIT of {size} IR entries {jit_ms:.2} ms (f64); the whole DynGame (f64 and f32) {whole:.1} ms"
    );
    side_by_side(
        "duopoly",
        &stackel_testkit::games::Duopoly::default(),
        &duopoly,
    );
    for m in [3, 9] {
        let (front, jit_ms, whole, jit, size) = compile(&covariance(m));
        println!("covariance m = {m}: front end + lowering {front:.1} ms, JIT of {size} IR entries {jit_ms:.1} ms (f64); the whole DynGame (f64 and f32) {whole:.0} ms");
        if m == 9 {
            side_by_side("covariance m = 9", &Covariance9::default(), &jit);
        }
    }
}
