//! The front end never panics, and accepts every well-formed game.
//!
//! 1. Random token sequences (keywords, idents, literals, punctuation,
//!    nested groups), bare or inside `game G { .. }`, and random mutations
//!    of a valid game: `front_end` returns a model or (at least one) error,
//!    never panics.
//! 2. Random well-formed games (random shapes, consts, params with defaults,
//!    scalar and tensor lets, nested sum/mean/max/min reductions with
//!    offsets, every function): `front_end` accepts
//!    them and the model is consistent (every index within its shape, every
//!    sum index bound by an enclosing sum, sum ids unique in the game); the
//!    whole `compile` returns code (that parses as Rust items) or errors
//!    without panicking. Most random followers pay the squared norm of their
//!    own variable, so most random games compile to code.

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::prelude::*;
use stackel_symbolic::model::{Expr, GameModel, Index, Shape, SumVar};
use std::collections::HashMap;

const WORDS: &[&str] = &[
    "game", "pub", "leader", "follower", "param", "const", "let", "cost", "budget", "sum", "in",
    "angle", "pi", "exp", "ln", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "softplus", "abs",
    "relu", "min", "max", "mean", "x", "y", "z", "i", "j", "M", "a", "G", "crate", "fn", "r#type",
];
const PUNCTS: &[char] = &[
    '+', '-', '*', '/', '^', '=', ';', ':', ',', '.', '<', '>', '#', '!', '&', '|', '%', '\'', '@',
];

fn leaf() -> impl Strategy<Value = TokenTree> {
    prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(|w| {
            let ident = match w.strip_prefix("r#") {
                Some(raw) => Ident::new_raw(raw, Span::call_site()),
                None => Ident::new(w, Span::call_site()),
            };
            TokenTree::Ident(ident)
        }),
        4 => (prop::sample::select(PUNCTS), any::<bool>()).prop_map(|(c, joint)| {
            let spacing = if joint { Spacing::Joint } else { Spacing::Alone };
            TokenTree::Punct(Punct::new(c, spacing))
        }),
        1 => (-5i64..1_000).prop_map(|v| TokenTree::Literal(Literal::i64_unsuffixed(v))),
        1 => (-1e3f64..1e3).prop_map(|v| TokenTree::Literal(Literal::f64_unsuffixed(v))),
        1 => prop::sample::select(&["9223372036854775808", "1e400", "2.5f64", "3u8", "0x1F", "1_000", "\"s\"", "'c'", "true", "b'a'"][..])
            .prop_map(|s| TokenTree::Literal(s.parse::<Literal>().unwrap_or_else(|_| Literal::u8_unsuffixed(0)))),
    ]
}

fn tokens() -> impl Strategy<Value = Vec<TokenTree>> {
    let tree = leaf().prop_recursive(4, 64, 8, |inner| {
        (
            prop::sample::select(
                &[
                    Delimiter::Parenthesis,
                    Delimiter::Bracket,
                    Delimiter::Brace,
                    Delimiter::None,
                ][..],
            ),
            prop::collection::vec(inner, 0..8),
        )
            .prop_map(|(d, ts)| TokenTree::Group(Group::new(d, ts.into_iter().collect())))
    });
    prop::collection::vec(tree, 0..24)
}

fn game_of(body: Vec<TokenTree>) -> TokenStream {
    let mut out: TokenStream = "pub game G".parse().unwrap();
    out.extend([TokenTree::Group(Group::new(
        Delimiter::Brace,
        body.into_iter().collect(),
    ))]);
    out
}

/// A valid game, as a flat list of body token trees to mutate.
fn valid_body() -> Vec<TokenTree> {
    let src = "const M = 3; const N = M - 1; param s: [M, M]; param e = pi / 2.0; param d: [2] = [1, -2.5];
        leader v: [M, N]; follower w: angle[M]; follower u; budget = 400;
        let f = sum(i in 0..M, j in 0..N) v[i, j] * (s[i, j] - sum(k in 0..=1) w[k + 1] ^ 2);
        let h[a in 1..M, b in 0..N] = tanh(v[a - 1, b] * w[a]) + max(k in 0..2) d[k] * b;
        cost v = f + min(e, abs(v[0, N - 1])) + mean(a in 1..M) h[a, 1] ^ 2;
        cost w = -f + sum(i in 1..M) i * relu(w[i - 1]) / 2 + min(i in 0..N) h[i + 1, i];
        cost u = u ^ 2 - softplus(d[1] * u) + sigmoid(tanh(u));";
    src.parse::<TokenStream>().unwrap().into_iter().collect()
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize),
    Insert(usize, TokenTree),
    Replace(usize, TokenTree),
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    let one = prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), leaf()).prop_map(|(i, t)| Mutation::Insert(i, t)),
        (any::<usize>(), leaf()).prop_map(|(i, t)| Mutation::Replace(i, t)),
    ];
    prop::collection::vec(one, 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_tokens_never_panic(body in tokens(), wrap in any::<bool>()) {
        let input = if wrap { game_of(body) } else { body.into_iter().collect() };
        if let Err(e) = stackel_symbolic::front_end(input) {
            prop_assert!(!e.is_empty());
        }
    }

    #[test]
    fn mutated_games_never_panic(muts in mutations()) {
        let mut body = valid_body();
        for m in muts {
            let n = body.len().max(1);
            match m {
                Mutation::Delete(i) => {
                    if !body.is_empty() {
                        body.remove(i % n);
                    }
                }
                Mutation::Insert(i, t) => body.insert(i % (body.len() + 1), t),
                Mutation::Replace(i, t) => {
                    if !body.is_empty() {
                        body[i % n] = t;
                    }
                }
            }
        }
        if let Err(e) = stackel_symbolic::front_end(game_of(body)) {
            prop_assert!(!e.is_empty());
        }
    }
}

#[test]
fn the_unmutated_game_is_valid() {
    let m = stackel_symbolic::front_end(game_of(valid_body())).unwrap();
    check_consistent(&m);
}

/// A tiny deterministic generator (splitmix64) driving the game builder.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in lo..hi (hi exclusive, hi > lo).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

/// A declared array (player or param) and its dimension sizes.
struct Array {
    name: String,
    dims: Vec<i64>,
}

/// What expressions may refer to.
struct Scope {
    scalars: Vec<String>,
    arrays: Vec<Array>,
    consts: Vec<(String, i64)>,
    /// Sum indices in scope: (name, lo, hi exclusive).
    bound: Vec<(String, i64, i64)>,
    next_index: usize,
}

const UNARY: &[&str] = &[
    "exp", "ln", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "softplus", "abs", "relu",
];

/// An integer expression of consts with the value `v`, e.g. `(M - 1)`.
fn int_expr(rng: &mut Rng, scope: &Scope, v: i64) -> String {
    if rng.chance(40) && !scope.consts.is_empty() {
        let (name, c) = rng.pick(&scope.consts).clone();
        let d = v - c;
        return match d.signum() {
            0 => name,
            1 => format!("({name} + {d})"),
            _ => format!("({name} - {})", -d),
        };
    }
    v.to_string()
}

/// One index into a dimension of size `dim`: a sum index plus an offset
/// keeping every value in range, or a constant.
fn index(rng: &mut Rng, scope: &Scope, dim: i64) -> String {
    let fitting: Vec<_> = scope
        .bound
        .iter()
        .filter(|(_, lo, hi)| hi - lo <= dim)
        .collect();
    if !fitting.is_empty() && rng.chance(75) {
        let (name, lo, hi) = rng.pick(&fitting);
        // Need lo + off >= 0 and hi - 1 + off <= dim - 1.
        let off = rng.range(-lo, dim - hi + 1);
        return match off.signum() {
            0 => name.clone(),
            1 => format!("{name} + {}", int_expr(rng, scope, off)),
            _ => format!("{name} - {}", int_expr(rng, scope, -off)),
        };
    }
    let v = rng.range(0, dim);
    int_expr(rng, scope, v)
}

fn expr(rng: &mut Rng, scope: &mut Scope, depth: u32) -> String {
    let leafy = depth == 0 || rng.chance(30);
    if leafy {
        return match rng.range(0, 6) {
            0 => format!("{}.{}", rng.range(0, 10), rng.range(0, 100)),
            1 if !scope.bound.is_empty() => rng.pick(&scope.bound).0.clone(),
            2 if !scope.consts.is_empty() => rng.pick(&scope.consts).0.clone(),
            3 if !scope.arrays.is_empty() => {
                let a = &scope.arrays[rng.next() as usize % scope.arrays.len()];
                let ix: Vec<String> = a.dims.iter().map(|&d| index(rng, scope, d)).collect();
                format!("{}[{}]", a.name, ix.join(", "))
            }
            4 => "pi".into(),
            _ => rng.pick(&scope.scalars).clone(),
        };
    }
    match rng.range(0, 8) {
        0 => format!("-{}", expr(rng, scope, depth - 1)),
        1 => format!("{}({})", rng.pick(UNARY), expr(rng, scope, depth - 1)),
        2 => {
            let f = rng.pick(&["min", "max"]);
            let a = expr(rng, scope, depth - 1);
            format!("{f}({a}, {})", expr(rng, scope, depth - 1))
        }
        3 => {
            // sum may be empty; mean, max and min may not.
            let op = *rng.pick(&["sum", "sum", "mean", "max", "min"]);
            let binders = rng.range(1, 3);
            let mut names = Vec::new();
            for _ in 0..binders {
                let name = format!("i{}", scope.next_index);
                scope.next_index += 1;
                let lo = rng.range(0, 2);
                let hi = lo + rng.range(i64::from(op != "sum"), 4);
                let range = if rng.chance(30) && hi > lo {
                    format!(
                        "{}..={}",
                        int_expr(rng, scope, lo),
                        int_expr(rng, scope, hi - 1)
                    )
                } else {
                    format!("{}..{}", int_expr(rng, scope, lo), int_expr(rng, scope, hi))
                };
                names.push(format!("{name} in {range}"));
                scope.bound.push((name, lo, hi));
            }
            let body = expr(rng, scope, depth - 1);
            scope.bound.truncate(scope.bound.len() - binders as usize);
            format!("({op}({}) ({body}))", names.join(", "))
        }
        _ => {
            let op = rng.pick(&["+", "-", "*", "/", "^"]);
            let a = expr(rng, scope, depth - 1);
            let b = expr(rng, scope, depth - 1);
            if rng.chance(50) && *op != "^" {
                format!("{a} {op} {b}")
            } else {
                format!("({a}) {op} ({b})")
            }
        }
    }
}

fn dims_text(dims: &[i64], consts: &[(String, i64)]) -> String {
    let parts: Vec<String> = dims
        .iter()
        .map(|d| match consts.iter().find(|(_, v)| v == d) {
            Some((name, _)) => name.clone(),
            None => d.to_string(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// A random well-formed game: its source and the shapes it declares
/// (players in order, then params).
fn random_game(seed: u64) -> (String, Vec<Shape>, Vec<Shape>) {
    let mut rng = Rng(seed);
    let mut src = String::from("/// A random game.\npub game Random {\n");
    let mut scope = Scope {
        scalars: vec![],
        arrays: vec![],
        consts: vec![],
        bound: vec![],
        next_index: 0,
    };
    let k1 = rng.range(1, 4);
    src.push_str(&format!("const K1 = {k1};\n"));
    scope.consts.push(("K1".into(), k1));
    let k2 = k1 + rng.range(0, 3);
    src.push_str(&format!("const K2 = K1 + {};\n", k2 - k1));
    scope.consts.push(("K2".into(), k2));
    let shape = |rng: &mut Rng| -> Vec<i64> {
        match rng.range(0, 3) {
            0 => vec![],
            1 => vec![*rng.pick(&[1, 2, 3, k1, k2])],
            _ => vec![*rng.pick(&[1, 2, k1, k2]), *rng.pick(&[1, 2, 3, k1])],
        }
    };
    let to_shape = |d: &[i64]| match *d {
        [] => Shape::Scalar,
        [n] => Shape::Vector(n as usize),
        [n, m] => Shape::Matrix(n as usize, m as usize),
        _ => unreachable!(),
    };
    let mut param_shapes = Vec::new();
    for p in 0..rng.range(0, 4) {
        let dims = shape(&mut rng);
        let name = format!("p{p}");
        let default = match (dims.len(), rng.chance(60)) {
            (_, false) => String::new(),
            (0, true) => {
                let value = expr(&mut rng, &mut scope_consts(&scope), 0);
                format!(" = -{value} / 2.0 + max(K1, sqrt(2))")
            }
            (1, true) => {
                let xs: Vec<String> = (0..dims[0]).map(|v| format!("{}.5", v - 1)).collect();
                format!(" = [{}]", xs.join(", "))
            }
            _ => {
                let rows: Vec<String> = (0..dims[0])
                    .map(|r| {
                        let xs: Vec<String> = (0..dims[1]).map(|c| (r * c).to_string()).collect();
                        format!("[{}]", xs.join(", "))
                    })
                    .collect();
                format!(" = [{}]", rows.join(", "))
            }
        };
        let decl = if dims.is_empty() {
            String::new()
        } else {
            format!(": {}", dims_text(&dims, &scope.consts))
        };
        src.push_str(&format!("param {name}{decl}{default};\n"));
        param_shapes.push(to_shape(&dims));
        if dims.is_empty() {
            scope.scalars.push(name);
        } else {
            scope.arrays.push(Array { name, dims });
        }
    }
    let followers = rng.range(1, 3);
    let mut players = Vec::new();
    let mut player_shapes = Vec::new();
    for p in 0..=followers {
        let dims = shape(&mut rng);
        let name = if p == 0 {
            "x".to_string()
        } else {
            format!("y{p}")
        };
        let role = if p == 0 { "leader" } else { "follower" };
        let angle = if rng.chance(20) { "angle" } else { "" };
        let ty = match (angle, dims.is_empty()) {
            ("", true) => String::new(),
            (a, _) => format!(
                ": {a}{}",
                if dims.is_empty() {
                    String::new()
                } else {
                    dims_text(&dims, &scope.consts)
                }
            ),
        };
        src.push_str(&format!("{role} {name}{ty};\n"));
        player_shapes.push(to_shape(&dims));
        players.push((name.clone(), dims.clone()));
        if dims.is_empty() {
            scope.scalars.push(name);
        } else {
            scope.arrays.push(Array { name, dims });
        }
    }
    if scope.scalars.is_empty() {
        scope.scalars.push("K1".into());
    }
    for l in 0..rng.range(0, 4) {
        let name = format!("l{l}");
        if rng.chance(50) {
            // A tensor let of rank 1..=3, its indices bound in its body.
            let dims: Vec<i64> = (0..rng.range(1, 4))
                .map(|_| *rng.pick(&[1, 2, 3, k1]))
                .collect();
            let mut binders = Vec::new();
            for &d in &dims {
                let index = format!("i{}", scope.next_index);
                scope.next_index += 1;
                binders.push(format!("{index} in 0..{d}"));
                scope.bound.push((index, 0, d));
            }
            let e = expr(&mut rng, &mut scope, 3);
            scope.bound.clear();
            src.push_str(&format!("let {name}[{}] = {e};\n", binders.join(", ")));
            scope.arrays.push(Array { name, dims });
        } else {
            let e = expr(&mut rng, &mut scope, 3);
            src.push_str(&format!("let {name} = {e};\n"));
            scope.scalars.push(name);
        }
    }
    if rng.chance(30) {
        src.push_str("budget = 100000;\n");
    }
    for (p, (name, dims)) in players.iter().enumerate().rev() {
        let e = expr(&mut rng, &mut scope, 3);
        // Mostly, a follower also pays the squared norm of its own variable,
        // so that the back end sees a game with an invertible D22 f2.
        let own = match dims[..] {
            _ if p == 0 || rng.chance(10) => String::new(),
            [] => format!(" + {name}^2"),
            [n] => format!(" + sum(q in 0..{n}) {name}[q]^2"),
            [n, m] => format!(" + sum(q in 0..{n}, r in 0..{m}) {name}[q, r]^2"),
            _ => unreachable!(),
        };
        src.push_str(&format!("cost {name} = {e}{own};\n"));
    }
    src.push_str("}\n");
    (src, player_shapes, param_shapes)
}

/// A scope with only the consts (for constant param defaults).
fn scope_consts(scope: &Scope) -> Scope {
    Scope {
        scalars: vec!["pi".into()],
        arrays: vec![],
        consts: scope.consts.clone(),
        bound: vec![],
        next_index: 0,
    }
}

/// Every index is within its shape given the enclosing sums' ranges; every
/// sum index is bound by an enclosing sum; no sum id is bound twice.
fn check_expr(
    m: &GameModel,
    e: &Expr,
    ranges: &mut HashMap<SumVar, (i64, i64)>,
    seen: &mut Vec<SumVar>,
) {
    let check_index = |shape: Shape, index: &[Index], ranges: &HashMap<SumVar, (i64, i64)>| {
        let dims = shape.dims();
        assert_eq!(dims.len(), index.len(), "index count for {shape:?}");
        for (ix, &dim) in index.iter().zip(&dims) {
            let (first, last) = match ix.var {
                None => (ix.offset, ix.offset),
                Some(v) => {
                    let (lo, hi) = *ranges.get(&v).unwrap_or_else(|| panic!("{v:?} unbound"));
                    if lo == hi {
                        continue;
                    }
                    (lo + ix.offset, hi - 1 + ix.offset)
                }
            };
            assert!(first >= 0 && last < dim as i64, "{ix:?} out of 0..{dim}");
        }
    };
    match e {
        Expr::Num(v) => assert!(v.is_finite()),
        Expr::Var { player, index } => {
            assert!(*player <= m.followers.len());
            check_index(m.player(*player).shape, index, ranges);
        }
        Expr::Param { param, index } => check_index(m.params[*param].shape, index, ranges),
        Expr::Part {
            player,
            part,
            index,
        } => check_index(m.player(*player).parts[*part].shape, index, ranges),
        Expr::Data { data, index } => check_index(m.data[*data].shape, index, ranges),
        Expr::Let { .. } => panic!("a player's cost has its lets inlined"),
        Expr::SumIndex(ix) => {
            let v = ix.var.expect("a sum index has a variable");
            assert!(ranges.contains_key(&v), "{v:?} unbound");
        }
        Expr::Neg(a) | Expr::Unary(_, a) => check_expr(m, a, ranges, seen),
        Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => {
            check_expr(m, a, ranges, seen);
            check_expr(m, b, ranges, seen);
        }
        Expr::Fold {
            var, lo, hi, body, ..
        } => {
            assert!(lo < hi);
            assert!(!seen.contains(var), "{var:?} bound twice");
            seen.push(*var);
            ranges.insert(*var, (*lo, *hi));
            check_expr(m, body, ranges, seen);
            ranges.remove(var);
        }
        Expr::Sum { var, lo, hi, body } => {
            assert!(lo <= hi);
            assert!(!seen.contains(var), "{var:?} bound twice");
            seen.push(*var);
            ranges.insert(*var, (*lo, *hi));
            check_expr(m, body, ranges, seen);
            ranges.remove(var);
        }
    }
}

fn check_consistent(m: &GameModel) {
    let mut seen = Vec::new();
    for p in 0..=m.followers.len() {
        check_expr(m, &m.player(p).cost, &mut HashMap::new(), &mut seen);
    }
    for p in &m.params {
        if let Some(d) = &p.default {
            assert_eq!(d.len(), p.shape.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_well_formed_games_are_accepted(seed in any::<u64>()) {
        let (src, player_shapes, param_shapes) = random_game(seed);
        let tokens: TokenStream = src.parse().unwrap();
        let m = match stackel_symbolic::front_end(tokens.clone()) {
            Ok(m) => m,
            Err(e) => panic!("rejected:\n{src}\n{e}"),
        };
        let shapes: Vec<Shape> = (0..=m.followers.len()).map(|p| m.player(p).shape).collect();
        prop_assert_eq!(shapes, player_shapes);
        let params: Vec<Shape> = m.params.iter().map(|p| p.shape).collect();
        prop_assert_eq!(params, param_shapes);
        check_consistent(&m);
        // The whole compiler returns code (valid Rust items) or errors,
        // never panics.
        if let Ok(code) = stackel_symbolic::compile(tokens) {
            if let Err(e) = syn::parse2::<syn::File>(code) {
                panic!("generated code does not parse ({e}) for:\n{src}");
            }
        }
    }
}
