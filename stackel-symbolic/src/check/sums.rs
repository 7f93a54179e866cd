//! Sums: index ranges, their term limits, and fresh index ids where lets
//! are inlined.

use super::*;

/// Does `e` use any of the sum indices in scope?
pub(super) fn mentions_bound(e: &ast::Expr, bound: &[Bound]) -> bool {
    match &e.kind {
        ExprKind::Num(_) => false,
        ExprKind::Name(id) => bound.iter().any(|b| *id == b.name),
        ExprKind::Index { indices, .. } => indices.iter().any(|i| mentions_bound(i, bound)),
        ExprKind::Neg(a) => mentions_bound(a, bound),
        ExprKind::Binary { lhs, rhs, .. } => {
            mentions_bound(lhs, bound) || mentions_bound(rhs, bound)
        }
        ExprKind::Call { args, .. } => args.iter().any(|a| mentions_bound(a, bound)),
        ExprKind::Sum { body, .. } => mentions_bound(body, bound),
    }
}

/// Every name bound by a sum anywhere in `e`.
pub(super) fn collect_sum_names(e: &ast::Expr, out: &mut HashSet<String>) {
    match &e.kind {
        ExprKind::Num(_) | ExprKind::Name(_) => {}
        ExprKind::Index { indices, .. } => indices.iter().for_each(|i| collect_sum_names(i, out)),
        ExprKind::Neg(a) => collect_sum_names(a, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect_sum_names(lhs, out);
            collect_sum_names(rhs, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| collect_sum_names(a, out)),
        ExprKind::Sum { binders, body, .. } => {
            for b in binders {
                out.insert(b.var.to_string());
            }
            collect_sum_names(body, out);
        }
    }
}

impl Checker<'_> {
    pub(super) fn resolve_sum(
        &mut self,
        binders: &[ast::SumBinder],
        body: &ast::Expr,
        bound: &mut Vec<Bound>,
        limits: Limits,
    ) -> Option<Expr> {
        let depth = bound.len();
        let mut vars = Vec::new();
        let mut ok = true;
        for b in binders {
            let name = b.var.to_string();
            if bound.iter().any(|o| o.name == name) {
                self.error(
                    b.var.span(),
                    format!(
                        "sum index `{name}` is already bound by an enclosing sum; use another name"
                    ),
                );
                ok = false;
            } else if let Some(d) = self.names.get(&name) {
                let msg = format!(
                    "sum index `{name}` has the same name as {}; use another name",
                    d.what
                );
                self.error(b.var.span(), msg);
                ok = false;
            } else if let Some(msg) = rust_keyword(&name) {
                self.error(b.var.span(), msg);
                ok = false;
            } else if RESERVED.contains(&name.as_str())
                || unary_fn(&name).is_some()
                || binary_fn(&name).is_some()
            {
                self.error(
                    b.var.span(),
                    format!(
                        "`{name}` is a built-in name of the DSL; choose another sum index name"
                    ),
                );
                ok = false;
            }
            let consts = self.const_values.len();
            let lo = self.eval_int(&b.lo, consts, bound, "a sum bound");
            let hi = self.eval_int(&b.hi, consts, bound, "a sum bound");
            let range = match (lo, hi) {
                (Ok(lo), Ok(hi)) => {
                    let hi = if b.inclusive {
                        hi.checked_add(1)
                    } else {
                        Some(hi)
                    };
                    match hi {
                        Some(hi) if lo <= hi => {
                            let outer = bound
                                .iter()
                                .filter_map(|o| o.range)
                                .try_fold(1i64, |acc, (lo, hi)| acc.checked_mul(hi - lo));
                            let terms = hi
                                .checked_sub(lo)
                                .zip(outer)
                                .and_then(|(n, outer)| n.checked_mul(outer));
                            if terms.is_some_and(|t| t <= MAX_SUM_TERMS) {
                                Some((lo, hi))
                            } else {
                                self.error(
                                    b.hi.span,
                                    format!("the range of `{name}` is too long: a sum, with the sums around it, has at most {MAX_SUM_TERMS} terms"),
                                );
                                None
                            }
                        }
                        Some(hi) => {
                            self.error(
                                b.lo.span,
                                format!("the range of `{name}` is backwards: it starts at {lo} and ends (exclusive) at {hi}; write `lo..hi` with lo <= hi"),
                            );
                            None
                        }
                        None => {
                            self.error(b.hi.span, "integer overflow in a sum bound");
                            None
                        }
                    }
                }
                (lo, hi) => {
                    for r in [lo, hi] {
                        if let Err((span, msg)) = r {
                            self.error(span, msg);
                        }
                    }
                    None
                }
            };
            ok &= range.is_some();
            let var = self.fresh_var();
            vars.push((var, range));
            bound.push(Bound { name, var, range });
        }
        let body = self.resolve(body, bound, limits);
        bound.truncate(depth);
        let mut e = body?;
        if !ok {
            return None;
        }
        for (var, range) in vars.into_iter().rev() {
            let (lo, hi) = range?;
            e = Expr::Sum {
                var,
                lo,
                hi,
                body: Box::new(e),
            };
        }
        Some(e)
    }

    /// A copy of a resolved let with fresh sum-index ids.
    pub(super) fn refresh(&mut self, e: &Expr, map: &mut HashMap<SumVar, SumVar>) -> Expr {
        let ix = |map: &HashMap<SumVar, SumVar>, i: &Index| Index {
            var: i.var.map(|v| map.get(&v).copied().unwrap_or(v)),
            offset: i.offset,
        };
        match e {
            Expr::Num(_) => e.clone(),
            Expr::Var { player, index } => Expr::Var {
                player: *player,
                index: index.iter().map(|i| ix(map, i)).collect(),
            },
            Expr::Param { param, index } => Expr::Param {
                param: *param,
                index: index.iter().map(|i| ix(map, i)).collect(),
            },
            Expr::SumIndex(i) => Expr::SumIndex(ix(map, i)),
            Expr::Neg(a) => Expr::Neg(Box::new(self.refresh(a, map))),
            Expr::Binary(op, a, b) => Expr::Binary(
                *op,
                Box::new(self.refresh(a, map)),
                Box::new(self.refresh(b, map)),
            ),
            Expr::Unary(f, a) => Expr::Unary(*f, Box::new(self.refresh(a, map))),
            Expr::Call2(f, a, b) => Expr::Call2(
                *f,
                Box::new(self.refresh(a, map)),
                Box::new(self.refresh(b, map)),
            ),
            Expr::Sum { var, lo, hi, body } => {
                let fresh = self.fresh_var();
                map.insert(*var, fresh);
                Expr::Sum {
                    var: fresh,
                    lo: *lo,
                    hi: *hi,
                    body: Box::new(self.refresh(body, map)),
                }
            }
        }
    }

    pub(super) fn fresh_var(&mut self) -> SumVar {
        let v = SumVar(self.next_sum_var);
        self.next_sum_var += 1;
        v
    }
}
