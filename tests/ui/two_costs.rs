//! A player with two costs.
stackel::stackel_game! {
    game G {
        leader x;
        follower y;
        cost x = x * y;
        cost y = y ^ 2;
        cost x = x ^ 2;
    }
}

fn main() {}
