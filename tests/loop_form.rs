//! The loop form end to end through `stackel_game!`: the covariance game
//! (m = 3), the torus, example 1 and the duopoly forced to
//! `#[stackel(form = "loops")]` against the same games in the unrolled
//! form (stackel_testkit::games): every `Game` method agrees to 1e-12 at
//! random points, and the generated operators agree with products of the
//! dense blocks. The loop games also pass the paper games' independent
//! checks (num-dual through the generated loops, finite differences, J_S).

mod derivatives_common;
#[macro_use]
mod form_agree;

use derivatives_common::{check_game, check_stackelberg_jacobian};
use form_agree::{agree, Lcg};
use stackel::prelude::*;
use stackel::Form;
use stackel_testkit::games as unrolled;

battery_games!("loops", ShiftedLoops);

#[test]
fn covariance_m3_loop_form_matches_unrolled() {
    let mut rng = Lcg(7);
    let mut p = rng.vec(10);
    p[9] = 0.6;
    agree(
        Covariance3::default(),
        unrolled::Covariance3::default(),
        Some(p),
        1,
        Form::Loops,
        1e-12,
    );
    agree(
        Covariance3::default(),
        unrolled::Covariance3::default(),
        None,
        2,
        Form::Loops,
        1e-12,
    );
}

#[test]
fn duopoly_torus_and_example1_loop_forms_match_unrolled() {
    assert!(ZeroSumExample1::default().info().zero_sum);
    agree(
        Duopoly::default(),
        unrolled::Duopoly::default(),
        None,
        3,
        Form::Loops,
        1e-12,
    );
    agree(
        Torus::default(),
        unrolled::Torus::default(),
        None,
        4,
        Form::Loops,
        1e-12,
    );
    agree(
        ZeroSumExample1::default(),
        unrolled::ZeroSumExample1::default(),
        Some(vec![0.3, -0.2]),
        5,
        Form::Loops,
        1e-12,
    );
}

#[test]
fn shifted_indices_two_followers_and_hoisted_sums_match_unrolled() {
    assert_eq!(ShiftedUnrolled::default().info().form, Form::Unrolled);
    for seed in 10..14 {
        agree(
            ShiftedLoops::default(),
            ShiftedUnrolled::default(),
            None,
            seed,
            Form::Loops,
            1e-12,
        );
    }
}

#[test]
fn loop_games_pass_the_independent_derivative_checks() {
    let mut rng = Lcg(21);
    for _ in 0..2 {
        let x = rng.vec(18);
        let l = rng.vec(9);
        check_game(&Covariance3::default(), &x, &l, 1e-10, 1e-6);
        check_stackelberg_jacobian(&Covariance3::default(), &x, 1e-5);
        let x = rng.vec(17);
        let l = rng.vec(13);
        check_game(&ShiftedLoops::default(), &x, &l, 1e-10, 1e-5);
        check_stackelberg_jacobian(&ShiftedLoops::default(), &x, 1e-5);
    }
}

#[test]
fn loop_form_formulas_keep_the_indices() {
    let f = Covariance3::default().formulas();
    let d1f1 = f
        .iter()
        .find(|b| b.block == "D1f1")
        .expect("a D1f1 formula");
    assert_eq!(d1f1.shape, vec![9]);
    let text = &d1f1.entries[0];
    assert!(text.starts_with("D1f1(v)[a,b] = "), "{text}");
    assert!(text.contains("sum(") && text.contains("w[a,"), "{text}");
    let all: Vec<String> = f
        .iter()
        .flat_map(|b| {
            std::iter::once(format!("{} {:?}", b.block, b.shape)).chain(b.entries.iter().cloned())
        })
        .collect();
    insta::assert_snapshot!("covariance_loop_formulas", all.join("\n"));
}

tensor_games!("loops" TwoLayerLoops ReduceLoops, "unrolled" TwoLayerUnrolled ReduceUnrolled);

#[test]
fn tensor_lets_and_reductions_in_the_loop_form_match_unrolled() {
    for seed in 30..33 {
        agree(
            TwoLayerLoops::default(),
            TwoLayerUnrolled::default(),
            None,
            seed,
            Form::Loops,
            1e-12,
        );
        // Random points: no two terms of a max/min tie (probability zero).
        agree(
            ReduceLoops::default(),
            ReduceUnrolled::default(),
            None,
            seed,
            Form::Loops,
            1e-12,
        );
    }
}
