//! The GPU engine (feature `gpu`): a study's trajectories stepped by WGSL
//! compute kernels through wgpu (Vulkan), one trajectory per invocation and
//! many steps per dispatch.
//!
//! The kernel is the game's WGSL module (`Game::wgsl`, emitted by the
//! compiler from the same straight-line derivative code as the Rust; its
//! contract is in `stackel_symbolic::emit_wgsl`) wrapped in [`kernel`]'s
//! template, which mirrors the CPU engine ([`crate::cpu`]) step for step
//! (the contract of [`crate::plan`]):
//! the same Philox4x32-10 streams keyed by (seed, trajectory, step, stream),
//! the same uniform -> normal mapping, schedules evaluated on the host in f64
//! and rounded once per step, the same update order, angle wrap, and the same
//! fates (diverged, non-finite with the state before the step kept, singular
//! follower Hessian). Results agree with the CPU engine trajectory by
//! trajectory up to floating-point rounding (drivers may fuse multiply-adds).
//!
//! Loop-form games (`Form::Loops`, large states) carry the module of
//! `stackel_symbolic::emit_wgsl_loops` (for loops over storage-buffer
//! operands) and run in [`kernel::loops`]'s kernel: simultaneous play and
//! two-timescale Stackelberg learning with the matrix-free follower solve
//! (conjugate gradients, warm-started from the trajectory's previous lambda,
//! not-converged fates and the solve statistics as on the CPU). Other rules,
//! other Krylov methods and a dense solve of a loop-form game, or a
//! matrix-free solve of an unrolled game, are [`GpuError::Unsupported`].
//!
//! Supported: simultaneous play, two-timescale Stackelberg learning, LOLA
//! and the best-response rule (the CPU's damped Newton solve of the follower
//! per step, with its failure counts; the final follower r(x1) is solved on
//! the host), with plain or Adam steps, in f32 everywhere and in f64 where
//! the adapter has `SHADER_F64` (the game's exp, ln, sin, cos, tan and pow
//! then run in the kernel's own f64 code, [`kernel::math_kernel`]'s
//! functions: drivers leave the builtins undefined on doubles).
//!
//! Studies are cut into batches that fit the device's buffer limits, and the
//! steps into dispatches of at most [`GpuOptions::steps_per_dispatch`] steps
//! that also end at every recording time (paths, distances), where states are
//! read back.
//!
//! The host code is split by job: `device` (adapter, device, pipeline
//! cache, buffers and read-back), `run` (a study's buffers and dispatches),
//! `readback` (states, fates and the batch result from the words read
//! back), `probe` (the bare RNG, math and ceiling kernels for tests and
//! benchmarks) and `profile` (the optional phase timer).

mod device;
pub mod kernel;
mod probe;
mod profile;
mod readback;
mod run;
pub mod validate;

use crate::rng::NoiseFloat;
pub use kernel::Precision;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Why the GPU engine cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GpuError {
    /// No Vulkan adapter.
    #[error("no GPU adapter found (wgpu/Vulkan): {0}; install a Vulkan driver (e.g. mesa-vulkan-drivers for the CPU fallback lavapipe) or use the CPU engine")]
    NoAdapter(String),
    /// The adapter refused a device.
    #[error("the adapter refused a device: {0}")]
    NoDevice(String),
    /// The game carries no WGSL module ([`crate::game::Game::wgsl`]).
    #[error("game {game} has no WGSL module (only games made by stackel_game! carry one)")]
    NoWgsl {
        /// The game's name.
        game: &'static str,
    },
    /// An f64 study on an adapter without `SHADER_F64`.
    #[error("the adapter ({adapter}) has no SHADER_F64: run the study in f32 on the GPU, or in f64 on the CPU")]
    NoF64 {
        /// The adapter's name.
        adapter: String,
    },
    /// The kernel does not validate (offline or on the device).
    #[error("kernel does not validate: {0}")]
    Shader(String),
    /// A study the GPU engine does not run.
    #[error("the GPU engine does not run {0}")]
    Unsupported(String),
    /// A vector of the wrong length.
    #[error("{what} has length {got}, expected {expected}")]
    Dimension {
        /// The vector.
        what: &'static str,
        /// Its expected length.
        expected: usize,
        /// Its length.
        got: usize,
    },
    /// A device error (lost device, failed mapping...).
    #[error("GPU failure: {0}")]
    Device(String),
    /// An invalid study ([`crate::plan::StudyError`]).
    #[error("invalid study: {0}")]
    Study(String),
}

/// How the engine picks its adapter and splits work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GpuOptions {
    /// Take the fallback (CPU) adapter, e.g. lavapipe, on purpose.
    pub force_fallback_adapter: bool,
    /// At most this many trajectories per batch (the device's buffer limits
    /// always apply too).
    pub max_batch: usize,
    /// At most this many steps per dispatch.
    pub steps_per_dispatch: u32,
    /// Loop-form games: one trajectory per workgroup (its threads share the
    /// trajectory's loops) instead of one per invocation.
    pub loop_workgroup: bool,
}

impl Default for GpuOptions {
    fn default() -> Self {
        GpuOptions {
            force_fallback_adapter: false,
            max_batch: 1 << 20,
            steps_per_dispatch: 1000,
            loop_workgroup: false,
        }
    }
}

/// llvmpipe (lavapipe's shader compiler) ends the loops of a shader
/// function once they have run this many trips in all, silently
/// (`LP_MAX_TGSI_LOOP_ITERATIONS`, shared by every loop of the function).
const LLVMPIPE_LOOP_TRIPS: u64 = 65_535;

/// A wgpu device running study kernels.
pub struct GpuEngine {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    f64: bool,
    max_binding: u64,
    max_groups: u32,
    options: GpuOptions,
    /// Bind-group layouts: [study (config, constants, schedule, states,
    /// Adam moments, status), rng (config, words, values)].
    layouts: [wgpu::BindGroupLayout; 2],
    pipelines: Mutex<HashMap<String, Arc<wgpu::ComputePipeline>>>,
    /// The first device error outside an error scope (wgpu would panic).
    uncaptured: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for GpuEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuEngine")
            .field("adapter", &self.description())
            .finish()
    }
}

/// The process-wide engine on the default adapter, created on first use.
pub fn shared() -> Result<&'static GpuEngine, GpuError> {
    static ENGINE: OnceLock<Result<GpuEngine, GpuError>> = OnceLock::new();
    ENGINE
        .get_or_init(|| GpuEngine::with_options(GpuOptions::default()))
        .as_ref()
        .map_err(Clone::clone)
}

/// The kernel precision of `T` (f64 or f32).
fn precision_of<T: NoiseFloat>() -> Precision {
    if std::mem::size_of::<T>() == 8 {
        Precision::F64
    } else {
        Precision::F32
    }
}
