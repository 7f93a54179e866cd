//! The size of a game's WGSL study kernel as naga's IR counts it (with the
//! `gpu` feature).

#[cfg(feature = "gpu")]
use crate::game::Form;
use crate::game::Game;

/// What the report says about the game's WGSL kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WgslSummary {
    /// The game has no WGSL module ([`Game::wgsl`] is `None`).
    None,
    /// The game has one but the runtime was built without the `gpu`
    /// feature (naga is not linked): its size in bytes only.
    NotParsed {
        /// Length of the game's WGSL module.
        bytes: usize,
    },
    /// The two-timescale study kernel (f32, plain update, noise) built
    /// around the game's module, as naga reads it (`WgslStats::of_kernel`, `gpu` feature).
    Stats {
        /// The whole kernel.
        kernel: WgslStats,
        /// The functions (and private globals) the game's module defines.
        game: WgslStats,
    },
    /// naga rejected the kernel.
    Error(String),
}

/// A WGSL module's size as naga's IR counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WgslStats {
    /// Functions plus entry points.
    pub functions: usize,
    /// Expressions in their arenas.
    pub expressions: usize,
    /// Statements, nested blocks' included.
    pub statements: usize,
    /// Bytes of function-local variables (naga's sizes; each function's
    /// locals summed over the functions: an upper bound on what one
    /// invocation holds at once).
    pub local_bytes: u64,
    /// Bytes of `var<private>` globals (per invocation).
    pub private_bytes: u64,
}

impl WgslStats {
    /// The stats of the whole module `src` and of the part of it the game's
    /// module `game_wgsl` defines (functions named `fn NAME(` and
    /// globals `var<private> NAME` in it).
    #[cfg(feature = "gpu")]
    pub fn of_kernel(src: &str, game_wgsl: &str) -> Result<(WgslStats, WgslStats), String> {
        use naga::{AddressSpace, Block, Statement};
        fn statements(b: &Block) -> usize {
            b.iter()
                .map(|s| {
                    1 + match s {
                        Statement::Block(b) => statements(b),
                        Statement::If { accept, reject, .. } => {
                            statements(accept) + statements(reject)
                        }
                        Statement::Switch { cases, .. } => {
                            cases.iter().map(|c| statements(&c.body)).sum()
                        }
                        Statement::Loop {
                            body, continuing, ..
                        } => statements(body) + statements(continuing),
                        _ => 0,
                    }
                })
                .sum()
        }
        let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
        let size = |ty: naga::Handle<naga::Type>| -> u64 {
            u64::from(module.types[ty].inner.size(module.to_ctx()))
        };
        let in_game = |f: &naga::Function| {
            f.name
                .as_deref()
                .is_some_and(|n| game_wgsl.contains(&format!("fn {n}(")))
        };
        let functions: Vec<&naga::Function> = module
            .functions
            .iter()
            .map(|(_, f)| f)
            .chain(module.entry_points.iter().map(|e| &e.function))
            .collect();
        let stats = |pick: &dyn Fn(&naga::Function) -> bool, game_only: bool| WgslStats {
            functions: functions.iter().filter(|f| pick(f)).count(),
            expressions: functions
                .iter()
                .filter(|f| pick(f))
                .map(|f| f.expressions.len())
                .sum(),
            statements: functions
                .iter()
                .filter(|f| pick(f))
                .map(|f| statements(&f.body))
                .sum(),
            local_bytes: functions
                .iter()
                .filter(|f| pick(f))
                .flat_map(|f| f.local_variables.iter())
                .map(|(_, v)| size(v.ty))
                .sum(),
            private_bytes: module
                .global_variables
                .iter()
                .filter(|(_, g)| g.space == AddressSpace::Private)
                .filter(|(_, g)| {
                    !game_only
                        || g.name
                            .as_deref()
                            .is_some_and(|n| game_wgsl.contains(&format!("var<private> {n}")))
                })
                .map(|(_, g)| size(g.ty))
                .sum(),
        };
        Ok((stats(&|_| true, false), stats(&in_game, true)))
    }

    /// The two-timescale study kernel of `G` around `game_wgsl` (f32,
    /// plain update, noise; the loop-form kernel with its default Krylov
    /// options for loop-form games), as [`WgslStats::of_kernel`] reads it.
    #[cfg(feature = "gpu")]
    pub fn of_study_kernel<G: Game>(
        g: &G,
        game_wgsl: &str,
    ) -> Result<(WgslStats, WgslStats), String> {
        use crate::dynamics::Rule;
        use crate::gpu::kernel::{loops_kernel, study_kernel, KernelSpec, LoopSpec};
        use crate::gpu::Precision;
        let players = 1 + g.info().followers.len();
        let src = if g.info().form == Form::Unrolled {
            study_kernel(
                &KernelSpec {
                    precision: Precision::F32,
                    rule: Rule::TwoTimescale,
                    adam: false,
                    noise: true,
                    d1: g.d1(),
                    d2: g.d2(),
                    np: g.np(),
                    players,
                    small: false,
                },
                game_wgsl,
            )
        } else {
            loops_kernel(
                &LoopSpec {
                    precision: Precision::F32,
                    rule: Rule::TwoTimescale,
                    adam: false,
                    noise: true,
                    d1: g.d1(),
                    d2: g.d2(),
                    np: g.np(),
                    players,
                    krylov: crate::krylov::KrylovOptions::default(),
                    workgroup: false,
                },
                game_wgsl,
            )
        };
        WgslStats::of_kernel(&src, game_wgsl)
    }
}

impl WgslSummary {
    /// The summary of `g`'s WGSL module ([`Game::wgsl`]).
    pub fn of<G: Game>(g: &G) -> WgslSummary {
        match g.wgsl() {
            None => WgslSummary::None,
            #[cfg(feature = "gpu")]
            Some(s) => match WgslStats::of_study_kernel(g, s) {
                Ok((kernel, game)) => WgslSummary::Stats { kernel, game },
                Err(e) => WgslSummary::Error(e),
            },
            #[cfg(not(feature = "gpu"))]
            Some(s) => WgslSummary::NotParsed { bytes: s.len() },
        }
    }
}
