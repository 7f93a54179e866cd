//! `after` names an unknown player, a player declared later, or itself.
stackel::stackel_game! {
    game Chain {
        leader x;
        follower y after x;
        follower z after yy;
        follower u after v;
        follower v after v;
        follower w after w;
        cost x = x^2;
        cost y = y^2;
        cost z = z^2;
        cost u = u^2;
        cost v = v^2;
        cost w = w^2;
    }
}

fn main() {}
