"""Sampling statistics for survey measures."""

from __future__ import annotations

import math

Z_95 = 1.96  # two-sided 95% normal quantile, as in the published margins of error


def margin_of_error(p_percent: float, n: float, deft: float = 1.0, z: float = Z_95) -> float:
    """95% margin of error of a survey percentage, in percentage points:
    ``z * deft * sqrt(p(1-p)/n)``.

    >>> round(margin_of_error(50.0, 1000), 2)
    3.1
    """
    if n <= 0:
        raise ValueError("sample size must be positive")
    p = p_percent / 100.0
    return 100.0 * z * deft * math.sqrt(p * (1.0 - p) / n)


def margin_of_error_difference(
    p1_percent: float, n1: float, p2_percent: float, n2: float, deft: float = 1.0, z: float = Z_95
) -> float:
    """95% margin of error of the gap between two independent survey percentages, in points:
    ``z * deft * sqrt(p1(1-p1)/n1 + p2(1-p2)/n2)``."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError("sample sizes must be positive")
    p1, p2 = p1_percent / 100.0, p2_percent / 100.0
    return 100.0 * z * deft * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
