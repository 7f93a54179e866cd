//! Runs a [`TapeProgram`] in any [`Real`]: each [`Val`] with the `Real`
//! operation of its name, in the order the generated tape-form code
//! performs them, so f64, f32 and tangent numbers give the macro game's
//! bits.
//!
//! Indices are checked as a slice index is in the generated code: an
//! entry out of range panics there and here.

use crate::interp::unary;
use stackel_runtime::Real;
use stackel_symbolic::emit_rust::tape::ir::{Addr, Array, Stmt, TapeProgram, Val};
use stackel_symbolic::model::BinaryFn;

/// Runs `prog` on the state `x` (N player entries, then the data) and the
/// params `p`: returns the cost and adds each reverse pass's gradient into
/// `g` (N entries; empty for a cost program).
pub(crate) fn run<S: Real>(prog: &TapeProgram, lets: usize, x: &[S], p: &[S], g: &mut [S]) -> S {
    run_with(prog, lets, x, p, g, Vec::new()).0
}

/// [`run`] with the program's input lets supplied (`given`: (let id,
/// values), as [`TapeProgram::inputs`] lists them): returns the cost and
/// every let array (empty where neither computed nor given).
pub(crate) fn run_with<S: Real>(
    prog: &TapeProgram,
    lets: usize,
    x: &[S],
    p: &[S],
    g: &mut [S],
    given: Vec<(usize, Vec<S>)>,
) -> (S, Vec<Vec<S>>) {
    let mut m = Machine {
        x,
        p,
        lets: vec![Vec::new(); lets],
        adjoints: vec![Vec::new(); lets],
        g,
        counters: vec![0; prog.counters as usize],
        locals: vec![S::zero(); prog.locals as usize],
    };
    for &(k, len) in &prog.lets {
        m.lets[k] = vec![S::zero(); len];
    }
    for (k, v) in given {
        assert_eq!(
            prog.inputs.iter().find(|i| i.0 == k).map(|i| i.1),
            Some(v.len()),
            "let {k} is an input of the program, at its length"
        );
        m.lets[k] = v;
    }
    m.stmts(&prog.forward);
    let cost = m.val(&prog.cost);
    for pass in &prog.passes {
        for &(k, len) in &pass.adjoints {
            m.adjoints[k] = vec![S::zero(); len];
        }
        m.stmts(&pass.body);
    }
    (cost, m.lets)
}

struct Machine<'a, S> {
    x: &'a [S],
    p: &'a [S],
    lets: Vec<Vec<S>>,
    adjoints: Vec<Vec<S>>,
    g: &'a mut [S],
    counters: Vec<i64>,
    locals: Vec<S>,
}

/// The first best term of `body` over `lo..hi`: (value, index).
fn best<S: Real>(
    m: &mut Machine<'_, S>,
    op: BinaryFn,
    var: u32,
    lo: i64,
    hi: i64,
    body: &Val,
) -> (S, i64) {
    m.counters[var as usize] = lo;
    let mut best = m.val(body);
    let mut arg = lo;
    for c in lo + 1..hi {
        m.counters[var as usize] = c;
        let t = m.val(body);
        let better = match op {
            BinaryFn::Max => t.re() > best.re(),
            BinaryFn::Min => t.re() < best.re(),
        };
        if better {
            best = t;
            arg = c;
        }
    }
    (best, arg)
}

impl<S: Real> Machine<'_, S> {
    /// The position `addr` as the generated code's `(..) as usize` gives it
    /// (a negative one is out of range).
    fn at(&self, a: &Addr) -> usize {
        let v = a
            .terms
            .iter()
            .fold(a.offset, |s, &(c, k)| s + self.counters[c as usize] * k);
        usize::try_from(v).unwrap_or(usize::MAX)
    }

    fn load(&self, array: Array, a: &Addr) -> S {
        let i = self.at(a);
        match array {
            Array::X => self.x[i],
            Array::P => self.p[i],
            Array::Let(k) => self.lets[k][i],
            Array::Adjoint(k) => self.adjoints[k][i],
            Array::Grad => self.g[i],
        }
    }

    fn slot(&mut self, array: Array, a: &Addr) -> &mut S {
        let i = self.at(a);
        match array {
            Array::Let(k) => &mut self.lets[k][i],
            Array::Adjoint(k) => &mut self.adjoints[k][i],
            Array::Grad => &mut self.g[i],
            Array::X | Array::P => unreachable!("tape programs never write x or p"),
        }
    }

    fn val(&mut self, v: &Val) -> S {
        match v {
            Val::Const(c) => {
                if *c == 0.0 {
                    S::zero()
                } else {
                    S::of(*c)
                }
            }
            Val::Load(array, a) => self.load(*array, a),
            Val::Counter(c, o) => S::of((self.counters[*c as usize] + o) as f64),
            Val::Local(l) => self.locals[*l as usize],
            Val::Neg(a) => -self.val(a),
            Val::Add(a, b) => {
                let a = self.val(a);
                a + self.val(b)
            }
            Val::Sub(a, b) => {
                let a = self.val(a);
                a - self.val(b)
            }
            Val::Mul(a, b) => {
                let a = self.val(a);
                a * self.val(b)
            }
            Val::Div(a, b) => {
                let a = self.val(a);
                a / self.val(b)
            }
            Val::Powi(a, n) => self.val(a).powi(*n),
            Val::Powf(a, b) => {
                let a = self.val(a);
                a.powf(self.val(b))
            }
            Val::Unary(f, a) => unary(*f, self.val(a)),
            Val::Min(a, b) => {
                let a = self.val(a);
                a.min(self.val(b))
            }
            Val::Max(a, b) => {
                let a = self.val(a);
                a.max(self.val(b))
            }
            Val::Sign(a) => self.val(a).sign(),
            Val::Heaviside(a) => self.val(a).heaviside(),
            Val::OneMinusSquare(a) => {
                let t = self.val(a);
                S::one() - t * t
            }
            Val::OnePlusSquare(a) => {
                let t = self.val(a);
                S::one() + t * t
            }
            Val::SigmoidSlope(a) => {
                let s = self.val(a);
                s * (S::one() - s)
            }
            Val::Sum {
                var,
                lo,
                hi,
                body,
                lanes,
            } => {
                let c = *var as usize;
                if *lanes {
                    let mut acc = [S::zero(); 4];
                    let mut k = *lo;
                    while k + 4 <= *hi {
                        for (j, a) in acc.iter_mut().enumerate() {
                            self.counters[c] = k + j as i64;
                            *a += self.val(body);
                        }
                        k += 4;
                    }
                    while k < *hi {
                        self.counters[c] = k;
                        acc[0] += self.val(body);
                        k += 1;
                    }
                    (acc[0] + acc[1]) + (acc[2] + acc[3])
                } else {
                    let mut acc = S::zero();
                    for k in *lo..*hi {
                        self.counters[c] = k;
                        acc += self.val(body);
                    }
                    acc
                }
            }
            Val::Fold {
                op,
                var,
                lo,
                hi,
                body,
            } => best(self, *op, *var, *lo, *hi, body).0,
        }
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Loop { var, lo, hi, body } => {
                for k in *lo..*hi {
                    self.counters[*var as usize] = k;
                    self.stmts(body);
                }
            }
            Stmt::Store(array, a, v) => {
                let v = self.val(v);
                *self.slot(*array, a) = v;
            }
            Stmt::AddTo(array, a, v) => {
                let v = self.val(v);
                *self.slot(*array, a) += v;
            }
            Stmt::Let(l, v) => {
                let v = self.val(v);
                self.locals[*l as usize] = v;
            }
            Stmt::Pick {
                a,
                b,
                ge,
                then,
                other,
            } => {
                let (a, b) = (self.locals[*a as usize].re(), self.locals[*b as usize].re());
                if (*ge && a >= b) || (!*ge && a <= b) {
                    self.stmts(then);
                } else {
                    self.stmts(other);
                }
            }
            Stmt::ArgBest {
                op,
                var,
                lo,
                hi,
                body,
                then,
            } => {
                let (_, arg) = best(self, *op, *var, *lo, *hi, body);
                self.counters[*var as usize] = arg;
                self.stmts(then);
            }
        }
    }
}
