//! Staggered hierarchies (`follower z after y;`): the levels of the checked
//! model, and the staggered blocks the compiler lowers for them, held to
//! central differences of the lowered cost programs.

use quote::quote;
use stackel_symbolic::lower::{lower_game, run};

fn tree() -> proc_macro2::TokenStream {
    quote! {
        game Tree {
            param c = 0.5;
            leader x: [2];
            follower y;
            follower z after y;
            follower w: [2] after y;
            follower u;
            cost x = x[0]^2 + x[1]^2 + x[0] * y * z + w[1] * u;
            cost y = y^2 + y * (z + w[0]) * x[1] + sin(u * y);
            cost z = z^2 + c * z * y^2 + z^3 * x[0] + w[0] * z;
            cost w = w[0]^2 + w[1]^2 + w[0] * w[1] * z + exp(w[1] * y);
            cost u = u^2 + u * x[0];
        }
    }
}

#[test]
fn levels_follow_after() {
    let m = stackel_symbolic::front_end(tree()).unwrap();
    assert_eq!(m.leader.level, 0);
    let levels: Vec<u32> = m.followers.iter().map(|f| f.level).collect();
    assert_eq!(levels, [1, 2, 2, 1]);
    assert!(m.is_staggered());
    let plain = stackel_symbolic::front_end(quote! {
        game P { leader x; follower y; cost x = x^2; cost y = y^2 + x * y; }
    })
    .unwrap();
    assert!(!plain.is_staggered());
    assert!(lower_game(&plain).unwrap().staggered.is_none());
}

#[test]
fn staggered_blocks_match_central_differences() {
    let m = stackel_symbolic::front_end(tree()).unwrap();
    let l = lower_game(&m).unwrap();
    let s = l.staggered.as_ref().unwrap();
    let n = 7;
    let x: Vec<f64> = (0..n)
        .map(|k| 0.3 + 0.17 * k as f64 - 0.05 * (k * k) as f64)
        .collect();
    let p = [0.5];
    let costs: Vec<_> = std::iter::once(&l.leader_cost)
        .chain(&l.follower_costs)
        .collect();
    let h = 1e-5;
    let shifted = |k: usize, e: f64| {
        let mut y = x.clone();
        y[k] += e;
        y
    };
    for (pl, cost) in costs.iter().enumerate() {
        let grad = &run(&s.gradients[pl], &x, &p, &[])[0];
        let hess = &run(&s.hessians[pl], &x, &p, &[])[0];
        for k in 0..n {
            let fd = (run(cost, &shifted(k, h), &p, &[])[0][0]
                - run(cost, &shifted(k, -h), &p, &[])[0][0])
                / (2.0 * h);
            assert!((grad[k] - fd).abs() < 1e-8, "player {pl} D f[{k}]");
            let gp = &run(&s.gradients[pl], &shifted(k, h), &p, &[])[0];
            let gm = &run(&s.gradients[pl], &shifted(k, -h), &p, &[])[0];
            for j in 0..n {
                let fd = (gp[j] - gm[j]) / (2.0 * h);
                assert!(
                    (hess[j * n + k] - fd).abs() < 1e-7,
                    "player {pl} D2 f[{j},{k}]"
                );
            }
        }
        if pl == 0 {
            continue;
        }
        // D^2 (lambda^T D_p f_p): central differences of the Hessian rows.
        let off = m.player_offset(pl);
        let dp = m.player(pl).shape.len();
        let lambda: Vec<f64> = (0..dp).map(|a| 0.7 - 0.4 * a as f64).collect();
        let phi = &run(&s.phi_hessians[pl - 1], &x, &p, &lambda)[0];
        for k in 0..n {
            let hp = &run(&s.hessians[pl], &shifted(k, h), &p, &[])[0];
            let hm = &run(&s.hessians[pl], &shifted(k, -h), &p, &[])[0];
            for j in 0..n {
                // d/dx_k of (lambda^T D_p f)_j = sum_a lambda_a D_{off+a, j} f
                let fd: f64 = (0..dp)
                    .map(|a| lambda[a] * (hp[(off + a) * n + j] - hm[(off + a) * n + j]))
                    .sum::<f64>()
                    / (2.0 * h);
                assert!(
                    (phi[j * n + k] - fd).abs() < 1e-6,
                    "player {pl} D2 phi[{j},{k}]"
                );
            }
        }
    }
}
