"""Probability distributions for stochastic scenario parameters.

A parameter in a scenario file is either a number or a distribution written as a mapping with a
``dist:`` key, for example ``{dist: uniform, low: 8, high: 40}``. Distributions are sampled once
per draw (outside the engine's time loop) from the draw block's random stream; processing-time
distributions are also turned into delay kernels through their cumulative distribution function.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Beta", "Dist", "Fixed", "LogNormal", "Normal", "Param", "Triangular", "Uniform",
           "param_cdf", "sample_param"]

FloatArray = npt.NDArray[np.float64]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float | None = Field(None, description="Values below are clipped to this bound.")
    max: float | None = Field(None, description="Values above are clipped to this bound.")

    def _clip(self, x: FloatArray) -> FloatArray:
        lo = -np.inf if self.min is None else self.min
        hi = np.inf if self.max is None else self.max
        return np.clip(x, lo, hi)

    def _raw_sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        raise NotImplementedError

    def _raw_cdf(self, x: FloatArray) -> FloatArray:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Draw ``n`` values (clipped to ``[min, max]``)."""
        return self._clip(self._raw_sample(rng, n))

    def cdf(self, x: FloatArray) -> FloatArray:
        """Cumulative distribution function of the clipped distribution at ``x``."""
        x = np.asarray(x, dtype=float)
        out = self._raw_cdf(x)
        if self.min is not None:
            out = np.where(x < self.min, 0.0, out)
        if self.max is not None:
            out = np.where(x >= self.max, 1.0, out)
        return np.asarray(out, dtype=float)

    @model_validator(mode="after")
    def _bounds(self) -> _Dist:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Fixed(_Dist):
    """A fixed value (written ``{dist: fixed, value: 3}``, or just ``3``)."""

    dist: Literal["fixed"]
    value: float

    def _raw_sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return np.full(n, self.value)

    def _raw_cdf(self, x: FloatArray) -> FloatArray:
        return (x >= self.value).astype(float)


class Uniform(_Dist):
    """Uniform on ``[low, high]``."""

    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        return self

    def _raw_sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.uniform(self.low, self.high, n)

    def _raw_cdf(self, x: FloatArray) -> FloatArray:
        if self.high == self.low:
            return (x >= self.low).astype(float)
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)


class Triangular(_Dist):
    """Triangular on ``[low, high]`` with its peak at ``mode``."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("need low <= mode <= high and low < high")
        return self

    def _raw_sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.triangular(self.low, self.mode, self.high, n)

    def _raw_cdf(self, x: FloatArray) -> FloatArray:
        a, c, b = self.low, self.mode, self.high
        left = np.where(c > a, (x - a) ** 2 / ((b - a) * max(c - a, 1e-300)), 0.0)
        right = np.where(b > c, 1.0 - (b - x) ** 2 / ((b - a) * max(b - c, 1e-300)), 1.0)
        out = np.where(x <= a, 0.0, np.where(x <= c, left, np.where(x < b, right, 1.0)))
        return np.asarray(out, dtype=float)


class LogNormal(_Dist):
    """Log-normal with the given ``median`` and ``sigma`` (standard deviation of the log)."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(ge=0)

    def _raw_sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return self.median * np.exp(self.sigma * rng.standard_normal(n))

    def _raw_cdf(self, x: FloatArray) -> FloatArray:
        return lognormal_cdf(x, np.full_like(x, self.median), np.full_like(x, self.sigma))


class Normal(_Dist):
    """Normal with ``mean`` and standard deviation ``sd``."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0)

    def _raw_sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return self.mean + self.sd * rng.standard_normal(n)

    def _raw_cdf(self, x: FloatArray) -> FloatArray:
        if self.sd == 0:
            return (x >= self.mean).astype(float)
        z = (x - self.mean) / (self.sd * math.sqrt(2.0))
        return 0.5 * (1.0 + np.vectorize(math.erf)(z))


class Beta(_Dist):
    """Beta with shapes ``a`` and ``b`` on [0, 1] (for probabilities)."""

    dist: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)

    def _raw_sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.beta(self.a, self.b, n)

    def _raw_cdf(self, x: FloatArray) -> FloatArray:  # pragma: no cover - not used for kernels
        raise NotImplementedError("beta distributions are for probabilities, not durations")


Dist = Annotated[Fixed | Uniform | Triangular | LogNormal | Normal | Beta,
                 Field(discriminator="dist")]
#: A scenario parameter: a number, or a distribution sampled once per draw.
Param = float | Dist


def sample_param(param: Param, rng: np.random.Generator, n: int) -> FloatArray:
    """``n`` per-draw values of ``param``; a plain number draws nothing from ``rng``."""
    if isinstance(param, int | float):
        return np.full(n, float(param))
    return param.sample(rng, n)


def lognormal_cdf(x: FloatArray, median: FloatArray, sigma: FloatArray) -> FloatArray:
    """Log-normal CDF, vectorised over ``x``, ``median`` and ``sigma`` (sigma 0: a step)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        z = (np.log(np.maximum(x, 1e-300)) - np.log(median)) / (sigma * math.sqrt(2.0))
    erf = np.vectorize(math.erf, otypes=[float])
    out = np.where(sigma > 0, 0.5 * (1.0 + erf(np.nan_to_num(z, nan=0.0))),
                   (x >= median).astype(float))
    return np.where(x <= 0, 0.0, out)


def param_cdf(dist: Param, x: FloatArray) -> FloatArray:
    """CDF of a distribution (a number is a point mass) at ``x``."""
    if isinstance(dist, int | float):
        return (np.asarray(x, dtype=float) >= float(dist)).astype(float)
    return dist.cdf(x)
