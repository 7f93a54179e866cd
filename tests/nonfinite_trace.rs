//! NaN and infinities traced to the DSL source (`stackel::nonfinite`):
//! games built to fail at a known subexpression, in every code form. The
//! expected line and column of each subexpression are found in this very
//! file's text, independently of the compiler's spans.

use stackel::nonfinite::{trace_nonfinite, Block, NonFinite, NonFiniteTrace, Part};
use stackel::prelude::*;

const THIS_FILE: &str = include_str!("nonfinite_trace.rs");

/// (line, column), 1-based, of the first occurrence of `text` in a line
/// that also holds `marker` in this file.
fn place(marker: &str, text: &str) -> (u32, u32) {
    for (k, line) in THIS_FILE.lines().enumerate() {
        if line.contains(marker) && !line.contains("place(") {
            let col = line
                .find(text)
                .unwrap_or_else(|| panic!("`{text}` not on the `{marker}` line"));
            return (k as u32 + 1, line[..col].chars().count() as u32 + 1);
        }
    }
    panic!("no line holds `{marker}`");
}

fn traced<G: Game>(g: &G, x: &[f64]) -> NonFiniteTrace {
    trace_nonfinite(g, x).unwrap().expect("a non-finite entry")
}

/// Asserts the trace's entry, subexpression text, place, part and arguments.
#[allow(clippy::too_many_arguments)]
fn check(
    t: &NonFiniteTrace,
    label: &str,
    marker: &str,
    text: &str,
    part: Part,
    kind: NonFinite,
    args: &[f64],
) {
    assert_eq!(t.label, label, "{t}");
    let o = t
        .origin
        .as_ref()
        .unwrap_or_else(|| panic!("no origin: {t}"));
    assert_eq!(o.text, text, "{t}");
    assert_eq!((o.line, o.column), place(marker, text), "{t}");
    assert!(o.file.ends_with("nonfinite_trace.rs"), "{}", o.file);
    assert_eq!((o.part, o.kind), (part, kind), "{t}");
    assert_eq!(o.args.len(), args.len(), "{t}");
    for (a, b) in o.args.iter().zip(args) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{t}: {a} vs {b}");
    }
}

stackel_game! {
    /// ln of a negative in the leader's gradient.
    pub game LnGame {
        leader q1;
        follower q2;
        cost q1 = q1 * ln(q1 - q2); // MARK-ln
        cost q2 = (q2 - q1)^2;
    }
}

#[test]
fn ln_of_a_negative() {
    let t = traced(&LnGame, &[0.2, 0.5]);
    check(
        &t,
        "D1f1[0]",
        "MARK-ln",
        "ln(q1 - q2)",
        Part::Value,
        NonFinite::NaN,
        &[-0.3],
    );
    assert_eq!(t.block, Block::D1f1);
    let shown = t.to_string();
    println!("{shown}");
    assert!(
        shown.starts_with("D1f1[0] is NaN: `ln(q1 - q2)` at "),
        "{shown}"
    );
    assert!(shown.ends_with("has argument -0.3"), "{shown}");
}

stackel_game! {
    pub game DivGame {
        leader q1;
        follower q2;
        cost q1 = q1^2 / (q2 - 1); // MARK-div
        cost q2 = (q2 - q1)^2;
    }
}

#[test]
fn division_by_zero() {
    let t = traced(&DivGame, &[1.5, 1.0]);
    check(
        &t,
        "D1f1[0]",
        "MARK-div",
        "q1^2 / (q2 - 1)",
        Part::Value,
        NonFinite::Inf,
        &[2.25, 0.0],
    );
}

stackel_game! {
    pub game SqrtGame {
        param a = 2.0;
        leader x: [2];
        follower y;
        cost x = (x[0] - 1)^2 + x[1] * sqrt(a - x[1]); // MARK-sqrt
        cost y = (y - x[0])^2;
    }
}

#[test]
fn sqrt_of_a_negative_in_the_second_gradient_entry() {
    // D1f1[0] = 2 (x0 - 1) is finite; D1f1[1] = sqrt(a - x1) - x1 / (2 sqrt(a - x1)) is not
    let t = traced(&SqrtGame::default(), &[0.0, 2.5, 0.0]);
    check(
        &t,
        "D1f1[1]",
        "MARK-sqrt",
        "sqrt(a - x[1])",
        Part::Value,
        NonFinite::NaN,
        &[-0.5],
    );
}

stackel_game! {
    pub game ExpGame {
        leader q1;
        follower q2;
        cost q1 = (q1 - 1)^2;
        cost q2 = q2 * exp(q1 * q2) + q2^2; // MARK-exp
    }
}

#[test]
fn exp_overflow_in_the_follower_gradient() {
    let t = traced(&ExpGame, &[40.0, 20.0]);
    check(
        &t,
        "D2f2[0]",
        "MARK-exp",
        "exp(q1 * q2)",
        Part::Value,
        NonFinite::Inf,
        &[800.0],
    );
}

stackel_game! {
    /// D2f2 = 2 (q2 - q1) + sqrt(q1) is finite at q1 = 0; D21f2 = -2 + 1 / (2 sqrt(q1)) is not.
    pub game HessianOnly {
        leader q1;
        follower q2;
        cost q1 = q1^2 + q2^2;
        cost q2 = (q2 - q1)^2 + q2 * sqrt(q1); // MARK-hess
    }
}

#[test]
fn a_hessian_block_only() {
    let x = [0.0, 0.7];
    let mut g = [0.0];
    HessianOnly.d2f2(&x, &mut g);
    assert!(g[0].is_finite());
    let t = traced(&HessianOnly, &x);
    assert_eq!(t.block, Block::D21f2, "{t}");
    assert_eq!(t.entry, vec![0, 0]);
    let o = t.origin.as_ref().unwrap();
    assert_eq!(o.text, "sqrt(q1)", "{t}");
    assert_eq!((o.line, o.column), place("MARK-hess", "sqrt(q1)"));
    assert_ne!(o.part, Part::Value, "{t}");
    assert_eq!(o.args, vec![0.0]);
}

stackel_game! {
    #[stackel(form = "loops")]
    pub game SumLoops {
        leader v: [4];
        follower w;
        let d = w - 1;
        cost v = sum(i in 0..4) v[i] * ln(v[i] + d); // MARK-sum
        cost w = (w - v[0])^2;
    }
}

stackel_game! {
    #[stackel(form = "tape")]
    pub game SumTape {
        leader v: [4];
        follower w;
        let d = w - 1;
        cost v = sum(i in 0..4) v[i] * ln(v[i] + d); // MARK-tape
        cost w = (w - v[0])^2;
    }
}

#[test]
fn inside_a_sum_in_the_loop_and_tape_forms() {
    // v[2] + d = 0.5 - 1 < 0: the third term; the gradient entry D1f1[2]
    let x = [2.0, 3.0, 0.5, 4.0, 0.0];
    for (t, marker) in [
        (traced(&SumLoops, &x), "MARK-sum"),
        (traced(&SumTape, &x), "MARK-tape"),
    ] {
        check(
            &t,
            "D1f1[2]",
            marker,
            "ln(v[i] + d)",
            Part::Value,
            NonFinite::NaN,
            &[-0.5],
        );
        assert_eq!(
            t.origin.as_ref().unwrap().indices,
            vec![("i".to_string(), 2)]
        );
        assert!(t.to_string().ends_with("(at i = 2)"), "{t}");
    }
}

#[test]
fn a_finite_state_has_no_trace() {
    assert!(trace_nonfinite(&LnGame, &[0.9, 0.5]).unwrap().is_none());
    assert!(trace_nonfinite(&HessianOnly, &[0.5, 0.5])
        .unwrap()
        .is_none());
    assert!(
        trace_nonfinite(&LnGame, &[0.9]).is_err(),
        "a short state is an error"
    );
}

stackel_game! {
    /// D1f1 = q1 - 3 + 1 / (2 sqrt(q1)): NaN from any q1 < 0.
    pub game SqrtStudy {
        leader q1;
        follower q2;
        cost q1 = 0.5 * (q1 - 3)^2 + sqrt(q1); // MARK-study
        cost q2 = (q2 - q1)^2;
    }
}

fn sqrt_study(dynamics: Dynamics) -> Study<SqrtStudy> {
    let starts = vec![
        vec![2.0, 0.0],
        vec![-1.0, 0.0],
        vec![4.0, 1.0],
        vec![-0.5, 2.0],
    ];
    Study::new(SqrtStudy, dynamics)
        .trajectories(4)
        .steps(50)
        .init(Init::List(starts))
        .trace_nonfinite(true)
}

#[test]
fn a_study_reports_the_diverged_trajectories() {
    let simultaneous = Dynamics::simultaneous(Schedule::constant(0.1));
    let two_timescale = Dynamics::two_timescale(Schedule::constant(0.05), Schedule::constant(0.1));
    let runs = [
        sqrt_study(simultaneous.clone()).run::<f64>().unwrap(),
        sqrt_study(simultaneous.clone())
            .small_kernel(false)
            .run::<f64>()
            .unwrap(),
        sqrt_study(simultaneous).run::<f32>().unwrap(),
        sqrt_study(two_timescale).run::<f64>().unwrap(),
    ];
    for r in &runs {
        assert_eq!(r.summary.non_finite, 2);
        assert_eq!(r.summary.finished, 2);
        let traced: Vec<u64> = r.nonfinite.iter().map(|t| t.trajectory).collect();
        assert_eq!(traced, [1, 3]);
        for (t, q1) in r.nonfinite.iter().zip([-1.0, -0.5]) {
            assert_eq!(t.step, 0);
            let trace = t.trace.as_ref().expect("traced");
            check(
                trace,
                "D1f1[0]",
                "MARK-study",
                "sqrt(q1)",
                Part::Value,
                NonFinite::NaN,
                &[q1],
            );
        }
    }
    // the traces survive JSON
    let back = StudyResult::from_json(&runs[0].to_json().unwrap()).unwrap();
    assert_eq!(back.nonfinite, runs[0].nonfinite);
}

#[test]
fn without_the_option_a_study_traces_nothing() {
    let r = sqrt_study(Dynamics::simultaneous(Schedule::constant(0.1)))
        .trace_nonfinite(false)
        .run::<f64>()
        .unwrap();
    assert_eq!(r.summary.non_finite, 2);
    assert!(r.nonfinite.is_empty());
}

stackel_game! {
    /// The leader's gradient is NaN once q1 + s[0] s[1] < 0, s a data input.
    pub game DataStudy {
        data s: [2];
        leader q1;
        follower q2;
        cost q1 = 0.5 * (q1 - 1)^2 + sqrt(q1 + s[0] * s[1]); // MARK-data
        cost q2 = (q2 - q1)^2;
    }
}

#[test]
fn a_study_with_data_traces_with_the_failing_steps_sample() {
    use stackel::data::{sample_batch, Sampler};
    // s = (-(2 + u), 1), u uniform: the square root's argument q1 - 2 - u
    let sampler = || {
        Sampler::from_fn(|st, out| {
            out[0] = -(2.0 + st.uniform());
            out[1] = 1.0;
        })
    };
    let r = Study::new(DataStudy, Dynamics::simultaneous(Schedule::constant(0.2)))
        .trajectories(3)
        .steps(200)
        .init(Init::List(vec![
            vec![10.0, 0.0],
            vec![1.0, 0.0],
            vec![6.0, 0.0],
        ]))
        .data("s", sampler())
        .seed(3)
        .trace_nonfinite(true)
        .run::<f64>()
        .unwrap();
    // every trajectory heads for q1 = 1 and meets q1 < 2 + u on the way
    assert_eq!(r.summary.non_finite, 3);
    assert_eq!(r.nonfinite.len(), 3);
    for t in &r.nonfinite {
        let j = t.trajectory as usize;
        let mut s = [0.0; 2];
        sample_batch(&sampler(), 3, t.trajectory, t.step, 0, &mut s);
        let q1 = r.final_state(j)[0];
        let trace = t.trace.as_ref().expect("traced");
        let text = "sqrt(q1 + s[0] * s[1])";
        check(
            trace,
            "D1f1[0]",
            "MARK-data",
            text,
            Part::Value,
            NonFinite::NaN,
            &[q1 + s[0] * s[1]],
        );
        assert!(q1 + s[0] * s[1] < 0.0);
    }
    assert!(r.nonfinite[0].step > 0, "from q1 = 10 it takes steps");
}
