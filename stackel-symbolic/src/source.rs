//! The costs as written, with their places in the user's file: the
//! compiler's side of `stackel_runtime::source` (emitted as static data by
//! `emit_rust`, returned by `Game::source`).
//!
//! Built after checking from the checked [`Program`](crate::model::Program)
//! (lets kept, reductions as loops, every index resolved) walked in
//! lockstep with the AST it came from, which has the spans: each resolved
//! node gets the line and column of its subexpression's first token and the
//! subexpression as DSL text ([`print()`]). Nodes that desugaring added
//! (`mean`'s division, `log_sigmoid`'s and `leaky_relu`'s parts) take the
//! place of the call or reduction they came from.

use crate::ast::{self, ExprKind, GameAst, Item};
use crate::model::{BinOp, BinaryFn, Expr, GameModel, Index, Shape, SumVar, UnaryFn};
use std::collections::HashMap;

/// The game's costs as a program of [`Node`]s (children first).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceProgram {
    /// The file of the game's tokens, as the compiler names it.
    pub file: String,
    /// Every node, children before their parent.
    pub nodes: Vec<Node>,
    /// Loop variables by slot: name, lo, hi (exclusive).
    pub loops: Vec<(String, i64, i64)>,
    /// The kept lets in declaration order: name, slots of its own indices, root node.
    pub lets: Vec<(String, Vec<u32>, u32)>,
    /// Root node of each player's cost (0 leader, 1.. followers).
    pub costs: Vec<u32>,
    /// N + ND: the state entries the program reads.
    pub state_len: usize,
    /// The flat param entries.
    pub param_len: usize,
}

/// One node: operation, operands, place.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What it computes.
    pub op: Op,
    /// Operand node ids (a reduction's one child is its body).
    pub children: Vec<u32>,
    /// Line (1-based) of the subexpression's first token.
    pub line: u32,
    /// Column (1-based) of that token.
    pub column: u32,
    /// The subexpression as DSL text.
    pub text: String,
    /// Slots of the loops around the node, outermost first.
    pub loops: Vec<u32>,
}

/// Where a load reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// The state (players' entries, then data inputs).
    State,
    /// The flat params.
    Param,
    /// A kept let's array (row-major from each index's lo).
    Let(u32),
}

/// A node's operation (mirrors `stackel_runtime::source::Op`).
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// A constant.
    Num(f64),
    /// `store[base + sum of stride * loop value]`.
    Load {
        /// Where.
        store: Store,
        /// Constant part of the flat index.
        base: i64,
        /// `(slot, stride)` per term.
        terms: Vec<(u32, i64)>,
    },
    /// A loop variable plus `offset` as a number.
    Index {
        /// The loop's slot.
        slot: u32,
        /// Added to it.
        offset: i64,
    },
    /// -a
    Neg,
    /// a op b
    Bin(BinOp),
    /// f(a)
    Unary(UnaryFn),
    /// min(a, b) / max(a, b)
    Call2(BinaryFn),
    /// Sum of the body over slot = lo..hi.
    Sum {
        /// The loop's slot.
        slot: u32,
        /// First value.
        lo: i64,
        /// End (exclusive).
        hi: i64,
    },
    /// Max or min of the body over slot = lo..hi.
    Fold {
        /// `Max` or `Min`.
        op: BinaryFn,
        /// The loop's slot.
        slot: u32,
        /// First value.
        lo: i64,
        /// End (exclusive).
        hi: i64,
    },
}

/// A place: line, column, text.
#[derive(Clone, Debug)]
struct Loc {
    line: u32,
    column: u32,
    text: String,
}

fn loc(e: &ast::Expr) -> Loc {
    let start = e.span.start();
    Loc {
        line: start.line as u32,
        column: start.column as u32 + 1,
        text: print(e),
    }
}

/// The source program of a checked game built from `ast`.
pub fn build(ast: &GameAst, model: &GameModel) -> SourceProgram {
    let mut b = Builder {
        model,
        out: SourceProgram {
            file: ast.name.span().file(),
            state_len: model.leader_dim() + model.follower_dim() + model.data_len(),
            param_len: model.param_len(),
            ..SourceProgram::default()
        },
        slots: HashMap::new(),
        around: Vec::new(),
    };
    let name_loc = |id: &proc_macro2::Ident| {
        let start = id.span().start();
        Loc {
            line: start.line as u32,
            column: start.column as u32 + 1,
            text: id.to_string(),
        }
    };
    for def in &model.program.lets {
        let found = ast.items.iter().find_map(|item| match item {
            Item::Let {
                name,
                binders,
                value,
            } if *name == def.name => Some((name, binders, value)),
            _ => None,
        });
        let mut own = Vec::new();
        for (k, (var, lo, hi)) in def.indices.iter().enumerate() {
            let name = found
                .and_then(|(_, bs, _)| bs.get(k))
                .map_or_else(|| format!("#{k}"), |b| b.var.to_string());
            own.push(b.bind(*var, name, *lo, *hi));
        }
        b.around = own.clone();
        let parent = found.map_or_else(
            || Loc {
                line: 0,
                column: 0,
                text: def.name.clone(),
            },
            |(n, _, _)| name_loc(n),
        );
        let root = b.walk(found.map(|f| f.2), &def.body, &parent);
        b.around.clear();
        b.out.lets.push((def.name.clone(), own, root));
    }
    for (p, cost) in model.program.costs.iter().enumerate() {
        let player = model.player(p);
        let found = ast.items.iter().find_map(|item| match item {
            Item::Cost { name, value, .. } if *name == player.name => Some((name, value)),
            _ => None,
        });
        let parent = found.map_or_else(
            || Loc {
                line: 0,
                column: 0,
                text: player.name.clone(),
            },
            |(n, _)| name_loc(n),
        );
        let root = b.walk(found.map(|f| f.1), cost, &parent);
        b.out.costs.push(root);
    }
    b.out
}

struct Builder<'m> {
    model: &'m GameModel,
    out: SourceProgram,
    slots: HashMap<SumVar, u32>,
    /// Slots of the loops around the node being built.
    around: Vec<u32>,
}

impl Builder<'_> {
    fn bind(&mut self, var: SumVar, name: String, lo: i64, hi: i64) -> u32 {
        let slot = self.out.loops.len() as u32;
        self.out.loops.push((name, lo, hi));
        self.slots.insert(var, slot);
        slot
    }

    fn slot(&mut self, var: SumVar) -> u32 {
        match self.slots.get(&var) {
            Some(s) => *s,
            None => self.bind(var, "?".into(), 0, 0),
        }
    }

    fn push(&mut self, op: Op, children: Vec<u32>, at: &Loc) -> u32 {
        self.out.nodes.push(Node {
            op,
            children,
            line: at.line,
            column: at.column,
            text: at.text.clone(),
            loops: self.around.clone(),
        });
        (self.out.nodes.len() - 1) as u32
    }

    /// The nodes of `e`, written as `a` (None where desugaring made it:
    /// those take `parent`'s place); returns its root.
    fn walk(&mut self, a: Option<&ast::Expr>, e: &Expr, parent: &Loc) -> u32 {
        let at = a.map_or_else(|| parent.clone(), loc);
        let kind = a.map(|a| &a.kind);
        if let Some(ExprKind::Call { name, args, .. }) = kind {
            if let Some(n) = self.desugared(&name.to_string(), args, e, &at) {
                return n;
            }
        }
        if let Some(ExprKind::Sum {
            op, binders, body, ..
        }) = kind
        {
            if let Some(n) = self.reduction(*op, binders, body, e, &at) {
                return n;
            }
        }
        match e {
            Expr::Num(v) => self.push(Op::Num(*v), vec![], &at),
            Expr::SumIndex(i) => {
                let slot = i.var.map_or(0, |v| self.slot(v));
                self.push(
                    Op::Index {
                        slot,
                        offset: i.offset,
                    },
                    vec![],
                    &at,
                )
            }
            Expr::Var { .. }
            | Expr::Param { .. }
            | Expr::Part { .. }
            | Expr::Data { .. }
            | Expr::Let { .. } => {
                let op = self.load(e);
                self.push(op, vec![], &at)
            }
            Expr::Neg(x) => {
                let ax = match kind {
                    Some(ExprKind::Neg(ax)) => Some(&**ax),
                    _ => None,
                };
                let c = self.walk(ax, x, &at);
                self.push(Op::Neg, vec![c], &at)
            }
            Expr::Binary(op, l, r) => {
                let (al, ar) = match kind {
                    Some(ExprKind::Binary { lhs, rhs, .. }) => (Some(&**lhs), Some(&**rhs)),
                    _ => (None, None),
                };
                let cl = self.walk(al, l, &at);
                let cr = self.walk(ar, r, &at);
                self.push(Op::Bin(*op), vec![cl, cr], &at)
            }
            Expr::Unary(f, x) => {
                let ax = match kind {
                    Some(ExprKind::Call { args, .. }) if args.len() == 1 => Some(&args[0]),
                    _ => None,
                };
                let c = self.walk(ax, x, &at);
                self.push(Op::Unary(*f), vec![c], &at)
            }
            Expr::Call2(f, x, y) => {
                let (ax, ay) = match kind {
                    Some(ExprKind::Call { args, .. }) if args.len() == 2 => {
                        (Some(&args[0]), Some(&args[1]))
                    }
                    _ => (None, None),
                };
                let cx = self.walk(ax, x, &at);
                let cy = self.walk(ay, y, &at);
                self.push(Op::Call2(*f), vec![cx, cy], &at)
            }
            Expr::Sum { var, lo, hi, body } => {
                let slot = self.bind(*var, "?".into(), *lo, *hi);
                self.around.push(slot);
                let c = self.walk(None, body, &at);
                self.around.pop();
                self.push(
                    Op::Sum {
                        slot,
                        lo: *lo,
                        hi: *hi,
                    },
                    vec![c],
                    &at,
                )
            }
            Expr::Fold {
                op,
                var,
                lo,
                hi,
                body,
            } => {
                let slot = self.bind(*var, "?".into(), *lo, *hi);
                self.around.push(slot);
                let c = self.walk(None, body, &at);
                self.around.pop();
                self.push(
                    Op::Fold {
                        op: *op,
                        slot,
                        lo: *lo,
                        hi: *hi,
                    },
                    vec![c],
                    &at,
                )
            }
        }
    }

    /// `log_sigmoid(u)` = -softplus(-u) and `leaky_relu(u, alpha)` =
    /// relu(u) - alpha relu(-u): `u` (and `alpha`) keep their own places.
    fn desugared(&mut self, name: &str, args: &[ast::Expr], e: &Expr, at: &Loc) -> Option<u32> {
        use Expr::*;
        match (name, args, e) {
            ("log_sigmoid", [u], Neg(s)) => {
                let Unary(UnaryFn::Softplus, m) = &**s else {
                    return None;
                };
                let Neg(x) = &**m else { return None };
                let cx = self.walk(Some(u), x, at);
                let cm = self.push(Op::Neg, vec![cx], at);
                let cs = self.push(Op::Unary(UnaryFn::Softplus), vec![cm], at);
                Some(self.push(Op::Neg, vec![cs], at))
            }
            ("leaky_relu", [u, alpha], Binary(BinOp::Sub, pos, neg)) => {
                let (Unary(UnaryFn::Relu, x1), Binary(BinOp::Mul, k, r)) = (&**pos, &**neg) else {
                    return None;
                };
                let (Num(k), Unary(UnaryFn::Relu, m)) = (&**k, &**r) else {
                    return None;
                };
                let Neg(x2) = &**m else { return None };
                let c1 = self.walk(Some(u), x1, at);
                let r1 = self.push(Op::Unary(UnaryFn::Relu), vec![c1], at);
                let ck = self.push(Op::Num(*k), vec![], &loc(alpha));
                let c2 = self.walk(Some(u), x2, at);
                let m2 = self.push(Op::Neg, vec![c2], at);
                let r2 = self.push(Op::Unary(UnaryFn::Relu), vec![m2], at);
                let p = self.push(Op::Bin(BinOp::Mul), vec![ck, r2], at);
                Some(self.push(Op::Bin(BinOp::Sub), vec![r1, p], at))
            }
            _ => None,
        }
    }

    /// A reduction over `binders`: one loop node per binder (named), and
    /// `mean`'s division by the number of terms.
    fn reduction(
        &mut self,
        op: ast::Reduction,
        binders: &[ast::SumBinder],
        body: &ast::Expr,
        e: &Expr,
        at: &Loc,
    ) -> Option<u32> {
        let (inner, count) = match (op, e) {
            (ast::Reduction::Mean, Expr::Binary(BinOp::Div, inner, n)) => match &**n {
                Expr::Num(c) => (&**inner, Some(*c)),
                _ => return None,
            },
            (ast::Reduction::Mean, _) => return None,
            _ => (e, None),
        };
        // the loops' shape must match the binders before any node is made
        let mut probe = inner;
        for _ in binders {
            match probe {
                Expr::Sum { body, .. } | Expr::Fold { body, .. } => probe = body,
                _ => return None,
            }
        }
        let depth = self.around.len();
        let mut loops = Vec::new();
        let mut cur = inner;
        for binder in binders {
            let (Expr::Sum { var, lo, hi, body }
            | Expr::Fold {
                var, lo, hi, body, ..
            }) = cur
            else {
                unreachable!("probed above");
            };
            let op = match cur {
                Expr::Fold { op, .. } => Some(*op),
                _ => None,
            };
            let slot = self.bind(*var, binder.var.to_string(), *lo, *hi);
            loops.push((slot, op, *lo, *hi, self.around.clone()));
            self.around.push(slot);
            cur = body;
        }
        let mut node = self.walk(Some(body), cur, at);
        for (slot, op, lo, hi, around) in loops.into_iter().rev() {
            self.around = around;
            let op = match op {
                Some(op) => Op::Fold { op, slot, lo, hi },
                None => Op::Sum { slot, lo, hi },
            };
            node = self.push(op, vec![node], at);
        }
        self.around.truncate(depth);
        if let Some(c) = count {
            let n = self.push(Op::Num(c), vec![], at);
            node = self.push(Op::Bin(BinOp::Div), vec![node, n], at);
        }
        Some(node)
    }

    /// The load of a leaf (player entry, part, param, data, let entry).
    fn load(&mut self, e: &Expr) -> Op {
        let m = self.model;
        let n = m.leader_dim() + m.follower_dim();
        let (store, base, strides, lows, index): (Store, usize, Vec<i64>, Vec<i64>, &[Index]) =
            match e {
                Expr::Var { player, index } => (
                    Store::State,
                    m.player_offset(*player),
                    strides(m.player(*player).shape),
                    vec![],
                    index,
                ),
                Expr::Part {
                    player,
                    part,
                    index,
                } => {
                    let pt = &m.player(*player).parts[*part];
                    (
                        Store::State,
                        m.player_offset(*player) + pt.offset,
                        strides(pt.shape),
                        vec![],
                        index,
                    )
                }
                Expr::Data { data, index } => {
                    let d = &m.data[*data];
                    (Store::State, n + d.offset, strides(d.shape), vec![], index)
                }
                Expr::Param { param, index } => {
                    let off = m.params[..*param].iter().map(|p| p.shape.len()).sum();
                    (
                        Store::Param,
                        off,
                        strides(m.params[*param].shape),
                        vec![],
                        index,
                    )
                }
                Expr::Let { id, index } => {
                    let def = &m.program.lets[*id];
                    let mut st = vec![1i64; def.indices.len()];
                    for k in (0..def.indices.len().saturating_sub(1)).rev() {
                        let (_, lo, hi) = def.indices[k + 1];
                        st[k] = st[k + 1] * (hi - lo);
                    }
                    let lows = def.indices.iter().map(|(_, lo, _)| *lo).collect();
                    (Store::Let(*id as u32), 0, st, lows, index)
                }
                _ => unreachable!("only leaves are loaded"),
            };
        let mut flat = base as i64;
        let mut terms = Vec::new();
        for (k, ix) in index.iter().enumerate() {
            let stride = strides.get(k).copied().unwrap_or(0);
            flat += stride * (ix.offset - lows.get(k).copied().unwrap_or(0));
            if let Some(v) = ix.var {
                terms.push((self.slot(v), stride));
            }
        }
        Op::Load {
            store,
            base: flat,
            terms,
        }
    }
}

/// Row-major strides of a shape.
fn strides(s: Shape) -> Vec<i64> {
    match s {
        Shape::Scalar => vec![],
        Shape::Vector(_) => vec![1],
        Shape::Matrix(_, m) => vec![m as i64, 1],
    }
}

/// Binding strength of an expression's top operator (higher binds tighter).
fn prec(e: &ast::Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => match op {
            ast::BinOp::Add | ast::BinOp::Sub => 1,
            ast::BinOp::Mul | ast::BinOp::Div => 2,
            ast::BinOp::Pow => 4,
        },
        ExprKind::Neg(_) => 3,
        ExprKind::Sum { .. } => 0,
        _ => 5,
    }
}

/// `e` in DSL syntax, with the parentheses its structure needs.
pub fn print(e: &ast::Expr) -> String {
    let wrap = |e: &ast::Expr, min: u8| {
        if prec(e) >= min {
            print(e)
        } else {
            format!("({})", print(e))
        }
    };
    let list = |es: &[ast::Expr]| es.iter().map(print).collect::<Vec<_>>().join(", ");
    match &e.kind {
        ExprKind::Num(n) => match n.int {
            Some(i) => i.to_string(),
            None => format!("{:?}", n.value),
        },
        ExprKind::Name(id) => id.to_string(),
        ExprKind::Index { name, indices, .. } => format!("{name}[{}]", list(indices)),
        ExprKind::Neg(a) => format!("-{}", wrap(a, 4)),
        ExprKind::Binary { op, lhs, rhs, .. } => {
            let p = prec(e);
            if *op == ast::BinOp::Pow {
                return format!("{}^{}", wrap(lhs, 5), wrap(rhs, 4));
            }
            format!("{} {} {}", wrap(lhs, p), op.symbol(), wrap(rhs, p + 1))
        }
        ExprKind::Call { name, args, .. } => format!("{name}({})", list(args)),
        ExprKind::Sum {
            op, binders, body, ..
        } => {
            let bs: Vec<String> = binders
                .iter()
                .map(|b| {
                    let dots = if b.inclusive { "..=" } else { ".." };
                    format!("{} in {}{dots}{}", b.var, print(&b.lo), print(&b.hi))
                })
                .collect();
            format!("{}({}) {}", op.keyword(), bs.join(", "), wrap(body, 2))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn program(t: proc_macro2::TokenStream) -> SourceProgram {
        crate::front_end(t).expect("a valid game").source
    }

    fn texts(p: &SourceProgram) -> Vec<&str> {
        p.nodes.iter().map(|n| n.text.as_str()).collect()
    }

    #[test]
    fn printing_keeps_the_structure() {
        // each cost printed, parsed again and printed again reads the same
        let costs = [
            quote!(-(q1 - q2) * q1 ^ 2 / (1 + q2)),
            quote!(-q1 ^ 2 + (-q1) ^ 2 + q1 ^ -1 + 2 ^ q1 ^ 2),
            quote!(q1 - (q2 - q1) + sum(i in 0..3) i * q1 + 2 * (mean(i in 0..=2) q2 * i)),
            quote!(max(q1, q2) - min(i in 1..4) (q1 - i)^2 + 0.5 * q1),
        ];
        for c in costs {
            let p = program(
                quote! { game G { leader q1; follower q2; cost q1 = #c; cost q2 = q2^2; } },
            );
            let first = p.nodes[p.costs[0] as usize].text.clone();
            let again = program(
                format!("game G {{ leader q1; follower q2; cost q1 = {first}; cost q2 = q2^2; }}")
                    .parse()
                    .unwrap(),
            );
            assert_eq!(again.nodes[again.costs[0] as usize].text, first);
            assert_eq!(again.nodes.len(), p.nodes.len(), "{first}");
        }
    }

    #[test]
    fn desugared_calls_keep_their_arguments_places() {
        let p = program(quote! {
            game G {
                leader x;
                follower y;
                cost x = log_sigmoid(x * y) + leaky_relu(x - 1, 0.2);
                cost y = mean(i in 0..4, j in 0..2) (y - i * j)^2;
            }
        });
        let t = texts(&p);
        // the argument keeps its own text; the added nodes take the call's
        assert!(t.contains(&"x * y") && t.contains(&"log_sigmoid(x * y)"));
        assert_eq!(t.iter().filter(|s| **s == "x - 1").count(), 2, "{t:?}");
        assert!(t.contains(&"0.2"));
        // mean over two binders: two named loops, then the division by 8
        let root = &p.nodes[p.costs[1] as usize];
        assert_eq!(root.op, Op::Bin(BinOp::Div));
        assert_eq!(p.nodes[root.children[1] as usize].op, Op::Num(8.0));
        let names: Vec<&str> = p.loops.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(names, ["i", "j"]);
        let body = p.nodes.iter().find(|n| n.text == "(y - i * j)^2").unwrap();
        assert_eq!(body.loops, [0, 1]);
    }

    #[test]
    fn loads_resolve_flat_offsets() {
        let p = program(quote! {
            game G {
                param s: [2, 3];
                leader v: [2];
                follower w: [3, 2];
                let h[k in 1..3] = v[k - 1] * 2;
                cost v = sum(i in 0..2) h[i + 1] * s[i, 2];
                cost w = w[2, 1]^2 + sum(j in 0..3) w[j, 0];
            }
        });
        let loads: Vec<&Op> = p
            .nodes
            .iter()
            .map(|n| &n.op)
            .filter(|o| matches!(o, Op::Load { .. }))
            .collect();
        // v[k - 1]: base -1 + k; h[i + 1]: (i + 1) - 1; s[i, 2]: 3 i + 2;
        // w[2, 1]: 2 + 2 * 2 + 1; w[j, 0]: 2 + 2 j
        let want = [
            (Store::State, -1, vec![1]),
            (Store::Let(0), 0, vec![1]),
            (Store::Param, 2, vec![3]),
            (Store::State, 7, vec![]),
            (Store::State, 2, vec![2]),
        ];
        assert_eq!(loads.len(), want.len());
        for (l, (store, base, strides)) in loads.iter().zip(want) {
            let Op::Load {
                store: s,
                base: b,
                terms,
            } = l
            else {
                unreachable!()
            };
            assert_eq!((*s, *b), (store, base));
            assert_eq!(terms.iter().map(|t| t.1).collect::<Vec<_>>(), strides);
        }
    }
}
