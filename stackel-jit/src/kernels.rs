//! Loop kernels ([`stackel_symbolic::indexed::kernel`]) compiled to native
//! code: what a loop-form game given as text runs in f32 and f64.

use crate::{new_module, translate, Code, EntryPoint, JitError, Precision};
use cranelift_codegen::ir::AbiParam;
use cranelift_module::{Linkage, Module};
use stackel_symbolic::indexed::kernel::{Array, Kernel};

/// The machine-code signature of a kernel: `(x, p, lambda, dir, pdir, out)`.
type KernelEntry<F> =
    unsafe extern "C" fn(*const F, *const F, *const F, *const F, *const F, *mut F);

/// The arrays of one kernel call, in the order of [`Array`] (the output
/// last, mutable).
pub(crate) struct KernelArgs<'a, F> {
    pub(crate) x: &'a [F],
    pub(crate) p: &'a [F],
    pub(crate) lambda: &'a [F],
    pub(crate) dir: &'a [F],
    pub(crate) pdir: &'a [F],
    pub(crate) out: &'a mut [F],
}

impl<F> KernelArgs<'_, F> {
    /// The first array shorter than `kernel` reads or writes: (which, has,
    /// needs).
    pub(crate) fn short(&self, kernel: &Kernel) -> Option<(Array, usize, usize)> {
        [
            (Array::X, self.x.len()),
            (Array::P, self.p.len()),
            (Array::Lambda, self.lambda.len()),
            (Array::Dir, self.dir.len()),
            (Array::ParamDir, self.pdir.len()),
            (Array::Out, self.out.len()),
        ]
        .into_iter()
        .map(|(a, got)| (a, got, kernel.len_of(a)))
        .find(|(_, got, need)| got < need)
    }
}

/// Kernels compiled to native code, all in one precision.
pub(crate) struct JitKernels {
    /// Keeps the code the entry points point into.
    #[allow(dead_code)]
    code: Code,
    entries: Vec<EntryPoint>,
    precision: Precision,
}

impl JitKernels {
    /// Compiles `kernels` (kernel k is then called as number k), each
    /// proven to index in range first ([`Kernel::check_bounds`]).
    pub(crate) fn compile(kernels: &[&Kernel], precision: Precision) -> Result<Self, JitError> {
        let (mut module, imports, ty) = new_module(precision)?;
        let ptr = module.target_config().pointer_type();
        let mut ctx = module.make_context();
        let mut fctx = cranelift_frontend::FunctionBuilderContext::new();
        let mut ids = Vec::with_capacity(kernels.len());
        for (k, kernel) in kernels.iter().enumerate() {
            kernel
                .check_bounds()
                .map_err(|e| JitError::Codegen(format!("loop kernel {k}: {e}")))?;
            ctx.func.signature.params = vec![AbiParam::new(ptr); 6];
            let id = module
                .declare_function(&format!("kernel{k}"), Linkage::Local, &ctx.func.signature)
                .map_err(|e| JitError::Codegen(e.to_string()))?;
            translate::loops::kernel(&mut module, &mut ctx.func, &mut fctx, &imports, kernel, ty);
            module
                .define_function(id, &mut ctx)
                .map_err(|e| JitError::Codegen(format!("{e:?}")))?;
            module.clear_context(&mut ctx);
            ids.push(id);
        }
        let (code, entries) = Code::finish(module, &ids)?;
        Ok(JitKernels {
            code,
            entries,
            precision,
        })
    }

    /// Calls kernel `k` in the precision of `F`.
    ///
    /// # Safety
    /// The kernels were compiled in the precision of `F` and `k` exists;
    /// every array of `args` is at least as long as kernel `k` reads or
    /// writes ([`KernelArgs::short`] is `None`).
    pub(crate) unsafe fn call<F>(&self, k: usize, args: KernelArgs<'_, F>) {
        debug_assert!(k < self.entries.len());
        debug_assert!(
            std::mem::size_of::<F>()
                == match self.precision {
                    Precision::F32 => 4,
                    Precision::F64 => 8,
                }
        );
        // SAFETY: the caller's contract.
        unsafe {
            let f: KernelEntry<F> = std::mem::transmute(self.entries.get_unchecked(k).0);
            f(
                args.x.as_ptr(),
                args.p.as_ptr(),
                args.lambda.as_ptr(),
                args.dir.as_ptr(),
                args.pdir.as_ptr(),
                args.out.as_mut_ptr(),
            )
        }
    }
}
