//! Every error in a game is reported in one build.
stackel::stackel_game! {
    game G {
        leader x: [2];
        follower y;
        follower z;
        cost x = x[2] * y + foo;
        cost y = sqrt(y, z) * x[0];
    }
}

fn main() {}
