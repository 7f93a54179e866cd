//! `stackel.Game`: a game from DSL text, its params, formulas, fields,
//! Jacobians and equilibria.

use crate::study::{run_study, StudyOptions, StudyResult};
use crate::DslError;
use numpy::{AllowTypeChange, PyArray1, PyArray2, PyArrayLike1, PyArrayMethods};
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use stackel_jit::{DynGame, TextGameError};
use stackel_runtime::equilibria::{grid_starts, EquilibriumReport, Field};
use stackel_runtime::{Game as _, Workspace};

/// A Stackelberg game compiled from DSL text (the language of
/// `stackel_game!`) to native code.
///
/// >>> g = stackel.Game('''game Duopoly {
/// ...     param a = 100.0;  param c1 = 5.0;  param c2 = 2.0;
/// ...     leader q1;  follower q2;
/// ...     cost q1 = -(a - q1 - q2 - c1) * q1;
/// ...     cost q2 = -(a - q1 - q2 - c2) * q2;
/// ... }''')
/// >>> g.omega([46.0, 26.0])
/// array([23.,  0.])
#[pyclass(module = "stackel", frozen)]
pub struct Game {
    pub(crate) game: DynGame,
}

/// The paper's games (games/*.stk).
const PAPER: [(&str, &str); 6] = [
    ("duopoly", include_str!("../../games/duopoly.stk")),
    ("torus", include_str!("../../games/torus.stk")),
    ("example1", include_str!("../../games/example1.stk")),
    ("covariance3", include_str!("../../games/covariance3.stk")),
    ("mog_diamond", include_str!("../../games/mog_diamond.stk")),
    ("mog_circle", include_str!("../../games/mog_circle.stk")),
];

fn to_py_err(py: Python<'_>, e: TextGameError) -> PyErr {
    match e {
        TextGameError::Dsl(dsl) => {
            let err = DslError::new_err(dsl.to_string());
            if let Some(d) = dsl.diagnostics.first() {
                let v = err.value(py);
                let _ = v.setattr("line", d.line);
                let _ = v.setattr("column", d.column);
                let _ = v.setattr("file", dsl.name.clone());
                let _ = v.setattr("message", d.message.clone());
            }
            err
        }
        other => PyValueError::new_err(other.to_string()),
    }
}

/// `x` as a vector of the game's n coordinates, then its nd data entries
/// (a game with data inputs reads a batch after the state).
fn state(g: &DynGame, x: PyArrayLike1<'_, f64, AllowTypeChange>) -> PyResult<Vec<f64>> {
    let x = x.as_slice()?.to_vec();
    if x.len() != g.n() + g.nd() {
        let data = match g.nd() {
            0 => String::new(),
            nd => format!(" and {nd} data entries (after the coordinates)"),
        };
        return Err(PyValueError::new_err(format!(
            "x has {} entries, the game has {} coordinates{data}",
            x.len(),
            g.n()
        )));
    }
    Ok(x)
}

fn matrix<'py>(
    py: Python<'py>,
    v: Vec<f64>,
    rows: usize,
    cols: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    PyArray1::from_vec(py, v).reshape([rows, cols])
}

impl Game {
    fn field(which: &str) -> PyResult<Vec<Field>> {
        Ok(match which {
            "simultaneous" | "nash" => vec![Field::Simultaneous],
            "stackelberg" => vec![Field::STACKELBERG],
            "both" => vec![Field::Simultaneous, Field::STACKELBERG],
            other => {
                return Err(PyValueError::new_err(format!(
                    "field must be 'simultaneous', 'stackelberg' or 'both', not {other:?}"
                )))
            }
        })
    }
}

#[pymethods]
impl Game {
    /// Parses, checks, differentiates and compiles `text`; `file` names it
    /// in error messages. Raises `stackel.DslError` for an invalid game.
    #[new]
    #[pyo3(signature = (text, file = "<game>"))]
    fn new(py: Python<'_>, text: &str, file: &str) -> PyResult<Self> {
        let game = py
            .detach(|| DynGame::from_dsl(file, text))
            .map_err(|e| to_py_err(py, e))?;
        Ok(Game { game })
    }

    /// One of the paper's games: "duopoly", "torus", "example1",
    /// "covariance3", and the GANs "mog_diamond", "mog_circle" (data inputs:
    /// give `data=` samplers to `study`).
    #[staticmethod]
    fn paper(py: Python<'_>, name: &str) -> PyResult<Self> {
        let Some((_, text)) = PAPER.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = PAPER.iter().map(|(n, _)| *n).collect();
            return Err(PyKeyError::new_err(format!(
                "no paper game {name:?}; there are {names:?}"
            )));
        };
        Game::new(py, text, &format!("{name}.stk"))
    }

    /// The game's name in the DSL.
    #[getter]
    fn name(&self) -> &str {
        self.game.name()
    }
    /// Leader dimension d1.
    #[getter]
    fn d1(&self) -> usize {
        self.game.d1()
    }
    /// Stacked follower dimension d2.
    #[getter]
    fn d2(&self) -> usize {
        self.game.d2()
    }
    /// State dimension n = d1 + d2.
    #[getter]
    fn n(&self) -> usize {
        self.game.n()
    }
    /// The state's coordinate names (`q1`, `v[0,2]`, ...), leader first.
    #[getter]
    fn coordinates(&self) -> Vec<String> {
        let info = self.game.info();
        (0..self.game.n())
            .map(|k| info.coordinate_name(k))
            .collect()
    }
    /// The params by name: a float, or a flat list for an array param.
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let mut p = vec![0.0; self.game.np()];
        self.game.params(&mut p);
        let d = PyDict::new(py);
        for q in self.game.info().params {
            let v = &p[q.offset..q.offset + q.len];
            if q.shape.is_empty() {
                d.set_item(q.name, v[0])?;
            } else {
                d.set_item(q.name, v.to_vec())?;
            }
        }
        Ok(d)
    }

    /// A copy of the game with some params changed (no recompilation):
    /// `g.with_params(a=110.0)`, array params as sequences.
    #[pyo3(signature = (**params))]
    fn with_params(&self, params: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut g = self.game.clone();
        let mut p = vec![0.0; g.np()];
        g.params(&mut p);
        if let Some(params) = params {
            for (k, v) in params.iter() {
                let name: String = k.extract()?;
                let info = g.info();
                let Some(q) = info.params.iter().find(|q| q.name == name) else {
                    let names: Vec<&str> = info.params.iter().map(|q| q.name).collect();
                    return Err(PyKeyError::new_err(format!(
                        "no param {name:?}; the params are {names:?}"
                    )));
                };
                let values: Vec<f64> = if q.shape.is_empty() {
                    vec![v.extract::<f64>()?]
                } else {
                    v.extract::<Vec<f64>>()?
                };
                if values.len() != q.len {
                    return Err(PyValueError::new_err(format!(
                        "param {name:?} has {} entries, {} given",
                        q.len,
                        values.len()
                    )));
                }
                p[q.offset..q.offset + q.len].copy_from_slice(&values);
            }
        }
        g.set_params(&p);
        Ok(Game { game: g })
    }

    /// The simplified formula of every block: {block: [entry formulas]}.
    fn formulas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for b in self.game.formulas() {
            d.set_item(b.block, b.entries)?;
        }
        Ok(d)
    }

    /// f1(x), the leader's cost.
    fn leader_cost(&self, x: PyArrayLike1<'_, f64, AllowTypeChange>) -> PyResult<f64> {
        Ok(self.game.leader_cost(&state(&self.game, x)?))
    }

    /// omega(x) = (D1 f1, D2 f2): the field of simultaneous gradient play.
    fn omega<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLike1<'_, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let x = state(&self.game, x)?;
        let mut o = vec![0.0; self.game.n()];
        self.game.omega(&x, &mut o);
        Ok(PyArray1::from_vec(py, o))
    }

    /// omega_S(x) = (D1 f1 - B^T (H + eta I)^-T D2 f1, D2 f2): the
    /// Stackelberg field (the total leader gradient, then the followers').
    #[pyo3(signature = (x, eta = 0.0))]
    fn omega_stackelberg<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLike1<'_, f64, AllowTypeChange>,
        eta: f64,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let x = state(&self.game, x)?;
        let mut o = vec![0.0; self.game.n()];
        Workspace::new(&self.game)
            .omega_s(&self.game, &x, eta, &mut o)
            .map_err(|e| PyValueError::new_err(format!("D22f2 + eta I is singular at x: {e}")))?;
        Ok(PyArray1::from_vec(py, o))
    }

    /// J(x), the Jacobian of omega (n x n).
    fn jacobian<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLike1<'_, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let x = state(&self.game, x)?;
        let n = self.game.n();
        let mut j = vec![0.0; n * n];
        Workspace::new(&self.game)
            .jacobian(&self.game, &x, &mut j)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        matrix(py, j, n, n)
    }

    /// J_S(x), the Jacobian of the Stackelberg field omega_S (n x n),
    /// without third-order tensors (design.md).
    #[pyo3(signature = (x, eta = 0.0))]
    fn jacobian_stackelberg<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLike1<'_, f64, AllowTypeChange>,
        eta: f64,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let x = state(&self.game, x)?;
        let n = self.game.n();
        let mut j = vec![0.0; n * n];
        Workspace::new(&self.game)
            .stackelberg_jacobian(&self.game, &x, eta, &mut j)
            .map_err(|e| PyValueError::new_err(format!("D22f2 + eta I is singular at x: {e}")))?;
        matrix(py, j, n, n)
    }

    /// The second-order blocks at x: {"D11f1", "D12f1", "D22f1", "D22f2",
    /// "D21f2"} as 2-D arrays.
    fn blocks<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLike1<'_, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let x = state(&self.game, x)?;
        let (d1, d2) = (self.game.d1(), self.game.d2());
        let g = &self.game;
        let d = PyDict::new(py);
        type Block = fn(&DynGame, &[f64], &mut [f64]);
        let blocks: [(&str, usize, usize, Block); 5] = [
            ("D11f1", d1, d1, |g, x, o| g.d11f1(x, o)),
            ("D12f1", d1, d2, |g, x, o| g.d12f1(x, o)),
            ("D22f1", d2, d2, |g, x, o| g.d22f1(x, o)),
            ("D22f2", d2, d2, |g, x, o| g.d22f2(x, o)),
            ("D21f2", d2, d1, |g, x, o| g.d21f2(x, o)),
        ];
        for (name, r, c, f) in blocks {
            let mut o = vec![0.0; r * c];
            f(g, &x, &mut o);
            d.set_item(name, matrix(py, o, r, c)?)?;
        }
        Ok(d)
    }

    /// Critical points found by damped Newton from a grid of `grid` starts
    /// per coordinate in `box` (a (lo, hi) pair for all coordinates or one
    /// per coordinate; default [-pi, pi) for angles, [-10, 10] otherwise),
    /// classified: a list of dicts (field, x, verdicts, spectra, costs).
    #[pyo3(signature = (r#box = None, grid = 5, field = "both"))]
    fn equilibria<'py>(
        &self,
        py: Python<'py>,
        r#box: Option<Vec<(f64, f64)>>,
        grid: usize,
        field: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        let n = self.game.n();
        let bounds = match r#box {
            None => {
                let pi = std::f64::consts::PI;
                let angle = self.game.info().angle_mask();
                angle
                    .iter()
                    .map(|&a| if a { (-pi, pi) } else { (-10.0, 10.0) })
                    .collect()
            }
            Some(b) if b.len() == 1 => vec![b[0]; n],
            Some(b) if b.len() == n => b,
            Some(b) => {
                return Err(PyValueError::new_err(format!(
                    "box takes one (lo, hi) pair or {n}, got {}",
                    b.len()
                )))
            }
        };
        if grid == 0
            || bounds
                .iter()
                .any(|(lo, hi)| lo.partial_cmp(hi) != Some(std::cmp::Ordering::Less))
        {
            return Err(PyValueError::new_err(
                "grid must be >= 1 and every box pair lo < hi",
            ));
        }
        let starts = grid_starts(&bounds, grid);
        let json = py.import("json")?;
        let out = PyList::empty(py);
        for f in Self::field(field)? {
            let g = &self.game;
            let report = py
                .detach(|| {
                    EquilibriumReport::find(g, f, &starts, &Default::default(), &Default::default())
                })
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            let parsed = json.call_method1("loads", (report.to_json(),))?;
            for p in parsed.get_item("points")?.try_iter()? {
                let p = p?;
                p.set_item("field", f.symbol())?;
                out.append(p)?;
            }
        }
        Ok(out)
    }

    /// A Monte-Carlo study of a learning rule; returns a `StudyResult`.
    /// Runs without the GIL.
    #[pyo3(signature = (*, rule = "two_timescale", rate = None, leader_rate = None,
        follower_rate = None, eta = 0.0, trajectories = 1000, steps = 1000, noise = 0.0,
        init = None, init_box = None, seed = 0, dtype = None, shard = None, optimizer = "sgd",
        data = None))]
    #[allow(clippy::too_many_arguments)]
    fn study(
        &self,
        py: Python<'_>,
        rule: &str,
        rate: Option<crate::study::Rate>,
        leader_rate: Option<crate::study::Rate>,
        follower_rate: Option<crate::study::Rate>,
        eta: f64,
        trajectories: u64,
        steps: u64,
        noise: f64,
        init: Option<&Bound<'_, PyAny>>,
        init_box: Option<Vec<(f64, f64)>>,
        seed: u64,
        dtype: Option<&Bound<'_, PyAny>>,
        shard: Option<(u64, u64)>,
        optimizer: &str,
        data: Option<std::collections::BTreeMap<String, crate::study::Sampler>>,
    ) -> PyResult<StudyResult> {
        // a point, or "kaiming" (PyTorch's default for linear layers)
        let init = match init {
            None => None,
            Some(i) => match i.extract::<String>() {
                Ok(s) if s == "kaiming" => Some(crate::study::Start::Kaiming),
                Ok(s) => {
                    return Err(PyValueError::new_err(format!(
                        "init is a point [x1, ...] or \"kaiming\", not {s:?}"
                    )))
                }
                Err(_) => Some(crate::study::Start::Point(i.extract()?)),
            },
        };
        // "float32", "float64" or a numpy type such as numpy.float32
        let dtype = match dtype {
            None => "float64".to_string(),
            Some(d) => match d.extract::<String>() {
                Ok(s) => s,
                Err(_) => d.getattr("__name__")?.extract()?,
            },
        };
        let options = StudyOptions {
            rule: rule.to_string(),
            rate,
            leader_rate,
            follower_rate,
            eta,
            trajectories,
            steps,
            noise,
            init,
            init_box,
            seed,
            f32: match dtype.as_str() {
                "float32" | "f32" => true,
                "float64" | "f64" => false,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "dtype must be float32 or float64, not {other:?}"
                    )))
                }
            },
            shard,
            adam: match optimizer {
                "sgd" => false,
                "adam" => true,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "optimizer must be \"sgd\" or \"adam\", not {other:?}"
                    )))
                }
            },
            data: data.unwrap_or_default(),
        };
        run_study(py, &self.game, options)
    }

    fn __repr__(&self) -> String {
        let info = self.game.info();
        let players: Vec<String> = info
            .players()
            .map(|p| format!("{} ({})", p.name, p.dim))
            .collect();
        format!(
            "stackel.Game({:?}: leader {}, followers [{}], {} params)",
            self.game.name(),
            players[0],
            players[1..].join(", "),
            info.params.len()
        )
    }
}
