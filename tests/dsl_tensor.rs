//! Tensor-valued lets and `mean` / `max` / `min` reductions through the real
//! macro: each game agrees with the same game written out by hand (the
//! lets inlined, the reductions as two-argument chains) on every emitted
//! block at random points, to 1e-12 relative; and its blocks agree with
//! num-dual and finite differences of its own costs (for the reductions,
//! at points away from ties).

mod derivatives_common;

use derivatives_common::{call, call_phi, check_game, check_stackelberg_jacobian, Rng};
use stackel::prelude::*;

stackel_game! {
    /// A two-layer tanh model: hidden units as a rank-2 let, the output as
    /// a rank-1 let of it, a let of a let on a shifted range.
    pub game TwoLayer {
        const B = 3;
        const Z = 2;
        const H = 3;
        param z: [B, Z] = [[0, 0], [0, 0], [0, 0]];
        param y: [B] = [0, 0, 0];
        leader w1: [H, Z];
        follower w2: [H];
        let h[b in 0..B, j in 0..H] = tanh(sum(i in 0..Z) w1[j, i] * z[b, i] + 0.1 * j);
        let out[b in 0..B] = sum(j in 0..H) w2[j] * h[b, j];
        let step[k in 1..H] = h[0, k] - h[0, k - 1];
        cost w1 = mean(b in 0..B) (out[b] - y[b])^2 + sum(k in 0..H - 1) step[k + 1]^2;
        cost w2 = mean(b in 0..B) (out[b] - y[b])^2 + 0.5 * sum(j in 0..H) w2[j]^2
            + 0.1 * sum(j in 0..H) w2[j] * h[1, j]^2;
    }
}

stackel_game! {
    /// `TwoLayer` with every let inlined by hand.
    pub game TwoLayerByHand {
        const B = 3;
        const Z = 2;
        const H = 3;
        param z: [B, Z] = [[0, 0], [0, 0], [0, 0]];
        param y: [B] = [0, 0, 0];
        leader w1: [H, Z];
        follower w2: [H];
        cost w1 = (sum(b in 0..B) (sum(j in 0..H) w2[j] * tanh(sum(i in 0..Z) w1[j, i] * z[b, i] + 0.1 * j) - y[b])^2) / B
            + sum(k in 0..H - 1) (tanh(sum(i in 0..Z) w1[k + 1, i] * z[0, i] + 0.1 * (k + 1))
                - tanh(sum(i in 0..Z) w1[k, i] * z[0, i] + 0.1 * k))^2;
        cost w2 = (sum(b in 0..B) (sum(j in 0..H) w2[j] * tanh(sum(i in 0..Z) w1[j, i] * z[b, i] + 0.1 * j) - y[b])^2) / B
            + 0.5 * sum(j in 0..H) w2[j]^2
            + 0.1 * sum(j in 0..H) w2[j] * tanh(sum(i in 0..Z) w1[j, i] * z[1, i] + 0.1 * j)^2;
    }
}

stackel_game! {
    /// Every reduction, with one and two binders.
    pub game Reduce {
        param c: [3] = [1, 1, 1];
        leader x: [3];
        follower v: [2, 3];
        cost x = max(i in 0..3) x[i] * c[i] + min(i in 0..3) (x[i] - v[0, i])
            + mean(i in 0..3) x[i]^2 - 2 * max(i in 0..2, j in 1..=2) v[i, j] * x[j];
        cost v = mean(i in 0..2, j in 0..3) v[i, j]^2 + x[0] * min(j in 0..3) (v[1, j] + x[j])
            + x[1] * max(i in 0..2) v[i, 0]^3;
    }
}

stackel_game! {
    /// `Reduce` with the reductions written as two-argument chains.
    pub game ReduceByHand {
        param c: [3] = [1, 1, 1];
        leader x: [3];
        follower v: [2, 3];
        cost x = max(x[0] * c[0], max(x[1] * c[1], x[2] * c[2]))
            + min(min(x[0] - v[0, 0], x[1] - v[0, 1]), x[2] - v[0, 2])
            + (sum(i in 0..3) x[i]^2) / 3
            - 2 * max(max(v[0, 1] * x[1], v[0, 2] * x[2]), max(v[1, 1] * x[1], v[1, 2] * x[2]));
        cost v = (sum(i in 0..2, j in 0..3) v[i, j]^2) / 6
            + x[0] * min(v[1, 0] + x[0], min(v[1, 1] + x[1], v[1, 2] + x[2]))
            + x[1] * max(v[0, 0]^3, v[1, 0]^3);
    }
}

/// |a - b| <= 1e-12 (1 + |b|) entry by entry.
fn assert_same(what: &str, a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (k, (u, v)) in a.iter().zip(b).enumerate() {
        assert!(
            (u - v).abs() <= 1e-12 * (1.0 + v.abs()),
            "{what}[{k}]: {u} vs hand-written {v}"
        );
    }
}

/// Every cost and block of `a` equals `b`'s at (x, lambda).
fn assert_same_blocks<A: Game, B: Game>(a: &A, b: &B, x: &[f64], l: &[f64]) {
    assert_eq!((a.d1(), a.d2(), a.np()), (b.d1(), b.d2(), b.np()));
    let (d1, d2, np) = (a.d1(), a.d2(), a.np());
    let n = d1 + d2;
    assert_same("f1", &[a.leader_cost(x)], &[b.leader_cost(x)]);
    for i in 0..a.info().followers.len() {
        assert_same("f2", &[a.follower_cost(i, x)], &[b.follower_cost(i, x)]);
    }
    type Block<G> = fn(&G, &[f64], &mut [f64]);
    let blocks: [(&str, Block<A>, Block<B>, usize); 12] = [
        ("D1f1", A::d1f1, B::d1f1, d1),
        ("D2f1", A::d2f1, B::d2f1, d2),
        ("D2f2", A::d2f2, B::d2f2, d2),
        ("omega", A::omega, B::omega, n),
        ("D11f1", A::d11f1, B::d11f1, d1 * d1),
        ("D12f1", A::d12f1, B::d12f1, d1 * d2),
        ("D22f1", A::d22f1, B::d22f1, d2 * d2),
        ("D22f2", A::d22f2, B::d22f2, d2 * d2),
        ("D21f2", A::d21f2, B::d21f2, d2 * d1),
        ("D1p f1", A::d1p_f1, B::d1p_f1, d1 * np),
        ("D2p f1", A::d2p_f1, B::d2p_f1, d2 * np),
        ("D2p f2", A::d2p_f2, B::d2p_f2, d2 * np),
    ];
    for (what, fa, fb, len) in blocks {
        assert_same(what, &call(fa, a, x, len), &call(fb, b, x, len));
    }
    type Phi<G> = fn(&G, &[f64], &[f64], &mut [f64]);
    let phis: [(&str, Phi<A>, Phi<B>, usize); 6] = [
        ("D11phi", A::d11phi, B::d11phi, d1 * d1),
        ("D12phi", A::d12phi, B::d12phi, d1 * d2),
        ("D21phi", A::d21phi, B::d21phi, d2 * d1),
        ("D22phi", A::d22phi, B::d22phi, d2 * d2),
        ("D1p phi", A::d1p_phi, B::d1p_phi, d1 * np),
        ("D2p phi", A::d2p_phi, B::d2p_phi, d2 * np),
    ];
    for (what, fa, fb, len) in phis {
        assert_same(
            what,
            &call_phi(fa, a, x, l, len),
            &call_phi(fb, b, x, l, len),
        );
    }
}

#[test]
fn two_layer_tensor_lets_equal_the_hand_inlined_game_on_every_block() {
    let mut rng = Rng(131);
    let (mut g, mut twin) = (TwoLayer::default(), TwoLayerByHand::default());
    for _ in 0..8 {
        let p = rng.vec(TwoLayer::NP, -1.0, 1.0);
        g.set_params(&p);
        twin.set_params(&p);
        let x = rng.vec(TwoLayer::N, -1.0, 1.0);
        let l = rng.vec(TwoLayer::D2, -1.0, 1.0);
        assert_same_blocks(&g, &twin, &x, &l);
        check_game(&g, &x, &l, 1e-9, 1e-5);
        check_stackelberg_jacobian(&g, &x, 1e-4);
    }
}

/// Smallest distance between the best term and any other, over every
/// reduction of `Reduce` at `s` = (x, v): the kinks are where it is 0.
fn reduce_tie_gap(s: &[f64], c: &[f64]) -> f64 {
    let (x, v) = (&s[..3], |i: usize, j: usize| s[3 + 3 * i + j]);
    let gap = |terms: Vec<f64>, max: bool| {
        let best = if max {
            terms.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        } else {
            terms.iter().copied().fold(f64::INFINITY, f64::min)
        };
        let mut others: Vec<f64> = terms.iter().map(|t| (t - best).abs()).collect();
        others.sort_by(f64::total_cmp);
        others[1]
    };
    [
        gap((0..3).map(|i| x[i] * c[i]).collect(), true),
        gap((0..3).map(|i| x[i] - v(0, i)).collect(), false),
        gap(
            (0..2)
                .flat_map(|i| (1..3).map(move |j| (i, j)))
                .map(|(i, j)| v(i, j) * x[j])
                .collect(),
            true,
        ),
        gap((0..3).map(|j| v(1, j) + x[j]).collect(), false),
        gap((0..2).map(|i| v(i, 0).powi(3)).collect(), true),
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min)
}

#[test]
fn reductions_equal_two_argument_chains_and_finite_differences_away_from_ties() {
    let mut rng = Rng(132);
    let (mut g, mut twin) = (Reduce::default(), ReduceByHand::default());
    let mut checked = 0;
    while checked < 8 {
        let c = rng.vec(3, -1.0, 1.0);
        g.set_params(&c);
        twin.set_params(&c);
        let x = rng.vec(Reduce::N, -1.0, 1.0);
        let l = rng.vec(Reduce::D2, -1.0, 1.0);
        // Exact agreement holds everywhere, ties included.
        assert_same_blocks(&g, &twin, &x, &l);
        // Finite differences (step 1e-5) only where no reduction is
        // within 1e-2 of a tie.
        if reduce_tie_gap(&x, &c) > 1e-2 {
            check_game(&g, &x, &l, 1e-9, 1e-5);
            check_stackelberg_jacobian(&g, &x, 1e-4);
            checked += 1;
        }
    }
    // On a tie the first term is picked, derivatives included: at
    // x = (1, 1, 0), c = (1, 1, 1) the max of x[i] c[i] is x[0] c[0].
    g.set_params(&[1.0, 1.0, 1.0]);
    let mut s = vec![0.0; Reduce::N];
    s[0] = 1.0;
    s[1] = 1.0;
    s[3..9].copy_from_slice(&[-5.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let d1 = call(Reduce::d1f1, &g, &s, 3);
    // D_x0: 1 from the max (x0 c0 picked over the equal x1 c1), 0 from the
    // min (x - v[0, .] = (6, 1, 0) picks x2), 2/3 from the mean, 0 from the
    // two-binder max (all terms 0: v[0, 1] x1 picked). D_x1: only 2/3.
    assert!((d1[0] - (1.0 + 2.0 / 3.0)).abs() < 1e-12, "{d1:?}");
    assert!((d1[1] - 2.0 / 3.0).abs() < 1e-12, "{d1:?}");
}
