//! The GPU engine's optional phase timer (environment variable
//! `STACKEL_GPU_PROFILE`).

/// Phases of a GPU study, timed when the environment variable
/// `STACKEL_GPU_PROFILE` is set (then printed to stderr per study): what
/// the fixed cost of a study is made of.
#[derive(Clone, Copy, Debug)]
pub(super) enum Phase {
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

pub(super) struct Phases {
    /// Whether the phases are timed.
    pub(super) on: bool,
    last: std::time::Instant,
    secs: [f64; 7],
}

impl Phases {
    pub(super) fn start() -> Self {
        Phases {
            on: std::env::var_os("STACKEL_GPU_PROFILE").is_some(),
            last: std::time::Instant::now(),
            secs: [0.0; 7],
        }
    }
    /// Adds the time since the last lap to `p`.
    pub(super) fn lap(&mut self, p: Phase) {
        if self.on {
            let now = std::time::Instant::now();
            self.secs[p as usize] += (now - self.last).as_secs_f64();
            self.last = now;
        }
    }
    pub(super) fn report(&self, n: u64, k: u64) {
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
