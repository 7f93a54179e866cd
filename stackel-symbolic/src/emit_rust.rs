//! Rust emission: the game struct, its `GameInfo`, and an
//! `impl ::stackel::Game` whose every method is allocation-free straight-line
//! code generic over `T: ::stackel::Real`, plus the readable formulas of
//! every block.
//!
//! The impl sits in `const _: () = { use ::stackel as __stackel; .. };` and
//! names everything through `__stackel`, so `#[stackel(crate = path)]` on the
//! game (serde's `#[serde(crate = "..")]` pattern) points it at another path
//! to the runtime, e.g. `stackel_runtime` for code that depends on the
//! runtime but not on the facade crate.

use crate::dag::{Dag, Id, Node};
use crate::error::Errors;
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

/// Longest formula text kept per entry; longer ones end in `...`.
pub const FORMULA_CAP: usize = 4000;

/// Display names of the flat state and param entries.
pub struct Names {
    pub state: Vec<String>,
    pub param: Vec<String>,
}

fn entry_name(name: &str, shape: Shape, i: usize) -> String {
    match shape {
        Shape::Scalar => name.to_string(),
        Shape::Vector(_) => format!("{name}[{i}]"),
        Shape::Matrix(_, m) => format!("{name}[{},{}]", i / m, i % m),
    }
}

impl Names {
    pub fn of(model: &GameModel) -> Self {
        let mut state = Vec::new();
        for p in 0..=model.followers.len() {
            let pl = model.player(p);
            state.extend((0..pl.shape.len()).map(|i| entry_name(&pl.name, pl.shape, i)));
        }
        let param = model
            .params
            .iter()
            .flat_map(|p| (0..p.shape.len()).map(|i| entry_name(&p.name, p.shape, i)))
            .collect();
        Names { state, param }
    }
}

/// Binding strength of a node's text: 0 sum, 1 product or negation,
/// 2 power, 3 atom.
fn precedence(dag: &Dag, id: Id) -> u8 {
    match dag.node(id) {
        Node::Const(b) if f64::from_bits(*b) < 0.0 => 1,
        Node::Add(_) => 0,
        Node::Mul(_) => 1,
        Node::Powi(_, n) if *n < 0 => 1,
        Node::Powi(..) | Node::Powf(..) => 2,
        _ => 3,
    }
}

/// Readable math text of a node (`2*q1 + q2 - a + c1`), at most about
/// [`FORMULA_CAP`] characters.
pub fn formula(dag: &Dag, id: Id, names: &Names) -> String {
    let mut out = String::new();
    write_node(dag, id, names, &mut out);
    out
}

fn write_wrapped(dag: &Dag, id: Id, names: &Names, min: u8, out: &mut String) {
    if precedence(dag, id) < min {
        out.push('(');
        write_node(dag, id, names, out);
        out.push(')');
    } else {
        write_node(dag, id, names, out);
    }
}

fn write_product(dag: &Dag, factors: &[Id], names: &Names, out: &mut String) {
    let mut num = Vec::new();
    let mut den = Vec::new();
    for f in factors {
        match dag.node(*f) {
            Node::Powi(b, n) if *n < 0 => den.push((*b, -n)),
            _ => num.push(*f),
        }
    }
    if num.is_empty() {
        out.push('1');
    }
    for (i, f) in num.iter().enumerate() {
        if i > 0 {
            out.push('*');
        }
        write_wrapped(dag, *f, names, 2, out);
    }
    if den.is_empty() {
        return;
    }
    out.push('/');
    let single = den.len() == 1;
    if !single {
        out.push('(');
    }
    for (i, (b, n)) in den.iter().enumerate() {
        if i > 0 {
            out.push('*');
        }
        if *n == 1 {
            write_wrapped(dag, *b, names, if single { 3 } else { 2 }, out);
        } else {
            write_wrapped(dag, *b, names, 3, out);
            out.push_str(&format!("^{n}"));
        }
    }
    if !single {
        out.push(')');
    }
}

/// A term `k * rest` written with its sign handled by the caller.
fn write_scaled(dag: &Dag, k: f64, rest: &[Id], names: &Names, out: &mut String) {
    if rest.is_empty() {
        out.push_str(&format!("{k}"));
        return;
    }
    if k != 1.0 {
        out.push_str(&format!("{k}*"));
    }
    write_product(dag, rest, names, out);
}

/// (coefficient, remaining factors) of a sum term.
fn coefficient(dag: &Dag, id: Id) -> (f64, Vec<Id>) {
    match dag.node(id) {
        Node::Mul(xs) => match dag.as_const(xs[0]) {
            Some(k) => (k, xs[1..].to_vec()),
            None => (1.0, xs.to_vec()),
        },
        Node::Const(b) => (f64::from_bits(*b), vec![]),
        _ => (1.0, vec![id]),
    }
}

/// Sort key of a sum term for reading: (0, first state entry) for terms
/// with a state entry among their direct factors, (1, first param) for
/// params, (2, 0) for anything else, (3, 0) for the constant.
fn term_order(dag: &Dag, t: Id) -> (u8, u32) {
    let (_, factors) = coefficient(dag, t);
    if factors.is_empty() {
        return (3, 0);
    }
    let leaf = |f: &Id| match dag.node(*f) {
        Node::Powi(b, _) => *b,
        _ => *f,
    };
    let first = |want_state: bool| {
        factors
            .iter()
            .filter_map(|f| match (dag.node(leaf(f)), want_state) {
                (Node::State(k), true) | (Node::Param(k), false) => Some(*k),
                _ => None,
            })
            .min()
    };
    match (first(true), first(false)) {
        (Some(k), _) => (0, k),
        (None, Some(k)) => (1, k),
        _ => (2, 0),
    }
}

fn write_node(dag: &Dag, id: Id, names: &Names, out: &mut String) {
    if out.len() > FORMULA_CAP {
        if !out.ends_with("...") {
            out.push_str("...");
        }
        return;
    }
    let call = |f: &str, args: &[Id], out: &mut String| {
        out.push_str(f);
        out.push('(');
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_node(dag, *a, names, out);
        }
        out.push(')');
    };
    match dag.node(id) {
        Node::Const(b) => out.push_str(&format!("{}", f64::from_bits(*b))),
        Node::State(k) => out.push_str(&names.state[*k as usize]),
        Node::Param(k) => out.push_str(&names.param[*k as usize]),
        Node::Lambda(k) => out.push_str(&format!("lambda[{k}]")),
        Node::Add(xs) => {
            // Reading order: terms in players' variables first (by their
            // first entry), then terms in params only, constants last.
            let mut terms: Vec<Id> = xs.to_vec();
            terms.sort_by_key(|t| term_order(dag, *t));
            for (i, t) in terms.iter().enumerate() {
                let (k, rest) = coefficient(dag, *t);
                match (i, k < 0.0) {
                    (0, true) => out.push('-'),
                    (0, false) => {}
                    (_, true) => out.push_str(" - "),
                    (_, false) => out.push_str(" + "),
                }
                if rest.len() == 1 && k.abs() == 1.0 && matches!(dag.node(rest[0]), Node::Add(_)) {
                    write_wrapped(dag, rest[0], names, 1, out);
                } else {
                    write_scaled(dag, k.abs(), &rest, names, out);
                }
            }
        }
        Node::Mul(xs) => {
            let (k, rest) = coefficient(dag, id);
            let _ = xs;
            if k < 0.0 {
                out.push('-');
            }
            write_scaled(dag, k.abs(), &rest, names, out);
        }
        Node::Powi(a, n) => {
            if *n < 0 {
                write_product(dag, &[id], names, out);
            } else {
                write_wrapped(dag, *a, names, 3, out);
                out.push_str(&format!("^{n}"));
            }
        }
        Node::Powf(a, b) => {
            write_wrapped(dag, *a, names, 3, out);
            out.push('^');
            write_wrapped(dag, *b, names, 3, out);
        }
        Node::Unary(f, a) => call(f.name(), &[*a], out),
        Node::Sign(a) => call("sign", &[*a], out),
        Node::Heaviside(a) => call("heaviside", &[*a], out),
        Node::Min(a, b) => call("min", &[*a, *b], out),
        Node::Max(a, b) => call("max", &[*a, *b], out),
        Node::Le(a, b) => {
            out.push('[');
            write_node(dag, *a, names, out);
            out.push_str(" <= ");
            write_node(dag, *b, names, out);
            out.push(']');
        }
    }
}

/// `(block name, shape, "name[i,j] = formula" for every nonzero entry)` for
/// the costs and every derivative block.
pub fn block_formulas(
    model: &GameModel,
    d: &GameDerivatives,
) -> Vec<(String, Vec<usize>, Vec<String>)> {
    let names = Names::of(model);
    let mut out = vec![(
        "f1".to_string(),
        vec![],
        vec![format!("f1 = {}", formula(&d.dag, d.f1, &names))],
    )];
    let f2: Vec<String> =
        d.f2.iter()
            .enumerate()
            .map(|(i, f)| {
                let label = if d.f2.len() == 1 {
                    "f2".to_string()
                } else {
                    format!("f2[{}]", model.followers[i].name)
                };
                format!("{label} = {}", formula(&d.dag, *f, &names))
            })
            .collect();
    let f2_shape = if d.f2.len() == 1 {
        vec![]
    } else {
        vec![d.f2.len()]
    };
    out.push(("f2".to_string(), f2_shape, f2));
    for b in &d.blocks {
        let cols = if b.shape.len() == 2 { b.shape[1] } else { 1 };
        let entries = b
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !d.dag.is_zero(**e))
            .map(|(i, e)| {
                let label = if b.shape.len() == 2 {
                    format!("{}[{},{}]", b.name, i / cols, i % cols)
                } else {
                    format!("{}[{i}]", b.name)
                };
                format!("{label} = {}", formula(&d.dag, *e, &names))
            })
            .collect();
        out.push((b.name.to_string(), b.shape.clone(), entries));
    }
    out
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
        quote!(pub #f: #ty)
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
