"""Negative-binomial / Poisson tail scores against brute-force sums."""

from __future__ import annotations

import math

import pytest

from streams.detectors.tail import tail_score


def brute_tail(k: int, mu: float, alpha: float) -> float:
    if alpha == 0:
        cdf = sum(math.exp(-mu + j * math.log(mu) - math.lgamma(j + 1)) for j in range(k))
    else:
        r = 1 / alpha
        p = r / (r + mu)
        cdf = sum(
            math.exp(
                math.lgamma(j + r)
                - math.lgamma(r)
                - math.lgamma(j + 1)
                + r * math.log(p)
                + j * math.log(1 - p)
            )
            for j in range(k)
        )
    return -math.log10(1 - cdf)


@pytest.mark.parametrize(
    ("k", "mu", "alpha"),
    [
        (5, 0.05, 0.1),
        (10, 3.0, 0.1),
        (20, 10.0, 0.0),
        (20, 10.0, 0.3),
        (3, 2.5, 0.1),
        (100, 60.0, 0.1),
        (13, 10.0, 0.0),
    ],
)
def test_matches_brute_force(k: int, mu: float, alpha: float) -> None:
    assert tail_score(k, mu, alpha) == pytest.approx(brute_tail(k, mu, alpha), rel=1e-6, abs=1e-9)


def test_zero_at_or_below_expectation() -> None:
    assert tail_score(4, 4.0, 0.1) == 0.0
    assert tail_score(0, 0.0, 0.1) == 0.0
    assert tail_score(2, 7.5, 0.0) == 0.0


def test_grows_with_count_and_shrinks_with_dispersion() -> None:
    scores = [tail_score(k, 10.0, 0.1) for k in range(11, 60, 4)]
    assert scores == sorted(scores)
    assert tail_score(40, 10.0, 0.5) < tail_score(40, 10.0, 0.1) < tail_score(40, 10.0, 0.0)


def test_extreme_tails_stay_finite() -> None:
    score = tail_score(2000, 100.0, 0.0)
    assert math.isfinite(score) and score > 500
    assert math.isfinite(tail_score(10_000, 1.0, 0.05))
