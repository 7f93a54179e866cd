//! Two syntax errors, both reported: a missing operand and a stray token.
stackel::stackel_game! {
    game G {
        leader x;
        follower y;
        cost x = x * * y;
        cost y = y ^ 2 y;
    }
}

fn main() {}
