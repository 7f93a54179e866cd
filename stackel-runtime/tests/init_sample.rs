//! `Init::sample`: user-defined initial distributions through rand_distr on
//! the Philox `rand_core` generator of (seed, trajectory, STREAM_INIT).

use rand_core::Rng;
use rand_distr::{Distribution, Normal, Uniform};
use stackel_runtime::dynamics::Dynamics;
use stackel_runtime::engine::{Init, Noise, Study, StudyError};
use stackel_runtime::rng::{PhiloxRng, STREAM_INIT};
use stackel_runtime::schedule::Schedule;
use stackel_testkit::twins::Duopoly;

fn normal_init() -> Init {
    let n = Normal::new(5.0, 2.0).unwrap();
    Init::sample("normal(5, 2)", move |rng, x| {
        for v in x.iter_mut() {
            *v = n.sample(rng);
        }
    })
}

fn study(init: Init) -> Study<Duopoly> {
    Study::new(
        Duopoly::default(),
        Dynamics::simultaneous(Schedule::constant(0.01)),
    )
    .trajectories(4_000)
    .steps(0)
    .noise(Noise::none())
    .init(init)
    .seed(17)
}

#[test]
fn sampled_states_are_the_samplers_output_on_the_documented_stream() {
    let r = study(normal_init()).run::<f64>().unwrap();
    let n = Normal::new(5.0, 2.0).unwrap();
    for t in [0u64, 1, 2_047, 2_048, 3_999] {
        let mut rng = PhiloxRng::new(17, t, STREAM_INIT);
        let want = [n.sample(&mut rng), n.sample(&mut rng)];
        assert_eq!(r.final_state(t as usize), want, "trajectory {t}");
    }
    // statistics: mean 5, standard deviation 2 (5-sigma bounds on 8000 draws)
    let s = &r.summary;
    for i in 0..2 {
        assert!(
            (s.mean[i] - 5.0).abs() < 5.0 * 2.0 / (4_000f64).sqrt(),
            "{:?}",
            s.mean
        );
        assert!(
            (s.covariance[3 * i].sqrt() - 2.0).abs() < 0.12,
            "{:?}",
            s.covariance
        );
    }
}

#[test]
fn sampled_studies_do_not_depend_on_threads_chunks_or_shards() {
    let whole = study(normal_init()).run::<f64>().unwrap();
    let chunked = study(normal_init()).chunk_size(7).run::<f64>().unwrap();
    assert_eq!(whole.final_states, chunked.final_states);
    let init = normal_init(); // one closure for all shards: same fingerprint
    let parts: Vec<_> = (0..3)
        .map(|i| study(init.clone()).shard(i, 3).run::<f64>().unwrap())
        .collect();
    let merged = stackel_runtime::record::StudyResult::merge(parts).unwrap();
    assert_eq!(merged.final_states, whole.final_states);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let serial = one.install(|| study(normal_init()).run::<f64>().unwrap());
    assert_eq!(serial.final_states, whole.final_states);
}

#[test]
fn non_finite_samples_are_an_error_and_names_enter_the_fingerprint() {
    let bad = Init::sample("nan", |_, x| x[1] = f64::NAN);
    assert!(matches!(
        study(bad).run::<f64>(),
        Err(StudyError::NotFinite { .. })
    ));
    let u = Uniform::new(0.0, 1.0).unwrap();
    let a = Init::sample("uniform a", move |rng, x| {
        x.iter_mut().for_each(|v| *v = u.sample(rng))
    });
    let b = Init::sample("uniform b", move |rng, x| {
        x.iter_mut().for_each(|v| *v = u.sample(rng))
    });
    assert_ne!(
        study(a).fingerprint_for::<f64>(),
        study(b).fingerprint_for::<f64>()
    );
    // the raw words are available too
    let w = Init::sample("words", |rng, x| x[0] = rng.next_u32() as f64);
    let r = study(w).trajectories(2).run::<f64>().unwrap();
    let word0 = PhiloxRng::new(17, 1, STREAM_INIT).next_u32() as f64;
    assert_eq!(r.final_state(1)[0], word0);
}
