//! Switching a study to the GPU is choosing the engine: the same `Study`, run
//! with `Engine::Gpu` on a macro-generated game (its WGSL comes from the same
//! derivative DAG as its Rust), agrees with the CPU engine trajectory by
//! trajectory. Runs on any Vulkan adapter (lavapipe in CI); skips with a
//! printed reason only when there is no adapter at all.
#![cfg(feature = "gpu")]

use stackel::dynamics::Dynamics;
use stackel::engine::{Engine, Init, Noise, Study, StudyError};
use stackel::gpu::GpuError;
use stackel::prelude::*;
use stackel::record::Record;
use stackel::schedule::Schedule;
use std::f64::consts::PI;

mod paper_games;
use paper_games::{Duopoly, Torus};

/// Runs `study` on both engines in f32; `None` when there is no adapter.
fn both<G: Game + Clone>(
    study: Study<G>,
) -> Option<(stackel::record::StudyResult, stackel::record::StudyResult)> {
    let cpu = study.clone().run::<f32>().expect("CPU engine");
    match study.engine(Engine::Gpu).run::<f32>() {
        Ok(gpu) => Some((cpu, gpu)),
        Err(StudyError::Gpu(GpuError::NoAdapter(why))) => {
            eprintln!("skipping: no GPU adapter at all ({why})");
            None
        }
        Err(e) => panic!("GPU engine failed: {e}"),
    }
}

fn max_gap(a: &[f64], b: &[f64], angle: &[bool]) -> f64 {
    let d = angle.len();
    a.chunks(d)
        .zip(b.chunks(d))
        .map(|(x, y)| stackel::record::state_distance(x, y, angle))
        .fold(0.0, f64::max)
}

#[test]
fn duopoly_two_timescale_study_runs_on_the_gpu_engine_as_on_the_cpu() {
    let study = Study::new(
        Duopoly::default(),
        Dynamics::two_timescale(
            Schedule::shifted_power(1.0, 1.0, 1.0),
            Schedule::shifted_power(1.0, 2.0 / 3.0, 1.0),
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
    let Some((cpu, gpu)) = both(study) else {
        return;
    };
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

#[test]
fn torus_simultaneous_study_runs_on_the_gpu_engine_as_on_the_cpu() {
    let study = Study::new(
        Torus::default(),
        Dynamics::simultaneous(Schedule::shifted_power(1.0, 0.5, 1.0)),
    )
    .trajectories(256)
    .steps(1000)
    .noise(Noise::variance(0.01))
    .init(Init::Box {
        lo: vec![-PI, -PI],
        hi: vec![PI, PI],
    })
    .seed(3);
    let Some((cpu, gpu)) = both(study) else {
        return;
    };
    assert_eq!(cpu.fates, gpu.fates);
    let gap = max_gap(&cpu.final_states, &gpu.final_states, &cpu.angle);
    assert!(gap < 1e-3, "largest CPU/GPU difference {gap}");
}
