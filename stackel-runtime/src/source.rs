//! The costs as written in the DSL, kept by the compiler for diagnostics
//! ([`Game::source`](crate::Game::source)), and an interpreter over them.
//!
//! A [`GameSource`] is every cost and let of a game as a program of
//! [`SourceNode`]s in evaluation order (children before their parent), each
//! with its operation ([`Op`]), its children and its place in the user's
//! file ([`SourceSpan`]: line, column and the subexpression's text).
//! Reductions stay loops: a `sum(i in 0..n) body` is one [`Op::Sum`] node
//! whose body is evaluated once per value of its loop variable, and the
//! body's nodes have one value per iteration (their *instances*). Lets are
//! arrays over their own indices, computed once before the costs.
//!
//! [`GameSource::evaluate`] interprets the program at a state in any
//! [`Real`] (`f32`, `f64`, [`crate::Tangent`] numbers for directional
//! derivatives), returning every instance of every node:
//!
//! ```
//! use stackel_runtime::Game;
//! use stackel_testkit::games::Duopoly; // the README's duopoly, written with stackel_game!
//!
//! let g = Duopoly::default();
//! let src = g.source().expect("macro games keep their source");
//! let mut p = [0.0; 3];
//! g.params(&mut p);
//! let x = [10.0, 20.0];
//! let ev = src.evaluate(&x, &p).unwrap();
//! assert_eq!(ev.cost(src, 0), g.leader_cost(&x));
//! // the f32 values of the same nodes, for a precision audit
//! let ev32 = src.evaluate(&[10.0f32, 20.0], &p).unwrap();
//! assert_eq!(ev32.values.len(), src.nodes.len());
//! ```

use crate::real::Real;
use std::fmt;

/// A game's costs as written (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GameSource {
    /// The file holding the `stackel_game!` invocation, as the compiler
    /// names it (e.g. `tests/trace.rs`).
    pub file: &'static str,
    /// Every node, children before their parent.
    pub nodes: &'static [SourceNode],
    /// The loop variables (reduction and tensor-let indices), by slot.
    pub loops: &'static [LoopVar],
    /// The lets the costs use, in declaration order.
    pub lets: &'static [LetSource],
    /// Root node of each player's cost (0 the leader, 1.. the followers).
    pub costs: &'static [u32],
    /// Entries of the state slice the program reads (N + ND).
    pub state_len: usize,
    /// Entries of the flat param vector.
    pub param_len: usize,
}

/// One node of a [`GameSource`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SourceNode {
    /// What it computes.
    pub op: Op,
    /// Its operands (node ids, all smaller than this node's); a reduction's
    /// one child is its body.
    pub children: &'static [u32],
    /// Where it is written.
    pub span: SourceSpan,
    /// Slots of the loops around it, outermost first (its instances are
    /// their values in lexicographic order).
    pub loops: &'static [u32],
}

/// A place in the user's source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceSpan {
    /// Line (1-based) of the subexpression's first token.
    pub line: u32,
    /// Column (1-based, in characters) of that token.
    pub column: u32,
    /// The subexpression in DSL syntax (normalised spacing and parentheses).
    pub text: &'static str,
}

/// A loop variable: a reduction's index or a tensor let's own index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopVar {
    /// Its name in the DSL.
    pub name: &'static str,
    /// First value.
    pub lo: i64,
    /// End (exclusive).
    pub hi: i64,
}

/// A let kept as an array over its own indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LetSource {
    /// Its name in the DSL.
    pub name: &'static str,
    /// Slots of its own indices (empty for a scalar let).
    pub indices: &'static [u32],
    /// Root node of its body.
    pub root: u32,
}

/// Where a [`Op::Load`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// The state slice x (players' entries, then data inputs).
    State,
    /// The flat params.
    Param,
    /// Let `.0`'s array (row-major over its indices, each from its `lo`).
    Let(u32),
}

/// The DSL's one-argument functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Function {
    Exp,
    Ln,
    Sqrt,
    Sin,
    Cos,
    Tan,
    Tanh,
    Sigmoid,
    Softplus,
    Abs,
    Relu,
}

impl Function {
    /// The DSL name.
    pub fn name(self) -> &'static str {
        use Function::*;
        match self {
            Exp => "exp",
            Ln => "ln",
            Sqrt => "sqrt",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Tanh => "tanh",
            Sigmoid => "sigmoid",
            Softplus => "softplus",
            Abs => "abs",
            Relu => "relu",
        }
    }

    /// f(u) in `T`.
    pub fn apply<T: Real>(self, u: T) -> T {
        use Function::*;
        match self {
            Exp => u.exp(),
            Ln => u.ln(),
            Sqrt => u.sqrt(),
            Sin => u.sin(),
            Cos => u.cos(),
            Tan => u.tan(),
            Tanh => u.tanh(),
            Sigmoid => u.sigmoid(),
            Softplus => u.softplus(),
            Abs => Real::abs(u),
            Relu => u.relu(),
        }
    }
}

/// A node's operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// A constant (literals, `pi`, consts, desugaring constants).
    Num(f64),
    /// `store[base + sum of stride * loop value]`, one `(slot, stride)` per term.
    Load {
        /// Where it reads.
        store: Store,
        /// Constant part of the flat index.
        base: i64,
        /// `(slot, stride)` pairs.
        terms: &'static [(u32, i64)],
    },
    /// A loop variable's value plus `offset`, used as a number.
    Index {
        /// The loop's slot.
        slot: u32,
        /// Added to its value.
        offset: i64,
    },
    /// -a
    Neg,
    /// a + b
    Add,
    /// a - b
    Sub,
    /// a * b
    Mul,
    /// a / b
    Div,
    /// a ^ b (`powi` for a constant integer exponent, else `powf`).
    Pow,
    /// f(a)
    Unary(Function),
    /// min(a, b) (a on ties)
    Min,
    /// max(a, b) (a on ties)
    Max,
    /// The sum of the body over `slot = lo..hi`.
    Sum {
        /// The loop's slot.
        slot: u32,
        /// First value.
        lo: i64,
        /// End (exclusive).
        hi: i64,
    },
    /// The largest (`max`) or smallest body over `slot = lo..hi` (the first on ties).
    Fold {
        /// Largest (true) or smallest.
        max: bool,
        /// The loop's slot.
        slot: u32,
        /// First value.
        lo: i64,
        /// End (exclusive; lo < hi).
        hi: i64,
    },
}

impl Op {
    /// A short name of the operation (`+`, `ln`, `sum`, `load`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Num(_) => "const",
            Op::Load { .. } => "load",
            Op::Index { .. } => "index",
            Op::Neg => "neg",
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Pow => "^",
            Op::Unary(f) => f.name(),
            Op::Min => "min",
            Op::Max => "max",
            Op::Sum { .. } => "sum",
            Op::Fold { max: true, .. } => "max-fold",
            Op::Fold { max: false, .. } => "min-fold",
        }
    }
}

/// Wrong input lengths for [`GameSource::evaluate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceError {
    /// The state slice is shorter than N + ND.
    State {
        /// Entries needed.
        needed: usize,
        /// Entries given.
        got: usize,
    },
    /// The param slice is shorter than NP.
    Params {
        /// Entries needed.
        needed: usize,
        /// Entries given.
        got: usize,
    },
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::State { needed, got } => {
                write!(f, "the state has {got} entries; the game reads {needed}")
            }
            SourceError::Params { needed, got } => {
                write!(f, "the params have {got} entries; the game reads {needed}")
            }
        }
    }
}

impl std::error::Error for SourceError {}

/// Every instance of every node at one point ([`GameSource::evaluate`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation<T> {
    /// `values[n]`: the instances of node `n`, in evaluation order (the
    /// values of its loops in lexicographic order, see
    /// [`GameSource::instance`]).
    pub values: Vec<Vec<T>>,
}

impl<T: Copy> Evaluation<T> {
    /// Player `p`'s cost (0 the leader, 1.. the followers).
    pub fn cost(&self, source: &GameSource, p: usize) -> T {
        self.values[source.costs[p] as usize][0]
    }
}

/// One node instance as the interpreter visits it.
pub(crate) struct Visit<'a, T> {
    /// The node.
    pub node: u32,
    /// Its value.
    pub value: T,
    /// Its operands' values (empty for leaves and reductions).
    pub args: &'a [T],
    /// The loop variables' current values, by slot.
    pub env: &'a [i64],
}

impl GameSource {
    /// Every instance of every node at state `x` (len >= N + ND) and flat
    /// params `params` (len >= NP): the lets, then the costs.
    pub fn evaluate<T: Real>(&self, x: &[T], params: &[f64]) -> Result<Evaluation<T>, SourceError> {
        let mut values = vec![Vec::new(); self.nodes.len()];
        let roots: Vec<usize> = (0..self.costs.len()).collect();
        self.run(x, params, &roots, &mut |v: Visit<'_, T>| {
            values[v.node as usize].push(v.value);
            false
        })?;
        Ok(Evaluation { values })
    }

    /// Player `p`'s cost at `x` with flat params `params` (the lets it uses
    /// computed first).
    pub fn cost<T: Real>(&self, p: usize, x: &[T], params: &[f64]) -> Result<T, SourceError> {
        let mut out = T::zero();
        let root = self.costs[p];
        self.run(x, params, &[p], &mut |v: Visit<'_, T>| {
            if v.node == root {
                out = v.value;
            }
            false
        })?;
        Ok(out)
    }

    /// The loop values of instance `k` of `node`: `(name, value)` per loop
    /// around it, outermost first.
    pub fn instance(&self, node: u32, mut k: usize) -> Vec<(&'static str, i64)> {
        let loops = self.nodes[node as usize].loops;
        let mut out = vec![("", 0); loops.len()];
        for (at, &s) in loops.iter().enumerate().rev() {
            let l = self.loops[s as usize];
            let n = (l.hi - l.lo).max(1) as usize;
            out[at] = (l.name, l.lo + (k % n) as i64);
            k /= n;
        }
        out
    }

    /// Interprets the lets that the costs of `players` use, then those
    /// costs, calling `visit` on every node instance in evaluation order;
    /// stops early when `visit` returns true.
    pub(crate) fn run<T: Real>(
        &self,
        x: &[T],
        params: &[f64],
        players: &[usize],
        visit: &mut dyn FnMut(Visit<'_, T>) -> bool,
    ) -> Result<(), SourceError> {
        if x.len() < self.state_len {
            return Err(SourceError::State {
                needed: self.state_len,
                got: x.len(),
            });
        }
        if params.len() < self.param_len {
            return Err(SourceError::Params {
                needed: self.param_len,
                got: params.len(),
            });
        }
        let used = self.lets_used(players);
        let mut cx = Interp {
            src: self,
            x,
            params,
            lets: vec![Vec::new(); self.lets.len()],
            env: vec![0; self.loops.len()],
            visit,
            stop: false,
        };
        for (l, def) in self.lets.iter().enumerate() {
            if !used[l] {
                continue;
            }
            let mut arr = Vec::new();
            cx.let_entries(def, 0, &mut arr);
            cx.lets[l] = arr;
            if cx.stop {
                return Ok(());
            }
        }
        for &p in players {
            cx.eval(self.costs[p]);
            if cx.stop {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The value of node `n` when it is a constant integer exponent (`2`,
    /// `-1`), as the compiler's `powi`.
    fn integer(&self, n: u32) -> Option<i32> {
        let node = &self.nodes[n as usize];
        match node.op {
            Op::Num(e) if e.fract() == 0.0 && e.abs() <= f64::from(i32::MAX) => Some(e as i32),
            Op::Neg => self.integer(node.children[0]).map(|e| -e),
            _ => None,
        }
    }

    /// Which lets the costs of `players` reach (transitively).
    fn lets_used(&self, players: &[usize]) -> Vec<bool> {
        let mut used = vec![false; self.lets.len()];
        let mut stack: Vec<u32> = players.iter().map(|&p| self.costs[p]).collect();
        let mut seen = vec![false; self.nodes.len()];
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut seen[n as usize], true) {
                continue;
            }
            let node = &self.nodes[n as usize];
            if let Op::Load {
                store: Store::Let(l),
                ..
            } = node.op
            {
                if !used[l as usize] {
                    used[l as usize] = true;
                    stack.push(self.lets[l as usize].root);
                }
            }
            stack.extend_from_slice(node.children);
        }
        used
    }
}

/// The interpreter's state.
struct Interp<'s, 'v, T> {
    src: &'s GameSource,
    x: &'s [T],
    params: &'s [f64],
    lets: Vec<Vec<T>>,
    env: Vec<i64>,
    visit: &'v mut dyn FnMut(Visit<'_, T>) -> bool,
    stop: bool,
}

impl<T: Real> Interp<'_, '_, T> {
    /// Let `def`'s entries from its index `at` on (row-major), appended.
    fn let_entries(&mut self, def: &LetSource, at: usize, out: &mut Vec<T>) {
        let Some(&slot) = def.indices.get(at) else {
            out.push(self.eval(def.root));
            return;
        };
        let l = self.src.loops[slot as usize];
        for v in l.lo..l.hi {
            self.env[slot as usize] = v;
            self.let_entries(def, at + 1, out);
            if self.stop {
                return;
            }
        }
    }

    /// Node `n`'s value in the current loop environment (its instances
    /// visited after its operands').
    fn eval(&mut self, n: u32) -> T {
        let nan = T::of(f64::NAN);
        if self.stop {
            return nan;
        }
        let node = &self.src.nodes[n as usize];
        let mut args = [T::zero(); 2];
        let mut nargs = 0;
        let value = match node.op {
            Op::Num(v) => T::of(v),
            Op::Load { store, base, terms } => {
                let at = terms.iter().fold(base, |acc, &(s, stride)| {
                    acc + stride * self.env[s as usize]
                });
                let at = usize::try_from(at).ok();
                match store {
                    Store::State => at.and_then(|i| self.x.get(i).copied()),
                    Store::Param => at.and_then(|i| self.params.get(i).map(|p| T::of(*p))),
                    Store::Let(l) => at.and_then(|i| self.lets[l as usize].get(i).copied()),
                }
                .unwrap_or(nan)
            }
            Op::Index { slot, offset } => T::of((self.env[slot as usize] + offset) as f64),
            Op::Sum { slot, lo, hi } => {
                let mut acc = T::zero();
                for v in lo..hi {
                    self.env[slot as usize] = v;
                    acc += self.eval(node.children[0]);
                }
                acc
            }
            Op::Fold { max, slot, lo, hi } => {
                self.env[slot as usize] = lo;
                let mut acc = self.eval(node.children[0]);
                for v in lo + 1..hi {
                    self.env[slot as usize] = v;
                    let t = self.eval(node.children[0]);
                    acc = if max { acc.max(t) } else { acc.min(t) };
                }
                acc
            }
            op => {
                for (a, &c) in args.iter_mut().zip(node.children) {
                    *a = self.eval(c);
                    nargs += 1;
                }
                let [a, b] = args;
                match op {
                    Op::Neg => -a,
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    Op::Pow => match self.src.integer(node.children[1]) {
                        Some(e) => a.powi(e),
                        None => a.powf(b),
                    },
                    Op::Unary(f) => f.apply(a),
                    Op::Min => a.min(b),
                    Op::Max => a.max(b),
                    _ => nan,
                }
            }
        };
        if self.stop {
            return nan;
        }
        self.stop = (self.visit)(Visit {
            node: n,
            value,
            args: &args[..nargs],
            env: &self.env,
        });
        value
    }
}
