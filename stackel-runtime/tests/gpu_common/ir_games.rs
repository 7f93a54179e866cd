//! Straight-line IR of three paper games, built by hand (independent of the
//! compiler's back end), with an f64 interpreter and the cost functions, so
//! tests can check the IR by finite differences and feed it to the WGSL
//! emitter. Shared by `stackel-symbolic/tests/wgsl_*.rs` and
//! `stackel-runtime/tests/gpu_*.rs` through `#[path]`.
#![allow(dead_code)]

use stackel_symbolic::ir::{GamePrograms, Instr, Op, Operand, OutputArray, Program, Stmt};
use stackel_symbolic::model::UnaryFn;

/// Builds straight-line code one instruction at a time.
#[derive(Default)]
pub struct Builder {
    instrs: Vec<Instr>,
}

impl Builder {
    pub fn op(&mut self, op: Op) -> Operand {
        let dst = self.instrs.len() as u32;
        self.instrs.push(Instr { dst, op });
        Operand::Tmp(dst)
    }
    pub fn add(&mut self, a: Operand, b: Operand) -> Operand {
        self.op(Op::Add(a, b))
    }
    pub fn sub(&mut self, a: Operand, b: Operand) -> Operand {
        self.op(Op::Sub(a, b))
    }
    pub fn mul(&mut self, a: Operand, b: Operand) -> Operand {
        self.op(Op::Mul(a, b))
    }
    pub fn un(&mut self, f: UnaryFn, a: Operand) -> Operand {
        self.op(Op::Unary(f, a))
    }
    pub fn finish(self, outputs: Vec<(&str, Vec<usize>, Vec<Operand>)>) -> Program {
        Program::straight_line(
            false,
            self.instrs,
            outputs
                .into_iter()
                .map(|(name, shape, entries)| OutputArray {
                    name: name.to_string(),
                    shape,
                    entries,
                })
                .collect(),
        )
    }
}

const X0: Operand = Operand::State(0);
const X1: Operand = Operand::State(1);
fn c(v: f64) -> Operand {
    Operand::Const(v)
}
fn p(i: u32) -> Operand {
    Operand::Param(i)
}

/// The five fused Stackelberg outputs of a one-dimensional-per-player game.
fn parts(
    b: Builder,
    d1f1: Operand,
    d2f1: Operand,
    d2f2: Operand,
    h: Operand,
    bb: Operand,
) -> Program {
    b.finish(vec![
        ("d1f1", vec![1], vec![d1f1]),
        ("d2f1", vec![1], vec![d2f1]),
        ("d2f2", vec![1], vec![d2f2]),
        ("d22f2", vec![1, 1], vec![h]),
        ("d21f2", vec![1, 1], vec![bb]),
    ])
}

/// Duopoly (paper 4.1), params (a, c1, c2):
/// D1 f1 = 2 q1 + q2 - (a - c1), D2 f2 = q1 + 2 q2 - (a - c2), D2 f1 = q1,
/// D22 f2 = 2, D21 f2 = 1.
pub fn duopoly() -> GamePrograms {
    let field = |b: &mut Builder| {
        let t = b.mul(c(2.0), X0);
        let t = b.add(t, X1);
        let ac1 = b.sub(p(0), p(1));
        let g1 = b.sub(t, ac1);
        let t = b.mul(c(2.0), X1);
        let t = b.add(X0, t);
        let ac2 = b.sub(p(0), p(2));
        let g2 = b.sub(t, ac2);
        (g1, g2)
    };
    let mut b = Builder::default();
    let (g1, g2) = field(&mut b);
    let omega = b.finish(vec![("omega", vec![2], vec![g1, g2])]);
    let mut b = Builder::default();
    let (g1, g2) = field(&mut b);
    let stackelberg_parts = parts(b, g1, X0, g2, c(2.0), c(1.0));
    GamePrograms {
        d1: 1,
        d2: 1,
        np: 3,
        angle_mask: vec![false, false],
        omega,
        stackelberg_parts,
    }
}

/// Duopoly costs.
pub fn duopoly_costs(x: &[f64], p: &[f64]) -> [f64; 2] {
    [
        -(p[0] - x[0] - x[1] - p[1]) * x[0],
        -(p[0] - x[0] - x[1] - p[2]) * x[1],
    ]
}

/// Location game on a torus (paper 4.2), params (alpha1, alpha2, phi1, phi2):
/// f_i = -alpha_i cos(th_i - phi_i) + cos(th_i - th_-i).
pub fn torus() -> GamePrograms {
    // D1 f1 = a1 sin(th1 - phi1) - sin(th1 - th2)
    // D2 f2 = a2 sin(th2 - phi2) + sin(th1 - th2)
    // D2 f1 = sin(th1 - th2); D22 f2 = a2 cos(th2 - phi2) - cos(th1 - th2);
    // D21 f2 = cos(th1 - th2).
    let common = |b: &mut Builder| {
        let d = b.sub(X0, X1);
        let sd = b.un(UnaryFn::Sin, d);
        let e1 = b.sub(X0, p(2));
        let s1 = b.un(UnaryFn::Sin, e1);
        let a1s1 = b.mul(p(0), s1);
        let g1 = b.sub(a1s1, sd);
        let e2 = b.sub(X1, p(3));
        let s2 = b.un(UnaryFn::Sin, e2);
        let a2s2 = b.mul(p(1), s2);
        let g2 = b.add(a2s2, sd);
        (d, sd, e2, g1, g2)
    };
    let mut b = Builder::default();
    let (_, _, _, g1, g2) = common(&mut b);
    let omega = b.finish(vec![("omega", vec![2], vec![g1, g2])]);
    let mut b = Builder::default();
    let (d, sd, e2, g1, g2) = common(&mut b);
    let cd = b.un(UnaryFn::Cos, d);
    let c2 = b.un(UnaryFn::Cos, e2);
    let a2c2 = b.mul(p(1), c2);
    let h = b.sub(a2c2, cd);
    let stackelberg_parts = parts(b, g1, sd, g2, h, cd);
    GamePrograms {
        d1: 1,
        d2: 1,
        np: 4,
        angle_mask: vec![true, true],
        omega,
        stackelberg_parts,
    }
}

/// Torus costs.
pub fn torus_costs(x: &[f64], p: &[f64]) -> [f64; 2] {
    [
        -p[0] * (x[0] - p[2]).cos() + (x[0] - x[1]).cos(),
        -p[1] * (x[1] - p[3]).cos() + (x[1] - x[0]).cos(),
    ]
}

/// Zero-sum example 1 (paper 2.2.1), params (a, b):
/// f1 = f = -E Q, f2 = -f, E = exp(-0.01 (x1^2 + x2^2)),
/// Q = u^2 + v^2, u = a x1^2 + x2, v = b x2^2 + x1.
pub fn example1() -> GamePrograms {
    // With Q1 = 4 a x1 u + 2 v, Q2 = 2 u + 4 b x2 v:
    // D1 f1 = -E (Q1 - 0.02 x1 Q); D2 f2 = E (Q2 - 0.02 x2 Q); D2 f1 = -D2 f2;
    // D22 f2 = E (Q22 - 0.02 Q - 0.04 x2 Q2 + 0.0004 x2^2 Q), Q22 = 2 + 8 b^2 x2^2 + 4 b v;
    // D21 f2 = E (Q21 - 0.02 x1 Q2 - 0.02 x2 Q1 + 0.0004 x1 x2 Q), Q21 = 4 a x1 + 4 b x2.
    struct T {
        e: Operand,
        q: Operand,
        q1: Operand,
        q2: Operand,
        v: Operand,
        g1: Operand,
        g2: Operand,
    }
    let common = |b: &mut Builder| {
        let x1s = b.op(Op::Powi(X0, 2));
        let x2s = b.op(Op::Powi(X1, 2));
        let s = b.add(x1s, x2s);
        let ms = b.mul(c(-0.01), s);
        let e = b.un(UnaryFn::Exp, ms);
        let t = b.mul(p(0), x1s);
        let u = b.add(t, X1);
        let t = b.mul(p(1), x2s);
        let v = b.add(t, X0);
        let u2 = b.op(Op::Powi(u, 2));
        let v2 = b.op(Op::Powi(v, 2));
        let q = b.add(u2, v2);
        // Q1 = 4 a x1 u + 2 v
        let t = b.mul(c(4.0), p(0));
        let t = b.mul(t, X0);
        let t = b.mul(t, u);
        let v2x = b.mul(c(2.0), v);
        let q1 = b.add(t, v2x);
        // Q2 = 2 u + 4 b x2 v
        let t = b.mul(c(4.0), p(1));
        let t = b.mul(t, X1);
        let t = b.mul(t, v);
        let u2x = b.mul(c(2.0), u);
        let q2 = b.add(u2x, t);
        // g1 = -E (Q1 - 0.02 x1 Q)
        let t = b.mul(c(0.02), X0);
        let t = b.mul(t, q);
        let t = b.sub(q1, t);
        let t = b.mul(e, t);
        let g1 = b.op(Op::Neg(t));
        // g2 = E (Q2 - 0.02 x2 Q)
        let t = b.mul(c(0.02), X1);
        let t = b.mul(t, q);
        let t = b.sub(q2, t);
        let g2 = b.mul(e, t);
        T {
            e,
            q,
            q1,
            q2,
            v,
            g1,
            g2,
        }
    };
    let mut b = Builder::default();
    let t = common(&mut b);
    let omega = b.finish(vec![("omega", vec![2], vec![t.g1, t.g2])]);
    let mut b = Builder::default();
    let t = common(&mut b);
    let d2f1 = b.op(Op::Neg(t.g2));
    // Q22 = 2 + 8 b^2 x2^2 + 4 b v
    let bsq = b.op(Op::Powi(p(1), 2));
    let x2s = b.op(Op::Powi(X1, 2));
    let k = b.mul(c(8.0), bsq);
    let k = b.mul(k, x2s);
    let k = b.add(c(2.0), k);
    let m = b.mul(c(4.0), p(1));
    let m = b.mul(m, t.v);
    let q22 = b.add(k, m);
    // H = E (Q22 - 0.02 Q - 0.04 x2 Q2 + 0.0004 x2^2 Q)
    let a1 = b.mul(c(0.02), t.q);
    let h = b.sub(q22, a1);
    let a2 = b.mul(c(0.04), X1);
    let a2 = b.mul(a2, t.q2);
    let h = b.sub(h, a2);
    let a3 = b.mul(c(0.0004), x2s);
    let a3 = b.mul(a3, t.q);
    let h = b.add(h, a3);
    let h = b.mul(t.e, h);
    // Q21 = 4 a x1 + 4 b x2
    let r1 = b.mul(c(4.0), p(0));
    let r1 = b.mul(r1, X0);
    let r2 = b.mul(c(4.0), p(1));
    let r2 = b.mul(r2, X1);
    let q21 = b.add(r1, r2);
    // B = E (Q21 - 0.02 x1 Q2 - 0.02 x2 Q1 + 0.0004 x1 x2 Q)
    let b1 = b.mul(c(0.02), X0);
    let b1 = b.mul(b1, t.q2);
    let bb = b.sub(q21, b1);
    let b2 = b.mul(c(0.02), X1);
    let b2 = b.mul(b2, t.q1);
    let bb = b.sub(bb, b2);
    let b3 = b.mul(c(0.0004), X0);
    let b3 = b.mul(b3, X1);
    let b3 = b.mul(b3, t.q);
    let bb = b.add(bb, b3);
    let bb = b.mul(t.e, bb);
    let stackelberg_parts = parts(b, t.g1, d2f1, t.g2, h, bb);
    GamePrograms {
        d1: 1,
        d2: 1,
        np: 2,
        angle_mask: vec![false, false],
        omega,
        stackelberg_parts,
    }
}

/// Example 1 costs (f1 = f, f2 = -f).
pub fn example1_costs(x: &[f64], p: &[f64]) -> [f64; 2] {
    let e = (-0.01 * (x[0] * x[0] + x[1] * x[1])).exp();
    let u = p[0] * x[0] * x[0] + x[1];
    let v = p[1] * x[1] * x[1] + x[0];
    let f = -e * (u * u + v * v);
    [f, -f]
}

/// Evaluates a program in f64: one `Vec` per output array.
pub fn eval(prog: &Program, x: &[f64], p: &[f64]) -> Vec<Vec<f64>> {
    let mut t = vec![0.0; prog.temp_count()];
    let get = |t: &[f64], o: Operand| match o {
        Operand::Tmp(i) => t[i as usize],
        Operand::Const(v) => v,
        Operand::State(i) => x[i as usize],
        Operand::Param(i) => p[i as usize],
        Operand::Lambda(_) => panic!("no lambda in these programs"),
    };
    for Stmt::Assign(ins) in &prog.body {
        let v = match ins.op {
            Op::Add(a, b) => get(&t, a) + get(&t, b),
            Op::Sub(a, b) => get(&t, a) - get(&t, b),
            Op::Mul(a, b) => get(&t, a) * get(&t, b),
            Op::Div(a, b) => get(&t, a) / get(&t, b),
            Op::Neg(a) => -get(&t, a),
            Op::Powi(a, n) => get(&t, a).powi(n),
            Op::Powf(a, b) => get(&t, a).powf(get(&t, b)),
            Op::Unary(f, a) => {
                let a = get(&t, a);
                match f {
                    UnaryFn::Exp => a.exp(),
                    UnaryFn::Ln => a.ln(),
                    UnaryFn::Sqrt => a.sqrt(),
                    UnaryFn::Sin => a.sin(),
                    UnaryFn::Cos => a.cos(),
                    UnaryFn::Tan => a.tan(),
                    UnaryFn::Tanh => a.tanh(),
                    UnaryFn::Sigmoid => 1.0 / (1.0 + (-a).exp()),
                    UnaryFn::Softplus => a.exp().ln_1p(),
                    UnaryFn::Abs => a.abs(),
                    UnaryFn::Relu => a.max(0.0),
                }
            }
            Op::Sign(a) => {
                let a = get(&t, a);
                if a > 0.0 {
                    1.0
                } else if a < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Op::Heaviside(a) => f64::from(get(&t, a) > 0.0),
            Op::Min(a, b) => get(&t, a).min(get(&t, b)),
            Op::Max(a, b) => get(&t, a).max(get(&t, b)),
            Op::Le(a, b) => f64::from(get(&t, a) <= get(&t, b)),
        };
        t[ins.dst as usize] = v;
    }
    prog.outputs
        .iter()
        .map(|o| o.entries.iter().map(|&e| get(&t, e)).collect())
        .collect()
}
