//! Time per spectrum (J, S, D11 f1, D22 f2 extremes, `game_spectra`) at
//! N = 1250: the covariance twin at m = 25, matrix-free against the dense
//! path (`game_spectra_dense`: forms the blocks, QR on all of them), both in
//! this process, at one random point; prints both tables, the largest
//! disagreement and the time ratio.
//!
//! `cargo run --release -p stackel-runtime --example spectra_speed`

use std::time::Instant;

use stackel_runtime::equilibria::{game_spectra, game_spectra_dense, SpectraOptions};
use stackel_runtime::Game;
use stackel_testkit::twins::CovarianceM;

const M: usize = 25;

fn main() {
    let g = CovarianceM::<M>::default();
    let n = g.n();
    // a deterministic point in [-1, 1)^N (xorshift)
    let mut s: u64 = 0x2545_F491_4F6C_DD1D;
    let x: Vec<f64> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect();
    let opts = SpectraOptions {
        eta: 0.1,
        ..Default::default()
    };

    let t = Instant::now();
    let mf = game_spectra(&g, &x, &opts).expect("matrix-free spectra");
    let t_mf = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let dn = game_spectra_dense(&g, &x, &opts).expect("dense spectra");
    let t_dn = t.elapsed().as_secs_f64();

    println!("covariance twin m = {M}, N = {n}\n");
    println!("matrix-free:\n{mf}\n");
    println!("dense:\n{dn}\n");
    let mut worst: f64 = 0.0;
    for (a, b) in [
        (&mf.jacobian, &dn.jacobian),
        (&mf.schur, &dn.schur),
        (&mf.d11f1, &dn.d11f1),
        (&mf.d22f2, &dn.d22f2),
    ] {
        // Aligned from the extremes (the largest lists end with the largest
        // value); the Krylov path may resolve fewer distinct values.
        for (u, v) in a
            .smallest
            .iter()
            .zip(&b.smallest)
            .chain(a.largest.iter().rev().zip(b.largest.iter().rev()))
        {
            worst = worst.max((u.re - v.re).abs() / b.scale);
        }
        println!(
            "{:<7} operator applications {:>6}, Ritz residual {:.1e}",
            a.matrix, a.applications, a.residual
        );
    }
    println!("largest |re difference| / scale: {worst:.2e}");
    println!(
        "time per spectrum: matrix-free {:.3} s, dense {:.3} s, dense / matrix-free = {:.1}x",
        t_mf,
        t_dn,
        t_dn / t_mf
    );
}
