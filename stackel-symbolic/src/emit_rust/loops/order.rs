//! Loop order of output terms c * sum(k) F(k) G(k, b): accumulate with the
//! contiguous output index b innermost.

use super::*;

/// A term `c * sum(k in lo..hi) body` of an output entry whose last
/// output index `b` appears in `body` only as the last index of entries
/// (contiguous in memory), split for the accumulating loop order:
/// `for k { f = c * (factors without b); for b { out[.., b] += f * rest } }`.
pub(super) struct Accumulated {
    var: Ix,
    lo: i64,
    hi: i64,
    /// Factors not using `b` (c included).
    outside: Vec<E>,
    /// Factors using `b`.
    inside: Vec<E>,
}

/// True if every entry below `e` that uses `b` uses it as its last index
/// and nowhere else, and no guard or index value uses it.
pub(super) fn contiguous_in(e: &E, b: Ix) -> bool {
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

pub(super) fn is_guard(e: &E) -> bool {
    matches!(e.node, Node::Range { .. } | Node::Delta(..))
}

pub(super) fn factors(e: &E) -> Vec<E> {
    match &e.node {
        Node::Mul(xs) => xs.clone(),
        _ => vec![e.clone()],
    }
}

/// `term` as an [`Accumulated`] sum over the last output index `b`, if it
/// has that form.
pub(super) fn accumulated(term: &E, b: Ix) -> Option<Accumulated> {
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

impl Gen<'_> {
    /// An output block whose entry has terms `c * sum(k) F(k) G(k, b)` with
    /// `b` the last (contiguous) output index, in the accumulating order
    /// (innermost loop over `b`: contiguous loads and stores, as a matrix
    /// product's i-k-j order); `None` when no term has that form.
    pub(super) fn write_accumulating(&mut self, part: &Part, offset: usize) -> Option<TokenStream> {
        let b = *part.outs.last()?;
        let terms = match &part.expr.node {
            Node::Add(xs) => xs.clone(),
            _ => vec![part.expr.clone()],
        };
        let mut plain = Vec::new();
        let mut acc = Vec::new();
        for t in terms {
            match accumulated(&t, b) {
                Some(a) => acc.push(a),
                None => plain.push(t),
            }
        }
        if acc.is_empty() {
            return None;
        }
        let idx: Vec<Aff> = part.outs.iter().map(|o| Aff::of(*o, 0)).collect();
        let r = self.flat(offset, self.game.shapes[part.player], &idx);
        let (u, d) = (var(b), lit(*part.dims.last().expect("an output index")));
        let first = self.expr(&crate::indexed::expr::add(plain));
        let mut body = vec![quote!(for #u in 0..#d { out[#r] = #first; })];
        for a in acc {
            let shift = a.lo.min(0);
            self.shift.insert(a.var, shift);
            let f = self.expr(&crate::indexed::expr::mul(a.outside));
            let g = self.expr(&crate::indexed::expr::mul(a.inside));
            let (k, l, h) = (
                var(a.var),
                lit((a.lo - shift) as usize),
                lit((a.hi - shift) as usize),
            );
            body.push(quote! {
                for #k in #l..#h {
                    let f: T = #f;
                    for #u in 0..#d { out[#r] += f * #g; }
                }
            });
        }
        let mut code = quote!(#(#body)*);
        for (o, d) in part.outs.iter().zip(&part.dims).rev().skip(1) {
            let (o, d) = (var(*o), lit(*d));
            code = quote!(for #o in 0..#d { #code });
        }
        Some(code)
    }
}
