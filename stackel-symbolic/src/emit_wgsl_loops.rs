//! WGSL for loop-form (large) games: the indexed compiler's expressions
//! ([`crate::indexed`]) as WGSL `for` loops with constant bounds, the same
//! IR the Rust loop form ([`crate::emit_rust`]'s `loops`) is emitted from.
//!
//! A sum is an accumulator loop, an indicator or delta in a product is a
//! branch around it (entries below a guard are read only where it holds),
//! and every output block is one loop nest per player block, innermost over
//! the contiguous (last) index. Index variables are `i32` loop counters; an
//! affine index `i + c` is read as `u32(i + c)`.
//!
//! # Contract
//!
//! Vectors of a trajectory live in a storage buffer, not in private arrays
//! (a 1250-entry state does not fit there): every function takes the base
//! offsets of its inputs and output in that buffer. The kernel defines,
//! before the module, besides the scalar prelude of [`crate::emit_wgsl`]
//! (`alias S`, `ST_EPS`, `ST_MAX`, `st_exp`, `st_ln`, `st_sin`, `st_cos`,
//! `st_tan`, `st_pow`):
//!
//! - `fn st_ld(i: u32) -> S`: entry `i` of the buffer;
//! - `fn st_st(i: u32, v: S)`: stores `v` at entry `i`;
//! - `fn st_param(i: u32) -> S`: flat game param `i`.
//!
//! The module defines `GAME_D1`, `GAME_D2`, `GAME_N`, `GAME_NP: u32`, the
//! helpers of [`crate::emit_wgsl`] (`st_tanh`, `st_sigmoid`, `st_softplus`,
//! `st_powi`, `st_finite`) and, with `xb` the base of the state x (N
//! entries), `ob` of the output, `db` of a direction and `lb` of a
//! multiplier (d2 entries), and every function also taking `lid, stride`:
//! it writes the entries `lid, lid + stride, ...` of each player block (one
//! invocation: `0u, 1u`; the threads of a workgroup sharing a trajectory:
//! their index and the workgroup size):
//!
//! - `game_d1f1(xb, ob)` (d1 entries), `game_d2f1(xb, ob)` (d2),
//!   `game_d2f2(xb, ob)` (d2), `game_omega(xb, ob)`: omega = (D1f1, D2f2)
//!   (N);
//! - `game_h_mul(xb, db, ob)`: H w with H = D22f2 (w and output d2);
//! - `game_h_tmul(xb, lb, ob)`: H^T v = D2 phi with lambda := v (d2);
//! - `game_b_mul(xb, db, ob)`: B u with B = D21f2 (u d1, output d2);
//! - `game_b_tmul(xb, lb, ob)`: B^T v = D1 phi with lambda := v (d1);
//! - `game_wrap(xb, lid, stride)`: applies `st_wrap_angle` to the angle entries in place.

use crate::emit_wgsl::HELPERS;
use crate::indexed::expr::{Aff, Ix, Leaf, Node, E};
use crate::indexed::{IndexedGame, Part};
use crate::model::{GameModel, Shape, UnaryFn};
use std::fmt::Write;

/// The loop-form WGSL module of `model` (see the module docs).
pub fn emit(model: &GameModel) -> String {
    emit_indexed(model, &IndexedGame::new(model))
}

/// The loop-form WGSL module of an already built indexed game.
pub fn emit_indexed(model: &GameModel, g: &IndexedGame) -> String {
    let (d1, d2, np) = (g.d1, g.d2, g.np);
    let n = d1 + d2;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// stackel loop-form game module: d1 = {d1}, d2 = {d2}, np = {np}."
    );
    let _ = writeln!(s, "const GAME_D1: u32 = {d1}u;");
    let _ = writeln!(s, "const GAME_D2: u32 = {d2}u;");
    let _ = writeln!(s, "const GAME_N: u32 = {n}u;");
    let _ = writeln!(s, "const GAME_NP: u32 = {np}u;\n");
    s.push_str(HELPERS);
    s.push('\n');
    let state = |p: &Part| g.player_offset(p.player);
    let follower = |p: &Part| g.player_offset(p.player) - d1;
    let funcs: [FuncSpec<'_>; 9] = [
        ("game_d1f1", "xb: u32, ob: u32", &g.d1f1, &state, 0),
        ("game_d2f1", "xb: u32, ob: u32", &g.d2f1, &follower, 0),
        ("game_d2f2", "xb: u32, ob: u32", &g.d2f2, &follower, 0),
        ("game_omega_f1", "xb: u32, ob: u32", &g.d1f1, &state, 0),
        ("game_omega_f2", "xb: u32, ob: u32", &g.d2f2, &state, 0),
        (
            "game_h_mul",
            "xb: u32, db: u32, ob: u32",
            &g.h_mul,
            &follower,
            d1,
        ),
        (
            "game_h_tmul",
            "xb: u32, lb: u32, ob: u32",
            &g.d2phi,
            &follower,
            0,
        ),
        (
            "game_b_mul",
            "xb: u32, db: u32, ob: u32",
            &g.b_mul,
            &follower,
            0,
        ),
        (
            "game_b_tmul",
            "xb: u32, lb: u32, ob: u32",
            &g.d1phi,
            &state,
            0,
        ),
    ];
    for (name, sig, parts, offset, dir_base) in funcs {
        let mut gen = Gen {
            game: g,
            dir_base,
            body: String::new(),
            depth: 1,
            next: 0,
        };
        for part in parts {
            gen.write(part, offset(part));
        }
        let _ = writeln!(
            s,
            "fn {name}({sig}, lid: u32, stride: u32) {{\n{}}}\n",
            gen.body
        );
    }
    let _ = writeln!(
        s,
        "// omega = (D1 f1, D2 f2).\nfn game_omega(xb: u32, ob: u32, lid: u32, stride: u32) {{\n    \
         game_omega_f1(xb, ob, lid, stride);\n    game_omega_f2(xb, ob, lid, stride);\n}}\n"
    );
    let mut wrap = String::from("fn game_wrap(xb: u32, lid: u32, stride: u32) {\n");
    for p in 0..g.shapes.len() {
        if model.player(p).angle {
            let (o, len) = (g.player_offset(p), g.shapes[p].len());
            let _ = writeln!(
                wrap,
                "    for (var i = {o}u + lid; i < {}u; i += stride) {{\n        \
                 st_st(xb + i, st_wrap_angle(st_ld(xb + i)));\n    }}",
                o + len
            );
        }
    }
    wrap.push_str("}\n");
    s.push_str(&wrap);
    s
}

/// One emitted function: name, parameters, the vector it writes, the
/// output offset of each part, and the state offset its direction starts at.
type FuncSpec<'a> = (
    &'static str,
    &'static str,
    &'a [Part],
    &'a dyn Fn(&Part) -> usize,
    usize,
);

/// Emits the statements of one function.
struct Gen<'a> {
    game: &'a IndexedGame,
    /// `Dir(p)` reads `db + offset(p) - dir_base + flat`.
    dir_base: usize,
    body: String,
    /// Indentation level of the next statement.
    depth: usize,
    /// Next temporary's number.
    next: u32,
}

/// A float literal WGSL accepts as an abstract float.
fn literal(v: f64) -> String {
    let t = format!("{v:?}");
    if t.contains('.') || t.contains('e') || t.contains("inf") || t.contains("NaN") {
        t
    } else {
        format!("{t}.0")
    }
}

fn var(v: Ix) -> String {
    format!("i{}", v.0)
}

/// `a` as an `i32` expression.
fn aff(a: &Aff) -> String {
    match (a.var, a.offset) {
        (None, c) => format!("{c}"),
        (Some(v), 0) => var(v),
        (Some(v), c) if c > 0 => format!("({} + {c})", var(v)),
        (Some(v), c) => format!("({} - {})", var(v), -c),
    }
}

impl Gen<'_> {
    fn line(&mut self, text: &str) {
        for _ in 0..self.depth {
            self.body.push_str("    ");
        }
        self.body.push_str(text);
        self.body.push('\n');
    }

    fn tmp(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next - 1)
    }

    /// `u32(offset + flat(index))` for a value of shape `shape`.
    fn flat(&self, offset: usize, shape: Shape, index: &[Aff]) -> String {
        match shape {
            Shape::Scalar => format!("{offset}u"),
            Shape::Vector(_) => format!("u32({offset} + {})", aff(&index[0])),
            Shape::Matrix(_, m) => format!(
                "u32({offset} + {} * {m} + {})",
                aff(&index[0]),
                aff(&index[1])
            ),
        }
    }

    /// The condition of an indicator or delta.
    fn cond(&self, e: &E) -> String {
        match &e.node {
            Node::Range { aff: a, lo, hi } => {
                format!("({lo} <= {a} && {a} < {hi})", a = aff(a))
            }
            Node::Delta(a, b) => format!("({} == {})", aff(a), aff(b)),
            _ => unreachable!("not a guard"),
        }
    }

    /// Binds `value` to a fresh `let` and returns its name.
    fn bind(&mut self, value: String) -> String {
        let t = self.tmp("t");
        self.line(&format!("let {t} = {value};"));
        t
    }

    /// `e` as a WGSL expression of type `S`; the statements it needs
    /// (accumulator loops, guarded branches) are emitted before it.
    fn expr(&mut self, e: &E) -> String {
        match &e.node {
            Node::Num(v) => format!("S({})", literal(*v)),
            Node::Entry { leaf, index } => {
                let g = self.game;
                match *leaf {
                    Leaf::State(p) => {
                        let k = self.flat(g.player_offset(p), g.shapes[p], index);
                        format!("st_ld(xb + {k})")
                    }
                    Leaf::Dir(p) => {
                        let k = self.flat(g.player_offset(p) - self.dir_base, g.shapes[p], index);
                        format!("st_ld(db + {k})")
                    }
                    Leaf::Lambda(p) => {
                        let k = self.flat(g.player_offset(p) - g.d1, g.shapes[p], index);
                        format!("st_ld(lb + {k})")
                    }
                    Leaf::Param(q) => {
                        let k = self.flat(g.param_offset(q), g.param_shapes[q], index);
                        format!("st_param({k})")
                    }
                    Leaf::ParamDir(_) => {
                        unreachable!("param-direction blocks are not emitted to WGSL")
                    }
                }
            }
            Node::Index(a) => format!("S({})", aff(a)),
            Node::Add(xs) => {
                let xs: Vec<String> = xs.iter().map(|x| self.expr(x)).collect();
                format!("({})", xs.join(" + "))
            }
            Node::Mul(xs) => {
                let conds: Vec<String> = xs
                    .iter()
                    .filter(|x| matches!(x.node, Node::Range { .. } | Node::Delta(..)))
                    .map(|x| self.cond(x))
                    .collect();
                let guarded = !conds.is_empty();
                let m = self.tmp("m");
                if guarded {
                    self.line(&format!("var {m} = S(0.0);"));
                    self.line(&format!("if ({}) {{", conds.join(" && ")));
                    self.depth += 1;
                }
                let factors: Vec<String> = xs
                    .iter()
                    .filter(|x| !matches!(x.node, Node::Range { .. } | Node::Delta(..)))
                    .map(|x| self.expr(x))
                    .collect();
                let product = if factors.is_empty() {
                    "S(1.0)".to_string()
                } else {
                    format!("({})", factors.join(" * "))
                };
                if guarded {
                    self.line(&format!("{m} = {product};"));
                    self.depth -= 1;
                    self.line("}");
                    m
                } else {
                    product
                }
            }
            Node::Div(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                format!("({a} / {b})")
            }
            Node::Pow(a, b) => {
                let a = self.expr(a);
                match b.as_num() {
                    Some(n) if n.fract() == 0.0 && n.abs() < 1e9 => {
                        let n = n as i32;
                        match n {
                            2 => {
                                let t = self.bind(a);
                                format!("({t} * {t})")
                            }
                            -1 => format!("(S(1.0) / {a})"),
                            _ => format!("st_powi({a}, {n})"),
                        }
                    }
                    _ => {
                        let b = self.expr(b);
                        format!("st_pow({a}, {b})")
                    }
                }
            }
            Node::Unary(f, a) => {
                let a = self.expr(a);
                match f {
                    UnaryFn::Relu => {
                        let t = self.bind(a);
                        crate::emit_wgsl::relu_text(&t)
                    }
                    f => crate::emit_wgsl::unary_call(*f, &a),
                }
            }
            Node::Sign(a) => {
                let a = self.expr(a);
                let t = self.bind(a);
                format!("select(select(S(0.0), S(-1.0), {t} < S(0.0)), S(1.0), {t} > S(0.0))")
            }
            Node::Heaviside(a) => {
                let a = self.expr(a);
                format!("select(S(0.0), S(1.0), {a} > S(0.0))")
            }
            Node::Le(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                format!("select(S(0.0), S(1.0), {a} <= {b})")
            }
            Node::Min(a, b) | Node::Max(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                let (a, b) = (self.bind(a), self.bind(b));
                let op = if matches!(e.node, Node::Min(..)) {
                    "<="
                } else {
                    ">="
                };
                format!("select({b}, {a}, {a} {op} {b})")
            }
            Node::Sum {
                var: v,
                lo,
                hi,
                body,
            } => {
                let s = self.tmp("s");
                let u = var(*v);
                self.line(&format!("var {s} = S(0.0);"));
                self.line(&format!("for (var {u} = {lo}; {u} < {hi}; {u}++) {{"));
                self.depth += 1;
                let b = self.expr(body);
                self.line(&format!("{s} += {b};"));
                self.depth -= 1;
                self.line("}");
                s
            }
            Node::Range { .. } | Node::Delta(..) => {
                let c = self.cond(e);
                format!("select(S(0.0), S(1.0), {c})")
            }
        }
    }

    /// One loop writing the entries `lid, lid + stride, ...` of `part`
    /// (row-major) to `ob + offset + flat(outs)`.
    fn write(&mut self, part: &Part, offset: usize) {
        let outer = self.depth;
        let len: usize = part.dims.iter().product();
        if part.outs.is_empty() {
            self.line("if (lid == 0u) {");
        } else {
            // one flat loop over the block, entries lid, lid + stride, ...
            self.line(&format!(
                "for (var f = i32(lid); f < {len}; f += i32(stride)) {{"
            ));
        }
        self.depth += 1;
        let mut inner = 1;
        for (o, d) in part.outs.iter().zip(&part.dims).rev() {
            let u = var(*o);
            self.line(&format!("let {u} = (f / {inner}) % {d};"));
            inner *= d;
        }
        let value = self.expr(&part.expr);
        let idx: Vec<Aff> = part.outs.iter().map(|o| Aff::of(*o, 0)).collect();
        let k = self.flat(offset, self.game.shapes[part.player], &idx);
        self.line(&format!("st_st(ob + {k}, {value});"));
        while self.depth > outer {
            self.depth -= 1;
            self.line("}");
        }
    }
}
