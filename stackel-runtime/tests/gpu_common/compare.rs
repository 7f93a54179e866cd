//! Comparing a GPU study with the CPU engine's run of the same study.
#![allow(dead_code)]

use stackel_runtime::record::StudyResult;
use stackel_runtime::{BlockFormula, Game, GameInfo, Real};
use std::f64::consts::PI;

/// Largest relative difference between two states (angles on the circle).
pub fn gap(a: &[f64], b: &[f64], angle: &[bool]) -> f64 {
    let mut worst = 0.0f64;
    for i in 0..a.len() {
        let mut d = a[i] - b[i];
        if angle[i] {
            d = (d + PI).rem_euclid(2.0 * PI) - PI;
        }
        worst = worst.max(d.abs() / (1.0 + a[i].abs()));
    }
    worst
}

/// Trajectories whose final states differ by more than `tol` or whose fates differ.
pub fn apart(cpu: &StudyResult, gpu: &StudyResult, tol: f64) -> Vec<usize> {
    assert_eq!(cpu.count, gpu.count);
    (0..cpu.count as usize)
        .filter(|&j| {
            cpu.fates[j] != gpu.fates[j]
                || gap(cpu.final_state(j), gpu.final_state(j), &cpu.angle) > tol
        })
        .collect()
}

/// Every trajectory agrees within `tol` and has the same fate.
pub fn assert_agree(cpu: &StudyResult, gpu: &StudyResult, tol: f64, what: &str) {
    let far = apart(cpu, gpu, tol);
    let worst = (0..cpu.count as usize)
        .map(|j| gap(cpu.final_state(j), gpu.final_state(j), &cpu.angle))
        .fold(0.0, f64::max);
    eprintln!(
        "{what}: {} trajectories, worst relative difference {worst:e}",
        cpu.count
    );
    assert!(far.is_empty(), "{what}: trajectories {far:?} differ");
}

/// For Stackelberg fields, which divide by the follower Hessian: every
/// trajectory agrees within `tol`, except ones that are sensitive to
/// rounding itself, i.e. where one of the CPU engine's own `probes` (the
/// same study with rounding-level changes: [`Rounded`] derivatives, eta
/// moved by an ulp-sized amount) also ends more than `tol` apart (near a
/// singular follower Hessian, or along unstable directions, one-ulp
/// differences grow); at most a fifth of all trajectories are that sensitive.
pub fn assert_agree_sensitive(
    cpu: &StudyResult,
    probes: &[StudyResult],
    gpu: &StudyResult,
    tol: f64,
    what: &str,
) {
    let far = apart(cpu, gpu, tol);
    let mut sensitive: Vec<usize> = probes.iter().flat_map(|p| apart(cpu, p, tol)).collect();
    sensitive.sort_unstable();
    sensitive.dedup();
    let unexplained: Vec<usize> = far
        .iter()
        .copied()
        .filter(|j| !sensitive.contains(j))
        .collect();
    eprintln!(
        "{what}: {} trajectories, {} apart from the CPU; {} sensitive to rounding",
        cpu.count,
        far.len(),
        sensitive.len()
    );
    assert!(
        unexplained.is_empty(),
        "{what}: trajectories {unexplained:?} differ from the CPU although they are not sensitive to rounding"
    );
    assert!(
        sensitive.len() * 5 <= cpu.count as usize,
        "{what}: {} of {} trajectories are sensitive to rounding: the case tests little",
        sensitive.len(),
        cpu.count
    );
}

/// A game whose blocks are `G`'s evaluated in the other precision (f32 for
/// an f64 caller, f64 for anything else) and rounded back: the same
/// derivatives with different rounding, to probe which trajectories are
/// sensitive to rounding.
#[derive(Clone, Debug)]
pub struct Rounded<G>(pub G);

macro_rules! rounded_blocks {
    ($($name:ident),*) => {$(
        fn $name<T: Real>(&self, x: &[T], out: &mut [T]) {
            if std::mem::size_of::<T>() == 8 {
                let xs: Vec<f32> = x.iter().map(|v| v.re() as f32).collect();
                let mut o = vec![0.0f32; out.len()];
                self.0.$name(&xs, &mut o);
                for (a, b) in out.iter_mut().zip(o) {
                    *a = T::of(b as f64);
                }
            } else {
                let xs: Vec<f64> = x.iter().map(|v| v.re()).collect();
                let mut o = vec![0.0f64; out.len()];
                self.0.$name(&xs, &mut o);
                for (a, b) in out.iter_mut().zip(o) {
                    *a = T::of(b);
                }
            }
        }
    )*};
}

macro_rules! rounded_phi_blocks {
    ($($name:ident),*) => {$(
        fn $name<T: Real>(&self, x: &[T], l: &[T], out: &mut [T]) {
            let xs: Vec<f64> = x.iter().map(|v| v.re()).collect();
            let ls: Vec<f64> = l.iter().map(|v| v.re()).collect();
            let mut o = vec![0.0f64; out.len()];
            self.0.$name(&xs, &ls, &mut o);
            for (a, b) in out.iter_mut().zip(o) {
                *a = T::of(b);
            }
        }
    )*};
}

impl<G: Game> Game for Rounded<G> {
    #[inline]
    fn d1(&self) -> usize {
        self.0.d1()
    }
    #[inline]
    fn d2(&self) -> usize {
        self.0.d2()
    }
    #[inline]
    fn np(&self) -> usize {
        self.0.np()
    }
    fn info(&self) -> &'static GameInfo {
        self.0.info()
    }
    fn params(&self, out: &mut [f64]) {
        self.0.params(out)
    }
    fn set_params(&mut self, p: &[f64]) {
        self.0.set_params(p)
    }
    fn leader_cost<T: Real>(&self, x: &[T]) -> T {
        self.0.leader_cost(x)
    }
    fn follower_cost<T: Real>(&self, i: usize, x: &[T]) -> T {
        self.0.follower_cost(i, x)
    }
    rounded_blocks!(
        d1f1, d2f1, d2f2, omega, d11f1, d12f1, d22f1, d22f2, d21f2, d1p_f1, d2p_f1, d2p_f2
    );
    rounded_phi_blocks!(d11phi, d12phi, d21phi, d22phi, d1p_phi, d2p_phi);
    fn formulas(&self) -> Vec<BlockFormula> {
        self.0.formulas()
    }
}
