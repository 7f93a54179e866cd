//! Reductions (`sum`, `mean`, `max`, `min`): index ranges, their term
//! limits, and fresh index ids (with a tensor let's indices substituted)
//! where lets are inlined.

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

/// What binds an index, for messages.
#[derive(Clone, Copy)]
pub(super) enum Binder<'n> {
    /// A reduction's index (`sum(i in ..)`, `max(i in ..)`, ...).
    Reduction(ast::Reduction),
    /// A tensor let's own index (`let h[i in ..]`), with the let's name.
    Let(&'n str),
}

impl Binder<'_> {
    /// "sum index `i`", "`max` index `i`", "index `i` of let `h`".
    fn named(self, index: &str) -> String {
        match self {
            Binder::Reduction(ast::Reduction::Sum) => format!("sum index `{index}`"),
            Binder::Reduction(op) => format!("`{}` index `{index}`", op.keyword()),
            Binder::Let(name) => format!("index `{index}` of let `{name}`"),
        }
    }
}

impl Checker<'_> {
    /// Checks one binder `i in lo..hi` of a reduction or a tensor let: the
    /// name (not bound around it, not declared, not reserved) and the range.
    /// Returns whether the name is usable, and the range `(lo, hi)`, hi
    /// exclusive (`None` where wrong). A `sum` range may be empty; the
    /// ranges of `mean`, `max`, `min` and of a let's indices may not.
    pub(super) fn bind(
        &mut self,
        b: &ast::SumBinder,
        bound: &[Bound],
        binder: Binder,
    ) -> (bool, Option<(i64, i64)>) {
        let name = b.var.to_string();
        let what = binder.named(&name);
        let mut ok = true;
        if bound.iter().any(|o| o.name == name) {
            let around = if self.current_let.is_some() {
                "an enclosing sum or by the let"
            } else {
                "an enclosing sum"
            };
            self.error(
                b.var.span(),
                format!("{what} is already bound by {around}; use another name"),
            );
            ok = false;
        } else if let Some(d) = self.names.get(&name) {
            let msg = format!("{what} has the same name as {}; use another name", d.what);
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
                format!("`{name}` is a built-in name of the DSL; choose another name for {what}"),
            );
            ok = false;
        }
        let consts = self.const_values.len();
        let lo = self.eval_int(&b.lo, consts, bound, "a sum bound");
        let hi = self.eval_int(&b.hi, consts, bound, "a sum bound");
        let (lo, hi) = match (lo, hi) {
            (Ok(lo), Ok(hi)) => (lo, hi),
            (lo, hi) => {
                for r in [lo, hi] {
                    if let Err((span, msg)) = r {
                        self.error(span, msg);
                    }
                }
                return (ok, None);
            }
        };
        let hi = if b.inclusive {
            hi.checked_add(1)
        } else {
            Some(hi)
        };
        let Some(hi) = hi else {
            self.error(b.hi.span, "integer overflow in a sum bound");
            return (ok, None);
        };
        if lo > hi {
            self.error(
                b.lo.span,
                format!("the range of `{name}` is backwards: it starts at {lo} and ends (exclusive) at {hi}; write `lo..hi` with lo <= hi"),
            );
            return (ok, None);
        }
        if lo == hi {
            match binder {
                Binder::Reduction(ast::Reduction::Sum) => {}
                Binder::Reduction(op) => {
                    let kw = op.keyword();
                    self.error(
                        b.var.span(),
                        format!("`{kw}` over an empty range: `{name}` in {lo}..{hi} takes no value; `mean`, `max` and `min` need at least one term (only an empty `sum` has a value, 0)"),
                    );
                    return (ok, None);
                }
                Binder::Let(let_name) => {
                    self.error(
                        b.var.span(),
                        format!("let `{let_name}` has an empty range for its index `{name}` ({lo}..{hi} takes no value); each index of a let needs at least one value"),
                    );
                    return (ok, None);
                }
            }
        }
        let outer = bound
            .iter()
            .filter_map(|o| o.range)
            .try_fold(1i64, |acc, (lo, hi)| acc.checked_mul(hi - lo));
        let terms = hi
            .checked_sub(lo)
            .zip(outer)
            .and_then(|(n, outer)| n.checked_mul(outer));
        if terms.is_some_and(|t| t <= MAX_SUM_TERMS) {
            (ok, Some((lo, hi)))
        } else {
            self.error(
                b.hi.span,
                format!("the range of `{name}` is too long: a sum, with the sums around it, has at most {MAX_SUM_TERMS} terms"),
            );
            (ok, None)
        }
    }

    /// `sum`, `mean`, `max` or `min` over `binders` (outermost first):
    /// nested [`Expr::Sum`]s (divided by the number of terms for `mean`)
    /// or nested [`Expr::Fold`]s.
    pub(super) fn resolve_reduction(
        &mut self,
        op: ast::Reduction,
        binders: &[ast::SumBinder],
        body: &ast::Expr,
        bound: &mut Vec<Bound>,
        limits: Limits,
    ) -> Option<Expr> {
        let depth = bound.len();
        let mut vars = Vec::new();
        let mut ok = true;
        for b in binders {
            let (name_ok, range) = self.bind(b, bound, Binder::Reduction(op));
            ok &= name_ok && range.is_some();
            let var = self.fresh_var();
            vars.push((var, range));
            bound.push(Bound {
                name: b.var.to_string(),
                var,
                range,
            });
        }
        let body = self.resolve(body, bound, limits);
        bound.truncate(depth);
        let mut e = body?;
        if !ok {
            return None;
        }
        // At most MAX_SUM_TERMS (checked in `bind`).
        let mut count: i64 = 1;
        for (var, range) in vars.into_iter().rev() {
            let (lo, hi) = range?;
            count *= hi - lo;
            let body = Box::new(e);
            e = match op {
                ast::Reduction::Sum | ast::Reduction::Mean => Expr::Sum { var, lo, hi, body },
                ast::Reduction::Max | ast::Reduction::Min => Expr::Fold {
                    op: if op == ast::Reduction::Max {
                        BinaryFn::Max
                    } else {
                        BinaryFn::Min
                    },
                    var,
                    lo,
                    hi,
                    body,
                },
            };
        }
        if op == ast::Reduction::Mean {
            e = Expr::Binary(BinOp::Div, Box::new(e), Box::new(Expr::Num(count as f64)));
        }
        Some(e)
    }

    /// A copy of a resolved let with fresh sum-index ids, and each of the
    /// let's own indices replaced by the index it is used with: an entry
    /// `v -> (w, c)` of `map` turns `v + o` into `w + (c + o)`.
    pub(super) fn refresh(&mut self, e: &Expr, map: &mut HashMap<SumVar, Index>) -> Expr {
        let ix = |map: &HashMap<SumVar, Index>, i: &Index| match i.var.and_then(|v| map.get(&v)) {
            Some(to) => Index {
                var: to.var,
                offset: to.offset.saturating_add(i.offset),
            },
            None => *i,
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
            Expr::Part {
                player,
                part,
                index,
            } => Expr::Part {
                player: *player,
                part: *part,
                index: index.iter().map(|i| ix(map, i)).collect(),
            },
            Expr::Data { data, index } => Expr::Data {
                data: *data,
                index: index.iter().map(|i| ix(map, i)).collect(),
            },
            Expr::Let { id, index } => Expr::Let {
                id: *id,
                index: index.iter().map(|i| ix(map, i)).collect(),
            },
            // A let index used as a number, at a constant index, is a number.
            Expr::SumIndex(i) => match ix(map, i) {
                Index { var: None, offset } => Expr::Num(offset as f64),
                i => Expr::SumIndex(i),
            },
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
                let fresh = self.fresh_index(*var, map);
                Expr::Sum {
                    var: fresh,
                    lo: *lo,
                    hi: *hi,
                    body: Box::new(self.refresh(body, map)),
                }
            }
            Expr::Fold {
                op,
                var,
                lo,
                hi,
                body,
            } => {
                let fresh = self.fresh_index(*var, map);
                Expr::Fold {
                    op: *op,
                    var: fresh,
                    lo: *lo,
                    hi: *hi,
                    body: Box::new(self.refresh(body, map)),
                }
            }
        }
    }

    /// A fresh id for a reduction's index in a copy, recorded in `map`.
    fn fresh_index(&mut self, var: SumVar, map: &mut HashMap<SumVar, Index>) -> SumVar {
        let fresh = self.fresh_var();
        map.insert(
            var,
            Index {
                var: Some(fresh),
                offset: 0,
            },
        );
        fresh
    }

    pub(super) fn fresh_var(&mut self) -> SumVar {
        let v = SumVar(self.next_sum_var);
        self.next_sum_var += 1;
        v
    }
}
