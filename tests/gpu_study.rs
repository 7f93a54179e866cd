//! Switching a study to the GPU is choosing the engine: the same `Study`, run
//! with `Engine::Gpu` on a macro-generated game (its WGSL comes from the same
//! derivative DAG as its Rust), agrees with the CPU engine trajectory by
//! trajectory. Runs on any Vulkan adapter (lavapipe in CI) under the GPU
//! tests' harness (`harness = false`): without an adapter the tests are
//! reported ignored, or fail with `STACKEL_REQUIRE_GPU=1`.

use stackel::dynamics::Dynamics;
use stackel::engine::{Engine, Init, Noise, Study};
use stackel::gpu::GpuEngine;
use stackel::prelude::*;
use stackel::record::Record;
use stackel::schedule::Schedule;
use std::f64::consts::PI;

#[path = "../stackel-runtime/tests/gpu_common/harness.rs"]
mod harness;
use stackel_testkit::games::{Duopoly, LeaderThreeFollowerTwo, Torus};

/// Runs `study` on both engines in f32.
fn both<G: Game + Clone>(
    study: Study<G>,
) -> (stackel::record::StudyResult, stackel::record::StudyResult) {
    both_in::<G, f32>(study)
}

/// Runs `study` on both engines in precision `T` (the harness has found an adapter).
fn both_in<G: Game + Clone, T: stackel::rng::NoiseFloat>(
    study: Study<G>,
) -> (stackel::record::StudyResult, stackel::record::StudyResult) {
    let cpu = study.clone().run::<T>().expect("CPU engine");
    let gpu = study.engine(Engine::Gpu).run::<T>().expect("GPU engine");
    (cpu, gpu)
}

fn max_gap(a: &[f64], b: &[f64], angle: &[bool]) -> f64 {
    let d = angle.len();
    a.chunks(d)
        .zip(b.chunks(d))
        .map(|(x, y)| stackel::record::l2_state_distance(x, y, angle))
        .fold(0.0, f64::max)
}

fn duopoly_two_timescale_study_runs_on_the_gpu_engine_as_on_the_cpu(_: &'static GpuEngine) {
    let study = Study::new(
        Duopoly::default(),
        Dynamics::two_timescale(
            Schedule::inverse_shifted_power(1.0)
                .exponent(1.0)
                .shift(1.0),
            Schedule::inverse_shifted_power(1.0)
                .exponent(2.0 / 3.0)
                .shift(1.0),
        ),
    )
    .trajectories(512)
    .steps(2000)
    .noise(Noise::variance(10.0))
    .init(Init::Box {
        lo: vec![0.0, 0.0],
        hi: vec![60.0, 60.0],
    })
    .seed(11)
    .record(Record::finals().target(vec![46.0, 26.0], 1.0, 100));
    let (cpu, gpu) = both(study);
    assert_eq!(cpu.fingerprint, gpu.fingerprint);
    assert_eq!(cpu.fates, gpu.fates);
    let gap = max_gap(&cpu.final_states, &gpu.final_states, &cpu.angle);
    assert!(gap < 1e-3, "largest CPU/GPU difference {gap}");
    let m = &gpu.summary.mean;
    assert!(
        (m[0] - 46.0).abs() < 0.5 && (m[1] - 26.0).abs() < 0.5,
        "{m:?}"
    );
}

fn torus_simultaneous_study_runs_on_the_gpu_engine_as_on_the_cpu(_: &'static GpuEngine) {
    let study = Study::new(
        Torus::default(),
        Dynamics::simultaneous(
            Schedule::inverse_shifted_power(1.0)
                .exponent(0.5)
                .shift(1.0),
        ),
    )
    .trajectories(256)
    .steps(1000)
    .noise(Noise::variance(0.01))
    .init(Init::Box {
        lo: vec![-PI, -PI],
        hi: vec![PI, PI],
    })
    .seed(3);
    let (cpu, gpu) = both(study);
    assert_eq!(cpu.fates, gpu.fates);
    let gap = max_gap(&cpu.final_states, &gpu.final_states, &cpu.angle);
    assert!(gap < 1e-3, "largest CPU/GPU difference {gap}");
}

fn five_coordinate_noisy_study_draws_the_same_normals_on_both_engines(e: &'static GpuEngine) {
    // odd pairs per step (3): the f32 streams share blocks across steps, the
    // f64 ones take three blocks per step; a linear field keeps both engines
    // within rounding of each other, trajectory by trajectory
    for rule in [
        Dynamics::simultaneous(Schedule::constant(0.05)),
        Dynamics::two_timescale(Schedule::constant(0.02), Schedule::constant(0.05)),
    ] {
        let study = Study::new(LeaderThreeFollowerTwo, rule)
            .trajectories(300)
            .steps(301)
            .noise(Noise::variance(0.04))
            .init(Init::Box {
                lo: vec![-2.0; 5],
                hi: vec![2.0; 5],
            })
            .seed(21);
        let (cpu, gpu) = both_in::<_, f32>(study.clone());
        assert_eq!(cpu.fates, gpu.fates);
        let gap = max_gap(&cpu.final_states, &gpu.final_states, &cpu.angle);
        assert!(gap < 1e-4, "f32: largest CPU/GPU difference {gap}");
        if !e.supports_f64() {
            eprintln!("adapter without f64: the f64 study is not checked");
            continue;
        }
        let (cpu, gpu) = both_in::<_, f64>(study);
        let gap = max_gap(&cpu.final_states, &gpu.final_states, &cpu.angle);
        assert!(gap < 1e-10, "f64: largest CPU/GPU difference {gap}");
        // the noise is really there: the start's spread has decayed below
        // 1e-5 in variance, the stationary noise variance is about 4e-4
        let var: Vec<f64> = (0..5).map(|i| cpu.summary.covariance[i * 5 + i]).collect();
        assert!(var.iter().all(|v| *v > 1e-4), "{var:?}");
    }
}

fn main() {
    harness::run(gpu_tests![
        duopoly_two_timescale_study_runs_on_the_gpu_engine_as_on_the_cpu,
        torus_simultaneous_study_runs_on_the_gpu_engine_as_on_the_cpu,
        five_coordinate_noisy_study_draws_the_same_normals_on_both_engines,
    ])
}
