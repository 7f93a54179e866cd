//! Every study kernel the GPU engine can build (paper games x rules x
//! optimisers x precisions, and the rng kernel) is valid WGSL by naga, with
//! no device, and applies no transcendental to an f64 value.
#![cfg(feature = "gpu")]

#[path = "gpu_common/ir_games.rs"]
mod ir_games;

use stackel_runtime::dynamics::Rule;
use stackel_runtime::gpu::kernel::{
    ceiling_kernel, math_kernel, rng_kernel, study_kernel, KernelSpec, Precision,
};
use stackel_runtime::gpu::validate::check_wgsl;
use stackel_symbolic::emit_wgsl::emit_game;
use stackel_symbolic::ir::GamePrograms;

#[test]
fn every_study_kernel_validates() {
    let games: [(&str, GamePrograms); 3] = [
        ("duopoly", ir_games::duopoly()),
        ("torus", ir_games::torus()),
        ("example1", ir_games::example1()),
    ];
    for (name, g) in games {
        let wgsl = emit_game(&g);
        for precision in [Precision::F32, Precision::F64] {
            for rule in [
                Rule::Simultaneous,
                Rule::TwoTimescale,
                Rule::BestResponse,
                Rule::Lola,
            ] {
                for (adam, small) in [(false, false), (false, true), (true, false)] {
                    for noise in [false, true] {
                        let spec = KernelSpec {
                            small,
                            precision,
                            rule,
                            adam,
                            noise,
                            d1: g.d1,
                            d2: g.d2,
                            np: g.np,
                            players: 2,
                        };
                        let src = study_kernel(&spec, &wgsl);
                        if let Err(e) = check_wgsl(&src) {
                            panic!("{name} {spec:?}: {e}");
                        }
                    }
                }
            }
        }
    }
    check_wgsl(&rng_kernel(Precision::F32)).unwrap();
    check_wgsl(&rng_kernel(Precision::F64)).unwrap();
    check_wgsl(&math_kernel(Precision::F32)).unwrap();
    check_wgsl(&math_kernel(Precision::F64)).unwrap();
    for n in [2, 5] {
        check_wgsl(&ceiling_kernel(Precision::F32, n)).unwrap();
        check_wgsl(&ceiling_kernel(Precision::F64, n)).unwrap();
    }
}

#[test]
fn validator_rejects_f64_transcendentals_and_bad_code() {
    let e = check_wgsl("fn f(a: f64) -> f64 { return log(a); }").unwrap_err();
    assert!(e.contains("Log"), "{e}");
    let e = check_wgsl("fn f(a: vec2<f64>) -> vec2<f64> { return pow(a, a); }").unwrap_err();
    assert!(e.contains("Pow"), "{e}");
    assert!(check_wgsl("fn f(a: f32) -> f32 { return undefined_name(a); }").is_err());
    check_wgsl("fn f(a: f64) -> f64 { return f64(exp(f32(a))) * sqrt(a); }").unwrap();
}
