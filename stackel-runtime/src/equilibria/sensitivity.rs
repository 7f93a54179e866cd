//! Sensitivity of an equilibrium to the game's params by the implicit
//! function theorem.

use nalgebra::DMatrix;

use super::{EquilibriumError, Field};
use crate::blocks::Workspace;
use crate::game::Game;

/// D_theta F (n x NP, row-major) of the field F at `x`:
///
/// - omega: [D1p f1; D2p f2];
/// - omega_S: [D_theta(Df1); D2p f2] with, for H = D22 f2 + eta I,
///   lambda = H^-T D2 f1 and B = D21 f2,
///   D_theta(Df1) = D1p f1 - D1p phi - B^T H^-T (D2p f1 - D2p phi).
pub fn field_param_jacobian<G: Game>(
    g: &G,
    x: &[f64],
    field: Field,
) -> Result<DMatrix<f64>, EquilibriumError> {
    let (d1, d2, n, np) = (g.d1(), g.d2(), g.n(), g.np());
    super::check_point(x, n)?;
    let mut out = DMatrix::zeros(n, np);
    let mut d2p_f2 = vec![0.0; d2 * np];
    g.d2p_f2(x, &mut d2p_f2);
    out.view_mut((d1, 0), (d2, np))
        .copy_from(&DMatrix::from_row_slice(d2, np, &d2p_f2));
    let mut d1p_f1 = vec![0.0; d1 * np];
    g.d1p_f1(x, &mut d1p_f1);
    let top = DMatrix::from_row_slice(d1, np, &d1p_f1);
    match field {
        Field::Simultaneous => out.view_mut((0, 0), (d1, np)).copy_from(&top),
        Field::Stackelberg { eta } => {
            let mut ws = Workspace::<f64>::new(g);
            let mut df1 = vec![0.0; d1];
            ws.total_leader_gradient(g, x, eta, &mut df1).map_err(|_| {
                EquilibriumError::Singular {
                    what: "D22 f2 + eta I",
                }
            })?;
            let lambda = ws.lambda().to_vec();
            let mut hbuf = vec![0.0; d2 * d2];
            g.d22f2(x, &mut hbuf);
            let mut h = DMatrix::from_row_slice(d2, d2, &hbuf);
            for i in 0..d2 {
                h[(i, i)] += eta;
            }
            let mut bbuf = vec![0.0; d2 * d1];
            g.d21f2(x, &mut bbuf);
            let b = DMatrix::from_row_slice(d2, d1, &bbuf);
            let (mut p1, mut p2, mut p3) =
                (vec![0.0; d1 * np], vec![0.0; d2 * np], vec![0.0; d2 * np]);
            g.d1p_phi(x, &lambda, &mut p1);
            g.d2p_f1(x, &mut p2);
            g.d2p_phi(x, &lambda, &mut p3);
            let m = DMatrix::from_row_slice(d2, np, &p2) - DMatrix::from_row_slice(d2, np, &p3);
            let y = h
                .transpose()
                .lu()
                .solve(&m)
                .ok_or(EquilibriumError::Singular {
                    what: "D22 f2 + eta I",
                })?;
            let block = top - DMatrix::from_row_slice(d1, np, &p1) - b.transpose() * y;
            out.view_mut((0, 0), (d1, np)).copy_from(&block);
        }
    }
    Ok(out)
}

/// d x*/d theta (n x NP) at a critical point `x` of `field`:
/// -J^-1 D_theta omega for [`Field::Simultaneous`] (Nash) and
/// -J_S^-1 D_theta omega_S for [`Field::Stackelberg`], the derivative of the
/// equilibrium along the branch through `x` as the params move (implicit
/// function theorem; `x` must be a non-degenerate critical point).
///
/// ```
/// use stackel_runtime::equilibria::{sensitivity, Field};
/// use stackel_testkit::games::Duopoly; // the README's duopoly, written with stackel_game!
///
/// let g = Duopoly::default(); // params (a, c1, c2)
/// let s = sensitivity(&g, &[46.0, 26.0], Field::STACKELBERG).unwrap();
/// // q1* = (a - 2 c1 + c2) / 2, q2* = (a - c2 - q1*) / 2
/// assert!((s[(0, 0)] - 0.5).abs() < 1e-12 && (s[(1, 0)] - 0.25).abs() < 1e-12);
/// assert!((s[(0, 1)] + 1.0).abs() < 1e-12 && (s[(1, 1)] - 0.5).abs() < 1e-12);
/// ```
pub fn sensitivity<G: Game>(
    g: &G,
    x: &[f64],
    field: Field,
) -> Result<DMatrix<f64>, EquilibriumError> {
    let n = g.n();
    super::check_point(x, n)?;
    let dp = field_param_jacobian(g, x, field)?;
    let mut jbuf = vec![0.0; n * n];
    let mut ws = Workspace::<f64>::new(g);
    let what = match field {
        Field::Simultaneous => {
            ws.jacobian(g, x, &mut jbuf)
                .map_err(|_| EquilibriumError::Singular { what: "J" })?;
            "J"
        }
        Field::Stackelberg { eta } => {
            ws.stackelberg_jacobian(g, x, eta, &mut jbuf).map_err(|_| {
                EquilibriumError::Singular {
                    what: "D22 f2 + eta I",
                }
            })?;
            "J_S"
        }
    };
    let j = DMatrix::from_row_slice(n, n, &jbuf);
    let sol = j
        .lu()
        .solve(&dp)
        .filter(|s| s.iter().all(|v| v.is_finite()))
        .ok_or(EquilibriumError::Singular { what })?;
    Ok(-sol)
}
