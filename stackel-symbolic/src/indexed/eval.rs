//! An `f64` interpreter of indexed expressions: the reference the tests
//! hold the index-level derivatives to (against the unrolled programs) and
//! the emitted loop code to.

use super::expr::{Aff, Leaf, Node, E};
use super::game::{IndexedGame, Part};
use crate::dag::{apply_unary, heaviside, indicator_le, pick_max, pick_min, sign};

/// The values the leaves of an expression read.
#[derive(Clone, Copy, Debug)]
pub struct Point<'a> {
    /// The flat state x = (x1, x2).
    pub x: &'a [f64],
    /// The flat params.
    pub p: &'a [f64],
    /// The multiplier (lambda or v), length d2.
    pub lambda: &'a [f64],
    /// The state direction, length d1 + d2.
    pub dir: &'a [f64],
    /// The param direction, length np.
    pub pdir: &'a [f64],
}

/// Evaluates indexed expressions of one game.
pub struct Interpreter<'g> {
    game: &'g IndexedGame,
    offsets: Vec<usize>,
    param_offsets: Vec<usize>,
    env: Vec<i64>,
}

impl<'g> Interpreter<'g> {
    /// An interpreter for `game`'s expressions.
    pub fn new(game: &'g IndexedGame) -> Self {
        Interpreter {
            game,
            offsets: (0..game.shapes.len())
                .map(|p| game.player_offset(p))
                .collect(),
            param_offsets: (0..game.param_shapes.len())
                .map(|q| game.param_offset(q))
                .collect(),
            env: vec![0; game.vars as usize],
        }
    }

    fn index(&self, a: &Aff) -> i64 {
        a.offset + a.var.map_or(0, |v| self.env[v.0 as usize])
    }

    fn read(&self, leaf: Leaf, index: &[Aff], at: &Point) -> f64 {
        let idx: Vec<usize> = index.iter().map(|a| self.index(a) as usize).collect();
        match leaf {
            Leaf::State(p) => at.x[self.offsets[p] + self.game.shapes[p].flat(&idx)],
            Leaf::Dir(p) => at.dir[self.offsets[p] + self.game.shapes[p].flat(&idx)],
            Leaf::Lambda(p) => {
                at.lambda[self.offsets[p] - self.game.d1 + self.game.shapes[p].flat(&idx)]
            }
            Leaf::Param(q) => at.p[self.param_offsets[q] + self.game.param_shapes[q].flat(&idx)],
            Leaf::ParamDir(q) => {
                at.pdir[self.param_offsets[q] + self.game.param_shapes[q].flat(&idx)]
            }
        }
    }

    /// The value of `e` at `at` (its free indices as last set).
    pub fn eval(&mut self, e: &E, at: &Point) -> f64 {
        match &e.node {
            Node::Num(v) => *v,
            Node::Entry { leaf, index } => self.read(*leaf, index, at),
            Node::Index(a) => self.index(a) as f64,
            Node::Add(xs) => xs.iter().map(|x| self.eval(x, at)).sum(),
            Node::Mul(xs) => {
                // guards first: the other factors may index out of range
                // where a guard is 0
                let guard = |x: &&E| matches!(x.node, Node::Range { .. } | Node::Delta(..));
                if xs.iter().filter(guard).any(|x| self.eval(x, at) == 0.0) {
                    return 0.0;
                }
                xs.iter()
                    .filter(|x| !guard(x))
                    .map(|x| self.eval(x, at))
                    .product()
            }
            Node::Div(a, b) => self.eval(a, at) / self.eval(b, at),
            Node::Pow(a, b) => {
                let base = self.eval(a, at);
                match b.as_num() {
                    Some(n) if n.fract() == 0.0 && n.abs() < 1e9 => base.powi(n as i32),
                    _ => base.powf(self.eval(b, at)),
                }
            }
            Node::Unary(f, a) => apply_unary(*f, self.eval(a, at)),
            Node::Sign(a) => sign(self.eval(a, at)),
            Node::Heaviside(a) => heaviside(self.eval(a, at)),
            Node::Le(a, b) => indicator_le(self.eval(a, at), self.eval(b, at)),
            Node::Min(a, b) => pick_min(self.eval(a, at), self.eval(b, at)),
            Node::Max(a, b) => pick_max(self.eval(a, at), self.eval(b, at)),
            Node::Sum { var, lo, hi, body } => {
                let mut s = 0.0;
                for k in *lo..*hi {
                    self.env[var.0 as usize] = k;
                    s += self.eval(body, at);
                }
                s
            }
            Node::Range { aff, lo, hi } => {
                let v = self.index(aff);
                f64::from(u8::from(*lo <= v && v < *hi))
            }
            Node::Delta(a, b) => f64::from(u8::from(self.index(a) == self.index(b))),
        }
    }

    /// Every entry of a vector of parts, flat (row-major per part).
    pub fn vector(&mut self, v: &[Part], at: &Point) -> Vec<f64> {
        let mut out = Vec::new();
        for part in v {
            let count: usize = part.dims.iter().product();
            for flat in 0..count {
                let mut rest = flat;
                for (o, d) in part.outs.iter().zip(&part.dims).rev() {
                    self.env[o.0 as usize] = (rest % d) as i64;
                    rest /= d;
                }
                out.push(self.eval(&part.expr, at));
            }
        }
        out
    }
}
