//! A game without a follower.
stackel::stackel_game! {
    game G {
        leader x;
        cost x = x ^ 2;
    }
}

fn main() {}
