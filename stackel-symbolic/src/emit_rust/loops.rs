//! The loop form: an `impl Game` whose methods are Rust `for` loops with
//! constant bounds over the indexed compiler's expressions
//! ([`crate::indexed`]), so code size grows with the number of DSL
//! statements, not with the dimensions.
//!
//! - A sum is an accumulator loop; an indicator or delta in a product is a
//!   branch around it; outputs are written by one loop nest per player
//!   block, innermost over the contiguous (last) index. Factors a sum does
//!   not use were already moved out of it by the indexed compiler; other
//!   costly subexpressions (sums, calls) a loop does not depend on are
//!   computed once before it (loop-invariant hoisting, not below a guard),
//!   and a node used twice in one loop body or output entry (the product
//!   and chain rules share them) is computed once into a local.
//! - The operators (`d22f2_mul`, `d22f2_tmul`, `d21f2_mul`, `d21f2_tmul`,
//!   `f1_hvp`, `phi_hvp`) are generated directly (directional derivatives,
//!   no d x d object).
//! - The dense blocks are built column by column from the operators: exact,
//!   but one operator call per column and a column buffer allocated per
//!   call. This is the slow path of the loop form; the matrix-free runtime
//!   does not need it.
//! - The param blocks apply the param-direction derivative to each unit
//!   param direction in turn.
//! - `formulas()` prints the index-level formulas; `wgsl()` returns the
//!   loop-form WGSL module of [`crate::emit_wgsl_loops`] (same IR).

use super::code::{constant, lit};
use super::items;
use super::options::Options;
use crate::error::Errors;
use crate::indexed::expr::{children, Aff, Ex, Ix, Leaf, Node, E};
use crate::indexed::print::Printer;
use crate::indexed::{IndexedGame, Part};
use crate::model::{GameModel, Shape};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use std::collections::HashMap;
use std::rc::Rc;

/// Emits expressions of one game as Rust.
struct Gen<'a> {
    game: &'a IndexedGame,
    model: &'a GameModel,
    /// Per index variable: its loop counter runs over `value - shift`
    /// (shift = the sum's lower bound when that is negative, else 0).
    shift: HashMap<Ix, i64>,
    /// `Dir(p)` reads `dir[offset(p) - dir_base + flat]`.
    dir_base: usize,
    /// Subexpressions computed before the loop they do not depend on, by
    /// node: the local holding their value (in scope while their loop is
    /// emitted).
    hoisted: HashMap<*const Ex, Ident>,
    /// Number of hoisted locals so far (their names).
    next_hoisted: u32,
}

/// True if `e` contains a sum or a function call (worth computing once
/// outside a loop).
fn costly(e: &E) -> bool {
    match &e.node {
        Node::Sum { .. } | Node::Unary(..) | Node::Pow(..) | Node::Div(..) => true,
        _ => children(e).into_iter().any(costly),
    }
}

fn var(v: Ix) -> Ident {
    format_ident!("i{}", v.0)
}

fn signed_offset(u: TokenStream, c: i64) -> TokenStream {
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
    /// The largest costly subexpressions of `e` that use none of `inner`
    /// (the loop's variable and those bound inside it), not yet hoisted.
    /// Nothing below a guarded product is taken: its entries may index out
    /// of range where the guard is false.
    fn invariants(&self, e: &E, inner: &mut Vec<Ix>, out: &mut Vec<E>) {
        if self.hoisted.contains_key(&Rc::as_ptr(e)) {
            return;
        }
        if !inner.iter().any(|v| e.uses(*v)) {
            if costly(e) && !out.iter().any(|o| Rc::ptr_eq(o, e)) {
                out.push(e.clone());
            }
            return;
        }
        match &e.node {
            Node::Mul(xs)
                if xs
                    .iter()
                    .any(|x| matches!(x.node, Node::Range { .. } | Node::Delta(..))) => {}
            Node::Sum { var, body, .. } => {
                inner.push(*var);
                self.invariants(body, inner, out);
                inner.pop();
            }
            _ => {
                for c in children(e) {
                    self.invariants(c, inner, out);
                }
            }
        }
    }

    /// `let h = ..;` for each invariant of `e` in a loop over `inner`;
    /// registers them (see [`Gen::unhoist`]).
    fn hoist(&mut self, e: &E, inner: &[Ix]) -> (TokenStream, Vec<E>) {
        let mut found = Vec::new();
        self.invariants(e, &mut inner.to_vec(), &mut found);
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

    /// Counts the uses of each node of `e` (not inside sums, which are
    /// their own scopes, nor below guards).
    fn count_uses(&self, e: &E, counts: &mut HashMap<*const Ex, (usize, E)>) {
        if self.hoisted.contains_key(&Rc::as_ptr(e)) {
            return;
        }
        let c = counts.entry(Rc::as_ptr(e)).or_insert((0, e.clone()));
        c.0 += 1;
        if c.0 > 1 {
            return;
        }
        match &e.node {
            Node::Sum { .. } => {}
            Node::Mul(xs) if xs.iter().any(is_guard) => {}
            _ => {
                for c in children(e) {
                    self.count_uses(c, counts);
                }
            }
        }
    }

    /// `let c = ..;` for each non-leaf node used more than once in `e`
    /// (common subexpressions of the product and chain rules), smallest
    /// first; registers them like hoisted values.
    fn share(&mut self, e: &E) -> (TokenStream, Vec<E>) {
        let mut counts = HashMap::new();
        self.count_uses(e, &mut counts);
        let mut shared: Vec<(usize, E)> = counts
            .into_values()
            .filter(|(n, x)| *n > 1 && !children(x).is_empty())
            .map(|(_, x)| (crate::indexed::expr::tree_size(&x), x))
            .collect();
        shared.sort_by_key(|(size, _)| *size);
        let mut lets = Vec::new();
        let mut found = Vec::new();
        for (_, x) in shared {
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
    fn expr_shared(&mut self, e: &E) -> TokenStream {
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
    fn unhoist(&mut self, found: &[E]) {
        for f in found {
            self.hoisted.remove(&Rc::as_ptr(f));
        }
    }

    /// The loop counter of `a`'s variable and the constant to add to it.
    fn counter(&self, a: &Aff) -> Option<(TokenStream, i64)> {
        a.var.map(|v| {
            let u = var(v);
            (
                quote!(#u),
                a.offset + self.shift.get(&v).copied().unwrap_or(0),
            )
        })
    }

    /// `a` as a `usize` expression (in range where it is evaluated).
    fn index(&self, a: &Aff) -> TokenStream {
        match self.counter(a) {
            None => lit(a.offset as usize).into_token_stream(),
            Some((u, c)) => signed_offset(u, c),
        }
    }

    /// `offset + flat(index)` for a value of shape `shape`.
    fn flat(&self, offset: usize, shape: Shape, index: &[Aff]) -> TokenStream {
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
    fn cond(&self, e: &E) -> TokenStream {
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

    fn place(&self, q: usize, index: &[Aff]) -> TokenStream {
        let p = &self.model.params[q];
        let name = Ident::new(&p.name, p.span);
        let idx = index.iter().map(|a| self.index(a));
        quote!(self.#name #([#idx])*)
    }

    /// `e` as an expression of type `T`.
    fn expr(&mut self, e: &E) -> TokenStream {
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
    fn write(
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

/// A term `c * sum(k in lo..hi) body` of an output entry whose last
/// output index `b` appears in `body` only as the last index of entries
/// (contiguous in memory), split for the accumulating loop order:
/// `for k { f = c * (factors without b); for b { out[.., b] += f * rest } }`.
struct Accumulated {
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
fn contiguous_in(e: &E, b: Ix) -> bool {
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

fn is_guard(e: &E) -> bool {
    matches!(e.node, Node::Range { .. } | Node::Delta(..))
}

fn factors(e: &E) -> Vec<E> {
    match &e.node {
        Node::Mul(xs) => xs.clone(),
        _ => vec![e.clone()],
    }
}

/// `term` as an [`Accumulated`] sum over the last output index `b`, if it
/// has that form.
fn accumulated(term: &E, b: Ix) -> Option<Accumulated> {
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
    fn write_accumulating(&mut self, part: &Part, offset: usize) -> Option<TokenStream> {
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

/// `formulas()`: one entry per player block of every indexed vector and
/// operator ([`IndexedGame::vectors`]), e.g. `D1f1(v)[a,b] = ...`.
fn formulas_method(model: &GameModel, g: &IndexedGame) -> TokenStream {
    let blocks = g.vectors().into_iter().map(|(name, parts)| {
        let len: usize = parts.iter().map(|p| p.dims.iter().product::<usize>()).sum();
        let entries: Vec<String> = parts
            .iter()
            .map(|p| {
                let mut pr = Printer::new(model, &p.outs);
                let who = &model.player(p.player).name;
                let outs: Vec<String> = (0..p.outs.len())
                    .map(|k| ((b'a' + k as u8) as char).to_string())
                    .collect();
                let lhs = if outs.is_empty() {
                    format!("{name}({who})")
                } else {
                    format!("{name}({who})[{}]", outs.join(","))
                };
                format!("{lhs} = {}", pr.text(&p.expr))
            })
            .collect();
        let len = lit(len);
        quote! {
            {
                static ENTRIES: &[&str] = &[#(#entries),*];
                __stackel::BlockFormula {
                    block: #name,
                    shape: ::std::vec![#len],
                    entries: ENTRIES.iter().map(|e| ::std::string::ToString::to_string(e)).collect(),
                }
            }
        }
    });
    quote! {
        fn formulas(&self) -> ::std::vec::Vec<__stackel::BlockFormula> {
            ::std::vec![#(#blocks),*]
        }
    }
}

/// A dense block from an operator, column by column: `op` (a method of
/// `self` taking `x`, maybe `lambda`, the unit direction `e` and a column
/// buffer `col` of length `col_len`) for directions `cols` (within a
/// direction of length `dir_len`), rows `rows` of the column into an
/// output of `width` columns.
fn dense(
    call: TokenStream,
    dir_len: usize,
    col_len: usize,
    cols: (usize, usize),
    rows: (usize, usize),
) -> TokenStream {
    let (dir_len, col_len) = (lit(dir_len), lit(col_len));
    let width = cols.1 - cols.0;
    let (c0, c1, r0, r1) = (lit(cols.0), lit(cols.1), lit(rows.0), lit(rows.1));
    let w = lit(width);
    quote! {
        let mut e = ::std::vec![T::zero(); #dir_len];
        let mut col = ::std::vec![T::zero(); #col_len];
        for j in #c0..#c1 {
            e[j] = T::one();
            #call;
            e[j] = T::zero();
            for r in #r0..#r1 {
                out[(r - #r0) * #w + (j - #c0)] = col[r];
            }
        }
    }
}

/// One error per follower whose own gradient is identically zero, or
/// whose block of H = D22f2 is (the unrolled form also finds single
/// structurally zero rows).
fn check_followers(model: &GameModel, g: &IndexedGame) -> Result<(), Errors> {
    let mut errors = Errors::new();
    for (i, follower) in model.followers.iter().enumerate() {
        let name = &follower.name;
        if g.d2f2[i].expr.is_zero() {
            errors.push(
                follower.cost_span,
                format!(
                    "the cost of follower `{name}` does not depend on `{name}`, so D22f2 (the \
                     follower Hessian) is singular and its best response is undefined; a \
                     follower's cost must depend on its own variable"
                ),
            );
        } else if g.h_mul[i].expr.is_zero() {
            errors.push(
                follower.cost_span,
                format!(
                    "the cost of follower `{name}` is at most linear in `{name}` (its block of \
                     D22f2 is structurally zero), so D22f2 (the follower Hessian) is singular \
                     and the implicit map is undefined; the follower's cost must be curved in \
                     each of its own entries"
                ),
            );
        }
    }
    errors.into_result()
}

/// The whole loop-form game: struct, `Default`, and the `Game` impl; the
/// errors of followers without curvature.
pub fn emit(model: &GameModel, options: &Options) -> Result<TokenStream, Errors> {
    let g = IndexedGame::new(model);
    check_followers(model, &g)?;
    let (d1, d2, np) = (g.d1, g.d2, g.np);
    let n = d1 + d2;
    let (d1_l, d2_l, np_l, n_l) = (lit(d1), lit(d2), lit(np), lit(n));
    let mut gen = Gen {
        game: &g,
        model,
        shift: HashMap::new(),
        dir_base: 0,
        hoisted: HashMap::new(),
        next_hoisted: 0,
    };
    // f2 = -f1 proven structurally (one follower)
    let zero_sum = g.f2.len() == 1 && {
        use crate::indexed::expr::neg;
        neg(g.f1.clone()) == g.f2[0] || neg(g.f2[0].clone()) == g.f1
    };
    let info = items::info_method(model, zero_sum, true);
    let params = items::params_methods(model);
    let state = |p: &Part| g.player_offset(p.player);
    let follower = |p: &Part| g.player_offset(p.player) - d1;
    let f1 = gen.expr_shared(&g.f1);
    let follower_arms: Vec<TokenStream> =
        g.f2.iter()
            .enumerate()
            .map(|(i, f)| {
                let (i, b) = (lit(i), gen.expr_shared(f));
                quote!(#i => #b,)
            })
            .collect();
    let d1f1 = gen.write(&g.d1f1, &state, None);
    let d2f1 = gen.write(&g.d2f1, &follower, None);
    let d2f2 = gen.write(&g.d2f2, &follower, None);
    let omega_f = gen.write(&g.d2f2, &state, None);
    let d1phi = gen.write(&g.d1phi, &state, None);
    let d2phi = gen.write(&g.d2phi, &follower, None);
    let b_mul = gen.write(&g.b_mul, &follower, None);
    let f1_hvp = gen.write(&g.f1_hvp, &state, None);
    let phi_hvp = gen.write(&g.phi_hvp, &state, None);
    gen.dir_base = d1;
    let h_mul = gen.write(&g.h_mul, &follower, None);
    let k = quote!(k);
    let d1p_f1 = gen.write(&g.d1p_f1, &state, Some(&k));
    let d2p_f1 = gen.write(&g.d2p_f1, &follower, Some(&k));
    let d2p_f2 = gen.write(&g.d2p_f2, &follower, Some(&k));
    let d1p_phi = gen.write(&g.d1p_phi, &state, Some(&k));
    let d2p_phi = gen.write(&g.d2p_phi, &follower, Some(&k));
    let param_block = |rows: usize, body: &TokenStream| {
        let len = lit(rows * np);
        quote! {
            let out = &mut out[..#len];
            let mut pdir = [0.0f64; #np_l];
            for k in 0..#np_l {
                pdir[k] = 1.0;
                #body
                pdir[k] = 0.0;
            }
        }
    };
    let (d1p_f1, d2p_f1, d2p_f2, d1p_phi, d2p_phi) = (
        param_block(d1, &d1p_f1),
        param_block(d2, &d2p_f1),
        param_block(d2, &d2p_f2),
        param_block(d1, &d1p_phi),
        param_block(d2, &d2p_phi),
    );
    let hvp = quote!(self.f1_hvp(x, &e, &mut col));
    let phi = quote!(self.phi_hvp(x, lambda, &e, &mut col));
    let d11f1 = dense(hvp.clone(), n, n, (0, d1), (0, d1));
    let d12f1 = dense(hvp.clone(), n, n, (d1, n), (0, d1));
    let d22f1 = dense(hvp, n, n, (d1, n), (d1, n));
    let d11phi = dense(phi.clone(), n, n, (0, d1), (0, d1));
    let d12phi = dense(phi.clone(), n, n, (d1, n), (0, d1));
    let d21phi = dense(phi.clone(), n, n, (0, d1), (d1, n));
    let d22phi = dense(phi, n, n, (d1, n), (d1, n));
    let d22f2 = dense(
        quote!(self.d22f2_mul(x, &e, &mut col)),
        d2,
        d2,
        (0, d2),
        (0, d2),
    );
    let d21f2 = dense(
        quote!(self.d21f2_mul(x, &e, &mut col)),
        d1,
        d2,
        (0, d1),
        (0, d2),
    );
    let formulas = formulas_method(model, &g);
    let wgsl = crate::emit_wgsl_loops::emit_indexed(model, &g);
    Ok(items::game_impl(
        model,
        options,
        [d1, d2, np],
        quote! {
                #info
                #params

                fn leader_cost<T: __stackel::Real>(&self, x: &[T]) -> T {
                    let x = &x[..#n_l];
                    #f1
                }

                /// f_{2^i}; NaN for an index past the last follower.
                fn follower_cost<T: __stackel::Real>(&self, i: usize, x: &[T]) -> T {
                    let x = &x[..#n_l];
                    match i {
                        #(#follower_arms)*
                        _ => T::of(::core::f64::NAN),
                    }
                }

                fn d1f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let (x, out) = (&x[..#n_l], &mut out[..#d1_l]);
                    #d1f1
                }

                fn d2f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let (x, out) = (&x[..#n_l], &mut out[..#d2_l]);
                    #d2f1
                }

                fn d2f2<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let (x, out) = (&x[..#n_l], &mut out[..#d2_l]);
                    #d2f2
                }

                fn omega<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let (x, out) = (&x[..#n_l], &mut out[..#n_l]);
                    #d1f1
                    #omega_f
                }

                fn d22f2_mul<T: __stackel::Real>(&self, x: &[T], w: &[T], out: &mut [T]) {
                    let (x, dir, out) = (&x[..#n_l], &w[..#d2_l], &mut out[..#d2_l]);
                    #h_mul
                }

                fn d22f2_tmul<T: __stackel::Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
                    let (x, lambda, out) = (&x[..#n_l], &v[..#d2_l], &mut out[..#d2_l]);
                    #d2phi
                }

                fn d21f2_mul<T: __stackel::Real>(&self, x: &[T], u: &[T], out: &mut [T]) {
                    let (x, dir, out) = (&x[..#n_l], &u[..#d1_l], &mut out[..#d2_l]);
                    #b_mul
                }

                fn d21f2_tmul<T: __stackel::Real>(&self, x: &[T], v: &[T], out: &mut [T]) {
                    let (x, lambda, out) = (&x[..#n_l], &v[..#d2_l], &mut out[..#d1_l]);
                    #d1phi
                }

                fn f1_hvp<T: __stackel::Real>(&self, x: &[T], dir: &[T], out: &mut [T]) {
                    let (x, dir, out) = (&x[..#n_l], &dir[..#n_l], &mut out[..#n_l]);
                    #f1_hvp
                }

                fn phi_hvp<T: __stackel::Real>(&self, x: &[T], lambda: &[T], dir: &[T], out: &mut [T]) {
                    let (x, lambda, dir, out) = (&x[..#n_l], &lambda[..#d2_l], &dir[..#n_l], &mut out[..#n_l]);
                    #phi_hvp
                }

                /// Column by column from `f1_hvp` (the loop form's slow path).
                fn d11f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) { #d11f1 }
                /// Column by column from `f1_hvp`.
                fn d12f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) { #d12f1 }
                /// Column by column from `f1_hvp`.
                fn d22f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) { #d22f1 }
                /// Column by column from `d22f2_mul`.
                fn d22f2<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) { #d22f2 }
                /// Column by column from `d21f2_mul`.
                fn d21f2<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) { #d21f2 }
                /// Column by column from `phi_hvp`.
                fn d11phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) { #d11phi }
                /// Column by column from `phi_hvp`.
                fn d12phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) { #d12phi }
                /// Column by column from `phi_hvp`.
                fn d21phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) { #d21phi }
                /// Column by column from `phi_hvp`.
                fn d22phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) { #d22phi }

                fn d1p_f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let x = &x[..#n_l];
                    #d1p_f1
                }
                fn d2p_f1<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let x = &x[..#n_l];
                    #d2p_f1
                }
                fn d2p_f2<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                    let x = &x[..#n_l];
                    #d2p_f2
                }
                fn d1p_phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
                    let (x, lambda) = (&x[..#n_l], &lambda[..#d2_l]);
                    #d1p_phi
                }
                fn d2p_phi<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
                    let (x, lambda) = (&x[..#n_l], &lambda[..#d2_l]);
                    #d2p_phi
                }

                #formulas

                /// The loop-form WGSL module (`emit_wgsl_loops`).
                fn wgsl(&self) -> ::core::option::Option<&'static str> {
                    ::core::option::Option::Some(#wgsl)
                }
        },
    ))
}
