//! A crate that forbids `unsafe` can still define games: the tape form's
//! SIMD dispatch (`stackel::tiered`) compiles under `#![forbid(unsafe_code)]`.
#![forbid(unsafe_code)]

use stackel::prelude::*;

stackel_game! {
    /// A two-sample GAN in the tape form.
    pub game TinyGan {
        const B = 2;
        data x: [B, 2];
        data z: [B, 2];
        leader gen { w: [2, 2], b: [2] };
        follower disc { v: [2], c };
        let g[s in 0..B, k in 0..2] = sum(i in 0..2) w[k, i] * z[s, i] + b[k];
        let dr[s in 0..B] = sum(k in 0..2) v[k] * x[s, k] + c;
        let df[s in 0..B] = sum(k in 0..2) v[k] * g[s, k] + c;
        let loss_d = -mean(s in 0..B) (log_sigmoid(dr[s]) + log_sigmoid(-df[s]));
        cost gen = -loss_d;
        cost disc = loss_d + 0.5 * (c^2 + sum(k in 0..2) v[k]^2);
    }
}

#[test]
fn a_game_compiles_and_runs_where_unsafe_is_forbidden() {
    assert_eq!(TinyGan.info().form, stackel::Form::Tape);
    let x: Vec<f64> = (0..TinyGan::N + TinyGan::ND)
        .map(|k| 0.1 * k as f64 - 0.5)
        .collect();
    let mut om = vec![0.0; TinyGan::N];
    TinyGan.omega(&x, &mut om);
    assert!(om.iter().all(|v| v.is_finite()) && om.iter().any(|&v| v != 0.0));
}
