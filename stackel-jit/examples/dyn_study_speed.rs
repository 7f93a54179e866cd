//! A `DynGame` study (the game given as text, compiled at run time) beside
//! the same study of the same game compiled by `stackel_game!`, side by side
//! in one process, interleaved, median of 5 runs each: trajectory-steps per
//! second and their ratio, f64 and f32.
//!
//! - the duopoly, two-timescale, noise variance 10, start (10, 10)
//!   (`mc_throughput`'s study);
//! - the covariance game at m = 3 (paper 4.3), simultaneous play.
//!
//! `cargo run --release -p stackel-jit --example dyn_study_speed -- [N] [K]`
//! (defaults N = 100000, K = 1000 for the duopoly; the covariance study uses
//! N / 10 trajectories; `--duopoly-only` skips it). The results of both games are asserted equal.

use stackel_jit::DynGame;
use stackel_runtime::rng::NoiseFloat;
use stackel_runtime::{Dynamics, Game, Init, Noise, Schedule, Study};
use stackel_testkit::games::{Covariance3, Duopoly};
use stackel_testkit::texts::{COVARIANCE3, DUOPOLY};
use std::time::Instant;

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
}
