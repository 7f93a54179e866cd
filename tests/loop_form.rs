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

battery_tests!(Form::Loops, 1e-12, ShiftedLoops, TwoLayerLoops, ReduceLoops);

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
