//! The Python module `stackel`: a game given as DSL text is compiled to
//! native code at run time (`stackel_jit::DynGame`) and driven from Python,
//! numpy in and numpy out:
//!
//! ```python
//! import stackel
//! g = stackel.Game.paper("duopoly")          # or stackel.Game(open("duopoly.stk").read())
//! r = g.study(rule="two_timescale",
//!             leader_rate=stackel.rate(a=1.0, k0=11.0, p=1.0),
//!             follower_rate=stackel.rate(a=1.0, k0=11.0, p=2/3),
//!             trajectories=100_000, steps=10_000, noise=10.0, init=[10.0, 10.0],
//!             seed=1, dtype="float32")
//! r.final_states                               # numpy (N, d)
//! ```
//!
//! Errors are Python exceptions (`stackel.DslError`, a `ValueError`, for an
//! invalid game, with `line`, `column` and the rendered message); studies
//! release the GIL.

mod game;
mod study;

use pyo3::prelude::*;

pyo3::create_exception!(
    stackel,
    DslError,
    pyo3::exceptions::PyValueError,
    "An invalid game: `line`, `column` (1-based) and `file` of the first error; str() is the rendered message with the source line."
);

/// Learning dynamics in Stackelberg games: games as text, compiled to
/// native code at run time.
#[pymodule]
fn stackel(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<game::Game>()?;
    m.add_class::<study::Rate>()?;
    m.add_class::<study::StudyResult>()?;
    m.add_class::<study::Sampler>()?;
    m.add_function(wrap_pyfunction!(study::rate, m)?)?;
    m.add_function(wrap_pyfunction!(study::normal, m)?)?;
    m.add_function(wrap_pyfunction!(study::mixture, m)?)?;
    m.add("DslError", m.py().get_type::<DslError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
