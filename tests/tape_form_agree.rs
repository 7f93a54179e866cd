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

battery_tests!(Form::Tape, 1e-10, ShiftedTape, TwoLayerTape, ReduceTape);

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
