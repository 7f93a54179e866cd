//! Straight-line Rust of one program: operands and operations as tokens
//! generic over `T: Real`, and the statements of a method body (params
//! loaded once, temporaries in reused slots, output entries written as soon
//! as they are known).

use crate::ir::{Op, Operand, Program, Stmt};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

/// An unsuffixed `usize` literal.
pub(super) fn lit(k: usize) -> Literal {
    Literal::usize_unsuffixed(k)
}

/// `T::of(c)` (or `T::zero()` / `T::one()`).
pub(super) fn constant(c: f64) -> TokenStream {
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

/// The slot `t{t}`.
fn tmp(t: u32) -> Ident {
    format_ident!("t{}", t)
}

/// An operand as an expression of type `T`.
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

/// An operation as an expression of type `T`.
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

/// The statements of `program` as Rust: params loaded once, the output
/// slices bound, then one assignment per statement, each output entry
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
pub(super) fn body(
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
    for stmt in &program.body {
        for o in stmt.operands() {
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
    // Last statement reading each temporary (usize::MAX: read at the end).
    let mut last_use: Vec<Option<usize>> = vec![None; program.temp_count()];
    for (i, stmt) in program.body.iter().enumerate() {
        for o in stmt.operands() {
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
    for (i, Stmt::Assign(ins)) in program.body.iter().enumerate() {
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
pub(super) fn scalar_body(program: &Program, places: &[TokenStream]) -> TokenStream {
    let statements = body(program, places, &[], Some(program.outputs[0].entries[0]));
    quote!({ #statements })
}
