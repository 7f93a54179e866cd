//! A tape program ([`TapeProgram`]) as Rust, generic over the scalar `S`:
//! what the macro's tape form compiles. Every [`Val`] is the `Real`
//! operation of its name, nested as in the IR, so Rust evaluates what the
//! run-time back ends (`stackel-jit`) evaluate.
//!
//! Names: `x` the state (player entries, then the data), `p` the params,
//! `g` the gradient, `t<k>` / `a<k>` let k's values / adjoints, `i<n>` the
//! counter of sum variable n (an `i64`), `l<n>` local n.

use super::ir::{Addr, Array, Stmt, TapeProgram, Val};
use crate::model::BinaryFn;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

fn ident(stem: &str, k: impl std::fmt::Display) -> Ident {
    Ident::new(&format!("{stem}{k}"), Span::call_site())
}

fn int(k: i64) -> Literal {
    Literal::i64_unsuffixed(k)
}

/// `S::zero()`, `S::one()` or `S::of(c)`.
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

/// The array's name.
fn array(a: Array) -> TokenStream {
    match a {
        Array::X => quote!(x),
        Array::P => quote!(p),
        Array::Grad => quote!(g),
        Array::Let(k) => {
            let t = ident("t", k);
            quote!(#t)
        }
        Array::Adjoint(k) => {
            let a = ident("a", k);
            quote!(#a)
        }
    }
}

/// `(offset + i<c> * k + ...) as usize`.
fn addr(a: &Addr) -> TokenStream {
    let o = int(a.offset);
    let terms = a.terms.iter().map(|&(c, k)| {
        let (c, k) = (ident("i", c), int(k));
        quote!(+ #c * #k)
    });
    quote!(((#o #(#terms)*) as usize))
}

/// The lengths of the arrays every program reads: x (N player entries,
/// then the data), the params and the gradient (N).
#[derive(Clone, Copy, Debug)]
pub(super) struct Lens {
    /// N + ND.
    pub x: usize,
    /// NP.
    pub p: usize,
    /// N.
    pub grad: usize,
}

impl Lens {
    /// The lengths of the game of `dims` (d1, d2, NP, ND).
    pub(super) fn of(dims: [usize; 4]) -> Self {
        let n = dims[0] + dims[1];
        Lens {
            x: n + dims[3],
            p: dims[2],
            grad: n,
        }
    }
}

/// `let name: &[S; len] = ...` of a slice: a view of fixed length, so that
/// the optimiser can prove the program's indices (affine in counters of
/// constant ranges) in bounds and drop their checks, which otherwise keep
/// the dot products from vectorising.
fn view(name: &Ident, len: usize, mutable: bool) -> TokenStream {
    let len = Literal::usize_unsuffixed(len);
    if mutable {
        quote!(let #name: &mut [S; #len] = <&mut [S; #len]>::try_from(&mut #name[..#len]).unwrap();)
    } else {
        quote!(let #name: &[S; #len] = <&[S; #len]>::try_from(&#name[..#len]).unwrap();)
    }
}

/// One array of a program as its function sees it.
struct Param {
    /// Its name in the program's statements.
    name: Ident,
    /// Its name in the caller (`<name>_v` for owned arrays).
    outer: Ident,
    len: usize,
    mutable: bool,
    /// Allocated by the caller, zero (this thread's pool:
    /// `stackel_runtime::scratch`), rather than handed in.
    owned: bool,
}

/// Every array of `prog`: x, p, g (where it has a reverse pass), its
/// inputs, its kept lets, then each pass's adjoints (`a<k>_<pass>`).
fn params(prog: &TapeProgram, lens: Lens) -> Vec<Param> {
    let given = |name: &str, len, mutable| Param {
        name: ident(name, ""),
        outer: ident(name, ""),
        len,
        mutable,
        owned: false,
    };
    let mut out = vec![given("x", lens.x, false), given("p", lens.p, false)];
    if !prog.passes.is_empty() {
        out.push(given("g", lens.grad, true));
    }
    out.extend(
        prog.inputs
            .iter()
            .map(|&(k, len)| given(&format!("t{k}"), len, false)),
    );
    let owned = |name: Ident, len| Param {
        outer: ident(&name.to_string(), "_v"),
        name,
        len,
        mutable: true,
        owned: true,
    };
    out.extend(prog.lets.iter().map(|&(k, len)| owned(ident("t", k), len)));
    for (i, pass) in prog.passes.iter().enumerate() {
        out.extend(
            pass.adjoints
                .iter()
                .map(|&(k, len)| owned(ident("a", format!("{k}_{i}")), len)),
        );
    }
    out
}

/// `prog` as statements: its arrays, then an inner function that takes
/// every array as a parameter and runs the forward pass, the cost and each
/// reverse pass (a pass's adjoints start at zero), called to give `let
/// cost: S`. Parameters because only those tell the optimiser that the
/// arrays do not overlap, which the reverse passes need to vectorise.
/// `attr` goes on the inner function (a `target_feature`: an item inside
/// a function does not take its features).
fn run(prog: &TapeProgram, lens: Lens, attr: &TokenStream) -> TokenStream {
    let params = params(prog, lens);
    let setup = params.iter().map(|a| {
        let (outer, len) = (&a.outer, Literal::usize_unsuffixed(a.len));
        if a.owned {
            quote!(let mut #outer = __stackel::scratch::zeroed::<S>(#len);)
        } else {
            view(outer, a.len, a.mutable)
        }
    });
    let decls = params.iter().map(|a| {
        let (name, len) = (&a.name, Literal::usize_unsuffixed(a.len));
        if a.mutable {
            quote!(#name: &mut [S; #len])
        } else {
            quote!(#name: &[S; #len])
        }
    });
    let args = params.iter().map(|a| {
        let (outer, len) = (&a.outer, Literal::usize_unsuffixed(a.len));
        if a.owned {
            quote!(<&mut [S; #len]>::try_from(&mut #outer[..]).unwrap())
        } else {
            quote!(#outer)
        }
    });
    let forward = stmts(&prog.forward);
    let cost = val(&prog.cost);
    let passes = prog.passes.iter().enumerate().map(|(i, pass)| {
        let names = pass.adjoints.iter().map(|&(k, _)| {
            let (a, theirs) = (ident("a", k), ident("a", format!("{k}_{i}")));
            quote!(let #a = #theirs;)
        });
        let body = stmts(&pass.body);
        quote!({
            #(#names)*
            #body
        })
    });
    quote! {
        #(#setup)*
        #attr
        fn __program<S: __stackel::Real>(#(#decls),*) -> S {
            #forward
            let cost: S = #cost;
            #(#passes)*
            cost
        }
        let cost: S = __program(#(#args),*);
    }
}

/// The program's statements, ending with `cost: S` in scope (see [`run`]).
pub(super) fn program(prog: &TapeProgram, lens: Lens, attr: &TokenStream) -> TokenStream {
    run(prog, lens, attr)
}

/// A [`super::ir::Split`]'s primal program: its statements (see [`run`];
/// its cost is 0), then its let arrays as a tuple (in `prog.lets`' order).
pub(super) fn primal_lets(prog: &TapeProgram, lens: Lens, attr: &TokenStream) -> TokenStream {
    let body = run(prog, lens, attr);
    let names = prog.lets.iter().map(|&(k, _)| {
        let v = ident("t", format!("{k}_v"));
        quote!(#v.into_vec())
    });
    quote! {
        #body
        (#(#names,)*)
    }
}

/// The names of `prog`'s input arrays (`t<k>`, read as `&[S]`).
pub(super) fn input_names(prog: &TapeProgram) -> Vec<String> {
    prog.inputs.iter().map(|&(k, _)| format!("t{k}")).collect()
}

fn stmts(s: &[Stmt]) -> TokenStream {
    let s = s.iter().map(stmt);
    quote!(#(#s)*)
}

fn stmt(s: &Stmt) -> TokenStream {
    match s {
        Stmt::Loop { var, lo, hi, body } => {
            let (c, lo, hi, body) = (ident("i", var), int(*lo), int(*hi), stmts(body));
            quote!(for #c in (#lo as i64)..#hi { #body })
        }
        Stmt::Store(a, at, v) => {
            let (a, at, v) = (array(*a), addr(at), val(v));
            quote!(#a[#at] = #v;)
        }
        Stmt::AddTo(a, at, v) => {
            let (a, at, v) = (array(*a), addr(at), val(v));
            quote!(#a[#at] += #v;)
        }
        Stmt::Let(l, v) => {
            let (l, v) = (ident("l", l), val(v));
            quote!(let #l: S = #v;)
        }
        Stmt::Pick {
            a,
            b,
            ge,
            then,
            other,
        } => {
            let (a, b) = (ident("l", a), ident("l", b));
            let test = if *ge {
                quote!(#a.re() >= #b.re())
            } else {
                quote!(#a.re() <= #b.re())
            };
            let (then, other) = (stmts(then), stmts(other));
            quote!(if #test { #then } else { #other })
        }
        Stmt::ArgBest {
            op,
            var,
            lo,
            hi,
            body,
            then,
        } => {
            let search = best(*op, *var, *lo, *hi, body);
            let (c, then) = (ident("i", var), stmts(then));
            quote!({
                let (_, arg) = #search;
                let #c: i64 = arg;
                #then
            })
        }
    }
}

/// A block giving `(first best term, its index)` of `body` over `lo..hi`.
fn best(op: BinaryFn, var: u32, lo: i64, hi: i64, body: &Val) -> TokenStream {
    let (c, lo_l, next, hi_l) = (ident("i", var), int(lo), int(lo + 1), int(hi));
    let v = val(body);
    let better = match op {
        BinaryFn::Max => quote!(t.re() > best.re()),
        BinaryFn::Min => quote!(t.re() < best.re()),
    };
    quote!({
        let mut arg: i64 = #lo_l;
        let mut best = { let #c: i64 = #lo_l; #v };
        for #c in (#next as i64)..#hi_l {
            let t = #v;
            if #better {
                best = t;
                arg = #c;
            }
        }
        (best, arg)
    })
}

fn val(v: &Val) -> TokenStream {
    match v {
        Val::Const(c) => constant(*c),
        Val::Load(a, at) => {
            let (a, at) = (array(*a), addr(at));
            quote!(#a[#at])
        }
        Val::Counter(c, o) => {
            let (c, o) = (ident("i", c), int(*o));
            quote!(S::of((#c + #o) as f64))
        }
        Val::Local(l) => {
            let l = ident("l", l);
            quote!(#l)
        }
        Val::Neg(a) => {
            let a = val(a);
            quote!((-#a))
        }
        Val::Add(a, b) => {
            let (a, b) = (val(a), val(b));
            quote!((#a + #b))
        }
        Val::Sub(a, b) => {
            let (a, b) = (val(a), val(b));
            quote!((#a - #b))
        }
        Val::Mul(a, b) => {
            let (a, b) = (val(a), val(b));
            quote!((#a * #b))
        }
        Val::Div(a, b) => {
            let (a, b) = (val(a), val(b));
            quote!((#a / #b))
        }
        Val::Powi(a, n) => {
            let (a, n) = (val(a), Literal::i32_unsuffixed(*n));
            quote!(#a.powi(#n))
        }
        Val::Powf(a, b) => {
            let (a, b) = (val(a), val(b));
            quote!(#a.powf(#b))
        }
        Val::Unary(f, a) => {
            let (a, m) = (val(a), Ident::new(f.name(), Span::call_site()));
            quote!(#a.#m())
        }
        Val::Min(a, b) => {
            let (a, b) = (val(a), val(b));
            quote!(#a.min(#b))
        }
        Val::Max(a, b) => {
            let (a, b) = (val(a), val(b));
            quote!(#a.max(#b))
        }
        Val::Sign(a) => {
            let a = val(a);
            quote!(#a.sign())
        }
        Val::Heaviside(a) => {
            let a = val(a);
            quote!(#a.heaviside())
        }
        Val::OneMinusSquare(a) => {
            let a = val(a);
            quote!({ let t: S = #a; S::one() - t * t })
        }
        Val::OnePlusSquare(a) => {
            let a = val(a);
            quote!({ let t: S = #a; S::one() + t * t })
        }
        Val::SigmoidSlope(a) => {
            let a = val(a);
            quote!({ let s: S = #a; s * (S::one() - s) })
        }
        Val::Sum {
            var,
            lo,
            hi,
            body,
            lanes: true,
        } => {
            // four independent addition chains: the latency of a chain,
            // not the arithmetic, bounds a long dot product
            let (c, lo, hi, body) = (ident("i", var), int(*lo), int(*hi), val(body));
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
        Val::Sum {
            var, lo, hi, body, ..
        } => {
            let (c, lo, hi, body) = (ident("i", var), int(*lo), int(*hi), val(body));
            quote!({
                let mut acc = S::zero();
                for #c in (#lo as i64)..#hi {
                    acc += #body;
                }
                acc
            })
        }
        Val::Fold {
            op,
            var,
            lo,
            hi,
            body,
        } => {
            let search = best(*op, *var, *lo, *hi, body);
            quote!({ let (best, _) = #search; best })
        }
    }
}
