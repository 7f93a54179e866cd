//! Reproducibility of the batched engine (thread count, chunk size, shards,
//! interrupted runs), its outputs, and its typed errors on bad input.

use stackel_runtime::dynamics::{Dynamics, Newton};
use stackel_runtime::engine::{Init, Noise, Study, StudyError};
use stackel_runtime::record::{Record, StudyResult};
use stackel_runtime::rng::{self, NoiseFloat};
use stackel_runtime::schedule::{Optimizer, Schedule, ScheduleError};
use stackel_testkit::twins::{Duopoly, Torus};

fn study() -> Study<Duopoly> {
    Study::new(
        Duopoly::default(),
        Dynamics::two_timescale(
            Schedule::inverse_power(1.0).offset(11.0).exponent(1.0),
            Schedule::inverse_power(1.0)
                .offset(11.0)
                .exponent(2.0 / 3.0),
        ),
    )
    .trajectories(1000)
    .steps(150)
    .noise(Noise::per_player(vec![10.0, 4.0]))
    .init(Init::Box {
        lo: vec![0.0, 0.0],
        hi: vec![90.0, 90.0],
    })
    .seed(0xdead_beef_1234)
    .record(
        Record::finals()
            .paths(25, Some(5))
            .target(vec![46.0, 26.0], 4.0, 30)
            .basins(vec![vec![46.0, 26.0], vec![92.0 / 3.0, 101.0 / 3.0]]),
    )
}

fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

fn assert_same(a: &StudyResult, b: &StudyResult) {
    // PartialEq on f64 vectors: bit-identical finite values
    assert_eq!(a.final_states, b.final_states);
    assert_eq!(a, b);
    assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
}

#[test]
fn results_do_not_depend_on_threads_or_chunks() {
    let base = in_pool(1, || study().run::<f64>().unwrap());
    for (threads, chunk) in [(2, 2048), (8, 64), (2, 1), (8, 333)] {
        let r = in_pool(threads, || study().chunk_size(chunk).run::<f64>().unwrap());
        assert_same(&base, &r);
    }
    let base32 = in_pool(1, || study().run::<f32>().unwrap());
    let r32 = in_pool(8, || study().chunk_size(100).run::<f32>().unwrap());
    assert_same(&base32, &r32);
    assert_ne!(base.final_states, base32.final_states);
}

#[test]
fn shards_merge_to_the_whole_study() {
    let whole = study().run::<f64>().unwrap();
    for n in [2u64, 3, 7] {
        let parts: Vec<StudyResult> = (0..n)
            .map(|i| study().shard(i, n).chunk_size(97).run::<f64>().unwrap())
            .rev()
            .collect();
        assert_eq!(parts.iter().map(|p| p.count).sum::<u64>(), 1000);
        assert_same(&whole, &StudyResult::merge(parts).unwrap());
    }
    // different studies do not merge
    let a = study().shard(0, 2).run::<f64>().unwrap();
    let b = study().seed(1).shard(1, 2).run::<f64>().unwrap();
    assert!(StudyResult::merge(vec![a.clone(), b]).is_err());
    let c = study().shard(1, 3).run::<f64>().unwrap();
    assert!(StudyResult::merge(vec![a, c]).is_err());
}

#[test]
fn engine_noise_is_the_documented_philox_stream() {
    // no noise on the follower, plain gradient steps: the leader's first
    // step reveals the normal the engine drew
    let g = Duopoly::default();
    let gamma = 0.01;
    let r = Study::new(g, Dynamics::simultaneous(Schedule::constant(gamma)))
        .trajectories(5)
        .steps(1)
        .seed(99)
        .noise(Noise::per_player(vec![4.0, 0.0]))
        .init(Init::Point(vec![10.0, 10.0]))
        .run::<f64>()
        .unwrap();
    for t in 0..5u64 {
        let mut z = [0.0f64; 2];
        rng::normals_for(99, t, 0, rng::STREAM_NOISE, &mut z);
        // D1 f1 at (10, 10) = 2*10 + 10 - 95 = -65
        let expect = 10.0 - gamma * (-65.0 + 2.0 * z[0]);
        assert_eq!(r.final_state(t as usize)[0], expect);
    }
    let _ = f64::NORMALS_PER_BLOCK;
}

#[test]
fn resume_after_kill_is_bit_identical() {
    let dir = std::env::temp_dir().join(format!("stackel-dyn-resume-{}", std::process::id()));
    let killed = dir.join("killed");
    let _ = std::fs::remove_dir_all(&dir);
    let whole = study().run::<f64>().unwrap();
    let full = study()
        .checkpoint(dir.join("full"), 128)
        .run::<f64>()
        .unwrap();
    assert_same(&whole, &full);
    // a run killed after three blocks, in the middle of writing the fourth:
    // the manifest, three finished blocks and a half-written temporary file
    std::fs::create_dir_all(&killed).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(dir.join("full"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 1 + 8, "{names:?}");
    for n in names
        .iter()
        .filter(|n| n.starts_with("manifest") || n.as_str() < "block-00000000000000000384")
    {
        std::fs::copy(dir.join("full").join(n), killed.join(n)).unwrap();
    }
    std::fs::write(
        killed.join("block-00000000000000000384.tmp"),
        b"{\"fingerprint\": \"trunc",
    )
    .unwrap();
    assert_eq!(std::fs::read_dir(&killed).unwrap().count(), 5);
    let resumed = study().checkpoint(&killed, 128).resume::<f64>().unwrap();
    assert_same(&whole, &resumed);
    // the folder now holds every block; a different study refuses it
    assert_eq!(
        std::fs::read_dir(&killed)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().unwrap() == "json")
            .count(),
        9
    );
    assert!(matches!(
        study().seed(5).checkpoint(&killed, 128).run::<f64>(),
        Err(StudyError::CheckpointMismatch { .. })
    ));
    assert!(matches!(
        study().checkpoint(dir.join("nothing"), 128).resume::<f64>(),
        Err(StudyError::NothingToResume { dir: Some(_) })
    ));
    assert!(matches!(
        study().resume::<f64>(),
        Err(StudyError::NothingToResume { dir: None })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn json_and_csv_outputs() {
    let r = study().trajectories(30).run::<f64>().unwrap();
    let back = StudyResult::from_json(&r.to_json().unwrap()).unwrap();
    assert_eq!(r, back);
    let mut csv = Vec::new();
    r.write_csv(&mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "trajectory,fate,fate_step,q1,q2,lock_in,basin");
    assert_eq!(lines.len(), 31);
    let row: Vec<&str> = lines[7].split(',').collect();
    assert_eq!(row[0], "6");
    assert_eq!(row[3].parse::<f64>().unwrap(), r.final_state(6)[0]);
    let mut paths = Vec::new();
    r.write_paths_csv(&mut paths).unwrap();
    let text = String::from_utf8(paths).unwrap();
    // 5 trajectories x (0, 25, ..., 150)
    assert_eq!(text.lines().count(), 1 + 5 * 7);
    let b = r.basins.as_ref().unwrap();
    assert_eq!(b.counts.iter().sum::<u64>(), r.summary.finished);
}

#[test]
fn bad_configurations_are_typed_errors() {
    let s = || study().trajectories(10).steps(5);
    assert!(matches!(
        s().trajectories(0).run::<f64>(),
        Err(StudyError::ZeroTrajectories)
    ));
    assert!(matches!(
        s().init(Init::Point(vec![1.0])).run::<f64>(),
        Err(StudyError::Dimension {
            expected: 2,
            got: 1,
            ..
        })
    ));
    assert!(matches!(
        s().init(Init::Box {
            lo: vec![1.0, 5.0],
            hi: vec![2.0, 4.0]
        })
        .run::<f64>(),
        Err(StudyError::BadBox { index: 1, .. })
    ));
    assert!(matches!(
        s().noise(Noise::variance(-1.0)).run::<f64>(),
        Err(StudyError::Negative { .. })
    ));
    assert!(matches!(
        s().noise(Noise::per_player(vec![1.0, 2.0, 3.0]))
            .run::<f64>(),
        Err(StudyError::PerPlayer { .. })
    ));
    assert!(matches!(
        Study::new(
            Duopoly::default(),
            Dynamics::simultaneous(Schedule::inverse_power(1.0).offset(0.0).exponent(1.0))
        )
        .run::<f64>(),
        Err(StudyError::Schedule {
            player: 0,
            source: ScheduleError::BadPower { .. }
        })
    ));
    assert!(matches!(
        Study::new(
            Duopoly::default(),
            Dynamics::simultaneous(Schedule::constant(0.1)).optimizer(Optimizer::Adam {
                beta1: 0.9,
                beta2: 1.0,
                eps: 1e-8
            })
        )
        .run::<f64>(),
        Err(StudyError::Optimizer(_))
    ));
    assert!(matches!(
        s().shard(3, 3).run::<f64>(),
        Err(StudyError::BadShard { .. })
    ));
    assert!(matches!(
        s().chunk_size(0).run::<f64>(),
        Err(StudyError::Zero { .. })
    ));
    assert!(matches!(
        s().steps(1 << 33).run::<f64>(),
        Err(StudyError::TooManySteps { .. })
    ));
    assert!(matches!(
        s().init(Init::List(vec![])).run::<f64>(),
        Err(StudyError::EmptyList)
    ));
    assert!(matches!(
        s().record(Record::finals().target(vec![1.0, 2.0, 3.0], 0.1, 1))
            .run::<f64>(),
        Err(StudyError::Dimension { .. })
    ));
    assert!(matches!(
        s().record(Record::finals().basins(vec![])).run::<f64>(),
        Err(StudyError::NoEquilibria)
    ));
    assert!(matches!(
        Study::new(
            Duopoly::default(),
            Dynamics::simultaneous(Schedule::constant(0.1)).eta(-1.0)
        )
        .run::<f64>(),
        Err(StudyError::Negative { .. })
    ));
    assert!(matches!(
        Study::new(
            Duopoly::default(),
            Dynamics::best_response(Schedule::constant(0.1)).newton(Newton {
                max_iter: 5,
                tol: -1.0
            })
        )
        .run::<f64>(),
        Err(StudyError::Negative { .. })
    ));
    let no_schedules = Dynamics::simultaneous(Schedule::constant(0.1)).schedules(vec![]);
    assert!(no_schedules.warnings().is_empty());
    assert!(matches!(
        Study::new(Duopoly::default(), no_schedules).run::<f64>(),
        Err(StudyError::PerPlayer { .. })
    ));
    // messages say what is wrong
    let e = s().init(Init::Point(vec![1.0])).run::<f64>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "initial point has dimension 1, the game's state has 2"
    );
}

#[test]
fn timescale_warning_is_returned_not_raised() {
    let r = Study::new(
        Duopoly::default(),
        Dynamics::two_timescale(
            Schedule::inverse_power(1.0).offset(11.0).exponent(0.5),
            Schedule::inverse_power(1.0).offset(11.0).exponent(1.0),
        ),
    )
    .trajectories(2)
    .steps(10)
    .run::<f64>()
    .unwrap();
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].to_string().contains("not o("));
}

#[test]
fn angle_players_stay_wrapped() {
    let r = Study::new(
        Torus::default(),
        Dynamics::simultaneous(Schedule::constant(0.5)),
    )
    .trajectories(50)
    .steps(50)
    .noise(Noise::variance(4.0))
    .init(Init::Box {
        lo: vec![-3.0, -3.0],
        hi: vec![3.0, 3.0],
    })
    .record(Record::finals().paths(1, Some(50)))
    .run::<f64>()
    .unwrap();
    let pi = std::f64::consts::PI;
    for p in &r.paths {
        assert!(p.states.iter().all(|v| (-pi..pi).contains(v)));
    }
    assert_eq!(r.angle, vec![true, true]);
}

#[test]
fn small_kernel_equals_general_step() {
    let sched = (
        Schedule::inverse_power(1.0).offset(11.0).exponent(1.0),
        Schedule::inverse_power(1.0)
            .offset(11.0)
            .exponent(2.0 / 3.0),
    );
    for dynamics in [
        Dynamics::two_timescale(sched.0, sched.1),
        Dynamics::simultaneous(sched.0),
        Dynamics::lola(Schedule::constant(0.05), Schedule::constant(0.2)),
        Dynamics::two_timescale(sched.0, sched.1).eta(0.5),
    ] {
        let s = Study::new(Duopoly::default(), dynamics.clone())
            .trajectories(300)
            .steps(120)
            .noise(Noise::variance(10.0))
            .init(Init::Box {
                lo: vec![0.0, 0.0],
                hi: vec![90.0, 90.0],
            })
            .record(Record::finals().target(vec![46.0, 26.0], 4.0, 30));
        assert_same(
            &s.clone().run::<f64>().unwrap(),
            &s.clone().small_kernel(false).run::<f64>().unwrap(),
        );
        assert_same(
            &s.clone().run::<f32>().unwrap(),
            &s.small_kernel(false).run::<f32>().unwrap(),
        );
        let t = Study::new(Torus::default(), dynamics)
            .trajectories(300)
            .steps(120)
            .noise(Noise::variance(0.5))
            .init(Init::Box {
                lo: vec![-3.0, -3.0],
                hi: vec![3.0, 3.0],
            });
        assert_same(
            &t.clone().run::<f64>().unwrap(),
            &t.small_kernel(false).run::<f64>().unwrap(),
        );
    }
    // failures: diverging and overflowing trajectories
    for bound in [1e6, f64::INFINITY] {
        let s = Study::new(
            Duopoly::default(),
            Dynamics::simultaneous(Schedule::constant(1.2)),
        )
        .trajectories(20)
        .steps(3000)
        .divergence_bound(bound)
        .noise(Noise::variance(1.0))
        .init(Init::Point(vec![10.0, 10.0]));
        let a = s.clone().run::<f64>().unwrap();
        assert_eq!(a.summary.finished, 0);
        assert_same(&a, &s.small_kernel(false).run::<f64>().unwrap());
    }
}

#[test]
fn singular_follower_hessian_is_reported_or_regularised() {
    // alpha = (1, 1), phi = 0: at th1 = th2 = 0, D22 f2 = cos 0 - cos 0 = 0 exactly
    let g = Torus {
        alpha: [1.0, 1.0],
        phi: [0.0, 0.0],
    };
    let s = |eta: f64| {
        Study::new(
            g,
            Dynamics::two_timescale(
                Schedule::inverse_power(1.0).offset(1.0).exponent(1.0),
                Schedule::inverse_power(1.0).offset(1.0).exponent(0.5),
            )
            .eta(eta),
        )
        .trajectories(3)
        .steps(10)
        .init(Init::Point(vec![0.0, 0.0]))
    };
    for small in [true, false] {
        let r = s(0.0).small_kernel(small).run::<f64>().unwrap();
        assert_eq!(r.summary.singular, 3);
        assert!(r
            .fates
            .iter()
            .all(|f| *f == stackel_runtime::record::Fate::Singular { step: 0 }));
        let r = s(0.5).small_kernel(small).run::<f64>().unwrap();
        assert_eq!(r.summary.finished, 3);
        assert_eq!(r.final_state(0), &[0.0, 0.0]);
    }
}

#[test]
fn every_vector_tier_gives_the_same_results() {
    use stackel_runtime::engine::{fill_normals_in, NoiseWords, Simd};
    let base = study().simd(Simd::Baseline).run::<f64>().unwrap();
    let base32 = study().simd(Simd::Baseline).run::<f32>().unwrap();
    for tier in [Simd::Avx2, Simd::Avx512] {
        assert_same(&base, &study().simd(tier).run::<f64>().unwrap());
        assert_same(&base32, &study().simd(tier).run::<f32>().unwrap());
        let (count, n) = (100, 5);
        let (mut w0, mut w1) = (NoiseWords::new(count), NoiseWords::new(count));
        let (mut z0, mut z1) = (vec![0.0f64; 6 * count], vec![0.0f64; 6 * count]);
        fill_normals_in(Simd::Baseline, [3, 4], 9, 77, count, n, &mut w0, &mut z0);
        fill_normals_in(tier, [3, 4], 9, 77, count, n, &mut w1, &mut z1);
        assert_eq!(z0, z1);
        let (mut y0, mut y1) = (vec![0.0f32; 6 * count], vec![0.0f32; 6 * count]);
        let (mut v0, mut v1) = (NoiseWords::new(count), NoiseWords::new(count));
        for step in 9..12 {
            fill_normals_in(Simd::Baseline, [3, 4], step, 77, count, n, &mut v0, &mut y0);
            fill_normals_in(tier, [3, 4], step, 77, count, n, &mut v1, &mut y1);
            assert_eq!(y0, y1);
        }
    }
}

#[test]
fn angle_coordinates_have_circular_means() {
    // two states either side of the seam at +-pi: the circular mean is pi,
    // the arithmetic mean of the wrapped values would be 0
    let r = Study::new(
        Torus::default(),
        Dynamics::simultaneous(Schedule::constant(0.1)),
    )
    .trajectories(2)
    .steps(0)
    .init(Init::List(vec![vec![3.1, 0.5], vec![-3.1, 0.7]]))
    .run::<f64>()
    .unwrap();
    let pi = std::f64::consts::PI;
    let m = &r.summary.mean;
    assert!(
        stackel_runtime::dynamics::wrap_angle(m[0] - pi).abs() < 1e-12,
        "{m:?}"
    );
    assert!((m[1] - 0.6).abs() < 1e-12, "{m:?}");
    let dev = pi - 3.1;
    assert!((r.summary.covariance[0] - 2.0 * dev * dev).abs() < 1e-12);
    // wrapped deviations (-dev, -0.1) and (dev, 0.1): covariance 2 * 0.1 * dev
    assert!((r.summary.covariance[1] - 2.0 * 0.1 * dev).abs() < 1e-12);
}
