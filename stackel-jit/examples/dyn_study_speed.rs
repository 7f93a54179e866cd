//! A `DynGame` study (the game given as text, compiled at run time) beside
//! the same study of the same game compiled by `stackel_game!`, side by side
//! in one process, interleaved, median of 5 runs each: trajectory-steps per
//! second and their ratio, f64 and f32.
//!
//! - the duopoly, two-timescale, noise variance 10, start (10, 10)
//!   (`mc_throughput`'s study);
//! - the covariance game at m = 3 (paper 4.3), simultaneous play;
//! - the covariance game at m = 15 in the loop form (the size at which the
//!   compiler stops unrolling): time per call of omega and of each
//!   operator, and a simultaneous study with N / 100 trajectories.
//!
//! `cargo run --release -p stackel-jit --example dyn_study_speed -- [N] [K]`
//! (defaults N = 100000, K = 1000 for the duopoly; the covariance study uses
//! N / 10 trajectories, the m = 15 study N / 100; `--duopoly-only` runs the
//! duopoly alone, `--loops-only` the m = 15 rows alone). The results of both games are asserted equal.

use stackel_jit::DynGame;
use stackel_runtime::rng::NoiseFloat;
use stackel_runtime::{Dynamics, Game, Init, Noise, Schedule, Study};
use stackel_testkit::games::{Covariance3, Duopoly};
use stackel_testkit::texts::{COVARIANCE3, DUOPOLY};
use std::time::Instant;

stackel_testkit::covariance_game!(
    crate = [stackel_runtime],
    Covariance15,
    15,
    "The covariance game at m = 15, loop form (sigma zero, as the text's).",
    form = "loops"
);

/// The m = 15 text: the paper's m = 3 file at M = 15 without a sigma
/// default (zero, as the macro game's), in the loop form by the size rule.
fn covariance15_text() -> String {
    COVARIANCE3
        .replace("const M = 3", "const M = 15")
        .replace(" = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]", "")
}

/// Median time per call (ns) of `f` on each game, interleaved: (macro,
/// DynGame).
fn per_call(mut f: impl FnMut(bool), calls: u32) -> (f64, f64) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        for (game, times) in [(false, &mut a), (true, &mut b)] {
            let t = Instant::now();
            for _ in 0..calls {
                f(game);
            }
            times.push(t.elapsed().as_secs_f64() * 1e9 / calls as f64);
        }
    }
    (median(a), median(b))
}

/// The loop-form rows: per-call times of omega and the operators at m = 15
/// (results asserted bit-identical), and a simultaneous study.
fn loop_form(n: u64, k: u64) {
    let t = Instant::now();
    let text = covariance15_text();
    let g = DynGame::from_dsl("covariance15.stk", &text).expect("m = 15 compiles");
    println!(
        "\ncompile from text: covariance m = 15 (loop form, {:?}) {:.1} ms",
        g.info().form,
        t.elapsed().as_secs_f64() * 1e3
    );
    let m = Covariance15 {
        sigma: [[0.0; 15]; 15],
        eta: 0.6,
    };
    let (d1, d2) = (g.d1(), g.d2());
    let nn = d1 + d2;
    let x: Vec<f64> = (0..nn)
        .map(|i| 0.3 * ((i * 7 % 11) as f64 / 11.0 - 0.5))
        .collect();
    let lambda: Vec<f64> = (0..d2).map(|i| 0.2 - 0.01 * (i % 13) as f64).collect();
    let dir: Vec<f64> = (0..nn).map(|i| 0.5 - 0.002 * i as f64).collect();
    println!("| m = 15, per call (f64) | macro (ns) | DynGame (ns) | DynGame / macro |");
    println!("|---|---|---|---|");
    let rows = [
        ("omega", nn),
        ("d22f2_mul (H w)", d2),
        ("d22f2_tmul (H^T v)", d2),
        ("d21f2_mul (B u)", d2),
        ("d21f2_tmul (B^T v)", d1),
        ("f1_hvp", nn),
        ("phi_hvp", nn),
    ];
    // row r's method of either game
    fn call<G: Game>(g: &G, r: usize, x: &[f64], l: &[f64], dir: &[f64], o: &mut [f64]) {
        let d1 = g.d1();
        match r {
            0 => g.omega(x, o),
            1 => g.d22f2_mul(x, &dir[d1..], o),
            2 => g.d22f2_tmul(x, l, o),
            3 => g.d21f2_mul(x, &dir[..d1], o),
            4 => g.d21f2_tmul(x, l, o),
            5 => g.f1_hvp(x, dir, o),
            _ => g.phi_hvp(x, l, dir, o),
        }
    }
    for (r, (name, len)) in rows.into_iter().enumerate() {
        let (mut a, mut b) = (vec![0.0; len], vec![0.0; len]);
        call(&m, r, &x, &lambda, &dir, &mut a);
        call(&g, r, &x, &lambda, &dir, &mut b);
        assert_eq!(a, b, "{name}: the two games differ");
        let (ta, tb) = per_call(
            |dyn_game| {
                if dyn_game {
                    call(&g, r, &x, &lambda, &dir, &mut b)
                } else {
                    call(&m, r, &x, &lambda, &dir, &mut a)
                }
            },
            200,
        );
        println!("| {name} | {ta:.0} | {tb:.0} | {:.2} |", tb / ta);
    }
    let simultaneous =
        Dynamics::simultaneous(Schedule::inverse_power(0.5).offset(10.0).exponent(0.7));
    let nl = (n / 100).max(1);
    let work = (nl * k) as f64;
    let ms = study(m, simultaneous.clone(), nl, k, 0.1, 1e-4);
    let ds = study(g, simultaneous, nl, k, 0.1, 1e-4);
    let (a, b) = compare::<_, f64>(&ms, &ds, work);
    println!("\n| study | precision | N | K | macro | DynGame | DynGame / macro |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| covariance m = 15 (loops) simultaneous | f64 | {nl} | {k} | {a:.3e} | {b:.3e} | {:.2} |",
        b / a
    );
}

fn study<G: Game + Clone>(
    g: G,
    dynamics: Dynamics,
    n: u64,
    k: u64,
    start: f64,
    var: f64,
) -> Study<G> {
    let d = g.n();
    Study::new(g, dynamics)
        .trajectories(n)
        .steps(k)
        .noise(Noise::variance(var))
        .init(Init::Point(vec![start; d]))
        .seed(1)
        .progress(false)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// (macro rate, DynGame rate) in trajectory-steps/s, median of 5
/// interleaved runs; the two final states are asserted bit-identical.
fn compare<M: Game + Clone, T: NoiseFloat>(
    m: &Study<M>,
    d: &Study<DynGame>,
    work: f64,
) -> (f64, f64) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        let rm = m.clone().run::<T>().expect("macro study");
        a.push(work / t.elapsed().as_secs_f64());
        let t = Instant::now();
        let rd = d.clone().run::<T>().expect("DynGame study");
        b.push(work / t.elapsed().as_secs_f64());
        assert_eq!(
            rm.final_states, rd.final_states,
            "the two games' trajectories differ"
        );
    }
    (median(a), median(b))
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(100_000);
    let k = args.get(1).copied().unwrap_or(1000);
    let t = Instant::now();
    let duopoly = DynGame::from_dsl("duopoly.stk", DUOPOLY).expect("the duopoly compiles");
    let compile_duopoly = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let covariance =
        DynGame::from_dsl("covariance3.stk", COVARIANCE3).expect("covariance compiles");
    let compile_covariance = t.elapsed().as_secs_f64();
    println!(
        "compile from text: duopoly {:.1} ms, covariance m = 3 {:.1} ms",
        compile_duopoly * 1e3,
        compile_covariance * 1e3
    );
    let two_timescale = Dynamics::two_timescale(
        Schedule::inverse_power(1.0).offset(11.0).exponent(1.0),
        Schedule::inverse_power(1.0)
            .offset(11.0)
            .exponent(2.0 / 3.0),
    );
    let simultaneous =
        Dynamics::simultaneous(Schedule::inverse_power(0.5).offset(10.0).exponent(0.7));
    println!("| study | precision | N | K | macro | DynGame | DynGame / macro |");
    println!("|---|---|---|---|---|---|---|");
    let row = |name: &str, prec: &str, n: u64, k: u64, (a, b): (f64, f64)| {
        println!(
            "| {name} | {prec} | {n} | {k} | {a:.3e} | {b:.3e} | {:.2} |",
            b / a
        );
    };
    let work = (n * k) as f64;
    let m = study(Duopoly::default(), two_timescale.clone(), n, k, 10.0, 10.0);
    let d = study(duopoly.clone(), two_timescale.clone(), n, k, 10.0, 10.0);
    row(
        "duopoly two-timescale",
        "f64",
        n,
        k,
        compare::<_, f64>(&m, &d, work),
    );
    row(
        "duopoly two-timescale",
        "f32",
        n,
        k,
        compare::<_, f32>(&m, &d, work),
    );
    if std::env::args().any(|a| a == "--duopoly-only") {
        return;
    }
    if std::env::args().any(|a| a == "--loops-only") {
        loop_form(n, k);
        return;
    }
    let nc = (n / 10).max(1);
    let work = (nc * k) as f64;
    let m = study(
        Covariance3::default(),
        simultaneous.clone(),
        nc,
        k,
        0.5,
        1e-4,
    );
    let d = study(covariance.clone(), simultaneous, nc, k, 0.5, 1e-4);
    row(
        "covariance m = 3 simultaneous",
        "f64",
        nc,
        k,
        compare::<_, f64>(&m, &d, work),
    );
    row(
        "covariance m = 3 simultaneous",
        "f32",
        nc,
        k,
        compare::<_, f32>(&m, &d, work),
    );
    let m = study(
        Covariance3::default(),
        two_timescale.clone(),
        nc,
        k,
        0.5,
        1e-4,
    );
    let d = study(covariance, two_timescale, nc, k, 0.5, 1e-4);
    row(
        "covariance m = 3 two-timescale",
        "f64",
        nc,
        k,
        compare::<_, f64>(&m, &d, work),
    );
    loop_form(n, k);
}
