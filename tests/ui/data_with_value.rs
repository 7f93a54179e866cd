use stackel::prelude::*;

stackel_game! {
    game Regression {
        data x: [4] = [1.0, 2.0, 3.0, 4.0];
        leader a;
        follower b;
        cost a = sum(i in 0..4) (a * x[i] - b)^2;
        cost b = (b - a)^2;
    }
}

fn main() {}
