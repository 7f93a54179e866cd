//! Equilibria from the end points of a Monte-Carlo study: two-timescale
//! Stackelberg learning on the torus game ends near its two Stackelberg
//! equilibria; solving omega_S from the end points recovers exactly those
//! two, classified as stable differential Stackelberg equilibria.

use std::f64::consts::PI;

use stackel_runtime::dynamics::Dynamics;
use stackel_runtime::engine::{Init, Noise, Study};
use stackel_runtime::equilibria::{
    max_state_distance, starts_from_states, EquilibriumReport, Field, Verdict,
};
use stackel_runtime::record::Record;
use stackel_runtime::schedule::Schedule;
use stackel_testkit::twins::Torus;

#[test]
fn stackelberg_learning_end_points_lead_to_the_two_stackelberg_equilibria() {
    let t = Torus::default();
    let dynamics = Dynamics::two_timescale(
        Schedule::inverse_power(1.0).offset(10.0).exponent(1.0),
        Schedule::inverse_power(1.0).offset(10.0).exponent(0.5),
    );
    let result = Study::new(t, dynamics)
        .trajectories(64)
        .steps(2000)
        .noise(Noise::variance(0.01))
        .init(Init::Box {
            lo: vec![-PI, -PI],
            hi: vec![PI, PI],
        })
        .seed(3)
        .record(Record::finals())
        .run::<f64>()
        .unwrap();
    let starts = starts_from_states(&result.final_states, 2).unwrap();
    assert_eq!(starts.len(), 64);
    let report = EquilibriumReport::find(
        &t,
        Field::STACKELBERG,
        &starts,
        &Default::default(),
        &Default::default(),
    )
    .unwrap();
    let stackelberg: Vec<_> = report
        .points
        .iter()
        .filter(|p| p.differential_stackelberg == Verdict::Yes)
        .collect();
    assert_eq!(stackelberg.len(), 2, "{report}");
    for p in &stackelberg {
        assert_eq!(p.stable_stackelberg, Verdict::Yes);
        assert!(
            [[-0.53, 1.25], [1.31, -0.46]]
                .iter()
                .any(|r| max_state_distance(&p.x, r, &[true, true]) < 0.01),
            "{report}"
        );
    }
    // most end points were already in the basin of one of them
    let hits: usize = report
        .points
        .iter()
        .zip(&report.hits)
        .filter(|(p, _)| p.differential_stackelberg == Verdict::Yes)
        .map(|(_, h)| h)
        .sum();
    assert!(hits >= 48, "{report}");
}
