//! The GPU engine (feature `gpu`): a study's trajectories stepped by WGSL
//! compute kernels through wgpu (Vulkan), one trajectory per invocation and
//! many steps per dispatch.
//!
//! The kernel is the game's WGSL module (`Game::wgsl`, emitted by the
//! compiler from the same straight-line derivative code as the Rust; its
//! contract is in `stackel_symbolic::emit_wgsl`) wrapped in [`kernel`]'s
//! template, which mirrors the CPU engine ([`crate::engine`]) step for step:
//! the same Philox4x32-10 streams keyed by (seed, trajectory, step, stream),
//! the same uniform -> normal mapping, schedules evaluated on the host in f64
//! and rounded once per step, the same update order, angle wrap, and the same
//! fates (diverged, non-finite with the state before the step kept, singular
//! follower Hessian). Results agree with the CPU engine trajectory by
//! trajectory up to floating-point rounding (drivers may fuse multiply-adds).
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

pub mod kernel;
pub mod validate;

use crate::dynamics::{AdamCoefficients, Dynamics, Rule};
use crate::engine::{initial_state, Init, Noise, Study};
use crate::game::Game;
use crate::record::{Basins, Fate, Record, Recorder, StudyResult, Summary};
use crate::rng::NoiseFloat;
use crate::schedule::Optimizer;
pub use kernel::Precision;
use kernel::{KernelSpec, CFG_HEADER, ST_WORDS, WORKGROUP};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Why the GPU engine cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GpuError {
    #[error("no GPU adapter found (wgpu/Vulkan): {0}; install a Vulkan driver (e.g. mesa-vulkan-drivers for the CPU fallback lavapipe) or use the CPU engine")]
    NoAdapter(String),
    #[error("the adapter refused a device: {0}")]
    NoDevice(String),
    #[error("game {game} has no WGSL module (only games made by stackel_game! carry one)")]
    NoWgsl { game: &'static str },
    #[error("the adapter ({adapter}) has no SHADER_F64: run the study in f32 on the GPU, or in f64 on the CPU")]
    NoF64 { adapter: String },
    #[error("kernel does not validate: {0}")]
    Shader(String),
    #[error("the GPU engine does not run {0}")]
    Unsupported(String),
    #[error("{what} has length {got}, expected {expected}")]
    Dimension {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("GPU failure: {0}")]
    Device(String),
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
}

impl Default for GpuOptions {
    fn default() -> Self {
        GpuOptions {
            force_fallback_adapter: false,
            max_batch: 1 << 20,
            steps_per_dispatch: 1000,
        }
    }
}

/// What a study needs from its configuration; the CPU engine's
/// [`crate::engine::Study`] fills it from its own fields.
#[derive(Clone, Debug)]
pub struct StudySpec<'a, G> {
    pub game: &'a G,
    pub dynamics: &'a Dynamics,
    /// Trajectories lo..hi (a shard).
    pub range: (u64, u64),
    pub steps: u64,
    pub noise: &'a Noise,
    pub init: &'a Init,
    pub seed: u64,
    pub record: &'a Record,
    pub divergence_bound: f64,
    /// Whether the CPU engine would use its small-state kernel where it
    /// applies (`Study::small_kernel`, default true); the GPU kernel then
    /// mirrors that kernel's formulas.
    pub small_kernel: bool,
    /// Copied into the result (the study's identity, see `Study`).
    pub fingerprint: String,
}

impl<'a, G: Game> StudySpec<'a, G> {
    /// The configuration of a CPU-engine [`Study`] (its shard, its
    /// fingerprint for precision `T`, its small-state kernel setting).
    pub fn from_study<T: NoiseFloat>(study: &'a Study<G>) -> Self {
        let s = study.settings();
        StudySpec {
            game: study.game(),
            dynamics: study.dynamics_ref(),
            range: study.range(),
            steps: s.steps,
            noise: s.noise,
            init: s.init,
            seed: s.seed,
            record: s.record,
            divergence_bound: s.divergence_bound,
            small_kernel: s.small_kernel,
            fingerprint: study.fingerprint_for::<T>(),
        }
    }
}

/// A wgpu device running study kernels.
pub struct GpuEngine {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    f64: bool,
    max_binding: u64,
    max_groups: u32,
    options: GpuOptions,
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

/// Storage-buffer layout entry `binding` (read-only or read-write).
fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// Scalars of precision `p` as bytes (values already rounded to `p`).
fn scalar_bytes(p: Precision, v: impl IntoIterator<Item = f64>) -> Vec<u8> {
    match p {
        Precision::F32 => {
            let v: Vec<f32> = v.into_iter().map(|x| x as f32).collect();
            bytemuck::cast_slice(&v).to_vec()
        }
        Precision::F64 => {
            let v: Vec<f64> = v.into_iter().collect();
            bytemuck::cast_slice(&v).to_vec()
        }
    }
}

/// The first `len` scalars of precision `p` in `b`, as `T` (one pass).
fn states_from<T: NoiseFloat>(p: Precision, b: &[u8], len: usize) -> Vec<T> {
    match p {
        Precision::F32 => b
            .chunks_exact(4)
            .take(len)
            .map(|c| T::of(f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64))
            .collect(),
        Precision::F64 => b
            .chunks_exact(8)
            .take(len)
            .map(|c| {
                T::of(f64::from_le_bytes([
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                ]))
            })
            .collect(),
    }
}

/// Bytes of precision `p` back to f64 values.
fn scalars_from(p: Precision, b: &[u8]) -> Vec<f64> {
    match p {
        Precision::F32 => b
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
            .collect(),
        Precision::F64 => b
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
    }
}

fn precision_of<T: NoiseFloat>() -> Precision {
    if std::mem::size_of::<T>() == 8 {
        Precision::F64
    } else {
        Precision::F32
    }
}

impl GpuEngine {
    /// An engine on the default (high-performance) adapter.
    pub fn new() -> Result<Self, GpuError> {
        Self::with_options(GpuOptions::default())
    }

    /// An engine with explicit options.
    pub fn with_options(options: GpuOptions) -> Result<Self, GpuError> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = wgpu::Backends::VULKAN;
        let instance = wgpu::Instance::new(desc);
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: options.force_fallback_adapter,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let f64 = adapter.features().contains(wgpu::Features::SHADER_F64);
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("stackel"),
            required_features: if f64 {
                wgpu::Features::SHADER_F64
            } else {
                wgpu::Features::empty()
            },
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::NoDevice(e.to_string()))?;
        let uncaptured = Arc::new(Mutex::new(None::<String>));
        let sink = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut slot) = sink.lock() {
                slot.get_or_insert_with(|| e.to_string());
            }
        }));
        let study_entries: Vec<_> = [true, true, true, false, false, false]
            .iter()
            .enumerate()
            .map(|(b, &ro)| storage_entry(b as u32, ro))
            .collect();
        let rng_entries: Vec<_> = [true, false, false]
            .iter()
            .enumerate()
            .map(|(b, &ro)| storage_entry(b as u32, ro))
            .collect();
        let layouts = [
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("stackel study"),
                entries: &study_entries,
            }),
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("stackel rng"),
                entries: &rng_entries,
            }),
        ];
        Ok(GpuEngine {
            device,
            queue,
            info,
            f64,
            max_binding: (limits.max_storage_buffer_binding_size as u64)
                .min(limits.max_buffer_size),
            max_groups: limits.max_compute_workgroups_per_dimension,
            options,
            layouts,
            pipelines: Mutex::new(HashMap::new()),
            uncaptured,
        })
    }

    /// Adapter name, type, driver and backend, for reports.
    pub fn description(&self) -> String {
        let i = &self.info;
        format!(
            "{} ({:?}, {} {}, {:?}{})",
            i.name,
            i.device_type,
            i.driver,
            i.driver_info,
            i.backend,
            if self.f64 { ", f64" } else { "" }
        )
    }

    /// Whether kernels can run in f64 (`SHADER_F64`).
    pub fn supports_f64(&self) -> bool {
        self.f64
    }

    /// The options this engine splits work by.
    pub fn options(&self) -> GpuOptions {
        self.options
    }

    fn precision_ok(&self, p: Precision) -> Result<(), GpuError> {
        if p == Precision::F64 && !self.f64 {
            return Err(GpuError::NoF64 {
                adapter: self.info.name.clone(),
            });
        }
        Ok(())
    }

    /// Validates `src` offline, then builds (or reuses) its pipeline.
    fn pipeline(&self, src: String, layout: usize) -> Result<Arc<wgpu::ComputePipeline>, GpuError> {
        let mut cache = self
            .pipelines
            .lock()
            .map_err(|_| GpuError::Device("pipeline cache poisoned".into()))?;
        if let Some(p) = cache.get(&src) {
            return Ok(p.clone());
        }
        validate::check_wgsl(&src).map_err(GpuError::Shader)?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("stackel kernel"),
                source: wgpu::ShaderSource::Wgsl(std::borrow::Cow::Borrowed(&src)),
            });
        let pl = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: None,
                bind_group_layouts: &[Some(&self.layouts[layout])],
                immediate_size: 0,
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some("stackel kernel"),
                layout: Some(&pl),
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Shader(e.to_string()));
        }
        let p = Arc::new(pipeline);
        cache.insert(src, p.clone());
        Ok(p)
    }

    fn storage(&self, label: &str, bytes: &[u8]) -> wgpu::Buffer {
        let size = (bytes.len().max(4) as u64).next_multiple_of(4);
        let b = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_DST
                | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        if !bytes.is_empty() {
            self.queue.write_buffer(&b, 0, bytes);
        }
        b
    }

    /// Fails with the first device error wgpu reported outside an error scope.
    fn device_ok(&self) -> Result<(), GpuError> {
        match self.uncaptured.lock().map(|mut e| e.take()) {
            Ok(None) => Ok(()),
            Ok(Some(e)) => Err(GpuError::Device(e)),
            Err(_) => Err(GpuError::Device("error slot poisoned".into())),
        }
    }

    /// Copies buffers back to the host (one submission, one wait).
    fn read_back(&self, bufs: &[&wgpu::Buffer]) -> Result<Vec<Vec<u8>>, GpuError> {
        self.device_ok()?;
        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        let staging: Vec<wgpu::Buffer> = bufs
            .iter()
            .map(|b| {
                let s = self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("stackel readback"),
                    size: b.size(),
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                enc.copy_buffer_to_buffer(b, 0, &s, 0, b.size());
                s
            })
            .collect();
        self.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        for (i, s) in staging.iter().enumerate() {
            let tx = tx.clone();
            s.map_async(wgpu::MapMode::Read, .., move |r| {
                let _ = tx.send((i, r));
            });
        }
        drop(tx);
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Device(e.to_string()))?;
        for (_, r) in rx.iter() {
            r.map_err(|e| GpuError::Device(e.to_string()))?;
        }
        self.device_ok()?;
        let mut out = Vec::with_capacity(bufs.len());
        for s in &staging {
            let v = s
                .get_mapped_range(..)
                .map_err(|e| GpuError::Device(e.to_string()))?
                .to_vec();
            s.unmap();
            out.push(v);
        }
        Ok(out)
    }

    /// Workgroup grid covering `count` invocations (2-D beyond the per-dimension limit).
    fn grid(&self, count: u64) -> (u32, u32) {
        let groups = count.div_ceil(WORKGROUP as u64).max(1);
        let x = groups.min(self.max_groups as u64);
        (x as u32, groups.div_ceil(x) as u32)
    }

    /// Philox blocks of counters (c0 + j, c1, c2, c3), j < count, under
    /// `key`, computed by the GPU, and their standard normals in precision
    /// `T` (the kernel's copy of [`crate::rng`]; for tests and diagnostics).
    pub fn philox_normals<T: NoiseFloat>(
        &self,
        key: [u32; 2],
        ctr: [u32; 4],
        count: u32,
    ) -> Result<(Vec<[u32; 4]>, Vec<T>), GpuError> {
        let p = precision_of::<T>();
        self.precision_ok(p)?;
        let cfg = [count, ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1]];
        let words = self.storage("rng words", &vec![0u8; 16 * count as usize]);
        let per = T::NORMALS_PER_BLOCK;
        let out = self.storage("rng normals", &vec![0u8; per * p.size() * count as usize]);
        self.dispatch_rng_layout(kernel::rng_kernel(p), &cfg, &words, &out, count)?;
        let back = self.read_back(&[&words, &out])?;
        let w: &[u32] = bytemuck::cast_slice(&back[0]);
        let blocks = w[..4 * count as usize]
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]])
            .collect();
        let z = scalars_from(p, &back[1])
            .into_iter()
            .take(per * count as usize)
            .map(T::of)
            .collect();
        Ok((blocks, z))
    }

    /// Evaluates the kernels' transcendental functions on the GPU in
    /// precision `T`: per input pair (x, y), [exp x, ln x, sin x, cos x,
    /// tan x, pow(x, y)] (diagnostics and accuracy tests; see
    /// [`kernel::math_kernel`]).
    pub fn math_functions<T: NoiseFloat>(&self, xy: &[(T, T)]) -> Result<Vec<[f64; 6]>, GpuError> {
        let p = precision_of::<T>();
        self.precision_ok(p)?;
        let count =
            u32::try_from(xy.len()).map_err(|_| GpuError::Study("too many inputs".into()))?;
        let mut init = Vec::with_capacity(6 * xy.len() * p.size());
        for &(x, y) in xy {
            for v in [x.re(), y.re(), 0.0, 0.0, 0.0, 0.0] {
                match p {
                    Precision::F32 => init.extend_from_slice(&(v as f32).to_le_bytes()),
                    Precision::F64 => init.extend_from_slice(&v.to_le_bytes()),
                }
            }
        }
        let words = self.storage("math unused", &[0u8; 16]);
        let out = self.storage("math values", &init);
        self.dispatch_rng_layout(kernel::math_kernel(p), &[count], &words, &out, count)?;
        let back = self.read_back(&[&out])?;
        Ok(scalars_from(p, &back[0])
            .chunks_exact(6)
            .map(|c| [c[0], c[1], c[2], c[3], c[4], c[5]])
            .collect())
    }

    /// Trajectory-steps per second of the bare Philox + Box-Muller kernel
    /// ([`kernel::ceiling_kernel`], `n` coordinates) on `count` trajectories
    /// for `steps` steps, dispatched as studies are (at most
    /// [`GpuOptions::steps_per_dispatch`] steps each): the ceiling a study
    /// kernel of an `n`-coordinate game can approach (benchmarks). The
    /// pipeline is built before the clock starts.
    pub fn ceiling_rate<T: NoiseFloat>(
        &self,
        n: usize,
        count: u32,
        steps: u32,
    ) -> Result<f64, GpuError> {
        let p = precision_of::<T>();
        self.precision_ok(p)?;
        let pipeline = self.pipeline(kernel::ceiling_kernel(p, n), 1)?;
        let bytes = n as u64 * count as u64 * p.size() as u64;
        if bytes > self.max_binding {
            return Err(GpuError::Unsupported(format!(
                "{count} trajectories of {n} coordinates in one buffer"
            )));
        }
        let out = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("ceiling states"),
            size: bytes.max(4),
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let words = self.storage("ceiling unused", &[0u8; 16]);
        let cfg = self.storage("ceiling cfg", &[0u8; 20]);
        let bg = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.layouts[1],
            entries: &[&cfg, &words, &out]
                .iter()
                .enumerate()
                .map(|(i, b)| wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: b.as_entire_binding(),
                })
                .collect::<Vec<_>>(),
        });
        let (gx, gy) = self.grid(count as u64);
        let seg = self.options.steps_per_dispatch.max(1);
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Device(e.to_string()))?;
        let t = std::time::Instant::now();
        let mut k0 = 0u32;
        while k0 < steps {
            let ns = seg.min(steps - k0);
            let head = [count, k0, ns, 0x1234_5678, 0x9abc_def0];
            self.queue
                .write_buffer(&cfg, 0, bytemuck::cast_slice(&head));
            let mut enc = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                pass.set_pipeline(&pipeline);
                pass.set_bind_group(0, &bg, &[]);
                pass.dispatch_workgroups(gx, gy, 1);
            }
            self.queue.submit([enc.finish()]);
            k0 += ns;
        }
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Device(e.to_string()))?;
        let secs = t.elapsed().as_secs_f64();
        self.device_ok()?;
        Ok(count as f64 * steps as f64 / secs)
    }

    /// One dispatch of `src` (bindings: cfg, words, out) over `count` invocations.
    fn dispatch_rng_layout(
        &self,
        src: String,
        cfg: &[u32],
        words: &wgpu::Buffer,
        out: &wgpu::Buffer,
        count: u32,
    ) -> Result<(), GpuError> {
        let pipeline = self.pipeline(src, 1)?;
        let cfg = self.storage("cfg", bytemuck::cast_slice(cfg));
        let bg = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.layouts[1],
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: cfg.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: words.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: out.as_entire_binding(),
                },
            ],
        });
        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(count.div_ceil(WORKGROUP).max(1), 1, 1);
        }
        self.queue.submit([enc.finish()]);
        Ok(())
    }

    /// Runs a CPU-engine [`Study`] (validated first; checkpointing and the
    /// chunk size do not apply) on this GPU with the game's own WGSL module:
    /// the same result as `study.run::<T>()` up to rounding, with the same
    /// fingerprint, so shards of both engines merge.
    pub fn run_study<G: Game, T: NoiseFloat>(
        &self,
        study: &Study<G>,
    ) -> Result<StudyResult, GpuError> {
        study
            .validate()
            .map_err(|e| GpuError::Study(e.to_string()))?;
        self.run::<G, T>(&StudySpec::from_study::<T>(study))
    }

    /// [`GpuEngine::run_study`] with an explicit game module `wgsl`.
    pub fn run_study_with_wgsl<G: Game, T: NoiseFloat>(
        &self,
        study: &Study<G>,
        wgsl: &str,
    ) -> Result<StudyResult, GpuError> {
        study
            .validate()
            .map_err(|e| GpuError::Study(e.to_string()))?;
        self.run_with_wgsl::<G, T>(&StudySpec::from_study::<T>(study), wgsl)
    }

    /// Runs a study on the game's own WGSL module ([`Game::wgsl`]).
    pub fn run<G: Game, T: NoiseFloat>(
        &self,
        spec: &StudySpec<'_, G>,
    ) -> Result<StudyResult, GpuError> {
        let wgsl = spec.game.wgsl().ok_or(GpuError::NoWgsl {
            game: spec.game.info().name,
        })?;
        self.run_with_wgsl::<G, T>(spec, wgsl)
    }

    /// Runs a study with an explicit game module `wgsl` (which must describe
    /// the same game as `spec.game`; see `emit_wgsl`).
    pub fn run_with_wgsl<G: Game, T: NoiseFloat>(
        &self,
        spec: &StudySpec<'_, G>,
        wgsl: &str,
    ) -> Result<StudyResult, GpuError> {
        let prec = precision_of::<T>();
        self.precision_ok(prec)?;
        let dynamics = spec.dynamics;
        if spec.steps > u32::MAX as u64 {
            return Err(GpuError::Unsupported(format!(
                "{} steps (the RNG counter allows 2^32 - 1)",
                spec.steps
            )));
        }
        let info = spec.game.info();
        let n = G::N;
        let dims: Vec<usize> = info.players().map(|p| p.dim).collect();
        let players = dims.len();
        let adam = !matches!(dynamics.optimizer, Optimizer::Plain);
        let kspec = KernelSpec {
            small: spec.small_kernel
                && crate::dynamics::small_kernel_applies::<G>(dynamics.rule)
                && !adam,
            precision: prec,
            rule: dynamics.rule,
            adam,
            noise: spec.noise.variances.iter().any(|v| *v != 0.0),
            d1: G::D1,
            d2: G::D2,
            np: G::NP,
            players,
        };
        let mut ph = Phases::start();
        let src = kernel::study_kernel(&kspec, wgsl);
        let pipeline = self.pipeline(src, 0)?;
        ph.lap(Phase::Pipeline);

        // Per-coordinate constants in precision T, as the CPU engine prepares them.
        let mut sigma = Vec::with_capacity(n);
        let mut player_of = Vec::with_capacity(n);
        for (p, &d) in dims.iter().enumerate() {
            let v = match spec.noise.variances.len() {
                0 => 0.0,
                1 => spec.noise.variances[0],
                _ => spec.noise.variances[p],
            };
            sigma.extend(std::iter::repeat_n(T::of(v.sqrt()).re(), d));
            player_of.extend(std::iter::repeat_n(p as u32, d));
        }
        let angle = info.angle_mask();
        let mut params = vec![0.0; G::NP.max(1)];
        spec.game.params(&mut params[..G::NP]);
        let t = |v: f64| T::of(v).re();
        let (b1, b2, aeps) = match dynamics.optimizer {
            Optimizer::Adam { beta1, beta2, eps } => (t(beta1), t(beta2), t(eps)),
            Optimizer::Plain => (0.0, 0.0, 0.0),
        };
        let target = spec.record.target.as_ref();
        let target_t: Vec<T> = match target {
            Some(tg) => {
                if tg.point.len() != n {
                    return Err(GpuError::Dimension {
                        what: "target",
                        expected: n,
                        got: tg.point.len(),
                    });
                }
                tg.point.iter().map(|v| T::of(*v)).collect()
            }
            None => vec![T::zero(); n],
        };
        let eps_t = T::of(target.map_or(0.0, |tg| tg.eps));
        let mut fp: Vec<f64> = params.iter().map(|v| t(*v)).collect();
        fp.extend(&sigma);
        fp.extend([t(spec.divergence_bound), t(dynamics.eta), b1, b2, aeps]);
        fp.extend(target_t.iter().map(|v| v.re()));
        fp.push(eps_t.re());
        fp.push(t(dynamics.newton.tol));
        let fp = self.storage("stackel fp", &scalar_bytes(prec, fp));

        // The largest per-trajectory buffer is Adam's 2n moments.
        let per_traj = (2 * n * prec.size()).max(4 * ST_WORDS) as u64;
        let cap = ((self.max_binding / per_traj) as usize).clamp(1, self.options.max_batch.max(1));
        let (lo, hi) = spec.range;
        let mut parts = Vec::new();
        let mut first = lo;
        while first < hi {
            let count = ((hi - first) as usize).min(cap);
            parts.push(self.run_batch::<G, T>(
                spec,
                &pipeline,
                &fp,
                &mut ph,
                Batch {
                    first,
                    count,
                    n,
                    dims: &dims,
                    player_of: &player_of,
                    angle: &angle,
                    adam: kspec.adam,
                    prec,
                },
            )?);
            first += count as u64;
        }
        let mut result = StudyResult::merge(parts).map_err(|e| GpuError::Device(e.to_string()))?;
        result.warnings = dynamics.warnings();
        ph.lap(Phase::Merge);
        ph.report(hi - lo, spec.steps);
        Ok(result)
    }

    fn run_batch<G: Game, T: NoiseFloat>(
        &self,
        spec: &StudySpec<'_, G>,
        pipeline: &wgpu::ComputePipeline,
        fp: &wgpu::Buffer,
        ph: &mut Phases,
        b: Batch<'_>,
    ) -> Result<StudyResult, GpuError> {
        let (n, count, first, prec) = (b.n, b.count, b.first, b.prec);
        let steps = spec.steps;
        let dynamics = spec.dynamics;
        let info = spec.game.info();
        let target = spec.record.target.as_ref();
        let mut rec = Recorder::<T>::new(spec.record, b.angle, first, count, steps);

        // initial states and lock-in flags, exactly as the CPU engine
        let mut xs0 = vec![T::zero(); n * count];
        let mut st0 = vec![0u32; ST_WORDS * count];
        {
            use rayon::prelude::*;
            xs0.par_chunks_mut(n).enumerate().for_each(|(j, x)| {
                initial_state(spec.init, spec.seed, first + j as u64, b.angle, x)
            });
        }
        if target.is_some() {
            for j in 0..count {
                if rec.outside(&xs0[j * n..(j + 1) * n]) {
                    st0[ST_WORDS * j + 2] = 1;
                }
            }
        }
        ph.lap(Phase::HostInit);
        let xs = self.storage(
            "stackel states",
            &scalar_bytes(prec, xs0.iter().map(|v| v.re())),
        );
        let mv_len = if b.adam { 2 * n * count } else { 1 };
        let mv = self.storage("stackel adam", &scalar_bytes(prec, vec![0.0; mv_len]));
        let st = self.storage("stackel status", bytemuck::cast_slice(&st0));
        let seg_max = self.options.steps_per_dispatch.max(1) as u64;
        let row = b.dims.len() + 2;
        let tab = self.storage(
            "stackel schedule",
            &vec![0u8; seg_max.min(steps.max(1)) as usize * row * prec.size()],
        );
        let mut cfg: Vec<u32> = vec![0; CFG_HEADER];
        cfg.extend(b.player_of);
        cfg.extend(b.angle.iter().map(|&a| a as u32));
        let cfg_buf = self.storage("stackel cfg", bytemuck::cast_slice(&cfg));
        let bg = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.layouts[0],
            entries: &[&cfg_buf, fp, &tab, &xs, &mv, &st]
                .iter()
                .enumerate()
                .map(|(i, buf)| wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: buf.as_entire_binding(),
                })
                .collect::<Vec<_>>(),
        });
        let (gx, gy) = self.grid(count as u64);
        let key = crate::rng::seed_key(spec.seed);
        ph.lap(Phase::Upload);

        // trajectory j of a state array read back (trajectory-major) is running
        let running = |st: &[u32], j: usize| st[ST_WORDS * j] == kernel::FATE_RUNNING;
        let state = |xs: &[T], j: usize, x: &mut [T]| x.copy_from_slice(&xs[j * n..(j + 1) * n]);
        rec.take(0, |j| running(&st0, j), |j, x| state(&xs0, j, x), count);

        // segment ends: every record time and every seg_max steps
        let record_times = rec.times();
        let mut ends: Vec<u64> = record_times
            .iter()
            .copied()
            .chain((1..=steps.div_ceil(seg_max)).map(|i| (i * seg_max).min(steps)))
            .filter(|&t| t > 0)
            .collect();
        ends.sort_unstable();
        ends.dedup();
        let mut k0 = 0u64;
        let mut last: Option<(Vec<T>, Vec<u32>)> = None;
        for &k1 in &ends {
            let mut table = Vec::with_capacity((k1 - k0) as usize * row);
            for k in k0..k1 {
                for p in 0..b.dims.len() {
                    table.push(T::of(dynamics.schedule_of(p).gamma(k)).re());
                }
                match AdamCoefficients::<T>::at(&dynamics.optimizer, k) {
                    Some(c) => table.extend([c.bias1.re(), c.bias2.re()]),
                    None => table.extend([1.0, 1.0]),
                }
            }
            self.queue.write_buffer(&tab, 0, &scalar_bytes(prec, table));
            let f = first;
            let head = [
                count as u32,
                f as u32,
                (f >> 32) as u32,
                k0 as u32,
                (k1 - k0) as u32,
                key[0],
                key[1],
                target.is_some() as u32,
                dynamics.newton.max_iter,
            ];
            self.queue
                .write_buffer(&cfg_buf, 0, bytemuck::cast_slice(&head));
            let mut enc = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &bg, &[]);
                pass.dispatch_workgroups(gx, gy, 1);
            }
            self.queue.submit([enc.finish()]);
            let wants_record = record_times.binary_search(&k1).is_ok() || k1 == steps;
            if wants_record {
                if ph.on {
                    // profiling only: the GPU's time apart from the copy back
                    let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
                    ph.lap(Phase::Gpu);
                }
                let back = self.read_back(&[&xs, &st])?;
                ph.lap(Phase::ReadBack);
                let xv: Vec<T> = states_from(prec, &back[0], n * count);
                let sv: Vec<u32> =
                    bytemuck::cast_slice::<u8, u32>(&back[1])[..ST_WORDS * count].to_vec();
                rec.take(k1, |j| running(&sv, j), |j, x| state(&xv, j, x), count);
                last = Some((xv, sv));
            }
            k0 = k1;
        }
        let (mut xv, sv) = match last {
            Some(l) => l,
            None => (xs0, st0),
        };
        // best response: per-step Newton failures from the kernel, and, as
        // the CPU engine reports it, the follower of a finished trajectory
        // is r(x1) of its final leader (solved here by the CPU's own code)
        let best_response = dynamics.rule == Rule::BestResponse;
        let mut newton_failures = Vec::new();
        if best_response {
            let mut scratch = crate::dynamics::StepScratch::<T>::new::<G>();
            for j in 0..count {
                let mut failures = sv[ST_WORDS * j + 3];
                if sv[ST_WORDS * j] == kernel::FATE_RUNNING {
                    let x = &mut xv[j * n..(j + 1) * n];
                    if !crate::dynamics::best_response(spec.game, &dynamics.newton, x, &mut scratch)
                    {
                        failures += 1;
                    }
                }
                newton_failures.push(failures);
            }
        }
        let fates: Vec<Fate> = (0..count)
            .map(|j| {
                let step = sv[ST_WORDS * j + 1] as u64;
                match sv[ST_WORDS * j] {
                    kernel::FATE_DIVERGED => Fate::Diverged { step },
                    kernel::FATE_NON_FINITE => Fate::NonFinite { step },
                    kernel::FATE_SINGULAR => Fate::Singular { step },
                    _ => Fate::Finished,
                }
            })
            .collect();
        // empty without a target, as the CPU engine leaves it
        let lock_in = match target {
            Some(_) => (0..count)
                .map(|j| {
                    let l = sv[ST_WORDS * j + 2] as u64;
                    (fates[j].is_finished() && l <= steps).then_some(l)
                })
                .collect(),
            None => Vec::new(),
        };
        let (paths, distance) = rec.finish();
        ph.lap(Phase::HostFinish);
        Ok(StudyResult {
            fingerprint: spec.fingerprint.clone(),
            first,
            count: count as u64,
            steps,
            precision: std::any::type_name::<T>().to_string(),
            coordinates: (0..n).map(|k| info.coordinate_name(k)).collect(),
            angle: b.angle.to_vec(),
            final_states: xv.iter().map(|v| v.re()).collect(),
            fates,
            newton_failures,
            lock_in,
            distance,
            paths,
            basins: spec.record.basins.as_ref().map(|e| Basins {
                equilibria: e.clone(),
                assignment: Vec::new(),
                counts: Vec::new(),
            }),
            summary: Summary::default(),
            warnings: Vec::new(),
        })
    }
}

/// One batch of trajectories and the study's constants in precision T.
struct Batch<'a> {
    first: u64,
    count: usize,
    n: usize,
    dims: &'a [usize],
    player_of: &'a [u32],
    angle: &'a [bool],
    adam: bool,
    prec: Precision,
}

/// Phases of a GPU study, timed when the environment variable
/// `STACKEL_GPU_PROFILE` is set (then printed to stderr per study): what
/// the fixed cost of a study is made of.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Kernel text and the pipeline cache (a compile on first use).
    Pipeline,
    /// Initial states on the host.
    HostInit,
    /// Buffers created and written.
    Upload,
    /// Dispatches until the GPU is idle (with the profile only).
    Gpu,
    /// Copies back to the host.
    ReadBack,
    /// Fates, records and the batch result on the host.
    HostFinish,
    /// Batches merged, summary computed.
    Merge,
}

struct Phases {
    on: bool,
    last: std::time::Instant,
    secs: [f64; 7],
}

impl Phases {
    fn start() -> Self {
        Phases {
            on: std::env::var_os("STACKEL_GPU_PROFILE").is_some(),
            last: std::time::Instant::now(),
            secs: [0.0; 7],
        }
    }
    /// Adds the time since the last lap to `p`.
    fn lap(&mut self, p: Phase) {
        if self.on {
            let now = std::time::Instant::now();
            self.secs[p as usize] += (now - self.last).as_secs_f64();
            self.last = now;
        }
    }
    fn report(&self, n: u64, k: u64) {
        if self.on {
            let names = [
                "pipeline",
                "host init",
                "upload",
                "gpu",
                "read back",
                "host finish",
                "merge+summary",
            ];
            let parts: Vec<String> = names
                .iter()
                .zip(self.secs)
                .map(|(name, t)| format!("{name} {:.2} ms", 1e3 * t))
                .collect();
            eprintln!("stackel GPU study N = {n}, K = {k}: {}", parts.join(", "));
        }
    }
}
