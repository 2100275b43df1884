"""Tail probabilities of count distributions, as scores: -log10 P(X >= x).

Why not a ratio or a z-score: on tiny counts (3 complaints where 0.5 are normal) a ratio screams and a
z-score is meaningless; on huge counts a z-score pages on every wobble. The negative binomial
(Poisson with over-dispersion, var = mu + alpha * mu^2) tail is honest at both ends.

Computed in log space (continued fractions for the regularized incomplete beta / gamma functions)
so scores of 50+ are exact rather than `inf`. Pure Python, no SciPy.
"""

from __future__ import annotations

import math

_EPS = 1e-12
_TINY = 1e-300
_MAX_ITER = 400
_LN10 = math.log(10.0)


def _beta_cf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularized incomplete beta (modified Lentz)."""
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _TINY:
        d = _TINY
    d = 1.0 / d
    h = d
    for m in range(1, _MAX_ITER + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def log_betainc(a: float, b: float, x: float) -> float:
    """ln I_x(a, b), the regularized incomplete beta function, accurate for tiny values."""
    if x <= 0.0:
        return -math.inf
    if x >= 1.0:
        return 0.0
    ln_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    ln_front = a * math.log(x) + b * math.log1p(-x) - ln_beta
    if x < (a + 1.0) / (a + b + 2.0):
        return ln_front + math.log(max(_beta_cf(a, b, x), _TINY)) - math.log(a)
    # Symmetry: I_x(a, b) = 1 - I_{1-x}(b, a); here the complement is small, the value is not.
    complement = math.exp(ln_front + math.log(max(_beta_cf(b, a, 1.0 - x), _TINY)) - math.log(b))
    return math.log(max(1.0 - complement, _TINY))


def log_gammainc_lower(a: float, x: float) -> float:
    """ln P(a, x), the regularized lower incomplete gamma function."""
    if x <= 0.0:
        return -math.inf
    ln_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:
        term = 1.0 / a
        total = term
        ap = a
        for _ in range(_MAX_ITER * 4):
            ap += 1.0
            term *= x / ap
            total += term
            if term < total * _EPS:
                break
        return ln_front + math.log(total)
    # Upper tail by continued fraction, then the complement.
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITER + 1):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + an / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    upper = math.exp(ln_front) * h
    return math.log(max(1.0 - upper, _TINY))


def tail_score(observed: float, expected: float, dispersion: float = 0.0) -> float:
    """-log10 P(X >= observed) for X ~ NegBin(mean=expected, var=expected + dispersion*expected^2).

    0 when the observation is at or below expectation. `dispersion` 0 is Poisson.
    """
    k = math.floor(observed)
    if k <= 0:
        return 0.0
    mu = max(expected, 1e-9)
    if k <= mu:
        return 0.0
    if dispersion <= 1e-9:
        ln_p = log_gammainc_lower(float(k), mu)  # P(X >= k) = P(k, mu) for Poisson
    else:
        r = 1.0 / dispersion
        p_fail = mu / (r + mu)  # X counts failures with success probability r/(r+mu)
        ln_p = log_betainc(float(k), r, p_fail)  # P(X >= k) = I_{1-p}(k, r)
    return max(0.0, -ln_p / _LN10)


def tail_probability(observed: float, expected: float, dispersion: float = 0.0) -> float:
    return 10.0 ** (-tail_score(observed, expected, dispersion))
