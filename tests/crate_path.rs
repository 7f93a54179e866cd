//! `#[stackel(crate = path)]`: a game whose generated impl names the runtime
//! through `stackel_runtime` (as the runtime's own tests and benches would)
//! is the same game as the one written against the facade crate.

use stackel::prelude::*;

mod through_runtime {
    stackel::stackel_game! {
        #[stackel(crate = stackel_runtime)]
        /// Cournot duopoly, runtime named by its own crate.
        pub game Duopoly {
            param a = 100.0;
            param c1 = 5.0;
            param c2 = 2.0;
            leader q1;
            follower q2;
            let price = a - q1 - q2;
            cost q1 = -(price - c1) * q1;
            cost q2 = -(price - c2) * q2;
        }
    }

    stackel::stackel_game! {
        #[stackel(crate = "::stackel_runtime")]
        pub game Quadratic {
            leader x;
            follower y;
            cost x = (x - 1)^2 + x * y;
            cost y = (y + 2)^2 - x * y;
        }
    }
}

use stackel_testkit::games;

fn blocks<G: stackel_runtime::Game>(g: &G, x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; 3 * g.n() * g.n()];
    let n = g.n();
    g.d1f1(x, &mut out[..g.d1()]);
    g.d2f2(x, &mut out[n..n + g.d2()]);
    g.d22f2(x, &mut out[2 * n..2 * n + g.d2() * g.d2()]);
    g.d21f2(x, &mut out[3 * n..3 * n + g.d2() * g.d1()]);
    out.push(g.leader_cost(x));
    out.push(g.follower_cost(0, x));
    out
}

#[test]
fn a_game_compiled_against_the_runtime_crate_matches_the_facade_one() {
    let (r, f) = (
        through_runtime::Duopoly::default(),
        games::Duopoly::default(),
    );
    assert_eq!(r.info(), f.info());
    for x in [[10.0, 10.0], [46.0, 26.0], [-3.5, 70.25]] {
        assert_eq!(blocks(&r, &x), blocks(&f, &x));
        // D1 f1 = 2 q1 + q2 - (a - c1)
        let mut d = [0.0];
        r.d1f1(&x, &mut d);
        assert_eq!(d[0], 2.0 * x[0] + x[1] - 95.0);
    }
}

#[test]
fn a_game_without_params_is_a_unit_struct_and_compiles_against_the_runtime_crate() {
    // a game without params is a unit struct: its name is its value
    let g = &through_runtime::Quadratic;
    // and `::default()` still works (clippy prefers the plain name)
    #[allow(clippy::default_constructed_unit_structs)]
    let d = through_runtime::Quadratic::default();
    assert_eq!(*g, d);
    assert_eq!(through_runtime::Quadratic::NP, 0);
    let x = [0.5, -1.5];
    let mut w = [0.0; 2];
    g.omega(&x, &mut w);
    // omega = (2 (x - 1) + y, 2 (y + 2) - x)
    assert_eq!(w, [2.0 * (x[0] - 1.0) + x[1], 2.0 * (x[1] + 2.0) - x[0]]);
}
