//! The f32 precision audit and the stall analysis against independent
//! references: the f32 error recomputed by hand at the worst point, and the
//! stall step against the fraction of f32 updates that actually round away.

use stackel_macros::stackel_game;
use stackel_runtime::precision::{
    audit, bits_lost, stall_steps, AuditOptions, PrecisionError, Trust,
};
use stackel_runtime::rng::normals_for;
use stackel_runtime::{Dynamics, Game, Noise, Optimizer, Schedule};
use stackel_testkit::games::{Covariance3, Duopoly};

stackel_game! {
    #[stackel(crate = stackel_runtime)]
    /// The leader's cost holds 1 - cos(x), which cancels catastrophically
    /// for small x: D2 f1 = 1 - cos(x) loses most of f32's bits there, while
    /// D1 f1 = y sin(x) does not.
    game Cancelling {
        leader x;
        follower y;
        cost x = (1 - cos(x)) * y + x^2;
        cost y = (y - x)^2;
    }
}

#[test]
fn the_audit_finds_the_cancelling_block_and_its_error_is_the_hand_computed_one() {
    let g = Cancelling;
    let a = audit(
        &g,
        &AuditOptions::new(vec![1e-3, 0.5], vec![2e-3, 1.5]).samples(200),
    )
    .unwrap();
    let worst = a.worst().unwrap();
    assert_eq!(worst.block, "D2f1");
    assert_eq!(worst.stats.worst_entry, "D2f1[0]");
    assert!(worst.stats.p90_bits() > 14.0, "{a}");
    assert_eq!(a.trust(), Trust::Untrustworthy);
    // the worst point's error, recomputed: 1 - cos(x) in f32 against f64
    let x = worst.stats.worst_point[0];
    let exact = 1.0 - x.cos();
    let single = 1.0f32 - (x as f32).cos();
    let err = ((single as f64) - exact).abs() / exact.abs();
    assert!(
        (err / worst.stats.max - 1.0).abs() < 1e-9,
        "{err} vs {}",
        worst.stats.max
    );
    // the well-conditioned blocks keep nearly all their bits
    let d1f1 = a.blocks.iter().find(|b| b.block == "D1f1").unwrap();
    assert!(d1f1.stats.p90_bits() < 4.0, "{a}");
    assert_eq!(d1f1.stats.samples, 200);
    // the subexpression to blame, found in the game's source: 1 - cos(x)
    // loses log2(1 / (1 - cos x)) = log2(2 / x^2) bits, about 20 at x = 1.5e-3
    let c = &a.cancellations[0];
    assert_eq!(c.text, "1 - cos(x)", "{a}");
    assert_eq!(c.op, "-");
    let line = include_str!("precision.rs")
        .lines()
        .position(|l| l.contains("cost x = (1 - cos(x))"))
        .unwrap() as u32
        + 1;
    assert_eq!(c.line, line);
    let expected = (2.0 / 1.5e-3f64.powi(2)).log2();
    assert!(
        (c.median_bits - expected).abs() < 1.0,
        "{} vs {expected}",
        c.median_bits
    );
    assert!(c.f32_error > 1e-3, "{}", c.f32_error);
    // x far from 0 (and y away from x) leaves nothing to cancel
    let far = audit(&g, &AuditOptions::new(vec![1.0, 3.0], vec![2.0, 4.0])).unwrap();
    assert_eq!(far.trust(), Trust::Trustworthy, "{far}");
    assert!(far.cancellations.iter().all(|c| c.max_bits < 2.0), "{far}");
    // where y meets x, `y - x` cancels: named, with its bits
    let meet = audit(&g, &AuditOptions::new(vec![1.0, 0.5], vec![2.0, 1.5])).unwrap();
    assert_eq!(meet.cancellations[0].text, "y - x", "{meet}");
    assert!(meet.cancellations[0].max_bits > 5.0, "{meet}");
}

#[test]
fn the_duopoly_and_covariance_are_trustworthy_in_f32() {
    let d = audit(
        &Duopoly::default(),
        &AuditOptions::new(vec![0.0; 2], vec![90.0; 2]),
    )
    .unwrap();
    assert_eq!(d.trust(), Trust::Trustworthy, "{d}");
    assert_eq!(d.blocks.len(), 12);
    assert_eq!(d.fields.len(), 2);
    let g = Covariance3::default();
    let n = Covariance3::N;
    let c = audit(
        &g,
        &AuditOptions::new(vec![-1.0; n], vec![1.0; n]).samples(64),
    )
    .unwrap();
    // every block was evaluated or skipped at every point
    assert!(c
        .blocks
        .iter()
        .all(|b| b.stats.samples + b.stats.skipped == 64));
    assert!(c.worst().unwrap().stats.p90_bits() < bits_lost(1e-3), "{c}");
}

#[test]
fn bad_boxes_and_adam_are_typed_errors() {
    let g = Duopoly::default();
    assert_eq!(
        audit(&g, &AuditOptions::new(vec![0.0], vec![1.0; 2])).unwrap_err(),
        PrecisionError::BadBox { n: 2 }
    );
    assert_eq!(
        audit(&g, &AuditOptions::new(vec![2.0, 0.0], vec![1.0; 2])).unwrap_err(),
        PrecisionError::BadBox { n: 2 }
    );
    assert_eq!(
        audit(
            &g,
            &AuditOptions::new(vec![0.0; 2], vec![1.0; 2]).samples(0)
        )
        .unwrap_err(),
        PrecisionError::NoSamples
    );
    let adam = Dynamics::simultaneous(Schedule::constant(0.1)).optimizer(Optimizer::adam());
    assert_eq!(
        stall_steps(&g, &adam, &Noise::none(), &[1.0, 1.0], 100).unwrap_err(),
        PrecisionError::Adam
    );
    assert!(matches!(
        stall_steps(&g, &adam, &Noise::none(), &[1.0], 100).unwrap_err(),
        PrecisionError::BadState { .. }
    ));
}

/// The fraction of f32 updates x - gamma (g + sigma z) that leave x unchanged
/// at step k, over `draws` standard normals.
fn unchanged_fraction(x: f32, g: f64, sigma: f64, gamma: f64, draws: u64) -> f64 {
    let mut z = [0.0f64; 2];
    let mut same = 0;
    for t in 0..draws {
        normals_for(7, t, 0, 0, &mut z);
        let step = (gamma * (g + sigma * z[0])) as f32;
        if x - step == x {
            same += 1;
        }
    }
    same as f64 / draws as f64
}

#[test]
fn at_the_stall_step_half_of_the_f32_updates_round_away() {
    // the paper's duopoly, Stackelberg dynamics, at the Stackelberg point (46, 26), noise variance 10
    let g = Duopoly::default();
    let leader = Schedule::inverse_power(1.0).offset(1.0).exponent(1.0);
    let follower = Schedule::inverse_power(1.0).offset(1.0).exponent(2.0 / 3.0);
    let d = Dynamics::two_timescale(leader, follower);
    let r = stall_steps(&g, &d, &Noise::variance(10.0), &[46.0, 26.0], 1 << 50).unwrap();
    let (c, k) = r.first_stall().unwrap();
    assert_eq!(c.coordinate, "q1");
    assert!(
        c.field.abs() < 1e-9,
        "at the equilibrium the field vanishes"
    );
    // the model's prediction, checked against real f32 rounding
    let draws = 20_000;
    let at = unchanged_fraction(46.0, c.field, c.sigma, leader.gamma(k), draws);
    assert!((at - 0.5).abs() < 0.05, "{at} at k = {k}");
    let before = unchanged_fraction(46.0, c.field, c.sigma, leader.gamma(k / 4), draws);
    assert!(before < 0.25, "{before} at k/4");
    let after = unchanged_fraction(46.0, c.field, c.sigma, leader.gamma(k * 4), draws);
    assert!(after > 0.75, "{after} at 4k");
    // the follower's faster steps stall much later (or not within the horizon)
    let q2 = &r.coordinates[1];
    assert!(q2.stall_step.is_none_or(|k2| k2 > 100 * k), "{r}");
}

#[test]
fn deterministic_dynamics_stall_where_the_field_step_drops_below_half_an_ulp() {
    // away from the equilibrium, no noise: m = |g|, and gamma_k |g| < ulp/2
    let g = Duopoly::default();
    let s = Schedule::inverse_power(1.0).offset(1.0).exponent(1.0);
    let d = Dynamics::simultaneous(s);
    let x = [40.0, 30.0];
    let r = stall_steps(&g, &d, &Noise::none(), &x, 1 << 60).unwrap();
    let mut grad = [0.0; 2];
    g.omega(&x, &mut grad);
    for (i, c) in r.coordinates.iter().enumerate() {
        assert_eq!(c.field, grad[i]);
        assert_eq!(c.median_step, grad[i].abs());
        let k = c.stall_step.unwrap();
        assert!(s.gamma(k) * grad[i].abs() < c.half_ulp);
        assert!(s.gamma(k - 1) * grad[i].abs() >= c.half_ulp);
        // and the f32 update really rounds away there
        let xi = x[i] as f32;
        assert_eq!(xi - (s.gamma(k) * grad[i]) as f32, xi);
    }
}
