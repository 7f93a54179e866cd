//! The checked game model: the contract between the front end (parsing and
//! checking the DSL, `parse`/`check`) and the back end (expression DAG,
//! differentiation, simplification, CSE, emission).
//!
//! Everything here is already resolved: `const`s are substituted, `let`s are
//! inlined (a tensor let's indices substituted by the use's indices), `mean`
//! is a `Sum` divided by its number of terms, every name points at a player,
//! a param or a sum index, every index is in range and every sum has integer
//! bounds. The back end never
//! needs to report a name or shape error; it only reports what it alone can
//! see (a follower cost that does not depend on its own variable, a block over
//! the size budget), pointing at the spans kept here.

use proc_macro2::{Span, TokenStream};

/// The shape of a player's variable or of a param: scalar, vector `[n]` or
/// matrix `[n, m]` (stored row-major in the flat state).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// One entry.
    Scalar,
    /// A vector of n entries.
    Vector(usize),
    /// An n x m matrix, row-major.
    Matrix(usize, usize),
}

impl Shape {
    /// Number of scalar entries.
    pub fn len(&self) -> usize {
        match *self {
            Shape::Scalar => 1,
            Shape::Vector(n) => n,
            Shape::Matrix(n, m) => n * m,
        }
    }

    /// True only for a zero-sized shape (never produced by the checker).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dimensions (empty for a scalar).
    pub fn dims(&self) -> Vec<usize> {
        match *self {
            Shape::Scalar => vec![],
            Shape::Vector(n) => vec![n],
            Shape::Matrix(n, m) => vec![n, m],
        }
    }

    /// How entry `i` (flat, row-major) of a value `name` of this shape reads:
    /// `q1`, `v[2]`, `w[0,1]`.
    pub fn entry_label(&self, name: &str, i: usize) -> String {
        match *self {
            Shape::Scalar => name.to_string(),
            Shape::Vector(_) => format!("{name}[{i}]"),
            Shape::Matrix(_, m) => format!("{name}[{},{}]", i / m, i % m),
        }
    }

    /// Flat row-major offset of a fully resolved index (no bounds check).
    pub fn flat(&self, index: &[usize]) -> usize {
        match *self {
            Shape::Scalar => 0,
            Shape::Vector(_) => index[0],
            Shape::Matrix(_, m) => index[0] * m + index[1],
        }
    }
}

/// A player: the leader or one follower.
#[derive(Clone, Debug)]
pub struct Player {
    /// The player's name.
    pub name: String,
    /// Span of the name in the declaration.
    pub span: Span,
    /// Scalar, vector or matrix.
    pub shape: Shape,
    /// Declared as an angle: periodic on [-pi, pi); the runtime wraps it.
    pub angle: bool,
    /// The player's cost, fully resolved.
    pub cost: Expr,
    /// Span of the `cost` statement (for back-end errors about this cost).
    pub cost_span: Span,
    /// The named parts of a player declared as a block
    /// (`leader gen { w1: [H, Z], b1: [H] };`), in declaration order, stacked
    /// row-major into the player's flat variable; `shape` is then
    /// `Vector(total)`. Empty for a player with one variable (its name is the
    /// player's). Entries of a part are `Expr::Part`.
    pub parts: Vec<PlayerPart>,
    /// Place in the hierarchy (appendix F.1): 0 the leader, 1 a follower of
    /// the leader, `k + 1` for `follower z after y;` with `y` at level `k`.
    pub level: u32,
}

/// One named part of a player's variable (a layer's weights or biases).
#[derive(Clone, Debug)]
pub struct PlayerPart {
    /// The part's name (unique in the game).
    pub name: String,
    /// Span of the name in the declaration.
    pub span: Span,
    /// Scalar, vector or matrix.
    pub shape: Shape,
    /// Offset of the part's first entry within the player's flat variable.
    pub offset: usize,
}

/// A data input (`data x: [B, 2];`): read, never differentiated, and
/// resampled by the runtime every step. In the generated game the inputs sit
/// after the N player entries of the flat state, `x[N + offset ..]`, in
/// declaration order.
#[derive(Clone, Debug)]
pub struct DataInput {
    /// The input's name.
    pub name: String,
    /// Span of the name in the declaration.
    pub span: Span,
    /// Scalar, vector or matrix.
    pub shape: Shape,
    /// Offset of the first entry within the data part (after the N player entries).
    pub offset: usize,
}

/// A let kept as a named temporary (for the tape form): `let h[b in 0..B,
/// j in 0..H] = body;` has one `(var, lo, hi)` per index; a scalar let has none.
#[derive(Clone, Debug)]
pub struct LetDef {
    /// The let's name.
    pub name: String,
    /// Span of the name in the declaration.
    pub span: Span,
    /// The let's own indices: the variable standing for it in `body`, and its
    /// range `lo..hi` (hi exclusive, lo < hi).
    pub indices: Vec<(SumVar, i64, i64)>,
    /// The body: may read earlier lets through `Expr::Let`, and its own
    /// indices as `Index { var: Some(own var), .. }`.
    pub body: Expr,
}

/// The costs as a straight-line program over kept lets: what the tape form
/// compiles (each let evaluated once into an array, derivatives by reverse
/// mode). The same game as `Player::cost`, where every let is inlined.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// The lets the costs use (transitively), in declaration order.
    pub lets: Vec<LetDef>,
    /// Each player's cost (0 leader, 1.. followers), reading lets through
    /// `Expr::Let` instead of inlining them.
    pub costs: Vec<Expr>,
}

/// A runtime-settable param (a public `f64` field, or an array of them).
#[derive(Clone, Debug)]
pub struct Param {
    /// The param's name (the struct field).
    pub name: String,
    /// Span of the name in the declaration.
    pub span: Span,
    /// Scalar, vector or matrix.
    pub shape: Shape,
    /// Row-major default values (`shape.len()` of them), if declared.
    pub default: Option<Vec<f64>>,
}

/// A compile-time integer constant (kept for docs and formulas only; it is
/// already substituted everywhere).
#[derive(Clone, Debug)]
pub struct Const {
    /// The const's name.
    pub name: String,
    /// Its value.
    pub value: i64,
}

/// The whole checked game.
#[derive(Clone, Debug)]
pub struct GameModel {
    /// Name of the generated struct.
    pub name: String,
    /// Span of the name.
    pub name_span: Span,
    /// Visibility tokens (`pub`, `pub(crate)` or empty) to emit on the struct.
    pub vis: TokenStream,
    /// Outer attributes on the game (doc comments, derives), emitted on the struct.
    pub attrs: TokenStream,
    /// The consts, in declaration order.
    pub consts: Vec<Const>,
    /// The params, in declaration order (the flat param order).
    pub params: Vec<Param>,
    /// The leader.
    pub leader: Player,
    /// One or more followers, playing simultaneously among themselves.
    pub followers: Vec<Player>,
    /// Per-game size budget (max DAG nodes in one emitted block); `None` means
    /// the compiler's default.
    pub budget: Option<usize>,
    /// Data inputs, in declaration order (empty without `data`).
    pub data: Vec<DataInput>,
    /// The costs with lets kept (for the tape form).
    pub program: Program,
    /// The costs as written, with their places in the source (for
    /// diagnostics: `Game::source`).
    pub source: crate::source::SourceProgram,
}

impl GameModel {
    /// Leader dimension d1.
    pub fn leader_dim(&self) -> usize {
        self.leader.shape.len()
    }
    /// Stacked follower dimension d2.
    pub fn follower_dim(&self) -> usize {
        self.followers.iter().map(|f| f.shape.len()).sum()
    }
    /// Number of flat data entries ND.
    pub fn data_len(&self) -> usize {
        self.data.iter().map(|d| d.shape.len()).sum()
    }
    /// Number of flat param entries.
    pub fn param_len(&self) -> usize {
        self.params.iter().map(|p| p.shape.len()).sum()
    }
    /// Does the game declare a staggered hierarchy (a follower `after`
    /// another follower, so a level below 1)?
    pub fn is_staggered(&self) -> bool {
        self.followers.iter().any(|f| f.level > 1)
    }
    /// Player by number: 0 is the leader, 1.. the followers in order.
    pub fn player(&self, p: usize) -> &Player {
        if p == 0 {
            &self.leader
        } else {
            &self.followers[p - 1]
        }
    }
    /// Offset of player `p`'s first entry in the flat state x = (x1, x2).
    pub fn player_offset(&self, p: usize) -> usize {
        (0..p).map(|q| self.player(q).shape.len()).sum()
    }
}

/// A resolved index into a player variable or param: `var + offset` where
/// `var` is the index of an enclosing `Sum` or `Fold` (by id) or absent (a
/// constant index). The indices of tensor lets are substituted away when the
/// let is inlined (`h[i + 1]` with `let h[j in ..] = x[j + 2]` gives
/// `x[i + 3]`), so every `var` here is bound by an enclosing reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Index {
    /// The sum index, if any.
    pub var: Option<SumVar>,
    /// The constant part.
    pub offset: i64,
}

/// Identity of a sum index; unique within a game (the checker renames).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SumVar(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
/// The one-argument functions of the DSL.
pub enum UnaryFn {
    /// e^x
    Exp,
    /// ln x
    Ln,
    /// sqrt x
    Sqrt,
    /// sin x
    Sin,
    /// cos x
    Cos,
    /// tan x
    Tan,
    /// tanh x
    Tanh,
    /// 1 / (1 + e^-x)
    Sigmoid,
    /// ln(1 + e^x)
    Softplus,
    /// |x|
    Abs,
    /// max(x, 0)
    Relu,
}

impl UnaryFn {
    /// Every function, in declaration order.
    pub const ALL: [UnaryFn; 11] = [
        UnaryFn::Exp,
        UnaryFn::Ln,
        UnaryFn::Sqrt,
        UnaryFn::Sin,
        UnaryFn::Cos,
        UnaryFn::Tan,
        UnaryFn::Tanh,
        UnaryFn::Sigmoid,
        UnaryFn::Softplus,
        UnaryFn::Abs,
        UnaryFn::Relu,
    ];
    /// The DSL name.
    pub fn name(self) -> &'static str {
        match self {
            UnaryFn::Exp => "exp",
            UnaryFn::Ln => "ln",
            UnaryFn::Sqrt => "sqrt",
            UnaryFn::Sin => "sin",
            UnaryFn::Cos => "cos",
            UnaryFn::Tan => "tan",
            UnaryFn::Tanh => "tanh",
            UnaryFn::Sigmoid => "sigmoid",
            UnaryFn::Softplus => "softplus",
            UnaryFn::Abs => "abs",
            UnaryFn::Relu => "relu",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
/// The two-argument functions of the DSL.
pub enum BinaryFn {
    /// min(a, b)
    Min,
    /// max(a, b)
    Max,
}

impl BinaryFn {
    /// The DSL name.
    pub fn name(self) -> &'static str {
        match self {
            BinaryFn::Min => "min",
            BinaryFn::Max => "max",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
/// Binary arithmetic operators of the resolved tree.
pub enum BinOp {
    /// a + b
    Add,
    /// a - b
    Sub,
    /// a * b
    Mul,
    /// a / b
    Div,
    /// `a ^ b` (power; integer or real exponent).
    Pow,
}

/// A resolved expression tree (sums not yet unrolled; the back end unrolls
/// them into the hash-consed DAG).
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A literal (and `pi`).
    Num(f64),
    /// Player `player` (0 leader, 1.. followers), entry `index`
    /// (empty for a scalar, one for a vector, two for a matrix).
    Var {
        /// Player number (0 leader, 1.. followers).
        player: usize,
        /// The entry's index.
        index: Vec<Index>,
    },
    /// Param `param` (position in `GameModel::params`), entry `index`.
    Param {
        /// Position in `GameModel::params`.
        param: usize,
        /// The entry's index.
        index: Vec<Index>,
    },
    /// Part `part` (position in `Player::parts`) of player `player`'s
    /// variable, entry `index` (in the part's shape).
    Part {
        /// Player number (0 leader, 1.. followers).
        player: usize,
        /// Position in the player's `parts`.
        part: usize,
        /// The entry's index.
        index: Vec<Index>,
    },
    /// Data input `data` (position in `GameModel::data`), entry `index`.
    Data {
        /// Position in `GameModel::data`.
        data: usize,
        /// The entry's index.
        index: Vec<Index>,
    },
    /// Entry `index` of kept let `id` (position in `Program::lets`); only in
    /// `Program`, never in `Player::cost` (where lets are inlined).
    Let {
        /// Position in `Program::lets`.
        id: usize,
        /// One index per let index.
        index: Vec<Index>,
    },
    /// The integer value of a sum index (`var` always set; a constant is a
    /// `Num`), used as a number (plus offset).
    SumIndex(Index),
    /// -a
    Neg(Box<Expr>),
    /// a op b
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// f(a)
    Unary(UnaryFn, Box<Expr>),
    /// f(a, b) for min and max.
    Call2(BinaryFn, Box<Expr>, Box<Expr>),
    /// `sum(var in lo..hi) body`, hi exclusive; lo <= hi.
    Sum {
        /// The index variable.
        var: SumVar,
        /// First value.
        lo: i64,
        /// End (exclusive).
        hi: i64,
        /// The summand.
        body: Box<Expr>,
    },
    /// A `max` or `min` reduction: `op` folded over the terms, the largest
    /// (`Max`) or smallest (`Min`) of `body` for `var = lo, ..., hi - 1`;
    /// hi exclusive, and lo < hi (never empty). On ties the term with the
    /// smallest `var` is picked, derivatives included: the same value and
    /// derivative as the chain `op(op(body(lo), body(lo + 1)), ...)` of the
    /// two-argument function in any bracketing.
    Fold {
        /// `Max` or `Min`.
        op: BinaryFn,
        /// The index variable.
        var: SumVar,
        /// First value.
        lo: i64,
        /// End (exclusive); `lo < hi`.
        hi: i64,
        /// The term.
        body: Box<Expr>,
    },
}
