"""Learning dynamics in Stackelberg games: games as DSL text, compiled to
native code at run time, studied from Python with numpy arrays."""

from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

class DslError(ValueError):
    """An invalid game. `str()` is the rendered message with the source line."""

    line: int
    column: int
    file: str
    message: str

class Rate:
    """A step-size schedule gamma_k = a / (k + k0)^p."""

    a: float
    k0: float
    p: float
    def __call__(self, k: float) -> float: ...

def rate(*, a: float = 1.0, k0: float = 1.0, p: float = 1.0) -> Rate:
    """The step-size schedule gamma_k = a / (k + k0)^p."""

class Sampler:
    """A sampler of a data input, resampled every step of a study."""

def normal() -> Sampler:
    """Standard normal entries."""

def mixture(means: Sequence[Sequence[float]], *, variance: float) -> Sampler:
    """Rows from an equal-weight Gaussian mixture with these component means."""

class StudyResult:
    """The result of a study."""

    @property
    def final_states(self) -> npt.NDArray[np.float64]: ...
    @property
    def coordinates(self) -> list[str]: ...
    @property
    def trajectories(self) -> Tuple[int, int]: ...
    @property
    def steps(self) -> int: ...
    @property
    def dtype(self) -> str: ...
    @property
    def fates(self) -> list[str]: ...
    @property
    def mean(self) -> npt.NDArray[np.float64]: ...
    @property
    def covariance(self) -> npt.NDArray[np.float64]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(text: str) -> "StudyResult": ...
    @staticmethod
    def merge(parts: list["StudyResult"]) -> "StudyResult": ...

ArrayLike = Union[Sequence[float], npt.NDArray[np.float64]]

class Game:
    """A Stackelberg game compiled from DSL text (the language of `stackel_game!`)."""

    def __init__(self, text: str, file: str = "<game>") -> None: ...
    @staticmethod
    def paper(name: str) -> "Game":
        """One of "duopoly", "torus", "example1", "covariance3", "mog_diamond", "mog_circle"."""
    @property
    def name(self) -> str: ...
    @property
    def d1(self) -> int: ...
    @property
    def d2(self) -> int: ...
    @property
    def n(self) -> int: ...
    @property
    def coordinates(self) -> list[str]: ...
    @property
    def params(self) -> dict[str, Union[float, list[float]]]: ...
    def with_params(self, **params: Union[float, Sequence[float]]) -> "Game": ...
    def formulas(self) -> dict[str, list[str]]: ...
    def leader_cost(self, x: ArrayLike) -> float: ...
    def omega(self, x: ArrayLike) -> npt.NDArray[np.float64]: ...
    def omega_stackelberg(self, x: ArrayLike, eta: float = 0.0) -> npt.NDArray[np.float64]: ...
    def jacobian(self, x: ArrayLike) -> npt.NDArray[np.float64]: ...
    def jacobian_stackelberg(self, x: ArrayLike, eta: float = 0.0) -> npt.NDArray[np.float64]: ...
    def blocks(self, x: ArrayLike) -> dict[str, npt.NDArray[np.float64]]: ...
    def equilibria(
        self,
        box: Optional[Sequence[Tuple[float, float]]] = None,
        grid: int = 5,
        field: str = "both",
    ) -> list[dict[str, Any]]: ...
    def study(
        self,
        *,
        rule: str = "two_timescale",
        rate: Optional[Rate] = None,
        leader_rate: Optional[Rate] = None,
        follower_rate: Optional[Rate] = None,
        eta: float = 0.0,
        trajectories: int = 1000,
        steps: int = 1000,
        noise: float = 0.0,
        init: Union[None, Sequence[float], str] = None,
        init_box: Optional[Sequence[Tuple[float, float]]] = None,
        seed: int = 0,
        dtype: Any = "float64",
        shard: Optional[Tuple[int, int]] = None,
        optimizer: str = "sgd",
        data: Optional[dict[str, Sampler]] = None,
    ) -> StudyResult:
        """`init` is a point or "kaiming"; `optimizer` "sgd" or "adam"; `data`
        binds a sampler to each data input of the game."""
