//! Tensor-valued lets and the `mean` / `max` / `min` reductions at the
//! model level: a game written with them resolves to expressions whose
//! values (by an independent tree interpreter over the flat state and
//! params) equal those of the same game written out by hand, at random
//! points; and a proptest that the range check accepts exactly the index
//! offsets that stay in range.

use proc_macro2::{Literal, TokenStream};
use proptest::prelude::*;
use quote::quote;
use stackel_symbolic::front_end;
use stackel_symbolic::model::{BinOp, BinaryFn, Expr, GameModel, Index, SumVar, UnaryFn};

fn ok(t: TokenStream) -> GameModel {
    match front_end(t) {
        Ok(m) => m,
        Err(e) => panic!("unexpected errors:\n{e}"),
    }
}

/// Reference semantics of a resolved expression: sums and folds looped,
/// entries read from the flat state `x` and params `p`.
struct Eval<'m> {
    m: &'m GameModel,
    x: &'m [f64],
    p: &'m [f64],
    env: Vec<(SumVar, i64)>,
}

impl Eval<'_> {
    fn index(&self, i: &Index) -> i64 {
        i.offset
            + i.var.map_or(0, |v| {
                self.env
                    .iter()
                    .rev()
                    .find(|(w, _)| *w == v)
                    .expect("index variable bound")
                    .1
            })
    }

    fn flat(&self, dims: &[usize], index: &[Index]) -> usize {
        assert_eq!(dims.len(), index.len());
        let mut k = 0;
        for (d, i) in dims.iter().zip(index) {
            let v = self.index(i);
            assert!(v >= 0 && (v as usize) < *d, "index {v} out of 0..{d}");
            k = k * d + v as usize;
        }
        k
    }

    fn eval(&mut self, e: &Expr) -> f64 {
        match e {
            Expr::Num(v) => *v,
            Expr::Var { player, index } => {
                let dims = self.m.player(*player).shape.dims();
                self.x[self.m.player_offset(*player) + self.flat(&dims, index)]
            }
            Expr::Param { param, index } => {
                let dims = self.m.params[*param].shape.dims();
                let start: usize = self.m.params[..*param].iter().map(|q| q.shape.len()).sum();
                self.p[start + self.flat(&dims, index)]
            }
            Expr::Part { .. } | Expr::Data { .. } | Expr::Let { .. } => {
                unreachable!("these games have no parts or data, and costs have lets inlined")
            }
            Expr::SumIndex(i) => self.index(i) as f64,
            Expr::Neg(a) => -self.eval(a),
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.eval(a), self.eval(b));
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    BinOp::Pow => a.powf(b),
                }
            }
            Expr::Unary(f, a) => {
                let a = self.eval(a);
                match f {
                    UnaryFn::Tanh => a.tanh(),
                    UnaryFn::Exp => a.exp(),
                    UnaryFn::Sin => a.sin(),
                    UnaryFn::Cos => a.cos(),
                    other => panic!("{other:?} not used in these tests"),
                }
            }
            Expr::Call2(f, a, b) => {
                let (a, b) = (self.eval(a), self.eval(b));
                match f {
                    BinaryFn::Max => a.max(b),
                    BinaryFn::Min => a.min(b),
                }
            }
            Expr::Sum { var, lo, hi, body } => {
                let mut s = 0.0;
                for k in *lo..*hi {
                    self.env.push((*var, k));
                    s += self.eval(body);
                    self.env.pop();
                }
                s
            }
            Expr::Fold {
                op,
                var,
                lo,
                hi,
                body,
            } => {
                assert!(lo < hi, "a fold is never empty");
                let mut terms = Vec::new();
                for k in *lo..*hi {
                    self.env.push((*var, k));
                    terms.push(self.eval(body));
                    self.env.pop();
                }
                match op {
                    BinaryFn::Max => terms.into_iter().fold(f64::NEG_INFINITY, f64::max),
                    BinaryFn::Min => terms.into_iter().fold(f64::INFINITY, f64::min),
                }
            }
        }
    }
}

/// Every player's cost of `m` at (x, p).
fn costs(m: &GameModel, x: &[f64], p: &[f64]) -> Vec<f64> {
    (0..=m.followers.len())
        .map(|k| {
            Eval {
                m,
                x,
                p,
                env: Vec::new(),
            }
            .eval(&m.player(k).cost)
        })
        .collect()
}

/// Deterministic pseudo-random numbers (xorshift64).
struct Rng(u64);

impl Rng {
    fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                2.0 * ((self.0 >> 11) as f64 / (1u64 << 53) as f64) - 1.0
            })
            .collect()
    }
}

/// The two games agree on every cost at random points, to 1e-12 relative.
fn assert_same_costs(a: &GameModel, b: &GameModel, seed: u64) {
    let n = a.leader_dim() + a.follower_dim();
    assert_eq!(n, b.leader_dim() + b.follower_dim());
    assert_eq!(a.param_len(), b.param_len());
    let mut rng = Rng(seed);
    for _ in 0..20 {
        let x = rng.vec(n);
        let p = rng.vec(a.param_len());
        for (k, (u, v)) in costs(a, &x, &p).iter().zip(costs(b, &x, &p)).enumerate() {
            assert!(
                (u - v).abs() <= 1e-12 * (1.0 + v.abs()),
                "player {k}: {u} vs hand-inlined {v}"
            );
        }
    }
}

#[test]
fn two_layer_tensor_lets_equal_the_hand_inlined_game() {
    let with_lets = ok(quote! {
        game Net {
            const B = 3;
            const Z = 2;
            const H = 4;
            param z: [B, Z];
            param y: [B];
            leader w1: [H, Z];
            follower w2: [H];
            let h[b in 0..B, j in 0..H] = tanh(sum(i in 0..Z) w1[j, i] * z[b, i] + 0.1 * j);
            let out[b in 0..B] = sum(j in 0..H) w2[j] * h[b, j];
            let step[k in 1..H] = h[0, k] - h[0, k - 1];
            cost w1 = mean(b in 0..B) (out[b] - y[b])^2 + sum(k in 0..H - 1) step[k + 1]^2;
            cost w2 = mean(b in 0..B) (out[b] - y[b])^2 + 0.5 * sum(j in 0..H) w2[j]^2;
        }
    });
    let by_hand = ok(quote! {
        game Net {
            const B = 3;
            const Z = 2;
            const H = 4;
            param z: [B, Z];
            param y: [B];
            leader w1: [H, Z];
            follower w2: [H];
            cost w1 = (sum(b in 0..B) (sum(j in 0..H) w2[j] * tanh(sum(i in 0..Z) w1[j, i] * z[b, i] + 0.1 * j) - y[b])^2) / B
                + sum(k in 0..H - 1) (tanh(sum(i in 0..Z) w1[k + 1, i] * z[0, i] + 0.1 * (k + 1))
                    - tanh(sum(i in 0..Z) w1[k, i] * z[0, i] + 0.1 * k))^2;
            cost w2 = (sum(b in 0..B) (sum(j in 0..H) w2[j] * tanh(sum(i in 0..Z) w1[j, i] * z[b, i] + 0.1 * j) - y[b])^2) / B
                + 0.5 * sum(j in 0..H) w2[j]^2;
        }
    });
    assert_same_costs(&with_lets, &by_hand, 7);
}

#[test]
fn rank_three_let_offsets_compose() {
    // `t[a, b, c]` used at shifted and constant indices; a let of a let.
    let with_lets = ok(quote! {
        game T {
            param u: [3, 4];
            leader x: [5];
            follower y: [2, 3];
            let t[a in 1..3, b in 0..2, c in 2..5] = x[c - 2] * u[a, c - 1] + a * y[b, a] + b;
            let s[k in 0..2] = t[k + 1, 1, 4] - t[2, k, k + 2];
            cost x = sum(i in 0..2, j in 0..3) t[2, i, j + 2]^2 + s[0] * s[1];
            cost y = sum(k in 0..2) s[k] * y[k, 0] + sum(a in 0..2, b in 0..3) y[a, b]^2;
        }
    });
    let t = |a: &str, b: &str, c: &str| {
        format!("(x[{c} - 2] * u[{a}, {c} - 1] + ({a}) * y[{b}, {a}] + ({b}))")
    };
    let s0 = format!("({} - {})", t("1", "1", "4"), t("2", "0", "2"));
    let s1 = format!("({} - {})", t("2", "1", "4"), t("2", "1", "3"));
    let sk = format!("({} - {})", t("k + 1", "1", "4"), t("2", "k", "k + 2"));
    let src = format!(
        "game T {{
            param u: [3, 4];
            leader x: [5];
            follower y: [2, 3];
            cost x = sum(i in 0..2, j in 0..3) {}^2 + {s0} * {s1};
            cost y = sum(k in 0..2) {sk} * y[k, 0] + sum(a in 0..2, b in 0..3) y[a, b]^2;
        }}",
        t("2", "i", "j + 2")
    );
    let by_hand = ok(src.parse().unwrap());
    assert_same_costs(&with_lets, &by_hand, 8);
}

#[test]
fn reductions_equal_hand_written_chains() {
    let reduced = ok(quote! {
        game R {
            param c: [3];
            leader x: [3];
            follower v: [2, 3];
            cost x = max(i in 0..3) x[i] * c[i] + min(i in 0..3) (x[i] - v[0, i])
                + mean(i in 0..3) x[i]^2 - 2 * max(i in 0..2, j in 1..=2) v[i, j] * x[j];
            cost v = mean(i in 0..2, j in 0..3) v[i, j]^2 + min(j in 0..3) (v[1, j] + x[j])
                + max(x[0], x[1]) + min(x[2], c[0]);
        }
    });
    let by_hand = ok(quote! {
        game R {
            param c: [3];
            leader x: [3];
            follower v: [2, 3];
            cost x = max(x[0] * c[0], max(x[1] * c[1], x[2] * c[2]))
                + min(min(x[0] - v[0, 0], x[1] - v[0, 1]), x[2] - v[0, 2])
                + (x[0]^2 + x[1]^2 + x[2]^2) / 3
                - 2 * max(max(v[0, 1] * x[1], v[0, 2] * x[2]), max(v[1, 1] * x[1], v[1, 2] * x[2]));
            cost v = (sum(i in 0..2, j in 0..3) v[i, j]^2) / 6
                + min(v[1, 0] + x[0], min(v[1, 1] + x[1], v[1, 2] + x[2]))
                + max(x[0], x[1]) + min(x[2], c[0]);
        }
    });
    assert_same_costs(&reduced, &by_hand, 9);
    // max and min reductions are folds; mean is a sum over its count.
    let Expr::Binary(BinOp::Sub, _, scaled) = &reduced.leader.cost else {
        panic!("{:?}", reduced.leader.cost)
    };
    let Expr::Binary(BinOp::Mul, _, fold) = scaled.as_ref() else {
        panic!("{scaled:?}")
    };
    let Expr::Fold {
        op: BinaryFn::Max,
        lo: 0,
        hi: 2,
        body,
        ..
    } = fold.as_ref()
    else {
        panic!("{fold:?}")
    };
    assert!(
        matches!(
            body.as_ref(),
            Expr::Fold {
                op: BinaryFn::Max,
                lo: 1,
                hi: 3,
                ..
            }
        ),
        "{body:?}"
    );
}

/// `sum(i in lo..hi) x[i + off]` for `x: [n]`, and the same through a
/// tensor let declared on `a..b`: `h[i + off]` with `let h[j in a..b] = x[j]`.
fn offset_game(n: i64, lo: i64, hi: i64, off: i64, let_range: Option<(i64, i64)>) -> TokenStream {
    let int = Literal::i64_unsuffixed;
    let index = if off >= 0 {
        let off = int(off);
        quote!(i + #off)
    } else {
        let m = int(-off);
        quote!(i - #m)
    };
    let (n, lo, hi) = (int(n), int(lo), int(hi));
    match let_range {
        None => quote! {
            game G {
                leader x: [#n];
                follower y;
                cost x = sum(i in #lo..#hi) x[#index] * y;
                cost y = y^2;
            }
        },
        Some((a, b)) => {
            let (a, b) = (int(a), int(b));
            quote! {
            game G {
                leader x: [#n];
                follower y;
                let h[j in #a..#b] = x[j];
                cost x = sum(i in #lo..#hi) h[#index] * y;
                cost y = y^2;
            }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The range check accepts exactly the offsets that keep every value of
    /// `i + off` (i in lo..hi) inside the entries 0..n, and reports the
    /// first value of `i` that leaves them.
    #[test]
    fn range_check_accepts_exactly_in_range_offsets(
        n in 1i64..8, lo in 0i64..6, len in 1i64..6, off in -8i64..8
    ) {
        let hi = lo + len;
        let in_range = lo + off >= 0 && hi - 1 + off < n;
        match front_end(offset_game(n, lo, hi, off, None)) {
            Ok(_) => prop_assert!(in_range),
            Err(e) => {
                prop_assert!(!in_range);
                let msgs = e.messages();
                prop_assert_eq!(msgs.len(), 1);
                let first_bad = (lo..hi).find(|i| i + off < 0 || i + off >= n).unwrap();
                prop_assert!(msgs[0].contains(&format!("at `i = {first_bad}` it is {}", first_bad + off)), "{}", msgs[0]);
            }
        }
    }

    /// The same for a use of a tensor let against its declared range a..b
    /// (the let's body itself in range).
    #[test]
    fn let_range_check_accepts_exactly_in_range_offsets(
        a in 0i64..4, width in 1i64..4, lo in 0i64..6, len in 1i64..6, off in -8i64..8
    ) {
        let (b, hi) = (a + width, lo + len);
        let in_range = lo + off >= a && hi - 1 + off < b;
        match front_end(offset_game(8, lo, hi, off, Some((a, b)))) {
            Ok(m) => {
                prop_assert!(in_range);
                // x[j] with j := i + off: the entry read is x[i + off].
                let mut rng = Rng(3);
                let x = rng.vec(9);
                let want: f64 = (lo..hi).map(|i| x[(i + off) as usize] * x[8]).sum();
                let got = costs(&m, &x, &[])[0];
                prop_assert!((got - want).abs() <= 1e-12 * (1.0 + want.abs()));
            }
            Err(e) => {
                prop_assert!(!in_range);
                let msgs = e.messages();
                prop_assert_eq!(msgs.len(), 1);
                prop_assert!(msgs[0].contains(&format!("let `h` is declared for `j in {a}..{b}`")), "{}", msgs[0]);
            }
        }
    }
}
