//! `after` names a param and a data input, not players.
stackel::stackel_game! {
    game Chain {
        param a = 1.0;
        data d: [2];
        leader x;
        follower y after a;
        follower z after d;
        cost x = x^2 + d[0];
        cost y = y^2;
        cost z = z^2;
    }
}

fn main() {}
