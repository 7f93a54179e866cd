//! Operation counts of a game at each stage of the compiler, emitted with
//! the game as static data (`Game::compiled_costs`, read by the runtime's
//! `cost` module, which also counts what the generated methods execute).
//!
//! Classes ([`Counts`]): add (+, -), mul, div, transcendental (exp, ln,
//! sqrt, sin, cos, tan, tanh, sigmoid, softplus, real powers), powi
//! (integer powers), other (negation, abs, relu, sign, heaviside, min, max,
//! comparisons).
//!
//! Stages:
//! - **source** ([`source_counts`]): a cost as written, before any
//!   simplification: the checked expression with lets inlined, a sum of n
//!   terms counted as n bodies and n - 1 additions (computed without
//!   unrolling); every form;
//! - **tree** ([`dag_counts`]): a block's simplified entries, each evaluated
//!   on its own, a shared subexpression counted at every use: the simplified
//!   code before CSE; unrolled form;
//! - **dag**: every distinct node of the hash-consed DAG once, each counted
//!   as the lowering expands it (an n-ary sum or product into n - 1 binary
//!   operations, a negative coefficient into a subtraction or negation, a
//!   negative power into a division); unrolled form;
//! - **cse** ([`program_counts`]): the emitted straight-line program, after
//!   value numbering of partial products and dead-code elimination; unrolled
//!   form.
//!
//! cse <= dag <= tree holds class by class.

use crate::dag::{Dag, Id, Node};
use crate::emit_rust::Form;
use crate::ir::{Op, Program, Stmt};
use crate::lower::{Lowered, BLOCK_NAMES};
use crate::model::{BinOp, Expr, GameModel, UnaryFn};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// Operation counts by class (the runtime's `OpCounts`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Additions and subtractions.
    pub add: u64,
    /// Multiplications.
    pub mul: u64,
    /// Divisions.
    pub div: u64,
    /// Transcendental functions and real powers.
    pub trans: u64,
    /// Integer powers.
    pub powi: u64,
    /// Negation, abs, relu, sign, heaviside, min, max, comparisons.
    pub other: u64,
}

impl Counts {
    /// add + mul + div + trans + powi.
    pub fn flops(&self) -> u64 {
        self.add + self.mul + self.div + self.trans + self.powi
    }

    /// Each class at most the same class of `b`.
    pub fn le(&self, b: &Counts) -> bool {
        self.add <= b.add
            && self.mul <= b.mul
            && self.div <= b.div
            && self.trans <= b.trans
            && self.powi <= b.powi
            && self.other <= b.other
    }

    fn plus(self, b: Counts) -> Counts {
        Counts {
            add: self.add.saturating_add(b.add),
            mul: self.mul.saturating_add(b.mul),
            div: self.div.saturating_add(b.div),
            trans: self.trans.saturating_add(b.trans),
            powi: self.powi.saturating_add(b.powi),
            other: self.other.saturating_add(b.other),
        }
    }

    fn times(self, k: u64) -> Counts {
        Counts {
            add: self.add.saturating_mul(k),
            mul: self.mul.saturating_mul(k),
            div: self.div.saturating_mul(k),
            trans: self.trans.saturating_mul(k),
            powi: self.powi.saturating_mul(k),
            other: self.other.saturating_mul(k),
        }
    }

    fn unary(f: UnaryFn) -> Counts {
        match f {
            UnaryFn::Abs | UnaryFn::Relu => OTHER,
            _ => TRANS,
        }
    }
}

const ADD: Counts = Counts {
    add: 1,
    mul: 0,
    div: 0,
    trans: 0,
    powi: 0,
    other: 0,
};
const MUL: Counts = Counts { mul: 1, ..ZERO };
const DIV: Counts = Counts { div: 1, ..ZERO };
const TRANS: Counts = Counts { trans: 1, ..ZERO };
const POWI: Counts = Counts { powi: 1, ..ZERO };
const OTHER: Counts = Counts { other: 1, ..ZERO };
const ZERO: Counts = Counts {
    add: 0,
    mul: 0,
    div: 0,
    trans: 0,
    powi: 0,
    other: 0,
};

/// The class of one program operation.
pub fn op_counts(op: &Op) -> Counts {
    match op {
        Op::Add(..) | Op::Sub(..) => ADD,
        Op::Mul(..) => MUL,
        Op::Div(..) => DIV,
        Op::Powi(..) => POWI,
        Op::Powf(..) => TRANS,
        Op::Unary(f, _) => Counts::unary(*f),
        Op::Neg(_) | Op::Sign(_) | Op::Heaviside(_) | Op::Min(..) | Op::Max(..) | Op::Le(..) => {
            OTHER
        }
    }
}

/// The operations of a program's statements (outputs are free).
pub fn program_counts(p: &Program) -> Counts {
    p.body.iter().fold(ZERO, |c, s| match s {
        Stmt::Assign(i) => c.plus(op_counts(&i.op)),
    })
}

/// A cost expression as written (see the module docs).
pub fn source_counts(e: &Expr) -> Counts {
    match e {
        Expr::Num(_)
        | Expr::Var { .. }
        | Expr::Param { .. }
        | Expr::Part { .. }
        | Expr::Data { .. }
        | Expr::Let { .. }
        | Expr::SumIndex(_) => ZERO,
        Expr::Neg(a) => OTHER.plus(source_counts(a)),
        Expr::Unary(f, a) => Counts::unary(*f).plus(source_counts(a)),
        Expr::Call2(_, a, b) => OTHER.plus(source_counts(a)).plus(source_counts(b)),
        Expr::Binary(op, a, b) => {
            let own = match op {
                BinOp::Add | BinOp::Sub => ADD,
                BinOp::Mul => MUL,
                BinOp::Div => DIV,
                BinOp::Pow => match **b {
                    Expr::Num(v) if v.fract() == 0.0 => POWI,
                    _ => TRANS,
                },
            };
            own.plus(source_counts(a)).plus(source_counts(b))
        }
        Expr::Sum { lo, hi, body, .. } => {
            let n = (hi - lo).max(0) as u64;
            source_counts(body)
                .times(n)
                .plus(ADD.times(n.saturating_sub(1)))
        }
        Expr::Fold { lo, hi, body, .. } => {
            let n = (hi - lo).max(0) as u64;
            source_counts(body)
                .times(n)
                .plus(OTHER.times(n.saturating_sub(1)))
        }
    }
}

/// True for a product with a negative constant coefficient: the lowering
/// computes its magnitude, and a sum subtracts that instead of adding a
/// negation.
fn negative_product(dag: &Dag, id: Id) -> bool {
    match dag.node(id) {
        Node::Mul(xs) => dag.as_const(xs[0]).is_some_and(|k| k < 0.0),
        _ => false,
    }
}

/// The operands the lowering evaluates for `id` (a negative power factor of
/// a product is evaluated through its base) and the operations it adds for
/// `id` itself, its negation (if a negative product) included.
fn local(dag: &Dag, id: Id) -> (Vec<Id>, Counts) {
    match dag.node(id) {
        Node::Const(_) | Node::State(_) | Node::Param(_) | Node::Lambda(_) => (vec![], ZERO),
        Node::Add(xs) => {
            let terms: Vec<Id> = xs
                .iter()
                .copied()
                .filter(|x| dag.as_const(*x).is_none())
                .collect();
            let constant = xs.iter().filter_map(|x| dag.as_const(*x)).sum::<f64>();
            let plus = terms.iter().filter(|t| !negative_product(dag, **t)).count() as u64;
            let n = terms.len() as u64;
            let mut c = if plus == 0 {
                OTHER.plus(ADD.times(n - 1))
            } else {
                ADD.times(n - 1)
            };
            if constant != 0.0 {
                c = c.plus(ADD);
            }
            (terms, c)
        }
        Node::Mul(xs) => {
            let mut k = 1.0;
            let (mut num, mut den) = (Vec::new(), Vec::new());
            let mut c = ZERO;
            for x in xs.iter() {
                match dag.node(*x) {
                    Node::Const(b) => k = f64::from_bits(*b),
                    Node::Powi(base, e) if *e < 0 => {
                        if *e != -1 {
                            c = c.plus(POWI);
                        }
                        den.push(*base);
                    }
                    _ => num.push(*x),
                }
            }
            let factors = num.len() as u64 + u64::from(k.abs() != 1.0);
            c = c.plus(MUL.times(factors.saturating_sub(1)));
            if !den.is_empty() {
                c = c.plus(MUL.times(den.len() as u64 - 1)).plus(DIV);
            }
            if k < 0.0 {
                c = c.plus(OTHER);
            }
            num.extend(den);
            (num, c)
        }
        Node::Powi(a, e) => {
            let c = if *e < 0 {
                DIV.plus(if *e == -1 { ZERO } else { POWI })
            } else {
                POWI
            };
            (vec![*a], c)
        }
        Node::Powf(a, b) => (vec![*a, *b], TRANS),
        Node::Unary(f, a) => (vec![*a], Counts::unary(*f)),
        Node::Sign(a) | Node::Heaviside(a) => (vec![*a], OTHER),
        Node::Min(a, b) | Node::Max(a, b) | Node::Le(a, b) => (vec![*a, *b], OTHER),
    }
}

/// The (tree, dag) counts of the entries `roots` (see the module docs).
pub fn dag_counts(dag: &Dag, roots: &[Id]) -> (Counts, Counts) {
    let nodes = dag.reachable(roots);
    let pos = |id: Id| nodes.binary_search(&id).expect("reachable");
    let locals: Vec<(Vec<Id>, Counts)> = nodes.iter().map(|id| local(dag, *id)).collect();
    // tree: memoised in topological order; a negative product under a sum
    // contributes its magnitude (no negation)
    let mut tree: Vec<Counts> = Vec::with_capacity(nodes.len());
    for (k, id) in nodes.iter().enumerate() {
        let (kids, own) = &locals[k];
        let in_sum = matches!(dag.node(*id), Node::Add(_));
        let t = kids.iter().fold(*own, |acc, c| {
            let mut ct = tree[pos(*c)];
            if in_sum && negative_product(dag, *c) {
                ct.other -= 1;
            }
            acc.plus(ct)
        });
        tree.push(t);
    }
    let tree_total = roots.iter().fold(ZERO, |acc, r| acc.plus(tree[pos(*r)]));
    // dag: the nodes the lowering evaluates, each once; a negative
    // product's negation only where a root or a non-sum operand needs it
    let mut evaluated = vec![false; nodes.len()];
    let mut negated = vec![false; nodes.len()];
    for r in roots {
        evaluated[pos(*r)] = true;
        negated[pos(*r)] = true;
    }
    for k in (0..nodes.len()).rev() {
        if !evaluated[k] {
            continue;
        }
        let in_sum = matches!(dag.node(nodes[k]), Node::Add(_));
        for c in &locals[k].0 {
            let j = pos(*c);
            evaluated[j] = true;
            negated[j] |= !in_sum;
        }
    }
    let mut dag_total = ZERO;
    for k in 0..nodes.len() {
        if evaluated[k] {
            let mut c = locals[k].1;
            if negative_product(dag, nodes[k]) && !negated[k] {
                c.other -= 1;
            }
            dag_total = dag_total.plus(c);
        }
    }
    (tree_total, dag_total)
}

/// One block's or fused program's counts at the tree, dag and cse stages.
#[derive(Clone, Debug, PartialEq)]
pub struct StageCounts {
    /// The block or program name.
    pub block: String,
    /// Simplified entries, no sharing.
    pub tree: Counts,
    /// Distinct DAG nodes.
    pub dag: Counts,
    /// The emitted program.
    pub cse: Counts,
}

/// The stage counts of every block and fused program of the unrolled
/// form: the costs (`"f1"`, `"f2[i]"`), "omega", "stackelberg_parts",
/// "second_order_parts", then each block of [`BLOCK_NAMES`].
pub fn stages(lowered: &Lowered) -> Vec<StageCounts> {
    let d = &lowered.derivatives;
    let stage = |name: String, roots: Vec<Id>, p: &Program| {
        let (tree, dag) = dag_counts(&d.dag, &roots);
        StageCounts {
            block: name,
            tree,
            dag,
            cse: program_counts(p),
        }
    };
    let entries = |names: &[&str]| -> Vec<Id> {
        names
            .iter()
            .flat_map(|n| d.block(n).entries.iter().copied())
            .collect()
    };
    let mut out = vec![stage("f1".into(), vec![d.f1], &lowered.leader_cost)];
    for (i, (f, p)) in d.f2.iter().zip(&lowered.follower_costs).enumerate() {
        out.push(stage(format!("f2[{i}]"), vec![*f], p));
    }
    out.push(stage(
        "omega".into(),
        entries(&["D1f1", "D2f2"]),
        &lowered.field.omega,
    ));
    out.push(stage(
        "stackelberg_parts".into(),
        entries(&crate::lower::STACKELBERG_PARTS),
        &lowered.field.stackelberg_parts,
    ));
    out.push(stage(
        "second_order_parts".into(),
        entries(&crate::lower::SECOND_ORDER_PARTS),
        &lowered.second_order_parts,
    ));
    for (name, p) in BLOCK_NAMES.iter().zip(&lowered.blocks) {
        out.push(stage(name.to_string(), entries(&[name]), p));
    }
    out
}

fn counts_tokens(c: &Counts) -> TokenStream {
    let l = |v: u64| Literal::u64_unsuffixed(v);
    let (a, m, d, t, p, o) = (
        l(c.add),
        l(c.mul),
        l(c.div),
        l(c.trans),
        l(c.powi),
        l(c.other),
    );
    quote!(__stackel::cost::OpCounts::new(#a, #m, #d, #t, #p, #o))
}

/// The `compiled_costs` method of a generated game in `form`: the costs
/// as written, and for the unrolled form (`lowered`) the stage counts.
pub fn compiled_costs_method(
    model: &GameModel,
    form: Form,
    lowered: Option<&Lowered>,
) -> TokenStream {
    let form = match form {
        Form::Unrolled => quote!(__stackel::Form::Unrolled),
        Form::Loops => quote!(__stackel::Form::Loops),
        Form::Tape => quote!(__stackel::Form::Tape),
    };
    let sources = std::iter::once(&model.leader)
        .chain(&model.followers)
        .map(|p| {
            let (name, ops) = (&p.name, counts_tokens(&source_counts(&p.cost)));
            quote!(__stackel::cost::SourceCost { player: #name, ops: #ops })
        });
    let stages = lowered.map(stages).unwrap_or_default();
    let stages = stages.iter().map(|s| {
        let (b, t, d, c) = (
            &s.block,
            counts_tokens(&s.tree),
            counts_tokens(&s.dag),
            counts_tokens(&s.cse),
        );
        quote!(__stackel::cost::StageCounts { block: #b, tree: #t, dag: #d, cse: #c })
    });
    quote! {
        fn compiled_costs(&self) -> ::core::option::Option<&'static __stackel::cost::CompiledCosts> {
            static COSTS: __stackel::cost::CompiledCosts = __stackel::cost::CompiledCosts {
                form: #form,
                sources: &[#(#sources),*],
                stages: &[#(#stages),*],
            };
            ::core::option::Option::Some(&COSTS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;

    fn lowered(tokens: TokenStream) -> (GameModel, Lowered) {
        let model = crate::front_end(tokens).expect("game checks");
        let lowered = crate::lower::lower_game(&model).expect("game lowers");
        (model, lowered)
    }

    fn c(add: u64, mul: u64, div: u64, trans: u64, powi: u64, other: u64) -> Counts {
        Counts {
            add,
            mul,
            div,
            trans,
            powi,
            other,
        }
    }

    fn stage<'a>(s: &'a [StageCounts], name: &str) -> &'a StageCounts {
        s.iter().find(|s| s.block == name).expect("stage")
    }

    /// f1 = x^2 y, f2 = (y - x)^2 + exp(x) y, counted by hand.
    #[test]
    fn counts_agree_with_a_hand_count() {
        let (model, l) = lowered(quote! {
            game Tiny {
                leader x; follower y;
                cost x = x^2 * y;
                cost y = (y - x)^2 + exp(x) * y;
            }
        });
        // as written: f1 one power, one product; f2 -, ^2, +, exp, *
        assert_eq!(source_counts(&model.leader.cost), c(0, 1, 0, 0, 1, 0));
        assert_eq!(source_counts(&model.followers[0].cost), c(2, 1, 0, 1, 1, 0));
        let s = stages(&l);
        // f1 = x^2 * y: one power, one product
        assert_eq!(stage(&s, "f1").cse, c(0, 1, 0, 0, 1, 0));
        // D1f1 = 2 x y: two products; D2f1 = x^2; D11f1 = 2 y; D22f1 = 0
        assert_eq!(stage(&s, "D1f1").cse, c(0, 2, 0, 0, 0, 0));
        assert_eq!(stage(&s, "D2f1").cse, c(0, 0, 0, 0, 1, 0));
        assert_eq!(stage(&s, "D11f1").cse, c(0, 1, 0, 0, 0, 0));
        assert_eq!(stage(&s, "D22f1").cse, Counts::default());
        // D2f2 = 2 y - 2 x + exp(x): 2 y, 2 x, exp, one addition, one subtraction
        assert_eq!(stage(&s, "D2f2").cse, c(2, 2, 0, 1, 0, 0));
        // D21f2 = exp(x) - 2; D22f2 = 2 (a constant, free)
        assert_eq!(stage(&s, "D21f2").cse, c(1, 0, 0, 1, 0, 0));
        assert_eq!(stage(&s, "D22f2").cse, Counts::default());
        // omega = (2 x y, 2 y - 2 x + exp x): four products as DAG nodes,
        // three after value numbering (2 x y is (2 x) y and shares 2 x)
        let omega = stage(&s, "omega");
        assert_eq!(omega.dag, c(2, 4, 0, 1, 0, 0));
        assert_eq!(omega.cse, c(2, 3, 0, 1, 0, 0));
    }

    /// A sum of n terms is n bodies and n - 1 additions, as written.
    #[test]
    fn source_counts_multiply_sums_by_their_trip_counts() {
        let (model, _) = lowered(quote! {
            game Sums {
                leader x: [4]; follower y;
                cost x = sum(i in 0..4) x[i]^2 * y;
                cost y = y^2 - max(i in 0..4) x[i];
            }
        });
        assert_eq!(source_counts(&model.leader.cost), c(3, 4, 0, 0, 4, 0));
        assert_eq!(source_counts(&model.followers[0].cost), c(1, 0, 0, 0, 1, 3));
    }

    /// Sharing only removes work: cse <= dag <= tree, class by class, for
    /// every block of the paper games; and a shared subexpression makes the
    /// tree count strictly larger somewhere.
    #[test]
    fn later_stages_never_count_more() {
        let games = [
            quote! { game Duopoly {
                param a = 100.0; param c1 = 5.0; param c2 = 2.0;
                leader q1; follower q2;
                let price = a - q1 - q2;
                cost q1 = -(price - c1) * q1;
                cost q2 = -(price - c2) * q2;
            } },
            quote! { game Torus {
                param alpha: [2] = [1.0, 1.3];
                param phi: [2] = [pi / 8.0, pi / 8.0];
                leader th1: angle; follower th2: angle;
                cost th1 = -alpha[0] * cos(th1 - phi[0]) + cos(th1 - th2);
                cost th2 = -alpha[1] * cos(th2 - phi[1]) + cos(th2 - th1);
            } },
            quote! { game Ex1 {
                param a = 0.15; param b = 0.25;
                leader x1; follower x2;
                let f = -exp(-0.01 * (x1^2 + x2^2)) * ((a * x1^2 + x2)^2 + (b * x2^2 + x1)^2);
                cost x1 = f;
                cost x2 = -f;
            } },
            quote! { game Cov {
                const M = 3;
                param sigma: [M, M];
                param eta = 0.6;
                leader v: [M, M]; follower w: [M, M];
                let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
                cost v = f;
                cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
            } },
        ];
        for g in games {
            let (model, l) = lowered(g);
            let s = stages(&l);
            assert_eq!(s.len(), 4 + model.followers.len() + BLOCK_NAMES.len());
            for st in &s {
                assert!(st.cse.le(&st.dag), "{} {}: {st:?}", model.name, st.block);
                assert!(st.dag.le(&st.tree), "{} {}: {st:?}", model.name, st.block);
            }
            // the fused programs share: tree strictly above cse (the
            // duopoly's second-order blocks are constants, free)
            let parts = stage(&s, "second_order_parts");
            if model.name == "Duopoly" {
                assert_eq!(parts.tree, Counts::default());
            } else {
                assert!(
                    parts.cse.flops() < parts.tree.flops(),
                    "{}: {parts:?}",
                    model.name
                );
            }
            // the program count is the number of statements
            assert_eq!(
                stage(&s, "stackelberg_parts").cse.flops()
                    + stage(&s, "stackelberg_parts").cse.other,
                l.field.stackelberg_parts.body.len() as u64
            );
        }
    }
}
