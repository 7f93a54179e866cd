//! A scalar indexed.
stackel::stackel_game! {
    game G {
        leader x;
        follower y;
        cost x = x[0] * y;
        cost y = y ^ 2;
    }
}

fn main() {}
