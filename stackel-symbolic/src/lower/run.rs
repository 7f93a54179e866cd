//! An `f64` interpreter of [`Program`]s: the reference the tests hold
//! lowered code to (against the DAG it came from, and finite differences).

use crate::dag::{apply_unary, heaviside, indicator_le, pick_max, pick_min, sign};
use crate::ir::{Op, Operand, Program, Stmt};

/// Runs a program in `f64` (an interpreter for tests): the values of its
/// output arrays.
pub fn run(program: &Program, x: &[f64], p: &[f64], lambda: &[f64]) -> Vec<Vec<f64>> {
    let mut t = vec![0.0; program.temp_count()];
    let get = |t: &[f64], o: Operand| match o {
        Operand::Tmp(k) => t[k as usize],
        Operand::Const(c) => c,
        Operand::State(k) => x[k as usize],
        Operand::Param(k) => p[k as usize],
        Operand::Lambda(k) => lambda[k as usize],
    };
    for Stmt::Assign(ins) in &program.body {
        let g = |o| get(&t, o);
        let v = match ins.op {
            Op::Add(a, b) => g(a) + g(b),
            Op::Sub(a, b) => g(a) - g(b),
            Op::Mul(a, b) => g(a) * g(b),
            Op::Div(a, b) => g(a) / g(b),
            Op::Neg(a) => -g(a),
            Op::Powi(a, n) => g(a).powi(n),
            Op::Powf(a, b) => g(a).powf(g(b)),
            Op::Unary(f, a) => apply_unary(f, g(a)),
            Op::Sign(a) => sign(g(a)),
            Op::Heaviside(a) => heaviside(g(a)),
            Op::Min(a, b) => pick_min(g(a), g(b)),
            Op::Max(a, b) => pick_max(g(a), g(b)),
            Op::Le(a, b) => indicator_le(g(a), g(b)),
        };
        t[ins.dst as usize] = v;
    }
    program
        .outputs
        .iter()
        .map(|o| o.entries.iter().map(|e| get(&t, *e)).collect())
        .collect()
}
