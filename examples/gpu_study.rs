//! The same study on the GPU engine: choosing `Engine::Gpu` is the only
//! change. The torus game's WGSL comes from the same derivative DAG as its
//! Rust, and the GPU kernel draws the same Philox streams, so trajectory by
//! trajectory the final states agree with the CPU engine: in f64 to 1.4e-9
//! here (measured on lavapipe), the rounding differences of the follower
//! solve grown by the early large steps of the two-timescale rule (the
//! `gpu_engine` tests bound the other rules by 1e-11). Needs a Vulkan
//! adapter; on a machine without a GPU, Mesa's lavapipe serves.
//!
//! Run: `cargo run --release --features gpu --example gpu_study`

use std::time::Instant;

use stackel::prelude::*;

stackel_game! {
    /// Location game on a torus (paper 4.2).
    pub game Torus {
        param alpha: [2] = [1.0, 1.3];
        param phi: [2] = [pi / 8.0, pi / 8.0];
        leader th1: angle;
        follower th2: angle;
        cost th1 = -alpha[0] * cos(th1 - phi[0]) + cos(th1 - th2);
        cost th2 = -alpha[1] * cos(th2 - phi[1]) + cos(th2 - th1);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pi = std::f64::consts::PI;
    let study = Study::new(
        Torus::default(),
        Dynamics::two_timescale(
            Schedule::inverse_shifted_power(1.0)
                .exponent(1.0)
                .shift(1.0),
            Schedule::inverse_shifted_power(1.0)
                .exponent(0.5)
                .shift(1.0),
        ),
    )
    .trajectories(4_096)
    .steps(1_000)
    .noise(Noise::variance(0.01))
    .init(Init::Box {
        lo: vec![-pi, -pi],
        hi: vec![pi, pi],
    })
    .seed(3);

    let t = Instant::now();
    let cpu = study.clone().run::<f64>()?;
    let cpu_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let gpu = study.engine(Engine::Gpu).run::<f64>()?;
    let gpu_s = t.elapsed().as_secs_f64();
    println!("CPU engine {cpu_s:.2} s, GPU engine {gpu_s:.2} s (including kernel compilation)");

    assert_eq!(cpu.fingerprint, gpu.fingerprint, "the same study");
    assert_eq!(cpu.fates, gpu.fates);
    let mut gap = 0.0f64;
    for i in 0..cpu.count as usize {
        for (c, g) in cpu.final_state(i).iter().zip(gpu.final_state(i)) {
            // angle coordinates: compare on the circle
            let d = (c - g).abs();
            gap = gap.max(d.min(2.0 * pi - d));
        }
    }
    println!(
        "{} trajectories: GPU circular mean ({:.5}, {:.5}), largest CPU/GPU difference {gap:.1e}",
        gpu.count, gpu.summary.mean[0], gpu.summary.mean[1]
    );
    // 1.4e-9 measured; 1e-6 leaves room for other drivers' rounding.
    assert!(gap < 1e-6, "CPU and GPU engines disagree by {gap}");
    println!("ok: the GPU engine reproduces the CPU engine");
    Ok(())
}
