//! Resolving Kronecker deltas against the sums that bind their indices,
//! and folding indicators whose truth the index ranges decide.
//!
//! Bottom-up, each `sum(k in lo..hi) body` is split into its terms
//! (distributing products over the sums that carry a delta on k); a term
//! with a factor `delta(k + c, e)` collapses: sum_k delta(k + c, e) F(k) =
//! [lo <= e - c < hi] F(e - c). In the other terms the factors that do not
//! use k move out of the sum, and indicators on k clip its bounds.
//! Deltas between indices no sum binds stay as guards (correct, slower).

use super::expr::{
    add, delta, map_children, mul, num, range, subst_in, sum, Aff, Ix, Memo, Node, E,
};
use std::rc::Rc;

/// The ranges of the index variables in scope.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    vars: Vec<(Ix, i64, i64)>,
}

impl Scope {
    /// A scope with the free output indices and their ranges.
    pub fn new(vars: &[(Ix, i64, i64)]) -> Scope {
        Scope {
            vars: vars.to_vec(),
        }
    }

    /// The values `a` can take, if its variable is in scope.
    fn span(&self, a: Aff) -> Option<(i64, i64)> {
        match a.var {
            None => Some((a.offset, a.offset)),
            Some(v) => self
                .vars
                .iter()
                .rev()
                .find(|(w, _, _)| *w == v)
                .map(|(_, lo, hi)| (lo + a.offset, hi - 1 + a.offset)),
        }
    }

    /// [lo <= a < hi], folded to 0 or 1 when the range of a decides it.
    pub fn range(&self, a: Aff, lo: i64, hi: i64) -> E {
        match self.span(a) {
            Some((min, max)) if min >= lo && max < hi => num(1.0),
            Some((min, max)) if max < lo || min >= hi => num(0.0),
            _ => range(a, lo, hi),
        }
    }

    /// [a == b], folded to 0 when their ranges are disjoint.
    pub fn delta(&self, a: Aff, b: Aff) -> E {
        if let (Some((a0, a1)), Some((b0, b1))) = (self.span(a), self.span(b)) {
            if a1 < b0 || b1 < a0 {
                return num(0.0);
            }
        }
        delta(a, b)
    }
}

/// `e` with every delta a sum binds collapsed and decided indicators folded.
pub fn resolve(e: &E, scope: &mut Scope) -> E {
    resolve_in(e, scope, &mut Memo::new())
}

/// [`resolve`], each shared node once (the result of a node depends only
/// on the ranges of its variables, the same wherever it occurs).
fn resolve_in(e: &E, scope: &mut Scope, memo: &mut Memo) -> E {
    if let Some((_, out)) = memo.get(&Rc::as_ptr(e)) {
        return out.clone();
    }
    let out = match &e.node {
        Node::Sum { var, lo, hi, body } => {
            scope.vars.push((*var, *lo, *hi));
            let body = resolve_in(body, scope, memo);
            scope.vars.pop();
            resolve_sum(*var, *lo, *hi, body, scope)
        }
        Node::Range { aff, lo, hi } => scope.range(*aff, *lo, *hi),
        Node::Delta(a, b) => scope.delta(*a, *b),
        _ => map_children(e, &mut |c| resolve_in(c, scope, memo)),
    };
    memo.insert(Rc::as_ptr(e), (e.clone(), out.clone()));
    out
}

/// The delta factor `delta(k + c, e)` (either order) as `(c, e)`.
fn delta_on(f: &E, k: Ix) -> Option<(i64, Aff)> {
    match &f.node {
        Node::Delta(a, b) if a.var == Some(k) && b.var != Some(k) => Some((a.offset, *b)),
        Node::Delta(a, b) if b.var == Some(k) && a.var != Some(k) => Some((b.offset, *a)),
        _ => None,
    }
}

/// True if a delta on k is reachable from `e` through sums and products.
fn has_delta_on(e: &E, k: Ix) -> bool {
    if !e.uses(k) {
        return false;
    }
    match &e.node {
        Node::Delta(..) => delta_on(e, k).is_some(),
        Node::Add(xs) | Node::Mul(xs) => xs.iter().any(|x| has_delta_on(x, k)),
        _ => false,
    }
}

/// `e` as a sum of products (lists of factors), distributing a product
/// only over the sums among its factors that carry a delta on k.
fn expand(e: &E, k: Ix) -> Vec<Vec<E>> {
    match &e.node {
        Node::Add(xs) => xs.iter().flat_map(|x| expand(x, k)).collect(),
        Node::Mul(xs) => {
            let mut terms: Vec<Vec<E>> = vec![vec![]];
            for x in xs {
                let parts = if matches!(x.node, Node::Add(_)) && has_delta_on(x, k) {
                    expand(x, k)
                } else {
                    vec![vec![x.clone()]]
                };
                terms = terms
                    .iter()
                    .flat_map(|t| {
                        parts.iter().map(move |p| {
                            let mut t = t.clone();
                            t.extend(p.iter().cloned());
                            t
                        })
                    })
                    .collect();
            }
            terms
        }
        _ => vec![vec![e.clone()]],
    }
}

/// Re-folds the indicator and delta factors of a product after a
/// substitution gave them new variables.
fn refold(factors: Vec<E>, scope: &Scope) -> E {
    mul(factors
        .into_iter()
        .map(|f| match &f.node {
            Node::Range { aff, lo, hi } => scope.range(*aff, *lo, *hi),
            Node::Delta(a, b) => scope.delta(*a, *b),
            _ => f,
        })
        .collect())
}

/// `sum(k in lo..hi) body` with `body` already resolved.
fn resolve_sum(k: Ix, lo: i64, hi: i64, body: E, scope: &Scope) -> E {
    if !body.uses(k) {
        return sum(k, lo, hi, body);
    }
    let mut out = Vec::new();
    for mut factors in expand(&body, k) {
        if let Some(pos) = factors.iter().position(|f| delta_on(f, k).is_some()) {
            let (c, e) = delta_on(&factors[pos], k).expect("a delta on k");
            factors.remove(pos);
            // k + c == e  <=>  k == e - c
            let target = Aff {
                var: e.var,
                offset: e.offset - c,
            };
            let mut memo = Memo::new();
            let mut rest: Vec<E> = factors
                .iter()
                .map(|f| subst_in(f, k, target, &mut memo))
                .collect();
            rest.push(range(target, lo, hi));
            out.push(refold(rest, scope));
            continue;
        }
        let (mut lo_k, mut hi_k) = (lo, hi);
        let mut outside = Vec::new();
        let mut inside = Vec::new();
        for f in factors {
            match &f.node {
                _ if !f.uses(k) => outside.push(f),
                // an indicator on k + c clips the loop
                Node::Range { aff, lo: l, hi: h } if aff.var == Some(k) => {
                    lo_k = lo_k.max(l - aff.offset);
                    hi_k = hi_k.min(h - aff.offset);
                }
                _ => inside.push(f),
            }
        }
        outside.push(sum(k, lo_k, hi_k, mul(inside)));
        out.push(mul(outside));
    }
    add(out)
}
