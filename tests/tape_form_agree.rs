//! The tape form against the unrolled form on the loop form's whole battery
//! (`tests/loop_form.rs`): the covariance game (m = 3), the duopoly, the
//! torus, example 1 (zero-sum detection), a game with shifted and constant
//! indices and two followers of different shapes, and the tensor-let games
//! (kept lets: a two-layer tanh model; every max/min/mean reduction) forced
//! to `#[stackel(form = "tape")]` against the same games unrolled:
//! every `Game` method (reverse-mode gradients, forward-over-reverse
//! operators, dense, phi and param blocks from them, the fused parts, f32)
//! agrees to 1e-10 at random points, and the operators agree with products of the dense unrolled
//! blocks. The tape games also pass the paper games' independent checks
//! (num-dual through the generated tape, finite differences, J_S).

mod derivatives_common;
#[macro_use]
mod form_agree;

use derivatives_common::{check_game, check_stackelberg_jacobian};
use form_agree::{agree, Lcg};
use stackel::prelude::*;
use stackel::Form;
use stackel_testkit::games as unrolled;

battery_games!("tape", ShiftedTape);

#[test]
fn covariance_m3_tape_form_matches_unrolled() {
    let mut rng = Lcg(7);
    let mut p = rng.vec(10);
    p[9] = 0.6;
    agree(
        Covariance3::default(),
        unrolled::Covariance3::default(),
        Some(p),
        1,
        Form::Tape,
        1e-10,
    );
    agree(
        Covariance3::default(),
        unrolled::Covariance3::default(),
        None,
        2,
        Form::Tape,
        1e-10,
    );
}

#[test]
fn duopoly_torus_and_example1_tape_forms_match_unrolled() {
    assert!(ZeroSumExample1::default().info().zero_sum);
    agree(
        Duopoly::default(),
        unrolled::Duopoly::default(),
        None,
        3,
        Form::Tape,
        1e-10,
    );
    agree(
        Torus::default(),
        unrolled::Torus::default(),
        None,
        4,
        Form::Tape,
        1e-10,
    );
    agree(
        ZeroSumExample1::default(),
        unrolled::ZeroSumExample1::default(),
        Some(vec![0.3, -0.2]),
        5,
        Form::Tape,
        1e-10,
    );
}

#[test]
fn shifted_indices_two_followers_and_hoisted_sums_match_unrolled() {
    assert_eq!(ShiftedUnrolled::default().info().form, Form::Unrolled);
    for seed in 10..14 {
        agree(
            ShiftedTape::default(),
            ShiftedUnrolled::default(),
            None,
            seed,
            Form::Tape,
            1e-10,
        );
    }
}

#[test]
fn tape_games_pass_the_independent_derivative_checks() {
    let mut rng = Lcg(21);
    for _ in 0..2 {
        let x = rng.vec(18);
        let l = rng.vec(9);
        check_game(&Covariance3::default(), &x, &l, 1e-10, 1e-6);
        check_stackelberg_jacobian(&Covariance3::default(), &x, 1e-5);
        let x = rng.vec(17);
        let l = rng.vec(13);
        check_game(&ShiftedTape::default(), &x, &l, 1e-10, 1e-5);
        check_stackelberg_jacobian(&ShiftedTape::default(), &x, 1e-5);
    }
}

#[test]
fn tape_form_formulas_print_the_kept_program() {
    let f = Covariance3::default().formulas();
    let program: Vec<&String> = f.iter().flat_map(|b| b.entries.iter()).collect();
    // the let is kept (one statement), and both costs read it instead of
    // inlining it
    let lets: Vec<&&String> = program
        .iter()
        .filter(|e| e.starts_with("let f = "))
        .collect();
    assert_eq!(lets.len(), 1, "{program:?}");
    assert!(lets[0].contains("sum("), "{}", lets[0]);
    let costs: Vec<&&String> = program.iter().filter(|e| e.starts_with("cost ")).collect();
    assert_eq!(costs.len(), 2, "{program:?}");
    assert!(costs.iter().all(|c| !c.contains("sigma")), "{costs:?}");
}

tensor_games!("tape" TwoLayerTape ReduceTape, "unrolled" TwoLayerUnrolled ReduceUnrolled);

#[test]
fn tensor_lets_and_reductions_in_the_tape_form_match_unrolled() {
    for seed in 30..33 {
        agree(
            TwoLayerTape::default(),
            TwoLayerUnrolled::default(),
            None,
            seed,
            Form::Tape,
            1e-10,
        );
        // Random points: no two terms of a max/min tie (probability zero).
        agree(
            ReduceTape::default(),
            ReduceUnrolled::default(),
            None,
            seed,
            Form::Tape,
            1e-10,
        );
    }
}
