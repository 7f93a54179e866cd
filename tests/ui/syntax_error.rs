//! Syntax errors and checking errors are reported together: a missing
//! operand, a stray token, and an unknown name in a statement that parsed.
stackel::stackel_game! {
    game G {
        leader x;
        follower y;
        cost x = x * * y;
        cost y = y ^ 2 y;
        let z = x * w;
    }
}

fn main() {}
