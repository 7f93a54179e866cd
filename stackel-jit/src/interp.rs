//! The compiler's programs run on any [`Real`] number type: what
//! [`crate::DynGame`] uses for the numbers native code does not cover
//! (tangent numbers for exact Jacobians, dual numbers, operation counters).
//!
//! Every operation is the one the macro's generated code performs for the
//! same type (`stackel_symbolic::emit_rust`): `+ - * /` on `T`,
//! [`Real::powi`] for integer powers, the runtime's [`Real`] functions, and
//! `Le` compares the real parts. On `f64` the result therefore equals the
//! macro game's to the last bit, which `tests/dyn_game.rs` checks.

use stackel_runtime::Real;
use stackel_symbolic::ir::{Op, Operand, Program, Stmt};
use stackel_symbolic::model::UnaryFn;

/// Runs `program` in `T`: reads `x`, the params `p` (converted with
/// [`Real::of`]) and `lambda`, writes every entry of each output array.
///
/// # Panics
/// When a slice is shorter than the program reads or writes (the `Game`
/// contract: callers pass slices of the documented lengths).
pub(crate) fn run<T: Real>(
    program: &Program,
    x: &[T],
    p: &[f64],
    lambda: &[T],
    outs: &mut [&mut [T]],
) {
    let mut t = vec![T::zero(); program.temp_count()];
    let value = |t: &[T], o: Operand| -> T {
        match o {
            Operand::Tmp(k) => t[k as usize],
            Operand::Const(c) => T::of(c),
            Operand::State(k) => x[k as usize],
            Operand::Param(k) => T::of(p[k as usize]),
            Operand::Lambda(k) => lambda[k as usize],
        }
    };
    for stmt in &program.body {
        let Stmt::Assign(i) = stmt;
        let v = |o| value(&t, o);
        let r = match i.op {
            Op::Add(a, b) => v(a) + v(b),
            Op::Sub(a, b) => v(a) - v(b),
            Op::Mul(a, b) => v(a) * v(b),
            Op::Div(a, b) => v(a) / v(b),
            Op::Neg(a) => -v(a),
            Op::Powi(a, n) => v(a).powi(n),
            Op::Powf(a, b) => v(a).powf(v(b)),
            Op::Unary(f, a) => unary(f, v(a)),
            Op::Sign(a) => v(a).sign(),
            Op::Heaviside(a) => v(a).heaviside(),
            Op::Min(a, b) => Real::min(v(a), v(b)),
            Op::Max(a, b) => Real::max(v(a), v(b)),
            Op::Le(a, b) => {
                if v(a).re() <= v(b).re() {
                    T::one()
                } else {
                    T::zero()
                }
            }
        };
        t[i.dst as usize] = r;
    }
    for (out, array) in outs.iter_mut().zip(&program.outputs) {
        for (slot, e) in out[..array.entries.len()].iter_mut().zip(&array.entries) {
            *slot = value(&t, *e);
        }
    }
}

/// f(a) with the runtime's implementation of f.
fn unary<T: Real>(f: UnaryFn, a: T) -> T {
    match f {
        UnaryFn::Exp => a.exp(),
        UnaryFn::Ln => a.ln(),
        UnaryFn::Sqrt => a.sqrt(),
        UnaryFn::Sin => a.sin(),
        UnaryFn::Cos => a.cos(),
        UnaryFn::Tan => a.tan(),
        UnaryFn::Tanh => a.tanh(),
        UnaryFn::Sigmoid => a.sigmoid(),
        UnaryFn::Softplus => a.softplus(),
        UnaryFn::Abs => a.abs(),
        UnaryFn::Relu => a.relu(),
    }
}
