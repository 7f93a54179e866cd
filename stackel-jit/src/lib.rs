//! Run-time native code for a game's derivative programs.
//!
//! The compiler (`stackel-symbolic`) lowers every derivative block of a game
//! to straight-line [`Program`]s ([`stackel_symbolic::ir`]), or, for a game
//! in the loop form, to loop kernels
//! ([`stackel_symbolic::indexed::kernel`]). The macro turns
//! them into Rust at compile time; this crate turns the same programs into
//! machine code at run time with Cranelift, so a game given as text needs no
//! Rust build. (Games in the tape form, with data inputs or players made of
//! parts, compile the tape form's programs instead: [`DynGame`]'s docs.)
//!
//! ```
//! use stackel_jit::{JitPrograms, Precision};
//! use std::str::FromStr;
//!
//! let text = "game Duopoly {
//!     param a = 100.0;  param c1 = 5.0;  param c2 = 2.0;
//!     leader q1;  follower q2;
//!     cost q1 = -(a - q1 - q2 - c1) * q1;
//!     cost q2 = -(a - q1 - q2 - c2) * q2;
//! }";
//! let tokens = proc_macro2::TokenStream::from_str(text).unwrap();
//! let model = stackel_symbolic::front_end(tokens).unwrap();
//! let lowered = stackel_symbolic::lower::lower_game(&model).unwrap();
//! let jit = JitPrograms::compile(&[&lowered.field.omega], Precision::F64).unwrap();
//! let mut omega = [0.0; 2];
//! jit.run_f64(0, &[46.0, 26.0], &[100.0, 5.0, 2.0], &[], &mut [&mut omega]).unwrap();
//! // D1 f1 = -(a - 2 q1 - q2 - c1) = 23, D2 f2 = -(a - q1 - 2 q2 - c2) = 0
//! assert_eq!(omega, [23.0, 0.0]);
//! ```
//!
//! Semantics: each program computes exactly what the macro's generated code
//! computes for the same scalar type: `+ - * /` and `sqrt` are IEEE
//! operations, `x^n` for an integer n is the same chain of squarings as
//! Rust's `powi`, `min`/`max`/`sign`/`heaviside`/`relu` the same comparisons,
//! and the transcendental functions call the runtime's own
//! [`stackel_runtime::Real`] implementations (libm through Rust's `f64`/`f32`
//! methods, and the runtime's stable sigmoid and softplus).

#![warn(missing_docs)]

mod compile;
mod dyn_game;
mod interp;
mod kernels;
mod libm;
mod loop_game;
mod tape;
mod translate;
mod unrolled;

pub use compile::TextGameError;
pub use dyn_game::DynGame;

use cranelift_codegen::ir::{types, AbiParam, Type};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use stackel_symbolic::ir::{Operand, Program, Stmt};
use std::mem::ManuallyDrop;

/// The scalar type the code computes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

/// What can go wrong compiling or calling run-time code.
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    /// This machine has no Cranelift back end (an unsupported architecture).
    #[error("no native code generator for this machine: {0}")]
    UnsupportedHost(String),
    /// Cranelift rejected the code (a bug in this crate: please report it).
    #[error("code generation failed: {0}")]
    Codegen(String),
    /// A program was called in the other precision.
    #[error("the programs were compiled for {compiled:?}, called with {called:?}")]
    WrongPrecision {
        /// What they were compiled for.
        compiled: Precision,
        /// What the call used.
        called: Precision,
    },
    /// No program with this number.
    #[error("program {0} does not exist ({1} compiled)")]
    NoProgram(usize, usize),
    /// An input or output slice is shorter than the program reads or writes.
    #[error("{what} has {got} entries, the program needs {need}")]
    ShortSlice {
        /// Which slice (`x`, `p`, `lambda`, `output 2`, or the output count).
        what: String,
        /// Its length.
        got: usize,
        /// What the program needs.
        need: usize,
    },
}

/// How much of each input a program reads and what it writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramShape {
    /// Entries of x read (the largest state index + 1).
    pub x: usize,
    /// Entries of p read.
    pub p: usize,
    /// Entries of lambda read.
    pub lambda: usize,
    /// The length of each output array, in order.
    pub outputs: Vec<usize>,
}

impl ProgramShape {
    pub(crate) fn of(program: &Program) -> Self {
        let (mut x, mut p, mut lambda) = (0, 0, 0);
        let mut see = |o: Operand| match o {
            Operand::State(k) => x = x.max(k as usize + 1),
            Operand::Param(k) => p = p.max(k as usize + 1),
            Operand::Lambda(k) => lambda = lambda.max(k as usize + 1),
            Operand::Tmp(_) | Operand::Const(_) => {}
        };
        for Stmt::Assign(i) in &program.body {
            i.op.operands().into_iter().for_each(&mut see);
        }
        for o in &program.outputs {
            o.entries.iter().copied().for_each(&mut see);
        }
        ProgramShape {
            x,
            p,
            lambda,
            outputs: program.outputs.iter().map(|o| o.entries.len()).collect(),
        }
    }
}

/// The machine-code signature of every compiled program:
/// `(x, p, lambda, outputs)`, `outputs` an array of one pointer per output
/// array.
type Entry<F> = unsafe extern "C" fn(*const F, *const F, *const F, *const *mut F);

/// The signature of a batched program (`translate::batched_program`):
/// `(x, p, lambda, outputs, count)`.
type BatchEntry<F> = unsafe extern "C" fn(*const F, *const F, *const F, *const *mut F, usize);

/// The output pointers of one call: on the stack for up to
/// [`OutputPointers::INLINE`] arrays (every program a game has), so a call
/// allocates nothing.
enum OutputPointers<F> {
    Inline([*mut F; 16]),
    Heap(Vec<*mut F>),
}

impl<F> OutputPointers<F> {
    const INLINE: usize = 16;

    fn new(outs: &mut [&mut [F]]) -> Self {
        if outs.len() <= Self::INLINE {
            let mut a = [std::ptr::null_mut(); 16];
            for (p, o) in a.iter_mut().zip(outs.iter_mut()) {
                *p = o.as_mut_ptr();
            }
            OutputPointers::Inline(a)
        } else {
            OutputPointers::Heap(outs.iter_mut().map(|o| o.as_mut_ptr()).collect())
        }
    }

    fn as_ptr(&self) -> *const *mut F {
        match self {
            OutputPointers::Inline(a) => a.as_ptr(),
            OutputPointers::Heap(v) => v.as_ptr(),
        }
    }
}

/// A JIT module with the library functions compiled code calls, for
/// `precision`: the module, its imports and the number type.
fn new_module(precision: Precision) -> Result<(JITModule, libm::Imports, Type), JitError> {
    let mut flags = settings::builder();
    let set = |f: &mut settings::Builder, k: &str, v: &str| {
        f.set(k, v).map_err(|e| JitError::Codegen(e.to_string()))
    };
    set(&mut flags, "opt_level", "speed")?;
    set(&mut flags, "is_pic", "false")?;
    set(&mut flags, "use_colocated_libcalls", "false")?;
    let isa = cranelift_native::builder()
        .map_err(|e| JitError::UnsupportedHost(e.to_string()))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| JitError::Codegen(e.to_string()))?;
    let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
    libm::register(&mut builder);
    let mut module = JITModule::new(builder);
    let ty = match precision {
        Precision::F32 => types::F32,
        Precision::F64 => types::F64,
    };
    let imports = libm::declare(&mut module, ty)?;
    Ok((module, imports, ty))
}

/// A finished JIT module: the code memory of compiled functions, released
/// when dropped.
pub(crate) struct Code(ManuallyDrop<JITModule>);

// SAFETY: after `finalize_definitions` the module's code and data are never
// written again; the entry points are plain functions that read their
// arguments only, so calling them from several threads at once is sound. The
// module itself is touched again only by `Drop`, which has `&mut self`.
unsafe impl Send for Code {}
// SAFETY: see `Send`: shared access only calls the read-only entry points.
unsafe impl Sync for Code {}

impl Code {
    /// Finalizes `module` and returns it with the address of each function
    /// of `ids`.
    pub(crate) fn finish(
        mut module: JITModule,
        ids: &[cranelift_module::FuncId],
    ) -> Result<(Code, Vec<EntryPoint>), JitError> {
        module
            .finalize_definitions()
            .map_err(|e| JitError::Codegen(e.to_string()))?;
        let entries = ids
            .iter()
            .map(|&id| EntryPoint(module.get_finalized_function(id)))
            .collect();
        Ok((Code(ManuallyDrop::new(module)), entries))
    }
}

impl Drop for Code {
    fn drop(&mut self) {
        // SAFETY: no entry point outlives the `Code` it belongs to (they are
        // only reachable through the struct that owns both), so the code
        // memory can be released.
        unsafe { ManuallyDrop::take(&mut self.0).free_memory() };
    }
}

/// The address of a compiled function inside a [`Code`].
#[derive(Clone, Copy)]
pub(crate) struct EntryPoint(pub(crate) *const u8);

// SAFETY: an address of immutable code (see `Code`).
unsafe impl Send for EntryPoint {}
// SAFETY: as above.
unsafe impl Sync for EntryPoint {}

/// Programs compiled to native code, all in one precision. Calls are safe:
/// [`JitPrograms::run_f64`] / [`JitPrograms::run_f32`] check every slice
/// against the program's [`ProgramShape`] first.
pub struct JitPrograms {
    /// Keeps the code the entry points point into.
    #[allow(dead_code)]
    code: Code,
    entries: Vec<EntryPoint>,
    /// Per program, its batched form if one was asked for.
    batch_entries: Vec<Option<EntryPoint>>,
    shapes: Vec<ProgramShape>,
    precision: Precision,
}

impl std::fmt::Debug for JitPrograms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitPrograms")
            .field("precision", &self.precision)
            .field("shapes", &self.shapes)
            .finish()
    }
}

impl JitPrograms {
    /// Compiles `programs` (program k is then called as number k).
    pub fn compile(programs: &[&Program], precision: Precision) -> Result<Self, JitError> {
        Self::compile_with_batches(programs, &[], precision)
    }

    /// Compiles `programs`, and of the programs numbered in `batched` also
    /// the batched form (many points per call, coordinate-major; see
    /// `translate::batched_program`).
    pub(crate) fn compile_with_batches(
        programs: &[&Program],
        batched: &[usize],
        precision: Precision,
    ) -> Result<Self, JitError> {
        let (mut module, imports, ty) = new_module(precision)?;
        let ptr = module.target_config().pointer_type();
        let mut ctx = module.make_context();
        let mut fctx = cranelift_frontend::FunctionBuilderContext::new();
        let mut ids = Vec::with_capacity(programs.len());
        for (k, program) in programs.iter().enumerate() {
            ctx.func.signature.params = vec![AbiParam::new(ptr); 4];
            let id = module
                .declare_function(&format!("program{k}"), Linkage::Local, &ctx.func.signature)
                .map_err(|e| JitError::Codegen(e.to_string()))?;
            translate::program(&mut module, &mut ctx.func, &mut fctx, &imports, program, ty);
            module
                .define_function(id, &mut ctx)
                .map_err(|e| JitError::Codegen(format!("{e:?}")))?;
            module.clear_context(&mut ctx);
            ids.push(id);
        }
        let mut batch_ids = vec![None; programs.len()];
        for &k in batched {
            ctx.func.signature.params = vec![AbiParam::new(ptr); 5];
            let id = module
                .declare_function(&format!("batch{k}"), Linkage::Local, &ctx.func.signature)
                .map_err(|e| JitError::Codegen(e.to_string()))?;
            translate::batched_program(
                &mut module,
                &mut ctx.func,
                &mut fctx,
                &imports,
                programs[k],
                ty,
            );
            module
                .define_function(id, &mut ctx)
                .map_err(|e| JitError::Codegen(format!("{e:?}")))?;
            module.clear_context(&mut ctx);
            batch_ids[k] = Some(id);
        }
        let batched: Vec<_> = batch_ids.iter().flatten().copied().collect();
        let (code, mut entries) = Code::finish(module, &[ids, batched].concat())?;
        let mut batched = entries.split_off(programs.len()).into_iter();
        let batch_entries = batch_ids
            .iter()
            .map(|id| id.and_then(|_| batched.next()))
            .collect();
        Ok(JitPrograms {
            code,
            entries,
            batch_entries,
            shapes: programs.iter().map(|p| ProgramShape::of(p)).collect(),
            precision,
        })
    }

    /// The precision the programs compute in.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// How many programs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no program was compiled.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What program `k` reads and writes.
    pub fn shape(&self, k: usize) -> Option<&ProgramShape> {
        self.shapes.get(k)
    }

    fn check<F>(
        &self,
        precision: Precision,
        k: usize,
        x: &[F],
        p: &[F],
        lambda: &[F],
        outs: &mut [&mut [F]],
    ) -> Result<(*const u8, OutputPointers<F>), JitError> {
        if precision != self.precision {
            return Err(JitError::WrongPrecision {
                compiled: self.precision,
                called: precision,
            });
        }
        let shape = self
            .shapes
            .get(k)
            .ok_or(JitError::NoProgram(k, self.entries.len()))?;
        let short = |what: &str, got: usize, need: usize| {
            (got < need).then(|| JitError::ShortSlice {
                what: what.to_string(),
                got,
                need,
            })
        };
        for (what, got, need) in [
            ("x", x.len(), shape.x),
            ("p", p.len(), shape.p),
            ("lambda", lambda.len(), shape.lambda),
            ("the output list", outs.len(), shape.outputs.len()),
        ] {
            if let Some(e) = short(what, got, need) {
                return Err(e);
            }
        }
        for (i, (o, &need)) in outs.iter().zip(&shape.outputs).enumerate() {
            if o.len() < need {
                return Err(JitError::ShortSlice {
                    what: format!("output {i}"),
                    got: o.len(),
                    need,
                });
            }
        }
        Ok((self.entries[k].0, OutputPointers::new(outs)))
    }

    /// Calls program `k` with no checks (the caller has checked the
    /// slices against [`JitPrograms::shape`]).
    ///
    /// # Safety
    /// The programs were compiled in the precision of `F`; `k` exists; `x`,
    /// `p` and `lambda` point to at least the entries the program reads,
    /// and `outs` to one pointer per output array, each to at least the
    /// entries the program writes.
    #[inline]
    pub(crate) unsafe fn call<F>(
        &self,
        k: usize,
        x: *const F,
        p: *const F,
        lambda: *const F,
        outs: *const *mut F,
    ) {
        debug_assert!(k < self.entries.len());
        // SAFETY: the caller's contract.
        unsafe {
            let f: Entry<F> = std::mem::transmute(self.entries.get_unchecked(k).0);
            f(x, p, lambda, outs)
        }
    }

    /// Whether program `k` has a batched form.
    pub(crate) fn has_batch(&self, k: usize) -> bool {
        self.batch_entries.get(k).is_some_and(|e| e.is_some())
    }

    /// Calls the batched form of program `k` at `count` points, with no
    /// checks.
    ///
    /// # Safety
    /// As [`JitPrograms::call`], with `x` holding `count` points
    /// coordinate-major and each output `count` times its entries; program
    /// `k` was compiled with a batched form ([`JitPrograms::has_batch`]).
    #[inline]
    pub(crate) unsafe fn call_batch<F>(
        &self,
        k: usize,
        x: *const F,
        p: *const F,
        lambda: *const F,
        outs: *const *mut F,
        count: usize,
    ) {
        // SAFETY: the caller's contract.
        unsafe {
            let entry = self.batch_entries.get_unchecked(k).unwrap_unchecked();
            let f: BatchEntry<F> = std::mem::transmute(entry.0);
            f(x, p, lambda, outs, count)
        }
    }

    /// Runs program `k` in f64: reads `x`, `p`, `lambda`, writes every
    /// entry of each output array.
    pub fn run_f64(
        &self,
        k: usize,
        x: &[f64],
        p: &[f64],
        lambda: &[f64],
        outs: &mut [&mut [f64]],
    ) -> Result<(), JitError> {
        let (entry, ptrs) = self.check(Precision::F64, k, x, p, lambda, outs)?;
        // SAFETY: `entry` was compiled with the `Entry<f64>` signature and
        // reads/writes only within the lengths `check` verified.
        unsafe {
            let f: Entry<f64> = std::mem::transmute(entry);
            f(x.as_ptr(), p.as_ptr(), lambda.as_ptr(), ptrs.as_ptr());
        }
        Ok(())
    }

    /// Runs program `k` in f32 (see [`JitPrograms::run_f64`]).
    pub fn run_f32(
        &self,
        k: usize,
        x: &[f32],
        p: &[f32],
        lambda: &[f32],
        outs: &mut [&mut [f32]],
    ) -> Result<(), JitError> {
        let (entry, ptrs) = self.check(Precision::F32, k, x, p, lambda, outs)?;
        // SAFETY: as in `run_f64`, with the `Entry<f32>` signature.
        unsafe {
            let f: Entry<f32> = std::mem::transmute(entry);
            f(x.as_ptr(), p.as_ptr(), lambda.as_ptr(), ptrs.as_ptr());
        }
        Ok(())
    }
}
