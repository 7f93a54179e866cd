//! The paper's games through the real `stackel_game!` macro: every emitted
//! block against num-dual, finite differences and the hand-derived closed
//! forms in `stackel_testkit::twins`; J_S against finite differences of
//! omega_S; snapshots of the readable formulas.

mod derivatives_common;

use derivatives_common::{check_against_reference, check_game, check_stackelberg_jacobian, Rng};
use stackel::prelude::*;
use stackel_testkit::twins as reference;

use stackel_testkit::games::{
    Covariance3 as Covariance, Duopoly, Torus, ZeroSumExample1 as Example1,
};

/// A random symmetric 3 x 3 sigma.
fn covariance(rng: &mut Rng) -> Covariance {
    let mut sigma = [[0.0; 3]; 3];
    for (i, j) in [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2)] {
        let v = rng.uniform(-1.0, 1.0);
        sigma[i][j] = v;
        sigma[j][i] = v;
    }
    Covariance { sigma, eta: 0.6 }
}

#[test]
fn duopoly_blocks_are_exact() {
    let g = Duopoly::default();
    let r = reference::Duopoly::default();
    let mut rng = Rng(11);
    for _ in 0..5 {
        let x = rng.vec(2, 0.0, 60.0);
        let l = rng.vec(1, -2.0, 2.0);
        check_game(&g, &x, &l, 1e-10, 1e-6);
        check_against_reference(&g, &r, &x, &l, 1e-12);
        check_stackelberg_jacobian(&g, &x, 1e-6);
    }
    assert!(!g.info().zero_sum);
}

#[test]
fn torus_blocks_are_exact() {
    let mut rng = Rng(12);
    let games = [
        (Torus::default(), reference::Torus::default()),
        (
            Torus {
                alpha: [0.4, 2.1],
                phi: [0.7, -0.2],
            },
            reference::Torus {
                alpha: [0.4, 2.1],
                phi: [0.7, -0.2],
            },
        ),
    ];
    for (g, r) in games {
        for _ in 0..5 {
            let x = rng.vec(2, -3.0, 3.0);
            let l = rng.vec(1, -2.0, 2.0);
            check_game(&g, &x, &l, 1e-10, 1e-6);
            check_against_reference(&g, &r, &x, &l, 1e-12);
            check_stackelberg_jacobian(&g, &x, 1e-6);
        }
    }
    let info = Torus::default().info();
    assert_eq!(info.angle_mask(), vec![true, true]);
    assert!(!info.zero_sum);
}

#[test]
fn example1_blocks_are_exact_and_zero_sum_is_detected() {
    let mut rng = Rng(13);
    let games = [
        (Example1::default(), reference::ZeroSumExample1::default()),
        (
            Example1 { a: -0.3, b: 0.8 },
            reference::ZeroSumExample1 { a: -0.3, b: 0.8 },
        ),
    ];
    for (g, r) in games {
        for _ in 0..5 {
            let x = rng.vec(2, -3.0, 3.0);
            let l = rng.vec(1, -2.0, 2.0);
            check_game(&g, &x, &l, 1e-9, 1e-6);
            check_against_reference(&g, &r, &x, &l, 1e-10);
            check_stackelberg_jacobian(&g, &x, 1e-5);
        }
    }
    assert!(Example1::default().info().zero_sum);
}

#[test]
fn covariance_blocks_are_exact() {
    let mut rng = Rng(14);
    for _ in 0..2 {
        let g = covariance(&mut rng);
        let x = rng.vec(18, -1.0, 1.0);
        let l = rng.vec(9, -1.0, 1.0);
        check_game(&g, &x, &l, 1e-10, 1e-6);
        check_stackelberg_jacobian(&g, &x, 1e-5);
    }
    let g = covariance(&mut rng);
    assert!(!g.info().zero_sum);
    assert_eq!((Covariance::D1, Covariance::D2, Covariance::NP), (9, 9, 10));
    // f2 = -f + eta/2 |W|^2, so D22f2 = eta I exactly.
    let mut h = [1.0; 81];
    g.d22f2(&rng.vec(18, -1.0, 1.0), &mut h);
    for (k, v) in h.iter().enumerate() {
        assert_eq!(*v, if k % 10 == 0 { 0.6 } else { 0.0 });
    }
}

#[test]
fn formulas_snapshots() {
    let text = |fs: Vec<BlockFormula>| {
        fs.iter()
            .map(|b| format!("{} {:?}\n{}", b.block, b.shape, b.entries.join("\n")))
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    insta::assert_snapshot!("duopoly_formulas", text(Duopoly::default().formulas()));
    insta::assert_snapshot!("torus_formulas", text(Torus::default().formulas()));
    insta::assert_snapshot!("example1_formulas", text(Example1::default().formulas()));
    insta::assert_snapshot!(
        "covariance_formulas",
        text(covariance(&mut Rng(1)).formulas())
    );
}

use stackel::BlockFormula;
