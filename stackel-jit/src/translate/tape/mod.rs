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
//! adjoints; the caller zeroes the adjoint planes. Every index is proven in range before translation
//! (`crate::tape::native`), so loads and stores carry no checks.
//!
//! `arith.rs` has the numbers and their arithmetic.

mod arith;

use super::Cx;
use crate::libm::Imports;
use arith::Num;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, Block, Function, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Module};
use stackel_symbolic::emit_rust::tape::ir::{Addr, Array, Stmt, TapeProgram, Val};
use stackel_symbolic::model::BinaryFn;
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
    // adjoint planes come zeroed; a pass zeroes those an earlier pass used
    let mut used = std::collections::HashSet::new();
    for pass in &prog.passes {
        for &(k, len) in &pass.adjoints {
            if !used.insert(k) {
                t.zero(Array::Adjoint(k), len);
            }
        }
        t.stmts(&pass.body);
    }
    t.cx.b.ins().return_(&[]);
    t.cx.b.seal_all_blocks();
    t.cx.b.finalize(config);
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
