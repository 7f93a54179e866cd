//! The functions compiled code calls: the runtime's own [`Real`]
//! implementations behind `extern "C"` entry points, so run-time code
//! computes exactly what the macro's generated code computes.

use crate::JitError;
use cranelift_codegen::ir::{types, AbiParam, Type};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module};
use stackel_runtime::Real;
use stackel_symbolic::model::UnaryFn;

macro_rules! unary_entries {
    ($t:ty, $($name:ident => $method:ident),* $(,)?) => {
        $(
            extern "C" fn $name(x: $t) -> $t {
                <$t as Real>::$method(x)
            }
        )*
    };
}

unary_entries!(f64,
    exp_f64 => exp, ln_f64 => ln, sin_f64 => sin, cos_f64 => cos, tan_f64 => tan,
    tanh_f64 => tanh, sigmoid_f64 => sigmoid, softplus_f64 => softplus,
);
unary_entries!(f32,
    exp_f32 => exp, ln_f32 => ln, sin_f32 => sin, cos_f32 => cos, tan_f32 => tan,
    tanh_f32 => tanh, sigmoid_f32 => sigmoid, softplus_f32 => softplus,
);

extern "C" fn powf_f64(x: f64, e: f64) -> f64 {
    <f64 as Real>::powf(x, e)
}

extern "C" fn powf_f32(x: f32, e: f32) -> f32 {
    <f32 as Real>::powf(x, e)
}

/// The unary functions that are calls (the others are instructions).
pub(crate) const CALLED: [UnaryFn; 8] = [
    UnaryFn::Exp,
    UnaryFn::Ln,
    UnaryFn::Sin,
    UnaryFn::Cos,
    UnaryFn::Tan,
    UnaryFn::Tanh,
    UnaryFn::Sigmoid,
    UnaryFn::Softplus,
];

fn symbol(f: UnaryFn, ty: Type) -> String {
    let p = if ty == types::F32 { "f32" } else { "f64" };
    format!("stackel_{}_{p}", f.name())
}

/// Makes every entry point known to the JIT linker.
pub(crate) fn register(b: &mut JITBuilder) {
    let f64s: [*const u8; 8] = [
        exp_f64 as *const u8,
        ln_f64 as *const u8,
        sin_f64 as *const u8,
        cos_f64 as *const u8,
        tan_f64 as *const u8,
        tanh_f64 as *const u8,
        sigmoid_f64 as *const u8,
        softplus_f64 as *const u8,
    ];
    let f32s: [*const u8; 8] = [
        exp_f32 as *const u8,
        ln_f32 as *const u8,
        sin_f32 as *const u8,
        cos_f32 as *const u8,
        tan_f32 as *const u8,
        tanh_f32 as *const u8,
        sigmoid_f32 as *const u8,
        softplus_f32 as *const u8,
    ];
    for (k, f) in CALLED.iter().enumerate() {
        b.symbol(symbol(*f, types::F64), f64s[k]);
        b.symbol(symbol(*f, types::F32), f32s[k]);
    }
    b.symbol("stackel_powf_f64", powf_f64 as *const u8);
    b.symbol("stackel_powf_f32", powf_f32 as *const u8);
}

/// The imported functions of one precision.
pub(crate) struct Imports {
    /// One per [`CALLED`] function, in its order.
    pub unary: Vec<FuncId>,
    /// powf.
    pub powf: FuncId,
}

impl Imports {
    /// The import of a called unary function.
    pub fn unary(&self, f: UnaryFn) -> Option<FuncId> {
        CALLED.iter().position(|&g| g == f).map(|k| self.unary[k])
    }
}

/// Declares the imports of precision `ty` in `module`.
pub(crate) fn declare(module: &mut JITModule, ty: Type) -> Result<Imports, JitError> {
    let mut one = module.make_signature();
    one.params.push(AbiParam::new(ty));
    one.returns.push(AbiParam::new(ty));
    let mut two = one.clone();
    two.params.push(AbiParam::new(ty));
    let err = |e: cranelift_module::ModuleError| JitError::Codegen(e.to_string());
    let unary = CALLED
        .iter()
        .map(|&f| {
            module
                .declare_function(&symbol(f, ty), Linkage::Import, &one)
                .map_err(err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let p = if ty == types::F32 { "f32" } else { "f64" };
    let powf = module
        .declare_function(&format!("stackel_powf_{p}"), Linkage::Import, &two)
        .map_err(err)?;
    Ok(Imports { unary, powf })
}
