//! The WGSL emitter's output is valid WGSL (naga, no device) for f32 and f64,
//! never calls a transcendental on f64, and the hand-built IR it is tested on
//! matches finite differences of the paper games' costs.

#[path = "../../stackel-runtime/tests/gpu_common/ir_games.rs"]
mod ir_games;

use ir_games::{eval, Builder};
use naga::valid::{Capabilities, ValidationFlags, Validator};
use stackel_symbolic::emit_wgsl::{emit_game, UNROLL_LIMIT};
use stackel_symbolic::ir::{GamePrograms, Op, Operand, Stmt};
use stackel_symbolic::model::UnaryFn;

/// What the runtime prepends (see `emit_wgsl`'s contract), plus an entry
/// point that calls every game function so all of them are type-checked in
/// context.
fn kernel(game: &str, f64: bool, n: usize, npa: usize) -> String {
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
         @compute @workgroup_size(64)\n\
         fn main(@builtin(global_invocation_id) id: vec3<u32>) {{\n\
         \x20   var x: array<S, {n}>;\n\
         \x20   var p: array<S, {npa}>;\n\
         \x20   for (var i = 0u; i < {n}u; i++) {{ x[i] = buf[i]; }}\n\
         \x20   for (var i = 0u; i < {npa}u; i++) {{ p[i] = buf[{n}u + i]; }}\n\
         \x20   let w = game_omega(x, p);\n\
         \x20   let ws = game_omega_s(x, p, S(0.0));\n\
         \x20   let y = game_wrap(x);\n\
         \x20   for (var i = 0u; i < {n}u; i++) {{ buf[i] = w[i] + ws.v[i] + y[i] + select(S(0.0), S(1.0), ws.ok); }}\n\
         }}\n\
         {game}"
    )
}

/// The GLSL.std.450-backed functions drivers do not define on f64.
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

/// Parses and validates `src`; then rejects any transcendental applied to an
/// f64 value. Returns a description of the first problem.
fn check(src: &str) -> Result<(), String> {
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
        for (h, e) in f.expressions.iter() {
            if let naga::Expression::Math { fun, arg, .. } = *e {
                let ty = fi[arg].ty.inner_with(&module.types);
                if is_transcendental(fun) && ty.scalar().is_some_and(|s| s.width == 8) {
                    return Err(format!(
                        "{fun:?} on f64 in fn {:?} (expression {h:?})",
                        f.name
                    ));
                }
            }
        }
    }
    Ok(())
}

fn check_game(g: &GamePrograms) {
    let src = emit_game(g);
    let n = g.d1 + g.d2;
    for f64 in [false, true] {
        let k = kernel(&src, f64, n, g.np.max(1));
        if let Err(e) = check(&k) {
            panic!("f64 = {f64}: {e}\n{k}");
        }
    }
}

#[test]
fn paper_game_modules_validate_in_f32_and_f64() {
    check_game(&ir_games::duopoly());
    check_game(&ir_games::torus());
    check_game(&ir_games::example1());
}

#[test]
fn f64_transcendental_check_rejects_native_calls() {
    let bad = "fn f(a: f64) -> f64 { return exp(a); }";
    assert!(check(bad).unwrap_err().contains("Exp"));
    let bad = "fn f(a: vec2<f64>) -> vec2<f64> { return sin(a); }";
    assert!(check(bad).unwrap_err().contains("Sin"));
    let ok = "fn f(a: f64) -> f64 { return f64(exp(f32(a))) + sqrt(a); }";
    check(ok).unwrap();
}

/// A game whose programs use every op and function of the IR, with d2
/// follower entries, so both solver forms (unrolled and looped) are emitted.
fn every_op_game(d1: usize, d2: usize) -> GamePrograms {
    let n = d1 + d2;
    let build = |len: usize| {
        let mut b = Builder::default();
        let x = |i: usize| Operand::State((i % n) as u32);
        let mut acc = b.add(x(0), Operand::Param(0));
        let ops = [
            Op::Sub(x(1), Operand::Const(0.25)),
            Op::Div(x(0), Operand::Const(3.0)),
            Op::Neg(x(1)),
            Op::Powi(x(0), 5),
            Op::Powi(x(1), -3),
            Op::Powi(x(0), 2),
            Op::Powi(x(0), -1),
            Op::Powf(x(0), Operand::Const(1.5)),
            Op::Sign(x(1)),
            Op::Heaviside(x(0)),
            Op::Min(x(0), x(1)),
            Op::Max(x(0), x(1)),
            Op::Le(x(0), x(1)),
        ];
        for op in ops {
            let t = b.op(op);
            acc = b.add(acc, t);
        }
        for f in UnaryFn::ALL {
            let t = b.un(f, acc);
            acc = b.mul(acc, t);
        }
        let entries: Vec<Operand> = (0..len)
            .map(|k| {
                if k % 2 == 0 {
                    acc
                } else {
                    Operand::Const(1e-3 * k as f64)
                }
            })
            .collect();
        (b, entries)
    };
    let (b, e) = build(n);
    let omega = b.finish(vec![("omega", vec![n], e)]);
    let (b, e) = build(d1 + 2 * d2 + d2 * d2 + d2 * d1);
    let mut it = e.into_iter();
    let mut take = |k: usize| it.by_ref().take(k).collect::<Vec<_>>();
    let outs = vec![
        ("d1f1", vec![d1], take(d1)),
        ("d2f1", vec![d2], take(d2)),
        ("d2f2", vec![d2], take(d2)),
        ("d22f2", vec![d2, d2], take(d2 * d2)),
        ("d21f2", vec![d2, d1], take(d2 * d1)),
    ];
    let stackelberg_parts = b.finish(outs);
    GamePrograms {
        d1,
        d2,
        np: 1,
        angle_mask: (0..n).map(|i| i % 3 == 1).collect(),
        omega,
        stackelberg_parts,
    }
}

#[test]
fn every_op_and_both_solver_forms_validate() {
    check_game(&every_op_game(2, 3));
    check_game(&every_op_game(1, UNROLL_LIMIT + 2));
    // the two forms differ in the factorisation (`game_lu_factor`); the
    // solves after it are written with loops in both
    let factor = |text: String| {
        let at = text
            .find("fn game_lu_factor")
            .expect("game_lu_factor emitted");
        let end = at + text[at..].find("\n}\n").expect("end of game_lu_factor");
        text[at..end].to_string()
    };
    let unrolled = factor(emit_game(&every_op_game(2, 3)));
    let looped = factor(emit_game(&every_op_game(1, UNROLL_LIMIT + 2)));
    assert!(!unrolled.contains("for (var k"));
    assert!(looped.contains("for (var k"));
}

#[test]
fn game_with_no_params_validates() {
    let mut g = ir_games::duopoly();
    // Replace the params by constants: a = 100, c1 = 5, c2 = 2.
    for prog in [&mut g.omega, &mut g.stackelberg_parts] {
        for Stmt::Assign(ins) in &mut prog.body {
            if let Op::Sub(Operand::Param(0), Operand::Param(k)) = ins.op {
                let c = [0.0, 5.0, 2.0][k as usize];
                ins.op = Op::Sub(Operand::Const(100.0), Operand::Const(c));
            }
        }
    }
    g.np = 0;
    let src = emit_game(&g);
    assert!(!src.contains("p["));
    check_game(&g);
}

/// Central differences of a scalar function of x.
fn grad(f: impl Fn(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let h = 1e-4 * (1.0 + x[i].abs());
    let (mut a, mut b) = (x.to_vec(), x.to_vec());
    a[i] += h;
    b[i] -= h;
    (f(&a) - f(&b)) / (2.0 * h)
}

/// The hand-built IR of each paper game agrees with finite differences of its
/// costs: omega, and every fused Stackelberg part.
#[test]
fn hand_built_ir_matches_finite_differences() {
    type Costs = fn(&[f64], &[f64]) -> [f64; 2];
    let pi8 = std::f64::consts::PI / 8.0;
    let games: [(GamePrograms, Costs, Vec<f64>); 3] = [
        (
            ir_games::duopoly(),
            ir_games::duopoly_costs,
            vec![100.0, 5.0, 2.0],
        ),
        (
            ir_games::torus(),
            ir_games::torus_costs,
            vec![1.0, 1.3, pi8, pi8],
        ),
        (
            ir_games::example1(),
            ir_games::example1_costs,
            vec![0.15, 0.25],
        ),
    ];
    for (g, costs, p) in games {
        for x in [[0.3, -1.2], [2.0, 0.7], [-1.5, 3.1]] {
            let f1 = |y: &[f64]| costs(y, &p)[0];
            let f2 = |y: &[f64]| costs(y, &p)[1];
            let want = [
                grad(f1, &x, 0),
                grad(f1, &x, 1),
                grad(f2, &x, 1),
                grad(|y| grad(f2, y, 1), &x, 1),
                grad(|y| grad(f2, y, 1), &x, 0),
            ];
            let w = eval(&g.omega, &x, &p);
            let s = eval(&g.stackelberg_parts, &x, &p);
            let got = [s[0][0], s[1][0], s[2][0], s[3][0], s[4][0]];
            for (k, (a, b)) in want.iter().zip(got).enumerate() {
                let tol = 1e-4 * (1.0 + a.abs());
                assert!((a - b).abs() < tol, "part {k} at {x:?}: fd {a} ir {b}");
            }
            assert_eq!(w[0], vec![s[0][0], s[2][0]]);
        }
    }
}
