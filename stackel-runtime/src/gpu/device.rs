//! The GPU engine's device: adapter and device setup, the bind-group
//! layouts, the pipeline cache, storage buffers, read-back and the
//! workgroup grid.

use super::kernel::WORKGROUP;
use super::{validate, GpuEngine, GpuError, GpuOptions, Precision};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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

    pub(super) fn precision_ok(&self, p: Precision) -> Result<(), GpuError> {
        if p == Precision::F64 && !self.f64 {
            return Err(GpuError::NoF64 {
                adapter: self.info.name.clone(),
            });
        }
        Ok(())
    }

    /// Validates `src` offline, then builds (or reuses) its pipeline.
    pub(super) fn pipeline(
        &self,
        src: String,
        layout: usize,
    ) -> Result<Arc<wgpu::ComputePipeline>, GpuError> {
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

    pub(super) fn storage(&self, label: &str, bytes: &[u8]) -> wgpu::Buffer {
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
    pub(super) fn device_ok(&self) -> Result<(), GpuError> {
        match self.uncaptured.lock().map(|mut e| e.take()) {
            Ok(None) => Ok(()),
            Ok(Some(e)) => Err(GpuError::Device(e)),
            Err(_) => Err(GpuError::Device("error slot poisoned".into())),
        }
    }

    /// Copies buffers back to the host (one submission, one wait).
    pub(super) fn read_back(&self, bufs: &[&wgpu::Buffer]) -> Result<Vec<Vec<u8>>, GpuError> {
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
    pub(super) fn grid(&self, count: u64) -> (u32, u32) {
        let groups = count.div_ceil(WORKGROUP as u64).max(1);
        let x = groups.min(self.max_groups as u64);
        (x as u32, groups.div_ceil(x) as u32)
    }
}
