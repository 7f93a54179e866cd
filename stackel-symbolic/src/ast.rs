//! The parsed (unchecked) game: statements and expressions as written, with
//! the spans of their tokens. Names are not resolved and shapes not checked
//! here; [`crate::check`] turns this into a [`crate::model::GameModel`].

use proc_macro2::{Ident, Span, TokenStream};

/// A whole `stackel_game! { ... }` invocation.
#[derive(Clone, Debug)]
pub struct GameAst {
    /// Outer attributes and doc comments, as tokens.
    pub attrs: TokenStream,
    /// Visibility tokens (`pub`, `pub(crate)`, or empty).
    pub vis: TokenStream,
    /// The game's (struct's) name.
    pub name: Ident,
    /// The statements of the body, in source order.
    pub items: Vec<Item>,
    /// Statements skipped after a syntax error (already reported); empty
    /// in an AST that [`crate::parse::parse_game`] returns.
    pub skipped: Vec<Skipped>,
}

/// A statement skipped after a syntax error. The checker of a partial AST
/// does not report what the skipped statement may have provided: uses of
/// the names it declared, a missing player, a missing cost.
#[derive(Clone, Debug)]
pub struct Skipped {
    /// Names after a declaration keyword (`leader x`, `let f`, ...) or after
    /// an unknown statement keyword (a misspelt `folower y`).
    pub names: Vec<Ident>,
}

/// Role of a player declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The player whose cost is minimised along the followers' best response.
    Leader,
    /// A player that best-responds to the leader (several play simultaneously).
    Follower,
}

impl Role {
    /// The DSL keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Follower => "follower",
        }
    }
}

/// One statement of the game body.
#[derive(Clone, Debug)]
pub enum Item {
    /// `const NAME = int-expr;`
    Const {
        /// The const's name.
        name: Ident,
        /// Its value (a constant integer expression).
        value: Expr,
    },
    /// `param NAME (: [dims])? (= default)?;`
    Param {
        /// The param's name.
        name: Ident,
        /// `[n]` or `[n, m]`; absent for a scalar.
        dims: Option<Dims>,
        /// `= value`, if given.
        default: Option<ParamDefault>,
    },
    /// `leader NAME (: angle? [dims]?)?;` or `follower ...`.
    Player {
        /// Leader or follower.
        role: Role,
        /// Span of the `leader` / `follower` keyword.
        keyword: Span,
        /// The player's name.
        name: Ident,
        /// `Some(span of the keyword)` when declared `angle`.
        angle: Option<Span>,
        /// `[n]` or `[n, m]`; absent for a scalar.
        dims: Option<Dims>,
        /// The named parts of a player declared as a block
        /// (`leader gen { w1: [H, Z], b1: [H] };`), empty otherwise.
        parts: Vec<(Ident, Option<Dims>)>,
        /// `follower z after y;`: the player one level above this follower
        /// in a staggered hierarchy (appendix F.1); `None` for the leader and
        /// for a follower of the leader (level 1).
        after: Option<Ident>,
    },
    /// `data NAME (: [dims])?;`: an input resampled by the runtime every step.
    Data {
        /// Span of the `data` keyword.
        keyword: Span,
        /// The input's name.
        name: Ident,
        /// `[n]` or `[n, m]`; absent for a scalar.
        dims: Option<Dims>,
    },
    /// `let NAME = expr;` or, for a tensor let, `let NAME[i in a..b, ..] = expr;`.
    Let {
        /// The let's name.
        name: Ident,
        /// The let's own indices with their ranges (empty for a scalar let).
        binders: Vec<SumBinder>,
        /// The expression it names (an entry's value for a tensor let).
        value: Expr,
    },
    /// `cost NAME = expr;` (`keyword` is the span of `cost`).
    Cost {
        /// Span of the `cost` keyword.
        keyword: Span,
        /// The player whose cost this is.
        name: Ident,
        /// The cost expression.
        value: Expr,
    },
    /// `budget = int-expr;`
    Budget {
        /// Span of the `budget` keyword.
        keyword: Span,
        /// The budget (a constant integer expression).
        value: Expr,
    },
}

/// A bracketed dimension list `[n]` or `[n, m]` (any count is parsed; the
/// checker allows one or two).
#[derive(Clone, Debug)]
pub struct Dims {
    /// Span of the brackets.
    pub span: Span,
    /// The dimension expressions (constant integers after checking).
    pub dims: Vec<Expr>,
}

/// A param default: a scalar constant expression or a (nested) array literal.
#[derive(Clone, Debug)]
pub enum ParamDefault {
    /// `= expr` for a scalar param.
    Scalar(Expr),
    /// `= [..]` for a vector or matrix param.
    Array(ArrayLit),
}

/// `[e, e, ...]` or `[[..], [..]]`.
#[derive(Clone, Debug)]
pub struct ArrayLit {
    /// Span of the brackets.
    pub span: Span,
    /// The elements, in order.
    pub elems: Vec<ArrayElem>,
}

/// One element of an array literal.
#[derive(Clone, Debug)]
pub enum ArrayElem {
    /// A scalar element.
    Expr(Expr),
    /// A nested row.
    Array(ArrayLit),
}

/// Binary operators of the DSL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`, power.
    Pow,
}

impl BinOp {
    /// The operator's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }
}

/// An expression with the span of its tokens (the first token's span where
/// spans cannot be joined).
#[derive(Clone, Debug)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Span of its tokens.
    pub span: Span,
    /// Height of the expression tree (1 for a leaf; parentheses add
    /// nothing); the parser bounds it so that no later pass recurses deeply.
    pub height: u32,
}

/// A numeric literal as written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number {
    /// The literal's value.
    pub value: f64,
    /// `Some` for an integer literal that fits an `i64`.
    pub int: Option<i64>,
}

#[derive(Clone, Debug)]
/// The kinds of DSL expressions.
pub enum ExprKind {
    /// An integer or float literal.
    Num(Number),
    /// A bare name: a player, param, const, let, sum index or `pi`.
    Name(Ident),
    /// `name[i, ...]`.
    Index {
        /// The indexed player or param.
        name: Ident,
        /// Span of the brackets.
        bracket: Span,
        /// One expression per dimension.
        indices: Vec<Expr>,
    },
    /// Unary minus.
    Neg(Box<Expr>),
    /// `lhs op rhs`; `op` is the operator token's span.
    Binary {
        /// The operator.
        op: BinOp,
        /// Span of the operator token.
        op_span: Span,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `name(args)`.
    Call {
        /// The function's name.
        name: Ident,
        /// Span of the parentheses.
        paren: Span,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `sum(i in a..b, j in c..d) body`, or the same with `mean`, `max`
    /// or `min` in place of `sum` (see [`Reduction`]).
    Sum {
        /// Span of the `sum` / `mean` / `max` / `min` keyword.
        keyword: Span,
        /// Which reduction.
        op: Reduction,
        /// The index variables with their ranges, outermost first.
        binders: Vec<SumBinder>,
        /// The summand.
        body: Box<Expr>,
    },
}

/// The reductions over index ranges: `sum`, `mean`, `max` and `min`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    /// `sum(i in a..b) body`: the sum of the terms (0 over an empty range).
    Sum,
    /// `mean(i in a..b) body`: the sum divided by the number of terms (a non-empty range).
    Mean,
    /// `max(i in a..b) body`: the largest term (a non-empty range).
    Max,
    /// `min(i in a..b) body`: the smallest term (a non-empty range).
    Min,
}

impl Reduction {
    /// The DSL keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Reduction::Sum => "sum",
            Reduction::Mean => "mean",
            Reduction::Max => "max",
            Reduction::Min => "min",
        }
    }
}

/// `i in lo..hi` (hi exclusive) or `i in lo..=hi` (inclusive): an index
/// of a reduction or of a tensor let.
#[derive(Clone, Debug)]
pub struct SumBinder {
    /// The index variable.
    pub var: Ident,
    /// First value.
    pub lo: Expr,
    /// Last value (exclusive unless `inclusive`).
    pub hi: Expr,
    /// `lo..=hi` rather than `lo..hi`.
    pub inclusive: bool,
}
