//! A follower without a cost.
stackel::stackel_game! {
    game G {
        leader x;
        follower y;
        cost x = x * y;
    }
}

fn main() {}
