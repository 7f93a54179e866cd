//! (being written)

/// The parsed game (being written by the front end).
pub struct GameAst;
