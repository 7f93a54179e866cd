"""The Python package against closed forms and against itself: a DSL error
carries its place, the duopoly's blocks and equilibria are the closed forms,
a study lands at the Stackelberg point within its standard errors, shards
merge exactly, params change the equilibrium as the formula says."""

import math

import numpy as np
import pytest

import stackel

DUOPOLY = """game Duopoly {
    param a = 100.0;  param c1 = 5.0;  param c2 = 2.0;
    leader q1;  follower q2;
    let price = a - q1 - q2;
    cost q1 = -(price - c1) * q1;
    cost q2 = -(price - c2) * q2;
}"""


def two_timescale(g, **kw):
    args = dict(
        rule="two_timescale",
        leader_rate=stackel.rate(a=1.0, k0=11.0, p=1.0),
        follower_rate=stackel.rate(a=1.0, k0=11.0, p=2 / 3),
        trajectories=2000,
        steps=3000,
        noise=10.0,
        init=[10.0, 10.0],
        seed=1,
    )
    args.update(kw)
    return g.study(**args)


def test_dsl_error_has_line_and_column():
    bad = "game G {\n    leader x;\n    follower y;\n    cost x = x * z;\n    cost y = y * y;\n}"
    with pytest.raises(stackel.DslError) as e:
        stackel.Game(bad, file="bad.stk")
    assert isinstance(e.value, ValueError)
    assert (e.value.line, e.value.column) == (4, 18)
    assert "bad.stk:4:18" in str(e.value)
    assert "unknown name `z`" in e.value.message


def test_game_describes_itself():
    g = stackel.Game(DUOPOLY)
    assert (g.name, g.d1, g.d2, g.n) == ("Duopoly", 1, 1, 2)
    assert g.coordinates == ["q1", "q2"]
    assert g.params == {"a": 100.0, "c1": 5.0, "c2": 2.0}
    assert "Duopoly" in repr(g)
    assert set(g.formulas()) >= {"D1f1", "D22f2"}
    with pytest.raises(KeyError):
        stackel.Game.paper("no-such-game")


def test_duopoly_blocks_are_the_closed_forms():
    g = stackel.Game.paper("duopoly")
    x = np.array([40.0, 30.0])
    # D1 f1 = -(a - 2 q1 - q2 - c1), D2 f2 = -(a - q1 - 2 q2 - c2)
    np.testing.assert_array_equal(g.omega(x), [-(100 - 80 - 30 - 5), -(100 - 40 - 60 - 2)])
    b = g.blocks(x)
    for name, value in [("D11f1", 2.0), ("D12f1", 1.0), ("D22f2", 2.0), ("D21f2", 1.0)]:
        assert b[name].shape == (1, 1) and b[name][0, 0] == value, name
    # J = [[2, 1], [1, 2]]; J_S adds the implicit map dr = -1/2
    np.testing.assert_allclose(g.jacobian(x), [[2.0, 1.0], [1.0, 2.0]])
    js = g.jacobian_stackelberg(x)
    assert js.shape == (2, 2) and js.dtype == np.float64
    # the Stackelberg field vanishes at (46, 26)
    np.testing.assert_allclose(g.omega_stackelberg([46.0, 26.0]), [0.0, 0.0], atol=1e-12)
    with pytest.raises(ValueError):
        g.omega([1.0, 2.0, 3.0])


def test_equilibria_are_the_closed_forms_and_move_with_the_params():
    g = stackel.Game.paper("duopoly")
    points = g.equilibria(box=[(0.0, 100.0)], grid=3)
    nash = [p for p in points if p["field"] == "omega"]
    stack = [p for p in points if p["field"] == "omega_S"]
    assert len(nash) == 1 and len(stack) == 1
    np.testing.assert_allclose(nash[0]["x"], [92 / 3, 101 / 3], atol=1e-9)
    np.testing.assert_allclose(stack[0]["x"], [46.0, 26.0], atol=1e-9)
    # a = 110: q1 = (a - 2 c1 + c2) / 2 = 51, q2 = (a - q1 - c2) / 2 = 28.5
    h = g.with_params(a=110.0)
    assert h.params["a"] == 110.0 and g.params["a"] == 100.0
    p = h.equilibria(box=[(0.0, 100.0)], grid=3, field="stackelberg")
    np.testing.assert_allclose(p[0]["x"], [51.0, 28.5], atol=1e-9)


@pytest.mark.parametrize("dtype", ["float64", "float32", np.float32])
def test_study_lands_at_the_stackelberg_point(dtype):
    g = stackel.Game.paper("duopoly")
    r = two_timescale(g, dtype=dtype)
    assert r.final_states.shape == (2000, 2)
    assert r.final_states.dtype == np.float64
    assert r.fates.count("finished") == 2000
    assert r.dtype == ("float64" if dtype == "float64" else "float32")
    # the mean of 2000 trajectories: within 6 standard errors of (46, 26),
    # allowing the O(gamma) bias of a finite run (well below 0.5 here)
    se = r.final_states.std(axis=0) / math.sqrt(2000)
    gap = np.abs(r.mean - np.array([46.0, 26.0]))
    assert np.all(gap < 6 * se + 0.5), (r.mean, se)
    np.testing.assert_allclose(r.mean, r.final_states.mean(axis=0), rtol=1e-12)
    assert r.covariance.shape == (2, 2)


def test_same_seed_same_numbers_and_shards_merge_exactly():
    g = stackel.Game(DUOPOLY)
    a = two_timescale(g, trajectories=300, steps=500)
    b = two_timescale(g, trajectories=300, steps=500)
    np.testing.assert_array_equal(a.final_states, b.final_states)
    parts = [two_timescale(g, trajectories=300, steps=500, shard=(i, 3)) for i in range(3)]
    merged = stackel.StudyResult.merge(parts)
    np.testing.assert_array_equal(merged.final_states, a.final_states)
    again = stackel.StudyResult.from_json(a.to_json())
    np.testing.assert_array_equal(again.final_states, a.final_states)
    c = two_timescale(g, trajectories=300, steps=500, seed=2)
    assert not np.array_equal(c.final_states, a.final_states)


def test_bad_arguments_are_python_errors():
    g = stackel.Game.paper("duopoly")
    with pytest.raises(ValueError, match="rule"):
        g.study(rule="gradient_ascent", init=[1.0, 1.0])
    with pytest.raises(ValueError, match="leader_rate"):
        g.study(rule="two_timescale", init=[1.0, 1.0])
    with pytest.raises(ValueError):
        two_timescale(g, init=[1.0])
    with pytest.raises(ValueError):
        two_timescale(g, dtype="int8")
    with pytest.raises(ValueError):
        stackel.rate(a=-1.0)
    with pytest.raises(KeyError):
        g.with_params(b=1.0)
    r = stackel.rate(a=2.0, k0=1.0, p=1.0)
    assert r(1.0) == 1.0 and "k0=1" in repr(r)


def test_every_paper_game_loads_and_its_field_is_finite():
    for name in ["duopoly", "torus", "example1", "covariance3"]:
        g = stackel.Game.paper(name)
        x = np.full(g.n, 0.3)
        assert np.all(np.isfinite(g.omega(x)))


def test_a_gan_trains_from_python():
    g = stackel.Game.paper("mog_circle")
    assert (g.d1, g.d2) == (1666, 129)
    means = [[math.sin(k * math.pi / 4), math.cos(k * math.pi / 4)] for k in range(8)]
    data = {"x": stackel.mixture(means, variance=0.3), "z": stackel.normal()}
    run = lambda init="kaiming", **kw: g.study(
        rule="two_timescale",
        leader_rate=stackel.rate(a=1e-4, k0=1.0, p=0.0),
        follower_rate=stackel.rate(a=1e-4, k0=1.0, p=0.0),
        eta=1.0,
        trajectories=2,
        steps=3,
        init=init,
        optimizer="adam",
        seed=3,
        dtype="float32",
        **kw,
    )
    r = run(data=data)
    assert r.final_states.shape == (2, g.n)
    assert np.all(np.isfinite(r.final_states)) and r.fates == ["finished"] * 2
    assert np.array_equal(run(data=data).final_states, r.final_states)
    with pytest.raises(ValueError, match="no sampler"):
        run(data={"z": stackel.normal()})
    with pytest.raises(ValueError, match="kaiming"):
        run(data=data, init="xavier")
    # point evaluation takes the state, then a batch of data
    x = np.concatenate([r.final_states[0], np.zeros(512 + 4096)])
    assert np.all(np.isfinite(g.omega(x))) and g.omega(x).shape == (g.n,)
    with pytest.raises(ValueError, match="data entries"):
        g.omega(r.final_states[0])
