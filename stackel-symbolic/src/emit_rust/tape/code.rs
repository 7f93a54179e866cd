//! One tape-form program as Rust: the forward pass (each kept let into its
//! array, then the cost) and the reverse pass (adjoints of the lets, in
//! reverse order, scattered into the gradient of the state).
//!
//! Values are emitted as expressions of the scalar type `S`; loop counters
//! are `i64` (`i<n>` for sum variable n); `x` is the state with its data
//! entries after the N player entries, `p` the flat params (as `S`), `t<k>`
//! the array of let k and `a<k>` its adjoint, `g` the gradient over the
//! N player entries.
//!
//! Reverse mode by source transformation: `back(e, s)` emits the statements
//! that add `s * de/dleaf` into the adjoint of every leaf of `e` that
//! depends on the state (player entries and lets), with the local rules
//! (u v)' = u' v + u v', (u / v)' = u' / v - u v' / v^2, f(u)' = f'(u) u',
//! a sum's adjoint to every term, a max/min's to its first best term
//! (ties to the smallest index, as the forward pass picks it); the values a
//! rule needs are recomputed from the let arrays (cheap: a let body is one
//! layer).

use crate::model::{BinOp, BinaryFn, Expr, GameModel, Index, LetDef, Shape, UnaryFn};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;
use std::cell::Cell;

/// What the emitter knows of the game.
pub(super) struct Cx<'a> {
    model: &'a GameModel,
    /// Offset of each player's first entry in x.
    player_offsets: Vec<usize>,
    /// Offset of each param's first entry in p.
    param_offsets: Vec<usize>,
    /// The kept lets.
    lets: &'a [LetDef],
    /// Per player: is the gradient taken with respect to it? (The reverse
    /// pass skips everything that does not lead to these players.)
    mask: Vec<bool>,
    /// Per let: does its value depend on a masked player?
    let_active: Vec<bool>,
    /// N, the number of player entries (data follow).
    n: usize,
    /// Fresh local names.
    next: Cell<u32>,
}

fn int(k: i64) -> Literal {
    Literal::i64_unsuffixed(k)
}

/// `S::of(c)` (`S::zero()`, `S::one()`).
fn constant(c: f64) -> TokenStream {
    if c == 0.0 {
        return quote!(S::zero());
    }
    if c == 1.0 {
        return quote!(S::one());
    }
    let l = Literal::f64_suffixed(c.abs());
    if c < 0.0 {
        quote!(S::of(-#l))
    } else {
        quote!(S::of(#l))
    }
}

/// The loop counter of sum (or let) variable `v`.
pub(super) fn counter(v: crate::model::SumVar) -> Ident {
    Ident::new(&format!("i{}", v.0), Span::call_site())
}

/// `var + offset` as an `i64` expression.
fn index_value(i: &Index) -> TokenStream {
    let o = int(i.offset);
    match i.var {
        Some(v) => {
            let c = counter(v);
            if i.offset == 0 {
                quote!(#c)
            } else {
                quote!((#c + #o))
            }
        }
        None => quote!(#o),
    }
}

/// `base + flat(index)` for a row-major `shape`, as a `usize` expression.
fn flat(base: usize, shape: Shape, index: &[Index]) -> TokenStream {
    let b = int(base as i64);
    let e = match (shape, index) {
        (Shape::Scalar, _) => return quote!(#b as usize),
        (Shape::Vector(_), [i]) => {
            let i = index_value(i);
            quote!(#b + #i)
        }
        (Shape::Matrix(_, m), [i, j]) => {
            let (i, j, m) = (index_value(i), index_value(j), int(m as i64));
            quote!(#b + #i * #m + #j)
        }
        _ => unreachable!("the checker matches index counts to shapes"),
    };
    quote!((#e) as usize)
}

/// Does `e` contain a sum or max/min reduction?
pub(super) fn has_reduction(e: &Expr) -> bool {
    match e {
        Expr::Sum { .. } | Expr::Fold { .. } => true,
        Expr::Neg(a) | Expr::Unary(_, a) => has_reduction(a),
        Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => has_reduction(a) || has_reduction(b),
        _ => false,
    }
}

/// Number of entries of a let (1 for a scalar let).
pub(super) fn let_len(l: &LetDef) -> usize {
    l.indices
        .iter()
        .map(|(_, lo, hi)| (hi - lo) as usize)
        .product()
}

impl<'a> Cx<'a> {
    /// The emitter for gradients with respect to the players in `mask`
    /// (one flag per player, leader first).
    pub(super) fn new(model: &'a GameModel, mask: Vec<bool>) -> Self {
        let players = 1 + model.followers.len();
        let player_offsets = (0..players).map(|p| model.player_offset(p)).collect();
        let mut param_offsets = Vec::new();
        let mut o = 0;
        for p in &model.params {
            param_offsets.push(o);
            o += p.shape.len();
        }
        let lets = &model.program.lets[..];
        let mut cx = Cx {
            model,
            player_offsets,
            param_offsets,
            lets,
            mask,
            let_active: Vec::new(),
            n: model.leader_dim() + model.follower_dim(),
            next: Cell::new(0),
        };
        for l in lets {
            let a = cx.active(&l.body);
            cx.let_active.push(a);
        }
        cx
    }

    /// Does let `k`'s value depend on a masked player?
    pub(super) fn is_let_active(&self, k: usize) -> bool {
        self.let_active[k]
    }

    fn fresh(&self, stem: &str) -> Ident {
        let k = self.next.get();
        self.next.set(k + 1);
        Ident::new(&format!("{stem}{k}"), Span::call_site())
    }

    /// Does `e` depend on a masked player (an entry, or an active let)?
    pub(super) fn active(&self, e: &Expr) -> bool {
        match e {
            Expr::Var { player, .. } | Expr::Part { player, .. } => self.mask[*player],
            Expr::Let { id, .. } => self.let_active[*id],
            Expr::Num(_) | Expr::Param { .. } | Expr::Data { .. } | Expr::SumIndex(_) => false,
            Expr::Neg(a)
            | Expr::Unary(_, a)
            | Expr::Sum { body: a, .. }
            | Expr::Fold { body: a, .. } => self.active(a),
            Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => self.active(a) || self.active(b),
        }
    }

    /// Does `e` (transitively) read player `p`'s variable?
    pub(super) fn reads_player(&self, e: &Expr, p: usize) -> bool {
        match e {
            Expr::Var { player, .. } | Expr::Part { player, .. } => *player == p,
            Expr::Let { id, .. } => self.reads_player(&self.lets[*id].body, p),
            Expr::Num(_) | Expr::Param { .. } | Expr::Data { .. } | Expr::SumIndex(_) => false,
            Expr::Neg(a)
            | Expr::Unary(_, a)
            | Expr::Sum { body: a, .. }
            | Expr::Fold { body: a, .. } => self.reads_player(a, p),
            Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => {
                self.reads_player(a, p) || self.reads_player(b, p)
            }
        }
    }

    /// The lets `e` needs (transitively), marked in `need`.
    pub(super) fn need(&self, e: &Expr, need: &mut [bool]) {
        match e {
            Expr::Let { id, .. } => {
                if !need[*id] {
                    need[*id] = true;
                    self.need(&self.lets[*id].body, need);
                }
            }
            Expr::Num(_)
            | Expr::Var { .. }
            | Expr::Part { .. }
            | Expr::Param { .. }
            | Expr::Data { .. }
            | Expr::SumIndex(_) => {}
            Expr::Neg(a)
            | Expr::Unary(_, a)
            | Expr::Sum { body: a, .. }
            | Expr::Fold { body: a, .. } => self.need(a, need),
            Expr::Binary(_, a, b) | Expr::Call2(_, a, b) => {
                self.need(a, need);
                self.need(b, need);
            }
        }
    }

    /// Where entry `index` of let `id` sits in its array.
    fn let_flat(&self, id: usize, index: &[Index]) -> TokenStream {
        let l = &self.lets[id];
        if l.indices.is_empty() {
            return quote!(0usize);
        }
        let mut stride = 1i64;
        let mut terms = Vec::new();
        for (k, (_, lo, hi)) in l.indices.iter().enumerate().rev() {
            let i = index_value(&index[k]);
            let (lo_l, s) = (int(*lo), int(stride));
            terms.push(if stride == 1 {
                quote!((#i - #lo_l))
            } else {
                quote!((#i - #lo_l) * #s)
            });
            stride *= hi - lo;
        }
        quote!(((#(#terms)+*) as usize))
    }

    /// The value of `e` as an `S` expression.
    pub(super) fn val(&self, e: &Expr) -> TokenStream {
        match e {
            Expr::Num(v) => constant(*v),
            Expr::Var { player, index } => {
                let shape = self.model.player(*player).shape;
                let at = flat(self.player_offsets[*player], shape, index);
                quote!(x[#at])
            }
            Expr::Part {
                player,
                part,
                index,
            } => {
                let pt = &self.model.player(*player).parts[*part];
                let at = flat(self.player_offsets[*player] + pt.offset, pt.shape, index);
                quote!(x[#at])
            }
            Expr::Data { data, index } => {
                let d = &self.model.data[*data];
                let at = flat(self.n + d.offset, d.shape, index);
                quote!(x[#at])
            }
            Expr::Param { param, index } => {
                let shape = self.model.params[*param].shape;
                let at = flat(self.param_offsets[*param], shape, index);
                quote!(p[#at])
            }
            Expr::Let { id, index } => {
                let t = Ident::new(&format!("t{id}"), Span::call_site());
                let at = self.let_flat(*id, index);
                quote!(#t[#at])
            }
            Expr::SumIndex(i) => {
                let v = index_value(i);
                quote!(S::of(#v as f64))
            }
            Expr::Neg(a) => {
                let a = self.val(a);
                quote!((-#a))
            }
            Expr::Binary(op, a, b) => {
                if let (BinOp::Pow, Expr::Num(k)) = (op, &**b) {
                    if k.fract() == 0.0 && k.abs() <= 64.0 {
                        let a = self.val(a);
                        let k = Literal::i32_unsuffixed(*k as i32);
                        return quote!(#a.powi(#k));
                    }
                }
                let (a, b) = (self.val(a), self.val(b));
                match op {
                    BinOp::Add => quote!((#a + #b)),
                    BinOp::Sub => quote!((#a - #b)),
                    BinOp::Mul => quote!((#a * #b)),
                    BinOp::Div => quote!((#a / #b)),
                    BinOp::Pow => quote!(#a.powf(#b)),
                }
            }
            Expr::Unary(f, a) => {
                let a = self.val(a);
                let m = Ident::new(f.name(), Span::call_site());
                quote!(#a.#m())
            }
            Expr::Call2(f, a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                match f {
                    BinaryFn::Min => quote!(#a.min(#b)),
                    BinaryFn::Max => quote!(#a.max(#b)),
                }
            }
            Expr::Sum { var, lo, hi, body } if hi - lo >= 8 && !has_reduction(body) => {
                // An innermost sum with four accumulators: four independent
                // addition chains instead of one (the latency of a chain,
                // not the arithmetic, bounds a long dot product).
                let (c, lo, hi) = (counter(*var), int(*lo), int(*hi));
                let body = self.val(body);
                quote!({
                    let (mut a0, mut a1, mut a2, mut a3) = (S::zero(), S::zero(), S::zero(), S::zero());
                    let mut k: i64 = #lo;
                    while k + 4 <= #hi {
                        a0 += { let #c = k; #body };
                        a1 += { let #c = k + 1; #body };
                        a2 += { let #c = k + 2; #body };
                        a3 += { let #c = k + 3; #body };
                        k += 4;
                    }
                    while k < #hi {
                        a0 += { let #c = k; #body };
                        k += 1;
                    }
                    (a0 + a1) + (a2 + a3)
                })
            }
            Expr::Sum { var, lo, hi, body } => {
                let (c, lo, hi) = (counter(*var), int(*lo), int(*hi));
                let body = self.val(body);
                quote!({
                    let mut acc = S::zero();
                    for #c in #lo..#hi {
                        acc += #body;
                    }
                    acc
                })
            }
            Expr::Fold {
                op,
                var,
                lo,
                hi,
                body,
            } => {
                let search = self.fold_search(*op, *var, *lo, *hi, body);
                quote!({ let (best, _) = #search; best })
            }
        }
    }

    /// A max/min reduction's search: a block giving `(best term, its
    /// index)`, the first best on a tie (the smallest index).
    fn fold_search(
        &self,
        op: BinaryFn,
        var: crate::model::SumVar,
        lo: i64,
        hi: i64,
        body: &Expr,
    ) -> TokenStream {
        let (c, lo_l, next, hi_l) = (counter(var), int(lo), int(lo + 1), int(hi));
        let v = self.val(body);
        let better = match op {
            BinaryFn::Max => quote!(t.re() > best.re()),
            BinaryFn::Min => quote!(t.re() < best.re()),
        };
        quote!({
            let mut arg: i64 = #lo_l;
            let mut best = { let #c: i64 = #lo_l; #v };
            for #c in #next..#hi_l {
                let t = #v;
                if #better {
                    best = t;
                    arg = #c;
                }
            }
            (best, arg)
        })
    }

    /// The value of `e` bound to a fresh local (statements, local).
    fn bind(&self, e: &Expr, stem: &str) -> (TokenStream, Ident) {
        let v = self.fresh(stem);
        let e = self.val(e);
        (quote!(let #v = #e;), v)
    }

    /// Statements adding `seed * de/dleaf` into the adjoint of every active
    /// leaf of `e`; `seed` is a local of type `S`.
    pub(super) fn back(&self, e: &Expr, seed: &Ident) -> TokenStream {
        if !self.active(e) {
            return quote!();
        }
        match e {
            Expr::Var { player, index } => {
                let shape = self.model.player(*player).shape;
                let at = flat(self.player_offsets[*player], shape, index);
                quote!(g[#at] += #seed;)
            }
            Expr::Part {
                player,
                part,
                index,
            } => {
                let pt = &self.model.player(*player).parts[*part];
                let at = flat(self.player_offsets[*player] + pt.offset, pt.shape, index);
                quote!(g[#at] += #seed;)
            }
            Expr::Let { id, index } => {
                let a = Ident::new(&format!("a{id}"), Span::call_site());
                let at = self.let_flat(*id, index);
                quote!(#a[#at] += #seed;)
            }
            Expr::Num(_) | Expr::Param { .. } | Expr::Data { .. } | Expr::SumIndex(_) => quote!(),
            Expr::Neg(a) => self.scaled(a, quote!(-#seed)),
            Expr::Binary(op, a, b) => match op {
                BinOp::Add => {
                    let (ba, bb) = (self.back(a, seed), self.back(b, seed));
                    quote!(#ba #bb)
                }
                BinOp::Sub => {
                    let ba = self.back(a, seed);
                    let bb = self.scaled(b, quote!(-#seed));
                    quote!(#ba #bb)
                }
                BinOp::Mul => {
                    let ba = if self.active(a) {
                        let vb = self.val(b);
                        self.scaled(a, quote!(#seed * #vb))
                    } else {
                        quote!()
                    };
                    let bb = if self.active(b) {
                        let va = self.val(a);
                        self.scaled(b, quote!(#seed * #va))
                    } else {
                        quote!()
                    };
                    quote!(#ba #bb)
                }
                BinOp::Div => {
                    let (lb, vb) = self.bind(b, "q");
                    let ba = self.scaled(a, quote!(#seed / #vb));
                    let bb = if self.active(b) {
                        let va = self.val(a);
                        self.scaled(b, quote!(-(#seed * #va / (#vb * #vb))))
                    } else {
                        quote!()
                    };
                    quote!({ #lb #ba #bb })
                }
                BinOp::Pow => {
                    let (la, va) = self.bind(a, "u");
                    if let Expr::Num(k) = &**b {
                        let kk = constant(*k);
                        let d = if k.fract() == 0.0 && k.abs() <= 64.0 {
                            let k1 = Literal::i32_unsuffixed(*k as i32 - 1);
                            quote!(#kk * #va.powi(#k1))
                        } else {
                            let k1 = constant(k - 1.0);
                            quote!(#kk * #va.powf(#k1))
                        };
                        let ba = self.scaled(a, quote!(#seed * #d));
                        return quote!({ #la #ba });
                    }
                    let (lb, vb) = self.bind(b, "e");
                    let ba = self.scaled(a, quote!(#seed * #vb * #va.powf(#vb - S::one())));
                    let bb = self.scaled(b, quote!(#seed * #va.powf(#vb) * #va.ln()));
                    quote!({ #la #lb #ba #bb })
                }
            },
            Expr::Unary(f, a) => {
                let (la, u) = self.bind(a, "u");
                let d = match f {
                    UnaryFn::Exp => quote!(#u.exp()),
                    UnaryFn::Ln => quote!(S::one() / #u),
                    UnaryFn::Sqrt => quote!(S::of(0.5) / #u.sqrt()),
                    UnaryFn::Sin => quote!(#u.cos()),
                    UnaryFn::Cos => quote!(-#u.sin()),
                    UnaryFn::Tan => quote!({ let t = #u.tan(); S::one() + t * t }),
                    UnaryFn::Tanh => quote!({ let t = #u.tanh(); S::one() - t * t }),
                    UnaryFn::Sigmoid => quote!({ let s = #u.sigmoid(); s * (S::one() - s) }),
                    UnaryFn::Softplus => quote!(#u.sigmoid()),
                    UnaryFn::Abs => quote!(#u.sign()),
                    UnaryFn::Relu => quote!(#u.heaviside()),
                };
                let ba = self.scaled(a, quote!(#seed * #d));
                quote!({ #la #ba })
            }
            Expr::Call2(f, a, b) => {
                let (la, va) = self.bind(a, "u");
                let (lb, vb) = self.bind(b, "w");
                let first = match f {
                    BinaryFn::Min => quote!(#va.re() <= #vb.re()),
                    BinaryFn::Max => quote!(#va.re() >= #vb.re()),
                };
                let (ba, bb) = (self.back(a, seed), self.back(b, seed));
                quote!({ #la #lb if #first { #ba } else { #bb } })
            }
            Expr::Sum { var, lo, hi, body } => {
                let (c, lo, hi) = (counter(*var), int(*lo), int(*hi));
                let b = self.back(body, seed);
                quote!(for #c in #lo..#hi { #b })
            }
            Expr::Fold {
                op,
                var,
                lo,
                hi,
                body,
            } => {
                let search = self.fold_search(*op, *var, *lo, *hi, body);
                let c = counter(*var);
                let b = self.back(body, seed);
                quote!({
                    let (_, arg) = #search;
                    let #c = arg;
                    #b
                })
            }
        }
    }

    /// `back(body, seed)` for a let's body whose value is stored (`stored`,
    /// the let's own entry): a root `tanh`, `sigmoid` or `exp` takes its
    /// derivative from the stored value (tanh' = 1 - t^2, sigmoid' =
    /// t (1 - t), exp' = t) instead of recomputing its argument and the
    /// function in the reverse pass.
    fn back_stored(&self, body: &Expr, stored: TokenStream, seed: &Ident) -> TokenStream {
        if let Expr::Unary(f, a) = body {
            let d = match f {
                UnaryFn::Tanh => Some(quote!({ let t = #stored; S::one() - t * t })),
                UnaryFn::Sigmoid => Some(quote!({ let t = #stored; t * (S::one() - t) })),
                UnaryFn::Exp => Some(stored),
                _ => None,
            };
            if let Some(d) = d {
                return self.scaled(a, quote!(#seed * #d));
            }
        }
        self.back(body, seed)
    }

    /// `back(e, s)` with `s` the value of `seed` bound to a fresh local.
    fn scaled(&self, e: &Expr, seed: TokenStream) -> TokenStream {
        if !self.active(e) {
            return quote!();
        }
        let s = self.fresh("s");
        let b = self.back(e, &s);
        quote!({ let #s = #seed; #b })
    }

    /// Loops over a let's own indices around `body`.
    fn let_loops(&self, l: &LetDef, body: TokenStream) -> TokenStream {
        let mut out = body;
        for (v, lo, hi) in l.indices.iter().rev() {
            let (c, lo, hi) = (counter(*v), int(*lo), int(*hi));
            out = quote!(for #c in #lo..#hi { #out });
        }
        out
    }

    /// The forward pass of cost `c` (0 leader, 1.. followers): the lets it
    /// needs into `t<k>`, then `let cost: S = ...;`; with `grad`, the
    /// reverse pass adding its gradient over the N player entries into `g`.
    pub(super) fn program(&self, c: usize, grad: bool) -> TokenStream {
        let cost = &self.model.program.costs[c];
        let mut need = vec![false; self.lets.len()];
        self.need(cost, &mut need);
        let mut fwd = Vec::new();
        for (k, l) in self.lets.iter().enumerate() {
            if !need[k] {
                continue;
            }
            let t = Ident::new(&format!("t{k}"), Span::call_site());
            let len = Literal::usize_unsuffixed(let_len(l));
            let zero = vec![0; l.indices.len()];
            let here: Vec<Index> = l
                .indices
                .iter()
                .map(|(v, _, _)| Index {
                    var: Some(*v),
                    offset: 0,
                })
                .collect();
            let _ = zero;
            let at = self.let_flat(k, &here);
            let body = self.val(&l.body);
            let assign = self.let_loops(l, quote!(#t[#at] = #body;));
            fwd.push(quote! {
                let mut #t: ::std::vec::Vec<S> = ::std::vec![S::zero(); #len];
                #assign
            });
        }
        let value = self.val(cost);
        if !grad {
            return quote! {
                #(#fwd)*
                let cost: S = #value;
            };
        }
        let mut rev = Vec::new();
        for (k, l) in self.lets.iter().enumerate() {
            if need[k] && self.let_active[k] {
                let a = Ident::new(&format!("a{k}"), Span::call_site());
                let len = Literal::usize_unsuffixed(let_len(l));
                rev.push(quote!(let mut #a: ::std::vec::Vec<S> = ::std::vec![S::zero(); #len];));
            }
        }
        let one = Ident::new("seed", Span::call_site());
        let top = self.back(cost, &one);
        rev.push(quote! {
            let seed = S::one();
            #top
        });
        for (k, l) in self.lets.iter().enumerate().rev() {
            if !(need[k] && self.let_active[k]) {
                continue;
            }
            let a = Ident::new(&format!("a{k}"), Span::call_site());
            let here: Vec<Index> = l
                .indices
                .iter()
                .map(|(v, _, _)| Index {
                    var: Some(*v),
                    offset: 0,
                })
                .collect();
            let at = self.let_flat(k, &here);
            let s = Ident::new("adj", Span::call_site());
            let t = Ident::new(&format!("t{k}"), Span::call_site());
            let b = self.back_stored(&l.body, quote!(#t[#at]), &s);
            rev.push(self.let_loops(l, quote!({ let adj = #a[#at]; #b })));
        }
        quote! {
            #(#fwd)*
            let cost: S = #value;
            #(#rev)*
        }
    }
}
