use stackel::prelude::*;

stackel_game! {
    game Leaky {
        leader x;
        follower y;
        cost x = leaky_relu(x, y);
        cost y = (y - x)^2;
    }
}

fn main() {}
