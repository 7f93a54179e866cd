//! Checking a parsed game and resolving it into the [`GameModel`].
//!
//! Resolves every name (player, param, const, let, sum index, `pi`),
//! evaluates consts, dimensions, sum bounds and param defaults, inlines lets
//! (with fresh sum-index ids at every use, and a tensor let's own indices
//! replaced by the use's indices), lowers `mean` to a sum over its count
//! and `max`/`min` reductions to [`Expr::Fold`], turns indices into
//! `Index { var, offset }` and checks them against the shapes, and checks the
//! game's structure (one leader, one or more followers, one cost each). Every
//! error found is collected; none stops the check of the rest.
//!
//! One `Checker` carries the state; its methods live by job:
//!
//! - `names`: declaring names (duplicates, reserved words, Rust keywords),
//!   the function names, suggestions for unknown names;
//! - `consts`: constant evaluation (consts, budget, defaults, dimensions,
//!   sum bounds, indices);
//! - `shapes`: player and param shapes, indices checked against them;
//! - `params`: param shapes and default values;
//! - `sums`: reductions (`sum`, `mean`, `max`, `min`), index ranges, and
//!   fresh sum-index ids with the substitution of a let's indices;
//! - `limits`: the limits on one game and the sizes they are checked on;
//! - `resolve`: lets (scalar and tensor), costs, players and every name in
//!   an expression.

use crate::ast::{self, ArrayElem, ExprKind, GameAst, Item, ParamDefault, Role};
use crate::model::{
    BinOp, BinaryFn, Const, DataInput, Expr, GameModel, Index, LetDef, Param, Player, PlayerPart,
    Program, Shape, SumVar, UnaryFn,
};
use crate::Errors;
use proc_macro2::{Ident, Span};
use std::collections::{HashMap, HashSet};

mod consts;
mod limits;
mod names;
mod params;
mod program;
mod resolve;
mod shapes;
mod sums;

use consts::*;
use limits::*;
use names::*;
pub(crate) use names::{rust_keyword, suggest};
use resolve::{index_count, let_use};
use shapes::*;
use sums::*;

/// Checks a parsed game: all of its errors, or the resolved model.
///
/// A partial AST (with [`ast::Skipped`] statements, whose syntax errors the
/// parser reports) never gives a model; its error list holds only what the
/// skipped statements cannot explain, and may be empty.
pub fn check_game(ast: &GameAst) -> Result<GameModel, Errors> {
    let mut cx = Checker::new(ast);
    cx.declare_all();
    cx.eval_consts();
    let budget = cx.eval_budget();
    cx.eval_shapes();
    let params = cx.eval_params();
    cx.resolve_lets();
    let costs = cx.resolve_costs();
    let players = cx.players(costs);
    if !cx.errors.is_empty() {
        return Err(cx.errors);
    }
    let data = cx.data_inputs();
    let program = cx.program();
    cx.errors.into_result()?;
    if !ast.skipped.is_empty() {
        return Err(Errors::new());
    }
    let Some((leader, followers)) = players else {
        return Err(Errors::at(
            ast.name.span(),
            format!("game `{}` is incomplete: it needs one leader, one or more followers, and a cost for each", ast.name),
        ));
    };
    let mut model = GameModel {
        name: ast.name.to_string(),
        name_span: ast.name.span(),
        vis: ast.vis.clone(),
        attrs: ast.attrs.clone(),
        consts: cx.consts,
        params,
        leader,
        followers,
        budget,
        data,
        program,
        source: Default::default(),
    };
    model.source = crate::source::build(ast, &model);
    Ok(model)
}

/// What a game-level name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Global {
    /// Position among the consts.
    Const(usize),
    /// Position among the params.
    Param(usize),
    /// Player number (0 leader, 1.. followers).
    Player(usize),
    /// Position among the lets.
    Let(usize),
    /// Position among the data inputs.
    Data(usize),
    /// Part `.1` of player `.0`.
    Part(usize, usize),
    /// A declaration already reported as wrong: uses of it are not reported again.
    Poisoned,
}

/// A declared name.
#[derive(Clone, Copy, Debug)]
struct Decl {
    global: Global,
    /// What it is, for messages ("a param", "the leader", ...).
    what: &'static str,
}

/// A sum index in scope.
#[derive(Clone, Debug)]
struct Bound {
    name: String,
    var: SumVar,
    /// `Some((lo, hi))`, hi exclusive, unless its range was itself wrong.
    range: Option<(i64, i64)>,
}

/// One index of a tensor let: the variable its body uses, and its declared
/// range `lo..hi` (hi exclusive, lo < hi).
#[derive(Clone, Copy, Debug)]
struct LetIndex {
    var: SumVar,
    lo: i64,
    hi: i64,
}

/// Which lets an expression may use (a let only those declared before it).
#[derive(Clone, Copy)]
struct Limits {
    /// Lets with a position below this are usable.
    lets: usize,
}

/// A player declaration: name, `angle` keyword, dimensions.
type PlayerItem<'a> = (&'a Ident, Option<Span>, Option<&'a ast::Dims>);

/// The checker's state: declarations, evaluated consts and shapes, resolved
/// lets, and the errors found so far.
struct Checker<'a> {
    ast: &'a GameAst,
    errors: Errors,
    names: HashMap<String, Decl>,
    /// Names declared more than once (already reported).
    duplicated: HashSet<String>,
    /// Const names and statements, in order.
    const_items: Vec<(&'a Ident, &'a ast::Expr)>,
    /// Evaluated consts (`None` where evaluation failed), by position.
    const_values: Vec<Option<i64>>,
    /// The consts that evaluated, for the model.
    consts: Vec<Const>,
    /// Param declarations, by position: name, dimensions, default.
    param_items: Vec<(&'a Ident, Option<&'a ast::Dims>, Option<&'a ParamDefault>)>,
    /// By player number (slot 0 the leader; `None` if it is missing).
    player_items: Vec<Option<PlayerItem<'a>>>,
    /// Levels of the players, by number (0 the leader, 1 a follower of the
    /// leader, one more than its `after` target for `follower z after y;`).
    player_levels: Vec<u32>,
    /// Let declarations, by position: name, own indices (empty for a
    /// scalar let), value.
    let_items: Vec<(&'a Ident, &'a [ast::SumBinder], &'a ast::Expr)>,
    /// The resolved indices of the lets, by position (empty for a scalar
    /// let; `None` where a range was wrong).
    let_indices: Vec<Option<Vec<LetIndex>>>,
    /// The tensor let whose body is being resolved, if any (for the
    /// unbound-index error).
    current_let: Option<usize>,
    /// Evaluated shapes (`None` where wrong) of the params, by position.
    param_shapes: Vec<Option<Shape>>,
    /// Evaluated shapes of the players, by number (`None` where wrong or absent).
    player_shapes: Vec<Option<Shape>>,
    /// Part declarations by player number (empty for a one-variable player).
    part_items: Vec<Vec<(&'a Ident, Option<&'a ast::Dims>)>>,
    /// Evaluated part shapes by player number and position.
    part_shapes: Vec<Vec<Option<Shape>>>,
    /// Data input declarations, by position.
    data_items: Vec<(&'a Ident, Option<&'a ast::Dims>)>,
    /// Evaluated data shapes, by position.
    data_shapes: Vec<Option<Shape>>,
    /// Resolve let uses as `Expr::Let` references instead of inlining them
    /// (the second pass, which builds [`crate::model::Program`]).
    keep_lets: bool,
    /// Resolved lets (`None` where wrong), by position; copied at each use.
    lets: Vec<Option<Expr>>,
    /// Node counts of the resolved lets, by position.
    let_sizes: Vec<usize>,
    /// Bounds on the tree heights of the resolved lets, by position.
    let_heights: Vec<u32>,
    /// Tree height of the statement being resolved, before inlining.
    statement_height: u32,
    /// Highest let inlined into the statement being resolved.
    inlined_height: u32,
    /// Nodes inlined from lets into the statement being resolved (`None`
    /// once over [`MAX_INLINED`], which is reported once per statement).
    inlined: Option<usize>,
    /// Every name bound by some sum in the game (for "used outside its sum").
    sum_names: HashSet<String>,
    /// Every tensor let's index name, with the (first) let declaring it
    /// (for "used outside the let").
    let_index_names: HashMap<String, String>,
    /// The next fresh sum-index id.
    next_sum_var: u32,
}

impl<'a> Checker<'a> {
    fn new(ast: &'a GameAst) -> Self {
        let mut sum_names = HashSet::new();
        let mut let_index_names = HashMap::new();
        for item in &ast.items {
            match item {
                Item::Let {
                    name,
                    binders,
                    value,
                } => {
                    for b in binders {
                        let_index_names
                            .entry(b.var.to_string())
                            .or_insert_with(|| name.to_string());
                    }
                    collect_sum_names(value, &mut sum_names);
                }
                Item::Const { value, .. }
                | Item::Cost { value, .. }
                | Item::Budget { value, .. } => collect_sum_names(value, &mut sum_names),
                _ => {}
            }
        }
        Checker {
            ast,
            errors: Errors::new(),
            names: HashMap::new(),
            duplicated: HashSet::new(),
            const_items: Vec::new(),
            const_values: Vec::new(),
            consts: Vec::new(),
            param_items: Vec::new(),
            player_items: Vec::new(),
            player_levels: vec![0],
            let_items: Vec::new(),
            let_indices: Vec::new(),
            current_let: None,
            param_shapes: Vec::new(),
            player_shapes: Vec::new(),
            part_items: Vec::new(),
            part_shapes: Vec::new(),
            data_items: Vec::new(),
            data_shapes: Vec::new(),
            keep_lets: false,
            lets: Vec::new(),
            let_sizes: Vec::new(),
            let_heights: Vec::new(),
            statement_height: 0,
            inlined_height: 0,
            inlined: Some(0),
            sum_names,
            let_index_names,
            next_sum_var: 0,
        }
    }

    fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.errors.push(span, msg);
    }
}
