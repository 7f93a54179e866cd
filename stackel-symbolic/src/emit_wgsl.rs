//! WGSL emission: the game's field programs ([`GamePrograms`], the `field`
//! of the lowered bundle) as WGSL functions for the runtime's GPU engine
//! (`stackel_runtime::gpu`).
//!
//! # Contract
//!
//! [`emit_game`] returns module text that is *not* complete on its own: the
//! runtime prepends a scalar prelude that defines
//!
//! - `alias S = f32;` (or `f64` on adapters with `SHADER_F64`),
//! - `const ST_EPS: S` (machine epsilon of `S`) and `const ST_MAX: S` (its
//!   largest finite value),
//! - `fn st_wrap_angle(a: S) -> S` (the CPU engine's wrap to [-pi, pi)),
//! - the transcendental functions below.
//!
//! The game text then defines, with `N = d1 + d2` and `NPA = max(np, 1)`:
//!
//! - `const GAME_D1`, `GAME_D2`, `GAME_N`, `GAME_NP`, `GAME_NPA: u32`;
//! - `fn game_omega(x: array<S, N>, p: array<S, NPA>) -> array<S, N>`:
//!   omega = (D1 f1, D2 f2);
//! - `fn game_stackelberg_parts(x, p) -> GameParts`: D1 f1, D2 f1, D2 f2,
//!   D22 f2 (row-major d2 x d2) and D21 f2 (row-major d2 x d1);
//! - `fn game_omega_s(x, p, eta: S) -> GameField`: omega_S = (Df1, D2 f2)
//!   with Df1 = D1 f1 - B^T H^-T D2 f1, H = D22 f2 + eta I, B = D21 f2,
//!   computed operation for operation as the CPU engine does, with the
//!   follower solve below (the transposed solve). `ok` is false when H is
//!   singular by the CPU's test (d2 = 1: h = 0 or not finite; else a pivot
//!   <= `d2 * ST_EPS * max|H_ij|` or not finite);
//! - the follower solve, the one WGSL copy of the CPU's `linalg::Lu`, also
//!   called by the runtime's best response: `struct GameLu`,
//!   `fn game_lu_factor(h: array<S, d2 * d2>) -> GameLu` (partial pivoting,
//!   fully unrolled for d2 <= [`UNROLL_LIMIT`], loops beyond),
//!   `fn game_lu_solve(f: GameLu, b: array<S, d2>) -> array<S, d2>` (H x = b)
//!   and `fn game_lu_solve_transpose(f, b)` (H^T x = b);
//! - `fn game_wrap(x: array<S, N>) -> array<S, N>`: applies `st_wrap_angle`
//!   to the angle entries.
//!
//! # Transcendental functions
//!
//! The prelude also defines `st_exp`, `st_ln`, `st_sin`, `st_cos`, `st_tan`
//! (one argument) and `st_pow` (two), and every such call of the game goes
//! through them. GPU drivers do not define exp, log, sin, cos, tan, pow or
//! tanh on f64 (naga emits GLSL.std.450 ops that SPIR-V leaves undefined for
//! doubles, and some drivers return garbage), so the runtime's f64 prelude
//! evaluates them with `+ - * /`, `fma`, `floor` and comparisons only, to
//! f64 accuracy; its f32 prelude uses WGSL's builtins. tanh, sigmoid and
//! softplus are built here from one `st_exp` of a non-positive argument, so
//! they never overflow.

use crate::ir::{GamePrograms, Instr, Op, Operand, OutputArray, Program, Stmt};
use crate::lower::Lowered;
use crate::model::UnaryFn;
use std::fmt::Write;

/// Largest d2 for which the follower solve is fully unrolled (its code grows
/// as d2^3); larger games get the same elimination written with loops.
pub const UNROLL_LIMIT: usize = 6;

/// Helpers every game module carries, built on the prelude's `st_exp` and
/// `st_ln` (see the module docs).
pub(crate) const HELPERS: &str = "\
// tanh(a) = sign(a) (1 - e) / (1 + e), e = exp(-2 |a|) <= 1.
fn st_tanh(a: S) -> S {
    let e = st_exp(S(-2.0) * abs(a));
    let t = (S(1.0) - e) / (S(1.0) + e);
    return select(t, -t, a < S(0.0));
}
// sigmoid(a) = 1 / (1 + exp(-a)) for a >= 0, exp(a) / (1 + exp(a)) otherwise.
fn st_sigmoid(a: S) -> S {
    let e = st_exp(-abs(a));
    let s = S(1.0) / (S(1.0) + e);
    return select(e * s, s, a >= S(0.0));
}
// softplus(a) = ln(1 + exp(a)) = max(a, 0) + ln(1 + exp(-|a|)).
fn st_softplus(a: S) -> S {
    return max(a, S(0.0)) + st_ln(S(1.0) + st_exp(-abs(a)));
}
// a^n for an integer n by binary powering (exact operations in S).
fn st_powi(a: S, n: i32) -> S {
    var b = a;
    var e = abs(n);
    var r = S(1.0);
    while (e != 0) {
        if ((e & 1) == 1) {
            r = r * b;
        }
        b = b * b;
        e = e >> 1u;
    }
    if (n < 0) {
        return S(1.0) / r;
    }
    return r;
}
// Finite (neither NaN nor infinite).
fn st_finite(a: S) -> bool {
    return abs(a) <= ST_MAX;
}
";

/// The WGSL module of a lowered game: [`emit_game`] of its field programs.
pub fn emit(lowered: &Lowered) -> String {
    emit_game(&lowered.field)
}

/// The game's WGSL module text (see the module docs for the contract).
pub fn emit_game(p: &GamePrograms) -> String {
    let (d1, d2) = (p.d1, p.d2);
    let n = d1 + d2;
    let npa = p.np.max(1);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// stackel game module: d1 = {d1}, d2 = {d2}, np = {}.",
        p.np
    );
    let _ = writeln!(s, "const GAME_D1: u32 = {d1}u;");
    let _ = writeln!(s, "const GAME_D2: u32 = {d2}u;");
    let _ = writeln!(s, "const GAME_N: u32 = {n}u;");
    let _ = writeln!(s, "const GAME_NP: u32 = {}u;", p.np);
    let _ = writeln!(s, "const GAME_NPA: u32 = {npa}u;");
    s.push('\n');
    s.push_str(HELPERS);
    s.push('\n');
    let _ = writeln!(
        s,
        "struct GameParts {{\n    d1f1: array<S, {d1}>,\n    d2f1: array<S, {d2}>,\n    \
         d2f2: array<S, {d2}>,\n    d22f2: array<S, {}>,\n    d21f2: array<S, {}>,\n}}\n",
        d2 * d2,
        d2 * d1
    );
    let _ = writeln!(
        s,
        "struct GameField {{\n    v: array<S, {n}>,\n    ok: bool,\n}}\n"
    );
    let sig = format!("x: array<S, {n}>, p: array<S, {npa}>");

    // omega
    let _ = writeln!(s, "// omega = (D1 f1, D2 f2).");
    let _ = writeln!(s, "fn game_omega({sig}) -> array<S, {n}> {{");
    emit_body(&mut s, &p.omega);
    let out = p.omega.outputs.first();
    let _ = writeln!(s, "    return {};", array_ctor(out, n));
    s.push_str("}\n\n");

    // fused Stackelberg parts
    let _ = writeln!(
        s,
        "// D1 f1, D2 f1, D2 f2, D22 f2 (d2 x d2), D21 f2 (d2 x d1), row-major."
    );
    let _ = writeln!(s, "fn game_stackelberg_parts({sig}) -> GameParts {{");
    emit_body(&mut s, &p.stackelberg_parts);
    let outs = &p.stackelberg_parts.outputs;
    let sizes = [d1, d2, d2, d2 * d2, d2 * d1];
    let fields: Vec<String> = sizes
        .iter()
        .enumerate()
        .map(|(k, &len)| array_ctor(outs.get(k), len))
        .collect();
    let _ = writeln!(s, "    return GameParts({});", fields.join(", "));
    s.push_str("}\n\n");

    emit_follower_solve(&mut s, d2);
    emit_omega_s(&mut s, d1, d2, &sig);
    emit_wrap(&mut s, &p.angle_mask, n);
    s
}

/// The statements of a program: `let t{k} = ...;` for every assignment.
fn emit_body(s: &mut String, prog: &Program) {
    for Stmt::Assign(Instr { dst, op }) in &prog.body {
        let _ = writeln!(s, "    let t{dst} = {};", op_text(op));
    }
}

/// An output array as a WGSL array constructor of length `len` (missing
/// entries are zero).
fn array_ctor(out: Option<&OutputArray>, len: usize) -> String {
    let entries: Vec<String> = (0..len)
        .map(|e| match out.and_then(|o| o.entries.get(e)) {
            Some(op) => operand(*op),
            None => "S(0.0)".to_string(),
        })
        .collect();
    format!("array<S, {len}>({})", entries.join(", "))
}

/// A float literal WGSL accepts as an abstract float (always with a `.` or an
/// exponent).
fn literal(v: f64) -> String {
    let t = format!("{v:?}");
    if t.contains('.') || t.contains('e') || t.contains("inf") || t.contains("NaN") {
        t
    } else {
        format!("{t}.0")
    }
}

fn operand(o: Operand) -> String {
    match o {
        Operand::Tmp(t) => format!("t{t}"),
        Operand::Const(v) => format!("S({})", literal(v)),
        Operand::State(i) => format!("x[{i}]"),
        Operand::Param(i) => format!("p[{i}]"),
        Operand::Lambda(i) => format!("lam[{i}]"),
    }
}

fn op_text(op: &Op) -> String {
    match *op {
        Op::Add(a, b) => format!("{} + {}", operand(a), operand(b)),
        Op::Sub(a, b) => format!("{} - {}", operand(a), operand(b)),
        Op::Mul(a, b) => format!("{} * {}", operand(a), operand(b)),
        Op::Div(a, b) => format!("{} / {}", operand(a), operand(b)),
        Op::Neg(a) => format!("-{}", operand(a)),
        Op::Powi(a, n) => powi_text(a, n),
        Op::Powf(a, b) => format!("st_pow({}, {})", operand(a), operand(b)),
        Op::Unary(UnaryFn::Relu, a) => relu_text(&operand(a)),
        Op::Unary(f, a) => unary_call(f, &operand(a)),
        Op::Sign(a) => {
            let a = operand(a);
            format!("select(select(S(0.0), S(-1.0), {a} < S(0.0)), S(1.0), {a} > S(0.0))")
        }
        Op::Heaviside(a) => {
            let a = operand(a);
            format!("select(S(0.0), S(1.0), {a} > S(0.0))")
        }
        Op::Min(a, b) => {
            let (a, b) = (operand(a), operand(b));
            format!("select({b}, {a}, {a} <= {b})")
        }
        Op::Max(a, b) => {
            let (a, b) = (operand(a), operand(b));
            format!("select({b}, {a}, {a} >= {b})")
        }
        Op::Le(a, b) => {
            let (a, b) = (operand(a), operand(b));
            format!("select(S(0.0), S(1.0), {a} <= {b})")
        }
    }
}

/// Small integer powers as products, the rest through `st_powi`.
/// WGSL text of relu(a) = max(a, 0) as a select; `a` must be an operand or
/// a bound name (it appears twice).
pub(crate) fn relu_text(a: &str) -> String {
    format!("select(S(0.0), {a}, {a} > S(0.0))")
}

/// WGSL call of the unary function `f` on `a` (the `st_*` helpers of
/// [`HELPERS`] where WGSL's built-in is missing or not accurate enough).
pub(crate) fn unary_call(f: UnaryFn, a: &str) -> String {
    match f {
        UnaryFn::Exp => format!("st_exp({a})"),
        UnaryFn::Ln => format!("st_ln({a})"),
        UnaryFn::Sqrt => format!("sqrt({a})"),
        UnaryFn::Sin => format!("st_sin({a})"),
        UnaryFn::Cos => format!("st_cos({a})"),
        UnaryFn::Tan => format!("st_tan({a})"),
        UnaryFn::Tanh => format!("st_tanh({a})"),
        UnaryFn::Sigmoid => format!("st_sigmoid({a})"),
        UnaryFn::Softplus => format!("st_softplus({a})"),
        UnaryFn::Abs => format!("abs({a})"),
        UnaryFn::Relu => relu_text(a),
    }
}

fn powi_text(a: Operand, n: i32) -> String {
    let a = operand(a);
    match n {
        0 => "S(1.0)".to_string(),
        1 => a,
        2 => format!("{a} * {a}"),
        3 => format!("{a} * {a} * {a}"),
        -1 => format!("S(1.0) / {a}"),
        -2 => format!("S(1.0) / ({a} * {a})"),
        _ => format!("st_powi({a}, {n})"),
    }
}

/// `game_omega_s`: the CPU engine's total leader gradient, operation for
/// operation (`stackel_runtime::dynamics`): H = D22 f2 + eta I factored by
/// [`emit_follower_solve`]'s `game_lu_factor`, lam = H^-T D2 f1 by its
/// `game_lu_solve_transpose`, Df1_i = D1 f1_i - sum_a B_ai lam_a.
fn emit_omega_s(s: &mut String, d1: usize, d2: usize, sig: &str) {
    let n = d1 + d2;
    let _ = writeln!(
        s,
        "// omega_S = (Df1, D2 f2), Df1 = D1 f1 - B^T H^-T D2 f1, H = D22 f2 + eta I, B = D21 f2.\n\
         // ok = false when H is singular (the CPU engine's test)."
    );
    let _ = writeln!(s, "fn game_omega_s({sig}, eta: S) -> GameField {{");
    s.push_str("    let q = game_stackelberg_parts(x, p);\n    var h = q.d22f2;\n");
    for i in 0..d2 {
        let _ = writeln!(s, "    h[{}] += eta;", i * d2 + i);
    }
    s.push_str(
        "    let f = game_lu_factor(h);\n\
         \x20   let r = game_lu_solve_transpose(f, q.d2f1);\n",
    );
    let _ = writeln!(s, "    var v: array<S, {n}>;");
    for c in 0..d1 {
        let terms: Vec<String> = (0..d2)
            .map(|a| format!("q.d21f2[{}] * r[{a}]", a * d1 + c))
            .collect();
        let _ = writeln!(s, "    v[{c}] = q.d1f1[{c}] - ({});", terms.join(" + "));
    }
    for i in 0..d2 {
        let _ = writeln!(s, "    v[{}] = q.d2f2[{i}];", d1 + i);
    }
    s.push_str("    return GameField(v, f.ok);\n}\n\n");
}

/// The follower solve, the one WGSL copy of `stackel_runtime::linalg::Lu`
/// shared by `game_omega_s` and the runtime's best response:
///
/// - `struct GameLu { lu, piv, ok }`: P H = L U packed row-major (unit L
///   below the diagonal), the row swapped into place at each column;
/// - `game_lu_factor(h) -> GameLu`: partial pivoting, `ok` false when a
///   pivot is <= `d2 * ST_EPS * max|h_ij|`, not finite or 0 (d2 = 1: h = 0 or
///   not finite); the elimination skips zero multipliers as the CPU does.
///   Fully unrolled for d2 <= [`UNROLL_LIMIT`], loops beyond (same order);
/// - `game_lu_solve(f, b)`: H x = b (P b, L y = P b, U x = y);
/// - `game_lu_solve_transpose(f, b)`: H^T x = b (U^T y = b, L^T z = y,
///   x = P^T z).
fn emit_follower_solve(s: &mut String, n: usize) {
    let nn = n * n;
    let last = n - 1;
    let _ = writeln!(
        s,
        "// P H = L U of the follower Hessian (linalg::Lu); ok = false when singular.\n\
         struct GameLu {{\n    lu: array<S, {nn}>,\n    piv: array<u32, {n}>,\n    ok: bool,\n}}\n\n\
         fn game_lu_factor(h: array<S, {nn}>) -> GameLu {{\n\
         \x20   var a = h;\n\
         \x20   var piv: array<u32, {n}>;"
    );
    if n == 1 {
        s.push_str("    let ok = a[0] != S(0.0) && st_finite(a[0]);\n");
    } else {
        s.push_str("    var ok = true;\n    var scale = S(0.0);\n");
        if n <= UNROLL_LIMIT {
            emit_lu_unrolled(s, n);
        } else {
            emit_lu_looped(s, n);
        }
    }
    s.push_str("    return GameLu(a, piv, ok);\n}\n\n");
    let _ = writeln!(
        s,
        "// x = H^-1 b from game_lu_factor.\n\
         fn game_lu_solve(f: GameLu, b: array<S, {n}>) -> array<S, {n}> {{\n\
         \x20   var r = b;"
    );
    if n == 1 {
        s.push_str("    r[0] = r[0] / f.lu[0];\n");
    } else {
        let _ = write!(
            s,
            "    for (var k = 0u; k < {n}u; k++) {{\n\
             \x20       let t = r[k];\n\
             \x20       r[k] = r[f.piv[k]];\n\
             \x20       r[f.piv[k]] = t;\n\
             \x20   }}\n\
             \x20   for (var i = 0u; i < {n}u; i++) {{\n\
             \x20       var acc = r[i];\n\
             \x20       for (var j = 0u; j < i; j++) {{\n\
             \x20           acc -= f.lu[i * {n}u + j] * r[j];\n\
             \x20       }}\n\
             \x20       r[i] = acc;\n\
             \x20   }}\n\
             \x20   for (var ii = 0u; ii < {n}u; ii++) {{\n\
             \x20       let i = {last}u - ii;\n\
             \x20       var acc = r[i];\n\
             \x20       for (var j = i + 1u; j < {n}u; j++) {{\n\
             \x20           acc -= f.lu[i * {n}u + j] * r[j];\n\
             \x20       }}\n\
             \x20       r[i] = acc / f.lu[i * {n}u + i];\n\
             \x20   }}\n"
        );
    }
    s.push_str("    return r;\n}\n\n");
    let _ = writeln!(
        s,
        "// x = H^-T b from game_lu_factor.\n\
         fn game_lu_solve_transpose(f: GameLu, b: array<S, {n}>) -> array<S, {n}> {{\n\
         \x20   var r = b;"
    );
    if n == 1 {
        s.push_str("    r[0] = r[0] / f.lu[0];\n");
    } else {
        let _ = write!(
            s,
            "    for (var i = 0u; i < {n}u; i++) {{\n\
             \x20       var acc = r[i];\n\
             \x20       for (var j = 0u; j < i; j++) {{\n\
             \x20           acc -= f.lu[j * {n}u + i] * r[j];\n\
             \x20       }}\n\
             \x20       r[i] = acc / f.lu[i * {n}u + i];\n\
             \x20   }}\n\
             \x20   for (var ii = 0u; ii < {n}u; ii++) {{\n\
             \x20       let i = {last}u - ii;\n\
             \x20       var acc = r[i];\n\
             \x20       for (var j = i + 1u; j < {n}u; j++) {{\n\
             \x20           acc -= f.lu[j * {n}u + i] * r[j];\n\
             \x20       }}\n\
             \x20       r[i] = acc;\n\
             \x20   }}\n\
             \x20   for (var ii = 0u; ii < {n}u; ii++) {{\n\
             \x20       let k = {last}u - ii;\n\
             \x20       let t = r[k];\n\
             \x20       r[k] = r[f.piv[k]];\n\
             \x20       r[f.piv[k]] = t;\n\
             \x20   }}\n"
        );
    }
    s.push_str("    return r;\n}\n\n");
}

/// Unrolled LU with partial pivoting of `a` (n x n, row-major) into `a` and
/// `piv`.
fn emit_lu_unrolled(s: &mut String, n: usize) {
    for k in 0..n * n {
        let _ = writeln!(s, "    scale = max(scale, abs(a[{k}]));");
    }
    let _ = writeln!(s, "    let tol = S({n}.0) * ST_EPS * scale;");
    for k in 0..n {
        let _ = writeln!(s, "    piv[{k}] = {k}u;");
        let _ = writeln!(s, "    {{");
        let _ = writeln!(s, "        var best = abs(a[{}]);", k * n + k);
        for i in k + 1..n {
            let _ = writeln!(
                s,
                "        if (abs(a[{idx}]) > best) {{\n            best = abs(a[{idx}]);\n            piv[{k}] = {i}u;\n        }}",
                idx = i * n + k
            );
        }
        s.push_str(
            "        if (best <= tol || !st_finite(best) || best == S(0.0)) {\n            ok = false;\n        }\n",
        );
        for i in k + 1..n {
            let _ = writeln!(s, "        if (piv[{k}] == {i}u) {{");
            for j in 0..n {
                let (u, w) = (k * n + j, i * n + j);
                let _ = writeln!(
                    s,
                    "            let s{j} = a[{u}];\n            a[{u}] = a[{w}];\n            a[{w}] = s{j};"
                );
            }
            s.push_str("        }\n");
        }
        if k + 1 < n {
            let _ = writeln!(s, "        let d = a[{}];", k * n + k);
            for i in k + 1..n {
                let _ = writeln!(s, "        let f{i} = a[{}] / d;", i * n + k);
                let _ = writeln!(s, "        a[{}] = f{i};", i * n + k);
                let _ = writeln!(s, "        if (f{i} != S(0.0)) {{");
                for j in k + 1..n {
                    let _ = writeln!(
                        s,
                        "            a[{}] -= f{i} * a[{}];",
                        i * n + j,
                        k * n + j
                    );
                }
                s.push_str("        }\n");
            }
        }
        let _ = writeln!(s, "    }}");
    }
}

/// The same LU as [`emit_lu_unrolled`], with loops.
fn emit_lu_looped(s: &mut String, n: usize) {
    let _ = write!(
        s,
        "    for (var k = 0u; k < {nn}u; k++) {{\n\
         \x20       scale = max(scale, abs(a[k]));\n\
         \x20   }}\n\
         \x20   let tol = S({n}.0) * ST_EPS * scale;\n\
         \x20   for (var k = 0u; k < {n}u; k++) {{\n\
         \x20       var pk = k;\n\
         \x20       var best = abs(a[k * {n}u + k]);\n\
         \x20       for (var i = k + 1u; i < {n}u; i++) {{\n\
         \x20           let v = abs(a[i * {n}u + k]);\n\
         \x20           if (v > best) {{\n\
         \x20               best = v;\n\
         \x20               pk = i;\n\
         \x20           }}\n\
         \x20       }}\n\
         \x20       if (best <= tol || !st_finite(best) || best == S(0.0)) {{\n\
         \x20           ok = false;\n\
         \x20       }}\n\
         \x20       piv[k] = pk;\n\
         \x20       if (pk != k) {{\n\
         \x20           for (var j = 0u; j < {n}u; j++) {{\n\
         \x20               let t = a[k * {n}u + j];\n\
         \x20               a[k * {n}u + j] = a[pk * {n}u + j];\n\
         \x20               a[pk * {n}u + j] = t;\n\
         \x20           }}\n\
         \x20       }}\n\
         \x20       let d = a[k * {n}u + k];\n\
         \x20       for (var i = k + 1u; i < {n}u; i++) {{\n\
         \x20           let f = a[i * {n}u + k] / d;\n\
         \x20           a[i * {n}u + k] = f;\n\
         \x20           if (f != S(0.0)) {{\n\
         \x20               for (var j = k + 1u; j < {n}u; j++) {{\n\
         \x20                   a[i * {n}u + j] -= f * a[k * {n}u + j];\n\
         \x20               }}\n\
         \x20           }}\n\
         \x20       }}\n\
         \x20   }}\n",
        nn = n * n,
    );
}

/// `game_wrap`: angle entries through `st_wrap_angle`.
fn emit_wrap(s: &mut String, mask: &[bool], n: usize) {
    let _ = writeln!(s, "// Wraps the angle entries of the state to [-pi, pi).");
    let _ = writeln!(s, "fn game_wrap(x: array<S, {n}>) -> array<S, {n}> {{");
    s.push_str("    var y = x;\n");
    for (i, _) in mask.iter().enumerate().filter(|(_, &a)| a) {
        let _ = writeln!(s, "    y[{i}] = st_wrap_angle(y[{i}]);");
    }
    s.push_str("    return y;\n}\n");
}
