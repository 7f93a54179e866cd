//! `max` with one argument.
stackel::stackel_game! {
    game G {
        leader x;
        follower y;
        cost x = max(x) * y;
        cost y = y ^ 2;
    }
}

fn main() {}
