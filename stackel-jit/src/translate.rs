//! One IR [`Program`] as a Cranelift function `(x, p, lambda, outputs)`:
//! one basic block, every temporary one SSA value, every state, param and
//! multiplier entry loaded once, every constant materialised once.

use crate::libm::Imports;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, Function, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::Module;
use stackel_symbolic::ir::{Op, Operand, Program, Stmt};
use stackel_symbolic::model::UnaryFn;
use std::collections::HashMap;

pub(crate) mod loops;
mod tanh;
pub(crate) mod tape;

/// Emits `program` into `func` (whose signature is already set).
pub(crate) fn program(
    module: &mut JITModule,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    imports: &Imports,
    program: &Program,
    ty: Type,
) {
    let config = module.target_config();
    let ptr = config.pointer_type();
    let mut b = FunctionBuilder::new(func, fctx);
    // every access is in bounds (checked by the caller) and aligned
    let flags = MemFlagsData::trusted();
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let args = b.block_params(block).to_vec();
    let mut cx = Cx {
        b,
        ty,
        width: ty.bytes() as i32,
        args: [args[0], args[1], args[2]],
        flags,
        temps: vec![None; program.temp_count()],
        loaded: HashMap::new(),
        consts: HashMap::new(),
        batch: None,
    };
    let mut calls = HashMap::new();
    for Stmt::Assign(ins) in &program.body {
        let v = cx.op(module, imports, &mut calls, ins.op);
        cx.temps[ins.dst as usize] = Some(v);
    }
    for (k, out) in program.outputs.iter().enumerate() {
        let base =
            cx.b.ins()
                .load(ptr, flags, args[3], k as i32 * ptr.bytes() as i32);
        for (e, &entry) in out.entries.iter().enumerate() {
            let v = cx.operand(entry);
            cx.b.ins().store(flags, v, base, e as i32 * cx.width);
        }
    }
    cx.b.ins().return_(&[]);
    cx.b.finalize(config);
}

struct Cx<'a> {
    b: FunctionBuilder<'a>,
    ty: Type,
    width: i32,
    /// x, p, lambda.
    args: [Value; 3],
    /// Aligned, non-trapping.
    flags: MemFlagsData,
    temps: Vec<Option<Value>>,
    /// (which input, index) -> loaded value.
    loaded: HashMap<(u8, u32), Value>,
    /// Constant bits -> value.
    consts: HashMap<u64, Value>,
    /// In a batched function: (x's column offsets k * count * width, hoisted
    /// per state index, and this point's byte offset j * width).
    batch: Option<Batch>,
}

/// Addressing of a batched function's loop body.
struct Batch {
    /// State index -> x + k * count * width (computed before the loop).
    columns: HashMap<u32, Value>,
    /// j * width for the current point j.
    offset: Value,
    /// Bytes past `offset` of this copy of an unrolled loop body.
    imm: i32,
}

impl Cx<'_> {
    fn constant(&mut self, c: f64) -> Value {
        let (ty, b) = (self.ty, &mut self.b);
        *self.consts.entry(c.to_bits()).or_insert_with(|| {
            let lane = ty.lane_type();
            let v = if lane == types::F32 {
                b.ins().f32const(c as f32)
            } else {
                b.ins().f64const(c)
            };
            if ty.is_vector() {
                b.ins().splat(ty, v)
            } else {
                v
            }
        })
    }

    fn load(&mut self, which: u8, k: u32) -> Value {
        let (ty, width, flags) = (self.ty, self.width, self.flags);
        if let (0, Some(batch)) = (which, &self.batch) {
            let (column, offset, imm) = (batch.columns[&k], batch.offset, batch.imm);
            let b = &mut self.b;
            // a vector of lanes points is not aligned to its own size
            let flags = if ty.is_vector() {
                MemFlagsData::new().with_notrap()
            } else {
                flags
            };
            return *self.loaded.entry((which, k)).or_insert_with(|| {
                let at = b.ins().iadd(column, offset);
                b.ins().load(ty, flags, at, imm)
            });
        }
        let (base, b) = (self.args[which as usize], &mut self.b);
        *self.loaded.entry((which, k)).or_insert_with(|| {
            let v = b.ins().load(ty.lane_type(), flags, base, k as i32 * width);
            if ty.is_vector() {
                b.ins().splat(ty, v)
            } else {
                v
            }
        })
    }

    fn operand(&mut self, o: Operand) -> Value {
        match o {
            Operand::Tmp(k) => {
                self.temps[k as usize].expect("a temporary is assigned before it is read")
            }
            Operand::Const(c) => self.constant(c),
            Operand::State(k) => self.load(0, k),
            Operand::Param(k) => self.load(1, k),
            Operand::Lambda(k) => self.load(2, k),
        }
    }

    /// `c ? a : b`.
    fn pick(&mut self, cc: FloatCC, x: Value, y: Value, a: Value, b: Value) -> Value {
        let c = self.b.ins().fcmp(cc, x, y);
        if self.ty.is_vector() {
            // lanewise: the mask has every bit of a lane set or clear
            let c = self.b.ins().bitcast(
                self.ty,
                MemFlagsData::new().with_endianness(cranelift_codegen::ir::Endianness::Little),
                c,
            );
            self.b.ins().bitselect(c, a, b)
        } else {
            self.b.ins().select(c, a, b)
        }
    }

    fn call(
        &mut self,
        module: &mut JITModule,
        calls: &mut HashMap<cranelift_module::FuncId, cranelift_codegen::ir::FuncRef>,
        id: cranelift_module::FuncId,
        args: &[Value],
    ) -> Value {
        let f = *calls
            .entry(id)
            .or_insert_with(|| module.declare_func_in_func(id, self.b.func));
        if !self.ty.is_vector() {
            let inst = self.b.ins().call(f, args);
            return self.b.inst_results(inst)[0];
        }
        // a scalar library function on each lane
        let mut out = None;
        for lane in 0..self.ty.lane_count() as u8 {
            let a: Vec<Value> = args
                .iter()
                .map(|&v| self.b.ins().extractlane(v, lane))
                .collect();
            let inst = self.b.ins().call(f, &a);
            let r = self.b.inst_results(inst)[0];
            out = Some(match out {
                None => self.b.ins().splat(self.ty, r),
                Some(v) => self.b.ins().insertlane(v, r, lane),
            });
        }
        out.expect("a vector has lanes")
    }

    /// a^n by Rust's `powi` chain: multiply in the current square for each
    /// set bit of |n|, lowest first; 1 / result for n < 0.
    fn powi(&mut self, a: Value, n: i32) -> Value {
        let mut bits = n.unsigned_abs();
        let mut square = a;
        let mut result: Option<Value> = None;
        while bits != 0 {
            if bits & 1 == 1 {
                result = Some(match result {
                    Some(r) => self.b.ins().fmul(r, square),
                    None => square,
                });
            }
            bits >>= 1;
            if bits != 0 {
                square = self.b.ins().fmul(square, square);
            }
        }
        let one = self.constant(1.0);
        let r = result.unwrap_or(one);
        if n < 0 {
            self.b.ins().fdiv(one, r)
        } else {
            r
        }
    }

    /// f(a): an instruction for sqrt, abs and relu, instructions for a
    /// scalar `f32` tanh (`tanh.rs`), else a call of the runtime's
    /// implementation.
    fn unary(
        &mut self,
        module: &mut JITModule,
        imports: &Imports,
        calls: &mut HashMap<cranelift_module::FuncId, cranelift_codegen::ir::FuncRef>,
        f: UnaryFn,
        a: Value,
    ) -> Value {
        match f {
            UnaryFn::Sqrt => self.b.ins().sqrt(a),
            UnaryFn::Abs => self.b.ins().fabs(a),
            UnaryFn::Relu => {
                let zero = self.constant(0.0);
                self.pick(FloatCC::GreaterThan, a, zero, a, zero)
            }
            UnaryFn::Tanh if self.ty == types::F32 => self.tanh_f32_inline(a),
            called => {
                let id = imports
                    .unary(called)
                    .expect("every other unary function is imported");
                self.call(module, calls, id, &[a])
            }
        }
    }

    /// -1, 0 or 1 (0 at 0 and NaN).
    fn sign(&mut self, a: Value) -> Value {
        let (zero, one, minus) = (self.constant(0.0), self.constant(1.0), self.constant(-1.0));
        let below = self.pick(FloatCC::LessThan, a, zero, minus, zero);
        self.pick(FloatCC::GreaterThan, a, zero, one, below)
    }

    /// 1 if a > 0 else 0.
    fn heaviside(&mut self, a: Value) -> Value {
        let (zero, one) = (self.constant(0.0), self.constant(1.0));
        self.pick(FloatCC::GreaterThan, a, zero, one, zero)
    }

    /// a if a <= b else b.
    fn min(&mut self, a: Value, b: Value) -> Value {
        self.pick(FloatCC::LessThanOrEqual, a, b, a, b)
    }

    /// a if a >= b else b.
    fn max(&mut self, a: Value, b: Value) -> Value {
        self.pick(FloatCC::GreaterThanOrEqual, a, b, a, b)
    }

    /// 1 if a <= b else 0.
    fn le(&mut self, a: Value, b: Value) -> Value {
        let (zero, one) = (self.constant(0.0), self.constant(1.0));
        self.pick(FloatCC::LessThanOrEqual, a, b, one, zero)
    }

    fn op(
        &mut self,
        module: &mut JITModule,
        imports: &Imports,
        calls: &mut HashMap<cranelift_module::FuncId, cranelift_codegen::ir::FuncRef>,
        op: Op,
    ) -> Value {
        match op {
            Op::Add(a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                self.b.ins().fadd(a, b)
            }
            Op::Sub(a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                self.b.ins().fsub(a, b)
            }
            Op::Mul(a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                self.b.ins().fmul(a, b)
            }
            Op::Div(a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                self.b.ins().fdiv(a, b)
            }
            Op::Neg(a) => {
                let a = self.operand(a);
                self.b.ins().fneg(a)
            }
            Op::Powi(a, n) => {
                let a = self.operand(a);
                self.powi(a, n)
            }
            Op::Powf(a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                self.call(module, calls, imports.powf, &[a, b])
            }
            Op::Unary(f, a) => {
                let a = self.operand(a);
                self.unary(module, imports, calls, f, a)
            }
            Op::Sign(a) => {
                let a = self.operand(a);
                self.sign(a)
            }
            Op::Heaviside(a) => {
                let a = self.operand(a);
                self.heaviside(a)
            }
            Op::Min(a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                self.min(a, b)
            }
            Op::Max(a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                self.max(a, b)
            }
            Op::Le(a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                self.le(a, b)
            }
        }
    }
}

/// Emits the batched form of `program` into `func`, signature `(x, p,
/// lambda, outputs, count)`: the program at `count` points, x stored
/// coordinate-major (entry k of point j at `x[k * count + j]`) and every
/// output likewise (entry e of point j at `out[e * count + j]`); p and
/// lambda are shared. A vector loop takes [`UNROLL`] vectors of 128 bits of
/// points at a time (2 points in f64, 4 in f32 a vector; library functions
/// lane by lane), a scalar loop the rest; every lane computes exactly what
/// the one-point program computes. Params and constants are loaded once,
/// before the loops.
/// Vectors a trip of the batched vector loop takes: independent copies of
/// the body, so the core overlaps their latencies and the loop's own work
/// (compare, branch, addresses) is paid once for all of them.
const UNROLL: i64 = 4;

pub(crate) fn batched_program(
    module: &mut JITModule,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    imports: &Imports,
    program: &Program,
    ty: Type,
) {
    let config = module.target_config();
    let ptr = config.pointer_type();
    let mut b = FunctionBuilder::new(func, fctx);
    let flags = MemFlagsData::trusted();
    let vty = ty.by(128 / ty.bits()).expect("a 128-bit vector type");
    let lanes = vty.lane_count() as i64;
    let [entry, vheader, vbody, sheader, sbody, exit] = [(); 6].map(|_| b.create_block());
    b.append_block_params_for_function_params(entry);
    b.append_block_param(vheader, ptr);
    b.append_block_param(sheader, ptr);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let args = b.block_params(entry).to_vec();
    let width = ty.bytes() as i64;
    let count = args[4];
    let stride = b.ins().imul_imm_s(count, width);
    let mut cx = Cx {
        b,
        ty,
        width: width as i32,
        args: [args[0], args[1], args[2]],
        flags,
        temps: vec![None; program.temp_count()],
        loaded: HashMap::new(),
        consts: HashMap::new(),
        batch: None,
    };
    // everything that does not depend on the point, before the loops, in
    // both widths
    let mut states = std::collections::BTreeSet::new();
    let mut shared = Vec::new();
    let operands = program
        .body
        .iter()
        .flat_map(|Stmt::Assign(i)| i.op.operands())
        .chain(
            program
                .outputs
                .iter()
                .flat_map(|o| o.entries.iter().copied()),
        );
    for o in operands {
        match o {
            Operand::State(k) => {
                states.insert(k);
            }
            Operand::Tmp(_) => {}
            other => shared.push(other),
        }
    }
    let mut hoisted = Vec::new();
    for t in [vty, ty] {
        cx.ty = t;
        cx.loaded.clear();
        cx.consts.clear();
        for &o in &shared {
            cx.operand(o);
        }
        for c in [0.0, 1.0, -1.0] {
            cx.constant(c);
        }
        hoisted.push((cx.loaded.clone(), cx.consts.clone()));
    }
    let mut columns = HashMap::new();
    for k in states {
        let off = cx.b.ins().imul_imm_s(stride, k as i64);
        columns.insert(k, cx.b.ins().iadd(args[0], off));
    }
    let mut outputs = Vec::new();
    for (k, out) in program.outputs.iter().enumerate() {
        let base =
            cx.b.ins()
                .load(ptr, flags, args[3], k as i32 * ptr.bytes() as i32);
        let entries: Vec<Value> = (0..out.entries.len())
            .map(|e| {
                let off = cx.b.ins().imul_imm_s(stride, e as i64);
                cx.b.ins().iadd(base, off)
            })
            .collect();
        outputs.push(entries);
    }
    let zero = cx.b.ins().iconst(ptr, 0);
    cx.b.ins().jump(vheader, &[zero.into()]);
    // the vector loop: while j + UNROLL * lanes <= count
    cx.b.switch_to_block(vheader);
    let j = cx.b.block_params(vheader)[0];
    let end = cx.b.ins().iadd_imm_s(j, UNROLL * lanes);
    let more = cx.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, end, count);
    cx.b.ins().brif(more, vbody, &[], sheader, &[j.into()]);
    cx.b.switch_to_block(vbody);
    cx.b.seal_block(vbody);
    cx.ty = vty;
    for copy in 0..UNROLL {
        (cx.loaded, cx.consts) = hoisted[0].clone();
        let imm = (copy * lanes * width) as i32;
        emit_point(
            &mut cx, module, imports, program, &columns, &outputs, j, width, imm,
        );
    }
    cx.b.ins().jump(vheader, &[end.into()]);
    cx.b.seal_block(vheader);
    // the scalar loop: the last points
    cx.b.switch_to_block(sheader);
    let j = cx.b.block_params(sheader)[0];
    let more = cx.b.ins().icmp(IntCC::UnsignedLessThan, j, count);
    cx.b.ins().brif(more, sbody, &[], exit, &[]);
    cx.b.switch_to_block(sbody);
    cx.b.seal_block(sbody);
    cx.ty = ty;
    (cx.loaded, cx.consts) = hoisted[1].clone();
    emit_point(
        &mut cx, module, imports, program, &columns, &outputs, j, width, 0,
    );
    let next = cx.b.ins().iadd_imm_s(j, 1);
    cx.b.ins().jump(sheader, &[next.into()]);
    cx.b.seal_block(sheader);
    cx.b.switch_to_block(exit);
    cx.b.seal_block(exit);
    cx.b.ins().return_(&[]);
    cx.b.finalize(config);
}

/// The program at point j (a vector of points when `cx.ty` is a vector):
/// its statements, then each output entry stored at `base + j * width +
/// imm` (`imm`: the bytes of the earlier copies of an unrolled body).
#[allow(clippy::too_many_arguments)]
fn emit_point(
    cx: &mut Cx<'_>,
    module: &mut JITModule,
    imports: &Imports,
    program: &Program,
    columns: &HashMap<u32, Value>,
    outputs: &[Vec<Value>],
    j: Value,
    width: i64,
    imm: i32,
) {
    let offset = cx.b.ins().imul_imm_s(j, width);
    cx.batch = Some(Batch {
        columns: columns.clone(),
        offset,
        imm,
    });
    cx.temps.iter_mut().for_each(|t| *t = None);
    let store = if cx.ty.is_vector() {
        MemFlagsData::new().with_notrap()
    } else {
        cx.flags
    };
    let mut calls = HashMap::new();
    for Stmt::Assign(ins) in &program.body {
        let v = cx.op(module, imports, &mut calls, ins.op);
        cx.temps[ins.dst as usize] = Some(v);
    }
    for (out, bases) in program.outputs.iter().zip(outputs) {
        for (&entry, &base) in out.entries.iter().zip(bases) {
            let v = cx.operand(entry);
            let at = cx.b.ins().iadd(base, offset);
            cx.b.ins().store(store, v, at, imm);
        }
    }
    cx.batch = None;
}
