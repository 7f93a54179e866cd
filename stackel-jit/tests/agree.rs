//! Run-time code computes what compile-time code computes: every block of the
//! paper games, compiled from DSL text by the JIT, equals the same game
//! compiled by `stackel_game!` (stackel-testkit), bit for bit, in f32 and f64;
//! and random programs agree with the compiler's interpreter.

use proptest::prelude::*;
use stackel_jit::{JitError, JitPrograms, Precision};
use stackel_runtime::{Game, Real, SecondOrderParts, StackelbergParts};
use stackel_symbolic::ir::{Instr, Op, Operand, OutputArray, Program};
use stackel_symbolic::lower::{lower_game, run, Lowered, BLOCK_NAMES};
use stackel_symbolic::model::UnaryFn;
use stackel_testkit::games::{Covariance3, Duopoly, Torus, ZeroSumExample1};
use stackel_testkit::point;
use stackel_testkit::texts::{COVARIANCE3, DUOPOLY, EXAMPLE1, TORUS};
use std::str::FromStr;

fn lowered(text: &str) -> Lowered {
    let tokens = proc_macro2::TokenStream::from_str(text).expect("DSL text tokenizes");
    let model = stackel_symbolic::front_end(tokens).expect("the game checks");
    lower_game(&model).expect("the game lowers")
}

/// What the macro game computes for block `name` at (x, lambda).
fn macro_block<G: Game, T: Real>(g: &G, name: &str, x: &[T], lambda: &[T], out: &mut [T]) {
    match name {
        "D1f1" => g.d1f1(x, out),
        "D2f1" => g.d2f1(x, out),
        "D2f2" => g.d2f2(x, out),
        "D11f1" => g.d11f1(x, out),
        "D12f1" => g.d12f1(x, out),
        "D22f1" => g.d22f1(x, out),
        "D22f2" => g.d22f2(x, out),
        "D21f2" => g.d21f2(x, out),
        "D11phi" => g.d11phi(x, lambda, out),
        "D12phi" => g.d12phi(x, lambda, out),
        "D21phi" => g.d21phi(x, lambda, out),
        "D22phi" => g.d22phi(x, lambda, out),
        "D1pf1" => g.d1p_f1(x, out),
        "D2pf1" => g.d2p_f1(x, out),
        "D2pf2" => g.d2p_f2(x, out),
        "D1pphi" => g.d1p_phi(x, lambda, out),
        "D2pphi" => g.d2p_phi(x, lambda, out),
        other => panic!("no block {other}"),
    }
}

fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Every block, both costs, omega and the fused parts of `text`, JIT-compiled
/// in precision `T`, equal the macro game `g`'s at 20 points, bit for bit.
fn agrees_with_macro<G: Game, T: Real + Into<f64>>(text: &str, g: &G, precision: Precision) {
    let l = lowered(text);
    let (d1, d2, n) = (g.d1(), g.d2(), g.n());
    let mut programs: Vec<&Program> = l.blocks.iter().collect();
    programs.extend([
        &l.leader_cost,
        &l.field.omega,
        &l.field.stackelberg_parts,
        &l.second_order_parts,
    ]);
    programs.extend(l.follower_costs.iter());
    let jit = JitPrograms::compile(&programs, precision).expect("the game compiles");
    let mut p64 = vec![0.0; g.np()];
    g.params(&mut p64);
    let p: Vec<T> = p64.iter().map(|&v| T::of(v)).collect();
    let run_jit = |k: usize, x: &[T], lambda: &[T], outs: &mut [&mut [T]]| {
        let (x, p, lambda) = (x.to_vec(), p.clone(), lambda.to_vec());
        match precision {
            Precision::F64 => {
                let view = |v: &[T]| -> Vec<f64> { v.iter().map(|&t| t.into()).collect() };
                let mut o64: Vec<Vec<f64>> = outs.iter().map(|o| vec![0.0; o.len()]).collect();
                let mut refs: Vec<&mut [f64]> = o64.iter_mut().map(|v| v.as_mut_slice()).collect();
                jit.run_f64(k, &view(&x), &view(&p), &view(&lambda), &mut refs)
                    .unwrap();
                for (o, v) in outs.iter_mut().zip(&o64) {
                    for (a, &b) in o.iter_mut().zip(v) {
                        *a = T::of(b);
                    }
                }
            }
            Precision::F32 => {
                let view = |v: &[T]| -> Vec<f32> {
                    v.iter().map(|&t| Into::<f64>::into(t) as f32).collect()
                };
                let mut o32: Vec<Vec<f32>> = outs.iter().map(|o| vec![0.0; o.len()]).collect();
                let mut refs: Vec<&mut [f32]> = o32.iter_mut().map(|v| v.as_mut_slice()).collect();
                jit.run_f32(k, &view(&x), &view(&p), &view(&lambda), &mut refs)
                    .unwrap();
                for (o, v) in outs.iter_mut().zip(&o32) {
                    for (a, &b) in o.iter_mut().zip(v) {
                        *a = T::of(b as f64);
                    }
                }
            }
        }
    };
    let check = |what: &str, a: &[T], b: &[T], x: &[T]| {
        for (i, (&u, &v)) in a.iter().zip(b).enumerate() {
            assert!(
                same_bits(u.into(), v.into()),
                "{what}[{i}] at {:?}: jit {} vs macro {}",
                x.iter().map(|&t| t.into()).collect::<Vec<f64>>(),
                u.into(),
                v.into()
            );
        }
    };
    let z = T::zero();
    for seed in 0..20 {
        let x: Vec<T> = point(n, seed).into_iter().map(T::of).collect();
        let lambda: Vec<T> = point(d2, seed + 1000).into_iter().map(T::of).collect();
        for (k, name) in BLOCK_NAMES.iter().enumerate() {
            let len = l.blocks[k].outputs[0].entries.len();
            let (mut a, mut b) = (vec![z; len], vec![z; len]);
            run_jit(k, &x, &lambda, &mut [&mut a]);
            macro_block(g, name, &x, &lambda, &mut b);
            check(name, &a, &b, &x);
        }
        let nb = BLOCK_NAMES.len();
        let mut c = [z];
        run_jit(nb, &x, &lambda, &mut [&mut c]);
        check("f1", &c, &[g.leader_cost(&x)], &x);
        for i in 0..l.follower_costs.len() {
            run_jit(nb + 4 + i, &x, &lambda, &mut [&mut c]);
            check("f2", &c, &[g.follower_cost(i, &x)], &x);
        }
        let (mut a, mut b) = (vec![z; n], vec![z; n]);
        run_jit(nb + 1, &x, &lambda, &mut [&mut a]);
        g.omega(&x, &mut b);
        check("omega", &a, &b, &x);
        // the fused Stackelberg parts
        let sizes = [d1, d2, d2, d2 * d2, d2 * d1];
        let mut ja: Vec<Vec<T>> = sizes.iter().map(|&s| vec![z; s]).collect();
        let mut ma: Vec<Vec<T>> = sizes.iter().map(|&s| vec![z; s]).collect();
        {
            let mut refs: Vec<&mut [T]> = ja.iter_mut().map(|v| v.as_mut_slice()).collect();
            run_jit(nb + 2, &x, &lambda, &mut refs);
        }
        if let [a0, a1, a2, a3, a4] = ma.as_mut_slice() {
            g.stackelberg_parts(
                &x,
                StackelbergParts {
                    d1f1: a0,
                    d2f1: a1,
                    d2f2: a2,
                    d22f2: a3,
                    d21f2: a4,
                },
            );
        }
        for (k, (a, b)) in ja.iter().zip(&ma).enumerate() {
            check(&format!("stackelberg_parts.{k}"), a, b, &x);
        }
        let sizes = [
            d1 * d1,
            d1 * d2,
            d2 * d2,
            d2 * d2,
            d2 * d1,
            d1 * d1,
            d1 * d2,
            d2 * d1,
            d2 * d2,
        ];
        let mut ja: Vec<Vec<T>> = sizes.iter().map(|&s| vec![z; s]).collect();
        let mut ma: Vec<Vec<T>> = sizes.iter().map(|&s| vec![z; s]).collect();
        {
            let mut refs: Vec<&mut [T]> = ja.iter_mut().map(|v| v.as_mut_slice()).collect();
            run_jit(nb + 3, &x, &lambda, &mut refs);
        }
        if let [a0, a1, a2, a3, a4, a5, a6, a7, a8] = ma.as_mut_slice() {
            g.second_order_parts(
                &x,
                &lambda,
                SecondOrderParts {
                    d11f1: a0,
                    d12f1: a1,
                    d22f1: a2,
                    d22f2: a3,
                    d21f2: a4,
                    d11phi: a5,
                    d12phi: a6,
                    d21phi: a7,
                    d22phi: a8,
                },
            );
        }
        for (k, (a, b)) in ja.iter().zip(&ma).enumerate() {
            check(&format!("second_order_parts.{k}"), a, b, &x);
        }
    }
}

#[test]
fn paper_games_jit_equal_the_macro_games_bit_for_bit_in_f64() {
    agrees_with_macro::<_, f64>(DUOPOLY, &Duopoly::default(), Precision::F64);
    agrees_with_macro::<_, f64>(TORUS, &Torus::default(), Precision::F64);
    agrees_with_macro::<_, f64>(EXAMPLE1, &ZeroSumExample1::default(), Precision::F64);
    agrees_with_macro::<_, f64>(COVARIANCE3, &Covariance3::default(), Precision::F64);
}

#[test]
fn paper_games_jit_equal_the_macro_games_bit_for_bit_in_f32() {
    agrees_with_macro::<_, f32>(DUOPOLY, &Duopoly::default(), Precision::F32);
    agrees_with_macro::<_, f32>(TORUS, &Torus::default(), Precision::F32);
    agrees_with_macro::<_, f32>(EXAMPLE1, &ZeroSumExample1::default(), Precision::F32);
    agrees_with_macro::<_, f32>(COVARIANCE3, &Covariance3::default(), Precision::F32);
}

#[test]
fn calls_are_checked_and_never_read_out_of_bounds() {
    let l = lowered(DUOPOLY);
    let jit = JitPrograms::compile(&[&l.field.omega], Precision::F64).unwrap();
    let shape = jit.shape(0).unwrap();
    assert_eq!((shape.x, shape.p, shape.lambda), (2, 3, 0));
    assert_eq!(shape.outputs, vec![2]);
    let mut out = [0.0; 2];
    let short_x = jit.run_f64(0, &[1.0], &[100.0, 5.0, 2.0], &[], &mut [&mut out]);
    assert!(matches!(
        short_x,
        Err(JitError::ShortSlice {
            need: 2,
            got: 1,
            ..
        })
    ));
    let mut short = [0.0; 1];
    let short_out = jit.run_f64(0, &[1.0, 2.0], &[100.0, 5.0, 2.0], &[], &mut [&mut short]);
    assert!(matches!(
        short_out,
        Err(JitError::ShortSlice {
            need: 2,
            got: 1,
            ..
        })
    ));
    assert!(matches!(
        jit.run_f64(0, &[1.0, 2.0], &[100.0, 5.0, 2.0], &[], &mut []),
        Err(JitError::ShortSlice { .. })
    ));
    assert!(matches!(
        jit.run_f64(1, &[1.0, 2.0], &[100.0, 5.0, 2.0], &[], &mut [&mut out]),
        Err(JitError::NoProgram(1, 1))
    ));
    let mut o32 = [0.0f32; 2];
    assert!(matches!(
        jit.run_f32(0, &[1.0, 2.0], &[100.0, 5.0, 2.0], &[], &mut [&mut o32]),
        Err(JitError::WrongPrecision { .. })
    ));
    // the compiled programs are usable from several threads at once
    std::thread::scope(|s| {
        for t in 0..4 {
            let jit = &jit;
            s.spawn(move || {
                let mut o = [0.0; 2];
                let q = 10.0 + t as f64;
                jit.run_f64(0, &[q, 20.0], &[100.0, 5.0, 2.0], &[], &mut [&mut o])
                    .unwrap();
                assert_eq!(o[0], -(100.0 - 2.0 * q - 20.0 - 5.0));
            });
        }
    });
}

// ---- random programs against the compiler's interpreter ----

const UNARY: [UnaryFn; 11] = UnaryFn::ALL;

/// An interpreter with the runtime's definitions (`Real`: the functions
/// compiled code calls; `run` is the compiler's own f64 interpreter, with
/// std's functions).
fn run_real<T: Real>(program: &Program, x: &[T], p: &[T]) -> Vec<T> {
    let mut t = vec![T::zero(); program.temp_count()];
    let get = |t: &[T], o: Operand| match o {
        Operand::Tmp(k) => t[k as usize],
        Operand::Const(c) => T::of(c),
        Operand::State(k) => x[k as usize],
        Operand::Param(k) => p[k as usize],
        Operand::Lambda(_) => unreachable!("random programs read no lambda"),
    };
    for stackel_symbolic::ir::Stmt::Assign(ins) in &program.body {
        let g = |o| get(&t, o);
        let v = match ins.op {
            Op::Add(a, b) => g(a) + g(b),
            Op::Sub(a, b) => g(a) - g(b),
            Op::Mul(a, b) => g(a) * g(b),
            Op::Div(a, b) => g(a) / g(b),
            Op::Neg(a) => -g(a),
            Op::Powi(a, n) => Real::powi(g(a), n),
            Op::Powf(a, b) => Real::powf(g(a), g(b)),
            Op::Unary(f, a) => {
                let a = g(a);
                match f {
                    UnaryFn::Exp => Real::exp(a),
                    UnaryFn::Ln => Real::ln(a),
                    UnaryFn::Sqrt => Real::sqrt(a),
                    UnaryFn::Sin => Real::sin(a),
                    UnaryFn::Cos => Real::cos(a),
                    UnaryFn::Tan => Real::tan(a),
                    UnaryFn::Tanh => Real::tanh(a),
                    UnaryFn::Sigmoid => Real::sigmoid(a),
                    UnaryFn::Softplus => Real::softplus(a),
                    UnaryFn::Abs => Real::abs(a),
                    UnaryFn::Relu => Real::relu(a),
                }
            }
            Op::Sign(a) => Real::sign(g(a)),
            Op::Heaviside(a) => Real::heaviside(g(a)),
            Op::Min(a, b) => Real::min(g(a), g(b)),
            Op::Max(a, b) => Real::max(g(a), g(b)),
            Op::Le(a, b) => {
                if g(a).re() <= g(b).re() {
                    T::one()
                } else {
                    T::zero()
                }
            }
        };
        t[ins.dst as usize] = v;
    }
    program.outputs[0]
        .entries
        .iter()
        .map(|e| get(&t, *e))
        .collect()
}

/// A random straight-line program over x (3 entries) and p (2 entries).
fn random_program() -> impl Strategy<Value = Program> {
    let step = (
        0u8..16,
        0usize..64,
        0usize..64,
        -3i32..6,
        0usize..UNARY.len(),
        -3.0f64..3.0,
    );
    proptest::collection::vec(step, 1..40).prop_map(|steps| {
        let mut instrs = Vec::new();
        for (k, (kind, a, b, n, u, c)) in steps.into_iter().enumerate() {
            let pick = |r: usize| -> Operand {
                match r % 4 {
                    0 if k > 0 => Operand::Tmp((r / 4 % k) as u32),
                    1 => Operand::State((r / 4 % 3) as u32),
                    2 => Operand::Param((r / 4 % 2) as u32),
                    _ => Operand::Const(c),
                }
            };
            let (a, b) = (pick(a), pick(b));
            let op = match kind {
                0 => Op::Add(a, b),
                1 => Op::Sub(a, b),
                2 => Op::Mul(a, b),
                3 => Op::Div(a, b),
                4 => Op::Neg(a),
                5 => Op::Powi(a, n),
                6 => Op::Powf(a, b),
                7 | 8 => Op::Unary(UNARY[u], a),
                9 => Op::Sign(a),
                10 => Op::Heaviside(a),
                11 => Op::Min(a, b),
                12 => Op::Max(a, b),
                13 => Op::Le(a, b),
                _ => Op::Mul(a, a),
            };
            instrs.push(Instr { dst: k as u32, op });
        }
        let last = instrs.len() as u32;
        let entries = (0..last)
            .map(Operand::Tmp)
            .chain([Operand::State(2)])
            .collect();
        Program::straight_line(
            false,
            instrs,
            vec![OutputArray {
                name: "out".into(),
                shape: vec![last as usize + 1],
                entries,
            }],
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_programs_equal_the_interpreters(
        prog in random_program(),
        x in proptest::array::uniform3(-3.0f64..3.0),
        p in proptest::array::uniform2(-3.0f64..3.0),
    ) {
        let jit64 = JitPrograms::compile(&[&prog], Precision::F64).unwrap();
        let len = prog.outputs[0].entries.len();
        let mut out = vec![0.0; len];
        jit64.run_f64(0, &x, &p, &[], &mut [&mut out]).unwrap();
        let want = run_real(&prog, &x, &p);
        for (i, (a, b)) in out.iter().zip(&want).enumerate() {
            prop_assert!(same_bits(*a, *b), "f64 entry {}: jit {} vs interpreter {}", i, a, b);
        }
        // the compiler's interpreter, with std's functions, differs from the
        // runtime's in tanh only (the runtime's own f64 tanh, within 3 ulp)
        let tanh = prog.body.iter().any(|stackel_symbolic::ir::Stmt::Assign(i)| {
            matches!(i.op, Op::Unary(UnaryFn::Tanh, _))
        });
        if !tanh {
            let std = run(&prog, &x, &p, &[]).remove(0);
            for (i, (a, b)) in out.iter().zip(&std).enumerate() {
                prop_assert!(same_bits(*a, *b), "f64 entry {}: jit {} vs the compiler's interpreter {}", i, a, b);
            }
        }
        let jit32 = JitPrograms::compile(&[&prog], Precision::F32).unwrap();
        let (x32, p32) = (x.map(|v| v as f32), p.map(|v| v as f32));
        let mut out = vec![0.0f32; len];
        jit32.run_f32(0, &x32, &p32, &[], &mut [&mut out]).unwrap();
        let want = run_real(&prog, &x32, &p32);
        for (i, (a, b)) in out.iter().zip(&want).enumerate() {
            prop_assert!(same_bits(*a as f64, *b as f64), "f32 entry {}: jit {} vs interpreter {}", i, a, b);
        }
    }
}

/// Compiled code's tanh (instructions, not a call) gives the runtime's
/// bits in f64 and f32 over a sweep: both branches, their seams, the cap
/// at 20, tiny and huge arguments, signed zeros, infinities and NaN.
#[test]
fn compiled_tanh_equals_the_runtimes() {
    let prog = Program::straight_line(
        false,
        vec![Instr {
            dst: 0,
            op: Op::Unary(UnaryFn::Tanh, Operand::State(0)),
        }],
        vec![OutputArray {
            name: "out".into(),
            shape: vec![1],
            entries: vec![Operand::Tmp(0)],
        }],
    );
    let mut xs = vec![
        0.0,
        -0.0,
        1e-300,
        1e-9,
        0.0625,
        0.27,
        19.99,
        20.0,
        25.0,
        1e300,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    let mut u = 1e-6;
    while u < 40.0 {
        xs.push(u);
        u *= 1.01;
    }
    let seams: Vec<f64> = xs
        .iter()
        .flat_map(|&v| [v.next_down(), v.next_up()])
        .collect();
    xs.extend(seams);
    let neg: Vec<f64> = xs.iter().map(|v| -v).collect();
    xs.extend(neg);
    let jit64 = JitPrograms::compile(&[&prog], Precision::F64).unwrap();
    let jit32 = JitPrograms::compile(&[&prog], Precision::F32).unwrap();
    for x in xs {
        let mut out = [0.0f64];
        jit64
            .run_f64(0, &[x, 0.0, 0.0], &[0.0, 0.0], &[], &mut [&mut out])
            .unwrap();
        let want = <f64 as Real>::tanh(x);
        assert!(
            same_bits(out[0], want),
            "f64 tanh({x:e}): jit {:e}, runtime {want:e}",
            out[0]
        );
        let x32 = x as f32;
        let mut out = [0.0f32];
        jit32
            .run_f32(0, &[x32, 0.0, 0.0], &[0.0, 0.0], &[], &mut [&mut out])
            .unwrap();
        let want = <f32 as Real>::tanh(x32);
        assert!(
            same_bits(out[0] as f64, want as f64),
            "f32 tanh({x32:e}): jit {:e}, runtime {want:e}",
            out[0]
        );
    }
}
