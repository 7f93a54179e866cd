//! Indexed expressions to Rust: loop counters, sums as accumulator loops,
//! guards as branches, loop-invariant hoisting and per-body CSE.

use super::*;
use crate::indexed::schedule;

pub(super) fn var(v: Ix) -> Ident {
    format_ident!("i{}", v.0)
}

pub(super) fn signed_offset(u: TokenStream, c: i64) -> TokenStream {
    match c {
        0 => u,
        c if c > 0 => {
            let c = lit(c as usize);
            quote!((#u + #c))
        }
        c => {
            let c = lit(c.unsigned_abs() as usize);
            quote!((#u - #c))
        }
    }
}

impl Gen<'_> {
    /// `let h = ..;` for each invariant of `e` in a loop over `inner`;
    /// registers them (see [`Gen::unhoist`]).
    pub(super) fn hoist(&mut self, e: &E, inner: &[Ix]) -> (TokenStream, Vec<E>) {
        let mut found = Vec::new();
        let hoisted = |x: &E| self.hoisted.contains_key(&Rc::as_ptr(x));
        schedule::invariants(e, &mut inner.to_vec(), &hoisted, &mut found);
        let mut lets = Vec::new();
        for f in &found {
            let value = self.expr(f);
            let h = format_ident!("h{}", self.next_hoisted);
            self.next_hoisted += 1;
            lets.push(quote!(let #h: T = #value;));
            self.hoisted.insert(Rc::as_ptr(f), h);
        }
        (quote!(#(#lets)*), found)
    }

    /// `let c = ..;` for each non-leaf node used more than once in `e`
    /// (common subexpressions of the product and chain rules), smallest
    /// first; registers them like hoisted values.
    pub(super) fn share(&mut self, e: &E) -> (TokenStream, Vec<E>) {
        let hoisted = |x: &E| self.hoisted.contains_key(&Rc::as_ptr(x));
        let shared = schedule::shared(e, &hoisted);
        let mut lets = Vec::new();
        let mut found = Vec::new();
        for x in shared {
            let value = self.expr(&x);
            let c = format_ident!("c{}", self.next_hoisted);
            self.next_hoisted += 1;
            lets.push(quote!(let #c: T = #value;));
            self.hoisted.insert(Rc::as_ptr(&x), c);
            found.push(x);
        }
        (quote!(#(#lets)*), found)
    }

    /// `e` as a block computing its common subexpressions once.
    pub(super) fn expr_shared(&mut self, e: &E) -> TokenStream {
        let (lets, found) = self.share(e);
        let value = self.expr(e);
        self.unhoist(&found);
        if found.is_empty() {
            value
        } else {
            quote!({ #lets #value })
        }
    }

    /// Ends the scope of hoisted locals.
    pub(super) fn unhoist(&mut self, found: &[E]) {
        for f in found {
            self.hoisted.remove(&Rc::as_ptr(f));
        }
    }

    /// The loop counter of `a`'s variable and the constant to add to it.
    pub(super) fn counter(&self, a: &Aff) -> Option<(TokenStream, i64)> {
        a.var.map(|v| {
            let u = var(v);
            (
                quote!(#u),
                a.offset + self.shift.get(&v).copied().unwrap_or(0),
            )
        })
    }

    /// `a` as a `usize` expression (in range where it is evaluated).
    pub(super) fn index(&self, a: &Aff) -> TokenStream {
        match self.counter(a) {
            None => lit(a.offset as usize).into_token_stream(),
            Some((u, c)) => signed_offset(u, c),
        }
    }

    /// `offset + flat(index)` for a value of shape `shape`.
    pub(super) fn flat(&self, offset: usize, shape: Shape, index: &[Aff]) -> TokenStream {
        let inner = match shape {
            Shape::Scalar => None,
            Shape::Vector(_) => Some(self.index(&index[0])),
            Shape::Matrix(_, m) => {
                let (r, c) = (self.index(&index[0]), self.index(&index[1]));
                let m = lit(m);
                Some(quote!(#r * #m + #c))
            }
        };
        match (offset, inner) {
            (o, None) => lit(o).into_token_stream(),
            (0, Some(i)) => i,
            (o, Some(i)) => {
                let o = lit(o);
                quote!(#o + #i)
            }
        }
    }

    /// The condition of an indicator or delta.
    pub(super) fn cond(&self, e: &E) -> TokenStream {
        match &e.node {
            Node::Range { aff, lo, hi } => {
                let (u, c) = self.counter(aff).expect("constant indicators are folded");
                let mut parts = Vec::new();
                if lo - c > 0 {
                    let l = lit((lo - c) as usize);
                    parts.push(quote!(#u >= #l));
                }
                if hi - c <= 0 {
                    parts.push(quote!(false));
                } else {
                    let h = lit((hi - c) as usize);
                    parts.push(quote!(#u < #h));
                }
                quote!((#(#parts)&&*))
            }
            Node::Delta(a, b) => {
                let (a, b) = if a.var.is_none() { (b, a) } else { (a, b) };
                let (ua, ca) = self.counter(a).expect("constant deltas are folded");
                match self.counter(b) {
                    Some((ub, cb)) => {
                        let (l, r) = if ca >= cb {
                            (signed_offset(ua, ca - cb), ub)
                        } else {
                            (ua, signed_offset(ub, cb - ca))
                        };
                        quote!((#l == #r))
                    }
                    None if b.offset - ca < 0 => quote!(false),
                    None => {
                        let k = lit((b.offset - ca) as usize);
                        quote!((#ua == #k))
                    }
                }
            }
            _ => unreachable!("not a guard"),
        }
    }

    pub(super) fn place(&self, q: usize, index: &[Aff]) -> TokenStream {
        let p = &self.model.params[q];
        let name = Ident::new(&p.name, p.span);
        let idx = index.iter().map(|a| self.index(a));
        quote!(self.#name #([#idx])*)
    }

    /// `e` as an expression of type `T`.
    pub(super) fn expr(&mut self, e: &E) -> TokenStream {
        if let Some(h) = self.hoisted.get(&Rc::as_ptr(e)) {
            return quote!(#h);
        }
        match &e.node {
            Node::Num(v) => constant(*v),
            Node::Entry { leaf, index } => match *leaf {
                Leaf::State(p) => {
                    let k = self.flat(self.game.player_offset(p), self.game.shapes[p], index);
                    quote!(x[#k])
                }
                Leaf::Dir(p) => {
                    let off = self.game.player_offset(p) - self.dir_base;
                    let k = self.flat(off, self.game.shapes[p], index);
                    quote!(dir[#k])
                }
                Leaf::Lambda(p) => {
                    let off = self.game.player_offset(p) - self.game.d1;
                    let k = self.flat(off, self.game.shapes[p], index);
                    quote!(lambda[#k])
                }
                Leaf::Param(q) => {
                    let place = self.place(q, index);
                    quote!(T::of(#place))
                }
                Leaf::ParamDir(q) => {
                    let k = self.flat(self.game.param_offset(q), self.game.param_shapes[q], index);
                    quote!(T::of(pdir[#k]))
                }
            },
            Node::Index(a) => {
                let (u, c) = self.counter(a).expect("constant index values are folded");
                let c = Literal::f64_unsuffixed(c as f64);
                quote!(T::of(#u as f64 + #c))
            }
            Node::Add(xs) => {
                let xs: Vec<TokenStream> = xs.iter().map(|x| self.expr(x)).collect();
                quote!((#(#xs)+*))
            }
            Node::Mul(xs) => {
                let mut conds = Vec::new();
                let mut factors = Vec::new();
                let mut negate = false;
                for (k, x) in xs.iter().enumerate() {
                    match &x.node {
                        Node::Range { .. } | Node::Delta(..) => conds.push(self.cond(x)),
                        Node::Num(v) if k == 0 && *v == -1.0 => negate = true,
                        _ => factors.push(self.expr(x)),
                    }
                }
                let product = match factors.split_first() {
                    None => quote!(T::one()),
                    Some((first, rest)) => {
                        let p = rest.iter().fold(first.clone(), |acc, f| quote!(#acc * #f));
                        quote!((#p))
                    }
                };
                let product = if negate { quote!((-#product)) } else { product };
                if conds.is_empty() {
                    product
                } else {
                    quote!((if #(#conds)&&* { #product } else { T::zero() }))
                }
            }
            Node::Div(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                quote!((#a / #b))
            }
            Node::Pow(a, b) => {
                let a = self.expr(a);
                match b.as_num() {
                    Some(n) if n.fract() == 0.0 && n.abs() < 1e9 => {
                        let n = Literal::i32_unsuffixed(n as i32);
                        quote!(__stackel::Real::powi(#a, #n))
                    }
                    _ => {
                        let b = self.expr(b);
                        quote!(__stackel::Real::powf(#a, #b))
                    }
                }
            }
            Node::Unary(f, a) => {
                let a = self.expr(a);
                let f = Ident::new(f.name(), Span::call_site());
                quote!(__stackel::Real::#f(#a))
            }
            Node::Sign(a) => {
                let a = self.expr(a);
                quote!(__stackel::Real::sign(#a))
            }
            Node::Heaviside(a) => {
                let a = self.expr(a);
                quote!(__stackel::Real::heaviside(#a))
            }
            Node::Le(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                quote!((if __stackel::Real::re(#a) <= __stackel::Real::re(#b) { T::one() } else { T::zero() }))
            }
            Node::Min(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                quote!(__stackel::Real::min(#a, #b))
            }
            Node::Max(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                quote!(__stackel::Real::max(#a, #b))
            }
            Node::Sum {
                var: v,
                lo,
                hi,
                body,
            } => {
                let shift = (*lo).min(0);
                self.shift.insert(*v, shift);
                let (lets, found) = self.hoist(body, &[*v]);
                let body_code = self.expr_shared(body);
                self.unhoist(&found);
                let (u, s) = (var(*v), format_ident!("s{}", v.0));
                let (l, h) = (lit((lo - shift) as usize), lit((hi - shift) as usize));
                quote!({ #lets let mut #s = T::zero(); for #u in #l..#h { #s += #body_code; } #s })
            }
            Node::Range { .. } | Node::Delta(..) => {
                let c = self.cond(e);
                quote!((if #c { T::one() } else { T::zero() }))
            }
        }
    }

    /// Loop nests writing every entry of `parts` into `out`: entry `r` of
    /// the vector (part offset `offset(part)` + row-major position) goes to
    /// `out[r]`, or to `out[r * np + k]` for a param column `k`.
    pub(super) fn write(
        &mut self,
        parts: &[Part],
        offset: &dyn Fn(&Part) -> usize,
        column: Option<&TokenStream>,
    ) -> TokenStream {
        let nests: Vec<TokenStream> = parts
            .iter()
            .map(|part| {
                for o in &part.outs {
                    self.shift.insert(*o, 0);
                }
                if column.is_none() {
                    if let Some(code) = self.write_accumulating(part, offset(part)) {
                        return code;
                    }
                }
                // values a loop level does not depend on, before that level
                let mut levels = Vec::new();
                for l in 0..part.outs.len() {
                    levels.push(self.hoist(&part.expr, &part.outs[l..]));
                }
                let value = self.expr_shared(&part.expr);
                let idx: Vec<Aff> = part.outs.iter().map(|o| Aff::of(*o, 0)).collect();
                let shape = self.game.shapes[part.player];
                let mut r = self.flat(offset(part), shape, &idx);
                if let Some(k) = column {
                    let np = lit(self.game.np);
                    r = quote!((#r) * #np + #k);
                }
                let mut code = quote!(out[#r] = #value;);
                for ((o, d), (lets, found)) in part.outs.iter().zip(&part.dims).zip(&levels).rev() {
                    let (u, d) = (var(*o), lit(*d));
                    code = quote!(#lets for #u in 0..#d { #code });
                    self.unhoist(found);
                }
                code
            })
            .collect();
        quote!(#(#nests)*)
    }
}
