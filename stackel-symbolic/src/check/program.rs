//! The costs as a straight-line program over kept lets
//! ([`crate::model::Program`], what the tape form compiles): a second pass
//! over the lets and costs, after the first found no error, that resolves
//! every let use to an [`Expr::Let`] reference instead of a copy.

use super::*;

impl Checker<'_> {
    /// The program: the lets the costs use (transitively, in declaration
    /// order) and each player's cost, with let references.
    pub(super) fn program(&mut self) -> Program {
        self.keep_lets = true;
        let mut bodies = Vec::new();
        for at in 0..self.let_items.len() {
            let (_, binders, value) = self.let_items[at];
            let Some(indices) = self.let_indices[at].clone() else {
                bodies.push(None);
                continue;
            };
            let mut bound: Vec<Bound> = binders
                .iter()
                .zip(&indices)
                .map(|(b, d)| Bound {
                    name: b.var.to_string(),
                    var: d.var,
                    range: Some((d.lo, d.hi)),
                })
                .collect();
            self.start_statement(value);
            self.current_let = (!binders.is_empty()).then_some(at);
            let e = self.resolve(value, &mut bound, Limits { lets: at });
            self.current_let = None;
            bodies.push(e.map(|e| (indices, e)));
        }
        let mut costs = vec![Expr::Num(0.0); self.player_items.len()];
        let all = Limits {
            lets: self.let_items.len(),
        };
        let ast = self.ast;
        for item in &ast.items {
            let Item::Cost { name, value, .. } = item else {
                continue;
            };
            let Some(Decl {
                global: Global::Player(p),
                ..
            }) = self.names.get(&name.to_string()).copied()
            else {
                continue;
            };
            self.start_statement(value);
            if let Some(e) = self.resolve(value, &mut Vec::new(), all) {
                costs[p] = e;
            }
        }
        self.keep_lets = false;
        // Keep the lets the costs reach, renumbered in declaration order.
        let mut used = vec![false; bodies.len()];
        for c in &mut costs {
            each_let(c, &mut |id| used[*id] = true);
        }
        for at in (0..bodies.len()).rev() {
            if used[at] {
                if let Some((_, body)) = &mut bodies[at] {
                    each_let(body, &mut |id| used[*id] = true);
                }
            }
        }
        let mut renumber = vec![usize::MAX; bodies.len()];
        let mut lets = Vec::new();
        for (at, body) in bodies.into_iter().enumerate() {
            let (true, Some((indices, body))) = (used[at], body) else {
                continue;
            };
            renumber[at] = lets.len();
            let name = self.let_items[at].0;
            lets.push(LetDef {
                name: name.to_string(),
                span: name.span(),
                indices: indices.iter().map(|d| (d.var, d.lo, d.hi)).collect(),
                body,
            });
        }
        for l in &mut lets {
            each_let(&mut l.body, &mut |id| *id = renumber[*id]);
        }
        for c in &mut costs {
            each_let(c, &mut |id| *id = renumber[*id]);
        }
        Program { lets, costs }
    }
}

/// Calls `f` on the let id of every let reference in `e`.
fn each_let(e: &mut Expr, f: &mut impl FnMut(&mut usize)) {
    match e {
        Expr::Let { id, .. } => f(id),
        Expr::Num(_)
        | Expr::Var { .. }
        | Expr::Param { .. }
        | Expr::Part { .. }
        | Expr::Data { .. }
        | Expr::SumIndex(_) => {}
        Expr::Neg(a)
        | Expr::Unary(_, a)
        | Expr::Sum { body: a, .. }
        | Expr::Fold { body: a, .. } => each_let(a, f),
        Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => {
            each_let(a, f);
            each_let(b, f);
        }
    }
}
