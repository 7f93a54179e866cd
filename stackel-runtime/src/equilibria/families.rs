//! Continuous families of critical points: the finder's distinct points
//! grouped by a key that is constant along a family (an invariant of the
//! game's symmetries, or the costs and spectra), each reported once with its
//! multiplicity and the dimension of its tangent, dim null(DF).

use nalgebra::DMatrix;
use serde::Serialize;

use super::classify::{classify, ClassifyOptions, Eig};
use super::find::{FieldEval, Found};
use super::spectrum::symmetric_eigenvalues;
use super::{EquilibriumError, Field};
use crate::game::Game;

/// What identifies the members of one family.
#[derive(Clone, Copy)]
pub enum FamilyKey<'a> {
    /// (f1, f_{2^i}, spec J, spec J_S) at the point: unchanged along an
    /// orbit of a symmetry of the game (the costs are invariant, the
    /// Jacobians are similar). Costs are compared entry by entry, spectra as
    /// multisets (each eigenvalue matched to a distinct one within the
    /// tolerance), so ties in the order of eigenvalues do not matter.
    CostsAndSpectra,
    /// A user's invariant, e.g. V V^T for a game symmetric under V -> V Q.
    Invariant(&'a (dyn Fn(&[f64]) -> Vec<f64> + Sync)),
}

impl std::fmt::Debug for FamilyKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FamilyKey::CostsAndSpectra => f.write_str("CostsAndSpectra"),
            FamilyKey::Invariant(_) => f.write_str("Invariant(..)"),
        }
    }
}

/// Settings of [`group_families`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FamilyOptions {
    /// Two keys are equal when max_i |k_i - l_i| <= `key_tol (1 + s)`, s the
    /// larger max_i |k_i| of the two (spectra matched as multisets).
    pub key_tol: f64,
    /// A singular value s of DF counts as zero (a tangent direction) when
    /// s <= `null_tol * s_max`.
    pub null_tol: f64,
}

impl Default for FamilyOptions {
    fn default() -> Self {
        FamilyOptions {
            key_tol: 1e-6,
            null_tol: 1e-7,
        }
    }
}

/// One family of critical points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Family {
    /// The member with the smallest residual.
    pub x: Vec<f64>,
    /// The key of the representative, flattened (the plain values, then
    /// each spectrum as (re, im) pairs).
    pub key: Vec<f64>,
    /// How many of the finder's distinct points belong to the family.
    pub multiplicity: usize,
    /// Indices of those points in [`Found::points`].
    pub members: Vec<usize>,
    /// Starts that reached the family.
    pub hits: usize,
    /// dim null(DF) at the representative (DF = J or J_S, the Jacobian of
    /// the solved field): 0 for an isolated point, the family's dimension
    /// for a smooth family of critical points.
    pub tangent_dim: usize,
    /// Singular values of DF at the representative, descending.
    pub singular_values: Vec<f64>,
}

/// A key: plain values compared entry by entry, then spectra compared as
/// multisets.
struct Key {
    plain: Vec<f64>,
    spectra: Vec<Vec<Eig>>,
}

impl Key {
    fn flat(&self) -> Vec<f64> {
        let mut k = self.plain.clone();
        for e in self.spectra.iter().flatten() {
            k.push(e.re);
            k.push(e.im);
        }
        k
    }

    fn scale(&self) -> f64 {
        self.flat().iter().fold(0.0f64, |m, v| m.max(v.abs()))
    }

    /// Equal within `tol (1 + scale)` (the larger scale of the two).
    fn same(&self, other: &Key, tol: f64) -> bool {
        let t = tol * (1.0 + self.scale().max(other.scale()));
        self.plain.len() == other.plain.len()
            && self.spectra.len() == other.spectra.len()
            && self
                .plain
                .iter()
                .zip(&other.plain)
                .all(|(a, b)| (a - b).abs() <= t)
            && self
                .spectra
                .iter()
                .zip(&other.spectra)
                .all(|(a, b)| same_multiset(a, b, t))
    }
}

/// Every eigenvalue of `a` matched to a distinct one of `b` within `t`.
fn same_multiset(a: &[Eig], b: &[Eig], t: f64) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(|e| {
        let best = b
            .iter()
            .enumerate()
            .filter(|(j, _)| !used[*j])
            .map(|(j, f)| (j, (e.re - f.re).abs().max((e.im - f.im).abs())))
            .min_by(|x, y| x.1.total_cmp(&y.1));
        match best {
            Some((j, d)) if d <= t => {
                used[j] = true;
                true
            }
            _ => false,
        }
    })
}

fn key_of<G: Game>(
    g: &G,
    x: &[f64],
    key: FamilyKey<'_>,
    field: Field,
) -> Result<Key, EquilibriumError> {
    Ok(match key {
        FamilyKey::Invariant(f) => Key {
            plain: f(x),
            spectra: Vec::new(),
        },
        FamilyKey::CostsAndSpectra => {
            let opts = ClassifyOptions {
                eta: match field {
                    Field::Stackelberg { eta } => eta,
                    Field::Simultaneous => 0.0,
                },
                ..Default::default()
            };
            let c = classify(g, x, &opts)?;
            let mut spectra = vec![c.spectra.j];
            spectra.extend(c.spectra.j_s);
            Key {
                plain: c.costs,
                spectra,
            }
        }
    })
}

/// Groups the points of `found` (of game `g`) into families whose members
/// share a key (see [`FamilyKey`]); families are in order of their first
/// member. The tangent dimension is the number of singular values of the
/// solved field's Jacobian below `null_tol * s_max` at the representative
/// (nalgebra's SVD with an iteration bound; else the square roots of the
/// bounded eigenvalues of DF^T DF).
///
/// For a family of critical points x(t) of a field F, F(x(t)) = 0 gives
/// DF x'(t) = 0, so the tangent lies in null(DF): on a smooth orbit of a
/// k-dimensional symmetry group, dim null(DF) >= k, with equality when the
/// orbit is non-degenerate.
pub fn group_families<G: Game>(
    g: &G,
    found: &Found,
    key: FamilyKey<'_>,
    opts: &FamilyOptions,
) -> Result<Vec<Family>, EquilibriumError> {
    let n = g.n();
    let mut keys = Vec::with_capacity(found.points.len());
    for p in &found.points {
        keys.push(key_of(g, &p.x, key, found.field)?);
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|gr| keys[gr[0]].same(k, opts.key_tol))
        {
            Some(gr) => gr.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut ev = FieldEval::new(g, found.field);
    let mut jac = vec![0.0; n * n];
    groups
        .into_iter()
        .map(|members| {
            let rep = *members
                .iter()
                .min_by(|&&a, &&b| {
                    found.points[a]
                        .residual
                        .total_cmp(&found.points[b].residual)
                })
                .expect("a group has a member");
            let x = found.points[rep].x.clone();
            ev.jacobian(&x, &mut jac)
                .map_err(|_| EquilibriumError::Singular {
                    what: "D22 f2 + eta I",
                })?;
            let j = DMatrix::from_row_slice(n, n, &jac);
            let mut sv: Vec<f64> = match nalgebra::SVD::try_new(
                j.clone(),
                false,
                false,
                f64::EPSILON,
                60 * n.max(1),
            ) {
                Some(s) => s.singular_values.iter().copied().collect(),
                // bounded fallback: sqrt of the eigenvalues of DF^T DF
                None => symmetric_eigenvalues(&(j.transpose() * &j), "DF^T DF")?
                    .into_iter()
                    .map(|l| l.max(0.0).sqrt())
                    .collect(),
            };
            sv.sort_by(|a, b| b.total_cmp(a));
            let smax = sv.first().copied().unwrap_or(0.0);
            let tangent_dim = sv.iter().filter(|&&s| s <= opts.null_tol * smax).count();
            Ok(Family {
                key: keys[rep].flat(),
                x,
                multiplicity: members.len(),
                hits: members.iter().map(|&m| found.points[m].hits).sum(),
                members,
                tangent_dim,
                singular_values: sv,
            })
        })
        .collect()
}
