"""FIT exercise names for the library's exercises, checked against the FIT profile the encoder writes."""

from __future__ import annotations

from functools import lru_cache

import stridelink

# Calf raises done on one leg have their own FIT name.
_SINGLE_LEG_VARIANTS = {("calf_raise", "standing_calf_raise"): "single_leg_standing_calf_raise"}


@lru_cache(maxsize=1)
def _profile_names() -> tuple[frozenset[str], dict[str, dict[str, int]]]:
    """The profile's exercise categories, and per category its exercise names -> numbers."""
    from garmin_fit_sdk.profile import Profile

    types = Profile["types"]
    categories = frozenset(types["exercise_category"].values())
    names = {
        category: {name: int(number) for number, name in types.get(f"{category}_exercise_name", {}).items()}
        for category in categories
    }
    return categories, names


@lru_cache(maxsize=1)
def _library() -> dict[str, tuple[str, str]]:
    """Library key -> (category, name), as the programme gives them."""
    return {
        key: (exercise.fit_exercise.category, exercise.fit_exercise.name)
        for key, exercise in stridelink.load_programme().exercises.items()
        if exercise.fit_exercise is not None
    }


def fit_exercise(exercise: stridelink.Exercise) -> tuple[str, int] | None:
    """(exercise_category, exercise_name number) for ``exercise``; None when the profile has no match."""
    pair = _library().get(exercise.key)
    if pair is None:
        return None
    categories, names = _profile_names()
    category, name = pair
    if category not in categories:
        return None
    variant = _SINGLE_LEG_VARIANTS.get(pair)
    if variant is not None and "single leg" in exercise.dose.lower():
        name = variant
    number = names[category].get(name)
    return None if number is None else (category, number)
