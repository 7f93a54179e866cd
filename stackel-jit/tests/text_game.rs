//! A game from text: its params can be swept without recompiling (every
//! block then equals the macro game with the same params), and texts it
//! cannot take give typed errors.

use stackel_jit::{TextGame, TextGameError};
use stackel_runtime::Game;
use stackel_testkit::games::Covariance3;
use stackel_testkit::texts::COVARIANCE3;

#[test]
fn a_param_sweep_needs_no_recompilation() {
    let mut text = TextGame::from_text("cov.stk", COVARIANCE3).unwrap();
    let mut g = Covariance3::default();
    assert_eq!((text.d1(), text.d2(), text.np()), (9, 9, 10));
    assert_eq!(text.param_names(), ["sigma", "eta"]);
    let mut p = vec![0.0; 10];
    g.params(&mut p);
    assert_eq!(text.params(), p.as_slice());
    let x: Vec<f64> = (0..18).map(|i| (0.3 * i as f64).sin()).collect();
    let lambda: Vec<f64> = (0..9).map(|i| (0.7 * i as f64).cos()).collect();
    for sweep in 0..4 {
        let p: Vec<f64> = (0..10).map(|i| 0.5 + 0.1 * (i + sweep) as f64).collect();
        text.set_params(&p).unwrap();
        g.set_params(&p);
        let mut a = vec![0.0; 81];
        let mut b = vec![0.0; 81];
        text.block_f64("D22f2", &x, &[], &mut a).unwrap();
        g.d22f2(&x, &mut b);
        assert_eq!(a, b);
        text.block_f64("D11phi", &x, &lambda, &mut a).unwrap();
        g.d11phi(&x, &lambda, &mut b);
        assert_eq!(a, b);
        let mut a = vec![0.0; 18];
        let mut b = vec![0.0; 18];
        text.omega_f64(&x, &mut a).unwrap();
        g.omega(&x, &mut b);
        assert_eq!(a, b);
        assert_eq!(text.cost_f64(0, &x).unwrap(), g.leader_cost(&x));
        assert_eq!(text.cost_f64(1, &x).unwrap(), g.follower_cost(0, &x));
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let (mut a, mut b) = (vec![0.0f32; 18], vec![0.0f32; 18]);
        text.omega_f32(&x32, &mut a).unwrap();
        g.omega(&x32, &mut b);
        assert_eq!(a, b);
    }
    assert!(matches!(
        text.set_params(&[1.0]),
        Err(TextGameError::Params { need: 10, got: 1 })
    ));
}

#[test]
fn texts_it_cannot_take_are_typed_errors() {
    let bad = TextGame::from_text(
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
    assert!(matches!(
        TextGame::from_text("big.stk", &big),
        Err(TextGameError::Form { form: "loops", .. })
    ));
    let gan = "game G { data d: [2]; leader x; follower y; cost x = (x - d[0])^2; cost y = (y - d[1])^2; }";
    assert!(matches!(
        TextGame::from_text("gan.stk", gan),
        Err(TextGameError::Form { form: "tape", .. })
    ));
    let independent = "game G { leader x; follower y; cost x = x^2; cost y = x^2; }";
    let Err(TextGameError::Dsl(e)) = TextGame::from_text("i.stk", independent) else {
        panic!("a back-end error is a DSL error too");
    };
    assert!(e.diagnostics[0].message.contains("does not depend on `y`"));
}
