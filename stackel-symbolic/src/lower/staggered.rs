//! The blocks of a staggered hierarchy (appendix F.1): for every player p,
//! its cost's full gradient D f_p and full Hessian D^2 f_p over the whole
//! state, and for every follower the Hessian of phi_p(x; lambda) =
//! lambda^T D_p f_p (its own gradient, lambda of length d_p held fixed).
//! The runtime (`stackel_runtime::hierarchy`) composes the chained implicit
//! maps from them; phi's Hessian stands in for the third-order tensor of
//! D_p f_p, as in the J_S formula of design.md.

use super::cse::{lower, Output};
use super::derive::GameDerivatives;
use crate::diff::gradient;
use crate::error::Errors;
use crate::ir::Program;
use crate::model::GameModel;

/// The programs of a staggered game, by player number (0 the leader).
#[derive(Clone, Debug)]
pub struct StaggeredPrograms {
    /// D f_p (output "gradient", length n) for every player p.
    pub gradients: Vec<Program>,
    /// D^2 f_p (output "hessian", n x n) for every player p.
    pub hessians: Vec<Program>,
    /// D^2 phi_p (output "phi_hessian", n x n), phi_p = lambda^T D_p f_p,
    /// for every follower (index p - 1).
    pub phi_hessians: Vec<Program>,
}

/// Derives the staggered blocks of `model` into `d`'s DAG and lowers them.
pub fn staggered_programs(
    model: &GameModel,
    d: &mut GameDerivatives,
    limit: usize,
) -> Result<StaggeredPrograms, Errors> {
    let n = d.d1 + d.d2;
    let np = d.np;
    let overflow = |what: &str| {
        Errors::at(
            model.name_span,
            format!(
                "the staggered-hierarchy blocks of game {} need more than {limit} expression \
                 nodes (stopped while building {what}); reduce the dimension",
                model.name
            ),
        )
    };
    let costs: Vec<_> = std::iter::once(d.f1).chain(d.f2.iter().copied()).collect();
    let dag = &mut d.dag;
    let mut out = StaggeredPrograms {
        gradients: Vec::new(),
        hessians: Vec::new(),
        phi_hessians: Vec::new(),
    };
    for (p, f) in costs.into_iter().enumerate() {
        let name = &model.player(p).name;
        let g = gradient(dag, f, n, np, limit).map_err(|_| overflow(&format!("D f_{name}")))?;
        let mut hess = Vec::with_capacity(n * n);
        for e in &g.state {
            let row =
                gradient(dag, *e, n, np, limit).map_err(|_| overflow(&format!("D^2 f_{name}")))?;
            hess.extend(row.state);
        }
        out.gradients.push(lower(
            dag,
            &[Output {
                name: "gradient",
                shape: vec![n],
                entries: &g.state,
            }],
        ));
        out.hessians.push(lower(
            dag,
            &[Output {
                name: "hessian",
                shape: vec![n, n],
                entries: &hess,
            }],
        ));
        if p == 0 {
            continue;
        }
        let (off, dp) = (model.player_offset(p), model.player(p).shape.len());
        let terms: Vec<_> = (0..dp)
            .map(|k| {
                let l = dag.lambda(k);
                dag.mul(l, g.state[off + k])
            })
            .collect();
        let phi = dag.sum(terms);
        let gphi =
            gradient(dag, phi, n, np, limit).map_err(|_| overflow(&format!("phi_{name}")))?;
        let mut phess = Vec::with_capacity(n * n);
        for e in &gphi.state {
            let row = gradient(dag, *e, n, np, limit)
                .map_err(|_| overflow(&format!("D^2 phi_{name}")))?;
            phess.extend(row.state);
        }
        out.phi_hessians.push(lower(
            dag,
            &[Output {
                name: "phi_hessian",
                shape: vec![n, n],
                entries: &phess,
            }],
        ));
    }
    Ok(out)
}
