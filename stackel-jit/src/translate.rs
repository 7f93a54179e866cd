//! One IR [`Program`] as a Cranelift function `(x, p, lambda, outputs)`:
//! one basic block, every temporary one SSA value, every state, param and
//! multiplier entry loaded once, every constant materialised once.

use crate::libm::Imports;
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{types, Function, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::Module;
use stackel_symbolic::ir::{Op, Operand, Program, Stmt};
use stackel_symbolic::model::UnaryFn;
use std::collections::HashMap;

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
}

impl Cx<'_> {
    fn constant(&mut self, c: f64) -> Value {
        let (ty, b) = (self.ty, &mut self.b);
        *self.consts.entry(c.to_bits()).or_insert_with(|| {
            if ty == types::F32 {
                b.ins().f32const(c as f32)
            } else {
                b.ins().f64const(c)
            }
        })
    }

    fn load(&mut self, which: u8, k: u32) -> Value {
        let (ty, width, flags) = (self.ty, self.width, self.flags);
        if let (0, Some(batch)) = (which, &self.batch) {
            let (column, offset) = (batch.columns[&k], batch.offset);
            let b = &mut self.b;
            return *self.loaded.entry((which, k)).or_insert_with(|| {
                let at = b.ins().iadd(column, offset);
                b.ins().load(ty, flags, at, 0)
            });
        }
        let (base, b) = (self.args[which as usize], &mut self.b);
        *self
            .loaded
            .entry((which, k))
            .or_insert_with(|| b.ins().load(ty, flags, base, k as i32 * width))
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
        self.b.ins().select(c, a, b)
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
        let inst = self.b.ins().call(f, args);
        self.b.inst_results(inst)[0]
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
                match f {
                    UnaryFn::Sqrt => self.b.ins().sqrt(a),
                    UnaryFn::Abs => self.b.ins().fabs(a),
                    UnaryFn::Relu => {
                        let zero = self.constant(0.0);
                        self.pick(FloatCC::GreaterThan, a, zero, a, zero)
                    }
                    called => {
                        let id = imports
                            .unary(called)
                            .expect("every other unary function is imported");
                        self.call(module, calls, id, &[a])
                    }
                }
            }
            Op::Sign(a) => {
                let a = self.operand(a);
                let (zero, one, minus) =
                    (self.constant(0.0), self.constant(1.0), self.constant(-1.0));
                let below = self.pick(FloatCC::LessThan, a, zero, minus, zero);
                self.pick(FloatCC::GreaterThan, a, zero, one, below)
            }
            Op::Heaviside(a) => {
                let a = self.operand(a);
                let (zero, one) = (self.constant(0.0), self.constant(1.0));
                self.pick(FloatCC::GreaterThan, a, zero, one, zero)
            }
            Op::Min(a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                self.pick(FloatCC::LessThanOrEqual, a, b, a, b)
            }
            Op::Max(a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                self.pick(FloatCC::GreaterThanOrEqual, a, b, a, b)
            }
            Op::Le(a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                let (zero, one) = (self.constant(0.0), self.constant(1.0));
                self.pick(FloatCC::LessThanOrEqual, a, b, one, zero)
            }
        }
    }
}

/// Emits the batched form of `program` into `func`, signature `(x, p,
/// lambda, outputs, count)`: the program at `count` points, x stored
/// coordinate-major (entry k of point j at `x[k * count + j]`) and every
/// output likewise (entry e of point j at `out[e * count + j]`); p and
/// lambda are shared. Params and constants are loaded once, before the loop.
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
    let (entry, header, body, exit) = (
        b.create_block(),
        b.create_block(),
        b.create_block(),
        b.create_block(),
    );
    b.append_block_params_for_function_params(entry);
    b.append_block_param(header, ptr);
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
    // everything that does not depend on the point, before the loop
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
    for o in shared {
        cx.operand(o);
    }
    for c in [0.0, 1.0, -1.0] {
        cx.constant(c);
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
    cx.b.ins().jump(header, &[zero.into()]);
    // header: j < count ?
    cx.b.switch_to_block(header);
    let j = cx.b.block_params(header)[0];
    let more = cx.b.ins().icmp(
        cranelift_codegen::ir::condcodes::IntCC::UnsignedLessThan,
        j,
        count,
    );
    cx.b.ins().brif(more, body, &[], exit, &[]);
    // body: the program at point j
    cx.b.switch_to_block(body);
    cx.b.seal_block(body);
    let offset = cx.b.ins().imul_imm_s(j, width);
    cx.batch = Some(Batch { columns, offset });
    let mut calls = HashMap::new();
    for Stmt::Assign(ins) in &program.body {
        let v = cx.op(module, imports, &mut calls, ins.op);
        cx.temps[ins.dst as usize] = Some(v);
    }
    for (out, bases) in program.outputs.iter().zip(&outputs) {
        for (&entry, &base) in out.entries.iter().zip(bases) {
            let v = cx.operand(entry);
            let at = cx.b.ins().iadd(base, offset);
            cx.b.ins().store(flags, v, at, 0);
        }
    }
    let next = cx.b.ins().iadd_imm_s(j, 1);
    cx.b.ins().jump(header, &[next.into()]);
    cx.b.seal_block(header);
    cx.b.switch_to_block(exit);
    cx.b.seal_block(exit);
    cx.b.ins().return_(&[]);
    cx.b.finalize(config);
}
