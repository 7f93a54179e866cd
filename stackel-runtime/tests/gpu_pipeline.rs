//! The GPU engine on WGSL from the real compiler pipeline (DSL -> checked
//! model -> `lower::game_programs` -> `emit_wgsl::emit_game`), against the CPU
//! engine on independent references: the hand-derived paper games, and
//! games with a pivoting follower solve computed by dual numbers.
//!
//! Runs under `gpu_common/harness.rs` (`harness = false`): without an
//! adapter the GPU tests are reported ignored, or fail with
//! `STACKEL_REQUIRE_GPU=1`.

#[path = "gpu_common/compare.rs"]
mod compare;
#[path = "gpu_common/harness.rs"]
mod harness;

use compare::{assert_agree, assert_agree_sensitive};
use quote::quote;
use stackel_runtime::autodiff::{Costs, DualGame};
use stackel_runtime::dynamics::Dynamics;
use stackel_runtime::engine::{Init, Noise, Study};
use stackel_runtime::gpu::kernel::{study_kernel, KernelSpec, Precision};
use stackel_runtime::gpu::validate::check_wgsl;
use stackel_runtime::gpu::GpuEngine;
use stackel_runtime::record::{Record, StudyResult};
use stackel_runtime::rng::NoiseFloat;
use stackel_runtime::schedule::Schedule;
use stackel_runtime::Plan;
use stackel_runtime::{Game, GameInfo, PlayerInfo, Real, Rule};
use stackel_symbolic::emit_wgsl::{emit_game, UNROLL_LIMIT};
use stackel_testkit::twins::{Duopoly, Torus, ZeroSumExample1};
use std::f64::consts::PI;

fn compile(tokens: proc_macro2::TokenStream) -> (String, stackel_symbolic::ir::GamePrograms) {
    let model = stackel_symbolic::front_end(tokens).expect("game checks");
    let programs = stackel_symbolic::lower::game_programs(&model).expect("game lowers");
    (emit_game(&programs), programs)
}

/// The study on the CPU engine.
#[allow(clippy::too_many_arguments)]
fn cpu_run<G: Game + Clone, T: NoiseFloat>(
    cpu: &G,
    dynamics: &Dynamics,
    noise: &Noise,
    init: &Init,
    trajectories: u64,
    steps: u64,
) -> StudyResult {
    Study::new(cpu.clone(), dynamics.clone())
        .trajectories(trajectories)
        .steps(steps)
        .noise(noise.clone())
        .init(init.clone())
        .seed(99)
        .run::<T>()
        .unwrap()
}

/// The same study on the CPU (game `cpu`) and on the GPU (module `wgsl`).
#[allow(clippy::too_many_arguments)]
fn both<G: Game + Clone, T: NoiseFloat>(
    e: &GpuEngine,
    cpu: &G,
    wgsl: &str,
    dynamics: &Dynamics,
    noise: &Noise,
    init: &Init,
    trajectories: u64,
    steps: u64,
) -> (StudyResult, StudyResult) {
    let c = cpu_run::<G, T>(cpu, dynamics, noise, init, trajectories, steps);
    let record = Record::finals();
    let spec = Plan {
        game: cpu,
        dynamics,
        range: (0, trajectories),
        steps,
        noise,
        init,
        seed: 99,
        record: &record,
        divergence_bound: 1e8,
        small_kernel: true,
        data: &[],
        fingerprint: c.fingerprint.clone(),
    };
    let g = e.run_with_wgsl::<G, T>(&spec, wgsl).unwrap();
    (c, g)
}

/// Simultaneous play: every trajectory agrees; two-timescale: see
/// `assert_agree_sensitive` (`probes` run the CPU engine on `Rounded`
/// blocks and with eta nudged).
fn check(
    rule: Rule,
    c: &StudyResult,
    probes: impl FnOnce() -> Vec<StudyResult>,
    g: &StudyResult,
    tol: f64,
    name: &str,
) {
    assert!(c.summary.finished > 0, "{name}: nothing finished");
    let what = format!("{name} {rule:?}");
    if rule == Rule::Simultaneous {
        assert_agree(c, g, tol, &what);
    } else {
        assert_agree_sensitive(c, &probes(), g, tol, &what);
    }
}

fn paper_games_from_the_dsl_agree_with_the_reference_games(e: &'static GpuEngine) {
    let (duopoly, _) = compile(quote! {
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
    });
    let (torus, tp) = compile(quote! {
        pub game Torus {
            param alpha1 = 1.0;
            param alpha2 = 1.3;
            param phi1 = pi / 8.0;
            param phi2 = pi / 8.0;
            leader th1: angle;
            follower th2: angle;
            cost th1 = -alpha1 * cos(th1 - phi1) + cos(th1 - th2);
            cost th2 = -alpha2 * cos(th2 - phi2) + cos(th2 - th1);
        }
    });
    assert_eq!(tp.angle_mask, vec![true, true]);
    let (example1, _) = compile(quote! {
        pub game ZeroSumExample1 {
            param a = 0.15;
            param b = 0.25;
            leader x1;
            follower x2;
            let f = -exp(-0.01 * (x1^2 + x2^2)) * ((a * x1^2 + x2)^2 + (b * x2^2 + x1)^2);
            cost x1 = f;
            cost x2 = -f;
        }
    });
    let k = Schedule::inverse_power(1.0).offset(10.0).exponent(1.0);
    let k23 = Schedule::inverse_power(1.0)
        .offset(10.0)
        .exponent(2.0 / 3.0);
    let rules = [Dynamics::simultaneous(k23), Dynamics::two_timescale(k, k23)];
    for d in &rules {
        let noise = Noise::variance(10.0);
        let init = Init::Box {
            lo: vec![0.0, 0.0],
            hi: vec![60.0, 60.0],
        };
        let g = Duopoly::default();
        paper_case(e, &g, &duopoly, d, &noise, &init, 2e-4, "duopoly");
        let noise = Noise::variance(0.01);
        let init = Init::Box {
            lo: vec![-PI, -PI],
            hi: vec![PI, PI],
        };
        paper_case(
            e,
            &Torus::default(),
            &torus,
            d,
            &noise,
            &init,
            2e-4,
            "torus",
        );
        let init = Init::Box {
            lo: vec![-3.0, -3.0],
            hi: vec![3.0, 3.0],
        };
        let g = ZeroSumExample1::default();
        paper_case(e, &g, &example1, d, &noise, &init, 5e-4, "example 1");
    }
}

/// 200 trajectories x 200 steps on both engines in f32 and f64, compared by [`check`].
#[allow(clippy::too_many_arguments)]
fn paper_case<G: Game + Clone>(
    e: &GpuEngine,
    game: &G,
    wgsl: &str,
    d: &Dynamics,
    noise: &Noise,
    init: &Init,
    tol: f64,
    name: &str,
) {
    let rounded = compare::Rounded(game.clone());
    let nudged = d.clone().eta(1e-6);
    let (c32, g32) = both::<_, f32>(e, game, wgsl, d, noise, init, 200, 200);
    let p32 = || {
        vec![
            cpu_run::<_, f32>(&rounded, d, noise, init, 200, 200),
            cpu_run::<_, f32>(game, &nudged, noise, init, 200, 200),
        ]
    };
    check(d.rule, &c32, p32, &g32, tol, &format!("{name} f32"));
    if e.supports_f64() {
        let (c64, g64) = both::<_, f64>(e, game, wgsl, d, noise, init, 200, 200);
        let p64 = || {
            vec![
                cpu_run::<_, f64>(&rounded, d, noise, init, 200, 200),
                cpu_run::<_, f64>(game, &nudged, noise, init, 200, 200),
            ]
        };
        // f64 kernels evaluate the transcendentals in f64 as well
        let tol64 = if d.rule == Rule::Simultaneous {
            1e-11
        } else {
            tol
        };
        check(d.rule, &c64, p64, &g64, tol64, &format!("{name} f64"));
    }
}

/// Leader x in R^2, follower y in R^D2 with an indefinite follower Hessian
/// H = 0.2 I + (ones on the first off-diagonals), so the LU needs pivoting
/// (y_mid is y[D2 / 2], y_last is y[D2 - 1]):
/// f1 = (x0 - 1)^2 + x1^2 + x0 y0 + x1 y_last + sum_i y_i^2 / 2,
/// f2 = 0.1 sum_i y_i^2 + sum_i y_i y_{i+1} + x0 y_mid - x1 y0 + sin(x0) y_last.
#[derive(Clone, Debug)]
struct Pivot<const D2: usize>;

static PIVOT2: GameInfo = pivot_info(2);
static PIVOT3: GameInfo = pivot_info(3);
static PIVOT7: GameInfo = pivot_info(7);
const fn pivot_info(d2: usize) -> GameInfo {
    GameInfo {
        name: "Pivot",
        leader: PlayerInfo {
            name: "x",
            shape: &[2],
            offset: 0,
            dim: 2,
            angle: false,
            level: 0,
            parts: &[],
        },
        followers: if d2 == 2 {
            &[PlayerInfo {
                name: "y",
                shape: &[2],
                offset: 2,
                dim: 2,
                angle: false,
                level: 1,
                parts: &[],
            }]
        } else if d2 == 3 {
            &[PlayerInfo {
                name: "y",
                shape: &[3],
                offset: 2,
                dim: 3,
                angle: false,
                level: 1,
                parts: &[],
            }]
        } else {
            &[PlayerInfo {
                name: "y",
                shape: &[7],
                offset: 2,
                dim: 7,
                angle: false,
                level: 1,
                parts: &[],
            }]
        },
        params: &[],
        zero_sum: false,
        form: stackel_runtime::Form::Unrolled,
        data: &[],
    }
}

impl<const D2: usize> Costs for Pivot<D2> {
    const D1: usize = 2;
    const D2: usize = D2;
    const NP: usize = 0;
    fn info(&self) -> &'static GameInfo {
        match D2 {
            2 => &PIVOT2,
            3 => &PIVOT3,
            _ => &PIVOT7,
        }
    }
    fn params(&self, _out: &mut [f64]) {}
    fn set_params(&mut self, _p: &[f64]) {}
    fn leader<T: Real>(&self, x: &[T], _p: &[T]) -> T {
        let y = &x[2..];
        let mut s = T::zero();
        for v in y {
            s += *v * *v;
        }
        let d = x[0] - T::one();
        d * d + x[1] * x[1] + x[0] * y[0] + x[1] * y[D2 - 1] + T::of(0.5) * s
    }
    fn follower<T: Real>(&self, _i: usize, x: &[T], _p: &[T]) -> T {
        let y = &x[2..];
        let mut s = T::zero();
        for v in y {
            s += *v * *v;
        }
        let mut c = T::zero();
        for i in 0..D2 - 1 {
            c += y[i] * y[i + 1];
        }
        T::of(0.1) * s + c + x[0] * y[D2 / 2] - x[1] * y[0] + x[0].sin() * y[D2 - 1]
    }
}

fn pivoting_follower_solves_agree_unrolled_and_looped(e: &'static GpuEngine) {
    let (w3, p3) = compile(quote! {
        pub game Pivot {
            leader x: [2];
            follower y: [3];
            cost x = (x[0] - 1.0)^2 + x[1]^2 + x[0] * y[0] + x[1] * y[2] + sum(i in 0..3) y[i]^2 / 2.0;
            cost y = 0.1 * sum(i in 0..3) y[i]^2 + sum(i in 0..2) y[i] * y[i + 1]
                + x[0] * y[1] - x[1] * y[0] + sin(x[0]) * y[2];
        }
    });
    let (w7, p7) = compile(quote! {
        pub game Pivot {
            leader x: [2];
            follower y: [7];
            cost x = (x[0] - 1.0)^2 + x[1]^2 + x[0] * y[0] + x[1] * y[6] + sum(i in 0..7) y[i]^2 / 2.0;
            cost y = 0.1 * sum(i in 0..7) y[i]^2 + sum(i in 0..6) y[i] * y[i + 1]
                + x[0] * y[3] - x[1] * y[0] + sin(x[0]) * y[6];
        }
    });
    let (w2, _) = compile(quote! {
        pub game Pivot {
            leader x: [2];
            follower y: [2];
            cost x = (x[0] - 1.0)^2 + x[1]^2 + x[0] * y[0] + x[1] * y[1] + sum(i in 0..2) y[i]^2 / 2.0;
            cost y = 0.1 * sum(i in 0..2) y[i]^2 + y[0] * y[1]
                + x[0] * y[1] - x[1] * y[0] + sin(x[0]) * y[1];
        }
    });
    assert!(p3.d2 <= UNROLL_LIMIT && p7.d2 > UNROLL_LIMIT);
    // the two forms differ in the factorisation (`game_lu_factor`); the
    // solves after it are written with loops in both
    let factor = |text: &str| {
        let at = text
            .find("fn game_lu_factor")
            .expect("game_lu_factor emitted");
        let end = at + text[at..].find("\n}\n").expect("end of game_lu_factor");
        text[at..end].to_string()
    };
    assert!(!factor(&w3).contains("for (var k") && factor(&w7).contains("for (var k"));
    let dynamics = Dynamics::two_timescale(Schedule::constant(0.01), Schedule::constant(0.05));
    let noise = Noise::variance(0.01);
    // d2 = 2, N = 4: the CPU engine's small kernel (Cramer's rule), mirrored
    let g2 = DualGame::new(Pivot::<2>).unwrap();
    let init = Init::Box {
        lo: vec![-1.0; 4],
        hi: vec![1.0; 4],
    };
    let (c, g) = both::<_, f32>(e, &g2, &w2, &dynamics, &noise, &init, 64, 60);
    assert_agree(&c, &g, 1e-4, "pivot d2 = 2 f32");
    let lola = Dynamics::lola(Schedule::constant(0.01), Schedule::constant(0.05));
    let (c, g) = both::<_, f32>(e, &g2, &w2, &lola, &noise, &init, 64, 60);
    assert_agree(&c, &g, 1e-4, "pivot d2 = 2 LOLA f32");
    let g3 = DualGame::new(Pivot::<3>).unwrap();
    let init = Init::Box {
        lo: vec![-1.0; 5],
        hi: vec![1.0; 5],
    };
    let (c, g) = both::<_, f32>(e, &g3, &w3, &dynamics, &noise, &init, 64, 60);
    assert_agree(&c, &g, 1e-4, "pivot d2 = 3 f32");
    let g7 = DualGame::new(Pivot::<7>).unwrap();
    let init = Init::Box {
        lo: vec![-1.0; 9],
        hi: vec![1.0; 9],
    };
    let (c, g) = both::<_, f32>(e, &g7, &w7, &dynamics, &noise, &init, 32, 60);
    assert_agree(&c, &g, 1e-4, "pivot d2 = 7 f32");
    if e.supports_f64() {
        let (c, g) = both::<_, f64>(e, &g7, &w7, &dynamics, &noise, &init, 32, 60);
        assert_agree(&c, &g, 1e-11, "pivot d2 = 7 f64");
    }
    // best response: the Newton solve of the follower through the kernel's
    // LU with pivoting (the indefinite H needs row swaps), d2 = 3 and 7
    let br = Dynamics::best_response(Schedule::constant(0.01));
    let (c, g) = both::<_, f32>(e, &g7, &w7, &br, &noise, &init, 32, 60);
    assert_eq!(c.newton_failures, g.newton_failures);
    assert_agree(&c, &g, 1e-4, "pivot d2 = 7 best response f32");
    let init3 = Init::Box {
        lo: vec![-1.0; 5],
        hi: vec![1.0; 5],
    };
    let (c, g) = both::<_, f32>(e, &g3, &w3, &br, &noise, &init3, 64, 60);
    assert_eq!(c.newton_failures, g.newton_failures);
    assert_agree(&c, &g, 1e-4, "pivot d2 = 3 best response f32");
    if e.supports_f64() {
        let (c, g) = both::<_, f64>(e, &g7, &w7, &br, &noise, &init, 32, 60);
        assert_eq!(c.newton_failures, g.newton_failures);
        assert_agree(&c, &g, 1e-11, "pivot d2 = 7 best response f64");
    }
}

/// m = 3 has d2 = 9 > UNROLL_LIMIT: the looped follower solve.
fn covariance_game_kernels_validate() {
    for m in [3usize] {
        let lit = proc_macro2::Literal::usize_unsuffixed(m);
        let (wgsl, p) = compile(quote! {
            pub game Covariance {
                const M = #lit;
                param sigma: [M, M];
                param eta = 0.6;
                leader v: [M, M];
                follower w: [M, M];
                let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
                cost v = f;
                cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
            }
        });
        assert_eq!((p.d1, p.d2, p.np), (m * m, m * m, m * m + 1));
        for precision in [Precision::F32, Precision::F64] {
            for rule in [Rule::Simultaneous, Rule::TwoTimescale] {
                let spec = KernelSpec {
                    small: false,
                    precision,
                    rule,
                    adam: false,
                    noise: false,
                    d1: p.d1,
                    d2: p.d2,
                    np: p.np,
                    players: 2,
                };
                if let Err(err) = check_wgsl(&study_kernel(&spec, &wgsl)) {
                    panic!("covariance m = {m} {spec:?}: {err}");
                }
            }
        }
    }
}

fn main() {
    let mut trials = gpu_tests![
        paper_games_from_the_dsl_agree_with_the_reference_games,
        pivoting_follower_solves_agree_unrolled_and_looped,
    ];
    trials.push(harness::plain(
        "covariance_game_kernels_validate",
        covariance_game_kernels_validate,
    ));
    harness::run(trials)
}
