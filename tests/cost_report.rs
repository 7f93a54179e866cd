//! Cost reports of the paper games (snapshots), and checks that can fail:
//! what the generated methods execute equals what the compiler counted in
//! their programs, and the flops the report gives per step equal the
//! operations one real step takes on counted numbers.

use stackel::cost::{count_ops, CostReport, Counted, OpCounts};
use stackel::dynamics::{step, FollowerSolver, StepInputs, StepScratch};
use stackel::krylov::KrylovOptions;
use stackel::prelude::*;
use stackel::Rule;
use stackel_testkit::games::{
    Covariance3, Duopoly, LeaderThreeFollowerTwo, Torus, ZeroSumExample1,
};

stackel_testkit::covariance_game!(
    crate = [stackel],
    Covariance3Loops,
    3,
    "The covariance game, m = 3, in the loop form.",
    sigma = [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    form = "loops"
);

stackel_game! {
    /// A small GAN in the tape form: 4 samples, latent dimension 2, 3 hidden units.
    pub game SmallGan {
        const B = 4;
        const Z = 2;
        const H = 3;
        data x: [B, 2];
        data z: [B, Z];
        leader gen { w1: [H, Z], b1: [H], w2: [2, H], b2: [2] };
        follower disc { v1: [H, 2], c1: [H], v2: [H], c2 };
        let h[b in 0..B, j in 0..H] = tanh(sum(i in 0..Z) w1[j, i] * z[b, i] + b1[j]);
        let g[b in 0..B, k in 0..2] = sum(i in 0..H) w2[k, i] * h[b, i] + b2[k];
        let dr[b in 0..B] = sum(j in 0..H) v2[j] * tanh(sum(i in 0..2) v1[j, i] * x[b, i] + c1[j]) + c2;
        let df[b in 0..B] = sum(j in 0..H) v2[j] * tanh(sum(i in 0..2) v1[j, i] * g[b, i] + c1[j]) + c2;
        let loss_d = -mean(b in 0..B) (log_sigmoid(dr[b]) + log_sigmoid(-df[b]));
        cost gen = -mean(b in 0..B) log_sigmoid(df[b]);
        cost disc = loss_d + 0.01 * sum(j in 0..H) v2[j]^2;
    }
}

/// The report without its WGSL line, which depends on the `gpu` feature
/// (pinned on its own by `wgsl_stats` under that feature).
fn report_text<G: Game>(g: &G) -> String {
    CostReport::of(g)
        .to_string()
        .lines()
        .filter(|l| !l.starts_with("wgsl"))
        .map(|l| format!("{}\n", l.trim_end()))
        .collect()
}

#[test]
fn paper_game_reports() {
    insta::assert_snapshot!("duopoly", report_text(&Duopoly::default()));
    insta::assert_snapshot!("torus", report_text(&Torus::default()));
    insta::assert_snapshot!("example1", report_text(&ZeroSumExample1::default()));
    insta::assert_snapshot!("covariance3", report_text(&Covariance3::default()));
    insta::assert_snapshot!(
        "covariance3_loops",
        report_text(&Covariance3Loops::default())
    );
    insta::assert_snapshot!("small_gan_tape", report_text(&SmallGan));
}

/// The generated methods of the unrolled form execute exactly the
/// operations of the programs the compiler counted (none of these games
/// has a comparison, the one operation the counted numbers cannot see).
fn executed_equals_compiled<G: Game>(g: &G) {
    let report = CostReport::of(g);
    let compiled = report.compiled.expect("a generated game");
    assert_eq!(compiled.form, stackel::Form::Unrolled);
    let pairs = [
        ("leader_cost", "f1"),
        ("follower_cost(0)", "f2[0]"),
        ("omega", "omega"),
        ("stackelberg_parts", "stackelberg_parts"),
        ("second_order_parts", "second_order_parts"),
        ("d1f1", "D1f1"),
        ("d2f1", "D2f1"),
        ("d2f2", "D2f2"),
        ("d22f2", "D22f2"),
        ("d21f2", "D21f2"),
    ];
    for (method, block) in pairs {
        let stage = compiled
            .stages
            .iter()
            .find(|s| s.block == block)
            .unwrap_or_else(|| panic!("no stage {block}"));
        assert_eq!(
            report.method(method),
            Some(stage.cse),
            "{}: {method}",
            report.game
        );
        assert!(stage.cse.le(&stage.dag) && stage.dag.le(&stage.tree));
    }
}

#[test]
fn executed_counts_equal_the_compiled_programs() {
    executed_equals_compiled(&Duopoly::default());
    executed_equals_compiled(&Torus::default());
    executed_equals_compiled(&ZeroSumExample1::default());
    executed_equals_compiled(&Covariance3::default());
}

/// The duopoly by hand: f1 = -(a - q1 - q2 - c1) q1 with params a, c1, so
/// D1 f1 = -a + c1 + 2 q1 + q2: one product (2 q1) and three additions;
/// D22 f2 = 2 is a constant.
#[test]
fn duopoly_gradient_by_hand() {
    let r = CostReport::of(&Duopoly::default());
    assert_eq!(r.method("d1f1"), Some(OpCounts::new(3, 1, 0, 0, 0, 0)));
    assert_eq!(r.method("d22f2"), Some(OpCounts::ZERO));
}

/// One step of `rule` on counted numbers from `x0`, plain update, eta = 0,
/// on the dense path (`matrix_free` false) or with conjugate gradients;
/// with the number of Krylov iterations it took.
fn counted_step<G: Game>(g: &G, rule: Rule, x0: &[f64], matrix_free: bool) -> (OpCounts, u64) {
    let s = Schedule::constant(0.01);
    let dynamics = match rule {
        Rule::Simultaneous => Dynamics::simultaneous(s),
        Rule::TwoTimescale => Dynamics::two_timescale(s, s),
        Rule::BestResponse => Dynamics::best_response(s),
        Rule::Lola => Dynamics::lola(s, s),
        Rule::Staggered => Dynamics::staggered(vec![s; g.info().players().count()]),
    };
    let dynamics = dynamics.follower_solver(if matrix_free {
        FollowerSolver::MatrixFree(KrylovOptions::default())
    } else {
        FollowerSolver::Dense
    });
    let n = g.d1() + g.d2();
    let angle = g.info().angle_mask();
    let (gains, sigma, z) = (
        vec![Counted(0.01); n],
        vec![Counted(0.1); n],
        vec![Counted(0.3); n],
    );
    let inp = StepInputs {
        k: 0,
        gains: &gains,
        sigma: &sigma,
        z: &z,
        angle: &angle,
        eta: Counted(0.0),
        adam: None,
    };
    let mut x: Vec<Counted> = x0.iter().map(|v| Counted(*v)).collect();
    let mut scratch = StepScratch::<Counted>::for_dynamics(g, &dynamics);
    assert_eq!(scratch.matrix_free(), matrix_free);
    let ops = count_ops(|| {
        step(g, &dynamics, &inp, &mut x, None, &mut scratch);
    });
    (ops, scratch.solve_stats().iterations)
}

/// `exact`: the counted step equals the model; else it is at most the
/// model (the LU factorisation skips zero multipliers, which the model, a
/// dense count, does not know of).
fn rule_flops_match<G: Game>(g: &G, x0: &[f64], rules: &[Rule], exact: bool) {
    let report = CostReport::of(g);
    for rule in rules {
        let name = match rule {
            Rule::Simultaneous => "simultaneous",
            Rule::TwoTimescale => "two-timescale",
            Rule::BestResponse => "best response",
            Rule::Lola => "lola",
            Rule::Staggered => "staggered",
        };
        let model = report
            .rules
            .iter()
            .find(|r| r.rule == name && r.path == "dense")
            .expect("rule");
        let (counted, _) = counted_step(g, *rule, x0, false);
        if exact {
            assert_eq!(
                counted.flops(),
                model.total(),
                "{} {name}: {counted:?}",
                report.game
            );
        } else {
            assert!(
                counted.flops() <= model.total(),
                "{} {name}: {counted:?} > {}",
                report.game,
                model.total()
            );
        }
    }
}

/// The report's flops per step against a real step on counted numbers.
/// Best response is checked where the follower cost is quadratic in its
/// own variable (one Newton iteration, its first trial accepted, as the
/// model assumes). Exact where D22 f2 has no zero (d2 = 1, and the dense
/// 2 x 2 of LeaderThreeFollowerTwo); the covariance game's D22 f2 = eta I
/// makes the factorisation skip its eliminations.
#[test]
fn rule_flops_match_a_counted_step() {
    use Rule::*;
    let all = [Simultaneous, TwoTimescale, BestResponse, Lola];
    let smooth = [Simultaneous, TwoTimescale, Lola];
    rule_flops_match(&Duopoly::default(), &[20.0, 10.0], &all, true);
    rule_flops_match(&Torus::default(), &[0.4, -1.1], &smooth, true);
    rule_flops_match(&ZeroSumExample1::default(), &[0.7, -0.4], &smooth, true);
    let x5 = [0.3, -0.2, 0.5, 1.0, -0.7];
    rule_flops_match(&LeaderThreeFollowerTwo, &x5, &all, true);
    let x0: Vec<f64> = (0..18).map(|k| 0.1 + 0.05 * k as f64).collect();
    let g = Covariance3::default();
    rule_flops_match(&g, &x0, &[Simultaneous, Lola], true);
    rule_flops_match(&g, &x0, &[TwoTimescale, BestResponse], false);
    let g = Covariance3Loops::default();
    rule_flops_match(&g, &x0, &[Simultaneous, Lola], true);
    rule_flops_match(&g, &x0, &[TwoTimescale, BestResponse], false);
    // the three-level chain: the staggered row is counted at x = 0.5; a
    // quadratic game's step takes the same operations everywhere
    let chain = stackel_testkit::games::ChainOligopoly::default();
    rule_flops_match(&chain, &[20.0, 10.0, 5.0], &[Staggered, Simultaneous], true);
    assert!(!CostReport::of(&Duopoly::default())
        .rules
        .iter()
        .any(|r| r.rule == "staggered"));
}

/// The matrix-free rows against real steps with conjugate gradients on
/// counted numbers: game + runtime + k x per iteration, k the iterations
/// the solve took (at least one everywhere here).
#[test]
fn matrix_free_flops_match_a_counted_step() {
    fn check<G: Game>(g: &G, x0: &[f64]) {
        let report = CostReport::of(g);
        for (rule, name) in [
            (Rule::Simultaneous, "simultaneous"),
            (Rule::TwoTimescale, "two-timescale"),
            (Rule::Lola, "lola"),
        ] {
            let model = report
                .rules
                .iter()
                .find(|r| r.rule == name && r.path == "matrix-free")
                .expect("rule");
            let (counted, k) = counted_step(g, rule, x0, true);
            if rule == Rule::TwoTimescale {
                assert!(k >= 1, "{}: no iteration", report.game);
            }
            assert_eq!(
                counted.flops(),
                model.with_iterations(k),
                "{} {name}: k = {k}",
                report.game
            );
        }
    }
    check(&Duopoly::default(), &[20.0, 10.0]);
    check(&Torus::default(), &[0.4, -1.1]);
    check(&LeaderThreeFollowerTwo, &[0.3, -0.2, 0.5, 1.0, -0.7]);
    let x0: Vec<f64> = (0..18).map(|k| 0.1 + 0.05 * k as f64).collect();
    check(&Covariance3::default(), &x0);
    check(&Covariance3Loops::default(), &x0);
}

/// The WGSL study kernel's size as naga reads it, and the game's share.
#[cfg(feature = "gpu")]
#[test]
fn wgsl_stats() {
    use stackel::cost::WgslSummary;
    let lines: String = [
        CostReport::of(&Duopoly::default()),
        CostReport::of(&Covariance3::default()),
        CostReport::of(&Covariance3Loops::default()),
        CostReport::of(&SmallGan),
    ]
    .iter()
    .map(|r| {
        let w = match &r.wgsl {
            WgslSummary::Stats { kernel, game } => {
                // the game's functions are part of the kernel
                assert!(game.functions >= 1 && game.functions < kernel.functions);
                assert!(game.expressions < kernel.expressions);
                format!("kernel {kernel:?}\n  game {game:?}")
            }
            other => format!("{other:?}"),
        };
        format!("{}: {w}\n", r.game)
    })
    .collect();
    insta::assert_snapshot!("wgsl_stats", lines);
}
