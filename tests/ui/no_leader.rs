//! A game without a leader.
stackel::stackel_game! {
    game G {
        follower y;
        cost y = y ^ 2;
    }
}

fn main() {}
