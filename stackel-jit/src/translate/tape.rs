//! One tape program ([`TapeProgram`]) as a Cranelift function `(table)`, in
//! plain numbers (depth 0), tangent numbers (depth 1) or tangents of
//! tangents (depth 2): every number is 2^depth scalar components, ordered
//! as `Tangent<Tangent<T>>`'s fields are nested (v.v, v.d, d.v, d.d), and
//! every operation is the one `stackel_runtime::Tangent` performs on them,
//! down to the scalar operations [`super::Cx`] emits for the macro's
//! programs; so the function computes the generated tape-form code's bits.
//!
//! Each array is 2^depth planes, one per component. `table` holds their
//! addresses, array by array ([`plane`]): the state, the params, the
//! gradient, the cost (one entry), then each let's values, then each let's
//! adjoints. Every index is proven in range before translation
//! (`crate::tape::native`), so loads and stores carry no checks.

use super::Cx;
use crate::libm::Imports;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, Block, Function, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Module};
use stackel_symbolic::emit_rust::tape::ir::{Addr, Array, Stmt, TapeProgram, Val};
use stackel_symbolic::model::{BinaryFn, UnaryFn};
use std::collections::HashMap;

/// The table position of component `comp` of `array`'s plane, for a game
/// with `lets` kept lets, at `comps` components a number.
pub(crate) fn plane(array: Array, lets: usize, comps: usize, comp: usize) -> usize {
    let a = match array {
        Array::X => 0,
        Array::P => 1,
        Array::Grad => 2,
        Array::Let(k) => 4 + k,
        Array::Adjoint(k) => 4 + lets + k,
    };
    a * comps + comp
}

/// The table position of the cost's plane `comp`.
pub(crate) fn cost_plane(comps: usize, comp: usize) -> usize {
    3 * comps + comp
}

/// The number of table entries.
pub(crate) fn table_len(lets: usize, comps: usize) -> usize {
    (4 + 2 * lets) * comps
}

/// Emits `prog` at `depth` into `func` (signature: one pointer).
#[allow(clippy::too_many_arguments)]
pub(crate) fn tape(
    module: &mut JITModule,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    imports: &Imports,
    prog: &TapeProgram,
    lets: usize,
    depth: u32,
    ty: Type,
) {
    let config = module.target_config();
    let ptr = config.pointer_type();
    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let table = b.block_params(entry)[0];
    let comps = 1usize << depth;
    let flags = MemFlagsData::trusted();
    let planes: Vec<Value> = (0..table_len(lets, comps))
        .map(|k| {
            b.ins()
                .load(ptr, flags, table, (k * ptr.bytes() as usize) as i32)
        })
        .collect();
    let counters = (0..prog.counters).map(|_| b.declare_var(ptr)).collect();
    let locals = (0..prog.locals)
        .map(|_| (0..comps).map(|_| b.declare_var(ty)).collect())
        .collect();
    let cx = Cx {
        b,
        ty,
        width: ty.bytes() as i32,
        args: [table, table, table],
        flags,
        temps: Vec::new(),
        loaded: HashMap::new(),
        consts: HashMap::new(),
        batch: None,
    };
    let mut t = Tx {
        cx,
        module,
        imports,
        calls: HashMap::new(),
        depth,
        planes,
        lets,
        counters,
        locals,
        ptr,
    };
    t.stmts(&prog.forward);
    let cost = t.val(&prog.cost);
    for (c, v) in cost.comps().into_iter().enumerate() {
        let base = t.planes[cost_plane(comps, c)];
        t.cx.b.ins().store(flags, v, base, 0);
    }
    for pass in &prog.passes {
        for &(k, len) in &pass.adjoints {
            t.zero(Array::Adjoint(k), len);
        }
        t.stmts(&pass.body);
    }
    t.cx.b.ins().return_(&[]);
    t.cx.b.seal_all_blocks();
    t.cx.b.finalize(config);
}

/// A number: a scalar, or a value and its tangent (each a number one
/// level down).
#[derive(Clone)]
enum Num {
    S(Value),
    D(Box<Num>, Box<Num>),
}

impl Num {
    fn d(v: Num, d: Num) -> Num {
        Num::D(Box::new(v), Box::new(d))
    }

    /// The scalar components, in field order.
    fn comps(&self) -> Vec<Value> {
        match self {
            Num::S(v) => vec![*v],
            Num::D(a, b) => {
                let mut c = a.comps();
                c.extend(b.comps());
                c
            }
        }
    }

    fn of(comps: &[Value]) -> Num {
        if comps.len() == 1 {
            return Num::S(comps[0]);
        }
        let h = comps.len() / 2;
        Num::d(Num::of(&comps[..h]), Num::of(&comps[h..]))
    }

    /// The real part (`re()`).
    fn re(&self) -> Value {
        match self {
            Num::S(v) => *v,
            Num::D(a, _) => a.re(),
        }
    }

    /// (value, tangent) of a tangent number.
    fn parts(&self) -> (&Num, &Num) {
        match self {
            Num::D(a, b) => (a, b),
            Num::S(_) => unreachable!("a tangent operation on a plain number"),
        }
    }
}

struct Tx<'a, 'b> {
    cx: Cx<'b>,
    module: &'a mut JITModule,
    imports: &'a Imports,
    calls: HashMap<FuncId, cranelift_codegen::ir::FuncRef>,
    depth: u32,
    /// Plane base addresses, in table order.
    planes: Vec<Value>,
    lets: usize,
    counters: Vec<Variable>,
    locals: Vec<Vec<Variable>>,
    ptr: Type,
}

impl Tx<'_, '_> {
    /// Switches to `block`; constants made elsewhere may not dominate it.
    fn switch(&mut self, block: Block) {
        self.cx.b.switch_to_block(block);
        self.cx.consts.clear();
    }

    fn comps(&self) -> usize {
        1 << self.depth
    }

    // ---- numbers at a depth ------------------------------------------

    /// `of(c)` at depth `d`: (c, 0, ...).
    fn constant(&mut self, c: f64, d: u32) -> Num {
        if d == 0 {
            return Num::S(self.cx.constant(c));
        }
        let v = self.constant(c, d - 1);
        let z = self.constant(0.0, d - 1);
        Num::d(v, z)
    }

    /// A scalar `s` as a number at depth `d`: (s, 0, ...).
    fn lift(&mut self, s: Value, d: u32) -> Num {
        if d == 0 {
            return Num::S(s);
        }
        let v = self.lift(s, d - 1);
        let z = self.constant(0.0, d - 1);
        Num::d(v, z)
    }

    fn depth_of(n: &Num) -> u32 {
        match n {
            Num::S(_) => 0,
            Num::D(a, _) => 1 + Self::depth_of(a),
        }
    }

    fn add(&mut self, a: &Num, b: &Num) -> Num {
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

    fn sub(&mut self, a: &Num, b: &Num) -> Num {
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

    fn neg(&mut self, a: &Num) -> Num {
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
    fn mul(&mut self, a: &Num, b: &Num) -> Num {
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
    fn div(&mut self, a: &Num, b: &Num) -> Num {
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
    fn chain(&mut self, a: &Num, v: Num, dv: &Num) -> Num {
        let d = self.mul(dv, a.parts().1);
        Num::d(v, d)
    }

    /// Every component of `a` where `cond` holds, else of `b`.
    fn select(&mut self, cond: Value, a: &Num, b: &Num) -> Num {
        let (x, y) = (a.comps(), b.comps());
        let c: Vec<Value> = x
            .iter()
            .zip(&y)
            .map(|(&p, &q)| self.cx.b.ins().select(cond, p, q))
            .collect();
        Num::of(&c)
    }

    fn fcmp(&mut self, cc: FloatCC, a: Value, b: Value) -> Value {
        self.cx.b.ins().fcmp(cc, a, b)
    }

    fn scalar_call(&mut self, f: UnaryFn, a: Value) -> Value {
        self.cx
            .unary(self.module, self.imports, &mut self.calls, f, a)
    }

    /// f(a) with the runtime's implementation at a's depth.
    fn unary(&mut self, f: UnaryFn, a: &Num) -> Num {
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
    fn sign(&mut self, a: &Num) -> Num {
        let s = self.cx.sign(a.re());
        self.lift(s, Self::depth_of(a))
    }

    /// `Real::heaviside`: of(1 or 0) by the real part.
    fn heaviside(&mut self, a: &Num) -> Num {
        let s = self.cx.heaviside(a.re());
        self.lift(s, Self::depth_of(a))
    }

    fn powi(&mut self, a: &Num, n: i32) -> Num {
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

    fn powf(&mut self, a: &Num, e: &Num) -> Num {
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

    // ---- arrays, counters, locals ------------------------------------

    /// The address of component `comp` of `array[addr]`.
    fn address(&mut self, array: Array, addr: &Addr, comp: usize) -> Value {
        let w = self.cx.width as i64;
        let base = self.planes[plane(array, self.lets, self.comps(), comp)];
        let mut at = base;
        if addr.offset != 0 {
            at = self.cx.b.ins().iadd_imm_s(at, addr.offset * w);
        }
        for &(c, k) in &addr.terms {
            let i = self.cx.b.use_var(self.counters[c as usize]);
            let off = self.cx.b.ins().imul_imm_s(i, k * w);
            at = self.cx.b.ins().iadd(at, off);
        }
        at
    }

    fn load(&mut self, array: Array, addr: &Addr) -> Num {
        let (ty, flags) = (self.cx.ty, self.cx.flags);
        let c: Vec<Value> = (0..self.comps())
            .map(|k| {
                let at = self.address(array, addr, k);
                self.cx.b.ins().load(ty, flags, at, 0)
            })
            .collect();
        Num::of(&c)
    }

    fn store(&mut self, array: Array, addr: &Addr, v: &Num) {
        let flags = self.cx.flags;
        for (k, c) in v.comps().into_iter().enumerate() {
            let at = self.address(array, addr, k);
            self.cx.b.ins().store(flags, c, at, 0);
        }
    }

    /// Zeroes the first `len` entries of every plane of `array`.
    fn zero(&mut self, array: Array, len: usize) {
        let (ty, flags, w) = (self.cx.ty, self.cx.flags, self.cx.width as i64);
        for c in 0..self.comps() {
            let base = self.planes[plane(array, self.lets, self.comps(), c)];
            self.counted(0, len as i64, 1, &mut |t, k| {
                let zero = if ty == types::F32 {
                    t.cx.b.ins().f32const(0.0)
                } else {
                    t.cx.b.ins().f64const(0.0)
                };
                let off = t.cx.b.ins().imul_imm_s(k, w);
                let at = t.cx.b.ins().iadd(base, off);
                t.cx.b.ins().store(flags, zero, at, 0);
            });
        }
    }

    fn set_counter(&mut self, c: u32, v: Value) {
        self.cx.b.def_var(self.counters[c as usize], v);
    }

    fn local(&mut self, l: u32) -> Num {
        let c: Vec<Value> = (0..self.comps())
            .map(|k| self.cx.b.use_var(self.locals[l as usize][k]))
            .collect();
        Num::of(&c)
    }

    /// Fresh variables holding `v`.
    fn hold(&mut self, v: &Num) -> Vec<Variable> {
        let ty = self.cx.ty;
        v.comps()
            .into_iter()
            .map(|c| {
                let var = self.cx.b.declare_var(ty);
                self.cx.b.def_var(var, c);
                var
            })
            .collect()
    }

    fn read(&mut self, vars: &[Variable]) -> Num {
        let c: Vec<Value> = vars.iter().map(|&v| self.cx.b.use_var(v)).collect();
        Num::of(&c)
    }

    fn write(&mut self, vars: &[Variable], v: &Num) {
        for (&var, c) in vars.iter().zip(v.comps()) {
            self.cx.b.def_var(var, c);
        }
    }

    /// `for i in lo..hi { body(i) }` with the trip counter in a fresh
    /// variable stepped by `step`.
    fn counted(&mut self, lo: i64, hi: i64, step: i64, body: &mut dyn FnMut(&mut Self, Value)) {
        let i = self.cx.b.declare_var(self.ptr);
        let b = &mut self.cx.b;
        let (header, block, exit) = (b.create_block(), b.create_block(), b.create_block());
        let start = b.ins().iconst(self.ptr, lo);
        b.def_var(i, start);
        b.ins().jump(header, &[]);
        self.switch(header);
        let k = self.cx.b.use_var(i);
        let more = self
            .cx
            .b
            .ins()
            .icmp_imm_s(IntCC::SignedLessThan, k, hi - step + 1);
        self.cx.b.ins().brif(more, block, &[], exit, &[]);
        self.switch(block);
        let k = self.cx.b.use_var(i);
        body(self, k);
        let k = self.cx.b.use_var(i);
        let next = self.cx.b.ins().iadd_imm_s(k, step);
        self.cx.b.def_var(i, next);
        self.cx.b.ins().jump(header, &[]);
        self.switch(exit);
    }

    /// The first best term of `body` over `lo..hi`: (components in fresh
    /// variables, the index in a fresh variable).
    fn best(
        &mut self,
        op: BinaryFn,
        var: u32,
        lo: i64,
        hi: i64,
        body: &Val,
    ) -> (Vec<Variable>, Variable) {
        let first = self.cx.b.ins().iconst(self.ptr, lo);
        self.set_counter(var, first);
        let v = self.val(body);
        let best = self.hold(&v);
        let arg = self.cx.b.declare_var(self.ptr);
        let first = self.cx.b.ins().iconst(self.ptr, lo);
        self.cx.b.def_var(arg, first);
        let cc = match op {
            BinaryFn::Max => FloatCC::GreaterThan,
            BinaryFn::Min => FloatCC::LessThan,
        };
        self.counted(lo + 1, hi, 1, &mut |t, k| {
            t.set_counter(var, k);
            let v = t.val(body);
            let old = t.read(&best);
            let better = t.fcmp(cc, v.re(), old.re());
            let new = t.select(better, &v, &old);
            t.write(&best, &new);
            let a = t.cx.b.use_var(arg);
            let a = t.cx.b.ins().select(better, k, a);
            t.cx.b.def_var(arg, a);
        });
        (best, arg)
    }

    // ---- values and statements ---------------------------------------

    fn val(&mut self, v: &Val) -> Num {
        let d = self.depth;
        match v {
            Val::Const(c) => self.constant(*c, d),
            Val::Load(array, addr) => self.load(*array, addr),
            Val::Counter(c, o) => {
                let i = self.cx.b.use_var(self.counters[*c as usize]);
                let i = self.cx.b.ins().iadd_imm_s(i, *o);
                // (i as f64) as T, as `S::of((c + o) as f64)`
                let f = self.cx.b.ins().fcvt_from_sint(types::F64, i);
                let s = if self.cx.ty == types::F32 {
                    self.cx.b.ins().fdemote(types::F32, f)
                } else {
                    f
                };
                self.lift(s, d)
            }
            Val::Local(l) => self.local(*l),
            Val::Neg(a) => {
                let a = self.val(a);
                self.neg(&a)
            }
            Val::Add(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                self.add(&a, &b)
            }
            Val::Sub(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                self.sub(&a, &b)
            }
            Val::Mul(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                self.mul(&a, &b)
            }
            Val::Div(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                self.div(&a, &b)
            }
            Val::Powi(a, n) => {
                let a = self.val(a);
                self.powi(&a, *n)
            }
            Val::Powf(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                self.powf(&a, &b)
            }
            Val::Unary(f, a) => {
                let a = self.val(a);
                self.unary(*f, &a)
            }
            Val::Min(a, b) | Val::Max(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                let cc = if matches!(v, Val::Min(..)) {
                    FloatCC::LessThanOrEqual
                } else {
                    FloatCC::GreaterThanOrEqual
                };
                let c = self.fcmp(cc, a.re(), b.re());
                self.select(c, &a, &b)
            }
            Val::Sign(a) => {
                let a = self.val(a);
                self.sign(&a)
            }
            Val::Heaviside(a) => {
                let a = self.val(a);
                self.heaviside(&a)
            }
            Val::OneMinusSquare(a) | Val::OnePlusSquare(a) => {
                let t = self.val(a);
                let one = self.constant(1.0, d);
                let tt = self.mul(&t, &t);
                if matches!(v, Val::OneMinusSquare(_)) {
                    self.sub(&one, &tt)
                } else {
                    self.add(&one, &tt)
                }
            }
            Val::SigmoidSlope(a) => {
                let s = self.val(a);
                let one = self.constant(1.0, d);
                let r = self.sub(&one, &s);
                self.mul(&s, &r)
            }
            Val::Sum {
                var,
                lo,
                hi,
                body,
                lanes,
            } => {
                let zero = self.constant(0.0, d);
                if !*lanes {
                    let acc = self.hold(&zero);
                    self.counted(*lo, *hi, 1, &mut |t, k| {
                        t.set_counter(*var, k);
                        let v = t.val(body);
                        let a = t.read(&acc);
                        let s = t.add(&a, &v);
                        t.write(&acc, &s);
                    });
                    return self.read(&acc);
                }
                let accs: Vec<Vec<Variable>> = (0..4).map(|_| self.hold(&zero)).collect();
                let groups = (hi - lo) / 4;
                if groups > 0 {
                    self.counted(*lo, lo + 4 * groups, 4, &mut |t, k| {
                        for (j, acc) in accs.iter().enumerate() {
                            let kj = t.cx.b.ins().iadd_imm_s(k, j as i64);
                            t.set_counter(*var, kj);
                            let v = t.val(body);
                            let a = t.read(acc);
                            let s = t.add(&a, &v);
                            t.write(acc, &s);
                        }
                    });
                }
                for k in lo + 4 * groups..*hi {
                    let kk = self.cx.b.ins().iconst(self.ptr, k);
                    self.set_counter(*var, kk);
                    let v = self.val(body);
                    let a = self.read(&accs[0]);
                    let s = self.add(&a, &v);
                    self.write(&accs[0], &s);
                }
                let a: Vec<Num> = accs.iter().map(|acc| self.read(acc)).collect();
                let l = self.add(&a[0], &a[1]);
                let r = self.add(&a[2], &a[3]);
                self.add(&l, &r)
            }
            Val::Fold {
                op,
                var,
                lo,
                hi,
                body,
            } => {
                let (best, _) = self.best(*op, *var, *lo, *hi, body);
                self.read(&best)
            }
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
                self.counted(*lo, *hi, 1, &mut |t, k| {
                    t.set_counter(*var, k);
                    t.stmts(body);
                });
            }
            Stmt::Store(array, addr, v) => {
                let v = self.val(v);
                self.store(*array, addr, &v);
            }
            Stmt::AddTo(array, addr, v) => {
                let v = self.val(v);
                let old = self.load(*array, addr);
                let s = self.add(&old, &v);
                self.store(*array, addr, &s);
            }
            Stmt::Let(l, v) => {
                let v = self.val(v);
                let vars = self.locals[*l as usize].clone();
                self.write(&vars, &v);
            }
            Stmt::Pick {
                a,
                b,
                ge,
                then,
                other,
            } => {
                let (x, y) = (self.local(*a).re(), self.local(*b).re());
                let cc = if *ge {
                    FloatCC::GreaterThanOrEqual
                } else {
                    FloatCC::LessThanOrEqual
                };
                let c = self.fcmp(cc, x, y);
                let bl = &mut self.cx.b;
                let (yes, no, join) = (bl.create_block(), bl.create_block(), bl.create_block());
                bl.ins().brif(c, yes, &[], no, &[]);
                self.switch(yes);
                self.stmts(then);
                self.cx.b.ins().jump(join, &[]);
                self.switch(no);
                self.stmts(other);
                self.cx.b.ins().jump(join, &[]);
                self.switch(join);
            }
            Stmt::ArgBest {
                op,
                var,
                lo,
                hi,
                body,
                then,
            } => {
                let (_, arg) = self.best(*op, *var, *lo, *hi, body);
                let a = self.cx.b.use_var(arg);
                self.set_counter(*var, a);
                self.stmts(then);
            }
        }
    }
}
