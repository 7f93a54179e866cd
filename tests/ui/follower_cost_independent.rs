//! A follower whose cost does not depend on its own variable (reported by the back end).
stackel::stackel_game! {
    game G {
        leader x;
        follower y;
        cost x = x * y;
        cost y = x ^ 2;
    }
}

fn main() {}
