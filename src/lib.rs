//! # stackel
//!
//! Learning dynamics in Stackelberg (leader-follower) games. Write the
//! players' costs as math in [`stackel_game!`]; the macro differentiates them
//! symbolically at compile time and emits specialised code for every
//! derivative block; the runtime drives those blocks through simultaneous
//! gradient play and two-timescale Stackelberg learning, over many noisy
//! trajectories at once, and finds and classifies equilibria.
//!
//! `use stackel::prelude::*;` is all a user needs:
//!
//! ```
//! use stackel::prelude::*;
//!
//! stackel_game! {
//!     /// Cournot duopoly; firm 1 leads.
//!     pub game Duopoly {
//!         param a = 100.0;
//!         param c1 = 5.0;
//!         param c2 = 2.0;
//!         leader q1;
//!         follower q2;
//!         let price = a - q1 - q2;
//!         cost q1 = -(price - c1) * q1;
//!         cost q2 = -(price - c2) * q2;
//!     }
//! }
//!
//! let result = Study::new(
//!     Duopoly::default(),
//!     Dynamics::two_timescale(
//!         Schedule::inverse_shifted_power(1.0).exponent(1.0).shift(1.0), // 1/(k + 1)
//!         Schedule::inverse_shifted_power(1.0).exponent(2.0 / 3.0).shift(1.0), // 1/(k^(2/3) + 1)
//!     ),
//! )
//! .trajectories(200)
//! .steps(2_000)
//! .noise(Noise::variance(10.0))
//! .init(Init::Point(vec![10.0, 10.0]))
//! .run::<f64>()?;
//! // the Stackelberg point q1 = (a - 2 c1 + c2) / 2 = 46, q2 = (a - c2 - q1) / 2 = 26
//! let m = &result.summary.mean;
//! assert!((m[0] - 46.0).abs() < 0.5 && (m[1] - 26.0).abs() < 0.5);
//! # Ok::<(), StudyError>(())
//! ```
//!
//! The language inside the macro is documented in [`dsl`]; runnable
//! programs are in the repository's `examples/` folder.
#![warn(missing_docs)]

/// Compiles a game written as math ([`dsl`]) into a struct implementing
/// [`Game`] with exact, simplified derivative code for every block.
///
/// Params become public fields (settable at run time) and the struct gets
/// `Default` when every param has a default:
///
/// ```
/// use stackel::prelude::*;
///
/// stackel_game! {
///     /// A quadratic game: the follower tracks the leader, the leader
///     /// trades its own target against the follower's position.
///     pub game Track {
///         param t = 1.0;
///         leader x;
///         follower y;
///         cost x = (x - t)^2 + x * y;
///         cost y = (y - x)^2;
///     }
/// }
///
/// let mut g = Track::default();
/// g.t = 2.0;
/// let (x, mut d1f1, mut d22f2) = ([0.5, -1.0], [0.0], [0.0]);
/// g.d1f1(&x, &mut d1f1); // D1 f1 = 2 (x - t) + y
/// g.d22f2(&x, &mut d22f2); // D22 f2 = 2
/// assert_eq!((d1f1[0], d22f2[0]), (2.0 * (0.5 - 2.0) - 1.0, 2.0));
/// // the same blocks as a person reads them
/// let text: Vec<String> = g.formulas().iter().flat_map(|b| b.entries.iter().map(|e| e.to_string())).collect();
/// assert!(text.contains(&"D22f2[0,0] = 2".to_string()), "{text:?}");
/// ```
pub use stackel_macros::stackel_game;
/// A game's cost report (operation counts per block, flops per step); see [`cost`].
pub use stackel_runtime::cost::CostReport;
pub use stackel_runtime::*;

// The items a user meets, each with an example on a macro game (the
// runtime's own docs use hand-written games); they shadow the glob above.

/// A Monte-Carlo study: a game, its [`Dynamics`], N trajectories of K
/// steps, [`Noise`], [`Init`], a seed and what to [`Record`].
///
/// The same seed gives the same result bit for bit, whatever the threads,
/// chunks or shards (`Duopoly` is the README's game):
///
/// ```
/// # use stackel::prelude::*;
/// # stackel_game! {
/// #     pub game Duopoly {
/// #         param a = 100.0;
/// #         param c1 = 5.0;
/// #         param c2 = 2.0;
/// #         leader q1;
/// #         follower q2;
/// #         let price = a - q1 - q2;
/// #         cost q1 = -(price - c1) * q1;
/// #         cost q2 = -(price - c2) * q2;
/// #     }
/// # }
/// let study = Study::new(
///     Duopoly::default(),
///     Dynamics::simultaneous(Schedule::inverse_power(1.0).offset(10.0).exponent(1.0)),
/// )
/// .trajectories(300)
/// .steps(500)
/// .noise(Noise::variance(1.0))
/// .init(Init::Box { lo: vec![0.0, 0.0], hi: vec![60.0, 60.0] })
/// .seed(7);
/// let whole = study.run::<f64>()?;
/// let shards = (0..3).map(|i| study.clone().shard(i, 3).run::<f64>()).collect::<Result<Vec<_>, _>>()?;
/// assert_eq!(StudyResult::merge(shards).unwrap(), whole);
/// // simultaneous play ends near the Nash point ((a - 2 c1 + c2) / 3, (a - 2 c2 + c1) / 3)
/// let m = &whole.summary.mean;
/// assert!((m[0] - 92.0 / 3.0).abs() < 0.5 && (m[1] - 101.0 / 3.0).abs() < 0.5, "{m:?}");
/// # Ok::<(), StudyError>(())
/// ```
pub use stackel_runtime::Study;

/// An update rule with its step-size [`Schedule`]s: simultaneous gradient
/// play x_i <- x_i - gamma_i,k (D_i f_i + w_i), two-timescale Stackelberg
/// learning (the leader follows Df1 = D1 f1 - D21f2^T (D22 f2)^-1 D2 f1),
/// a best-responding follower, or LOLA.
///
/// Without noise, simultaneous play ends at the Nash point and Stackelberg
/// learning at the Stackelberg point:
///
/// ```
/// # use stackel::prelude::*;
/// # stackel_game! {
/// #     pub game Duopoly {
/// #         param a = 100.0;
/// #         param c1 = 5.0;
/// #         param c2 = 2.0;
/// #         leader q1;
/// #         follower q2;
/// #         let price = a - q1 - q2;
/// #         cost q1 = -(price - c1) * q1;
/// #         cost q2 = -(price - c2) * q2;
/// #     }
/// # }
/// let run = |d: Dynamics| {
///     Study::new(Duopoly::default(), d).trajectories(1).steps(3_000).noise(Noise::none())
///         .init(Init::Point(vec![10.0, 10.0])).run::<f64>()
/// };
/// let gamma = Schedule::constant(0.1);
/// let nash = run(Dynamics::simultaneous(gamma))?;
/// assert!((nash.final_state(0)[0] - 92.0 / 3.0).abs() < 1e-9);
/// let stackelberg = run(Dynamics::two_timescale(gamma, gamma))?;
/// assert!((stackelberg.final_state(0)[0] - 46.0).abs() < 1e-9);
/// // gamma1 = o(gamma2) is the two-timescale condition; a warning says when it fails
/// let (k1, k23) = (Schedule::inverse_power(1.0), Schedule::inverse_power(1.0).exponent(2.0 / 3.0));
/// assert!(Dynamics::two_timescale(k1, k23).warnings().is_empty());
/// assert!(!Dynamics::two_timescale(k23, k1).warnings().is_empty());
/// # Ok::<(), StudyError>(())
/// ```
pub use stackel_runtime::Dynamics;

/// What a study records besides the final states: thinned paths, the
/// distance to a target with each trajectory's lock-in step, basins.
///
/// ```
/// # use stackel::prelude::*;
/// # stackel_game! {
/// #     pub game Duopoly {
/// #         param a = 100.0;
/// #         param c1 = 5.0;
/// #         param c2 = 2.0;
/// #         leader q1;
/// #         follower q2;
/// #         let price = a - q1 - q2;
/// #         cost q1 = -(price - c1) * q1;
/// #         cost q2 = -(price - c2) * q2;
/// #     }
/// # }
/// let r = Study::new(Duopoly::default(), Dynamics::two_timescale(Schedule::constant(0.05), Schedule::constant(0.2)))
///     .trajectories(10)
///     .steps(1_000)
///     .noise(Noise::none())
///     .init(Init::Point(vec![10.0, 10.0]))
///     .record(Record::finals().paths(250, Some(2)).target(vec![46.0, 26.0], 0.1, 100))
///     .run::<f64>()?;
/// // paths of trajectories 0 and 1 after 0, 250, 500, 750, 1000 steps
/// assert_eq!(r.paths.len(), 2);
/// assert_eq!(r.paths[0].steps, [0, 250, 500, 750, 1000]);
/// assert_eq!(&r.paths[0].states[..2], [10.0, 10.0]);
/// // every trajectory locks in within 0.1 of the Stackelberg point
/// assert!(r.lock_in.iter().all(|k| k.is_some_and(|k| k < 1_000)));
/// # Ok::<(), StudyError>(())
/// ```
pub use stackel_runtime::Record;

/// Everything a study (or a shard of it) produced: final states, fates,
/// what was recorded and a [`record::Summary`]; it merges with the other
/// shards of its study and reads and writes CSV and JSON.
///
/// ```
/// # use stackel::prelude::*;
/// # stackel_game! {
/// #     pub game Duopoly {
/// #         param a = 100.0;
/// #         param c1 = 5.0;
/// #         param c2 = 2.0;
/// #         leader q1;
/// #         follower q2;
/// #         let price = a - q1 - q2;
/// #         cost q1 = -(price - c1) * q1;
/// #         cost q2 = -(price - c2) * q2;
/// #     }
/// # }
/// let study = Study::new(Duopoly::default(), Dynamics::simultaneous(Schedule::constant(0.1)))
///     .trajectories(4)
///     .steps(100)
///     .noise(Noise::variance(1.0));
/// let r: StudyResult = study.run::<f64>()?;
/// assert_eq!((r.count, r.dim(), r.summary.finished), (4, 2, 4));
/// assert_eq!(StudyResult::from_json(&r.to_json().unwrap()).unwrap(), r);
/// let mut csv = Vec::new();
/// r.write_csv(&mut csv).unwrap();
/// let csv = String::from_utf8(csv).unwrap();
/// assert!(csv.starts_with("trajectory,fate,fate_step,q1,q2"));
/// assert_eq!(csv.lines().count(), 5);
/// // a result of another study does not merge with it
/// let other = study.seed(2).shard(1, 2).run::<f64>()?;
/// let first = Study::new(Duopoly::default(), Dynamics::simultaneous(Schedule::constant(0.1)))
///     .trajectories(4).steps(100).noise(Noise::variance(1.0)).shard(0, 2).run::<f64>()?;
/// assert!(StudyResult::merge(vec![first, other]).is_err());
/// # Ok::<(), StudyError>(())
/// ```
pub use stackel_runtime::StudyResult;

/// A game: the trait `stackel_game!` implements, with its costs and every
/// derivative block (D1 f1, D2 f2, D22 f2, D21 f2, ... and the phi blocks
/// of the Stackelberg Jacobian), generic over the number type.
///
/// The generated gradient agrees with central differences of the cost:
///
/// ```
/// use stackel::prelude::*;
///
/// stackel_game! {
///     pub game Smooth {
///         param b = 0.5;
///         leader x: [2];
///         follower y;
///         cost x = exp(-x[0]^2) * sin(x[1] * y) + b * x[0] * x[1];
///         cost y = (y - x[0])^2 + ln(1.0 + x[1]^2) * y;
///     }
/// }
///
/// let g = Smooth::default();
/// let x = [0.3, -0.7, 1.1];
/// let mut d1f1 = [0.0; 2];
/// g.d1f1(&x, &mut d1f1);
/// let h = 1e-6;
/// for i in 0..2 {
///     let (mut up, mut down) = (x, x);
///     up[i] += h;
///     down[i] -= h;
///     let fd = (g.leader_cost(&up) - g.leader_cost(&down)) / (2.0 * h);
///     assert!((fd - d1f1[i]).abs() < 1e-8, "{i}: {fd} vs {}", d1f1[i]);
/// }
/// assert_eq!((Smooth::D1, Smooth::D2, Smooth::N, Smooth::NP), (2, 1, 3, 1));
/// assert_eq!(g.info().leader.name, "x");
/// ```
pub use stackel_runtime::Game;

/// Scratch space for the block algebra of one game: the implicit map's
/// Jacobian Dr = -(D22 f2)^-1 D21 f2, the total leader gradient
/// Df1 = D1 f1 - D21f2^T (D22 f2 + eta I)^-T D2 f1, omega_S, J, J_S.
///
/// For the duopoly Df1 = 2 q1 + q2 - a + c1 - q1 / 2, zero at q1 = 46 on the
/// follower's best response q2 = 26:
///
/// ```
/// # use stackel::prelude::*;
/// # stackel_game! {
/// #     pub game Duopoly {
/// #         param a = 100.0;
/// #         param c1 = 5.0;
/// #         param c2 = 2.0;
/// #         leader q1;
/// #         follower q2;
/// #         let price = a - q1 - q2;
/// #         cost q1 = -(price - c1) * q1;
/// #         cost q2 = -(price - c2) * q2;
/// #     }
/// # }
/// let g = Duopoly::default();
/// let mut ws = Workspace::<f64>::new(&g);
/// let mut df1 = [0.0];
/// ws.total_leader_gradient(&g, &[46.0, 26.0], 0.0, &mut df1).unwrap();
/// assert!(df1[0].abs() < 1e-12);
/// ws.total_leader_gradient(&g, &[10.0, 20.0], 0.0, &mut df1).unwrap();
/// assert!((df1[0] - (20.0 + 20.0 - 100.0 + 5.0 - 5.0)).abs() < 1e-12);
/// let mut dr = [0.0];
/// ws.implicit_map_jacobian(&g, &[10.0, 20.0], 0.0, &mut dr).unwrap();
/// assert!((dr[0] + 0.5).abs() < 1e-15); // r(q1) = (a - c2 - q1) / 2
/// ```
pub use stackel_runtime::Workspace;

/// The `stackel_game!` language: players, params, consts, lets, sums,
/// indexing, angles, functions and every compile error (the repository's
/// `docs/dsl.md`).
#[doc = include_str!("../docs/dsl.md")]
pub mod dsl {}

/// Everything a user of `stackel_game!` needs in scope: the macro, the
/// [`Game`] trait, and the study builder with its parts ([`Study`],
/// [`Dynamics`], [`Schedule`], [`Noise`], [`Init`], [`Record`],
/// [`StudyResult`], [`Engine`]) and the equilibrium report.
pub mod prelude {
    pub use crate::{Dynamics, Game, Record, Study, StudyResult, Workspace};
    pub use stackel_macros::stackel_game;
    pub use stackel_runtime::hierarchy::{find_staggered, Hierarchy, HierarchyError};
    pub use stackel_runtime::prelude::*;
}

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
