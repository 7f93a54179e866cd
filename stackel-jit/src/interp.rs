//! The compiler's programs and loop kernels run on any [`Real`] number type: what
//! [`crate::DynGame`] uses for the numbers native code does not cover
//! (tangent numbers for exact Jacobians, dual numbers, operation counters).
//!
//! Every operation is the one the macro's generated code performs for the
//! same type (`stackel_symbolic::emit_rust`): `+ - * /` on `T`,
//! [`Real::powi`] for integer powers, the runtime's [`Real`] functions, and
//! `Le` compares the real parts. On `f64` the result therefore equals the
//! macro game's to the last bit, which `tests/dyn_game.rs` checks.

use stackel_runtime::Real;
use stackel_symbolic::indexed::expr::Ix;
use stackel_symbolic::indexed::kernel::{Array, Cond, Index, Kernel, Stmt as KStmt, Val};
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
pub(crate) fn unary<T: Real>(f: UnaryFn, a: T) -> T {
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

/// The arrays of one loop-kernel run in `T` (params in f64, converted with
/// [`Real::of`] where read).
pub(crate) struct KernelData<'a, T> {
    pub(crate) x: &'a [T],
    pub(crate) p: &'a [f64],
    pub(crate) lambda: &'a [T],
    pub(crate) dir: &'a [T],
    pub(crate) pdir: &'a [T],
}

/// Runs a loop kernel in `T`: the operations of the macro's generated
/// loops (`emit_rust::loops`), in the same order.
///
/// # Panics
/// When an array is shorter than the kernel reads or writes.
pub(crate) fn run_kernel<T: Real>(kernel: &Kernel, data: &KernelData<'_, T>, out: &mut [T]) {
    let mut state = KernelState {
        data,
        locals: vec![T::zero(); kernel.locals as usize],
        counters: vec![0; kernel.counters as usize],
    };
    state.stmts(&kernel.body, out);
}

struct KernelState<'a, 'b, T> {
    data: &'a KernelData<'b, T>,
    locals: Vec<T>,
    counters: Vec<i64>,
}

impl<T: Real> KernelState<'_, '_, T> {
    fn index(&self, i: &Index) -> usize {
        let k = i
            .terms
            .iter()
            .fold(i.offset, |k, (v, c)| k + c * self.counters[v.0 as usize]);
        usize::try_from(k).expect("kernel indices are in range")
    }

    fn stmts(&mut self, stmts: &[KStmt], out: &mut [T]) {
        for s in stmts {
            match s {
                KStmt::Let(l, v) => self.locals[*l as usize] = self.val(v, out),
                KStmt::AddTo(l, v) => {
                    let s = self.locals[*l as usize];
                    self.locals[*l as usize] = s + self.val(v, out);
                }
                KStmt::Loop { var, lo, hi, body } => {
                    for i in *lo..*hi {
                        self.counters[var.0 as usize] = i;
                        self.stmts(body, out);
                    }
                }
                KStmt::Store(i, v) => {
                    let v = self.val(v, out);
                    out[self.index(i)] = v;
                }
                KStmt::StoreAdd(i, v) => {
                    let k = self.index(i);
                    let old = out[k];
                    out[k] = old + self.val(v, out);
                }
            }
        }
    }

    fn holds(&self, c: &Cond) -> bool {
        let at = |v: Ix| self.counters[v.0 as usize];
        match *c {
            Cond::InRange {
                var,
                offset,
                lo,
                hi,
            } => (lo..hi).contains(&(at(var) + offset)),
            Cond::Equal { a, b, offset } => at(a) == b.map_or(0, at) + offset,
        }
    }

    fn val(&mut self, v: &Val, out: &mut [T]) -> T {
        let d = self.data;
        match v {
            Val::Const(c) => T::of(*c),
            Val::Load(a, i) => {
                let k = self.index(i);
                match a {
                    Array::X => d.x[k],
                    Array::P => T::of(d.p[k]),
                    Array::Lambda => d.lambda[k],
                    Array::Dir => d.dir[k],
                    Array::ParamDir => d.pdir[k],
                    Array::Out => out[k],
                }
            }
            Val::Local(l) => self.locals[*l as usize],
            Val::Counter(var, offset) => T::of((self.counters[var.0 as usize] + offset) as f64),
            Val::Add(xs) => self.fold(xs, out, |a, b| a + b),
            Val::Mul(xs) => self.fold(xs, out, |a, b| a * b),
            Val::Neg(a) => -self.val(a, out),
            Val::Div(a, b) => {
                let a = self.val(a, out);
                a / self.val(b, out)
            }
            Val::Powi(a, n) => self.val(a, out).powi(*n),
            Val::Powf(a, b) => {
                let a = self.val(a, out);
                a.powf(self.val(b, out))
            }
            Val::Unary(f, a) => unary(*f, self.val(a, out)),
            Val::Sign(a) => self.val(a, out).sign(),
            Val::Heaviside(a) => self.val(a, out).heaviside(),
            Val::Le(a, b) => {
                let a = self.val(a, out);
                if a.re() <= self.val(b, out).re() {
                    T::one()
                } else {
                    T::zero()
                }
            }
            Val::Min(a, b) => {
                let a = self.val(a, out);
                Real::min(a, self.val(b, out))
            }
            Val::Max(a, b) => {
                let a = self.val(a, out);
                Real::max(a, self.val(b, out))
            }
            Val::Guard(conds, a) => {
                if conds.iter().all(|c| self.holds(c)) {
                    self.val(a, out)
                } else {
                    T::zero()
                }
            }
            Val::Block(stmts, a) => {
                self.stmts(stmts, out);
                self.val(a, out)
            }
        }
    }

    fn fold(&mut self, xs: &[Val], out: &mut [T], op: impl Fn(T, T) -> T) -> T {
        let (first, rest) = xs.split_first().expect("a fold has terms");
        let mut acc = self.val(first, out);
        for x in rest {
            let v = self.val(x, out);
            acc = op(acc, v);
        }
        acc
    }
}
