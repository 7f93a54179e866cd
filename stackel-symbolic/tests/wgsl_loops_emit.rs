//! The loop-form WGSL emitter's modules are valid WGSL (naga, no device) in
//! f32 and f64 for the covariance game at m = 3, 9, 25 and for the paper's
//! games forced to the loop form; they never call a transcendental on f64,
//! keep loops (their size does not grow with m) and guard shifted entries.

use naga::valid::{Capabilities, ValidationFlags, Validator};
use quote::quote;
use stackel_symbolic::emit_wgsl_loops::emit;
use stackel_symbolic::model::GameModel;

/// The kernel's side of the contract: prelude, buffer accessors and an
/// entry point calling every function of the module.
fn kernel(game: &str, f64: bool) -> String {
    let (ty, eps, max) = if f64 {
        ("f64", "2.220446049250313e-16", "1.7976931348623157e308")
    } else {
        ("f32", "1.1920929e-7", "3.4028235e38")
    };
    format!(
        "alias S = {ty};\n\
         const ST_EPS: S = {eps};\n\
         const ST_MAX: S = {max};\n\
         fn st_wrap_angle(a: S) -> S {{\n\
         \x20   let tau = S(6.283185307179586);\n\
         \x20   return a - tau * floor((a + S(3.141592653589793)) / tau);\n\
         }}\n\
         // the runtime's prelude defines these in S; here they only need a type\n\
         fn st_exp(a: S) -> S {{ return S(exp(f32(a))); }}\n\
         fn st_ln(a: S) -> S {{ return S(log(f32(a))); }}\n\
         fn st_sin(a: S) -> S {{ return S(sin(f32(a))); }}\n\
         fn st_cos(a: S) -> S {{ return S(cos(f32(a))); }}\n\
         fn st_tan(a: S) -> S {{ return S(tan(f32(a))); }}\n\
         fn st_pow(a: S, b: S) -> S {{ return S(pow(f32(a), f32(b))); }}\n\
         @group(0) @binding(0) var<storage, read_write> buf: array<S>;\n\
         @group(0) @binding(1) var<storage, read> params: array<S>;\n\
         fn st_ld(i: u32) -> S {{ return buf[i]; }}\n\
         fn st_st(i: u32, v: S) {{ buf[i] = v; }}\n\
         fn st_param(i: u32) -> S {{ return params[i]; }}\n\
         @compute @workgroup_size(64)\n\
         fn main(@builtin(global_invocation_id) id: vec3<u32>) {{\n\
         \x20   let xb = id.x * 8u * GAME_N;\n\
         \x20   let o = xb + GAME_N;\n\
         \x20   game_omega(xb, o, id.y, 64u);\n\
         \x20   game_d1f1(xb, o, id.y, 64u);\n\
         \x20   game_d2f1(xb, o, id.y, 64u);\n\
         \x20   game_d2f2(xb, o, id.y, 64u);\n\
         \x20   game_h_mul(xb, o, o + GAME_N, id.y, 64u);\n\
         \x20   game_h_tmul(xb, o, o + GAME_N, id.y, 64u);\n\
         \x20   game_b_mul(xb, o, o + GAME_N, id.y, 64u);\n\
         \x20   game_b_tmul(xb, o, o + GAME_N, id.y, 64u);\n\
         \x20   game_wrap(xb, id.y, 64u);\n\
         }}\n\
         {game}"
    )
}

/// GLSL.std.450-backed functions drivers do not define on f64.
fn is_transcendental(f: naga::MathFunction) -> bool {
    use naga::MathFunction as M;
    matches!(
        f,
        M::Exp | M::Exp2 | M::Log | M::Log2 | M::Pow | M::Sin | M::Cos | M::Tan | M::Tanh
    )
}

fn check(src: &str) -> Result<(), String> {
    let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
    let info = Validator::new(ValidationFlags::all(), Capabilities::FLOAT64)
        .validate(&module)
        .map_err(|e| e.emit_to_string(src))?;
    for (h, f) in module.functions.iter() {
        let fi = &info[h];
        // the test kernel's own stand-ins above may call them on f32
        if f.name
            .as_deref()
            .is_some_and(|n| n.starts_with("st_") && n.len() <= 6)
        {
            continue;
        }
        for (_, e) in f.expressions.iter() {
            if let naga::Expression::Math { fun, arg, .. } = *e {
                let ty = fi[arg].ty.inner_with(&module.types);
                if is_transcendental(fun) && ty.scalar().is_some_and(|s| s.width == 8) {
                    return Err(format!("{fun:?} on f64 in fn {:?}", f.name));
                }
            }
        }
    }
    Ok(())
}

fn check_model(model: &GameModel) -> String {
    let src = emit(model);
    for f64 in [false, true] {
        let k = kernel(&src, f64);
        if let Err(e) = check(&k) {
            panic!("{} f64 = {f64}: {e}\n{k}", model.name);
        }
    }
    src
}

fn covariance(m: usize) -> GameModel {
    let m = proc_macro2::Literal::usize_unsuffixed(m);
    stackel_symbolic::front_end(quote! {
        game Covariance {
            const M = #m;
            param sigma: [M, M];
            param eta = 0.6;
            leader v: [M, M];
            follower w: [M, M];
            let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
            cost v = f;
            cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
        }
    })
    .unwrap()
}

#[test]
fn covariance_modules_validate_at_m_3_9_25_and_do_not_grow_with_m() {
    let sizes: Vec<usize> = [3, 9, 25]
        .into_iter()
        .map(|m| {
            let src = check_model(&covariance(m));
            assert!(src.contains(&format!("const GAME_N: u32 = {}u;", 2 * m * m)));
            assert!(src.contains("for (var "), "loops, not unrolled entries");
            assert!(
                src.contains("f += i32(stride)"),
                "entries split by lid, stride"
            );
            src.len()
        })
        .collect();
    // only the digits of the bounds change with m
    assert!(sizes[2] < sizes[0] + 400, "{sizes:?}");
}

#[test]
fn paper_games_in_loop_form_validate() {
    let games = [
        quote! {
            game Duopoly {
                param a = 100.0;
                param c1 = 5.0;
                param c2 = 2.0;
                leader q1;
                follower q2;
                let price = a - q1 - q2;
                cost q1 = -(price - c1) * q1;
                cost q2 = -(price - c2) * q2;
            }
        },
        quote! {
            game Torus {
                param alpha: [2] = [1.0, 1.3];
                param phi: [2] = [pi / 8.0, pi / 8.0];
                leader th1: angle;
                follower th2: angle;
                cost th1 = -alpha[0] * cos(th1 - phi[0]) + cos(th1 - th2);
                cost th2 = -alpha[1] * cos(th2 - phi[1]) + cos(th2 - th1);
            }
        },
        quote! {
            game ZeroSumExample1 {
                param a = 0.15;
                param b = 0.25;
                leader x1;
                follower x2;
                let f = -exp(-0.01 * (x1^2 + x2^2)) * ((a * x1^2 + x2)^2 + (b * x2^2 + x1)^2);
                cost x1 = f;
                cost x2 = -f;
            }
        },
    ];
    for tokens in games {
        let model = stackel_symbolic::front_end(tokens).unwrap();
        let src = check_model(&model);
        if model.name == "Torus" {
            assert!(src.contains("st_wrap_angle(st_ld(xb + i))"), "{src}");
        }
    }
}

#[test]
fn shifted_indices_functions_and_guards_validate() {
    let model = stackel_symbolic::front_end(quote! {
        game Shifted {
            const N = 4;
            param a: [N];
            param b = 1.5;
            leader u: [N];
            follower w: [N, 3];
            follower z;
            cost u = sum(i in 0..N - 1) (u[i + 1] - u[i])^2 * a[i] + u[0] * w[2, 1] * z
                + sum(i in 1..N, j in 0..3) w[i, j] * u[i - 1] * (i + 1)
                + sum(i in 0..N) tanh(u[i] * z) * sum(k in 1..3) u[k] * k;
            cost w = sum(i in 0..N, j in 0..3) (w[i, j] - u[i] * b)^2 + max(w[0, 0], u[1]) * z
                + sum(i in 0..N - 1, j in 0..2) w[i + 1, j + 1] * w[i, j];
            cost z = (z - sum(i in 0..N) sin(u[i]))^2 + b * z * w[3, 2] + abs(z) * softplus(u[3]) + sigmoid(z) * relu(u[2]);
        }
    })
    .unwrap();
    let src = check_model(&model);
    // shifted entries are read below a branch
    assert!(src.contains("if ("), "{src}");
}

#[test]
#[ignore = "prints the m = 3 module"]
fn print_covariance_module() {
    println!("{}", emit(&covariance(3)));
}
