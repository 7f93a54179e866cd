//! The engine's data contract on hand-written games with Game::ND > 0:
//! batches drawn per (trajectory, step) exactly as `sample_batch` gives
//! them, results independent of chunking, threads, shards and
//! checkpoints, study validation of the bindings, and Kaiming-uniform
//! initial states from the player parts.

use stackel_runtime::data::{sample_batch, Sampler};
use stackel_runtime::game::BlockFormula;
use stackel_runtime::game::{DataInfo, Form, GameInfo, PartInfo, PlayerInfo};
use stackel_runtime::plan::kaiming_bounds;
use stackel_runtime::{Dynamics, Game, Init, Real, Schedule, Study, StudyError, StudyResult};

/// The blocks that vanish in both test games: omega_F is affine in the
/// state (so every second derivative of phi = lambda^T omega_F is zero) and
/// there are no params.
macro_rules! zero_phi_and_params {
    () => {
        fn d11phi<T: Real>(&self, _: &[T], _: &[T], out: &mut [T]) {
            out.fill(T::zero());
        }
        fn d12phi<T: Real>(&self, _: &[T], _: &[T], out: &mut [T]) {
            out.fill(T::zero());
        }
        fn d21phi<T: Real>(&self, _: &[T], _: &[T], out: &mut [T]) {
            out.fill(T::zero());
        }
        fn d22phi<T: Real>(&self, _: &[T], _: &[T], out: &mut [T]) {
            out.fill(T::zero());
        }
        fn d1p_f1<T: Real>(&self, _: &[T], _: &mut [T]) {}
        fn d2p_f1<T: Real>(&self, _: &[T], _: &mut [T]) {}
        fn d2p_f2<T: Real>(&self, _: &[T], _: &mut [T]) {}
        fn d1p_phi<T: Real>(&self, _: &[T], _: &[T], _: &mut [T]) {}
        fn d2p_phi<T: Real>(&self, _: &[T], _: &[T], _: &mut [T]) {}
        fn formulas(&self) -> Vec<BlockFormula> {
            Vec::new()
        }
    };
}

const B: usize = 4;
const E: usize = 2;

/// Mean estimation: the leader theta fits the batch mean of x ([B, 1]),
/// f1 = (theta - mean(x))^2 / 2; the follower phi tracks theta shifted by
/// e[0] / 10 (e: [2]), f2 = (phi - theta - e[0] / 10)^2 / 2.
struct MeanGame;

static MEAN_INFO: GameInfo = GameInfo {
    name: "MeanGame",
    leader: PlayerInfo {
        name: "theta",
        shape: &[],
        offset: 0,
        dim: 1,
        angle: false,
        level: 0,
        parts: &[],
    },
    followers: &[PlayerInfo {
        name: "phi",
        shape: &[],
        offset: 1,
        dim: 1,
        angle: false,
        level: 1,
        parts: &[],
    }],
    params: &[],
    zero_sum: false,
    form: Form::Unrolled,
    data: &[
        DataInfo {
            name: "x",
            shape: &[B, 1],
            offset: 0,
            len: B,
        },
        DataInfo {
            name: "e",
            shape: &[E],
            offset: B,
            len: E,
        },
    ],
};

fn batch_mean<T: Real>(x: &[T]) -> T {
    let mut s = T::zero();
    for v in &x[2..2 + B] {
        s += *v;
    }
    s / T::of(B as f64)
}

impl Game for MeanGame {
    #[inline]
    fn d1(&self) -> usize {
        1
    }
    #[inline]
    fn d2(&self) -> usize {
        1
    }
    #[inline]
    fn np(&self) -> usize {
        0
    }
    #[inline]
    fn nd(&self) -> usize {
        B + E
    }
    fn info(&self) -> &'static GameInfo {
        &MEAN_INFO
    }
    fn params(&self, _: &mut [f64]) {}
    fn set_params(&mut self, _: &[f64]) {}
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        let d = x[0] - batch_mean(x);
        T::of(0.5) * d * d
    }
    fn follower_cost<T: Real>(&self, _: usize, x: &[T]) -> T {
        let d = x[1] - x[0] - x[2 + B] * T::of(0.1);
        T::of(0.5) * d * d
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = x[0] - batch_mean(x);
    }
    fn d2f1<T: Real>(&self, _: &[T], out: &mut [T]) {
        out[0] = T::zero();
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out[0] = x[1] - x[0] - x[2 + B] * T::of(0.1);
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        self.d1f1(x, &mut out[..1]);
        self.d2f2(x, &mut out[1..]);
    }
    fn d11f1<T: Real>(&self, _: &[T], out: &mut [T]) {
        out[0] = T::one();
    }
    fn d12f1<T: Real>(&self, _: &[T], out: &mut [T]) {
        out[0] = T::zero();
    }
    fn d22f1<T: Real>(&self, _: &[T], out: &mut [T]) {
        out[0] = T::zero();
    }
    fn d22f2<T: Real>(&self, _: &[T], out: &mut [T]) {
        out[0] = T::one();
    }
    fn d21f2<T: Real>(&self, _: &[T], out: &mut [T]) {
        out[0] = -T::one();
    }
    zero_phi_and_params!();
}

const GAMMA: f64 = 0.25;

fn mixture() -> Sampler {
    Sampler::gaussian_mixture(vec![vec![-1.0], vec![3.0]], 0.5)
}

fn study() -> Study<MeanGame> {
    Study::new(MeanGame, Dynamics::simultaneous(Schedule::constant(GAMMA)))
        .trajectories(7)
        .steps(30)
        .init(Init::Point(vec![0.5, -0.5]))
        .seed(42)
        .data("x", mixture())
        .data("e", Sampler::standard_normal())
}

/// The simultaneous step replayed from `sample_batch`:
/// theta <- theta - gamma (theta - mean(x_k)), phi <- phi - gamma (phi - theta - e_k[0] / 10).
fn replay(t: u64) -> [f64; 2] {
    let mut x = vec![0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    for k in 0..30 {
        sample_batch(&mixture(), 42, t, k, 0, &mut x[2..2 + B]);
        sample_batch(&Sampler::standard_normal(), 42, t, k, 1, &mut x[2 + B..]);
        let g = [x[0] - batch_mean(&x), x[1] - x[0] - x[2 + B] * 0.1];
        // the engine's update x_i - gamma (g_i + sigma_i z_i) with sigma = z = 0
        x[0] -= GAMMA * (g[0] + 0.0 * 0.0);
        x[1] -= GAMMA * (g[1] + 0.0 * 0.0);
    }
    [x[0], x[1]]
}

#[test]
fn engine_batches_are_sample_batch() {
    let r = study().run::<f64>().unwrap();
    assert_eq!(r.summary.finished, 7);
    for t in 0..7 {
        let want = replay(t);
        assert_eq!(
            &r.final_states[2 * t as usize..2 * t as usize + 2],
            &want,
            "trajectory {t}"
        );
    }
    // the batches differ between trajectories (the states do too)
    assert_ne!(r.final_states[0], r.final_states[2]);
    // f32: the same batches rounded, the same states up to f32 rounding
    let r32 = study().run::<f32>().unwrap();
    for (a, b) in r32.final_states.iter().zip(&r.final_states) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
}

#[test]
fn results_do_not_depend_on_chunks_threads_shards_or_checkpoints() {
    let base = study().run::<f64>().unwrap();
    for chunk in [1, 3, 2048] {
        let r = study().chunk_size(chunk).run::<f64>().unwrap();
        assert_eq!(r.final_states, base.final_states, "chunk {chunk}");
    }
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let r = one.install(|| study().run::<f64>().unwrap());
    assert_eq!(r.final_states, base.final_states, "one thread");
    let parts = vec![
        study().shard(0, 2).run::<f64>().unwrap(),
        study().shard(1, 2).run::<f64>().unwrap(),
    ];
    let merged = StudyResult::merge(parts).unwrap();
    assert_eq!(merged.final_states, base.final_states, "two shards");
    let dir = std::env::temp_dir().join(format!("stackel-data-engine-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = study().checkpoint(&dir, 2).run::<f64>().unwrap();
    let resumed = study().checkpoint(&dir, 2).resume::<f64>().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(first.final_states, base.final_states, "checkpointed");
    assert_eq!(resumed.final_states, base.final_states, "resumed");
}

#[test]
fn bindings_are_validated() {
    let s = || Study::new(MeanGame, Dynamics::simultaneous(Schedule::constant(GAMMA)));
    let only_x = s().data("x", mixture()).run::<f64>();
    assert!(matches!(only_x, Err(StudyError::UnboundData { ref name }) if name == "e"));
    let unknown = study().data("y", Sampler::standard_normal()).run::<f64>();
    assert!(matches!(unknown, Err(StudyError::UnknownData { ref name, .. }) if name == "y"));
    let twice = study().data("x", mixture()).run::<f64>();
    assert!(matches!(twice, Err(StudyError::DuplicateData { ref name }) if name == "x"));
    let wide = s()
        .data("x", Sampler::gaussian_mixture(vec![vec![0.0, 1.0]], 1.0))
        .data("e", Sampler::standard_normal())
        .run::<f64>();
    let err = wide.unwrap_err();
    assert!(matches!(err, StudyError::BadSampler { .. }), "{err}");
    assert!(err.to_string().contains("rows of 2 entries"), "{err}");
}

/// A leader with parts w: [3, 4], b: [3] (w's bias), s (a scalar after a
/// vector: its own fan-in 1); a follower of dimension 2 without parts.
struct PartsGame;

static PARTS_INFO: GameInfo = GameInfo {
    name: "PartsGame",
    leader: PlayerInfo {
        name: "gen",
        shape: &[16],
        offset: 0,
        dim: 16,
        angle: false,
        level: 0,
        parts: &[
            PartInfo {
                name: "w",
                shape: &[3, 4],
                offset: 0,
                len: 12,
            },
            PartInfo {
                name: "b",
                shape: &[3],
                offset: 12,
                len: 3,
            },
            PartInfo {
                name: "s",
                shape: &[],
                offset: 15,
                len: 1,
            },
        ],
    },
    followers: &[PlayerInfo {
        name: "disc",
        shape: &[2],
        offset: 16,
        dim: 2,
        angle: false,
        level: 1,
        parts: &[],
    }],
    params: &[],
    zero_sum: false,
    form: Form::Unrolled,
    data: &[],
};

/// f1 = |x1|^2 / 2, f2 = |x2|^2 / 2 (only the initial states matter here).
impl Game for PartsGame {
    #[inline]
    fn d1(&self) -> usize {
        16
    }
    #[inline]
    fn d2(&self) -> usize {
        2
    }
    #[inline]
    fn np(&self) -> usize {
        0
    }
    fn info(&self) -> &'static GameInfo {
        &PARTS_INFO
    }
    fn params(&self, _: &mut [f64]) {}
    fn set_params(&mut self, _: &[f64]) {}
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        x[..16].iter().fold(T::zero(), |a, v| a + *v * *v) * T::of(0.5)
    }
    fn follower_cost<T: Real>(&self, _: usize, x: &[T]) -> T {
        x[16..18].iter().fold(T::zero(), |a, v| a + *v * *v) * T::of(0.5)
    }
    fn d1f1<T: Real>(&self, x: &[T], out: &mut [T]) {
        out.copy_from_slice(&x[..16]);
    }
    fn d2f1<T: Real>(&self, _: &[T], out: &mut [T]) {
        out.fill(T::zero());
    }
    fn d2f2<T: Real>(&self, x: &[T], out: &mut [T]) {
        out.copy_from_slice(&x[16..18]);
    }
    fn omega<T: Real>(&self, x: &[T], out: &mut [T]) {
        out.copy_from_slice(&x[..18]);
    }
    fn d11f1<T: Real>(&self, _: &[T], out: &mut [T]) {
        out.fill(T::zero());
        for i in 0..16 {
            out[i * 16 + i] = T::one();
        }
    }
    fn d12f1<T: Real>(&self, _: &[T], out: &mut [T]) {
        out.fill(T::zero());
    }
    fn d22f1<T: Real>(&self, _: &[T], out: &mut [T]) {
        out.fill(T::zero());
    }
    fn d22f2<T: Real>(&self, _: &[T], out: &mut [T]) {
        out.fill(T::zero());
        out[0] = T::one();
        out[3] = T::one();
    }
    fn d21f2<T: Real>(&self, _: &[T], out: &mut [T]) {
        out.fill(T::zero());
    }
    zero_phi_and_params!();
}

#[test]
fn kaiming_uniform_draws_within_bounds_with_uniform_moments() {
    let b = kaiming_bounds(&PARTS_INFO);
    let mut want = vec![0.5; 15]; // w and its bias b: fan-in 4
    want.push(1.0); // s: one entry
    want.extend([1.0 / 2f64.sqrt(); 2]); // the follower as one part of 2
    assert_eq!(b, want);
    let n = 4000;
    let r = Study::new(PartsGame, Dynamics::simultaneous(Schedule::constant(0.1)))
        .trajectories(n)
        .steps(0)
        .init(Init::kaiming_uniform())
        .seed(3)
        .run::<f64>()
        .unwrap();
    // u = x_i / b_i ~ U(-1, 1): mean 0 (var 1/3), E u^2 = 1/3 (Var u^2 = 1/5 - 1/9)
    for (i, bi) in b.iter().enumerate() {
        let u: Vec<f64> = (0..n as usize)
            .map(|t| r.final_states[t * 18 + i] / bi)
            .collect();
        assert!(
            u.iter().all(|v| v.abs() <= 1.0),
            "coordinate {i} out of bounds"
        );
        let nf = n as f64;
        let mean = u.iter().sum::<f64>() / nf;
        let m2 = u.iter().map(|v| v * v).sum::<f64>() / nf;
        assert!(
            mean.abs() < 5.0 * (1.0 / 3.0 / nf).sqrt(),
            "coordinate {i}: mean {mean}"
        );
        assert!(
            (m2 - 1.0 / 3.0).abs() < 5.0 * ((1.0 / 5.0 - 1.0 / 9.0) / nf).sqrt(),
            "coordinate {i}: E u^2 {m2}"
        );
    }
    // per trajectory: different trajectories start apart
    assert_ne!(r.final_states[..18], r.final_states[18..36]);
}
