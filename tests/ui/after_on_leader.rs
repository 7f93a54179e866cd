//! The leader follows no one.
stackel::stackel_game! {
    game Chain {
        leader x after y;
        follower y;
        cost x = x^2;
        cost y = y^2;
    }
}

fn main() {}
