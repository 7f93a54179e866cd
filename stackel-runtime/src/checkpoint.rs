//! Checkpointed CPU runs and the progress bar: what a long study needs.
//!
//! A checkpoint folder holds `manifest.json` (the study's fingerprint and the
//! block size) and one `block-<first>.json` [`StudyResult`] per finished
//! block of trajectories, each written atomically (a temporary file, then a rename). Running
//! the same study with the same folder skips the blocks already there, so
//! an interrupted run resumes ([`crate::study::Study::resume`]) with the
//! same result bit for bit.

use crate::cpu::CpuRun;
use crate::game::Game;
use crate::plan::StudyError;
use crate::record::StudyResult;
use crate::rng::NoiseFloat;
use std::io::IsTerminal;
use std::path::Path as FsPath;

/// A progress bar over `count` trajectories of `steps` steps: on when
/// `force` says so, else when the run is long (>= 2e8 trajectory-steps) and
/// stderr is a terminal.
pub(crate) fn progress_bar(
    force: Option<bool>,
    count: u64,
    steps: u64,
) -> Option<indicatif::ProgressBar> {
    let total = count as u128 * steps as u128;
    let show = force.unwrap_or_else(|| total >= 200_000_000 && std::io::stderr().is_terminal());
    if !show {
        return None;
    }
    let b = indicatif::ProgressBar::new(count * steps.max(1));
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {percent}% eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(b)
}

/// Runs the plan's range in blocks of `block` trajectories, each stored in
/// `dir` once finished; blocks already stored for this very study (same
/// fingerprint, first and count) are read back instead of run.
pub(crate) fn run_checkpointed<G: Game, T: NoiseFloat>(
    run: &CpuRun<'_, '_, G, T>,
    dir: &FsPath,
    block: u64,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<StudyResult, StudyError> {
    let plan = run.plan();
    let (lo, hi) = plan.range;
    let io = |path: &FsPath| {
        let path = path.to_path_buf();
        move |source| StudyError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let manifest = dir.join("manifest.json");
    let want = serde_json::json!({ "fingerprint": plan.fingerprint, "block": block });
    if manifest.exists() {
        let text = std::fs::read_to_string(&manifest).map_err(io(&manifest))?;
        let have: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| StudyError::Json {
                path: manifest.clone(),
                source,
            })?;
        if have != want {
            return Err(StudyError::CheckpointMismatch {
                dir: dir.to_path_buf(),
            });
        }
    } else {
        write_atomic(&manifest, want.to_string().as_bytes()).map_err(io(&manifest))?;
    }
    let mut parts = Vec::new();
    let mut s = lo;
    while s < hi {
        let e = (s + block).min(hi);
        let path = dir.join(format!("block-{s:020}.json"));
        let done = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| StudyResult::from_json(&t).ok())
            .filter(|r| r.fingerprint == plan.fingerprint && r.first == s && r.count == e - s);
        let part = match done {
            Some(r) => {
                if let Some(b) = bar {
                    b.inc((e - s) * plan.steps.max(1));
                }
                r
            }
            None => {
                let r = run.run_range(s, e, bar)?;
                let json = r.to_json().map_err(|source| StudyError::Json {
                    path: path.clone(),
                    source,
                })?;
                write_atomic(&path, json.as_bytes()).map_err(io(&path))?;
                r
            }
        };
        parts.push(part);
        s = e;
    }
    Ok(StudyResult::merge(parts)?)
}

/// Writes `path` via a temporary file and a rename, so a killed run never
/// leaves a half-written file under the final name.
fn write_atomic(path: &FsPath, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
