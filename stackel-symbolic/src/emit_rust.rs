//! Rust emission: the game struct, its `GameInfo`, and an
//! `impl ::stackel::Game` whose every method is allocation-free straight-line
//! code generic over `T: ::stackel::Real`, plus the readable formulas of
//! every block (written by [`crate::formula`]).
//!
//! The impl sits in `const _: () = { use ::stackel as __stackel; .. };` and
//! names everything through `__stackel`, so `#[stackel(crate = path)]` on the
//! game (serde's `#[serde(crate = "..")]` pattern) points it at another path
//! to the runtime, e.g. `stackel_runtime` for code that depends on the
//! runtime but not on the facade crate.

use crate::error::Errors;
pub use crate::formula::{block_formulas, formula, Names, FORMULA_CAP};
use crate::ir::{Op, Operand, Program};
use crate::lower::{derive, programs_of, GameDerivatives};
use crate::model::{GameModel, Shape};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

/// Emits the game's Rust code.
pub fn generate(model: &GameModel) -> Result<TokenStream, Errors> {
    Options::of(&model.attrs)?;
    let d = derive(model)?;
    Ok(emit(model, &d))
}

/// The game's `#[stackel(..)]` options, and its other attributes (passed on
/// to the struct).
pub struct Options {
    /// The path of the runtime crate: `::stackel` unless
    /// `#[stackel(crate = path)]` (or `crate = "path"`) says otherwise.
    pub krate: syn::Path,
    /// Every attribute but `#[stackel(..)]`.
    pub attrs: TokenStream,
}

impl Options {
    /// Splits `attrs` into the `#[stackel(..)]` options and the rest; an
    /// unknown option, a malformed path or a repeated `crate` is an error at
    /// its span.
    pub fn of(attrs: &TokenStream) -> Result<Options, Errors> {
        let parsed = syn::parse::Parser::parse2(syn::Attribute::parse_outer, attrs.clone())?;
        let mut krate: Option<syn::Path> = None;
        let mut rest = TokenStream::new();
        let mut errors = Errors::new();
        for a in parsed {
            if !a.path().is_ident("stackel") {
                rest.extend(quote!(#a));
                continue;
            }
            let r = a.parse_nested_meta(|m| {
                if !m.path.is_ident("crate") {
                    return Err(m.error(
                        "unknown stackel option; the only one is `crate = path` (the path of the stackel runtime crate)",
                    ));
                }
                let v = m.value()?;
                let path = if v.peek(syn::LitStr) {
                    v.parse::<syn::LitStr>()?.parse::<syn::Path>()?
                } else {
                    v.parse::<syn::Path>()?
                };
                if krate.is_some() {
                    return Err(syn::Error::new_spanned(&path, "`crate` given twice"));
                }
                krate = Some(path);
                Ok(())
            });
            if let Err(e) = r {
                errors.extend(e.into());
            }
        }
        errors.into_result()?;
        Ok(Options {
            krate: krate.unwrap_or_else(|| syn::parse_quote!(::stackel)),
            attrs: rest,
        })
    }
}

fn lit(k: usize) -> Literal {
    Literal::usize_unsuffixed(k)
}

/// `T::of(c)` (or `T::zero()` / `T::one()`).
fn constant(c: f64) -> TokenStream {
    if c == 0.0 {
        return quote!(T::zero());
    }
    if c == 1.0 {
        return quote!(T::one());
    }
    let magnitude = if c.is_nan() {
        return quote!(T::of(::core::f64::NAN));
    } else if c.is_infinite() {
        quote!(::core::f64::INFINITY)
    } else {
        let l = Literal::f64_unsuffixed(c.abs());
        quote!(#l)
    };
    if c < 0.0 {
        quote!(T::of(-#magnitude))
    } else {
        quote!(T::of(#magnitude))
    }
}

/// Largest hot-path program (instructions plus output entries) emitted
/// `#[inline(always)]`; larger ones get `#[inline]`.
///
/// The CPU engine's small-state kernel runs its trajectory loop inside
/// `#[target_feature]` functions (one per SIMD tier) and vectorises it
/// across trajectories only when the game's block code is inlined there.
/// LLVM's inliner declines a plain `#[inline]` callee at those call sites
/// (a hint only), which leaves one scalar call per trajectory and step: 3-7x
/// slower than a hand-written game whose tiny blocks it does inline. Forcing
/// it for small programs costs nothing in compile time; large games (the
/// covariance game at m = 9 has tens of thousands of instructions) keep the
/// hint so that their callers are not bloated.
pub const INLINE_ALWAYS_MAX: usize = 1024;

/// Whether `program` (instructions plus output entries) is at most
/// [`INLINE_ALWAYS_MAX`].
fn small_program(program: &Program) -> bool {
    let entries: usize = program.outputs.iter().map(|o| o.entries.len()).sum();
    program.instrs.len() + entries <= INLINE_ALWAYS_MAX
}

/// `#[inline(always)]` when `always`, else `#[inline]`.
fn inline_tokens(always: bool) -> TokenStream {
    if always {
        quote!(#[inline(always)])
    } else {
        quote!(#[inline])
    }
}

/// The inline attribute of a method running `program`.
fn inline_attr(program: &Program) -> TokenStream {
    inline_tokens(small_program(program))
}

fn tmp(t: u32) -> Ident {
    format_ident!("t{}", t)
}

fn operand(o: Operand) -> TokenStream {
    match o {
        Operand::Tmp(t) => {
            let t = tmp(t);
            quote!(#t)
        }
        Operand::Const(c) => constant(c),
        Operand::State(k) => {
            let k = lit(k as usize);
            quote!(x[#k])
        }
        Operand::Param(k) => {
            let p = format_ident!("p{}", k);
            quote!(#p)
        }
        Operand::Lambda(k) => {
            let k = lit(k as usize);
            quote!(lambda[#k])
        }
    }
}

fn op_tokens(op: &Op) -> TokenStream {
    let o = |x: &Operand| operand(*x);
    match op {
        Op::Add(a, b) => {
            let (a, b) = (o(a), o(b));
            quote!(#a + #b)
        }
        Op::Sub(a, b) => {
            let (a, b) = (o(a), o(b));
            quote!(#a - #b)
        }
        Op::Mul(a, b) => {
            let (a, b) = (o(a), o(b));
            quote!(#a * #b)
        }
        Op::Div(a, b) => {
            let (a, b) = (o(a), o(b));
            quote!(#a / #b)
        }
        Op::Neg(a) => {
            let a = o(a);
            quote!(-#a)
        }
        Op::Powi(a, n) => {
            let a = o(a);
            let n = Literal::i32_unsuffixed(*n);
            quote!(__stackel::Real::powi(#a, #n))
        }
        Op::Powf(a, b) => {
            let (a, b) = (o(a), o(b));
            quote!(__stackel::Real::powf(#a, #b))
        }
        Op::Unary(f, a) => {
            let a = o(a);
            let f = Ident::new(f.name(), Span::call_site());
            quote!(__stackel::Real::#f(#a))
        }
        Op::Sign(a) => {
            let a = o(a);
            quote!(__stackel::Real::sign(#a))
        }
        Op::Heaviside(a) => {
            let a = o(a);
            quote!(__stackel::Real::heaviside(#a))
        }
        Op::Min(a, b) => {
            let (a, b) = (o(a), o(b));
            quote!(__stackel::Real::min(#a, #b))
        }
        Op::Max(a, b) => {
            let (a, b) = (o(a), o(b));
            quote!(__stackel::Real::max(#a, #b))
        }
        Op::Le(a, b) => {
            let (a, b) = (o(a), o(b));
            quote!(if __stackel::Real::re(#a) <= __stackel::Real::re(#b) { T::one() } else { T::zero() })
        }
    }
}

/// Where each flat param lives on `self` (`self.a`, `self.v[1]`, `self.m[0][2]`).
fn param_places(model: &GameModel) -> Vec<TokenStream> {
    let mut out = Vec::new();
    for p in &model.params {
        let name = Ident::new(&p.name, p.span);
        for i in 0..p.shape.len() {
            out.push(match p.shape {
                Shape::Scalar => quote!(self.#name),
                Shape::Vector(_) => {
                    let i = lit(i);
                    quote!(self.#name[#i])
                }
                Shape::Matrix(_, m) => {
                    let (r, c) = (lit(i / m), lit(i % m));
                    quote!(self.#name[#r][#c])
                }
            });
        }
    }
    out
}

/// Straight-line statements of `program`: params loaded once, the output
/// slices bound, then one assignment per instruction, each output entry
/// written right after its value is computed.
///
/// Temporaries live in a few reused mutable slots (`t0`, `t1`, ...: a
/// linear scan over the straight-line code) rather than one `let` each: a
/// `let` opens a lexical scope, and tens of thousands of nested scopes
/// overflow LLVM's debug-info pass in dev builds. Optimised code is the
/// same either way (SSA construction undoes the reuse).
///
/// `result`, if given, is an operand the caller reads after the statements
/// (its slot is kept).
fn body(
    program: &Program,
    places: &[TokenStream],
    targets: &[TokenStream],
    result: Option<Operand>,
) -> TokenStream {
    let mut used = std::collections::BTreeSet::new();
    let mut note = |o: &Operand| {
        if let Operand::Param(k) = o {
            used.insert(*k);
        }
    };
    for ins in &program.instrs {
        for o in ins.op.operands() {
            note(&o);
        }
    }
    for out in &program.outputs {
        out.entries.iter().for_each(&mut note);
    }
    if let Some(r) = &result {
        note(r);
    }
    let loads = used.iter().map(|k| {
        let p = format_ident!("p{}", k);
        let place = &places[*k as usize];
        quote!(let #p: T = T::of(#place);)
    });
    let slices = program
        .outputs
        .iter()
        .zip(targets)
        .enumerate()
        .map(|(k, (out, target))| {
            let o = format_ident!("o{}", k);
            let len = lit(out.entries.len());
            quote!(let #o = &mut #target[..#len];)
        });
    let write = |k: usize, e: usize, v: Operand| {
        let (o, e, v) = (format_ident!("o{}", k), lit(e), operand(v));
        quote!(#o[#e] = #v;)
    };
    // Entries that are not temporaries are written first; the others right
    // after their instruction.
    // Outputs with many structural zeros are zero-filled first and only
    // their other entries written.
    let mut early = Vec::new();
    let mut writes_of: Vec<Vec<(usize, usize)>> = vec![Vec::new(); program.temp_count()];
    for (k, out) in program.outputs.iter().take(targets.len()).enumerate() {
        let is_zero =
            |v: &Operand| matches!(v, Operand::Const(c) if *c == 0.0 && c.is_sign_positive());
        let fill = out.entries.iter().filter(|v| is_zero(v)).count() > 4;
        if fill {
            let o = format_ident!("o{}", k);
            early.push(quote!(#o.fill(T::zero());));
        }
        for (e, v) in out.entries.iter().enumerate() {
            match v {
                Operand::Tmp(t) => writes_of[*t as usize].push((k, e)),
                other if fill && is_zero(other) => {}
                other => early.push(write(k, e, *other)),
            }
        }
    }
    // Last instruction reading each temporary (usize::MAX: read at the end).
    let mut last_use: Vec<Option<usize>> = vec![None; program.temp_count()];
    for (i, ins) in program.instrs.iter().enumerate() {
        for o in ins.op.operands() {
            if let Operand::Tmp(t) = o {
                last_use[t as usize] = Some(i);
            }
        }
    }
    if let Some(Operand::Tmp(t)) = result {
        last_use[t as usize] = Some(usize::MAX);
    }
    let mut slot = vec![0u32; program.temp_count()];
    let mut free: Vec<u32> = Vec::new();
    let mut slots = 0u32;
    let in_slots = |o: Operand, slot: &[u32]| match o {
        Operand::Tmp(t) => Operand::Tmp(slot[t as usize]),
        other => other,
    };
    let mut statements = Vec::new();
    for (i, ins) in program.instrs.iter().enumerate() {
        let op = ins.op.map_operands(|o| in_slots(o, &slot));
        for o in ins.op.operands() {
            if let Operand::Tmp(t) = o {
                if last_use[t as usize] == Some(i) && !free.contains(&slot[t as usize]) {
                    free.push(slot[t as usize]);
                }
            }
        }
        let s = free.pop().unwrap_or_else(|| {
            slots += 1;
            slots - 1
        });
        slot[ins.dst as usize] = s;
        let (t, e) = (tmp(s), op_tokens(&op));
        statements.push(quote!(#t = #e;));
        for (k, e) in &writes_of[ins.dst as usize] {
            statements.push(write(*k, *e, Operand::Tmp(s)));
        }
        if last_use[ins.dst as usize].is_none() {
            free.push(s);
        }
    }
    let declarations = (0..slots).map(|s| {
        let t = tmp(s);
        quote!(let mut #t: T;)
    });
    let ret = result.map(|r| operand(in_slots(r, &slot)));
    quote!(#(#loads)* #(#slices)* #(#early)* #(#declarations)* #(#statements)* #ret)
}

/// A scalar-returning body (the costs).
fn scalar_body(program: &Program, places: &[TokenStream]) -> TokenStream {
    let statements = body(program, places, &[], Some(program.outputs[0].entries[0]));
    quote!({ #statements })
}

fn shape_tokens(s: &[usize]) -> TokenStream {
    let s = s.iter().map(|k| lit(*k));
    quote!(&[#(#s),*])
}

/// Derives the user already asked for, so ours do not collide.
fn user_derives(attrs: &TokenStream) -> Vec<String> {
    let Ok(attrs) = syn::parse::Parser::parse2(syn::Attribute::parse_outer, attrs.clone()) else {
        return vec![];
    };
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = a.parse_nested_meta(|m| {
            if let Some(last) = m.path.segments.last() {
                out.push(last.ident.to_string());
            }
            Ok(())
        });
    }
    out
}

/// All tokens for `model` with derivatives `d`.
///
/// A malformed `#[stackel(..)]` option gives its compile errors instead.
pub fn emit(model: &GameModel, d: &GameDerivatives) -> TokenStream {
    let options = match Options::of(&model.attrs) {
        Ok(o) => o,
        Err(e) => return e.to_compile_errors(),
    };
    let krate = &options.krate;
    let name = Ident::new(&model.name, model.name_span);
    let vis = &model.vis;
    let attrs = &options.attrs;
    let (d1, d2, np) = (d.d1, d.d2, d.np);
    let places = param_places(model);
    let n_l = lit(d1 + d2);
    let (d1_l, d2_l, np_l) = (lit(d1), lit(d2), lit(np));

    // The struct and its Default.
    let fields = model.params.iter().map(|p| {
        let f = Ident::new(&p.name, p.span);
        let ty = match p.shape {
            Shape::Scalar => quote!(f64),
            Shape::Vector(n) => {
                let n = lit(n);
                quote!([f64; #n])
            }
            Shape::Matrix(n, m) => {
                let (n, m) = (lit(n), lit(m));
                quote!([[f64; #m]; #n])
            }
        };
        let doc = match &p.default {
            Some(v) if v.len() == 1 => format!(" The param `{}` (default {}).", p.name, v[0]),
            Some(v) => format!(" The param `{}` (default {:?}, row-major).", p.name, v),
            None => format!(" The param `{}` (no default).", p.name),
        };
        quote!(#[doc = #doc] pub #f: #ty)
    });
    let struct_body = if model.params.is_empty() {
        quote!(;)
    } else {
        quote!({ #(#fields),* })
    };
    let have = user_derives(attrs);
    let derives: Vec<Ident> = ["Clone", "Copy", "Debug", "PartialEq"]
        .iter()
        .filter(|d| !have.iter().any(|h| h == *d))
        .map(|d| Ident::new(d, Span::call_site()))
        .collect();
    let derive_attr = if derives.is_empty() {
        quote!()
    } else {
        quote!(#[derive(#(#derives),*)])
    };
    let default_impl = if model.params.iter().all(|p| p.default.is_some()) {
        let inits = model.params.iter().map(|p| {
            let f = Ident::new(&p.name, p.span);
            let v = p.default.clone().unwrap_or_default();
            let num = |x: f64| {
                let l = Literal::f64_suffixed(x.abs());
                if x < 0.0 || (x == 0.0 && x.is_sign_negative()) {
                    quote!(-#l)
                } else {
                    quote!(#l)
                }
            };
            let value = match p.shape {
                Shape::Scalar => num(v[0]),
                Shape::Vector(_) => {
                    let xs = v.iter().map(|x| num(*x));
                    quote!([#(#xs),*])
                }
                Shape::Matrix(_, m) => {
                    let rows = v.chunks(m).map(|r| {
                        let xs = r.iter().map(|x| num(*x));
                        quote!([#(#xs),*])
                    });
                    quote!([#(#rows),*])
                }
            };
            quote!(#f: #value)
        });
        // a game without params is a unit struct (`Quadratic` is a value)
        let value = if model.params.is_empty() {
            quote!()
        } else {
            quote!({ #(#inits),* })
        };
        quote! {
            #[allow(clippy::all)]
            impl ::core::default::Default for #name {
                fn default() -> Self {
                    #name #value
                }
            }
        }
    } else {
        quote!()
    };

    // GameInfo.
    let player_info = |p: usize| {
        let pl = model.player(p);
        let n = &pl.name;
        let shape = shape_tokens(&pl.shape.dims());
        let offset = lit(model.player_offset(p));
        let dim = lit(pl.shape.len());
        let angle = pl.angle;
        quote!(__stackel::PlayerInfo { name: #n, shape: #shape, offset: #offset, dim: #dim, angle: #angle })
    };
    let leader_info = player_info(0);
    let follower_infos = (1..=model.followers.len()).map(player_info);
    let mut offset = 0;
    let param_infos: Vec<TokenStream> = model
        .params
        .iter()
        .map(|p| {
            let n = &p.name;
            let shape = shape_tokens(&p.shape.dims());
            let (o, len) = (lit(offset), lit(p.shape.len()));
            offset += p.shape.len();
            quote!(__stackel::ParamInfo { name: #n, shape: #shape, offset: #o, len: #len })
        })
        .collect();
    let game_name = &model.name;
    let zero_sum = d.zero_sum;

    // params / set_params.
    let get = places.iter().enumerate().map(|(k, place)| {
        let k = lit(k);
        quote!(out[#k] = #place;)
    });
    let set = places.iter().enumerate().map(|(k, place)| {
        let k = lit(k);
        quote!(#place = p[#k];)
    });

    // Costs.
    let leader_program = d.cost_program(d.f1);
    let leader_inline = inline_attr(&leader_program);
    let leader_cost = scalar_body(&leader_program, &places);
    let follower_programs: Vec<Program> = d.f2.iter().map(|f| d.cost_program(*f)).collect();
    let follower_inline = inline_tokens(follower_programs.iter().all(small_program));
    let follower_arms = follower_programs.iter().enumerate().map(|(i, p)| {
        let i = lit(i);
        let b = scalar_body(p, &places);
        quote!(#i => #b,)
    });

    // Derivative blocks.
    let single = |block: &str| {
        let prog = d.program(&[block]);
        (
            inline_attr(&prog),
            body(&prog, &places, &[quote!(out)], None),
        )
    };
    let omega_program = d.omega_program();
    let omega_inline = inline_attr(&omega_program);
    let omega = body(&omega_program, &places, &[quote!(out)], None);
    let parts_program = d.stackelberg_parts_program();
    let parts_inline = inline_attr(&parts_program);
    let parts = body(
        &parts_program,
        &places,
        &[
            quote!(out.d1f1),
            quote!(out.d2f1),
            quote!(out.d2f2),
            quote!(out.d22f2),
            quote!(out.d21f2),
        ],
        None,
    );
    let second_program = d.program(&[
        "D11f1", "D12f1", "D22f1", "D22f2", "D21f2", "D11phi", "D12phi", "D21phi", "D22phi",
    ]);
    let second_inline = inline_attr(&second_program);
    let second = body(
        &second_program,
        &places,
        &[
            quote!(out.d11f1),
            quote!(out.d12f1),
            quote!(out.d22f1),
            quote!(out.d22f2),
            quote!(out.d21f2),
            quote!(out.d11phi),
            quote!(out.d12phi),
            quote!(out.d21phi),
            quote!(out.d22phi),
        ],
        None,
    );
    let method = |fn_name: &str, block: &str| {
        let f = Ident::new(fn_name, Span::call_site());
        let (inline, b) = single(block);
        quote! {
            #inline
            fn #f<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                let x = &x[..#n_l];
                #b
            }
        }
    };
    let phi_method = |fn_name: &str, block: &str| {
        let f = Ident::new(fn_name, Span::call_site());
        let (inline, b) = single(block);
        quote! {
            #inline
            fn #f<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: &mut [T]) {
                let x = &x[..#n_l];
                let lambda = &lambda[..#d2_l];
                #b
            }
        }
    };
    let plain: Vec<TokenStream> = [
        ("d1f1", "D1f1"),
        ("d2f1", "D2f1"),
        ("d2f2", "D2f2"),
        ("d11f1", "D11f1"),
        ("d12f1", "D12f1"),
        ("d22f1", "D22f1"),
        ("d22f2", "D22f2"),
        ("d21f2", "D21f2"),
        ("d1p_f1", "D1pf1"),
        ("d2p_f1", "D2pf1"),
        ("d2p_f2", "D2pf2"),
    ]
    .iter()
    .map(|(f, b)| method(f, b))
    .collect();
    let phis: Vec<TokenStream> = [
        ("d11phi", "D11phi"),
        ("d12phi", "D12phi"),
        ("d21phi", "D21phi"),
        ("d22phi", "D22phi"),
        ("d1p_phi", "D1pphi"),
        ("d2p_phi", "D2pphi"),
    ]
    .iter()
    .map(|(f, b)| phi_method(f, b))
    .collect();

    let formulas = block_formulas(model, d).into_iter().map(|(block, shape, entries)| {
        let shape = shape.iter().map(|k| lit(*k));
        quote! {
            {
                static ENTRIES: &[&str] = &[#(#entries),*];
                __stackel::BlockFormula {
                    block: #block,
                    shape: ::std::vec![#(#shape),*],
                    entries: ENTRIES.iter().map(|e| ::std::string::ToString::to_string(e)).collect(),
                }
            }
        }
    });
    let wgsl = crate::emit_wgsl::emit_game(&programs_of(model, d));

    quote! {
        #attrs
        #derive_attr
        #vis struct #name #struct_body

        #default_impl

        const _: () = {
        use #krate as __stackel;

        #[allow(unused_variables, unused_mut, unused_parens, unused_braces, clippy::all)]
        impl __stackel::Game for #name {
            const D1: usize = #d1_l;
            const D2: usize = #d2_l;
            const NP: usize = #np_l;

            fn info(&self) -> &'static __stackel::GameInfo {
                static INFO: __stackel::GameInfo = __stackel::GameInfo {
                    name: #game_name,
                    leader: #leader_info,
                    followers: &[#(#follower_infos),*],
                    params: &[#(#param_infos),*],
                    zero_sum: #zero_sum,
                };
                &INFO
            }

            fn params(&self, out: &mut [f64]) {
                let out = &mut out[..#np_l];
                #(#get)*
            }

            fn set_params(&mut self, p: &[f64]) {
                let p = &p[..#np_l];
                #(#set)*
            }

            #leader_inline
            fn leader_cost<T: __stackel::Real>(&self, x: &[T]) -> T {
                let x = &x[..#n_l];
                #leader_cost
            }

            /// f_{2^i}; NaN for an index past the last follower.
            #follower_inline
            fn follower_cost<T: __stackel::Real>(&self, i: usize, x: &[T]) -> T {
                let x = &x[..#n_l];
                match i {
                    #(#follower_arms)*
                    _ => T::of(::core::f64::NAN),
                }
            }

            #omega_inline
            fn omega<T: __stackel::Real>(&self, x: &[T], out: &mut [T]) {
                let x = &x[..#n_l];
                #omega
            }

            #parts_inline
            fn stackelberg_parts<T: __stackel::Real>(&self, x: &[T], out: __stackel::StackelbergParts<'_, T>) {
                let x = &x[..#n_l];
                #parts
            }

            #second_inline
            fn second_order_parts<T: __stackel::Real>(&self, x: &[T], lambda: &[T], out: __stackel::SecondOrderParts<'_, T>) {
                let x = &x[..#n_l];
                let lambda = &lambda[..#d2_l];
                #second
            }

            #(#plain)*
            #(#phis)*

            fn formulas(&self) -> ::std::vec::Vec<__stackel::BlockFormula> {
                ::std::vec![#(#formulas),*]
            }

            fn wgsl(&self) -> ::core::option::Option<&'static str> {
                ::core::option::Option::Some(#wgsl)
            }
        }
        };
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    /// The `#[inline...]` attribute text directly before `fn name<`.
    fn inline_of(code: &str, name: &str) -> String {
        let at = code
            .find(&format!("fn {name} <"))
            .unwrap_or_else(|| panic!("no fn {name}"));
        let start = code[..at].rfind("# [inline").expect("an inline attribute");
        code[start..at].trim().to_string()
    }

    #[test]
    fn small_games_force_inlining_of_every_hot_method() {
        let code = crate::compile(quote! {
            game Duopoly {
                param a = 100.0; param c1 = 5.0; param c2 = 2.0;
                leader q1; follower q2;
                let price = a - q1 - q2;
                cost q1 = -(price - c1) * q1;
                cost q2 = -(price - c2) * q2;
            }
        })
        .unwrap()
        .to_string();
        for f in [
            "leader_cost",
            "follower_cost",
            "omega",
            "stackelberg_parts",
            "second_order_parts",
            "d1f1",
            "d22phi",
        ] {
            assert_eq!(inline_of(&code, f), "# [inline (always)]", "{f}");
        }
    }

    #[test]
    fn large_programs_keep_the_inline_hint() {
        // covariance m = 9: its second-order blocks run to thousands of
        // instructions, well past INLINE_ALWAYS_MAX
        let code = crate::compile(quote! {
            game Covariance {
                const M = 9;
                param eta = 0.6;
                leader v: [M, M];
                follower w: [M, M];
                let f = sum(i in 0..M, j in 0..M) w[i, j] * (sum(k in 0..M) v[i, k] * v[j, k]);
                cost v = f;
                cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
            }
        })
        .unwrap()
        .to_string();
        assert_eq!(inline_of(&code, "second_order_parts"), "# [inline]");
        assert_eq!(inline_of(&code, "d11phi"), "# [inline]");
    }

    fn duopoly_with(attr: proc_macro2::TokenStream) -> Result<String, crate::Errors> {
        crate::compile(quote! {
            #attr
            /// A duopoly.
            pub game Duopoly {
                param a = 100.0;
                leader q1; follower q2;
                cost q1 = -(a - q1 - q2) * q1;
                cost q2 = -(a - q1 - q2) * q2;
            }
        })
        .map(|t| t.to_string())
    }

    #[test]
    fn the_runtime_path_defaults_to_stackel() {
        let code = duopoly_with(quote!()).unwrap();
        assert!(code.contains("use :: stackel as __stackel ;"), "{code}");
        assert!(code.contains("impl __stackel :: Game for Duopoly"));
    }

    #[test]
    fn the_crate_option_replaces_every_runtime_path() {
        for attr in [
            quote!(#[stackel(crate = stackel_runtime)]),
            quote!(#[stackel(crate = "stackel_runtime")]),
        ] {
            let code = duopoly_with(attr).unwrap();
            assert!(
                code.contains("use stackel_runtime as __stackel ;"),
                "{code}"
            );
            assert!(!code.contains(":: stackel ::"), "{code}");
            assert!(!code.contains("# [stackel"), "the option is not passed on");
            // the other attributes still reach the struct
            assert!(code.contains("# [doc = r\" A duopoly.\"]"), "{code}");
        }
        let code = duopoly_with(quote!(#[stackel(crate = crate::runtime)])).unwrap();
        assert!(
            code.contains("use crate :: runtime as __stackel ;"),
            "{code}"
        );
    }

    #[test]
    fn bad_crate_options_are_errors() {
        let e = duopoly_with(quote!(#[stackel(krate = x)])).unwrap_err();
        assert!(e.messages()[0].contains("unknown stackel option"), "{e}");
        let e = duopoly_with(quote!(#[stackel(crate = a, crate = b)])).unwrap_err();
        assert!(e.messages()[0].contains("given twice"), "{e}");
        let e = duopoly_with(quote!(#[stackel(crate = "not a path")])).unwrap_err();
        assert_eq!(e.len(), 1, "{e}");
    }
}
