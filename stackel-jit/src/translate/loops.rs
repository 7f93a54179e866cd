//! One loop [`Kernel`] as a Cranelift function `(x, p, lambda, dir, pdir,
//! out)`: counted loops as header/body blocks with the counter a frontend
//! variable, locals as variables, guards as branches around their value,
//! and every number operation the one [`super::Cx`] emits for the
//! straight-line programs (the same instructions and library calls, so the
//! same bits as the macro's generated loops).
//!
//! Every index is proven in range before translation
//! ([`Kernel::check_bounds`]), so loads and stores carry no checks.

use super::Cx;
use crate::libm::Imports;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Function, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Module};
use stackel_symbolic::indexed::expr::Ix;
use stackel_symbolic::indexed::kernel::{Array, Cond, Index, Kernel, Stmt, Val};
use std::collections::HashMap;

/// Emits `kernel` into `func` (signature: six pointers, set by the caller).
pub(crate) fn kernel(
    module: &mut JITModule,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    imports: &Imports,
    kernel: &Kernel,
    ty: Type,
) {
    let config = module.target_config();
    let ptr = config.pointer_type();
    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let args = b.block_params(entry).to_vec();
    let locals = (0..kernel.locals).map(|_| b.declare_var(ty)).collect();
    let counters = (0..kernel.counters).map(|_| b.declare_var(ptr)).collect();
    let cx = Cx {
        b,
        ty,
        width: ty.bytes() as i32,
        args: [args[0], args[1], args[2]],
        flags: MemFlagsData::trusted(),
        temps: Vec::new(),
        loaded: HashMap::new(),
        consts: HashMap::new(),
        batch: None,
    };
    let mut k = Kx {
        cx,
        module,
        imports,
        calls: HashMap::new(),
        arrays: [args[0], args[1], args[2], args[3], args[4], args[5]],
        locals,
        counters,
        scaled: HashMap::new(),
        depth: 0,
        ptr,
    };
    k.stmts(&kernel.body);
    k.cx.b.ins().return_(&[]);
    k.cx.b.finalize(config);
}

/// The translation state of one kernel.
struct Kx<'a, 'b> {
    cx: Cx<'b>,
    module: &'a mut JITModule,
    imports: &'a Imports,
    calls: HashMap<FuncId, cranelift_codegen::ir::FuncRef>,
    /// The array pointers, in the order of [`Array`].
    arrays: [Value; 6],
    locals: Vec<Variable>,
    counters: Vec<Variable>,
    /// Per counter in scope: its loop depth, and per coefficient c with
    /// which an index in its loop uses it, the byte offset `counter * c *
    /// width` (an induction variable stepped at the end of each trip, so
    /// that addresses need no multiplication and what outer loops add is
    /// hoisted out of inner ones).
    scaled: HashMap<Ix, (usize, HashMap<i64, Variable>)>,
    depth: usize,
    ptr: Type,
}

impl Kx<'_, '_> {
    /// Runs `f` in a nested region (a loop body or a branch): constants
    /// materialised there do not dominate what follows, so they are
    /// forgotten after it.
    fn nested<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let outer = self.cx.consts.clone();
        let r = f(self);
        self.cx.consts = outer;
        r
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let(l, v) => {
                let v = self.val(v);
                self.cx.b.def_var(self.locals[*l as usize], v);
            }
            Stmt::AddTo(l, v) => {
                let var = self.locals[*l as usize];
                // the sum so far first, then the term: `s += term`
                let s = self.cx.b.use_var(var);
                let v = self.val(v);
                let r = self.cx.b.ins().fadd(s, v);
                self.cx.b.def_var(var, r);
            }
            Stmt::Loop { var, lo, hi, body } => {
                let counter = self.counters[var.0 as usize];
                let mut coefs = Vec::new();
                coefficients(body, *var, &mut coefs);
                let w = self.cx.width as i64;
                let b = &mut self.cx.b;
                let (header, block, exit) = (b.create_block(), b.create_block(), b.create_block());
                let start = b.ins().iconst(self.ptr, *lo);
                b.def_var(counter, start);
                let mut scaled = HashMap::new();
                for &c in &coefs {
                    let v = b.declare_var(self.ptr);
                    let s = b.ins().iconst(self.ptr, lo * c * w);
                    b.def_var(v, s);
                    scaled.insert(c, v);
                }
                b.ins().jump(header, &[]);
                b.switch_to_block(header);
                let i = b.use_var(counter);
                let more = b.ins().icmp_imm_s(IntCC::SignedLessThan, i, *hi);
                b.ins().brif(more, block, &[], exit, &[]);
                b.switch_to_block(block);
                b.seal_block(block);
                self.depth += 1;
                let outer = self.scaled.insert(*var, (self.depth, scaled.clone()));
                self.nested(|k| k.stmts(body));
                match outer {
                    Some(o) => self.scaled.insert(*var, o),
                    None => self.scaled.remove(var),
                };
                self.depth -= 1;
                let b = &mut self.cx.b;
                let i = b.use_var(counter);
                let next = b.ins().iadd_imm_s(i, 1);
                b.def_var(counter, next);
                for (c, v) in scaled {
                    let s = b.use_var(v);
                    let s = b.ins().iadd_imm_s(s, c * w);
                    b.def_var(v, s);
                }
                b.ins().jump(header, &[]);
                b.seal_block(header);
                b.switch_to_block(exit);
                b.seal_block(exit);
            }
            Stmt::Store(i, v) => {
                let v = self.val(v);
                let (at, imm) = self.address(Array::Out, i);
                let flags = self.cx.flags;
                self.cx.b.ins().store(flags, v, at, imm);
            }
            Stmt::StoreAdd(i, v) => {
                // `out[r] += term`: the stored value first, then the term
                let (at, imm) = self.address(Array::Out, i);
                let (ty, flags) = (self.cx.ty, self.cx.flags);
                let old = self.cx.b.ins().load(ty, flags, at, imm);
                let v = self.val(v);
                let r = self.cx.b.ins().fadd(old, v);
                self.cx.b.ins().store(flags, r, at, imm);
            }
        }
    }

    /// The address of `a[i]` as (base, immediate byte offset): the array
    /// plus the scaled counters, outermost loop first.
    fn address(&mut self, a: Array, i: &Index) -> (Value, i32) {
        let w = self.cx.width as i64;
        let mut terms: Vec<(usize, Variable)> = i
            .terms
            .iter()
            .map(|(var, coef)| {
                let (depth, scaled) = &self.scaled[var];
                (*depth, scaled[coef])
            })
            .collect();
        terms.sort_by_key(|(depth, _)| *depth);
        let mut at = self.arrays[a as usize];
        for (_, v) in terms {
            let off = self.cx.b.use_var(v);
            at = self.cx.b.ins().iadd(at, off);
        }
        let imm = i32::try_from(i.offset * w).expect("kernel arrays are under 2 GiB");
        (at, imm)
    }

    /// The flag (i8) of `c`.
    fn cond(&mut self, c: &Cond) -> Value {
        let b = &mut self.cx.b;
        match c {
            Cond::InRange {
                var,
                offset,
                lo,
                hi,
            } => {
                let v = b.use_var(self.counters[var.0 as usize]);
                let v = b.ins().iadd_imm_s(v, *offset);
                let above = b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, v, *lo);
                let below = b.ins().icmp_imm_s(IntCC::SignedLessThan, v, *hi);
                b.ins().band(above, below)
            }
            Cond::Equal { a, b: None, offset } => {
                let v = b.use_var(self.counters[a.0 as usize]);
                b.ins().icmp_imm_s(IntCC::Equal, v, *offset)
            }
            Cond::Equal {
                a,
                b: Some(other),
                offset,
            } => {
                let va = b.use_var(self.counters[a.0 as usize]);
                let vb = b.use_var(self.counters[other.0 as usize]);
                let vb = b.ins().iadd_imm_s(vb, *offset);
                b.ins().icmp(IntCC::Equal, va, vb)
            }
        }
    }

    fn val(&mut self, v: &Val) -> Value {
        match v {
            Val::Const(c) => self.cx.constant(*c),
            Val::Load(a, i) => {
                let (at, imm) = self.address(*a, i);
                // inputs are never written during a call
                let flags = match a {
                    Array::Out => self.cx.flags,
                    _ => self.cx.flags.with_readonly(),
                };
                self.cx.b.ins().load(self.cx.ty, flags, at, imm)
            }
            Val::Local(l) => self.cx.b.use_var(self.locals[*l as usize]),
            Val::Counter(var, offset) => {
                let b = &mut self.cx.b;
                let c = b.use_var(self.counters[var.0 as usize]);
                let c = b.ins().iadd_imm_s(c, *offset);
                b.ins().fcvt_from_sint(self.cx.ty, c)
            }
            Val::Add(xs) => self.fold(xs, |b, a, c| b.ins().fadd(a, c)),
            Val::Mul(xs) => self.fold(xs, |b, a, c| b.ins().fmul(a, c)),
            Val::Neg(a) => {
                let a = self.val(a);
                self.cx.b.ins().fneg(a)
            }
            Val::Div(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                self.cx.b.ins().fdiv(a, b)
            }
            Val::Powi(a, n) => {
                let a = self.val(a);
                self.cx.powi(a, *n)
            }
            Val::Powf(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                self.cx
                    .call(self.module, &mut self.calls, self.imports.powf, &[a, b])
            }
            Val::Unary(f, a) => {
                let a = self.val(a);
                self.cx
                    .unary(self.module, self.imports, &mut self.calls, *f, a)
            }
            Val::Sign(a) => {
                let a = self.val(a);
                self.cx.sign(a)
            }
            Val::Heaviside(a) => {
                let a = self.val(a);
                self.cx.heaviside(a)
            }
            Val::Le(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                self.cx.le(a, b)
            }
            Val::Min(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                self.cx.min(a, b)
            }
            Val::Max(a, b) => {
                let (a, b) = (self.val(a), self.val(b));
                self.cx.max(a, b)
            }
            Val::Guard(conds, a) => {
                let mut flag = None;
                for c in conds {
                    let f = self.cond(c);
                    flag = Some(match flag {
                        None => f,
                        Some(g) => self.cx.b.ins().band(g, f),
                    });
                }
                let flag = flag.expect("a guard has a condition");
                let zero = self.cx.constant(0.0);
                let b = &mut self.cx.b;
                let (then, merge) = (b.create_block(), b.create_block());
                b.append_block_param(merge, self.cx.ty);
                b.ins().brif(flag, then, &[], merge, &[zero.into()]);
                b.switch_to_block(then);
                b.seal_block(then);
                let value = self.nested(|k| k.val(a));
                let b = &mut self.cx.b;
                b.ins().jump(merge, &[value.into()]);
                b.switch_to_block(merge);
                b.seal_block(merge);
                b.block_params(merge)[0]
            }
            Val::Block(stmts, a) => {
                self.stmts(stmts);
                self.val(a)
            }
        }
    }

    /// `((x0 op x1) op x2) ..`, left to right as the generated Rust.
    fn fold(
        &mut self,
        xs: &[Val],
        op: impl Fn(&mut FunctionBuilder<'_>, Value, Value) -> Value,
    ) -> Value {
        let (first, rest) = xs.split_first().expect("a fold has terms");
        let mut acc = self.val(first);
        for x in rest {
            let v = self.val(x);
            acc = op(&mut self.cx.b, acc, v);
        }
        acc
    }
}

/// Every coefficient with which an index in `stmts` uses `var`.
fn coefficients(stmts: &[Stmt], var: Ix, out: &mut Vec<i64>) {
    let mut index = |i: &Index, out: &mut Vec<i64>| {
        for (v, c) in &i.terms {
            if *v == var && !out.contains(c) {
                out.push(*c);
            }
        }
    };
    fn val(v: &Val, var: Ix, out: &mut Vec<i64>, index: &mut dyn FnMut(&Index, &mut Vec<i64>)) {
        match v {
            Val::Load(_, i) => index(i, out),
            Val::Const(_) | Val::Local(_) | Val::Counter(..) => {}
            Val::Add(xs) | Val::Mul(xs) => xs.iter().for_each(|x| val(x, var, out, index)),
            Val::Neg(a)
            | Val::Powi(a, _)
            | Val::Unary(_, a)
            | Val::Sign(a)
            | Val::Heaviside(a)
            | Val::Guard(_, a) => val(a, var, out, index),
            Val::Div(a, b) | Val::Powf(a, b) | Val::Le(a, b) | Val::Min(a, b) | Val::Max(a, b) => {
                val(a, var, out, index);
                val(b, var, out, index);
            }
            Val::Block(stmts, a) => {
                coefficients(stmts, var, out);
                val(a, var, out, index);
            }
        }
    }
    for s in stmts {
        match s {
            Stmt::Let(_, v) | Stmt::AddTo(_, v) => val(v, var, out, &mut index),
            Stmt::Loop { body, .. } => coefficients(body, var, out),
            Stmt::Store(i, v) | Stmt::StoreAdd(i, v) => {
                index(i, out);
                val(v, var, out, &mut index);
            }
        }
    }
}
