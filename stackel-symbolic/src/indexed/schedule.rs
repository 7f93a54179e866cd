//! The loop form's scheduling decisions, shared by the Rust emitter
//! (`emit_rust::loops`) and the loop kernels ([`super::kernel`]): which
//! subexpressions are worth computing once before a loop (loop-invariant
//! hoisting), which are used twice in one body (sharing), and which output
//! terms take the accumulating loop order.

use super::expr::{children, Ex, Ix, Node, E};
use std::collections::HashMap;

/// True if `e` contains a sum or a function call (worth computing once
/// outside a loop).
pub fn costly(e: &E) -> bool {
    match &e.node {
        Node::Sum { .. } | Node::Unary(..) | Node::Pow(..) | Node::Div(..) => true,
        _ => children(e).into_iter().any(costly),
    }
}

/// True for an indicator or a Kronecker delta (a branch in a product).
pub fn is_guard(e: &E) -> bool {
    matches!(e.node, Node::Range { .. } | Node::Delta(..))
}

/// The factors of a product (`e` itself otherwise).
pub fn factors(e: &E) -> Vec<E> {
    match &e.node {
        Node::Mul(xs) => xs.clone(),
        _ => vec![e.clone()],
    }
}

/// The largest costly subexpressions of `e` that use none of `inner` (the
/// loop's variable and those bound inside it) and are not `hoisted`
/// already, appended to `out`. Nothing below a guarded product is taken:
/// its entries may index out of range where the guard is false.
pub fn invariants(e: &E, inner: &mut Vec<Ix>, hoisted: &dyn Fn(&E) -> bool, out: &mut Vec<E>) {
    if hoisted(e) {
        return;
    }
    if !inner.iter().any(|v| e.uses(*v)) {
        if costly(e) && !out.iter().any(|o| std::rc::Rc::ptr_eq(o, e)) {
            out.push(e.clone());
        }
        return;
    }
    match &e.node {
        Node::Mul(xs) if xs.iter().any(is_guard) => {}
        Node::Sum { var, body, .. } => {
            inner.push(*var);
            invariants(body, inner, hoisted, out);
            inner.pop();
        }
        _ => {
            for c in children(e) {
                invariants(c, inner, hoisted, out);
            }
        }
    }
}

/// Counts the uses of each node of `e` that is not `hoisted` (not inside
/// sums, which are their own scopes, nor below guards).
pub fn count_uses(
    e: &E,
    hoisted: &dyn Fn(&E) -> bool,
    counts: &mut HashMap<*const Ex, (usize, E)>,
) {
    if hoisted(e) {
        return;
    }
    let c = counts
        .entry(std::rc::Rc::as_ptr(e))
        .or_insert((0, e.clone()));
    c.0 += 1;
    if c.0 > 1 {
        return;
    }
    match &e.node {
        Node::Sum { .. } => {}
        Node::Mul(xs) if xs.iter().any(is_guard) => {}
        _ => {
            for c in children(e) {
                count_uses(c, hoisted, counts);
            }
        }
    }
}

/// The non-leaf nodes of `e` used more than once (common subexpressions of
/// the product and chain rules), smallest first.
pub fn shared(e: &E, hoisted: &dyn Fn(&E) -> bool) -> Vec<E> {
    let mut counts = HashMap::new();
    count_uses(e, hoisted, &mut counts);
    let mut shared: Vec<(usize, E)> = counts
        .into_values()
        .filter(|(n, x)| *n > 1 && !children(x).is_empty())
        .map(|(_, x)| (super::expr::tree_size(&x), x))
        .collect();
    shared.sort_by_key(|(size, _)| *size);
    shared.into_iter().map(|(_, x)| x).collect()
}

/// A term `c * sum(k in lo..hi) body` of an output entry whose last
/// output index `b` appears in `body` only as the last index of entries
/// (contiguous in memory), split for the accumulating loop order:
/// `for k { f = c * (factors without b); for b { out[.., b] += f * rest } }`.
pub struct Accumulated {
    /// The sum's index.
    pub var: Ix,
    /// Its first value.
    pub lo: i64,
    /// Its end (exclusive).
    pub hi: i64,
    /// Factors not using `b` (c included).
    pub outside: Vec<E>,
    /// Factors using `b`.
    pub inside: Vec<E>,
}

/// True if every entry below `e` that uses `b` uses it as its last index
/// and nowhere else, and no guard or index value uses it.
pub fn contiguous_in(e: &E, b: Ix) -> bool {
    if !e.uses(b) {
        return true;
    }
    match &e.node {
        Node::Entry { index, .. } => {
            let (last, rest) = index.split_last().expect("an entry using b has an index");
            last.var == Some(b) && rest.iter().all(|a| a.var != Some(b))
        }
        Node::Index(_) | Node::Range { .. } | Node::Delta(..) => false,
        _ => children(e).into_iter().all(|c| contiguous_in(c, b)),
    }
}

/// `term` as an [`Accumulated`] sum over the last output index `b`, if it
/// has that form.
pub fn accumulated(term: &E, b: Ix) -> Option<Accumulated> {
    let fs = factors(term);
    let pos = fs.iter().position(|f| matches!(f.node, Node::Sum { .. }))?;
    let Node::Sum { var, lo, hi, body } = &fs[pos].node else {
        return None;
    };
    let c: Vec<E> = fs
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != pos)
        .map(|(_, f)| f.clone())
        .collect();
    if c.iter().any(|f| f.uses(b) || is_guard(f)) || !body.uses(b) || !contiguous_in(body, b) {
        return None;
    }
    let (mut outside, mut inside) = (c, Vec::new());
    for f in factors(body) {
        if is_guard(&f) {
            return None;
        }
        if f.uses(b) {
            inside.push(f);
        } else {
            outside.push(f);
        }
    }
    Some(Accumulated {
        var: *var,
        lo: *lo,
        hi: *hi,
        outside,
        inside,
    })
}

/// The terms of an output entry split for the accumulating order over the
/// last output index `b`: the plain terms and the accumulated sums; `None`
/// when no term has that form.
pub fn split_accumulating(expr: &E, b: Ix) -> Option<(Vec<E>, Vec<Accumulated>)> {
    let terms = match &expr.node {
        Node::Add(xs) => xs.clone(),
        _ => vec![expr.clone()],
    };
    let mut plain = Vec::new();
    let mut acc = Vec::new();
    for t in terms {
        match accumulated(&t, b) {
            Some(a) => acc.push(a),
            None => plain.push(t),
        }
    }
    (!acc.is_empty()).then_some((plain, acc))
}
