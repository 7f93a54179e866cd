//! Studies from Python: `stackel.rate`, `Game.study`, `StudyResult`.

use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use stackel_jit::DynGame;
use stackel_runtime::data;
use stackel_runtime::record::Fate;
use stackel_runtime::{Dynamics, Game as _, Init, Noise, Optimizer, Schedule, Study};

/// A step-size schedule gamma_k = a / (k + k0)^p.
#[pyclass(module = "stackel", frozen)]
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    /// Scale a.
    #[pyo3(get)]
    a: f64,
    /// Offset k0.
    #[pyo3(get)]
    k0: f64,
    /// Exponent p.
    #[pyo3(get)]
    p: f64,
}

#[pymethods]
impl Rate {
    /// gamma_k at step k.
    fn __call__(&self, k: f64) -> f64 {
        self.a / (k + self.k0).powf(self.p)
    }
    fn __repr__(&self) -> String {
        format!("stackel.rate(a={}, k0={}, p={})", self.a, self.k0, self.p)
    }
}

impl Rate {
    fn schedule(&self) -> Schedule {
        Schedule::inverse_power(self.a)
            .offset(self.k0)
            .exponent(self.p)
    }
}

/// The step-size schedule gamma_k = a / (k + k0)^p.
#[pyfunction]
#[pyo3(signature = (*, a = 1.0, k0 = 1.0, p = 1.0))]
pub fn rate(a: f64, k0: f64, p: f64) -> PyResult<Rate> {
    if !(a > 0.0 && a.is_finite() && k0 >= 0.0 && k0.is_finite() && p >= 0.0 && p.is_finite()) {
        return Err(PyValueError::new_err(
            "rate needs a > 0, k0 >= 0 and p >= 0, all finite",
        ));
    }
    Ok(Rate { a, k0, p })
}

/// A sampler of a data input, resampled every step of a study.
#[pyclass(module = "stackel", frozen)]
#[derive(Clone, Debug)]
pub struct Sampler {
    sampler: data::Sampler,
    text: String,
}

#[pymethods]
impl Sampler {
    fn __repr__(&self) -> String {
        self.text.clone()
    }
}

/// Standard normal entries.
#[pyfunction]
pub fn normal() -> Sampler {
    Sampler {
        sampler: data::Sampler::standard_normal(),
        text: "stackel.normal()".into(),
    }
}

/// Rows from an equal-weight Gaussian mixture: component means (one row
/// each, as long as the input's rows) and the shared variance.
#[pyfunction]
#[pyo3(signature = (means, *, variance))]
pub fn mixture(means: Vec<Vec<f64>>, variance: f64) -> PyResult<Sampler> {
    if !(variance > 0.0 && variance.is_finite()) {
        return Err(PyValueError::new_err("variance must be finite and > 0"));
    }
    Ok(Sampler {
        text: format!("stackel.mixture({means:?}, variance={variance})"),
        sampler: data::Sampler::gaussian_mixture(means, variance),
    })
}

/// Where a study's trajectories start.
pub enum Start {
    /// Every trajectory here.
    Point(Vec<f64>),
    /// PyTorch's default initialisation of linear layers, per player part.
    Kaiming,
}

/// What `Game.study` was asked for.
pub struct StudyOptions {
    pub rule: String,
    pub rate: Option<Rate>,
    pub leader_rate: Option<Rate>,
    pub follower_rate: Option<Rate>,
    pub eta: f64,
    pub trajectories: u64,
    pub steps: u64,
    pub noise: f64,
    pub init: Option<Start>,
    pub init_box: Option<Vec<(f64, f64)>>,
    pub seed: u64,
    pub f32: bool,
    pub shard: Option<(u64, u64)>,
    /// Adam instead of plain steps.
    pub adam: bool,
    /// A sampler per data input.
    pub data: std::collections::BTreeMap<String, Sampler>,
}

fn need(r: Option<Rate>, name: &str, rule: &str) -> PyResult<Schedule> {
    r.map(|r| r.schedule()).ok_or_else(|| {
        PyValueError::new_err(format!("rule {rule:?} needs {name}=stackel.rate(...)"))
    })
}

/// The study `o` describes on `game`.
fn build(game: &DynGame, o: &StudyOptions) -> PyResult<Study<DynGame>> {
    let rule = o.rule.as_str();
    let dynamics = match rule {
        "simultaneous" => Dynamics::simultaneous(need(o.rate, "rate", rule)?),
        "best_response" => Dynamics::best_response(need(o.rate, "rate", rule)?),
        "two_timescale" => Dynamics::two_timescale(
            need(o.leader_rate, "leader_rate", rule)?,
            need(o.follower_rate, "follower_rate", rule)?,
        ),
        "lola" => Dynamics::lola(
            need(o.leader_rate, "leader_rate", rule)?,
            need(o.follower_rate, "follower_rate", rule)?,
        ),
        other => {
            return Err(PyValueError::new_err(format!(
                "rule must be 'simultaneous', 'two_timescale', 'lola' or 'best_response', not {other:?}"
            )))
        }
    };
    if !(o.eta >= 0.0 && o.eta.is_finite() && o.noise >= 0.0 && o.noise.is_finite()) {
        return Err(PyValueError::new_err(
            "eta and noise (a variance) must be finite and >= 0",
        ));
    }
    let n = game.n();
    let init = match (&o.init, &o.init_box) {
        (Some(Start::Point(x)), None) => Init::Point(x.clone()),
        (Some(Start::Kaiming), None) => Init::kaiming_uniform(),
        (None, Some(b)) => {
            let b = if b.len() == 1 {
                vec![b[0]; n]
            } else {
                b.clone()
            };
            Init::Box {
                lo: b.iter().map(|p| p.0).collect(),
                hi: b.iter().map(|p| p.1).collect(),
            }
        }
        (None, None) => {
            return Err(PyValueError::new_err(
                "give init=[x1, ...], init=\"kaiming\" or init_box=[(lo, hi), ...]",
            ))
        }
        (Some(_), Some(_)) => return Err(PyValueError::new_err("give init or init_box, not both")),
    };
    let dynamics = dynamics.eta(o.eta);
    let dynamics = if o.adam {
        dynamics.optimizer(Optimizer::adam())
    } else {
        dynamics
    };
    let mut study = Study::new(game.clone(), dynamics)
        .trajectories(o.trajectories)
        .steps(o.steps)
        .noise(Noise::variance(o.noise))
        .init(init)
        .seed(o.seed)
        .progress(false);
    for (name, s) in &o.data {
        study = study.data(name, s.sampler.clone());
    }
    if let Some((i, k)) = o.shard {
        if k == 0 || i >= k {
            return Err(PyValueError::new_err("shard=(i, n) needs 0 <= i < n"));
        }
        study = study.shard(i, k);
    }
    study
        .validate()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(study)
}

/// Runs the study without the GIL.
pub fn run_study(py: Python<'_>, game: &DynGame, o: StudyOptions) -> PyResult<StudyResult> {
    let study = build(game, &o)?;
    let result = py
        .detach(|| {
            if o.f32 {
                study.run::<f32>()
            } else {
                study.run::<f64>()
            }
        })
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    StudyResult::new(py, result)
}

/// The result of a study: final states, fates, summary statistics.
#[pyclass(module = "stackel", frozen)]
pub struct StudyResult {
    result: stackel_runtime::StudyResult,
    /// The final states, built once (moved from the result, not copied).
    final_states: Py<PyArray2<f64>>,
}

impl StudyResult {
    fn new(py: Python<'_>, mut result: stackel_runtime::StudyResult) -> PyResult<Self> {
        let d = result.coordinates.len().max(1);
        let states = std::mem::take(&mut result.final_states);
        let rows = states.len() / d;
        let array = PyArray1::from_vec(py, states).reshape([rows, d])?;
        Ok(StudyResult {
            result,
            final_states: array.unbind(),
        })
    }

    /// The Rust result, final states included.
    fn whole(&self, py: Python<'_>) -> PyResult<stackel_runtime::StudyResult> {
        let mut r = self.result.clone();
        r.final_states = self.final_states.bind(py).readonly().as_slice()?.to_vec();
        Ok(r)
    }
}

#[pymethods]
impl StudyResult {
    /// Final states, a numpy array (trajectories, coordinates).
    #[getter]
    fn final_states<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.final_states.bind(py).clone()
    }
    /// Coordinate names.
    #[getter]
    fn coordinates(&self) -> Vec<String> {
        self.result.coordinates.clone()
    }
    /// The first trajectory's index (shards) and the number of trajectories.
    #[getter]
    fn trajectories(&self) -> (u64, u64) {
        (self.result.first, self.result.count)
    }
    /// Steps per trajectory.
    #[getter]
    fn steps(&self) -> u64 {
        self.result.steps
    }
    /// "f32" or "f64".
    #[getter]
    fn dtype(&self) -> &str {
        if self.result.precision.contains("32") {
            "float32"
        } else {
            "float64"
        }
    }
    /// Per trajectory: "finished", "diverged", "non_finite" or "singular".
    #[getter]
    fn fates(&self) -> Vec<&'static str> {
        self.result
            .fates
            .iter()
            .map(|f| match f {
                Fate::Finished => "finished",
                Fate::Diverged { .. } => "diverged",
                Fate::NonFinite { .. } => "non_finite",
                Fate::Singular { .. } => "singular",
                _ => "other",
            })
            .collect()
    }
    /// Mean of the finished trajectories' final states.
    #[getter]
    fn mean<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_vec(py, self.result.summary.mean.clone())
    }
    /// Covariance of the finished trajectories' final states (d x d).
    #[getter]
    fn covariance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let d = self.result.summary.mean.len();
        let c = self.result.summary.covariance.clone();
        if c.len() != d * d {
            return Err(PyValueError::new_err(
                "the covariance was not kept (too many coordinates)",
            ));
        }
        PyArray1::from_vec(py, c).reshape([d, d])
    }
    /// The whole result as JSON (what `StudyResult.from_json` and `merge` read).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        serde_json::to_string(&self.whole(py)?).map_err(|e| PyValueError::new_err(e.to_string()))
    }
    /// A result from `to_json`.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        let r = serde_json::from_str(text).map_err(|e| PyValueError::new_err(e.to_string()))?;
        StudyResult::new(py, r)
    }
    /// Shards of one study merged exactly into the whole.
    #[staticmethod]
    fn merge(py: Python<'_>, parts: &Bound<'_, PyList>) -> PyResult<Self> {
        let mut all = Vec::new();
        for p in parts.iter() {
            let p = p.cast::<StudyResult>()?;
            all.push(p.get().whole(py)?);
        }
        let merged = stackel_runtime::StudyResult::merge(all)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        StudyResult::new(py, merged)
    }
    fn __repr__(&self) -> String {
        let s = &self.result.summary;
        format!(
            "stackel.StudyResult({} trajectories x {} steps, {}, finished {}, diverged {}, mean {:?})",
            self.result.count,
            self.result.steps,
            self.dtype(),
            s.finished,
            s.diverged + s.non_finite + s.singular,
            s.mean
        )
    }
}
