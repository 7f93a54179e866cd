//! A game from text: its params can be swept without recompiling (every
//! block then equals the macro game with the same params), and texts it
//! cannot take give typed errors.

use stackel_jit::{DynGame, TextGameError};
use stackel_runtime::Game;
use stackel_testkit::games::Covariance3;
use stackel_testkit::texts::COVARIANCE3;

#[test]
fn a_param_sweep_needs_no_recompilation() {
    let mut text = DynGame::from_dsl("cov.stk", COVARIANCE3).unwrap();
    let mut g = Covariance3::default();
    assert_eq!((text.d1(), text.d2(), text.np()), (9, 9, 10));
    let names: Vec<&str> = text.info().params.iter().map(|p| p.name).collect();
    assert_eq!(names, ["sigma", "eta"]);
    let (mut p, mut q) = (vec![0.0; 10], vec![0.0; 10]);
    g.params(&mut p);
    text.params(&mut q);
    assert_eq!(q, p);
    let x: Vec<f64> = (0..18).map(|i| (0.3 * i as f64).sin()).collect();
    let lambda: Vec<f64> = (0..9).map(|i| (0.7 * i as f64).cos()).collect();
    for sweep in 0..4 {
        let p: Vec<f64> = (0..10).map(|i| 0.5 + 0.1 * (i + sweep) as f64).collect();
        text.try_set_params(&p).unwrap();
        g.set_params(&p);
        let mut a = vec![0.0; 81];
        let mut b = vec![0.0; 81];
        text.d22f2(&x, &mut a);
        g.d22f2(&x, &mut b);
        assert_eq!(a, b);
        text.d11phi(&x, &lambda, &mut a);
        g.d11phi(&x, &lambda, &mut b);
        assert_eq!(a, b);
        let mut a = vec![0.0; 18];
        let mut b = vec![0.0; 18];
        text.omega(&x, &mut a);
        g.omega(&x, &mut b);
        assert_eq!(a, b);
        assert_eq!(text.leader_cost(&x), g.leader_cost(&x));
        assert_eq!(text.follower_cost(0, &x), g.follower_cost(0, &x));
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let (mut a, mut b) = (vec![0.0f32; 18], vec![0.0f32; 18]);
        text.omega(&x32, &mut a);
        g.omega(&x32, &mut b);
        assert_eq!(a, b);
    }
    assert!(matches!(
        text.try_set_params(&[1.0]),
        Err(TextGameError::Params { need: 10, got: 1 })
    ));
}

#[test]
fn texts_it_cannot_take_are_typed_errors() {
    let bad = DynGame::from_dsl(
        "bad.stk",
        "game G { leader x; follower y; cost x = x^2 + q; cost y = y^2; }",
    );
    let Err(TextGameError::Dsl(e)) = bad else {
        panic!("an unknown name is a DSL error");
    };
    let q = "game G { leader x; follower y; cost x = x^2 + q".len(); // the column of `q`
    assert_eq!((e.diagnostics[0].line, e.diagnostics[0].column), (1, q));
    let big = COVARIANCE3
        .replace("const M = 3", "const M = 15")
        .replace(" = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]", "");
    let big = DynGame::from_dsl("big.stk", &big).expect("m = 15 compiles in the loop form");
    assert_eq!(big.info().form, stackel_runtime::Form::Loops);
    assert_eq!((big.d1(), big.d2()), (225, 225));
    let follower_without_curvature =
        "#[stackel(form = \"loops\")] game G { leader x: [2]; follower y: [2]; \
        cost x = sum(i in 0..2) (x[i] - y[i])^2; cost y = sum(i in 0..2) x[i] * y[i]; }";
    let Err(TextGameError::Dsl(e)) = DynGame::from_dsl("lin.stk", follower_without_curvature)
    else {
        panic!("the loop form's follower check is a DSL error");
    };
    assert!(format!("{e}").contains("at most linear"), "{e}");
    let staggered_loops =
        "#[stackel(form = \"loops\")] game G { leader x; follower y; follower z after y; \
        cost x = x^2 + y * z; cost y = y^2 + x * y; cost z = z^2 + y * z; }";
    let Err(TextGameError::Dsl(e)) = DynGame::from_dsl("stag.stk", staggered_loops) else {
        panic!("a staggered game forced to loops is the macro's error");
    };
    assert!(format!("{e}").contains("staggered hierarchy"), "{e}");
    let data = "game G { data d: [2]; leader x; follower y; cost x = (x - d[0])^2; cost y = (y - d[1])^2; }";
    let data = DynGame::from_dsl("data.stk", data).expect("a data game compiles in the tape form");
    assert_eq!(
        (data.info().form, data.nd()),
        (stackel_runtime::Form::Tape, 2)
    );
    let parts = "#[stackel(form = \"unrolled\")] game G { leader x { a: [2], b }; follower y; \
        cost x = (x - d[0])^2; cost y = (y - a[1])^2 + a[0] * y + b; }"
        .replace("(x - d[0])^2", "a[0]^2 + b^2 + a[1] * y");
    assert!(matches!(
        DynGame::from_dsl("parts.stk", &parts),
        Err(TextGameError::Form {
            form: "unrolled",
            ..
        })
    ));
    let independent = "game G { leader x; follower y; cost x = x^2; cost y = x^2; }";
    let Err(TextGameError::Dsl(e)) = DynGame::from_dsl("i.stk", independent) else {
        panic!("a back-end error is a DSL error too");
    };
    assert!(e.diagnostics[0].message.contains("does not depend on `y`"));
}
