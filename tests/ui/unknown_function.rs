//! An unknown function; the message lists the DSL functions.
stackel::stackel_game! {
    game G {
        leader x;
        follower y;
        cost x = log(x) * y;
        cost y = y ^ 2;
    }
}

fn main() {}
