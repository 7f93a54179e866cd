//! Kernels for tests, diagnostics and benchmarks on the GPU engine's
//! device: the bare Philox + Box-Muller streams, the kernels' own
//! transcendental functions and the RNG ceiling rate.

use super::kernel::{self, WORKGROUP};
use super::readback::scalars_from;
use super::{precision_of, GpuEngine, GpuError, Precision};
use crate::rng::NoiseFloat;

impl GpuEngine {
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
        let config = [count, ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1]];
        let philox_words = self.storage("rng words", &vec![0u8; 16 * count as usize]);
        let per = T::NORMALS_PER_BLOCK;
        let normals = self.storage("rng normals", &vec![0u8; per * p.size() * count as usize]);
        self.dispatch_rng_layout(
            kernel::rng_kernel(p),
            &config,
            &philox_words,
            &normals,
            count,
        )?;
        let back = self.read_back(&[&philox_words, &normals])?;
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
        let unused_words = self.storage("math unused", &[0u8; 16]);
        let values = self.storage("math values", &init);
        self.dispatch_rng_layout(
            kernel::math_kernel(p),
            &[count],
            &unused_words,
            &values,
            count,
        )?;
        let back = self.read_back(&[&values])?;
        Ok(scalars_from(p, &back[0])
            .chunks_exact(6)
            .map(|c| [c[0], c[1], c[2], c[3], c[4], c[5]])
            .collect())
    }

    /// Trajectory-steps per second of the bare Philox + Box-Muller kernel
    /// ([`kernel::ceiling_kernel`], `n` coordinates) on `count` trajectories
    /// for `steps` steps, dispatched as studies are (at most
    /// [`GpuOptions::steps_per_dispatch`](super::GpuOptions::steps_per_dispatch) steps each): the ceiling a study
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
        let states = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("ceiling states"),
            size: bytes.max(4),
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let unused_words = self.storage("ceiling unused", &[0u8; 16]);
        let config = self.storage("ceiling config", &[0u8; 20]);
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.layouts[1],
            entries: &[&config, &unused_words, &states]
                .iter()
                .enumerate()
                .map(|(i, b)| wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: b.as_entire_binding(),
                })
                .collect::<Vec<_>>(),
        });
        let (gx, gy) = self.grid(count as u64);
        let seg = self.steps_per_dispatch(n) as u32;
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Device(e.to_string()))?;
        let t = std::time::Instant::now();
        let mut k0 = 0u32;
        while k0 < steps {
            let ns = seg.min(steps - k0);
            let head = [count, k0, ns, 0x1234_5678, 0x9abc_def0];
            self.queue
                .write_buffer(&config, 0, bytemuck::cast_slice(&head));
            let mut enc = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                pass.set_pipeline(&pipeline);
                pass.set_bind_group(0, &bind_group, &[]);
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

    /// One dispatch of `src` on the rng layout (bindings: config words,
    /// Philox words, values) over `count` invocations.
    fn dispatch_rng_layout(
        &self,
        src: String,
        config: &[u32],
        philox_words: &wgpu::Buffer,
        values: &wgpu::Buffer,
        count: u32,
    ) -> Result<(), GpuError> {
        let pipeline = self.pipeline(src, 1)?;
        let config = self.storage("config", bytemuck::cast_slice(config));
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.layouts[1],
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: config.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: philox_words.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: values.as_entire_binding(),
                },
            ],
        });
        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(count.div_ceil(WORKGROUP).max(1), 1, 1);
        }
        self.queue.submit([enc.finish()]);
        Ok(())
    }
}
