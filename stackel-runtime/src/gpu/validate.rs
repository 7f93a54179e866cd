//! Offline checks of a kernel's WGSL with naga (no device needed): it parses,
//! validates (with f64 allowed), and applies no transcendental function to an
//! f64 value (drivers leave exp, log, sin, cos, pow, tanh, ... on doubles
//! undefined; see `stackel_symbolic::emit_wgsl`).

use naga::valid::{Capabilities, ValidationFlags, Validator};

/// The GLSL.std.450-backed functions SPIR-V defines on 16/32-bit floats only.
fn is_transcendental(f: naga::MathFunction) -> bool {
    use naga::MathFunction as M;
    matches!(
        f,
        M::Exp
            | M::Exp2
            | M::Log
            | M::Log2
            | M::Pow
            | M::Sin
            | M::Cos
            | M::Tan
            | M::Sinh
            | M::Cosh
            | M::Tanh
            | M::Asin
            | M::Acos
            | M::Atan
            | M::Atan2
            | M::Asinh
            | M::Acosh
            | M::Atanh
    )
}

/// Parses and validates `src`, then rejects any transcendental applied to an
/// f64 value. The error is a readable description of the first problem.
pub fn check_wgsl(src: &str) -> Result<(), String> {
    let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
    let info = Validator::new(ValidationFlags::all(), Capabilities::FLOAT64)
        .validate(&module)
        .map_err(|e| e.emit_to_string(src))?;
    let mut funcs: Vec<(&naga::Function, &naga::valid::FunctionInfo)> = module
        .functions
        .iter()
        .map(|(h, f)| (f, &info[h]))
        .collect();
    for (i, ep) in module.entry_points.iter().enumerate() {
        funcs.push((&ep.function, info.get_entry_point(i)));
    }
    for (f, fi) in funcs {
        for (_, e) in f.expressions.iter() {
            if let naga::Expression::Math { fun, arg, .. } = *e {
                let ty = fi[arg].ty.inner_with(&module.types);
                if is_transcendental(fun) && ty.scalar().is_some_and(|s| s.width == 8) {
                    return Err(format!(
                        "{fun:?} applied to an f64 value in function {}",
                        f.name.as_deref().unwrap_or("<entry point>")
                    ));
                }
            }
        }
    }
    Ok(())
}
