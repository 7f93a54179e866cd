//! Numbers of a tape program at a depth of tangents ([`Num`]) and their
//! arithmetic: each operation is the one `stackel_runtime::Tangent`
//! performs, down to the scalar operations of [`super::super::Cx`] (the
//! macro's bits); `Real`'s provided functions (sigmoid, softplus, relu,
//! sign, heaviside, min, max) as its defaults are written.

use super::Tx;
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{InstBuilder, Value};
use stackel_symbolic::model::UnaryFn;

/// A number: a scalar, or a value and its tangent (each a number one
/// level down).
#[derive(Clone)]
pub(super) enum Num {
    S(Value),
    D(Box<Num>, Box<Num>),
}

impl Num {
    pub(super) fn d(v: Num, d: Num) -> Num {
        Num::D(Box::new(v), Box::new(d))
    }

    /// The scalar components, in field order.
    pub(super) fn comps(&self) -> Vec<Value> {
        match self {
            Num::S(v) => vec![*v],
            Num::D(a, b) => {
                let mut c = a.comps();
                c.extend(b.comps());
                c
            }
        }
    }

    pub(super) fn of(comps: &[Value]) -> Num {
        if comps.len() == 1 {
            return Num::S(comps[0]);
        }
        let h = comps.len() / 2;
        Num::d(Num::of(&comps[..h]), Num::of(&comps[h..]))
    }

    /// The real part (`re()`).
    pub(super) fn re(&self) -> Value {
        match self {
            Num::S(v) => *v,
            Num::D(a, _) => a.re(),
        }
    }

    /// (value, tangent) of a tangent number.
    pub(super) fn parts(&self) -> (&Num, &Num) {
        match self {
            Num::D(a, b) => (a, b),
            Num::S(_) => unreachable!("a tangent operation on a plain number"),
        }
    }
}

impl Tx<'_, '_> {
    /// `of(c)` at depth `d`: (c, 0, ...).
    pub(super) fn constant(&mut self, c: f64, d: u32) -> Num {
        if d == 0 {
            return Num::S(self.cx.constant(c));
        }
        let v = self.constant(c, d - 1);
        let z = self.constant(0.0, d - 1);
        Num::d(v, z)
    }

    /// A scalar `s` as a number at depth `d`: (s, 0, ...).
    pub(super) fn lift(&mut self, s: Value, d: u32) -> Num {
        if d == 0 {
            return Num::S(s);
        }
        let v = self.lift(s, d - 1);
        let z = self.constant(0.0, d - 1);
        Num::d(v, z)
    }

    pub(super) fn depth_of(n: &Num) -> u32 {
        match n {
            Num::S(_) => 0,
            Num::D(a, _) => 1 + Self::depth_of(a),
        }
    }

    pub(super) fn add(&mut self, a: &Num, b: &Num) -> Num {
        match (a, b) {
            (Num::S(x), Num::S(y)) => Num::S(self.cx.b.ins().fadd(*x, *y)),
            (Num::D(av, ad), Num::D(bv, bd)) => {
                let v = self.add(av, bv);
                let d = self.add(ad, bd);
                Num::d(v, d)
            }
            _ => unreachable!("operands of one depth"),
        }
    }

    pub(super) fn sub(&mut self, a: &Num, b: &Num) -> Num {
        match (a, b) {
            (Num::S(x), Num::S(y)) => Num::S(self.cx.b.ins().fsub(*x, *y)),
            (Num::D(av, ad), Num::D(bv, bd)) => {
                let v = self.sub(av, bv);
                let d = self.sub(ad, bd);
                Num::d(v, d)
            }
            _ => unreachable!("operands of one depth"),
        }
    }

    pub(super) fn neg(&mut self, a: &Num) -> Num {
        match a {
            Num::S(x) => Num::S(self.cx.b.ins().fneg(*x)),
            Num::D(v, d) => {
                let v = self.neg(v);
                let d = self.neg(d);
                Num::d(v, d)
            }
        }
    }

    /// (a.v b.v, a.d b.v + a.v b.d)
    pub(super) fn mul(&mut self, a: &Num, b: &Num) -> Num {
        match (a, b) {
            (Num::S(x), Num::S(y)) => Num::S(self.cx.b.ins().fmul(*x, *y)),
            (Num::D(av, ad), Num::D(bv, bd)) => {
                let v = self.mul(av, bv);
                let l = self.mul(ad, bv);
                let r = self.mul(av, bd);
                let d = self.add(&l, &r);
                Num::d(v, d)
            }
            _ => unreachable!("operands of one depth"),
        }
    }

    /// q = a.v / b.v; (q, (a.d - q b.d) / b.v)
    pub(super) fn div(&mut self, a: &Num, b: &Num) -> Num {
        match (a, b) {
            (Num::S(x), Num::S(y)) => Num::S(self.cx.b.ins().fdiv(*x, *y)),
            (Num::D(av, ad), Num::D(bv, bd)) => {
                let q = self.div(av, bv);
                let qb = self.mul(&q, bd);
                let t = self.sub(ad, &qb);
                let d = self.div(&t, bv);
                Num::d(q, d)
            }
            _ => unreachable!("operands of one depth"),
        }
    }

    /// `Tangent::chain`: (v, dv * a.d).
    pub(super) fn chain(&mut self, a: &Num, v: Num, dv: &Num) -> Num {
        let d = self.mul(dv, a.parts().1);
        Num::d(v, d)
    }

    /// Every component of `a` where `cond` holds, else of `b`.
    pub(super) fn select(&mut self, cond: Value, a: &Num, b: &Num) -> Num {
        let (x, y) = (a.comps(), b.comps());
        let c: Vec<Value> = x
            .iter()
            .zip(&y)
            .map(|(&p, &q)| self.cx.b.ins().select(cond, p, q))
            .collect();
        Num::of(&c)
    }

    pub(super) fn fcmp(&mut self, cc: FloatCC, a: Value, b: Value) -> Value {
        self.cx.b.ins().fcmp(cc, a, b)
    }

    pub(super) fn scalar_call(&mut self, f: UnaryFn, a: Value) -> Value {
        self.cx
            .unary(self.module, self.imports, &mut self.calls, f, a)
    }

    /// f(a) with the runtime's implementation at a's depth.
    pub(super) fn unary(&mut self, f: UnaryFn, a: &Num) -> Num {
        let d = Self::depth_of(a);
        if let Num::S(x) = a {
            return Num::S(self.scalar_call(f, *x));
        }
        let (v, _) = a.parts();
        let v = v.clone();
        let one = self.constant(1.0, d - 1);
        match f {
            UnaryFn::Exp => {
                let e = self.unary(UnaryFn::Exp, &v);
                self.chain(a, e.clone(), &e)
            }
            UnaryFn::Ln => {
                let l = self.unary(UnaryFn::Ln, &v);
                let dv = self.div(&one, &v);
                self.chain(a, l, &dv)
            }
            UnaryFn::Sqrt => {
                let s = self.unary(UnaryFn::Sqrt, &v);
                let ss = self.add(&s, &s);
                let dv = self.div(&one, &ss);
                self.chain(a, s, &dv)
            }
            UnaryFn::Sin => {
                let s = self.unary(UnaryFn::Sin, &v);
                let c = self.unary(UnaryFn::Cos, &v);
                self.chain(a, s, &c)
            }
            UnaryFn::Cos => {
                let c = self.unary(UnaryFn::Cos, &v);
                let s = self.unary(UnaryFn::Sin, &v);
                let ms = self.neg(&s);
                self.chain(a, c, &ms)
            }
            UnaryFn::Tan | UnaryFn::Tanh => {
                let t = self.unary(f, &v);
                let tt = self.mul(&t, &t);
                let dv = if f == UnaryFn::Tan {
                    self.add(&one, &tt)
                } else {
                    self.sub(&one, &tt)
                };
                self.chain(a, t, &dv)
            }
            UnaryFn::Abs => {
                let m = self.unary(UnaryFn::Abs, &v);
                let s = self.sign(&v);
                self.chain(a, m, &s)
            }
            // `Real`'s defaults, written with the operations above
            UnaryFn::Sigmoid => {
                let one = self.constant(1.0, d);
                let m = self.neg(a);
                let e = self.unary(UnaryFn::Exp, &m);
                let den = self.add(&one, &e);
                let pos = self.div(&one, &den);
                let e = self.unary(UnaryFn::Exp, a);
                let den = self.add(&one, &e);
                let negative = self.div(&e, &den);
                let zero = self.cx.constant(0.0);
                let c = self.fcmp(FloatCC::GreaterThanOrEqual, a.re(), zero);
                self.select(c, &pos, &negative)
            }
            UnaryFn::Softplus => {
                let one = self.constant(1.0, d);
                let m = self.neg(a);
                let e = self.unary(UnaryFn::Exp, &m);
                let s = self.add(&one, &e);
                let l = self.unary(UnaryFn::Ln, &s);
                let pos = self.add(a, &l);
                let e = self.unary(UnaryFn::Exp, a);
                let s = self.add(&one, &e);
                let negative = self.unary(UnaryFn::Ln, &s);
                let zero = self.cx.constant(0.0);
                let c = self.fcmp(FloatCC::GreaterThan, a.re(), zero);
                self.select(c, &pos, &negative)
            }
            UnaryFn::Relu => {
                let z = self.constant(0.0, d);
                let zero = self.cx.constant(0.0);
                let c = self.fcmp(FloatCC::GreaterThan, a.re(), zero);
                self.select(c, a, &z)
            }
        }
    }

    /// `Real::sign`: of(-1, 0 or 1) by the real part.
    pub(super) fn sign(&mut self, a: &Num) -> Num {
        let s = self.cx.sign(a.re());
        self.lift(s, Self::depth_of(a))
    }

    /// `Real::heaviside`: of(1 or 0) by the real part.
    pub(super) fn heaviside(&mut self, a: &Num) -> Num {
        let s = self.cx.heaviside(a.re());
        self.lift(s, Self::depth_of(a))
    }

    pub(super) fn powi(&mut self, a: &Num, n: i32) -> Num {
        let d = Self::depth_of(a);
        match a {
            Num::S(x) => Num::S(self.cx.powi(*x, n)),
            Num::D(v, _) => {
                if n == 0 {
                    return self.constant(1.0, d);
                }
                let p = self.powi(v, n);
                let k = self.constant(n as f64, d - 1);
                let q = self.powi(v, n - 1);
                let dv = self.mul(&k, &q);
                self.chain(a, p, &dv)
            }
        }
    }

    pub(super) fn powf(&mut self, a: &Num, e: &Num) -> Num {
        match (a, e) {
            (Num::S(x), Num::S(y)) => {
                Num::S(
                    self.cx
                        .call(self.module, &mut self.calls, self.imports.powf, &[*x, *y]),
                )
            }
            (Num::D(av, ad), Num::D(ev, ed)) => {
                let d = Self::depth_of(av);
                let p = self.powf(av, ev);
                let one = self.constant(1.0, d);
                let em1 = self.sub(ev, &one);
                let q = self.powf(av, &em1);
                let t = self.mul(ev, &q);
                let base = self.mul(&t, ad);
                let l = self.unary(UnaryFn::Ln, av);
                let pl = self.mul(&p, &l);
                let extra = self.mul(&pl, ed);
                let with = self.add(&base, &extra);
                let zero = self.cx.constant(0.0);
                let c = self.fcmp(FloatCC::NotEqual, ed.re(), zero);
                let d = self.select(c, &with, &base);
                Num::d(p, d)
            }
            _ => unreachable!("operands of one depth"),
        }
    }
}
